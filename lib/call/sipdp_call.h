/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_CALL_H
#define SIPDP_CALL_H

/**
 * @file
 * Call logic above the UA: the B2BUA bridge (docs/b2bua.md).
 *
 * A bridge pairs two dialogs of one UA (one shard): the A leg, a UAS dialog
 * made by an incoming INVITE, and the B leg, a UAC dialog sipdp creates
 * towards a target of the matching rule (struct sipdp_cfg_bridge). The UA
 * knows nothing of bridges: the embedder hands every UA event of a dialog
 * whose application word is a bridge's (sipdp_call_app_is_bridge()) to
 * sipdp_call_on_event(), and each event of one leg maps to at most one
 * action on the other (the table in call_relay.c).
 *
 * Topology hiding. The B leg's Call-ID, tags, branches and Contact are the
 * UA's own (shard-encoded, so the B side's replies come back to this shard
 * with no lookup). Of the A side's message only the From URI and display
 * name, the Request-URI user and host (through the target template), the
 * body with its Content-Type, and the headers named in the rule's
 * allow-list cross; the same holds the other way. Supported, Require,
 * session timers and 100rel are each leg's own (the UA runs them).
 *
 * Threading: one struct sipdp_call per UA, used only on the lcore that owns
 * the UA. Nothing allocates after sipdp_call_create(), nothing locks, nothing
 * reads a clock (now_us is passed in), nothing prints except the dumps.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sipdp_cfg.h"
#include "sipdp_ua.h"

struct sipdp_call; /* opaque, one per UA */

/** Application words of bridged dialogs: bit 61 set, bits 62-63 clear. */
#define SIPDP_CALL_APP_BRIDGE (1ull << 61)
#define SIPDP_CALL_APP_MASK   (7ull << 61)

/** True when @p app (sipdp_ua_event.app) names a leg of a bridge. */
static inline bool
sipdp_call_app_is_bridge(uint64_t app)
{
	return (app & SIPDP_CALL_APP_MASK) == SIPDP_CALL_APP_BRIDGE;
}

/**
 * Policy hook for a transfer target (REFER termination): the bridge rule
 * the embedder's policy picks for a new call to @p target (a Refer-To URI
 * without its ?headers), or NULL when no bridge rule matches it.
 */
typedef const struct sipdp_cfg_bridge *(*sipdp_call_route_fn)(void *user, struct sipdp_str target);

/**
 * Embedder's part of a destination: the local port / queue (local_id) and
 * anything else struct sipdp_tsx_dest leaves to it. Called after lib/call
 * filled transport, family (AF_INET / AF_INET6), port and addr. May be NULL.
 */
typedef void (*sipdp_call_dest_fn)(void *user, struct sipdp_tsx_dest *dest);

/**
 * A bridge is freed: @p bridge_user is the value given to
 * sipdp_call_bridge() for it. Called exactly once per bridge that
 * sipdp_call_bridge() created (not for INVITEs it answered at once), from
 * inside whatever call ended it (an event, a timer, destroy excepted). The
 * embedder releases what it pinned for the bridge (the config snapshot its
 * route lives in). May be NULL.
 */
typedef void (*sipdp_call_released_fn)(void *user, uint64_t bridge_user);

struct sipdp_call_params {
	struct sipdp_ua *ua;       /**< the shard's UA (required) */
	uint32_t bridges;          /**< bridge capacity, > 0 */
	uint32_t setups;           /**< calls being set up or relaying an offer at
				        once (each holds a buffer of setup_bytes),
				        0 = bridges / 4 (at least 16) */
	uint32_t setup_bytes;      /**< bytes per setup buffer, 0 = 4096 */
	uint32_t retry_after_s;    /**< Retry-After of our 503s, 0 = 5 */
	uint64_t seed;             /**< weighted choice among equal priorities */
	uint64_t now_us;
	sipdp_call_route_fn route; /**< REFER targets; NULL: REFERs get 403 */
	sipdp_call_dest_fn dest;   /**< may be NULL */
	sipdp_call_released_fn released; /**< may be NULL */
	void *user;                /**< passed to route, dest and released */
};

/** Counters (sipdp_call_stats()). */
struct sipdp_call_stats {
	uint64_t bridges_in;        /**< INVITEs given to sipdp_call_bridge() */
	uint64_t bridges_answered;  /**< A leg answered 2xx */
	uint64_t bridges_failed;    /**< A leg answered >= 300 (after failover) */
	uint64_t bridges_cancelled; /**< the caller cancelled */
	uint64_t full_503;          /**< refused: bridge or setup table full */
	uint64_t all_down_503;      /**< refused: every target is down */
	uint64_t too_many_hops_483; /**< Max-Forwards: 0 */
	uint64_t loop_482;          /**< our own B-leg INVITE came back */
	uint64_t b_send_errors;     /**< B-leg INVITEs that could not be sent */
	uint64_t failovers;         /**< next target tried */
	uint64_t ring_timeouts;     /**< no 1xx in ring_timeout_ms */
	uint64_t answer_timeouts;   /**< no final in answer_timeout_ms */
	uint64_t redirects_followed;
	uint64_t forks_answered_late; /**< 2xx of a losing fork (ACK + BYE by the UA) */
	uint64_t targets_down;      /**< targets marked down */
	uint64_t targets_up;        /**< targets back up (probe answered) */
	uint64_t probes_sent, probes_ok, probes_failed;
	uint64_t relayed_requests;  /**< in-dialog requests carried across */
	uint64_t relayed_responses; /**< their answers carried back */
	uint64_t glare_491;         /**< offers refused while one crossed the bridge */
	uint64_t leg_died;          /**< other leg ended: 408/481 to an in-dialog request */
	uint64_t max_duration_ends; /**< calls ended at max_duration_s */
	uint64_t refers_terminated; /**< REFERs executed by sipdp */
	uint64_t refers_rejected;   /**< REFERs refused (rule, no route, busy) */
	uint64_t refers_passed;     /**< REFERs relayed to the other leg (refer: pass) */
	uint64_t joins_local;       /**< attended transfers joined on this shard */
	uint64_t refers_elsewhere_501; /**< Replaces naming a dialog not on this shard */
	uint64_t transfers_ok;      /**< remaining leg bridged to the target */
	uint64_t transfers_failed;  /**< target failed: the call stays as it was */
	uint32_t bridges_live;      /**< gauge */
	uint32_t setups_live;       /**< gauge */
	uint32_t targets_down_now;  /**< gauge */
};

