/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_UA_H
#define SIPDP_UA_H

/**
 * @file
 * The embedding API: a SIP user agent core (RFC 3261 §8, §12-§15) with
 * invite sessions (UAC and UAS, CANCEL, re-INVITE, BYE, forking) on top of
 * lib/tsx (transactions) and lib/dlg (dialogs).
 *
 * One struct sipdp_ua per shard (per lcore). Nothing is thread-safe; every
 * function must be called from the lcore that owns the UA. Event driven and
 * non-blocking: the embedder feeds datagrams with sipdp_ua_recv() and time
 * with sipdp_ua_expire(); the UA sends through params.send and reports to
 * the application through the callbacks. It never reads a clock, never
 * allocates after sipdp_ua_create(), never blocks.
 *
 * Handles. A dialog is named by a sipdp_handle_t (index + generation). Once
 * the dialog's on_terminated callback has run, its handle is stale for good:
 * every function given it returns -ENOENT, never touches freed memory.
 * An incoming request inside a dialog is named by its server transaction
 * handle (struct sipdp_ua_event.req), answered with sipdp_ua_respond().
 *
 * Re-entrancy. Callbacks may call any function of this API on the same UA
 * (accept from inside on_incoming, BYE from inside on_answered...), except
 * sipdp_ua_recv(), sipdp_ua_expire() and sipdp_ua_destroy(). Message views in
 * an event are valid only during the callback.
 *
 * Outcomes. For each dialog handle the application sees:
 *  - UAS: on_incoming once; then at most one of on_confirmed (the ACK for
 *    our 2xx came) ; and always exactly one on_terminated, last. A CANCEL
 *    that arrives before the application answered ends the dialog with
 *    reason CANCELLED (200 to the CANCEL, 487 to the INVITE); after a 2xx
 *    it is answered 200 and the call proceeds (§9.2). Never both a 2xx and
 *    a 487.
 *  - UAC: any on_provisional; then exactly one of on_answered (2xx) or
 *    on_failed (non-2xx final, timeout, cancelled: only on the handle
 *    sipdp_ua_invite() returned); and exactly one on_terminated, last.
 *    Forks (provisionals or 2xx with another To tag) get their own handles,
 *    reported by on_provisional / on_answered with ev->fork set.
 *
 * Memory per confirmed dialog: one dialog record (lib/dlg, arena of
 * SIPDP_DLG_ARENA bytes for its strings) plus its UA state, a hash bucket
 * and one timer entry; no transaction is kept once the call is confirmed
 * (the INVITE server transaction is ended when the ACK arrives: a late
 * INVITE retransmission is recognised through the dialog table and dropped).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sipdp_dlg.h"
#include "sipdp_msg.h"
#include "sipdp_pool.h"
#include "sipdp_str.h"
#include "sipdp_tsx.h"

struct sipdp_ua; /* opaque, one per shard */
struct sipdp_ua_xfer_params;

/** Event types (struct sipdp_ua_event.type). */
enum sipdp_ua_event_type {
	SIPDP_UA_EV_INCOMING = 1, /**< new INVITE (UAS): answer with ring/accept/reject/redirect */
	SIPDP_UA_EV_PROVISIONAL,  /**< UAC: 101-199 received (status, msg) */
	SIPDP_UA_EV_ANSWERED,     /**< UAC: 2xx to our INVITE received; the ACK goes when
				       the callback returns (or before any request the
				       callback sends in the dialog) unless
				       sipdp_ua_ack_defer() holds it */
	SIPDP_UA_EV_CONFIRMED,    /**< UAS: the ACK for our 2xx arrived */
	SIPDP_UA_EV_FAILED,       /**< UAC: the INVITE failed (status: final, 408 timeout,
				       487 cancelled; msg NULL when none came) */
	SIPDP_UA_EV_TERMINATED,   /**< the dialog is gone (reason, status); last event */
	SIPDP_UA_EV_REQUEST,      /**< request inside a dialog (re-INVITE, INFO, ...):
				       answer with sipdp_ua_respond() using ev->req */
	SIPDP_UA_EV_RESPONSE,     /**< response to a request we sent in a dialog
				       (ev->req_ref; msg NULL on timeout: status 408),
				       or the final response to sipdp_ua_request_out()
				       (ev->dlg SIPDP_HANDLE_INVALID) */
	SIPDP_UA_EV_GLARE_RETRY,  /**< §14.1: the wait after a 491 is over, a
				       re-INVITE may be sent again */
};

