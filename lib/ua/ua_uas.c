/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UAS side of invite sessions (RFC 3261 §13.3, §9.2, RFC 6026): a new
 * INVITE is handed to the application once; 100 Trying goes out when the
 * answer is not given inside the callback; the 2xx is retransmitted by the
 * UA core until the ACK; a CANCEL either wins (487, one outcome: CANCELLED)
 * or arrives after the 2xx (200, the call goes on) — never both.
 */
#include "ua_pvt.h"

static SIPDP_COLD void
refuse(struct sipdp_ua *ua, sipdp_handle_t tsx, uint16_t code, uint64_t now_us)
{
	char extra[48];
	struct sipdp_str ex = SIPDP_STR_NULL;

	if (code == 503) {
		uint32_t n = 13;
		memcpy(extra, "Retry-After: ", 13);
		n += sipdp_u32_to_dec(extra + n, ua->retry_after_s);
		extra[n++] = '\r';
		extra[n++] = '\n';
		ex = sipdp_str_make(extra, n);
	}
	ua_respond_tsx(ua, tsx, NULL, code, ex, SIPDP_STR_NULL, SIPDP_STR_NULL, false, now_us);
}

void
ua_uas_invite(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us)
{
	const struct sipdp_msg *m = ev->msg;
	struct sipdp_nameaddr from;
	struct sipdp_cseq cs;
	struct sipdp_dlg *d;
	struct ua_sess *s;
	sipdp_handle_t h, replaced = SIPDP_HANDLE_INVALID;
	uint16_t code;
	int rc;

	if (sipdp_msg_from(m, &from) != 0 || !sipdp_str_present(from.tag) || from.tag.len == 0 ||
	    sipdp_msg_cseq(m, &cs) != 0) {
		refuse(ua, ev->tsx, 400, now_us);
		return;
	}
	d = sipdp_dlg_find_remote(ua->dt, sipdp_msg_call_id(m), from.tag);
	if (SIPDP_UNLIKELY(d != NULL)) {
		if (cs.num == ua_sess(d)->ack_cseq || (d->flags & SIPDP_DLG_F_ANCHOR)) {
			/* A retransmission of an INVITE whose transaction we
			 * ended at the ACK (RFC 6026 would have absorbed it in
			 * Accepted): absorb it here. */
			ua->stats.late_invites++;
			sipdp_tsx_terminate(ua->tt, ev->tsx);
		} else {
			refuse(ua, ev->tsx, 482, now_us); /* §8.2.2.2 */
		}
		return;
	}
	if (SIPDP_UNLIKELY(m->first[SIPDP_HDR_REPLACES] != 0) && ua->xfer != NULL &&
	    (code = ua_replaces_check(ua, m, &replaced)) != 0) {
		refuse(ua, ev->tsx, code, now_us); /* RFC 3891 §3 */
		return;
	}
	if (ua_ext_uas_check(ua, ev, now_us))
		return; /* 420, 421, 422 */
	rc = sipdp_dlg_alloc(ua->dt, SIPDP_DLG_UAS, now_us, &d, &h);
	if (SIPDP_UNLIKELY(rc != 0)) {
		ua->stats.full_503++;
		refuse(ua, ev->tsx, 503, now_us);
		return;
	}
	s = ua_sess(d);
	memset(s, 0, sizeof(*s));
	rc = sipdp_dlg_init_uas(ua->dt, d, m, ev->src);
	if (SIPDP_UNLIKELY(rc != 0)) {
		sipdp_dlg_free(ua->dt, d);
		if (rc == -ENOSPC)
			ua->stats.arena_500++;
		refuse(ua, ev->tsx, rc == -ENOSPC ? 500 : 400, now_us);
		return;
	}
	if (ev->src != NULL)
		s->ident = ua_ident(ua, ev->src->transport, ev->src->family, m->ruri);
	s->inv_tsx = ev->tsx;
	s->ack_cseq = cs.num;
	ua_side(ua, ev->tsx)->kind = UA_TK_INV_IN;
	sipdp_tsx_set_user_ref(ua->tt, ev->tsx, h);
	ua->stats.calls_in++;
	if (SIPDP_UNLIKELY(replaced != SIPDP_HANDLE_INVALID)) {
		ua_replaces_bind(ua, d, replaced);
		d = ua_get(ua, h);
		if (d == NULL)
			return;
	}
	ua_ext_uas_init(ua, d, m);

	ua_emit(ua, ua->cb.on_incoming, SIPDP_UA_EV_INCOMING, d, 0, m, ev->src);

	d = ua_get(ua, h);
	if (d == NULL || (ua_sess(d)->flags & US_FINAL_SENT))
		return;
	/* Answered later: keep what the responses need, then 100 Trying
	 * (§8.2.6.1: a UAS that does not answer at once sends 100). */
	if (ua_keep_template(ua, ev->tsx, m, sipdp_dlg_str(d, d->local_tag)) != 0) {
		ua_respond_tsx(ua, ev->tsx, d, 503, SIPDP_STR("Retry-After: 1\r\n"), SIPDP_STR_NULL,
			       SIPDP_STR_NULL, false, now_us);
		ua_sess(d)->flags |= US_FINAL_SENT;
		ua_end(ua, d, SIPDP_DLG_R_REJECTED, 503, SIPDP_DLG_EV_TX_FINAL, now_us);
		return;
	}
	if (!(ua_sess(d)->flags & US_PROV_SENT))
		ua_respond_tsx(ua, ev->tsx, NULL, 100, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
			       false, now_us);
}

