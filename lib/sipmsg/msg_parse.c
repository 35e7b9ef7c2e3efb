/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The message indexer: the start line and the header section.
 *
 * Two indexers share the start line and the body framing. index_fast()
 * takes the shape nearly every message has: it classifies the header
 * section 64 bytes at a time into LF/CR bitmaps (SSE2, or AVX2 when the
 * CPU has it), which settle every line end, the empty line and the absence
 * of bare CR/LF at once, then walks the lines with a hashed name lookup.
 * Anything else goes to index_general(), the line-by-line reference that
 * alone reports errors, so verdicts, texts and offsets come from one place.
 * Only Content-Length is decoded here because framing depends on it.
 * Everything else waits for a layer to ask (sipdp_msg_hdr.h).
 *
 * Strictness follows RFC 3261 §7 and §25 as RFC 4475 reads it: single SP
 * between start-line elements, no trailing SP, CRLF line ends in the header
 * section (a bare LF there is malformed), LWS allowed before the colon and
 * folded continuation lines anywhere in a value.
 *
 * Measured (callgrind, sipdp-bench parse --passes): ~1,900 instructions per
 * corpus message for sipdp_msg_parse(), ~2,360 with the general indexer
 * alone; wall-clock figures in docs/performance.md.
 */
#include <errno.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SIPDP_MSG_AVX2 1
#endif

#include "msg_pvt.h"
#include "sipdp_msg.h"

#define T SIPDP_CC_TOKEN
const uint8_t sipdp_msg_cc[256] = {
	['0' ... '9'] = T, ['A' ... 'Z'] = T, ['a' ... 'z'] = T,
	['-'] = T, ['.'] = T, ['!'] = T, ['%'] = T, ['*'] = T,
	['_'] = T, ['+'] = T, ['`'] = T, ['\''] = T, ['~'] = T,
};
#undef T

static SIPDP_COLD int
fail(struct sipdp_msg *m, const char *at, const char *what, uint16_t status, int rc)
{
	m->err.what = what;
	m->err.offset = (uint32_t)(at - m->buf);
	m->err.status = status;
	return rc;
}

/* "SIP/" 1*DIGIT "." 1*DIGIT. Anything else in the version slot is not SIP. */
static bool
version_syntax_ok(const char *p, uint32_t len, bool *is_20)
{
	uint32_t i = 4, d1, d2;

	if (len == 7 && memcmp(p, "SIP/2.0", 7) == 0) {
		*is_20 = true;
		return true;
	}
	if (len < 7 || memcmp(p, "SIP/", 4) != 0)
		return false;
	for (d1 = i; i < len && p[i] >= '0' && p[i] <= '9'; i++)
		;
	if (i == d1 || i >= len || p[i] != '.')
		return false;
	for (d2 = ++i; i < len && p[i] >= '0' && p[i] <= '9'; i++)
		;
	if (i == d2 || i != len)
		return false;
	*is_20 = len == 7 && p[4] == '2' && p[6] == '0';
	return true;
}

/* First byte <= 0x20 or DEL in [p, end), or NULL: the Request-URI may hold
 * neither (RFC 3261 §25.1). Unsigned max turns "<= 0x20" into one compare. */
static inline const char *
find_ctl(const char *p, const char *end, const char *lo)
{
#ifdef __SSE2__
	const __m128i sp16 = _mm_set1_epi8(0x20);
	const __m128i del16 = _mm_set1_epi8(0x7f);

	for (; end - p >= 16; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i low = _mm_cmpeq_epi8(_mm_max_epu8(v, sp16), sp16);
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(low, _mm_cmpeq_epi8(v, del16)));
		if (mask)
			return p + __builtin_ctz(mask);
	}
	/* The last < 16 bytes in one load of the 16 that end at @p end, when
	 * the line reaches back that far (@p lo: its first byte). */
	if (p < end && end - lo >= 16) {
		unsigned n = (unsigned)(end - p);
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(end - 16));
		__m128i low = _mm_cmpeq_epi8(_mm_max_epu8(v, sp16), sp16);
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(low, _mm_cmpeq_epi8(v, del16))) >>
				(16 - n);
		return mask ? p + __builtin_ctz(mask) : NULL;
	}
#else
	(void)lo;
#endif
	for (; p < end; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return p;
	return NULL;
}

