/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reliable provisional responses (RFC 3262). UAS: RSeq, retransmission at
 * T1 doubling (§3, no T2 cap) from a kept copy, 504 after 64*T1 without
 * PRACK, the 2xx held until the PRACK, PRACK matching by RAck. UAC: RSeq
 * ordering per early dialog (§4) and the PRACK with RAck.
 */
#include "ua_pvt.h"

static const struct sipdp_str s_prack = SIPDP_STR("PRACK");

bool
ua_prack_ring(struct sipdp_ua *ua, struct sipdp_dlg *d, uint16_t status, struct sipdp_str extra,
	      struct sipdp_str ctype, struct sipdp_str body, uint64_t now_us, int *rc)
{
	struct ua_sess *s = ua_sess(d);
	struct ua_ext *x = &s->x;
	uint32_t rseq, mb;
	int len;

	if (status == 100 || ua->rel100 == SIPDP_UA_100REL_OFF || !(x->xf & UX_REL_PEER))
		return false;
	if (x->xf & (UX_REL_PEND | UX_HOLD)) {
		*rc = -EBUSY; /* §3: one unacknowledged at a time */
		return true;
	}
	mb = ua_mb_alloc(ua);
	if (mb == 0) {
		ua->stats.no_msgbuf++;
		*rc = -ENOBUFS;
		return true;
	}
	/* §3: the first RSeq is random in 1..2^31-1; keep room to count up. */
	rseq = x->rseq ? x->rseq + 1
		       : 1u + (uint32_t)(sipdp_dlg_prf(ua->dt, sipdp_dlg_handle(ua->dt, d), 0x7273u) % 0x3fffffffu);
	uext_reset(ua);
	UX_PUT(ua, "Require: 100rel\r\nRSeq: ");
	uext_put_u32(ua, rseq);
	UX_PUT(ua, "\r\n");
	len = ua_respond_tsx(ua, s->inv_tsx, d, status, extra, ctype, body, true, now_us);
	ua->xhdr = SIPDP_STR_NULL;
	if (len >= 0)
		x->rseq = rseq; /* on the wire: the next one counts from it */
	if (len < 0 || (uint32_t)len > ua->mb_size) {
		ua->mb_free[ua->mb_nfree++] = mb - 1;
		if (len >= 0)
			ua->stats.no_msgbuf++; /* sent once, cannot be retransmitted */
		*rc = len < 0 ? len : 0;
		return true;
	}
	memcpy(ua_mb(ua, mb), ua->out, (size_t)len);
	x->mb = mb;
	x->mlen = (uint16_t)len;
	x->xf |= UX_REL_PEND;
	x->rel_ms = ua->t1_ms;
	x->at1 = now_us + (uint64_t)ua->t1_ms * 1000u;
	x->at2 = now_us + (uint64_t)ua->t1_ms * 64000u;
	if (body.len)
		x->oa = x->oa == UA_OA_REMOTE ? UA_OA_NONE : UA_OA_LOCAL;
	ua->stats.rel1xx_out++;
	s->flags |= US_PROV_SENT;
	if (d->state == SIPDP_DLG_S_INIT)
		sipdp_dlg_set_state(ua->dt, d, SIPDP_DLG_S_RINGING, SIPDP_DLG_EV_TX_1XX, status,
				    SIPDP_DLG_R_NONE, now_us);
	ua_timer_update(ua, d);
	*rc = 0;
	return true;
}

