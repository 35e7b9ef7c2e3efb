/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * INVITE server transaction: RFC 3261 §17.2.1 as updated by RFC 6026 §7.1.
 *
 *   Proceeding --1xx from TU-->     sent, kept for INVITE retransmissions
 *   Proceeding --2xx from TU-->     Accepted (Timer L = 64*T1); 2xx not kept:
 *                                   the TU retransmits it (respond() again)
 *   Proceeding --300-699 from TU--> Completed (G if unreliable, H)
 *   Completed  --ACK-->             Confirmed (Timer I = T4, 0 if reliable)
 *   Completed  --Timer H-->         Terminated (timeout to TU)
 *   Accepted   --ACK-->             to the TU;  --INVITE--> absorbed
 *   Confirmed/Accepted --Timer I/L--> Terminated
 */
#include <errno.h>

#include "tsx_pvt.h"

int
tsx_ist_on_request(struct sipdp_tsx_table *t, struct tsx *x, const struct sipdp_msg *m,
		   const struct sipdp_tsx_dest *src, uint64_t now_us)
{
	if (m->method == SIPDP_METHOD_ACK) {
		switch (x->state) {
		case SIPDP_TSX_S_COMPLETED:
			/* §17.2.1: the ACK ends the retransmissions of our
			 * final; the copy is not needed any more. */
			x->state = SIPDP_TSX_S_CONFIRMED;
			x->retrans_at = 0;
			tsx_unkeep(t, x);
			if (tsx_reliable(x)) {
				tsx_terminate(t, x); /* Timer I = 0 */
			} else {
				x->timeout_at = now_us + ms_us(t->t4_ms); /* Timer I */
				tsx_timer_update(t, x);
			}
			return SIPDP_TSX_RX_MATCHED;
		case SIPDP_TSX_S_ACCEPTED:
			/* RFC 6026 §7.1: ACKs for our 2xx go to the TU. */
			tsx_raise(t, x, SIPDP_TSX_EV_ACK, m, src);
			return SIPDP_TSX_RX_TO_TU;
		default:
			/* Confirmed: ACK retransmissions; Proceeding: an ACK
			 * before any final is meaningless. Both absorbed. */
			t->stats.absorbed++;
			return SIPDP_TSX_RX_ABSORBED;
		}
	}
	/* A retransmitted INVITE (or, for RFC 2543 peers, a CANCEL's key
	 * never lands here: its class differs). */
	t->stats.absorbed++;
	if (x->state == SIPDP_TSX_S_PROCEEDING || x->state == SIPDP_TSX_S_COMPLETED)
		tsx_resend(t, x); /* last provisional / the final */
	return SIPDP_TSX_RX_ABSORBED;
}

int
tsx_ist_respond(struct sipdp_tsx_table *t, struct tsx *x, uint16_t status, const char *buf,
		uint32_t len, uint64_t now_us)
{
	if (x->state == SIPDP_TSX_S_ACCEPTED) {
		/* RFC 6026 §7.1: 2xx retransmissions from the TU pass. */
		if (status < 200 || status >= 300)
			return -EINVAL;
		x->last_status = status;
		return tsx_send(t, x, buf, len);
	}
	if (x->state != SIPDP_TSX_S_PROCEEDING)
		return -EINVAL;
	x->last_status = status;
	if (status < 200) {
		tsx_keep(t, x, buf, len);
	} else if (status < 300) {
		x->state = SIPDP_TSX_S_ACCEPTED;
		x->timeout_at = now_us + tsx_64t1_us(t); /* Timer L */
		tsx_unkeep(t, x);
		tsx_timer_update(t, x);
	} else {
		x->state = SIPDP_TSX_S_COMPLETED;
		tsx_keep(t, x, buf, len);
		if (!tsx_reliable(x)) {
			x->interval_ms = t->t1_ms;
			x->retrans_at = now_us + ms_us(t->t1_ms); /* Timer G */
		}
		x->timeout_at = now_us + tsx_64t1_us(t); /* Timer H */
		tsx_timer_update(t, x);
	}
	return tsx_send(t, x, buf, len);
}

void
tsx_ist_on_timer(struct sipdp_tsx_table *t, struct tsx *x, uint64_t now_us)
{
	if (x->timeout_at && x->timeout_at <= now_us) {
		if (x->state == SIPDP_TSX_S_COMPLETED) {
			sipdp_handle_t h = tsx_handle(t, x);
			/* Timer H: the ACK never came (§17.2.1). */
			t->stats.timeouts++;
			x->retrans_at = 0;
			tsx_raise(t, x, SIPDP_TSX_EV_TIMEOUT, NULL, NULL);
			x = tsx_get(t, h);
			if (x == NULL)
				return;
		}
		tsx_terminate(t, x); /* H, I or L */
		return;
	}
	if (x->state == SIPDP_TSX_S_COMPLETED && x->retrans_at && x->retrans_at <= now_us) {
		/* Timer G: doubling, capped at T2. */
		x->interval_ms = SIPDP_MIN(x->interval_ms * 2, t->t2_ms);
		x->retrans_at += ms_us(x->interval_ms);
		tsx_resend(t, x);
	}
}