static int
parse_request_line(struct sipdp_msg *m, const char *p, const char *eol)
{
	const char *q = p;

	while (q < eol && sipdp_msg_is_token((unsigned char)*q))
		q++;
	if (q == p || q == eol || *q != ' ')
		return fail(m, q, "bad method in request line", 400, -EBADMSG);
	m->method_str = sipdp_str_make(p, (size_t)(q - p));
	m->method = (uint8_t)sipdp_method_lookup(p, (uint32_t)(q - p));

	const char *uri = ++q;
	/* Nearly every request line ends in " SIP/2.0": then a Request-URI
	 * without SP or CTL up to there is the whole middle, which is what
	 * the general checks below conclude, without two memchr calls. */
	if (eol - uri > 8 && sipdp_msg_load64(eol - 8) == sipdp_msg_load64(" SIP/2.0") && find_ctl(uri, eol - 8, p) == NULL) {
		m->ruri = sipdp_str_make(uri, (size_t)(eol - 8 - uri));
		m->version = sipdp_str_make(eol - 7, 7);
		m->version_ok = true;
		m->is_request = true;
		return 0;
	}
	const char *sp = memchr(uri, ' ', (size_t)(eol - uri));
	if (sp == NULL || sp == uri)
		return fail(m, uri, "bad Request-URI or extra SP in request line", 400, -EBADMSG);
	/* The version is the last element: a second SP means LWS inside the
	 * Request-URI (RFC 4475 lwsruri), several SPs (lwsstart) or a trailing
	 * SP (trws); all are malformed. */
	const char *ver = sp + 1;
	if (memchr(ver, ' ', (size_t)(eol - ver)) != NULL)
		return fail(m, ver, "extra SP in request line", 400, -EBADMSG);
	const char *bad = find_ctl(uri, sp, p);
	if (bad)
		return fail(m, bad, "control character or LWS in Request-URI", 400, -EBADMSG);
	m->ruri = sipdp_str_make(uri, (size_t)(sp - uri));

	bool is20 = false;
	if (!version_syntax_ok(ver, (uint32_t)(eol - ver), &is20))
		return fail(m, ver, "bad SIP-Version in request line", 400, -EBADMSG);
	m->version = sipdp_str_make(ver, (size_t)(eol - ver));
	m->version_ok = is20;
	m->is_request = true;
	return 0;
}

static int
parse_status_line(struct sipdp_msg *m, const char *p, const char *eol)
{
	/* "SIP/2.0 " holds no other SP, so the first SP is the eighth byte. */
	const char *sp = eol - p > 8 && sipdp_msg_load64(p) == sipdp_msg_load64("SIP/2.0 ") ? p + 7
								    : memchr(p, ' ', (size_t)(eol - p));
	bool is20 = false;

	if (sp == NULL || !version_syntax_ok(p, (uint32_t)(sp - p), &is20))
		return fail(m, p, "bad SIP-Version in status line", 400, -EBADMSG);
	m->version = sipdp_str_make(p, (size_t)(sp - p));
	m->version_ok = is20;

	/* Status-Code = 3DIGIT, 100..699 (RFC 3261 §7.2); RFC 4475 bigcode
	 * sends 4294967301 to catch parsers that wrap. */
	const char *c = sp + 1;
	if (eol - c < 4 || c[0] < '1' || c[0] > '6' || c[1] < '0' || c[1] > '9' ||
	    c[2] < '0' || c[2] > '9' || c[3] != ' ')
		return fail(m, c, "bad status code", 0, -EBADMSG);
	m->status = (uint16_t)((c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0'));
	/* Reason-Phrase may be empty (RFC 4475 noreason) and may carry UTF-8;
	 * only CR and LF are excluded, and eol already stops at them. */
	m->reason = sipdp_str_make(c + 4, (size_t)(eol - (c + 4)));
	for (const char *r = c + 4; r < eol; r++)
		if (*r == '\r' || *r == '\0')
			return fail(m, r, "control character in reason phrase", 0, -EBADMSG);
	m->is_request = false;
	return 0;
}

/* Content-Length: 1*DIGIT. Decoded here because it frames the message;
 * a second instance must agree (RFC 4475 mcl01 has 13 and 5). */
static int
note_content_length(struct sipdp_msg *m, const struct sipdp_hdr *h)
{
	uint32_t v;
	int rc = sipdp_str_to_u32(h->value, SIPDP_MSG_MAX_LEN, &v);

	if (rc == -ERANGE)
		return fail(m, h->value.p, "Content-Length too large", 400, -EBADMSG);
	if (rc)
		return fail(m, h->value.p, "Content-Length not a non-negative number", 400, -EBADMSG);
	if (m->has_clen && v != m->clen)
		return fail(m, h->value.p, "conflicting Content-Length values", 400, -EBADMSG);
	m->clen = v;
	m->has_clen = true;
	return 0;
}

static inline bool
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool
is_lws(char c)
{
	/* One range check and one bit test instead of four compares. */
	unsigned char u = (unsigned char)c;
	return u <= ' ' && ((1ull << u) & ((1ull << ' ') | (1ull << '\t') | (1ull << '\r') | (1ull << '\n')));
}

/*
 * End of the header name starting at @p p: the first ':', SP or HTAB, never
 * past the line's LF @p nl (then the caller reports the missing colon).
 * One 16-byte compare covers nearly every SIP header name.
 */
static inline const char *
find_name_end(const char *p, const char *nl, const char *end)
{
#ifdef __SSE2__
	if (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')),
					   _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
							_mm_cmpeq_epi8(v, _mm_set1_epi8('\t'))));
		unsigned mask = (unsigned)_mm_movemask_epi8(hit);
		if (mask) {
			const char *q = p + __builtin_ctz(mask);
			return q < nl ? q : nl;
		}
		p += 16;
		if (p >= nl)
			return nl;
	}
#endif
	while (p < nl && *p != ':' && !is_ws(*p))
		p++;
	return p;
}

