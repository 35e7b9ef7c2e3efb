/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data path in the lab (suite 'system'; root, `ip netns`, python3):
 * scripts/lab.sh up, then this process enters netns sipdp-dut and runs
 * net_af_packet on sipdp-dut0 plus the net_tap exception interface
 * sipdp-tap0 carrying 192.0.2.1/24 and 2001:db8::1/64. For each family, a
 * UDP socket in sipdp-peer sends an OPTIONS to us and waits for an answer:
 *  - the peer's ARP/NDP for our address goes through the exception path to
 *    the kernel, whose answer goes back out of the port
 *  - the OPTIONS is classified SIP with the peer's address and port
 *  - the answer is sent to the next hop's MAC when the neighbour table (fed
 *    by netlink from the tap) knows it, through the kernel (raw socket)
 *    otherwise; either way the peer receives exactly our answer
 * Skips (77) when something is missing or a lab is already up; always runs
 * lab.sh down at the end. Waits are bounded loops, nothing asserts a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "sipdp_dp.h"

#define URCU_INLINE_SMALL_FUNCTIONS 1
#include <urcu/urcu-qsbr.h>

static const char *lab;

static void
lab_down(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s down >/dev/null 2>&1", lab);
	if (system(cmd) != 0)
		fprintf(stderr, "lab down failed\n");
}

struct dp {
	uint16_t port, tap;
	struct sipdp_dp_port_info info;
	struct sipdp_dp_classifier cls;
	struct sipdp_dp_txq txq;
	struct sipdp_dp_neigh *neigh;
	struct sipdp_dp_ksend *ks;
	struct rte_mempool *mp, *ind;
	struct sipdp_dp_rx_stats st;
	int via_mac, via_kernel;
	bool force_kernel; /* act as if the next hop were unknown */
};

static const char answer[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";

static void
reply(struct dp *d, const struct sipdp_dp_rx *rx)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(d->mp), *out[4];
	struct rte_ether_addr mac;
	int n;

	if (m == NULL)
		return;
	memcpy(rte_pktmbuf_append(m, sizeof(answer) - 1), answer, sizeof(answer) - 1);
	if (!d->force_kernel &&
	    sipdp_dp_neigh_lookup(d->neigh, rx->peer.family, &rx->peer.remote, &mac) == 0) {
		n = sipdp_dp_tx_build(&d->txq, m, &rx->peer, &mac, out, 4);
		if (n > 0) {
			uint16_t s = rte_eth_tx_burst(d->port, 0, out, (uint16_t)n);
			if (s < n)
				rte_pktmbuf_free_bulk(&out[s], (unsigned)(n - s));
			d->via_mac++;
		}
	} else {
		n = sipdp_dp_tx_build(&d->txq, m, &rx->peer, NULL, out, 4);
		if (n > 0) {
			uint16_t k = sipdp_dp_ksend_burst(d->ks, out, (uint16_t)n);
			if (k != n)
				printf("ksend: %u of %d accepted (%s)\n", k, n, strerror(errno));
			d->via_kernel++;
		}
	}
	if (n < 0)
		rte_pktmbuf_free(m);
}

/* One loop of worker + control duties. Returns SIP messages answered. */
static int
poll_once(struct dp *d)
{
	struct rte_mbuf *pkts[32], *exc[32], *slow[32];
	struct sipdp_dp_rx sip[32];
	uint16_t ne, nl, n, ns;
	int answered = 0;

	/* net_af_packet fans frames out over all its qpairs: poll them all */
	n = rte_eth_rx_burst(d->port, 0, pkts, 16);
	n += rte_eth_rx_burst(d->port, 1, pkts + n, 16);
	ns = sipdp_dp_classify_burst(&d->cls, 0, pkts, n, sip, exc, &ne, slow, &nl, &d->st);
	sipdp_dp_tap_tx_burst(d->tap, 0, exc, ne);
	rte_pktmbuf_free_bulk(slow, nl);
	for (uint16_t i = 0; i < ns; i++) {
		if (sip[i].len >= 7 && memcmp(sip[i].payload, "OPTIONS", 7) == 0) {
			reply(d, &sip[i]);
			answered++;
		}
		rte_pktmbuf_free(sip[i].m);
	}
	sipdp_dp_tap_to_port(d->tap, 1, d->port, 1, 64);
	(void)sipdp_dp_neigh_netlink_poll(d->neigh);
	urcu_qsbr_quiescent_state();
	return answered;
}

