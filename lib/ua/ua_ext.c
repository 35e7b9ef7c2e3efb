/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Glue between the invite-session core and its extensions (RFC 3262 PRACK,
 * RFC 3311 UPDATE, RFC 4028 session timers): the hooks the core calls, the
 * option-tag checks of a new INVITE, the header lines the extensions add to
 * one message (ua->xhdr), offer/answer bookkeeping. No allocation: buffers
 * come from the UA's message-buffer pool.
 */
#include "ua_pvt.h"

/* Everything we can be asked to Require (RFC 3261 §8.2.2.3). "replaces"
 * belongs to the transfer half of lib/ua; accepting it here keeps the
 * behaviour the core had before option tags were checked. */
static bool
tag_supported(const struct sipdp_ua *ua, struct sipdp_str t)
{
	if (sipdp_str_caseeq(t, SIPDP_STR("100rel")))
		return ua->rel100 != SIPDP_UA_100REL_OFF;
	if (sipdp_str_caseeq(t, SIPDP_STR("timer")))
		return ua->se_s != 0;
	return sipdp_str_caseeq(t, SIPDP_STR("replaces"));
}

void
uext_reset(struct sipdp_ua *ua)
{
	ua->xhdr = sipdp_str_make(ua->xbuf, 0);
}

void
uext_put(struct sipdp_ua *ua, const char *p, uint32_t n)
{
	/* The lines we add are bounded well below UA_XBUF_LEN; a cut line
	 * would be a bug, counted rather than sent. */
	if (ua->xhdr.len + n > UA_XBUF_LEN) {
		ua->stats.build_errors++;
		return;
	}
	memcpy(ua->xbuf + ua->xhdr.len, p, n);
	ua->xhdr.len += n;
}

void
uext_put_u32(struct sipdp_ua *ua, uint32_t v)
{
	char tmp[12];

	uext_put(ua, tmp, sipdp_u32_to_dec(tmp, v));
}

struct ua_ext *
uext_get(struct sipdp_ua *ua, struct sipdp_dlg *d)
{
	struct ua_ext *x = &ua_sess(d)->x;

	if (!(x->xf & UX_OA_INIT)) {
		/* A fork's early dialog answers the same INVITE offer. */
		struct sipdp_dlg *head = sipdp_dlg_head(ua->dt, d);
		struct ua_ext *hx = head ? &ua_sess(head)->x : x;
		x->oa = (hx->xf & UX_INV_OFFER) ? UA_OA_LOCAL : UA_OA_NONE;
		x->xf |= UX_OA_INIT | (hx->xf & (UX_ST_CFG | UX_INV_OFFER | UX_UAC_REL));
		if (hx != x) {
			x->se = hx->se;
			x->min_se = hx->min_se;
			x->pref = hx->pref;
		}
	}
	return x;
}

void
uext_emit(struct sipdp_ua *ua, uint8_t type, struct sipdp_dlg *d, uint16_t status,
	const struct sipdp_msg *m)
{
	ua_emit(ua, ua->cb.on_ext, type, d, status, m, NULL);
}

void
uext_answer(struct sipdp_ua *ua, sipdp_handle_t tsx, struct sipdp_dlg *d, uint16_t code, uint64_t now_us)
{
	struct sipdp_str extra = ua->xhdr;

	ua->xhdr = SIPDP_STR_NULL;
	ua_respond_tsx(ua, tsx, d, code, extra, SIPDP_STR_NULL, SIPDP_STR_NULL, false, now_us);
}

static void
put_allow_supported(struct sipdp_ua *ua, bool rel, bool timer)
{
	UX_PUT(ua, "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO, REFER, NOTIFY\r\n");
	if (rel && timer)
		UX_PUT(ua, "Supported: 100rel, timer\r\n");
	else if (rel)
		UX_PUT(ua, "Supported: 100rel\r\n");
	else if (timer)
		UX_PUT(ua, "Supported: timer\r\n");
}

/* ------------------------------------------------------------ timers */

void
ua_ext_fire(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us)
{
	struct ua_ext *x = &ua_sess(d)->x;

	if (x->xf & UX_REL_PEND)
		ua_prack_fire(ua, d, now_us);
	else if (x->xf & UX_ST_ON)
		ua_st_fire(ua, d, now_us);
}

