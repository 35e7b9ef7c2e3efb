/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_MSG_FRAMER_H
#define SIPDP_MSG_FRAMER_H

/**
 * @file
 * Stream framer for SIP over TCP and TLS (RFC 3261 §18.3, RFC 5626 §4.4.1).
 *
 * The caller keeps the received bytes in its own buffer and calls
 * sipdp_framer_next() after each read with all bytes not yet consumed. The
 * framer says how many bytes form the next unit; the answer depends only on
 * the bytes, never on how they were split across reads. It keeps a resume
 * offset so a slow trickle of bytes is not rescanned from the start.
 */

#include <stdint.h>

#include "sipdp_str.h"

struct sipdp_framer_params {
	uint32_t max_header_bytes;  /**< header section limit (default 8192) */
	uint32_t max_message_bytes; /**< header section + body (default 65535) */
};

enum sipdp_frame_kind {
	SIPDP_FRAME_MESSAGE = 1,   /**< a whole SIP message: parse it in stream mode */
	SIPDP_FRAME_PING,          /**< CRLFCRLF keep-alive: answer with a pong */
	SIPDP_FRAME_PONG,          /**< lone CRLF: a pong (or a stray line end) */
};

struct sipdp_framer {
	uint32_t max_header_bytes;
	uint32_t max_message_bytes;
	uint32_t scanned;          /* bytes already searched for CRLFCRLF */
};

struct sipdp_frame {
	uint8_t kind;              /**< enum sipdp_frame_kind */
	uint32_t len;              /**< bytes of the unit (consume them) */
	uint32_t hdr_len;          /**< MESSAGE: bytes of the header section incl. the empty line */
	uint32_t body_len;         /**< MESSAGE: Content-Length */
};

/** Initialise; @p params NULL or zero fields take the defaults. */
void sipdp_framer_init(struct sipdp_framer *f, const struct sipdp_framer_params *params);

/**
 * Find the next unit at the start of @p buf.
 * @return the unit's length (> 0, also in @p out->len) once complete;
 *         -EAGAIN: need more bytes (nothing to consume yet);
 *         -EMSGSIZE: header section or message over the limit (close);
 *         -EBADMSG: no usable Content-Length (missing, repeated with
 *         different values, negative, not a number): the stream cannot be
 *         resynchronised (answer 400 if possible, then close).
 * After a unit is returned the caller consumes out->len bytes and calls again.
 */
int sipdp_framer_next(struct sipdp_framer *f, const char *buf, uint32_t len, struct sipdp_frame *out);

#endif /* SIPDP_MSG_FRAMER_H */
