/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop and the UA's send hook: the fast path. No allocation
 * other than mbufs, no lock, no system call, no log: everything a peer can
 * trigger is counted instead.
 */

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#define URCU_INLINE_SMALL_FUNCTIONS 1
#include <urcu/urcu-qsbr.h>

#include "shard_pvt.h"

static inline uint64_t
tsc_to_us(const struct sipdp_shard *s, uint64_t tsc)
{
	uint64_t d = tsc - s->tsc0;

	/* Split so the multiplication cannot overflow in a long run. The
	 * clock starts at 1 s: 0 is never a valid time for the UA. */
	return 1000000 + (d / s->tsc_hz) * 1000000 + (d % s->tsc_hz) * 1000000 / s->tsc_hz;
}

/* Method or status class of a datagram from its first bytes: enough for
 * counters, no parse. */
static inline void
count_msg(uint64_t *req, uint64_t *resp, const char *p, uint32_t len)
{
	if (len >= 12 && memcmp(p, "SIP/2.0 ", 8) == 0) {
		unsigned c = (unsigned)(p[8] - '0');

		resp[c < SIPDP_SHARD_STATUS_CLASSES ? c : 0]++;
		return;
	}
	uint32_t n = 0;

	while (n < len && n < 16 && p[n] != ' ')
		n++;
	req[sipdp_method_lookup(p, n)]++;
}

static inline void
tx_flush(struct shard_worker *w)
{
	uint16_t n = w->n_txb, sent;

	if (n == 0)
		return;
	if (SIPDP_UNLIKELY(!__atomic_load_n(&w->s->link_up, __ATOMIC_RELAXED))) {
		/* The port cannot take them; SIP over UDP retransmits. */
		rte_pktmbuf_free_bulk(w->txb, n);
		w->st.tx_link_down_drops += n;
		w->n_txb = 0;
		return;
	}
	if (SIPDP_UNLIKELY(__atomic_load_n(&w->s->cap_on, __ATOMIC_RELAXED)))
		shard_capture_copy(w, w->idx, w->txb, n, true);
	sent = rte_eth_tx_burst(w->s->p.port_id, w->idx, w->txb, n);
	w->st.tx_pkts += sent;
	if (SIPDP_UNLIKELY(sent < n)) {
		/* One more try: af_packet and NIC rings free slots as they go. */
		uint16_t more = rte_eth_tx_burst(w->s->p.port_id, w->idx, w->txb + sent,
			(uint16_t)(n - sent));

		sent = (uint16_t)(sent + more);
		w->st.tx_pkts += more;
		if (sent < n) {
			rte_pktmbuf_free_bulk(w->txb + sent, (unsigned)(n - sent));
			w->st.tx_drops += (uint64_t)(n - sent);
		}
	}
	w->n_txb = 0;
}

/* Where an answer goes: the address and port the request came from, from
 * the local address it reached (RFC 3261 §18.2.2 with RFC 3581 symmetric
 * response routing: what sits behind NAT gets its answers too). */
static inline void
dest_from_peer(const struct sipdp_shard *s, const struct sipdp_dp_peer *p,
	struct sipdp_tsx_dest *d)
{
	const struct sipdp_dp_classifier *cls = s->p.cls;
	uint8_t id = 0;

	for (uint16_t i = 0; i < cls->n_local; i++) {
		if (cls->local[i].family == p->family && cls->local[i].port == p->local_port &&
		    sipdp_dp_ip_eq(&cls->local[i].addr, &p->local)) {
			id = (uint8_t)i;
			break;
		}
	}
	memset(d, 0, sizeof(*d));
	d->transport = SIPDP_TSX_TP_UDP;
	d->family = p->family;
	d->local_id = id;
	d->port = p->remote_port;
	d->opaque = p->vlan_tci | ((p->flags & SIPDP_DP_PEER_VLAN) ? SHARD_OPQ_VLAN : 0);
	memcpy(d->addr, p->remote.v6, sizeof(d->addr));
}

static inline void
peer_from_dest(const struct sipdp_shard *s, const struct sipdp_tsx_dest *d,
	struct sipdp_dp_peer *p)
{
	const struct sipdp_dp_classifier *cls = s->p.cls;
	uint16_t id = d->local_id < cls->n_local ? d->local_id : 0;

