/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_MSG_PVT_H
#define SIPDP_MSG_PVT_H

/* Private to lib/sipmsg: character classes and the header-name lookup used
 * by the indexer. */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sipdp_msg.h"

/*
 * sipdp_msg_parse() without its fast indexer: the line-by-line reference
 * that decides every message the fast path declines. For tests and fuzz
 * targets, which check that both give the same index, verdict and error.
 */
int sipdp_msg_parse_general(struct sipdp_msg *m, const char *buf, size_t len, unsigned flags);
/* The fast indexer alone: -ENOTSUP where it would hand the message to the
 * general one (tests: the common shapes must stay on the fast path), with
 * or without the AVX2 block scan (it is taken when the CPU has AVX2). */
int sipdp_msg_parse_fast_only(struct sipdp_msg *m, const char *buf, size_t len, unsigned flags,
			      bool allow_avx2);

/* RFC 3261 §25.1 token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" */
#define SIPDP_CC_TOKEN 0x01

extern const uint8_t sipdp_msg_cc[256];

static inline bool
sipdp_msg_is_token(unsigned char c)
{
	return sipdp_msg_cc[c] & SIPDP_CC_TOKEN;
}

/*
 * Header names are looked up through a 256-slot table indexed by a hash of
 * the length and the first and last letters (case folded): one load, one
 * word-wide compare against the lower-case name, no branch tree. The hash
 * is collision-free for every long and compact name we know; a collision
 * added later is a compile error (-Woverride-init in the table, msg_names.c).
 */
#define SIPDP_MSG_NAME_MAX 19 /* "Request-Disposition" */
#define SIPDP_MSG_NAME_HASH(len, c0, cl) \
	((uint8_t)((unsigned)(len) * 14u + (unsigned)(c0) * 2u + (unsigned)(cl)))
/* Set in a slot of sipdp_msg_name_hash for a one-letter compact form. */
#define SIPDP_MSG_NAME_COMPACT 0x80u

extern const uint8_t sipdp_msg_name_hash[256];
/* Lower-case long name of each id, zero-padded, its length in byte 31. */
extern const char sipdp_msg_name_rows[SIPDP_HDR__COUNT][32];

static inline uint64_t
sipdp_msg_load64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
sipdp_msg_load32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * @p n (any case) equals the lower-case literal @p want, both @p len bytes.
 * Word-wide with overlapping tail loads: a header name costs two or three
 * compares instead of a loop per letter. Reads only the @p len bytes of each.
 */
static inline bool
sipdp_msg_names_equal_folded(const unsigned char *n, const char *want, uint32_t len)
{
	const uint64_t fold64 = 0x2020202020202020ull;
	const uint32_t fold32 = 0x20202020u;

	if (len >= 8) {
		uint32_t i = 0;
		for (; i + 8 <= len; i += 8)
			if ((sipdp_msg_load64(n + i) | fold64) != sipdp_msg_load64(want + i))
				return false;
		return i == len || (sipdp_msg_load64(n + len - 8) | fold64) == sipdp_msg_load64(want + len - 8);
	}
	if (len >= 4)
		return (sipdp_msg_load32(n) | fold32) == sipdp_msg_load32(want) &&
		       (sipdp_msg_load32(n + len - 4) | fold32) == sipdp_msg_load32(want + len - 4);
	for (uint32_t i = 0; i < len; i++)
		if ((n[i] | 0x20) != (unsigned char)want[i])
			return false;
	return true;
}

/*
 * The body of sipdp_hdr_lookup(), inline for the indexer (as a call it cost
 * ~15 instructions per header line in spills around it): ~15 instructions
 * and no indirect jump, where the switch tree it replaces took ~37.
 *
 * Folding with 0x20 maps only the letters onto the lower-case letters a
 * name may hold, and CR onto '-'; a name with a CR in it never reaches a
 * verdict, as a bare CR fails the message. A one-letter name that lands
 * on a compact slot is that letter: x -> 3x mod 256 is one-to-one.
 */
static SIPDP_ALWAYS_INLINE enum sipdp_hdr_id
sipdp_msg_name_lookup(const char *name, uint32_t len)
{
	const unsigned char *n = (const unsigned char *)name;
	unsigned e;

	if (len == 0 || len > SIPDP_MSG_NAME_MAX)
		return SIPDP_HDR_OTHER;
	e = sipdp_msg_name_hash[SIPDP_MSG_NAME_HASH(len, n[0] | 0x20u, n[len - 1] | 0x20u)];
	if (e & SIPDP_MSG_NAME_COMPACT)
		return len == 1 ? (enum sipdp_hdr_id)(e & ~SIPDP_MSG_NAME_COMPACT) : SIPDP_HDR_OTHER;
	if (e == SIPDP_HDR_OTHER || (unsigned char)sipdp_msg_name_rows[e][31] != len ||
	    !sipdp_msg_names_equal_folded(n, sipdp_msg_name_rows[e], len))
		return SIPDP_HDR_OTHER;
	return (enum sipdp_hdr_id)e;
}

#endif /* SIPDP_MSG_PVT_H */

