/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/timer: the per-shard timing wheel, driven by a fake clock only.
 *
 * Scenarios, and the requirement each checks:
 *  - fires_on_first_call_reaching_due: a timer never fires early and fires on
 *    the first expire() whose now reaches its time rounded up to the tick
 *    (RFC 3261 §17.1.1.2 "fires after T1": early retransmissions are a bug).
 *  - timer_a_doubles_until_timer_b: INVITE client, unreliable transport:
 *    Timer A at T1, doubled at each firing, re-armed from the callback;
 *    Timer B at 64*T1 = 32 s ends it: retransmissions at exactly 0.5, 1.5,
 *    3.5, 7.5, 15.5, 31.5 s (RFC 3261 §17.1.1.2).
 *  - timer_e_caps_at_t2_stepped / _one_jump: non-INVITE client: Timer E
 *    doubles up to T2 = 4 s, Timer F at 64*T1 ends it: 10 retransmissions at
 *    exact times (RFC 3261 §17.1.2.2), both with a 1 ms clock and with the
 *    clock jumping 40 s in one call (re-arming from due_us catches up).
 *  - one_hour_timer_cascades_to_exact_tick: session timers (RFC 4028) and
 *    subscriptions run for hours; after moving down the levels the timer
 *    fires on its exact tick, and a sleeping loop reaches it in 3 wake-ups.
 *  - stop_before_fire / stop_after_fire_is_enoent: a transaction that
 *    terminates stops its timers; a stale handle (fired, stopped, reused
 *    slot) is -ENOENT and never touches the slot's new timer.
 *  - callback_stops_timer_due_in_same_batch: Timer B firing stops Timer A
 *    due in the same batch: A must not fire (RFC 3261 §17.1.1.2: once
 *    Terminated no retransmission goes out).
 *  - late_timer_fires_on_next_call_not_same_call: zero-delay re-arm from a
 *    callback cannot spin inside one expire() call.
 *  - full_wheel_refuses_with_enospc: bounded tables (design: answer 503).
 *  - batch_cap_leaves_rest_for_next_call: per-call work is bounded; the rest
 *    fires next call, in tick order.
 *  - clock_jump_of_days_fires_all_in_tick_order: order guarantee (by tick)
 *    across all four levels and the overflow list.
 *  - next_expiry_is_never_late, expire_from_callback_is_ebusy,
 *    create_rejects_bad_params, due_reports_rounded_time, dump_reports_state.
 *  - differential_vs_reference_model_tick_1ms / _tick_1us: 100k random
 *    operations (fixed seed) against an array-scan model: never early, never
 *    twice, never after stop, complete when not capped, tick order, counts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sipdp_test.h"
#include "sipdp_timer.h"

#define US 1ull
#define MS (1000 * US)
#define SEC (1000 * MS)
#define T1 (500 * MS)
#define T2 (4 * SEC)

enum { KIND_A = 1, KIND_B, KIND_E, KIND_F, KIND_X };

