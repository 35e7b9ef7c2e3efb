/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_CTL_H
#define SIPDP_CTL_H

/**
 * @file
 * SIP over TCP and TLS on the control lcore (RFC 3261 §18, §26; RFC 5626
 * keep-alives).
 *
 * The Linux kernel terminates TCP for sipdp's addresses (the exception path
 * puts them on a net_tap interface), so this library uses ordinary
 * non-blocking kernel sockets and OpenSSL. It is event driven and single
 * threaded: the control lcore calls sipdp_ctl_poll() every loop iteration
 * with the current time; nothing blocks (epoll_wait with timeout 0) and no
 * thread is started. Every timeout (idle, message deadline, TLS handshake,
 * connect) is driven from the @p now_us the caller passes: the library never
 * reads a clock.
 *
 * Each complete framed message (lib/sipmsg stream framer) is handed to the
 * on_message callback with the connection id, the peer and local addresses
 * and the transport; the embedder parses it, applies RFC 3261 §18.2.1
 * received/rport exactly as for UDP (the peer address is the source), and
 * hands it to a worker. Responses go back with sipdp_ctl_send() on the
 * connection id the request came on (§18.2.2); requests and responses whose
 * connection is gone go with sipdp_ctl_send_to(), which reuses an open
 * connection to the same peer and transport or opens one. When a connection
 * closes, on_closed reports its id and reason so the embedder can tell the
 * transactions using it that the transport failed (§17.1.4, §17.2.4).
 *
 * Bounded: connections in total and per source address, message and header
 * section size (framer), queued output per connection, idle time, the time a
 * message may take to arrive (slowloris), the TLS handshake and TCP connect
 * time. A refused connection is accepted and closed at once (so the kernel
 * backlog drains) and counted.
 *
 * Signals: OpenSSL writes to the socket with write(), so a peer reset can
 * raise SIGPIPE: the embedder ignores SIGPIPE (DPDK applications usually do).
 *
 * Threading: one struct sipdp_ctl belongs to one thread (the control lcore).
 * Nothing here is thread-safe. Callbacks run inside sipdp_ctl_poll() /
 * sipdp_ctl_input(); they may call sipdp_ctl_send(), sipdp_ctl_send_to() and
 * sipdp_ctl_close(), but not sipdp_ctl_destroy().
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/** Transport of a connection. */
enum sipdp_ctl_transport {
	SIPDP_CTL_TCP = 1,
	SIPDP_CTL_TLS = 2,
};

/** Why a connection closed (on_closed, counters). */
enum sipdp_ctl_close_reason {
	SIPDP_CTL_CLOSE_LOCAL = 0,       /**< sipdp_ctl_close() or destroy */
	SIPDP_CTL_CLOSE_PEER,            /**< orderly close by the peer (FIN, close_notify) */
	SIPDP_CTL_CLOSE_ERROR,           /**< socket error (reset, unreachable) */
	SIPDP_CTL_CLOSE_IDLE,            /**< nothing received or sent for idle_timeout_ms */
	SIPDP_CTL_CLOSE_DEADLINE,        /**< a message not complete message_deadline_ms after its first byte */
	SIPDP_CTL_CLOSE_FRAMING,         /**< unusable Content-Length: stream cannot resynchronise */
	SIPDP_CTL_CLOSE_OVERSIZE,        /**< header section or message over the limit */
	SIPDP_CTL_CLOSE_HS_TIMEOUT,      /**< TLS handshake or TCP connect not done in time */
	SIPDP_CTL_CLOSE_HS_FAILED,       /**< TLS handshake failed (verification, protocol) */
	SIPDP_CTL_CLOSE_NOT_TLS,         /**< plaintext on the TLS port */
	SIPDP_CTL_CLOSE_CONNECT_FAILED,  /**< outbound TCP connect refused or failed */
	SIPDP_CTL_CLOSE_TX_OVERFLOW,     /**< peer does not read: queued output over the limit */
	SIPDP_CTL_CLOSE__COUNT
};

/** An IPv4 or IPv6 address and port. */
struct sipdp_ctl_addr {
	uint8_t family;   /**< AF_INET or AF_INET6 */
	uint8_t reserved;
	uint16_t port;    /**< host byte order */
	uint8_t addr[16]; /**< network byte order; IPv4 in addr[0..3] */
};

/** One complete framed message, as given to on_message. Valid only during
 *  the callback: copy what must outlive it. */
struct sipdp_ctl_rx {
	const char *buf;         /**< the message: header section + body */
	uint32_t len;
	uint32_t conn_id;        /**< send the responses here */
	uint8_t transport;       /**< enum sipdp_ctl_transport */
	struct sipdp_ctl_addr peer;  /**< source: received/rport per §18.2.1 */
	struct sipdp_ctl_addr local; /**< the sipdp address it arrived on */
};

