/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_STR_H
#define SIPDP_STR_H

/**
 * @file
 * String views: a pointer and a length into memory somebody else owns
 * (usually the receive buffer). Nothing here allocates or copies, and no view
 * is NUL-terminated: never pass .p to a libc string function that expects one.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sipdp_base.h"

struct sipdp_str {
	const char *p;
	uint32_t len;
};

/** View of a string literal, computed at compile time. */
#define SIPDP_STR(lit) ((struct sipdp_str){ (lit), sizeof(lit) - 1 })
#define SIPDP_STR_NULL ((struct sipdp_str){ NULL, 0 })

/** printf helper: printf("%.*s", SIPDP_STR_FMT(s)). Cold paths only. */
#define SIPDP_STR_FMT(s) (int)(s).len, (s).p

static inline struct sipdp_str
sipdp_str_make(const char *p, size_t len)
{
	struct sipdp_str s = { p, (uint32_t)len };
	return s;
}

static inline struct sipdp_str
sipdp_str_cstr(const char *cstr)
{
	return sipdp_str_make(cstr, strlen(cstr));
}

static inline bool
sipdp_str_empty(struct sipdp_str s)
{
	return s.len == 0;
}

/** True when a view was set (it may still be empty, e.g. "tag="). */
static inline bool
sipdp_str_present(struct sipdp_str s)
{
	return s.p != NULL;
}

static inline bool
sipdp_str_eq(struct sipdp_str a, struct sipdp_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline char
sipdp_ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c;
}

/** ASCII case-insensitive equality (SIP tokens and header names). */
bool sipdp_str_caseeq(struct sipdp_str a, struct sipdp_str b);

/** Case-insensitive compare against a literal: sipdp_str_caseeq_lit(s, "tag"). */
#define sipdp_str_caseeq_lit(s, lit) sipdp_str_caseeq((s), SIPDP_STR(lit))

/** Remove leading and trailing SP, HTAB, CR and LF. */
struct sipdp_str sipdp_str_trim(struct sipdp_str s);

/**
 * Decimal to uint32, all characters digits, at least one, value <= @p max.
 * Leading zeros are allowed (RFC 4475 wsinv). Never wraps.
 * @return 0, or -EINVAL (empty / non-digit), -ERANGE (over @p max).
 */
int sipdp_str_to_u32(struct sipdp_str s, uint32_t max, uint32_t *out);

/**
 * Write @p v in decimal at @p dst (room for 10 digits needed).
 * @return the number of characters written.
 */
uint32_t sipdp_u32_to_dec(char *dst, uint32_t v);

/**
 * Write @p v in decimal at @p dst (room for 20 digits needed): SDP
 * session ids and versions are 64-bit.
 * @return the number of characters written.
 */
uint32_t sipdp_u64_to_dec(char *dst, uint64_t v);

/** 64-bit FNV-1a style hash used for Call-ID ownership and table buckets. */
uint64_t sipdp_str_hash(struct sipdp_str s, uint64_t seed);

#endif /* SIPDP_STR_H */