void
ua_ext_end(struct sipdp_ua *ua, struct sipdp_dlg *d)
{
	struct ua_ext *x = &ua_sess(d)->x;

	ua_mb_release(ua, &x->mb);
	ua_mb_release(ua, &x->hold_mb);
	x->at1 = x->at2 = 0;
	/* a queued provisional's buffer (ua_sess.mbuf) goes with the dialog's */
	x->xf &= ~(uint32_t)(UX_REL_PEND | UX_HOLD | UX_ST_ON | UX_PRACK_DUE | UX_ACK_KEPT |
			     UX_RING_Q);
}

/* --------------------------------------------------------------- UAS */

bool
ua_ext_uas_check(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us)
{
	const struct sipdp_msg *m = ev->msg;
	const struct sipdp_hdr *h;
	bool bad = false;

	uext_reset(ua);
	for (h = sipdp_msg_hdr(m, SIPDP_HDR_REQUIRE); h != NULL; h = sipdp_msg_hdr_next(m, h)) {
		struct sipdp_str cur = h->value, tag;
		while (sipdp_list_next(&cur, &tag) == 1) {
			if (tag_supported(ua, tag))
				continue;
			if (bad)
				UX_PUT(ua, ", ");
			else
				UX_PUT(ua, "Unsupported: ");
			uext_put(ua, tag.p, tag.len);
			bad = true;
		}
	}
	if (SIPDP_UNLIKELY(bad)) {
		/* RFC 3261 §8.2.2.3 */
		UX_PUT(ua, "\r\n");
		ua->stats.sent_420++;
		uext_answer(ua, ev->tsx, NULL, 420, now_us);
		return true;
	}
	if (ua->rel100 == SIPDP_UA_100REL_REQUIRED &&
	    !sipdp_msg_has_option(m, SIPDP_HDR_REQUIRE, SIPDP_STR("100rel")) &&
	    !sipdp_msg_has_option(m, SIPDP_HDR_SUPPORTED, SIPDP_STR("100rel"))) {
		/* RFC 3262 §3 */
		UX_PUT(ua, "Require: 100rel\r\n");
		ua->stats.sent_421++;
		uext_answer(ua, ev->tsx, NULL, 421, now_us);
		return true;
	}
	if (ua->se_s && m->first[SIPDP_HDR_SESSION_EXPIRES] &&
	    sipdp_msg_has_option(m, SIPDP_HDR_SUPPORTED, SIPDP_STR("timer"))) {
		struct sipdp_session_expires se;
		/* RFC 4028 §9: too short for us and the UAC can retry. A UAC
		 * without timers gets the interval raised instead. */
		if (sipdp_session_expires_parse(sipdp_msg_hdr_value(m, SIPDP_HDR_SESSION_EXPIRES), &se) == 0 &&
		    se.delta < ua->min_se_s) {
			UX_PUT(ua, "Min-SE: ");
			uext_put_u32(ua, ua->min_se_s);
			UX_PUT(ua, "\r\n");
			ua->stats.sent_422++;
			uext_answer(ua, ev->tsx, NULL, 422, now_us);
			return true;
		}
	}
	ua->xhdr = SIPDP_STR_NULL;
	return false;
}

void
ua_ext_uas_init(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_msg *m)
{
	struct ua_ext *x = &ua_sess(d)->x;

	x->xf = UX_OA_INIT;
	x->oa = m->body.len ? UA_OA_REMOTE : UA_OA_NONE;
	x->se = ua->se_s;
	x->min_se = ua->min_se_s;
	x->pref = ua->refresher;
	if (ua->rel100 != SIPDP_UA_100REL_OFF &&
	    (sipdp_msg_has_option(m, SIPDP_HDR_REQUIRE, SIPDP_STR("100rel")) ||
	     sipdp_msg_has_option(m, SIPDP_HDR_SUPPORTED, SIPDP_STR("100rel"))))
		x->xf |= UX_REL_PEER;
	/* The option lists are read only when timers are on: a stack
	 * without them pays nothing per call (sipdp_ua_session_timer()
	 * reads them when it turns a timer on for one call). */
	if (ua->se_s) {
		x->xf |= UX_ST_CFG;
		ua_st_note_request(ua, d, m);
	}
}

bool
ua_ext_accept(struct sipdp_ua *ua, struct sipdp_dlg *d, uint16_t status, struct sipdp_str extra,
	      struct sipdp_str ctype, struct sipdp_str body, uint64_t now_us, int *rc)
{
	struct ua_sess *s = ua_sess(d);
	struct ua_ext *x = &s->x;
	sipdp_handle_t h = sipdp_dlg_handle(ua->dt, d), ist = s->inv_tsx;
	uint32_t n = 0;
	bool we = false, st;
	int len;

