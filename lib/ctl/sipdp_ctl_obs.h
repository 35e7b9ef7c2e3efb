/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_CTL_OBS_H
#define SIPDP_CTL_OBS_H

/**
 * @file
 * Observability on the control lcore: the HEPv3 encoder (Homer's capture
 * protocol), a Prometheus text-format writer, and the /metrics HTTP server.
 *
 * None of it reads a clock or starts a thread: the HTTP server is polled
 * with the caller's @p now_us like sipdp_ctl_poll(), on non-blocking
 * sockets, so a slow or hostile client costs the control lcore at most one
 * recv()/send() per poll and holds one of a few slots for a bounded time.
 *
 * Threading: each object belongs to one thread (the control lcore); the
 * encoder and the writer are pure functions of their arguments.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipdp_ctl.h"

/* ------------------------------------------------------------------ HEPv3 */

/** HEP protocol type (chunk 11) of SIP. */
#define SIPDP_CTL_HEP_PROTO_SIP 1
/** Bytes of a HEPv3 packet around its payload: header 6, IPv6 chunks. */
#define SIPDP_CTL_HEP_OVERHEAD 128

/** One captured message, as sipdp_ctl_hep_encode() needs it. */
struct sipdp_ctl_hep_msg {
	uint8_t family;          /**< AF_INET or AF_INET6 */
	uint8_t ip_proto;        /**< 17 (UDP) or 6 (TCP, TLS after decryption) */
	uint8_t src[16], dst[16]; /**< network order; IPv4 in [0..3] */
	uint16_t sport, dport;   /**< host order */
	uint32_t ts_sec, ts_usec; /**< wall-clock time the message was seen */
	uint32_t capture_id;     /**< chunk 12 */
	const void *payload;     /**< the SIP message (chunk 15) */
	uint32_t len;
};

/**
 * Encode one HEPv3 packet ("HEP3", total length, then chunks of vendor 0:
 * 1 IP family, 2 IP protocol, 3/4 IPv4 or 5/6 IPv6 source/destination,
 * 7/8 ports, 9/10 timestamp seconds/microseconds, 11 protocol type (SIP),
 * 12 capture agent id, 15 payload), all big-endian.
 * @return bytes written; -ENOSPC when @p cap is too small (nothing
 *         usable written); -EINVAL (family, or a packet over 65535 bytes).
 */
int sipdp_ctl_hep_encode(const struct sipdp_ctl_hep_msg *m, uint8_t *out, size_t cap);

/* ---------------------------------------------------- Prometheus text */

/**
 * A growing text buffer for the Prometheus text exposition format 0.0.4
 * (what Prometheus, VictoriaMetrics and OpenMetrics parsers accept).
 * Allocation failure is sticky: @c err is set and later writes do nothing.
 */
struct sipdp_ctl_prom {
	char *p;
	size_t len, cap;
	int err;                 /**< 0 or -ENOMEM */
};

/** Start empty (no allocation yet). */
void sipdp_ctl_prom_init(struct sipdp_ctl_prom *pr);
/** Forget the text, keep the memory. */
void sipdp_ctl_prom_reset(struct sipdp_ctl_prom *pr);
void sipdp_ctl_prom_free(struct sipdp_ctl_prom *pr);

/** "# HELP name help" and "# TYPE name type" (counter, gauge, histogram).
 *  Once per metric family, before its samples. */
void sipdp_ctl_prom_family(struct sipdp_ctl_prom *pr, const char *name, const char *type,
	const char *help);

/** "name{labels} value": @p labels without braces (`worker="0"`), NULL
 *  or "" for none. Label values must not need escaping (ours never do). */
void sipdp_ctl_prom_u64(struct sipdp_ctl_prom *pr, const char *name, const char *labels,
	uint64_t v);

/**
 * A histogram's samples (after its family line): name_bucket{le=...}
 * cumulative, the last +Inf, then name_sum and name_count. @p counts are
 * per bucket (not cumulative), @p nb_bounds finite upper bounds in
 * @p bounds (seconds, increasing) plus one overflow count at
 * counts[nb_bounds]. @p sum in the unit of the bounds.
 */
