/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_TIMER_H
#define SIPDP_TIMER_H

/**
 * @file
 * Per-shard hierarchical timing wheel: O(1) start and stop, batch expiry.
 *
 * One wheel belongs to one shard (one lcore); nothing here is thread-safe and
 * nothing takes a lock. All memory is taken by sipdp_timer_create(); start,
 * stop and expire never allocate.
 *
 * Clock: the wheel never reads a clock. Every time is an absolute
 * microsecond count on the caller's monotonic clock, passed in. Times are cut
 * into ticks of params.tick_us counted from 0 on that clock.
 *
 * Precision: a timer never fires early. It fires during the first
 * sipdp_timer_expire() call whose now_us has reached its expire time rounded
 * UP to the next tick boundary. With tick_us = 1000, a timer due at 500.0 ms
 * fires on the first call with now_us >= 500000, and one due at 500.4 ms on
 * the first call with now_us >= 501000.
 *
 * Order: timers fire in non-decreasing order of their due tick, across calls
 * too (a batch cap never reorders). Within one tick the order is unspecified.
 * The exception is a "late" timer, started with an expire time at or before
 * the last tick the wheel has processed (the due time is already reached):
 * it fires on the next expire() call, never in the call that started it (so a
 * callback re-arming with zero delay cannot spin), after the timers a batch
 * cap left over and before any tick that call goes on to process.
 *
 * Range: any 64-bit tick. Four levels of 256 slots cover 2^32 ticks (49 days
 * at 1 ms) in O(1); beyond that timers wait on an overflow list that is
 * revisited once every 2^32 ticks.
 *
 * Memory: 32 bytes per timer of capacity, plus about 32 KiB of list heads.
 *
 * Handles are index + generation (lib/base handle layout): once a timer fired
 * or was stopped, its handle is dead for good, even after the slot is reused,
 * so stopping it again is a harmless -ENOENT. A generation wraps only after
 * 2^31 reuses of the same slot. SIPDP_TIMER_HANDLE_INVALID (0) never names a
 * timer: objects may initialise their handle fields to it and stop
 * unconditionally.
 */

#include <stdint.h>
#include <stdio.h>

#include "sipdp_pool.h"

/** Index + generation, as in sipdp_pool.h. */
typedef sipdp_handle_t sipdp_timer_handle_t;
#define SIPDP_TIMER_HANDLE_INVALID ((sipdp_timer_handle_t)0)

/** Largest accepted capacity (keeps every index, list heads included, in 32 bits). */
#define SIPDP_TIMER_CAPACITY_MAX (1u << 28)

/** Pass as @p max to sipdp_timer_expire() to fire everything due. */
#define SIPDP_TIMER_EXPIRE_ALL UINT32_MAX

struct sipdp_timer_wheel; /* opaque, one per shard */

struct sipdp_timer_params {
	uint32_t capacity; /**< max concurrent timers, 1..SIPDP_TIMER_CAPACITY_MAX */
	uint32_t tick_us;  /**< granularity in microseconds, > 0 (e.g. 1000) */
};

/** What sipdp_timer_expire() hands to its callback for each timer that fires. */
struct sipdp_timer_event {
	uint64_t user;               /**< the value given to sipdp_timer_start() */
	uint64_t due_us;             /**< its expire time rounded up to the tick */
	sipdp_timer_handle_t handle; /**< the timer's handle, already dead */
	uint16_t kind;               /**< the kind given to sipdp_timer_start() */
};

/**
 * Called once per fired timer. The timer is already released when this runs:
 * its handle is dead (stop returns -ENOENT) and its slot may be reused by a
 * start from the callback itself.
 *
 * The callback may start and stop any timers, including re-arming the same
 * object and stopping a timer that is due in the same batch (that timer then
 * does not fire). It must not call sipdp_timer_expire() (-EBUSY) nor
 * sipdp_timer_destroy().
 */
typedef void (*sipdp_timer_expire_fn)(void *arg, const struct sipdp_timer_event *ev);

struct sipdp_timer_stats {
	uint64_t started;   /**< successful starts */
	uint64_t stopped;   /**< successful stops */
	uint64_t fired;     /**< callbacks made */
	uint64_t cascaded;  /**< moves of a timer to a finer level */
	uint64_t full;      /**< starts refused with -ENOSPC */
	uint32_t in_use;    /**< timers armed now */
	uint32_t in_use_max; /**< high-water mark of in_use */
};