	if (x->xf & UX_HOLD) {
		*rc = -EINVAL; /* a 2xx is already waiting for the PRACK */
		return true;
	}
	ua_prack_unqueue(ua, d); /* a final makes a queued provisional moot */
	st = ua_st_elect(ua, d, &n, &we);
	if (!st && !(x->xf & UX_REL_PEND) && ua->rel100 == SIPDP_UA_100REL_OFF) {
		x->oa = UA_OA_NONE;
		return false; /* the core's plain path */
	}
	uext_reset(ua);
	put_allow_supported(ua, ua->rel100 == SIPDP_UA_100REL_SUPPORTED, st);
	if (st)
		ua_st_resp_hdrs(ua, d, n, we);
	x->xf &= ~(uint32_t)(UX_PEND | UX_PEND_WE);
	if (st) {
		x->pend_se = n;
		x->xf |= UX_PEND | (we ? UX_PEND_WE : 0);
	}
	if (x->xf & UX_REL_PEND) {
		/* RFC 3262 §3: no 2xx before the PRACK of a reliable 1xx
		 * (required when it carried an offer; done always, so the
		 * order on the wire is the same either way). */
		len = ua_build_response(ua, ist, d, status, extra, ctype, body, true);
		ua->xhdr = SIPDP_STR_NULL;
		if (len < 0) {
			*rc = len;
			return true;
		}
		x->hold_mb = ua_mb_alloc(ua);
		if (x->hold_mb == 0 || (uint32_t)len > ua->mb_size) {
			ua_mb_release(ua, &x->hold_mb);
			ua->stats.no_msgbuf++;
			*rc = -ENOBUFS;
			return true;
		}
		memcpy(ua_mb(ua, x->hold_mb), ua->out, (size_t)len);
		x->hold_len = (uint16_t)len;
		x->hold_status = status;
		x->xf |= UX_HOLD;
		x->oa = UA_OA_NONE;
		*rc = 0;
		return true;
	}
	len = ua_respond_tsx(ua, ist, d, status, extra, ctype, body, true, now_us);
	ua->xhdr = SIPDP_STR_NULL;
	if (len < 0) {
		if (len != -EMSGSIZE && ua_get(ua, h) != NULL) {
			s->flags |= US_FINAL_SENT;
			ua_end(ua, d, SIPDP_DLG_R_TRANSPORT, 0, SIPDP_DLG_EV_TRANSPORT, now_us);
		}
		*rc = len;
		return true;
	}
	x->oa = UA_OA_NONE;
	s->flags |= US_FINAL_SENT;
	sipdp_dlg_set_state(ua->dt, d, SIPDP_DLG_S_ESTABLISHED, SIPDP_DLG_EV_TX_2XX, status,
			    SIPDP_DLG_R_NONE, now_us);
	ua_start_2xx_retx(ua, d, ist, len, s->ack_cseq, now_us);
	if (x->xf & UX_PEND)
		ua_st_arm(ua, d, x->pend_se, (x->xf & UX_PEND_WE) != 0, now_us);
	x->xf &= ~(uint32_t)(UX_PEND | UX_PEND_WE);
	*rc = 0;
	return true;
}

/* --------------------------------------------------------------- UAC */

