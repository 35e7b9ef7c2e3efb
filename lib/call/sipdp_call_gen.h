/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_CALL_GEN_H
#define SIPDP_CALL_GEN_H

/**
 * @file
 * The calls: generator: one UA's share of the configured calls, made as
 * UAC, paced by a token bucket on a clock the embedder passes in (any
 * units: clock_hz of them per second), each answered call held hold_ms on
 * the env's wheel and ended with BYE, or transferred to refer_to (blind,
 * RFC 5589 §6) a while after the answer. Everything a call needs lives in
 * its dialog's application word (SIPDP_CALL_APP_GEN: the time its INVITE
 * left), so nothing is allocated per call; counters, a small table of
 * failure statuses and a setup-time histogram are per generator, merged by
 * readers.
 *
 * Threading: a generator is made at start (cold) and then touched by its
 * UA's lcore only; its counters, report fields and histogram are written
 * with relaxed atomic stores so that another thread may read them with
 * relaxed loads at any time. The struct is transparent for those readers.
 */

#include <stdbool.h>
#include <stdint.h>

#include "sipdp_call_policy.h"

/* ----------------------------------------------------------- histogram */

/**
 * Setup-time histogram: values (microseconds) in log2 groups of 8 linear
 * sub-buckets, so any value is kept within 12.5 %. Fixed size, no
 * allocation per call; one per generator, merged for reports.
 */
#define SIPDP_CALL_HIST_SUB     8
#define SIPDP_CALL_HIST_BUCKETS (SIPDP_CALL_HIST_SUB * 62)

struct sipdp_call_hist {
	uint64_t count;
	uint64_t b[SIPDP_CALL_HIST_BUCKETS];
};

/** Record @p v. Owning lcore (relaxed stores). */
void sipdp_call_hist_add(struct sipdp_call_hist *h, uint64_t v);

/** Add @p src into @p dst (relaxed loads of @p src: a live generator's). */
void sipdp_call_hist_merge(struct sipdp_call_hist *dst, const struct sipdp_call_hist *src);

/**
 * The value under which @p permille of the recorded values fall (the
 * lowest value of the bucket holding that rank, so exact for values < 8
 * and at most 12.5 % low above). @return 0 when empty.
 */
uint64_t sipdp_call_hist_percentile(const struct sipdp_call_hist *h, unsigned permille);

/* ----------------------------------------------------------- generator */

#define SIPDP_CALL_GEN_STATUS    8       /**< distinct failure statuses counted */
#define SIPDP_CALL_GEN_NO_STATUS 0xffffu /**< in xstatus[]: a transfer failed without a
					      SIP status (REFER not sent, subscription ended) */

/* Timer kinds on the env's wheel (after SIPDP_CALL_TK_RING and _XFER): the
 * embedder hands them to sipdp_call_gen_fire(). */
#define SIPDP_CALL_TK_GEN_HOLD   3 /**< hold_ms of an answered call is over: BYE */
#define SIPDP_CALL_TK_GEN_REFER  4 /**< refer_after_ms is over: REFER */
#define SIPDP_CALL_TK_GEN_TARGET 5 /**< hold of a call we answered as the target of
				        our own transfers: BYE */
#define SIPDP_CALL_TK_GEN_OWNS(k) ((k) == SIPDP_CALL_TK_GEN_HOLD || \
	(k) == SIPDP_CALL_TK_GEN_REFER || (k) == SIPDP_CALL_TK_GEN_TARGET)

/** A generator's counters (relaxed stores by its lcore). */
struct sipdp_call_gen_stats {
	uint64_t attempted;       /**< INVITEs sent */
	uint64_t answered;        /**< 2xx (first of a call) */
	uint64_t failed;          /**< final >= 300, or no answer */
	uint64_t not_started;     /**< due, but a table (or max_concurrent) was full */
	uint64_t byes;            /**< calls we ended */
	uint64_t live;            /**< gauge: calls not yet terminated */
	uint64_t xfer_attempted;  /**< REFERs sent */
	uint64_t xfer_accepted;   /**< REFERs answered 2xx */
	uint64_t xfer_completed;  /**< a NOTIFY reported 2xx */
	uint64_t xfer_failed;     /**< transfers that did not complete */
	uint64_t target_byes;     /**< calls answered as our own transfer target, ended */
};

struct sipdp_call_gen_params {
	const struct sipdp_cfg_calls *calls; /**< the calls: section (kept: outlives the generator) */
	struct sipdp_tsx_dest dest;  /**< next hop of calls->target, local_id set */
	const char *local_ip;        /**< the local address the calls leave from (text) */
	const char *contact_user;    /**< From user when calls->from is empty */
	uint16_t index, count;       /**< this generator's share: index of count */
	uint64_t clock_hz;           /**< units per second of sipdp_call_gen_poll()'s clock */
};