/**
 * Create a wheel. Allocates everything it will ever use.
 * Any lcore; the wheel then belongs to the lcore that uses it.
 * @param params  capacity and tick; not kept.
 * @param now_us  current time: ticks up to and including now's are taken as
 *                already processed.
 * @param out     receives the wheel.
 * @return 0; -EINVAL for a NULL argument, a zero tick, or a capacity of 0 or
 *         above SIPDP_TIMER_CAPACITY_MAX; -ENOMEM.
 */
int sipdp_timer_create(const struct sipdp_timer_params *params, uint64_t now_us,
		       struct sipdp_timer_wheel **out);

/** Free a wheel and every timer in it (no callback is made). NULL is accepted. */
void sipdp_timer_destroy(struct sipdp_timer_wheel *w);

/**
 * Arm a timer. O(1).
 * @param w          the shard's wheel.
 * @param expire_us  absolute time it is due (see Precision above); a time
 *                   already reached makes a late timer (see Order above).
 * @param user       caller data handed back on expiry (e.g. the owning
 *                   object's handle).
 * @param kind       caller's timer kind handed back on expiry (e.g. Timer A).
 * @param out        receives the handle; may be NULL for a timer that will
 *                   never be stopped.
 * @return 0; -ENOSPC when capacity timers are already armed (nothing changes).
 */
int sipdp_timer_start(struct sipdp_timer_wheel *w, uint64_t expire_us, uint64_t user,
		      uint16_t kind, sipdp_timer_handle_t *out);

/**
 * Disarm a timer: it will not fire. O(1).
 * @return 0; -ENOENT when @p h does not name an armed timer of this wheel
 *         (already fired, already stopped, SIPDP_TIMER_HANDLE_INVALID, or
 *         garbage): nothing changes, whatever now occupies the slot.
 */
int sipdp_timer_stop(struct sipdp_timer_wheel *w, sipdp_timer_handle_t h);

/**
 * Fire the timers due at @p now_us, at most @p max of them, calling
 * @p cb(arg, event) for each. Timers left over by the cap stay due and fire
 * first on the next call (in tick order). @p now_us may jump any distance
 * ahead (hours): the work done is proportional to the timers moved or fired,
 * not to the ticks skipped. @p now_us must not go backwards; if it does,
 * nothing new becomes due (already-due timers still fire).
 * @param cb   called for each fired timer (not NULL); @p arg is passed to it.
 * @param max  cap on callbacks for this call; 0 does nothing;
 *             SIPDP_TIMER_EXPIRE_ALL for no cap (values above INT32_MAX are
 *             treated as INT32_MAX).
 * @return the number of timers fired (>= 0); -EBUSY when called from inside
 *         an expiry callback of the same wheel.
 */
int sipdp_timer_expire(struct sipdp_timer_wheel *w, uint64_t now_us,
		       sipdp_timer_expire_fn cb, void *arg, uint32_t max);

/**
 * When to call sipdp_timer_expire() next, for a control loop that sleeps.
 * The answer is never later than the earliest armed timer's fire time; it can
 * be earlier (a tick where far timers move to a finer level, after which a
 * new call gives a later time). Timers already due give the time of the last
 * tick processed, which is in the past.
 * @return 0 with *at_us set; -ENOENT when no timer is armed.
 */
int sipdp_timer_next_expiry(const struct sipdp_timer_wheel *w, uint64_t *at_us);

/**
 * Expire time (rounded up to the tick) of an armed timer.
 * @return 0 with *due_us set; -ENOENT as for sipdp_timer_stop().
 */
int sipdp_timer_due(const struct sipdp_timer_wheel *w, sipdp_timer_handle_t h, uint64_t *due_us);

/** Number of armed timers (late and due-but-capped ones included). */
uint32_t sipdp_timer_count(const struct sipdp_timer_wheel *w);

/** Capacity the wheel was created with. */
uint32_t sipdp_timer_capacity(const struct sipdp_timer_wheel *w);

/** Copy the counters into @p out. */
void sipdp_timer_stats(const struct sipdp_timer_wheel *w, struct sipdp_timer_stats *out);

/**
 * Print the wheel's state for operators: parameters, counters, occupancy per
 * level. Walks every list: control core or tests only, never on the fast
 * path, and only while the owning lcore is not using the wheel.
 * @return 0; -EIO when writing to @p f failed.
 */
int sipdp_timer_dump(const struct sipdp_timer_wheel *w, FILE *f);

#endif /* SIPDP_TIMER_H */