static struct sipdp_timer_wheel *
mk(uint32_t capacity, uint32_t tick_us, uint64_t now)
{
	struct sipdp_timer_params p = { .capacity = capacity, .tick_us = tick_us };
	struct sipdp_timer_wheel *w = NULL;

	CU_ASSERT_EQUAL_FATAL(sipdp_timer_create(&p, now, &w), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	return w;
}

/* ---- a recorder callback ------------------------------------------------ */

#define REC_MAX 4096
struct rec {
	struct sipdp_timer_event ev[REC_MAX];
	uint64_t at[REC_MAX]; /* fake clock when it fired */
	uint32_t n;
	uint64_t now;
};

static void
rec_cb(void *arg, const struct sipdp_timer_event *ev)
{
	struct rec *r = arg;

	if (r->n < REC_MAX) {
		r->ev[r->n] = *ev;
		r->at[r->n] = r->now;
	}
	r->n++;
}

static int
expire_at(struct sipdp_timer_wheel *w, struct rec *r, uint64_t now, uint32_t max)
{
	r->now = now;
	return sipdp_timer_expire(w, now, rec_cb, r, max);
}

static void
test_fires_on_first_call_reaching_due(void)
{
	struct sipdp_timer_wheel *w = mk(16, 1000, 0);
	struct rec r = { .n = 0 };
	sipdp_timer_handle_t h;

	CU_ASSERT_EQUAL(sipdp_timer_start(w, 500 * MS, 42, KIND_A, &h), 0);
	CU_ASSERT_EQUAL(expire_at(w, &r, 499999, SIPDP_TIMER_EXPIRE_ALL), 0);
	CU_ASSERT_EQUAL(expire_at(w, &r, 500000, SIPDP_TIMER_EXPIRE_ALL), 1);
	CU_ASSERT_EQUAL_FATAL(r.n, 1);
	CU_ASSERT_EQUAL(r.ev[0].user, 42);
	CU_ASSERT_EQUAL(r.ev[0].kind, KIND_A);
	CU_ASSERT_EQUAL(r.ev[0].due_us, 500 * MS);
	CU_ASSERT_EQUAL(r.ev[0].handle, h);
	CU_ASSERT_EQUAL(expire_at(w, &r, 500001, SIPDP_TIMER_EXPIRE_ALL), 0);

	/* Not on a tick boundary: rounded up, never down. */
	CU_ASSERT_EQUAL(sipdp_timer_start(w, 600400, 43, KIND_A, NULL), 0);
	CU_ASSERT_EQUAL(expire_at(w, &r, 600400, SIPDP_TIMER_EXPIRE_ALL), 0);
	CU_ASSERT_EQUAL(expire_at(w, &r, 600999, SIPDP_TIMER_EXPIRE_ALL), 0);
	CU_ASSERT_EQUAL(expire_at(w, &r, 601000, SIPDP_TIMER_EXPIRE_ALL), 1);
	CU_ASSERT_EQUAL(r.ev[1].due_us, 601000);

	/* A call that comes late fires it once, with its own due time. */
	CU_ASSERT_EQUAL(sipdp_timer_start(w, 700 * MS, 44, KIND_A, NULL), 0);
	CU_ASSERT_EQUAL(expire_at(w, &r, 950 * MS, SIPDP_TIMER_EXPIRE_ALL), 1);
	CU_ASSERT_EQUAL(r.ev[2].due_us, 700 * MS);
	CU_ASSERT_EQUAL(expire_at(w, &r, 951 * MS, SIPDP_TIMER_EXPIRE_ALL), 0);

	/* Odd tick size, creation time off the grid. */
	sipdp_timer_destroy(w);
	w = mk(4, 250, 1234567);
	r.n = 0;
	CU_ASSERT_EQUAL(sipdp_timer_start(w, 1234567 + T1, 1, KIND_A, NULL), 0); /* 1734567 -> 1734750 */
	CU_ASSERT_EQUAL(expire_at(w, &r, 1734749, SIPDP_TIMER_EXPIRE_ALL), 0);
	CU_ASSERT_EQUAL(expire_at(w, &r, 1734750, SIPDP_TIMER_EXPIRE_ALL), 1);
	CU_ASSERT_EQUAL(r.ev[0].due_us, 1734750);
	CU_ASSERT_EQUAL(sipdp_timer_count(w), 0);
	sipdp_timer_destroy(w);
}

/* ---- RFC 3261 retransmission patterns ------------------------------------ */

struct client_tsx {
	struct sipdp_timer_wheel *w;
	uint64_t now;
	uint64_t interval;
	uint64_t cap;            /* T2 for Timer E, 0 for Timer A (no cap) */
	int from_due;            /* re-arm from ev->due_us instead of now */
	uint16_t retrans_kind, timeout_kind;
	sipdp_timer_handle_t retrans, timeout;
	uint64_t retrans_at[64], retrans_due[64];
	uint32_t nretrans;
	uint64_t timeout_at;
	int timeout_stop_rc;
	int terminated;
};

static void
client_cb(void *arg, const struct sipdp_timer_event *ev)
{
	struct client_tsx *c = arg;

	CU_ASSERT_FALSE(c->terminated);
	if (ev->kind == c->retrans_kind) {
		CU_ASSERT_EQUAL(ev->handle, c->retrans);
		if (c->nretrans < 64) {
			c->retrans_at[c->nretrans] = c->now;
			c->retrans_due[c->nretrans] = ev->due_us;
		}
		c->nretrans++;
		c->interval *= 2;
		if (c->cap && c->interval > c->cap)
			c->interval = c->cap;
		CU_ASSERT_EQUAL(sipdp_timer_start(c->w, (c->from_due ? ev->due_us : c->now) + c->interval,
						  ev->user, c->retrans_kind, &c->retrans), 0);
	} else {
		CU_ASSERT_EQUAL(ev->kind, c->timeout_kind);
		c->timeout_at = c->now;
		c->timeout_stop_rc = sipdp_timer_stop(c->w, c->retrans);
		c->terminated = 1;
	}
}

static void
client_start(struct client_tsx *c, uint64_t t0)
{
	c->now = t0;
	c->interval = T1;
	CU_ASSERT_EQUAL(sipdp_timer_start(c->w, t0 + T1, 7, c->retrans_kind, &c->retrans), 0);
	CU_ASSERT_EQUAL(sipdp_timer_start(c->w, t0 + 64 * T1, 7, c->timeout_kind, &c->timeout), 0);
}

static void
test_timer_a_doubles_until_timer_b(void)
{
	static const uint64_t want[] = { 500, 1500, 3500, 7500, 15500, 31500 };
	struct client_tsx c = { .w = mk(64, 1000, 0), .retrans_kind = KIND_A, .timeout_kind = KIND_B };
	int total = 0;

	client_start(&c, 0);
	for (uint64_t t = 0; t <= 40 * SEC; t += MS) {
		c.now = t;
		total += sipdp_timer_expire(c.w, t, client_cb, &c, SIPDP_TIMER_EXPIRE_ALL);
	}
	CU_ASSERT_EQUAL(c.nretrans, SIPDP_ARRAY_SIZE(want));
	for (uint32_t i = 0; i < SIPDP_ARRAY_SIZE(want) && i < c.nretrans; i++) {
		CU_ASSERT_EQUAL(c.retrans_at[i], want[i] * MS);
		CU_ASSERT_EQUAL(c.retrans_due[i], want[i] * MS);
	}
	CU_ASSERT_EQUAL(c.timeout_at, 64 * T1);
	CU_ASSERT_EQUAL(c.timeout_stop_rc, 0); /* A was armed (63.5 s) and is now gone */
	CU_ASSERT_EQUAL(total, 7);
	CU_ASSERT_EQUAL(sipdp_timer_count(c.w), 0);
	CU_ASSERT_EQUAL(sipdp_timer_stop(c.w, c.retrans), -ENOENT);
	sipdp_timer_destroy(c.w);
}

static const uint64_t want_e[] = { 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500 };

static void
check_timer_e(struct client_tsx *c, int from_due)
{
	CU_ASSERT_EQUAL(c->nretrans, SIPDP_ARRAY_SIZE(want_e));
	for (uint32_t i = 0; i < SIPDP_ARRAY_SIZE(want_e) && i < c->nretrans; i++) {
		CU_ASSERT_EQUAL(c->retrans_due[i], want_e[i] * MS);
		if (!from_due)
			CU_ASSERT_EQUAL(c->retrans_at[i], want_e[i] * MS);
	}
	CU_ASSERT_EQUAL(c->timeout_stop_rc, 0);
	CU_ASSERT_TRUE(c->terminated);
	CU_ASSERT_EQUAL(sipdp_timer_count(c->w), 0);
}

static void
test_timer_e_caps_at_t2_stepped(void)
{
	struct client_tsx c = { .w = mk(64, 1000, 0), .cap = T2, .retrans_kind = KIND_E, .timeout_kind = KIND_F };
	int total = 0;

	client_start(&c, 0);
	for (uint64_t t = 0; t <= 40 * SEC; t += MS) {
		c.now = t;
		total += sipdp_timer_expire(c.w, t, client_cb, &c, SIPDP_TIMER_EXPIRE_ALL);
	}
	check_timer_e(&c, 0);
	CU_ASSERT_EQUAL(c.timeout_at, 64 * T1);
	CU_ASSERT_EQUAL(total, 11);
	sipdp_timer_destroy(c.w);
}

static void
test_timer_e_caps_at_t2_one_jump(void)
{
	struct client_tsx c = { .w = mk(64, 1000, 0), .cap = T2, .from_due = 1,
				.retrans_kind = KIND_E, .timeout_kind = KIND_F };

	client_start(&c, 0);
	c.now = 40 * SEC;
	/* Each re-arm lands between the wheel's tick and now: it fires in this
	 * same call, in order, and F (32 s) stops the one armed for 35.5 s. */
	CU_ASSERT_EQUAL(sipdp_timer_expire(c.w, 40 * SEC, client_cb, &c, SIPDP_TIMER_EXPIRE_ALL), 11);
	check_timer_e(&c, 1);
	sipdp_timer_destroy(c.w);
}

/* ---- long timers --------------------------------------------------------- */

static void
test_one_hour_timer_cascades_to_exact_tick(void)
{
	const uint64_t t0 = 12345;                  /* created off the tick grid */
	const uint64_t due = t0 + 3600 * SEC + 7 * MS; /* 3600019345 -> tick 3600020 */
	const uint64_t fire = 3600020 * MS;
	struct sipdp_timer_wheel *w = mk(8, 1000, t0);
	struct sipdp_timer_stats st;
	struct rec r = { .n = 0 };
	uint64_t t, at;
	int wakeups = 0;

	CU_ASSERT_EQUAL(sipdp_timer_start(w, due, 99, KIND_X, NULL), 0);
	for (t = t0; t < fire - 2 * SEC; t += 997 * MS)
		CU_ASSERT_EQUAL(expire_at(w, &r, t, SIPDP_TIMER_EXPIRE_ALL), 0);
	for (t = fire - 2 * SEC; t < fire; t += 100 * US)
		CU_ASSERT_EQUAL(expire_at(w, &r, t, SIPDP_TIMER_EXPIRE_ALL), 0);
	CU_ASSERT_EQUAL(expire_at(w, &r, fire, SIPDP_TIMER_EXPIRE_ALL), 1);
	CU_ASSERT_EQUAL(r.ev[0].due_us, fire);
	sipdp_timer_stats(w, &st);
	CU_ASSERT(st.cascaded >= 2); /* level 2 -> 1 -> 0 */
	sipdp_timer_destroy(w);

	/* A control loop that sleeps until next_expiry: never late, few wake-ups. */
	w = mk(8, 1000, t0);
	r.n = 0;
	CU_ASSERT_EQUAL(sipdp_timer_start(w, due, 99, KIND_X, NULL), 0);
	while (r.n == 0 && wakeups < 10) {
		CU_ASSERT_EQUAL_FATAL(sipdp_timer_next_expiry(w, &at), 0);
		CU_ASSERT(at <= fire);
		expire_at(w, &r, at, SIPDP_TIMER_EXPIRE_ALL);
		wakeups++;
	}
	CU_ASSERT_EQUAL(r.n, 1);
	CU_ASSERT_EQUAL(r.at[0], fire);
	CU_ASSERT_EQUAL(wakeups, 3);
	CU_ASSERT_EQUAL(sipdp_timer_next_expiry(w, &at), -ENOENT);
	sipdp_timer_destroy(w);
}

/* ---- stop ---------------------------------------------------------------- */

static void
test_stop_before_fire(void)
{
	struct sipdp_timer_wheel *w = mk(8, 1000, 0);
	struct rec r = { .n = 0 };
	sipdp_timer_handle_t a, b, c;
	uint64_t at;

	CU_ASSERT_EQUAL(sipdp_timer_start(w, 10 * MS, 1, KIND_A, &a), 0);     /* level 0 */
	CU_ASSERT_EQUAL(sipdp_timer_start(w, 32 * SEC, 1, KIND_B, &b), 0);    /* level 1 */
	CU_ASSERT_EQUAL(sipdp_timer_start(w, 3 * 3600 * SEC, 1, KIND_X, &c), 0); /* level 2 */
	CU_ASSERT_EQUAL(sipdp_timer_count(w), 3);
	CU_ASSERT_EQUAL(sipdp_timer_stop(w, b), 0);
	CU_ASSERT_EQUAL(sipdp_timer_stop(w, a), 0);
	CU_ASSERT_EQUAL(sipdp_timer_stop(w, c), 0);
	CU_ASSERT_EQUAL(sipdp_timer_count(w), 0);
	CU_ASSERT_EQUAL(sipdp_timer_next_expiry(w, &at), -ENOENT);
	CU_ASSERT_EQUAL(expire_at(w, &r, 24 * 3600 * SEC, SIPDP_TIMER_EXPIRE_ALL), 0);
	CU_ASSERT_EQUAL(r.n, 0);
	sipdp_timer_destroy(w);
}

static void
test_stop_after_fire_is_enoent(void)
{
	struct sipdp_timer_wheel *w = mk(1, 1000, 0);
	struct rec r = { .n = 0 };
	sipdp_timer_handle_t h1, h2;
	uint64_t due;

	CU_ASSERT_EQUAL(sipdp_timer_start(w, 5 * MS, 1, KIND_A, &h1), 0);
	CU_ASSERT_EQUAL(expire_at(w, &r, 5 * MS, SIPDP_TIMER_EXPIRE_ALL), 1);
	CU_ASSERT_EQUAL(sipdp_timer_stop(w, h1), -ENOENT);
	/* Capacity 1: the new timer reuses h1's slot with a new generation. */
	CU_ASSERT_EQUAL(sipdp_timer_start(w, 50 * MS, 2, KIND_B, &h2), 0);
	CU_ASSERT_EQUAL(sipdp_handle_index(h1), sipdp_handle_index(h2));
	CU_ASSERT_NOT_EQUAL(h1, h2);
	CU_ASSERT_EQUAL(sipdp_timer_stop(w, h1), -ENOENT);
	CU_ASSERT_EQUAL(sipdp_timer_stop(w, SIPDP_TIMER_HANDLE_INVALID), -ENOENT);
	CU_ASSERT_EQUAL(sipdp_timer_stop(w, sipdp_handle_make(1, 1)), -ENOENT);  /* out of range */
	CU_ASSERT_EQUAL(sipdp_timer_stop(w, sipdp_handle_make(0, sipdp_handle_gen(h2) + 1)), -ENOENT);
	CU_ASSERT_EQUAL(sipdp_timer_due(w, h2, &due), 0);
	CU_ASSERT_EQUAL(due, 50 * MS);
	CU_ASSERT_EQUAL(sipdp_timer_count(w), 1);
	CU_ASSERT_EQUAL(expire_at(w, &r, 50 * MS, SIPDP_TIMER_EXPIRE_ALL), 1);
	CU_ASSERT_EQUAL(r.ev[1].user, 2);
	CU_ASSERT_EQUAL(r.ev[1].handle, h2);
	CU_ASSERT_EQUAL(sipdp_timer_stop(w, h2), -ENOENT);
	CU_ASSERT_EQUAL(sipdp_timer_stop(w, h2), -ENOENT);
	sipdp_timer_destroy(w);
}

struct pair_ctx {
	struct sipdp_timer_wheel *w;
	sipdp_timer_handle_t h[3];
	uint32_t fired;
	int stop_rc[2];
};

static void
pair_cb(void *arg, const struct sipdp_timer_event *ev)
{
	struct pair_ctx *p = arg;
	uint32_t me = (uint32_t)ev->user;

	p->fired++;
	/* Whichever of the pair fires first terminates the other and the later one. */
	p->stop_rc[0] = sipdp_timer_stop(p->w, p->h[1 - me]);
	p->stop_rc[1] = sipdp_timer_stop(p->w, p->h[2]);
}

static void
test_callback_stops_timer_due_in_same_batch(void)
{
	struct pair_ctx p = { .w = mk(8, 1000, 0) };
	struct sipdp_timer_stats st;

	CU_ASSERT_EQUAL(sipdp_timer_start(p.w, 100 * MS, 0, KIND_B, &p.h[0]), 0);
	CU_ASSERT_EQUAL(sipdp_timer_start(p.w, 100 * MS, 1, KIND_A, &p.h[1]), 0);
	CU_ASSERT_EQUAL(sipdp_timer_start(p.w, 150 * MS, 2, KIND_A, &p.h[2]), 0);
	CU_ASSERT_EQUAL(sipdp_timer_expire(p.w, 200 * MS, pair_cb, &p, SIPDP_TIMER_EXPIRE_ALL), 1);
	CU_ASSERT_EQUAL(p.fired, 1);
	CU_ASSERT_EQUAL(p.stop_rc[0], 0);
	CU_ASSERT_EQUAL(p.stop_rc[1], 0);
	CU_ASSERT_EQUAL(sipdp_timer_count(p.w), 0);
	CU_ASSERT_EQUAL(sipdp_timer_expire(p.w, 10 * SEC, pair_cb, &p, SIPDP_TIMER_EXPIRE_ALL), 0);
	sipdp_timer_stats(p.w, &st);
	CU_ASSERT_EQUAL(st.fired, 1);
	CU_ASSERT_EQUAL(st.stopped, 2);
	sipdp_timer_destroy(p.w);
}

/* ---- late timers, capacity, batch cap ------------------------------------ */

struct rearm_ctx {
	struct sipdp_timer_wheel *w;
	uint32_t fired;
};

static void
rearm_now_cb(void *arg, const struct sipdp_timer_event *ev)
{
	struct rearm_ctx *c = arg;

	c->fired++;
	CU_ASSERT_EQUAL(sipdp_timer_start(c->w, ev->due_us, ev->user, ev->kind, NULL), 0);
}

static void
test_late_timer_fires_on_next_call_not_same_call(void)
{
	struct rearm_ctx c = { .w = mk(4, 1000, 10 * SEC) };
	struct rec r = { .n = 0 };

	/* Started in the past (before creation time): due, fires on the next call. */
	CU_ASSERT_EQUAL(sipdp_timer_start(c.w, 1 * SEC, 5, KIND_A, NULL), 0);
	CU_ASSERT_EQUAL(expire_at(c.w, &r, 10 * SEC, SIPDP_TIMER_EXPIRE_ALL), 1);
	CU_ASSERT_EQUAL(r.ev[0].due_us, 1 * SEC);

	CU_ASSERT_EQUAL(sipdp_timer_start(c.w, 10 * SEC + 1 * MS, 5, KIND_A, NULL), 0);
	for (int i = 0; i < 3; i++) {
		/* Re-armed with a time already reached: once per call, no spinning. */
		CU_ASSERT_EQUAL(sipdp_timer_expire(c.w, 11 * SEC, rearm_now_cb, &c, SIPDP_TIMER_EXPIRE_ALL), 1);
		CU_ASSERT_EQUAL(sipdp_timer_count(c.w), 1);
	}
	CU_ASSERT_EQUAL(c.fired, 3);
	sipdp_timer_destroy(c.w);
}

static void
test_full_wheel_refuses_with_enospc(void)
{
	struct sipdp_timer_wheel *w = mk(3, 1000, 0);
	struct sipdp_timer_stats st;
	sipdp_timer_handle_t h[3], x = 77;

	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(sipdp_timer_start(w, (uint64_t)(i + 1) * SEC, (uint64_t)i, KIND_X, &h[i]), 0);
	CU_ASSERT_EQUAL(sipdp_timer_start(w, 5 * SEC, 9, KIND_X, &x), -ENOSPC);
	CU_ASSERT_EQUAL(x, 77); /* untouched */
	CU_ASSERT_EQUAL(sipdp_timer_count(w), 3);
	CU_ASSERT_EQUAL(sipdp_timer_stop(w, h[1]), 0);
	CU_ASSERT_EQUAL(sipdp_timer_start(w, 5 * SEC, 9, KIND_X, &x), 0);
	CU_ASSERT_EQUAL(sipdp_timer_start(w, 6 * SEC, 9, KIND_X, NULL), -ENOSPC);
	sipdp_timer_stats(w, &st);
	CU_ASSERT_EQUAL(st.full, 2);
	CU_ASSERT_EQUAL(st.in_use, 3);
	CU_ASSERT_EQUAL(st.in_use_max, 3);
	sipdp_timer_destroy(w);
}

static void
test_batch_cap_leaves_rest_for_next_call(void)
{
	static const uint32_t order[10] = { 7, 2, 9, 0, 5, 3, 8, 1, 6, 4 };
	struct sipdp_timer_wheel *w = mk(32, 1000, 0);
	struct rec r = { .n = 0 };

	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(sipdp_timer_start(w, (10 + order[i]) * MS, order[i], KIND_X, NULL), 0);
	CU_ASSERT_EQUAL(expire_at(w, &r, 1 * SEC, 0), 0); /* max 0: nothing */
	CU_ASSERT_EQUAL(expire_at(w, &r, 1 * SEC, 4), 4);
	CU_ASSERT_EQUAL(sipdp_timer_count(w), 6);
	/* Started already reached between calls (a late timer): the cap stopped
	 * right after tick 13, nothing is left over, so it goes first next call. */
	CU_ASSERT_EQUAL(sipdp_timer_start(w, 5 * MS, 100, KIND_X, NULL), 0);
	CU_ASSERT_EQUAL(expire_at(w, &r, 1 * SEC, 4), 4);
	CU_ASSERT_EQUAL(expire_at(w, &r, 1 * SEC, 4), 3);
	CU_ASSERT_EQUAL(expire_at(w, &r, 1 * SEC, 4), 0);
	CU_ASSERT_EQUAL_FATAL(r.n, 11);
	for (uint32_t i = 0, u = 0; i < 11; i++) {
		if (i == 4) {
			CU_ASSERT_EQUAL(r.ev[i].user, 100);
			CU_ASSERT_EQUAL(r.ev[i].due_us, 5 * MS);
			continue;
		}
		CU_ASSERT_EQUAL(r.ev[i].user, u);
		CU_ASSERT_EQUAL(r.ev[i].due_us, (10 + u) * MS);
		u++;
	}
	CU_ASSERT_EQUAL(sipdp_timer_count(w), 0);
	sipdp_timer_destroy(w);
}

/* ---- clock jumps --------------------------------------------------------- */

static uint64_t
rng_next(uint64_t *s)
{
	/* xorshift64*: fixed seed, same sequence everywhere. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static void
test_clock_jump_of_days_fires_all_in_tick_order(void)
{
	enum { N = 3000 };
	static uint64_t due_of[N];
	struct sipdp_timer_wheel *w = mk(N, 1000, 5 * SEC);
	struct rec *r = calloc(1, sizeof(*r));
	uint64_t seed = 0x5eed, day = 86400 * SEC;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (uint32_t i = 0; i < N; i++) {
		uint64_t span = i % 10 == 0 ? 100 * day : i % 3 == 0 ? 10 * 3600 * SEC : 64 * SEC;

		due_of[i] = 5 * SEC + 1 + rng_next(&seed) % span;
		CU_ASSERT_EQUAL(sipdp_timer_start(w, due_of[i], i, KIND_X, NULL), 0);
	}
	CU_ASSERT_EQUAL(expire_at(w, r, 200 * day, SIPDP_TIMER_EXPIRE_ALL), N);
	CU_ASSERT_EQUAL(sipdp_timer_count(w), 0);
	for (uint32_t i = 0; i < N && i < REC_MAX; i++) {
		uint64_t want = (due_of[r->ev[i].user] + MS - 1) / MS * MS;

		CU_ASSERT_EQUAL(r->ev[i].due_us, want);
		if (i > 0 && r->ev[i].due_us < r->ev[i - 1].due_us) {
			CU_FAIL("fired out of tick order");
			break;
		}
	}
	free(r);
	sipdp_timer_destroy(w);
}

static void
test_next_expiry_is_never_late(void)
{
	struct sipdp_timer_wheel *w = mk(8, 1000, 0);
	struct rec r = { .n = 0 };
	sipdp_timer_handle_t h;
	uint64_t at = 1;
	int wakeups = 0;

	CU_ASSERT_EQUAL(sipdp_timer_next_expiry(w, &at), -ENOENT);
	CU_ASSERT_EQUAL(sipdp_timer_start(w, 100 * MS, 1, KIND_X, NULL), 0);
	CU_ASSERT_EQUAL(sipdp_timer_next_expiry(w, &at), 0);
	CU_ASSERT_EQUAL(at, 100 * MS); /* level 0: exact */
	/* A stopped timer leaves no trace: the answer goes back to 100 ms. */
	CU_ASSERT_EQUAL(sipdp_timer_start(w, 50 * MS, 9, KIND_X, &h), 0);
	CU_ASSERT_EQUAL(sipdp_timer_next_expiry(w, &at), 0);
	CU_ASSERT_EQUAL(at, 50 * MS);
	CU_ASSERT_EQUAL(sipdp_timer_stop(w, h), 0);
	CU_ASSERT_EQUAL(sipdp_timer_next_expiry(w, &at), 0);
	CU_ASSERT_EQUAL(at, 100 * MS);
	CU_ASSERT_EQUAL(sipdp_timer_start(w, 300 * MS, 2, KIND_X, NULL), 0);
	CU_ASSERT_EQUAL(sipdp_timer_next_expiry(w, &at), 0);
	CU_ASSERT_EQUAL(at, 100 * MS);
	CU_ASSERT_EQUAL(expire_at(w, &r, at, SIPDP_TIMER_EXPIRE_ALL), 1);
	/* 300 ms sits one level up: the answer may be early, never late. */
	while (r.n < 2 && wakeups < 10) {
		CU_ASSERT_EQUAL_FATAL(sipdp_timer_next_expiry(w, &at), 0);
		CU_ASSERT(at <= 300 * MS);
		expire_at(w, &r, at, SIPDP_TIMER_EXPIRE_ALL);
		wakeups++;
	}
	CU_ASSERT_EQUAL(r.n, 2);
	CU_ASSERT_EQUAL(r.at[1], 300 * MS);
	CU_ASSERT(wakeups <= 2);
	/* A late timer: due now, the answer is the last processed tick. */
	CU_ASSERT_EQUAL(sipdp_timer_start(w, 1 * MS, 3, KIND_X, NULL), 0);
	CU_ASSERT_EQUAL(sipdp_timer_next_expiry(w, &at), 0);
	CU_ASSERT_EQUAL(at, 300 * MS);
	sipdp_timer_destroy(w);
}

/* ---- API edges ----------------------------------------------------------- */

struct busy_ctx {
	struct sipdp_timer_wheel *w;
	int rc;
};

static void
busy_cb(void *arg, const struct sipdp_timer_event *ev)
{
	struct busy_ctx *b = arg;

	(void)ev;
	b->rc = sipdp_timer_expire(b->w, 10 * SEC, busy_cb, b, SIPDP_TIMER_EXPIRE_ALL);
}

static void
test_expire_from_callback_is_ebusy(void)
{
	struct busy_ctx b = { .w = mk(4, 1000, 0), .rc = 1 };

	CU_ASSERT_EQUAL(sipdp_timer_start(b.w, 1 * MS, 0, KIND_X, NULL), 0);
	CU_ASSERT_EQUAL(sipdp_timer_start(b.w, 2 * MS, 0, KIND_X, NULL), 0);
	CU_ASSERT_EQUAL(sipdp_timer_expire(b.w, 1 * MS, busy_cb, &b, SIPDP_TIMER_EXPIRE_ALL), 1);
	CU_ASSERT_EQUAL(b.rc, -EBUSY);
	CU_ASSERT_EQUAL(sipdp_timer_count(b.w), 1); /* the nested call fired nothing */
	CU_ASSERT_EQUAL(sipdp_timer_expire(b.w, 2 * MS, busy_cb, &b, SIPDP_TIMER_EXPIRE_ALL), 1);
	sipdp_timer_destroy(b.w);
}

static void
test_create_rejects_bad_params(void)
{
	struct sipdp_timer_wheel *w = NULL;
	struct sipdp_timer_params p = { .capacity = 0, .tick_us = 1000 };

	CU_ASSERT_EQUAL(sipdp_timer_create(&p, 0, &w), -EINVAL);
	p.capacity = 10;
	p.tick_us = 0;
	CU_ASSERT_EQUAL(sipdp_timer_create(&p, 0, &w), -EINVAL);
	p.tick_us = 1000;
	p.capacity = SIPDP_TIMER_CAPACITY_MAX + 1;
	CU_ASSERT_EQUAL(sipdp_timer_create(&p, 0, &w), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_timer_create(NULL, 0, &w), -EINVAL);
	p.capacity = 10;
	CU_ASSERT_EQUAL(sipdp_timer_create(&p, 0, NULL), -EINVAL);
	CU_ASSERT_PTR_NULL(w);
	CU_ASSERT_EQUAL(sipdp_timer_create(&p, 0, &w), 0);
	CU_ASSERT_EQUAL(sipdp_timer_capacity(w), 10);
	CU_ASSERT_EQUAL(sipdp_timer_count(w), 0);
	sipdp_timer_destroy(w);
	sipdp_timer_destroy(NULL);
}

static void
test_due_reports_rounded_time(void)
{
	struct sipdp_timer_wheel *w = mk(4, 1000, 0);
	sipdp_timer_handle_t h;
	uint64_t due = 0;

	CU_ASSERT_EQUAL(sipdp_timer_start(w, 1234567, 0, KIND_X, &h), 0);
	CU_ASSERT_EQUAL(sipdp_timer_due(w, h, &due), 0);
	CU_ASSERT_EQUAL(due, 1235000);
	CU_ASSERT_EQUAL(sipdp_timer_stop(w, h), 0);
	CU_ASSERT_EQUAL(sipdp_timer_due(w, h, &due), -ENOENT);
	sipdp_timer_destroy(w);
}

static void
test_dump_reports_state(void)
{
	struct sipdp_timer_wheel *w = mk(16, 1000, 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(sipdp_timer_start(w, 100 * MS, 0, KIND_X, NULL), 0);   /* level 0 */
	CU_ASSERT_EQUAL(sipdp_timer_start(w, 32 * SEC, 0, KIND_X, NULL), 0);   /* level 1 */
	CU_ASSERT_EQUAL(sipdp_timer_start(w, 3600 * SEC, 0, KIND_X, NULL), 0); /* level 2 */
	CU_ASSERT_EQUAL(sipdp_timer_dump(w, f), 0);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "armed 3"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "level 0 (1000 us a slot): 1 timers in 1 slots"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "level 1 (256000 us a slot): 1 timers in 1 slots"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "level 2 (65536000 us a slot): 1 timers in 1 slots"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "next expiry at or before 100000 us"));
	free(buf);
	sipdp_timer_destroy(w);
}