typedef void (*sipdp_ctl_message_fn)(void *arg, const struct sipdp_ctl_rx *rx);
typedef void (*sipdp_ctl_closed_fn)(void *arg, uint32_t conn_id,
	enum sipdp_ctl_close_reason why);
/** Output of a buffer connection (sipdp_ctl_attach_buffer()). */
typedef void (*sipdp_ctl_buffer_tx_fn)(void *arg, uint32_t conn_id, const void *buf,
	uint32_t len);

/** Client certificate policy of the TLS server side. */
enum sipdp_ctl_verify {
	SIPDP_CTL_VERIFY_NONE = 0,     /**< no client certificate asked */
	SIPDP_CTL_VERIFY_OPTIONAL,     /**< asked; verified when given */
	SIPDP_CTL_VERIFY_REQUIRED,     /**< mutual TLS: missing or bad = handshake failed */
};

struct sipdp_ctl_tls_params {
	const char *cert_file;     /**< PEM chain (server, and client for mutual TLS); NULL: no TLS server */
	const char *key_file;      /**< PEM private key of cert_file */
	const char *ca_file;       /**< PEM CA bundle for peer verification; NULL: system default paths */
	uint8_t verify_inbound;    /**< enum sipdp_ctl_verify (default NONE) */
	bool no_verify_outbound;   /**< true turns off server verification (default: verified) */
	const char *ciphers;       /**< TLS 1.2 cipher list (OpenSSL syntax); NULL: OpenSSL default */
	const char *ciphersuites;  /**< TLS 1.3 suites; NULL: OpenSSL default */
	const char *sni;           /**< server name sent and verified outbound when the caller
				        gives none; NULL: verify the peer's IP address */
	uint32_t handshake_timeout_ms; /**< default 5000 */
};

struct sipdp_ctl_params {
	uint32_t max_conns;            /**< all connections (default 1024, at most 1<<20) */
	uint32_t max_per_source;       /**< inbound connections per source address (default 64) */
	uint32_t idle_timeout_ms;      /**< default 300000 (RFC 5626 flows ping every 120 s) */
	uint32_t message_deadline_ms;  /**< first byte to complete message (default 10000) */
	uint32_t max_header_bytes;     /**< framer: default 8192 */
	uint32_t max_message_bytes;    /**< framer: default 65535 */
	uint32_t max_tx_queue_bytes;   /**< output queued per connection (default 262144) */
	bool stamp_via;                /**< deliver requests with the top Via stamped
					    (sipdp_ctl_via_stamp()): a copy only when it changes */
	bool tls_enabled;              /**< create the TLS contexts (tls below) */
	struct sipdp_ctl_tls_params tls;
	sipdp_ctl_message_fn on_message; /**< required */
	sipdp_ctl_closed_fn on_closed;   /**< may be NULL */
	sipdp_ctl_buffer_tx_fn on_buffer_tx; /**< may be NULL (buffer connections only) */
	void *arg;                     /**< passed to the callbacks */
};

#define SIPDP_CTL_COUNTERS(X)                                                  \
	X(conns_open,          "connections open now")                         \
	X(accepted,            "inbound connections accepted")                 \
	X(refused_total,       "inbound refused: max_conns reached")           \
	X(refused_per_source,  "inbound refused: max_per_source reached")      \
	X(connects,            "outbound connections opened")                  \
	X(connects_refused,    "outbound refused: max_conns reached")          \
	X(reused,              "send_to served by an open connection")         \
	X(tls_handshakes_ok,   "TLS handshakes completed")                     \
	X(tls_handshakes_failed, "TLS handshakes failed (timeouts, plaintext included)") \
	X(bytes_in,            "payload bytes received (after TLS)")           \
	X(bytes_out,           "payload bytes sent (before TLS)")              \
	X(msgs_in,             "messages delivered")                           \
	X(msgs_out,            "sends accepted")                               \
	X(pings_in,            "CRLFCRLF keep-alives answered")                \
	X(pongs_in,            "CRLF pongs received")                          \
	X(framing_errors,      "framing errors (bad Content-Length, oversize, message cut by a close)") \
	X(oversize_513,        "513 answers sent before an oversize close")

/** Counters; closed[] is by enum sipdp_ctl_close_reason. */
struct sipdp_ctl_stats {
#define SIPDP_CTL_X_FIELD(name, doc) uint64_t name;
	SIPDP_CTL_COUNTERS(SIPDP_CTL_X_FIELD)
#undef SIPDP_CTL_X_FIELD
	uint64_t closed[SIPDP_CTL_CLOSE__COUNT];
};

struct sipdp_ctl;

