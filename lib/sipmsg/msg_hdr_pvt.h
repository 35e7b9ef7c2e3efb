/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_MSG_HDR_PVT_H
#define SIPDP_MSG_HDR_PVT_H

/*
 * Private to the header sub-parsers (msg_list.c, msg_uri.c, msg_addr.c,
 * msg_via.c, msg_values.c): RFC 3261 §25.1 character classes in one 256-entry
 * table, and the few scanning primitives every parser shares. All scanners
 * work on [p, end) and never look at *end.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "sipdp_msg_hdr.h"

/* RFC 3261 §25.1 classes. Bits, so one load answers "any of these". */
#define SIPDP_HDR_CC_ALPHA  0x0001u /* ALPHA */
#define SIPDP_HDR_CC_DIGIT  0x0002u /* DIGIT */
#define SIPDP_HDR_CC_HEX    0x0004u /* HEXDIG, either case */
#define SIPDP_HDR_CC_TOKEN  0x0008u /* alphanum - . ! % * _ + ` ' ~ */
#define SIPDP_HDR_CC_UNRES  0x0010u /* unreserved: alphanum - _ . ! ~ * ' ( ) */
#define SIPDP_HDR_CC_USER   0x0020u /* unreserved + user-unreserved & = + $ , ; ? / */
#define SIPDP_HDR_CC_PASS   0x0040u /* unreserved + & = + $ , */
#define SIPDP_HDR_CC_UINFO  0x0080u /* USER + PASS + ':' + '%': whatever may precede '@' */
#define SIPDP_HDR_CC_PARAM  0x0100u /* paramchar minus escapes: unreserved + [ ] / : & + $ */
#define SIPDP_HDR_CC_HNV    0x0200u /* unreserved + hnv-unreserved [ ] / ? : + $ */
#define SIPDP_HDR_CC_URIC   0x0400u /* RFC 2396 uric + [ ] (opaque absolute URIs) */
#define SIPDP_HDR_CC_HOST   0x0800u /* hostname / IPv4 characters: alphanum - . */
#define SIPDP_HDR_CC_WORD   0x1000u /* Call-ID word: token + ( ) < > : \ " / [ ] ? { } */
#define SIPDP_HDR_CC_SCHEME 0x2000u /* scheme after the first ALPHA: alphanum + - . */
#define SIPDP_HDR_CC_QDTEXT 0x4000u /* quoted-string bytes needing no care: SP, HTAB,
				       %x21 / %x23-5B / %x5D-7E, UTF-8 octets */
#define SIPDP_HDR_CC_LABEL  0x8000u /* domainlabel characters: alphanum - */
/* Header parameter names and values: token, plus what URI parameters and
 * host values (IPv6 references) add, so one iterator serves both. */
#define SIPDP_HDR_CC_PNAME  (SIPDP_HDR_CC_TOKEN | SIPDP_HDR_CC_PARAM)

extern const uint16_t sipdp_hdr_cc[256];

static inline bool
sipdp_hdr_is(char c, uint16_t mask)
{
	return (sipdp_hdr_cc[(unsigned char)c] & mask) != 0;
}

static inline const char *
sipdp_hdr_span(const char *p, const char *end, uint16_t mask)
{
	while (p < end && sipdp_hdr_is(*p, mask))
		p++;
	return p;
}

#ifdef __SSE2__
/* Bit i set when byte i of @p v is ALPHA, DIGIT, '-' or '.': the bytes
 * that make up nearly every tag, branch, token and host name. Unsigned
 * range checks as "min(x - lo, n) == x - lo", all SSE2. */
static SIPDP_ALWAYS_INLINE unsigned
sipdp_hdr_alnum_mask16(__m128i v)
{
	const __m128i a = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
	const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
	const __m128i h = _mm_sub_epi8(v, _mm_set1_epi8('-'));
	__m128i ok = _mm_cmpeq_epi8(_mm_min_epu8(a, _mm_set1_epi8(25)), a);

	ok = _mm_or_si128(ok, _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d));
	ok = _mm_or_si128(ok, _mm_cmpeq_epi8(_mm_min_epu8(h, _mm_set1_epi8(1)), h));
	return (unsigned)_mm_movemask_epi8(ok);
}
#endif

/*
 * sipdp_hdr_span() for a class @p mask that holds ALPHA, DIGIT, '-' and
 * '.' (TOKEN, PNAME, ...): 16 bytes per step over the run of those, then
 * the byte loop for the rest of the class. A run shorter than 16 bytes
 * that ends at @p end is checked with one load of the 16 bytes before
 * @p end, which needs @p lo (the lowest byte the caller may read) at
 * least 16 bytes back. Never reads outside [lo, end).
 * Measured: a 40-byte Via branch costs ~45 instructions instead of ~240;
 * for runs of ~10 bytes the byte loop is as cheap, so short ones use it.
 */
