/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_CALL_POLICY_H
#define SIPDP_CALL_POLICY_H

/**
 * @file
 * The call policy above the UA: the rules of a configuration compiled once
 * (PCRE2 regexes, reject headers, redirect Contacts), matched against each
 * new INVITE, and the verdicts carried out on the UA (answer after an
 * optional 180/183 and a ring delay, reject, redirect, 403 for a drop that
 * reached the UA, 404 when nothing matches); the per-rule PRACK,
 * session-timer and transfer decisions (call_xfer.c); SDP templates.
 *
 * Everything that acts on the UA takes a struct sipdp_call_env: the
 * embedder's per-UA environment (UA, a timing wheel for ring delays and
 * auto transfers, local addresses, hooks for the config a call was set up
 * under). A bridge rule's INVITE is not carried out here: it is the
 * embedder's to hand to sipdp_call_bridge().
 *
 * Config handles. An answered call keeps the rule it was set up with across
 * reloads: its dialog's application word names the configuration (the
 * embedder's handle, a 64-byte aligned address below 2^48) with the rule
 * index and the local address. The embedder says what a handle's compiled
 * policy is (env->policy_of) and keeps it alive while calls hold it
 * (env->pin: +1 when a call takes it, -1 when it ends).
 *
 * Threading: a policy is read-only once made and may be shared by every
 * worker; an env and its scratch are one UA's, used on that UA's lcore
 * only. Nothing here allocates after the _create functions, locks, prints
 * or reads a clock (now_us is passed in).
 */

#include <stdbool.h>
#include <stdint.h>

#include "sipdp_call.h"
#include "sipdp_cfg.h"
#include "sipdp_msg.h"
#include "sipdp_timer.h"
#include "sipdp_ua.h"
#include "sipdp_ua_ext.h"

struct sipdp_call_policy;         /**< compiled rules of one config (opaque) */
struct sipdp_call_policy_scratch; /**< per-thread regex match data (opaque) */

/* ------------------------------------------------------ application words */

/*
 * The application word (sipdp_ua_event.app) of a dialog, one of:
 *  - 0: nothing to keep;
 *  - a generated call: bit 63, the low 6 bits of its number in bits 56..61
 *    and the time its INVITE left (us) below;
 *  - a consultation of an attended auto transfer: bit 62 and the handle of
 *    the call to transfer (its generation kept to 30 bits: a slot reused
 *    2^30 times makes the REFER fail as if the call were gone);
 *  - a leg of a bridge: SIPDP_CALL_APP_BRIDGE (bit 61, bits 62-63 clear);
 *  - a call under a rule (answered UAS calls, and the calls the UA makes for
 *    a REFER they accepted): the config handle | rule index, the local
 *    address index in bits 48..55.
 */
#define SIPDP_CALL_APP_GEN          (1ull << 63)
#define SIPDP_CALL_APP_GEN_T(app)   ((app) & ((1ull << 56) - 1))
#define SIPDP_CALL_APP_GEN_SEQ(app) ((unsigned)((app) >> 56) & 0x3fu)
#define SIPDP_CALL_APP_GEN_MAKE(t, seq) \
	(SIPDP_CALL_APP_GEN | ((uint64_t)((seq) & 0x3fu) << 56) | SIPDP_CALL_APP_GEN_T(t))
#define SIPDP_CALL_APP_CONSULT      (1ull << 62)
#define SIPDP_CALL_APP_CONSULT_MAKE(dlg) \
	(SIPDP_CALL_APP_CONSULT | ((dlg) & (SIPDP_CALL_APP_CONSULT - 1)))
#define SIPDP_CALL_APP_CONSULT_DLG(app) ((sipdp_handle_t)((app) & (SIPDP_CALL_APP_CONSULT - 1)))
#define SIPDP_CALL_APP_IS_RULE(app) ((app) != 0 && \
	!((app) & (SIPDP_CALL_APP_GEN | SIPDP_CALL_APP_CONSULT | SIPDP_CALL_APP_BRIDGE)))