/* ---- differential test against an array-scan model ----------------------- */

enum { REF_ARMED = 1, REF_FIRED, REF_STOPPED };

struct ref_timer {
	uint64_t due_tick;
	sipdp_timer_handle_t h;
	uint16_t kind;
	uint8_t state;
	uint8_t ordered;   /* surely placed in the wheel: fires in tick order */
	uint8_t this_call; /* started during the current expire() call */
};

struct diff {
	struct sipdp_timer_wheel *w;
	struct ref_timer *t;
	uint32_t nt, tmax;
	uint32_t *live, *pos, nlive;
	uint32_t capacity;
	uint64_t tick_us, now, last_call_tick, last_ordered_due, rng;
	/* coverage, so the test proves it went everywhere */
	uint64_t fired, stopped, enoent, enospc, capped_calls, late;
	int draining;
};

static void
diff_live_add(struct diff *d, uint32_t id)
{
	d->pos[id] = d->nlive;
	d->live[d->nlive++] = id;
}

static void
diff_live_del(struct diff *d, uint32_t id)
{
	uint32_t p = d->pos[id], last = d->live[--d->nlive];

	d->live[p] = last;
	d->pos[last] = p;
}

static uint64_t
diff_rand(struct diff *d, uint64_t n)
{
	return n ? rng_next(&d->rng) % n : 0;
}

