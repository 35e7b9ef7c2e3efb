/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_POOL_H
#define SIPDP_POOL_H

/**
 * @file
 * Fixed-size slot pool with index + generation handles.
 *
 * All memory is taken once, at creation; alloc and free are O(1) and never
 * call the allocator, so a pool can sit on the fast path. A handle names a
 * slot and the generation the slot had when it was handed out: once the slot
 * is freed (and maybe reused), the old handle no longer resolves, so a stale
 * handle is an error the caller sees, never a use-after-free.
 *
 * A pool belongs to one lcore (one shard). Nothing here is thread-safe.
 *
 * The struct is visible only so that the lookups inline; fields are private.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipdp_base.h"

/** 64-bit handle: generation in the high half, slot index in the low half.
 *  Generations start at 1, so 0 is never a valid handle. */
typedef uint64_t sipdp_handle_t;
#define SIPDP_HANDLE_INVALID ((sipdp_handle_t)0)

static inline uint32_t sipdp_handle_index(sipdp_handle_t h) { return (uint32_t)h; }
static inline uint32_t sipdp_handle_gen(sipdp_handle_t h) { return (uint32_t)(h >> 32); }
static inline sipdp_handle_t
sipdp_handle_make(uint32_t index, uint32_t gen)
{
	return ((uint64_t)gen << 32) | index;
}

struct sipdp_pool_params {
	uint32_t capacity; /**< number of slots, > 0 */
	uint32_t elt_size; /**< bytes per slot, > 0; rounded up to 8 */
};

struct sipdp_pool {
	uint8_t *elts;
	uint32_t *gen;      /* odd = in use, even = free: liveness without a flag */
	uint32_t *free_stack;
	uint32_t nfree;
	uint32_t capacity;
	uint32_t elt_size;
	uint32_t in_use_max; /* high-water mark, for operators */
};

/**
 * Create a pool. Allocates (once) capacity * elt_size bytes plus 8 bytes a slot.
 * @return 0, -EINVAL for a zero capacity or size or an overflowing product,
 *         -ENOMEM.
 */
int sipdp_pool_create(const struct sipdp_pool_params *params, struct sipdp_pool **out);

/** Free a pool and all its slots. NULL is accepted. */
void sipdp_pool_destroy(struct sipdp_pool *pool);

/** Bytes the pool holds for each slot, bookkeeping included (memory budgets). */
size_t sipdp_pool_bytes_per_slot(const struct sipdp_pool *pool);

static inline uint32_t sipdp_pool_capacity(const struct sipdp_pool *p) { return p->capacity; }
static inline uint32_t sipdp_pool_in_use(const struct sipdp_pool *p) { return p->capacity - p->nfree; }
static inline uint32_t sipdp_pool_in_use_max(const struct sipdp_pool *p) { return p->in_use_max; }

/**
 * Take a free slot. The slot's bytes are left as they were (the caller
 * initialises what it uses).
 * @return the new handle, or SIPDP_HANDLE_INVALID when the pool is full.
 */
static inline sipdp_handle_t
sipdp_pool_alloc(struct sipdp_pool *p, void **elt)
{
	if (SIPDP_UNLIKELY(p->nfree == 0))
		return SIPDP_HANDLE_INVALID;
	uint32_t idx = p->free_stack[--p->nfree];
	uint32_t g = ++p->gen[idx]; /* even -> odd: now in use */
	uint32_t used = p->capacity - p->nfree;
	if (used > p->in_use_max)
		p->in_use_max = used;
	if (elt)
		*elt = p->elts + (size_t)idx * p->elt_size;
	return sipdp_handle_make(idx, g);
}

/** Resolve a handle. @return the slot, or NULL for a stale or foreign handle. */
static inline void *
sipdp_pool_get(const struct sipdp_pool *p, sipdp_handle_t h)
{
	uint32_t idx = sipdp_handle_index(h);
	if (SIPDP_UNLIKELY(idx >= p->capacity || p->gen[idx] != sipdp_handle_gen(h) ||
			   !(sipdp_handle_gen(h) & 1)))
		return NULL;
	return p->elts + (size_t)idx * p->elt_size;
}

/** Slot by index whatever its generation (iteration, dumps). */
static inline void *
sipdp_pool_at(const struct sipdp_pool *p, uint32_t idx)
{
	return p->elts + (size_t)idx * p->elt_size;
}

/** True when slot @p idx is in use; @p h receives its live handle. */
static inline bool
sipdp_pool_live(const struct sipdp_pool *p, uint32_t idx, sipdp_handle_t *h)
{
	if (idx >= p->capacity || !(p->gen[idx] & 1))
		return false;
	if (h)
		*h = sipdp_handle_make(idx, p->gen[idx]);
	return true;
}

/** Handle of an element pointer that came from this pool and is live. */
static inline sipdp_handle_t
sipdp_pool_handle_of(const struct sipdp_pool *p, const void *elt)
{
	uint32_t idx = (uint32_t)(((const uint8_t *)elt - p->elts) / p->elt_size);
	return sipdp_handle_make(idx, p->gen[idx]);
}

/**
 * Return a slot. @return 0, or -ENOENT for a stale handle (nothing changes).
 */
static inline int
sipdp_pool_free(struct sipdp_pool *p, sipdp_handle_t h)
{
	if (SIPDP_UNLIKELY(sipdp_pool_get(p, h) == NULL))
		return -2; /* -ENOENT without pulling errno.h into every user */
	uint32_t idx = sipdp_handle_index(h);
	p->gen[idx]++; /* odd -> even: free, and every old handle is now stale */
	p->free_stack[p->nfree++] = idx;
	return 0;
}

#endif /* SIPDP_POOL_H */