/**
 * Create the bridge table of one UA. Allocates everything it will use.
 * @return 0; -EINVAL (NULL, no UA, zero bridges, setup_bytes below 1024);
 *         -ENOMEM.
 */
int sipdp_call_create(const struct sipdp_call_params *params, struct sipdp_call **out);

/** Free it (no signalling: the UA's dialogs are the embedder's). NULL ok. */
void sipdp_call_destroy(struct sipdp_call *c);

/**
 * Bridge an incoming INVITE: from inside on_incoming (@p ev is that event).
 * Answers the A leg itself when it cannot go on: 483 (Max-Forwards 0), 482
 * (our own B-leg INVITE looped back), 420/421 (100rel against the rule),
 * 503 with Retry-After (bridge or setup table full, every target down), or
 * the best final of the targets. @p route must stay valid until the
 * bridge's released hook has run for @p bridge_user: take what pins it
 * before this call, and drop it yourself when this returns 0 or less.
 * @return 1 when a bridge was made: released runs for it exactly once
 *         (possibly already, inside this call, when A was answered at once);
 *         0 when the INVITE was answered before any bridge was made;
 *         -EINVAL (not an INCOMING event, NULL route, no targets).
 */
int sipdp_call_bridge(struct sipdp_call *c, const struct sipdp_ua_event *ev,
		      const struct sipdp_cfg_bridge *route, uint64_t bridge_user, uint64_t now_us);

/**
 * A UA event (any callback but on_incoming, including on_ext) of a dialog
 * whose application word is a bridge's, or an on_response with
 * ev->dlg == SIPDP_HANDLE_INVALID whose req_ref is one of our probes.
 * @return true when it was ours and handled.
 */
bool sipdp_call_on_event(struct sipdp_call *c, const struct sipdp_ua_event *ev, uint64_t now_us);

/**
 * A transfer event (sipdp_ua_xfer_params.on_xfer) of a bridged dialog.
 * @return true when it was ours and handled.
 */
bool sipdp_call_on_xfer(struct sipdp_call *c, const struct sipdp_ua_xfer_event *ev, uint64_t now_us);

/** True when @p req_ref (on_response with no dialog) is one of our probes. */
bool sipdp_call_owns_ref(uint64_t req_ref);

/** Run the bridge timers due at @p now_us, at most @p max. @return fired. */
int sipdp_call_expire(struct sipdp_call *c, uint64_t now_us, uint32_t max);

/** When to call sipdp_call_expire() next. @return 0, -ENOENT (none armed). */
int sipdp_call_next_expiry(const struct sipdp_call *c, uint64_t *at_us);

const struct sipdp_call_stats *sipdp_call_stats(const struct sipdp_call *c);
/** Bridges in use. */
uint32_t sipdp_call_count(const struct sipdp_call *c);
/** Bytes held per bridge (its record), for the memory budget. */
size_t sipdp_call_bytes_per_bridge(const struct sipdp_call *c);

/** Health of one target as this shard sees it. */
struct sipdp_call_target_state {
	bool down;
	uint32_t fails_in_row;
	uint64_t down_until_us;  /**< next probe at or after this time */
};
/** @return 0; -ENOENT (never used by this shard). */
int sipdp_call_target_state(const struct sipdp_call *c, const struct sipdp_cfg_target *t,
			    struct sipdp_call_target_state *st);

/**
 * Overload control, one window of a worker: the share of new INVITEs to
 * shed next (for sipdp_tsx_set_shedding()), from the share shed now and
 * the window's RX polls: @p full_polls came back with a full burst,
 * @p short_polls with less (empty included), @p busy_polls with at least
 * one packet. Behind — full bursts and not one short poll: the worker
 * never caught up — raises it by 10 points; a window in which nothing
 * arrived (idle, link down, not polled) ends shedding at once: there is
 * nothing to shed; any other window lowers it by 5.
 */
uint8_t sipdp_call_overload_step(uint8_t shed_pct, uint32_t full_polls, uint32_t short_polls,
				 uint32_t busy_polls);

/** Print the counters, the targets and every bridge. Cold path. @return 0, -EIO. */
int sipdp_call_dump(const struct sipdp_call *c, FILE *f);

#endif /* SIPDP_CALL_H */
