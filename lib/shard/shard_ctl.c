/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control lcore's loop (exception path kernel -> wire, kernel sends,
 * neighbour updates) and the operator's view: counters and telemetry.
 * Cold relative to the workers: it may make system calls.
 */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#define URCU_INLINE_SMALL_FUNCTIONS 1
#include <urcu/urcu-qsbr.h>

#include "shard_pvt.h"

const char *const sipdp_shard_counter_names[] = {
#define SIPDP_SHARD_X_NAME(n, h) #n,
	SIPDP_SHARD_COUNTERS(SIPDP_SHARD_X_NAME)
#undef SIPDP_SHARD_X_NAME
};
const char *const sipdp_shard_counter_help[] = {
#define SIPDP_SHARD_X_HELP(n, h) h,
	SIPDP_SHARD_COUNTERS(SIPDP_SHARD_X_HELP)
#undef SIPDP_SHARD_X_HELP
};
const uint32_t sipdp_shard_setup_bounds_ms[SIPDP_SHARD_SETUP_BOUNDS] = {
	1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};
const unsigned sipdp_shard_counter_count = SIPDP_ARRAY_SIZE(sipdp_shard_counter_names);

/* The port's link went up or down (control lcore). Workers load link_up
 * once per loop: from their next iteration they make no burst (down) or
 * poll again (up). Safety against a PMD unmapping its rings does not rest
 * on this flag, which follows the PMD by up to one period: the unmap guard
 * (lib/dp/dp_guard.c) covers that. */
static SIPDP_COLD void
link_changed(struct sipdp_shard *s)
{
	__atomic_store_n(&s->link_up, s->link.up ? 1u : 0u, __ATOMIC_RELEASE);
	SHARD_LOG(NOTICE, "port %u: link %s (%" PRIu64 " down, %" PRIu64 " up so far)\n",
		s->link.port_id, s->link.up ? "up" : "down", s->link.down_events,
		s->link.up_events);
}

void
sipdp_shard_control_sleep(struct sipdp_shard *s, unsigned us)
{
	urcu_qsbr_thread_offline();
	if (s->ctl_guarded)
		sipdp_dp_guard_offline(s->ctl_guard_slot);
	usleep(us);
	if (s->ctl_guarded)
		sipdp_dp_guard_online(s->ctl_guard_slot);
	urcu_qsbr_thread_online();
}

bool
sipdp_shard_link_up(const struct sipdp_shard *s)
{
	return __atomic_load_n(&s->link_up, __ATOMIC_RELAXED) != 0;
}

int
sipdp_shard_control_poll(struct sipdp_shard *s)
{
	struct rte_mbuf *pkts[SHARD_BURST];
	uint64_t t0 = rte_rdtsc();
	int work = 0;

	if (SIPDP_UNLIKELY(sipdp_dp_link_poll(&s->link, t0) != 0))
		link_changed(s);
	/* Link down: what the kernel sends waits in the tap's queue (and the
	 * kernel drops past it) rather than going to a port that cannot
	 * take it. */
	if (SIPDP_LIKELY(__atomic_load_n(&s->link_up, __ATOMIC_RELAXED)))
		work = sipdp_dp_tap_to_port(s->p.tap_port, s->p.nb_tap_queues, s->p.port_id,
			s->p.ctl_txq, 64);
	for (uint16_t i = 0; i < s->nb_workers; i++) {
		unsigned n = rte_ring_sc_dequeue_burst(s->w[i]->ksend, (void **)pkts, SHARD_BURST,
			NULL);

		if (n != 0) {
			(void)sipdp_dp_ksend_burst(s->p.ksend, pkts, (uint16_t)n);
			work += (int)n;
		}
	}
	/* A send through the kernel is followed by ARP/NDP: look for the
	 * answer at once, otherwise now and then. */
	if (work != 0 || (s->ctl_iter & 15) == 0) {
		int rc = sipdp_dp_neigh_netlink_poll(s->p.neigh);

		if (rc > 0)
			work += rc;
	}
	work += shard_tcp_control_poll(s);
	work += shard_capture_control_poll(s);
	work += shard_obs_control_poll(s);
	s->ctl_iter++;
	if (s->retired != NULL && (s->ctl_iter & 1023) == 0)
		shard_reload_reclaim(s, false);
	urcu_qsbr_quiescent_state();
	if (s->ctl_guarded)
		sipdp_dp_guard_quiescent(s->ctl_guard_slot);
	/* For /sipdp/lcores: the telemetry thread reads these relaxed. */
	__atomic_store_n(&s->ctl_polls, s->ctl_polls + 1, __ATOMIC_RELAXED);
	if (work != 0) {
		__atomic_store_n(&s->ctl_busy_polls, s->ctl_busy_polls + 1, __ATOMIC_RELAXED);
		__atomic_store_n(&s->ctl_busy_cycles, s->ctl_busy_cycles + (rte_rdtsc() - t0),
			__ATOMIC_RELAXED);
	}
	return work;
}

