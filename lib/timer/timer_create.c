/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "timer_pvt.h"

int
sipdp_timer_create(const struct sipdp_timer_params *params, uint64_t now_us,
		   struct sipdp_timer_wheel **out)
{
	struct sipdp_timer_wheel *w;
	size_t n, bytes;

	if (params == NULL || out == NULL || params->tick_us == 0 || params->capacity == 0 ||
	    params->capacity > SIPDP_TIMER_CAPACITY_MAX)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	n = (size_t)params->capacity + TIMER_NHEADS;
	bytes = (n * sizeof(struct timer_entry) + SIPDP_CACHE_LINE - 1) & ~(size_t)(SIPDP_CACHE_LINE - 1);
	w->e = aligned_alloc(SIPDP_CACHE_LINE, bytes);
	if (w->e == NULL) {
		free(w);
		return -ENOMEM;
	}
	/* Touch every byte now so that no page fault lands on the fast path later. */
	memset(w->e, 0, bytes);
	w->capacity = params->capacity;
	w->tick_us = params->tick_us;
	w->cur = now_us / w->tick_us;
	/* Low indexes first: better locality while the load is small. */
	for (uint32_t i = 0; i < w->capacity; i++)
		w->e[i].next = i + 1 < w->capacity ? i + 1 : TIMER_NIL;
	w->free_first = 0;
	for (uint32_t h = 0; h < TIMER_NHEADS; h++)
		timer_list_init(w->e, timer_head(w, h));
	*out = w;
	return 0;
}

void
sipdp_timer_destroy(struct sipdp_timer_wheel *w)
{
	if (w == NULL)
		return;
	free(w->e);
	free(w);
}
