/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_MSG_H
#define SIPDP_MSG_H

/**
 * @file
 * Zero-copy SIP message parser (RFC 3261 §7, §25).
 *
 * sipdp_msg_parse() indexes the start line and the header section once: for
 * every header it records the name, the value (LWS around it trimmed, folds
 * left in place) and a well-known id, and it links the instances of each
 * well-known header. Nothing is decoded further until a layer asks: the typed
 * sub-parsers (sipdp_via_parse(), sipdp_nameaddr_parse(), ...) in
 * sipdp_msg_hdr.h take a header value view and fill a small struct of views.
 *
 * Nothing is copied and nothing is allocated: every sipdp_str points into the
 * caller's buffer, which must outlive the struct sipdp_msg. A struct
 * sipdp_msg is large (it holds the header index) and is meant to live in a
 * per-lcore scratch area and be reused for every packet.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipdp_str.h"

/** Header lines indexed per message; more is -ENOSPC (answer 400/513). */
#define SIPDP_MSG_MAX_HDRS 96
/** Largest message the parser accepts (header section + body). */
#define SIPDP_MSG_MAX_LEN 65535u

/** Methods known to the stack. Anything else is SIPDP_METHOD_OTHER with the
 *  token kept in sipdp_msg.method_str. */
enum sipdp_method {
	SIPDP_METHOD_OTHER = 0,
	SIPDP_METHOD_INVITE,
	SIPDP_METHOD_ACK,
	SIPDP_METHOD_BYE,
	SIPDP_METHOD_CANCEL,
	SIPDP_METHOD_OPTIONS,
	SIPDP_METHOD_REGISTER,
	SIPDP_METHOD_PRACK,
	SIPDP_METHOD_UPDATE,
	SIPDP_METHOD_REFER,
	SIPDP_METHOD_NOTIFY,
	SIPDP_METHOD_SUBSCRIBE,
	SIPDP_METHOD_INFO,
	SIPDP_METHOD_MESSAGE,
	SIPDP_METHOD_PUBLISH,
	SIPDP_METHOD__COUNT
};

/** Well-known headers. Compact forms map to the same id. Unknown headers are
 *  SIPDP_HDR_OTHER and kept verbatim. */
enum sipdp_hdr_id {
	SIPDP_HDR_OTHER = 0,
	SIPDP_HDR_VIA,              /* v */
	SIPDP_HDR_FROM,             /* f */
	SIPDP_HDR_TO,               /* t */
	SIPDP_HDR_CALL_ID,          /* i */
	SIPDP_HDR_CSEQ,
	SIPDP_HDR_CONTACT,          /* m */
	SIPDP_HDR_MAX_FORWARDS,
	SIPDP_HDR_CONTENT_LENGTH,   /* l */
	SIPDP_HDR_CONTENT_TYPE,     /* c */
	SIPDP_HDR_CONTENT_ENCODING, /* e */
	SIPDP_HDR_ROUTE,
	SIPDP_HDR_RECORD_ROUTE,
	SIPDP_HDR_REQUIRE,
	SIPDP_HDR_PROXY_REQUIRE,
	SIPDP_HDR_SUPPORTED,        /* k */
	SIPDP_HDR_UNSUPPORTED,
	SIPDP_HDR_ALLOW,
	SIPDP_HDR_ALLOW_EVENTS,     /* u */
	SIPDP_HDR_SUBJECT,          /* s */
	SIPDP_HDR_REFER_TO,         /* r */
	SIPDP_HDR_REFERRED_BY,      /* b */
	SIPDP_HDR_REFER_SUB,
	SIPDP_HDR_REPLACES,
	SIPDP_HDR_EVENT,            /* o */
	SIPDP_HDR_SUBSCRIPTION_STATE,
	SIPDP_HDR_RSEQ,
	SIPDP_HDR_RACK,
	SIPDP_HDR_SESSION_EXPIRES,  /* x */
	SIPDP_HDR_MIN_SE,
	SIPDP_HDR_REASON,
	SIPDP_HDR_RETRY_AFTER,
	SIPDP_HDR_EXPIRES,
	SIPDP_HDR_TIMESTAMP,
	SIPDP_HDR_ACCEPT,
	SIPDP_HDR_USER_AGENT,
	SIPDP_HDR_SERVER,
	SIPDP_HDR_DATE,
	SIPDP_HDR_WARNING,
	SIPDP_HDR_IDENTITY,         /* y */
	SIPDP_HDR_ACCEPT_CONTACT,   /* a */
	SIPDP_HDR_REJECT_CONTACT,   /* j */
	SIPDP_HDR_REQUEST_DISPOSITION, /* d */
	SIPDP_HDR__COUNT
};

/** Parse flags. */
#define SIPDP_MSG_F_STREAM 0x1u /**< from TCP/TLS: Content-Length is mandatory
				      and frames the body; an incomplete header
				      section is -EAGAIN instead of -EBADMSG */

/** One header line of the index. */
struct sipdp_hdr {
	struct sipdp_str name;  /**< as written (compact or long, any case) */
	struct sipdp_str value; /**< leading/trailing LWS trimmed; may contain folds */
	uint16_t next;          /**< index+1 of the next header with the same id, 0 = last */
	uint8_t id;             /**< enum sipdp_hdr_id */
	uint8_t reserved;
};

/** What went wrong, for operators and for sipdp-msgcheck. */
struct sipdp_msg_error {
	const char *what;  /**< static text, never NULL after an error */
	uint32_t offset;   /**< byte offset in the buffer where it was found */
	uint16_t status;   /**< the response a UAS would send: 400, 505, 513, 0 = drop */
};

