/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * REFER both ways (RFC 3515, RFC 4488, RFC 5589): the transferor builds
 * Refer-To (blind, or attended with the consultation dialog's Replaces
 * escaped into the URI, RFC 3891 §7) and Referred-By itself; the transferee
 * keeps what the decision needs in its record, answers 202, NOTIFYs and
 * sends the INVITE to the target with Referred-By and the unescaped
 * Replaces. No allocation: headers are assembled in stack buffers.
 */
#include "ua_xfer_pvt.h"

static const struct sipdp_str s_refer = SIPDP_STR("REFER");

static bool
uri_safe(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("-_.!~*'()", c) != NULL;
}

/* %HH escaping for a URI header value (RFC 3261 §19.1.1 hvalue). */
static void
put_escaped(struct sipdp_build *b, struct sipdp_str s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (uint32_t i = 0; i < s.len; i++) {
		char c = s.p[i];
		if (uri_safe(c) && c != '\0') {
			sipdp_build_raw(b, &c, 1);
		} else {
			char e[3] = { '%', hex[(uint8_t)c >> 4], hex[(uint8_t)c & 15] };
			sipdp_build_raw(b, e, 3);
		}
	}
}

/* "display <uri>" of our side of @d (From without the tag). */
static void
put_local_identity(struct sipdp_build *b, struct sipdp_dlg *d)
{
	struct sipdp_nameaddr na;

	if (sipdp_nameaddr_parse(sipdp_dlg_str(d, d->local_hdr), &na) != 0) {
		sipdp_build_str(b, sipdp_dlg_str(d, d->local_hdr));
		return;
	}
	if (na.display.len) {
		sipdp_build_str(b, na.display);
		sipdp_build_raw(b, " ", 1);
	}
	sipdp_build_raw(b, "<", 1);
	sipdp_build_str(b, na.uri);
	sipdp_build_raw(b, ">", 1);
}

static inline void
put_cstr(struct sipdp_build *b, const char *s)
{
	sipdp_build_raw(b, s, (uint32_t)strlen(s));
}

/* ------------------------------------------------------------ transferor */

int
sipdp_ua_xfer_refer(struct sipdp_ua *ua, sipdp_handle_t dlg, const struct sipdp_ua_xfer_refer *r,
		    uint64_t now_us, sipdp_handle_t *xfer)
{
	struct sipdp_dlg *d = ua_get(ua, dlg), *c;
	struct sipdp_build b;
	char extra[1024];
	struct ux *x;
	sipdp_handle_t self;
	uint32_t cseq = 0;
	int rc;

	if (ua->xfer == NULL || r == NULL || xfer == NULL)
		return -EINVAL;
	if (d == NULL)
		return -ENOENT;
	ua->now_us = now_us;
	if (d->state != SIPDP_DLG_S_ESTABLISHED)
		return -EINVAL;
	sipdp_build_init(&b, extra, sizeof(extra));
	put_cstr(&b, "Refer-To: <");
	if (r->consult != SIPDP_HANDLE_INVALID) {
		struct sipdp_str tgt;
		c = ua_get(ua, r->consult);
		if (c == NULL)
			return -ENOENT;
		if (!(c->flags & SIPDP_DLG_F_HAS_RTAG) || c == d)
			return -EINVAL;
		tgt = sipdp_dlg_str(c, c->target);
		if (tgt.len == 0 || memchr(tgt.p, '?', tgt.len) != NULL)
			return -EINVAL;
		/* RFC 5589 §7: the target of the consultation dialog, with the
		 * Replaces it must carry, seen from the target's side: to-tag
		 * is its tag (our remote tag), from-tag ours. */
		sipdp_build_str(&b, tgt);
		put_cstr(&b, "?Replaces=");
		put_escaped(&b, sipdp_dlg_str(c, c->call_id));
		put_cstr(&b, "%3Bto-tag%3D");
		put_escaped(&b, sipdp_dlg_str(c, c->remote_tag));
		put_cstr(&b, "%3Bfrom-tag%3D");
		put_escaped(&b, sipdp_dlg_str(c, c->local_tag));
	} else {
		if (r->target.len == 0 || memchr(r->target.p, '?', r->target.len) != NULL ||
		    memchr(r->target.p, '>', r->target.len) != NULL)
			return -EINVAL;
		sipdp_build_str(&b, r->target);
	}
	put_cstr(&b, ">\r\nReferred-By: ");
	if (r->referred_by.len)
		sipdp_build_str(&b, r->referred_by);
	else
		put_local_identity(&b, d);
	put_cstr(&b, "\r\n");
	if (r->no_sub)
		put_cstr(&b, "Refer-Sub: false\r\nSupported: norefersub\r\n");
	if (b.overflow)
		return -EMSGSIZE;
	x = ux_alloc(ua, d, UX_TRANSFEROR, d->local_cseq + 1);
	if (x == NULL)
		return -ENOSPC;
	x->app = r->app;
	x->bye = r->bye;
	if (r->no_sub)
		x->flags |= UXF_NOSUB;
	self = x->self;
	rc = ux_send_in_dialog(ua, d, SIPDP_METHOD_REFER, s_refer,
			       sipdp_str_make(extra, (size_t)(b.p - b.start)), SIPDP_STR_NULL,
			       SIPDP_STR_NULL, UA_TK_REFER_OUT, self, &cseq, now_us);
	x = ux_get(ua, self);
	if (rc == -ENOSPC || rc == -EMSGSIZE) {
		if (x != NULL)
			ux_free(ua, x);
		return rc;
	}
	/* A send error was reported through the transaction (DONE, 408). */
	ua->xfer->st.refers_out++;
	if (x != NULL)
		x->id = cseq;
	*xfer = self;
	return 0;
}