static void
diff_start(struct diff *d, uint64_t base, int in_call)
{
	uint64_t r = diff_rand(d, 100), exp;
	sipdp_timer_handle_t h = 0;
	int rc;

	if (r < 5)
		exp = base > 5 * SEC ? base - diff_rand(d, 5 * SEC) : 0;
	else if (r < 10)
		exp = base;
	else if (r < 50)
		exp = base + diff_rand(d, 1 * SEC);
	else if (r < 80)
		exp = base + diff_rand(d, 64 * SEC);
	else if (r < 95)
		exp = base + diff_rand(d, 4 * 3600 * SEC);
	else
		exp = base + diff_rand(d, 80 * 86400 * SEC);
	if (d->nt == d->tmax)
		return;
	rc = sipdp_timer_start(d->w, exp, d->nt, (uint16_t)d->nt, &h);
	if (d->nlive == d->capacity) {
		CU_ASSERT_EQUAL(rc, -ENOSPC);
		d->enospc++;
		return;
	}
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	struct ref_timer *t = &d->t[d->nt];
	t->due_tick = (exp + d->tick_us - 1) / d->tick_us;
	t->h = h;
	t->kind = (uint16_t)d->nt;
	t->state = REF_ARMED;
	t->ordered = t->due_tick > d->last_call_tick;
	t->this_call = (uint8_t)in_call;
	d->late += !t->ordered;
	diff_live_add(d, d->nt);
	d->nt++;
}

