/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_UA_EXT_H
#define SIPDP_UA_EXT_H

/**
 * @file
 * Extensions of the invite session (included by sipdp_ua.h, not alone):
 *
 *  - Reliable provisional responses, PRACK (RFC 3262). Per-stack policy
 *    params.rel100. UAS: sipdp_ua_ring() sends the provisional reliably
 *    (Require: 100rel, RSeq) when the INVITE supports or requires 100rel
 *    and the policy is not off; it is retransmitted at T1, 2*T1, 4*T1, ...
 *    (no T2 cap, §3) until the PRACK; with no PRACK after 64*T1 the INVITE
 *    is answered 504 and the dialog ends (reason TIMEOUT). One reliable
 *    provisional is unacknowledged at a time (§3): sipdp_ua_ring() returns
 *    -EBUSY meanwhile; sipdp_ua_ring_queued() keeps one to send when the
 *    PRACK arrives. A 2xx given to sipdp_ua_accept() meanwhile is held
 *    and sent when the PRACK arrives. The matched PRACK is answered 200 by
 *    the UA and reported as SIPDP_UA_EV_PRACK (msg: the PRACK, with the
 *    answer when our provisional carried an offer); a PRACK that matches
 *    nothing gets 481. INVITEs are refused with 420 + Unsupported when they
 *    require an option tag we lack, and with 421 + Require: 100rel when the
 *    policy is "required" and the UAC does not support 100rel.
 *    UAC: each reliable provisional (RSeq one higher than the last, or the
 *    first) is reported by on_provisional, then PRACKed with RAck: the
 *    application answers an offer in it by calling sipdp_ua_prack() from
 *    on_provisional with the answer; otherwise the UA sends a PRACK without
 *    body when the callback returns. Duplicates and out-of-order RSeq are
 *    dropped silently (counted: stats.rel1xx_dropped).
 *
 *  - UPDATE (RFC 3311): sipdp_ua_update() in early (a To tag exists) and
 *    confirmed dialogs, either side. One offer at a time per dialog: an
 *    incoming UPDATE with an offer while ours is unanswered gets 491, while
 *    the peer's previous offer is unanswered 500 with Retry-After (0-10 s).
 *    An UPDATE with a body is handed to on_request (answer it with
 *    sipdp_ua_respond() and the SDP answer); one without a body is a session
 *    refresh and is answered 200 by the UA.
 *
 *  - Session timers (RFC 4028). params.session_expires_s > 0 turns them on
 *    for the stack (Supported: timer, Session-Expires, Min-SE in INVITEs;
 *    422 to INVITEs below our Min-SE; Session-Expires;refresher= and
 *    Require: timer in our 2xx). Refresher: the one the UAC asked for; else
 *    params.refresher (UAS pick) when the UAC supports timers; else the UAS
 *    (§9). A 2xx without Session-Expires from a peer that supports timers
 *    turns the timer off (§7.2); a peer that does not support them never
 *    sends one, and the side that runs the timer alone keeps it. A 422 is
 *    retried once with Session-Expires raised to its Min-SE (§7.4). The
 *    refresher refreshes at half the interval, with UPDATE when the peer's
 *    Allow lists UPDATE, else with a re-INVITE (SIPDP_UA_EV_REFRESH_DUE
 *    lets the application send it with its SDP); both sides send BYE at interval - min(32, interval/3)
 *    seconds after the last refresh when none succeeded (stats
 *    session_expiries, reason TIMEOUT). Every 2xx to a re-INVITE or UPDATE,
 *    either way, re-arms the timer.
 *
 * Reserved: req_ref values >= SIPDP_UA_REF_INTERNAL are used by the UA for
 * the PRACKs and refreshes it sends itself (their responses are not
 * reported); the application must not use them.
 */

#include <stdint.h>

/** params.rel100 */
enum sipdp_ua_100rel {
	SIPDP_UA_100REL_OFF = 0,  /**< no reliable provisionals; Require: 100rel gets 420 */
	SIPDP_UA_100REL_SUPPORTED, /**< Supported: 100rel; reliable when the peer supports it */
	SIPDP_UA_100REL_REQUIRED, /**< Require: 100rel; 421 to a UAC without it */
};

/**
 * sipdp_ua_invite.rel100: 100rel for one call we make, whatever the stack's
 * params.rel100 (which still decides for calls we answer). OFF: neither
 * Supported nor Require: 100rel in the INVITE, and a reliable provisional
 * is not PRACKed; SUPPORTED: Supported: 100rel; REQUIRED: Require: 100rel
 * (RFC 3262 §4). With SUPPORTED or REQUIRED each reliable provisional is
 * PRACKed as described above.
 */
enum sipdp_ua_invite_100rel {
	SIPDP_UA_INVITE_100REL_DEFAULT = 0, /**< params.rel100 */
	SIPDP_UA_INVITE_100REL_OFF,
	SIPDP_UA_INVITE_100REL_SUPPORTED,
	SIPDP_UA_INVITE_100REL_REQUIRED,
};

/** params.refresher, sipdp_ua_invite.refresher, sipdp_ua_session_info.refresher */
enum sipdp_ua_refresher {
	SIPDP_UA_REFRESHER_DEFAULT = 0,
	SIPDP_UA_REFRESHER_UAC,
	SIPDP_UA_REFRESHER_UAS,
};

