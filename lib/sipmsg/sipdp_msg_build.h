/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_MSG_BUILD_H
#define SIPDP_MSG_BUILD_H

/**
 * @file
 * Message builder: writes requests and responses into a caller buffer.
 *
 * No allocation, no printf. Each append checks the room left; once a write
 * does not fit the builder is marked overflowed, later appends do nothing,
 * and sipdp_build_finish() returns -ENOSPC, so callers check once at the end.
 *
 * Usage:
 *   struct sipdp_build b;
 *   sipdp_build_init(&b, buf, sizeof(buf));
 *   sipdp_build_request_line(&b, SIPDP_STR("INVITE"), ruri);
 *   sipdp_build_hdr(&b, SIPDP_HDR_CALL_ID, call_id);
 *   ...
 *   sipdp_build_body(&b, SIPDP_STR("application/sdp"), sdp);
 *   int len = sipdp_build_finish(&b);
 */

#include <stdbool.h>
#include <stdint.h>

#include "sipdp_msg.h"
#include "sipdp_str.h"

struct sipdp_build {
	char *p;       /**< next byte to write */
	char *start;
	char *end;
	bool overflow;
	bool body_done; /**< the header section is closed */
};

void sipdp_build_init(struct sipdp_build *b, char *buf, uint32_t cap);

/** "METHOD SP Request-URI SP SIP/2.0 CRLF" */
void sipdp_build_request_line(struct sipdp_build *b, struct sipdp_str method, struct sipdp_str ruri);

/** "SIP/2.0 SP code SP reason CRLF"; @p reason empty = the RFC default phrase. */
void sipdp_build_status_line(struct sipdp_build *b, uint16_t code, struct sipdp_str reason);

/** "Name: value CRLF" with the canonical name of @p id. */
void sipdp_build_hdr(struct sipdp_build *b, enum sipdp_hdr_id id, struct sipdp_str value);

/** "Name: value CRLF" with any name. */
void sipdp_build_hdr_named(struct sipdp_build *b, struct sipdp_str name, struct sipdp_str value);

/** "Name: <decimal> CRLF" */
void sipdp_build_hdr_u32(struct sipdp_build *b, enum sipdp_hdr_id id, uint32_t v);

/** "CSeq: num METHOD CRLF" */
void sipdp_build_cseq(struct sipdp_build *b, uint32_t num, struct sipdp_str method);

/**
 * Start a header whose value is assembled piecewise with sipdp_build_raw(),
 * sipdp_build_u32() and closed with sipdp_build_hdr_end().
 */
void sipdp_build_hdr_begin(struct sipdp_build *b, enum sipdp_hdr_id id);
void sipdp_build_raw(struct sipdp_build *b, const char *p, uint32_t len);
void sipdp_build_str(struct sipdp_build *b, struct sipdp_str s);
void sipdp_build_u32(struct sipdp_build *b, uint32_t v);
void sipdp_build_hdr_end(struct sipdp_build *b);

/**
 * Close the header section: "Content-Type" (when @p ctype is non-empty),
 * "Content-Length", the empty line and the body. Always call it, with an
 * empty body for none.
 */
void sipdp_build_body(struct sipdp_build *b, struct sipdp_str ctype, struct sipdp_str body);

/** @return message length, or -ENOSPC when anything did not fit. */
int sipdp_build_finish(const struct sipdp_build *b);

/** RFC 3261 §21 default reason phrase for a status code ("" if none). */
const char *sipdp_reason_phrase(uint16_t code);

/**
 * Start a response to @p req per RFC 3261 §8.2.6.2: status line, every Via
 * in order, From, To (adding ";tag=@p to_tag" when the request's To has no
 * tag and @p to_tag is non-empty), Call-ID, CSeq, and for 100 Trying the
 * Timestamp. The caller adds its own headers and must call
 * sipdp_build_body().
 */
void sipdp_build_response_start(struct sipdp_build *b, const struct sipdp_msg *req, uint16_t code,
				struct sipdp_str reason, struct sipdp_str to_tag);

/**
 * A whole stateless error response (400, 420, 481, 500, 503, 505, 513...):
 * sipdp_build_response_start() plus optional extra header lines (@p extra,
 * each ending in CRLF, may be empty) and an empty body.
 * @return length or -ENOSPC.
 */
int sipdp_build_response_simple(char *buf, uint32_t cap, const struct sipdp_msg *req, uint16_t code,
				struct sipdp_str to_tag, struct sipdp_str extra);

#endif /* SIPDP_MSG_BUILD_H */