void
ua_prack_fire(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us)
{
	struct ua_sess *s = ua_sess(d);
	struct ua_ext *x = &s->x;

	if (x->at2 && x->at2 <= now_us) {
		/* §3: no PRACK after 64*T1: reject the INVITE with a 5xx. */
		ua->stats.rel1xx_timeouts++;
		x->at1 = x->at2 = 0;
		x->xf &= ~(uint32_t)(UX_REL_PEND | UX_HOLD);
		ua_mb_release(ua, &x->mb);
		ua_mb_release(ua, &x->hold_mb);
		if (s->inv_tsx != SIPDP_HANDLE_INVALID) {
			ua_respond_tsx(ua, s->inv_tsx, d, 504, SIPDP_STR_NULL, SIPDP_STR_NULL,
				       SIPDP_STR_NULL, false, now_us);
			ua_mb_release(ua, &ua_side(ua, s->inv_tsx)->mbuf);
		}
		s->flags |= US_FINAL_SENT;
		ua_end(ua, d, SIPDP_DLG_R_TIMEOUT, 504, SIPDP_DLG_EV_TIMEOUT, now_us);
		return;
	}
	if (x->at1 && x->at1 <= now_us && x->mb) {
		const char *p = ua_mb(ua, x->mb);
		uint16_t st = (uint16_t)((p[8] - '0') * 100 + (p[9] - '0') * 10 + (p[10] - '0'));
		/* Scheduled from the due time, like the 2xx train. */
		x->rel_ms *= 2;
		x->at1 += (uint64_t)x->rel_ms * 1000u;
		ua->stats.rel1xx_retx++;
		if (sipdp_tsx_respond(ua->tt, s->inv_tsx, st, p, x->mlen, now_us) < 0)
			ua->stats.send_errors++;
	}
}

/*
 * The queued provisional (sipdp_ua_ring_queued()) in ua_sess.mbuf: free
 * before the final response (the kept 2xx comes after it). Layout:
 * status u16, extra u16, ctype u16, body u32, then the three strings.
 */
#define RQ_HDR 10u

int
ua_prack_queue(struct sipdp_ua *ua, struct sipdp_dlg *d, uint16_t status, struct sipdp_str extra,
	       struct sipdp_str ctype, struct sipdp_str body)
{
	struct ua_sess *s = ua_sess(d);
	struct ua_ext *x = &s->x;
	uint16_t el = (uint16_t)extra.len, cl = (uint16_t)ctype.len;
	uint32_t bl = body.len;
	char *p;

	if (extra.len > UINT16_MAX || ctype.len > UINT16_MAX ||
	    (uint64_t)RQ_HDR + extra.len + ctype.len + body.len > ua->mb_size)
		return -EMSGSIZE;
	if (x->xf & UX_RING_Q) {
		uint32_t old_bl;
		memcpy(&old_bl, ua_mb(ua, s->mbuf) + 6, 4);
		ua->stats.rel1xx_queue_dropped++;
		if (old_bl != 0 && bl == 0)
			return 0; /* keep the one with the SDP */
	} else {
		s->mbuf = ua_mb_alloc(ua);
		if (s->mbuf == 0) {
			ua->stats.no_msgbuf++;
			return -ENOSPC;
		}
		x->xf |= UX_RING_Q;
	}
	p = ua_mb(ua, s->mbuf);
	memcpy(p, &status, 2);
	memcpy(p + 2, &el, 2);
	memcpy(p + 4, &cl, 2);
	memcpy(p + 6, &bl, 4);
	if (el)
		memcpy(p + RQ_HDR, extra.p, el);
	if (cl)
		memcpy(p + RQ_HDR + el, ctype.p, cl);
	if (bl)
		memcpy(p + RQ_HDR + el + cl, body.p, bl);
	ua->stats.rel1xx_queued++;
	return 0;
}

void
ua_prack_unqueue(struct sipdp_ua *ua, struct sipdp_dlg *d)
{
	struct ua_sess *s = ua_sess(d);

	if (s->x.xf & UX_RING_Q) {
		ua_mb_release(ua, &s->mbuf);
		s->x.xf &= ~(uint32_t)UX_RING_Q;
		ua->stats.rel1xx_queue_dropped++;
	}
}