/** Event types on callbacks.on_ext (values apart from enum sipdp_ua_event_type). */
#define SIPDP_UA_EV_PRACK 0x40           /**< UAS: a PRACK matched our reliable 1xx (msg) */
#define SIPDP_UA_EV_SESSION_REFRESHED 0x41 /**< a session refresh succeeded (status: interval s) */
#define SIPDP_UA_EV_SESSION_EXPIRED 0x42 /**< no refresh in time: BYE sent, on_terminated follows */
/** We must refresh and the peer lacks UPDATE: call sipdp_ua_reinvite()
 *  with the session's SDP from this callback; otherwise the UA sends a
 *  re-INVITE without body when it returns. */
#define SIPDP_UA_EV_REFRESH_DUE 0x43

/** req_ref values reserved for the UA's own requests. */
#define SIPDP_UA_REF_INTERNAL 0xfffffffffffff000ull

/**
 * UAC: send the PRACK for the reliable provisional being reported, with a
 * body (the answer to an offer in it). Only from inside on_provisional for
 * that provisional; afterwards the UA has PRACKed it already.
 * @return 0; -ENOENT; -EINVAL (no PRACK due); -ENOSPC; -EMSGSIZE.
 */
int sipdp_ua_prack(struct sipdp_ua *ua, sipdp_handle_t dlg, struct sipdp_str ctype,
		   struct sipdp_str body, uint64_t now_us);

/**
 * UAS: sipdp_ua_ring() that does not lose a provisional while a reliable
 * one waits for its PRACK (a B2BUA relaying 180 then 183 with SDP). When
 * no reliable provisional is unacknowledged (or this one is not sent
 * reliably), it is sipdp_ua_ring(). Otherwise the provisional is queued
 * and sent (reliably, next RSeq) when the PRACK arrives, before the
 * SIPDP_UA_EV_PRACK event. One is queued at a time: a newer one replaces
 * it, except that a queued one with a body is kept over a newer one
 * without (the SDP must not be lost); the one left out is counted in
 * stats.rel1xx_queue_dropped. A final response given meanwhile drops the
 * queued provisional (a 2xx waits for the PRACK as with sipdp_ua_ring()).
 * The queued status, @p extra, @p ctype and @p body are copied into a
 * message buffer of the UA's pool (params.msgbufs, msgbuf_size) until sent.
 * @return 0 (sent, queued, or left out for a queued one with a body);
 *         -ENOENT; -EINVAL (bad code, a final was already given: sent or
 *         waiting for the PRACK); -ENOSPC (no message buffer free);
 *         -EMSGSIZE (does not fit a message buffer / a message); a send
 *         error (sent at once).
 */
int sipdp_ua_ring_queued(struct sipdp_ua *ua, sipdp_handle_t dlg, uint16_t status,
			 struct sipdp_str extra, struct sipdp_str ctype, struct sipdp_str body,
			 uint64_t now_us);

/**
 * Send an UPDATE (RFC 3311) in an early or confirmed dialog; a body is an
 * offer. The answer comes as on_response (method UPDATE, @p req_ref).
 * Session-Expires is added when the dialog runs a session timer.
 * @return 0; -ENOENT; -EINVAL (no dialog yet: no To tag; terminated);
 *         -EBUSY (an offer is unanswered either way, or a re-INVITE is in
 *         progress, §5.1); -EAGAIN (an offer during the RFC 3261 §14.1
 *         wait after a 491: on_glare_retry ends it); -ENOSPC; -EMSGSIZE.
 */
int sipdp_ua_update(struct sipdp_ua *ua, sipdp_handle_t dlg, struct sipdp_str extra,
		    struct sipdp_str ctype, struct sipdp_str body, uint64_t req_ref, uint64_t now_us);

/**
 * UAS: per-call session timer settings, before sipdp_ua_accept():
 * @p expires_s the interval to use when the UAC did not ask for one
 * (0: stack default, or 1800 on a stack without timers; UINT32_MAX: no
 * timer for this call), @p refresher who refreshes when the UAC left it
 * open. On a stack without timers call it from on_incoming: only then can
 * the INVITE's Session-Expires, Min-SE, Supported and Allow still be read
 * (later, the UAC is taken as one without timer support).
 * @return 0; -ENOENT; -EINVAL (not a UAS dialog still unanswered).
 */
int sipdp_ua_session_timer(struct sipdp_ua *ua, sipdp_handle_t dlg, uint32_t expires_s,
			   uint8_t refresher);

/**
 * UAS: no reliable provisionals for this call although the stack supports
 * 100rel and the INVITE does too (a per-call "off" policy). From
 * on_incoming, before any sipdp_ua_ring(). A UAC that requires 100rel is
 * the application's to refuse (420).
 * @return 0; -ENOENT; -EINVAL (not a UAS dialog still unanswered, or a
 *         reliable provisional was already sent).
 */
int sipdp_ua_rel100_off(struct sipdp_ua *ua, sipdp_handle_t dlg);

/** Session timer state of a dialog. */
struct sipdp_ua_session_info {
	uint32_t expires_s;   /**< interval in force, 0 = no session timer */
	uint32_t min_se_s;
	bool we_refresh;      /**< this side is the refresher */
	bool peer_update;     /**< the peer allows UPDATE (refresh method) */
	uint64_t refresh_at;  /**< our next refresh (us), 0 = none */
	uint64_t expire_at;   /**< BYE unless refreshed before (us), 0 = none */
};

/** @return 0, -ENOENT. */
int sipdp_ua_session_info(const struct sipdp_ua *ua, sipdp_handle_t dlg,
			  struct sipdp_ua_session_info *info);

#endif /* SIPDP_UA_EXT_H */