void
ua_ext_invite(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_ua_invite *inv)
{
	struct ua_ext *x = &ua_sess(d)->x;
	uint32_t se = inv->session_expires_s ? inv->session_expires_s : ua->se_s;
	uint8_t rel = inv->rel100 != SIPDP_UA_INVITE_100REL_DEFAULT ? (uint8_t)(inv->rel100 - 1) : ua->rel100;

	x->xf = UX_OA_INIT;
	if (rel != SIPDP_UA_100REL_OFF)
		x->xf |= UX_UAC_REL | (rel == SIPDP_UA_100REL_REQUIRED ? UX_UAC_REQ : 0);
	x->min_se = SIPDP_MAX(inv->min_se_s, ua->min_se_s);
	x->pref = inv->refresher;
	if (se == UINT32_MAX)
		se = 0;
	if (se) {
		x->se = SIPDP_MAX(se, x->min_se);
		x->xf |= UX_ST_CFG;
	}
	if (inv->body.len) {
		x->oa = UA_OA_LOCAL;
		x->xf |= UX_INV_OFFER;
	}
	if (!se && rel == SIPDP_UA_100REL_OFF) {
		ua->xhdr = SIPDP_STR_NULL;
		return;
	}
	ua_st_invite_hdrs(ua, x);
	if (se) {
		/* RFC 4028 §7.4: a 422 is retried with the same request and a
		 * larger interval: keep what the app gave (its memory is gone
		 * by then). Without a buffer the 422 simply fails the call. */
		uint32_t need = 8 + inv->extra.len + inv->ctype.len + inv->body.len;
		x->mb = need <= ua->mb_size ? ua_mb_alloc(ua) : 0;
		if (x->mb) {
			char *p = ua_mb(ua, x->mb);
			uint16_t el = (uint16_t)inv->extra.len, cl = (uint16_t)inv->ctype.len;
			uint32_t bl = inv->body.len;
			memcpy(p, &el, 2);
			memcpy(p + 2, &cl, 2);
			memcpy(p + 4, &bl, 4);
			if (el)
				memcpy(p + 8, inv->extra.p, el);
			if (cl)
				memcpy(p + 8 + el, inv->ctype.p, cl);
			if (bl)
				memcpy(p + 8 + el + cl, inv->body.p, bl);
		} else {
			ua->stats.no_msgbuf++;
		}
	}
}

/* Header lines of our INVITE (first and after a 422). */
void
ua_st_invite_hdrs(struct sipdp_ua *ua, struct ua_ext *x)
{
	uext_reset(ua);
	put_allow_supported(ua, (x->xf & (UX_UAC_REL | UX_UAC_REQ)) == UX_UAC_REL,
		(x->xf & UX_ST_CFG) != 0);
	if (x->xf & UX_UAC_REQ) {
		UX_PUT(ua, "Require: 100rel\r\n");
		if (x->xf & UX_ST_CFG)
			UX_PUT(ua, "Supported: timer\r\n");
	}
	if (x->xf & UX_ST_CFG) {
		UX_PUT(ua, "Session-Expires: ");
		uext_put_u32(ua, x->se);
		if (x->pref == SIPDP_UA_REFRESHER_UAC)
			UX_PUT(ua, ";refresher=uac");
		else if (x->pref == SIPDP_UA_REFRESHER_UAS)
			UX_PUT(ua, ";refresher=uas");
		UX_PUT(ua, "\r\nMin-SE: ");
		uext_put_u32(ua, x->min_se);
		UX_PUT(ua, "\r\n");
	}
}

void
ua_ext_uac_2xx(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_msg *m, uint64_t now_us)
{
	struct sipdp_dlg *head = sipdp_dlg_head(ua->dt, d);
	struct ua_ext *x = uext_get(ua, d);

	if (head != NULL)
		ua_mb_release(ua, &ua_sess(head)->x.mb); /* no 422 retry any more */
	x->oa = UA_OA_NONE;
	x->xf &= ~(uint32_t)UX_PRACK_DUE;
	if (!(x->xf & UX_ST_CFG))
		return; /* the peer's options matter to the session timer only */
	if (sipdp_list_has_token(sipdp_msg_hdr_value(m, SIPDP_HDR_ALLOW), SIPDP_STR("UPDATE")))
		x->xf |= UX_PEER_UPD;
	if (sipdp_msg_has_option(m, SIPDP_HDR_REQUIRE, SIPDP_STR("timer")) ||
	    sipdp_msg_has_option(m, SIPDP_HDR_SUPPORTED, SIPDP_STR("timer")))
		x->xf |= UX_PEER_TIMER;
	ua_st_got_2xx(ua, d, m, false, now_us);
}

/* ---------------------------------------------------------- in dialog */

bool
ua_ext_request(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_tsx_event *ev,
	       uint64_t now_us)
{
	uint8_t method = ev->msg->method;

	if (method == SIPDP_METHOD_PRACK) {
		ua_prack_request(ua, d, ev, now_us);
		return true;
	}
	if (method == SIPDP_METHOD_UPDATE)
		return ua_update_request(ua, d, ev, now_us);
	if (method == SIPDP_METHOD_INVITE) {
		struct ua_ext *x = uext_get(ua, d);
		if (ev->msg->body.len && (x->oa == UA_OA_LOCAL || (x->xf & UX_UPD_OFFER)) &&
		    !(ua_sess(d)->flags & US_REINV_OUT)) {
			/* Our UPDATE's offer is unanswered: the re-INVITE's
			 * offer crosses it (RFC 3311 §5.2 by analogy, §14.2). */
			ua->stats.glare_491++;
			uext_reset(ua);
			uext_answer(ua, ev->tsx, d, 491, now_us);
			return true;
		}
		ua_st_note_request(ua, d, ev->msg);
		return ua_st_check_422(ua, d, ev->tsx, now_us);
	}
	return false;
}