/*
 * Header name of the line at @p p and its id: the name ends at the first
 * ':' (or at the line's LF @p nl, then the caller finds no colon). A name shorter than 16 bytes, which is nearly every one, is
 * found and compared with its table row from the same 16-byte load:
 * ~20 instructions for both, where the two steps apart took ~45.
 */
static SIPDP_ALWAYS_INLINE enum sipdp_hdr_id
scan_name(const char *p, const char *nl, const char *end, const char **name_end)
{
#ifdef __SSE2__
	if (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		/* Only ':' ends the name here: SP or HTAB before it stays
		 * in the name, fails the lookup and the token check, and the
		 * line goes to the general indexer, which allows that LWS. */
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')));
		if (mask) {
			unsigned len = (unsigned)__builtin_ctz(mask), e;
			const char *q = p + len;

			if (q >= nl) {
				*name_end = nl;
				return SIPDP_HDR_OTHER;
			}
			*name_end = q;
			if (len == 0)
				return SIPDP_HDR_OTHER;
			e = sipdp_msg_name_hash[SIPDP_MSG_NAME_HASH(len, (unsigned char)p[0] | 0x20u,
								   (unsigned char)q[-1] | 0x20u)];
			if (e & SIPDP_MSG_NAME_COMPACT)
				return len == 1 ? (enum sipdp_hdr_id)(e & ~SIPDP_MSG_NAME_COMPACT)
						: SIPDP_HDR_OTHER;
			if (e == SIPDP_HDR_OTHER || (unsigned char)sipdp_msg_name_rows[e][31] != len)
				return SIPDP_HDR_OTHER;
			/* Bytes 0..len-1 folded must equal the row; see
			 * sipdp_msg_name_lookup() for what folding aliases. */
			__m128i row = _mm_load_si128((const __m128i *)(const void *)sipdp_msg_name_rows[e]);
			unsigned eq = (unsigned)_mm_movemask_epi8(
				_mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), row));
			return (~eq & ((1u << len) - 1)) == 0 ? (enum sipdp_hdr_id)e : SIPDP_HDR_OTHER;
		}
	}
#endif
	*name_end = find_name_end(p, nl, end);
	return *name_end > p ? sipdp_msg_name_lookup(p, (uint32_t)(*name_end - p)) : SIPDP_HDR_OTHER;
}

/*
 * First LF at or after @p p, or NULL. Also reports a CR that is not
 * immediately followed by that LF (a bare CR, forbidden in the header
 * section), so the value needs no second scan. SSE2 is baseline on x86_64:
 * 16 bytes per step, which for the ~30-byte lines of a typical INVITE is
 * two steps and cheaper than a memchr call. Never reads at or past @p end.
 */
