/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session timers (RFC 4028): interval and refresher negotiation on both
 * sides, 422 and its retry, refreshes by UPDATE or re-INVITE, the timer
 * re-armed by every successful refresh, BYE when the session expires.
 * The timer is one deadline pair on the dialog's single wheel entry.
 */
#include "ua_pvt.h"

static const struct sipdp_str s_invite = SIPDP_STR("INVITE");
static const struct sipdp_str s_update = SIPDP_STR("UPDATE");

void
ua_st_note_request(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_msg *m)
{
	struct ua_ext *x = uext_get(ua, d);
	struct sipdp_session_expires se;
	uint32_t v;

	x->xf &= ~(uint32_t)UX_REQ_SE;
	x->req_se = 0;
	x->req_ref = SIPDP_REFRESHER_NONE;
	x->req_min = 90;
	if (m->first[SIPDP_HDR_SESSION_EXPIRES] &&
	    sipdp_session_expires_parse(sipdp_msg_hdr_value(m, SIPDP_HDR_SESSION_EXPIRES), &se) == 0) {
		x->xf |= UX_REQ_SE;
		x->req_se = se.delta;
		x->req_ref = se.refresher;
	}
	if (m->first[SIPDP_HDR_MIN_SE] &&
	    sipdp_uint_parse(sipdp_msg_hdr_value(m, SIPDP_HDR_MIN_SE), UINT32_MAX / 2, &v, NULL) == 0)
		x->req_min = SIPDP_MAX(v, 90u);
	if (sipdp_msg_has_option(m, SIPDP_HDR_SUPPORTED, SIPDP_STR("timer")) ||
	    sipdp_msg_has_option(m, SIPDP_HDR_REQUIRE, SIPDP_STR("timer")))
		x->xf |= UX_PEER_TIMER;
	if (sipdp_list_has_token(sipdp_msg_hdr_value(m, SIPDP_HDR_ALLOW), s_update))
		x->xf |= UX_PEER_UPD;
}

bool
ua_st_check_422(struct sipdp_ua *ua, struct sipdp_dlg *d, sipdp_handle_t tsx, uint64_t now_us)
{
	struct ua_ext *x = &ua_sess(d)->x;

	if (!(x->xf & (UX_ST_CFG | UX_ST_ON)) || !(x->xf & UX_REQ_SE) || !(x->xf & UX_PEER_TIMER) ||
	    x->req_se >= x->min_se)
		return false;
	uext_reset(ua);
	UX_PUT(ua, "Min-SE: ");
	uext_put_u32(ua, x->min_se);
	UX_PUT(ua, "\r\n");
	ua->stats.sent_422++;
	uext_answer(ua, tsx, d, 422, now_us);
	return true;
}

/*
 * As the UAS of an INVITE or UPDATE: the interval and the refresher of our
 * 2xx (RFC 4028 §9). The UAC's choice wins; left open, we pick when it
 * supports timers, else we refresh ourselves (it cannot).
 */
bool
ua_st_elect(struct sipdp_ua *ua, struct sipdp_dlg *d, uint32_t *n, bool *we)
{
	struct ua_ext *x = &ua_sess(d)->x;
	uint8_t r;

	(void)ua;
	if (!(x->xf & (UX_ST_CFG | UX_ST_ON)))
		return false;
	if (x->xf & UX_REQ_SE)
		*n = x->req_se;
	else
		*n = x->se;
	/* errata 1687: never below either side's minimum */
	*n = SIPDP_MAX(*n, SIPDP_MAX(x->req_min, x->min_se));
	if ((x->xf & UX_REQ_SE) && x->req_ref != SIPDP_REFRESHER_NONE)
		r = x->req_ref == SIPDP_REFRESHER_UAS ? SIPDP_UA_REFRESHER_UAS : SIPDP_UA_REFRESHER_UAC;
	else if (x->xf & UX_PEER_TIMER)
		r = x->pref == SIPDP_UA_REFRESHER_UAS ? SIPDP_UA_REFRESHER_UAS : SIPDP_UA_REFRESHER_UAC;
	else
		r = SIPDP_UA_REFRESHER_UAS;
	*we = r == SIPDP_UA_REFRESHER_UAS;
	return true;
}

void
ua_st_resp_hdrs(struct sipdp_ua *ua, struct sipdp_dlg *d, uint32_t n, bool we)
{
	struct ua_ext *x = &ua_sess(d)->x;

	UX_PUT(ua, "Session-Expires: ");
	uext_put_u32(ua, n);
	if (we)
		UX_PUT(ua, ";refresher=uas\r\n");
	else
		UX_PUT(ua, ";refresher=uac\r\n");
	/* §9: Require only towards a UAC that supports it. */
	if (x->xf & UX_PEER_TIMER)
		UX_PUT(ua, "Require: timer\r\n");
}