#define SIPDP_CALL_APP_HANDLE(app)  ((uintptr_t)((app) & 0xffffffffffc0ull))
#define SIPDP_CALL_APP_RULE(app)    ((int)((app) & 0x3f))
#define SIPDP_CALL_APP_LOCAL(app)   ((uint8_t)((app) >> 48))
#define SIPDP_CALL_APP_RULE_MAKE(handle, rule, local) \
	((uint64_t)(uintptr_t)(handle) | (uint64_t)(rule) | ((uint64_t)(local) << 48))

/* Timer kinds on the env's wheel. The embedder expires the wheel and hands
 * each timer of these kinds to sipdp_call_policy_fire(). */
#define SIPDP_CALL_TK_RING 1  /**< ring delay of an answer rule */
#define SIPDP_CALL_TK_XFER 2  /**< auto transfer after the ACK */

/** req_ref of a session-refresh re-INVITE sent by sipdp_call_policy_ext(). */
#define SIPDP_CALL_REF_REFRESH 1

#define SIPDP_CALL_MAX_LOCAL 16                    /**< local addresses in an env */
#define SIPDP_CALL_IPSTR     48                    /**< an address as text, NUL included */
#define SIPDP_CALL_SDP_MAX   (SIPDP_CFG_SDP_LEN + 256) /**< an expanded SDP template */

/** Backtracking steps one regex match may take (PCRE2 match limit). */
#define SIPDP_CALL_REGEX_MATCH_LIMIT 100000u

/** Decisions of the transfer policy the UA does not count itself. */
struct sipdp_call_xfer_stats {
	uint64_t refers_accepted;  /**< REFERs of answered calls accepted */
	uint64_t auto_refers;      /**< our auto-transfer REFERs sent */
	uint64_t auto_refer_errors; /**< auto transfers that could not go on */
	uint64_t auto_consults;    /**< consultation calls of attended auto transfers */
	uint64_t sent_420, sent_421, sent_422; /**< INVITEs refused by a rule */
};

/** A local address: text for ${local_ip}, and its family. */
struct sipdp_call_local {
	char ip[SIPDP_CALL_IPSTR];
	int family;                /**< AF_INET / AF_INET6 */
};

/**
 * One UA's environment for the policy, filled by the embedder at start
 * (transparent: no allocation) and used on that UA's lcore only.
 */
struct sipdp_call_env {
	struct sipdp_ua *ua;                 /**< required */
	struct sipdp_timer_wheel *wheel;     /**< SIPDP_CALL_TK_* timers (required) */
	uint16_t shard_id;                   /**< high 16 bits of our SDP session ids */
	uint16_t nb_local;                   /**< entries in local[] (a source's local_id) */
	struct sipdp_call_local local[SIPDP_CALL_MAX_LOCAL];
	const char *contact;                 /**< From of our consultation calls */
	struct sipdp_call_policy_scratch *scratch; /**< made with _scratch_create */
	/** The compiled policy of a config handle; NULL: the handle is the
	 *  policy's own address. */
	const struct sipdp_call_policy *(*policy_of)(void *user, uintptr_t handle);
	/** A call takes (+1) or gives back (-1) a config handle. May be NULL. */
	void (*pin)(void *user, uintptr_t handle, int delta);
	/** An answer rule's call was answered 2xx (setup-time metrics). May be NULL. */
	void (*answered)(void *user, sipdp_handle_t dlg);
	void *user;                          /**< passed to policy_of, pin and answered */
	struct sipdp_call_xfer_stats xs;     /**< ours, read by the embedder */
	char sdp[SIPDP_CALL_SDP_MAX];        /**< the last SDP expanded */
};

/* ---------------------------------------------------------------- policy */

/**
 * Compile the policy of @p cfg (regexes compiled, and JIT-compiled when the
 * platform has a JIT, once here; @p cfg must outlive the policy). The
 * policy is 64-byte aligned below 2^48, so it can be its own config handle.
 * Cold. @return 0, -EINVAL (a regex does not compile), -ENOMEM.
 */
int sipdp_call_policy_create(const struct sipdp_cfg *cfg, struct sipdp_call_policy **out);