	/* A destination we made up (resolve hook, UAC) may name another
	 * family than local 0: take the first local address of its family. */
	if (cls->local[id].family != d->family) {
		for (uint16_t i = 0; i < cls->n_local; i++)
			if (cls->local[i].family == d->family) {
				id = i;
				break;
			}
	}
	p->local = cls->local[id].addr;
	p->local_port = cls->local[id].port;
	memcpy(p->remote.v6, d->addr, sizeof(p->remote.v6));
	if (d->family == AF_INET) {
		p->remote.w[1] = 0;
		memset(p->remote.v6 + 4, 0, 4);
	}
	p->remote_port = d->port;
	p->family = d->family;
	p->flags = (d->opaque & SHARD_OPQ_VLAN) ? SIPDP_DP_PEER_VLAN : 0;
	p->vlan_tci = (uint16_t)(d->opaque & 0xffff);
	p->port_id = s->p.port_id;
	p->queue_id = 0;
}

int
shard_send(void *user, const struct sipdp_tsx_dest *d, const char *buf, uint32_t len)
{
	struct shard_worker *w = user;
	struct sipdp_shard *s = w->s;
	struct rte_mbuf *m, *out[SIPDP_DP_TX_MAX_FRAGS];
	struct rte_mempool *mp;
	struct sipdp_dp_peer peer;
	struct rte_ether_addr mac;
	char *p;
	int n;

	count_msg(w->st.sent_req, w->st.sent_resp, buf, len);
	shard_hep(w, d, true, buf, len);
	if (d->transport != SIPDP_TSX_TP_UDP)
		return shard_tcp_send(w, d, buf, len);
	/* A lost mbuf or a full ring is a lost datagram, which SIP over UDP
	 * recovers from by retransmission: report success so the
	 * transaction is not torn down by a transient shortage. */
	if (SIPDP_UNLIKELY(len == 0 || len > SIPDP_DP_MAX_UDP_PAYLOAD)) {
		w->st.build_errors++;
		return 0;
	}
	mp = len + SIPDP_DP_TX_HEADROOM + RTE_PKTMBUF_HEADROOM <=
		(uint32_t)rte_pktmbuf_data_room_size(s->p.tx_pool) ? s->p.tx_pool : s->p.big_pool;
	m = rte_pktmbuf_alloc(mp);
	if (SIPDP_UNLIKELY(m == NULL)) {
		w->st.no_mbuf++;
		return 0;
	}
	p = rte_pktmbuf_append(m, (uint16_t)len);
	if (SIPDP_UNLIKELY(p == NULL)) {
		rte_pktmbuf_free(m);
		w->st.build_errors++;
		return 0;
	}
	memcpy(p, buf, len);
	peer_from_dest(s, d, &peer);
	if (SIPDP_LIKELY(sipdp_dp_neigh_lookup(s->p.neigh, peer.family, &peer.remote, &mac) == 0)) {
		n = sipdp_dp_tx_build(&w->txq, m, &peer, &mac, out, SIPDP_DP_TX_MAX_FRAGS);
		if (SIPDP_UNLIKELY(n < 0)) {
			rte_pktmbuf_free(m);
			w->st.build_errors++;
			return 0;
		}
		if (w->n_txb + n > SHARD_TXBUF)
			tx_flush(w);
		memcpy(&w->txb[w->n_txb], out, (size_t)n * sizeof(out[0]));
		w->n_txb = (uint16_t)(w->n_txb + n);
	} else {
		/* Next hop unknown: the kernel resolves it (ARP/NDP out of the
		 * tap) and sends this packet; its neighbour table, and so
		 * ours, learns the MAC for the next ones. */
		n = sipdp_dp_tx_build(&w->txq, m, &peer, NULL, out, SIPDP_DP_TX_MAX_FRAGS);
		if (SIPDP_UNLIKELY(n < 0)) {
			rte_pktmbuf_free(m);
			w->st.build_errors++;
			return 0;
		}
		if (rte_ring_sp_enqueue_bulk(w->ksend, (void **)out, (unsigned)n, NULL) == 0) {
			rte_pktmbuf_free_bulk(out, (unsigned)n);
			w->st.ksend_drops += (uint64_t)n;
		} else {
			w->st.ksend_queued += (uint64_t)n;
		}
	}
	w->st.sip_tx++;
	return 0;
}

/* A peer can send these at line rate: counted always, logged through the
 * worker's bucket only. */
static SIPDP_COLD void
bad_datagram(struct shard_worker *w, const struct sipdp_tsx_dest *src, int rc)
{
	char ip[SHARD_IPSTR];

	w->st.parse_errors++;
	(void)sipdp_log_rl(&w->rl_shard, SIPDP_LOG_SHARD, RTE_LOG_NOTICE, w->now_us,
		"worker %u: dropped a SIP datagram from %s port %u: %s\n", w->idx,
		shard_addr_text(src, ip, sizeof(ip)), src->port, strerror(-rc));
}

