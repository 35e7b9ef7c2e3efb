/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_RATELIM_H
#define SIPDP_RATELIM_H

/**
 * @file
 * Token bucket for anything a peer can make us do over and over (log
 * lines above all): @c burst events at once, then @c rate per second.
 * The caller passes the time, as everywhere in the core, so a test drives
 * it with a fake clock. What is refused is counted, and handed back with
 * the next event let through so it can say "N lines suppressed".
 *
 * One bucket belongs to one thread (a worker owns its buckets): no atomics.
 */

#include <stdbool.h>
#include <stdint.h>

struct sipdp_ratelim {
	uint64_t tokens;      /* in 1/1e6 of an event: refills without division */
	uint64_t last_us;     /* time of the last refill */
	uint64_t cap;         /* burst * 1e6 */
	uint32_t rate;        /* events per second */
	uint32_t burst;
	uint64_t suppressed;  /* refused since the last event let through */
	uint64_t suppressed_total;
};

/**
 * Set up a bucket, full. @p rate events per second (0: only the burst,
 * never refilled), @p burst events at once (at least 1).
 */
void sipdp_ratelim_init(struct sipdp_ratelim *rl, uint32_t rate, uint32_t burst, uint64_t now_us);

/**
 * Take one event at @p now_us (never earlier than the last call's; an
 * earlier time refills nothing).
 * @param[out] suppressed  when let through: events refused since the
 *                         previous one let through (then reset to 0).
 * @return true: go ahead; false: refused (counted).
 */
bool sipdp_ratelim_take(struct sipdp_ratelim *rl, uint64_t now_us, uint64_t *suppressed);

#endif /* SIPDP_RATELIM_H */
