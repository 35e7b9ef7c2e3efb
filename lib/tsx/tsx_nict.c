/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Non-INVITE client transaction: RFC 3261 §17.1.2 (with RFC 4320: a timeout
 * is reported to the TU, nothing is sent).
 *
 *   Trying     --1xx-->        Proceeding (E keeps running, then every T2)
 *   Trying/Proceeding --200-699--> Completed (Timer K = T4, 0 if reliable)
 *   Trying/Proceeding --Timer F--> Terminated (timeout to TU)
 *   Completed  --Timer K-->    Terminated
 */
#include "tsx_pvt.h"

void
tsx_nict_start(struct sipdp_tsx_table *t, struct tsx *x, uint64_t now_us)
{
	x->state = SIPDP_TSX_S_TRYING;
	if (!tsx_reliable(x)) {
		x->interval_ms = t->t1_ms;
		x->retrans_at = now_us + ms_us(t->t1_ms); /* Timer E */
	}
	x->timeout_at = now_us + tsx_64t1_us(t); /* Timer F */
	tsx_timer_update(t, x);
}

int
tsx_nict_on_response(struct sipdp_tsx_table *t, struct tsx *x, const struct sipdp_msg *m,
		     const struct sipdp_tsx_dest *src, uint64_t now_us)
{
	uint16_t st = m->status;
	sipdp_handle_t h;

	if (x->state == SIPDP_TSX_S_COMPLETED) {
		/* §17.1.2.2: retransmitted finals are buffered (absorbed). */
		t->stats.absorbed++;
		return SIPDP_TSX_RX_ABSORBED;
	}
	if (x->state != SIPDP_TSX_S_TRYING && x->state != SIPDP_TSX_S_PROCEEDING) {
		t->stats.stray_responses++;
		return SIPDP_TSX_RX_STRAY;
	}
	x->last_status = st;
	if (st < 200) {
		x->state = SIPDP_TSX_S_PROCEEDING;
		tsx_raise(t, x, SIPDP_TSX_EV_RESPONSE, m, src);
		return SIPDP_TSX_RX_MATCHED;
	}
	x->state = SIPDP_TSX_S_COMPLETED;
	x->retrans_at = 0;
	x->timeout_at = tsx_reliable(x) ? 0 : now_us + ms_us(t->t4_ms); /* Timer K */
	tsx_unkeep(t, x);
	tsx_timer_update(t, x);
	h = tsx_handle(t, x);
	tsx_raise(t, x, SIPDP_TSX_EV_RESPONSE, m, src);
	x = tsx_get(t, h);
	if (x != NULL && tsx_reliable(x))
		tsx_terminate(t, x); /* Timer K = 0 */
	return SIPDP_TSX_RX_MATCHED;
}

void
tsx_nict_on_timer(struct sipdp_tsx_table *t, struct tsx *x, uint64_t now_us)
{
	if (x->timeout_at && x->timeout_at <= now_us) {
		if (x->state != SIPDP_TSX_S_COMPLETED) {
			sipdp_handle_t h = tsx_handle(t, x);
			/* Timer F; RFC 4320: no 408 is synthesised on the wire,
			 * the TU learns of it and decides. */
			t->stats.timeouts++;
			x->retrans_at = 0;
			tsx_raise(t, x, SIPDP_TSX_EV_TIMEOUT, NULL, NULL);
			x = tsx_get(t, h);
			if (x == NULL)
				return;
		}
		tsx_terminate(t, x);
		return;
	}
	if (x->retrans_at && x->retrans_at <= now_us &&
	    (x->state == SIPDP_TSX_S_TRYING || x->state == SIPDP_TSX_S_PROCEEDING)) {
		/* Timer E: doubling capped at T2 in Trying, T2 in Proceeding. */
		if (x->state == SIPDP_TSX_S_PROCEEDING)
			x->interval_ms = t->t2_ms;
		else
			x->interval_ms = SIPDP_MIN(x->interval_ms * 2, t->t2_ms);
		x->retrans_at += ms_us(x->interval_ms);
		tsx_resend(t, x);
	}
}
