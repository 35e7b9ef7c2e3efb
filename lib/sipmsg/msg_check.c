/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Acceptance: the second level of judgement after syntax. The indexer only
 * proves the message can be framed; this decides whether a UAS would process
 * it (RFC 3261 §8.2) or answer 400/505. It decodes every header it has an
 * opinion on, so it costs more than the index (~300 ns on an INVITE) and runs
 * once per new request, not per retransmission.
 *
 * What is deliberately NOT judged here: unknown URI schemes (416), unknown
 * option tags in Require (420), unknown body types (415), Max-Forwards 0
 * (483): those answers belong to the application, and the message itself is
 * well-formed (RFC 4475 §3.3).
 */
#include <errno.h>
#include <string.h>

#include "sipdp_msg.h"
#include "sipdp_msg_hdr.h"

static SIPDP_COLD int
reject(struct sipdp_msg *m, const char *at, const char *what, uint16_t status)
{
	m->err.what = what;
	m->err.offset = at ? (uint32_t)(at - m->buf) : 0;
	/* Responses are never answered: a bad one is dropped. */
	m->err.status = m->is_request ? status : 0;
	return m->is_request ? status : 400;
}

/* Headers that RFC 3261 §7.3.1 forbids from appearing twice (they are not
 * comma lists). RFC 4475 multi01 repeats all of them. */
static const uint8_t single_valued[] = {
	SIPDP_HDR_CALL_ID, SIPDP_HDR_CSEQ, SIPDP_HDR_FROM, SIPDP_HDR_TO,
	SIPDP_HDR_MAX_FORWARDS, SIPDP_HDR_CONTENT_TYPE, SIPDP_HDR_EXPIRES,
	SIPDP_HDR_RSEQ, SIPDP_HDR_RACK, SIPDP_HDR_SESSION_EXPIRES, SIPDP_HDR_MIN_SE,
	SIPDP_HDR_REFER_TO, SIPDP_HDR_REPLACES, SIPDP_HDR_REFER_SUB,
	SIPDP_HDR_SUBSCRIPTION_STATE, SIPDP_HDR_EVENT,
};

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* rfc1123-date = wkday "," SP date1 SP time SP "GMT" (RFC 3261 §20.17);
 * RFC 4475 baddate sends EST. */