static inline const char *
find_lf(const char *p, const char *end, bool *bare_cr)
{
#ifdef __SSE2__
	const __m128i lf16 = _mm_set1_epi8('\n');
	const __m128i cr16 = _mm_set1_epi8('\r');

	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned lf = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf16));
		unsigned cr = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, cr16));
		if (lf) {
			unsigned first = lf & -lf;
			/* CRs before the LF, except the one right before it. */
			if (cr & (first - 1) & ~(first >> 1))
				*bare_cr = true;
			return p + __builtin_ctz(lf);
		}
		/* No LF here: every CR is bare, except one in the last byte
		 * whose LF starts the next block. */
		if (cr & 0x7fffu)
			*bare_cr = true;
		if ((cr & 0x8000u) && !(end - p > 16 && p[16] == '\n'))
			*bare_cr = true;
		p += 16;
	}
#endif
	for (; p < end; p++) {
		if (*p == '\n')
			return p;
		if (*p == '\r' && (p + 1 >= end || p[1] != '\n'))
			*bare_cr = true;
	}
	return NULL;
}

/*
 * memset() of a small constant size with 16-byte stores: gcc emits
 * "rep stos" for the index reset, whose start-up alone costs more than the
 * ~16 stores it replaces (and which callgrind counts once per word).
 */
static SIPDP_ALWAYS_INLINE void
zero_small(void *dst, size_t n)
{
	char *d = dst;
	size_t i = 0;

#ifdef __SSE2__
	/* The empty asm hides that the value is zero, or gcc turns the
	 * loop back into a memset ("rep stos"). */
	__m128i z = _mm_setzero_si128();
	__asm__("" : "+x"(z));
	for (; i + 16 <= n; i += 16)
		_mm_storeu_si128((__m128i *)(void *)(d + i), z);
#endif
	memset(d + i, 0, n - i);
}

/* Records one indexed header line and links it behind the earlier
 * instances of its id. */
static inline int
add_header(struct sipdp_msg *m, uint16_t *last, uint16_t n, const char *name,
	   const char *name_end, enum sipdp_hdr_id id, const char *v, const char *vend)
{
	struct sipdp_hdr *h = &m->hdrs[n];

	h->name = sipdp_str_make(name, (size_t)(name_end - name));
	h->value = sipdp_str_make(v, (size_t)(vend - v));
	h->id = (uint8_t)id;
	h->next = 0;
	h->reserved = 0;
	n++;
	if (id != SIPDP_HDR_OTHER) {
		if (last[id])
			m->hdrs[last[id] - 1].next = n;
		else
			m->first[id] = n;
		last[id] = n;
		if (m->count[id] < UINT8_MAX)
			m->count[id]++;
		if (id == SIPDP_HDR_CONTENT_LENGTH)
			return note_content_length(m, h);
	}
	return 0;
}

/*
 * The general header-section indexer: line by line, every anomaly reported
 * with its own message and offset. index_fast() hands every message it does
 * not take whole over to this one, so errors, -EAGAIN and odd shapes are
 * decided here and only here.
 * @return 0 with *body set to the first body byte, or the parse result.
 */
