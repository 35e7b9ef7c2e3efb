/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/sipmsg message builder (sipdp_build_*).
 *  - a request built piece by piece is byte-exact; into a buffer of exactly
 *    its size it succeeds, into every smaller one it is -ENOSPC and never
 *    writes past the capacity (buffer ends at a guard page) and what it did
 *    write is a prefix of the message
 *  - status line: RFC 3261 §21 default phrases, a caller phrase overrides,
 *    3-digit code (§25.1), unknown codes get an empty phrase
 *  - response from a request (§8.2.6.2): every Via line copied in order,
 *    comma-joined Via values kept as written, compact "v:" written as "Via:";
 *    From, Call-ID, CSeq copied; To copied with ";tag=" added only when the
 *    request's To has no tag (a ";tag=" inside <URI> or a quoted display name
 *    does not count) and a tag is given
 *  - §8.2.6.1: 100 Trying copies Timestamp, other responses do not
 *  - a copied value that begins or ends in CR/LF (defence in depth: the
 *    parser trims them) never ends the response's header section early
 *    (response splitting)
 *  - stateless responses (response_simple) with extra headers and -ENOSPC
 *  - misuse: a header after the body, or no body call, is an error
 *  - round trips with the parser: parse(build(m)) gives back method, URI,
 *    status, headers and body; each corpus request answered and reparsed
 *    gives the same Call-ID, CSeq, From, To (plus tag) and Via list, and
 *    every header name written is the canonical sipdp_hdr_name()
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guard_page.h"
#include "sipdp_msg.h"
#include "sipdp_msg_build.h"
#include "sipdp_test.h"

#ifndef SIPDP_TEST_DATA_DIR
#error "SIPDP_TEST_DATA_DIR must be defined by meson"
#endif

static struct sipdp_msg req_m, rsp_m;

#define SDP "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"

static const char expected_invite[] =
	"INVITE sip:bob@example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:alice@example.com>;tag=a1\r\n"
	"To: <sip:bob@example.com>\r\n"
	"Call-ID: c1@192.0.2.1\r\n"
	"CSeq: 4294967295 INVITE\r\n"
	"Contact: <sip:alice@192.0.2.1:5060>;expires=0\r\n"
	"X-Custom: yes\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 63\r\n"
	"\r\n" SDP;

/* Builds expected_invite with every kind of append. */
static int
build_invite(char *buf, uint32_t cap, struct sipdp_build *b)
{
	sipdp_build_init(b, buf, cap);
	sipdp_build_request_line(b, SIPDP_STR("INVITE"), SIPDP_STR("sip:bob@example.com"));
	sipdp_build_hdr(b, SIPDP_HDR_VIA, SIPDP_STR("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc"));
	sipdp_build_hdr_u32(b, SIPDP_HDR_MAX_FORWARDS, 70);
	sipdp_build_hdr(b, SIPDP_HDR_FROM, SIPDP_STR("<sip:alice@example.com>;tag=a1"));
	sipdp_build_hdr(b, SIPDP_HDR_TO, SIPDP_STR("<sip:bob@example.com>"));
	sipdp_build_hdr(b, SIPDP_HDR_CALL_ID, SIPDP_STR("c1@192.0.2.1"));
	sipdp_build_cseq(b, UINT32_MAX, SIPDP_STR("INVITE"));
	sipdp_build_hdr_begin(b, SIPDP_HDR_CONTACT);
	sipdp_build_raw(b, "<sip:alice@", 11);
	sipdp_build_str(b, SIPDP_STR("192.0.2.1:"));
	sipdp_build_u32(b, 5060);
	sipdp_build_raw(b, ">;expires=", 10);
	sipdp_build_u32(b, 0);
	sipdp_build_hdr_end(b);
	sipdp_build_hdr_named(b, SIPDP_STR("X-Custom"), SIPDP_STR("yes"));
	sipdp_build_body(b, SIPDP_STR("application/sdp"), SIPDP_STR(SDP));
	return sipdp_build_finish(b);
}