void
ua_st_arm(struct sipdp_ua *ua, struct sipdp_dlg *d, uint32_t n, bool we, uint64_t now_us)
{
	struct ua_ext *x = &ua_sess(d)->x;

	x->se = n;
	x->xf |= UX_ST_ON;
	if (we)
		x->xf |= UX_ST_WE;
	else
		x->xf &= ~(uint32_t)UX_ST_WE;
	/* §10: the refresher refreshes at half the interval; the other side
	 * ends an unrefreshed session min(32, n/3) s before it expires. The
	 * refresher learns of a failed refresh from its transaction (BYE on
	 * 408/481); its own deadline is only the backstop at n. */
	x->at1 = we ? now_us + (uint64_t)n * 500000u : 0;
	x->at2 = now_us + (uint64_t)(we ? n : n - SIPDP_MIN(32u, n / 3)) * 1000000u;
	ua_timer_update(ua, d);
}

static void
st_off(struct sipdp_ua *ua, struct sipdp_dlg *d)
{
	struct ua_ext *x = &ua_sess(d)->x;

	x->xf &= ~(uint32_t)(UX_ST_ON | UX_ST_WE);
	x->at1 = x->at2 = 0;
	ua_timer_update(ua, d);
}

/* A 2xx to our INVITE (refresh false) or to a refresh we sent. */
void
ua_st_got_2xx(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_msg *m, bool refresh,
	      uint64_t now_us)
{
	struct ua_ext *x = &ua_sess(d)->x;
	struct sipdp_session_expires se;

	if (m->first[SIPDP_HDR_SESSION_EXPIRES] &&
	    sipdp_session_expires_parse(sipdp_msg_hdr_value(m, SIPDP_HDR_SESSION_EXPIRES), &se) == 0 &&
	    se.delta > 0) {
		/* §7.2: refresher relative to this transaction; we are its
		 * UAC; a missing one means us. */
		ua_st_arm(ua, d, se.delta, se.refresher != SIPDP_REFRESHER_UAS, now_us);
	} else if (refresh && (x->xf & UX_ST_ON) && !(x->xf & UX_PEER_TIMER)) {
		/* A peer without timers never says: we run it alone. */
		ua_st_arm(ua, d, x->se, (x->xf & UX_ST_WE) != 0, now_us);
	} else {
		/* §7.2: no Session-Expires, no session expiration. */
		st_off(ua, d);
		return;
	}
	if (refresh) {
		ua->stats.session_refreshes++;
		uext_emit(ua, SIPDP_UA_EV_SESSION_REFRESHED, d, (uint16_t)SIPDP_MIN(x->se, 65535u), m);
	}
}

static void
st_refresh(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us)
{
	struct ua_ext *x = &ua_sess(d)->x;
	sipdp_handle_t h = sipdp_dlg_handle(ua->dt, d);
	int rc;

	if (x->xf & UX_PEER_UPD) {
		/* §10: UPDATE when the peer allows it: no offer/answer. */
		rc = sipdp_ua_request(ua, h, s_update, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
				      SIPDP_UA_REF_INTERNAL + 2, now_us);
		if (rc == 0)
			ua->stats.update_out++;
	} else {
		/* A re-INVITE should repeat the session description (§10):
		 * only the application has it. */
		uext_emit(ua, SIPDP_UA_EV_REFRESH_DUE, d, (uint16_t)SIPDP_MIN(x->se, 65535u), NULL);
		d = ua_get(ua, h);
		if (d == NULL || (ua_sess(d)->flags & US_REINV_OUT))
			return; /* gone, or refreshed by the application */
		rc = sipdp_ua_reinvite(ua, h, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
				       SIPDP_UA_REF_INTERNAL + 3, now_us);
	}
	d = ua_get(ua, h);
	if (d != NULL && (rc == -EBUSY || rc == -EAGAIN || rc == -ENOSPC)) {
		/* Another INVITE is in progress (it refreshes too if it
		 * succeeds) or no room: look again in a second. */
		x = &ua_sess(d)->x;
		if (x->at2 && now_us + 1000000u < x->at2) {
			x->at1 = now_us + 1000000u;
			ua_timer_update(ua, d);
		}
	}
}

