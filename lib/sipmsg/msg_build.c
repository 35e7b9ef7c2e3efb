/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Message builder. Fast path: a 100/200 to an INVITE is built once per call
 * leg, so every append is one bounds check and memcpy calls; no printf and
 * no strlen (names come with their lengths; response_start uses "Name: "
 * literals, which test_msg_build checks against sipdp_hdr_name()).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "msg_pvt.h"
#include "sipdp_base.h"
#include "sipdp_msg.h"
#include "sipdp_msg_build.h"
#include "sipdp_msg_hdr.h"
#include "sipdp_str.h"

#define CRLF "\r\n"

/* "Name: " prefixes of the headers response_start copies. */
#define PFX(lit) { lit ": ", sizeof(lit ": ") - 1 }
static const struct sipdp_str pfx_via = PFX("Via");
static const struct sipdp_str pfx_from = PFX("From");
static const struct sipdp_str pfx_to = PFX("To");
static const struct sipdp_str pfx_call_id = PFX("Call-ID");
static const struct sipdp_str pfx_cseq = PFX("CSeq");
static const struct sipdp_str pfx_timestamp = PFX("Timestamp");
static const struct sipdp_str pfx_ctype = PFX("Content-Type");
static const struct sipdp_str pfx_clen = PFX("Content-Length");

static inline uint32_t
room(const struct sipdp_build *b)
{
	return (uint32_t)(b->end - b->p);
}

/* One check for a whole piece; on a miss nothing is written, so the buffer
 * never holds half a line past the last complete append. */
static inline bool
reserve(struct sipdp_build *b, size_t n)
{
	if (SIPDP_UNLIKELY(b->overflow))
		return false;
	if (SIPDP_UNLIKELY(n > room(b))) {
		b->overflow = true;
		return false;
	}
	return true;
}

static inline void
put(struct sipdp_build *b, const char *s, uint32_t n)
{
	/* memcpy(NULL, NULL, 0) is undefined: empty views may have p == NULL. */
	if (n) {
		memcpy(b->p, s, n);
		b->p += n;
	}
}

/* Appending a header once the body is written would corrupt the message:
 * flag it as a failure that sipdp_build_finish() reports. */
static inline bool
hdr_ok(struct sipdp_build *b)
{
	if (SIPDP_UNLIKELY(b->body_done))
		b->overflow = true;
	return !b->overflow;
}

static inline void
append(struct sipdp_build *b, const char *s, uint32_t n)
{
	if (hdr_ok(b) && reserve(b, n))
		put(b, s, n);
}

/* "prefix value CRLF" with one bounds check. */
static inline void
line(struct sipdp_build *b, struct sipdp_str prefix, struct sipdp_str v)
{
	if (!hdr_ok(b) || !reserve(b, (size_t)prefix.len + v.len + 2))
		return;
	put(b, prefix.p, prefix.len);
	put(b, v.p, v.len);
	put(b, CRLF, 2);
}

/* Canonical name with its precomputed length: no strlen per header. */
static inline struct sipdp_str
hdr_name(enum sipdp_hdr_id id)
{
	return sipdp_str_make(sipdp_hdr_name(id), sipdp_hdr_name_len(id));
}

void
sipdp_build_init(struct sipdp_build *b, char *buf, uint32_t cap)
{
	b->start = buf;
	b->p = buf;
	b->end = buf ? buf + cap : buf;
	b->overflow = false;
	b->body_done = false;
}

void
sipdp_build_request_line(struct sipdp_build *b, struct sipdp_str method, struct sipdp_str ruri)
{
	static const char tail[] = " SIP/2.0" CRLF;

	if (!hdr_ok(b) || !reserve(b, (size_t)method.len + 1 + ruri.len + sizeof(tail) - 1))
		return;
	put(b, method.p, method.len);
	put(b, " ", 1);
	put(b, ruri.p, ruri.len);
	put(b, tail, sizeof(tail) - 1);
}

/* Phrases of RFC 3261 §21 plus the extension RFCs a carrier edge sees.
 * A switch compiles to a jump table: no search at run time. */