/* Keep the 2xx we just built in ua->out and start its retransmissions
 * (§13.3.1.4): T1, doubling to T2, until the ACK; 64*T1 without ACK ends
 * the dialog with BYE. */
void
ua_start_2xx_retx(struct sipdp_ua *ua, struct sipdp_dlg *d, sipdp_handle_t ist, int len,
		  uint32_t cseq, uint64_t now_us)
{
	struct ua_sess *s = ua_sess(d);
	struct ua_tside *side = ua_side(ua, ist);

	ua_mb_release(ua, &s->mbuf);
	if (side->mbuf) {
		/* The template is not needed after the final: reuse its buffer. */
		s->mbuf = side->mbuf;
		side->mbuf = 0;
	} else {
		s->mbuf = ua_mb_alloc(ua);
	}
	if (s->mbuf && (uint32_t)len <= ua->mb_size) {
		memcpy(ua_mb(ua, s->mbuf), ua->out, (size_t)len);
		s->mlen = (uint16_t)len;
	} else {
		ua_mb_release(ua, &s->mbuf);
		ua->stats.no_msgbuf++;
	}
	s->ack_cseq = cseq;
	s->retx_ms = ua->t1_ms;
	s->retx_at = now_us + (uint64_t)ua->t1_ms * 1000u;
	s->ackwait_at = now_us + (uint64_t)ua->t1_ms * 64000u;
	s->flags |= US_ACK_WAIT;
	ua_timer_update(ua, d);
}

static struct sipdp_dlg *
uas_pending(struct sipdp_ua *ua, sipdp_handle_t h, int *err)
{
	struct sipdp_dlg *d = ua_get(ua, h);

	if (d == NULL) {
		*err = -ENOENT;
		return NULL;
	}
	if (d->role != SIPDP_DLG_UAS || (ua_sess(d)->flags & US_FINAL_SENT) ||
	    ua_sess(d)->inv_tsx == SIPDP_HANDLE_INVALID) {
		*err = -EINVAL;
		return NULL;
	}
	return d;
}

int
sipdp_ua_ring(struct sipdp_ua *ua, sipdp_handle_t h, uint16_t status, struct sipdp_str extra,
	      struct sipdp_str ctype, struct sipdp_str body, uint64_t now_us)
{
	int rc = 0;
	struct sipdp_dlg *d = uas_pending(ua, h, &rc);
	struct ua_sess *s;

	if (d == NULL)
		return rc;
	if (status < 100 || status > 199)
		return -EINVAL;
	if (ua_prack_ring(ua, d, status, extra, ctype, body, now_us, &rc))
		return rc;
	s = ua_sess(d);
	rc = ua_respond_tsx(ua, s->inv_tsx, d, status, extra, ctype, body, status != 100, now_us);
	if (rc < 0)
		return rc;
	s->flags |= US_PROV_SENT;
	if (status != 100 && d->state == SIPDP_DLG_S_INIT)
		sipdp_dlg_set_state(ua->dt, d, SIPDP_DLG_S_RINGING, SIPDP_DLG_EV_TX_1XX, status,
				    SIPDP_DLG_R_NONE, now_us);
	return 0;
}

