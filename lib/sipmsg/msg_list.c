/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Comma lists and ";name=value" parameters (RFC 3261 §7.3.1, §25.1), plus
 * the character-class table shared by every header sub-parser.
 */
#include <errno.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "msg_hdr_pvt.h"
#include "sipdp_msg_hdr.h"

/* The table is computed by the compiler from the ABNF sets below, so the
 * sets are readable here and the run-time cost is a single load. */
#define CC_ALPHA_(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define CC_DIGIT_(c) ((c) >= '0' && (c) <= '9')
#define CC_ALNUM_(c) (CC_ALPHA_(c) || CC_DIGIT_(c))
#define CC_HEX_(c)   (CC_DIGIT_(c) || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F'))
#define CC_MARK_(c)  ((c) == '-' || (c) == '_' || (c) == '.' || (c) == '!' || (c) == '~' || \
		      (c) == '*' || (c) == '\'' || (c) == '(' || (c) == ')')
#define CC_UNRES_(c) (CC_ALNUM_(c) || CC_MARK_(c))
#define CC_TOKEN_(c) (CC_ALNUM_(c) || (c) == '-' || (c) == '.' || (c) == '!' || (c) == '%' || \
		      (c) == '*' || (c) == '_' || (c) == '+' || (c) == '`' || (c) == '\'' || \
		      (c) == '~')
#define CC_PASS_(c)  (CC_UNRES_(c) || (c) == '&' || (c) == '=' || (c) == '+' || (c) == '$' || \
		      (c) == ',')
#define CC_USER_(c)  (CC_PASS_(c) || (c) == ';' || (c) == '?' || (c) == '/')
#define CC_UINFO_(c) (CC_USER_(c) || (c) == ':' || (c) == '%')
#define CC_PARAM_(c) (CC_UNRES_(c) || (c) == '[' || (c) == ']' || (c) == '/' || (c) == ':' || \
		      (c) == '&' || (c) == '+' || (c) == '$')
#define CC_HNV_(c)   (CC_UNRES_(c) || (c) == '[' || (c) == ']' || (c) == '/' || (c) == '?' || \
		      (c) == ':' || (c) == '+' || (c) == '$')
#define CC_URIC_(c)  (CC_UNRES_(c) || (c) == ';' || (c) == '/' || (c) == '?' || (c) == ':' || \
		      (c) == '@' || (c) == '&' || (c) == '=' || (c) == '+' || (c) == '$' || \
		      (c) == ',' || (c) == '[' || (c) == ']')
#define CC_HOST_(c)  (CC_ALNUM_(c) || (c) == '-' || (c) == '.')
#define CC_WORD_(c)  (CC_TOKEN_(c) || (c) == '(' || (c) == ')' || (c) == '<' || (c) == '>' || \
		      (c) == ':' || (c) == '\\' || (c) == '"' || (c) == '/' || (c) == '[' || \
		      (c) == ']' || (c) == '?' || (c) == '{' || (c) == '}')
#define CC_SCHEME_(c) (CC_ALNUM_(c) || (c) == '+' || (c) == '-' || (c) == '.')
#define CC_LABEL_(c) (CC_ALNUM_(c) || (c) == '-')
#define CC_QDTEXT_(c) ((c) == ' ' || (c) == '\t' || (c) == 0x21 || ((c) >= 0x23 && (c) <= 0x5b) || \
		       ((c) >= 0x5d && (c) <= 0x7e) || (c) >= 0x80)

#define CC_(c) (uint16_t)(                                 \
	(CC_ALPHA_(c) ? SIPDP_HDR_CC_ALPHA : 0) |           \
	(CC_DIGIT_(c) ? SIPDP_HDR_CC_DIGIT : 0) |           \
	(CC_HEX_(c) ? SIPDP_HDR_CC_HEX : 0) |               \
	(CC_TOKEN_(c) ? SIPDP_HDR_CC_TOKEN : 0) |           \
	(CC_UNRES_(c) ? SIPDP_HDR_CC_UNRES : 0) |           \
	(CC_USER_(c) ? SIPDP_HDR_CC_USER : 0) |             \
	(CC_PASS_(c) ? SIPDP_HDR_CC_PASS : 0) |             \
	(CC_UINFO_(c) ? SIPDP_HDR_CC_UINFO : 0) |           \
	(CC_PARAM_(c) ? SIPDP_HDR_CC_PARAM : 0) |           \
	(CC_HNV_(c) ? SIPDP_HDR_CC_HNV : 0) |               \
	(CC_URIC_(c) ? SIPDP_HDR_CC_URIC : 0) |             \
	(CC_HOST_(c) ? SIPDP_HDR_CC_HOST : 0) |             \
	(CC_WORD_(c) ? SIPDP_HDR_CC_WORD : 0) |             \
	(CC_SCHEME_(c) ? SIPDP_HDR_CC_SCHEME : 0) |         \
	(CC_QDTEXT_(c) ? SIPDP_HDR_CC_QDTEXT : 0) |         \
	(CC_LABEL_(c) ? SIPDP_HDR_CC_LABEL : 0))
#define CC4_(c)  CC_(c), CC_((c) + 1), CC_((c) + 2), CC_((c) + 3)
#define CC16_(c) CC4_(c), CC4_((c) + 4), CC4_((c) + 8), CC4_((c) + 12)
#define CC64_(c) CC16_(c), CC16_((c) + 16), CC16_((c) + 32), CC16_((c) + 48)

