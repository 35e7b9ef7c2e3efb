/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UPDATE (RFC 3311) in early and confirmed dialogs, both directions, with
 * one offer at a time per dialog (§5.1, §5.2): 491 when offers cross, 500
 * with Retry-After when the peer's earlier offer is still unanswered.
 * A bodyless UPDATE is a session refresh (RFC 4028): answered here.
 */
#include "ua_pvt.h"

static const struct sipdp_str s_update = SIPDP_STR("UPDATE");

int
sipdp_ua_update(struct sipdp_ua *ua, sipdp_handle_t h, struct sipdp_str extra, struct sipdp_str ctype,
		struct sipdp_str body, uint64_t req_ref, uint64_t now_us)
{
	struct sipdp_dlg *d = ua_get(ua, h);
	struct ua_ext *x;
	int rc;

	if (d == NULL)
		return -ENOENT;
	if (!(d->flags & SIPDP_DLG_F_HAS_RTAG) || req_ref >= SIPDP_UA_REF_INTERNAL)
		return -EINVAL;
	x = uext_get(ua, d);
	if (body.len && (x->oa != UA_OA_NONE || (x->xf & UX_UPD_OFFER) ||
			 (ua_sess(d)->flags & (US_REINV_OUT | US_REINV_IN))))
		return -EBUSY; /* §5.1 */
	if (body.len && ua_sess(d)->glare_at)
		return -EAGAIN; /* the §14.1 wait after a 491 */
	rc = sipdp_ua_request(ua, h, s_update, extra, ctype, body, req_ref, now_us);
	if (rc != 0)
		return rc;
	ua->stats.update_out++;
	d = ua_get(ua, h);
	if (d != NULL && body.len) {
		x = &ua_sess(d)->x;
		x->oa = UA_OA_LOCAL;
		x->xf |= UX_UPD_OFFER;
	}
	return 0;
}

bool
ua_update_request(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_tsx_event *ev,
		  uint64_t now_us)
{
	const struct sipdp_msg *m = ev->msg;
	struct ua_sess *s = ua_sess(d);
	struct ua_ext *x = uext_get(ua, d);
	sipdp_handle_t h = sipdp_dlg_handle(ua->dt, d);

	ua->stats.update_in++;
	ua_st_note_request(ua, d, m);
	if (m->body.len) {
		if (x->oa == UA_OA_LOCAL || (x->xf & UX_UPD_OFFER) || (s->flags & US_REINV_OUT)) {
			/* §5.2: our offer is unanswered: glare. */
			ua->stats.update_491++;
			uext_reset(ua);
			uext_answer(ua, ev->tsx, d, 491, now_us);
			return true;
		}
		if (x->oa == UA_OA_REMOTE || (x->xf & UX_UPD_IN) || (s->flags & US_REINV_IN)) {
			/* §5.2: the peer's previous offer is unanswered. */
			ua->stats.update_500++;
			uext_reset(ua);
			UX_PUT(ua, "Retry-After: ");
			uext_put_u32(ua, (uint32_t)(sipdp_dlg_prf(ua->dt, ua->glare_ctr++, 0x757064u) % 11u));
			UX_PUT(ua, "\r\n");
			uext_answer(ua, ev->tsx, d, 500, now_us);
			return true;
		}
	}
	if (ua_st_check_422(ua, d, ev->tsx, now_us))
		return true;
	if (m->body.len) {
		/* An offer: the application answers (sipdp_ua_respond()). */
		if (ua->cb.on_request == NULL) {
			uext_reset(ua);
			uext_answer(ua, ev->tsx, d, 488, now_us);
			return true;
		}
		x->oa = UA_OA_REMOTE;
		x->xf |= UX_UPD_IN;
		return false;
	}
	/* No offer: a session refresh or a target refresh. §5.2: the 2xx
	 * carries our Contact (UPDATE is a target refresh request). */
	sipdp_dlg_refresh_target(ua->dt, d, m);
	ua_ext_respond_pre(ua, d, SIPDP_METHOD_UPDATE, 200);
	{
		struct sipdp_str extra = ua->xhdr;
		ua->xhdr = SIPDP_STR_NULL;
		if (ua_respond_tsx(ua, ev->tsx, d, 200, extra, SIPDP_STR_NULL, SIPDP_STR_NULL, true, now_us) <
		    0)
			return true;
	}
	d = ua_get(ua, h);
	if (d != NULL)
		ua_ext_responded(ua, d, SIPDP_METHOD_UPDATE, 200, now_us);
	return true;
}
