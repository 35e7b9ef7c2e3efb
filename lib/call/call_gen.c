/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The calls: generator (fast path): see sipdp_call_gen.h. The token bucket
 * counts in calls * clock_hz, so any clock works (TSC cycles on a worker,
 * microseconds in tests) with the same integer arithmetic.
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "sipdp_call_gen.h"

/* Generator state is written by its lcore only; readers use relaxed
 * loads, so plain increments go through this. */
#define GEN_INC(field) __atomic_store_n(&(field), (field) + 1, __ATOMIC_RELAXED)

static inline unsigned
hist_index(uint64_t v)
{
	unsigned e;

	if (v < SIPDP_CALL_HIST_SUB)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v); /* >= 3 */
	return (e - 2) * SIPDP_CALL_HIST_SUB + (unsigned)((v >> (e - 3)) & (SIPDP_CALL_HIST_SUB - 1));
}

static inline uint64_t
hist_low(unsigned i)
{
	unsigned e, sub;

	if (i < SIPDP_CALL_HIST_SUB)
		return i;
	e = i / SIPDP_CALL_HIST_SUB + 2;
	sub = i % SIPDP_CALL_HIST_SUB;
	return ((uint64_t)(SIPDP_CALL_HIST_SUB + sub)) << (e - 3);
}

void
sipdp_call_hist_add(struct sipdp_call_hist *h, uint64_t v)
{
	unsigned i = hist_index(v);

	if (i >= SIPDP_CALL_HIST_BUCKETS)
		i = SIPDP_CALL_HIST_BUCKETS - 1;
	GEN_INC(h->b[i]);
	GEN_INC(h->count);
}

void
sipdp_call_hist_merge(struct sipdp_call_hist *dst, const struct sipdp_call_hist *src)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < SIPDP_CALL_HIST_BUCKETS; i++) {
		uint64_t b = __atomic_load_n(&src->b[i], __ATOMIC_RELAXED);

		dst->b[i] += b;
		n += b;
	}
	/* The sum of the buckets, not src->count: a live generator may have
	 * moved between the two reads. */
	dst->count += n;
}

uint64_t
sipdp_call_hist_percentile(const struct sipdp_call_hist *h, unsigned permille)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	if (permille > 1000)
		permille = 1000;
	/* The rank of the value, 1-based, rounded up: p50 of 2 values is the
	 * first, p99 of 100 values the 99th. */
	rank = (h->count * permille + 999) / 1000;
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < SIPDP_CALL_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			return hist_low(i);
	}
	return hist_low(SIPDP_CALL_HIST_BUCKETS - 1);
}

/* Count @p status in a small table; status 0 marks the free slots, so a
 * failed transfer without a status (0) is kept as SIPDP_CALL_GEN_NO_STATUS. */
static void
count_in(uint16_t *tab, uint64_t *cnt, uint64_t *other, uint16_t status)
{
	if (status == 0)
		status = SIPDP_CALL_GEN_NO_STATUS;
	for (unsigned i = 0; i < SIPDP_CALL_GEN_STATUS; i++) {
		if (tab[i] == status) {
			GEN_INC(cnt[i]);
			return;
		}
		if (tab[i] == 0) {
			GEN_INC(cnt[i]);
			__atomic_store_n(&tab[i], status, __ATOMIC_RELAXED);
			return;
		}
	}
	GEN_INC(*other);
}

static void
live_add(struct sipdp_call_gen *g, int d, uint64_t now_us)
{
	uint64_t live = g->st.live;

	if (d < 0 && live == 0)
		return;
	live = d > 0 ? live + 1 : live - 1;
	__atomic_store_n(&g->st.live, live, __ATOMIC_RELAXED);
	if (live == 0 && g->stopped)
		__atomic_store_n(&g->done_us, now_us, __ATOMIC_RELAXED);
}

struct sipdp_str
sipdp_call_gen_sdp(const struct sipdp_call_gen *g, uint16_t shard_id, uint64_t app, char *buf,
	uint32_t cap)
{
	uint64_t sid;
	int n;

	if (g == NULL || g->sdp_tmpl == NULL || !(app & SIPDP_CALL_APP_GEN))
		return SIPDP_STR_NULL;
	sid = ((uint64_t)shard_id << 48) |
		(((SIPDP_CALL_APP_GEN_T(app) << 6) | SIPDP_CALL_APP_GEN_SEQ(app)) & 0xffffffffffffull);
	n = sipdp_call_sdp_expand(g->sdp_tmpl, g->local_ip, g->dest.family, sid, sid, buf, cap);
	return n > 0 ? sipdp_str_make(buf, (size_t)n) : SIPDP_STR_NULL;
}