/** What the callbacks receive. */
struct sipdp_ua_event {
	uint8_t type;                 /**< enum sipdp_ua_event_type */
	uint8_t method;               /**< REQUEST/RESPONSE: enum sipdp_method */
	uint8_t reason;               /**< TERMINATED: enum sipdp_dlg_reason */
	bool fork;                    /**< UAC: a dialog other than the one invite() returned */
	bool retransmission;          /**< ANSWERED: a 2xx seen again (ACK re-sent) */
	uint16_t status;              /**< response status / TERMINATED status */
	sipdp_handle_t dlg;           /**< the dialog */
	sipdp_handle_t req;           /**< REQUEST: handle for sipdp_ua_respond() */
	uint64_t req_ref;             /**< RESPONSE: the value given to sipdp_ua_request() */
	uint64_t app;                 /**< the dialog's application data (sipdp_ua_set_app()) */
	const struct sipdp_msg *msg;  /**< the message, or NULL */
	const struct sipdp_tsx_dest *src; /**< where msg came from, or NULL */
};

typedef void (*sipdp_ua_cb)(void *user, const struct sipdp_ua_event *ev);

/** Callbacks. NULL ones are skipped (on_incoming is required). */
struct sipdp_ua_callbacks {
	sipdp_ua_cb on_incoming;
	sipdp_ua_cb on_provisional;
	sipdp_ua_cb on_answered;
	sipdp_ua_cb on_confirmed;
	sipdp_ua_cb on_failed;
	sipdp_ua_cb on_terminated;
	/** NULL: in-dialog requests other than BYE are answered 501. */
	sipdp_ua_cb on_request;
	sipdp_ua_cb on_response;
	sipdp_ua_cb on_glare_retry;
	/** PRACK, UPDATE and session timer events (sipdp_ua_ext.h), may be NULL. */
	sipdp_ua_cb on_ext;
};

/**
 * Next hop of a request we send inside a dialog: @p uri is the first Route
 * entry or the remote target. Fill @p dest and return 0, or return
 * -ENOENT to use the dialog's peer (where the peer's messages came from, or
 * the dest given to sipdp_ua_invite()).
 */
typedef int (*sipdp_ua_resolve_fn)(void *user, struct sipdp_str uri, struct sipdp_tsx_dest *dest);

/** Rows and columns of sipdp_ua_params.ident. */
#define SIPDP_UA_IDENT_TRANSPORTS 3 /**< SIPDP_TSX_TP_UDP, _TCP, _TLS */
#define SIPDP_UA_IDENT_FAMILIES 2   /**< 0: IPv4, 1: IPv6 (dest.family == AF_INET6) */

/**
 * Our identity on one transport and address family: what the Via and the
 * Contact of a message sent over it say (RFC 3261 §18.1.1, §8.1.1.8).
 * All views are copied by sipdp_ua_create().
 */
struct sipdp_ua_ident {
	struct sipdp_str sent_by;      /**< Via sent-by: "192.0.2.1:5061",
					    "[2001:db8::1]:5060"; empty: entry unused */
	struct sipdp_str contact;      /**< Contact value, "<sip:ua@192.0.2.1:5061;transport=tls>" */
	struct sipdp_str contact_sips; /**< TLS: Contact of a sips dialog (§26.2.2),
					    "<sips:ua@192.0.2.1:5061>"; empty: derived
					    from @p contact (scheme sips, ";transport=tls"
					    dropped) */
};

