/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Observability, control lcore: GET /metrics (lib/ctl's HTTP server, the
 * text rendered here from the workers' counters read with relaxed loads)
 * and HEPv3 (copies drained from the workers' rings, encoded and sent to
 * the collector). Cold relative to the workers: system calls, per-scrape
 * allocation.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "shard_pvt.h"
#include "sipdp_ctl.h"
#include "sipdp_ctl_obs.h"

#define OBS_HTTP_EVERY_US 1000 /* an idle exporter is polled once a ms */

struct shard_obs {
	struct sipdp_shard *s;
	struct sipdp_ctl_http *http;
	uint64_t http_next_us;
	int hep_fd;                  /* -1: no HEP */
	uint32_t capture_id;
	uint64_t wall0_us, tsc0;     /* wall clock at tsc0: HEP timestamps */
	uint64_t hep_sent, hep_send_errors, hep_encode_errors;
	uint8_t pkt[SHARD_HEP_ROOM + SIPDP_CTL_HEP_OVERHEAD];
};

static uint64_t
obs_now_us(const struct sipdp_shard *s)
{
	uint64_t d = rte_rdtsc() - s->tsc0;

	return (d / s->tsc_hz) * 1000000 + (d % s->tsc_hz) * 1000000 / s->tsc_hz;
}

/* ------------------------------------------------------------ /metrics */

/* Per-worker values that go up and down; every other counter only grows.
 * By offset, so renaming one breaks the build rather than its type. */
static const size_t gauge_off[] = {
	offsetof(struct sipdp_shard_stats, tsx_live),
	offsetof(struct sipdp_shard_stats, tsx_conn_live),
	offsetof(struct sipdp_shard_stats, dialogs_live),
	offsetof(struct sipdp_shard_stats, gen_live),
	offsetof(struct sipdp_shard_stats, bridges_live),
	offsetof(struct sipdp_shard_stats, bridge_targets_down_now),
	offsetof(struct sipdp_shard_stats, bridge_pins),
};

static bool
is_gauge(unsigned i)
{
	for (size_t k = 0; k < SIPDP_ARRAY_SIZE(gauge_off); k++)
		if (gauge_off[k] == i * sizeof(uint64_t))
			return true;
	return false;
}

static const char *const class_label[SIPDP_SHARD_STATUS_CLASSES] = {
	"bad", "1xx", "2xx", "3xx", "4xx", "5xx", "6xx"
};

static void
render_sip(struct sipdp_ctl_prom *pr, const struct sipdp_shard_stats *st, uint16_t nw)
{
	static const struct { const char *name, *help; size_t off; bool method; } fam[] = {
		{ "sipdp_sip_requests_received_total", "SIP requests received, by method",
		  offsetof(struct sipdp_shard_stats, req), true },
		{ "sipdp_sip_requests_sent_total", "SIP requests sent, by method",
		  offsetof(struct sipdp_shard_stats, sent_req), true },
		{ "sipdp_sip_responses_received_total", "SIP responses received, by class",
		  offsetof(struct sipdp_shard_stats, resp), false },
		{ "sipdp_sip_responses_sent_total", "SIP responses sent, by class",
		  offsetof(struct sipdp_shard_stats, sent_resp), false },
	};
	char lab[64];

	for (size_t f = 0; f < SIPDP_ARRAY_SIZE(fam); f++) {
		unsigned n = fam[f].method ? SIPDP_METHOD__COUNT : SIPDP_SHARD_STATUS_CLASSES;

		sipdp_ctl_prom_family(pr, fam[f].name, "counter", fam[f].help);
		for (uint16_t w = 0; w < nw; w++) {
			const uint64_t *v = (const uint64_t *)((const char *)&st[w] + fam[f].off);

			for (unsigned k = 0; k < n; k++) {
				const char *l = !fam[f].method ? class_label[k] :
					k == SIPDP_METHOD_OTHER ? "other" :
					sipdp_method_name((enum sipdp_method)k);

				snprintf(lab, sizeof(lab), "worker=\"%u\",%s=\"%s\"", w,
					fam[f].method ? "method" : "class", l);
				sipdp_ctl_prom_u64(pr, fam[f].name, lab, v[k]);
			}
		}
	}
}

static void
render_dp(struct sipdp_ctl_prom *pr, const struct sipdp_shard_stats *st, uint16_t nw)
{
#define DP_F(f, h) { "sipdp_dp_" #f "_total", h, offsetof(struct sipdp_dp_rx_stats, f) }
	static const struct { const char *name, *help; size_t off; } fam[] = {
		DP_F(sip, "datagrams classified as SIP"),
		DP_F(exception, "frames classified for the kernel"),
		DP_F(slow, "fragments and chained datagrams"),
		DP_F(drop_malformed, "frames dropped: malformed"),
		DP_F(drop_cksum, "frames dropped: bad IP checksum"),
		DP_F(drop_udp_cksum, "SIP datagrams dropped: bad UDP checksum"),
		DP_F(reassembled, "datagrams reassembled"),
		DP_F(linearized, "chained datagrams made contiguous"),
		DP_F(drop_reasm, "fragments dropped by reassembly"),
		DP_F(drop_oversize, "datagrams dropped: over the size limit"),
		DP_F(drop_nombuf, "datagrams dropped: no mbuf"),
	};
#undef DP_F
	char lab[32];

	for (size_t f = 0; f < SIPDP_ARRAY_SIZE(fam); f++) {
		sipdp_ctl_prom_family(pr, fam[f].name, "counter", fam[f].help);
		for (uint16_t w = 0; w < nw; w++) {
			snprintf(lab, sizeof(lab), "worker=\"%u\"", w);
			sipdp_ctl_prom_u64(pr, fam[f].name, lab,
				*(const uint64_t *)((const char *)&st[w].dp + fam[f].off));
		}
	}
}

static void
render_setup(struct sipdp_ctl_prom *pr, const struct sipdp_shard_stats *st, uint16_t nw)
{
	uint64_t b[SIPDP_SHARD_SETUP_BOUNDS + 1] = { 0 }, sum = 0;
	double bounds[SIPDP_SHARD_SETUP_BOUNDS];

	for (unsigned i = 0; i < SIPDP_SHARD_SETUP_BOUNDS; i++)
		bounds[i] = sipdp_shard_setup_bounds_ms[i] / 1000.0;
	for (uint16_t w = 0; w < nw; w++) {
		for (unsigned i = 0; i <= SIPDP_SHARD_SETUP_BOUNDS; i++)
			b[i] += st[w].setup_b[i];
		sum += st[w].setup_sum_ms;
	}
	sipdp_ctl_prom_family(pr, "sipdp_call_setup_seconds", "histogram",
		"INVITE received to 2xx sent, calls answered by an answer rule (ms resolution)");
	sipdp_ctl_prom_hist(pr, "sipdp_call_setup_seconds", NULL, bounds, b,
		SIPDP_SHARD_SETUP_BOUNDS, (double)sum / 1000.0);
}

static void
one(struct sipdp_ctl_prom *pr, const char *name, const char *type, const char *help, uint64_t v)
{
	sipdp_ctl_prom_family(pr, name, type, help);
	sipdp_ctl_prom_u64(pr, name, NULL, v);
}

static void
render_control(struct sipdp_ctl_prom *pr, const struct shard_obs *o)
{
	const struct sipdp_shard *s = o->s;
	struct sipdp_ctl_stats cs;
	char name[96];

	one(pr, "sipdp_reloads_ok_total", "counter", "configuration reloads applied",
		__atomic_load_n(&s->reloads_ok, __ATOMIC_RELAXED));
	one(pr, "sipdp_reloads_failed_total", "counter", "configuration reloads refused",
		__atomic_load_n(&s->reloads_failed, __ATOMIC_RELAXED));
	if (shard_tcp_ctl_stats(s, &cs)) {
#define CTL_X(n, h) \
		snprintf(name, sizeof(name), strcmp(#n, "conns_open") == 0 ? "sipdp_ctl_%s" : \
			"sipdp_ctl_%s_total", #n); \
		one(pr, name, strcmp(#n, "conns_open") == 0 ? "gauge" : "counter", h, cs.n);
		SIPDP_CTL_COUNTERS(CTL_X)
#undef CTL_X
		sipdp_ctl_prom_family(pr, "sipdp_ctl_closed_total", "counter",
			"TCP/TLS connections closed, by reason");
		for (unsigned r = 0; r < SIPDP_CTL_CLOSE__COUNT; r++) {
			snprintf(name, sizeof(name), "reason=\"%s\"",
				sipdp_ctl_close_reason_str((enum sipdp_ctl_close_reason)r));
			sipdp_ctl_prom_u64(pr, "sipdp_ctl_closed_total", name, cs.closed[r]);
		}
	}
	if (o->http != NULL) {
		struct sipdp_ctl_http_stats hs;
		const uint64_t *v = (const uint64_t *)&hs;

		sipdp_ctl_http_stats_get(o->http, &hs);
		for (unsigned i = 0; i < sipdp_ctl_http_counter_count; i++) {
			snprintf(name, sizeof(name), "sipdp_%s_total", sipdp_ctl_http_counter_names[i]);
			one(pr, name, "counter", sipdp_ctl_http_counter_help[i], v[i]);
		}
		one(pr, "sipdp_http_open", "gauge", "/metrics connections open now", hs.open);
	}
	if (o->hep_fd >= 0) {
		one(pr, "sipdp_hep_sent_total", "counter", "HEP packets sent to the collector",
			o->hep_sent);
		one(pr, "sipdp_hep_send_errors_total", "counter",
			"HEP packets the socket refused (collector unreachable, buffer full)",
			o->hep_send_errors);
	}
}

static void
render(void *arg, struct sipdp_ctl_prom *pr)
{
	struct shard_obs *o = arg;
	struct sipdp_shard *s = o->s;
	uint16_t nw = s->nb_workers;
	struct sipdp_shard_stats *st = calloc(nw ? nw : 1, sizeof(*st));
	char name[96], lab[32];

	if (st == NULL) {
		pr->err = -ENOMEM;
		return;
	}
	for (uint16_t w = 0; w < nw; w++)
		(void)sipdp_shard_stats_get(s, w, &st[w]);
	one(pr, "sipdp_workers", "gauge", "worker lcores", nw);
	for (unsigned i = 0; i < sipdp_shard_counter_count; i++) {
		bool g = is_gauge(i);

		snprintf(name, sizeof(name), g ? "sipdp_%s" : "sipdp_%s_total",
			sipdp_shard_counter_names[i]);
		sipdp_ctl_prom_family(pr, name, g ? "gauge" : "counter", sipdp_shard_counter_help[i]);
		for (uint16_t w = 0; w < nw; w++) {
			snprintf(lab, sizeof(lab), "worker=\"%u\"", w);
			sipdp_ctl_prom_u64(pr, name, lab, ((const uint64_t *)&st[w])[i]);
		}
	}
	render_sip(pr, st, nw);
	render_dp(pr, st, nw);
	render_setup(pr, st, nw);
	render_control(pr, o);
	free(st);
}

/* ---------------------------------------------------------------- HEP */

static void
hep_anchor(struct shard_obs *o)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	o->tsc0 = rte_rdtsc();
	o->wall0_us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* A connected UDP socket reports an earlier ICMP error (collector not
 * listening yet) on the next send, which then sends nothing: try once more. */
static bool
hep_send(int fd, const void *p, size_t len)
{
	ssize_t n = send(fd, p, len, MSG_DONTWAIT);

	if (n < 0 && errno == ECONNREFUSED)
		n = send(fd, p, len, MSG_DONTWAIT);
	return n == (ssize_t)len;
}

static int
hep_drain(struct shard_obs *o)
{
	struct sipdp_shard *s = o->s;
	struct rte_mbuf *m[SHARD_BURST];
	int work = 0;

	for (uint16_t i = 0; i < s->nb_workers; i++) {
		unsigned n = rte_ring_sc_dequeue_burst(s->w[i]->hep_ring, (void **)m, SHARD_BURST,
			NULL);

		for (unsigned k = 0; k < n; k++) {
			const struct shard_hep_rec *r = rte_pktmbuf_mtod(m[k], const struct shard_hep_rec *);
			/* signed: a copy may predate the last re-anchoring */
			int64_t d = (int64_t)(r->tsc - o->tsc0);
			uint64_t t = o->wall0_us +
				(uint64_t)(int64_t)((__int128)d * 1000000 / (__int128)s->tsc_hz);
			struct sipdp_ctl_hep_msg h = {
				.family = r->family,
				.ip_proto = r->transport == SIPDP_TSX_TP_UDP ? IPPROTO_UDP : IPPROTO_TCP,
				.ts_sec = (uint32_t)(t / 1000000), .ts_usec = (uint32_t)(t % 1000000),
				.capture_id = o->capture_id, .payload = r + 1, .len = r->len,
			};
			int len;

			memcpy(r->out ? h.src : h.dst, r->local, 16);
			memcpy(r->out ? h.dst : h.src, r->peer, 16);
			h.sport = r->out ? r->local_port : r->peer_port;
			h.dport = r->out ? r->peer_port : r->local_port;
			len = sipdp_ctl_hep_encode(&h, o->pkt, sizeof(o->pkt));
			if (len < 0)
				o->hep_encode_errors++;
			else if (hep_send(o->hep_fd, o->pkt, (size_t)len))
				o->hep_sent++;
			else
				o->hep_send_errors++;
		}
		if (n != 0)
			rte_pktmbuf_free_bulk(m, n);
		work += (int)n;
	}
	return work;
}

int
shard_obs_control_poll(struct sipdp_shard *s)
{
	struct shard_obs *o = s->obs;
	int work = 0;

	if (o == NULL)
		return 0;
	if (o->hep_fd >= 0) {
		/* Re-anchor the wall clock to the TSC every second: the TSC
		 * rate is known to a few hundred ppm, which would drift the
		 * HEP timestamps by seconds a day. */
		if (rte_rdtsc() - o->tsc0 > s->tsc_hz)
			hep_anchor(o);
		work += hep_drain(o);
	}
	if (o->http != NULL) {
		uint64_t now = obs_now_us(s);

		if (now >= o->http_next_us) {
			int n = sipdp_ctl_http_poll(o->http, now);

			/* while a scrape is in progress, every iteration */
			o->http_next_us = n > 0 ? now : now + OBS_HTTP_EVERY_US;
			work += n;
		}
	}
	return work;
}

/* ---------------------------------------------------------------- start */

static void
cfg_addr(const struct sipdp_cfg_ip *ip, uint16_t port, struct sipdp_ctl_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = ip->family == SIPDP_CFG_IPV6 ? AF_INET6 : AF_INET;
	a->port = port;
	memcpy(a->addr, ip->addr, ip->family == SIPDP_CFG_IPV6 ? 16 : 4);
}

static int
hep_socket(const struct sipdp_cfg_hep *h)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int fd, rc;

	if (h->collector.family == SIPDP_CFG_IPV6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(h->port);
		memcpy(&a->sin6_addr, h->collector.addr, 16);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(h->port);
		memcpy(&a->sin_addr, h->collector.addr, 4);
		sl = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* connect: the kernel picks the source address (one of ours, on the
	 * tap) once, and send() needs no address per packet. */
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int
sipdp_shard_obs_start(struct sipdp_shard *s)
{
	const struct sipdp_cfg *cfg = s->cfg;
	struct shard_obs *o;
	int rc;

	if (s->obs != NULL)
		return -EALREADY;
	if (cfg->metrics.port == 0 && cfg->hep.collector.family == 0)
		return 0;
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return -ENOMEM;
	o->s = s;
	o->hep_fd = -1;
	s->obs = o;
	if (cfg->metrics.port != 0) {
		struct sipdp_ctl_http_params hp = { .max_clients = cfg->metrics.max_clients,
			.timeout_ms = cfg->metrics.timeout_ms, .render = render, .arg = o };
		struct sipdp_ctl_addr a;

		rc = sipdp_ctl_http_create(&hp, &o->http);
		if (rc != 0)
			return rc;
		cfg_addr(&cfg->metrics.address, cfg->metrics.port, &a);
		rc = sipdp_ctl_http_listen(o->http, &a);
		if (rc != 0)
			return rc;
		sipdp_log(SIPDP_LOG_SHARD, RTE_LOG_NOTICE, "metrics: serving /metrics on port %u\n",
			cfg->metrics.port);
	}
	if (cfg->hep.collector.family != 0) {
		uint32_t per = cfg->hep.rate / s->nb_workers;

		rc = hep_socket(&cfg->hep);
		if (rc < 0)
			return rc;
		o->hep_fd = rc;
		o->capture_id = cfg->hep.capture_id;
		hep_anchor(o);
		s->hep_pool = rte_pktmbuf_pool_create("sipdp_hep", SHARD_HEP_POOL_N, 256, 0,
			RTE_PKTMBUF_HEADROOM + SHARD_HEP_ROOM, (int)rte_socket_id());
		if (s->hep_pool == NULL)
			return -ENOMEM;
		if (per == 0)
			per = 1;
		for (uint16_t i = 0; i < s->nb_workers; i++) {
			struct shard_worker *w = s->w[i];
			char name[RTE_RING_NAMESIZE];

			snprintf(name, sizeof(name), "sipdp_hep%u", i);
			sipdp_ratelim_init(&w->hep_rl, per, per / 10 ? per / 10 : 1, 1000000);
			w->hep_ring = rte_ring_create(name, SHARD_HEP_RING_SZ,
				(int)rte_lcore_to_socket_id(w->lcore), RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (w->hep_ring == NULL)
				return -ENOMEM;
		}
		sipdp_log(SIPDP_LOG_SHARD, RTE_LOG_NOTICE,
			"hep: copies to port %u, %u per second per worker\n", cfg->hep.port, per);
	}
	return 0;
}

void
sipdp_shard_obs_print(const struct sipdp_shard *s, FILE *f)
{
	const struct shard_obs *o = s->obs;

	if (o == NULL)
		return;
	if (o->hep_fd >= 0)
		fprintf(f, "hep_sent %" PRIu64 "\nhep_send_errors %" PRIu64 "\n"
			"hep_encode_errors %" PRIu64 "\n", o->hep_sent, o->hep_send_errors,
			o->hep_encode_errors);
	if (o->http != NULL) {
		struct sipdp_ctl_http_stats hs;
		const uint64_t *v = (const uint64_t *)&hs;

		sipdp_ctl_http_stats_get(o->http, &hs);
		for (unsigned i = 0; i < sipdp_ctl_http_counter_count; i++)
			fprintf(f, "%s %" PRIu64 "\n", sipdp_ctl_http_counter_names[i], v[i]);
	}
	fflush(f);
}

void
shard_obs_destroy(struct sipdp_shard *s)
{
	struct shard_obs *o = s->obs;

	for (uint16_t i = 0; i < SIPDP_SHARD_MAX_WORKERS; i++) {
		struct shard_worker *w = s->w[i];
		void *m;

		if (w == NULL || w->hep_ring == NULL)
			continue;
		while (rte_ring_sc_dequeue(w->hep_ring, &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(w->hep_ring);
		w->hep_ring = NULL;
	}
	rte_mempool_free(s->hep_pool);
	s->hep_pool = NULL;
	if (o == NULL)
		return;
	sipdp_ctl_http_destroy(o->http);
	if (o->hep_fd >= 0)
		close(o->hep_fd);
	free(o);
	s->obs = NULL;
}