/* Start one call. @return 0, or -ENOSPC when a table was full. */
static int
gen_call(struct sipdp_call_gen *g, struct sipdp_call_env *e, uint64_t now_us)
{
	struct sipdp_ua_invite inv = { 0 };
	sipdp_handle_t dlg;
	int rc;

	inv.ruri = sipdp_str_make(g->ruri, g->ruri_len);
	inv.from = sipdp_str_make(g->from, g->from_len);
	inv.to = sipdp_str_make(g->to, g->to_len);
	inv.dest = g->dest;
	/* At most 32 calls start per poll, all at the same now_us: the
	 * number's low 6 bits tell them apart for their SDP. */
	inv.app = SIPDP_CALL_APP_GEN_MAKE(now_us, g->started);
	inv.session_expires_s = g->session_expires_s;
	inv.min_se_s = g->min_se_s;
	inv.refresher = g->refresher;
	inv.rel100 = g->rel100;
	inv.extra = sipdp_str_make(g->extra, g->extra_len);
	inv.body = sipdp_call_gen_sdp(g, e->shard_id, inv.app, e->sdp, sizeof(e->sdp));
	if (inv.body.len != 0)
		inv.ctype = SIPDP_STR("application/sdp");
	rc = sipdp_ua_invite(e->ua, &inv, now_us, &dlg);
	if (rc != 0)
		return rc;
	GEN_INC(g->st.attempted);
	live_add(g, +1, now_us);
	return 0;
}

int
sipdp_call_gen_poll(struct sipdp_call_gen *g, struct sipdp_call_env *e, uint64_t clock,
	uint64_t now_us, bool stop)
{
	const uint64_t hz = g != NULL ? g->clock_hz : 0;
	int n = 0;

	if (g == NULL || g->stopped)
		return 0;
	if (g->last_clk == 0) {
		/* First poll: the run starts now, with a full bucket of one. */
		g->last_clk = clock;
		g->first_us = now_us;
		g->tokens = hz;
		if (g->duration_s != 0)
			g->end_clk = clock + (uint64_t)g->duration_s * hz;
	}
	if (g->started >= g->quota || (g->end_clk != 0 && clock >= g->end_clk) || stop) {
		if (g->st.live == 0)
			__atomic_store_n(&g->done_us, now_us, __ATOMIC_RELAXED);
		__atomic_store_n(&g->stopped, true, __ATOMIC_RELEASE);
		return 0;
	}
	/* Token bucket: rate calls per second, one token = hz units. The gap
	 * is capped at one second so the product cannot overflow and a UA
	 * whose lcore was preempted does not burst beyond the bucket. */
	uint64_t dt = clock - g->last_clk;

	if (dt > hz)
		dt = hz;
	g->last_clk = clock;
	g->tokens += dt * g->rate;
	if (g->tokens > g->burst * hz)
		g->tokens = g->burst * hz;
	while (g->tokens >= hz && g->started < g->quota && n < 32) {
		g->tokens -= hz;
		g->started++;
		n++;
		/* A call that cannot start now is not retried: the report
		 * says how many the limits cost. */
		if ((g->max_live != 0 && g->st.live >= g->max_live) || gen_call(g, e, now_us) != 0)
			GEN_INC(g->st.not_started);
	}
	return n;
}

/* A transfer that did not complete: counted by status, and the call it
 * was for is ended (it has no purpose left; -ENOENT: already gone). */
static void
xfer_failed(struct sipdp_call_gen *g, struct sipdp_call_env *e, sipdp_handle_t dlg,
	uint16_t status, uint64_t now_us)
{
	GEN_INC(g->st.xfer_failed);
	count_in(g->xstatus, g->xstatus_count, &g->xstatus_other, status);
	if (sipdp_ua_bye(e->ua, dlg, now_us) != -ENOENT)
		GEN_INC(g->st.byes);
}

/* Transferor, blind (RFC 5589 §6): REFER the answered call to refer_to.
 * The UA ends the call with BYE once a NOTIFY reports a 2xx; the outcome
 * comes to sipdp_call_gen_xfer(). */
static void
gen_refer(struct sipdp_call_gen *g, struct sipdp_call_env *e, sipdp_handle_t dlg,
	uint64_t now_us)
{
	struct sipdp_ua_xfer_refer rf;
	sipdp_handle_t x;
	int rc;

	memset(&rf, 0, sizeof(rf));
	rf.target = sipdp_str_make(g->refer_to, g->refer_to_len);
	rf.bye = SIPDP_UA_XFER_BYE_ON_SUCCESS;
	rf.app = SIPDP_CALL_APP_GEN;
	rc = sipdp_ua_xfer_refer(e->ua, dlg, &rf, now_us, &x);
	if (rc == -ENOENT)
		return; /* the peer ended the call first */
	GEN_INC(g->st.xfer_attempted);
	if (rc != 0)
		xfer_failed(g, e, dlg, 0, now_us); /* not sent: a table full, the call ending */
}