static struct sipdp_str
reason_str(uint16_t code)
{
#define R(c, s) case c: return SIPDP_STR(s)
	switch (code) {
	R(100, "Trying");
	R(180, "Ringing");
	R(181, "Call Is Being Forwarded");
	R(182, "Queued");
	R(183, "Session Progress");
	R(199, "Early Dialog Terminated");      /* RFC 6228 */
	R(200, "OK");
	R(202, "Accepted");                     /* RFC 3265 */
	R(204, "No Notification");              /* RFC 5839 */
	R(300, "Multiple Choices");
	R(301, "Moved Permanently");
	R(302, "Moved Temporarily");
	R(305, "Use Proxy");
	R(380, "Alternative Service");
	R(400, "Bad Request");
	R(401, "Unauthorized");
	R(402, "Payment Required");
	R(403, "Forbidden");
	R(404, "Not Found");
	R(405, "Method Not Allowed");
	R(406, "Not Acceptable");
	R(407, "Proxy Authentication Required");
	R(408, "Request Timeout");
	R(410, "Gone");
	R(412, "Conditional Request Failed");   /* RFC 3903 */
	R(413, "Request Entity Too Large");
	R(414, "Request-URI Too Long");
	R(415, "Unsupported Media Type");
	R(416, "Unsupported URI Scheme");
	R(417, "Unknown Resource-Priority");    /* RFC 4412 */
	R(420, "Bad Extension");
	R(421, "Extension Required");
	R(422, "Session Interval Too Small");   /* RFC 4028 */
	R(423, "Interval Too Brief");
	R(428, "Use Identity Header");          /* RFC 8224 */
	R(429, "Provide Referrer Identity");    /* RFC 3892 */
	R(430, "Flow Failed");                  /* RFC 5626 */
	R(433, "Anonymity Disallowed");         /* RFC 5079 */
	R(436, "Bad Identity Info");            /* RFC 8224 */
	R(437, "Unsupported Credential");       /* RFC 8224 */
	R(438, "Invalid Identity Header");      /* RFC 8224 */
	R(439, "First Hop Lacks Outbound Support"); /* RFC 5626 */
	R(440, "Max-Breadth Exceeded");         /* RFC 5393 */
	R(469, "Bad Info Package");             /* RFC 6086 */
	R(470, "Consent Needed");               /* RFC 5360 */
	R(480, "Temporarily Unavailable");
	R(481, "Call/Transaction Does Not Exist");
	R(482, "Loop Detected");
	R(483, "Too Many Hops");
	R(484, "Address Incomplete");
	R(485, "Ambiguous");
	R(486, "Busy Here");
	R(487, "Request Terminated");
	R(488, "Not Acceptable Here");
	R(489, "Bad Event");                    /* RFC 6665 */
	R(491, "Request Pending");
	R(493, "Undecipherable");
	R(494, "Security Agreement Required");  /* RFC 3329 */
	R(500, "Server Internal Error");
	R(501, "Not Implemented");
	R(502, "Bad Gateway");
	R(503, "Service Unavailable");
	R(504, "Server Time-out");
	R(505, "Version Not Supported");
	R(513, "Message Too Large");
	R(555, "Push Notification Service Not Supported"); /* RFC 8599 */
	R(580, "Precondition Failure");         /* RFC 3312 */
	R(600, "Busy Everywhere");
	R(603, "Decline");
	R(604, "Does Not Exist Anywhere");
	R(606, "Not Acceptable");
	R(607, "Unwanted");                     /* RFC 8197 */
	R(608, "Rejected");                     /* RFC 8688 */
	default:
		return SIPDP_STR("");
	}
#undef R
}

const char *
sipdp_reason_phrase(uint16_t code)
{
	return reason_str(code).p;
}

void
sipdp_build_status_line(struct sipdp_build *b, uint16_t code, struct sipdp_str reason)
{
	static const char ver[] = "SIP/2.0 ";
	char d[10];
	uint32_t n;

	if (reason.len == 0)
		reason = reason_str(code);
	if (SIPDP_LIKELY(code >= 100 && code <= 999)) {
		/* Status-Code is always 3 digits (RFC 3261 §25.1). */
		d[0] = (char)('0' + code / 100);
		d[1] = (char)('0' + code / 10 % 10);
		d[2] = (char)('0' + code % 10);
		n = 3;
	} else {
		n = sipdp_u32_to_dec(d, code);
	}
	if (!hdr_ok(b) || !reserve(b, sizeof(ver) - 1 + n + 1 + (size_t)reason.len + 2))
		return;
	put(b, ver, sizeof(ver) - 1);
	put(b, d, n);
	put(b, " ", 1);
	put(b, reason.p, reason.len);
	put(b, CRLF, 2);
}

void
sipdp_build_hdr_named(struct sipdp_build *b, struct sipdp_str name, struct sipdp_str value)
{
	if (!hdr_ok(b) || !reserve(b, (size_t)name.len + 2 + value.len + 2))
		return;
	put(b, name.p, name.len);
	put(b, ": ", 2);
	put(b, value.p, value.len);
	put(b, CRLF, 2);
}

