/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * via-parm (RFC 3261 §20.42, §25.1; rport RFC 3581; IPv6 RFC 5118):
 *   sent-protocol LWS sent-by *( SEMI via-params )
 * with SWS allowed around '/', ':' and ';' (RFC 4475 wsinv).
 */
#include <errno.h>

#include "msg_hdr_pvt.h"
#include "sipdp_msg_hdr.h"

/* received = IPv4address / IPv6address; RFC 5118 §4.5: with or without [ ]. */
static bool
received_valid(struct sipdp_str v)
{
	const char *p = v.p, *end = v.p + v.len;

	if (v.len >= 2 && p[0] == '[' && end[-1] == ']')
		return sipdp_hdr_ipv6_valid(p + 1, end - 1);
	if (memchr(p, ':', v.len) != NULL)
		return sipdp_hdr_ipv6_valid(p, end);
	return sipdp_hdr_ipv4_valid(p, end);
}

static SIPDP_COLD int
via_bad(struct sipdp_via *via, int rc)
{
	memset(via, 0, sizeof(*via));
	return rc;
}

static int
via_param(struct sipdp_via *via, struct sipdp_str n, struct sipdp_str v)
{
	const char *next;
	uint32_t num;
	uint8_t type;
	int rc;

	/* Dispatch on length first: most params are not ours. */
	switch (n.len) {
	case 3:
		if (!SIPDP_HDR_LIT_EQ(n, "ttl"))
			return 0;
		if (v.p == NULL)
			return -EBADMSG;
		/* ttl = 1*3DIGIT (0-255) */
		rc = sipdp_hdr_number(v.p, v.p + v.len, 255, &num, &next);
		if (rc == 0 && next != v.p + v.len)
			rc = -EBADMSG;
		if (rc != 0)
			return rc;
		via->ttl = (uint16_t)num;
		via->has_ttl = true;
		return 0;
	case 5:
		if (SIPDP_HDR_LIT_EQ(n, "rport")) {
			via->rport_present = true;
			if (v.p == NULL)
				return 0;
			rc = sipdp_hdr_number(v.p, v.p + v.len, 65535, &num, &next);
			if (rc == 0 && next != v.p + v.len)
				rc = -EBADMSG;
			if (rc == 0 && num == 0)
				rc = -ERANGE;
			if (rc != 0)
				return rc;
			via->rport = (uint16_t)num;
			return 0;
		}
		if (!SIPDP_HDR_LIT_EQ(n, "maddr"))
			return 0;
		if (v.p == NULL || sipdp_hdr_host_scan(v.p, v.p + v.len, &type) != v.p + v.len)
			return -EBADMSG;
		via->maddr = v;
		return 0;
	case 6:
		if (!SIPDP_HDR_LIT_EQ(n, "branch"))
			return 0;
		if (v.p == NULL || v.p[0] == '"')
			return -EBADMSG;
		via->branch = v;
		return 0;
	case 8:
		if (!SIPDP_HDR_LIT_EQ(n, "received"))
			return 0;
		if (v.p == NULL || !received_valid(v))
			return -EBADMSG;
		via->received = v;
		return 0;
	default:
		return 0;
	}
}