static SIPDP_NOINLINE int
index_general(struct sipdp_msg *m, const char *p, const char *end, bool stream,
	      const char **body)
{
	uint16_t last[SIPDP_HDR__COUNT];
	uint16_t n = 0;
	int rc;

	/* `last` links instances of each id without a second pass; it lives
	 * on the stack and only needs clearing per message. */
	memset(last, 0, sizeof(last));
	for (;;) {
		if (p >= end) {
			if (stream)
				return -EAGAIN;
			return fail(m, p, "header section not terminated by an empty line", 400, -EBADMSG);
		}
		if (*p == '\r') {
			if (p + 1 >= end) {
				if (stream)
					return -EAGAIN;
				return fail(m, p, "header section not terminated by an empty line", 400,
					    -EBADMSG);
			}
			if (p[1] != '\n')
				return fail(m, p, "bare CR in header section", 400, -EBADMSG);
			p += 2;
			break;
		}
		if (SIPDP_UNLIKELY(n == SIPDP_MSG_MAX_HDRS)) {
			fail(m, p, "too many header fields", 513, -ENOSPC);
			return -ENOSPC;
		}

		/* The line's LF first: it bounds the name scan below (an LF is
		 * not a token character), so that loop needs no end check. */
		bool bare_cr = false;
		const char *nl = find_lf(p, end, &bare_cr);
		if (nl == NULL || nl + 1 >= end) {
			if (stream)
				return -EAGAIN;
			return fail(m, nl ? nl : end, "header section not terminated", 400, -EBADMSG);
		}

		/* field-name *(SP/HTAB) ":" */
		const char *name = p;
		const char *name_end = find_name_end(p, nl, end);
		enum sipdp_hdr_id id = name_end > name ? sipdp_hdr_lookup(name, (uint32_t)(name_end - name))
						       : SIPDP_HDR_OTHER;
		/* A known name matched our table letter for letter, so only
		 * unknown ones need their characters checked. */
		if (id == SIPDP_HDR_OTHER) {
			for (const char *c = name; c < name_end; c++)
				if (!sipdp_msg_is_token((unsigned char)*c))
					return fail(m, c, "non-token character in header name", 400, -EBADMSG);
		}
		p = name_end;
		while (is_ws(*p))
			p++;
		if (name_end == name || *p != ':')
			return fail(m, p, name_end == name ? "header line starts with a non-token" :
							     "header line without a colon",
				    400, -EBADMSG);
		p++;

		/* Value: up to a CRLF not followed by SP/HTAB (a fold). */
		const char *v = p;
		const char *vend;
		for (;;) {
			if (SIPDP_UNLIKELY(bare_cr))
				return fail(m, p, "bare CR in header value", 400, -EBADMSG);
			if (nl[-1] != '\r')
				return fail(m, nl, "bare LF in header section", 400, -EBADMSG);
			p = nl + 1;
			if (SIPDP_LIKELY(!is_ws(*p))) {
				vend = nl - 1;
				break;
			}
			nl = find_lf(p, end, &bare_cr);
			if (nl == NULL || nl + 1 >= end) {
				if (stream)
					return -EAGAIN;
				return fail(m, nl ? nl : end, "header section not terminated", 400, -EBADMSG);
			}
		}
		/* Trim LWS, folds included: a CR or LF inside a value can only
		 * be part of a fold here (bare ones were refused above), so a
		 * value that is nothing but folds becomes empty instead of
		 * carrying a CRLF that a copy would turn into an empty line. */
		while (v < vend && is_lws(*v))
			v++;
		while (vend > v && is_lws(vend[-1]))
			vend--;
		rc = add_header(m, last, n, name, name_end, id, v, vend);
		n++;
		if (rc)
			return rc;
	}
	m->nhdrs = n;
	*body = p;
	return 0;
}

/*
 * LF and CR bitmaps of the 64 bytes at @p p (bit i is p[i]): four 16-byte
 * compares, so the header section is classified once, 64 bytes per step,
 * instead of every line paying a scan of its own.
 */
static inline void
block_masks(const char *p, uint64_t *lf, uint64_t *cr)
{
#ifdef __SSE2__
	const __m128i lf16 = _mm_set1_epi8('\n');
	const __m128i cr16 = _mm_set1_epi8('\r');
	uint64_t l = 0, c = 0;

	for (unsigned i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
		l |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf16)) << (16 * i);
		c |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, cr16)) << (16 * i);
	}
	*lf = l;
	*cr = c;
#else
	uint64_t l = 0, c = 0;

	for (unsigned i = 0; i < 64; i++) {
		l |= (uint64_t)(p[i] == '\n') << i;
		c |= (uint64_t)(p[i] == '\r') << i;
	}
	*lf = l;
	*cr = c;
#endif
}

/* Line ends the fast indexer keeps: header lines plus folds. */
#define FAST_MAX_LINES 128
SIPDP_STATIC_ASSERT(SIPDP_MSG_MAX_HDRS < UINT8_MAX, "index_fast() counts without saturating");

/*
 * LF and CR bitmaps of the block at @p b, which is @p rem bytes from the
 * end of the buffer. A block shorter than 64 bytes is read as the 64 bytes
 * that end at the buffer's end (the ones before @p b are the message's
 * own), or byte by byte when the whole message is shorter, so nothing past
 * the buffer is ever read. Bits past the end are zero.
 */
typedef void block_masks_fn(const char *p, uint64_t *lf, uint64_t *cr);

static SIPDP_ALWAYS_INLINE void
tail_masks(const char *b, size_t rem, const char *buf, uint64_t *lf, uint64_t *cr,
	   block_masks_fn *masks)
{
	if (rem >= 64) {
		masks(b, lf, cr);
	} else if (b + rem - buf >= 64) {
		masks(b + rem - 64, lf, cr);
		*lf >>= 64 - rem;
		*cr >>= 64 - rem;
	} else {
		uint64_t l = 0, c = 0;

		for (size_t i = 0; i < rem; i++) {
			l |= (uint64_t)(b[i] == '\n') << i;
			c |= (uint64_t)(b[i] == '\r') << i;
		}
		*lf = l;
		*cr = c;
	}
}

