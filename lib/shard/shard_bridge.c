/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The B2BUA on a worker: a bridge rule's INVITE goes to lib/call
 * (sipdp_call_bridge), and every later UA event of a bridged dialog is
 * offered to sipdp_call_on_event() before the shard's own policy sees it.
 *
 * Config lifetime. A bridge reads its rule's struct sipdp_cfg_bridge (in a
 * config snapshot) for as long as it lives, across reloads. As answered
 * calls do, each bridge holds a reference on the snapshot it was set up
 * under (refs[worker]): taken before sipdp_call_bridge(), given back by
 * lib/call's released hook when the bridge is freed (or at once when no
 * bridge was made). Runs on the owning worker: nothing
 * here allocates, locks or prints.
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "shard_pvt.h"

static inline void
snap_ref(struct shard_worker *w, struct shard_snap *snap, int d)
{
	uint64_t n = snap->refs[w->idx].n;

	if (d < 0 && n == 0)
		return;
	__atomic_store_n(&snap->refs[w->idx].n, d > 0 ? n + 1 : n - 1, __ATOMIC_RELAXED);
}

void
shard_bridge_incoming(struct shard_worker *w, const struct sipdp_ua_event *ev, int rule)
{
	struct shard_snap *snap = w->snap;
	int rc;

	if (w->call == NULL) {
		(void)sipdp_ua_reject(w->ua, ev->dlg, 500, SIPDP_STR_NULL, w->now_us);
		return;
	}
	snap_ref(w, snap, +1);
	w->bridge_pins++;
	rc = sipdp_call_bridge(w->call, ev, &snap->cfg->rules[rule].bridge,
		(uint64_t)(uintptr_t)snap, w->now_us);
	if (rc > 0)
		return; /* shard_bridge_released() gives the reference back */
	snap_ref(w, snap, -1);
	w->bridge_pins--;
	if (rc < 0) /* a rule without targets: the loader refuses those */
		(void)sipdp_ua_reject(w->ua, ev->dlg, 500, SIPDP_STR_NULL, w->now_us);
}

void
shard_bridge_released(void *user, uint64_t bridge_user)
{
	struct shard_worker *w = user;

	snap_ref(w, (struct shard_snap *)(uintptr_t)bridge_user, -1);
	w->bridge_pins--;
}

bool
shard_bridge_event(struct shard_worker *w, const struct sipdp_ua_event *ev)
{
	if (w->call == NULL)
		return false;
	if (!sipdp_call_app_is_bridge(ev->app))
		/* Only the probes' answers (no dialog) are ours then. */
		return ev->type == SIPDP_UA_EV_RESPONSE && ev->dlg == SIPDP_HANDLE_INVALID &&
			sipdp_call_on_event(w->call, ev, w->now_us);
	return sipdp_call_on_event(w->call, ev, w->now_us);
}

bool
shard_bridge_xfer(struct shard_worker *w, const struct sipdp_ua_xfer_event *ev)
{
	if (w->call == NULL || !sipdp_call_app_is_bridge(ev->app))
		return false;
	return sipdp_call_on_xfer(w->call, ev, w->now_us);
}

unsigned
shard_bridge_expire(struct shard_worker *w)
{
	int n;

	if (w->call == NULL)
		return 0;
	n = sipdp_call_expire(w->call, w->now_us, 64);
	return n > 0 ? (unsigned)n : 0;
}

void
shard_bridge_gauges(struct shard_worker *w)
{
	const struct sipdp_call_stats *cs;

	if (w->call == NULL)
		return;
	cs = sipdp_call_stats(w->call);
	w->st.bridges_live = cs->bridges_live;
	w->st.bridges_answered = cs->bridges_answered;
	w->st.bridges_failed = cs->bridges_failed;
	w->st.bridges_cancelled = cs->bridges_cancelled;
	w->st.bridge_failovers = cs->failovers;
	w->st.bridge_ring_timeouts = cs->ring_timeouts;
	w->st.bridge_targets_down = cs->targets_down;
	w->st.bridge_targets_down_now = cs->targets_down_now;
	w->st.bridge_all_down_503 = cs->all_down_503;
	w->st.bridge_full_503 = cs->full_503;
	w->st.bridge_relayed = cs->relayed_requests;
	w->st.bridge_refers_terminated = cs->refers_terminated;
	w->st.bridge_transfers_ok = cs->transfers_ok;
	w->st.bridge_transfers_failed = cs->transfers_failed;
	w->st.bridge_joins_local = cs->joins_local;
	w->st.bridge_pins = w->bridge_pins;
}

/* ------------------------------------------------ lib/call's hooks */

const struct sipdp_cfg_bridge *
shard_bridge_route(void *user, struct sipdp_str target)
{
	struct shard_worker *w = user;
	int rule = shard_policy_match_uri(w->snap->policy, target, w->re_scratch);

	/* The transfer's new leg joins a bridge pinned to its own snapshot;
	 * lib/call reads this rule only while it picks the target, now. */
	return rule >= 0 ? &w->snap->cfg->rules[rule].bridge : NULL;
}

void
shard_bridge_dest(void *user, struct sipdp_tsx_dest *d)
{
	struct shard_worker *w = user;
	const struct sipdp_dp_classifier *cls = w->s->p.cls;

	/* Leave from the first local address of the target's family, as the
	 * generator does (peer_from_dest picks the same for UDP; the
	 * control lcore binds TCP/TLS connections to it). */
	d->local_id = 0;
	for (uint16_t i = 0; i < cls->n_local; i++)
		if (cls->local[i].family == d->family) {
			d->local_id = (uint8_t)i;
			break;
		}
}

/* ------------------------------------------- UA callbacks the shard
 * did not use before the bridges: only bridges (and the probes) need them. */

void
shard_on_provisional(void *user, const struct sipdp_ua_event *ev)
{
	(void)shard_bridge_event(user, ev);
}

void
shard_on_response(void *user, const struct sipdp_ua_event *ev)
{
	(void)shard_bridge_event(user, ev);
}

void
shard_on_glare_retry(void *user, const struct sipdp_ua_event *ev)
{
	(void)shard_bridge_event(user, ev);
}