static SIPDP_NOINLINE int
via_parse_general(struct sipdp_str s, struct sipdp_via *via)
{
	const char *end, *p, *q, *name;
	struct sipdp_str cur, n, v;
	uint32_t port;
	int rc;

	end = s.p + s.len;
	p = sipdp_hdr_lws(s.p, end);
	end = sipdp_hdr_rtrim(p, end);

	/* sent-protocol = protocol-name SLASH protocol-version SLASH transport */
	name = p;
	q = sipdp_hdr_span(p, end, SIPDP_HDR_CC_TOKEN);
	if (q == p)
		return via_bad(via, -EBADMSG);
	via->proto_name = sipdp_hdr_view(p, q);
	p = sipdp_hdr_lws(q, end);
	if (p == end || *p != '/')
		return via_bad(via, -EBADMSG);
	p = sipdp_hdr_lws(p + 1, end);
	q = sipdp_hdr_span(p, end, SIPDP_HDR_CC_TOKEN);
	if (q == p)
		return via_bad(via, -EBADMSG);
	via->proto_version = sipdp_hdr_view(p, q);
	via->protocol = sipdp_hdr_view(name, q);
	p = sipdp_hdr_lws(q, end);
	if (p == end || *p != '/')
		return via_bad(via, -EBADMSG);
	p = sipdp_hdr_lws(p + 1, end);
	q = sipdp_hdr_span(p, end, SIPDP_HDR_CC_TOKEN);
	if (q == p)
		return via_bad(via, -EBADMSG);
	/* Any transport token is fine here (RFC 4475 transports). */
	via->transport = sipdp_hdr_view(p, q);

	p = sipdp_hdr_lws(q, end);
	if (p == q)
		return via_bad(via, -EBADMSG); /* LWS before sent-by is required */
	q = sipdp_hdr_host_scan(p, end, &via->host_type);
	if (q == NULL)
		return via_bad(via, -EBADMSG);
	via->host = sipdp_hdr_view(p, q);
	p = sipdp_hdr_lws(q, end);
	if (p < end && *p == ':') {
		/* COLON = SWS ":" SWS */
		p = sipdp_hdr_lws(p + 1, end);
		if (sipdp_hdr_number(p, end, 65535, &port, &q) != 0 || port == 0)
			return via_bad(via, -EBADMSG);
		via->port = (uint16_t)port;
		p = sipdp_hdr_lws(q, end);
	}
	if (p < end && *p != ';')
		return via_bad(via, -EBADMSG);
	via->params = sipdp_hdr_view(p, end);
	cur = via->params;
	while ((rc = sipdp_hdr_param_next(&cur, &n, &v)) > 0) {
		rc = via_param(via, n, v);
		if (rc != 0)
			return via_bad(via, rc);
	}
	if (rc < 0)
		return via_bad(via, rc);
	return 0;
}

/*
 * Every Via we send and nearly every one we receive reads
 * "SIP/2.0/<transport> host[:port];params" with no LWS but the one SP: that
 * shape is read here in one pass, up to the end of the via-parm (a ',' or
 * @p end). Anything else (folds, "SIP / 2.0", SWS around ':' or ';', a
 * long port, quoted or empty params, any error) returns NULL and the caller
 * asks via_parse_general(), so this path only ever accepts what the general
 * one accepts, with the same fields. @p via has its optional fields reset.
 * @return the ',' or @p end after the via-parm, or NULL.
 */
static inline const char *
via_fast(const char *p, const char *end, struct sipdp_via *via)
{
	const char *lo = p, *q, *n;
	unsigned port;

	if (end - p < 10 || sipdp_hdr_load64(p) != sipdp_hdr_load64("SIP/2.0/"))
		return NULL;
	q = sipdp_hdr_span(p + 8, end, SIPDP_HDR_CC_TOKEN);
	if (q == p + 8 || end - q < 2 || q[0] != ' ' || (unsigned char)q[1] <= ' ')
		return NULL;
	via->proto_name = sipdp_hdr_view(p, p + 3);
	via->proto_version = sipdp_hdr_view(p + 4, p + 7);
	via->protocol = sipdp_hdr_view(p, p + 7);
	via->transport = sipdp_hdr_view(p + 8, q);
	p = q + 1;
	q = sipdp_hdr_host_scan(p, end, &via->host_type);
	if (q == NULL)
		return NULL;
	via->host = sipdp_hdr_view(p, q);
	p = q;
	if (p < end && *p == ':') {
		/* 1-5 digits here; SWS or a longer run (leading zeros) is
		 * the general path's. */
		unsigned d;
		port = 0;
		for (q = p + 1; q < end && q - p <= 5 && (d = (unsigned)(unsigned char)*q - '0') <= 9; q++)
			port = port * 10 + d;
		if (q == p + 1 || port == 0 || port > 65535)
			return NULL;
		via->port = (uint16_t)port;
		p = q;
	}
	/* via-params: ";name[=value]" with nothing between them; a value
	 * in quotes, LWS or an empty name or value is the general path's. */
	const char *params = p;
	while (p < end && *p == ';') {
		struct sipdp_str name, value = SIPDP_STR_NULL;

		/* ";branch=" (any case) as one word compare: the one param
		 * every Via carries skips the name scan and the dispatch. */
		if (end - p > 8 &&
		    (sipdp_hdr_load64(p) | 0x0020202020202000ull) == sipdp_hdr_load64(";branch=")) {
			n = p + 8;
			q = sipdp_hdr_span_fast(n, end, lo, SIPDP_HDR_CC_PNAME);
			if (q == n)
				return NULL;
			via->branch = sipdp_hdr_view(n, q);
			p = q;
			continue;
		}
		n = p + 1;
		q = sipdp_hdr_span(n, end, SIPDP_HDR_CC_PNAME);
		if (q == n)
			return NULL;
		name = sipdp_hdr_view(n, q);
		if (q < end && *q == '=') {
			n = q + 1;
			q = sipdp_hdr_span_fast(n, end, lo, SIPDP_HDR_CC_PNAME);
			if (q == n)
				return NULL;
			value = sipdp_hdr_view(n, q);
		}
		if (via_param(via, name, value) != 0)
			return NULL;
		p = q;
	}
	if (p < end && *p != ',')
		return NULL;
	via->params = sipdp_hdr_view(params, p);
	return p;
}

