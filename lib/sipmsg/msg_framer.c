/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stream framer (RFC 3261 §18.3, RFC 5626 §4.4.1).
 *
 * Split invariance: every answer is a function of the bytes alone. Each
 * decision that could change when more bytes arrive waits for them
 * (-EAGAIN), and each limit is checked against a fixed prefix length, never
 * against "what happened to be in the buffer", so feeding a stream whole, a
 * byte at a time or split anywhere gives the same units and the same error.
 *
 * Cost: the CRLFCRLF search resumes where the previous call stopped, and once
 * the header section is complete the total length is remembered, so a
 * trickled message is scanned about twice in all (O(n)), not once per read.
 */
#include <errno.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sipdp_base.h"
#include "sipdp_msg_framer.h"
#include "sipdp_str.h"

#define FRAMER_DEF_HDR 8192u
#define FRAMER_DEF_MSG 65535u
/* f->scanned: below the flag, header end positions already searched; with
 * the flag, the header section is complete and the low bits hold the total
 * message length still awaited. Lengths are capped below the flag so the
 * two cannot collide, and so the length fits the int return value. */
#define SCAN_HDR_DONE 0x80000000u
#define FRAMER_LIMIT_MAX 0x7fffffffu

void
sipdp_framer_init(struct sipdp_framer *f, const struct sipdp_framer_params *params)
{
	uint32_t h = params && params->max_header_bytes ? params->max_header_bytes : FRAMER_DEF_HDR;
	uint32_t m = params && params->max_message_bytes ? params->max_message_bytes : FRAMER_DEF_MSG;

	f->max_header_bytes = SIPDP_MIN(h, FRAMER_LIMIT_MAX);
	f->max_message_bytes = SIPDP_MIN(m, FRAMER_LIMIT_MAX);
	f->scanned = 0;
}

static inline bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Content-Length value: 1*DIGIT with optional LWS around (folds included).
 * @return 0, -EBADMSG for anything else (sign, empty, junk, > 2^32-1).
 */
static int
clen_value(const char *p, const char *e, uint32_t *out)
{
	uint64_t v = 0;
	const char *d;

	while (p < e && (is_wsp(*p) || *p == '\r' || *p == '\n'))
		p++;
	while (e > p && (is_wsp(e[-1]) || e[-1] == '\r' || e[-1] == '\n'))
		e--;
	if (p == e)
		return -EBADMSG;
	for (d = p; d < e; d++) {
		unsigned c = (unsigned char)*d - '0';
		if (c > 9)
			return -EBADMSG;
		v = v * 10 + c;
		/* Per digit, so a 100-digit value cannot wrap (RFC 4475 scalar02). */
		if (v > UINT32_MAX)
			return -EBADMSG;
	}
	*out = (uint32_t)v;
	return 0;
}

/* "content-length" or compact "l", any case (RFC 3261 §7.3.1, §20.14). */
static inline bool
is_clen_name(const char *n, size_t len)
{
	static const char lc[] = "content-length";

	if (len == 1)
		return sipdp_ascii_lower(n[0]) == 'l';
	if (len != sizeof(lc) - 1)
		return false;
	for (size_t i = 0; i < len; i++)
		if (sipdp_ascii_lower(n[i]) != lc[i])
			return false;
	return true;
}

/*
 * One header line starting at @p p (just after a LF) in the section that
 * ends at @p e + 2: when it is a Content-Length, fold its value into
 * @p found / @p v. The header ends at the first LF not followed by SP/HTAB
 * (a fold, RFC 3261 §7.3.1). @return 0 or -EBADMSG.
 */
static int
clen_line(const char *p, const char *e, bool *found, uint32_t *v)
{
	const char *n = p, *nl;
	uint32_t x;
	int rc;

	while (p < e && *p != ':' && !is_wsp(*p) && *p != '\r' && *p != '\n')
		p++;
	if (!is_clen_name(n, (size_t)(p - n)))
		return 0;
	/* HCOLON = *( SP / HTAB ) ":" SWS */
	while (p < e && is_wsp(*p))
		p++;
	if (p >= e || *p != ':')
		return 0;
	/* The section ends in CRLFCRLF, so a LF is found before e + 2. */
	for (nl = p;; nl++) {
		nl = memchr(nl, '\n', (size_t)(e + 2 - nl));
		if (nl + 1 >= e || !is_wsp(nl[1]))
			break;
	}
	rc = clen_value(p + 1, nl + 1, &x);
	if (rc < 0)
		return rc;
	/* RFC 7230 §3.3.2 reasoning applies: two framings of one stream are a
	 * smuggling vector, never pick one. */
	if (*found && x != *v)
		return -EBADMSG;
	*found = true;
	*v = x;
	return 0;
}

static inline bool
is_c_or_l(char c)
{
	c = (char)(c | 0x20);
	return c == 'c' || c == 'l';
}

/*
 * Find the Content-Length in a complete header section [buf, buf+hdr_len),
 * which ends in CRLFCRLF. Only lines that follow a LF and start with c/C/l/L
 * can be one: a fold starts with SP/HTAB and the start line follows no LF.
 * Looking only at those (16 bytes a step with SSE2) costs ~60 ns on a
 * 1.2 KB header section instead of ~250 ns walking every line.
 * @return 0, -EBADMSG (missing, malformed, or several that disagree).
 */
