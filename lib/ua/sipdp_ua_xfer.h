/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_UA_XFER_H
#define SIPDP_UA_XFER_H

/**
 * @file
 * Call transfer on top of the UA core: REFER (RFC 3515) with its implicit
 * subscription and message/sipfrag NOTIFYs, Refer-Sub: false (RFC 4488),
 * Replaces (RFC 3891), and the three roles of RFC 5589 (transferor,
 * transferee, transfer target). Included by sipdp_ua.h; same threading rules
 * (one UA per lcore, nothing thread-safe), same re-entrancy rules: the
 * on_xfer callback may call any function of the UA API except recv,
 * expire and destroy.
 *
 * Enabled by pointing sipdp_ua_params.xfer at a struct sipdp_ua_xfer_params;
 * with xfer NULL the UA behaves as before (REFER and NOTIFY are handed to
 * on_request, Replaces is ignored).
 *
 * Transfers. Each REFER sent or received owns one record of a bounded table
 * sized at creation (max_subscriptions) and is named by a transfer handle
 * (index + generation: stale handles give -ENOENT). A REFER received while
 * the table is full is answered 503 with Retry-After (stats.subs_full).
 * The implicit subscription is named "Event: refer;id=<CSeq of the REFER>",
 * so several REFERs in one dialog never mix. It has its own expiry timer
 * and always ends: final NOTIFY, expiry, 481 or timeout to a NOTIFY, or the
 * end of its dialog. Nothing is allocated per message.
 *
 * Outcomes.
 *  - Transferor: exactly one SIPDP_UA_XFER_EV_DONE per successful
 *    sipdp_ua_xfer_refer(), with a typed result, possibly preceded by
 *    SIPDP_UA_XFER_EV_PROGRESS for each provisional NOTIFY.
 *  - Transferee: one SIPDP_UA_XFER_EV_REFER per REFER accepted into the
 *    table; the application calls sipdp_ua_xfer_accept() or
 *    sipdp_ua_xfer_reject() (inside the callback or later); the UA then
 *    drives the INVITE to the target, the NOTIFYs, and ends the original
 *    dialog on success (when the transferor has not done it within
 *    bye_wait_ms). One SIPDP_UA_XFER_EV_ENDED closes each REFER event.
 *  - Transferee executing the transfer itself (a B2BUA relaying the REFER
 *    to its other leg, or joining an attended transfer locally):
 *    sipdp_ua_xfer_accept_external() answers 202 and NOTIFYs 100 but
 *    sends no INVITE; the application reports each status with
 *    sipdp_ua_xfer_notify(). The UA never ends the referring dialog on
 *    such a transfer.
 *  - Target: SIPDP_UA_XFER_EV_REPLACES right before on_incoming for an
 *    INVITE whose Replaces matched; once that new dialog is confirmed the
 *    replaced one is ended (BYE, or CANCEL for an early dialog we sent).
 *
 * Replaces and whose tags are whose. A Replaces value always names a
 * dialog as the UA that receives the INVITE with Replaces sees it (RFC
 * 3891 §3): to-tag is that UA's local tag, from-tag its peer's. In an
 * attended transfer (RFC 5589 §7) the transferor copies into the Refer-To
 * the consultation dialog as the transfer target sees it, so the Replaces
 * of a Refer-To received by a transferee names a dialog of the target, not
 * of the transferee: sipdp_ua_xfer_refer() writes to-tag = the target's
 * tag (our remote tag), from-tag = ours. When this UA is the target as
 * well (a B2BUA holding both the referring and the replaced dialog),
 * sipdp_ua_dialog_by_replaces() finds the dialog with to-tag = our local
 * tag and from-tag = our remote tag, exactly as an incoming INVITE with
 * that Replaces would be matched.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct sipdp_ua;

enum sipdp_ua_xfer_ev_type {
	SIPDP_UA_XFER_EV_REFER = 1, /**< transferee: a REFER to accept or reject */
	SIPDP_UA_XFER_EV_PROGRESS,  /**< transferor: a NOTIFY with a provisional (status) */
	SIPDP_UA_XFER_EV_DONE,      /**< transferor: the outcome (result, status); last */
	SIPDP_UA_XFER_EV_REPLACES,  /**< target: dlg (new INVITE) replaces ev->replaced */
	SIPDP_UA_XFER_EV_ENDED,     /**< transferee: the transfer record is gone (result,
				         status of the INVITE to the target) */
};

