/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP over TCP and TLS, control lcore side: lib/ctl owns the sockets
 * (the kernel terminates TCP for sipdp's addresses on the exception tap),
 * this file moves framed messages to their owning worker and the workers'
 * sends back to lib/ctl, and shows the counters in telemetry (/sipdp/ctl).
 * The control lcore may make system calls; it still never blocks.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_telemetry.h>

#include "shard_pvt.h"
#include "sipdp_ctl.h"
#include "sipdp_msg_build.h"

/* Counters of the control lcore's side of the hand-off. */
#define SHARD_TCP_COUNTERS(X) \
	X(to_worker)            /* framed messages handed to a worker */ \
	X(to_worker_drops)      /* worker's TCP ring full: message dropped */ \
	X(to_worker_no_mbuf)    /* mbuf pool empty: message dropped */ \
	X(sent)                 /* worker sends accepted by lib/ctl */ \
	X(send_closed)          /* worker sends on a connection closed meanwhile */ \
	X(send_errors)          /* other lib/ctl send errors (queue full, limits) */ \
	X(closed_notices)       /* connection-closed notices given to workers */ \
	X(closed_notice_drops)  /* ... lost: a worker's TCP ring was full */ \
	X(poll_errors)          /* sipdp_ctl_poll() failed (epoll) */ \
	X(resp_reconnected)     /* responses sent over another connection: theirs had gone (§18.2.2) */ \
	X(req_503)              /* requests whose connection failed before it carried a message back:
	                           answered 503 to their transaction (§8.1.3.1) */ \
	X(req_unwatched)        /* ... not watched: the table of requests on new connections was full */ \
	X(closed_notice_skipped) /* closes not told to workers: connect/handshake failed, no message */

struct shard_tcp_ctr {
#define SHARD_TCP_X_FIELD(n) uint64_t n;
	SHARD_TCP_COUNTERS(SHARD_TCP_X_FIELD)
#undef SHARD_TCP_X_FIELD
};

static const char *const shard_tcp_ctr_names[] = {
#define SHARD_TCP_X_NAME(n) #n,
	SHARD_TCP_COUNTERS(SHARD_TCP_X_NAME)
#undef SHARD_TCP_X_NAME
};

static const char *const ctl_ctr_names[] = {
#define SHARD_CTL_X_NAME(n, doc) #n,
	SIPDP_CTL_COUNTERS(SHARD_CTL_X_NAME)
#undef SHARD_CTL_X_NAME
};

/* Requests sent on a connection that has not yet carried anything back:
 * if it fails (connect refused, TLS handshake or verification failed) no
 * transaction hears of it otherwise, as the worker sent them with no
 * connection id; each gets a 503 (RFC 3261 §8.1.3.1 treats a transport
 * error as 503). Bounded; an entry goes when its connection proves up or
 * after TCP_WATCH_US. */
#define TCP_WATCH_N 256
#define TCP_WATCH_US (10ull * 1000000)
#define TCP_UP_N 64

struct tcp_watch {
	struct rte_mbuf *m;             /* the request (a reference), NULL: free */
	uint32_t conn_id;
	uint8_t transport;              /* enum sipdp_ctl_transport */
	uint64_t until_us;
	struct sipdp_ctl_addr dst;
};

struct shard_tcp {
	struct sipdp_shard *s;
	struct sipdp_ctl *ctl;
	struct sipdp_msg *msg;          /* scratch: owner of a framed message */
	uint64_t iter;
	bool closed_since_snap;         /* a close was counted: publish it this round */
	int nb_listen;
	struct shard_tcp_ctr ctr;       /* control lcore writes */
	/* Copies for telemetry, which runs on its own thread: the control
	 * lcore stores them word by word, relaxed; each value is whole. */
	struct sipdp_ctl_stats snap;
	struct shard_tcp_ctr ctr_snap;
	struct tcp_watch watch[TCP_WATCH_N];
	uint32_t n_watch;
	uint32_t up[TCP_UP_N];          /* connections known up (carried a message to us) */
	uint32_t up_next;
	char synth[2048];               /* a 503 being built */
};

static inline uint64_t
tcp_now_us(const struct sipdp_shard *s)
{
	uint64_t d = rte_rdtsc() - s->tsc0;

	/* The workers' clock (shard_worker.c): 1 s at start. */
	return 1000000 + (d / s->tsc_hz) * 1000000 + (d % s->tsc_hz) * 1000000 / s->tsc_hz;
}

static uint8_t
tcp_local_id(const struct sipdp_shard *s, const struct sipdp_ctl_addr *a)
{
	const struct sipdp_dp_classifier *cls = s->p.cls;

	for (uint16_t i = 0; i < cls->n_local; i++)
		if (cls->local[i].family == a->family &&
		    memcmp(cls->local[i].addr.v6, a->addr, a->family == AF_INET ? 4 : 16) == 0)
			return (uint8_t)i;
	return 0;
}

static void tcp_on_message(void *arg, const struct sipdp_ctl_rx *rx);

static bool
tcp_known_up(const struct shard_tcp *t, uint32_t conn_id)
{
	for (unsigned i = 0; i < TCP_UP_N; i++)
		if (t->up[i] == conn_id)
			return true;
	return false;
}

/* The connection carried a message to us: it works; forget its requests. */
static void
tcp_watch_up(struct shard_tcp *t, uint32_t conn_id)
{
	bool any = false;

	for (unsigned i = 0; i < TCP_WATCH_N && t->n_watch != 0; i++) {
		struct tcp_watch *e = &t->watch[i];

		if (e->m != NULL && e->conn_id == conn_id) {
			rte_pktmbuf_free(e->m);
			e->m = NULL;
			t->n_watch--;
			any = true;
		}
	}
	if (any && !tcp_known_up(t, conn_id)) {
		t->up[t->up_next] = conn_id;
		t->up_next = (t->up_next + 1) % TCP_UP_N;
	}
}

/* Answer the request in @m with 503 as if the peer had, to its worker. */
static const char warn[] = "Warning: 399 sipdp \"transport failed\"\r\n";

static void
tcp_synth_503(struct shard_tcp *t, struct rte_mbuf *m, uint32_t conn_id, uint8_t transport,
	const struct sipdp_ctl_addr *dst)
{
	const char *p = rte_pktmbuf_mtod(m, const char *);
	struct sipdp_ctl_rx rx;
	struct sipdp_build b;
	int len;

	if (sipdp_msg_parse(t->msg, p, rte_pktmbuf_data_len(m), 0) <= 0 || !t->msg->is_request ||
	    t->msg->method == SIPDP_METHOD_ACK)
		return;
	sipdp_build_init(&b, t->synth, sizeof(t->synth));
	sipdp_build_response_start(&b, t->msg, 503, SIPDP_STR("Service Unavailable"),
		SIPDP_STR_NULL);
	sipdp_build_raw(&b, warn, sizeof(warn) - 1);
	sipdp_build_body(&b, SIPDP_STR_NULL, SIPDP_STR_NULL);
	len = sipdp_build_finish(&b);
	if (len <= 0)
		return;
	memset(&rx, 0, sizeof(rx));
	rx.buf = t->synth;
	rx.len = (uint32_t)len;
	rx.conn_id = conn_id;
	rx.transport = transport;
	rx.peer = *dst;
	t->ctr.req_503++;
	tcp_on_message(t, &rx);
}

/* Watch a request sent with sipdp_ctl_send_to() on @conn_id. */
static void
tcp_watch_add(struct shard_tcp *t, struct rte_mbuf *m, uint32_t conn_id, uint8_t transport,
	const struct sipdp_ctl_addr *dst, uint64_t now_us)
{
	struct tcp_watch *e = NULL;

	if (tcp_known_up(t, conn_id))
		return;
	for (unsigned i = 0; i < TCP_WATCH_N; i++) {
		struct tcp_watch *c = &t->watch[i];

		if (c->m != NULL && c->until_us <= now_us) {
			rte_pktmbuf_free(c->m);
			c->m = NULL;
			t->n_watch--;
		}
		if (c->m == NULL && e == NULL)
			e = c;
	}
	if (e == NULL) {
		t->ctr.req_unwatched++;
		return;
	}
	rte_mbuf_refcnt_update(m, 1);
	e->m = m;
	e->conn_id = conn_id;
	e->transport = transport;
	e->until_us = now_us + TCP_WATCH_US;
	e->dst = *dst;
	t->n_watch++;
}

/* lib/ctl hands over one framed message (Via already stamped with
 * received/rport): copy it into an mbuf for its owning worker. */
static void
tcp_on_message(void *arg, const struct sipdp_ctl_rx *rx)
{
	struct shard_tcp *t = arg;
	struct sipdp_shard *s = t->s;
	struct shard_tcp_msg tm;
	struct rte_mempool *mp;
	uint16_t owner = 0;
	char *p;

	/* Unparsable: worker 0's UA answers 400 or drops it. */
	if (s->nb_workers > 1 && sipdp_msg_parse(t->msg, rx->buf, rx->len, 0) > 0)
		owner = sipdp_shard_owner(t->msg, s->nb_workers);
	mp = rx->len + RTE_PKTMBUF_HEADROOM <= (uint32_t)rte_pktmbuf_data_room_size(s->p.tx_pool) ?
		s->p.tx_pool : s->p.big_pool;
	tm.m = rx->len <= UINT16_MAX ? rte_pktmbuf_alloc(mp) : NULL;
	if (tm.m == NULL || (p = rte_pktmbuf_append(tm.m, (uint16_t)rx->len)) == NULL) {
		rte_pktmbuf_free(tm.m);
		t->ctr.to_worker_no_mbuf++;
		return;
	}
	memcpy(p, rx->buf, rx->len);
	if (t->n_watch != 0)
		tcp_watch_up(t, rx->conn_id);
	tm.conn_id = rx->conn_id;
	tm.transport = rx->transport == SIPDP_CTL_TLS ? SIPDP_TSX_TP_TLS : SIPDP_TSX_TP_TCP;
	tm.family = rx->peer.family;
	tm.local_id = tcp_local_id(s, &rx->local);
	tm.why = 0;
	tm.port = rx->peer.port;
	tm.reserved = 0;
	memcpy(tm.addr, rx->peer.addr, sizeof(tm.addr));
	if (rte_ring_sp_enqueue_elem(s->w[owner]->tcp_in, &tm, sizeof(tm)) != 0) {
		rte_pktmbuf_free(tm.m);
		t->ctr.to_worker_drops++;
		return;
	}
	t->ctr.to_worker++;
}

/* Closes a peer causes by what it sends: counted by lib/ctl always,
 * logged through the control lcore's bucket. */
static void
shard_ctl_log_close(struct sipdp_shard *s, uint32_t conn_id, enum sipdp_ctl_close_reason why)
{
	uint64_t d = rte_rdtsc() - s->tsc0;

	if (why != SIPDP_CTL_CLOSE_FRAMING && why != SIPDP_CTL_CLOSE_OVERSIZE &&
	    why != SIPDP_CTL_CLOSE_DEADLINE && why != SIPDP_CTL_CLOSE_NOT_TLS &&
	    why != SIPDP_CTL_CLOSE_HS_FAILED)
		return;
	(void)sipdp_log_rl(&s->rl_ctl, SIPDP_LOG_CTL, RTE_LOG_NOTICE,
		1000000 + d / s->tsc_hz * 1000000 + d % s->tsc_hz * 1000000 / s->tsc_hz,
		"connection %u closed: %s\n", conn_id, sipdp_ctl_close_reason_str(why));
}

/* Every worker may hold transactions on the connection: tell them all. */
static void
tcp_on_closed(void *arg, uint32_t conn_id, enum sipdp_ctl_close_reason why)
{
	struct shard_tcp *t = arg;
	struct sipdp_shard *s = t->s;
	struct shard_tcp_msg tm;

	shard_ctl_log_close(s, conn_id, why);
	t->closed_since_snap = true;
	for (unsigned i = 0; i < TCP_WATCH_N && t->n_watch != 0; i++) {
		struct tcp_watch *e = &t->watch[i];
		struct rte_mbuf *m = e->m;

		if (m == NULL || e->conn_id != conn_id)
			continue;
		e->m = NULL;
		t->n_watch--;
		tcp_synth_503(t, m, conn_id, e->transport, &e->dst);
		rte_pktmbuf_free(m);
	}
	/* A connection that failed before its handshake was done never
	 * carried a message to a worker, so no transaction names it; a notice
	 * would only take the slot of an older connection in the workers'
	 * dead table (ctl reuses slots, and the id's low bits with them). */
	if (why == SIPDP_CTL_CLOSE_CONNECT_FAILED || why == SIPDP_CTL_CLOSE_HS_FAILED ||
	    why == SIPDP_CTL_CLOSE_HS_TIMEOUT || why == SIPDP_CTL_CLOSE_NOT_TLS) {
		t->ctr.closed_notice_skipped++;
		return;
	}
	memset(&tm, 0, sizeof(tm));
	tm.conn_id = conn_id;
	tm.why = (uint8_t)why;
	for (uint16_t i = 0; i < s->nb_workers; i++) {
		if (rte_ring_sp_enqueue_elem(s->w[i]->tcp_in, &tm, sizeof(tm)) != 0)
			t->ctr.closed_notice_drops++;
		else
			t->ctr.closed_notices++;
	}
}

static void
tcp_send_one(struct shard_tcp *t, const struct shard_tcp_msg *tm)
{
	const char *p = rte_pktmbuf_mtod(tm->m, const char *);
	uint32_t len = rte_pktmbuf_data_len(tm->m);
	int rc;

	if (len >= 8 && memcmp(p, "SIP/2.0 ", 8) == 0) {
		/* A response: its request's connection, or when that has gone
		 * a connection to the top Via's received/sent-by (§18.2.2). */
		uint32_t used = 0;

		rc = sipdp_ctl_send_response(t->ctl, t->msg, tm->conn_id, p, len, &used);
		if (rc == 0 && used != tm->conn_id)
			t->ctr.resp_reconnected++;
	} else if (tm->conn_id != 0) {
		rc = sipdp_ctl_send(t->ctl, tm->conn_id, p, len);
	} else {
		/* A destination without a connection (a request we start):
		 * reuse one open to that peer or open one (§18.1.1). */
		struct sipdp_ctl_addr dst = { .family = tm->family, .port = tm->port };
		uint8_t tp = tm->transport == SIPDP_TSX_TP_TLS ? SIPDP_CTL_TLS : SIPDP_CTL_TCP;
		uint32_t id = 0;

		memcpy(dst.addr, tm->addr, sizeof(dst.addr));
		/* NULL SNI: tls.sni of the config, else the peer's address is
		 * what the certificate must name (tls.verify_outbound). */
		rc = sipdp_ctl_send_to(t->ctl, (enum sipdp_ctl_transport)tp, &dst, NULL, p, len, &id);
		if (rc == 0)
			tcp_watch_add(t, tm->m, id, tp, &dst, tcp_now_us(t->s));
		else
			tcp_synth_503(t, tm->m, 0, tp, &dst);
	}
	if (rc == 0)
		t->ctr.sent++;
	else if (rc == -ENOTCONN)
		t->ctr.send_closed++;
	else
		t->ctr.send_errors++;
}

bool
shard_tcp_ctl_stats(const struct sipdp_shard *s, struct sipdp_ctl_stats *st)
{
	if (s->tcp == NULL)
		return false;
	sipdp_ctl_stats(s->tcp->ctl, st);
	return true;
}

static void
tcp_snapshot(struct shard_tcp *t)
{
	struct sipdp_ctl_stats st;
	const uint64_t *a = (const uint64_t *)&st, *c = (const uint64_t *)&t->ctr;
	uint64_t *b = (uint64_t *)&t->snap, *d = (uint64_t *)&t->ctr_snap;

	SIPDP_STATIC_ASSERT(sizeof(st) % 8 == 0, "ctl stats are 64-bit words");
	sipdp_ctl_stats(t->ctl, &st);
	for (size_t i = 0; i < sizeof(st) / 8; i++)
		__atomic_store_n(&b[i], a[i], __ATOMIC_RELAXED);
	for (size_t i = 0; i < sizeof(t->ctr) / 8; i++)
		__atomic_store_n(&d[i], c[i], __ATOMIC_RELAXED);
}

int
shard_tcp_control_poll(struct sipdp_shard *s)
{
	struct shard_tcp *t = s->tcp;
	int work;

	if (t == NULL)
		return 0;
	work = sipdp_ctl_poll(t->ctl, tcp_now_us(s));
	if (work < 0) {
		t->ctr.poll_errors++;
		work = 0;
	}
	for (uint16_t i = 0; i < s->nb_workers; i++) {
		struct shard_tcp_msg tm[SHARD_BURST];
		unsigned n = rte_ring_sc_dequeue_burst_elem(s->w[i]->tcp_out, tm, sizeof(tm[0]),
			SHARD_BURST, NULL);

		for (unsigned k = 0; k < n; k++) {
			tcp_send_one(t, &tm[k]);
			rte_pktmbuf_free(tm[k].m);
		}
		work += (int)n;
	}
	/* A close at a deadline or the idle timeout is no "work" of this
	 * round, but whoever saw the connection go may read the counter next:
	 * publish it now, not up to 256 rounds later. */
	if (work != 0 || (t->iter & 255) == 0 || t->closed_since_snap) {
		t->closed_since_snap = false;
		tcp_snapshot(t);
	}
	t->iter++;
	return work;
}

/* ----------------------------------------------------------- telemetry */

/* DPDK 22.11 telemetry callbacks carry no user pointer (shard_ctl.c). */
static struct shard_tcp *tel_tcp;

static int
tel_ctl(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct shard_tcp *t = __atomic_load_n(&tel_tcp, __ATOMIC_ACQUIRE);
	char name[48];

	(void)cmd;
	(void)params;
	if (t == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	const uint64_t *a = (const uint64_t *)&t->snap;

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(ctl_ctr_names); i++)
		rte_tel_data_add_dict_u64(d, ctl_ctr_names[i], __atomic_load_n(&a[i],
			__ATOMIC_RELAXED));
	for (int r = 0; r < SIPDP_CTL_CLOSE__COUNT; r++) {
		snprintf(name, sizeof(name), "closed_%s", sipdp_ctl_close_reason_str(r));
		rte_tel_data_add_dict_u64(d, name, __atomic_load_n(&t->snap.closed[r],
			__ATOMIC_RELAXED));
	}
	a = (const uint64_t *)&t->ctr_snap;
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(shard_tcp_ctr_names); i++)
		rte_tel_data_add_dict_u64(d, shard_tcp_ctr_names[i], __atomic_load_n(&a[i],
			__ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "listeners", (uint64_t)t->nb_listen);
	return 0;
}

/* ------------------------------------------------------------ lifetime */

void
shard_tcp_destroy(struct sipdp_shard *s)
{
	struct shard_tcp *t = s->tcp;

	if (__atomic_load_n(&tel_tcp, __ATOMIC_ACQUIRE) == t)
		__atomic_store_n(&tel_tcp, NULL, __ATOMIC_RELEASE);
	for (uint16_t i = 0; i < SIPDP_SHARD_MAX_WORKERS; i++) {
		struct shard_worker *w = s->w[i];
		struct rte_ring *r[2];
		struct shard_tcp_msg tm;

		if (w == NULL)
			continue;
		r[0] = w->tcp_in;
		r[1] = w->tcp_out;
		for (int k = 0; k < 2; k++) {
			if (r[k] == NULL)
				continue;
			while (rte_ring_sc_dequeue_elem(r[k], &tm, sizeof(tm)) == 0)
				rte_pktmbuf_free(tm.m);
			rte_ring_free(r[k]);
		}
		rte_free(w->tcp_dead);
		w->tcp_in = NULL;
		w->tcp_out = NULL;
		w->tcp_dead = NULL;
	}
	if (t == NULL)
		return;
	sipdp_ctl_destroy(t->ctl);
	for (unsigned i = 0; i < TCP_WATCH_N; i++)
		rte_pktmbuf_free(t->watch[i].m);
	free(t->msg);
	free(t);
	s->tcp = NULL;
}

static int
tcp_rings(struct sipdp_shard *s)
{
	for (uint16_t i = 0; i < s->nb_workers; i++) {
		struct shard_worker *w = s->w[i];
		int socket = (int)rte_lcore_to_socket_id(w->lcore);
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "sipdp_ti%u", i);
		w->tcp_in = rte_ring_create_elem(name, sizeof(struct shard_tcp_msg),
			SHARD_TCP_RING_SZ, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "sipdp_to%u", i);
		w->tcp_out = rte_ring_create_elem(name, sizeof(struct shard_tcp_msg),
			SHARD_TCP_RING_SZ, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		w->tcp_dead = rte_zmalloc_socket("sipdp_tcp_dead",
			SHARD_TCP_DEAD_SZ * sizeof(w->tcp_dead[0]), RTE_CACHE_LINE_SIZE, socket);
		if (w->tcp_in == NULL || w->tcp_out == NULL || w->tcp_dead == NULL)
			return -ENOMEM;
	}
	return 0;
}

int
sipdp_shard_tcp_start(struct sipdp_shard *s)
{
	const struct sipdp_cfg *cfg = s->cfg;
	struct sipdp_ctl_params p;
	struct shard_tcp *t;
	int rc;

	if (s->tcp != NULL)
		return -EALREADY;
	if (s->launched)
		return -EBUSY;
	if (cfg->sip.tcp_port == 0 && (cfg->sip.tls_port == 0 || cfg->tls.cert[0] == 0))
		return 0;
	SIPDP_STATIC_ASSERT(sizeof(struct shard_tcp_msg) % 4 == 0, "rte_ring element size");
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->s = s;
	s->tcp = t;
	t->msg = malloc(sizeof(*t->msg));
	if (t->msg == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	memset(&p, 0, sizeof(p));
	rc = sipdp_ctl_params_from_cfg(cfg, &p);
	if (rc != 0)
		goto fail;
	p.on_message = tcp_on_message;
	p.on_closed = tcp_on_closed;
	p.arg = t;
	rc = sipdp_ctl_create(&p, tcp_now_us(s), &t->ctl);
	if (rc != 0) {
		SHARD_LOG(ERR, "SIP over TCP/TLS: %s%s\n", strerror(-rc), rc == -EPROTO ?
			" (TLS certificate, key, CA file or cipher list refused)" : "");
		goto fail;
	}
	rc = tcp_rings(s);
	if (rc != 0)
		goto fail;
	rc = sipdp_ctl_listen_cfg(t->ctl, cfg);
	if (rc < 0) {
		SHARD_LOG(ERR, "SIP over TCP/TLS: listen: %s\n", strerror(-rc));
		goto fail;
	}
	t->nb_listen = rc;
	tcp_snapshot(t);
	__atomic_store_n(&tel_tcp, t, __ATOMIC_RELEASE);
	if (rte_telemetry_register_cmd("/sipdp/ctl", tel_ctl,
		"SIP over TCP/TLS: lib/ctl counters (connections, TLS, bytes, framing, closes) "
		"and the control lcore's hand-off to the workers") != 0)
		SHARD_LOG(WARNING, "telemetry /sipdp/ctl not registered\n");
	SHARD_LOG(INFO, "SIP over TCP/TLS: %d listener(s), TCP port %u, TLS port %u%s\n", rc,
		cfg->sip.tcp_port, cfg->sip.tls_port, cfg->tls.cert[0] ? "" : " (off: no tls.cert)");
	return rc;
fail:
	shard_tcp_destroy(s);
	return rc;
}

void
sipdp_shard_tcp_print(const struct sipdp_shard *s, FILE *f)
{
	const struct shard_tcp *t = s->tcp;
	const uint64_t *c;

	if (t == NULL)
		return;
	(void)sipdp_ctl_dump(t->ctl, f);
	c = (const uint64_t *)&t->ctr;
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(shard_tcp_ctr_names); i++)
		fprintf(f, "tcp.%s %" PRIu64 "\n", shard_tcp_ctr_names[i], c[i]);
	fflush(f);
}
