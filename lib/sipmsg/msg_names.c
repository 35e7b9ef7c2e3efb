/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header-name and method tables. Names are looked up by their lower-cased
 * first letter and then by length and a case-folded compare: the bucket for
 * any letter holds at most a handful of names, so a lookup costs one switch
 * and one or two short compares (~3 ns on the corpus).
 */
#include <string.h>

#include "msg_pvt.h"
#include "sipdp_msg.h"

struct hdr_name {
	const char *name;
	uint8_t len;
	uint8_t id;
};

#define N(s, id) { s, sizeof(s) - 1, id }

/* Canonical spelling of each id, written once so names and lengths cannot
 * drift apart. */
#define CANONICAL(X) \
	X(SIPDP_HDR_OTHER, "") \
	X(SIPDP_HDR_VIA, "Via") \
	X(SIPDP_HDR_FROM, "From") \
	X(SIPDP_HDR_TO, "To") \
	X(SIPDP_HDR_CALL_ID, "Call-ID") \
	X(SIPDP_HDR_CSEQ, "CSeq") \
	X(SIPDP_HDR_CONTACT, "Contact") \
	X(SIPDP_HDR_MAX_FORWARDS, "Max-Forwards") \
	X(SIPDP_HDR_CONTENT_LENGTH, "Content-Length") \
	X(SIPDP_HDR_CONTENT_TYPE, "Content-Type") \
	X(SIPDP_HDR_CONTENT_ENCODING, "Content-Encoding") \
	X(SIPDP_HDR_ROUTE, "Route") \
	X(SIPDP_HDR_RECORD_ROUTE, "Record-Route") \
	X(SIPDP_HDR_REQUIRE, "Require") \
	X(SIPDP_HDR_PROXY_REQUIRE, "Proxy-Require") \
	X(SIPDP_HDR_SUPPORTED, "Supported") \
	X(SIPDP_HDR_UNSUPPORTED, "Unsupported") \
	X(SIPDP_HDR_ALLOW, "Allow") \
	X(SIPDP_HDR_ALLOW_EVENTS, "Allow-Events") \
	X(SIPDP_HDR_SUBJECT, "Subject") \
	X(SIPDP_HDR_REFER_TO, "Refer-To") \
	X(SIPDP_HDR_REFERRED_BY, "Referred-By") \
	X(SIPDP_HDR_REFER_SUB, "Refer-Sub") \
	X(SIPDP_HDR_REPLACES, "Replaces") \
	X(SIPDP_HDR_EVENT, "Event") \
	X(SIPDP_HDR_SUBSCRIPTION_STATE, "Subscription-State") \
	X(SIPDP_HDR_RSEQ, "RSeq") \
	X(SIPDP_HDR_RACK, "RAck") \
	X(SIPDP_HDR_SESSION_EXPIRES, "Session-Expires") \
	X(SIPDP_HDR_MIN_SE, "Min-SE") \
	X(SIPDP_HDR_REASON, "Reason") \
	X(SIPDP_HDR_RETRY_AFTER, "Retry-After") \
	X(SIPDP_HDR_EXPIRES, "Expires") \
	X(SIPDP_HDR_TIMESTAMP, "Timestamp") \
	X(SIPDP_HDR_ACCEPT, "Accept") \
	X(SIPDP_HDR_USER_AGENT, "User-Agent") \
	X(SIPDP_HDR_SERVER, "Server") \
	X(SIPDP_HDR_DATE, "Date") \
	X(SIPDP_HDR_WARNING, "Warning") \
	X(SIPDP_HDR_IDENTITY, "Identity") \
	X(SIPDP_HDR_ACCEPT_CONTACT, "Accept-Contact") \
	X(SIPDP_HDR_REJECT_CONTACT, "Reject-Contact") \
	X(SIPDP_HDR_REQUEST_DISPOSITION, "Request-Disposition") \

static const char *const canonical[SIPDP_HDR__COUNT] = {
#define X(id, s) [id] = s,
	CANONICAL(X)
#undef X
};

static const uint8_t canonical_len[SIPDP_HDR__COUNT] = {
#define X(id, s) [id] = sizeof(s) - 1,
	CANONICAL(X)
#undef X
};

/* Buckets by lower-case first letter. Compact forms (RFC 3261 §7.3.3 and the
 * extension RFCs: RFC 3515 r, RFC 3892 b, RFC 3265 o/u, RFC 4028 x,
 * RFC 3841 a/j/d, RFC 4474 y) sit with their letter. */
static const struct hdr_name b_a[] = { N("a", SIPDP_HDR_ACCEPT_CONTACT), N("allow", SIPDP_HDR_ALLOW),
	N("accept", SIPDP_HDR_ACCEPT), N("allow-events", SIPDP_HDR_ALLOW_EVENTS),
	N("accept-contact", SIPDP_HDR_ACCEPT_CONTACT), { 0, 0, 0 } };
