/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet capture, worker side: while s->cap_on is set (the only cost when
 * it is not: one relaxed load per RX burst and per TX flush), each frame
 * read from or written to the port is copied with rte_pcapng_copy() into
 * the capture pool and queued for the control lcore, which writes the
 * pcapng file (shard_capture_ctl.c). A full pool or ring drops the copy,
 * never the packet. Worker lcore only.
 */
/* rte_pcapng is experimental in DPDK 22.11 */
#define ALLOW_EXPERIMENTAL_API 1

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_pcapng.h>
#include <rte_ring.h>

#include "shard_pvt.h"

void
shard_capture_copy(struct shard_worker *w, uint16_t queue, struct rte_mbuf *const *pkts,
	uint16_t n, bool tx)
{
	struct rte_mempool *mp = __atomic_load_n(&w->s->cap_pool, __ATOMIC_ACQUIRE);
	struct rte_mbuf *c[SHARD_TXBUF];
	uint64_t ts = rte_get_tsc_cycles();
	unsigned k = 0, q;

	if (mp == NULL || w->cap_ring == NULL)
		return;
	for (uint16_t i = 0; i < n && k < SHARD_TXBUF; i++) {
		c[k] = rte_pcapng_copy(w->s->p.port_id, queue, pkts[i], mp, UINT32_MAX, ts,
			tx ? RTE_PCAPNG_DIRECTION_OUT : RTE_PCAPNG_DIRECTION_IN);
		if (c[k] == NULL)
			w->cap_drops++;
		else
			k++;
	}
	q = rte_ring_sp_enqueue_burst(w->cap_ring, (void **)c, k, NULL);
	if (q < k) {
		rte_pktmbuf_free_bulk(c + q, k - q);
		w->cap_drops += k - q;
	}
	w->cap_copied += q;
}