uint64_t
sipdp_shard_tsx_live(const struct sipdp_shard *s)
{
	uint64_t n = 0;

	for (uint16_t i = 0; i < s->nb_workers; i++)
		n += __atomic_load_n(&s->w[i]->st.tsx_live, __ATOMIC_RELAXED);
	return n;
}

/* The counters are written by one worker with plain stores and read here
 * with relaxed 64-bit loads: each value is whole, the set is not a
 * snapshot (good enough for monitoring). */
static void
stats_copy(struct sipdp_shard_stats *dst, const struct sipdp_shard_stats *src)
{
	const uint64_t *a = (const uint64_t *)src;
	uint64_t *b = (uint64_t *)dst;

	SIPDP_STATIC_ASSERT(sizeof(*src) % 8 == 0, "stats are 64-bit words");
	for (size_t i = 0; i < sizeof(*src) / 8; i++)
		b[i] = __atomic_load_n(&a[i], __ATOMIC_RELAXED);
}

int
sipdp_shard_stats_get(const struct sipdp_shard *s, uint16_t w, struct sipdp_shard_stats *st)
{
	if (s == NULL || st == NULL || w >= s->nb_workers)
		return -EINVAL;
	stats_copy(st, &s->w[w]->st);
	return 0;
}

void
sipdp_shard_stats_total(const struct sipdp_shard *s, struct sipdp_shard_stats *st)
{
	struct sipdp_shard_stats one;

	memset(st, 0, sizeof(*st));
	for (uint16_t i = 0; i < s->nb_workers; i++) {
		uint64_t *a = (uint64_t *)&one, *b = (uint64_t *)st;

		stats_copy(&one, &s->w[i]->st);
		for (size_t k = 0; k < sizeof(one) / 8; k++)
			b[k] += a[k];
	}
}

static const char *const class_names[SIPDP_SHARD_STATUS_CLASSES] = {
	"bad", "1xx", "2xx", "3xx", "4xx", "5xx", "6xx"
};

static const char *
method_name(unsigned m)
{
	return m == SIPDP_METHOD_OTHER ? "other" : sipdp_method_name((enum sipdp_method)m);
}

/* Calls @p fn for every counter worth showing (method and class counters
 * only when not zero, to keep telemetry replies small). */
