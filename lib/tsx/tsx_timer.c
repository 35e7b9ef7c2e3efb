/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The only file that talks to lib/timer. One wheel entry per transaction,
 * armed at min(retrans_at, timeout_at); the entry's user data is the
 * transaction's handle, so an entry that outlives its transaction (it cannot:
 * termination stops it, but a shared wheel may batch) resolves to nothing.
 */
#include <errno.h>

#include "sipdp_timer.h"
#include "tsx_pvt.h"

/* 1 ms ticks: every RFC 3261 timer is a whole number of milliseconds, so
 * with the defaults they fire exactly on their due time. */
#define TSX_TICK_US 1000u

int
tsx_timer_wheel_create(struct sipdp_tsx_table *t, uint32_t capacity, uint64_t now_us)
{
	struct sipdp_timer_params p = { .capacity = capacity, .tick_us = TSX_TICK_US };

	t->own_wheel = true;
	return sipdp_timer_create(&p, now_us, &t->wheel);
}

void
tsx_timer_wheel_destroy(struct sipdp_tsx_table *t)
{
	if (t->own_wheel)
		sipdp_timer_destroy(t->wheel);
	t->wheel = NULL;
}

size_t
tsx_timer_bytes_per_entry(const struct sipdp_tsx_table *t)
{
	/* Documented cost of lib/timer: 32 bytes a timer (heads amortised). */
	return t->own_wheel ? 32u : 0u;
}

void
tsx_timer_stop(struct sipdp_tsx_table *t, struct tsx *x)
{
	if (x->flags & TSX_F_TIMER) {
		sipdp_timer_stop(t->wheel, x->timer);
		x->flags &= (uint8_t)~TSX_F_TIMER;
		x->timer = SIPDP_TIMER_HANDLE_INVALID;
	}
}

void
tsx_timer_update(struct sipdp_tsx_table *t, struct tsx *x)
{
	uint64_t want = x->timeout_at;

	if (x->retrans_at && (want == 0 || x->retrans_at < want))
		want = x->retrans_at;
	if ((x->flags & TSX_F_TIMER) && x->armed_at == want)
		return;
	tsx_timer_stop(t, x);
	if (want == 0)
		return;
	/* The wheel has one entry per transaction of capacity (own wheel), so
	 * this cannot fail there; on a shared wheel a failure is the
	 * embedder's sizing error and the transaction would hang: count it. */
	if (sipdp_timer_start(t->wheel, want, tsx_handle(t, x), SIPDP_TSX_TIMER_KIND, &x->timer) == 0) {
		x->flags |= TSX_F_TIMER;
		x->armed_at = want;
	} else {
		t->stats.timer_failures++;
	}
}

void
sipdp_tsx_timer_expired(struct sipdp_tsx_table *t, const struct sipdp_timer_event *ev,
			uint64_t now_us)
{
	struct tsx *x = tsx_get(t, (sipdp_handle_t)ev->user);

	/* Only the entry currently armed for the transaction counts. */
	if (x == NULL || !(x->flags & TSX_F_TIMER) || x->timer != ev->handle)
		return;
	x->flags &= (uint8_t)~TSX_F_TIMER;
	x->timer = SIPDP_TIMER_HANDLE_INVALID;
	/* Machines compute their next deadlines from the scheduled times, not
	 * from now, so a late expire() never drifts the retransmission train. */
	tsx_timer_fire(t, x, now_us);
}

static void
expire_cb(void *arg, const struct sipdp_timer_event *ev)
{
	struct sipdp_tsx_table *t = arg;

	sipdp_tsx_timer_expired(t, ev, t->expire_now);
}

int
sipdp_tsx_expire(struct sipdp_tsx_table *t, uint64_t now_us, uint32_t max)
{
	if (!t->own_wheel)
		return -EINVAL;
	t->expire_now = now_us;
	return sipdp_timer_expire(t->wheel, now_us, expire_cb, t, max);
}
