/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The calls: generator (fast path): each worker originates its share of
 * the calls as UAC, paced by a token bucket on the TSC, holds each answered
 * call hold_ms on the shard's wheel and ends it with BYE. Everything a call
 * needs lives in its dialog's app word (the time its INVITE left), so
 * nothing is allocated per call; counters, a small table of failure
 * statuses and a setup-time histogram are per worker, merged by readers.
 *
 * Also the dialog-end callbacks shared with the policy: an answered UAS
 * call drops its reference on the config snapshot it was set up with.
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_branch_prediction.h>

#include "shard_gen.h"

/* Generator state is written by its worker only; readers (telemetry) use
 * relaxed loads, so plain increments go through this. */
#define GEN_INC(field) __atomic_store_n(&(field), (field) + 1, __ATOMIC_RELAXED)

static inline unsigned
hist_index(uint64_t v)
{
	unsigned e;

	if (v < SIPDP_SHARD_HIST_SUB)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v); /* >= 3 */
	return (e - 2) * SIPDP_SHARD_HIST_SUB + (unsigned)((v >> (e - 3)) & (SIPDP_SHARD_HIST_SUB - 1));
}

static inline uint64_t
hist_low(unsigned i)
{
	unsigned e, sub;

	if (i < SIPDP_SHARD_HIST_SUB)
		return i;
	e = i / SIPDP_SHARD_HIST_SUB + 2;
	sub = i % SIPDP_SHARD_HIST_SUB;
	return ((uint64_t)(SIPDP_SHARD_HIST_SUB + sub)) << (e - 3);
}

void
sipdp_shard_hist_add(struct sipdp_shard_hist *h, uint64_t v)
{
	unsigned i = hist_index(v);

	if (i >= SIPDP_SHARD_HIST_BUCKETS)
		i = SIPDP_SHARD_HIST_BUCKETS - 1;
	GEN_INC(h->b[i]);
	GEN_INC(h->count);
}

void
sipdp_shard_hist_merge(struct sipdp_shard_hist *dst, const struct sipdp_shard_hist *src)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < SIPDP_SHARD_HIST_BUCKETS; i++) {
		uint64_t b = __atomic_load_n(&src->b[i], __ATOMIC_RELAXED);

		dst->b[i] += b;
		n += b;
	}
	/* The sum of the buckets, not src->count: a live worker may have
	 * moved between the two reads. */
	dst->count += n;
}

uint64_t
sipdp_shard_hist_percentile(const struct sipdp_shard_hist *h, unsigned permille)
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
	for (unsigned i = 0; i < SIPDP_SHARD_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			return hist_low(i);
	}
	return hist_low(SIPDP_SHARD_HIST_BUCKETS - 1);
}

/* Count @p status in a small table; status 0 marks the free slots, so a
 * failed transfer without a status (0) is kept as SIPDP_SHARD_GEN_NO_STATUS. */
