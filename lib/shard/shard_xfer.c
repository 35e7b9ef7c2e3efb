/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transfer, PRACK and session-timer policy per rule on a worker: lib/call
 * decides (call_xfer.c); this wires the UA's transfer, confirmed and
 * extension callbacks to it after the bridges and the generator had their
 * look, and copies the counters into the worker's stats. Runs on the
 * owning worker: nothing here allocates, locks, prints or makes a system
 * call.
 */

#include <string.h>

#include "shard_pvt.h"

void
shard_xfer_params(const struct sipdp_cfg *cfg, struct sipdp_ua_params *up,
	struct sipdp_ua_xfer_params *xp)
{
	sipdp_call_xfer_params(cfg, up, xp);
	xp->on_xfer = shard_on_xfer;
	up->cb.on_confirmed = shard_on_confirmed;
	up->cb.on_ext = shard_on_ext;
}

void
shard_on_xfer(void *user, const struct sipdp_ua_xfer_event *ev)
{
	struct shard_worker *w = user;

	if (shard_bridge_xfer(w, ev))
		return;
	if ((ev->type == SIPDP_UA_XFER_EV_DONE || ev->type == SIPDP_UA_XFER_EV_PROGRESS) &&
	    (ev->app & SHARD_APP_GEN)) {
		shard_gen_xfer(w, ev); /* a transfer of the calls: generator */
		return;
	}
	sipdp_call_xfer_event(&w->env, ev, w->now_us);
}

void
shard_on_confirmed(void *user, const struct sipdp_ua_event *ev)
{
	struct shard_worker *w = user;

	if (shard_bridge_event(w, ev))
		return;
	shard_gen_confirmed(w, ev);
	sipdp_call_xfer_confirmed(&w->env, ev, w->now_us);
}

void
shard_on_ext(void *user, const struct sipdp_ua_event *ev)
{
	struct shard_worker *w = user;

	if (shard_bridge_event(w, ev))
		return;
	if (ev->type != SIPDP_UA_EV_REFRESH_DUE)
		return;
	sipdp_call_policy_refresh(&w->env, ev,
		(ev->app & SHARD_APP_GEN) ? shard_gen_sdp(w, ev->app) : SIPDP_STR_NULL, w->now_us);
}

void
shard_xfer_gauges(struct shard_worker *w)
{
	const struct sipdp_ua_stats *us = sipdp_ua_stats(w->ua);
	const struct sipdp_ua_xfer_stats *xs = sipdp_ua_xfer_stats(w->ua);
	const struct sipdp_call_xfer_stats *xc = &w->env.xs;

	if (xs != NULL) {
		w->st.refers_in = xs->refers_in;
		w->st.refers_rejected = xs->refers_rejected;
		w->st.transfers_ok = xs->transfers_ok;
		w->st.transfers_failed = xs->transfers_failed;
		w->st.notifies_sent = xs->notifies_out;
		w->st.replaces_matched = xs->replaces_matched;
	}
	w->st.refers_accepted = xc->refers_accepted;
	w->st.auto_refers = xc->auto_refers;
	w->st.auto_consults = xc->auto_consults;
	w->st.auto_refer_errors = xc->auto_refer_errors;
	w->st.rel1xx_sent = us->rel1xx_out;
	w->st.prack_received = us->prack_in;
	w->st.prack_sent = us->prack_out;
	w->st.sent_420 = us->sent_420 + xc->sent_420;
	w->st.sent_421 = us->sent_421 + xc->sent_421;
	w->st.sent_422 = us->sent_422 + xc->sent_422;
	w->st.session_refreshes = us->session_refreshes;
	w->st.session_expiries = us->session_expiries;
}