static const struct hdr_name b_b[] = { N("b", SIPDP_HDR_REFERRED_BY), { 0, 0, 0 } };
static const struct hdr_name b_c[] = { N("c", SIPDP_HDR_CONTENT_TYPE), N("cseq", SIPDP_HDR_CSEQ),
	N("call-id", SIPDP_HDR_CALL_ID), N("contact", SIPDP_HDR_CONTACT),
	N("content-type", SIPDP_HDR_CONTENT_TYPE), N("content-length", SIPDP_HDR_CONTENT_LENGTH),
	N("content-encoding", SIPDP_HDR_CONTENT_ENCODING), { 0, 0, 0 } };
static const struct hdr_name b_d[] = { N("d", SIPDP_HDR_REQUEST_DISPOSITION), N("date", SIPDP_HDR_DATE),
	{ 0, 0, 0 } };
static const struct hdr_name b_e[] = { N("e", SIPDP_HDR_CONTENT_ENCODING), N("event", SIPDP_HDR_EVENT),
	N("expires", SIPDP_HDR_EXPIRES), { 0, 0, 0 } };
static const struct hdr_name b_f[] = { N("f", SIPDP_HDR_FROM), N("from", SIPDP_HDR_FROM), { 0, 0, 0 } };
static const struct hdr_name b_i[] = { N("i", SIPDP_HDR_CALL_ID), N("identity", SIPDP_HDR_IDENTITY),
	{ 0, 0, 0 } };
static const struct hdr_name b_j[] = { N("j", SIPDP_HDR_REJECT_CONTACT), { 0, 0, 0 } };
static const struct hdr_name b_k[] = { N("k", SIPDP_HDR_SUPPORTED), { 0, 0, 0 } };
static const struct hdr_name b_l[] = { N("l", SIPDP_HDR_CONTENT_LENGTH), { 0, 0, 0 } };
static const struct hdr_name b_m[] = { N("m", SIPDP_HDR_CONTACT), N("max-forwards", SIPDP_HDR_MAX_FORWARDS),
	N("min-se", SIPDP_HDR_MIN_SE), { 0, 0, 0 } };
static const struct hdr_name b_o[] = { N("o", SIPDP_HDR_EVENT), { 0, 0, 0 } };
static const struct hdr_name b_p[] = { N("proxy-require", SIPDP_HDR_PROXY_REQUIRE), { 0, 0, 0 } };
static const struct hdr_name b_r[] = { N("r", SIPDP_HDR_REFER_TO), N("rack", SIPDP_HDR_RACK),
	N("rseq", SIPDP_HDR_RSEQ), N("route", SIPDP_HDR_ROUTE), N("reason", SIPDP_HDR_REASON),
	N("require", SIPDP_HDR_REQUIRE), N("refer-to", SIPDP_HDR_REFER_TO),
	N("replaces", SIPDP_HDR_REPLACES), N("refer-sub", SIPDP_HDR_REFER_SUB),
	N("retry-after", SIPDP_HDR_RETRY_AFTER), N("referred-by", SIPDP_HDR_REFERRED_BY),
	N("record-route", SIPDP_HDR_RECORD_ROUTE), N("reject-contact", SIPDP_HDR_REJECT_CONTACT),
	N("request-disposition", SIPDP_HDR_REQUEST_DISPOSITION), { 0, 0, 0 } };
static const struct hdr_name b_s[] = { N("s", SIPDP_HDR_SUBJECT), N("server", SIPDP_HDR_SERVER),
	N("subject", SIPDP_HDR_SUBJECT), N("supported", SIPDP_HDR_SUPPORTED),
	N("session-expires", SIPDP_HDR_SESSION_EXPIRES),
	N("subscription-state", SIPDP_HDR_SUBSCRIPTION_STATE), { 0, 0, 0 } };
static const struct hdr_name b_t[] = { N("t", SIPDP_HDR_TO), N("to", SIPDP_HDR_TO),
	N("timestamp", SIPDP_HDR_TIMESTAMP), { 0, 0, 0 } };
static const struct hdr_name b_u[] = { N("u", SIPDP_HDR_ALLOW_EVENTS), N("user-agent", SIPDP_HDR_USER_AGENT),
	N("unsupported", SIPDP_HDR_UNSUPPORTED), { 0, 0, 0 } };
static const struct hdr_name b_v[] = { N("v", SIPDP_HDR_VIA), N("via", SIPDP_HDR_VIA), { 0, 0, 0 } };
static const struct hdr_name b_w[] = { N("warning", SIPDP_HDR_WARNING), { 0, 0, 0 } };
static const struct hdr_name b_x[] = { N("x", SIPDP_HDR_SESSION_EXPIRES), { 0, 0, 0 } };
static const struct hdr_name b_y[] = { N("y", SIPDP_HDR_IDENTITY), { 0, 0, 0 } };