static void
diff_stop(struct diff *d)
{
	uint64_t r = diff_rand(d, 10);

	if (r < 7 && d->nlive) {
		uint32_t id = d->live[diff_rand(d, d->nlive)];

		CU_ASSERT_EQUAL(sipdp_timer_stop(d->w, d->t[id].h), 0);
		d->t[id].state = REF_STOPPED;
		diff_live_del(d, id);
		d->stopped++;
	} else if (r < 9 && d->nt) {
		uint32_t id = (uint32_t)diff_rand(d, d->nt);

		if (d->t[id].state == REF_ARMED)
			return;
		CU_ASSERT_EQUAL(sipdp_timer_stop(d->w, d->t[id].h), -ENOENT);
		d->enoent++;
	} else {
		sipdp_handle_t junk = r == 9 ? rng_next(&d->rng) : SIPDP_TIMER_HANDLE_INVALID;

		/* Random 64 bits name a live timer with odds ~ capacity / 2^63. */
		CU_ASSERT_EQUAL(sipdp_timer_stop(d->w, junk), -ENOENT);
		d->enoent++;
	}
}

static void
diff_cb(void *arg, const struct sipdp_timer_event *ev)
{
	struct diff *d = arg;
	struct ref_timer *t;
	uint32_t id = (uint32_t)ev->user;

	d->fired++;
	CU_ASSERT_FATAL(ev->user < d->nt);
	t = &d->t[id];
	CU_ASSERT_EQUAL_FATAL(t->state, REF_ARMED); /* not twice, not after stop */
	CU_ASSERT_EQUAL(ev->handle, t->h);
	CU_ASSERT_EQUAL(ev->kind, t->kind);
	CU_ASSERT_EQUAL(ev->due_us, t->due_tick * d->tick_us);
	CU_ASSERT_FATAL(t->due_tick * d->tick_us <= d->now); /* never early */
	if (t->ordered) {
		CU_ASSERT_FATAL(t->due_tick >= d->last_ordered_due);
		d->last_ordered_due = t->due_tick;
	}
	t->state = REF_FIRED;
	diff_live_del(d, id);
	CU_ASSERT_EQUAL(sipdp_timer_stop(d->w, ev->handle), -ENOENT);
	/* Callbacks start and stop timers too, as transactions do. */
	switch (d->draining ? 7 : diff_rand(d, 8)) {
	case 0:
		diff_start(d, d->now, 1);
		break;
	case 1:
		diff_stop(d);
		break;
	default:
		break;
	}
}