/*
 * Phase 1 of the fast indexer: from the bitmaps alone, find every line end
 * of the header section (offsets from @p hs into @p eol) and the empty line
 * that closes it, and prove that every CR and LF before it is part of a
 * CRLF. The empty line is an LF two bytes after another one: with CRLF
 * pairs proven, "\n\r\n". No per-line work happens here but storing the
 * offset. @return the number of line ends, or -1 to decline.
 */
static SIPDP_ALWAYS_INLINE int
find_line_ends_with(const char *buf, const char *hs, const char *end, uint16_t *eol,
		    const char **body, block_masks_fn *masks)
{
	uint64_t lf, cr, bad, e, prev_lf = 0, cr_carry = 0;
	int k = 0;

	for (const char *b = hs; b < end; b += 64) {
		size_t rem = (size_t)(end - b);

		tail_masks(b, rem, buf, &lf, &cr, masks);
		/* Bit i: byte i-1 is a CR and byte i no LF, or the reverse. */
		bad = lf ^ (cr << 1 | cr_carry);
		/* An empty line across the block edge: LF at 62 or 63 of the
		 * previous block and at 0 or 1 of this one. */
		e = (prev_lf >> 62) & lf;
		if (e) {
			/* The last header line ended in the previous block, at
			 * offset (b - hs) - 2 + ctz(e), already stored. */
			const char *last = b - 2 + __builtin_ctzll(e);
			if (k == 0 || hs + eol[k - 1] != last)
				return -1;
			/* Bytes of this block up to the empty line's LF. */
			unsigned upto = (unsigned)(last + 3 - b);
			if (bad & ((1ull << upto) - 1))
				return -1;
			*body = last + 3;
			return k;
		}
		e = lf & (lf >> 2);
		if (e) {
			unsigned at = (unsigned)__builtin_ctzll(e);
			/* LFs up to and including the last header line's; the
			 * bytes up to the empty line's LF must be clean. */
			uint64_t keep = lf & ((2ull << at) - 1);
			if (at + 3 < 64 && (bad & ((1ull << (at + 3)) - 1)))
				return -1;
			if (at + 3 >= 64 && bad)
				return -1;
			for (; keep; keep &= keep - 1)
				eol[k++] = (uint16_t)(b - hs + __builtin_ctzll(keep));
			if (k > FAST_MAX_LINES)
				return -1;
			*body = b + at + 3;
			return k;
		}
		if (bad || rem <= 64)
			return -1;
		/* eol has room for one more block past the limit, so the
		 * count is checked once per block, not per LF. */
		for (uint64_t keep = lf; keep; keep &= keep - 1)
			eol[k++] = (uint16_t)(b - hs + __builtin_ctzll(keep));
		if (k > FAST_MAX_LINES)
			return -1;
		prev_lf = lf;
		cr_carry = cr >> 63;
	}
	return -1;
}

static SIPDP_NOINLINE int
find_line_ends_sse2(const char *buf, const char *hs, const char *end, uint16_t *eol,
		    const char **body)
{
	return find_line_ends_with(buf, hs, end, eol, body, block_masks);
}

#ifdef SIPDP_MSG_AVX2
/* 32 bytes per compare: half the instructions of block_masks() for the
 * same bitmaps (callgrind: ~40 -> ~16 per 64-byte block). */
static __attribute__((target("avx2"))) inline void
block_masks_avx2(const char *p, uint64_t *lf, uint64_t *cr)
{
	const __m256i lf32 = _mm256_set1_epi8('\n');
	const __m256i cr32 = _mm256_set1_epi8('\r');
	const __m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)p);
	const __m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));

	*lf = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, lf32)) |
	      (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, lf32)) << 32;
	*cr = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, cr32)) |
	      (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, cr32)) << 32;
}

static __attribute__((target("avx2"))) SIPDP_NOINLINE int
find_line_ends_avx2(const char *buf, const char *hs, const char *end, uint16_t *eol,
		    const char **body)
{
	return find_line_ends_with(buf, hs, end, eol, body, block_masks_avx2);
}
#endif

