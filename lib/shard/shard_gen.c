/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The calls: generator on a worker: lib/call runs it (call_gen.c); this
 * passes it the TSC as its pacing clock, the worker's now_us and whether
 * the shard drains, hands it the UA events and wheel timers that are its,
 * and copies its counters into the worker's stats.
 *
 * Also the dialog-end callback shared with the policy: an answered UAS
 * call gives back its reference on the config snapshot it was set up with.
 */

#include "shard_gen.h"

int
shard_gen_poll(struct shard_worker *w, uint64_t tsc)
{
	if (w->gen == NULL)
		return 0;
	return sipdp_call_gen_poll(w->gen, &w->env, tsc, w->now_us,
		atomic_load_explicit(&w->s->draining, memory_order_relaxed));
}

struct sipdp_str
shard_gen_sdp(struct shard_worker *w, uint64_t app)
{
	return sipdp_call_gen_sdp(w->gen, w->idx, app, w->env.sdp, sizeof(w->env.sdp));
}

void
shard_gen_fire(struct shard_worker *w, const struct sipdp_timer_event *ev)
{
	sipdp_call_gen_fire(w->gen, &w->env, ev, w->now_us);
}

void
shard_gen_xfer(struct shard_worker *w, const struct sipdp_ua_xfer_event *ev)
{
	sipdp_call_gen_xfer(w->gen, &w->env, ev, w->now_us);
}

void
shard_gen_confirmed(struct shard_worker *w, const struct sipdp_ua_event *ev)
{
	sipdp_call_gen_confirmed(w->gen, &w->env, ev, w->now_us);
}

void
shard_gen_answered(void *user, const struct sipdp_ua_event *ev)
{
	struct shard_worker *w = user;

	sipdp_call_gen_answered(w->gen, &w->env, ev, w->now_us);
}

void
shard_gen_failed(void *user, const struct sipdp_ua_event *ev)
{
	struct shard_worker *w = user;

	sipdp_call_gen_failed(w->gen, ev);
}

void
shard_on_terminated(void *user, const struct sipdp_ua_event *ev)
{
	struct shard_worker *w = user;

	if (shard_bridge_event(w, ev))
		return;
	if (ev->app & SHARD_APP_GEN) {
		sipdp_call_gen_terminated(w->gen, ev, w->now_us);
		return;
	}
	sipdp_call_policy_terminated(&w->env, ev); /* a rule call: its snapshot ref */
}

void
shard_gen_gauges(struct shard_worker *w)
{
	const struct sipdp_call_gen_stats *g;

	if (w->gen == NULL)
		return;
	g = &w->gen->st;
	w->st.gen_attempted = g->attempted;
	w->st.gen_answered = g->answered;
	w->st.gen_failed = g->failed;
	w->st.gen_not_started = g->not_started;
	w->st.gen_byes = g->byes;
	w->st.gen_live = g->live;
	w->st.gen_xfer_attempted = g->xfer_attempted;
	w->st.gen_xfer_accepted = g->xfer_accepted;
	w->st.gen_xfer_completed = g->xfer_completed;
	w->st.gen_xfer_failed = g->xfer_failed;
	w->st.gen_target_byes = g->target_byes;
}
