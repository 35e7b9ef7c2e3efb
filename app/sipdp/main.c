/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipdp, the appliance:
 *
 *   sipdp [EAL options] -- --config FILE [--check] [-v]
 *
 * --check validates the file and exits (0 valid, 1 not), without starting
 * the EAL. Otherwise: EAL, config, pools, the port (net_af_packet devargs get
 * the qpairs the workers need), the exception tap with the configured
 * addresses, the neighbour table, the kernel-send sockets, the shards; then
 * the control lcore (this thread, the EAL main lcore) loops until SIGINT or
 * SIGTERM. On a signal: new INVITEs are answered 503, transactions get up
 * to 5 s to finish, the final counters are printed, exit 0.
 *
 * Prints "sipdp: ready ..." on stdout once SIP is served.
 */

#include <errno.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>

#define URCU_INLINE_SMALL_FUNCTIONS 1
#include <urcu/urcu-qsbr.h>

#include "sipdp_cfg.h"
#include "sipdp_dp.h"
#include "sipdp_log.h"
#include "sipdp_shard.h"
#include "app_ext.h"

#define APP_LOG(lvl, ...) RTE_LOG(lvl, USER1, "sipdp: " __VA_ARGS__)

#define TAP_IFACE "sipdp0"
#define DRAIN_MAX_S 5
#define AF_PACKET_FRAMESZ 16384
/* Idle control lcore: naps from MIN doubling to MAX (us). MAX bounds the
 * extra latency of what only it moves: ARP/NDP through the tap, the first
 * datagrams to an unresolved neighbour, SIP over TCP/TLS after a quiet
 * spell. */
#define CTL_NAP_MIN_US 100
#define CTL_NAP_MAX_US 1000

/* The one piece of global state: a signal handler can reach nothing else. */
static volatile sig_atomic_t got_signal;
static volatile sig_atomic_t got_hup; /* SIGHUP: reload the config */

static void
on_signal(int sig)
{
	got_signal = sig;
}

static void
on_hup(int sig)
{
	(void)sig;
	got_hup = 1;
}

