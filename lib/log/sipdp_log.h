/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_LOG_H
#define SIPDP_LOG_H

/**
 * @file
 * Logging through DPDK's rte_log, one log type per component
 * ("sipdp.app", "sipdp.cfg", ... "sipdp.policy": the keys of the config's
 * log.components), levels from the config and at run time, and rate
 * limiting for every line a peer can trigger.
 *
 * Rate-limited lines go through a caller-owned bucket (struct
 * sipdp_ratelim, one per component per thread: a worker owns its own, so
 * no atomics): @c burst lines at once, then @c rate per second; what is
 * refused is counted and the next line let through is preceded by
 * "sipdp.<comp>: N lines suppressed". A line whose level is off costs one
 * rte_log_can_log() and touches no bucket.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "sipdp_cfg.h"
#include "sipdp_ratelim.h"

/** Components: the same indexes as enum sipdp_cfg_log_comp. */
enum sipdp_log_comp {
	SIPDP_LOG_APP = SIPDP_CFG_LOG_APP,
	SIPDP_LOG_CFG = SIPDP_CFG_LOG_CFG,
	SIPDP_LOG_SIPMSG = SIPDP_CFG_LOG_SIPMSG,
	SIPDP_LOG_TSX = SIPDP_CFG_LOG_TSX,
	SIPDP_LOG_DLG = SIPDP_CFG_LOG_DLG,
	SIPDP_LOG_UA = SIPDP_CFG_LOG_UA,
	SIPDP_LOG_DP = SIPDP_CFG_LOG_DP,
	SIPDP_LOG_SHARD = SIPDP_CFG_LOG_SHARD,
	SIPDP_LOG_CTL = SIPDP_CFG_LOG_CTL,
	SIPDP_LOG_POLICY = SIPDP_CFG_LOG_POLICY,
	SIPDP_LOG_NCOMP = SIPDP_CFG_LOG_NCOMP
};

/**
 * Register the log types (idempotent: rte_log gives the same type back for
 * the same name). Before any other call, on the main thread, before or
 * after rte_eal_init(). @return 0 or -ENOMEM.
 */
int sipdp_log_init(void);

/** The rte_log type of a component (after sipdp_log_init). */
int sipdp_log_type(enum sipdp_log_comp c);

/** Component name without the prefix ("shard"), NULL when out of range. */
const char *sipdp_log_comp_name(enum sipdp_log_comp c);

/** Component of a name ("shard" or "sipdp.shard"). @return index or -ENOENT. */
int sipdp_log_comp_lookup(const char *name);

/**
 * Apply the config's levels: every component at its own level or
 * log.level (NOTICE when 0). Any thread (rte_log levels are atomic words).
 */
void sipdp_log_apply_cfg(const struct sipdp_cfg_log *cfg);

/**
 * Set one component's level at run time ("debug", "info"... or 1..8).
 * @return 0; -ENOENT (no such component); -EINVAL (no such level).
 */
int sipdp_log_set_level(const char *comp, const char *level);

/** Level name ("notice"), "?" out of range. */
const char *sipdp_log_level_name(uint32_t level);

/**
 * Current level of a component (rte_log_get_level). */
int sipdp_log_get_level(enum sipdp_log_comp c);

/** Set up a bucket from the config (log.rate, log.burst). */
void sipdp_log_ratelim_init(struct sipdp_ratelim *rl, const struct sipdp_cfg_log *cfg,
	uint64_t now_us);

/**
 * Log one line a peer can trigger, through @p rl, at @p now_us (the
 * caller's clock). Prefixed "sipdp.<comp>: ". Owning thread of @p rl.
 * @return true when the line was written (or would have been, had rte_log
 *         not failed); false when the level is off or the bucket refused it.
 */
bool sipdp_log_rl(struct sipdp_ratelim *rl, enum sipdp_log_comp c, uint32_t level,
	uint64_t now_us, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/** Log one line not triggered by a peer (start, reload, operator). */
void sipdp_log(enum sipdp_log_comp c, uint32_t level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * Register /sipdp/log: without parameters the level of every component;
 * with "COMP,LEVEL" (e.g. "shard,debug") set one at run time (until the
 * next reload, which applies the file's). @return 0 or -errno.
 */
int sipdp_log_telemetry_register(void);

#endif /* SIPDP_LOG_H */
