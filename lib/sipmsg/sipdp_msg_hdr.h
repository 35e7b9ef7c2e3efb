/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_MSG_HDR_H
#define SIPDP_MSG_HDR_H

/**
 * @file
 * Typed, lazily decoded header values (RFC 3261 §25 and the extension RFCs).
 *
 * Every function takes a view of a header value (or of a part of one) and
 * fills a struct of views into the same memory. Nothing is copied, nothing is
 * allocated, nothing is NUL-terminated. Every function returns 0 or a negative
 * errno: -EBADMSG for bad syntax, -ERANGE for a number that does not fit
 * (never a wrap), -ENOENT where a lookup finds nothing.
 *
 * Values may still contain header folds (CRLF followed by SP/HTAB): every
 * parser here treats them as LWS.
 */

#include <stdbool.h>
#include <stdint.h>

#include "sipdp_msg.h"
#include "sipdp_str.h"

/* ---------------------------------------------------------------- lists */

/**
 * Split a comma-separated header value: writes the next element (trimmed)
 * to @p item and advances @p cursor past it and its comma. Commas inside
 * quoted strings and <...> do not split.
 * @return 1 when an element was produced, 0 at the end, -EBADMSG for an
 *         empty element (",,", a leading or trailing ',') or an unbalanced
 *         quote or bracket. A comma not followed by an element fails the
 *         call that would step over it, i.e. the one for the element before.
 */
int sipdp_list_next(struct sipdp_str *cursor, struct sipdp_str *item);

/**
 * Search a ";name=value;flag" parameter string (the part starting at the
 * first ';', or empty) for @p name, case-insensitive.
 * @param value out, may be NULL: the value (quotes kept), empty for a flag.
 * @return 0 when found, -ENOENT when absent, -EBADMSG when malformed.
 */
int sipdp_param_find(struct sipdp_str params, struct sipdp_str name, struct sipdp_str *value);

/**
 * Iterate parameters: each call yields the next name and value (value has
 * p == NULL for a flag without '='). @return 1, 0 at the end, -EBADMSG.
 */
int sipdp_param_next(struct sipdp_str *cursor, struct sipdp_str *name, struct sipdp_str *value);

/** True when the comma-list @p value (Require, Supported, Allow, ...)
 *  contains the token @p tag, case-insensitive. Malformed lists give false. */
bool sipdp_list_has_token(struct sipdp_str value, struct sipdp_str tag);

/* ----------------------------------------------------------------- URIs */

enum sipdp_uri_scheme {
	SIPDP_URI_OTHER = 0, /**< absolute URI of another scheme, kept opaque */
	SIPDP_URI_SIP,
	SIPDP_URI_SIPS,
	SIPDP_URI_TEL,
};

enum sipdp_host_type {
	SIPDP_HOST_NONE = 0,
	SIPDP_HOST_NAME,
	SIPDP_HOST_IPV4,
	SIPDP_HOST_IPV6, /**< host view keeps the [ ] */
};

struct sipdp_uri {
	uint8_t scheme;       /**< enum sipdp_uri_scheme */
	uint8_t host_type;    /**< enum sipdp_host_type */
	uint16_t port;        /**< 0 when absent */
	struct sipdp_str scheme_str;
	struct sipdp_str user;     /**< escaped as written; may contain ';' */
	struct sipdp_str password;
	struct sipdp_str host;
	struct sipdp_str params;   /**< from the first ';' after the host, incl. it */
	struct sipdp_str headers;  /**< after '?', excluding it */
	struct sipdp_str opaque;   /**< OTHER/TEL: everything after "scheme:" */
};

/**
 * Parse a URI (sip, sips, tel; any other scheme as an opaque absolute URI).
 * sip/sips: userinfo with %HH escapes, IPv4 / [IPv6] / hostname, port
 * (1..65535), uri-params, ?headers. No LWS anywhere inside.
 * @return 0, -EBADMSG.
 */
int sipdp_uri_parse(struct sipdp_str s, struct sipdp_uri *uri);

/** RFC 3261 §19.1.4 comparison of two SIP URIs (scheme, user, password
 *  case-sensitive after unescaping; host case-insensitive; transport, user,
 *  ttl, method, maddr params when present in either). @return true if equal. */
bool sipdp_uri_equal(const struct sipdp_uri *a, const struct sipdp_uri *b);

/**
 * Undo %HH escapes of @p in into @p out (capacity @p cap).
 * @return bytes written, -ENOSPC, -EBADMSG for a bad escape.
 */
int sipdp_unescape(struct sipdp_str in, char *out, uint32_t cap);

/* ---------------------------------------------------------- name-addr */

/** From, To, Contact element, Route element, Refer-To, Referred-By. */
struct sipdp_nameaddr {
	struct sipdp_str display; /**< as written (quotes kept), may be empty */
	struct sipdp_str uri;     /**< without < > */
	struct sipdp_str params;  /**< header params after the URI, from ';' */
	struct sipdp_str tag;     /**< value of ;tag=, p == NULL when absent */
	bool angle;               /**< URI was in < > */
};