void
sipdp_build_hdr(struct sipdp_build *b, enum sipdp_hdr_id id, struct sipdp_str value)
{
	sipdp_build_hdr_named(b, hdr_name(id), value);
}

void
sipdp_build_hdr_u32(struct sipdp_build *b, enum sipdp_hdr_id id, uint32_t v)
{
	struct sipdp_str name = hdr_name(id);
	char d[10];
	uint32_t n = sipdp_u32_to_dec(d, v);

	if (!hdr_ok(b) || !reserve(b, (size_t)name.len + 2 + n + 2))
		return;
	put(b, name.p, name.len);
	put(b, ": ", 2);
	put(b, d, n);
	put(b, CRLF, 2);
}

void
sipdp_build_cseq(struct sipdp_build *b, uint32_t num, struct sipdp_str method)
{
	char d[10];
	uint32_t n = sipdp_u32_to_dec(d, num);

	if (!hdr_ok(b) || !reserve(b, (size_t)pfx_cseq.len + n + 1 + method.len + 2))
		return;
	put(b, pfx_cseq.p, pfx_cseq.len);
	put(b, d, n);
	put(b, " ", 1);
	put(b, method.p, method.len);
	put(b, CRLF, 2);
}

void
sipdp_build_hdr_begin(struct sipdp_build *b, enum sipdp_hdr_id id)
{
	struct sipdp_str name = hdr_name(id);

	if (!hdr_ok(b) || !reserve(b, (size_t)name.len + 2))
		return;
	put(b, name.p, name.len);
	put(b, ": ", 2);
}

void
sipdp_build_raw(struct sipdp_build *b, const char *p, uint32_t len)
{
	append(b, p, len);
}

void
sipdp_build_str(struct sipdp_build *b, struct sipdp_str s)
{
	append(b, s.p, s.len);
}

void
sipdp_build_u32(struct sipdp_build *b, uint32_t v)
{
	char d[10];
	uint32_t n = sipdp_u32_to_dec(d, v);

	append(b, d, n);
}

void
sipdp_build_hdr_end(struct sipdp_build *b)
{
	append(b, CRLF, 2);
}

void
sipdp_build_body(struct sipdp_build *b, struct sipdp_str ctype, struct sipdp_str body)
{
	char d[10];
	uint32_t n = sipdp_u32_to_dec(d, body.len);
	size_t need = (size_t)pfx_clen.len + n + 4 + body.len;

	if (ctype.len)
		need += (size_t)pfx_ctype.len + ctype.len + 2;
	if (!hdr_ok(b) || !reserve(b, need)) {
		b->body_done = true;
		return;
	}
	if (ctype.len) {
		put(b, pfx_ctype.p, pfx_ctype.len);
		put(b, ctype.p, ctype.len);
		put(b, CRLF, 2);
	}
	/* Always written, also for an empty body: mandatory over streams
	 * (RFC 3261 §18.3) and we do not know the transport here. */
	put(b, pfx_clen.p, pfx_clen.len);
	put(b, d, n);
	put(b, CRLF CRLF, 4);
	put(b, body.p, body.len);
	b->body_done = true;
}

int
sipdp_build_finish(const struct sipdp_build *b)
{
	if (b->overflow)
		return -ENOSPC;
	if (!b->body_done)
		return -EINVAL;
	if ((size_t)(b->p - b->start) > INT_MAX)
		return -ENOSPC;
	return (int)(b->p - b->start);
}

/* LWS as it can appear inside a header value: folds are left in place by
 * the parser (RFC 3261 §7.3.1), so CR and LF count as white space here. */
static inline bool
is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Fallback for a To that sipdp_nameaddr_parse() rejects (the stateless 400
 * to a malformed request still copies it): does the value carry a "tag"
 * header parameter? Quoted display names and <URI> are skipped, so ";tag="
 * inside either does not count; without <> the params after the addr-spec's
 * first ';' are header params (RFC 3261 §20.10), as here.
 */
