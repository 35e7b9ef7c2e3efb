/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_TSX_H
#define SIPDP_TSX_H

/**
 * @file
 * SIP transactions: RFC 3261 §17 (the four state machines, timers A..K),
 * RFC 6026 (Accepted state, timers L and M: 2xx retransmissions and ACKs for
 * 2xx belong to the UA core, not to the transaction), RFC 4320 (a non-INVITE
 * server transaction never answers 408 on timeout).
 *
 * One table per shard (per lcore). Nothing here is thread-safe; every
 * function must be called from the lcore that owns the table. All memory is
 * taken at creation (sipdp_tsx_create()); the per-message paths never
 * allocate, lock, log or read a clock: @p now_us is always passed in.
 *
 * Model: the embedder (transport + UA core, the "TU") drives the table.
 *  - in:  sipdp_tsx_recv() with each parsed message and where it came from;
 *         sipdp_tsx_expire() (or sipdp_tsx_timer_expired()) with the time;
 *         sipdp_tsx_client_*() and sipdp_tsx_respond() from the TU.
 *  - out: params.send() for every datagram/segment, params.on_event() for
 *         everything the TU must know (new request, response, timeout,
 *         transport error, ACK/2xx that belong to the UA core, termination).
 *
 * Re-entrancy: on_event() may call any function of this API on the same
 * table (respond from inside a REQUEST event, send a CANCEL from inside a
 * RESPONSE event...). Message views in an event are valid only during the
 * callback.
 *
 * Handles are index + generation (sipdp_handle_t): a handle to a terminated
 * transaction never resolves again, so a late call is -ENOENT, never a
 * use-after-free.
 *
 * Memory ownership of message bytes: the caller's buffers are only read
 * during the call. The table keeps a copy only of what retransmission (or
 * the ACK of §17.1.1.3) needs, in a per-shard pool of fixed-size chunks
 * (params.chunk_size, params.chunks), and releases it as soon as the state
 * machine no longer needs it:
 *  - ICT: the INVITE until a final response (needed for Timer A over UDP and
 *    to build the ACK for a non-2xx), then the ACK until Timer D; nothing in
 *    Accepted.
 *  - NICT: the request until a final response, over unreliable transports
 *    only (Timer E); nothing over TCP/TLS.
 *  - IST/NIST: the last response sent, until the transaction leaves
 *    Proceeding/Completed; nothing for a 2xx to INVITE (RFC 6026: the TU
 *    retransmits it) and nothing for a final over a reliable transport.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sipdp_msg.h"
#include "sipdp_pool.h"
#include "sipdp_str.h"

struct sipdp_tsx_table;
struct sipdp_timer_wheel;
struct sipdp_timer_event;

/* ------------------------------------------------------------ transport */

/** Transport kinds of a destination. */
enum sipdp_tsx_transport {
	SIPDP_TSX_TP_UDP = 0,
	SIPDP_TSX_TP_TCP,
	SIPDP_TSX_TP_TLS,
	SIPDP_TSX_TP_SCTP,
	SIPDP_TSX_TP_WS,
	SIPDP_TSX_TP_WSS,
};

/** dest.flags: the transport is reliable (TCP, TLS, SCTP, WS): no
 *  retransmission timers (A, E, G) and timers D, I, J, K are zero. */
#define SIPDP_TSX_DEST_RELIABLE 0x01u

/**
 * Where a message goes (client transactions, responses) or came from
 * (sipdp_tsx_recv()). Filled by the embedder; the table copies it into the
 * transaction and hands it back to params.send() unchanged. Responses of a
 * server transaction go to the @p src given with its request: the embedder
 * applies RFC 3261 §18.2.2 (received/rport/maddr, the connection for
 * reliable transports) when it fills it. Exactly 32 bytes.
 */
struct sipdp_tsx_dest {
	uint8_t transport;  /**< enum sipdp_tsx_transport */
	uint8_t flags;      /**< SIPDP_TSX_DEST_* */
	uint8_t family;     /**< AF_INET / AF_INET6 (embedder's meaning) */
	uint8_t local_id;   /**< local socket / port / queue, embedder's meaning */
	uint16_t port;      /**< remote port, host byte order */
	uint16_t reserved;
	uint32_t conn_id;   /**< connection for TCP/TLS, embedder's meaning */
	uint32_t opaque;    /**< free for the embedder */
	uint8_t addr[16];   /**< remote address (IPv4 in the first 4 bytes) */
};

