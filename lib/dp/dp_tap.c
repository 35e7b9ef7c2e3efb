/* SPDX-License-Identifier: BSD-3-Clause */
/* Exception path bursts: wire -> kernel (workers), kernel -> wire (control). */

#include <rte_ethdev.h>

#include "sipdp_dp.h"

uint16_t
sipdp_dp_tap_tx_burst(uint16_t tap_port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = n ? rte_eth_tx_burst(tap_port, queue, pkts, n) : 0;

	/* The kernel is best effort: a full tap queue drops, like a full NIC. */
	if (SIPDP_UNLIKELY(sent < n))
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	return sent;
}

uint16_t
sipdp_dp_tap_to_port(uint16_t tap_port, uint16_t nb_tap_queues, uint16_t port, uint16_t txq,
	uint16_t budget)
{
	struct rte_mbuf *pkts[32];
	uint16_t total = 0;

	for (uint16_t q = 0; q < nb_tap_queues && total < budget; q++) {
		uint16_t want = (uint16_t)SIPDP_MIN(32, budget - total);
		uint16_t n = rte_eth_rx_burst(tap_port, q, pkts, want);
		uint16_t sent;

		if (n == 0)
			continue;
		total += n;
		sent = rte_eth_tx_burst(port, txq, pkts, n);
		if (sent < n)
			rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	}
	return total;
}