struct sipdp_msg {
	const char *buf;         /**< start of the message */
	uint32_t len;            /**< bytes of this message (header section + body) */
	uint32_t hdr_end;        /**< offset of the first body byte */

	bool is_request;
	bool version_ok;         /**< start line (and top Via) say SIP/2.0 */
	uint8_t method;          /**< enum sipdp_method (request: start line) */
	uint8_t reserved;
	uint16_t status;         /**< response status code, 100..699 */
	uint16_t nhdrs;

	struct sipdp_str method_str; /**< request method token as written */
	struct sipdp_str ruri;       /**< Request-URI, unparsed */
	struct sipdp_str reason;     /**< response reason phrase (may be empty) */
	struct sipdp_str version;    /**< "SIP/2.0" or what the peer wrote */
	struct sipdp_str body;       /**< message body, per Content-Length */

	/** Content-Length when present and valid (see has_clen). */
	uint32_t clen;
	bool has_clen;

	/** index+1 of the first header of each id, 0 = absent. */
	uint16_t first[SIPDP_HDR__COUNT];
	/** instances of each id (capped at 255). */
	uint8_t count[SIPDP_HDR__COUNT];

	struct sipdp_msg_error err;
	struct sipdp_hdr hdrs[SIPDP_MSG_MAX_HDRS];
};

/**
 * Index one message.
 *
 * For a datagram (no SIPDP_MSG_F_STREAM) the message is the whole of @p len
 * bytes; a body longer than Content-Length is cut to it (RFC 3261 §18.3 and
 * RFC 4475 dblreq), a body shorter is malformed; with no Content-Length the
 * body is the rest of the datagram.
 *
 * @param m      out: the index; overwritten entirely.
 * @param buf    message bytes; must stay valid while @p m is used.
 * @param len    bytes in @p buf (at most SIPDP_MSG_MAX_LEN).
 * @param flags  SIPDP_MSG_F_*.
 * @return bytes consumed (> 0) on success;
 *         -EAGAIN: stream mode, the message is not complete yet;
 *         -EBADMSG: malformed (m->err says what and where);
 *         -ENOSPC: more than SIPDP_MSG_MAX_HDRS header lines;
 *         -EMSGSIZE: longer than SIPDP_MSG_MAX_LEN.
 *
 * A version other than SIP/2.0 is not a parse error: version_ok is false and
 * sipdp_msg_check() answers 505.
 */
int sipdp_msg_parse(struct sipdp_msg *m, const char *buf, size_t len, unsigned flags);

/** First header of @p id, or NULL. */
static inline const struct sipdp_hdr *
sipdp_msg_hdr(const struct sipdp_msg *m, enum sipdp_hdr_id id)
{
	uint16_t i = m->first[id];
	return i ? &m->hdrs[i - 1] : NULL;
}

/** Next header with the same id as @p h, or NULL. */
static inline const struct sipdp_hdr *
sipdp_msg_hdr_next(const struct sipdp_msg *m, const struct sipdp_hdr *h)
{
	return h->next ? &m->hdrs[h->next - 1] : NULL;
}

/** Value of the first header of @p id, or an empty view with p == NULL. */
static inline struct sipdp_str
sipdp_msg_hdr_value(const struct sipdp_msg *m, enum sipdp_hdr_id id)
{
	const struct sipdp_hdr *h = sipdp_msg_hdr(m, id);
	return h ? h->value : SIPDP_STR_NULL;
}

/** First header whose name matches @p name (any header, unknown ones too),
 *  case-insensitive, long or compact form. NULL when absent. */
const struct sipdp_hdr *sipdp_msg_hdr_by_name(const struct sipdp_msg *m, struct sipdp_str name);

/** Header id of a name (long or compact form, any case). */
enum sipdp_hdr_id sipdp_hdr_lookup(const char *name, uint32_t len);

/** Canonical long name of a header id ("Call-ID"), "" for OTHER. */
const char *sipdp_hdr_name(enum sipdp_hdr_id id);

/** Length of sipdp_hdr_name(@p id). */
uint32_t sipdp_hdr_name_len(enum sipdp_hdr_id id);

/** Method of a token (case-sensitive, as RFC 3261 says). */
enum sipdp_method sipdp_method_lookup(const char *tok, uint32_t len);

/** Name of a method ("INVITE"); "" for OTHER. */
const char *sipdp_method_name(enum sipdp_method m);

/**
 * Acceptance check: would a UAS process this request or response, or answer
 * it with an error (RFC 3261 §8.2, §16.3)?
 *
 * Checks: supported version (505); To, From, Call-ID, CSeq and (requests)
 * at least one Via present, single-valued fields present once; CSeq number
 * and method valid and matching the request method (ACK/CANCEL included);
 * Max-Forwards within 0..255 when present; Content-Length single and valid
 * (its consistency with the datagram is already a parse error);
 * Expires, Retry-After, Min-SE, Session-Expires, RSeq numeric and in range;
 * To/From/Contact name-addrs, the top Via and the Request-URI well-formed.
 *
 * @return 0 when acceptable; otherwise the status a UAS would answer
 *         (400, 505, 513) and m->err is filled. For a response that fails the
 *         check the caller drops it (responses are never answered).
 */
int sipdp_msg_check(struct sipdp_msg *m);

/** Convenience views most layers need, decoded on demand. */

/** Call-ID value (trimmed). Empty view with p == NULL when absent. */
static inline struct sipdp_str
sipdp_msg_call_id(const struct sipdp_msg *m)
{
	return sipdp_msg_hdr_value(m, SIPDP_HDR_CALL_ID);
}

#endif /* SIPDP_MSG_H */