static bool
refer_sub_false(const struct sipdp_msg *m)
{
	bool v = true;
	const struct sipdp_hdr *h = sipdp_msg_hdr(m, SIPDP_HDR_REFER_SUB);

	return h != NULL && sipdp_refer_sub_parse(h->value, &v) == 0 && !v;
}

void
ux_refer_response(struct sipdp_ua *ua, struct ux *x, const struct sipdp_tsx_event *ev, uint64_t now_us)
{
	const struct sipdp_msg *m = ev->msg;
	uint16_t st = m ? m->status : 408;
	sipdp_handle_t dh = x->dlg;
	uint8_t bye = x->bye;
	struct sipdp_dlg *d;

	if (st < 200)
		return;
	if (st >= 300) {
		ux_done(ua, x, SIPDP_UA_XFER_FAILED, st, true, m, now_us);
		d = ua_get(ua, dh);
		if (d != NULL && (st == 481 || st == 408)) {
			/* §12.2.1.2: the dialog is gone at the peer (or unreachable). */
			ua_end(ua, d, st == 408 ? SIPDP_DLG_R_TIMEOUT : SIPDP_DLG_R_REJECTED, st,
			       SIPDP_DLG_EV_RX_FINAL, now_us);
		}
		return;
	}
	if (m != NULL)
		sipdp_dlg_refresh_target(ua->dt, sipdp_dlg_get(ua->dt, dh), m);
	x->flags |= UXF_ACCEPTED;
	if ((x->flags & UXF_NOSUB) && m != NULL && refer_sub_false(m)) {
		/* RFC 4488 §4: the transferee agreed to no subscription: the
		 * 2xx is all we will ever know. */
		ux_done(ua, x, SIPDP_UA_XFER_ACCEPTED, st, false, m, now_us);
		if (bye != SIPDP_UA_XFER_BYE_NEVER && ua_get(ua, dh) != NULL)
			sipdp_ua_bye(ua, dh, now_us);
		return;
	}
	/* RFC 3515 §2.4.4: the 2xx created the implicit subscription. A final
	 * NOTIFY may have overtaken the 2xx: then the record is gone already. */
	ux_sub_start(ua, x);
	if (x->expires_at == 0) {
		x->expires_at = now_us + (uint64_t)ua->xfer->expires_s * 1000000u;
		ux_timer_update(ua, x);
	}
	if (bye == SIPDP_UA_XFER_BYE_ON_ACCEPT && ua_get(ua, dh) != NULL)
		sipdp_ua_bye(ua, dh, now_us);
}

/* ------------------------------------------------------------ transferee */

static SIPDP_COLD void
refuse(struct sipdp_ua *ua, sipdp_handle_t tsx, struct sipdp_dlg *d, uint16_t code, uint64_t now_us)
{
	char ra[40];
	struct sipdp_str ex = SIPDP_STR_NULL;

	if (code == 503) {
		uint32_t n = 13;
		memcpy(ra, "Retry-After: ", 13);
		n += sipdp_u32_to_dec(ra + n, ua->retry_after_s);
		ra[n++] = '\r';
		ra[n++] = '\n';
		ex = sipdp_str_make(ra, n);
	}
	if (code >= 300)
		ua->xfer->st.refers_rejected++;
	ua_respond_tsx(ua, tsx, d, code, ex, SIPDP_STR_NULL, SIPDP_STR_NULL, false, now_us);
}

