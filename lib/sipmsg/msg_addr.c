/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * name-addr / addr-spec with header parameters (RFC 3261 §20.10, §20.20,
 * §20.39, §25.1): From, To, Contact, Route, Refer-To, Referred-By.
 */
#include <errno.h>

#include "msg_hdr_pvt.h"
#include "sipdp_msg_hdr.h"

static SIPDP_COLD int
na_bad(struct sipdp_nameaddr *na)
{
	memset(na, 0, sizeof(*na));
	return -EBADMSG;
}

int
sipdp_nameaddr_parse(struct sipdp_str s, struct sipdp_nameaddr *na)
{
	const char *end, *p, *q, *uend;
	struct sipdp_uri uri;

	na->display = na->uri = na->params = na->tag = SIPDP_STR_NULL;
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
		 * the addr-spec branch and fails as a URI. */
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
		q = memchr(p, '>', (size_t)(end - p));
		if (q == NULL)
			return na_bad(na);
		/* Whatever sits inside < > must be the URI exactly: spaces
		 * there are RFC 4475 badaspec, and sipdp_uri_parse() takes
		 * no LWS. */
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
		na->uri = sipdp_hdr_view(p, q);
		p = q;
	}
	if (sipdp_uri_parse(na->uri, &uri) != 0)
		return na_bad(na);

	uend = p;
	p = sipdp_hdr_lws(p, end);
	if (p < end) {
		struct sipdp_str cur, n, v;
		int rc;

		if (*p != ';')
			return na_bad(na);
		na->params = sipdp_hdr_view(p, end);
		cur = na->params;
		while ((rc = sipdp_param_next(&cur, &n, &v)) > 0) {
			if (na->tag.p == NULL && SIPDP_HDR_LIT_EQ(n, "tag")) {
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
	while ((rc = sipdp_param_next(&pc, &n, &v)) > 0) {
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
