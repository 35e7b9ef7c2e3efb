/* SPDX-License-Identifier: BSD-3-Clause */
/* Building and tearing down the data path (control lcore, cold). */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "shard_pvt.h"

static void
ip_text(const struct sipdp_dp_local *l, char *out, size_t cap)
{
	if (inet_ntop(l->family, l->addr.v6, out, (socklen_t)cap) == NULL)
		snprintf(out, cap, "?");
}

/* The worker's bridges (B2BUA, lib/call) next to its UA: half its dialogs
 * (each bridge is two). */
int
shard_bridge_create(struct shard_worker *w)
{
	struct sipdp_call_params cp = { 0 };
	uint32_t bridges = w->s->cfg->limits.dialogs_per_shard / 2;
	int rc;

	cp.ua = w->ua;
	cp.bridges = bridges != 0 ? bridges : 1;
	cp.seed = w->s->p.secret[0] ^ ((uint64_t)w->idx << 32) ^ 0x62726467ull;
	cp.now_us = 1000000; /* the worker clock starts at 1 s (tsc_to_us) */
	cp.route = shard_bridge_route;
	cp.dest = shard_bridge_dest;
	cp.released = shard_bridge_released;
	cp.user = w;
	rc = sipdp_call_create(&cp, &w->call);
	return rc;
}

void
shard_bridge_destroy(struct shard_worker *w)
{
	sipdp_call_destroy(w->call);
	w->call = NULL;
}