static inline bool
sipdp_tsx_dest_reliable(const struct sipdp_tsx_dest *d)
{
	return (d->flags & SIPDP_TSX_DEST_RELIABLE) != 0;
}

/**
 * Send hook. Called for every transmission and retransmission.
 * @return 0 when the bytes were queued; a negative errno makes the
 *         transaction report SIPDP_TSX_EV_TRANSPORT_ERROR and terminate
 *         (RFC 3261 §17.1.4, §17.2.4).
 */
typedef int (*sipdp_tsx_send_fn)(void *user, const struct sipdp_tsx_dest *dest, const char *buf,
				 uint32_t len);

/* ---------------------------------------------------- states and events */

/** The four machines of RFC 3261 §17. */
enum sipdp_tsx_kind {
	SIPDP_TSX_ICT = 0, /**< INVITE client (§17.1.1, RFC 6026 §7.2) */
	SIPDP_TSX_NICT,    /**< non-INVITE client (§17.1.2) */
	SIPDP_TSX_IST,     /**< INVITE server (§17.2.1, RFC 6026 §7.1) */
	SIPDP_TSX_NIST,    /**< non-INVITE server (§17.2.2) */
};

/** States, named as in RFC 3261 and RFC 6026. */
enum sipdp_tsx_state {
	SIPDP_TSX_S_NULL = 0,    /**< allocated, not sent yet (client) */
	SIPDP_TSX_S_CALLING,     /**< ICT */
	SIPDP_TSX_S_TRYING,      /**< NICT, NIST */
	SIPDP_TSX_S_PROCEEDING,
	SIPDP_TSX_S_COMPLETED,
	SIPDP_TSX_S_CONFIRMED,   /**< IST */
	SIPDP_TSX_S_ACCEPTED,    /**< ICT, IST (RFC 6026) */
	SIPDP_TSX_S_TERMINATED,
	SIPDP_TSX_S__COUNT
};

/** "Calling", "Proceeding", ... ("?" for an unknown value). */
const char *sipdp_tsx_state_str(enum sipdp_tsx_state s);
/** "ICT", "NICT", "IST", "NIST". */
const char *sipdp_tsx_kind_str(enum sipdp_tsx_kind k);

enum sipdp_tsx_event_type {
	/** A request created a server transaction (IST or NIST). The TU must
	 *  answer it with sipdp_tsx_respond(). For a CANCEL, cancel_target is
	 *  the INVITE server transaction it cancels (§9.2) or
	 *  SIPDP_HANDLE_INVALID (the TU answers 481). The TU answers the
	 *  CANCEL itself (200) and then the INVITE (487). */
	SIPDP_TSX_EV_REQUEST = 1,
	/** A response for a client transaction. For an ICT in Accepted
	 *  (RFC 6026 §7.2) every further 2xx, retransmission or new fork,
	 *  comes here too; the TU sends the ACK for 2xx itself. */
	SIPDP_TSX_EV_RESPONSE,
	/** An ACK that is the UA core's business: ACK for a 2xx (no server
	 *  transaction matches it), or an ACK that matched an IST in Accepted
	 *  (RFC 6026 §7.1; tsx is then that IST). */
	SIPDP_TSX_EV_ACK,
	/** Timer B or F fired (client: no final response), or Timer H fired
	 *  (IST: the ACK for our non-2xx final never came). No 408 is sent
	 *  by a server transaction (RFC 4320). */
	SIPDP_TSX_EV_TIMEOUT,
	/** params.send() failed; the transaction terminates next. */
	SIPDP_TSX_EV_TRANSPORT_ERROR,
	/** The transaction is gone; its handle no longer resolves. Always the
	 *  last event of a transaction, exactly once. */
	SIPDP_TSX_EV_TERMINATED,
};