int
sipdp_ua_ring_queued(struct sipdp_ua *ua, sipdp_handle_t h, uint16_t status, struct sipdp_str extra,
		     struct sipdp_str ctype, struct sipdp_str body, uint64_t now_us)
{
	int rc = 0;
	struct sipdp_dlg *d = uas_pending(ua, h, &rc);
	struct ua_ext *x;

	if (d == NULL)
		return rc;
	if (status < 100 || status > 199)
		return -EINVAL;
	x = &ua_sess(d)->x;
	if (status != 100 && ua->rel100 != SIPDP_UA_100REL_OFF && (x->xf & UX_REL_PEER)) {
		if (x->xf & UX_HOLD)
			return -EINVAL; /* a 2xx already waits for the PRACK */
		if (x->xf & UX_REL_PEND)
			return ua_prack_queue(ua, d, status, extra, ctype, body);
	}
	return sipdp_ua_ring(ua, h, status, extra, ctype, body, now_us);
}

int
sipdp_ua_accept(struct sipdp_ua *ua, sipdp_handle_t h, uint16_t status, struct sipdp_str extra,
		struct sipdp_str ctype, struct sipdp_str body, uint64_t now_us)
{
	int rc = 0;
	struct sipdp_dlg *d = uas_pending(ua, h, &rc);
	struct ua_sess *s;
	sipdp_handle_t ist;

	if (d == NULL)
		return rc;
	if (status < 200 || status > 299)
		return -EINVAL;
	if (ua_ext_accept(ua, d, status, extra, ctype, body, now_us, &rc))
		return rc;
	s = ua_sess(d);
	ist = s->inv_tsx;
	rc = ua_respond_tsx(ua, ist, d, status, extra, ctype, body, true, now_us);
	if (rc < 0) {
		if (rc != -EMSGSIZE && ua_get(ua, h) != NULL) {
			s->flags |= US_FINAL_SENT;
			ua_end(ua, d, SIPDP_DLG_R_TRANSPORT, 0, SIPDP_DLG_EV_TRANSPORT, now_us);
		}
		return rc;
	}
	s->flags |= US_FINAL_SENT;
	sipdp_dlg_set_state(ua->dt, d, SIPDP_DLG_S_ESTABLISHED, SIPDP_DLG_EV_TX_2XX, status,
			    SIPDP_DLG_R_NONE, now_us);
	ua_start_2xx_retx(ua, d, ist, rc, s->ack_cseq, now_us);
	return 0;
}

int
sipdp_ua_reject(struct sipdp_ua *ua, sipdp_handle_t h, uint16_t status, struct sipdp_str extra,
		uint64_t now_us)
{
	int rc = 0;
	struct sipdp_dlg *d = uas_pending(ua, h, &rc);
	struct ua_sess *s;

	if (d == NULL)
		return rc;
	if (status < 300 || status > 699)
		return -EINVAL;
	s = ua_sess(d);
	rc = ua_respond_tsx(ua, s->inv_tsx, d, status, extra, SIPDP_STR_NULL, SIPDP_STR_NULL,
			    status < 400, now_us);
	if (rc == -EMSGSIZE)
		return rc;
	s->flags |= US_FINAL_SENT;
	ua_mb_release(ua, &ua_side(ua, s->inv_tsx)->mbuf);
	ua_end(ua, d, SIPDP_DLG_R_REJECTED, status, SIPDP_DLG_EV_TX_FINAL, now_us);
	return rc < 0 ? rc : 0;
}

int
sipdp_ua_redirect(struct sipdp_ua *ua, sipdp_handle_t h, uint16_t status, struct sipdp_str contacts,
		  uint64_t now_us)
{
	char extra[1024];
	uint32_t n = 0;

	if (status < 300 || status > 399 || contacts.len == 0)
		return ua_get(ua, h) == NULL ? -ENOENT : -EINVAL;
	if (contacts.len + 11 > sizeof(extra))
		return -EMSGSIZE;
	memcpy(extra, "Contact: ", 9);
	n = 9;
	memcpy(extra + n, contacts.p, contacts.len);
	n += contacts.len;
	extra[n++] = '\r';
	extra[n++] = '\n';
	/* reject() adds our own Contact for 3xx only when asked: not here. */
	{
		int rc = 0;
		struct sipdp_dlg *d = uas_pending(ua, h, &rc);
		struct ua_sess *s;
		if (d == NULL)
			return rc;
		s = ua_sess(d);
		rc = ua_respond_tsx(ua, s->inv_tsx, d, status, sipdp_str_make(extra, n),
				    SIPDP_STR_NULL, SIPDP_STR_NULL, false, now_us);
		if (rc == -EMSGSIZE)
			return rc;
		s->flags |= US_FINAL_SENT;
		ua_mb_release(ua, &ua_side(ua, s->inv_tsx)->mbuf);
		ua_end(ua, d, SIPDP_DLG_R_REJECTED, status, SIPDP_DLG_EV_TX_FINAL, now_us);
		return rc < 0 ? rc : 0;
	}
}