struct sipdp_ua_params {
	uint32_t dialogs;        /**< dialog capacity, > 0 */
	uint32_t transactions;   /**< transaction capacity, 0 = 2 * dialogs */
	uint32_t timers;         /**< wheel capacity, 0 = dialogs + transactions + 64 */
	uint32_t msgbufs;        /**< 2xx kept for retransmission until ACK,
				      0 = dialogs / 8 (at least 16) */
	uint32_t msgbuf_size;    /**< bytes per kept 2xx, 0 = 1536; a larger 2xx
				      is sent but not retransmitted (counted) */
	uint16_t shard_id;
	uint32_t t1_ms, t2_ms, t4_ms; /**< 0 = 500, 4000, 5000 */
	uint32_t tick_us;        /**< wheel tick, 0 = 1000 */
	uint32_t retry_after_s;  /**< Retry-After of 503 when full, 0 = 5 */
	uint64_t secret[2];      /**< random key from the embedder's CSPRNG
				      (RAND_bytes): Call-IDs, tags, branches */
	uint64_t now_us;         /**< creation time */
	/* local identity */
	struct sipdp_str contact;   /**< our Contact value, "<sip:ua@192.0.2.1:5060>" (required) */
	struct sipdp_str sent_by;   /**< Via sent-by "192.0.2.1:5060" (required) */
	uint8_t via_transport;      /**< enum sipdp_tsx_transport written in Via */
	struct sipdp_str user_agent; /**< User-Agent / Server value, may be empty */
	/* hooks */
	sipdp_tsx_send_fn send;     /**< required */
	sipdp_ua_resolve_fn resolve; /**< may be NULL */
	struct sipdp_ua_callbacks cb;
	void *user;                 /**< passed to send, resolve and callbacks */
	/** Call transfer (sipdp_ua_xfer.h), NULL: off. */
	const struct sipdp_ua_xfer_params *xfer;
	/* extensions (sipdp_ua_ext.h); all zero = off, as before them */
	uint8_t rel100;             /**< enum sipdp_ua_100rel: off, supported, required */
	uint8_t refresher;          /**< enum sipdp_ua_refresher the UAS picks when the
				         UAC leaves it open, 0 = uac */
	uint32_t session_expires_s; /**< session interval we ask for, 0 = no session timers */
	uint32_t min_se_s;          /**< our Min-SE, 0 = 90 (RFC 4028 minimum) */
	/**
	 * Local identity per [transport][family] (SIPDP_UA_IDENT_*). A dialog
	 * takes the entry of the transport and family of its INVITE: the
	 * dest given to sipdp_ua_invite(), the src the INVITE came from; its
	 * requests, CANCEL and responses use it for good, and a sips
	 * Request-URI makes its TLS Contact the sips one. Entries left empty
	 * (and requests outside a known transport) use the single identity
	 * above (contact, sent_by, via_transport), which may then be empty
	 * only when at least one entry is set (the first set entry stands in).
	 */
	struct sipdp_ua_ident ident[SIPDP_UA_IDENT_TRANSPORTS][SIPDP_UA_IDENT_FAMILIES];
};