struct sipdp_tsx_event {
	uint8_t type;             /**< enum sipdp_tsx_event_type */
	uint8_t kind;             /**< enum sipdp_tsx_kind (not for a stray ACK) */
	uint8_t state;            /**< state of the transaction after the event */
	bool retransmission;      /**< RESPONSE: a 2xx seen again in Accepted */
	sipdp_handle_t tsx;       /**< SIPDP_HANDLE_INVALID for a stray ACK */
	uint64_t user_ref;        /**< the TU's reference (sipdp_tsx_set_user_ref()) */
	const struct sipdp_msg *msg;       /**< REQUEST, RESPONSE, ACK; else NULL */
	const struct sipdp_tsx_dest *src;  /**< where msg came from; else NULL */
	sipdp_handle_t cancel_target;      /**< REQUEST of a CANCEL */
	uint64_t cancel_target_ref;        /**< user_ref of cancel_target */
};

/** Event hook: runs to completion, must not block. */
typedef void (*sipdp_tsx_event_fn)(void *user, const struct sipdp_tsx_event *ev);

/* ------------------------------------------------------------ the table */

/** Timer kind the table uses on a shared wheel (see params.wheel). */
#define SIPDP_TSX_TIMER_KIND 0x75u

/** Our branches: "z9hG4bK" "sd" + 36 lowercase hex digits. */
#define SIPDP_TSX_BRANCH_LEN 45u

struct sipdp_tsx_params {
	uint32_t capacity;       /**< transactions (client + server), > 0 */
	uint16_t shard_id;       /**< written into our branches */
	uint32_t t1_ms;          /**< RTT estimate, default 500 (0 = default) */
	uint32_t t2_ms;          /**< max non-INVITE retransmit interval, default 4000 */
	uint32_t t4_ms;          /**< max message lifetime in network, default 5000 */
	uint32_t timer_d_ms;     /**< Timer D over unreliable transports,
				      default 32000 (RFC: at least 32 s) */
	uint32_t chunk_size;     /**< bytes per retransmission chunk, power of
				      two 64..8192, default 256 */
	uint32_t chunks;         /**< chunks in the pool, default 2 * capacity */
	uint32_t retry_after_s;  /**< Retry-After of the 503 when full, default 5 */
	bool auto_trying;        /**< IST sends 100 Trying itself on creation
				      (§17.2.1: else the TU must within 200 ms) */
	uint64_t secret[2];      /**< key of the branch check value (random per
				      boot, from the embedder's CSPRNG); also
				      seeds the server table hash */
	/** A wheel shared with other layers of the shard. NULL: the table
	 *  creates its own and sipdp_tsx_expire() drives it. When set, the
	 *  embedder's expiry callback must route every timer of kind
	 *  SIPDP_TSX_TIMER_KIND to sipdp_tsx_timer_expired(). */
	struct sipdp_timer_wheel *wheel;
	uint64_t now_us;         /**< creation time (own wheel's first tick) */
	sipdp_tsx_send_fn send;  /**< required */
	sipdp_tsx_event_fn on_event; /**< required */
	void *user;              /**< passed to send and on_event */
};

/** Counters; read them with sipdp_tsx_stats(). Never reset by the table. */
struct sipdp_tsx_stats {
	uint64_t created[4];        /**< per enum sipdp_tsx_kind */
	uint64_t terminated;
	uint64_t timeouts;          /**< Timer B, F, H events */
	uint64_t transport_errors;
	uint64_t retransmits;       /**< our retransmissions (timers and absorbed
					 request retransmissions answered) */
	uint64_t absorbed;          /**< retransmitted requests/ACKs absorbed */
	uint64_t full_503;          /**< requests answered 503: table full */
	uint64_t shed_503;          /**< new dialog-creating requests answered 503
				         while shedding (sipdp_tsx_set_shedding()) */
	uint64_t merged_482;        /**< requests answered 482 (§8.2.2.2) */
	uint64_t no_chunks;         /**< a message could not be kept: chunk pool
					 empty or message too big; sent once */
	uint64_t stray_responses;   /**< responses matching no client tx (dropped,
					 RFC 6026 §8.4) */
	uint64_t bad_branch;        /**< responses with our prefix but a wrong
					 check value, shard, slot or generation */
	uint64_t stray_acks;        /**< ACKs passed to the TU with no transaction */
	uint64_t malformed;         /**< messages without a usable Via or CSeq */
	uint64_t send_failures;     /**< stateless 503/482 that could not be built/sent */
	uint64_t timer_failures;    /**< a shared wheel refused a timer (sizing error) */
};