/* The PRACK came: the queued provisional goes, reliably, next RSeq. */
static void
send_queued(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us)
{
	struct ua_sess *s = ua_sess(d);
	uint16_t status, el, cl;
	uint32_t bl;
	char *p = ua->out2; /* ua_prack_ring() builds in ua->out */
	int rc = 0;

	memcpy(&status, ua_mb(ua, s->mbuf), 2);
	memcpy(&el, ua_mb(ua, s->mbuf) + 2, 2);
	memcpy(&cl, ua_mb(ua, s->mbuf) + 4, 2);
	memcpy(&bl, ua_mb(ua, s->mbuf) + 6, 4);
	memcpy(p, ua_mb(ua, s->mbuf), RQ_HDR + (size_t)el + cl + bl);
	/* Its buffer back first: the reliable copy needs one. */
	ua_mb_release(ua, &s->mbuf);
	s->x.xf &= ~(uint32_t)UX_RING_Q;
	if (!ua_prack_ring(ua, d, status, sipdp_str_make(p + RQ_HDR, el),
			   sipdp_str_make(p + RQ_HDR + el, cl),
			   sipdp_str_make(p + RQ_HDR + el + cl, bl), now_us, &rc) ||
	    rc != 0)
		ua->stats.rel1xx_queue_dropped++;
}

/* A PRACK received in @d (UAS side). */
void
ua_prack_request(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_tsx_event *ev,
		 uint64_t now_us)
{
	const struct sipdp_msg *m = ev->msg;
	struct ua_sess *s = ua_sess(d);
	struct ua_ext *x = &s->x;
	struct sipdp_rack rack;
	sipdp_handle_t h = sipdp_dlg_handle(ua->dt, d);

	if (d->role != SIPDP_DLG_UAS || !(x->xf & UX_REL_PEND) ||
	    sipdp_rack_parse(sipdp_msg_hdr_value(m, SIPDP_HDR_RACK), &rack) != 0 ||
	    rack.rseq != x->rseq || rack.cseq != s->ack_cseq || rack.method != SIPDP_METHOD_INVITE) {
		/* §3: matches no unacknowledged reliable provisional. */
		ua->stats.answered_481++;
		uext_reset(ua);
		uext_answer(ua, ev->tsx, d, 481, now_us);
		return;
	}
	ua->stats.prack_in++;
	x->at1 = x->at2 = 0;
	x->xf &= ~(uint32_t)UX_REL_PEND;
	ua_mb_release(ua, &x->mb);
	if (m->body.len)
		x->oa = x->oa == UA_OA_LOCAL ? UA_OA_NONE : UA_OA_REMOTE;
	uext_reset(ua);
	uext_answer(ua, ev->tsx, d, 200, now_us);
	if (x->xf & UX_RING_Q) {
		send_queued(ua, d, now_us); /* before the app hears of the PRACK */
		d = ua_get(ua, h);
		if (d == NULL)
			return;
	}
	uext_emit(ua, SIPDP_UA_EV_PRACK, d, 0, m);
	d = ua_get(ua, h);
	if (d == NULL)
		return;
	if (ua_sess(d)->x.xf & UX_HOLD)
		ua_prack_send_held(ua, d, now_us);
	else
		ua_timer_update(ua, d);
}

int
ua_prack_send_held(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us)
{
	struct ua_sess *s = ua_sess(d);
	struct ua_ext *x = &s->x;
	sipdp_handle_t ist = s->inv_tsx, h = sipdp_dlg_handle(ua->dt, d);
	uint16_t status = x->hold_status, len = x->hold_len;
	int rc;

	memcpy(ua->out, ua_mb(ua, x->hold_mb), len);
	ua_mb_release(ua, &x->hold_mb);
	x->xf &= ~(uint32_t)UX_HOLD;
	ua_side(ua, ist)->final = 1;
	rc = sipdp_tsx_respond(ua->tt, ist, status, ua->out, len, now_us);
	d = ua_get(ua, h);
	if (d == NULL)
		return rc;
	s->flags |= US_FINAL_SENT;
	if (rc < 0) {
		ua->stats.send_errors++;
		ua_end(ua, d, SIPDP_DLG_R_TRANSPORT, 0, SIPDP_DLG_EV_TRANSPORT, now_us);
		return rc;
	}
	sipdp_dlg_set_state(ua->dt, d, SIPDP_DLG_S_ESTABLISHED, SIPDP_DLG_EV_TX_2XX, status,
			    SIPDP_DLG_R_NONE, now_us);
	ua_start_2xx_retx(ua, d, ist, len, s->ack_cseq, now_us);
	if (x->xf & UX_PEND)
		ua_st_arm(ua, d, x->pend_se, (x->xf & UX_PEND_WE) != 0, now_us);
	x->xf &= ~(uint32_t)(UX_PEND | UX_PEND_WE);
	return 0;
}

