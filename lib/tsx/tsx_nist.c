/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Non-INVITE server transaction: RFC 3261 §17.2.2 (RFC 4320: nothing is
 * sent on its own, in particular no 408; it only ends with Timer J).
 *
 *   Trying     --1xx from TU-->    Proceeding (kept for retransmissions)
 *   Trying/Proceeding --200-699 from TU--> Completed (Timer J = 64*T1,
 *                                  0 if reliable: terminated at once)
 *   Trying: request retransmissions discarded; Proceeding/Completed: the
 *   last response is sent again.
 */
#include <errno.h>

#include "tsx_pvt.h"

int
tsx_nist_on_request(struct sipdp_tsx_table *t, struct tsx *x, const struct sipdp_msg *m,
		    uint64_t now_us)
{
	(void)m;
	(void)now_us;
	t->stats.absorbed++;
	if (x->state == SIPDP_TSX_S_PROCEEDING || x->state == SIPDP_TSX_S_COMPLETED)
		tsx_resend(t, x);
	return SIPDP_TSX_RX_ABSORBED;
}

int
tsx_nist_respond(struct sipdp_tsx_table *t, struct tsx *x, uint16_t status, const char *buf,
		 uint32_t len, uint64_t now_us)
{
	sipdp_handle_t h;
	int rc;

	if (x->state != SIPDP_TSX_S_TRYING && x->state != SIPDP_TSX_S_PROCEEDING)
		return -EINVAL;
	x->last_status = status;
	if (status < 200) {
		x->state = SIPDP_TSX_S_PROCEEDING;
		tsx_keep(t, x, buf, len);
		return tsx_send(t, x, buf, len);
	}
	x->state = SIPDP_TSX_S_COMPLETED;
	if (!tsx_reliable(x)) {
		tsx_keep(t, x, buf, len);
		x->timeout_at = now_us + tsx_64t1_us(t); /* Timer J */
		tsx_timer_update(t, x);
		return tsx_send(t, x, buf, len);
	}
	tsx_unkeep(t, x);
	h = tsx_handle(t, x);
	rc = tsx_send(t, x, buf, len);
	x = tsx_get(t, h);
	if (x != NULL)
		tsx_terminate(t, x); /* Timer J = 0 */
	return rc;
}

void
tsx_nist_on_timer(struct sipdp_tsx_table *t, struct tsx *x, uint64_t now_us)
{
	if (x->timeout_at && x->timeout_at <= now_us)
		tsx_terminate(t, x); /* Timer J */
}