/** Counters (sipdp_ua_stats()). */
struct sipdp_ua_stats {
	uint64_t rx, rx_bad;       /**< datagrams fed; unparsable ones dropped */
	uint64_t stateless_4xx;    /**< answered 400/505/513 statelessly */
	uint64_t calls_in, calls_out;
	uint64_t full_503;         /**< INVITEs refused: dialog table full */
	uint64_t arena_500;        /**< INVITEs refused: strings too long (route set) */
	uint64_t answered_481;     /**< requests for no dialog */
	uint64_t cseq_500;         /**< §12.2.2 out of order */
	uint64_t glare_491;        /**< re-INVITEs refused with 491 */
	uint64_t cancels_in;       /**< CANCEL received */
	uint64_t cancel_after_2xx; /**< CANCEL after our 2xx: 200, call goes on */
	uint64_t retx_2xx;         /**< 2xx retransmissions */
	uint64_t ack_timeouts;     /**< no ACK within 64*T1: BYE sent */
	uint64_t acks_resent;      /**< ACK re-sent for a 2xx retransmission */
	uint64_t fork_byes;        /**< extra 2xx forks ended with BYE */
	uint64_t acks_held;        /**< ACKs held by sipdp_ua_ack_defer() */
	uint64_t ack_held_timeouts; /**< held ACK not given in 64*T1: ACK without
					 body, then BYE */
	uint64_t ood_out;          /**< requests sent outside a dialog (sipdp_ua_request_out()) */
	uint64_t late_invites;     /**< INVITE retransmissions for confirmed dialogs dropped */
	uint64_t no_msgbuf;        /**< 2xx not kept (pool empty or too big) */
	uint64_t send_errors;
	uint64_t build_errors;     /**< a message did not fit the scratch buffer */
	uint64_t tsx_full;         /**< a request could not get a transaction */
	uint64_t timer_errors;
	/* extensions (RFC 3262, 3311, 4028) */
	uint64_t prack_in, prack_out;   /**< PRACKs received (matched) / sent */
	uint64_t rel1xx_out;            /**< reliable provisionals sent (first copies) */
	uint64_t rel1xx_retx;           /**< reliable provisional retransmissions */
	uint64_t rel1xx_timeouts;       /**< no PRACK in 64*T1: INVITE answered 504 */
	uint64_t rel1xx_dropped;        /**< UAC: duplicate or out-of-order RSeq ignored */
	uint64_t rel1xx_queued;         /**< UAS: provisionals queued for the PRACK
					     (sipdp_ua_ring_queued()) */
	uint64_t rel1xx_queue_dropped;  /**< ... replaced, left out for one with a
					     body, dropped by a final or unsendable */
	uint64_t sent_420, sent_421, sent_422;
	uint64_t update_in, update_out;
	uint64_t update_491, update_500; /**< UPDATE offers refused: glare, offer pending */
	uint64_t retry_422;             /**< INVITEs re-sent with a larger interval after 422 */
	uint64_t session_refreshes;     /**< successful refreshes (either side's) */
	uint64_t session_expiries;      /**< sessions ended with BYE: not refreshed */
};

/**
 * Create a UA: dialog table, transaction table and one timing wheel shared
 * by both. Allocates everything it will ever use. Any lcore.
 * @return 0; -EINVAL (NULL, zero dialogs, missing send/on_incoming, no
 *         identity (contact and sent_by, or an ident entry), an ident entry
 *         with sent_by but no contact, T1 > T2; rel100 or refresher out of range, min_se_s
 *         below 90, session_expires_s below the Min-SE); -ENOMEM.
 */
int sipdp_ua_create(const struct sipdp_ua_params *params, struct sipdp_ua **out);

/** Free a UA (no callbacks, nothing sent). NULL is accepted. */
void sipdp_ua_destroy(struct sipdp_ua *ua);

/**
 * Process one received datagram: parse it; answer a malformed request
 * statelessly (400, 505, 513); hand the rest to the transactions and dialogs.
 * @param src  where it came from (§18.2.2 already applied by the embedder).
 * @return 0 when processed (including answered with an error);
 *         -EBADMSG when dropped as unparsable (or a bad response);
 *         -EXDEV when it belongs to another shard (a response with another
 *         shard's branch: route it with sipdp_ua_id_shard()).
 */
int sipdp_ua_recv(struct sipdp_ua *ua, const char *buf, uint32_t len,
		  const struct sipdp_tsx_dest *src, uint64_t now_us);

/**
 * Run the timers due at @p now_us (transactions and dialogs), at most @p max.
 * @return timers fired (>= 0).
 */
int sipdp_ua_expire(struct sipdp_ua *ua, uint64_t now_us, uint32_t max);

/** When to call sipdp_ua_expire() next. @return 0, -ENOENT (no timer). */
int sipdp_ua_next_expiry(const struct sipdp_ua *ua, uint64_t *at_us);

