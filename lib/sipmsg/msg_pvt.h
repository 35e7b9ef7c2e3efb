/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_MSG_PVT_H
#define SIPDP_MSG_PVT_H

/* Private to lib/sipmsg: character classes and the header-name lookup used
 * by the indexer. */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sipdp_msg.h"

/* RFC 3261 §25.1 token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" */
#define SIPDP_CC_TOKEN 0x01

extern const uint8_t sipdp_msg_cc[256];

static inline bool
sipdp_msg_is_token(unsigned char c)
{
	return sipdp_msg_cc[c] & SIPDP_CC_TOKEN;
}

/* RFC 3261 §7.3.3 compact forms and those of the extension RFCs, by
 * lower-case letter (msg_names.c). */
extern const uint8_t sipdp_msg_compact[256];

static inline uint64_t
sipdp_msg_load64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
sipdp_msg_load32(const void *p)
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
sipdp_msg_names_equal_folded(const unsigned char *n, const char *want, uint32_t len)
{
	const uint64_t fold64 = 0x2020202020202020ull;
	const uint32_t fold32 = 0x20202020u;

	if (len >= 8) {
		uint32_t i = 0;
		for (; i + 8 <= len; i += 8)
			if ((sipdp_msg_load64(n + i) | fold64) != sipdp_msg_load64(want + i))
				return false;
		return i == len || (sipdp_msg_load64(n + len - 8) | fold64) == sipdp_msg_load64(want + len - 8);
	}
	if (len >= 4)
		return (sipdp_msg_load32(n) | fold32) == sipdp_msg_load32(want) &&
		       (sipdp_msg_load32(n + len - 4) | fold32) == sipdp_msg_load32(want + len - 4);
	for (uint32_t i = 0; i < len; i++)
		if ((n[i] | 0x20) != (unsigned char)want[i])
			return false;
	return true;
}

/*
 * The body of sipdp_hdr_lookup(), inline for the indexer: as a call it cost
 * ~15 instructions per header line in spills around it (callgrind).
 */
static SIPDP_ALWAYS_INLINE enum sipdp_hdr_id
sipdp_msg_name_lookup(const char *name, uint32_t len)
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
		return (enum sipdp_hdr_id)sipdp_msg_compact[n[0] | 0x20];
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
	return sipdp_msg_names_equal_folded(n, want, len) ? id : SIPDP_HDR_OTHER;
}

#endif /* SIPDP_MSG_PVT_H */