/** Typed outcome of a transfer (SIPDP_UA_XFER_EV_DONE, _ENDED). */
enum sipdp_ua_xfer_result {
	SIPDP_UA_XFER_SUCCESS = 1, /**< the target answered 2xx (status) */
	SIPDP_UA_XFER_FAILED,      /**< status: the final of the INVITE to the target,
				        or of the REFER itself (refer_failed) */
	SIPDP_UA_XFER_ACCEPTED,    /**< Refer-Sub: false was honoured: the REFER was
				        accepted (status 2xx); RFC 4488 tells no more */
	SIPDP_UA_XFER_UNKNOWN,     /**< the subscription ended before a final status:
				        expiry (408), 481, dialog ended (0) */
};

/** Transferor BYE policy (RFC 5589 §6, §7). */
enum sipdp_ua_xfer_bye {
	SIPDP_UA_XFER_BYE_ON_SUCCESS = 0, /**< BYE once a NOTIFY says 2xx (with
					       Refer-Sub: false honoured: at the 2xx to REFER) */
	SIPDP_UA_XFER_BYE_ON_ACCEPT,      /**< BYE at the 2xx to the REFER */
	SIPDP_UA_XFER_BYE_NEVER,          /**< the application decides */
};

struct sipdp_ua_xfer_event {
	uint8_t type;              /**< enum sipdp_ua_xfer_ev_type */
	uint8_t result;            /**< DONE, ENDED: enum sipdp_ua_xfer_result */
	bool refer_failed;         /**< DONE: the REFER itself got a non-2xx (or none) */
	bool no_sub;               /**< REFER: Refer-Sub: false (no NOTIFY will be sent) */
	bool has_replaces;         /**< REFER: the Refer-To carries Replaces (attended) */
	uint16_t status;           /**< PROGRESS, DONE, ENDED: SIP status */
	sipdp_handle_t xfer;       /**< the transfer */
	sipdp_handle_t dlg;        /**< the dialog of the REFER; REPLACES: the new dialog */
	sipdp_handle_t replaced;   /**< REPLACES: the dialog being replaced */
	uint64_t app;              /**< transferor: sipdp_ua_xfer_refer.app;
				        else the dialog's application data */
	struct sipdp_str target;   /**< REFER: Refer-To URI without its ?headers */
	struct sipdp_str referred_by; /**< REFER: Referred-By value, may be empty */
	struct sipdp_str replaces; /**< REFER, when has_replaces: the Replaces value of
				        the Refer-To URI, unescaped ("call-id;to-tag=..;
				        from-tag=.."), valid during the callback only;
				        see sipdp_ua_dialog_by_replaces() */
	const struct sipdp_msg *msg; /**< the message behind the event, or NULL */
};

typedef void (*sipdp_ua_xfer_cb)(void *user, const struct sipdp_ua_xfer_event *ev);

/** Given through sipdp_ua_params.xfer (copied at creation). */
struct sipdp_ua_xfer_params {
	uint32_t max_subscriptions; /**< transfers in progress (both roles),
					 0 = dialogs / 4 (at least 16) */
	uint32_t expires_s;         /**< implicit subscription lifetime (RFC 3515
					 §2.4.6), 0 = 60 */
	uint32_t bye_wait_ms;       /**< transferee: after the final NOTIFY of a
					 successful transfer, wait this long for
					 the transferor's BYE, then send BYE
					 ourselves; 0 = 64*T1 */
	sipdp_ua_xfer_cb on_xfer;   /**< required */
};