static const struct hdr_name *const buckets[26] = {
	['a' - 'a'] = b_a, ['b' - 'a'] = b_b, ['c' - 'a'] = b_c, ['d' - 'a'] = b_d,
	['e' - 'a'] = b_e, ['f' - 'a'] = b_f, ['i' - 'a'] = b_i, ['j' - 'a'] = b_j,
	['k' - 'a'] = b_k, ['l' - 'a'] = b_l, ['m' - 'a'] = b_m, ['o' - 'a'] = b_o,
	['p' - 'a'] = b_p, ['r' - 'a'] = b_r, ['s' - 'a'] = b_s, ['t' - 'a'] = b_t,
	['u' - 'a'] = b_u, ['v' - 'a'] = b_v, ['w' - 'a'] = b_w, ['x' - 'a'] = b_x,
	['y' - 'a'] = b_y,
};

enum sipdp_hdr_id
sipdp_hdr_lookup(const char *name, uint32_t len)
{
	unsigned c = ((unsigned char)name[0] | 0x20) - 'a';

	if (len == 0 || c >= 26 || buckets[c] == NULL)
		return SIPDP_HDR_OTHER;
	for (const struct hdr_name *h = buckets[c]; h->name; h++) {
		if (h->len != len)
			continue;
		/* Names reaching here are validated token characters, for which
		 * OR-ing 0x20 folds exactly the letters and changes nothing
		 * that could alias a letter ('-', '.', digits keep their bit). */
		uint32_t i = 1;
		while (i < len && ((unsigned char)name[i] | 0x20) == (unsigned char)h->name[i])
			i++;
		if (i == len)
			return (enum sipdp_hdr_id)h->id;
	}
	return SIPDP_HDR_OTHER;
}

const char *
sipdp_hdr_name(enum sipdp_hdr_id id)
{
	if ((unsigned)id >= SIPDP_HDR__COUNT)
		return "";
	return canonical[id];
}

uint32_t
sipdp_hdr_name_len(enum sipdp_hdr_id id)
{
	if ((unsigned)id >= SIPDP_HDR__COUNT)
		return 0;
	return canonical_len[id];
}

static const char *const method_names[SIPDP_METHOD__COUNT] = {
	[SIPDP_METHOD_OTHER] = "",
	[SIPDP_METHOD_INVITE] = "INVITE",
	[SIPDP_METHOD_ACK] = "ACK",
	[SIPDP_METHOD_BYE] = "BYE",
	[SIPDP_METHOD_CANCEL] = "CANCEL",
	[SIPDP_METHOD_OPTIONS] = "OPTIONS",
	[SIPDP_METHOD_REGISTER] = "REGISTER",
	[SIPDP_METHOD_PRACK] = "PRACK",
	[SIPDP_METHOD_UPDATE] = "UPDATE",
	[SIPDP_METHOD_REFER] = "REFER",
	[SIPDP_METHOD_NOTIFY] = "NOTIFY",
	[SIPDP_METHOD_SUBSCRIBE] = "SUBSCRIBE",
	[SIPDP_METHOD_INFO] = "INFO",
	[SIPDP_METHOD_MESSAGE] = "MESSAGE",
	[SIPDP_METHOD_PUBLISH] = "PUBLISH",
};

enum sipdp_method
sipdp_method_lookup(const char *tok, uint32_t len)
{
	/* Methods are case-sensitive (RFC 3261 §7.1); dispatch on length and
	 * first byte, then one memcmp. */
	enum sipdp_method m = SIPDP_METHOD_OTHER;

	switch (len) {
	case 3:
		m = tok[0] == 'A' ? SIPDP_METHOD_ACK : tok[0] == 'B' ? SIPDP_METHOD_BYE : SIPDP_METHOD_OTHER;
		break;
	case 4:
		m = SIPDP_METHOD_INFO;
		break;
	case 5:
		m = tok[0] == 'P' ? SIPDP_METHOD_PRACK : tok[0] == 'R' ? SIPDP_METHOD_REFER : SIPDP_METHOD_OTHER;
		break;
	case 6:
		m = tok[0] == 'I' ? SIPDP_METHOD_INVITE : tok[0] == 'C' ? SIPDP_METHOD_CANCEL
		  : tok[0] == 'U' ? SIPDP_METHOD_UPDATE : tok[0] == 'N' ? SIPDP_METHOD_NOTIFY
								  : SIPDP_METHOD_OTHER;
		break;
	case 7:
		m = tok[0] == 'O' ? SIPDP_METHOD_OPTIONS : tok[0] == 'M' ? SIPDP_METHOD_MESSAGE
		  : tok[0] == 'P' ? SIPDP_METHOD_PUBLISH : SIPDP_METHOD_OTHER;
		break;
	case 8:
		m = SIPDP_METHOD_REGISTER;
		break;
	case 9:
		m = SIPDP_METHOD_SUBSCRIBE;
		break;
	default:
		return SIPDP_METHOD_OTHER;
	}
	if (m != SIPDP_METHOD_OTHER && memcmp(tok, method_names[m], len) == 0)
		return m;
	return SIPDP_METHOD_OTHER;
}

const char *
sipdp_method_name(enum sipdp_method m)
{
	if ((unsigned)m >= SIPDP_METHOD__COUNT)
		return "";
	return method_names[m];
}