/* SIP the classifier dropped for a bad UDP checksum: counted always
 * (dp_drop_udp_cksum), logged through the worker's bucket with what an
 * operator can do about the usual cause. */
static SIPDP_COLD void
udp_cksum_drops(struct shard_worker *w)
{
	uint64_t now = w->st.dp.drop_udp_cksum;

	if (!sipdp_log_rl(&w->rl_shard, SIPDP_LOG_SHARD, RTE_LOG_WARNING, w->now_us,
		"worker %u: dropped %" PRIu64 " SIP datagram(s) to our port with a bad UDP "
		"checksum (dp_drop_udp_cksum %" PRIu64 "). A sender on this host through a "
		"veth or tap with TX checksum offload on leaves the checksum unfinished: "
		"turn it off on the sender's interface (ethtool -K IFACE tx off)\n",
		w->idx, now - w->udp_cksum_logged, now))
		return; /* suppressed: the next line that gets out counts these too */
	w->udp_cksum_logged = now;
}

/* Run one SIP datagram through this shard's UA, then free its mbuf. */
static void
deliver(struct shard_worker *w, const struct sipdp_dp_rx *rx)
{
	struct sipdp_tsx_dest src;
	uint64_t t0 = rte_rdtsc();
	int rc;

	dest_from_peer(w->s, &rx->peer, &src);
	shard_hep(w, &src, false, rx->payload, rx->len);
	if (shard_policy_pre(w, rx, &src) != 0) {
		rte_pktmbuf_free(rx->m);
		w->st.msg_cycles += rte_rdtsc() - t0;
		return;
	}
	rc = sipdp_ua_recv(w->ua, rx->payload, rx->len, &src, w->now_us);
	w->cur_rule = -2;
	w->st.sip_delivered++;
	if (SIPDP_UNLIKELY(rc != 0)) {
		if (rc == -EXDEV)
			w->st.foreign_shard++;
		else
			bad_datagram(w, &src, rc);
	}
	rte_pktmbuf_free(rx->m);
	w->st.msg_cycles += rte_rdtsc() - t0;
}

static void
dispatch(struct shard_worker *w, struct sipdp_dp_rx *rx, uint16_t n)
{
	struct sipdp_shard *s = w->s;

	for (uint16_t i = 0; i < n; i++) {
		uint16_t owner;
		bool ours;

		count_msg(w->st.req, w->st.resp, rx[i].payload, rx[i].len);
		if (s->nb_workers == 1) {
			deliver(w, &rx[i]);
			continue;
		}
		/* Unparsable: this worker's UA answers 400 or drops it. */
		if (sipdp_msg_parse(w->msg, rx[i].payload, rx[i].len, 0) <= 0) {
			deliver(w, &rx[i]);
			continue;
		}
		owner = sipdp_shard_owner_ex(w->msg, s->nb_workers, &ours);
		if (owner == w->idx) {
			deliver(w, &rx[i]);
		} else {
			bool invite = !ours && rx[i].len > 7 && memcmp(rx[i].payload, "INVITE ", 7) == 0;
			uint16_t k = sipdp_shard_handoff_enqueue(s->ring[w->idx][owner],
				&rx[i], 1, &w->st.handoff_drops);

			w->st.handoff_out += k;
			w->st.handoff_ours += ours ? k : 0;
			w->st.handoff_invites += invite ? k : 0;
		}
	}
}

/* Exception frames to the tap; what its queue refuses is counted, not
 * lost without a trace. */
static inline void
to_kernel(struct shard_worker *w, struct rte_mbuf **exc, uint16_t n)
{
	uint16_t k = sipdp_dp_tap_tx_burst(w->s->p.tap_port, w->idx, exc, n);

	w->st.exceptions += k;
	w->st.exception_drops += (uint64_t)(n - k);
}