static bool
scan_has_tag(struct sipdp_str v)
{
	const char *p = v.p, *e = v.p + v.len;

	while (p < e) {
		char c = *p++;

		if (c == '"') {
			while (p < e && *p != '"') {
				if (*p == '\\' && p + 1 < e)
					p++;
				p++;
			}
			if (p < e)
				p++;
		} else if (c == '<') {
			while (p < e && *p != '>')
				p++;
			if (p < e)
				p++;
		} else if (c == ';') {
			while (p < e && is_lws(*p))
				p++;
			const char *n = p;
			while (p < e && sipdp_msg_is_token((unsigned char)*p))
				p++;
			if (p - n == 3 && sipdp_ascii_lower(n[0]) == 't' &&
			    sipdp_ascii_lower(n[1]) == 'a' && sipdp_ascii_lower(n[2]) == 'g') {
				const char *q = p;
				while (q < e && is_lws(*q))
					q++;
				/* ";tag" with or without a value: adding a second
				 * tag would only make it worse. */
				if (q == e || *q == '=' || *q == ';')
					return true;
			}
		}
	}
	return false;
}

/* The same notion of "has a tag" as the dialog layer, which reads To with
 * sipdp_nameaddr_parse() (~35 ns on the carrier corpus To, measured in an
 * in-process loop: a 200 to invite-carrier.sip builds in ~75-110 ns). */
static bool
value_has_tag(struct sipdp_str v)
{
	struct sipdp_nameaddr na;

	if (sipdp_nameaddr_parse(v, &na) == 0)
		return na.tag.p != NULL;
	return scan_has_tag(v);
}

/*
 * A value copied from a request must not end or start the header section of
 * the response: a view that begins or ends in CR/LF (the parser trims them,
 * this is defence in depth, ~1 ns) would put an empty line into the response
 * and turn what follows into a body (response splitting). Inner folds are
 * CRLF + SP/HTAB, which the parser checks, and stay as they are.
 */
static inline struct sipdp_str
copied(struct sipdp_str v)
{
	while (v.len && is_lws(v.p[0])) {
		v.p++;
		v.len--;
	}
	while (v.len && is_lws(v.p[v.len - 1]))
		v.len--;
	return v;
}

void
sipdp_build_response_start(struct sipdp_build *b, const struct sipdp_msg *req, uint16_t code,
			   struct sipdp_str reason, struct sipdp_str to_tag)
{
	const struct sipdp_hdr *h;

	sipdp_build_status_line(b, code, reason);

	/* §8.2.6.2: every Via, same values, same order. Each request line is
	 * copied as one line, so comma-joined values keep their order too. */
	for (h = sipdp_msg_hdr(req, SIPDP_HDR_VIA); h; h = sipdp_msg_hdr_next(req, h))
		line(b, pfx_via, copied(h->value));

	if ((h = sipdp_msg_hdr(req, SIPDP_HDR_FROM)) != NULL)
		line(b, pfx_from, copied(h->value));

	if ((h = sipdp_msg_hdr(req, SIPDP_HDR_TO)) != NULL) {
		static const char tag[] = ";tag=";
		struct sipdp_str to = copied(h->value);

		if (to_tag.len && !value_has_tag(to)) {
			if (hdr_ok(b) && reserve(b, (size_t)pfx_to.len + to.len +
						       sizeof(tag) - 1 + to_tag.len + 2)) {
				put(b, pfx_to.p, pfx_to.len);
				put(b, to.p, to.len);
				put(b, tag, sizeof(tag) - 1);
				put(b, to_tag.p, to_tag.len);
				put(b, CRLF, 2);
			}
		} else {
			line(b, pfx_to, to);
		}
	}

	if ((h = sipdp_msg_hdr(req, SIPDP_HDR_CALL_ID)) != NULL)
		line(b, pfx_call_id, copied(h->value));
	if ((h = sipdp_msg_hdr(req, SIPDP_HDR_CSEQ)) != NULL)
		line(b, pfx_cseq, copied(h->value));

	/* §8.2.6.1: a 100 copies the request's Timestamp. We answer at once,
	 * so no delay value is added. */
	if (code == 100 && (h = sipdp_msg_hdr(req, SIPDP_HDR_TIMESTAMP)) != NULL)
		line(b, pfx_timestamp, copied(h->value));
}

int
sipdp_build_response_simple(char *buf, uint32_t cap, const struct sipdp_msg *req, uint16_t code,
			    struct sipdp_str to_tag, struct sipdp_str extra)
{
	struct sipdp_build b;

	sipdp_build_init(&b, buf, cap);
	sipdp_build_response_start(&b, req, code, SIPDP_STR_NULL, to_tag);
	if (extra.len)
		append(&b, extra.p, extra.len);
	sipdp_build_body(&b, SIPDP_STR_NULL, SIPDP_STR_NULL);
	return sipdp_build_finish(&b);
}
