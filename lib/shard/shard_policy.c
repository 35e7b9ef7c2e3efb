/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The call policy on a worker: the UA callbacks that hand new INVITEs and
 * in-dialog requests to lib/call (sipdp_call_policy.h) with the snapshot in
 * force, count what it decided, and keep snapshots alive while calls set
 * up under them live (env.pin). The drop pre-check before the UA and the
 * draining 503 stay here: they are the data path's. Runs on the owning
 * worker, once per new INVITE: nothing here allocates, locks or logs.
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "sipdp_msg_hdr.h"
#include "shard_pvt.h"

/* ------------------------------------------- lib/call's config handles */

/* A config handle is a snapshot: its compiled policy. */
static const struct sipdp_call_policy *
snap_policy(void *user, uintptr_t handle)
{
	(void)user;
	return ((const struct shard_snap *)handle)->policy;
}

/* A call takes (+1) or gives back (-1) its snapshot: refs[worker] is
 * written by this worker only, read relaxed by the reclaimer. */
static void
snap_pin(void *user, uintptr_t handle, int d)
{
	struct shard_worker *w = user;
	struct shard_snap *snap = (struct shard_snap *)handle;
	uint64_t n = snap->refs[w->idx].n;

	if (d < 0 && n == 0)
		return;
	__atomic_store_n(&snap->refs[w->idx].n, d > 0 ? n + 1 : n - 1, __ATOMIC_RELAXED);
}

/* An answer rule's 2xx went out: the setup-time histogram and
 * calls_answered (shard_obs.c). */
static void
env_answered(void *user, sipdp_handle_t dlg)
{
	shard_setup_record(user, dlg);
}

void
shard_policy_env(struct shard_worker *w)
{
	const struct sipdp_shard *s = w->s;
	struct sipdp_call_env *e = &w->env;

	e->ua = w->ua;
	e->wheel = w->wheel;
	e->shard_id = w->idx;
	e->nb_local = SIPDP_MIN(s->nb_local, (uint16_t)SIPDP_CALL_MAX_LOCAL);
	for (uint16_t i = 0; i < e->nb_local; i++) {
		memcpy(e->local[i].ip, s->local[i].ip, sizeof(e->local[i].ip));
		e->local[i].family = s->p.cls->local[i].family;
	}
	e->contact = w->contact;
	e->scratch = w->re_scratch;
	e->policy_of = snap_policy;
	e->pin = snap_pin;
	e->answered = env_answered;
	e->user = w;
}

/* ------------------------------------------------------- UA callbacks */

void
shard_ring_fire(void *arg, const struct sipdp_timer_event *ev)
{
	struct shard_worker *w = arg;

	if (SHARD_GEN_OWNS_KIND(ev->kind)) {
		shard_gen_fire(w, ev);
		return;
	}
	sipdp_call_policy_fire(&w->env, ev, w->now_us);
}

void
shard_on_incoming(void *user, const struct sipdp_ua_event *ev)
{
	struct shard_worker *w = user;
	struct sipdp_shard *s = w->s;
	int rule = w->cur_rule;

	w->cur_rule = -2;
	if (atomic_load_explicit(&s->draining, memory_order_relaxed)) {
		w->st.rejected_503++;
		(void)sipdp_ua_reject(w->ua, ev->dlg, 503, SIPDP_STR("Retry-After: 5\r\n"),
			w->now_us);
		return;
	}
	if (rule == -2 && ev->src != NULL) /* not seen before the UA: match now */
		rule = sipdp_call_policy_match(w->snap->policy, ev->msg, ev->src->family,
			ev->src->addr, w->re_scratch);
	switch (sipdp_call_policy_incoming(&w->env, w->snap->policy, (uintptr_t)w->snap, ev,
		rule, w->now_us)) {
	case SIPDP_CALL_VERDICT_NONE_404:
		w->st.policy_404++;
		break;
	case SIPDP_CALL_VERDICT_ANSWER:
		w->st.policy_answer++;
		break;
	case SIPDP_CALL_VERDICT_REJECT:
		w->st.policy_reject++;
		break;
	case SIPDP_CALL_VERDICT_REDIRECT:
		w->st.policy_redirect++;
		break;
	case SIPDP_CALL_VERDICT_BRIDGE:
		w->st.policy_bridge++;
		shard_bridge_incoming(w, ev, rule);
		break;
	case SIPDP_CALL_VERDICT_DROP_403:
		w->st.policy_drop++;
		break;
	default:
		break; /* REFUSED: 420, 421 or 422, counted in env.xs */
	}
}

void
shard_on_request(void *user, const struct sipdp_ua_event *ev)
{
	struct shard_worker *w = user;

	if (shard_bridge_event(w, ev))
		return;
	w->st.in_dialog_200++;
	sipdp_call_policy_request(&w->env, ev, w->now_us);
}

/* A final answer to one of our INVITEs: the generator's calls and the
 * transfer policy's consultations each look at their own app words. */
void
shard_on_answered(void *user, const struct sipdp_ua_event *ev)
{
	struct shard_worker *w = user;

	if (shard_bridge_event(w, ev))
		return;
	shard_gen_answered(w, ev);
	sipdp_call_xfer_answered(&w->env, ev, w->now_us);
}

void
shard_on_failed(void *user, const struct sipdp_ua_event *ev)
{
	struct shard_worker *w = user;

	if (shard_bridge_event(w, ev))
		return;
	shard_gen_failed(w, ev);
	sipdp_call_xfer_failed(&w->env, ev);
}

int
shard_policy_pre(struct shard_worker *w, const struct sipdp_dp_rx *rx,
	const struct sipdp_tsx_dest *src)
{
	struct sipdp_nameaddr to;
	int rule;

	w->cur_rule = -2;
	if (rx->len < 7 || memcmp(rx->payload, "INVITE ", 7) != 0)
		return 0;
	if (sipdp_msg_parse(w->msg, rx->payload, rx->len, 0) <= 0 ||
	    sipdp_msg_to(w->msg, &to) != 0 || to.tag.p != NULL)
		return 0;
	rule = sipdp_call_policy_match(w->snap->policy, w->msg, src->family, src->addr,
		w->re_scratch);
	if (rule >= 0 && w->snap->cfg->rules[rule].action == SIPDP_CFG_ACTION_DROP &&
	    !atomic_load_explicit(&w->s->draining, memory_order_relaxed)) {
		w->st.policy_drop++;
		return 1;
	}
	w->cur_rule = rule < 0 ? -1 : rule;
	return 0;
}
