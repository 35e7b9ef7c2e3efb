/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Requests inside a dialog (RFC 3261 §12.2, §14, §15): BYE both ways,
 * re-INVITE both ways with target refresh, 491 glare and the §14.1 retry
 * wait, and the generic request/response plumbing later extensions (PRACK,
 * UPDATE, REFER/NOTIFY, session timers) use.
 */
#include "ua_pvt.h"

static const struct sipdp_str s_invite = SIPDP_STR("INVITE");

static bool
is_target_refresh(uint8_t method)
{
	/* RFC 3261 §12.2 (re-INVITE), RFC 3311 (UPDATE), RFC 6665
	 * (SUBSCRIBE, NOTIFY), RFC 3515 (REFER). */
	return method == SIPDP_METHOD_INVITE || method == SIPDP_METHOD_UPDATE ||
	       method == SIPDP_METHOD_SUBSCRIBE || method == SIPDP_METHOD_NOTIFY ||
	       method == SIPDP_METHOD_REFER;
}

static void
emit_request(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_tsx_event *ev)
{
	struct sipdp_ua_event e = {
		.type = SIPDP_UA_EV_REQUEST,
		.method = ev->msg->method,
		.dlg = sipdp_dlg_handle(ua->dt, d),
		.req = ev->tsx,
		.app = ua_sess(d)->app,
		.msg = ev->msg,
		.src = ev->src,
	};

	ua->cb.on_request(ua->user, &e);
}

static SIPDP_COLD void
answer(struct sipdp_ua *ua, sipdp_handle_t tsx, struct sipdp_dlg *d, uint16_t code,
       struct sipdp_str extra, uint64_t now_us)
{
	ua_respond_tsx(ua, tsx, d, code, extra, SIPDP_STR_NULL, SIPDP_STR_NULL, false, now_us);
}

void
ua_indlg_request(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us)
{
	const struct sipdp_msg *m = ev->msg;
	struct sipdp_nameaddr to, from;
	struct sipdp_cseq cs;
	struct sipdp_dlg *d;
	struct ua_sess *s;
	struct ua_tside *side = ua_side(ua, ev->tsx);
	sipdp_handle_t h;

	if (sipdp_msg_to(m, &to) != 0 || sipdp_msg_from(m, &from) != 0 || sipdp_msg_cseq(m, &cs) != 0) {
		answer(ua, ev->tsx, NULL, 400, SIPDP_STR_NULL, now_us);
		return;
	}
	d = sipdp_dlg_find(ua->dt, sipdp_msg_call_id(m), to.tag, from.tag);
	if (d == NULL || (ua_sess(d)->flags & US_TERM)) {
		/* §12.2.2: no such dialog. */
		ua->stats.answered_481++;
		answer(ua, ev->tsx, NULL, 481, SIPDP_STR_NULL, now_us);
		return;
	}
	if (sipdp_dlg_check_request(ua->dt, d, cs.num, (enum sipdp_method)m->method) != 0) {
		ua->stats.cseq_500++;
		answer(ua, ev->tsx, d, 500, SIPDP_STR_NULL, now_us);
		return;
	}
	s = ua_sess(d);
	h = sipdp_dlg_handle(ua->dt, d);
	sipdp_tsx_set_user_ref(ua->tt, ev->tsx, h);
	if (ua->resolve == NULL && ev->src)
		d->peer = *ev->src;
	if ((m->method == SIPDP_METHOD_REFER || m->method == SIPDP_METHOD_NOTIFY) && ua->xfer != NULL &&
	    ua_xfer_request(ua, d, ev, now_us))
		return;
	if (ua_ext_request(ua, d, ev, now_us))
		return; /* PRACK, bodyless UPDATE, 491/500/422 */

	if (m->method == SIPDP_METHOD_BYE) {
		answer(ua, ev->tsx, d, 200, SIPDP_STR_NULL, now_us);
		if (d->role == SIPDP_DLG_UAS && !(s->flags & US_FINAL_SENT) &&
		    s->inv_tsx != SIPDP_HANDLE_INVALID) {
			/* §15.1.2: BYE in an early dialog; the INVITE gets 487. */
			ua_respond_tsx(ua, s->inv_tsx, d, 487, SIPDP_STR_NULL, SIPDP_STR_NULL,
				       SIPDP_STR_NULL, false, now_us);
			ua_mb_release(ua, &ua_side(ua, s->inv_tsx)->mbuf);
			s->flags |= US_FINAL_SENT;
		}
		sipdp_dlg_note(d, SIPDP_DLG_EV_RX_BYE, 0, now_us);
		ua_end(ua, d, SIPDP_DLG_R_REMOTE_BYE, 0, SIPDP_DLG_EV_RX_BYE, now_us);
		return;
	}
	if (m->method == SIPDP_METHOD_INVITE) {
		if (s->flags & (US_REINV_OUT | US_ACK_HELD)) {
			/* §14.2: our own re-INVITE is pending (its offer or
			 * answer still to go in the held ACK): glare. */
			ua->stats.glare_491++;
			answer(ua, ev->tsx, d, 491, SIPDP_STR_NULL, now_us);
			return;
		}
		if (d->state != SIPDP_DLG_S_ESTABLISHED || (s->flags & (US_REINV_IN | US_ACK_WAIT))) {
			/* §14.2: an INVITE of ours is not finished (no final
			 * sent, or no ACK yet): 500 with Retry-After. */
			char ra[40];
			uint32_t n = 13;
			memcpy(ra, "Retry-After: ", 13);
			n += sipdp_u32_to_dec(ra + n, 1 + (uint32_t)(sipdp_dlg_prf(ua->dt, ua->glare_ctr++, 3) % 10));
			ra[n++] = '\r';
			ra[n++] = '\n';
			answer(ua, ev->tsx, d, 500, sipdp_str_make(ra, n), now_us);
			return;
		}
		sipdp_dlg_refresh_target(ua->dt, d, m);
		side->kind = UA_TK_REINV_IN;
		s->flags |= US_REINV_IN;
		s->inv_tsx = ev->tsx;
		if (ua->cb.on_request == NULL) {
			answer(ua, ev->tsx, d, 488, SIPDP_STR_NULL, now_us);
			s->flags &= (uint16_t)~US_REINV_IN;
			return;
		}
	} else {
		if (is_target_refresh(m->method))
			sipdp_dlg_refresh_target(ua->dt, d, m);
		side->kind = UA_TK_REQ_IN;
		if (ua->cb.on_request == NULL) {
			answer(ua, ev->tsx, d, 501, SIPDP_STR_NULL, now_us);
			return;
		}
	}
	emit_request(ua, d, ev);
	if (!side->final && side->kind != UA_TK_NONE) {
		/* Answered later: keep what the response needs. */
		if (ua_keep_template(ua, ev->tsx, m, SIPDP_STR_NULL) != 0) {
			d = ua_get(ua, h);
			answer(ua, ev->tsx, d, 503, SIPDP_STR("Retry-After: 1\r\n"), now_us);
			if (d != NULL)
				ua_sess(d)->flags &= (uint16_t)~US_REINV_IN;
		}
	}
}