/**
 * Parse name-addr / addr-spec with header params. Without <>, the addr-spec
 * ends at the first ';' (RFC 3261 §20.10: those params are the header's) and
 * must not contain '?', ',' or ';' headers. Display names are tokens or
 * quoted strings with quoted-pairs.
 *
 * The URI is split out but NOT validated beyond: non-empty; inside < > it
 * holds no byte <= 0x20 (no LWS); an addr-spec without < > holds no '?', ','
 * or LWS. Full validation is sipdp_uri_parse(), which sipdp_msg_check() runs
 * on the From, To, Contact, Refer-To and Referred-By URIs; a caller that
 * needs the URI's parts (or skips sipdp_msg_check()) must call it itself.
 * Header parameters are fully checked.
 * @return 0, -EBADMSG.
 */
int sipdp_nameaddr_parse(struct sipdp_str s, struct sipdp_nameaddr *na);

/* ---------------------------------------------------------------- Via */

struct sipdp_via {
	struct sipdp_str protocol;  /**< "SIP/2.0" as written: may hold LWS
				         ("SIP / 2.0", RFC 4475 wsinv), so
				         compare proto_name/proto_version */
	struct sipdp_str proto_name;    /**< "SIP" */
	struct sipdp_str proto_version; /**< "2.0" */
	struct sipdp_str transport; /**< "UDP", "TCP", "TLS", ... */
	struct sipdp_str host;      /**< sent-by host ([ ] kept for IPv6) */
	uint16_t port;              /**< 0 when absent */
	uint8_t host_type;          /**< enum sipdp_host_type */
	bool rport_present;         /**< ;rport with or without a value */
	uint16_t rport;             /**< value of rport=, 0 when none */
	uint16_t ttl;               /**< 0..255; 0 also when absent */
	bool has_ttl;
	struct sipdp_str branch;    /**< p == NULL when absent */
	struct sipdp_str received;
	struct sipdp_str maddr;
	struct sipdp_str params;    /**< all params, from the first ';' */
};

/**
 * Parse one via-parm (one element of a Via value, as split by
 * sipdp_list_next()).
 * @return 0, -EBADMSG (also for empty params like ";;"), -ERANGE.
 */
int sipdp_via_parse(struct sipdp_str s, struct sipdp_via *via);

/** Parse the topmost via-parm of the message (first Via header, first
 *  element). @return 0, -ENOENT (no Via), -EBADMSG, -ERANGE. */
int sipdp_msg_top_via(const struct sipdp_msg *m, struct sipdp_via *via);

/** RFC 3261 §17.2.3: the branch starts with the magic cookie "z9hG4bK". */
static inline bool
sipdp_branch_is_rfc3261(struct sipdp_str branch)
{
	return branch.len >= 7 && memcmp(branch.p, "z9hG4bK", 7) == 0;
}

/* --------------------------------------------------------------- CSeq */

struct sipdp_cseq {
	uint32_t num;          /**< < 2^31 (RFC 3261 §8.1.1.5) */
	uint8_t method;        /**< enum sipdp_method */
	struct sipdp_str method_str;
};

/** @return 0, -EBADMSG, -ERANGE (number >= 2^31). */
int sipdp_cseq_parse(struct sipdp_str s, struct sipdp_cseq *cseq);

/* ---------------------------------------------------- simple numbers */

/** Expires, Min-SE, Max-Forwards, RSeq...: a delta-seconds style number with
 *  optional trailing params (ignored, kept in @p params if not NULL).
 *  @return 0, -EBADMSG, -ERANGE (> @p max). */
int sipdp_uint_parse(struct sipdp_str s, uint32_t max, uint32_t *out, struct sipdp_str *params);

/* ------------------------------------------------------------ Contact */

struct sipdp_contact {
	bool star;                 /**< "Contact: *" */
	struct sipdp_nameaddr na;  /**< the element (not set for star) */
	bool has_expires;
	uint32_t expires;
	bool has_q;
	uint16_t q;                /**< q-value times 1000 (0..1000) */
};

/**
 * Parse the next Contact element from @p cursor (a Contact header value).
 * The URI is split as by sipdp_nameaddr_parse(), not validated.
 * @return 1 when an element was produced, 0 at the end, -EBADMSG, -ERANGE.
 */
int sipdp_contact_next(struct sipdp_str *cursor, struct sipdp_contact *c);

/* ------------------------------------------------------- Refer / Replaces */

struct sipdp_replaces {
	struct sipdp_str call_id;
	struct sipdp_str to_tag;
	struct sipdp_str from_tag;
	bool early_only;
};

/** Replaces header value (RFC 3891 §6.1). @return 0, -EBADMSG (call-id,
 *  to-tag and from-tag are all required). */
int sipdp_replaces_parse(struct sipdp_str s, struct sipdp_replaces *r);