/**
 * Create an instance (cold: allocates the connection table, the hash tables,
 * the epoll set and the TLS contexts).
 * @param now_us  the caller's clock now, microseconds.
 * @return 0; -EINVAL (missing callback, limits out of range); -ENOMEM;
 *         -EPROTO (TLS context: certificate, key, CA or cipher list refused;
 *         the OpenSSL error queue says why); or the negative errno of
 *         epoll_create1().
 */
int sipdp_ctl_create(const struct sipdp_ctl_params *params, uint64_t now_us,
	struct sipdp_ctl **out);

/** Close every connection (on_closed is NOT called) and free. NULL accepted. */
void sipdp_ctl_destroy(struct sipdp_ctl *c);

/**
 * Listen on @p local (address and port; port 0 picks one, see
 * sipdp_ctl_listen_addr()).
 * @return the listener index (>= 0); -EINVAL (TLS without a certificate,
 *         bad family); -ENOSPC (too many listeners); or the negative errno of
 *         socket()/bind()/listen().
 */
int sipdp_ctl_listen(struct sipdp_ctl *c, enum sipdp_ctl_transport tp,
	const struct sipdp_ctl_addr *local);

/** Bound address of listener @p idx. @return 0, -ENOENT. */
int sipdp_ctl_listen_addr(const struct sipdp_ctl *c, int idx, struct sipdp_ctl_addr *out);

/**
 * Do all the pending work without blocking: accept, handshake, read, frame
 * and deliver, flush queued output, expire timeouts at @p now_us.
 * @return the number of socket events handled (>= 0), or the negative errno
 *         of epoll_wait() (-EINTR is returned as 0).
 */
int sipdp_ctl_poll(struct sipdp_ctl *c, uint64_t now_us);

/**
 * Send @p len bytes (one or more whole SIP messages, or a keep-alive) on
 * connection @p conn_id. Bytes that cannot be written now are queued and
 * flushed by sipdp_ctl_poll().
 * @return 0; -ENOTCONN (no such connection: it closed; tell the
 *         transaction); -ENOBUFS (queue over max_tx_queue_bytes: the
 *         connection is closed with TX_OVERFLOW); -EINVAL (len 0).
 */
int sipdp_ctl_send(struct sipdp_ctl *c, uint32_t conn_id, const void *buf, uint32_t len);

/**
 * Send to a destination (RFC 3261 §18.1.1, §18.2.2): reuse the open
 * connection to the same peer address, port and transport, or open one
 * (non-blocking connect; the bytes are queued until it is up). @p sni NULL
 * uses params.tls.sni or verifies the peer address.
 * @param conn_id  out (may be NULL): the connection used.
 * @return 0; -EMFILE (max_conns reached); -EINVAL; -EPROTO (TLS disabled);
 *         -ENOBUFS; or the negative errno of socket()/connect().
 */
int sipdp_ctl_send_to(struct sipdp_ctl *c, enum sipdp_ctl_transport tp,
	const struct sipdp_ctl_addr *dst, const char *sni, const void *buf, uint32_t len,
	uint32_t *conn_id);

/** Close a connection now (reason LOCAL; on_closed is called).
 *  @return 0, -ENOTCONN. */
int sipdp_ctl_close(struct sipdp_ctl *c, uint32_t conn_id);

/** Peer, local address and transport of a live connection. @return 0, -ENOTCONN. */
int sipdp_ctl_conn_info(const struct sipdp_ctl *c, uint32_t conn_id,
	struct sipdp_ctl_addr *peer, struct sipdp_ctl_addr *local, uint8_t *transport);

/** Connection open to @p dst over @p tp, as send_to would reuse it.
 *  @return 0 and *conn_id; -ENOENT. */
int sipdp_ctl_lookup(const struct sipdp_ctl *c, enum sipdp_ctl_transport tp,
	const struct sipdp_ctl_addr *dst, uint32_t *conn_id);

/**
 * A connection without a socket: its input comes from sipdp_ctl_input() and
 * its output goes to params.on_buffer_tx. It runs the same framing, limits
 * and timeouts (idle, deadline) as a TCP connection; for the fuzzer and
 * for tests of the byte handling.
 * @return 0; -EMFILE (table full).
 */
int sipdp_ctl_attach_buffer(struct sipdp_ctl *c, const struct sipdp_ctl_addr *peer,
	uint32_t *conn_id);

/**
 * Feed bytes received on a buffer connection (@p len 0 = the peer closed).
 * @return 0; -ENOTCONN (closed, maybe by these bytes); -EINVAL (not a
 *         buffer connection).
 */
int sipdp_ctl_input(struct sipdp_ctl *c, uint32_t conn_id, const void *buf, uint32_t len,
	uint64_t now_us);

/** Copy the counters. */
void sipdp_ctl_stats(const struct sipdp_ctl *c, struct sipdp_ctl_stats *out);

