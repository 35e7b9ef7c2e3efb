/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_BASE_H
#define SIPDP_BASE_H

/**
 * @file
 * Compiler helpers shared by every sipdp library. No state, no dependencies.
 */

#include <stddef.h>
#include <stdint.h>

#define SIPDP_LIKELY(x)   __builtin_expect(!!(x), 1)
#define SIPDP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define SIPDP_NOINLINE    __attribute__((noinline))
#define SIPDP_COLD        __attribute__((cold, noinline))
#define SIPDP_UNUSED      __attribute__((unused))
#define SIPDP_ALWAYS_INLINE inline __attribute__((always_inline))
#define SIPDP_CACHE_LINE  64
#define SIPDP_CACHE_ALIGNED __attribute__((aligned(SIPDP_CACHE_LINE)))

#define SIPDP_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SIPDP_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SIPDP_MAX(a, b) ((a) > (b) ? (a) : (b))

#define SIPDP_CONTAINER_OF(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define SIPDP_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)

/** Round @p v up to the next power of two (v > 0, result fits 32 bits). */
static inline uint32_t
sipdp_align32pow2(uint32_t v)
{
	v--;
	v |= v >> 1;
	v |= v >> 2;
	v |= v >> 4;
	v |= v >> 8;
	v |= v >> 16;
	return v + 1;
}

#endif /* SIPDP_BASE_H */
