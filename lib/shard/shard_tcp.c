/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP over TCP and TLS, worker side (fast path): messages the control lcore
 * framed (lib/ctl) arrive on the worker's tcp_in ring and run through the
 * UA with a reliable destination naming the connection; what the UA sends
 * to such a destination goes back over tcp_out. No allocation other than
 * mbufs, no lock, no system call, no log.
 */

#include <string.h>
#include <strings.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "shard_pvt.h"
#include "sipdp_msg_hdr.h"

/* Method or status class from the first bytes, as shard_worker.c counts
 * datagrams: enough for counters, no parse. */
static inline void
tcp_count_rx(struct shard_worker *w, const char *p, uint32_t len)
{
	if (len >= 12 && memcmp(p, "SIP/2.0 ", 8) == 0) {
		unsigned c = (unsigned)(p[8] - '0');

		w->st.resp[c < SIPDP_SHARD_STATUS_CLASSES ? c : 0]++;
		return;
	}
	uint32_t n = 0;

	while (n < len && n < 16 && p[n] != ' ')
		n++;
	w->st.req[sipdp_method_lookup(p, n)]++;
}

static inline bool
tcp_is_dead(const struct shard_worker *w, uint32_t conn_id)
{
	return w->tcp_dead[conn_id & (SHARD_TCP_DEAD_SZ - 1)] == conn_id;
}

static void
tcp_deliver(struct shard_worker *w, const struct shard_tcp_msg *tm)
{
	struct sipdp_dp_rx rx;
	struct sipdp_tsx_dest src;
	uint64_t t0 = rte_rdtsc();
	int rc;

	memset(&src, 0, sizeof(src));
	src.transport = tm->transport;
	src.flags = SIPDP_TSX_DEST_RELIABLE;
	src.family = tm->family;
	src.local_id = tm->local_id;
	src.port = tm->port;
	src.conn_id = tm->conn_id;
	memcpy(src.addr, tm->addr, sizeof(src.addr));
	/* The policy reads the payload only; rx.peer stays zero. */
	memset(&rx, 0, sizeof(rx));
	rx.m = tm->m;
	rx.payload = rte_pktmbuf_mtod(tm->m, const char *);
	rx.len = rte_pktmbuf_data_len(tm->m);
	tcp_count_rx(w, rx.payload, rx.len);
	shard_hep(w, &src, false, rx.payload, rx.len);
	if (shard_policy_pre(w, &rx, &src) == 0) {
		rc = sipdp_ua_recv(w->ua, rx.payload, rx.len, &src, w->now_us);
		w->cur_rule = -2;
		w->st.sip_delivered++;
		if (SIPDP_UNLIKELY(rc != 0)) {
			if (rc == -EXDEV)
				w->st.foreign_shard++;
			else
				w->st.parse_errors++;
		}
	}
	rte_pktmbuf_free(tm->m);
	w->st.msg_cycles += rte_rdtsc() - t0;
}

unsigned
shard_tcp_worker_poll(struct shard_worker *w)
{
	struct shard_tcp_msg tm[SHARD_BURST];
	unsigned n;

	if (w->tcp_in == NULL)
		return 0;
	n = rte_ring_sc_dequeue_burst_elem(w->tcp_in, tm, sizeof(tm[0]), SHARD_BURST, NULL);
	for (unsigned i = 0; i < n; i++) {
		if (tm[i].m == NULL) {
			/* A closed connection: the transactions on it end now
			 * with a transport error (RFC 3261 §17.1.4, §17.2.4),
			 * and the calls not yet confirmed with them; nothing
			 * would be retransmitted over it, so waiting for a
			 * timer would only keep a dead call (up to Timer L,
			 * 32 s). A later send naming it fails the same way. A
			 * newer close on the same slot overwrites an older
			 * one: that send then fails on the control lcore. */
			int n_lost;

			w->tcp_dead[tm[i].conn_id & (SHARD_TCP_DEAD_SZ - 1)] = tm[i].conn_id;
			n_lost = sipdp_ua_conn_lost(w->ua, tm[i].conn_id, w->now_us);
			if (n_lost > 0)
				w->st.tcp_conn_lost_tsx += (uint64_t)n_lost;
			/* The gauges now, and the close counted last: a reader
			 * that sees tcp_closed move sees what the close ended. */
			w->st.tsx_live = sipdp_ua_tsx_count(w->ua);
			w->st.tsx_conn_live = sipdp_tsx_conn_count(sipdp_ua_tsx_table(w->ua));
			w->st.dialogs_live = sipdp_ua_dialog_count(w->ua);
			__atomic_store_n(&w->st.tcp_closed, w->st.tcp_closed + 1, __ATOMIC_RELEASE);
			continue;
		}
		w->st.tcp_rx++;
		tcp_deliver(w, &tm[i]);
	}
	return n;
}