/**
 * Create a table. Allocates everything it will ever use.
 * @return 0; -EINVAL (zero capacity, missing send/on_event, bad chunk size,
 *         T1 > T2...); -ENOMEM.
 */
int sipdp_tsx_create(const struct sipdp_tsx_params *params, struct sipdp_tsx_table **out);

/** Free a table (no events are raised). NULL is accepted. */
void sipdp_tsx_destroy(struct sipdp_tsx_table *t);

/* ------------------------------------------------------------- receive */

/** What sipdp_tsx_recv() did with a message. */
enum sipdp_tsx_rx {
	SIPDP_TSX_RX_NEW = 0,      /**< new server transaction, REQUEST raised */
	SIPDP_TSX_RX_MATCHED,      /**< delivered to an existing transaction */
	SIPDP_TSX_RX_ABSORBED,     /**< retransmission absorbed (maybe answered) */
	SIPDP_TSX_RX_TO_TU,        /**< ACK for 2xx (or in Accepted) raised to the TU */
	SIPDP_TSX_RX_STRAY,        /**< response matching nothing: dropped */
	SIPDP_TSX_RX_REJECTED,     /**< answered 503 (full) or 482 (merged) */
};

/**
 * Match and process one parsed message (RFC 3261 §17.1.3, §17.2.3, §8.2.2.2).
 *
 * Responses whose top Via branch is ours are located in O(1) by decoding it
 * and validated strictly (length, charset, shard, slot range, generation,
 * keyed check value, CSeq method and number); anything else is stray.
 * Requests are matched by (branch, sent-by, method; ACK as INVITE) when the
 * branch has the magic cookie, else by the RFC 2543 rules of §17.2.3.
 * A new request needing a transaction when the table (or the chunk pool for
 * an automatic 100) is full is answered 503 with Retry-After, statelessly.
 * A request without To tag whose From tag, Call-ID and CSeq equal those of
 * a live server transaction with another branch is answered 482.
 *
 * @param m     parsed message (sipdp_msg_parse()); sub-parsers run lazily.
 * @param src   where it came from; copied into a new server transaction.
 * @return enum sipdp_tsx_rx (>= 0); -EBADMSG when the top Via or the CSeq is
 *         missing or malformed (the embedder may answer 400 statelessly);
 *         -EXDEV when a response carries a well-formed branch of another
 *         shard (route it with sipdp_tsx_branch_shard()).
 */
int sipdp_tsx_recv(struct sipdp_tsx_table *t, const struct sipdp_msg *m,
		   const struct sipdp_tsx_dest *src, uint64_t now_us);

/**
 * Overload shedding (the embedder's verdict, from its own load): @p pct of
 * the requests that would create a new server transaction and a dialog —
 * INVITE, SUBSCRIBE or REFER without a To tag — are answered 503 with
 * Retry-After statelessly, before any transaction or dialog exists, and
 * counted (stats.shed_503); which ones is drawn at random per request (a
 * "loss" algorithm, RFC 7339 §5.5). Retransmissions of requests already
 * taken (they match a live transaction), ACK, CANCEL, requests inside a
 * dialog (To tag), other methods (OPTIONS, so that probes keep answering)
 * and responses are never shed. 0 turns it off, 100 sheds every one.
 * Owning lcore only.
 */
void sipdp_tsx_set_shedding(struct sipdp_tsx_table *t, uint8_t pct);

/** The share being shed now, 0-100 (sipdp_tsx_set_shedding()). */
uint8_t sipdp_tsx_shedding(const struct sipdp_tsx_table *t);

/* --------------------------------------------------------- client side */

/**
 * Allocate a client transaction and its branch. The TU then builds the
 * request with that branch in its (single, top) Via and calls
 * sipdp_tsx_client_send(), or sipdp_tsx_client_abort() to give up.
 *
 * @param method   SIPDP_METHOD_INVITE makes an ICT, anything else a NICT.
 *                 Not ACK (an ACK for 2xx needs no transaction: use
 *                 sipdp_tsx_branch_stateless()) and not CANCEL (use
 *                 sipdp_tsx_cancel_alloc()).
 * @param cseq     CSeq number the request will carry (responses must match).
 * @param user_ref the TU's reference, returned in every event.
 * @param branch   out: SIPDP_TSX_BRANCH_LEN bytes, not NUL-terminated.
 * @param h        out: the transaction.
 * @return 0; -EINVAL (ACK/CANCEL, NULL); -ENOSPC (table full: the TU
 *         answers its own upstream with 503 or retries later).
 */