int
sipdp_ua_respond(struct sipdp_ua *ua, sipdp_handle_t hd, sipdp_handle_t req, uint16_t status,
		 struct sipdp_str extra, struct sipdp_str ctype, struct sipdp_str body, uint64_t now_us)
{
	struct sipdp_dlg *d = ua_get(ua, hd);
	struct sipdp_tsx_info info;
	struct ua_tside *side;
	struct ua_sess *s;
	bool reinv;
	int rc;

	if (d == NULL || sipdp_tsx_info(ua->tt, req, &info) != 0 || info.user_ref != hd)
		return -ENOENT;
	side = ua_side(ua, req);
	if ((side->kind != UA_TK_REINV_IN && side->kind != UA_TK_REQ_IN) || side->final ||
	    status < 100 || status > 699)
		return -EINVAL;
	s = ua_sess(d);
	reinv = side->kind == UA_TK_REINV_IN;
	if (reinv && status == 100)
		return -EINVAL;
	ua_ext_respond_pre(ua, d, info.method, status);
	rc = ua_respond_tsx(ua, req, d, status, extra, ctype, body,
			    status >= 200 && status < 300 && is_target_refresh(info.method), now_us);
	ua->xhdr = SIPDP_STR_NULL;
	if (rc < 0)
		return rc;
	ua_ext_responded(ua, d, info.method, status, now_us);
	if (status < 200)
		return 0;
	if (reinv) {
		s->flags &= (uint16_t)~US_REINV_IN;
		if (status < 300) {
			sipdp_dlg_note(d, SIPDP_DLG_EV_TX_2XX, status, now_us);
			ua_start_2xx_retx(ua, d, req, rc, info.cseq, now_us);
			return 0;
		}
	}
	ua_mb_release(ua, &side->mbuf);
	return 0;
}

/* §14.1: after a 491 the owner of the Call-ID (the dialog's UAC) waits
 * 2.1-4 s, the other side 0-2 s, in units of 10 ms. */
