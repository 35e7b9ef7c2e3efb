/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * name-addr / addr-spec with header parameters (RFC 3261 §20.10, §20.20,
 * §20.39, §25.1): From, To, Contact, Route, Refer-To, Referred-By.
 */
#include <errno.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "msg_hdr_pvt.h"
#include "sipdp_msg_hdr.h"

static SIPDP_COLD int
na_bad(struct sipdp_nameaddr *na)
{
	memset(na, 0, sizeof(*na));
	return -EBADMSG;
}

/*
 * The URI inside < >: up to the first '>', which must come before any byte
 * <= 0x20 (LWS inside the brackets is RFC 4475 badaspec; a URI holds no CTL
 * either). @return the '>' or NULL.
 */
static inline const char *
angle_end(const char *p, const char *end, const char *lo)
{
#ifdef __SSE2__
	const __m128i gt = _mm_set1_epi8('>'), sp = _mm_set1_epi8(' ');

	for (; end - p >= 16; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i low = _mm_cmpeq_epi8(_mm_max_epu8(v, sp), sp);
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(low, _mm_cmpeq_epi8(v, gt)));
		if (mask) {
			p += __builtin_ctz(mask);
			return *p == '>' ? p : NULL;
		}
	}
	/* The last < 16 bytes: one load of the 16 that end at @p end when
	 * the value reaches back that far (@p lo is its first byte), the
	 * bytes before @p p shifted out. */
	if (p < end && end - lo >= 16) {
		unsigned n = (unsigned)(end - p);
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(end - 16));
		__m128i low = _mm_cmpeq_epi8(_mm_max_epu8(v, sp), sp);
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(low, _mm_cmpeq_epi8(v, gt))) >>
				(16 - n);
		if (mask == 0)
			return NULL;
		p += __builtin_ctz(mask);
		return *p == '>' ? p : NULL;
	}
#else
	(void)lo;
#endif
	for (; p < end; p++) {
		if (*p == '>')
			return p;
		if ((unsigned char)*p <= ' ')
			return NULL;
	}
	return NULL;
}

/*
 * Only the split is done here; the URI itself is validated by
 * sipdp_msg_check() (and by callers that use its parts). From and To are
 * read for every message and every retransmission, and a full
 * sipdp_uri_parse() was ~60% of the cost of reading them (callgrind: ~500
 * of ~850 instructions for a From).
 */
static SIPDP_ALWAYS_INLINE int
nameaddr_parse(struct sipdp_str s, struct sipdp_nameaddr *na, bool fast)
{
	const char *end, *p, *q, *uend;

	na->display = na->tag = SIPDP_STR_NULL;
	na->angle = false;
	s = sipdp_hdr_nonnull(s);
	end = s.p + s.len;
	p = sipdp_hdr_lws(s.p, end);
	end = sipdp_hdr_rtrim(p, end);
	if (p == end)
		return na_bad(na);

	if (*p == '"') {
		/* quoted display-name; unterminated is RFC 4475 quotbal. */
		q = sipdp_hdr_quoted_end(p, end);
		if (q == NULL)
			return na_bad(na);
		na->display = sipdp_hdr_view(p, q);
		/* LWS before '<' is optional (RFC 4475 lwsdisp). */
		p = sipdp_hdr_lws(q, end);
		if (p == end || *p != '<')
			return na_bad(na);
	} else if (*p != '<') {
		/* display-name = *(token LWS): only tokens may stand before
		 * '<'; a ',' or '@' there (RFC 4475 baddn) falls through to
		 * the addr-spec branch and fails there or as a URI. */
		const char *t = p, *last = p;
		while (t < end) {
			q = sipdp_hdr_span(t, end, SIPDP_HDR_CC_TOKEN);
			if (q == t)
				break;
			last = q;
			t = sipdp_hdr_lws(q, end);
		}
		if (last > p && t < end && *t == '<') {
			na->display = sipdp_hdr_view(p, last);
			p = t;
		}
	}

	if (*p == '<') {
		q = angle_end(p + 1, end, s.p);
		if (q == NULL || q == p + 1)
			return na_bad(na);
		na->uri = sipdp_hdr_view(p + 1, q);
		na->angle = true;
		p = q + 1;
	} else {
		/* addr-spec: ends at ';' (the rest are header params,
		 * RFC 3261 §20.10, RFC 4475 cparam01) or LWS; it must not
		 * carry '?' headers or ',' (RFC 4475 regbadct). */
		q = p;
		while (q < end && *q != ';' && *q != ' ' && *q != '\t' && *q != '\r' && *q != '\n') {
			if (*q == '?' || *q == ',')
				return na_bad(na);
			q++;
		}
		if (q == p)
			return na_bad(na);
		na->uri = sipdp_hdr_view(p, q);
		p = q;
	}

	uend = p;
	/* From/To nearly always end in exactly ";tag=<token>": take that shape
	 * in one step (what the loop below yields for it, without its per-byte
	 * scans); any other parameter string goes through the loop. */
	if (fast && end - p > 5 && p[0] == ';' &&
	    (sipdp_hdr_load32(p + 1) | 0x00202020u) == sipdp_hdr_load32("tag=")) {
		q = sipdp_hdr_span_fast(p + 5, end, s.p, SIPDP_HDR_CC_PNAME);
		if (q == end) {
			na->params = sipdp_hdr_view(p, end);
			na->tag = sipdp_hdr_view(p + 5, end);
			return 0;
		}
	}
	p = sipdp_hdr_lws(p, end);
	if (p < end) {
		struct sipdp_str cur, n, v;
		int rc;

		if (*p != ';')
			return na_bad(na);
		na->params = sipdp_hdr_view(p, end);
		cur = na->params;
		while ((rc = sipdp_hdr_param_next(&cur, &n, &v)) > 0) {
			if (na->tag.p == NULL && n.len == 3 && (n.p[0] | 0x20) == 't' &&
			    (n.p[1] | 0x20) == 'a' && (n.p[2] | 0x20) == 'g') {
				if (v.p == NULL)
					return na_bad(na);
				na->tag = v;
			}
		}
		if (rc < 0)
			return na_bad(na);
	} else {
		na->params = sipdp_hdr_view(uend, uend);
	}
	return 0;
}