int sipdp_tsx_client_alloc(struct sipdp_tsx_table *t, enum sipdp_method method, uint32_t cseq,
			   uint64_t user_ref, char branch[SIPDP_TSX_BRANCH_LEN], sipdp_handle_t *h);

/**
 * Allocate the CANCEL client transaction (a NICT) for an ICT (§9.1): its
 * branch is the INVITE's (written to @p branch) and its responses are
 * matched to it by CSeq method. Only while the ICT is in Proceeding
 * (§9.1: not before a provisional response).
 * @return 0; -ENOENT (stale ICT handle); -EINVAL (not an ICT);
 *         -EALREADY (already has a CANCEL); -EAGAIN (ICT not in Proceeding:
 *         the TU waits for a provisional or gives up); -ENOSPC (full).
 */
int sipdp_tsx_cancel_alloc(struct sipdp_tsx_table *t, sipdp_handle_t invite, uint64_t user_ref,
			   char branch[SIPDP_TSX_BRANCH_LEN], sipdp_handle_t *h);

/**
 * Send the request of an allocated client transaction and start its
 * machine (Calling / Trying, timers A+B or E+F per transport).
 * @param buf,len  the whole request; copied when it may be retransmitted
 *                 or an ACK must be built from it.
 * @param dest     next hop (copied).
 * @return 0; -ENOENT (stale handle); -EALREADY (already sent);
 *         -ENOBUFS (the chunk pool cannot hold the copy: nothing sent,
 *         the transaction is still allocated);
 *         a send error: the transaction then raises TRANSPORT_ERROR and
 *         TERMINATED before this returns.
 */
int sipdp_tsx_client_send(struct sipdp_tsx_table *t, sipdp_handle_t h, const char *buf, uint32_t len,
			  const struct sipdp_tsx_dest *dest, uint64_t now_us);

/** Free a client transaction that was allocated but never sent (no event).
 *  @return 0; -ENOENT; -EALREADY (already sent: it runs its course). */
int sipdp_tsx_client_abort(struct sipdp_tsx_table *t, sipdp_handle_t h);

/**
 * A branch for a message that needs no transaction (ACK for 2xx, §13.2.2.4;
 * a stateless request). Unique, ours, but matches no slot.
 */
void sipdp_tsx_branch_stateless(struct sipdp_tsx_table *t, char branch[SIPDP_TSX_BRANCH_LEN]);

/**
 * Shard that generated @p branch when it has our format (cheap, no check
 * value verification: the owning shard verifies). For the dispatcher that
 * routes responses to their lcore.
 * @return 0; -EINVAL (not our format).
 */
int sipdp_tsx_branch_shard(struct sipdp_str branch, uint16_t *shard);

/**
 * True when @p branch was made by a transaction table sharing @p t's secret
 * (this process, any shard): the check value is verified. For loop
 * detection: a request that arrives with our own branch in its top Via went
 * out from us and came back. Cold path (one SipHash).
 */
bool sipdp_tsx_branch_ours(const struct sipdp_tsx_table *t, struct sipdp_str branch);

/* --------------------------------------------------------- server side */

/**
 * Send a response on a server transaction and advance its machine.
 * 1xx: Proceeding, kept for retransmission on request retransmissions.
 * 2xx to INVITE: Accepted (RFC 6026), Timer L; not kept: the TU retransmits
 * it (sending through its own path) until the ACK arrives as an ACK event.
 * 3xx-6xx to INVITE: Completed, timers G (unreliable) and H.
 * 2xx-6xx to non-INVITE: Completed, Timer J (zero on reliable transports).
 * @param status   status code of @p buf (100..699).
 * @return 0; -ENOENT (stale handle); -EINVAL (bad status, a client
 *         transaction, or the status is not allowed in the current state:
 *         a final already sent); a send error (the transaction then
 *         raises TRANSPORT_ERROR and TERMINATED before this returns).
 *         When the response cannot be kept (chunk pool empty) it is still
 *         sent, once, and stats.no_chunks moves.
 */