static inline void
via_reset(struct sipdp_via *via)
{
	/* Field by field, not memset: see sipdp_uri_parse(). protocol,
	 * transport, host and params are always written on success. */
	via->port = 0;
	via->host_type = SIPDP_HOST_NONE;
	via->rport_present = false;
	via->rport = 0;
	via->ttl = 0;
	via->has_ttl = false;
	via->branch = via->received = via->maddr = SIPDP_STR_NULL;
}

/* Measured (callgrind, corpus): sipdp_msg_top_via() ~940 -> ~410
 * instructions with via_fast(), ~90 of them the sent-by host check. */
int
sipdp_via_parse(struct sipdp_str s, struct sipdp_via *via)
{
	const char *end;

	via_reset(via);
	s = sipdp_hdr_nonnull(s);
	end = sipdp_hdr_rtrim(s.p, s.p + s.len);
	if (via_fast(s.p, end, via) == end)
		return 0;
	via_reset(via);
	return via_parse_general(s, via);
}

int
sipdp_hdr_via_parse_general(struct sipdp_str s, struct sipdp_via *via)
{
	via_reset(via);
	return via_parse_general(sipdp_hdr_nonnull(s), via);
}

/*
 * The top via-parm straight from the header value: via_fast() stops at the
 * first ',' so the list split (sipdp_list_next(), ~190 instructions) is only
 * paid when the fast path declines. What it accepts holds no '"', '<' or
 * LWS, so its end is exactly the element sipdp_list_next() would cut.
 */
int
sipdp_msg_top_via(const struct sipdp_msg *m, struct sipdp_via *via)
{
	const struct sipdp_hdr *h = sipdp_msg_hdr(m, SIPDP_HDR_VIA);
	struct sipdp_str cur, item;
	const char *p, *end, *stop;
	int rc;

	if (h == NULL) {
		memset(via, 0, sizeof(*via));
		return -ENOENT;
	}
	via_reset(via);
	cur = sipdp_hdr_nonnull(h->value);
	p = cur.p;
	end = p + cur.len;
	stop = via_fast(p, end, via);
	if (stop == end)
		return 0;
	if (stop != NULL) {
		/* sipdp_list_next(): a comma must be followed by another
		 * element (RFC 4475 badinv01). */
		const char *n = sipdp_hdr_lws(stop + 1, end);
		if (n == end || *n == ',') {
			memset(via, 0, sizeof(*via));
			return -EBADMSG;
		}
		return 0;
	}
	cur = h->value;
	rc = sipdp_list_next(&cur, &item);
	if (rc <= 0) {
		memset(via, 0, sizeof(*via));
		return -EBADMSG;
	}
	return sipdp_via_parse(item, via);
}