struct app {
	struct sipdp_cfg *cfg;
	struct sipdp_dp_classifier cls;
	struct sipdp_dp_port_info info;
	uint16_t port, tap;
	bool port_up, tap_up;
	uint16_t nb_q;
	char kif[IFNAMSIZ];  /* kernel interface with our addresses: the tap, or
				its VLAN interface when the port is tagged */
	struct rte_mempool *pkt, *rx, *big, *direct, *indirect;
	struct sipdp_dp_neigh *neigh;
	struct sipdp_dp_ksend *ks;
	struct sipdp_shard *shard;
	bool exit_when_done;  /* --exit-when-done: stop once calls: is done */
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
dp_family(uint8_t cfg_family)
{
	return cfg_family == SIPDP_CFG_IPV6 ? AF_INET6 : AF_INET;
}

static void
to_dp_ip(const struct sipdp_cfg_ip *c, union sipdp_dp_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	memcpy(ip->v6, c->addr, c->family == SIPDP_CFG_IPV6 ? 16 : 4);
}

/* SIP is served on sip.listen, or on every address of the port. */
static int
classifier_fill(struct app *a)
{
	const struct sipdp_cfg *cfg = a->cfg;
	const struct sipdp_cfg_port *p = &cfg->ports[0];
	const struct sipdp_cfg_ip *list[SIPDP_CFG_MAX_LISTEN];
	uint16_t n = 0;

	if (cfg->sip.nb_listen != 0) {
		for (uint16_t i = 0; i < cfg->sip.nb_listen; i++)
			list[n++] = &cfg->sip.listen[i];
	} else {
		if (p->ipv4.family != 0)
			list[n++] = &p->ipv4;
		if (p->ipv6.family != 0)
			list[n++] = &p->ipv6;
	}
	if (n == 0 || n > SIPDP_DP_MAX_LOCAL)
		return -EINVAL;
	for (uint16_t i = 0; i < n; i++) {
		struct sipdp_dp_local *l = &a->cls.local[i];

		to_dp_ip(list[i], &l->addr);
		l->family = (uint8_t)dp_family(list[i]->family);
		l->port = cfg->sip.udp_port;
	}
	a->cls.n_local = n;
	return 0;
}

static int
pools_create(struct app *a)
{
	const struct sipdp_cfg *cfg = a->cfg;
	uint32_t rxd = cfg->ports[0].rx_desc, txd = cfg->ports[0].tx_desc;
	/* RX rings full, TX rings full, a burst and a TX buffer per worker,
	 * hand-off rings half full: sized so a busy lab never starves. */
	uint32_t n = (rxd + txd) * a->nb_q + (uint32_t)cfg->lcores.nb_workers * 8192 + 4096;
	uint32_t big_room = cfg->limits.message_max + RTE_PKTMBUF_HEADROOM + SIPDP_DP_TX_HEADROOM;

	n = RTE_MIN(n, 131071u);
	a->pkt = rte_pktmbuf_pool_create("sipdp_pkt", n, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		(int)rte_socket_id());
	/* Large messages (sent or reassembled) need one contiguous buffer. */
	a->big = rte_pktmbuf_pool_create("sipdp_big", 1023, 32, 0,
		(uint16_t)RTE_MIN(big_room, 65535u), (int)rte_socket_id());
	a->direct = rte_pktmbuf_pool_create("sipdp_frag_hdr", 8191, 64, 0,
		RTE_PKTMBUF_HEADROOM + 128, (int)rte_socket_id());
	a->indirect = rte_pktmbuf_pool_create("sipdp_frag_ind", 8191, 64, 0, 0,
		(int)rte_socket_id());
	/* net_af_packet copies each frame into one mbuf and has no scattered
	 * RX, and its fanout reassembles IPv4 fragments in the kernel: whole
	 * datagrams up to AF_PACKET_FRAMESZ come in one frame, so its RX
	 * buffers are that large (the lab; a NIC gets fragments). */
	if (strncmp(cfg->ports[0].name, "net_af_packet", 13) == 0) {
		a->rx = rte_pktmbuf_pool_create("sipdp_rx", 4095, 128, 0,
			AF_PACKET_FRAMESZ + RTE_PKTMBUF_HEADROOM, (int)rte_socket_id());
	} else {
		a->rx = a->pkt;
	}
	if (a->pkt == NULL || a->rx == NULL || a->big == NULL || a->direct == NULL ||
	    a->indirect == NULL) {
		APP_LOG(ERR, "mbuf pools: %s (try more memory: -m)\n", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

static int
port_up(struct app *a)
{
	const struct sipdp_cfg_port *cp = &a->cfg->ports[0];
	struct sipdp_dp_port_params pp = { 0 };
	char devargs[SIPDP_CFG_DEVARGS_LEN + 32];
	uint16_t existing;
	int rc;

	pp.name = cp->name;
	/* net_af_packet gives one RX/TX pair per qpairs; we need one TX
	 * queue per worker plus the control lcore's. */
	if (rte_eth_dev_get_port_by_name(cp->name, &existing) != 0 && cp->devargs[0] != 0) {
		int n = snprintf(devargs, sizeof(devargs), "%s", cp->devargs);

		if (strncmp(cp->name, "net_af_packet", 13) == 0) {
			if (strstr(cp->devargs, "qpairs=") == NULL)
				n += snprintf(devargs + n, sizeof(devargs) - (size_t)n, ",qpairs=%u",
					a->nb_q);
			if (strstr(cp->devargs, "framesz=") == NULL)
				snprintf(devargs + n, sizeof(devargs) - (size_t)n,
					",framesz=%u,blocksz=%u", AF_PACKET_FRAMESZ,
					AF_PACKET_FRAMESZ);
		}
		pp.devargs = devargs;
	}
	pp.nb_rx_queues = a->nb_q;
	pp.nb_tx_queues = a->nb_q;
	pp.nb_rxd = cp->rx_desc;
	pp.nb_txd = cp->tx_desc;
	pp.mtu = cp->mtu;
	pp.promiscuous = cp->promiscuous;
	pp.mp = a->rx;
	rc = sipdp_dp_port_create(&pp, &a->info);
	if (rc != 0) {
		APP_LOG(ERR, "port %s: %s (net_af_packet given with --vdev needs qpairs=%u)\n",
			cp->name, strerror(-rc), a->nb_q);
		return rc;
	}
	a->port = a->info.port_id;
	a->port_up = true;
	if (cp->has_mac) {
		struct rte_ether_addr mac;

		memcpy(mac.addr_bytes, cp->mac, 6);
		rc = rte_eth_dev_default_mac_addr_set(a->port, &mac);
		if (rc != 0) {
			APP_LOG(ERR, "port %s: cannot set the MAC: %s\n", cp->name, strerror(-rc));
			return rc;
		}
		a->info.mac = mac;
	}
	return 0;
}

static int
tap_up(struct app *a)
{
	const struct sipdp_cfg_port *cp = &a->cfg->ports[0];
	struct sipdp_dp_tap_params tp = { 0 };
	union sipdp_dp_ip ip;
	int rc;

	tp.iface = TAP_IFACE;
	tp.mac = &a->info.mac;
	tp.nb_queues = a->cfg->lcores.nb_workers;
	tp.mtu = a->info.mtu;
	tp.mp = a->pkt;
	rc = sipdp_dp_tap_create(&tp, &a->tap);
	if (rc != 0) {
		APP_LOG(ERR, "tap %s: %s\n", TAP_IFACE, strerror(-rc));
		return rc;
	}
	a->tap_up = true;
	snprintf(a->kif, sizeof(a->kif), "%s", TAP_IFACE);
	/* Tagged port: frames reach the tap with their tag, so the kernel
	 * needs the VLAN interface to answer them, and sends tagged frames
	 * out of the tap from it. */
	if (cp->vlan != 0) {
		rc = sipdp_dp_tap_vlan_add(TAP_IFACE, cp->vlan, a->kif);
		if (rc != 0) {
			APP_LOG(ERR, "tap %s: VLAN %u: %s\n", TAP_IFACE, cp->vlan, strerror(-rc));
			return rc;
		}
	}
	/* The kernel answers ARP/NDP/ping for our addresses through the tap. */
	const struct sipdp_cfg_ip *addrs[2] = { &cp->ipv4, &cp->ipv6 };
	for (int i = 0; i < 2; i++) {
		if (addrs[i]->family == 0)
			continue;
		to_dp_ip(addrs[i], &ip);
		rc = sipdp_dp_tap_addr_add(a->kif, dp_family(addrs[i]->family), &ip,
			addrs[i]->prefix);
		if (rc != 0) {
			APP_LOG(ERR, "%s: address: %s\n", a->kif, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int
neigh_up(struct app *a)
{
	const struct sipdp_cfg_port *cp = &a->cfg->ports[0];
	struct sipdp_dp_neigh_params np = { .max_entries = 4096,
		.ifindex = (int)if_nametoindex(a->kif) };
	struct sipdp_dp_route routes[2];
	uint16_t nr = 0;
	int rc;

	rc = sipdp_dp_neigh_create(&np, &a->neigh);
	if (rc == 0)
		rc = sipdp_dp_neigh_netlink_open(a->neigh);
	if (rc != 0) {
		APP_LOG(ERR, "neighbour table: %s\n", strerror(-rc));
		return rc;
	}
	/* Default routes: everything off-link goes to the gateway. */
	const struct sipdp_cfg_ip *gws[2] = { &cp->gateway4, &cp->gateway6 };
	for (int i = 0; i < 2; i++) {
		if (gws[i]->family == 0)
			continue;
		memset(&routes[nr], 0, sizeof(routes[nr]));
		routes[nr].family = (uint8_t)dp_family(gws[i]->family);
		to_dp_ip(gws[i], &routes[nr].gw);
		nr++;
	}
	if (nr != 0 && (rc = sipdp_dp_neigh_set_routes(a->neigh, routes, nr)) != 0)
		return rc;
	(void)sipdp_dp_neigh_publish(a->neigh);
	rc = sipdp_dp_ksend_create(a->kif, &a->ks);
	if (rc != 0)
		APP_LOG(ERR, "kernel send sockets: %s\n", strerror(-rc));
	return rc;
}

static int
lcores_check(const struct sipdp_cfg *cfg)
{
	if (rte_get_main_lcore() != cfg->lcores.control) {
		APP_LOG(ERR, "the EAL main lcore is %u, the config's control lcore %u: pass "
			"--main-lcore %u\n", rte_get_main_lcore(), cfg->lcores.control,
			cfg->lcores.control);
		return -EINVAL;
	}
	for (uint16_t i = 0; i < cfg->lcores.nb_workers; i++) {
		if (!rte_lcore_is_enabled(cfg->lcores.workers[i])) {
			APP_LOG(ERR, "worker lcore %u is not enabled in -l/--lcores\n",
				cfg->lcores.workers[i]);
			return -EINVAL;
		}
	}
	if (cfg->nb_ports != 1) {
		APP_LOG(ERR, "%u ports configured: this version drives exactly one\n",
			cfg->nb_ports);
		return -ENOTSUP;
	}
	return 0;
}

static void
log_levels(const struct sipdp_cfg *cfg)
{
	/* One rte_log type per component (sipdp.shard, ...); USER1/USER2
	 * follow app and shard for the lines not moved yet. */
	if (sipdp_log_init() != 0)
		APP_LOG(WARNING, "log types: cannot register, using USER1\n");
	sipdp_log_apply_cfg(&cfg->log);
}

static void
ready_line(const struct app *a)
{
	char ip[64];

	printf("sipdp: ready: port %s (%s, mtu %u), tap %s, %u worker(s), control lcore %u, SIP/UDP on",
		a->cfg->ports[0].name, a->info.driver, a->info.mtu, a->kif,
		a->cfg->lcores.nb_workers, a->cfg->lcores.control);
	for (uint16_t i = 0; i < a->cls.n_local; i++) {
		const struct sipdp_dp_local *l = &a->cls.local[i];

		if (inet_ntop(l->family, l->addr.v6, ip, sizeof(ip)) == NULL)
			snprintf(ip, sizeof(ip), "?");
		printf(l->family == AF_INET6 ? " [%s]:%u" : " %s:%u", ip, l->port);
	}
	printf("\n");
	fflush(stdout);
}

static void
app_cleanup(struct app *a)
{
	sipdp_shard_destroy(a->shard);
	sipdp_dp_ksend_destroy(a->ks);
	if (a->neigh != NULL) {
		urcu_qsbr_thread_offline();
		sipdp_dp_neigh_destroy(a->neigh);
		urcu_qsbr_thread_online();
	}
	if (a->tap_up)
		(void)sipdp_dp_tap_destroy(a->tap);
	if (a->port_up)
		(void)sipdp_dp_port_destroy(a->port);
	sipdp_cfg_free(a->cfg);
}

#if defined(__SANITIZE_ADDRESS__)
#define APP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define APP_ASAN 1
#endif
#endif

/* Fault in every page mapped from now on when it is mapped: the tables
 * the protocol core allocates at start (calloc/malloc, so mmap'd, and
 * otherwise faulted in on first touch) and the memif regions. Without
 * this the fast path takes a page fault each time a transaction, dialog
 * or kept response lands on a page not used yet, for the first 64*T1
 * seconds of traffic (measured in docs/performance.md). Not MCL_CURRENT:
 * that would fault in all of the EAL's --no-huge memory, most of it
 * never used, which takes tens of seconds in a VM. Not under ASan: its
 * terabytes of shadow are reserved, not meant to be resident. */
static void
memory_lock(void)
{
#ifndef APP_ASAN
	struct __user_cap_header_struct ch = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct cd[_LINUX_CAPABILITY_U32S_3];
	struct rlimit rl;
	bool cap = syscall(SYS_capget, &ch, cd) == 0 &&
		(cd[CAP_TO_INDEX(CAP_IPC_LOCK)].effective & CAP_TO_MASK(CAP_IPC_LOCK));

	/* Under a finite memlock limit every later mmap would be counted
	 * against it and the tables' allocations would fail: lock only when
	 * the limit cannot bite. */
	if (!cap && (getrlimit(RLIMIT_MEMLOCK, &rl) != 0 || rl.rlim_cur != RLIM_INFINITY)) {
		APP_LOG(WARNING, "memlock limited and no CAP_IPC_LOCK: tables not locked, the fast "
			"path may take page faults (LimitMEMLOCK=infinity)\n");
		return;
	}
	if (mlockall(MCL_FUTURE) != 0)
		APP_LOG(WARNING, "mlockall: %s: the fast path may take page faults\n",
			strerror(errno));
#endif
}

static uint64_t
thread_cpu_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The control lcore: runs until a signal, then drains. */
static void
control_loop(struct app *a)
{
	uint64_t drain_until = 0, next_calls = 0;
	unsigned idle = 0, nap_us = CTL_NAP_MIN_US;
	bool calls_done = false;

	for (;;) {
		if (got_hup) {
			got_hup = 0;
			(void)sipdp_app_reload_poll(true);
		} else {
			(void)sipdp_app_reload_poll(false);
		}
		if (!calls_done && mono_ms() >= next_calls) {
			next_calls = mono_ms() + 100;
			calls_done = sipdp_app_calls_poll(a->shard);
		}
		if (((calls_done && a->exit_when_done) || got_signal) && drain_until == 0) {
			printf("sipdp: %s %d: draining (new INVITEs get 503, up to %d s)\n",
				got_signal ? "signal" : "calls done, exit", (int)got_signal, DRAIN_MAX_S);
			fflush(stdout);
			sipdp_shard_drain(a->shard);
			drain_until = mono_ms() + DRAIN_MAX_S * 1000;
		}
		if (drain_until != 0 &&
		    (sipdp_shard_tsx_live(a->shard) == 0 || mono_ms() >= drain_until))
			break;
		if (sipdp_shard_control_poll(a->shard) != 0) {
			idle = 0;
			nap_us = CTL_NAP_MIN_US;
			continue;
		}
		/* The control lcore may sleep; it goes offline for QSBR so
		 * grace periods never wait for it. Each wake-up is a context
		 * switch on a CPU a worker may share (and several system
		 * calls): the longer it has been idle, the longer it naps,
		 * so an idle appliance wakes it ~1000 times a second, not
		 * ~7000 (measured in docs/performance.md). Work brings the
		 * short naps back at once. */
		if (++idle > 64) {
			sipdp_shard_control_sleep(a->shard, nap_us);
			nap_us = nap_us * 2 > CTL_NAP_MAX_US ? CTL_NAP_MAX_US : nap_us * 2;
		}
	}
}

int
main(int argc, char **argv)
{
	struct sipdp_cfg_args args;
	struct sipdp_cfg_errors errs;
	struct sipdp_shard_params sp = { 0 };
	struct app a;
	int dd = -1, ret, rc;

	memset(&a, 0, sizeof(a));
	/* --check needs no EAL (no root, no hugepages): look for it first. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dd = i;
			break;
		}
	if (dd > 0) {
		/* The part after "--", behind the program name (for usage). */
		char *own[argc - dd];

		own[0] = argv[0];
		for (int i = dd + 1; i < argc; i++)
			own[i - dd] = argv[i];
		rc = sipdp_cfg_args_parse(argc - dd, own, &args, stderr);
		if (rc == -ECANCELED)
			return 0;
		if (rc != 0)
			return 2;
		if (args.check)
			return sipdp_cfg_check_file(args.config, args.verbose, stdout, stderr);
	}
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		/* Some EAL failures (a second primary on the same --file-prefix)
		 * leave rte_errno at 0: the EAL's own lines above say why. */
		fprintf(stderr, "sipdp: EAL init failed: %s\n",
			rte_errno != 0 ? rte_strerror(rte_errno) : "see the EAL messages above");
		return 1;
	}
	rc = sipdp_cfg_args_parse(argc - ret, argv + ret, &args, stderr);
	if (rc == -ECANCELED) {
		rte_eal_cleanup();
		return 0;
	}
	if (rc != 0) {
		rte_eal_cleanup();
		return 2;
	}
	rc = sipdp_cfg_load_file(args.config, &a.cfg, &errs);
	if (rc != 0) {
		sipdp_cfg_errors_print(stderr, &errs, args.config);
		rte_eal_cleanup();
		return 1;
	}
	log_levels(a.cfg);
	/* For dpdk-dumpcap on hugepage deployments (a --no-huge primary
	 * cannot have secondaries; /sipdp/capture works everywhere). Costs
	 * nothing until a secondary asks. */
	if (rte_pdump_init() != 0)
		APP_LOG(INFO, "pdump: %s (dpdk-dumpcap unavailable)\n", rte_strerror(rte_errno));
	rc = lcores_check(a.cfg);
	if (rc != 0)
		goto out;
	memory_lock();
	a.nb_q = (uint16_t)(a.cfg->lcores.nb_workers + 1);
	if (RAND_bytes((unsigned char *)sp.secret, sizeof(sp.secret)) != 1) {
		APP_LOG(ERR, "RAND_bytes failed: no secret for our identifiers\n");
		rc = -EIO;
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* lib/ctl: OpenSSL writes with write(); a peer's reset must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, on_hup);
	a.exit_when_done = args.exit_when_done;
	urcu_qsbr_register_thread();
	if ((rc = classifier_fill(&a)) != 0 || (rc = pools_create(&a)) != 0 ||
	    (rc = port_up(&a)) != 0 || (rc = tap_up(&a)) != 0 || (rc = neigh_up(&a)) != 0)
		goto out_rcu;

	sp.cfg = a.cfg;
	sp.port_id = a.port;
	sp.port_info = a.info;
	sp.nb_rx_queues = a.nb_q;
	sp.ctl_txq = (uint16_t)(a.nb_q - 1);
	sp.tap_port = a.tap;
	sp.nb_tap_queues = a.cfg->lcores.nb_workers;
	sp.tap_iface = a.kif;
	sp.neigh = a.neigh;
	sp.ksend = a.ks;
	sp.cls = &a.cls;
	sp.tx_pool = a.pkt;
	sp.big_pool = a.big;
	sp.direct_pool = a.direct;
	sp.indirect_pool = a.indirect;
	rc = sipdp_shard_create(&sp, &a.shard);
	if (rc != 0) {
		APP_LOG(ERR, "shards: %s\n", strerror(-rc));
		goto out_rcu;
	}
	memset(sp.secret, 0, sizeof(sp.secret));
	rc = sipdp_shard_tcp_start(a.shard);
	if (rc < 0) {
		APP_LOG(ERR, "SIP over TCP/TLS: %s\n", strerror(-rc));
		goto out_rcu;
	}
	rc = sipdp_shard_obs_start(a.shard);
	if (rc < 0) {
		APP_LOG(ERR, "metrics / hep: %s\n", strerror(-rc));
		goto out_rcu;
	}
	rc = sipdp_shard_telemetry_register(a.shard);
	if (rc != 0)
		APP_LOG(WARNING, "telemetry commands: %s\n", strerror(-rc));
	if (sipdp_shard_ops_telemetry_register(a.shard) != 0 ||
	    sipdp_shard_capture_telemetry_register(a.shard) != 0 || sipdp_log_telemetry_register() != 0)
		APP_LOG(WARNING, "telemetry commands (dialogs, lcores, capture, log)\n");
	rc = sipdp_app_reload_init(a.shard, args.config, a.cfg);
	if (rc == 0)
		rc = sipdp_shard_calls_telemetry_register(a.shard);
	if (rc != 0)
		APP_LOG(WARNING, "telemetry commands (reload, calls): %s\n", strerror(-rc));
	if (!sipdp_dp_guard_active())
		APP_LOG(WARNING, "unmap guard: munmap() is not this executable's (linked without "
			"--export-dynamic-symbol=munmap?): a net_memif peer that disconnects may "
			"crash sipdp\n");
	rc = sipdp_shard_launch(a.shard);
	if (rc != 0)
		goto out_rcu;
	ready_line(&a);
	uint64_t ctl_cpu0 = thread_cpu_us(), ctl_wall0 = mono_ms();

	control_loop(&a);
	/* What the control lcore cost the CPU it shares (benchmarks). */
	uint64_t ctl_cpu = thread_cpu_us() - ctl_cpu0, ctl_wall = mono_ms() - ctl_wall0;

	sipdp_shard_stop(a.shard);
	sipdp_app_reload_fini();
	sipdp_app_calls_final(a.shard);
	printf("sipdp: stopped; final counters:\n");
	sipdp_shard_stats_print(a.shard, stdout);
	sipdp_shard_tcp_print(a.shard, stdout);
	sipdp_shard_obs_print(a.shard, stdout);
	printf("control.cpu_us %" PRIu64 "\ncontrol.wall_ms %" PRIu64 "\n", ctl_cpu, ctl_wall);
	rc = 0;
out_rcu:
	app_cleanup(&a);
	a.cfg = NULL;
	urcu_qsbr_unregister_thread();
out:
	sipdp_cfg_free(a.cfg);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