/*
 * The build targets baseline x86-64 (SSE2, optionally SSE4.2); AVX2 is
 * chosen at run time. __builtin_cpu_supports() reads what libgcc's
 * constructor found once: a load and a test per message.
 */
static inline int
find_line_ends(const char *buf, const char *hs, const char *end, uint16_t *eol,
	       const char **body, bool allow_avx2)
{
#ifdef SIPDP_MSG_AVX2
	if (allow_avx2 && __builtin_cpu_supports("avx2"))
		return find_line_ends_avx2(buf, hs, end, eol, body);
#else
	(void)allow_avx2;
#endif
	return find_line_ends_sse2(buf, hs, end, eol, body);
}

/*
 * The indexer for messages as they nearly always arrive: CRLF line ends
 * only, names followed straight by ':' and the whole header section in the
 * buffer. find_line_ends() settles the line structure from 64-byte
 * bitmaps, so a header line costs its name lookup, a trim and the stores.
 * Anything else (a bare CR or LF, a malformed name, a bad Content-Length,
 * too many lines, an incomplete section) returns 1, and index_general()
 * starts over to decide it, so errors and -EAGAIN come from one place.
 * Measured (callgrind, corpus): ~1,650 instructions per message including
 * find_line_ends() (~520), i.e. ~115 per header line.
 */
static inline int
index_fast(struct sipdp_msg *m, const char *buf, const char *hs, const char *end,
	   const char **body, bool allow_avx2)
{
	uint16_t eol[FAST_MAX_LINES + 64];
	uint16_t last[SIPDP_HDR__COUNT];
	const char *p = hs;
	int k, n = 0;

	/* No header at all is the general indexer's (and malformed). */
	if (end - hs < 2 || *hs == '\r')
		return 1;
	k = find_line_ends(buf, hs, end, eol, body, allow_avx2);
	if (k <= 0 || k > SIPDP_MSG_MAX_HDRS)
		return 1;
	zero_small(last, sizeof(last));
	struct sipdp_hdr *h = m->hdrs;
	for (int i = 0; i < k; i++) {
		const char *nl = hs + eol[i];
		const char *name = p;
		const char *name_end;
		enum sipdp_hdr_id id = scan_name(p, nl, end, &name_end);

		if (name_end == name || *name_end != ':')
			return 1;
		if (id == SIPDP_HDR_OTHER) {
			for (const char *c = name; c < name_end; c++)
				if (!sipdp_msg_is_token((unsigned char)*c))
					return 1;
		}
		/* A fold (CRLF then SP/HTAB) continues the value. */
		while (SIPDP_UNLIKELY(is_ws(nl[1]))) {
			if (++i == k)
				return 1;
			nl = hs + eol[i];
		}
		/* Trim LWS: one SP after the colon and none at the end is the
		 * rule; the loops take the rest (folds included). */
		const char *v = name_end + 1;
		const char *vend = nl - 1;
		if (v < vend && *v == ' ')
			v++;
		if (SIPDP_UNLIKELY(v < vend && (unsigned char)*v <= ' ')) {
			while (v < vend && is_lws(*v))
				v++;
		}
		if (SIPDP_UNLIKELY(vend > v && (unsigned char)vend[-1] <= ' ')) {
			while (vend > v && is_lws(vend[-1]))
				vend--;
		}
		h->name = sipdp_str_make(name, (size_t)(name_end - name));
		h->value = sipdp_str_make(v, (size_t)(vend - v));
		h->next = 0;
		h->id = (uint8_t)id;
		h->reserved = 0;
		h++;
		n++;
		if (id != SIPDP_HDR_OTHER) {
			if (last[id])
				m->hdrs[last[id] - 1].next = (uint16_t)n;
			else
				m->first[id] = (uint16_t)n;
			last[id] = (uint16_t)n;
			/* At most SIPDP_MSG_MAX_HDRS (< 255) lines here: no
			 * saturation needed. */
			m->count[id]++;
			if (id == SIPDP_HDR_CONTENT_LENGTH && note_content_length(m, h - 1) != 0)
				return 1;
		}
		p = nl + 1;
	}
	m->nhdrs = (uint16_t)n;
	return 0;
}

/* Which header indexer msg_parse() runs. */
enum index_mode {
	INDEX_BOTH,    /* fast, and the general one for what it declines */
	INDEX_GENERAL, /* the reference */
	INDEX_FAST,    /* -ENOTSUP where the fast one declines (tests) */
	INDEX_FAST_SSE2, /* the same without the AVX2 block scan (tests) */
};

