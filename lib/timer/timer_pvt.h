/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_TIMER_PVT_H
#define SIPDP_TIMER_PVT_H

/*
 * Layout (after VPP's tw_timer_template.h, reworked for 64-bit absolute
 * ticks): timers and list heads live in one array of 32-byte entries and link
 * to each other by 32-bit index. Every list is circular with a sentinel head,
 * so insert, unlink and splice have no empty-list branch.
 *
 * A timer due at tick d, seen from the last processed tick cur (d > cur), sits
 * at the level of the highest byte where d and cur differ, in the slot given
 * by d's byte at that level. When cur reaches the tick where that byte of cur
 * becomes d's and all lower bytes are 0, the slot is cascaded: each timer is
 * placed again from the new cur, landing on a finer level (level 0 holds
 * exactly the timers due at tick (cur & ~255) | slot). Bytes above the fourth
 * differ only for timers 2^32 ticks away or more: those wait on the overflow
 * list, placed again each time cur crosses a multiple of 2^32.
 *
 * One occupancy bit per slot lets expire() jump straight to the next tick with
 * something to do, so a clock jumping hours ahead costs nothing per empty tick.
 */

#include <stdbool.h>
#include <stdint.h>

#include "sipdp_base.h"
#include "sipdp_timer.h"

#define TIMER_LEVEL_BITS 8
#define TIMER_SLOTS      (1u << TIMER_LEVEL_BITS)
#define TIMER_SLOT_MASK  (TIMER_SLOTS - 1)
#define TIMER_LEVELS     4
#define TIMER_BM_WORDS   (TIMER_SLOTS / 64)

/* List heads, as offsets from the first head (== capacity). */
#define TIMER_HEAD_OVERFLOW (TIMER_LEVELS * TIMER_SLOTS)
#define TIMER_HEAD_DUE      (TIMER_HEAD_OVERFLOW + 1) /* reached, waiting for a callback */
#define TIMER_HEAD_LATE     (TIMER_HEAD_OVERFLOW + 2) /* started already due: next call */
#define TIMER_NHEADS        (TIMER_HEAD_OVERFLOW + 3)

#define TIMER_NIL UINT32_MAX

struct timer_entry {
	uint32_t next;
	uint32_t prev;
	uint64_t user;
	uint64_t due;  /* absolute tick */
	uint32_t gen;  /* odd while armed, even while free */
	uint16_t kind;
	uint16_t rsvd;
};
SIPDP_STATIC_ASSERT(sizeof(struct timer_entry) == 32, "two timers per cache line");

struct sipdp_timer_wheel {
	struct timer_entry *e; /* capacity timers, then TIMER_NHEADS list heads */
	uint64_t cur;          /* last tick processed */
	uint64_t tick_us;
	uint32_t capacity;     /* also the index of the first list head */
	uint32_t free_first;   /* free timers, chained through .next */
	uint8_t in_expire;
	uint64_t occupied[TIMER_LEVELS][TIMER_BM_WORDS];
	struct sipdp_timer_stats stats;
};

static inline uint32_t
timer_head(const struct sipdp_timer_wheel *w, uint32_t off)
{
	return w->capacity + off;
}

static inline bool
timer_list_empty(const struct timer_entry *e, uint32_t h)
{
	return e[h].next == h;
}

static inline void
timer_list_init(struct timer_entry *e, uint32_t h)
{
	e[h].next = h;
	e[h].prev = h;
}

static inline void
timer_list_add_tail(struct timer_entry *e, uint32_t h, uint32_t i)
{
	uint32_t last = e[h].prev;

	e[i].next = h;
	e[i].prev = last;
	e[last].next = i;
	e[h].prev = i;
}

static inline void
timer_list_unlink(struct timer_entry *e, uint32_t i)
{
	uint32_t n = e[i].next, p = e[i].prev;

	e[p].next = n;
	e[n].prev = p;
}

/* Move all of list @from to the tail of list @to, leaving @from empty. */
static inline void
timer_list_splice_tail(struct timer_entry *e, uint32_t from, uint32_t to)
{
	uint32_t first = e[from].next, last = e[from].prev, tail = e[to].prev;

	if (first == from)
		return;
	e[tail].next = first;
	e[first].prev = tail;
	e[last].next = to;
	e[to].prev = last;
	timer_list_init(e, from);
}

#endif /* SIPDP_TIMER_PVT_H */