static int
find_clen(const char *buf, uint32_t hdr_len, uint32_t *out)
{
	const char *e = buf + hdr_len - 2; /* the final empty line's CRLF */
	/* LF positions j whose next byte is still in the header lines. */
	const uint32_t jend = hdr_len - 2;
	uint32_t j = 0;
	bool found = false;
	uint32_t v = 0;
	int rc;

#if defined(__SSE2__)
	const __m128i lf = _mm_set1_epi8('\n'), lc = _mm_set1_epi8('c');
	const __m128i ll = _mm_set1_epi8('l'), bit = _mm_set1_epi8(0x20);

	for (; j + 17 <= hdr_len; j += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(buf + j));
		__m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(buf + j + 1)), bit);
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, lf),
			_mm_or_si128(_mm_cmpeq_epi8(b, lc), _mm_cmpeq_epi8(b, ll))));
		while (m) {
			uint32_t at = j + (uint32_t)__builtin_ctz(m) + 1;
			m &= m - 1;
			if (at < jend + 1 && (rc = clen_line(buf + at, e, &found, &v)) < 0)
				return rc;
		}
	}
#endif
	for (; j < jend; j++) {
		if (buf[j] == '\n' && is_c_or_l(buf[j + 1]) &&
		    (rc = clen_line(buf + j + 1, e, &found, &v)) < 0)
			return rc;
	}
	if (!found)
		return -EBADMSG;
	*out = v;
	return 0;
}

/*
 * Search end positions i in [from, limit) for buf[i-3..i] == CRLFCRLF.
 * @return the header section length (i + 1), or 0 when not found.
 */
static inline uint32_t
find_hdr_end(const char *buf, uint32_t from, uint32_t limit)
{
	uint32_t i = SIPDP_MAX(from, 3u);

#if defined(__SSE2__)
	/* 16 end positions a step: ~4x faster than memchr per line end on
	 * 30-byte header lines. Loads stay below limit (i + 15 < limit). */
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');

	for (; i + 16 <= limit; i += 16) {
		const char *q = buf + i - 3;
		__m128i a = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)q), cr);
		__m128i b = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(q + 1)), lf);
		__m128i c = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(q + 2)), cr);
		__m128i d = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(q + 3)), lf);
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_and_si128(a, b),
								       _mm_and_si128(c, d)));
		if (m)
			return i + (uint32_t)__builtin_ctz(m) + 1;
	}
#endif
	while (i < limit) {
		const char *nl = memchr(buf + i, '\n', limit - i);
		if (nl == NULL)
			return 0;
		i = (uint32_t)(nl - buf);
		if (buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
			return i + 1;
		i++;
	}
	return 0;
}

int
sipdp_framer_next(struct sipdp_framer *f, const char *buf, uint32_t len, struct sipdp_frame *out)
{
	uint32_t hdr_limit, hdr_len, body_len;
	uint64_t total;
	int rc;

	if (len == 0)
		return -EAGAIN;

	if (f->scanned & SCAN_HDR_DONE) {
		if (len < (f->scanned & ~SCAN_HDR_DONE))
			return -EAGAIN;
		/* Complete now: one more pass recomputes the split of header
		 * and body, which the struct has no room to remember. */
		f->scanned = 0;
	}

	/* RFC 5626 §4.4.1 keep-alives, only at a message boundary. A CR after
	 * the first CRLF may still become a ping: wait for it. */
	if (buf[0] == '\r' && (len < 2 || buf[1] == '\n')) {
		if (len < 3)
			return -EAGAIN;
		if (buf[2] != '\r') {
			out->kind = SIPDP_FRAME_PONG;
			out->len = 2;
			out->hdr_len = out->body_len = 0;
			f->scanned = 0;
			return 2;
		}
		if (len < 4)
			return -EAGAIN;
		out->kind = buf[3] == '\n' ? SIPDP_FRAME_PING : SIPDP_FRAME_PONG;
		out->len = buf[3] == '\n' ? 4 : 2;
		out->hdr_len = out->body_len = 0;
		f->scanned = 0;
		return (int)out->len;
	}

	/* The header section may not exceed either limit; check it against
	 * the fixed prefix [0, limit) so the answer does not depend on how
	 * much arrived at once. */
	hdr_limit = SIPDP_MIN(f->max_header_bytes, f->max_message_bytes);
	{
		uint32_t upto = SIPDP_MIN(len, hdr_limit);
		uint32_t from = f->scanned <= upto ? f->scanned : 0;

		hdr_len = find_hdr_end(buf, from, upto);
		if (hdr_len == 0) {
			if (len >= hdr_limit) {
				f->scanned = 0;
				return -EMSGSIZE;
			}
			f->scanned = upto;
			return -EAGAIN;
		}
	}

	rc = find_clen(buf, hdr_len, &body_len);
	if (rc < 0) {
		f->scanned = 0;
		return rc;
	}
	total = (uint64_t)hdr_len + body_len;
	if (total > f->max_message_bytes) {
		f->scanned = 0;
		return -EMSGSIZE;
	}
	if (len < total) {
		f->scanned = SCAN_HDR_DONE | (uint32_t)total;
		return -EAGAIN;
	}
	out->kind = SIPDP_FRAME_MESSAGE;
	out->len = (uint32_t)total;
	out->hdr_len = hdr_len;
	out->body_len = body_len;
	f->scanned = 0;
	return (int)total;
}