static void
count_in(uint16_t *tab, uint64_t *cnt, uint64_t *other, uint16_t status)
{
	if (status == 0)
		status = SIPDP_SHARD_GEN_NO_STATUS;
	for (unsigned i = 0; i < SIPDP_SHARD_GEN_STATUS; i++) {
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
count_status(struct shard_gen *g, uint16_t status)
{
	count_in(g->status, g->status_count, &g->status_other, status);
}

static void
live_add(struct shard_worker *w, int d)
{
	struct shard_gen *g = w->gen;

	if (d < 0 && g->live == 0)
		return;
	g->live = d > 0 ? g->live + 1 : g->live - 1;
	__atomic_store_n(&w->st.gen_live, g->live, __ATOMIC_RELAXED);
	if (g->live == 0 && g->stopped)
		__atomic_store_n(&g->done_us, w->now_us, __ATOMIC_RELAXED);
}

/* The offer of the generated call @p app: the same text each time for a
 * call (a refresh repeats it, RFC 4028 §10), one o= session id per call
 * (worker, start time and number, RFC 4566 §5.2). */
struct sipdp_str
shard_gen_sdp(struct shard_worker *w, uint64_t app)
{
	const struct shard_gen *g = w->gen;
	uint64_t sid;
	int n;

	if (g == NULL || g->sdp_tmpl == NULL || !(app & SHARD_APP_GEN))
		return SIPDP_STR_NULL;
	sid = ((uint64_t)w->idx << 48) |
		(((SHARD_APP_GEN_T(app) << 6) | SHARD_APP_GEN_SEQ(app)) & 0xffffffffffffull);
	n = sipdp_shard_sdp_expand(g->sdp_tmpl, g->local_ip, g->dest.family, sid, sid, w->sdp,
		sizeof(w->sdp));
	return n > 0 ? sipdp_str_make(w->sdp, (size_t)n) : SIPDP_STR_NULL;
}

/* Start one call. @return 0, or -ENOSPC when a table was full. */
static int
gen_call(struct shard_worker *w)
{
	struct shard_gen *g = w->gen;
	struct sipdp_ua_invite inv = { 0 };
	sipdp_handle_t dlg;
	int rc;

	inv.ruri = sipdp_str_make(g->ruri, g->ruri_len);
	inv.from = sipdp_str_make(g->from, g->from_len);
	inv.to = sipdp_str_make(g->to, g->to_len);
	inv.dest = g->dest;
	/* At most 32 calls start per loop, all at the same now_us: the
	 * number's low 6 bits tell them apart for their SDP. */
	inv.app = SHARD_APP_GEN_MAKE(w->now_us, g->started);
	inv.session_expires_s = g->session_expires_s;
	inv.min_se_s = g->min_se_s;
	inv.refresher = g->refresher;
	inv.rel100 = g->rel100;
	inv.extra = sipdp_str_make(g->extra, g->extra_len);
	inv.body = shard_gen_sdp(w, inv.app);
	if (inv.body.len != 0)
		inv.ctype = SIPDP_STR("application/sdp");
	rc = sipdp_ua_invite(w->ua, &inv, w->now_us, &dlg);
	if (rc != 0)
		return rc;
	GEN_INC(w->st.gen_attempted);
	live_add(w, +1);
	return 0;
}

int
shard_gen_poll(struct shard_worker *w, uint64_t tsc)
{
	struct shard_gen *g = w->gen;
	int n = 0;

	if (g == NULL || g->stopped)
		return 0;
	if (SIPDP_UNLIKELY(g->last_tsc == 0)) {
		/* First loop: the run starts now, with a full bucket of one. */
		g->last_tsc = tsc;
		g->first_us = w->now_us;
		g->tokens = w->s->tsc_hz;
		if (g->duration_s != 0)
			g->end_tsc = tsc + (uint64_t)g->duration_s * w->s->tsc_hz;
	}
	if (g->started >= g->quota || (g->end_tsc != 0 && tsc >= g->end_tsc) ||
	    atomic_load_explicit(&w->s->draining, memory_order_relaxed)) {
		if (g->live == 0)
			__atomic_store_n(&g->done_us, w->now_us, __ATOMIC_RELAXED);
		__atomic_store_n(&g->stopped, true, __ATOMIC_RELEASE);
		return 0;
	}
	/* Token bucket: rate_w calls per second, one token = tsc_hz units.
	 * The gap is capped at one second so the product cannot overflow and
	 * a worker that was preempted does not burst beyond the bucket. */
	uint64_t dt = tsc - g->last_tsc;

	if (dt > w->s->tsc_hz)
		dt = w->s->tsc_hz;
	g->last_tsc = tsc;
	g->tokens += dt * g->rate;
	if (g->tokens > g->burst * w->s->tsc_hz)
		g->tokens = g->burst * w->s->tsc_hz;
	while (g->tokens >= w->s->tsc_hz && g->started < g->quota && n < 32) {
		g->tokens -= w->s->tsc_hz;
		g->started++;
		n++;
		/* A call that cannot start now is not retried: the report
		 * says how many the limits cost. */
		if ((g->max_live != 0 && g->live >= g->max_live) || gen_call(w) != 0)
			GEN_INC(w->st.gen_not_started);
	}
	return n;
}

/* A transfer that did not complete: counted by status, and the call it
 * was for is ended (it has no purpose left; -ENOENT: already gone). */
static void
xfer_failed(struct shard_worker *w, sipdp_handle_t dlg, uint16_t status)
{
	struct shard_gen *g = w->gen;

	GEN_INC(w->st.gen_xfer_failed);
	count_in(g->xstatus, g->xstatus_count, &g->xstatus_other, status);
	if (sipdp_ua_bye(w->ua, dlg, w->now_us) != -ENOENT)
		GEN_INC(w->st.gen_byes);
}

/* Transferor, blind (RFC 5589 §6): REFER the answered call to refer_to.
 * The UA ends the call with BYE once a NOTIFY reports a 2xx; the outcome
 * comes to shard_gen_xfer(). */
static void
gen_refer(struct shard_worker *w, sipdp_handle_t dlg)
{
	struct shard_gen *g = w->gen;
	struct sipdp_ua_xfer_refer rf;
	sipdp_handle_t x;
	int rc;

	memset(&rf, 0, sizeof(rf));
	rf.target = sipdp_str_make(g->refer_to, g->refer_to_len);
	rf.bye = SIPDP_UA_XFER_BYE_ON_SUCCESS;
	rf.app = SHARD_APP_GEN;
	rc = sipdp_ua_xfer_refer(w->ua, dlg, &rf, w->now_us, &x);
	if (rc == -ENOENT)
		return; /* the peer ended the call first */
	GEN_INC(w->st.gen_xfer_attempted);
	if (rc != 0)
		xfer_failed(w, dlg, 0); /* not sent: a table full, the call ending */
}

void
shard_gen_fire(struct shard_worker *w, const struct sipdp_timer_event *ev)
{
	if (w->gen == NULL)
		return;
	switch (ev->kind) {
	case SHARD_GEN_REFER_KIND:
		gen_refer(w, ev->user);
		break;
	case SHARD_GEN_TARGET_KIND:
		if (sipdp_ua_bye(w->ua, ev->user, w->now_us) != -ENOENT)
			GEN_INC(w->st.gen_target_byes);
		break;
	default:
		/* hold_ms is over. A call the peer ended meanwhile has a
		 * stale handle: -ENOENT, nothing to do. */
		if (sipdp_ua_bye(w->ua, ev->user, w->now_us) != -ENOENT)
			GEN_INC(w->st.gen_byes);
		break;
	}
}

void
shard_gen_xfer(struct shard_worker *w, const struct sipdp_ua_xfer_event *ev)
{
	if (w->gen == NULL || ev->type != SIPDP_UA_XFER_EV_DONE)
		return; /* PROGRESS: a provisional NOTIFY, nothing to count */
	if (!ev->refer_failed)
		GEN_INC(w->st.gen_xfer_accepted);
	/* ACCEPTED comes only with Refer-Sub: false, which we never ask for. */
	if (ev->result == SIPDP_UA_XFER_SUCCESS || ev->result == SIPDP_UA_XFER_ACCEPTED) {
		GEN_INC(w->st.gen_xfer_completed);
		return;
	}
	xfer_failed(w, ev->dlg, ev->status);
}

void
shard_gen_confirmed(struct shard_worker *w, const struct sipdp_ua_event *ev)
{
	struct shard_gen *g = w->gen;

	/* A sipdp that transfers its calls back to itself (refer_to naming
	 * one of its rules) is the target too: it ends those calls after
	 * hold_ms, or the transferred calls would never end. */
	if (g == NULL || g->refer_to_len == 0 || !SHARD_APP_IS_RULE(ev->app))
		return;
	if (g->hold_ms == 0 ||
	    sipdp_timer_start(w->wheel, w->now_us + (uint64_t)g->hold_ms * 1000, ev->dlg,
		    SHARD_GEN_TARGET_KIND, NULL) != 0) {
		if (sipdp_ua_bye(w->ua, ev->dlg, w->now_us) != -ENOENT)
			GEN_INC(w->st.gen_target_byes);
	}
}

void
shard_gen_answered(void *user, const struct sipdp_ua_event *ev)
{
	struct shard_worker *w = user;
	struct shard_gen *g = w->gen;

	if (!(ev->app & SHARD_APP_GEN) || g == NULL || ev->retransmission)
		return;
	if (ev->fork) {
		/* The UA ends an extra 2xx fork with BYE; its own on_terminated
		 * will come, so it is counted live until then. */
		live_add(w, +1);
		return;
	}
	GEN_INC(w->st.gen_answered);
	sipdp_shard_hist_add(&g->setup, w->now_us - SHARD_APP_GEN_T(ev->app));
	if (g->refer_to_len != 0) {
		/* The UA has ACKed the 2xx: the dialog is established. */
		if (g->refer_after_ms == 0 ||
		    sipdp_timer_start(w->wheel, w->now_us + (uint64_t)g->refer_after_ms * 1000,
			    ev->dlg, SHARD_GEN_REFER_KIND, NULL) != 0)
			gen_refer(w, ev->dlg);
		return;
	}
	if (g->hold_ms == 0 ||
	    sipdp_timer_start(w->wheel, w->now_us + (uint64_t)g->hold_ms * 1000, ev->dlg,
		    SHARD_GEN_KIND, NULL) != 0) {
		/* No hold, or a full wheel: end it now rather than never. */
		if (sipdp_ua_bye(w->ua, ev->dlg, w->now_us) != -ENOENT)
			GEN_INC(w->st.gen_byes);
	}
}

void
shard_gen_failed(void *user, const struct sipdp_ua_event *ev)
{
	struct shard_worker *w = user;

	if (!(ev->app & SHARD_APP_GEN) || w->gen == NULL || ev->fork)
		return;
	GEN_INC(w->st.gen_failed);
	count_status(w->gen, ev->status);
}

void
shard_on_terminated(void *user, const struct sipdp_ua_event *ev)
{
	struct shard_worker *w = user;

	if (shard_bridge_event(w, ev))
		return;
	if (ev->app & SHARD_APP_GEN) {
		if (w->gen != NULL)
			live_add(w, -1);
		return;
	}
	if (SHARD_APP_IS_RULE(ev->app)) {
		struct shard_snap *snap = SHARD_APP_SNAP(ev->app);
		uint64_t n = snap->refs[w->idx].n;

		if (n != 0)
			__atomic_store_n(&snap->refs[w->idx].n, n - 1, __ATOMIC_RELAXED);
	}
}