void
sipdp_call_gen_fire(struct sipdp_call_gen *g, struct sipdp_call_env *e,
	const struct sipdp_timer_event *ev, uint64_t now_us)
{
	if (g == NULL)
		return;
	switch (ev->kind) {
	case SIPDP_CALL_TK_GEN_REFER:
		gen_refer(g, e, ev->user, now_us);
		break;
	case SIPDP_CALL_TK_GEN_TARGET:
		if (sipdp_ua_bye(e->ua, ev->user, now_us) != -ENOENT)
			GEN_INC(g->st.target_byes);
		break;
	default:
		/* hold_ms is over. A call the peer ended meanwhile has a
		 * stale handle: -ENOENT, nothing to do. */
		if (sipdp_ua_bye(e->ua, ev->user, now_us) != -ENOENT)
			GEN_INC(g->st.byes);
		break;
	}
}

void
sipdp_call_gen_xfer(struct sipdp_call_gen *g, struct sipdp_call_env *e,
	const struct sipdp_ua_xfer_event *ev, uint64_t now_us)
{
	if (g == NULL || ev->type != SIPDP_UA_XFER_EV_DONE)
		return; /* PROGRESS: a provisional NOTIFY, nothing to count */
	if (!ev->refer_failed)
		GEN_INC(g->st.xfer_accepted);
	/* ACCEPTED comes only with Refer-Sub: false, which we never ask for. */
	if (ev->result == SIPDP_UA_XFER_SUCCESS || ev->result == SIPDP_UA_XFER_ACCEPTED) {
		GEN_INC(g->st.xfer_completed);
		return;
	}
	xfer_failed(g, e, ev->dlg, ev->status, now_us);
}

void
sipdp_call_gen_confirmed(struct sipdp_call_gen *g, struct sipdp_call_env *e,
	const struct sipdp_ua_event *ev, uint64_t now_us)
{
	/* A sipdp that transfers its calls back to itself (refer_to naming
	 * one of its rules) is the target too: it ends those calls after
	 * hold_ms, or the transferred calls would never end. */
	if (g == NULL || g->refer_to_len == 0 || !SIPDP_CALL_APP_IS_RULE(ev->app))
		return;
	if (g->hold_ms == 0 ||
	    sipdp_timer_start(e->wheel, now_us + (uint64_t)g->hold_ms * 1000, ev->dlg,
		    SIPDP_CALL_TK_GEN_TARGET, NULL) != 0) {
		if (sipdp_ua_bye(e->ua, ev->dlg, now_us) != -ENOENT)
			GEN_INC(g->st.target_byes);
	}
}

void
sipdp_call_gen_answered(struct sipdp_call_gen *g, struct sipdp_call_env *e,
	const struct sipdp_ua_event *ev, uint64_t now_us)
{
	if (!(ev->app & SIPDP_CALL_APP_GEN) || g == NULL || ev->retransmission)
		return;
	if (ev->fork) {
		/* The UA ends an extra 2xx fork with BYE; its own on_terminated
		 * will come, so it is counted live until then. */
		live_add(g, +1, now_us);
		return;
	}
	GEN_INC(g->st.answered);
	sipdp_call_hist_add(&g->setup, now_us - SIPDP_CALL_APP_GEN_T(ev->app));
	if (g->refer_to_len != 0) {
		/* The UA has ACKed the 2xx: the dialog is established. */
		if (g->refer_after_ms == 0 ||
		    sipdp_timer_start(e->wheel, now_us + (uint64_t)g->refer_after_ms * 1000,
			    ev->dlg, SIPDP_CALL_TK_GEN_REFER, NULL) != 0)
			gen_refer(g, e, ev->dlg, now_us);
		return;
	}
	if (g->hold_ms == 0 ||
	    sipdp_timer_start(e->wheel, now_us + (uint64_t)g->hold_ms * 1000, ev->dlg,
		    SIPDP_CALL_TK_GEN_HOLD, NULL) != 0) {
		/* No hold, or a full wheel: end it now rather than never. */
		if (sipdp_ua_bye(e->ua, ev->dlg, now_us) != -ENOENT)
			GEN_INC(g->st.byes);
	}
}

void
sipdp_call_gen_failed(struct sipdp_call_gen *g, const struct sipdp_ua_event *ev)
{
	if (!(ev->app & SIPDP_CALL_APP_GEN) || g == NULL || ev->fork)
		return;
	GEN_INC(g->st.failed);
	count_in(g->status, g->status_count, &g->status_other, ev->status);
}

void
sipdp_call_gen_terminated(struct sipdp_call_gen *g, const struct sipdp_ua_event *ev,
	uint64_t now_us)
{
	if (g != NULL && (ev->app & SIPDP_CALL_APP_GEN))
		live_add(g, -1, now_us);
}