/* The Refer-To URI without its ?headers. */
static struct sipdp_str
bare_uri(struct sipdp_str uri)
{
	const char *q = memchr(uri.p, '?', uri.len);

	return q ? sipdp_str_make(uri.p, (size_t)(q - uri.p)) : uri;
}

void
ux_refer_in(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_tsx_event *ev, uint64_t now_us)
{
	const struct sipdp_msg *m = ev->msg;
	const struct sipdp_hdr *rt = sipdp_msg_hdr(m, SIPDP_HDR_REFER_TO);
	struct sipdp_str rb = sipdp_msg_hdr_value(m, SIPDP_HDR_REFERRED_BY);
	struct sipdp_nameaddr na;
	struct sipdp_uri uri;
	struct sipdp_cseq cs;
	struct sipdp_replaces rep;
	char tmp[256];
	int tmp_len;
	struct ux *x;
	sipdp_handle_t self;
	struct sipdp_ua_xfer_event e;

	ua->xfer->st.refers_in++;
	ua_side(ua, ev->tsx)->kind = UA_TK_XFER_IN;
	/* RFC 3515 §2.4.1: exactly one Refer-To. */
	if (rt == NULL || m->count[SIPDP_HDR_REFER_TO] != 1 || sipdp_nameaddr_parse(rt->value, &na) != 0 ||
	    sipdp_uri_parse(na.uri, &uri) != 0 || sipdp_msg_cseq(m, &cs) != 0) {
		refuse(ua, ev->tsx, d, 400, now_us);
		return;
	}
	if (uri.scheme != SIPDP_URI_SIP && uri.scheme != SIPDP_URI_SIPS) {
		refuse(ua, ev->tsx, d, 416, now_us); /* only SIP targets can be INVITEd */
		return;
	}
	if (na.uri.len + rb.len > UX_BUF) {
		refuse(ua, ev->tsx, d, 500, now_us);
		return;
	}
	x = ux_alloc(ua, d, UX_TRANSFEREE, cs.num);
	if (x == NULL) {
		ua->xfer->st.subs_full++;
		refuse(ua, ev->tsx, d, 503, now_us);
		return;
	}
	sipdp_dlg_refresh_target(ua->dt, d, m);
	memcpy(x->buf, na.uri.p, na.uri.len);
	x->tgt_len = (uint16_t)na.uri.len;
	if (rb.len)
		memcpy(x->buf + x->tgt_len, rb.p, rb.len);
	x->rb_len = (uint16_t)rb.len;
	x->req_tsx = ev->tsx;
	if (refer_sub_false(m))
		x->flags |= UXF_NOSUB; /* RFC 4488 §4: honoured */
	/* The unescaped value stays in tmp for the event (valid during the
	 * callback only: the record keeps the escaped Refer-To). */
	tmp_len = uri.headers.len ? sipdp_uri_header_value(&uri, SIPDP_STR("Replaces"), tmp, sizeof(tmp))
				  : -ENOENT;
	if (tmp_len > 0 && sipdp_replaces_parse(sipdp_str_make(tmp, (size_t)tmp_len), &rep) == 0)
		x->flags |= UXF_REPLACES;
	/* Guard: a REFER nobody decides on is declined at 64*T1. */
	x->expires_at = now_us + (uint64_t)ua->t1_ms * 64000u;
	ux_timer_update(ua, x);
	self = x->self;
	e = (struct sipdp_ua_xfer_event){
		.type = SIPDP_UA_XFER_EV_REFER,
		.no_sub = (x->flags & UXF_NOSUB) != 0,
		.has_replaces = (x->flags & UXF_REPLACES) != 0,
		.xfer = self,
		.dlg = x->dlg,
		.app = ua_sess(d)->app,
		.target = bare_uri(sipdp_str_make(x->buf, x->tgt_len)),
		.referred_by = sipdp_str_make(x->buf + x->tgt_len, x->rb_len),
		.replaces = (x->flags & UXF_REPLACES) ? sipdp_str_make(tmp, (size_t)tmp_len) : SIPDP_STR_NULL,
		.msg = m,
	};
	ua->xfer->cb(ua->user, &e);
	x = ux_get(ua, self);
	if (x == NULL || (x->flags & UXF_DECIDED))
		return;
	/* Decided later: keep what the response needs. */
	if (ua_keep_template(ua, ev->tsx, m, SIPDP_STR_NULL) != 0) {
		x->flags |= UXF_DECIDED;
		refuse(ua, ev->tsx, ua_get(ua, x->dlg), 503, now_us);
		x = ux_get(ua, self);
		if (x != NULL) {
			x->req_tsx = SIPDP_HANDLE_INVALID;
			x->final_status = 503;
			ux_finish(ua, x, now_us);
		}
	}
}