/** As sipdp_call_policy_create(), with the reason of an -EINVAL written to
 *  @p err (NUL-terminated, @p cap bytes; may be NULL). Cold. */
int sipdp_call_policy_create_err(const struct sipdp_cfg *cfg, struct sipdp_call_policy **out,
				 char *err, size_t cap);

/** Free a policy. NULL accepted. Cold. */
void sipdp_call_policy_destroy(struct sipdp_call_policy *p);

/** The config a policy was made from. */
const struct sipdp_cfg *sipdp_call_policy_cfg(const struct sipdp_call_policy *p);

/** Per-thread state of the match functions: one per worker, made at start
 *  (allocates). @return 0, -ENOMEM. */
int sipdp_call_policy_scratch_create(struct sipdp_call_policy_scratch **out);
void sipdp_call_policy_scratch_destroy(struct sipdp_call_policy_scratch *s);

/**
 * First rule matching a request (every set field must match: method,
 * Request-URI user exact / prefix / regex, Request-URI host
 * case-insensitive, From user, source network). @p family AF_INET or
 * AF_INET6, @p src the source address (network order, 4 or 16 bytes).
 * Regexes are PCRE2, matched on the user part in place (no copy) with the
 * caller's scratch; a match that exceeds SIPDP_CALL_REGEX_MATCH_LIMIT counts
 * as no match. @return the rule index, or -ENOENT when none matches.
 */
int sipdp_call_policy_match(const struct sipdp_call_policy *p, const struct sipdp_msg *m,
			    int family, const uint8_t *src, struct sipdp_call_policy_scratch *scratch);

/**
 * The first bridge rule a new call to @p uri (a transfer target: no
 * message, no source, no From) would match: its Request-URI conditions must
 * hold, and a rule that also asks for a From user, a source network or
 * another method than INVITE cannot be met without a request, so it is
 * passed over. @return the rule index; -ENOENT; -EINVAL (not a URI).
 */
int sipdp_call_policy_match_uri(const struct sipdp_call_policy *p, struct sipdp_str uri,
				struct sipdp_call_policy_scratch *scratch);

/**
 * Expand an SDP template: ${local_ip}, ${ip_version} (IP4 / IP6),
 * ${session_id}, ${session_version}; anything else is copied as is.
 * @return bytes written (NUL added, not counted); -ENOSPC when @p cap is too
 *         small.
 */
int sipdp_call_sdp_expand(const char *tmpl, const char *local_ip, int family,
			  uint64_t session_id, uint64_t session_version, char *out, uint32_t cap);

/** What sipdp_call_policy_incoming() did with a new INVITE. */
enum sipdp_call_verdict {
	SIPDP_CALL_VERDICT_NONE_404 = 0, /**< no rule: 404 */
	SIPDP_CALL_VERDICT_ANSWER,       /**< answered (now or after the ring delay) */
	SIPDP_CALL_VERDICT_REFUSED,      /**< answer rule, but 420/421/422 (PRACK, timers) */
	SIPDP_CALL_VERDICT_REJECT,       /**< the rule's reject code */
	SIPDP_CALL_VERDICT_REDIRECT,     /**< the rule's 3xx with its Contact */
	SIPDP_CALL_VERDICT_DROP_403,     /**< a drop rule the pre-check missed: 403 */
	SIPDP_CALL_VERDICT_BRIDGE,       /**< nothing done: the embedder bridges it */
};

/**
 * Carry out rule @p rule (of @p p, -1: none) for a new INVITE, from inside
 * on_incoming (@p ev is that event). An answered call's application word
 * names @p handle (the embedder's name for @p p, see env->policy_of) and
 * takes a pin on it. Ring delays are timers on env->wheel.
 * @return the verdict carried out (BRIDGE: nothing was done).
 */
enum sipdp_call_verdict sipdp_call_policy_incoming(struct sipdp_call_env *e,
	const struct sipdp_call_policy *p, uintptr_t handle, const struct sipdp_ua_event *ev,
	int rule, uint64_t now_us);

/**
 * An in-dialog request of a call that is not bridged (on_request): 200,
 * with the call's SDP again for an offer (a re-INVITE, or an UPDATE with a
 * body); a re-INVITE without one gets it as our offer (RFC 3261 §14.2).
 */