void
ua_ext_req_hdrs(struct sipdp_ua *ua, struct sipdp_dlg *d, uint8_t method)
{
	struct ua_ext *x = &ua_sess(d)->x;

	ua->xhdr = SIPDP_STR_NULL;
	if (!(x->xf & UX_ST_ON) || (method != SIPDP_METHOD_INVITE && method != SIPDP_METHOD_UPDATE))
		return;
	/* RFC 4028 §7.4: every session refresh request carries the
	 * interval; refresher is relative to this transaction, we are its UAC. */
	uext_reset(ua);
	UX_PUT(ua, "Session-Expires: ");
	uext_put_u32(ua, x->se);
	if (x->xf & UX_ST_WE)
		UX_PUT(ua, ";refresher=uac\r\n");
	else
		UX_PUT(ua, ";refresher=uas\r\n");
	UX_PUT(ua, "Min-SE: ");
	uext_put_u32(ua, x->min_se);
	UX_PUT(ua, "\r\nSupported: timer\r\n");
}

void
ua_ext_respond_pre(struct sipdp_ua *ua, struct sipdp_dlg *d, uint8_t method, uint16_t status)
{
	struct ua_ext *x = &ua_sess(d)->x;
	uint32_t n;
	bool we;

	ua->xhdr = SIPDP_STR_NULL;
	x->xf &= ~(uint32_t)(UX_PEND | UX_PEND_WE);
	if (status < 200 || status > 299 ||
	    (method != SIPDP_METHOD_INVITE && method != SIPDP_METHOD_UPDATE))
		return;
	if (!ua_st_elect(ua, d, &n, &we))
		return;
	uext_reset(ua);
	ua_st_resp_hdrs(ua, d, n, we);
	x->pend_se = n;
	x->xf |= UX_PEND | (we ? UX_PEND_WE : 0);
}

void
ua_ext_responded(struct sipdp_ua *ua, struct sipdp_dlg *d, uint8_t method, uint16_t status,
		 uint64_t now_us)
{
	struct ua_ext *x = &ua_sess(d)->x;

	if (status < 200)
		return;
	if (method == SIPDP_METHOD_UPDATE && (x->xf & UX_UPD_IN)) {
		x->xf &= ~(uint32_t)UX_UPD_IN;
		x->oa = UA_OA_NONE; /* answered, or refused: no offer pending */
	}
	if (!(x->xf & UX_PEND))
		return;
	x->xf &= ~(uint32_t)UX_PEND;
	ua->stats.session_refreshes++;
	ua_st_arm(ua, d, x->pend_se, (x->xf & UX_PEND_WE) != 0, now_us);
	uext_emit(ua, SIPDP_UA_EV_SESSION_REFRESHED, d, (uint16_t)SIPDP_MIN(x->pend_se, 65535u), NULL);
}