static void
start_glare_wait(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us)
{
	uint64_t r = sipdp_dlg_prf(ua->dt, ++ua->glare_ctr, 0x676c617265ull);
	uint32_t ms = d->role == SIPDP_DLG_UAC ? 2100u + (uint32_t)(r % 191u) * 10u
					       : (uint32_t)(r % 201u) * 10u;

	ua_sess(d)->glare_at = now_us + (uint64_t)ms * 1000u;
	ua_timer_update(ua, d);
}

void
ua_indlg_response(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us)
{
	const struct sipdp_msg *m = ev->msg;
	struct ua_tside *side = ua_side(ua, ev->tsx);
	struct sipdp_dlg *d = ua_get(ua, ev->user_ref);
	struct ua_sess *s;
	struct sipdp_ua_event e;
	uint16_t st = m ? m->status : 408;
	sipdp_handle_t h = ev->user_ref;

	if (d == NULL)
		return;
	s = ua_sess(d);
	if (side->kind == UA_TK_REINV_OUT) {
		if (st >= 200 && st < 300) {
			if (ua_ack_held(d))
				return; /* the application holds the ACK: absorbed */
			if (s->flags & US_CONFIRMED && ev->retransmission) {
				ua->stats.acks_resent++;
				ua_send_ack(ua, d);
				return;
			}
			/* §12.2.1.2: a 2xx to a target refresh updates the target. */
			sipdp_dlg_refresh_target(ua->dt, d, m);
			ua_ack_unkeep(ua, d); /* an older INVITE's */
			s->ack_cseq = s->inv_cseq;
			/* Sent when on_response returns, unless held (ua_ack.c). */
			s->flags |= US_ACK_DUE;
		}
		if (st >= 200) {
			s->flags &= (uint16_t)~US_REINV_OUT;
			if (st == 491)
				start_glare_wait(ua, d, now_us);
		}
	}
	/* A response has no method of its own: the CSeq says which request. */
	if (m != NULL && st >= 200 && st < 300 && side->kind == UA_TK_REQ_OUT) {
		struct sipdp_cseq cs;
		if (sipdp_msg_cseq(m, &cs) == 0 && is_target_refresh(cs.method))
			sipdp_dlg_refresh_target(ua->dt, d, m);
	}
	if (ua_ext_response(ua, d, side, m, st, now_us)) {
		/* a PRACK or refresh of our own */
		d = ua_get(ua, h);
		if (d != NULL)
			ua_ack_flush(ua, d);
		return;
	}
	e = (struct sipdp_ua_event){
		.type = SIPDP_UA_EV_RESPONSE,
		.method = side->kind == UA_TK_REINV_OUT ? (uint8_t)SIPDP_METHOD_INVITE : 0,
		.retransmission = ev->retransmission,
		.status = st,
		.dlg = h,
		.req_ref = side->ref,
		.app = s->app,
		.msg = m,
		.src = ev->src,
	};
	if (m != NULL && e.method == 0) {
		struct sipdp_cseq cs;
		if (sipdp_msg_cseq(m, &cs) == 0)
			e.method = cs.method;
	}
	if (ua->cb.on_response)
		ua->cb.on_response(ua->user, &e);
	d = ua_get(ua, h);
	if (d != NULL && (ua_sess(d)->flags & US_ACK_DUE))
		ua_ack_flush(ua, d);
	if (d != NULL && (st == 481 || st == 408)) {
		/* §12.2.1.2: the dialog is gone at the peer (or unreachable). */
		ua_end(ua, d, st == 408 ? SIPDP_DLG_R_TIMEOUT : SIPDP_DLG_R_REJECTED, st,
		       SIPDP_DLG_EV_RX_FINAL, now_us);
	}
}

int
sipdp_ua_bye(struct sipdp_ua *ua, sipdp_handle_t h, uint64_t now_us)
{
	struct sipdp_dlg *d = ua_get(ua, h);
	struct ua_sess *s;
	int rc;

	if (d == NULL)
		return -ENOENT;
	s = ua_sess(d);
	ua->now_us = now_us;
	if (d->role == SIPDP_DLG_UAC) {
		if (!(d->flags & SIPDP_DLG_F_HAS_RTAG))
			return sipdp_ua_cancel(ua, h, now_us); /* no dialog yet: §15 */
	} else {
		if (!(s->flags & US_FINAL_SENT))
			return -EINVAL;
		if (s->flags & US_ACK_WAIT) {
			/* §15: not before the ACK (or its timeout). */
			s->flags |= US_BYE_Q;
			return 0;
		}
	}
	rc = ua_send_bye(ua, d, now_us);
	d = ua_get(ua, h);
	if (d != NULL)
		ua_end(ua, d, SIPDP_DLG_R_LOCAL_BYE, 0, SIPDP_DLG_EV_TX_BYE, now_us);
	return rc == -ENOSPC ? -ENOSPC : 0;
}