/** Bytes of our own state held for connection @p conn_id now (struct,
 *  buffers; OpenSSL's excluded). @return bytes, 0 for no connection. */
uint32_t sipdp_ctl_conn_bytes(const struct sipdp_ctl *c, uint32_t conn_id);

/** Name of a close reason ("idle"), of a counter index for dumps. */
const char *sipdp_ctl_close_reason_str(enum sipdp_ctl_close_reason r);

/**
 * Transport RFC 3261 §26.2 and §18.1.1 ask for a request to @p uri (a
 * sip:/sips: URI, as written): TLS for sips:, else the ;transport= param
 * (tcp, tls), else 0 (UDP: the embedder decides, e.g. by size).
 * @return SIPDP_CTL_TCP, SIPDP_CTL_TLS, 0 for UDP; -EBADMSG (unparsable);
 *         -EPROTONOSUPPORT (sips: with transport=udp/sctp...).
 */
int sipdp_ctl_transport_for_uri(const char *uri, uint32_t len);

/** Transport of a Via sent-protocol token ("TCP", "TLS", any case) for a
 *  response (§18.2.2). @return SIPDP_CTL_TCP, SIPDP_CTL_TLS, 0 (UDP or other). */
int sipdp_ctl_transport_for_via(const char *transport, uint32_t len);

struct sipdp_msg;
struct sipdp_cfg;

/**
 * Fill @p p from a loaded config: limits.tcp_* and message_max, the tls
 * section (file names point into @p cfg, which must live until
 * sipdp_ctl_create() returns), stamp_via on, the client TLS context always
 * (outbound TLS needs no certificate of ours). Callbacks are left alone.
 * @return 0, -EINVAL.
 */
int sipdp_ctl_params_from_cfg(const struct sipdp_cfg *cfg, struct sipdp_ctl_params *p);

/**
 * Listen on sip.tcp_port and, when tls.cert is set, sip.tls_port, on each
 * sip.listen address (or every port's ipv4 and ipv6 address). The
 * addresses must be up in the kernel (the exception path's tap interface).
 * @return the number of listeners opened, or the first sipdp_ctl_listen() error.
 */
int sipdp_ctl_listen_cfg(struct sipdp_ctl *c, const struct sipdp_cfg *cfg);

/**
 * Where RFC 3261 §18.2.2 sends response @p buf when the connection of its
 * request has gone: the top Via's transport (TCP, TLS), its received
 * address (else its sent-by host, an IP literal) and its sent-by port
 * (default 5060, TLS 5061). rport is not used: over TCP it names the
 * source port of the connection that is gone. @p m is parse scratch.
 * @return 0; -EBADMSG (not a response, no usable top Via);
 *         -EPROTONOSUPPORT (UDP or another transport); -EHOSTUNREACH (a
 *         host name and no received=).
 */
int sipdp_ctl_response_dest(struct sipdp_msg *m, const char *buf, uint32_t len,
	enum sipdp_ctl_transport *tp, struct sipdp_ctl_addr *dst);

/**
 * Send a response (RFC 3261 §18.2.2): over @p conn_id while it is open;
 * once it has gone (or with @p conn_id 0), to sipdp_ctl_response_dest()
 * through sipdp_ctl_send_to() (an open connection to it is reused, else one
 * is opened). Control lcore. @p m is parse scratch.
 * @param used  out (may be NULL): the connection the bytes were queued on.
 * @return 0; -ENOTCONN (gone and no usable Via); the errors of
 *         sipdp_ctl_send() and sipdp_ctl_send_to().
 */
int sipdp_ctl_send_response(struct sipdp_ctl *c, struct sipdp_msg *m, uint32_t conn_id,
	const void *buf, uint32_t len, uint32_t *used);

/**
 * RFC 3261 §18.2.1 and RFC 3581 §4 for a request received from @p src:
 * add ;received=<source address> to the top Via when its sent-by host is a
 * name or another address, and fill a valueless ;rport with the source
 * port (adding received= then too). Cold-ish: parses the message.
 * @param m    scratch for the parser (its content is overwritten).
 * @param out  receives the stamped copy; @p cap bytes.
 * @return the stamped length (> 0) in @p out; 0 when nothing changes (a
 *         response, or the Via already fits: deliver @p msg as is);
 *         -EBADMSG (unparsable, no Via); -ENOSPC (@p cap too small).
 */
int sipdp_ctl_via_stamp(struct sipdp_msg *m, const char *msg, uint32_t len,
	const struct sipdp_ctl_addr *src, char *out, uint32_t cap);

/** Print counters and connections for operators (cold). @return 0, -EIO. */
int sipdp_ctl_dump(const struct sipdp_ctl *c, FILE *f);

#endif /* SIPDP_CTL_H */