void
ua_st_fire(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us)
{
	struct ua_ext *x = &ua_sess(d)->x;
	sipdp_handle_t h = sipdp_dlg_handle(ua->dt, d);

	if (x->at2 && x->at2 <= now_us) {
		/* §10: not refreshed in time: BYE. */
		x->at1 = x->at2 = 0;
		x->xf &= ~(uint32_t)UX_ST_ON;
		ua->stats.session_expiries++;
		uext_emit(ua, SIPDP_UA_EV_SESSION_EXPIRED, d, 0, NULL);
		d = ua_get(ua, h);
		if (d == NULL)
			return;
		ua_send_bye(ua, d, now_us);
		d = ua_get(ua, h);
		if (d != NULL)
			ua_end(ua, d, SIPDP_DLG_R_TIMEOUT, 0, SIPDP_DLG_EV_TIMEOUT, now_us);
		return;
	}
	if (x->at1 && x->at1 <= now_us) {
		x->at1 = 0;
		if (d->state == SIPDP_DLG_S_ESTABLISHED)
			st_refresh(ua, d, now_us);
	}
}

bool
ua_st_retry_422(struct sipdp_ua *ua, struct sipdp_dlg *head, const struct sipdp_tsx_event *ev,
		uint64_t now_us)
{
	struct ua_sess *s = ua_sess(head);
	struct ua_ext *x = &s->x;
	struct sipdp_tsx_info info;
	char br[SIPDP_TSX_BRANCH_LEN];
	sipdp_handle_t h = sipdp_dlg_handle(ua->dt, head), tsx;
	struct sipdp_str extra, ctype, body;
	uint16_t el, cl;
	uint32_t bl, v, cseq;
	const char *p;
	int len, rc;

	/* Once, from a dialog set that is still only an INVITE (no early
	 * dialog has a To tag we would have to drop). */
	if (!(x->xf & UX_ST_CFG) || (x->xf & UX_RETRIED) || x->mb == 0 ||
	    (head->flags & SIPDP_DLG_F_HAS_RTAG) || sipdp_dlg_set_next(ua->dt, head) != NULL ||
	    (s->flags & US_CANCELLED) || ev->msg == NULL ||
	    sipdp_uint_parse(sipdp_msg_hdr_value(ev->msg, SIPDP_HDR_MIN_SE), UINT32_MAX / 2, &v, NULL) != 0 ||
	    sipdp_tsx_info(ua->tt, ev->tsx, &info) != 0)
		return false;
	cseq = head->local_cseq + 1;
	if (sipdp_tsx_client_alloc(ua->tt, SIPDP_METHOD_INVITE, cseq, h, br, &tsx) != 0) {
		ua->stats.tsx_full++;
		return false;
	}
	/* §7.4: Session-Expires raised to at least the Min-SE of the 422,
	 * which goes in the new request's Min-SE too. */
	x->min_se = SIPDP_MAX(x->min_se, v);
	x->se = SIPDP_MAX(x->se, x->min_se);
	p = ua_mb(ua, x->mb);
	memcpy(&el, p, 2);
	memcpy(&cl, p + 2, 2);
	memcpy(&bl, p + 4, 4);
	extra = sipdp_str_make(p + 8, el);
	ctype = sipdp_str_make(p + 8 + el, cl);
	body = sipdp_str_make(p + 8 + el + cl, bl);
	ua_st_invite_hdrs(ua, x);
	ua->mf = x->max_fwd; /* the same request (§7.4), the same count */
	len = ua_build_request(ua, ua->out, head, s_invite, cseq, br, sizeof(br), extra, ctype, body,
			       true);
	ua->xhdr = SIPDP_STR_NULL;
	if (len < 0) {
		sipdp_tsx_client_abort(ua->tt, tsx);
		return false;
	}
	head->local_cseq = cseq;
	/* The old transaction ends quietly: it is no longer the dialog's. */
	ua_side(ua, ev->tsx)->kind = UA_TK_NONE;
	ua_side(ua, tsx)->kind = UA_TK_INV_OUT;
	s->inv_tsx = tsx;
	s->inv_cseq = cseq;
	x->xf |= UX_RETRIED;
	ua->stats.retry_422++;
	rc = sipdp_tsx_client_send(ua->tt, tsx, ua->out, (uint32_t)len, &info.dest, now_us);
	if (rc == -ENOBUFS) {
		ua_side(ua, tsx)->kind = UA_TK_NONE;
		sipdp_tsx_client_abort(ua->tt, tsx);
		s->inv_tsx = SIPDP_HANDLE_INVALID;
		return false;
	}
	return true; /* a send error is reported by the new transaction */
}
