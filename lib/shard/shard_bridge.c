/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The B2BUA on a worker: a bridge rule's INVITE goes to lib/call
 * (sipdp_call_bridge), and every later UA event of a bridged dialog is
 * offered to sipdp_call_on_event() before the shard's own policy sees it.
 *
 * Config lifetime. A bridge reads its rule's struct sipdp_cfg_bridge (in a
 * config snapshot) for as long as it lives, across reloads. As answered
 * calls do, each live bridge holds a reference on the snapshot it was set
 * up under (refs[worker]), kept by bridge slot in w->bpin. lib/call tells
 * no one when it frees a bridge, so the shard infers it: a bridge is freed
 * only while lib/call handles an event of that bridge, so a drop of
 * sipdp_call_count() across one event (less the drops nested events
 * already explained) is that event's bridge. What this cannot name (a free
 * inside the bridge timers, a bridge whose A leg vanished at once) is
 * released late, never early: when its slot is taken by a new bridge, or
 * when the worker has no bridge left. Runs on the owning worker: nothing
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

static void
unpin_slot(struct shard_worker *w, struct shard_bpin *p)
{
	if (p->snap == NULL)
		return;
	snap_ref(w, p->snap, -1);
	p->snap = NULL;
	p->id = 0;
	w->bpin_n--;
}

static void
pin(struct shard_worker *w, uint64_t word, struct shard_snap *snap)
{
	uint32_t slot = SHARD_BRIDGE_SLOT(word);
	struct shard_bpin *p;

	if (slot >= w->bpin_cap) {
		/* Never with a table made for this lib/call: keep it safe. */
		for (uint8_t i = 0; i < w->nb_sticky; i++)
			if (w->bsticky[i] == snap)
				return;
		if (w->nb_sticky < SHARD_BSTICKY) {
			snap_ref(w, snap, +1);
			w->bsticky[w->nb_sticky++] = snap;
		}
		return;
	}
	p = &w->bpin[slot];
	/* A slot taken again: the bridge that held it is gone. */
	unpin_slot(w, p);
	snap_ref(w, snap, +1);
	p->snap = snap;
	p->id = SHARD_BRIDGE_ID(word);
	w->bpin_n++;
}

static void
unpin(struct shard_worker *w, uint64_t word)
{
	uint32_t slot = SHARD_BRIDGE_SLOT(word);

	if (slot < w->bpin_cap && w->bpin[slot].snap != NULL &&
	    w->bpin[slot].id == SHARD_BRIDGE_ID(word))
		unpin_slot(w, &w->bpin[slot]);
}

/* After lib/call handled something of bridge @p word: a drop of the bridge
 * count that nested events did not explain is that bridge's end. */
static void
settle(struct shard_worker *w, uint64_t word, uint32_t before, uint64_t attr0)
{
	uint64_t nested = w->bpin_attr - attr0;
	uint32_t after = sipdp_call_count(w->call);

	if (sipdp_call_app_is_bridge(word) && (uint64_t)before > (uint64_t)after + nested) {
		unpin(w, word);
		w->bpin_attr++;
	}
}

/* No bridge left: every pin still held is stale (freed by a timer). */
static void
sweep(struct shard_worker *w)
{
	for (uint32_t i = 0; i < w->bpin_cap && w->bpin_n != 0; i++)
		unpin_slot(w, &w->bpin[i]);
	w->bpin_n = 0;
	for (uint8_t i = 0; i < w->nb_sticky; i++)
		snap_ref(w, w->bsticky[i], -1);
	w->nb_sticky = 0;
}

void
shard_bridge_incoming(struct shard_worker *w, const struct sipdp_ua_event *ev, int rule)
{
	struct shard_snap *snap = w->snap;
	struct sipdp_ua_dlg_info info;
	uint32_t before;

	if (w->call == NULL) {
		(void)sipdp_ua_reject(w->ua, ev->dlg, 500, SIPDP_STR_NULL, w->now_us);
		return;
	}
	before = sipdp_call_count(w->call);
	if (sipdp_call_bridge(w->call, ev, &snap->cfg->rules[rule].bridge, w->now_us) != 0) {
		/* A rule without targets: the loader refuses those. */
		(void)sipdp_ua_reject(w->ua, ev->dlg, 500, SIPDP_STR_NULL, w->now_us);
		return;
	}
	if (sipdp_call_count(w->call) <= before)
		return; /* answered at once (483, 482, 503): no bridge kept */
	/* The A leg carries the new bridge's word (lib/call set it). */
	if (sipdp_ua_dlg_info(w->ua, ev->dlg, &info) == 0 && sipdp_call_app_is_bridge(info.app)) {
		pin(w, info.app, snap);
		return;
	}
	pin(w, SIPDP_CALL_APP_BRIDGE | 0xffffffu, snap); /* unnamed: sticky */
}

bool
shard_bridge_event(struct shard_worker *w, const struct sipdp_ua_event *ev)
{
	uint32_t before;
	uint64_t attr0;
	bool mine;

	if (w->call == NULL)
		return false;
	if (!sipdp_call_app_is_bridge(ev->app))
		/* Only the probes' answers (no dialog) are ours then. */
		return ev->type == SIPDP_UA_EV_RESPONSE && ev->dlg == SIPDP_HANDLE_INVALID &&
			sipdp_call_on_event(w->call, ev, w->now_us);
	before = sipdp_call_count(w->call);
	attr0 = w->bpin_attr;
	mine = sipdp_call_on_event(w->call, ev, w->now_us);
	settle(w, ev->app, before, attr0);
	return mine;
}

bool
shard_bridge_xfer(struct shard_worker *w, const struct sipdp_ua_xfer_event *ev)
{
	uint32_t before;
	uint64_t attr0;
	bool mine;

	if (w->call == NULL || !sipdp_call_app_is_bridge(ev->app))
		return false;
	before = sipdp_call_count(w->call);
	attr0 = w->bpin_attr;
	mine = sipdp_call_on_xfer(w->call, ev, w->now_us);
	settle(w, ev->app, before, attr0);
	return mine;
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
	if ((w->bpin_n != 0 || w->nb_sticky != 0) && sipdp_call_count(w->call) == 0)
		sweep(w);
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
	w->st.bridge_pins = w->bpin_n + w->nb_sticky;
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