int sipdp_tsx_respond(struct sipdp_tsx_table *t, sipdp_handle_t h, uint16_t status, const char *buf,
		      uint32_t len, uint64_t now_us);

/* -------------------------------------------------------------- common */

/** Set the TU's reference returned in later events. @return 0, -ENOENT. */
int sipdp_tsx_set_user_ref(struct sipdp_tsx_table *t, sipdp_handle_t h, uint64_t user_ref);

/** Read-only view of a live transaction, for the TU and for tests. */
struct sipdp_tsx_info {
	uint8_t kind;          /**< enum sipdp_tsx_kind */
	uint8_t state;         /**< enum sipdp_tsx_state */
	uint8_t method;        /**< enum sipdp_method of the request */
	bool reliable;
	uint16_t last_status;  /**< last response sent (server) or received (client) */
	uint32_t cseq;
	uint64_t user_ref;
	uint32_t kept_bytes;   /**< bytes held in the chunk pool */
	struct sipdp_tsx_dest dest;
};

/** @return 0, -ENOENT (stale handle). */
int sipdp_tsx_info(const struct sipdp_tsx_table *t, sipdp_handle_t h, struct sipdp_tsx_info *info);

/**
 * Terminate a transaction now, without sending anything (the TU shuts a
 * dialog down, or the shard drains). Raises TERMINATED.
 * @return 0, -ENOENT.
 */
int sipdp_tsx_terminate(struct sipdp_tsx_table *t, sipdp_handle_t h);

/**
 * The embedder's connection @p conn_id (sipdp_tsx_dest.conn_id of a
 * reliable destination) has closed. Every live transaction whose messages
 * go over it raises TRANSPORT_ERROR and then TERMINATED now, as if its
 * next send had failed (RFC 3261 §17.1.4, §17.2.4): over a reliable
 * transport nothing would be retransmitted, so waiting for a timer only
 * keeps a dead transaction. Cold path: one pass over the table, none when
 * no live transaction is bound to any connection.
 * @return transactions ended (>= 0); -EINVAL when @p conn_id is 0.
 */
int sipdp_tsx_conn_lost(struct sipdp_tsx_table *t, uint32_t conn_id);

/* --------------------------------------------------------------- timers */

/**
 * Run the table's own wheel up to @p now_us (params.wheel == NULL).
 * @return timers fired (at most @p max), -EINVAL when the wheel is shared.
 */
int sipdp_tsx_expire(struct sipdp_tsx_table *t, uint64_t now_us, uint32_t max);

/**
 * A timer of kind SIPDP_TSX_TIMER_KIND fired on a shared wheel (params.wheel):
 * the embedder's sipdp_timer_expire() callback passes the event here.
 * Stale events (a transaction since terminated or re-armed) are ignored.
 * Must not be called from inside the table's own callbacks.
 */
void sipdp_tsx_timer_expired(struct sipdp_tsx_table *t, const struct sipdp_timer_event *ev,
			     uint64_t now_us);

/* ------------------------------------------------------ stats and dumps */

/** Counters of the table (valid while the table lives). */
const struct sipdp_tsx_stats *sipdp_tsx_stats(const struct sipdp_tsx_table *t);

/** Transactions alive now. */
uint32_t sipdp_tsx_count(const struct sipdp_tsx_table *t);

/** Transactions alive now whose messages go over a connection
 *  (reliable destination with a conn_id): what sipdp_tsx_conn_lost() ends. */
uint32_t sipdp_tsx_conn_count(const struct sipdp_tsx_table *t);

/** Chunks of the retransmission pool in use now. */
uint32_t sipdp_tsx_chunks_in_use(const struct sipdp_tsx_table *t);

/** sizeof the transaction record (memory budgets). */
size_t sipdp_tsx_record_size(void);

/** Bytes the table holds per transaction of capacity, everything included
 *  (records, pool bookkeeping, hash buckets, chunk pool share, timers when
 *  owned), for memory budgets. */
size_t sipdp_tsx_bytes_per_tsx(const struct sipdp_tsx_table *t);

/** Operator dump: counters and every live transaction. Cold path.
 *  @return 0, or -EIO when writing failed. */
int sipdp_tsx_dump(const struct sipdp_tsx_table *t, FILE *f);

#endif /* SIPDP_TSX_H */