static struct ux *
undecided(struct sipdp_ua *ua, sipdp_handle_t h, struct sipdp_dlg **d, int *err)
{
	struct ux *x = ux_get(ua, h);

	*err = -ENOENT;
	if (x == NULL || x->role != UX_TRANSFEREE)
		return NULL;
	*d = ua_get(ua, x->dlg);
	if (*d == NULL)
		return NULL;
	*err = -EINVAL;
	if ((x->flags & UXF_DECIDED) || x->req_tsx == SIPDP_HANDLE_INVALID)
		return NULL;
	return x;
}

int
sipdp_ua_xfer_reject(struct sipdp_ua *ua, sipdp_handle_t h, uint16_t status, uint64_t now_us)
{
	struct sipdp_dlg *d = NULL;
	int rc;
	struct ux *x = undecided(ua, h, &d, &rc);

	if (x == NULL)
		return rc;
	if (status < 300 || status > 699)
		return -EINVAL;
	ua->now_us = now_us;
	x->flags |= UXF_DECIDED;
	refuse(ua, x->req_tsx, d, status, now_us);
	x = ux_get(ua, h);
	if (x == NULL)
		return 0;
	ua_mb_release(ua, &ua_side(ua, x->req_tsx)->mbuf);
	x->req_tsx = SIPDP_HANDLE_INVALID;
	x->final_status = status;
	ux_finish(ua, x, now_us);
	return 0;
}

/* 202 to the REFER (RFC 3515 §2.4.2; RFC 4488 §4: Refer-Sub: false
 * echoed), start the subscription's lifetime and NOTIFY 100 (§2.4.5).
 * @return the record, NULL when it went meanwhile. */
static struct ux *
accept_refer(struct sipdp_ua *ua, struct ux *x, struct sipdp_dlg *d, uint16_t flags, uint64_t now_us)
{
	sipdp_handle_t h = x->self;

	x->flags |= (uint16_t)(UXF_DECIDED | UXF_ACCEPTED | flags);
	ua_respond_tsx(ua, x->req_tsx, d, 202,
		       (x->flags & UXF_NOSUB) ? SIPDP_STR("Refer-Sub: false\r\n") : SIPDP_STR_NULL,
		       SIPDP_STR_NULL, SIPDP_STR_NULL, true, now_us);
	x = ux_get(ua, h);
	if (x == NULL)
		return NULL;
	ua_mb_release(ua, &ua_side(ua, x->req_tsx)->mbuf);
	x->req_tsx = SIPDP_HANDLE_INVALID;
	x->expires_at = now_us + (uint64_t)ua->xfer->expires_s * 1000000u;
	ux_timer_update(ua, x);
	if (!(x->flags & UXF_NOSUB)) {
		ux_sub_start(ua, x);
		ux_notify(ua, x, 100, false, now_us);
		x = ux_get(ua, h);
	}
	return x;
}

int
sipdp_ua_xfer_accept_external(struct sipdp_ua *ua, sipdp_handle_t h, uint64_t now_us)
{
	struct sipdp_dlg *d = NULL;
	int rc;
	struct ux *x = undecided(ua, h, &d, &rc);

	if (x == NULL)
		return rc;
	ua->now_us = now_us;
	/* Whatever became of the record (a NOTIFY that could not be sent
	 * ends it, ENDED reported), the REFER was accepted. */
	(void)accept_refer(ua, x, d, UXF_EXTERNAL, now_us);
	return 0;
}

int
sipdp_ua_xfer_notify(struct sipdp_ua *ua, sipdp_handle_t h, uint16_t status, uint64_t now_us)
{
	struct ux *x = ux_get(ua, h);

	if (x == NULL || x->role != UX_TRANSFEREE)
		return -ENOENT;
	if (!(x->flags & UXF_EXTERNAL) || (x->flags & UXF_REPORTED) || status < 100 || status > 699)
		return -EINVAL;
	/* UXF_FINAL with reason 0 is a final the application gave; with
	 * reason 1 it is the expiry's own terminating NOTIFY (ua_xfer_timer). */
	if ((x->flags & UXF_FINAL) && x->reason == 0)
		return -EINVAL;
	ua->now_us = now_us;
	if (status < 200) {
		ux_notify(ua, x, status, false, now_us); /* nothing without a live subscription */
		return 0;
	}
	if (status < 300) {
		x->flags |= UXF_SUCCESS;
		ua->xfer->st.transfers_ok++;
	} else {
		ua->xfer->st.transfers_failed++;
	}
	if ((x->flags & UXF_SUB) && !(x->flags & UXF_FINAL)) {
		ux_notify(ua, x, status, true, now_us); /* ENDED once it is answered */
		return 0;
	}
	x->final_status = status;
	if (x->flags & UXF_FINAL)
		return 0; /* the expiry's NOTIFY is under way and ends the record */
	ux_finish(ua, x, now_us); /* Refer-Sub: false: nothing to send */
	return 0;
}