static void
test_request_exact_size_and_every_smaller_cap_is_enospc(void)
{
	const uint32_t len = sizeof(expected_invite) - 1;
	static char zero[sizeof(expected_invite)];
	struct sipdp_build b;
	struct guard_buf g;

	for (uint32_t cap = 0; cap <= len; cap++) {
		/* The buffer's last byte sits right before an unreadable,
		 * unwritable page: any write past cap faults. */
		CU_ASSERT_FATAL(guard_buf_make(&g, zero, cap) == 0);
		int rc = build_invite(g.data, cap, &b);
		if (cap == len) {
			CU_ASSERT_EQUAL(rc, (int)len);
			CU_ASSERT_EQUAL(memcmp(g.data, expected_invite, len), 0);
		} else {
			CU_ASSERT_EQUAL(rc, -ENOSPC);
			/* Whatever was written before it ran out is exact. */
			CU_ASSERT(b.p - b.start <= (long)cap);
			CU_ASSERT_EQUAL(memcmp(g.data, expected_invite, (size_t)(b.p - b.start)), 0);
		}
		guard_buf_free(&g);
	}
}

static void
test_status_line_default_and_caller_phrases(void)
{
	static const struct {
		uint16_t code;
		const char *reason;
		const char *line;
	} t[] = {
		{ 100, "", "SIP/2.0 100 Trying\r\n" },
		{ 180, "", "SIP/2.0 180 Ringing\r\n" },
		{ 183, "", "SIP/2.0 183 Session Progress\r\n" },
		{ 200, "", "SIP/2.0 200 OK\r\n" },
		{ 202, "", "SIP/2.0 202 Accepted\r\n" },
		{ 400, "", "SIP/2.0 400 Bad Request\r\n" },
		{ 481, "", "SIP/2.0 481 Call/Transaction Does Not Exist\r\n" },
		{ 487, "", "SIP/2.0 487 Request Terminated\r\n" },
		{ 503, "", "SIP/2.0 503 Service Unavailable\r\n" },
		{ 504, "", "SIP/2.0 504 Server Time-out\r\n" },
		{ 505, "", "SIP/2.0 505 Version Not Supported\r\n" },
		{ 513, "", "SIP/2.0 513 Message Too Large\r\n" },
		{ 603, "", "SIP/2.0 603 Decline\r\n" },
		{ 604, "", "SIP/2.0 604 Does Not Exist Anywhere\r\n" },
		{ 200, "Fine", "SIP/2.0 200 Fine\r\n" },
		{ 299, "", "SIP/2.0 299 \r\n" },
		{ 699, "Custom Thing", "SIP/2.0 699 Custom Thing\r\n" },
	};
	char buf[128];
	struct sipdp_build b;

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(t); i++) {
		sipdp_build_init(&b, buf, sizeof(buf));
		sipdp_build_status_line(&b, t[i].code, sipdp_str_cstr(t[i].reason));
		CU_ASSERT_EQUAL((size_t)(b.p - b.start), strlen(t[i].line));
		CU_ASSERT_EQUAL(memcmp(buf, t[i].line, strlen(t[i].line)), 0);
	}
	CU_ASSERT_STRING_EQUAL(sipdp_reason_phrase(486), "Busy Here");
	CU_ASSERT_STRING_EQUAL(sipdp_reason_phrase(422), "Session Interval Too Small");
	CU_ASSERT_STRING_EQUAL(sipdp_reason_phrase(0), "");
	CU_ASSERT_STRING_EQUAL(sipdp_reason_phrase(299), "");
	CU_ASSERT_STRING_EQUAL(sipdp_reason_phrase(65535), "");
}

static void
test_every_default_phrase_round_trips_through_the_parser(void)
{
	char buf[256];
	struct sipdp_build b;
	int seen = 0;

	for (uint16_t code = 100; code <= 699; code++) {
		const char *r = sipdp_reason_phrase(code);
		if (*r == 0)
			continue;
		seen++;
		sipdp_build_init(&b, buf, sizeof(buf));
		sipdp_build_status_line(&b, code, SIPDP_STR_NULL);
		sipdp_build_hdr(&b, SIPDP_HDR_CALL_ID, SIPDP_STR("x"));
		sipdp_build_body(&b, SIPDP_STR_NULL, SIPDP_STR_NULL);
		int len = sipdp_build_finish(&b);
		CU_ASSERT_FATAL(len > 0);
		CU_ASSERT_EQUAL(sipdp_msg_parse(&rsp_m, buf, (size_t)len, 0), len);
		CU_ASSERT_FALSE(rsp_m.is_request);
		CU_ASSERT_EQUAL(rsp_m.status, code);
		CU_ASSERT_TRUE(sipdp_str_eq(rsp_m.reason, sipdp_str_cstr(r)));
	}
	/* RFC 3261 §21 alone defines 50 phrases. */
	CU_ASSERT(seen >= 50);
}