void sipdp_call_policy_request(struct sipdp_call_env *e, const struct sipdp_ua_event *ev,
			       uint64_t now_us);

/** A call ended (on_terminated): a rule call gives its pin back. */
void sipdp_call_policy_terminated(struct sipdp_call_env *e, const struct sipdp_ua_event *ev);

/** A timer of kind SIPDP_CALL_TK_* on env->wheel fired. */
void sipdp_call_policy_fire(struct sipdp_call_env *e, const struct sipdp_timer_event *ev,
			    uint64_t now_us);

/** The SDP of rule call @p app for dialog @p dlg (@p fresh: a new session
 *  id, for another call of ours), in env->sdp; empty when the rule has no
 *  template or @p app names no rule. */
struct sipdp_str sipdp_call_policy_sdp(struct sipdp_call_env *e, uint64_t app,
				       sipdp_handle_t dlg, bool fresh);

/* ------------------------------------------- transfer, PRACK, timers */

/**
 * The UA's 100rel and session-timer gates from every rule of @p cfg (the
 * stack supports 100rel when an answer or bridge rule does, runs session
 * timers with the smallest Min-SE of the rules that enable them), and the
 * transfer support (max_subscriptions). Fills @p up's rel100,
 * session_expires_s, min_se_s, refresher and points up->xfer at @p xp; the
 * embedder sets the callbacks (xp->on_xfer, cb.on_confirmed, cb.on_ext).
 */
void sipdp_call_xfer_params(const struct sipdp_cfg *cfg, struct sipdp_ua_params *up,
			    struct sipdp_ua_xfer_params *xp);

/**
 * Per-call PRACK and session-timer setup of an answer rule's INVITE (rule
 * @p rule of @p p): 420 when the rule turns 100rel off and the UAC requires
 * it, 421 when the rule requires it and the UAC does not support it, 422
 * when Session-Expires is below the rule's Min-SE; else the call's 100rel
 * and session timer are set from the rule. Called by
 * sipdp_call_policy_incoming(). @return true when the INVITE was refused.
 */
bool sipdp_call_xfer_incoming(struct sipdp_call_env *e, const struct sipdp_call_policy *p,
			      const struct sipdp_ua_event *ev, int rule, uint64_t now_us);

/**
 * A transfer event that is not a bridge's nor a generated call's: a REFER
 * in a rule call is accepted (the UA calls the Refer-To target, an IP
 * literal, under the same rule and pin) or refused with 603 (rule says
 * reject, or the target is a host name); the outcome of our auto transfer
 * ends its consultation when it failed.
 */
void sipdp_call_xfer_event(struct sipdp_call_env *e, const struct sipdp_ua_xfer_event *ev,
			   uint64_t now_us);

/** A rule call was confirmed (ACK): arm its auto transfer, if any. */
void sipdp_call_xfer_confirmed(struct sipdp_call_env *e, const struct sipdp_ua_event *ev,
			       uint64_t now_us);

/** A final answer to one of our INVITEs: a consultation's 2xx sends the
 *  REFER with Replaces (RFC 5589 §7). Other app words are ignored. */
void sipdp_call_xfer_answered(struct sipdp_call_env *e, const struct sipdp_ua_event *ev,
			      uint64_t now_us);

/** A failure to one of our INVITEs: a refused consultation is counted. */
void sipdp_call_xfer_failed(struct sipdp_call_env *e, const struct sipdp_ua_event *ev);

/**
 * A session refresh is due (on_ext, SIPDP_UA_EV_REFRESH_DUE): re-INVITE
 * (req_ref SIPDP_CALL_REF_REFRESH) with the session's SDP again (RFC 4028
 * §10): a rule call's from its rule, a generated call's is @p gen_sdp
 * (ignored for other calls).
 */
void sipdp_call_policy_refresh(struct sipdp_call_env *e, const struct sipdp_ua_event *ev,
			       struct sipdp_str gen_sdp, uint64_t now_us);

#endif /* SIPDP_CALL_POLICY_H */
