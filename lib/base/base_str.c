/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "sipdp_str.h"

bool
sipdp_str_caseeq(struct sipdp_str a, struct sipdp_str b)
{
	if (a.len != b.len)
		return false;
	for (uint32_t i = 0; i < a.len; i++) {
		/* Only letters differ by 0x20 between cases; comparing the
		 * folded bytes is exact for ASCII tokens. */
		if (sipdp_ascii_lower(a.p[i]) != sipdp_ascii_lower(b.p[i]))
			return false;
	}
	return true;
}

static inline bool
is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct sipdp_str
sipdp_str_trim(struct sipdp_str s)
{
	while (s.len && is_lws(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && is_lws(s.p[s.len - 1]))
		s.len--;
	return s;
}

int
sipdp_str_to_u32(struct sipdp_str s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (s.len == 0)
		return -EINVAL;
	for (uint32_t i = 0; i < s.len; i++) {
		unsigned d = (unsigned char)s.p[i] - '0';
		if (d > 9)
			return -EINVAL;
		v = v * 10 + d;
		/* Checked per digit so a 100-digit value cannot wrap the
		 * 64-bit accumulator (RFC 4475 scalar02). */
		if (v > max)
			return -ERANGE;
	}
	*out = (uint32_t)v;
	return 0;
}

uint32_t
sipdp_u64_to_dec(char *dst, uint64_t v)
{
	char tmp[20];
	uint32_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (uint32_t i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	return n;
}

uint32_t
sipdp_u32_to_dec(char *dst, uint32_t v)
{
	return sipdp_u64_to_dec(dst, v);
}

uint64_t
sipdp_str_hash(struct sipdp_str s, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;

	for (uint32_t i = 0; i < s.len; i++) {
		h ^= (unsigned char)s.p[i];
		h *= 0x100000001b3ULL;
	}
	/* Final avalanche so that modulo a small worker count uses every bit. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}