/**
 * Shard encoded in one of our identifiers (Call-ID, tag, Via branch), for
 * the dispatcher. @return 0; -EINVAL when not in our format.
 */
int sipdp_ua_id_shard(struct sipdp_str id, uint16_t *shard);

/* --------------------------------------------------------------- UAC */

/** What sipdp_ua_invite() needs. */
struct sipdp_ua_invite {
	struct sipdp_str ruri;      /**< Request-URI (required) */
	struct sipdp_str from;      /**< From name-addr without tag (required) */
	struct sipdp_str to;        /**< To name-addr (required) */
	struct sipdp_str call_id;   /**< empty: generate one (shard-encoded) */
	struct sipdp_str route;     /**< pre-loaded route set (Route value) or empty */
	struct sipdp_str extra;     /**< extra header lines, each ending CRLF, or empty */
	struct sipdp_str ctype;     /**< body Content-Type, empty with no body */
	struct sipdp_str body;      /**< offer (may be empty) */
	struct sipdp_tsx_dest dest; /**< next hop */
	uint64_t app;               /**< application data returned in events */
	/* per-call overrides of the stack's defaults (sipdp_ua_ext.h), 0 = default */
	uint32_t session_expires_s; /**< UINT32_MAX: no session timer for this call */
	uint32_t min_se_s;
	uint8_t refresher;          /**< enum sipdp_ua_refresher we ask for, 0 = let the UAS pick */
	uint8_t rel100;             /**< enum sipdp_ua_invite_100rel: this call's 100rel,
				         0 = the stack's params.rel100 */
	/** Max-Forwards of the INVITE (and of its re-send after a 422),
	 *  0 = 70 (RFC 3261 §8.1.1.6). A B2BUA passes on the incoming value
	 *  minus one (sipdp_msg_max_forwards()). Other requests carry 70. */
	uint8_t max_forwards;
};

/**
 * Send an INVITE (§13.2.1) and create the dialog (state Trying).
 * @param dlg  out: the dialog handle (the set head; forks get their own).
 * @return 0; -EINVAL (missing fields); -ENOSPC (dialog or transaction
 *         table full); -EMSGSIZE (does not fit a message / the arena);
 *         a send error (the dialog is then already terminated: no
 *         callback for it, the handle is stale).
 */
int sipdp_ua_invite(struct sipdp_ua *ua, const struct sipdp_ua_invite *inv, uint64_t now_us,
		    sipdp_handle_t *dlg);

/**
 * Cancel an INVITE we sent (§9.1). Before any provisional arrived the
 * CANCEL is queued and sent with the first one; if a final arrives first,
 * nothing is sent (a 2xx is ACKed and ended with BYE). The outcome is
 * reported once: on_failed with 487 (or with the final that won), then
 * on_terminated (CANCELLED).
 * @return 0; -ENOENT (stale handle); -EINVAL (not a UAC dialog whose INVITE
 *         is pending); -EALREADY (already cancelled).
 */
int sipdp_ua_cancel(struct sipdp_ua *ua, sipdp_handle_t dlg, uint64_t now_us);

/**
 * Hold the ACK for the 2xx being reported, to send it later with a body
 * (RFC 3264 offer in a 2xx, answered in the ACK: delayed-offer relay and
 * third-party call control, RFC 3725 flows I-IV). Only from inside
 * on_answered (initial INVITE, the dialog of the event: a fork's ACK is
 * that fork's) or on_response for the 2xx of our re-INVITE; otherwise the
 * UA sends the ACK without body when the callback returns. While held,
 * 2xx retransmissions are absorbed (not reported, no ACK), sipdp_ua_reinvite()
 * returns -EBUSY and a re-INVITE from the peer gets 491. Give the ACK with
 * sipdp_ua_ack() within 64*T1 of the 2xx; after that the UA sends the ACK
 * without body, then BYE, and the dialog ends (reason TIMEOUT, status 408,
 * stats.ack_held_timeouts). sipdp_ua_bye() meanwhile sends the ACK without
 * body first.
 * @return 0; -ENOENT (stale handle); -EINVAL (no 2xx being reported on
 *         this dialog, a retransmission, or already deferred).
 */