static int
parse_req(const char *s)
{
	return sipdp_msg_parse(&req_m, s, strlen(s), 0);
}

#define REQ_HEAD "INVITE sip:bob@example.com SIP/2.0\r\n"
#define REQ_TAIL "From: \"A\" <sip:a@example.com>;tag=ft\r\n" \
		 "Call-ID: cid-1\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n"

static void
test_response_copies_every_via_in_order(void)
{
	static const char req[] = REQ_HEAD
		"Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1\r\n"
		"Max-Forwards: 70\r\n"
		"v: SIP/2.0/TCP p2.example.com;branch=z9hG4bK2 ,\r\n"
		"  SIP/2.0/UDP p3.example.com;branch=z9hG4bK3\r\n"
		"To: <sip:bob@example.com>\r\n"
		"Via: SIP/2.0/UDP 192.0.2.9;received=192.0.2.8;branch=z9hG4bK4\r\n"
		"Timestamp: 54.1 0.5\r\n"
		REQ_TAIL;
	static const char want[] = "SIP/2.0 180 Ringing\r\n"
		"Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1\r\n"
		"Via: SIP/2.0/TCP p2.example.com;branch=z9hG4bK2 ,\r\n"
		"  SIP/2.0/UDP p3.example.com;branch=z9hG4bK3\r\n"
		"Via: SIP/2.0/UDP 192.0.2.9;received=192.0.2.8;branch=z9hG4bK4\r\n"
		"From: \"A\" <sip:a@example.com>;tag=ft\r\n"
		"To: <sip:bob@example.com>;tag=tt9\r\n"
		"Call-ID: cid-1\r\n"
		"CSeq: 7 INVITE\r\n"
		"Content-Length: 0\r\n\r\n";
	char buf[1024];
	struct sipdp_build b;

	CU_ASSERT_FATAL(parse_req(req) > 0);
	sipdp_build_init(&b, buf, sizeof(buf));
	sipdp_build_response_start(&b, &req_m, 180, SIPDP_STR_NULL, SIPDP_STR("tt9"));
	sipdp_build_body(&b, SIPDP_STR_NULL, SIPDP_STR_NULL);
	int len = sipdp_build_finish(&b);
	CU_ASSERT_EQUAL_FATAL(len, (int)sizeof(want) - 1);
	CU_ASSERT_EQUAL(memcmp(buf, want, sizeof(want) - 1), 0);
}

/* Response To for a given request To value. */
static void
check_to(const char *to, const char *tag, const char *want_to)
{
	char req[512], buf[1024];
	struct sipdp_build b;
	int n = snprintf(req, sizeof(req),
			 REQ_HEAD "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: %s\r\n" REQ_TAIL, to);

	CU_ASSERT_FATAL(sipdp_msg_parse(&req_m, req, (size_t)n, 0) == n);
	sipdp_build_init(&b, buf, sizeof(buf));
	sipdp_build_response_start(&b, &req_m, 200, SIPDP_STR_NULL, sipdp_str_cstr(tag));
	sipdp_build_body(&b, SIPDP_STR_NULL, SIPDP_STR_NULL);
	int len = sipdp_build_finish(&b);
	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL_FATAL(sipdp_msg_parse(&rsp_m, buf, (size_t)len, 0), len);
	struct sipdp_str got = sipdp_msg_hdr_value(&rsp_m, SIPDP_HDR_TO);
	if (!sipdp_str_eq(got, sipdp_str_cstr(want_to)))
		fprintf(stderr, "To '%s' tag '%s': got '%.*s' want '%s'\n", to, tag,
			SIPDP_STR_FMT(got), want_to);
	CU_ASSERT_TRUE(sipdp_str_eq(got, sipdp_str_cstr(want_to)));
}