int
sipdp_nameaddr_parse(struct sipdp_str s, struct sipdp_nameaddr *na)
{
	return nameaddr_parse(s, na, true);
}

int
sipdp_hdr_nameaddr_parse_general(struct sipdp_str s, struct sipdp_nameaddr *na)
{
	return nameaddr_parse(s, na, false);
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), times 1000. */
static int
qvalue_parse(struct sipdp_str v, uint16_t *q)
{
	unsigned val, scale = 100;

	if (v.len == 0 || (v.p[0] != '0' && v.p[0] != '1') || v.len > 5)
		return -EBADMSG;
	val = (unsigned)(v.p[0] - '0') * 1000;
	if (v.len > 1) {
		if (v.p[1] != '.')
			return -EBADMSG;
		for (uint32_t i = 2; i < v.len; i++, scale /= 10) {
			if (!sipdp_hdr_is(v.p[i], SIPDP_HDR_CC_DIGIT))
				return -EBADMSG;
			val += (unsigned)(v.p[i] - '0') * scale;
		}
	}
	if (val > 1000)
		return -EBADMSG;
	*q = (uint16_t)val;
	return 0;
}

int
sipdp_contact_next(struct sipdp_str *cursor, struct sipdp_contact *c)
{
	struct sipdp_str cur = *cursor, item, pc, n, v;
	int rc;

	c->star = false;
	c->has_expires = false;
	c->expires = 0;
	c->has_q = false;
	c->q = 0;
	rc = sipdp_list_next(&cur, &item);
	if (rc <= 0)
		return rc;
	if (item.len == 1 && item.p[0] == '*') {
		/* "Contact: *" stands alone (RFC 3261 §10.2.2). */
		if (cur.len != 0)
			return -EBADMSG;
		c->star = true;
		memset(&c->na, 0, sizeof(c->na));
		*cursor = cur;
		return 1;
	}
	rc = sipdp_nameaddr_parse(item, &c->na);
	if (rc != 0)
		return rc;
	pc = c->na.params;
	while ((rc = sipdp_hdr_param_next(&pc, &n, &v)) > 0) {
		if (!c->has_expires && SIPDP_HDR_LIT_EQ(n, "expires")) {
			const char *next;
			if (v.p == NULL)
				return -EBADMSG;
			/* 0..2^32-1; more is RFC 4475 scalar02, never a wrap. */
			rc = sipdp_hdr_number(v.p, v.p + v.len, UINT32_MAX, &c->expires, &next);
			if (rc != 0)
				return rc;
			if (next != v.p + v.len)
				return -EBADMSG;
			c->has_expires = true;
		} else if (!c->has_q && n.len == 1 && (n.p[0] | 0x20) == 'q') {
			if (v.p == NULL || qvalue_parse(v, &c->q) != 0)
				return -EBADMSG;
			c->has_q = true;
		}
	}
	if (rc < 0)
		return rc;
	*cursor = cur;
	return 1;
}

static int
msg_nameaddr(const struct sipdp_msg *m, enum sipdp_hdr_id id, struct sipdp_nameaddr *na)
{
	const struct sipdp_hdr *h = sipdp_msg_hdr(m, id);

	if (h == NULL) {
		memset(na, 0, sizeof(*na));
		return -ENOENT;
	}
	return sipdp_nameaddr_parse(h->value, na);
}

int
sipdp_msg_from(const struct sipdp_msg *m, struct sipdp_nameaddr *na)
{
	return msg_nameaddr(m, SIPDP_HDR_FROM, na);
}

int
sipdp_msg_to(const struct sipdp_msg *m, struct sipdp_nameaddr *na)
{
	return msg_nameaddr(m, SIPDP_HDR_TO, na);
}