/** Counters (sipdp_ua_xfer_stats()). */
struct sipdp_ua_xfer_stats {
	uint64_t refers_in, refers_out;
	uint64_t refers_rejected;    /**< REFERs we answered >= 300 */
	uint64_t notifies_in, notifies_out; /**< NOTIFY requests (retransmissions not counted) */
	uint64_t notify_481;         /**< NOTIFYs answered 481 (no such subscription) */
	uint64_t subs_live;          /**< implicit subscriptions now (gauge) */
	uint64_t subs_expired;       /**< ended by their expiry timer */
	uint64_t subs_full;          /**< REFERs refused with 503: table full */
	uint64_t transfers_ok, transfers_failed; /**< final outcomes, either role */
	uint64_t replaces_matched, replaces_unmatched; /**< INVITEs with Replaces */
	uint64_t replaced_ended;     /**< replaced dialogs ended by us */
	uint64_t xfer_live;          /**< transfer records in use (gauge) */
};

/* ------------------------------------------------------------ transferor */

struct sipdp_ua_xfer_refer {
	struct sipdp_str target;     /**< blind: Refer-To URI ("sip:carol@192.0.2.3") */
	sipdp_handle_t consult;      /**< attended: the consultation dialog; Refer-To
				          becomes its remote target with its Replaces
				          escaped in (RFC 5589 §7); target is ignored */
	struct sipdp_str referred_by; /**< Referred-By value, empty: our URI in the dialog */
	bool no_sub;                 /**< ask Refer-Sub: false (RFC 4488) */
	uint8_t bye;                 /**< enum sipdp_ua_xfer_bye */
	uint64_t app;                /**< returned in PROGRESS and DONE */
};

/**
 * Send a REFER in an established dialog. The outcome comes as exactly one
 * SIPDP_UA_XFER_EV_DONE (unless this returns an error).
 * @param xfer  out: the transfer handle.
 * @return 0; -ENOENT (stale dialog or consultation dialog); -EINVAL (not
 *         established, no target, a target with ?headers); -ENOSPC (table
 *         or transactions full); -EMSGSIZE.
 */
int sipdp_ua_xfer_refer(struct sipdp_ua *ua, sipdp_handle_t dlg, const struct sipdp_ua_xfer_refer *r,
			uint64_t now_us, sipdp_handle_t *xfer);

/* ------------------------------------------------------------ transferee */

struct sipdp_ua_xfer_accept {
	struct sipdp_tsx_dest dest; /**< next hop of the INVITE when has_dest */
	bool has_dest;              /**< else params.resolve on the target, else
				         the referring dialog's peer */
	struct sipdp_str from;      /**< From of the INVITE, empty: ours in the
				         referring dialog (without its tag) */
	struct sipdp_str extra;     /**< more header lines, each ending CRLF */
	struct sipdp_str ctype, body; /**< the offer */
	uint64_t app;               /**< application data of the new dialog */
};

/**
 * Accept a REFER (SIPDP_UA_XFER_EV_REFER): 202 Accepted, NOTIFY 100 Trying
 * (unless Refer-Sub: false), then an INVITE to the Refer-To target with
 * Referred-By and the Replaces of the Refer-To URI. The new dialog reports
 * through the usual callbacks; each provisional and the final are
 * NOTIFYed. On a 2xx the referring dialog is ended (see bye_wait_ms).
 * @param call  out (may be NULL): the new dialog.
 * @return 0; -ENOENT (stale transfer or dialog); -EINVAL (already
 *         decided); an error of sipdp_ua_invite() (the REFER was accepted
 *         and the failure is NOTIFYed as 503).
 */
int sipdp_ua_xfer_accept(struct sipdp_ua *ua, sipdp_handle_t xfer, const struct sipdp_ua_xfer_accept *a,
			 uint64_t now_us, sipdp_handle_t *call);

/**
 * Reject a REFER with @p status (300-699, e.g. 603). The record is freed
 * (SIPDP_UA_XFER_EV_ENDED, FAILED).
 * @return 0; -ENOENT; -EINVAL (bad status, already decided).
 */
int sipdp_ua_xfer_reject(struct sipdp_ua *ua, sipdp_handle_t xfer, uint16_t status, uint64_t now_us);