bool
ua_ext_response(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct ua_tside *side,
		const struct sipdp_msg *m, uint16_t st, uint64_t now_us)
{
	struct ua_ext *x = uext_get(ua, d);
	bool internal = side->ref >= SIPDP_UA_REF_INTERNAL;
	uint8_t method = side->kind == UA_TK_REINV_OUT ? (uint8_t)SIPDP_METHOD_INVITE : 0;

	if (m != NULL && method == 0) {
		struct sipdp_cseq cs;
		if (sipdp_msg_cseq(m, &cs) == 0)
			method = cs.method;
	}
	if (st < 200)
		return internal;
	if (method == SIPDP_METHOD_UPDATE && (x->xf & UX_UPD_OFFER) && !internal) {
		x->xf &= ~(uint32_t)UX_UPD_OFFER;
		x->oa = UA_OA_NONE;
		if (st == 491) {
			/* RFC 3311 §5.1: retry as RFC 3261 §14.1 says: the
			 * Call-ID owner waits 2.1-4 s, the other 0-2 s. */
			uint64_t r = sipdp_dlg_prf(ua->dt, ++ua->glare_ctr, 0x757064676cull);
			uint32_t ms = d->role == SIPDP_DLG_UAC ? 2100u + (uint32_t)(r % 191u) * 10u
							       : (uint32_t)(r % 201u) * 10u;
			ua_sess(d)->glare_at = now_us + (uint64_t)ms * 1000u;
			ua_timer_update(ua, d);
		}
	}
	if (m != NULL && st < 300 && (method == SIPDP_METHOD_UPDATE || method == SIPDP_METHOD_INVITE) &&
	    (x->xf & (UX_ST_ON | UX_ST_CFG)))
		ua_st_got_2xx(ua, d, m, true, now_us);
	if (!internal)
		return false;
	if (side->ref == SIPDP_UA_REF_INTERNAL + 1)
		return true; /* a PRACK's fate does not decide the INVITE's */
	if (st == 408 || st == 481) {
		/* RFC 4028 §10: the refresh failed for good: BYE. */
		sipdp_handle_t h = sipdp_dlg_handle(ua->dt, d);
		ua_send_bye(ua, d, now_us);
		d = ua_get(ua, h);
		if (d != NULL)
			ua_end(ua, d, st == 408 ? SIPDP_DLG_R_TIMEOUT : SIPDP_DLG_R_REJECTED, st,
			       SIPDP_DLG_EV_TX_BYE, now_us);
		return true;
	}
	if (st == 422 && m != NULL && (x->xf & UX_ST_ON)) {
		/* RFC 4028 §7.4: raise to the peer's Min-SE and refresh again. */
		uint32_t v;
		if (sipdp_uint_parse(sipdp_msg_hdr_value(m, SIPDP_HDR_MIN_SE), UINT32_MAX / 2, &v, NULL) == 0) {
			x->min_se = SIPDP_MAX(x->min_se, v);
			x->se = SIPDP_MAX(x->se, x->min_se);
			x->at1 = now_us;
			ua_timer_update(ua, d);
		}
		return true;
	}
	if (st >= 300 && (x->xf & UX_ST_ON) && (x->xf & UX_ST_WE) && side->ref != SIPDP_UA_REF_INTERNAL + 1) {
		/* A refused refresh (491, 500...): one more try in 2 s while
		 * the session lasts; else it expires. */
		uint64_t at = now_us + 2 * 1000000ull;
		if (x->at2 && at < x->at2) {
			x->at1 = at;
			ua_timer_update(ua, d);
		}
	}
	return true;
}

/* ---------------------------------------------------------------- API */

int
sipdp_ua_session_timer(struct sipdp_ua *ua, sipdp_handle_t h, uint32_t expires_s, uint8_t refresher)
{
	struct sipdp_dlg *d = ua_get(ua, h);
	struct ua_ext *x;

	if (d == NULL)
		return -ENOENT;
	if (d->role != SIPDP_DLG_UAS || (ua_sess(d)->flags & US_FINAL_SENT) ||
	    refresher > SIPDP_UA_REFRESHER_UAS)
		return -EINVAL;
	x = &ua_sess(d)->x;
	x->pref = refresher;
	if (ua->se_s == 0 && ua->cur_req != NULL && ua->cur_tsx == ua_sess(d)->inv_tsx)
		ua_st_note_request(ua, d, ua->cur_req);
	if (expires_s == UINT32_MAX) {
		x->xf &= ~(uint32_t)UX_ST_CFG;
		return 0;
	}
	x->se = SIPDP_MAX(expires_s ? expires_s : (ua->se_s ? ua->se_s : 1800u), x->min_se);
	x->xf |= UX_ST_CFG;
	return 0;
}

int
sipdp_ua_session_info(const struct sipdp_ua *ua, sipdp_handle_t h, struct sipdp_ua_session_info *info)
{
	struct sipdp_dlg *d = ua_get(ua, h);
	const struct ua_ext *x;

	if (d == NULL || info == NULL)
		return -ENOENT;
	x = &ua_sess(d)->x;
	memset(info, 0, sizeof(*info));
	info->min_se_s = x->min_se;
	info->peer_update = (x->xf & UX_PEER_UPD) != 0;
	if (x->xf & UX_ST_ON) {
		info->expires_s = x->se;
		info->we_refresh = (x->xf & UX_ST_WE) != 0;
		info->refresh_at = x->at1;
		info->expire_at = x->at2;
	}
	return 0;
}