static void
test_to_tag_added_only_when_absent(void)
{
	check_to("<sip:bob@example.com>", "t1", "<sip:bob@example.com>;tag=t1");
	check_to("<sip:bob@example.com>;tag=old", "t1", "<sip:bob@example.com>;tag=old");
	check_to("<sip:bob@example.com> ; TAG = old", "t1", "<sip:bob@example.com> ; TAG = old");
	check_to("<sip:bob@example.com>;x=1;tag=old;y", "t1", "<sip:bob@example.com>;x=1;tag=old;y");
	/* Not tags: inside <URI>, inside a quoted name, a longer param name. */
	check_to("<sip:bob@example.com;tag=u>", "t1", "<sip:bob@example.com;tag=u>;tag=t1");
	check_to("\"x;tag=q\\\" \" <sip:bob@example.com>", "t1",
		 "\"x;tag=q\\\" \" <sip:bob@example.com>;tag=t1");
	check_to("<sip:bob@example.com>;tagx=1", "t1", "<sip:bob@example.com>;tagx=1;tag=t1");
	/* addr-spec without <>: params after it are header params (§20.10). */
	check_to("sip:bob@example.com;tag=old", "t1", "sip:bob@example.com;tag=old");
	check_to("sip:bob@example.com", "t1", "sip:bob@example.com;tag=t1");
	/* A To the name-addr parser rejects (space inside <>, RFC 4475
	 * badaspec) is still answered (400): the fallback scanner decides. */
	check_to("<sip:bob@ex ample.com>;tag=old", "t1", "<sip:bob@ex ample.com>;tag=old");
	check_to("<sip:bob@ex ample.com>", "t1", "<sip:bob@ex ample.com>;tag=t1");
	check_to("\"q;tag=1\" <sip:b b>;x", "t1", "\"q;tag=1\" <sip:b b>;x;tag=t1");
	check_to("<sip:b b;tag=u>;TAG", "t1", "<sip:b b;tag=u>;TAG");
	/* No tag given (100 Trying): To is copied as is. */
	check_to("<sip:bob@example.com>", "", "<sip:bob@example.com>");
}

static void
test_trying_copies_timestamp_only_for_100(void)
{
	static const char req[] = REQ_HEAD "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		"To: <sip:b@example.com>\r\nTimestamp: 54.10 0.25\r\n" REQ_TAIL;
	char buf[1024];
	struct sipdp_build b;
	int len;

	CU_ASSERT_FATAL(parse_req(req) > 0);
	sipdp_build_init(&b, buf, sizeof(buf));
	sipdp_build_response_start(&b, &req_m, 100, SIPDP_STR_NULL, SIPDP_STR_NULL);
	sipdp_build_body(&b, SIPDP_STR_NULL, SIPDP_STR_NULL);
	len = sipdp_build_finish(&b);
	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL_FATAL(sipdp_msg_parse(&rsp_m, buf, (size_t)len, 0), len);
	CU_ASSERT_EQUAL(rsp_m.status, 100);
	CU_ASSERT_TRUE(sipdp_str_eq(sipdp_msg_hdr_value(&rsp_m, SIPDP_HDR_TIMESTAMP),
				    SIPDP_STR("54.10 0.25")));
	CU_ASSERT_TRUE(sipdp_str_eq(sipdp_msg_hdr(&rsp_m, SIPDP_HDR_TIMESTAMP)->name,
				    sipdp_str_cstr(sipdp_hdr_name(SIPDP_HDR_TIMESTAMP))));
	CU_ASSERT_TRUE(sipdp_str_eq(sipdp_msg_hdr_value(&rsp_m, SIPDP_HDR_TO),
				    SIPDP_STR("<sip:b@example.com>")));

	sipdp_build_init(&b, buf, sizeof(buf));
	sipdp_build_response_start(&b, &req_m, 180, SIPDP_STR_NULL, SIPDP_STR("x"));
	sipdp_build_body(&b, SIPDP_STR_NULL, SIPDP_STR_NULL);
	len = sipdp_build_finish(&b);
	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL_FATAL(sipdp_msg_parse(&rsp_m, buf, (size_t)len, 0), len);
	CU_ASSERT_PTR_NULL(sipdp_msg_hdr(&rsp_m, SIPDP_HDR_TIMESTAMP));
}