static int
worker_create(struct sipdp_shard *s, uint16_t i, unsigned lcore)
{
	const struct sipdp_cfg *cfg = s->cfg;
	const struct sipdp_shard_params *p = &s->p;
	struct sipdp_ua_params up = { 0 };
	struct sipdp_ua_xfer_params xp;
	struct sipdp_timer_params tp = { 0 };
	struct sipdp_dp_reasm_params rp = { 0 };
	struct shard_worker *w;
	int socket = (int)rte_lcore_to_socket_id(lcore);
	const struct sipdp_dp_local *l0 = &p->cls->local[0];
	char name[RTE_RING_NAMESIZE];
	bool v6 = l0->family == AF_INET6;
	int rc;

	w = rte_zmalloc_socket("sipdp_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
	if (w == NULL)
		return -ENOMEM;
	s->w[i] = w;
	w->s = s;
	w->idx = i;
	w->lcore = lcore;
	w->cur_rule = -2;
	w->msg = malloc(sizeof(*w->msg));
	if (w->msg == NULL)
		return -ENOMEM;
	rc = sipdp_call_policy_scratch_create(&w->re_scratch);
	if (rc != 0)
		return rc;
	/* net_af_packet fans frames out over every qpair and RSS over every
	 * queue: each queue belongs to exactly one worker. */
	for (uint16_t q = i; q < p->nb_rx_queues && w->nb_rxq < SIPDP_SHARD_MAX_RXQ;
	     q = (uint16_t)(q + s->nb_workers))
		w->rxq[w->nb_rxq++] = q;
	sipdp_dp_txq_init(&w->txq, &p->port_info, p->direct_pool, p->indirect_pool, i,
		s->nb_workers);

	rp.max_flows = 1024;
	rp.timeout_cycles = s->tsc_hz * 2;
	rp.lin_pool = p->big_pool;
	rp.socket_id = socket;
	rc = sipdp_dp_reasm_create(&rp, &w->reasm);
	if (rc != 0)
		return rc;

	tp.capacity = cfg->limits.dialogs_per_shard;
	tp.tick_us = 1000;
	rc = sipdp_timer_create(&tp, 1000000, &w->wheel);
	if (rc != 0)
		return rc;

	snprintf(w->sent_by, sizeof(w->sent_by), v6 ? "[%s]:%u" : "%s:%u", s->local[0].ip,
		l0->port);
	snprintf(w->contact, sizeof(w->contact), "<sip:%s@%s>", cfg->identity.contact_user,
		w->sent_by);
	up.dialogs = cfg->limits.dialogs_per_shard;
	up.transactions = cfg->limits.transactions_per_shard;
	up.shard_id = i;
	up.t1_ms = cfg->timers.t1_ms;
	up.t2_ms = cfg->timers.t2_ms;
	up.t4_ms = cfg->timers.t4_ms;
	/* One Retry-After for every 503 a worker sends statelessly (table
	 * full, overload): what the operator set for overload. */
	up.retry_after_s = cfg->overload.retry_after_s;
	up.secret[0] = p->secret[0];
	up.secret[1] = p->secret[1];
	up.now_us = 1000000;
	up.contact = sipdp_str_cstr(w->contact);
	up.sent_by = sipdp_str_cstr(w->sent_by);
	up.via_transport = SIPDP_TSX_TP_UDP;
	shard_ident_fill(s, w, &up);
	up.user_agent = sipdp_str_cstr(cfg->identity.user_agent);
	up.send = shard_send;
	up.cb.on_incoming = shard_on_incoming;
	up.cb.on_request = shard_on_request;
	up.cb.on_answered = shard_on_answered;
	up.cb.on_failed = shard_on_failed;
	up.cb.on_terminated = shard_on_terminated;
	up.cb.on_provisional = shard_on_provisional;
	up.cb.on_response = shard_on_response;
	up.cb.on_glare_retry = shard_on_glare_retry;
	up.user = w;
	shard_xfer_params(cfg, &up, &xp);
	rc = sipdp_ua_create(&up, &w->ua);
	if (rc != 0)
		return rc;
	shard_policy_env(w);
	rc = shard_bridge_create(w);
	if (rc != 0)
		return rc;
	rc = shard_gen_create(w);
	if (rc != 0)
		return rc;

	struct sipdp_ua_mem mem;

	sipdp_ua_memory(w->ua, &mem);
	SHARD_LOG(INFO, "worker %u: lcore %u, %u RX queue(s) from %u, TX queue %u, tap queue %u, "
		"UA %zu KiB (%zu B per confirmed dialog), ring-delay wheel %u timers\n", i, lcore,
		w->nb_rxq, w->rxq[0], i, i, mem.total / 1024, mem.per_dialog, tp.capacity);
	snprintf(name, sizeof(name), "sipdp_ks%u", i);
	w->ksend = rte_ring_create(name, SHARD_KSEND_SZ, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	return w->ksend == NULL ? -ENOMEM : 0;
}

int
sipdp_shard_create(const struct sipdp_shard_params *params, struct sipdp_shard **out)
{
	const struct sipdp_cfg *cfg;
	struct sipdp_shard *s;
	int rc;

	if (params == NULL || out == NULL || params->cfg == NULL || params->cls == NULL ||
	    params->cls->n_local == 0 || params->neigh == NULL || params->ksend == NULL ||
	    params->tx_pool == NULL || params->big_pool == NULL || params->direct_pool == NULL ||
	    params->indirect_pool == NULL || params->nb_rx_queues == 0)
		return -EINVAL;
	cfg = params->cfg;
	if (cfg->lcores.nb_workers == 0 || cfg->lcores.nb_workers > SIPDP_SHARD_MAX_WORKERS ||
	    params->nb_tap_queues < cfg->lcores.nb_workers)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->cfg = cfg;
	s->p = *params;
	s->nb_workers = cfg->lcores.nb_workers;
	s->tsc_hz = rte_get_tsc_hz();
	s->tsc0 = rte_rdtsc();
	s->nb_local = params->cls->n_local;
	for (uint16_t i = 0; i < s->nb_local; i++)
		ip_text(&params->cls->local[i], s->local[i].ip, sizeof(s->local[i].ip));
	rc = shard_policy_compile(cfg, &s->policy);
	if (rc != 0)
		goto fail;
	rc = shard_snap_create(s, cfg, &s->snap);
	if (rc != 0)
		goto fail;
	for (uint16_t i = 0; i < s->nb_workers; i++) {
		rc = worker_create(s, i, cfg->lcores.workers[i]);
		if (rc != 0) {
			SHARD_LOG(ERR, "worker %u: %s\n", i, strerror(-rc));
			goto fail;
		}
	}
	for (uint16_t a = 0; a < s->nb_workers; a++) {
		for (uint16_t b = 0; b < s->nb_workers; b++) {
			char name[RTE_RING_NAMESIZE];

			if (a == b)
				continue;
			snprintf(name, sizeof(name), "sipdp_h%u_%u", a, b);
			s->ring[a][b] = sipdp_shard_handoff_ring_create(name, SHARD_HANDOFF_SZ,
				(int)rte_lcore_to_socket_id(cfg->lcores.workers[b]));
			if (s->ring[a][b] == NULL) {
				rc = -ENOMEM;
				goto fail;
			}
		}
	}
	if ((rc = shard_ops_create(s)) != 0 || (rc = shard_capture_create(s)) != 0)
		goto fail;
	/* The link is read every 10 ms (and at once on an LSC event):
	 * workers make no burst on a port that is down. */
	rc = sipdp_dp_link_watch(&s->link, &params->port_info, 10);
	if (rc != 0)
		goto fail;
	s->link_watched = true;
	__atomic_store_n(&s->link_up, s->link.up, __ATOMIC_RELAXED);
	*out = s;
	return 0;
fail:
	sipdp_shard_destroy(s);
	return rc;
}

int
sipdp_shard_launch(struct sipdp_shard *s)
{
	/* The control lcore sends on the port too (tap -> port): it is an
	 * unmap guard participant from now until sipdp_shard_stop(). */
	if (!s->ctl_guarded) {
		int rc = sipdp_dp_guard_register(&s->ctl_guard_slot);

		if (rc != 0) {
			SHARD_LOG(ERR, "unmap guard: %s\n", strerror(-rc));
			return rc;
		}
		s->ctl_guarded = true;
		sipdp_dp_guard_online(s->ctl_guard_slot);
	}
	for (uint16_t i = 0; i < s->nb_workers; i++) {
		int rc = rte_eal_remote_launch(shard_worker_main, s->w[i], s->w[i]->lcore);

		if (rc != 0) {
			SHARD_LOG(ERR, "launch worker %u on lcore %u: %s\n", i, s->w[i]->lcore,
				strerror(-rc));
			sipdp_shard_stop(s);
			return rc;
		}
		s->launched = true;
	}
	return 0;
}

void
sipdp_shard_stop(struct sipdp_shard *s)
{
	atomic_store(&s->stop, true);
	/* No burst of the control lcore after this: a PMD's teardown in the
	 * interrupt thread no longer waits for it. */
	if (s->ctl_guarded) {
		sipdp_dp_guard_unregister(s->ctl_guard_slot);
		s->ctl_guarded = false;
	}
	if (!s->launched)
		return;
	for (uint16_t i = 0; i < s->nb_workers; i++)
		(void)rte_eal_wait_lcore(s->w[i]->lcore);
	s->launched = false;
}

static void
drain_ring(struct rte_ring *r, bool elems)
{
	if (r == NULL)
		return;
	if (elems) {
		struct sipdp_dp_rx rx;

		while (rte_ring_sc_dequeue_elem(r, &rx, sizeof(rx)) == 0)
			rte_pktmbuf_free(rx.m);
	} else {
		void *m;

		while (rte_ring_sc_dequeue(r, &m) == 0)
			rte_pktmbuf_free(m);
	}
	rte_ring_free(r);
}

void
sipdp_shard_destroy(struct sipdp_shard *s)
{
	if (s == NULL)
		return;
	if (s->launched)
		sipdp_shard_stop(s);
	shard_telemetry_forget(s);
	if (s->link_watched)
		sipdp_dp_link_unwatch(&s->link);
	shard_tcp_destroy(s);
	shard_gen_forget(s);
	shard_capture_destroy(s);
	shard_obs_destroy(s);
	shard_ops_destroy(s);
	for (uint16_t a = 0; a < SIPDP_SHARD_MAX_WORKERS; a++)
		for (uint16_t b = 0; b < SIPDP_SHARD_MAX_WORKERS; b++)
			drain_ring(s->ring[a][b], true);
	for (uint16_t i = 0; i < SIPDP_SHARD_MAX_WORKERS; i++) {
		struct shard_worker *w = s->w[i];

		if (w == NULL)
			continue;
		if (w->n_txb != 0)
			rte_pktmbuf_free_bulk(w->txb, w->n_txb);
		drain_ring(w->ksend, false);
		shard_bridge_destroy(w); /* no signalling: before the UA */
		sipdp_ua_destroy(w->ua);
		sipdp_timer_destroy(w->wheel);
		sipdp_dp_reasm_destroy(w->reasm);
		free(w->msg);
		sipdp_call_policy_scratch_destroy(w->re_scratch);
		shard_gen_destroy(w);
		rte_free(w);
	}
	sipdp_call_policy_destroy(s->policy);
	shard_reload_reclaim(s, true);
	shard_snap_destroy(s->snap);
	free(s);
}

void
sipdp_shard_drain(struct sipdp_shard *s)
{
	atomic_store(&s->draining, true);
}

uint16_t
sipdp_shard_workers(const struct sipdp_shard *s)
{
	return s->nb_workers;
}