int sipdp_ua_ack_defer(struct sipdp_ua *ua, sipdp_handle_t dlg);

/**
 * Send the ACK held by sipdp_ua_ack_defer() (or, from inside the callback,
 * the one due now) with @p body of type @p ctype (both may be empty). A
 * 2xx retransmission arriving while the INVITE client transaction lives
 * (64*T1 after the 2xx) gets this same ACK again (a copy is kept in a
 * message buffer; with none free the copy is skipped, counted in
 * stats.no_msgbuf, and a retransmission gets an ACK without body).
 * @return 0 (also when params.send failed: counted in stats.send_errors,
 *         a 2xx retransmission gets the ACK again); -ENOENT (stale handle);
 *         -EINVAL (no ACK held or due on this dialog); -EMSGSIZE (does
 *         not fit a message: still held).
 */
int sipdp_ua_ack(struct sipdp_ua *ua, sipdp_handle_t dlg, struct sipdp_str ctype,
		 struct sipdp_str body, uint64_t now_us);

/**
 * Keep an extra 2xx fork instead of ending it with BYE. Only from inside
 * on_answered for that fork (ev->fork). @return 0; -ENOENT; -EINVAL.
 */
int sipdp_ua_keep(struct sipdp_ua *ua, sipdp_handle_t dlg);

/* -------------------------------------------------------- no dialog */

/** What sipdp_ua_request_out() needs. Views are used during the call only. */
struct sipdp_ua_oodreq {
	struct sipdp_str method;  /**< "OPTIONS"; any token but INVITE, ACK, CANCEL,
				       BYE and PRACK */
	struct sipdp_str ruri;    /**< Request-URI, also the To URI (required) */
	struct sipdp_str from;    /**< From name-addr without tag ("<sip:probe@x>");
				       empty: our Contact for dest's transport */
	struct sipdp_str extra;   /**< extra header lines, each ending CRLF, or empty */
	struct sipdp_tsx_dest dest; /**< next hop */
	uint64_t req_ref;         /**< returned in the response event; below
				       SIPDP_UA_REF_INTERNAL */
};

/**
 * Send a request outside any dialog (RFC 3261 §8.1, §11: an OPTIONS probe
 * of a destination) on a client transaction of its own: a new Call-ID and
 * From tag carrying our shard (like a dialog's), CSeq 1, Max-Forwards 70,
 * Via and Contact of the ident entry of @p r->dest's transport and family,
 * To <ruri> without tag, User-Agent, no body. Responses carry our branch,
 * so they come back to this shard (sipdp_ua_id_shard() of the branch).
 * Its outcome is reported exactly once through cb.on_response with
 * ev->dlg SIPDP_HANDLE_INVALID, ev->req_ref, ev->method (the method sent)
 * and ev->status: the final response (ev->msg); 408 when Timer F fires
 * (ev->msg NULL); 503 on a transport error (ev->msg NULL), which may be
 * reported before this function returns. Provisionals are not reported.
 * No dialog is created, whatever the response.
 * @return 0; -EINVAL (NULL, no Request-URI, method empty, not a token or
 *         refused); -ENOSPC (no transaction, or no room to keep it for
 *         retransmission); -EMSGSIZE (does not fit a message).
 */
int sipdp_ua_request_out(struct sipdp_ua *ua, const struct sipdp_ua_oodreq *r, uint64_t now_us);

/* --------------------------------------------------------------- UAS */

/**
 * Send a provisional response (101-199) with our To tag: the dialog goes
 * to Ringing (early). @return 0; -ENOENT; -EINVAL (bad code, or a final
 *         was already sent); -EMSGSIZE; a send error.
 */
int sipdp_ua_ring(struct sipdp_ua *ua, sipdp_handle_t dlg, uint16_t status, struct sipdp_str extra,
		  struct sipdp_str ctype, struct sipdp_str body, uint64_t now_us);