static void
test_copied_value_never_ends_the_header_section(void)
{
	static const char req[] = REQ_HEAD "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		"To: <sip:b@example.com>\r\n" REQ_TAIL;
	static const char *const evil[] = { "\r\n", "\r\n \r\n", "x\r\n", "\r\nInjected: 1\r\n",
					     "\n", " \t" };
	char buf[1024];

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(evil); i++) {
		CU_ASSERT_FATAL(parse_req(req) > 0);
		/* The struct is transparent: forge what a buggy parser could
		 * hand over, in every copied header. */
		for (uint16_t k = 0; k < req_m.nhdrs; k++)
			if (req_m.hdrs[k].id != SIPDP_HDR_CONTENT_LENGTH)
				req_m.hdrs[k].value = sipdp_str_cstr(evil[i]);
		int len = sipdp_build_response_simple(buf, sizeof(buf), &req_m, 400, SIPDP_STR("t"),
						      SIPDP_STR_NULL);
		CU_ASSERT_FATAL(len > 0);
		/* One header section with exactly the lines we wrote. */
		CU_ASSERT_EQUAL(sipdp_msg_parse(&rsp_m, buf, (size_t)len, SIPDP_MSG_F_STREAM), len);
		CU_ASSERT_EQUAL(rsp_m.nhdrs, 6);
		CU_ASSERT_EQUAL(rsp_m.body.len, 0);
		CU_ASSERT_PTR_NULL(memmem(buf, (size_t)len - 4, "\r\n\r\n", 4));
	}
}

static void
test_response_simple_with_extra_and_enospc(void)
{
	static const char req[] = REQ_HEAD "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		"To: <sip:b@example.com>\r\n" REQ_TAIL;
	static const char want[] = "SIP/2.0 503 Service Unavailable\r\n"
		"Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		"From: \"A\" <sip:a@example.com>;tag=ft\r\n"
		"To: <sip:b@example.com>;tag=z\r\n"
		"Call-ID: cid-1\r\n"
		"CSeq: 7 INVITE\r\n"
		"Retry-After: 5\r\n"
		"Content-Length: 0\r\n\r\n";
	static char zero[sizeof(want)];
	const uint32_t wl = sizeof(want) - 1;
	struct guard_buf g;

	CU_ASSERT_FATAL(parse_req(req) > 0);
	for (uint32_t cap = 0; cap <= wl; cap++) {
		CU_ASSERT_FATAL(guard_buf_make(&g, zero, cap) == 0);
		int rc = sipdp_build_response_simple(g.data, cap, &req_m, 503, SIPDP_STR("z"),
						     SIPDP_STR("Retry-After: 5\r\n"));
		if (cap == wl) {
			CU_ASSERT_EQUAL(rc, (int)wl);
			CU_ASSERT_EQUAL(memcmp(g.data, want, wl), 0);
		} else {
			CU_ASSERT_EQUAL(rc, -ENOSPC);
		}
		guard_buf_free(&g);
	}
}