static void
diff_expire(struct diff *d, int fill)
{
	uint64_t r = fill ? 0 : diff_rand(d, 100), delta, now_tick;
	uint32_t max = diff_rand(d, 4) == 0 ? 1 + (uint32_t)diff_rand(d, 8) : SIPDP_TIMER_EXPIRE_ALL;
	uint64_t before = d->fired;
	int n;

	if (fill)
		delta = diff_rand(d, 1 * MS);
	else if (r < 60)
		delta = diff_rand(d, 20 * MS);
	else if (r < 85)
		delta = diff_rand(d, 2 * SEC);
	else if (r < 95)
		delta = diff_rand(d, 120 * SEC);
	else if (r < 99)
		delta = diff_rand(d, 6 * 3600 * SEC);
	else
		delta = diff_rand(d, 60 * 86400 * SEC);
	d->now += delta;
	now_tick = d->now / d->tick_us;
	d->last_call_tick = now_tick;
	n = sipdp_timer_expire(d->w, d->now, diff_cb, d, max);
	CU_ASSERT_FATAL(n >= 0);
	CU_ASSERT_EQUAL(d->fired - before, (uint64_t)n);
	if ((uint32_t)n == max) {
		d->capped_calls++;
	} else {
		/* Not capped: everything due has fired, except timers the callbacks
		 * started already due (they may wait for the next call). */
		for (uint32_t i = 0; i < d->nlive; i++) {
			struct ref_timer *t = &d->t[d->live[i]];

			if (!t->this_call && t->due_tick <= now_tick) {
				CU_FAIL("due timer left after an uncapped expire()");
				break;
			}
		}
	}
	for (uint32_t i = 0; i < d->nlive; i++)
		d->t[d->live[i]].this_call = 0;
}