static SIPDP_ALWAYS_INLINE int
msg_parse(struct sipdp_msg *m, const char *buf, size_t len, unsigned flags, enum index_mode mode)
{
	const bool stream = flags & SIPDP_MSG_F_STREAM;
	const char *end = buf + len;
	const char *p;
	int rc;

	/* Only the fixed part is cleared: the header array is written as it
	 * is filled, which keeps the reset at ~250 bytes per message. */
	zero_small(m, offsetof(struct sipdp_msg, hdrs));
	m->buf = buf;

	if (SIPDP_UNLIKELY(len > SIPDP_MSG_MAX_LEN)) {
		fail(m, buf, "message too large", 513, -EMSGSIZE);
		return -EMSGSIZE;
	}

	/* Start line. */
	const char *lf = memchr(buf, '\n', len);
	if (lf == NULL) {
		if (stream)
			return -EAGAIN;
		return fail(m, end, "no line end after start line", 0, -EBADMSG);
	}
	if (lf == buf || lf[-1] != '\r')
		return fail(m, lf, "start line not ended by CRLF", 400, -EBADMSG);
	const char *eol = lf - 1;
	if (len >= 4 && memcmp(buf, "SIP/", 4) == 0)
		rc = parse_status_line(m, buf, eol);
	else
		rc = parse_request_line(m, buf, eol);
	if (rc)
		return rc;

	/* Header section. */
	if (mode == INDEX_GENERAL || index_fast(m, buf, lf + 1, end, &p, mode != INDEX_FAST_SSE2) != 0) {
		if (mode == INDEX_FAST || mode == INDEX_FAST_SSE2)
			return -ENOTSUP;
		/* Start over from a clean index: the fast pass may have
		 * filled part of it. */
		memset(m->first, 0, sizeof(m->first));
		memset(m->count, 0, sizeof(m->count));
		m->clen = 0;
		m->has_clen = false;
		memset(&m->err, 0, sizeof(m->err));
		rc = index_general(m, lf + 1, end, stream, &p);
		if (rc)
			return rc;
	}
	m->hdr_end = (uint32_t)(p - buf);

	/* Body. */
	uint32_t avail = (uint32_t)(end - p);
	if (stream) {
		/* RFC 3261 §18.3: on a stream Content-Length is mandatory. */
		if (!m->has_clen)
			return fail(m, p, "Content-Length missing on a stream", 400, -EBADMSG);
		if (avail < m->clen)
			return -EAGAIN;
		m->body = sipdp_str_make(p, m->clen);
	} else if (m->has_clen) {
		/* Octets after Content-Length are discarded (§18.3, RFC 4475
		 * dblreq); fewer is malformed (clerr). */
		if (avail < m->clen)
			return fail(m, p, "Content-Length larger than the body", 400, -EBADMSG);
		m->body = sipdp_str_make(p, m->clen);
	} else {
		m->body = sipdp_str_make(p, avail);
	}
	m->len = m->hdr_end + m->body.len;
	return (int)m->len;
}

int
sipdp_msg_parse(struct sipdp_msg *m, const char *buf, size_t len, unsigned flags)
{
	return msg_parse(m, buf, len, flags, INDEX_BOTH);
}

int
sipdp_msg_parse_general(struct sipdp_msg *m, const char *buf, size_t len, unsigned flags)
{
	return msg_parse(m, buf, len, flags, INDEX_GENERAL);
}

int
sipdp_msg_parse_fast_only(struct sipdp_msg *m, const char *buf, size_t len, unsigned flags,
			  bool allow_avx2)
{
	return msg_parse(m, buf, len, flags, allow_avx2 ? INDEX_FAST : INDEX_FAST_SSE2);
}

const struct sipdp_hdr *
sipdp_msg_hdr_by_name(const struct sipdp_msg *m, struct sipdp_str name)
{
	enum sipdp_hdr_id id = sipdp_hdr_lookup(name.p, name.len);

	if (id != SIPDP_HDR_OTHER)
		return sipdp_msg_hdr(m, id);
	for (uint16_t i = 0; i < m->nhdrs; i++)
		if (m->hdrs[i].id == SIPDP_HDR_OTHER && sipdp_str_caseeq(m->hdrs[i].name, name))
			return &m->hdrs[i];
	return NULL;
}