/* ---------------------------------------------------------------- UAC */

bool
ua_prack_rx_1xx(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_msg *m)
{
	struct ua_ext *x;
	uint32_t rseq;

	if (m->status == 100 || !sipdp_msg_has_option(m, SIPDP_HDR_REQUIRE, SIPDP_STR("100rel")) ||
	    !(d->flags & SIPDP_DLG_F_HAS_RTAG))
		return false;
	x = uext_get(ua, d);
	if (!(x->xf & UX_UAC_REL))
		return false; /* this call did not offer 100rel (per call or stack) */
	if (sipdp_rseq_parse(sipdp_msg_hdr_value(m, SIPDP_HDR_RSEQ), &rseq) != 0 ||
	    ((x->xf & UX_RSEQ) && rseq != x->rseq + 1)) {
		/* §4: a retransmission (our PRACK's own transaction repeats
		 * it) or one out of order: not processed, not PRACKed. */
		ua->stats.rel1xx_dropped++;
		return true;
	}
	x->rseq = rseq;
	x->xf |= UX_RSEQ | UX_PRACK_DUE;
	if (m->body.len)
		x->oa = x->oa == UA_OA_LOCAL ? UA_OA_NONE : UA_OA_REMOTE;
	return false;
}

static int
send_prack(struct sipdp_ua *ua, struct sipdp_dlg *d, struct sipdp_str ctype, struct sipdp_str body,
	   uint64_t now_us)
{
	struct ua_sess *s = ua_sess(d);
	struct ua_ext *x = &s->x;
	char rack[64];
	uint32_t n = 6;
	int rc;

	x->xf &= ~(uint32_t)UX_PRACK_DUE;
	memcpy(rack, "RAck: ", 6);
	n += sipdp_u32_to_dec(rack + n, x->rseq);
	rack[n++] = ' ';
	n += sipdp_u32_to_dec(rack + n, s->inv_cseq);
	memcpy(rack + n, " INVITE\r\n", 9);
	n += 9;
	rc = sipdp_ua_request(ua, sipdp_dlg_handle(ua->dt, d), s_prack, sipdp_str_make(rack, n), ctype,
			      body, SIPDP_UA_REF_INTERNAL + 1, now_us);
	if (rc == 0) {
		ua->stats.prack_out++;
		if (body.len && x->oa == UA_OA_REMOTE)
			x->oa = UA_OA_NONE;
	}
	return rc;
}

void
ua_prack_after_1xx(struct sipdp_ua *ua, sipdp_handle_t h, uint64_t now_us)
{
	struct sipdp_dlg *d = ua_get(ua, h);

	if (d != NULL && (ua_sess(d)->x.xf & UX_PRACK_DUE))
		send_prack(ua, d, SIPDP_STR_NULL, SIPDP_STR_NULL, now_us);
}

int
sipdp_ua_prack(struct sipdp_ua *ua, sipdp_handle_t h, struct sipdp_str ctype, struct sipdp_str body,
	       uint64_t now_us)
{
	struct sipdp_dlg *d = ua_get(ua, h);

	if (d == NULL)
		return -ENOENT;
	if (!(ua_sess(d)->x.xf & UX_PRACK_DUE))
		return -EINVAL;
	return send_prack(ua, d, ctype, body, now_us);
}