static SIPDP_ALWAYS_INLINE const char *
sipdp_hdr_span_fast(const char *p, const char *end, const char *lo, uint16_t mask)
{
#ifdef __SSE2__
	unsigned ok;

	for (; end - p >= 16; p += 16) {
		ok = sipdp_hdr_alnum_mask16(_mm_loadu_si128((const __m128i *)(const void *)p));
		if (ok != 0xffffu)
			return sipdp_hdr_span(p + __builtin_ctz(~ok), end, mask);
	}
	if (p < end && end - lo >= 16) {
		unsigned n = (unsigned)(end - p);
		ok = sipdp_hdr_alnum_mask16(_mm_loadu_si128((const __m128i *)(const void *)(end - 16)));
		ok = (ok >> (16 - n)) | ~((1u << n) - 1);
		if (ok == 0xffffffffu)
			return end;
		p += __builtin_ctz(~ok);
	}
#else
	(void)lo;
#endif
	return sipdp_hdr_span(p, end, mask);
}

/* 8 bytes as one word: an equality test with a literal without a memcmp
 * call (gcc keeps calling memcmp for those). */
static inline uint64_t
sipdp_hdr_load64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
sipdp_hdr_load32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline bool
sipdp_hdr_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Skip LWS = [*WSP CRLF] 1*WSP (RFC 3261 §25.1). The indexer leaves folds in
 * values, so a CRLF (or bare LF) followed by SP/HTAB is whitespace here; one
 * that is not followed by WSP is not, and stops the skip.
 */
static inline const char *
sipdp_hdr_lws(const char *p, const char *end)
{
	/* SP, HTAB, CR and LF are all <= 0x20: one compare for the common
	 * case of no LWS at all. */
	if (p == end || (unsigned char)*p > ' ')
		return p;
	while (p < end) {
		if (sipdp_hdr_is_wsp(*p)) {
			p++;
		} else if (*p == '\r' && end - p >= 3 && p[1] == '\n' && sipdp_hdr_is_wsp(p[2])) {
			p += 3;
		} else if (*p == '\n' && end - p >= 2 && sipdp_hdr_is_wsp(p[1])) {
			p += 2;
		} else {
			break;
		}
	}
	return p;
}

