/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>

#include "timer_pvt.h"

static uint32_t
timer_list_len(const struct sipdp_timer_wheel *w, uint32_t off)
{
	uint32_t h = timer_head(w, off), n = 0;

	for (uint32_t i = w->e[h].next; i != h && n <= w->capacity; i = w->e[i].next)
		n++;
	return n;
}

int
sipdp_timer_dump(const struct sipdp_timer_wheel *w, FILE *f)
{
	const struct sipdp_timer_stats *s = &w->stats;
	uint64_t next;

	fprintf(f, "timer wheel: capacity %" PRIu32 ", tick %" PRIu64 " us, tick now %" PRIu64 "\n",
		w->capacity, w->tick_us, w->cur);
	fprintf(f, "  armed %" PRIu32 " (max %" PRIu32 "), started %" PRIu64 ", stopped %" PRIu64
		", fired %" PRIu64 ", cascaded %" PRIu64 ", refused full %" PRIu64 "\n",
		s->in_use, s->in_use_max, s->started, s->stopped, s->fired, s->cascaded, s->full);
	for (uint32_t k = 0; k < TIMER_LEVELS; k++) {
		uint32_t slots = 0, timers = 0;

		for (uint32_t sl = 0; sl < TIMER_SLOTS; sl++) {
			uint32_t n = timer_list_len(w, k * TIMER_SLOTS + sl);

			slots += n != 0;
			timers += n;
		}
		fprintf(f, "  level %" PRIu32 " (%" PRIu64 " us a slot): %" PRIu32 " timers in %" PRIu32 " slots\n",
			k, w->tick_us << (k * TIMER_LEVEL_BITS), timers, slots);
	}
	fprintf(f, "  overflow %" PRIu32 ", due %" PRIu32 ", late %" PRIu32 "\n",
		timer_list_len(w, TIMER_HEAD_OVERFLOW), timer_list_len(w, TIMER_HEAD_DUE),
		timer_list_len(w, TIMER_HEAD_LATE));
	if (sipdp_timer_next_expiry(w, &next) == 0)
		fprintf(f, "  next expiry at or before %" PRIu64 " us\n", next);
	else
		fprintf(f, "  next expiry: none\n");
	return ferror(f) ? -EIO : 0;
}
