/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Message building for the UA core: requests inside a dialog (§12.2.1.1),
 * responses (§8.2.6) either straight from the request being delivered or,
 * when the application answers later, from a template of the request's
 * Via/From/To/Call-ID/CSeq lines kept in a message buffer until the final
 * response (the receive buffer is gone by then). No printf, no allocation.
 */
#include <strings.h>
#include <sys/socket.h>

#include "ua_pvt.h"

static const struct sipdp_str s_bye = SIPDP_STR("BYE");

/* Entry 0 (the fallback) when the table has none for this transport and
 * family. */
uint8_t
ua_ident(const struct sipdp_ua *ua, uint8_t tp, uint8_t family, struct sipdp_str ruri)
{
	uint8_t i, sips = 0;

	if (tp >= SIPDP_UA_IDENT_TRANSPORTS)
		return 0;
	i = (uint8_t)(1 + tp * 2 + (family == AF_INET6));
	if (ua->id[i].via_pfx.len == 0)
		return 0;
	if (ruri.len >= 5 && strncasecmp(ruri.p, "sips:", 5) == 0)
		sips = UA_ID_SIPS;
	return (uint8_t)(i | sips);
}

/* Route entries one by one from the dialog's comma-joined route set. */
static void
put_route_and_ruri(struct sipdp_build *b, struct sipdp_dlg *d, struct sipdp_str method)
{
	struct sipdp_str target = sipdp_dlg_str(d, d->target);
	struct sipdp_str route = sipdp_dlg_str(d, d->route);

	if (SIPDP_UNLIKELY(d->flags & SIPDP_DLG_F_STRICT) && route.len) {
		/* §12.2.1.1 strict router: Request-URI is the first route's
		 * URI, the rest plus the remote target become the Route. */
		struct sipdp_str cur = route, first;
		struct sipdp_nameaddr na;
		if (sipdp_list_next(&cur, &first) == 1 && sipdp_nameaddr_parse(first, &na) == 0) {
			sipdp_build_request_line(b, method, na.uri);
			return;
		}
	}
	sipdp_build_request_line(b, method, target);
}

static void
put_route_hdr(struct sipdp_build *b, struct sipdp_dlg *d)
{
	struct sipdp_str route = sipdp_dlg_str(d, d->route);

	if (route.len == 0)
		return;
	if (SIPDP_UNLIKELY(d->flags & SIPDP_DLG_F_STRICT)) {
		struct sipdp_str cur = route, first, target = sipdp_dlg_str(d, d->target);
		sipdp_list_next(&cur, &first);
		sipdp_build_hdr_begin(b, SIPDP_HDR_ROUTE);
		sipdp_build_str(b, cur);
		if (cur.len)
			sipdp_build_raw(b, ", ", 2);
		sipdp_build_raw(b, "<", 1);
		sipdp_build_str(b, target);
		sipdp_build_raw(b, ">", 1);
		sipdp_build_hdr_end(b);
		return;
	}
	sipdp_build_hdr(b, SIPDP_HDR_ROUTE, route);
}

int
ua_build_request(struct sipdp_ua *ua, char *buf, struct sipdp_dlg *d, struct sipdp_str method,
		 uint32_t cseq, const char *branch, uint32_t blen, struct sipdp_str extra,
		 struct sipdp_str ctype, struct sipdp_str body, bool contact)
{
	struct sipdp_build b;
	int len;