static void
stats_walk(const struct sipdp_shard_stats *st, void (*fn)(void *, const char *, uint64_t),
	void *arg)
{
	const uint64_t *c = (const uint64_t *)st;
	char name[48];

	for (unsigned i = 0; i < sipdp_shard_counter_count; i++)
		fn(arg, sipdp_shard_counter_names[i], c[i]);
	/* cycles_per_msg: the shard's own work per SIP message (parse, policy,
	 * transactions, dialog, building and framing the answers);
	 * busy_cycles_per_msg adds RX/TX bursts (system calls with
	 * af_packet), timers, and any time the lcore was preempted. */
	fn(arg, "cycles_per_msg", st->sip_delivered ? st->msg_cycles / st->sip_delivered : 0);
	fn(arg, "busy_cycles_per_msg", st->sip_delivered ? st->busy_cycles / st->sip_delivered : 0);
	fn(arg, "tsc_hz", rte_get_tsc_hz());
	fn(arg, "busy_permille", st->iters ? st->busy_iters * 1000 / st->iters : 0);
	for (unsigned m = 0; m < SIPDP_METHOD__COUNT; m++) {
		if (st->req[m] != 0) {
			snprintf(name, sizeof(name), "rx_%s", method_name(m));
			fn(arg, name, st->req[m]);
		}
		if (st->sent_req[m] != 0) {
			snprintf(name, sizeof(name), "tx_%s", method_name(m));
			fn(arg, name, st->sent_req[m]);
		}
	}
	for (unsigned k = 0; k < SIPDP_SHARD_STATUS_CLASSES; k++) {
		if (st->resp[k] != 0) {
			snprintf(name, sizeof(name), "rx_%s", class_names[k]);
			fn(arg, name, st->resp[k]);
		}
		if (st->sent_resp[k] != 0) {
			snprintf(name, sizeof(name), "tx_%s", class_names[k]);
			fn(arg, name, st->sent_resp[k]);
		}
	}
	fn(arg, "dp_sip", st->dp.sip);
	fn(arg, "dp_exception", st->dp.exception);
	fn(arg, "dp_slow", st->dp.slow);
	fn(arg, "dp_drop_malformed", st->dp.drop_malformed);
	fn(arg, "dp_drop_cksum", st->dp.drop_cksum);
	fn(arg, "dp_drop_udp_cksum", st->dp.drop_udp_cksum);
	fn(arg, "dp_reassembled", st->dp.reassembled);
	fn(arg, "dp_linearized", st->dp.linearized);
	fn(arg, "dp_drop_reasm", st->dp.drop_reasm);
	fn(arg, "dp_drop_oversize", st->dp.drop_oversize);
	fn(arg, "dp_drop_nombuf", st->dp.drop_nombuf);
}

/* The port's link and the unmap guard (not per worker). */
static void
port_walk(const struct sipdp_shard *s, void (*fn)(void *, const char *, uint64_t), void *arg)
{
	struct sipdp_dp_guard_stats g;

	sipdp_dp_guard_stats_get(&g);
	fn(arg, "link_up", __atomic_load_n(&s->link_up, __ATOMIC_RELAXED));
	fn(arg, "link_lsc", s->link.lsc);
	fn(arg, "link_up_events", __atomic_load_n(&s->link.up_events, __ATOMIC_RELAXED));
	fn(arg, "link_down_events", __atomic_load_n(&s->link.down_events, __ATOMIC_RELAXED));
	fn(arg, "link_guard_waits", g.waits);
	fn(arg, "link_guard_timeouts", g.timeouts);
	fn(arg, "link_guard_wait_us_max", g.wait_us_max);
	fn(arg, "link_guard_wait_us_total", g.wait_us_total);
}

struct print_ctx {
	FILE *f;
	const char *prefix;
};

static void
print_one(void *arg, const char *name, uint64_t v)
{
	struct print_ctx *c = arg;

	fprintf(c->f, "%s%s %" PRIu64 "\n", c->prefix, name, v);
}

void
sipdp_shard_stats_print(const struct sipdp_shard *s, FILE *f)
{
	struct sipdp_shard_stats st;
	struct print_ctx c = { f, "total." };
	char prefix[32];

	sipdp_shard_stats_total(s, &st);
	stats_walk(&st, print_one, &c);
	fprintf(f, "reloads_ok %" PRIu64 "\nreloads_failed %" PRIu64 "\n", s->reloads_ok,
		s->reloads_failed);
	c.prefix = "port.";
	port_walk(s, print_one, &c);
	for (uint16_t i = 0; i < s->nb_workers; i++) {
		snprintf(prefix, sizeof(prefix), "worker%u.", i);
		c.prefix = prefix;
		sipdp_shard_stats_get(s, i, &st);
		stats_walk(&st, print_one, &c);
	}
	fflush(f);
}

/* ----------------------------------------------------------- telemetry */

/* DPDK 22.11 telemetry callbacks carry no user pointer: the one shard of
 * the process is recorded here, once, before the first callback can run. */
static struct sipdp_shard *tel_shard;

/* Called by sipdp_shard_destroy(). DPDK 22.11 cannot unregister a
 * command: later calls find no shard and answer -ENODEV. A callback
 * already running when the shard is freed is not waited for: destroy runs
 * at exit, after the workers stopped. */
