/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header-name and method tables. A name is looked up through a hash of its
 * length and first and last letters (msg_pvt.h), which test_msg_parse
 * checks against the canonical table below for every id and compact form
 * so the two cannot drift apart.
 */
#include <string.h>

#include "msg_pvt.h"
#include "sipdp_msg.h"

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

/* The lookup tables of sipdp_msg_name_lookup() (msg_pvt.h). Compact forms
 * are those of RFC 3261 §7.3.3 and of the extension RFCs (RFC 3515 r,
 * RFC 3892 b, RFC 3265 o/u, RFC 4028 x, RFC 3841 a/j/d, RFC 4474 y). */
const uint8_t sipdp_msg_name_hash[256] = {
	[SIPDP_MSG_NAME_HASH(3, 'v', 'a')] = SIPDP_HDR_VIA,
	[SIPDP_MSG_NAME_HASH(4, 'f', 'm')] = SIPDP_HDR_FROM,
	[SIPDP_MSG_NAME_HASH(2, 't', 'o')] = SIPDP_HDR_TO,
	[SIPDP_MSG_NAME_HASH(7, 'c', 'd')] = SIPDP_HDR_CALL_ID,
	[SIPDP_MSG_NAME_HASH(4, 'c', 'q')] = SIPDP_HDR_CSEQ,
	[SIPDP_MSG_NAME_HASH(7, 'c', 't')] = SIPDP_HDR_CONTACT,
	[SIPDP_MSG_NAME_HASH(12, 'm', 's')] = SIPDP_HDR_MAX_FORWARDS,
	[SIPDP_MSG_NAME_HASH(14, 'c', 'h')] = SIPDP_HDR_CONTENT_LENGTH,
	[SIPDP_MSG_NAME_HASH(12, 'c', 'e')] = SIPDP_HDR_CONTENT_TYPE,
	[SIPDP_MSG_NAME_HASH(16, 'c', 'g')] = SIPDP_HDR_CONTENT_ENCODING,
	[SIPDP_MSG_NAME_HASH(5, 'r', 'e')] = SIPDP_HDR_ROUTE,
	[SIPDP_MSG_NAME_HASH(12, 'r', 'e')] = SIPDP_HDR_RECORD_ROUTE,
	[SIPDP_MSG_NAME_HASH(7, 'r', 'e')] = SIPDP_HDR_REQUIRE,
	[SIPDP_MSG_NAME_HASH(13, 'p', 'e')] = SIPDP_HDR_PROXY_REQUIRE,
	[SIPDP_MSG_NAME_HASH(9, 's', 'd')] = SIPDP_HDR_SUPPORTED,
	[SIPDP_MSG_NAME_HASH(11, 'u', 'd')] = SIPDP_HDR_UNSUPPORTED,
	[SIPDP_MSG_NAME_HASH(5, 'a', 'w')] = SIPDP_HDR_ALLOW,
	[SIPDP_MSG_NAME_HASH(12, 'a', 's')] = SIPDP_HDR_ALLOW_EVENTS,
	[SIPDP_MSG_NAME_HASH(7, 's', 't')] = SIPDP_HDR_SUBJECT,
	[SIPDP_MSG_NAME_HASH(8, 'r', 'o')] = SIPDP_HDR_REFER_TO,
	[SIPDP_MSG_NAME_HASH(11, 'r', 'y')] = SIPDP_HDR_REFERRED_BY,
	[SIPDP_MSG_NAME_HASH(9, 'r', 'b')] = SIPDP_HDR_REFER_SUB,
	[SIPDP_MSG_NAME_HASH(8, 'r', 's')] = SIPDP_HDR_REPLACES,
	[SIPDP_MSG_NAME_HASH(5, 'e', 't')] = SIPDP_HDR_EVENT,
	[SIPDP_MSG_NAME_HASH(18, 's', 'e')] = SIPDP_HDR_SUBSCRIPTION_STATE,
	[SIPDP_MSG_NAME_HASH(4, 'r', 'q')] = SIPDP_HDR_RSEQ,
	[SIPDP_MSG_NAME_HASH(4, 'r', 'k')] = SIPDP_HDR_RACK,
	[SIPDP_MSG_NAME_HASH(15, 's', 's')] = SIPDP_HDR_SESSION_EXPIRES,
	[SIPDP_MSG_NAME_HASH(6, 'm', 'e')] = SIPDP_HDR_MIN_SE,
	[SIPDP_MSG_NAME_HASH(6, 'r', 'n')] = SIPDP_HDR_REASON,
	[SIPDP_MSG_NAME_HASH(11, 'r', 'r')] = SIPDP_HDR_RETRY_AFTER,
	[SIPDP_MSG_NAME_HASH(7, 'e', 's')] = SIPDP_HDR_EXPIRES,
	[SIPDP_MSG_NAME_HASH(9, 't', 'p')] = SIPDP_HDR_TIMESTAMP,
	[SIPDP_MSG_NAME_HASH(6, 'a', 't')] = SIPDP_HDR_ACCEPT,
	[SIPDP_MSG_NAME_HASH(10, 'u', 't')] = SIPDP_HDR_USER_AGENT,
	[SIPDP_MSG_NAME_HASH(6, 's', 'r')] = SIPDP_HDR_SERVER,
	[SIPDP_MSG_NAME_HASH(4, 'd', 'e')] = SIPDP_HDR_DATE,
	[SIPDP_MSG_NAME_HASH(7, 'w', 'g')] = SIPDP_HDR_WARNING,
	[SIPDP_MSG_NAME_HASH(8, 'i', 'y')] = SIPDP_HDR_IDENTITY,
	[SIPDP_MSG_NAME_HASH(14, 'a', 't')] = SIPDP_HDR_ACCEPT_CONTACT,
	[SIPDP_MSG_NAME_HASH(14, 'r', 't')] = SIPDP_HDR_REJECT_CONTACT,
	[SIPDP_MSG_NAME_HASH(19, 'r', 'n')] = SIPDP_HDR_REQUEST_DISPOSITION,
	[SIPDP_MSG_NAME_HASH(1, 'a', 'a')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_ACCEPT_CONTACT,
	[SIPDP_MSG_NAME_HASH(1, 'b', 'b')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_REFERRED_BY,
	[SIPDP_MSG_NAME_HASH(1, 'c', 'c')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_CONTENT_TYPE,
	[SIPDP_MSG_NAME_HASH(1, 'd', 'd')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_REQUEST_DISPOSITION,
	[SIPDP_MSG_NAME_HASH(1, 'e', 'e')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_CONTENT_ENCODING,
	[SIPDP_MSG_NAME_HASH(1, 'f', 'f')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_FROM,
	[SIPDP_MSG_NAME_HASH(1, 'i', 'i')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_CALL_ID,
	[SIPDP_MSG_NAME_HASH(1, 'j', 'j')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_REJECT_CONTACT,
	[SIPDP_MSG_NAME_HASH(1, 'k', 'k')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_SUPPORTED,
	[SIPDP_MSG_NAME_HASH(1, 'l', 'l')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_CONTENT_LENGTH,
	[SIPDP_MSG_NAME_HASH(1, 'm', 'm')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_CONTACT,
	[SIPDP_MSG_NAME_HASH(1, 'o', 'o')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_EVENT,
	[SIPDP_MSG_NAME_HASH(1, 'r', 'r')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_REFER_TO,
	[SIPDP_MSG_NAME_HASH(1, 's', 's')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_SUBJECT,
	[SIPDP_MSG_NAME_HASH(1, 't', 't')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_TO,
	[SIPDP_MSG_NAME_HASH(1, 'u', 'u')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_ALLOW_EVENTS,
	[SIPDP_MSG_NAME_HASH(1, 'v', 'v')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_VIA,
	[SIPDP_MSG_NAME_HASH(1, 'x', 'x')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_SESSION_EXPIRES,
	[SIPDP_MSG_NAME_HASH(1, 'y', 'y')] = SIPDP_MSG_NAME_COMPACT | SIPDP_HDR_IDENTITY,
};
/* Row of each id: the lower-case long name, zero-padded, its length in the
 * last byte; 32-byte rows so the indexer compares a name in one SSE2 load. */
_Alignas(32) const char sipdp_msg_name_rows[SIPDP_HDR__COUNT][32] = {
	[SIPDP_HDR_VIA] = { 'v', 'i', 'a', [31] = 3 },
	[SIPDP_HDR_FROM] = { 'f', 'r', 'o', 'm', [31] = 4 },
	[SIPDP_HDR_TO] = { 't', 'o', [31] = 2 },
	[SIPDP_HDR_CALL_ID] = { 'c', 'a', 'l', 'l', '-', 'i', 'd', [31] = 7 },
	[SIPDP_HDR_CSEQ] = { 'c', 's', 'e', 'q', [31] = 4 },
	[SIPDP_HDR_CONTACT] = { 'c', 'o', 'n', 't', 'a', 'c', 't', [31] = 7 },
	[SIPDP_HDR_MAX_FORWARDS] = { 'm', 'a', 'x', '-', 'f', 'o', 'r', 'w', 'a', 'r', 'd', 's', [31] = 12 },
	[SIPDP_HDR_CONTENT_LENGTH] = { 'c', 'o', 'n', 't', 'e', 'n', 't', '-', 'l', 'e', 'n', 'g', 't', 'h', [31] = 14 },
	[SIPDP_HDR_CONTENT_TYPE] = { 'c', 'o', 'n', 't', 'e', 'n', 't', '-', 't', 'y', 'p', 'e', [31] = 12 },
	[SIPDP_HDR_CONTENT_ENCODING] = { 'c', 'o', 'n', 't', 'e', 'n', 't', '-', 'e', 'n', 'c', 'o', 'd', 'i', 'n', 'g', [31] = 16 },
	[SIPDP_HDR_ROUTE] = { 'r', 'o', 'u', 't', 'e', [31] = 5 },
	[SIPDP_HDR_RECORD_ROUTE] = { 'r', 'e', 'c', 'o', 'r', 'd', '-', 'r', 'o', 'u', 't', 'e', [31] = 12 },
	[SIPDP_HDR_REQUIRE] = { 'r', 'e', 'q', 'u', 'i', 'r', 'e', [31] = 7 },
	[SIPDP_HDR_PROXY_REQUIRE] = { 'p', 'r', 'o', 'x', 'y', '-', 'r', 'e', 'q', 'u', 'i', 'r', 'e', [31] = 13 },
	[SIPDP_HDR_SUPPORTED] = { 's', 'u', 'p', 'p', 'o', 'r', 't', 'e', 'd', [31] = 9 },
	[SIPDP_HDR_UNSUPPORTED] = { 'u', 'n', 's', 'u', 'p', 'p', 'o', 'r', 't', 'e', 'd', [31] = 11 },
	[SIPDP_HDR_ALLOW] = { 'a', 'l', 'l', 'o', 'w', [31] = 5 },
	[SIPDP_HDR_ALLOW_EVENTS] = { 'a', 'l', 'l', 'o', 'w', '-', 'e', 'v', 'e', 'n', 't', 's', [31] = 12 },
	[SIPDP_HDR_SUBJECT] = { 's', 'u', 'b', 'j', 'e', 'c', 't', [31] = 7 },
	[SIPDP_HDR_REFER_TO] = { 'r', 'e', 'f', 'e', 'r', '-', 't', 'o', [31] = 8 },
	[SIPDP_HDR_REFERRED_BY] = { 'r', 'e', 'f', 'e', 'r', 'r', 'e', 'd', '-', 'b', 'y', [31] = 11 },
	[SIPDP_HDR_REFER_SUB] = { 'r', 'e', 'f', 'e', 'r', '-', 's', 'u', 'b', [31] = 9 },
	[SIPDP_HDR_REPLACES] = { 'r', 'e', 'p', 'l', 'a', 'c', 'e', 's', [31] = 8 },
	[SIPDP_HDR_EVENT] = { 'e', 'v', 'e', 'n', 't', [31] = 5 },
	[SIPDP_HDR_SUBSCRIPTION_STATE] = { 's', 'u', 'b', 's', 'c', 'r', 'i', 'p', 't', 'i', 'o', 'n', '-', 's', 't', 'a', 't', 'e', [31] = 18 },
	[SIPDP_HDR_RSEQ] = { 'r', 's', 'e', 'q', [31] = 4 },
	[SIPDP_HDR_RACK] = { 'r', 'a', 'c', 'k', [31] = 4 },
	[SIPDP_HDR_SESSION_EXPIRES] = { 's', 'e', 's', 's', 'i', 'o', 'n', '-', 'e', 'x', 'p', 'i', 'r', 'e', 's', [31] = 15 },
	[SIPDP_HDR_MIN_SE] = { 'm', 'i', 'n', '-', 's', 'e', [31] = 6 },
	[SIPDP_HDR_REASON] = { 'r', 'e', 'a', 's', 'o', 'n', [31] = 6 },
	[SIPDP_HDR_RETRY_AFTER] = { 'r', 'e', 't', 'r', 'y', '-', 'a', 'f', 't', 'e', 'r', [31] = 11 },
	[SIPDP_HDR_EXPIRES] = { 'e', 'x', 'p', 'i', 'r', 'e', 's', [31] = 7 },
	[SIPDP_HDR_TIMESTAMP] = { 't', 'i', 'm', 'e', 's', 't', 'a', 'm', 'p', [31] = 9 },
	[SIPDP_HDR_ACCEPT] = { 'a', 'c', 'c', 'e', 'p', 't', [31] = 6 },
	[SIPDP_HDR_USER_AGENT] = { 'u', 's', 'e', 'r', '-', 'a', 'g', 'e', 'n', 't', [31] = 10 },
	[SIPDP_HDR_SERVER] = { 's', 'e', 'r', 'v', 'e', 'r', [31] = 6 },
	[SIPDP_HDR_DATE] = { 'd', 'a', 't', 'e', [31] = 4 },
	[SIPDP_HDR_WARNING] = { 'w', 'a', 'r', 'n', 'i', 'n', 'g', [31] = 7 },
	[SIPDP_HDR_IDENTITY] = { 'i', 'd', 'e', 'n', 't', 'i', 't', 'y', [31] = 8 },
	[SIPDP_HDR_ACCEPT_CONTACT] = { 'a', 'c', 'c', 'e', 'p', 't', '-', 'c', 'o', 'n', 't', 'a', 'c', 't', [31] = 14 },
	[SIPDP_HDR_REJECT_CONTACT] = { 'r', 'e', 'j', 'e', 'c', 't', '-', 'c', 'o', 'n', 't', 'a', 'c', 't', [31] = 14 },
	[SIPDP_HDR_REQUEST_DISPOSITION] = { 'r', 'e', 'q', 'u', 'e', 's', 't', '-', 'd', 'i', 's', 'p', 'o', 's', 'i', 't', 'i', 'o', 'n', [31] = 19 },
};

enum sipdp_hdr_id
sipdp_hdr_lookup(const char *name, uint32_t len)
{
	return sipdp_msg_name_lookup(name, len);
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

/* Case-sensitive compare of 3..9 bytes with overlapping word loads: a
 * memcmp call cost ~15 instructions more, twice per message. */
static inline bool
method_equal(const char *a, const char *b, uint32_t len)
{
	if (len >= 8)
		return sipdp_msg_load64(a) == sipdp_msg_load64(b) &&
		       sipdp_msg_load64(a + len - 8) == sipdp_msg_load64(b + len - 8);
	if (len >= 4)
		return sipdp_msg_load32(a) == sipdp_msg_load32(b) &&
		       sipdp_msg_load32(a + len - 4) == sipdp_msg_load32(b + len - 4);
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
}

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
	if (m != SIPDP_METHOD_OTHER && method_equal(tok, method_names[m], len))
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