/* The peer: send an OPTIONS, print what comes back (or TIMEOUT). */
static FILE *
peer_start(int family)
{
	char cmd[1024];
	const char *py = family == AF_INET
		? "import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('192.0.2.2',5070));"
		  "s.settimeout(5);s.sendto(b'OPTIONS sip:x@192.0.2.1 SIP/2.0\\r\\n\\r\\n',('192.0.2.1',5060));"
		: "import socket;s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM);s.bind(('2001:db8::2',5070));"
		  "s.settimeout(5);s.sendto(b'OPTIONS sip:x@[2001:db8::1] SIP/2.0\\r\\n\\r\\n',('2001:db8::1',5060));";

	snprintf(cmd, sizeof(cmd),
		"ip netns exec sipdp-peer python3 -c \"%s\n"
		"try:\n d,a=s.recvfrom(4000);print(d.decode(),end='')\n"
		"except Exception as e:\n print('TIMEOUT',e)\"", py);
	return popen(cmd, "r");
}

static int
run_family(struct dp *d, int family)
{
	FILE *p = peer_start(family);
	char got[512] = { 0 };
	int answered = 0;

	if (p == NULL)
		return -1;
	/* Serve until the peer has its answer (it exits then) or gives up:
	 * poll the pipe without blocking; bounded by the peer's own timeout. */
	int fd = fileno(p);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	size_t len = 0;
	for (long i = 0; i < 20000000; i++) {
		answered += poll_once(d);
		ssize_t r = read(fd, got + len, sizeof(got) - 1 - len);
		if (r > 0)
			len += (size_t)r;
		else if (r == 0)
			break;
		if ((i & 255) == 0)
			usleep(100);
	}
	pclose(p);
	printf("family %s: answered %d, peer got: %s\n", family == AF_INET ? "IPv4" : "IPv6",
		answered, got);
	return strcmp(got, answer) == 0 && answered >= 1 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	char cmd[512], prefix[64];
	struct dp d;
	int fd, rc = 1;

	if (argc < 2)
		return 77;
	lab = argv[1];
	if (geteuid() != 0 || system("ip netns list >/dev/null 2>&1") != 0 ||
	    system("command -v python3 >/dev/null") != 0) {
		printf("needs root, ip netns and python3: skip\n");
		return 77;
	}
	if (system("ip netns list | grep -qE '^sipdp-(dut|peer)'") == 0) {
		printf("a sipdp lab is already up: skip\n");
		return 77;
	}
	snprintf(cmd, sizeof(cmd), "%s up >/dev/null", lab);
	if (system(cmd) != 0) {
		lab_down();
		return 77;
	}
	atexit(lab_down);
	fd = open("/var/run/netns/sipdp-dut", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
		perror("setns");
		return 1;
	}
	close(fd);

	snprintf(prefix, sizeof(prefix), "--file-prefix=sipdp-test-dplab-%d", (int)getpid());
	char *eal[] = { argv[0], "--no-huge", "--no-pci", prefix, "-m", "256", "--log-level=error",
		"--no-telemetry", NULL };
	if (rte_eal_init(8, eal) < 0) {
		printf("EAL init failed: skip\n");
		return 77;
	}
	memset(&d, 0, sizeof(d));
	d.mp = rte_pktmbuf_pool_create("lab", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	d.ind = rte_pktmbuf_pool_create("lab_ind", 255, 0, 0, 0, SOCKET_ID_ANY);
	struct sipdp_dp_port_params pp = { .name = "net_af_packet0",
		.devargs = "iface=sipdp-dut0,qpairs=2", .nb_rx_queues = 2, .nb_tx_queues = 2,
		.nb_rxd = 512, .nb_txd = 512, .mp = d.mp };
	if (d.mp == NULL || d.ind == NULL || sipdp_dp_port_create(&pp, &d.info) != 0) {
		printf("port setup failed\n");
		goto out;
	}
	d.port = d.info.port_id;
	struct sipdp_dp_tap_params tp = { .iface = "sipdp-tap0", .mac = &d.info.mac, .nb_queues = 1,
		.mp = d.mp };
	if (sipdp_dp_tap_create(&tp, &d.tap) != 0) {
		printf("tap setup failed\n");
		goto out;
	}
	union sipdp_dp_ip a4, a6;
	sipdp_dp_ip_parse("192.0.2.1", &a4);
	sipdp_dp_ip_parse("2001:db8::1", &a6);
	if (sipdp_dp_tap_addr_add("sipdp-tap0", AF_INET, &a4, 24) != 0 ||
	    sipdp_dp_tap_addr_add("sipdp-tap0", AF_INET6, &a6, 64) != 0) {
		printf("tap addresses failed\n");
		goto out;
	}
	d.cls.n_local = 2;
	d.cls.local[0] = (struct sipdp_dp_local){ .addr = a4, .port = 5060, .family = AF_INET };
	d.cls.local[1] = (struct sipdp_dp_local){ .addr = a6, .port = 5060, .family = AF_INET6 };
	sipdp_dp_txq_init(&d.txq, &d.info, d.mp, d.ind, 0, 1);
	struct sipdp_dp_neigh_params np = { .max_entries = 64,
		.ifindex = (int)if_nametoindex("sipdp-tap0") };
	urcu_qsbr_register_thread();
	if (sipdp_dp_neigh_create(&np, &d.neigh) != 0 || sipdp_dp_neigh_netlink_open(d.neigh) != 0 ||
	    sipdp_dp_ksend_create("sipdp-tap0", &d.ks) != 0) {
		printf("neigh/ksend setup failed\n");
		goto out_rcu;
	}
	printf("port %u (%s, mtu %u, tx_off 0x%lx), tap %u\n", d.port, d.info.driver, d.info.mtu,
		(unsigned long)d.info.tx_offloads, d.tap);
	rc = 0;
	/* Round 1: answers through the kernel (the unresolved-next-hop path;
	 * forced, because the peer's own ARP/NDP teaches the kernel its MAC
	 * before the OPTIONS arrives). */
	d.force_kernel = true;
	if (run_family(&d, AF_INET) != 0)
		rc = 1;
	if (run_family(&d, AF_INET6) != 0)
		rc = 1;
	d.force_kernel = false;
	if (d.via_kernel != 2) {
		printf("FAIL: round 1 should go through the kernel\n");
		rc = 1;
	}
	/* Round 2: the table knows both peers (learnt from the kernel through
	 * netlink), so answers leave straight from the port. */
	int before = d.via_mac;
	if (run_family(&d, AF_INET) != 0 || run_family(&d, AF_INET6) != 0)
		rc = 1;
	printf("answers via MAC %d, via kernel %d; table has %u neighbours; stats sip %lu exc %lu drop %lu/%lu\n",
		d.via_mac, d.via_kernel, sipdp_dp_neigh_count(d.neigh), (unsigned long)d.st.sip,
		(unsigned long)d.st.exception, (unsigned long)d.st.drop_malformed,
		(unsigned long)d.st.drop_cksum);
	if (d.via_mac - before != 2) {
		printf("FAIL: second round should go straight out of the port\n");
		rc = 1;
	}
	sipdp_dp_ksend_destroy(d.ks);
out_rcu:
	urcu_qsbr_thread_offline();
	sipdp_dp_neigh_destroy(d.neigh);
	urcu_qsbr_unregister_thread();
out:
	if (d.tap != 0 || d.port != 0)
		sipdp_dp_tap_destroy(d.tap);
	if (d.info.driver[0] != 0)
		sipdp_dp_port_destroy(d.port);
	rte_eal_cleanup();
	printf("%s\n", rc == 0 ? "PASS" : "FAIL");
	return rc;
}