const uint16_t sipdp_hdr_cc[256] = { CC64_(0), CC64_(64), CC64_(128), CC64_(192) };

const char *
sipdp_hdr_quoted_end(const char *p, const char *end)
{
	p++; /* opening quote */
	for (;;) {
		p = sipdp_hdr_span(p, end, SIPDP_HDR_CC_QDTEXT);
		if (p == end)
			return NULL;
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			return p + 1;
		if (c == '\\') {
			/* quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F): a
			 * NUL may be quoted (RFC 4475 intmeth), CR and LF may
			 * not, so a quote cannot hide a line end. */
			if (end - p < 2)
				return NULL;
			c = (unsigned char)p[1];
			if (c == '\r' || c == '\n' || c >= 0x80)
				return NULL;
			p += 2;
		} else if (c == '\r' || c == '\n') {
			const char *q = sipdp_hdr_lws(p, end);
			if (q == p)
				return NULL;
			p = q;
		} else {
			return NULL; /* a CTL */
		}
	}
}

int
sipdp_hdr_number(const char *p, const char *end, uint32_t max, uint32_t *out,
		 const char **next)
{
	return sipdp_hdr_number_fast(p, end, max, out, next);
}

int
sipdp_hdr_params_check(struct sipdp_str params)
{
	struct sipdp_str n, v;
	int rc;

	while ((rc = sipdp_hdr_param_next(&params, &n, &v)) > 0)
		;
	return rc;
}

/*
 * First ',', '"' or '<' in [p, end), or end. A Via element is ~60 bytes of
 * which none is special until the comma: 16 bytes per step instead of a
 * byte loop cut sipdp_msg_top_via() by ~350 instructions (callgrind).
 */
static inline const char *
list_special(const char *p, const char *end)
{
#ifdef __SSE2__
	const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"'),
		      lt = _mm_set1_epi8('<');

	for (; end - p >= 16; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, comma),
					   _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, lt)));
		unsigned mask = (unsigned)_mm_movemask_epi8(hit);
		if (mask)
			return p + __builtin_ctz(mask);
	}
#endif
	for (; p < end; p++)
		if (*p == ',' || *p == '"' || *p == '<')
			return p;
	return end;
}

int
sipdp_list_next(struct sipdp_str *cursor, struct sipdp_str *item)
{
	struct sipdp_str in = sipdp_hdr_nonnull(*cursor);
	const char *end = in.p + in.len;
	const char *p = sipdp_hdr_lws(in.p, end);
	const char *start = p;

	if (p == end) {
		*cursor = sipdp_hdr_view(end, end);
		return 0;
	}
	while ((p = list_special(p, end)) < end) {
		char c = *p;

		if (c == ',') {
			break;
		} else if (c == '"') {
			p = sipdp_hdr_quoted_end(p, end);
			if (p == NULL)
				return -EBADMSG;
		} else if (c == '<') {
			/* A URI holds no '>' and no '"', so the first '>'
			 * closes; commas in between are the URI's. */
			const char *gt = memchr(p, '>', (size_t)(end - p));
			if (gt == NULL)
				return -EBADMSG;
			p = gt + 1;
		}
	}
	const char *iend = sipdp_hdr_rtrim(start, p);
	if (iend == start)
		return -EBADMSG; /* ",," or a leading ',' */
	if (p < end) {
		/* A comma must be followed by another element: a trailing
		 * "," or ",," is an empty element (RFC 4475 badinv01). */
		const char *n = sipdp_hdr_lws(p + 1, end);
		if (n == end || *n == ',')
			return -EBADMSG;
		p = n;
	}
	*item = sipdp_hdr_view(start, iend);
	*cursor = sipdp_hdr_view(p, end);
	return 1;
}

int
sipdp_param_next(struct sipdp_str *cursor, struct sipdp_str *name, struct sipdp_str *value)
{
	return sipdp_hdr_param_next(cursor, name, value);
}

int
sipdp_param_find(struct sipdp_str params, struct sipdp_str name, struct sipdp_str *value)
{
	struct sipdp_str n, v;
	int rc;

	while ((rc = sipdp_param_next(&params, &n, &v)) > 0) {
		if (sipdp_str_caseeq(n, name)) {
			if (value != NULL)
				*value = v;
			return 0;
		}
	}
	return rc < 0 ? rc : -ENOENT;
}

bool
sipdp_list_has_token(struct sipdp_str value, struct sipdp_str tag)
{
	struct sipdp_str item;
	bool found = false;
	int rc;

	/* The whole list is walked: a malformed list gives false even when
	 * the tag came before the damage (the header said so). */
	while ((rc = sipdp_list_next(&value, &item)) > 0) {
		if (sipdp_str_caseeq(item, tag))
			found = true;
	}
	return rc == 0 && found;
}

bool
sipdp_msg_has_option(const struct sipdp_msg *m, enum sipdp_hdr_id id, struct sipdp_str tag)
{
	for (const struct sipdp_hdr *h = sipdp_msg_hdr(m, id); h; h = sipdp_msg_hdr_next(m, h))
		if (sipdp_list_has_token(h->value, tag))
			return true;
	return false;
}