static uint16_t
rx_queue(struct shard_worker *w, uint16_t q, uint64_t tsc)
{
	struct sipdp_shard *s = w->s;
	struct rte_mbuf *pkts[SHARD_BURST], *exc[SHARD_BURST], *slow[SHARD_BURST];
	struct rte_mbuf *exc2[SHARD_BURST];
	struct sipdp_dp_rx sip[SHARD_BURST];
	uint16_t n, ns, ne = 0, nl = 0, ne2 = 0;

	n = rte_eth_rx_burst(s->p.port_id, q, pkts, SHARD_BURST);
	w->ovl_caught += n < SHARD_BURST;
	w->ovl_full += n == SHARD_BURST;
	w->ovl_busy += n != 0;
	if (n == 0)
		return 0;
	w->st.rx_pkts += n;
	if (SIPDP_UNLIKELY(__atomic_load_n(&s->cap_on, __ATOMIC_RELAXED)))
		shard_capture_copy(w, q, pkts, n, false);
	ns = sipdp_dp_classify_burst(s->p.cls, q, pkts, n, sip, exc, &ne, slow, &nl, &w->st.dp);
	if (SIPDP_UNLIKELY(w->st.dp.drop_udp_cksum != w->udp_cksum_logged))
		udp_cksum_drops(w);
	if (ne != 0)
		to_kernel(w, exc, ne);
	w->st.sip_rx += ns;
	dispatch(w, sip, ns);
	if (nl != 0) {
		/* Fragments and multi-segment datagrams; reassembled ones come
		 * back as one contiguous mbuf each. */
		ns = sipdp_dp_reasm_burst(w->reasm, s->p.cls, q, slow, nl, tsc, sip, exc2, &ne2,
			&w->st.dp);
		if (SIPDP_UNLIKELY(w->st.dp.drop_udp_cksum != w->udp_cksum_logged))
			udp_cksum_drops(w);
		if (ne2 != 0)
			to_kernel(w, exc2, ne2);
		w->st.sip_rx += ns;
		dispatch(w, sip, ns);
	}
	return n;
}

/* The thread's CPU time, and the part of it spent in busy iterations.
 * busy_cycles are TSC deltas, so they also count the time another thread
 * had this CPU; preemption lands in an iteration in proportion to its
 * length, so busy / all iterations is the share of the CPU time that went
 * to work. One system call a second, never per message. */
static void
cpu_gauges(struct shard_worker *w, uint64_t t0, uint64_t now)
{
	struct timespec ts;
	uint64_t loop = now - t0, ns;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0 || loop == 0)
		return;
	ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec - w->cpu_ns0;
	w->st.loop_cycles = loop;
	w->st.cpu_ns = ns;
	w->st.busy_cpu_ns = (uint64_t)((double)ns * (double)w->st.busy_cycles / (double)loop);
}

/* Overload control, once a window, from this worker's own input: a
 * window in which no poll came back short of a full burst is one in which
 * the worker never caught up (a worker descheduled for a while drains its
 * rings and catches up within the window when it has the capacity). The
 * share of new INVITEs shed (stateless 503 in lib/tsx, before any state)
 * rises by 10 points per window behind and falls by 5 per window caught
 * up: additive steps that settle where the accepted load is what the
 * worker can carry, instead of letting the retransmissions of calls it
 * cannot take pile up and collapse its goodput. Calls already taken are
 * never shed (lib/tsx). A window with no full burst (idle, link down: no
 * RX poll at all) is never behind: a memif port waiting for its peer
 * must not start shedding (sipdp_call_overload_step()). */
static void
overload_window(struct shard_worker *w)
{
	const struct sipdp_cfg_overload *o = &w->snap->cfg->overload;
	uint8_t shed;

	if (w->now_us < w->ovl_next_us)
		return;
	w->ovl_next_us = w->now_us + (uint64_t)(o->window_ms ? o->window_ms : 20) * 1000;
	shed = o->enabled ? sipdp_call_overload_step(w->shed_pct, w->ovl_full, w->ovl_caught,
		w->ovl_busy) : 0;
	w->ovl_caught = w->ovl_full = w->ovl_busy = 0;
	if (shed > w->shed_pct)
		w->st.overload_raises++;
	if (shed != w->shed_pct) {
		w->shed_pct = shed;
		sipdp_tsx_set_shedding(sipdp_ua_tsx_table(w->ua), shed);
	}
	w->st.overload_shed_pct = shed;
}

static void
gauges(struct shard_worker *w)
{
	const struct sipdp_ua_stats *us = sipdp_ua_stats(w->ua);
	const struct sipdp_tsx_stats *ts = sipdp_tsx_stats(sipdp_ua_tsx_table(w->ua));

	w->st.tsx_live = sipdp_ua_tsx_count(w->ua);
	w->st.tsx_conn_live = sipdp_tsx_conn_count(sipdp_ua_tsx_table(w->ua));
	w->st.dialogs_live = sipdp_ua_dialog_count(w->ua);
	w->st.retransmissions = ts->retransmits + us->retx_2xx;
	w->st.full_503 = us->full_503 + us->tsx_full;
	w->st.shed_503 = ts->shed_503;
	w->st.ua_build_errors = us->build_errors;
	w->st.ua_rx_bad = us->rx_bad;
	shard_xfer_gauges(w);
	shard_gen_gauges(w);
	shard_bridge_gauges(w);
}