static bool
date_ok(struct sipdp_str v)
{
	static const char *const wk[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	/* "Thu, 21 Feb 2002 13:02:03 GMT" is exactly 29 octets. */
	const char *p = v.p;
	bool ok = false;

	if (v.len != 29 || p[3] != ',' || p[4] != ' ' || p[7] != ' ' || p[11] != ' ' ||
	    p[16] != ' ' || p[19] != ':' || p[22] != ':' || p[25] != ' ' || memcmp(p + 26, "GMT", 3) != 0)
		return false;
	for (unsigned i = 0; i < 7 && !ok; i++)
		ok = memcmp(p, wk[i], 3) == 0;
	if (!ok)
		return false;
	ok = false;
	for (unsigned i = 0; i < 12 && !ok; i++)
		ok = memcmp(p + 8, mon[i], 3) == 0;
	static const uint8_t digits[] = { 5, 6, 12, 13, 14, 15, 17, 18, 20, 21, 23, 24 };
	for (unsigned i = 0; i < sizeof(digits) && ok; i++)
		ok = is_digit(p[digits[i]]);
	return ok;
}

/* warning-value = warn-code SP warn-agent SP warn-text; warn-code = 3DIGIT
 * (RFC 4475 scalarlg sends 1812). */
static bool
warning_ok(struct sipdp_str v)
{
	struct sipdp_str cur = v, item;
	int rc;

	while ((rc = sipdp_list_next(&cur, &item)) == 1) {
		if (item.len < 5 || !is_digit(item.p[0]) || !is_digit(item.p[1]) ||
		    !is_digit(item.p[2]) || item.p[3] != ' ')
			return false;
	}
	return rc == 0;
}

static int
check_uint_hdr(struct sipdp_msg *m, enum sipdp_hdr_id id, uint32_t max, const char *what)
{
	for (const struct sipdp_hdr *h = sipdp_msg_hdr(m, id); h; h = sipdp_msg_hdr_next(m, h)) {
		uint32_t v;
		if (sipdp_uint_parse(h->value, max, &v, NULL) != 0)
			return reject(m, h->value.p, what, 400);
	}
	return 0;
}

static int
check_vias(struct sipdp_msg *m)
{
	const struct sipdp_hdr *h = sipdp_msg_hdr(m, SIPDP_HDR_VIA);

	if (h == NULL)
		return reject(m, NULL, "Via missing", 400);
	for (; h; h = sipdp_msg_hdr_next(m, h)) {
		struct sipdp_str cur = h->value, item;
		int rc;
		while ((rc = sipdp_list_next(&cur, &item)) == 1) {
			struct sipdp_via via;
			if (sipdp_via_parse(item, &via) != 0)
				return reject(m, item.p, "malformed Via", 400);
		}
		if (rc < 0)
			return reject(m, h->value.p, "malformed Via list", 400);
	}
	return 0;
}

static int
check_contacts(struct sipdp_msg *m)
{
	for (const struct sipdp_hdr *h = sipdp_msg_hdr(m, SIPDP_HDR_CONTACT); h;
	     h = sipdp_msg_hdr_next(m, h)) {
		struct sipdp_str cur = h->value;
		struct sipdp_contact c;
		int rc;
		while ((rc = sipdp_contact_next(&cur, &c)) == 1) {
			struct sipdp_uri uri;
			if (!c.star && sipdp_uri_parse(c.na.uri, &uri) != 0)
				return reject(m, c.na.uri.p, "malformed Contact URI", 400);
		}
		if (rc < 0)
			return reject(m, h->value.p, "malformed Contact", 400);
	}
	return 0;
}

static int
check_nameaddr(struct sipdp_msg *m, enum sipdp_hdr_id id, const char *what)
{
	const struct sipdp_hdr *h = sipdp_msg_hdr(m, id);
	struct sipdp_nameaddr na;
	struct sipdp_uri uri;

	/* sipdp_nameaddr_parse() only splits: the URI is judged here, once
	 * per new request, not on every read of From/To. */
	if (h && (sipdp_nameaddr_parse(h->value, &na) != 0 || sipdp_uri_parse(na.uri, &uri) != 0))
		return reject(m, h->value.p, what, 400);
	return 0;
}

static int
check_request_uri(struct sipdp_msg *m)
{
	struct sipdp_uri uri;

	if (sipdp_uri_parse(m->ruri, &uri) != 0)
		return reject(m, m->ruri.p, "malformed Request-URI", 400);
	/* RFC 3261 §19.1.1 table: headers are not allowed in a Request-URI
	 * (RFC 4475 escruri). */
	if ((uri.scheme == SIPDP_URI_SIP || uri.scheme == SIPDP_URI_SIPS) && uri.headers.p)
		return reject(m, uri.headers.p, "headers in Request-URI", 400);
	return 0;
}

int
sipdp_msg_check(struct sipdp_msg *m)
{
	int rc;

	if (!m->version_ok)
		return reject(m, m->version.p, "unsupported SIP version", 505);

	if (!sipdp_msg_hdr(m, SIPDP_HDR_CALL_ID))
		return reject(m, NULL, "Call-ID missing", 400);
	if (!sipdp_msg_hdr(m, SIPDP_HDR_FROM))
		return reject(m, NULL, "From missing", 400);
	if (!sipdp_msg_hdr(m, SIPDP_HDR_TO))
		return reject(m, NULL, "To missing", 400);
	if (!sipdp_msg_hdr(m, SIPDP_HDR_CSEQ))
		return reject(m, NULL, "CSeq missing", 400);
	for (unsigned i = 0; i < sizeof(single_valued); i++)
		if (m->count[single_valued[i]] > 1)
			return reject(m, sipdp_msg_hdr(m, single_valued[i])->value.p,
				      "header that must appear once is repeated", 400);
	if (sipdp_msg_call_id(m).len == 0)
		return reject(m, NULL, "empty Call-ID", 400);

	struct sipdp_cseq cseq;
	if (sipdp_msg_cseq(m, &cseq) != 0)
		return reject(m, sipdp_msg_hdr_value(m, SIPDP_HDR_CSEQ).p, "malformed CSeq", 400);
	if (m->is_request && !sipdp_str_eq(cseq.method_str, m->method_str))
		return reject(m, cseq.method_str.p, "CSeq method does not match the request method", 400);

	if ((rc = check_vias(m)) != 0)
		return rc;
	if ((rc = check_nameaddr(m, SIPDP_HDR_FROM, "malformed From")) != 0 ||
	    (rc = check_nameaddr(m, SIPDP_HDR_TO, "malformed To")) != 0 ||
	    (rc = check_nameaddr(m, SIPDP_HDR_REFER_TO, "malformed Refer-To")) != 0 ||
	    (rc = check_nameaddr(m, SIPDP_HDR_REFERRED_BY, "malformed Referred-By")) != 0)
		return rc;
	if ((rc = check_contacts(m)) != 0)
		return rc;
	if (m->is_request && (rc = check_request_uri(m)) != 0)
		return rc;

	if ((rc = check_uint_hdr(m, SIPDP_HDR_MAX_FORWARDS, 255, "Max-Forwards out of range")) != 0 ||
	    (rc = check_uint_hdr(m, SIPDP_HDR_EXPIRES, UINT32_MAX, "Expires out of range")) != 0 ||
	    (rc = check_uint_hdr(m, SIPDP_HDR_MIN_SE, UINT32_MAX, "Min-SE out of range")) != 0)
		return rc;

	const struct sipdp_hdr *h;
	if ((h = sipdp_msg_hdr(m, SIPDP_HDR_SESSION_EXPIRES)) != NULL) {
		struct sipdp_session_expires se;
		if (sipdp_session_expires_parse(h->value, &se) != 0)
			return reject(m, h->value.p, "malformed Session-Expires", 400);
	}
	if ((h = sipdp_msg_hdr(m, SIPDP_HDR_RSEQ)) != NULL) {
		uint32_t rseq;
		if (sipdp_rseq_parse(h->value, &rseq) != 0)
			return reject(m, h->value.p, "malformed RSeq", 400);
	}
	if ((h = sipdp_msg_hdr(m, SIPDP_HDR_RACK)) != NULL) {
		struct sipdp_rack rack;
		if (sipdp_rack_parse(h->value, &rack) != 0)
			return reject(m, h->value.p, "malformed RAck", 400);
	}
	if ((h = sipdp_msg_hdr(m, SIPDP_HDR_RETRY_AFTER)) != NULL) {
		struct sipdp_retry_after ra;
		if (sipdp_retry_after_parse(h->value, &ra) != 0)
			return reject(m, h->value.p, "malformed Retry-After", 400);
	}
	if ((h = sipdp_msg_hdr(m, SIPDP_HDR_REPLACES)) != NULL) {
		struct sipdp_replaces r;
		if (sipdp_replaces_parse(h->value, &r) != 0)
			return reject(m, h->value.p, "malformed Replaces", 400);
	}
	if ((h = sipdp_msg_hdr(m, SIPDP_HDR_EVENT)) != NULL) {
		struct sipdp_event ev;
		if (sipdp_event_parse(h->value, &ev) != 0)
			return reject(m, h->value.p, "malformed Event", 400);
	}
	if ((h = sipdp_msg_hdr(m, SIPDP_HDR_SUBSCRIPTION_STATE)) != NULL) {
		struct sipdp_subscription_state ss;
		if (sipdp_subscription_state_parse(h->value, &ss) != 0)
			return reject(m, h->value.p, "malformed Subscription-State", 400);
	}
	if ((h = sipdp_msg_hdr(m, SIPDP_HDR_REFER_SUB)) != NULL) {
		bool v;
		if (sipdp_refer_sub_parse(h->value, &v) != 0)
			return reject(m, h->value.p, "malformed Refer-Sub", 400);
	}
	for (h = sipdp_msg_hdr(m, SIPDP_HDR_DATE); h; h = sipdp_msg_hdr_next(m, h))
		if (!date_ok(h->value))
			return reject(m, h->value.p, "malformed Date (must be rfc1123 GMT)", 400);
	for (h = sipdp_msg_hdr(m, SIPDP_HDR_WARNING); h; h = sipdp_msg_hdr_next(m, h))
		if (!warning_ok(h->value))
			return reject(m, h->value.p, "malformed Warning", 400);
	return 0;
}