void sipdp_ctl_prom_hist(struct sipdp_ctl_prom *pr, const char *name, const char *labels,
	const double *bounds, const uint64_t *counts, unsigned nb_bounds, double sum);

/* -------------------------------------------------------- HTTP /metrics */

/** Fills @p out with the body of a GET /metrics answer (control lcore). */
typedef void (*sipdp_ctl_http_render_fn)(void *arg, struct sipdp_ctl_prom *out);

struct sipdp_ctl_http_params {
	uint32_t max_clients;        /**< connections at once (default 4, at most 64) */
	uint32_t timeout_ms;         /**< accept to last byte sent (default 2000) */
	uint32_t max_request;        /**< request head bytes (default 2048, at most 16384) */
	sipdp_ctl_http_render_fn render; /**< required */
	void *arg;
};

#define SIPDP_CTL_HTTP_COUNTERS(X) \
	X(http_accepted,  "connections accepted and served") \
	X(http_refused,   "connections closed at once: max_clients reached") \
	X(http_requests,  "GET /metrics answered 200") \
	X(http_not_found, "answered 404: another path") \
	X(http_bad_method, "answered 405: not GET or HEAD") \
	X(http_bad_request, "answered 400: not an HTTP/1.x request line") \
	X(http_too_large, "answered 431: request head over max_request") \
	X(http_timeouts,  "closed: not done within timeout_ms") \
	X(http_errors,    "closed: socket error or early close by the client")

struct sipdp_ctl_http_stats {
#define SIPDP_CTL_HTTP_X_FIELD(n, h) uint64_t n;
	SIPDP_CTL_HTTP_COUNTERS(SIPDP_CTL_HTTP_X_FIELD)
#undef SIPDP_CTL_HTTP_X_FIELD
	uint64_t open;               /**< connections open now */
};

struct sipdp_ctl_http;

/** Allocate a server (no socket yet). @return 0, -EINVAL, -ENOMEM. */
int sipdp_ctl_http_create(const struct sipdp_ctl_http_params *p, struct sipdp_ctl_http **out);

/**
 * Listen on @p a (port 0: the kernel picks; read it with
 * sipdp_ctl_http_port()). Non-blocking, SO_REUSEADDR, backlog 16.
 * @return 0; -EALREADY; or the negative errno of socket/bind/listen.
 */
int sipdp_ctl_http_listen(struct sipdp_ctl_http *h, const struct sipdp_ctl_addr *a);

/** The port listened on (host order), 0 before sipdp_ctl_http_listen(). */
uint16_t sipdp_ctl_http_port(const struct sipdp_ctl_http *h);

/**
 * Accept, read, answer, write and expire, never blocking: one poll(2) with
 * timeout 0 over the listener and the open connections, then at most one
 * recv() or send() per ready connection. A request is answered as soon as
 * its head (up to an empty line) is in: GET or HEAD /metrics (a query
 * string is ignored) 200 with the renderer's text, another path 404,
 * another method 405, a head over max_request 431, anything else 400;
 * always "Connection: close", and the socket is closed once the answer is
 * written. A connection still open timeout_ms after it was accepted is
 * closed. Control lcore.
 * @return connections that made progress (0: idle).
 */
int sipdp_ctl_http_poll(struct sipdp_ctl_http *h, uint64_t now_us);

/** Copy the counters. */
void sipdp_ctl_http_stats_get(const struct sipdp_ctl_http *h, struct sipdp_ctl_http_stats *st);

/** Names and help of SIPDP_CTL_HTTP_COUNTERS, in field order. */
extern const char *const sipdp_ctl_http_counter_names[];
extern const char *const sipdp_ctl_http_counter_help[];
extern const unsigned sipdp_ctl_http_counter_count;

/** Close every socket and free. NULL accepted. */
void sipdp_ctl_http_destroy(struct sipdp_ctl_http *h);

#endif /* SIPDP_CTL_OBS_H */