int
shard_worker_main(void *arg)
{
	struct shard_worker *w = arg;
	struct sipdp_shard *s = w->s;
	const uint64_t tick = s->tsc_hz / 1000, reasm_period = s->tsc_hz / 10;
	uint64_t next_tick = 0, next_reasm = 0, next_cpu, loop0;
	struct timespec ts;

	urcu_qsbr_register_thread();
	/* An unmap guard participant: a PMD tearing the port down in the
	 * interrupt thread waits for this loop's next boundary before it
	 * unmaps the rings (lib/dp/dp_guard.c). */
	if (sipdp_dp_guard_register(&w->guard_slot) == 0) {
		w->guarded = true;
		sipdp_dp_guard_online(w->guard_slot);
	} else {
		SHARD_LOG(ERR, "worker %u: no unmap guard slot: a port torn down under it may "
			"fault\n", w->idx);
	}
	w->snap = rcu_dereference(s->snap);
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
		w->cpu_ns0 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	loop0 = rte_rdtsc();
	next_cpu = loop0 + s->tsc_hz;
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		uint64_t t0 = rte_rdtsc();
		unsigned work = 0;

		w->now_us = tsc_to_us(s, t0);
		w->snap = rcu_dereference(s->snap);
		work += (unsigned)shard_gen_poll(w, t0);
		/* A port whose link is down is not polled until it is up. */
		if (SIPDP_LIKELY(__atomic_load_n(&s->link_up, __ATOMIC_RELAXED))) {
			for (uint16_t i = 0; i < w->nb_rxq; i++)
				work += rx_queue(w, w->rxq[i], t0);
		} else {
			w->st.rx_skipped_link_down += w->nb_rxq;
		}
		for (uint16_t src = 0; src < s->nb_workers; src++) {
			struct sipdp_dp_rx rx[SHARD_BURST];
			unsigned n;

			if (src == w->idx)
				continue;
			n = rte_ring_sc_dequeue_burst_elem(s->ring[src][w->idx], rx, sizeof(rx[0]),
				SHARD_BURST, NULL);
			w->ovl_caught += n < SHARD_BURST;
			w->ovl_full += n == SHARD_BURST;
			w->ovl_busy += n != 0;
			w->st.handoff_in += n;
			for (unsigned i = 0; i < n; i++)
				deliver(w, &rx[i]);
			work += n;
		}
		work += shard_tcp_worker_poll(w);
		if (t0 >= next_tick) {
			/* Transaction and dialog timers, then ring delays: at
			 * most 1024 of each per ms so a burst of expiries
			 * cannot starve the RX rings. */
			next_tick = t0 + tick;
			work += (unsigned)sipdp_ua_expire(w->ua, w->now_us, 1024);
			/* Bridge timers (ring, answer, duration, probes). */
			work += shard_bridge_expire(w);
			int f = sipdp_timer_expire(w->wheel, w->now_us, shard_ring_fire, w, 1024);
			if (f > 0)
				work += (unsigned)f;
			overload_window(w);
			gauges(w);
			shard_ops_poll(w);
		}
		if (t0 >= next_reasm) {
			next_reasm = t0 + reasm_period;
			sipdp_dp_reasm_expire(w->reasm, t0);
		}
		if (SIPDP_UNLIKELY(t0 >= next_cpu)) {
			next_cpu = t0 + s->tsc_hz;
			cpu_gauges(w, loop0, t0);
		}
		tx_flush(w);
		/* No neighbour lookup result is held across this point, and no
		 * burst is in progress. */
		urcu_qsbr_quiescent_state();
		if (SIPDP_LIKELY(w->guarded))
			sipdp_dp_guard_quiescent(w->guard_slot);
		w->st.iters++;
		if (work != 0) {
			w->st.busy_iters++;
			w->st.busy_cycles += rte_rdtsc() - t0;
		}
	}
	tx_flush(w);
	if (w->guarded) {
		sipdp_dp_guard_unregister(w->guard_slot);
		w->guarded = false;
	}
	gauges(w);
	cpu_gauges(w, loop0, rte_rdtsc());
	urcu_qsbr_unregister_thread();
	return 0;
}
