/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sipdp_pool.h"

SIPDP_STATIC_ASSERT(ENOENT == 2, "sipdp_pool_free returns -2 as -ENOENT");

int
sipdp_pool_create(const struct sipdp_pool_params *params, struct sipdp_pool **out)
{
	struct sipdp_pool *p;
	size_t esz, total;

	if (params == NULL || out == NULL || params->capacity == 0 || params->elt_size == 0)
		return -EINVAL;
	esz = ((size_t)params->elt_size + 7) & ~(size_t)7;
	if (__builtin_mul_overflow(esz, (size_t)params->capacity, &total) || esz > UINT32_MAX)
		return -EINVAL;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->elts = aligned_alloc(SIPDP_CACHE_LINE, (total + SIPDP_CACHE_LINE - 1) & ~(size_t)(SIPDP_CACHE_LINE - 1));
	p->gen = calloc(params->capacity, sizeof(*p->gen));
	p->free_stack = malloc(sizeof(*p->free_stack) * params->capacity);
	if (p->elts == NULL || p->gen == NULL || p->free_stack == NULL) {
		sipdp_pool_destroy(p);
		return -ENOMEM;
	}
	memset(p->elts, 0, total);
	p->capacity = params->capacity;
	p->elt_size = (uint32_t)esz;
	/* Hand out low indexes first: better locality while the load is small. */
	for (uint32_t i = 0; i < p->capacity; i++)
		p->free_stack[i] = p->capacity - 1 - i;
	p->nfree = p->capacity;
	*out = p;
	return 0;
}

void
sipdp_pool_destroy(struct sipdp_pool *pool)
{
	if (pool == NULL)
		return;
	free(pool->elts);
	free(pool->gen);
	free(pool->free_stack);
	free(pool);
}

size_t
sipdp_pool_bytes_per_slot(const struct sipdp_pool *pool)
{
	return pool->elt_size + sizeof(*pool->gen) + sizeof(*pool->free_stack);
}
