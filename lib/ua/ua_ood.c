/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Requests outside any dialog (RFC 3261 §8.1.1, §11): an OPTIONS probe of
 * a destination, typically, for a B2BUA choosing where to send calls. A
 * client transaction of its own, no dialog: the transaction side entry
 * keeps the application's reference and whether the outcome was reported,
 * the transaction's user_ref the method. Call-ID and From tag carry our
 * shard like a dialog's; the branch does, so the response comes back here.
 */
#include "ua_pvt.h"

/* RFC 3261 §25.1 token characters. */
static bool
is_token(struct sipdp_str t)
{
	static const char extra[] = "-.!%*_+`'~";

	if (t.len == 0)
		return false;
	for (uint32_t i = 0; i < t.len; i++) {
		char c = t.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c != 0 && memchr(extra, c, sizeof(extra) - 1) != NULL)))
			return false;
	}
	return true;
}

static void
put_hex(char *out, uint64_t v, unsigned digits)
{
	static const char hexd[16] = "0123456789abcdef";

	for (unsigned i = digits; i-- > 0;) {
		out[i] = hexd[v & 15];
		v >>= 4;
	}
}

int
sipdp_ua_request_out(struct sipdp_ua *ua, const struct sipdp_ua_oodreq *r, uint64_t now_us)
{
	char br[SIPDP_TSX_BRANCH_LEN], cid[SIPDP_DLG_CALL_ID_LEN], tag[SIPDP_DLG_TAG_LEN];
	const struct ua_idv *id;
	struct sipdp_str contact;
	struct sipdp_build b;
	enum sipdp_method mid;
	sipdp_handle_t tsx;
	uint8_t ix;
	int rc, len;

	if (ua == NULL || r == NULL || r->ruri.len == 0 || !is_token(r->method) ||
	    r->req_ref >= SIPDP_UA_REF_INTERNAL)
		return -EINVAL;
	mid = sipdp_method_lookup(r->method.p, r->method.len);
	if (mid == SIPDP_METHOD_INVITE || mid == SIPDP_METHOD_ACK || mid == SIPDP_METHOD_CANCEL ||
	    mid == SIPDP_METHOD_BYE || mid == SIPDP_METHOD_PRACK)
		return -EINVAL; /* dialog methods have their own functions */
	ua->now_us = now_us;
	ix = ua_ident(ua, r->dest.transport, r->dest.family, r->ruri);
	id = &ua->id[ix & UA_ID_INDEX];
	contact = (ix & UA_ID_SIPS) && id->contact_sips.len ? id->contact_sips : id->contact;

	rc = sipdp_tsx_client_alloc(ua->tt, mid, 1, (uint64_t)mid, br, &tsx);
	if (rc != 0) {
		ua->stats.tsx_full++;
		return -ENOSPC;
	}
	/* §8.1.1.4, §8.1.1.3: a new Call-ID and From tag ("sd" + shard, as
	 * the dialog table writes them, so sipdp_ua_id_shard() reads both). */
	sipdp_dlg_new_call_id(ua->dt, cid);
	memcpy(tag, cid, 6); /* "sd" + shard */
	put_hex(tag + 6, sipdp_dlg_prf(ua->dt, 0x6f6f647461670000ull | ua->shard_id, ++ua->ood_ctr),
		SIPDP_DLG_TAG_LEN - 6);

	sipdp_build_init(&b, ua->out, UA_OUT_LEN);
	sipdp_build_request_line(&b, r->method, r->ruri);
	sipdp_build_hdr_begin(&b, SIPDP_HDR_VIA);
	sipdp_build_str(&b, id->via_pfx);
	sipdp_build_raw(&b, br, sizeof(br));
	sipdp_build_hdr_end(&b);
	sipdp_build_hdr(&b, SIPDP_HDR_MAX_FORWARDS, SIPDP_STR("70"));
	sipdp_build_hdr_begin(&b, SIPDP_HDR_FROM);
	if (r->from.len) {
		sipdp_build_str(&b, r->from);
	} else if (memchr(contact.p, '<', contact.len) != NULL) {
		sipdp_build_str(&b, contact);
	} else {
		sipdp_build_raw(&b, "<", 1); /* a bare URI: its params must stay its own */
		sipdp_build_str(&b, contact);
		sipdp_build_raw(&b, ">", 1);
	}
	sipdp_build_raw(&b, ";tag=", 5);
	sipdp_build_raw(&b, tag, sizeof(tag));
	sipdp_build_hdr_end(&b);
	sipdp_build_hdr_begin(&b, SIPDP_HDR_TO);
	sipdp_build_raw(&b, "<", 1);
	sipdp_build_str(&b, r->ruri);
	sipdp_build_raw(&b, ">", 1);
	sipdp_build_hdr_end(&b);
	sipdp_build_hdr(&b, SIPDP_HDR_CALL_ID, sipdp_str_make(cid, sizeof(cid)));
	sipdp_build_cseq(&b, 1, r->method);
	sipdp_build_hdr(&b, SIPDP_HDR_CONTACT, contact); /* §11.1: MAY */
	if (ua->ua_name.len)
		sipdp_build_hdr(&b, SIPDP_HDR_USER_AGENT, ua->ua_name);
	if (r->extra.len)
		sipdp_build_raw(&b, r->extra.p, r->extra.len);
	sipdp_build_body(&b, SIPDP_STR_NULL, SIPDP_STR_NULL);
	len = sipdp_build_finish(&b);
	if (SIPDP_UNLIKELY(len < 0)) {
		ua->stats.build_errors++;
		sipdp_tsx_client_abort(ua->tt, tsx);
		return -EMSGSIZE;
	}
	ua_side(ua, tsx)->kind = UA_TK_OOD_OUT;
	ua_side(ua, tsx)->ref = r->req_ref;
	ua_side(ua, tsx)->final = 0;
	ua->stats.ood_out++;
	rc = sipdp_tsx_client_send(ua->tt, tsx, ua->out, (uint32_t)len, &r->dest, now_us);
	if (rc == -ENOBUFS) {
		ua_side(ua, tsx)->kind = UA_TK_NONE;
		sipdp_tsx_client_abort(ua->tt, tsx);
		ua->stats.ood_out--;
		return -ENOSPC;
	}
	/* A send error was reported (503) by the transaction's events. */
	return 0;
}

void
ua_ood_response(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev)
{
	struct ua_tside *side = ua_side(ua, ev->tsx);
	const struct sipdp_msg *m = ev->msg;
	struct sipdp_ua_event e;

	if (side->final || (m != NULL && m->status < 200))
		return; /* reported already; provisionals are not */
	side->final = 1;
	e = (struct sipdp_ua_event){
		.type = SIPDP_UA_EV_RESPONSE,
		.method = (uint8_t)ev->user_ref,
		.status = m != NULL ? m->status
				    : (ev->type == SIPDP_TSX_EV_TRANSPORT_ERROR ? 503 : 408),
		.dlg = SIPDP_HANDLE_INVALID,
		.req_ref = side->ref,
		.msg = m,
		.src = m != NULL ? ev->src : NULL,
	};
	if (ua->cb.on_response)
		ua->cb.on_response(ua->user, &e);
}