	sipdp_build_init(&b, buf, UA_OUT_LEN);
	put_route_and_ruri(&b, d, method);
	sipdp_build_hdr_begin(&b, SIPDP_HDR_VIA);
	sipdp_build_str(&b, *ua_via_pfx(ua, d));
	sipdp_build_raw(&b, branch, blen);
	sipdp_build_hdr_end(&b);
	/* §8.1.1.6: 70, or the count a B2BUA passes on (sipdp_ua_invite). */
	if (SIPDP_UNLIKELY(ua->mf != 0))
		sipdp_build_hdr_u32(&b, SIPDP_HDR_MAX_FORWARDS, ua->mf);
	else
		sipdp_build_hdr(&b, SIPDP_HDR_MAX_FORWARDS, SIPDP_STR("70"));
	ua->mf = 0; /* for this message only */
	put_route_hdr(&b, d);
	sipdp_build_hdr(&b, SIPDP_HDR_FROM, sipdp_dlg_str(d, d->local_hdr));
	sipdp_build_hdr(&b, SIPDP_HDR_TO, sipdp_dlg_str(d, d->remote_hdr));
	sipdp_build_hdr(&b, SIPDP_HDR_CALL_ID, sipdp_dlg_str(d, d->call_id));
	sipdp_build_cseq(&b, cseq, method);
	if (contact)
		sipdp_build_hdr(&b, SIPDP_HDR_CONTACT, *ua_contact(ua, d));
	if (ua->ua_name.len)
		sipdp_build_hdr(&b, SIPDP_HDR_USER_AGENT, ua->ua_name);
	if (extra.len)
		sipdp_build_raw(&b, extra.p, extra.len);
	if (ua->xhdr.len)
		sipdp_build_raw(&b, ua->xhdr.p, ua->xhdr.len);
	ua->xhdr = SIPDP_STR_NULL; /* extension lines: for this message only */
	sipdp_build_body(&b, ctype, body);
	len = sipdp_build_finish(&b);
	if (SIPDP_UNLIKELY(len < 0)) {
		ua->stats.build_errors++;
		return -EMSGSIZE;
	}
	return len;
}

/*
 * Template of a response to @req: every Via, From, To (with @to_tag when the
 * request has none), Call-ID, CSeq, as header lines. Kept in a message
 * buffer on the server transaction's side entry until its final response.
 */
int
ua_keep_template(struct sipdp_ua *ua, sipdp_handle_t tsx, const struct sipdp_msg *req,
		 struct sipdp_str to_tag)
{
	struct ua_tside *s = ua_side(ua, tsx);
	struct sipdp_build b;
	char *start;
	int len;

	if (s->mbuf)
		return 0;
	s->mbuf = ua_mb_alloc(ua);
	if (SIPDP_UNLIKELY(s->mbuf == 0)) {
		ua->stats.no_msgbuf++;
		return -ENOBUFS;
	}
	/* response_start writes a status line first: build it in the buffer
	 * and drop that line. */
	sipdp_build_init(&b, ua_mb(ua, s->mbuf), ua->mb_size);
	sipdp_build_response_start(&b, req, 100, SIPDP_STR("x"), to_tag);
	len = (int)(b.p - b.start);
	if (b.overflow || len <= 0) {
		ua_mb_release(ua, &s->mbuf);
		ua->stats.no_msgbuf++;
		return -EMSGSIZE;
	}
	start = ua_mb(ua, s->mbuf);
	{
		char *nl = memchr(start, '\n', (size_t)len);
		uint32_t skip = (uint32_t)(nl - start) + 1;
		/* 100 Trying may copy Timestamp: drop it, it is for the 100. */
		memmove(start, start + skip, (size_t)len - skip);
		len -= (int)skip;
	}
	s->tmpl_len = (uint16_t)len;
	return 0;
}

int
ua_build_response(struct sipdp_ua *ua, sipdp_handle_t tsx, struct sipdp_dlg *d, uint16_t status,
		  struct sipdp_str extra, struct sipdp_str ctype, struct sipdp_str body, bool contact)
{
	struct ua_tside *s = ua_side(ua, tsx);
	struct sipdp_build b;
	int len;