/**
 * Find the Replaces header carried in a Refer-To URI's ?headers
 * (RFC 3891 §7, escaped), unescape it into @p buf and parse it.
 * The views in @p r point into @p buf.
 * @return 0, -ENOENT (no Replaces), -EBADMSG, -ENOSPC (buf too small).
 */
int sipdp_uri_header_replaces(const struct sipdp_uri *uri, char *buf, uint32_t cap,
			      struct sipdp_replaces *r);

/** Refer-Sub (RFC 4488): "true" or "false" plus params. @return 0, -EBADMSG. */
int sipdp_refer_sub_parse(struct sipdp_str s, bool *value);

/* ----------------------------------------------------- Event / subscription */

struct sipdp_event {
	struct sipdp_str type;   /**< "refer", "dialog", ... */
	struct sipdp_str id;     /**< ;id= value, p == NULL when absent */
	struct sipdp_str params;
};

/** @return 0, -EBADMSG. */
int sipdp_event_parse(struct sipdp_str s, struct sipdp_event *ev);

enum sipdp_substate {
	SIPDP_SUBSTATE_OTHER = 0,
	SIPDP_SUBSTATE_ACTIVE,
	SIPDP_SUBSTATE_PENDING,
	SIPDP_SUBSTATE_TERMINATED,
};

struct sipdp_subscription_state {
	uint8_t state;             /**< enum sipdp_substate */
	struct sipdp_str state_str;
	struct sipdp_str reason;   /**< p == NULL when absent */
	bool has_expires;
	uint32_t expires;
	bool has_retry_after;
	uint32_t retry_after;
};

/** @return 0, -EBADMSG, -ERANGE. */
int sipdp_subscription_state_parse(struct sipdp_str s, struct sipdp_subscription_state *ss);

/* --------------------------------------------------------------- 100rel */

struct sipdp_rack {
	uint32_t rseq;
	uint32_t cseq;
	uint8_t method;
	struct sipdp_str method_str;
};

/** RAck (RFC 3262 §7.2). @return 0, -EBADMSG, -ERANGE. */
int sipdp_rack_parse(struct sipdp_str s, struct sipdp_rack *rack);

/** RSeq: 1..2^31-1 (RFC 3262 §7.1). @return 0, -EBADMSG, -ERANGE. */
int sipdp_rseq_parse(struct sipdp_str s, uint32_t *rseq);

/* ------------------------------------------------------- session timers */

enum sipdp_refresher {
	SIPDP_REFRESHER_NONE = 0,
	SIPDP_REFRESHER_UAC,
	SIPDP_REFRESHER_UAS,
};

struct sipdp_session_expires {
	uint32_t delta;
	uint8_t refresher; /**< enum sipdp_refresher */
};

/** Session-Expires (RFC 4028 §4). @return 0, -EBADMSG, -ERANGE. */
int sipdp_session_expires_parse(struct sipdp_str s, struct sipdp_session_expires *se);

/* ----------------------------------------------------- Reason / Retry-After */

struct sipdp_reason {
	struct sipdp_str protocol; /**< "SIP", "Q.850" */
	bool has_cause;
	uint16_t cause;
	struct sipdp_str text;     /**< quoted text without the quotes, p == NULL if absent */
};

/** Reason (RFC 3326), first element. @return 0, -EBADMSG, -ERANGE. */
int sipdp_reason_parse(struct sipdp_str s, struct sipdp_reason *r);

struct sipdp_retry_after {
	uint32_t delta;
	struct sipdp_str comment; /**< without the parentheses */
	bool has_duration;
	uint32_t duration;
};

/** Retry-After (RFC 3261 §20.33). @return 0, -EBADMSG, -ERANGE. */
int sipdp_retry_after_parse(struct sipdp_str s, struct sipdp_retry_after *ra);

/* ----------------------------------------------------- message helpers */

/** From and To of a message, decoded. @return 0, -ENOENT, -EBADMSG. */
int sipdp_msg_from(const struct sipdp_msg *m, struct sipdp_nameaddr *na);
int sipdp_msg_to(const struct sipdp_msg *m, struct sipdp_nameaddr *na);
/** CSeq of a message. @return 0, -ENOENT, -EBADMSG, -ERANGE. */
int sipdp_msg_cseq(const struct sipdp_msg *m, struct sipdp_cseq *cseq);

/**
 * Max-Forwards of a message (RFC 3261 §20.22: 1*DIGIT, LWS around it
 * allowed, no parameters), for a UA or B2BUA that passes the count on
 * (§16.6 step 3 decrements it; a B2BUA answers 483 to 0, as §16.3 says).
 * @param out  the value 0..255 (untouched on error).
 * @return 0; -ENOENT (no Max-Forwards header); -EBADMSG (not a number,
 *         or above 255).
 */
int sipdp_msg_max_forwards(const struct sipdp_msg *m, uint32_t *out);

/** True when any Require/Supported header (by @p id) lists @p tag. */
bool sipdp_msg_has_option(const struct sipdp_msg *m, enum sipdp_hdr_id id, struct sipdp_str tag);

#endif /* SIPDP_MSG_HDR_H */
