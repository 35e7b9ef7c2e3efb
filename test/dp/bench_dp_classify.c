/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark (suite 'perf', never asserts a time): cycles per packet of
 * sipdp_dp_classify_burst on bursts of 32 IPv4 SIP datagrams of 500 bytes,
 * with the UDP checksum verified in software (no offload) and trusted from
 * RX flags (offload). Prints the figures; exits 77 when the EAL cannot start.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "sipdp_dp.h"

#define BURST 32
#define ROUNDS 100000

int
main(int argc, char **argv)
{
	char prefix[64];
	(void)argc;
	snprintf(prefix, sizeof(prefix), "--file-prefix=sipdp-bench-dp-%d", (int)getpid());
	char *eal[] = { argv[0], "--no-huge", "--no-pci", prefix, "-m", "128", "--log-level=error",
		"--no-telemetry", NULL };
	if (rte_eal_init(8, eal) < 0)
		return 77;
	struct rte_mempool *mp = rte_pktmbuf_pool_create("b", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	struct rte_mempool *dp = rte_pktmbuf_pool_create("d", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	struct rte_mempool *ip = rte_pktmbuf_pool_create("i", 63, 0, 0, 0, SOCKET_ID_ANY);
	struct sipdp_dp_classifier cls = { .n_local = 1 };
	struct sipdp_dp_txq txq = { .mtu = 1500, .direct_pool = dp, .indirect_pool = ip };
	struct sipdp_dp_peer peer = { .family = AF_INET, .local_port = 5062, .remote_port = 5060 };
	struct rte_ether_addr mac = { { 2, 0, 0, 0, 0, 1 } };
	struct rte_mbuf *pkts[BURST], *work[BURST], *exc[BURST], *slow[BURST];
	struct sipdp_dp_rx sip[BURST];
	struct sipdp_dp_rx_stats st = { 0 };
	char payload[500];

	memset(payload, 'x', sizeof(payload));
	cls.local[0].family = AF_INET;
	cls.local[0].port = 5060;
	sipdp_dp_ip_parse("192.0.2.1", &cls.local[0].addr);
	sipdp_dp_ip_parse("192.0.2.2", &peer.local);
	sipdp_dp_ip_parse("192.0.2.1", &peer.remote);
	for (int i = 0; i < BURST; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp), *o[1];
		memcpy(rte_pktmbuf_append(m, sizeof(payload)), payload, sizeof(payload));
		if (sipdp_dp_tx_build(&txq, m, &peer, &mac, o, 1) != 1)
			return 1;
		pkts[i] = o[0];
	}
	for (int mode = 0; mode < 2; mode++) {
		for (int i = 0; i < BURST; i++)
			pkts[i]->ol_flags = mode ? RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD : 0;
		uint64_t t0 = rte_rdtsc_precise();
		uint64_t got = 0;
		for (int r = 0; r < ROUNDS; r++) {
			uint16_t ne, nl;
			memcpy(work, pkts, sizeof(work));
			got += sipdp_dp_classify_burst(&cls, 0, work, BURST, sip, exc, &ne, slow, &nl, &st);
		}
		uint64_t cyc = rte_rdtsc_precise() - t0;
		double per = (double)cyc / ((double)ROUNDS * BURST);
		printf("classify %s: %.1f cycles/pkt = %.1f ns/pkt (%.2f GHz TSC), %lu SIP\n",
			mode ? "checksum offloaded (RX flags GOOD)" : "software UDP+IP checksum, 500 B",
			per, per * 1e9 / (double)rte_get_tsc_hz(), (double)rte_get_tsc_hz() / 1e9,
			(unsigned long)got);
	}
	for (int i = 0; i < BURST; i++)
		rte_pktmbuf_free(pkts[i]);
	rte_eal_cleanup();
	return 0;
}