static void
diff_check_next_expiry(struct diff *d)
{
	uint64_t at, min = UINT64_MAX;
	int rc = sipdp_timer_next_expiry(d->w, &at);

	if (d->nlive == 0) {
		CU_ASSERT_EQUAL(rc, -ENOENT);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	for (uint32_t i = 0; i < d->nlive; i++)
		min = SIPDP_MIN(min, d->t[d->live[i]].due_tick);
	/* The earliest timer can fire at the next call past max(its due, now). */
	CU_ASSERT(at <= SIPDP_MAX(min, d->last_call_tick) * d->tick_us);
}

static void
run_differential(uint32_t tick_us, uint64_t seed)
{
	enum { OPS = 100000, CAP = 2048, PHASE = 5000 };
	struct diff d = { .capacity = CAP, .tick_us = tick_us, .rng = seed, .now = 1000 * SEC };
	struct sipdp_timer_stats st;
	uint64_t at;

	d.tmax = OPS * 2;
	d.t = calloc(d.tmax, sizeof(*d.t));
	d.live = calloc(d.tmax, sizeof(*d.live));
	d.pos = calloc(d.tmax, sizeof(*d.pos));
	CU_ASSERT_FATAL(d.t && d.live && d.pos);
	d.w = mk(CAP, tick_us, d.now);
	d.last_call_tick = d.now / tick_us;

	for (uint32_t op = 0; op < OPS; op++) {
		/* One phase in four fills the wheel up to capacity (slow clock,
		 * mostly starts); the others churn with every kind of clock step. */
		int fill = (op / PHASE) % 4 == 1;
		uint64_t r = diff_rand(&d, 100);

		if (r < (fill ? 75 : 45))
			diff_start(&d, d.now, 0);
		else if (r < (fill ? 80 : 65))
			diff_stop(&d);
		else
			diff_expire(&d, fill);
		CU_ASSERT_EQUAL_FATAL(sipdp_timer_count(d.w), d.nlive);
		if (op % 64 == 0)
			diff_check_next_expiry(&d);
	}
	/* Drain: a far jump fires every remaining timer. */
	d.now += 400ull * 86400 * SEC;
	d.last_call_tick = d.now / tick_us;
	d.draining = 1;
	while (d.nlive && sipdp_timer_expire(d.w, d.now, diff_cb, &d, SIPDP_TIMER_EXPIRE_ALL) > 0)
		;
	CU_ASSERT_EQUAL(d.nlive, 0);
	CU_ASSERT_EQUAL(sipdp_timer_count(d.w), 0);
	CU_ASSERT_EQUAL(sipdp_timer_next_expiry(d.w, &at), -ENOENT);

	sipdp_timer_stats(d.w, &st);
	CU_ASSERT_EQUAL(st.fired, d.fired);
	CU_ASSERT_EQUAL(st.stopped, d.stopped);
	CU_ASSERT_EQUAL(st.full, d.enospc);
	/* The run went through every path it is meant to check. */
	CU_ASSERT(d.fired > 10000);
	CU_ASSERT(d.stopped > 5000);
	CU_ASSERT(d.enoent > 1000);
	CU_ASSERT(d.enospc > 0);
	CU_ASSERT(d.capped_calls > 100);
	CU_ASSERT(d.late > 100);
	CU_ASSERT(st.cascaded > 1000);
	sipdp_timer_destroy(d.w);
	free(d.t);
	free(d.live);
	free(d.pos);
}

static void
test_differential_vs_reference_model_tick_1ms(void)
{
	run_differential(1000, 0x51d9d0c0ffeeULL);
}

static void
test_differential_vs_reference_model_tick_1us(void)
{
	/* 2^32 us is 71 min: hour-long timers go through the overflow list. */
	run_differential(1, 0xbadc0de5eedULL);
}

static struct sipdp_test_case cases[] = {
	{ "fires_on_first_call_reaching_due", test_fires_on_first_call_reaching_due },
	{ "timer_a_doubles_until_timer_b", test_timer_a_doubles_until_timer_b },
	{ "timer_e_caps_at_t2_stepped", test_timer_e_caps_at_t2_stepped },
	{ "timer_e_caps_at_t2_one_jump", test_timer_e_caps_at_t2_one_jump },
	{ "one_hour_timer_cascades_to_exact_tick", test_one_hour_timer_cascades_to_exact_tick },
	{ "stop_before_fire", test_stop_before_fire },
	{ "stop_after_fire_is_enoent", test_stop_after_fire_is_enoent },
	{ "callback_stops_timer_due_in_same_batch", test_callback_stops_timer_due_in_same_batch },
	{ "late_timer_fires_on_next_call_not_same_call", test_late_timer_fires_on_next_call_not_same_call },
	{ "full_wheel_refuses_with_enospc", test_full_wheel_refuses_with_enospc },
	{ "batch_cap_leaves_rest_for_next_call", test_batch_cap_leaves_rest_for_next_call },
	{ "clock_jump_of_days_fires_all_in_tick_order", test_clock_jump_of_days_fires_all_in_tick_order },
	{ "next_expiry_is_never_late", test_next_expiry_is_never_late },
	{ "expire_from_callback_is_ebusy", test_expire_from_callback_is_ebusy },
	{ "create_rejects_bad_params", test_create_rejects_bad_params },
	{ "due_reports_rounded_time", test_due_reports_rounded_time },
	{ "dump_reports_state", test_dump_reports_state },
	{ "differential_vs_reference_model_tick_1ms", test_differential_vs_reference_model_tick_1ms },
	{ "differential_vs_reference_model_tick_1us", test_differential_vs_reference_model_tick_1us },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("timer_wheel", cases);
}