/** One UA's share of the calls (transparent for readers; see @file). */
struct sipdp_call_gen {
	/* what each call sends, built once */
	char ruri[SIPDP_CFG_URI_LEN];
	char from[SIPDP_CFG_URI_LEN + 2];
	char to[SIPDP_CFG_URI_LEN + 2];
	char extra[64];
	uint32_t ruri_len, from_len, to_len, extra_len;
	struct sipdp_tsx_dest dest;
	const char *sdp_tmpl;           /**< "" in the config: NULL */
	char local_ip[SIPDP_CALL_IPSTR];
	uint32_t session_expires_s, min_se_s;
	uint8_t refresher;
	uint8_t rel100;                 /**< enum sipdp_ua_invite_100rel */
	/* pacing */
	uint64_t clock_hz;
	uint64_t rate;                  /**< this generator's calls per second */
	uint64_t burst;                 /**< bucket size, calls */
	uint64_t tokens;                /**< calls * clock_hz */
	uint64_t last_clk, end_clk;
	uint64_t quota;                 /**< calls to start; UINT64_MAX with duration_s */
	uint64_t started;               /**< calls due so far (started or not) */
	uint32_t duration_s;
	uint32_t hold_ms;
	uint32_t max_live;              /**< this share of max_concurrent, 0: none */
	uint64_t first_us, done_us;     /**< first poll of the run; stopped with no call left */
	bool stopped;                   /**< release store: no call will start any more */
	/* transfers (calls.refer_to) */
	char refer_to[SIPDP_CFG_URI_LEN]; /**< "" : no transfer */
	uint32_t refer_to_len;
	uint32_t refer_after_ms;
	/* report */
	struct sipdp_call_gen_stats st;
	uint16_t status[SIPDP_CALL_GEN_STATUS];  /**< failure statuses seen (0: free slot) */
	uint64_t status_count[SIPDP_CALL_GEN_STATUS];
	uint64_t status_other;
	uint16_t xstatus[SIPDP_CALL_GEN_STATUS]; /**< failed transfers by status */
	uint64_t xstatus_count[SIPDP_CALL_GEN_STATUS];
	uint64_t xstatus_other;
	struct sipdp_call_hist setup;   /**< INVITE sent -> 2xx received, us */
};

/**
 * Make a generator's share: rate, total and max_concurrent divided over
 * params->count (index i gets n / count, the first n % count one more);
 * a burst of 10 ms of calls at most (at least one). A share with rate 0 is
 * stopped from the start. Cold (allocates).
 * @return 0; -EINVAL (NULL, clock_hz 0, count 0, From too long, refer_to
 *         not a bare URI: the reason in @p err, may be NULL); -ENOMEM.
 */
int sipdp_call_gen_create(const struct sipdp_call_gen_params *params, struct sipdp_call_gen **out,
			  char *err, size_t cap);

/** Free it. NULL accepted. Cold. */
void sipdp_call_gen_destroy(struct sipdp_call_gen *g);

/**
 * Start the calls due at @p clock (at most 32 per poll): the first poll
 * starts the run with a full bucket of one call; the run stops (for good)
 * once the quota is reached, duration_s has passed, or @p stop (the
 * embedder drains). @p now_us is the UA's clock. NULL @p g: 0.
 * @return the calls due in this poll (started or counted not_started).
 */
int sipdp_call_gen_poll(struct sipdp_call_gen *g, struct sipdp_call_env *e, uint64_t clock,
			uint64_t now_us, bool stop);

/** A timer of kind SIPDP_CALL_TK_GEN_* on env->wheel fired. */
void sipdp_call_gen_fire(struct sipdp_call_gen *g, struct sipdp_call_env *e,
			 const struct sipdp_timer_event *ev, uint64_t now_us);

/** on_answered: a generated call's 2xx (hold timer or REFER timer armed);
 *  other app words are ignored. */
void sipdp_call_gen_answered(struct sipdp_call_gen *g, struct sipdp_call_env *e,
			     const struct sipdp_ua_event *ev, uint64_t now_us);

/** on_failed: a generated call failed (counted by status). */
void sipdp_call_gen_failed(struct sipdp_call_gen *g, const struct sipdp_ua_event *ev);

/** on_terminated: a generated call is gone (live - 1). */
void sipdp_call_gen_terminated(struct sipdp_call_gen *g, const struct sipdp_ua_event *ev,
			       uint64_t now_us);

/** A transfer event (DONE, PROGRESS) of a generated call's REFER: counted;
 *  a transfer that did not complete ends its call. */
void sipdp_call_gen_xfer(struct sipdp_call_gen *g, struct sipdp_call_env *e,
			 const struct sipdp_ua_xfer_event *ev, uint64_t now_us);

/** on_confirmed of a rule call while transfers run: a sipdp that transfers
 *  its calls back to itself is the target too, and ends those calls after
 *  hold_ms. */
void sipdp_call_gen_confirmed(struct sipdp_call_gen *g, struct sipdp_call_env *e,
			      const struct sipdp_ua_event *ev, uint64_t now_us);

/**
 * The offer of generated call @p app: the same text each time for a call
 * (a refresh repeats it, RFC 4028 §10), one o= session id per call (shard,
 * start time and number, RFC 4566 §5.2), written to @p buf. Empty for
 * another app word, without a template, or with a NULL @p g.
 */
struct sipdp_str sipdp_call_gen_sdp(const struct sipdp_call_gen *g, uint16_t shard_id,
				    uint64_t app, char *buf, uint32_t cap);

#endif /* SIPDP_CALL_GEN_H */