void
ua_uas_cancel(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us)
{
	struct sipdp_dlg *d = NULL;
	struct ua_tside *tside;

	ua->stats.cancels_in++;
	if (ev->cancel_target == SIPDP_HANDLE_INVALID) {
		/* §9.2: no matching transaction. */
		ua->stats.answered_481++;
		ua_respond_tsx(ua, ev->tsx, NULL, 481, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
			       false, now_us);
		return;
	}
	tside = ua_side(ua, ev->cancel_target);
	d = ua_get(ua, ev->cancel_target_ref);
	ua_respond_tsx(ua, ev->tsx, d, 200, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL, false,
		       now_us);
	if (d == NULL || tside->final) {
		/* The final (a 2xx or a rejection) won the race: the CANCEL
		 * has no effect (§9.2). */
		if (d != NULL)
			ua->stats.cancel_after_2xx++;
		return;
	}
	ua_respond_tsx(ua, ev->cancel_target, d, 487, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
		       false, now_us);
	ua_mb_release(ua, &tside->mbuf);
	if (tside->kind == UA_TK_REINV_IN) {
		/* A cancelled re-INVITE leaves the dialog as it was. */
		ua_sess(d)->flags &= (uint16_t)~US_REINV_IN;
		return;
	}
	ua_sess(d)->flags |= US_FINAL_SENT;
	sipdp_dlg_note(d, SIPDP_DLG_EV_RX_CANCEL, 0, now_us);
	ua_end(ua, d, SIPDP_DLG_R_CANCELLED, 487, SIPDP_DLG_EV_TX_FINAL, now_us);
}

void
ua_uas_ack(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us)
{
	const struct sipdp_msg *m = ev->msg;
	struct sipdp_nameaddr to, from;
	struct sipdp_cseq cs;
	struct sipdp_dlg *d;
	struct ua_sess *s;
	sipdp_handle_t h;
	bool first;

	if (sipdp_msg_to(m, &to) != 0 || sipdp_msg_from(m, &from) != 0 || sipdp_msg_cseq(m, &cs) != 0)
		return;
	d = sipdp_dlg_find(ua->dt, sipdp_msg_call_id(m), to.tag, from.tag);
	if (d == NULL || (ua_sess(d)->flags & US_TERM))
		return;
	s = ua_sess(d);
	if (!(s->flags & US_ACK_WAIT) || cs.num != s->ack_cseq)
		return; /* a retransmitted ACK, or one for an older 2xx */
	h = sipdp_dlg_handle(ua->dt, d);
	s->retx_at = s->ackwait_at = 0;
	s->flags &= (uint16_t)~US_ACK_WAIT;
	first = !(s->flags & US_CONFIRMED);
	s->flags |= US_CONFIRMED;
	ua_mb_release(ua, &s->mbuf);
	ua_timer_update(ua, d);
	sipdp_dlg_note(d, SIPDP_DLG_EV_RX_ACK, 0, now_us);
	/* Nothing is kept per confirmed dialog: end the INVITE server
	 * transaction now rather than at Timer L (late INVITE copies are
	 * caught by the dialog table, see ua_uas_invite()). */
	if (ev->tsx != SIPDP_HANDLE_INVALID)
		sipdp_tsx_terminate(ua->tt, ev->tsx);
	if (s->inv_tsx != SIPDP_HANDLE_INVALID && s->inv_tsx != ev->tsx)
		sipdp_tsx_terminate(ua->tt, s->inv_tsx);
	d = ua_get(ua, h);
	if (d == NULL)
		return;
	if (first)
		ua_emit(ua, ua->cb.on_confirmed, SIPDP_UA_EV_CONFIRMED, d, 0, m, ev->src);
	d = ua_get(ua, h);
	if (d != NULL && (ua_sess(d)->flags & US_BYE_Q)) {
		ua_send_bye(ua, d, now_us);
		ua_end(ua, d, SIPDP_DLG_R_LOCAL_BYE, 0, SIPDP_DLG_EV_TX_BYE, now_us);
	}
}