static int
send_in_dialog(struct sipdp_ua *ua, struct sipdp_dlg *d, enum sipdp_method method,
	       struct sipdp_str mname, struct sipdp_str extra, struct sipdp_str ctype,
	       struct sipdp_str body, uint64_t req_ref, uint8_t kind, uint64_t now_us)
{
	char br[SIPDP_TSX_BRANCH_LEN];
	struct sipdp_tsx_dest dest;
	sipdp_handle_t h = sipdp_dlg_handle(ua->dt, d), tsx;
	uint32_t cseq;
	int rc, len;

	/* A request sent from the callback reporting a 2xx goes after its
	 * ACK (unless held: then the ACK waits for sipdp_ua_ack()). */
	if (ua_sess(d)->flags & US_ACK_DUE)
		ua_ack_flush(ua, d);
	cseq = d->local_cseq + 1;
	rc = sipdp_tsx_client_alloc(ua->tt, method, cseq, h, br, &tsx);
	if (rc != 0) {
		ua->stats.tsx_full++;
		return -ENOSPC;
	}
	ua_ext_req_hdrs(ua, d, (uint8_t)method);
	len = ua_build_request(ua, ua->out, d, mname, cseq, br, sizeof(br), extra, ctype, body,
			       is_target_refresh((uint8_t)method));
	ua->xhdr = SIPDP_STR_NULL;
	if (len < 0) {
		sipdp_tsx_client_abort(ua->tt, tsx);
		return len;
	}
	d->local_cseq = cseq;
	ua_side(ua, tsx)->kind = kind;
	ua_side(ua, tsx)->ref = req_ref;
	if (kind == UA_TK_REINV_OUT) {
		ua_sess(d)->inv_tsx = tsx;
		ua_sess(d)->inv_cseq = cseq;
		ua_sess(d)->flags |= US_REINV_OUT;
	}
	ua_next_hop(ua, d, &dest);
	rc = sipdp_tsx_client_send(ua->tt, tsx, ua->out, (uint32_t)len, &dest, now_us);
	if (rc == -ENOBUFS) {
		ua_side(ua, tsx)->kind = UA_TK_NONE;
		sipdp_tsx_client_abort(ua->tt, tsx);
		d = ua_get(ua, h);
		if (d != NULL && kind == UA_TK_REINV_OUT)
			ua_sess(d)->flags &= (uint16_t)~US_REINV_OUT;
		return -ENOSPC;
	}
	return rc < 0 ? rc : 0;
}

int
sipdp_ua_reinvite(struct sipdp_ua *ua, sipdp_handle_t h, struct sipdp_str extra, struct sipdp_str ctype,
		  struct sipdp_str body, uint64_t req_ref, uint64_t now_us)
{
	struct sipdp_dlg *d = ua_get(ua, h);
	struct ua_sess *s;

	if (d == NULL)
		return -ENOENT;
	s = ua_sess(d);
	ua->now_us = now_us;
	if (d->state != SIPDP_DLG_S_ESTABLISHED)
		return -EINVAL;
	if (s->flags & (US_REINV_OUT | US_REINV_IN | US_ACK_WAIT | US_ACK_HELD))
		return -EBUSY; /* §14.1 */
	if (s->glare_at)
		return -EAGAIN;
	return send_in_dialog(ua, d, SIPDP_METHOD_INVITE, s_invite, extra, ctype, body, req_ref,
			      UA_TK_REINV_OUT, now_us);
}

int
sipdp_ua_request(struct sipdp_ua *ua, sipdp_handle_t h, struct sipdp_str method, struct sipdp_str extra,
		 struct sipdp_str ctype, struct sipdp_str body, uint64_t req_ref, uint64_t now_us)
{
	struct sipdp_dlg *d = ua_get(ua, h);
	enum sipdp_method mid;

	if (d == NULL)
		return -ENOENT;
	ua->now_us = now_us;
	if (method.len == 0)
		return -EINVAL;
	mid = sipdp_method_lookup(method.p, method.len);
	if (mid == SIPDP_METHOD_INVITE || mid == SIPDP_METHOD_ACK || mid == SIPDP_METHOD_CANCEL ||
	    mid == SIPDP_METHOD_BYE)
		return -EINVAL;
	if (d->state != SIPDP_DLG_S_ESTABLISHED && d->state != SIPDP_DLG_S_RINGING)
		return -EINVAL;
	if (!(d->flags & SIPDP_DLG_F_HAS_RTAG))
		return -EINVAL;
	return send_in_dialog(ua, d, mid, method, extra, ctype, body, req_ref, UA_TK_REQ_OUT, now_us);
}