/* End of [start, end) without trailing LWS (folds included). */
static inline const char *
sipdp_hdr_rtrim(const char *start, const char *end)
{
	while (end > start && (sipdp_hdr_is_wsp(end[-1]) || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	return end;
}

/* An absent header value (p == NULL) reads as empty: pointer arithmetic on
 * NULL is undefined even with a zero offset. */
static inline struct sipdp_str
sipdp_hdr_nonnull(struct sipdp_str s)
{
	if (s.p == NULL)
		s.p = "";
	return s;
}

static inline struct sipdp_str
sipdp_hdr_view(const char *p, const char *end)
{
	struct sipdp_str s = { p, (uint32_t)(end - p) };
	return s;
}

/*
 * Case-insensitive compare of a token against a lowercase literal made of
 * letters, digits, '-' and '.'. Inline because parameter-name dispatch runs
 * several times per header; OR-ing 0x20 folds only letters among token
 * characters (the CTLs it would alias are not token characters).
 */
static inline bool
sipdp_hdr_lit_eq(struct sipdp_str s, const char *lit, uint32_t len)
{
	if (s.len != len)
		return false;
	for (uint32_t i = 0; i < len; i++)
		if ((s.p[i] | 0x20) != lit[i])
			return false;
	return true;
}
#define SIPDP_HDR_LIT_EQ(s, lit) sipdp_hdr_lit_eq((s), (lit), sizeof(lit) - 1)

/* Value of a hex digit the caller already classified as HEX. */
static inline unsigned
sipdp_hdr_hexval(char c)
{
	return (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
}

/* True when [p, end) starts with a complete %HH escape. */
static inline bool
sipdp_hdr_escape_ok(const char *p, const char *end)
{
	return end - p >= 3 && sipdp_hdr_is(p[1], SIPDP_HDR_CC_HEX) &&
	       sipdp_hdr_is(p[2], SIPDP_HDR_CC_HEX);
}

/* Span of characters in @p mask or %HH escapes; NULL on a bad escape. */
static inline const char *
sipdp_hdr_span_esc(const char *p, const char *end, uint16_t mask)
{
	while (p < end) {
		if (sipdp_hdr_is(*p, mask)) {
			p++;
		} else if (*p == '%') {
			if (!sipdp_hdr_escape_ok(p, end))
				return NULL;
			p += 3;
		} else {
			break;
		}
	}
	return p;
}

/*
 * quoted-string (RFC 3261 §25.1) starting at the '"' at @p p.
 * @return the byte after the closing quote, or NULL when unterminated or
 *         when it holds a CTL that is neither a fold nor quoted.
 */
const char *sipdp_hdr_quoted_end(const char *p, const char *end);

/*
 * Decimal run at @p p to a number <= @p max in one pass (no second walk
 * through sipdp_str_to_u32). Checked per digit, so no run length can wrap
 * (RFC 4475 scalar02). @return 0, -EBADMSG (no digit), -ERANGE; *next is
 * set past the digits even on -ERANGE.
 */
static inline int
sipdp_hdr_number_fast(const char *p, const char *end, uint32_t max, uint32_t *out,
		      const char **next)
{
	const char *s = p;
	uint64_t v = 0;
	bool over = false;
	unsigned d;

	while (p < end && (d = (unsigned)(unsigned char)*p - '0') <= 9) {
		v = v * 10 + d;
		if (v > max) {
			over = true;
			v = max; /* keeps the accumulator bounded */
		}
		p++;
	}
	*next = p;
	if (p == s)
		return -EBADMSG;
	if (over)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

/*
 * The body of sipdp_param_next(), inline for the hot callers (Via, From/To
 * tag): a call per parameter cost ~30 instructions of overhead each.
 * Same contract: 1, 0 at the end, -EBADMSG.
 */
static inline int
sipdp_hdr_param_next(struct sipdp_str *cursor, struct sipdp_str *name, struct sipdp_str *value)
{
	struct sipdp_str in = sipdp_hdr_nonnull(*cursor);
	const char *end = in.p + in.len;
	const char *p = sipdp_hdr_lws(in.p, end);
	const char *q;

	if (p == end) {
		*cursor = sipdp_hdr_view(end, end);
		return 0;
	}
	/* SEMI = SWS ";" SWS; an empty parameter (";;", trailing ';') is
	 * malformed (RFC 4475 badinv01). */
	if (*p != ';')
		return -EBADMSG;
	p = sipdp_hdr_lws(p + 1, end);
	q = sipdp_hdr_span(p, end, SIPDP_HDR_CC_PNAME);
	if (q == p)
		return -EBADMSG;
	*name = sipdp_hdr_view(p, q);
	*value = SIPDP_STR_NULL;
	p = sipdp_hdr_lws(q, end);
	if (p < end && *p == '=') {
		p = sipdp_hdr_lws(p + 1, end);
		if (p == end)
			return -EBADMSG;
		if (*p == '"') {
			q = sipdp_hdr_quoted_end(p, end);
			if (q == NULL)
				return -EBADMSG;
		} else {
			q = sipdp_hdr_span(p, end, SIPDP_HDR_CC_PNAME);
			if (q == p)
				return -EBADMSG; /* gen-value is never empty */
		}
		*value = sipdp_hdr_view(p, q);
		p = q;
	} else {
		/* Keep the cursor right after the name so trailing LWS is
		 * skipped by the next call like any other. */
		p = q;
	}
	*cursor = sipdp_hdr_view(p, end);
	return 1;
}

/* Decimal run at @p p (must be non-empty) to a number <= @p max.
 * @return 0, -EBADMSG (no digit), -ERANGE; *next is set past the digits. */
int sipdp_hdr_number(const char *p, const char *end, uint32_t max, uint32_t *out,
		     const char **next);

/* Check a whole ";p;q=v" parameter string (may be empty). 0 or -EBADMSG. */
int sipdp_hdr_params_check(struct sipdp_str params);

/*
 * host (RFC 3261 §25.1: hostname / IPv4address / IPv6reference) at @p p.
 * @return the byte after the host, or NULL; *type is enum sipdp_host_type.
 */
const char *sipdp_hdr_host_scan(const char *p, const char *end, uint8_t *type);

/* sipdp_hdr_host_scan() byte by byte, without the bitmap path for names:
 * the reference tests and fuzz_uri compare it against. */
const char *sipdp_hdr_host_scan_bytes(const char *p, const char *end, uint8_t *type);

/* sipdp_via_parse() and sipdp_nameaddr_parse() without their fast paths
 * (via_fast(), the one-step ";tag="): references for tests and fuzzers. */
int sipdp_hdr_via_parse_general(struct sipdp_str s, struct sipdp_via *via);
int sipdp_hdr_nameaddr_parse_general(struct sipdp_str s, struct sipdp_nameaddr *na);

/* IPv6address without the brackets (RFC 3261 ABNF plus RFC 5118 §4.10). */
bool sipdp_hdr_ipv6_valid(const char *p, const char *end);

/* IPv4address, exactly [p, end). */
bool sipdp_hdr_ipv4_valid(const char *p, const char *end);

/* Equality of two escaped strings after undoing %HH (RFC 3261 §19.1.4). */
bool sipdp_hdr_esc_eq(struct sipdp_str a, struct sipdp_str b, bool icase);

#endif /* SIPDP_MSG_HDR_PVT_H */
