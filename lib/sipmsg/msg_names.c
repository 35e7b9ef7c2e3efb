/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header-name and method tables. A name is looked up by a decision tree on
 * its length and letters (two switches, one short case-folded compare:
 * ~25 instructions), which test_msg_parse checks against the canonical
 * table below for every id so the two cannot drift apart.
 */
#include <string.h>

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
static const uint8_t compact[256] = {
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

static inline uint64_t
load64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
load32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * @p n (any case) equals the lower-case literal @p want, both @p len bytes.
 * Word-wide with overlapping tail loads: a header name costs two or three
 * compares instead of a loop per letter. Reads only the @p len bytes of each.
 */
static inline bool
names_equal_folded(const unsigned char *n, const char *want, uint32_t len)
{
	const uint64_t fold64 = 0x2020202020202020ull;
	const uint32_t fold32 = 0x20202020u;

	if (len >= 8) {
		uint32_t i = 0;
		for (; i + 8 <= len; i += 8)
			if ((load64(n + i) | fold64) != load64(want + i))
				return false;
		return i == len || (load64(n + len - 8) | fold64) == load64(want + len - 8);
	}
	if (len >= 4)
		return (load32(n) | fold32) == load32(want) &&
		       (load32(n + len - 4) | fold32) == load32(want + len - 4);
	for (uint32_t i = 0; i < len; i++)
		if ((n[i] | 0x20) != (unsigned char)want[i])
			return false;
	return true;
}

enum sipdp_hdr_id
sipdp_hdr_lookup(const char *name, uint32_t len)
{
	/* Decision tree on length, then first letter, then the remaining
	 * letters: at most one candidate survives to the full compare.
	 * Names reaching here are validated token characters, for which
	 * OR-ing 0x20 folds exactly the letters and aliases nothing ('-',
	 * '.', digits already have the bit). */
	const unsigned char *n = (const unsigned char *)name;
	const char *want;
	enum sipdp_hdr_id id;

	if (len == 0)
		return SIPDP_HDR_OTHER;
	switch (len) {
	case 1:
		return (enum sipdp_hdr_id)compact[n[0] | 0x20];
	case 2:
		switch (n[0] | 0x20) {
		case 't':
			want = "to";
			id = SIPDP_HDR_TO;
			break;
		default:
			return SIPDP_HDR_OTHER;
		}
		break;
	case 3:
		switch (n[0] | 0x20) {
		case 'v':
			want = "via";
			id = SIPDP_HDR_VIA;
			break;
		default:
			return SIPDP_HDR_OTHER;
		}
		break;
	case 4:
		switch (n[0] | 0x20) {
		case 'c':
			want = "cseq";
			id = SIPDP_HDR_CSEQ;
			break;
		case 'd':
			want = "date";
			id = SIPDP_HDR_DATE;
			break;
		case 'f':
			want = "from";
			id = SIPDP_HDR_FROM;
			break;
		case 'r':
			switch (n[1] | 0x20) {
			case 'a':
				want = "rack";
				id = SIPDP_HDR_RACK;
				break;
			case 's':
				want = "rseq";
				id = SIPDP_HDR_RSEQ;
				break;
			default:
				return SIPDP_HDR_OTHER;
			}
			break;
		default:
			return SIPDP_HDR_OTHER;
		}
		break;
	case 5:
		switch (n[0] | 0x20) {
		case 'a':
			want = "allow";
			id = SIPDP_HDR_ALLOW;
			break;
		case 'e':
			want = "event";
			id = SIPDP_HDR_EVENT;
			break;
		case 'r':
			want = "route";
			id = SIPDP_HDR_ROUTE;
			break;
		default:
			return SIPDP_HDR_OTHER;
		}
		break;
	case 6:
		switch (n[0] | 0x20) {
		case 'a':
			want = "accept";
			id = SIPDP_HDR_ACCEPT;
			break;
		case 'm':
			want = "min-se";
			id = SIPDP_HDR_MIN_SE;
			break;
		case 'r':
			want = "reason";
			id = SIPDP_HDR_REASON;
			break;
		case 's':
			want = "server";
			id = SIPDP_HDR_SERVER;
			break;
		default:
			return SIPDP_HDR_OTHER;
		}
		break;
	case 7:
		switch (n[0] | 0x20) {
		case 'c':
			switch (n[1] | 0x20) {
			case 'a':
				want = "call-id";
				id = SIPDP_HDR_CALL_ID;
				break;
			case 'o':
				want = "contact";
				id = SIPDP_HDR_CONTACT;
				break;
			default:
				return SIPDP_HDR_OTHER;
			}
			break;
		case 'e':
			want = "expires";
			id = SIPDP_HDR_EXPIRES;
			break;
		case 'r':
			want = "require";
			id = SIPDP_HDR_REQUIRE;
			break;
		case 's':
			want = "subject";
			id = SIPDP_HDR_SUBJECT;
			break;
		case 'w':
			want = "warning";
			id = SIPDP_HDR_WARNING;
			break;
		default:
			return SIPDP_HDR_OTHER;
		}
		break;
	case 8:
		switch (n[0] | 0x20) {
		case 'i':
			want = "identity";
			id = SIPDP_HDR_IDENTITY;
			break;
		case 'r':
			switch (n[2] | 0x20) {
			case 'f':
				want = "refer-to";
				id = SIPDP_HDR_REFER_TO;
				break;
			case 'p':
				want = "replaces";
				id = SIPDP_HDR_REPLACES;
				break;
			default:
				return SIPDP_HDR_OTHER;
			}
			break;
		default:
			return SIPDP_HDR_OTHER;
		}
		break;
	case 9:
		switch (n[0] | 0x20) {
		case 'r':
			want = "refer-sub";
			id = SIPDP_HDR_REFER_SUB;
			break;
		case 's':
			want = "supported";
			id = SIPDP_HDR_SUPPORTED;
			break;
		case 't':
			want = "timestamp";
			id = SIPDP_HDR_TIMESTAMP;
			break;
		default:
			return SIPDP_HDR_OTHER;
		}
		break;
	case 10:
		switch (n[0] | 0x20) {
		case 'u':
			want = "user-agent";
			id = SIPDP_HDR_USER_AGENT;
			break;
		default:
			return SIPDP_HDR_OTHER;
		}
		break;
	case 11:
		switch (n[0] | 0x20) {
		case 'r':
			switch (n[2] | 0x20) {
			case 't':
				want = "retry-after";
				id = SIPDP_HDR_RETRY_AFTER;
				break;
			case 'f':
				want = "referred-by";
				id = SIPDP_HDR_REFERRED_BY;
				break;
			default:
				return SIPDP_HDR_OTHER;
			}
			break;
		case 'u':
			want = "unsupported";
			id = SIPDP_HDR_UNSUPPORTED;
			break;
		default:
			return SIPDP_HDR_OTHER;
		}
		break;
	case 12:
		switch (n[0] | 0x20) {
		case 'a':
			want = "allow-events";
			id = SIPDP_HDR_ALLOW_EVENTS;
			break;
		case 'c':
			want = "content-type";
			id = SIPDP_HDR_CONTENT_TYPE;
			break;
		case 'm':
			want = "max-forwards";
			id = SIPDP_HDR_MAX_FORWARDS;
			break;
		case 'r':
			want = "record-route";
			id = SIPDP_HDR_RECORD_ROUTE;
			break;
		default:
			return SIPDP_HDR_OTHER;
		}
		break;
	case 13:
		switch (n[0] | 0x20) {
		case 'p':
			want = "proxy-require";
			id = SIPDP_HDR_PROXY_REQUIRE;
			break;
		default:
			return SIPDP_HDR_OTHER;
		}
		break;
	case 14:
		switch (n[0] | 0x20) {
		case 'a':
			want = "accept-contact";
			id = SIPDP_HDR_ACCEPT_CONTACT;
			break;
		case 'c':
			want = "content-length";
			id = SIPDP_HDR_CONTENT_LENGTH;
			break;
		case 'r':
			want = "reject-contact";
			id = SIPDP_HDR_REJECT_CONTACT;
			break;
		default:
			return SIPDP_HDR_OTHER;
		}
		break;
	case 15:
		switch (n[0] | 0x20) {
		case 's':
			want = "session-expires";
			id = SIPDP_HDR_SESSION_EXPIRES;
			break;
		default:
			return SIPDP_HDR_OTHER;
		}
		break;
	case 16:
		switch (n[0] | 0x20) {
		case 'c':
			want = "content-encoding";
			id = SIPDP_HDR_CONTENT_ENCODING;
			break;
		default:
			return SIPDP_HDR_OTHER;
		}
		break;
	case 18:
		switch (n[0] | 0x20) {
		case 's':
			want = "subscription-state";
			id = SIPDP_HDR_SUBSCRIPTION_STATE;
			break;
		default:
			return SIPDP_HDR_OTHER;
		}
		break;
	case 19:
		switch (n[0] | 0x20) {
		case 'r':
			want = "request-disposition";
			id = SIPDP_HDR_REQUEST_DISPOSITION;
			break;
		default:
			return SIPDP_HDR_OTHER;
		}
		break;
	default:
		return SIPDP_HDR_OTHER;
	}
	return names_equal_folded(n, want, len) ? id : SIPDP_HDR_OTHER;
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
