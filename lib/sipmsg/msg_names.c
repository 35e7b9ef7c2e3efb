/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header-name and method tables. A name is looked up by a decision tree on
 * its length and letters (two switches, one short case-folded compare:
 * ~25 instructions), which test_msg_parse checks against the canonical
 * table below for every id so the two cannot drift apart.
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

/* RFC 3261 §7.3.3 compact forms and those of the extension RFCs (RFC 3515 r,
 * RFC 3892 b, RFC 3265 o/u, RFC 4028 x, RFC 3841 a/j/d, RFC 4474 y), by
 * lower-case letter. */
const uint8_t sipdp_msg_compact[256] = {
	['a'] = SIPDP_HDR_ACCEPT_CONTACT,
	['b'] = SIPDP_HDR_REFERRED_BY,
	['c'] = SIPDP_HDR_CONTENT_TYPE,
	['d'] = SIPDP_HDR_REQUEST_DISPOSITION,
	['e'] = SIPDP_HDR_CONTENT_ENCODING,
	['f'] = SIPDP_HDR_FROM,
	['i'] = SIPDP_HDR_CALL_ID,
	['j'] = SIPDP_HDR_REJECT_CONTACT,
	['k'] = SIPDP_HDR_SUPPORTED,
	['l'] = SIPDP_HDR_CONTENT_LENGTH,
	['m'] = SIPDP_HDR_CONTACT,
	['o'] = SIPDP_HDR_EVENT,
	['r'] = SIPDP_HDR_REFER_TO,
	['s'] = SIPDP_HDR_SUBJECT,
	['t'] = SIPDP_HDR_TO,
	['u'] = SIPDP_HDR_ALLOW_EVENTS,
	['v'] = SIPDP_HDR_VIA,
	['x'] = SIPDP_HDR_SESSION_EXPIRES,
	['y'] = SIPDP_HDR_IDENTITY,
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