void
shard_telemetry_forget(const struct sipdp_shard *s)
{
	if (__atomic_load_n(&tel_shard, __ATOMIC_ACQUIRE) == s)
		__atomic_store_n(&tel_shard, NULL, __ATOMIC_RELEASE);
}

static void
tel_add(void *arg, const char *name, uint64_t v)
{
	rte_tel_data_add_dict_u64(arg, name, v);
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sipdp_shard *s = __atomic_load_n(&tel_shard, __ATOMIC_ACQUIRE);
	struct sipdp_shard_stats st;
	char name[32];

	(void)cmd;
	if (s == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	if (params != NULL && params[0] != 0) {
		/* /sipdp/stats,<worker>: that worker only */
		char *end;
		unsigned long w = strtoul(params, &end, 10);

		if (*end != 0 || sipdp_shard_stats_get(s, (uint16_t)w, &st) != 0 ||
		    w >= s->nb_workers)
			return -EINVAL;
		stats_walk(&st, tel_add, d);
		return 0;
	}
	rte_tel_data_add_dict_u64(d, "workers", s->nb_workers);
	rte_tel_data_add_dict_u64(d, "reloads_ok", __atomic_load_n(&s->reloads_ok, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "reloads_failed",
		__atomic_load_n(&s->reloads_failed, __ATOMIC_RELAXED));
	sipdp_shard_stats_total(s, &st);
	struct rte_tel_data *t = rte_tel_data_alloc();
	if (t == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(t);
	stats_walk(&st, tel_add, t);
	rte_tel_data_add_dict_container(d, "total", t, 0);
	for (uint16_t i = 0; i < s->nb_workers; i++) {
		struct rte_tel_data *c = rte_tel_data_alloc();

		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		sipdp_shard_stats_get(s, i, &st);
		stats_walk(&st, tel_add, c);
		snprintf(name, sizeof(name), "worker%u", i);
		rte_tel_data_add_dict_container(d, name, c, 0);
	}
	return 0;
}

static int
tel_port_dict(struct rte_tel_data *d, const char *name, uint16_t port)
{
	struct rte_eth_stats es;
	struct rte_tel_data *c;

	if (rte_eth_stats_get(port, &es) != 0)
		return 0;
	c = rte_tel_data_alloc();
	if (c == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_u64(c, "port_id", port);
	rte_tel_data_add_dict_u64(c, "ipackets", es.ipackets);
	rte_tel_data_add_dict_u64(c, "opackets", es.opackets);
	rte_tel_data_add_dict_u64(c, "ibytes", es.ibytes);
	rte_tel_data_add_dict_u64(c, "obytes", es.obytes);
	rte_tel_data_add_dict_u64(c, "imissed", es.imissed);
	rte_tel_data_add_dict_u64(c, "ierrors", es.ierrors);
	rte_tel_data_add_dict_u64(c, "oerrors", es.oerrors);
	rte_tel_data_add_dict_u64(c, "rx_nombuf", es.rx_nombuf);
	rte_tel_data_add_dict_container(d, name, c, 0);
	return 0;
}

static int
tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sipdp_shard *s = __atomic_load_n(&tel_shard, __ATOMIC_ACQUIRE);

	(void)cmd;
	(void)params;
	if (s == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	if (tel_port_dict(d, "port", s->p.port_id) != 0 || tel_port_dict(d, "tap", s->p.tap_port) != 0)
		return -ENOMEM;
	struct rte_tel_data *l = rte_tel_data_alloc();
	if (l == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(l);
	port_walk(s, tel_add, l);
	rte_tel_data_add_dict_container(d, "link", l, 0);
	return 0;
}

int
sipdp_shard_telemetry_register(struct sipdp_shard *s)
{
	int rc;

	__atomic_store_n(&tel_shard, s, __ATOMIC_RELEASE);
	rc = rte_telemetry_register_cmd("/sipdp/stats", tel_stats,
		"sipdp counters: totals and per worker. Parameters: int worker (optional)");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sipdp/ports", tel_ports,
			"ethdev counters of the SIP port and the exception tap");
	return rc;
}