/**
 * Accept a REFER (SIPDP_UA_XFER_EV_REFER) without calling its target: 202
 * Accepted (echoing Refer-Sub: false when honoured) and, unless Refer-Sub:
 * false, NOTIFY 100 Trying. The application executes the transfer itself
 * and reports its progress with sipdp_ua_xfer_notify(). The subscription
 * still expires on its own timer (expires_s: a last NOTIFY with
 * terminated;reason=timeout, then SIPDP_UA_XFER_EV_ENDED, UNKNOWN); with
 * Refer-Sub: false the record is kept as long, so that a final can still
 * be reported. Inside on_xfer or later, like sipdp_ua_xfer_accept().
 * @return 0; -ENOENT (stale transfer or dialog); -EINVAL (already decided).
 */
int sipdp_ua_xfer_accept_external(struct sipdp_ua *ua, sipdp_handle_t xfer, uint64_t now_us);

/**
 * Report the progress of a transfer accepted with
 * sipdp_ua_xfer_accept_external(): NOTIFY with message/sipfrag
 * "SIP/2.0 <status> <reason>" (reason: the standard phrase).
 *  - 100-199: provisional; the subscription stays active. A provisional
 *    given while a NOTIFY is in flight waits for its answer, and is
 *    superseded by a newer provisional or a final (one NOTIFY at a time).
 *  - 200-699: final: Subscription-State: terminated;reason=noresource;
 *    once that NOTIFY is answered (or fails) the record ends with
 *    SIPDP_UA_XFER_EV_ENDED, SUCCESS for 2xx, FAILED otherwise, status
 *    @p status. Counted in transfers_ok / transfers_failed.
 * With Refer-Sub: false nothing is sent, but a final still ends the
 * record (ENDED at once, inside this call). Unlike sipdp_ua_xfer_accept(),
 * the UA does NOT end the referring dialog on success: the application
 * decides. The record may end before the application's final: expiry,
 * a failed NOTIFY, the end of the referring dialog (ENDED, UNKNOWN); then
 * this returns -ENOENT. While the expiry's own terminating NOTIFY is in
 * flight a provisional is dropped and a final only sets the result ENDED
 * will report.
 * @return 0; -ENOENT (stale transfer); -EINVAL (not accepted externally,
 *         a final already given, @p status outside 100-699).
 */
int sipdp_ua_xfer_notify(struct sipdp_ua *ua, sipdp_handle_t xfer, uint16_t status, uint64_t now_us);

/* -------------------------------------------------------- transfer target */

/**
 * Find a dialog of this UA by a Replaces value (RFC 3891 §6.1, unescaped),
 * e.g. ev->replaces of a SIPDP_UA_XFER_EV_REFER: call-id, to-tag = OUR
 * local tag, from-tag = our peer's tag, i.e. the dialog as the receiver of
 * an INVITE with that Replaces sees it (RFC 3891 §3; see the file comment
 * for why a Refer-To's Replaces has that orientation). The same rules as
 * an incoming INVITE with Replaces apply; no counter is touched.
 * Works whether or not transfer is enabled.
 * @param dlg  out: the dialog.
 * @return 0 with *dlg; -ENOENT (no such dialog, an ended one, a dialog
 *         without remote tag, or an early dialog we did not originate:
 *         where an INVITE would get 481); -EBUSY (a confirmed dialog and
 *         ;early-only: where an INVITE would get 486); -EINVAL (value
 *         unparsable, or a NULL argument).
 */
int sipdp_ua_dialog_by_replaces(const struct sipdp_ua *ua, struct sipdp_str replaces, sipdp_handle_t *dlg);


/**
 * The dialog that @p dlg (an incoming INVITE with Replaces) replaces.
 * @return 0; -ENOENT (@p dlg stale, or it replaces nothing).
 */
int sipdp_ua_xfer_replaced(const struct sipdp_ua *ua, sipdp_handle_t dlg, sipdp_handle_t *replaced);

/* ------------------------------------------------------------ inspection */

const struct sipdp_ua_xfer_stats *sipdp_ua_xfer_stats(const struct sipdp_ua *ua);
/** Transfer records in use (0 when xfer is not enabled). */
uint32_t sipdp_ua_xfer_count(const struct sipdp_ua *ua);
/** Print the counters and every transfer record. Cold path. @return 0, -EIO. */
int sipdp_ua_xfer_dump(const struct sipdp_ua *ua, FILE *f);

#endif /* SIPDP_UA_XFER_H */