int
sipdp_ua_xfer_accept(struct sipdp_ua *ua, sipdp_handle_t h, const struct sipdp_ua_xfer_accept *a,
		     uint64_t now_us, sipdp_handle_t *call)
{
	static const struct sipdp_ua_xfer_accept none;
	struct sipdp_dlg *d = NULL;
	int rc;
	struct ux *x = undecided(ua, h, &d, &rc);
	struct sipdp_ua_invite inv = { 0 };
	struct sipdp_str target, rb;
	struct sipdp_uri uri;
	struct sipdp_replaces rep;
	struct sipdp_build bt, bf, be;
	char to[UX_BUF + 2], from[UX_BUF + 32], extra[UX_BUF + 1024], tmp[256];
	sipdp_handle_t nh = SIPDP_HANDLE_INVALID;
	struct sipdp_dlg *nd;

	if (x == NULL)
		return rc;
	if (a == NULL)
		a = &none;
	ua->now_us = now_us;
	x = accept_refer(ua, x, d, 0, now_us);
	if (x == NULL)
		return -ENOENT;
	d = ua_get(ua, x->dlg);
	if (d == NULL)
		return -ENOENT;

	target = sipdp_str_make(x->buf, x->tgt_len);
	rb = sipdp_str_make(x->buf + x->tgt_len, x->rb_len);
	if (sipdp_uri_parse(target, &uri) != 0)
		return -EINVAL; /* checked when the REFER came */
	inv.ruri = bare_uri(target);
	sipdp_build_init(&bt, to, sizeof(to));
	sipdp_build_raw(&bt, "<", 1);
	sipdp_build_str(&bt, inv.ruri);
	sipdp_build_raw(&bt, ">", 1);
	inv.to = sipdp_str_make(to, (size_t)(bt.p - bt.start));
	if (a->from.len) {
		inv.from = a->from;
	} else {
		sipdp_build_init(&bf, from, sizeof(from));
		put_local_identity(&bf, d);
		inv.from = sipdp_str_make(from, (size_t)(bf.p - bf.start));
	}
	sipdp_build_init(&be, extra, sizeof(extra));
	if (rb.len) {
		put_cstr(&be, "Referred-By: ");
		sipdp_build_str(&be, rb);
		put_cstr(&be, "\r\n");
	}
	if (uri.headers.len && sipdp_uri_header_replaces(&uri, tmp, sizeof(tmp), &rep) == 0) {
		/* RFC 3891 §7 / RFC 5589 §7: the Replaces the transferor put
		 * in the Refer-To goes on the INVITE, unescaped. */
		put_cstr(&be, "Replaces: ");
		sipdp_build_str(&be, rep.call_id);
		put_cstr(&be, ";to-tag=");
		sipdp_build_str(&be, rep.to_tag);
		put_cstr(&be, ";from-tag=");
		sipdp_build_str(&be, rep.from_tag);
		if (rep.early_only)
			put_cstr(&be, ";early-only");
		put_cstr(&be, "\r\nRequire: replaces\r\n");
	}
	if (a->extra.len)
		sipdp_build_str(&be, a->extra);
	inv.extra = sipdp_str_make(extra, (size_t)(be.p - be.start));
	inv.ctype = a->ctype;
	inv.body = a->body;
	inv.app = a->app;
	if (a->has_dest)
		inv.dest = a->dest;
	else if (ua->resolve == NULL || ua->resolve(ua->user, inv.ruri, &inv.dest) != 0)
		inv.dest = d->peer;
	rc = (bt.overflow || bf.overflow || be.overflow) ? -EMSGSIZE
							 : sipdp_ua_invite(ua, &inv, now_us, &nh);
	x = ux_get(ua, h);
	if (rc != 0) {
		if (x != NULL) {
			if (x->flags & UXF_SUB) {
				ux_notify(ua, x, 503, true, now_us);
			} else {
				x->final_status = 503;
				ux_finish(ua, x, now_us);
			}
		}
		return rc;
	}
	nd = ua_get(ua, nh);
	if (x != NULL && nd != NULL) {
		ua_sess(nd)->xflags |= UX_CALL;
		ua_sess(nd)->xlink = h;
		x->call = nh;
	}
	if (call)
		*call = nh;
	return 0;
}