/**
 * Accept the INVITE with a 2xx (§13.3.1.4): Established; the 2xx is
 * retransmitted at T1, 2*T1, ... capped at T2 until the ACK arrives; with
 * no ACK after 64*T1 the dialog is ended with BYE (reason TIMEOUT).
 * @return 0; -ENOENT (stale, e.g. cancelled); -EINVAL (final already sent,
 *         bad code); -EMSGSIZE; a send error.
 */
int sipdp_ua_accept(struct sipdp_ua *ua, sipdp_handle_t dlg, uint16_t status, struct sipdp_str extra,
		    struct sipdp_str ctype, struct sipdp_str body, uint64_t now_us);

/**
 * Reject the INVITE (status 400-699; 3xx goes through sipdp_ua_redirect()):
 * the dialog ends (reason REJECTED, status), on_terminated runs.
 * @return 0; -ENOENT; -EINVAL (final already sent, bad code); -EMSGSIZE.
 */
int sipdp_ua_reject(struct sipdp_ua *ua, sipdp_handle_t dlg, uint16_t status, struct sipdp_str extra,
		    uint64_t now_us);

/**
 * Redirect (3xx) to @p contacts (a Contact header value).
 * @return as sipdp_ua_reject().
 */
int sipdp_ua_redirect(struct sipdp_ua *ua, sipdp_handle_t dlg, uint16_t status,
		      struct sipdp_str contacts, uint64_t now_us);

/* ----------------------------------------------------------- in dialog */

/**
 * End a dialog with BYE (§15). UAC: on an early dialog the BYE ends that
 * early dialog; before any dialog exists (no provisional with a tag) this
 * is sipdp_ua_cancel(). UAS: after our 2xx the BYE waits for the ACK (or
 * its timeout, §15); an unanswered INVITE cannot be ended with BYE (use
 * sipdp_ua_reject()). on_terminated (LOCAL_BYE) runs before this returns,
 * except for a UAS waiting for the ACK (then when the BYE is sent).
 * @return 0; -ENOENT; -EINVAL (UAS not answered); -ENOSPC (no transaction:
 *         the dialog is still ended locally).
 */
int sipdp_ua_bye(struct sipdp_ua *ua, sipdp_handle_t dlg, uint64_t now_us);

/**
 * Send a re-INVITE (§14.1) with an offer (or none: the peer offers in
 * its 2xx): the answer comes as on_response (method INVITE); a 2xx is
 * ACKed by the UA when the callback returns (or held by
 * sipdp_ua_ack_defer() for sipdp_ua_ack()) and refreshes the remote target. A 491 starts the §14.1 timer (2.1-4 s when we own the
 * Call-ID, else 0-2 s, in 10 ms steps) and on_glare_retry runs when it ends.
 * @return 0; -ENOENT; -EINVAL (not Established); -EBUSY (an INVITE
 *         transaction is in progress either way, or our ACK is held by
 *         sipdp_ua_ack_defer()); -EAGAIN (the glare wait
 *         is running); -ENOSPC; -EMSGSIZE.
 */
int sipdp_ua_reinvite(struct sipdp_ua *ua, sipdp_handle_t dlg, struct sipdp_str extra,
		      struct sipdp_str ctype, struct sipdp_str body, uint64_t req_ref, uint64_t now_us);

/**
 * Send any request inside a dialog (INFO, UPDATE, REFER, NOTIFY, MESSAGE,
 * OPTIONS...): Route set, remote target, CSeq, Contact for target-refresh
 * methods; @p extra header lines (each ending CRLF) and a body. Its
 * response comes as on_response with @p req_ref.
 * @param method  name as sent ("INFO"); not INVITE, ACK, CANCEL or BYE
 *                (they have their own functions).
 * @return 0; -ENOENT; -EINVAL (method refused, dialog not established or
 *         early); -ENOSPC (no transaction); -EMSGSIZE.
 */