/*
 * A response whose connection has gone: may the control lcore send it over
 * a new one (RFC 3261 §18.2.2, to the top Via's sent-by port)? Only when
 * that port is not the source port of the connection that is gone: a
 * client whose Via names the port it connected from listens nowhere, and
 * the transaction must hear of the transport error now (§17.2.4). Cold.
 */
static __attribute__((noinline)) bool
tcp_resp_can_reconnect(const struct sipdp_tsx_dest *d, const char *buf, uint32_t len)
{
	const char *p = buf, *end = buf + len;
	struct sipdp_via via;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *v = NULL;

		if (nl == NULL || nl == p + 1)
			return false; /* end of the header section: no Via */
		if (nl - p > 4 && strncasecmp(p, "Via:", 4) == 0)
			v = p + 4;
		else if (nl - p > 2 && (p[0] == 'v' || p[0] == 'V') && p[1] == ':')
			v = p + 2;
		if (v != NULL) {
			const char *ve = nl > v && nl[-1] == '\r' ? nl - 1 : nl;
			struct sipdp_str val = sipdp_str_make(v, (size_t)(ve - v)), first;

			if (sipdp_list_next(&val, &first) != 1 || sipdp_via_parse(first, &via) != 0)
				return false;
			uint16_t port = via.port ? via.port : d->transport == SIPDP_TSX_TP_TLS ?
				5061 : 5060;
			return port != d->port;
		}
		p = nl + 1;
	}
	return false;
}

int
shard_tcp_send(struct shard_worker *w, const struct sipdp_tsx_dest *d, const char *buf,
	uint32_t len)
{
	struct sipdp_shard *s = w->s;
	struct shard_tcp_msg tm;
	struct rte_mempool *mp;
	char *p;

	if (SIPDP_UNLIKELY(w->tcp_out == NULL))
		return -EPROTONOSUPPORT;
	/* A response may still go: the control lcore sends it over a new
	 * connection to the Via's address (RFC 3261 §18.2.2). */
	if (d->conn_id != 0 && SIPDP_UNLIKELY(tcp_is_dead(w, d->conn_id)) &&
	    (len < 8 || memcmp(buf, "SIP/2.0 ", 8) != 0 || !tcp_resp_can_reconnect(d, buf, len))) {
		w->st.tcp_conn_dead++;
		return -ENOTCONN;
	}
	if (SIPDP_UNLIKELY(len == 0 || len > UINT16_MAX)) {
		w->st.build_errors++;
		return -EMSGSIZE;
	}
	mp = len + RTE_PKTMBUF_HEADROOM <= (uint32_t)rte_pktmbuf_data_room_size(s->p.tx_pool) ?
		s->p.tx_pool : s->p.big_pool;
	tm.m = rte_pktmbuf_alloc(mp);
	if (SIPDP_UNLIKELY(tm.m == NULL)) {
		/* Nothing retransmits over a reliable transport: a lost
		 * message is a failed transaction, and says so. */
		w->st.no_mbuf++;
		return -ENOBUFS;
	}
	p = rte_pktmbuf_append(tm.m, (uint16_t)len);
	if (SIPDP_UNLIKELY(p == NULL)) {
		rte_pktmbuf_free(tm.m);
		w->st.build_errors++;
		return -EMSGSIZE;
	}
	memcpy(p, buf, len);
	tm.conn_id = d->conn_id;
	tm.transport = d->transport;
	tm.family = d->family;
	tm.local_id = d->local_id;
	tm.why = 0;
	tm.port = d->port;
	tm.reserved = 0;
	memcpy(tm.addr, d->addr, sizeof(tm.addr));
	if (SIPDP_UNLIKELY(rte_ring_sp_enqueue_elem(w->tcp_out, &tm, sizeof(tm)) != 0)) {
		rte_pktmbuf_free(tm.m);
		w->st.tcp_tx_drops++;
		return -ENOBUFS;
	}
	w->st.tcp_tx++;
	w->st.sip_tx++;
	return 0;
}