	sipdp_build_init(&b, ua->out, UA_OUT_LEN);
	if (ua->cur_req != NULL && ua->cur_tsx == tsx) {
		struct sipdp_str tag = SIPDP_STR_NULL;
		if (d != NULL)
			tag = sipdp_dlg_str(d, d->local_tag);
		sipdp_build_response_start(&b, ua->cur_req, status, SIPDP_STR_NULL, tag);
	} else if (s->mbuf) {
		sipdp_build_status_line(&b, status, SIPDP_STR_NULL);
		sipdp_build_raw(&b, ua_mb(ua, s->mbuf), s->tmpl_len);
	} else {
		return -ENOENT;
	}
	/* §12.1.1: a response that makes the dialog carries the INVITE's
	 * Record-Route, same values, same order, or the proxies that asked to
	 * stay on the path are bypassed by the caller's ACK and BYE. The UAS
	 * route set is exactly that list, and it outlives the request. */
	if (d != NULL && d->role == SIPDP_DLG_UAS && status > 100 && status < 300 && d->route.len &&
	    tsx == ua_sess(d)->inv_tsx)
		sipdp_build_hdr(&b, SIPDP_HDR_RECORD_ROUTE, sipdp_dlg_str(d, d->route));
	if (contact)
		sipdp_build_hdr(&b, SIPDP_HDR_CONTACT, *ua_contact(ua, d));
	if (ua->ua_name.len)
		sipdp_build_hdr(&b, SIPDP_HDR_SERVER, ua->ua_name);
	if (extra.len)
		sipdp_build_raw(&b, extra.p, extra.len);
	if (ua->xhdr.len)
		sipdp_build_raw(&b, ua->xhdr.p, ua->xhdr.len);
	ua->xhdr = SIPDP_STR_NULL; /* extension lines: for this message only */
	sipdp_build_body(&b, ctype, body);
	len = sipdp_build_finish(&b);
	if (SIPDP_UNLIKELY(len < 0)) {
		ua->stats.build_errors++;
		return -EMSGSIZE;
	}
	return len;
}

int
ua_respond_tsx(struct sipdp_ua *ua, sipdp_handle_t tsx, struct sipdp_dlg *d, uint16_t status,
	       struct sipdp_str extra, struct sipdp_str ctype, struct sipdp_str body, bool contact,
	       uint64_t now_us)
{
	int len = ua_build_response(ua, tsx, d, status, extra, ctype, body, contact);
	int rc;

	if (len < 0)
		return len;
	if (status >= 200)
		ua_side(ua, tsx)->final = 1;
	rc = sipdp_tsx_respond(ua->tt, tsx, status, ua->out, (uint32_t)len, now_us);
	if (rc < 0 && rc != -ENOENT && rc != -EINVAL)
		ua->stats.send_errors++;
	return rc < 0 ? rc : len;
}

void
ua_next_hop(struct sipdp_ua *ua, struct sipdp_dlg *d, struct sipdp_tsx_dest *dest)
{
	if (ua->resolve != NULL) {
		struct sipdp_str uri = sipdp_dlg_str(d, d->target);
		if (d->route.len) {
			struct sipdp_str cur = sipdp_dlg_str(d, d->route), first;
			struct sipdp_nameaddr na;
			if (sipdp_list_next(&cur, &first) == 1 && sipdp_nameaddr_parse(first, &na) == 0)
				uri = na.uri;
		}
		if (ua->resolve(ua->user, uri, dest) == 0)
			return;
	}
	*dest = d->peer;
}

int
ua_send_bye(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us)
{
	char br[SIPDP_TSX_BRANCH_LEN];
	sipdp_handle_t h;
	struct sipdp_tsx_dest dest;
	uint32_t cseq;
	int len, rc;

	/* §15.1.1: the ACK of our INVITE's 2xx goes first, held or not. */
	ua_ack_flush(ua, d);
	cseq = sipdp_dlg_next_cseq(d);
	rc = sipdp_tsx_client_alloc(ua->tt, SIPDP_METHOD_BYE, cseq, sipdp_dlg_handle(ua->dt, d), br, &h);
	if (rc != 0) {
		ua->stats.tsx_full++;
		return rc;
	}
	ua_side(ua, h)->kind = UA_TK_BYE_OUT;
	len = ua_build_request(ua, ua->out2, d, s_bye, cseq, br, sizeof(br), SIPDP_STR_NULL,
			       SIPDP_STR_NULL, SIPDP_STR_NULL, false);
	if (len < 0) {
		ua_side(ua, h)->kind = UA_TK_NONE;
		sipdp_tsx_client_abort(ua->tt, h);
		return len;
	}
	ua_next_hop(ua, d, &dest);
	sipdp_dlg_note(d, SIPDP_DLG_EV_TX_BYE, 0, now_us);
	rc = sipdp_tsx_client_send(ua->tt, h, ua->out2, (uint32_t)len, &dest, now_us);
	if (rc == -ENOBUFS) {
		ua_side(ua, h)->kind = UA_TK_NONE;
		sipdp_tsx_client_abort(ua->tt, h);
	}
	return rc;
}