int sipdp_ua_request(struct sipdp_ua *ua, sipdp_handle_t dlg, struct sipdp_str method,
		     struct sipdp_str extra, struct sipdp_str ctype, struct sipdp_str body,
		     uint64_t req_ref, uint64_t now_us);

/**
 * Answer a request received in a dialog (ev->req of SIPDP_UA_EV_REQUEST).
 * A 2xx to a re-INVITE is retransmitted until its ACK like the first one.
 * @return 0; -ENOENT (stale dialog or request); -EINVAL (status not allowed
 *         now); -EMSGSIZE; a send error.
 */
int sipdp_ua_respond(struct sipdp_ua *ua, sipdp_handle_t dlg, sipdp_handle_t req, uint16_t status,
		     struct sipdp_str extra, struct sipdp_str ctype, struct sipdp_str body,
		     uint64_t now_us);

/* ---------------------------------------------------------- inspection */

/** Attach application data to a dialog (returned in events). @return 0, -ENOENT. */
int sipdp_ua_set_app(struct sipdp_ua *ua, sipdp_handle_t dlg, uint64_t app);

/** Read-only view of a dialog. */
struct sipdp_ua_dlg_info {
	uint8_t state;      /**< enum sipdp_dlg_state */
	uint8_t role;       /**< enum sipdp_dlg_role */
	bool confirmed;     /**< ACK sent (UAC) / received (UAS) */
	uint32_t local_cseq, remote_cseq;
	struct sipdp_str call_id, local_tag, remote_tag, remote_target, route;
	uint64_t app;
};

/** Views point into the dialog: valid until the next call on the UA.
 *  @return 0, -ENOENT. */
int sipdp_ua_dlg_info(const struct sipdp_ua *ua, sipdp_handle_t dlg, struct sipdp_ua_dlg_info *info);

/** Dialog record (for dumps and tests), NULL when stale. */
const struct sipdp_dlg *sipdp_ua_dlg(const struct sipdp_ua *ua, sipdp_handle_t dlg);

const struct sipdp_ua_stats *sipdp_ua_stats(const struct sipdp_ua *ua);
/** Live dialogs (terminated set heads kept for their forks included). */
uint32_t sipdp_ua_dialog_count(const struct sipdp_ua *ua);
/** Live transactions. */
uint32_t sipdp_ua_tsx_count(const struct sipdp_ua *ua);
/** Armed timers (transactions and dialogs). */
uint32_t sipdp_ua_timer_count(const struct sipdp_ua *ua);

/** Memory accounting (bytes), for budgets and sipdp-bench. */
struct sipdp_ua_mem {
	size_t per_dialog;     /**< held per confirmed dialog: record + UA state +
				    pool bookkeeping + hash bucket + its timer entry
				    (no transaction, no kept 2xx) */
	size_t dialog_record;  /**< of which the record (dlg + UA state) */
	size_t per_tsx;        /**< transaction table bytes per transaction */
	size_t per_msgbuf;     /**< kept-2xx bytes per buffer */
	size_t timer_entry;    /**< bytes per wheel entry */
	size_t total;          /**< everything the UA allocated (approximate
				    for the wheel's fixed heads) */
};
void sipdp_ua_memory(const struct sipdp_ua *ua, struct sipdp_ua_mem *mem);

/** Dialog table, transaction table (tests, dumps). */
struct sipdp_dlg_table *sipdp_ua_dlg_table(const struct sipdp_ua *ua);
struct sipdp_tsx_table *sipdp_ua_tsx_table(const struct sipdp_ua *ua);

/** Print one dialog with its history. @return 0, -ENOENT, -EIO. */
int sipdp_ua_dump_dialog(const struct sipdp_ua *ua, sipdp_handle_t dlg, FILE *f);
/** Print counters, tables and every dialog. Cold path. @return 0, -EIO. */
int sipdp_ua_dump(const struct sipdp_ua *ua, FILE *f);

#include "sipdp_ua_xfer.h"
#include "sipdp_ua_ext.h" /* PRACK, UPDATE, session timers */

#endif /* SIPDP_UA_H */