static void
test_header_after_body_or_no_body_is_an_error(void)
{
	char buf[256];
	struct sipdp_build b;

	sipdp_build_init(&b, buf, sizeof(buf));
	sipdp_build_status_line(&b, 200, SIPDP_STR_NULL);
	CU_ASSERT_EQUAL(sipdp_build_finish(&b), -EINVAL);
	sipdp_build_body(&b, SIPDP_STR_NULL, SIPDP_STR_NULL);
	CU_ASSERT_EQUAL(sipdp_build_finish(&b), (int)strlen("SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
	sipdp_build_hdr(&b, SIPDP_HDR_CALL_ID, SIPDP_STR("late"));
	CU_ASSERT_EQUAL(sipdp_build_finish(&b), -ENOSPC);
	sipdp_build_init(&b, buf, sizeof(buf));
	sipdp_build_status_line(&b, 200, SIPDP_STR_NULL);
	sipdp_build_body(&b, SIPDP_STR_NULL, SIPDP_STR_NULL);
	sipdp_build_raw(&b, "x", 1);
	CU_ASSERT_EQUAL(sipdp_build_finish(&b), -ENOSPC);

	/* A zero-capacity builder with no buffer at all. */
	sipdp_build_init(&b, NULL, 0);
	sipdp_build_status_line(&b, 200, SIPDP_STR_NULL);
	sipdp_build_body(&b, SIPDP_STR_NULL, SIPDP_STR_NULL);
	CU_ASSERT_EQUAL(sipdp_build_finish(&b), -ENOSPC);
}

/* ------------------------------------------------------------ round trips */

static void
test_parse_of_built_request_gives_back_everything(void)
{
	char buf[1024];
	struct sipdp_build b;
	int len = build_invite(buf, sizeof(buf), &b);
	static const struct {
		enum sipdp_hdr_id id;
		const char *name, *value;
	} h[] = {
		{ SIPDP_HDR_VIA, "Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc" },
		{ SIPDP_HDR_MAX_FORWARDS, "Max-Forwards", "70" },
		{ SIPDP_HDR_FROM, "From", "<sip:alice@example.com>;tag=a1" },
		{ SIPDP_HDR_TO, "To", "<sip:bob@example.com>" },
		{ SIPDP_HDR_CALL_ID, "Call-ID", "c1@192.0.2.1" },
		{ SIPDP_HDR_CSEQ, "CSeq", "4294967295 INVITE" },
		{ SIPDP_HDR_CONTACT, "Contact", "<sip:alice@192.0.2.1:5060>;expires=0" },
		{ SIPDP_HDR_OTHER, "X-Custom", "yes" },
		{ SIPDP_HDR_CONTENT_TYPE, "Content-Type", "application/sdp" },
		{ SIPDP_HDR_CONTENT_LENGTH, "Content-Length", "63" },
	};

	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL_FATAL(sipdp_msg_parse(&req_m, buf, (size_t)len, 0), len);
	CU_ASSERT_TRUE(req_m.is_request);
	CU_ASSERT_EQUAL(req_m.method, SIPDP_METHOD_INVITE);
	CU_ASSERT_TRUE(sipdp_str_eq(req_m.ruri, SIPDP_STR("sip:bob@example.com")));
	CU_ASSERT_TRUE(sipdp_str_eq(req_m.body, SIPDP_STR(SDP)));
	CU_ASSERT_EQUAL(req_m.nhdrs, SIPDP_ARRAY_SIZE(h));
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(h) && i < req_m.nhdrs; i++) {
		CU_ASSERT_EQUAL(req_m.hdrs[i].id, h[i].id);
		CU_ASSERT_TRUE(sipdp_str_eq(req_m.hdrs[i].name, sipdp_str_cstr(h[i].name)));
		CU_ASSERT_TRUE(sipdp_str_eq(req_m.hdrs[i].value, sipdp_str_cstr(h[i].value)));
	}
	/* Stream mode agrees: the builder always writes Content-Length. */
	CU_ASSERT_EQUAL(sipdp_msg_parse(&req_m, buf, (size_t)len, SIPDP_MSG_F_STREAM), len);
}

static bool
same_values(const struct sipdp_msg *a, const struct sipdp_msg *b, enum sipdp_hdr_id id)
{
	const struct sipdp_hdr *x = sipdp_msg_hdr(a, id), *y = sipdp_msg_hdr(b, id);

	for (; x && y; x = sipdp_msg_hdr_next(a, x), y = sipdp_msg_hdr_next(b, y))
		if (!sipdp_str_eq(x->value, y->value))
			return false;
	return x == NULL && y == NULL;
}

static void
test_corpus_request_answered_and_reparsed_keeps_dialog_headers(void)
{
	DIR *d = opendir(SIPDP_TEST_DATA_DIR "/corpus");
	struct dirent *de;
	static char rsp[8192];
	int requests = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((de = readdir(d)) != NULL) {
		char path[512];
		size_t n;

		if (strstr(de->d_name, ".sip") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/corpus/%s", SIPDP_TEST_DATA_DIR, de->d_name);
		char *data = sipdp_test_read_file(path, &n);
		CU_ASSERT_PTR_NOT_NULL_FATAL(data);
		CU_ASSERT_EQUAL_FATAL(sipdp_msg_parse(&req_m, data, n, 0), (int)n);
		if (!req_m.is_request) {
			free(data);
			continue;
		}
		requests++;

		for (int k = 0; k < 2; k++) {
			uint16_t code = k ? 486 : 200;
			struct sipdp_build b;
			sipdp_build_init(&b, rsp, sizeof(rsp));
			sipdp_build_response_start(&b, &req_m, code, SIPDP_STR_NULL, SIPDP_STR("uas-tag-1"));
			sipdp_build_hdr(&b, SIPDP_HDR_CONTACT, SIPDP_STR("<sip:uas@192.0.2.2>"));
			sipdp_build_body(&b, k ? SIPDP_STR_NULL : SIPDP_STR("application/sdp"),
					 k ? SIPDP_STR_NULL : SIPDP_STR(SDP));
			int len = sipdp_build_finish(&b);
			CU_ASSERT_FATAL(len > 0);
			CU_ASSERT_EQUAL_FATAL(sipdp_msg_parse(&rsp_m, rsp, (size_t)len, SIPDP_MSG_F_STREAM), len);
			CU_ASSERT_FALSE(rsp_m.is_request);
			CU_ASSERT_EQUAL(rsp_m.status, code);
			CU_ASSERT_TRUE(same_values(&req_m, &rsp_m, SIPDP_HDR_VIA));
			CU_ASSERT_EQUAL(req_m.count[SIPDP_HDR_VIA], rsp_m.count[SIPDP_HDR_VIA]);
			CU_ASSERT_TRUE(same_values(&req_m, &rsp_m, SIPDP_HDR_FROM));
			CU_ASSERT_TRUE(same_values(&req_m, &rsp_m, SIPDP_HDR_CALL_ID));
			CU_ASSERT_TRUE(same_values(&req_m, &rsp_m, SIPDP_HDR_CSEQ));
			CU_ASSERT_TRUE(sipdp_str_eq(rsp_m.body, k ? SIPDP_STR("") : SIPDP_STR(SDP)));

			/* To: the request's value, plus our tag only if it had none. */
			struct sipdp_str rt = sipdp_msg_hdr_value(&req_m, SIPDP_HDR_TO);
			struct sipdp_str st = sipdp_msg_hdr_value(&rsp_m, SIPDP_HDR_TO);
			CU_ASSERT_FATAL(rt.p != NULL && st.p != NULL);
			CU_ASSERT(st.len >= rt.len);
			CU_ASSERT_EQUAL(memcmp(st.p, rt.p, rt.len), 0);
			bool had_tag = memmem(rt.p, rt.len, ";tag=", 5) != NULL;
			CU_ASSERT_TRUE(sipdp_str_eq(sipdp_str_make(st.p + rt.len, st.len - rt.len),
						    had_tag ? SIPDP_STR("") : SIPDP_STR(";tag=uas-tag-1")));

			/* Names are written in canonical long form, even for
			 * compact ones in the request (invite-carrier). */
			for (uint16_t i = 0; i < rsp_m.nhdrs; i++) {
				const struct sipdp_hdr *h = &rsp_m.hdrs[i];
				CU_ASSERT_NOT_EQUAL(h->id, SIPDP_HDR_OTHER);
				CU_ASSERT_TRUE(sipdp_str_eq(h->name, sipdp_str_cstr(sipdp_hdr_name(h->id))));
			}
		}
		free(data);
	}
	closedir(d);
	CU_ASSERT(requests >= 8);
}

static struct sipdp_test_case cases[] = {
	{ "request_exact_size_and_every_smaller_cap_is_enospc",
	  test_request_exact_size_and_every_smaller_cap_is_enospc },
	{ "status_line_default_and_caller_phrases", test_status_line_default_and_caller_phrases },
	{ "every_default_phrase_round_trips_through_the_parser",
	  test_every_default_phrase_round_trips_through_the_parser },
	{ "response_copies_every_via_in_order", test_response_copies_every_via_in_order },
	{ "to_tag_added_only_when_absent", test_to_tag_added_only_when_absent },
	{ "trying_copies_timestamp_only_for_100", test_trying_copies_timestamp_only_for_100 },
	{ "copied_value_never_ends_the_header_section",
	  test_copied_value_never_ends_the_header_section },
	{ "response_simple_with_extra_and_enospc", test_response_simple_with_extra_and_enospc },
	{ "header_after_body_or_no_body_is_an_error", test_header_after_body_or_no_body_is_an_error },
	{ "parse_of_built_request_gives_back_everything",
	  test_parse_of_built_request_gives_back_everything },
	{ "corpus_request_answered_and_reparsed_keeps_dialog_headers",
	  test_corpus_request_answered_and_reparsed_keeps_dialog_headers },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("sipmsg_build", cases);
}
