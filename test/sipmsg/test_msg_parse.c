/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The message indexer (sipdp_msg_parse), RFC 3261 §7 and §25.
 *
 * Scenarios, each input placed right before an unreadable page so that any
 * over-read faults:
 *  - start lines: single SP only, no trailing SP, SIP/2.0 only (others are
 *    syntax-valid with version_ok = false, so the UAS answers 505, §21.5.6),
 *    status code exactly 3 digits 100..699, empty reason
 *  - header names: case-insensitive, every compact form, LWS before the
 *    colon, unknown headers kept verbatim, non-token names rejected
 *  - values: folds kept inside the value, LWS trimmed around it, several
 *    instances linked in order, bare LF / bare CR rejected
 *  - framing: Content-Length cuts a datagram (dblreq), larger than the body
 *    is malformed (clerr), negative / conflicting / overflowing ones are
 *    malformed (ncl, mcl01), stream mode needs it and says -EAGAIN until
 *    the message is whole, header count bounded (-ENOSPC)
 *  - acceptance (sipdp_msg_check) judges the From/To/Contact/Refer-To URIs
 *    that sipdp_nameaddr_parse() only splits: each bad one is a 400
 *  - every truncation of a valid message is refused (datagram) or
 *    -EAGAIN (stream), never an over-read
 *  - the fast indexer (64-byte bitmaps, hashed names) and the general one
 *    give the same index, verdict and error (what, offset, status) for
 *    the corpus, the RFC 4475/5118 torture messages, every truncation and
 *    every one-byte damage of the header section, and crafted shapes:
 *    names at the 16-byte edge, line ends at the 64-byte block edges, an
 *    empty line split across blocks, folds, short messages
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include "guard_page.h"
#include "msg_pvt.h"
#include "sipdp_msg.h"
#include "sipdp_msg_hdr.h"
#include "sipdp_test.h"

static struct sipdp_msg msg;

static int
parse_guarded(const char *in, size_t len, unsigned flags)
{
	struct guard_buf g;
	CU_ASSERT_EQUAL_FATAL(guard_buf_make(&g, in, len), 0);
	int rc = sipdp_msg_parse(&msg, g.data, len, flags);
	/* Views point into the guarded copy: translate them back so callers
	 * can compare after the mapping is gone. */
	guard_buf_free(&g);
	return rc;
}

struct parse_case {
	const char *in;
	int rc; /* > 0: expect success with that many bytes consumed; 0: whole input */
	const char *why;
};

#define REQ_HDRS                                                                                 \
	"Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKa\r\nTo: <sip:b@example.com>\r\n"       \
	"From: <sip:a@example.com>;tag=1\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n"

static const struct parse_case start_lines[] = {
	{ "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "\r\n", 0, "plain request" },
	{ "OPTIONS  sip:b@example.com SIP/2.0\r\n" REQ_HDRS "\r\n", -EBADMSG, "two SP after method (lwsstart)" },
	{ "OPTIONS sip:b@example.com  SIP/2.0\r\n" REQ_HDRS "\r\n", -EBADMSG, "two SP before version" },
	{ "OPTIONS sip:b@example.com SIP/2.0 \r\n" REQ_HDRS "\r\n", -EBADMSG, "trailing SP (trws)" },
	{ "OPTIONS sip:b@example.com; lr SIP/2.0\r\n" REQ_HDRS "\r\n", -EBADMSG, "LWS in Request-URI (lwsruri)" },
	{ "OPTIONS sip:b@example.com\r\n" REQ_HDRS "\r\n", -EBADMSG, "no version" },
	{ "OPTIONS sip:b@example.com SIP/2\r\n" REQ_HDRS "\r\n", -EBADMSG, "version without minor" },
	{ "OPTIONS sip:b@example.com HTTP/1.1\r\n" REQ_HDRS "\r\n", -EBADMSG, "not SIP" },
	{ "OPT<ONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "\r\n", -EBADMSG, "non-token method" },
	{ "OPTIONS sip:b@example.com SIP/2.0\n" REQ_HDRS "\r\n", -EBADMSG, "bare LF after start line" },
	{ "SIP/2.0 200 OK\r\n" REQ_HDRS "\r\n", 0, "plain response" },
	{ "SIP/2.0 100 \r\n" REQ_HDRS "\r\n", 0, "empty reason phrase (noreason)" },
	{ "SIP/2.0 100\r\n" REQ_HDRS "\r\n", -EBADMSG, "no SP after status code" },
	{ "SIP/2.0 4294967301 Huge\r\n" REQ_HDRS "\r\n", -EBADMSG, "overflowing status (bigcode)" },
	{ "SIP/2.0 700 Big\r\n" REQ_HDRS "\r\n", -EBADMSG, "status above 699" },
	{ "SIP/2.0 099 Small\r\n" REQ_HDRS "\r\n", -EBADMSG, "status below 100" },
	{ "SIP/2.0 20 Short\r\n" REQ_HDRS "\r\n", -EBADMSG, "two-digit status" },
	{ "SIP/2.0  200 OK\r\n" REQ_HDRS "\r\n", -EBADMSG, "two SP in status line" },
	{ "", -EBADMSG, "empty input" },
	{ "\r\n", -EBADMSG, "empty start line" },
};

static void
test_start_lines_are_strict(void)
{
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(start_lines); i++) {
		const struct parse_case *c = &start_lines[i];
		size_t len = strlen(c->in);
		int rc = parse_guarded(c->in, len, 0);
		int want = c->rc == 0 ? (int)len : c->rc;
		if (rc != want)
			fprintf(stderr, "case '%s': rc %d want %d\n", c->why, rc, want);
		CU_ASSERT_EQUAL(rc, want);
		if (want < 0)
			CU_ASSERT_PTR_NOT_NULL(msg.err.what);
	}
}

static void
test_other_version_is_reported_not_rejected(void)
{
	const char *in = "OPTIONS sip:b@example.com SIP/7.0\r\n" REQ_HDRS "\r\n";
	CU_ASSERT_EQUAL(parse_guarded(in, strlen(in), 0), (int)strlen(in));
	CU_ASSERT_FALSE(msg.version_ok);
	CU_ASSERT_EQUAL(sipdp_msg_check(&msg), 505);

	in = "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "\r\n";
	CU_ASSERT_EQUAL(parse_guarded(in, strlen(in), 0), (int)strlen(in));
	CU_ASSERT_TRUE(msg.version_ok);
	CU_ASSERT_TRUE(msg.is_request);
	CU_ASSERT_EQUAL(msg.method, SIPDP_METHOD_OPTIONS);
}

static void
test_compact_forms_map_to_long_names(void)
{
	static const struct {
		const char *name;
		enum sipdp_hdr_id id;
	} forms[] = {
		{ "i", SIPDP_HDR_CALL_ID }, { "m", SIPDP_HDR_CONTACT }, { "e", SIPDP_HDR_CONTENT_ENCODING },
		{ "l", SIPDP_HDR_CONTENT_LENGTH }, { "c", SIPDP_HDR_CONTENT_TYPE }, { "f", SIPDP_HDR_FROM },
		{ "s", SIPDP_HDR_SUBJECT }, { "k", SIPDP_HDR_SUPPORTED }, { "t", SIPDP_HDR_TO },
		{ "v", SIPDP_HDR_VIA }, { "o", SIPDP_HDR_EVENT }, { "u", SIPDP_HDR_ALLOW_EVENTS },
		{ "r", SIPDP_HDR_REFER_TO }, { "b", SIPDP_HDR_REFERRED_BY }, { "x", SIPDP_HDR_SESSION_EXPIRES },
		{ "y", SIPDP_HDR_IDENTITY }, { "a", SIPDP_HDR_ACCEPT_CONTACT }, { "j", SIPDP_HDR_REJECT_CONTACT },
		{ "d", SIPDP_HDR_REQUEST_DISPOSITION },
		{ "I", SIPDP_HDR_CALL_ID }, { "CALL-ID", SIPDP_HDR_CALL_ID }, { "call-id", SIPDP_HDR_CALL_ID },
		{ "cSeQ", SIPDP_HDR_CSEQ }, { "Session-Expires", SIPDP_HDR_SESSION_EXPIRES },
		{ "Subscription-State", SIPDP_HDR_SUBSCRIPTION_STATE }, { "rack", SIPDP_HDR_RACK },
		{ "RSeq", SIPDP_HDR_RSEQ }, { "Min-SE", SIPDP_HDR_MIN_SE }, { "Refer-Sub", SIPDP_HDR_REFER_SUB },
		{ "Replaces", SIPDP_HDR_REPLACES }, { "Referred-By", SIPDP_HDR_REFERRED_BY },
		{ "C%6Fntact", SIPDP_HDR_OTHER }, { "Contacts", SIPDP_HDR_OTHER }, { "z", SIPDP_HDR_OTHER },
		{ "X-Custom", SIPDP_HDR_OTHER }, { "Via-", SIPDP_HDR_OTHER }, { "Vi", SIPDP_HDR_OTHER },
	};
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(forms); i++) {
		enum sipdp_hdr_id id = sipdp_hdr_lookup(forms[i].name, (uint32_t)strlen(forms[i].name));
		if (id != forms[i].id)
			fprintf(stderr, "name %s -> %d want %d\n", forms[i].name, id, forms[i].id);
		CU_ASSERT_EQUAL(id, forms[i].id);
	}
	for (int id = 1; id < SIPDP_HDR__COUNT; id++) {
		const char *n = sipdp_hdr_name((enum sipdp_hdr_id)id);
		CU_ASSERT_EQUAL(sipdp_hdr_name_len((enum sipdp_hdr_id)id), strlen(n));
		CU_ASSERT_EQUAL(sipdp_hdr_lookup(n, (uint32_t)strlen(n)), (enum sipdp_hdr_id)id);
	}
}

static void
test_methods_are_case_sensitive(void)
{
	for (int m = 1; m < SIPDP_METHOD__COUNT; m++) {
		const char *n = sipdp_method_name((enum sipdp_method)m);
		CU_ASSERT_EQUAL(sipdp_method_lookup(n, (uint32_t)strlen(n)), (enum sipdp_method)m);
	}
	CU_ASSERT_EQUAL(sipdp_method_lookup("invite", 6), SIPDP_METHOD_OTHER);
	CU_ASSERT_EQUAL(sipdp_method_lookup("INVITED", 7), SIPDP_METHOD_OTHER);
	CU_ASSERT_EQUAL(sipdp_method_lookup("RE%47IST%45R", 12), SIPDP_METHOD_OTHER);
}

static void
test_values_trimmed_folds_kept_instances_linked(void)
{
	const char *in = "INVITE sip:b@example.com SIP/2.0\r\n"
			 "v: SIP/2.0/UDP one.example.com;branch=z9hG4bK1\r\n"
			 "Subject:\r\n"
			 "X-Odd  :   spaced value  \r\n"
			 "VIA : SIP/2.0/UDP two.example.com\r\n"
			 "  ;branch=z9hG4bK2\r\n"
			 "To: <sip:b@example.com>\r\nFrom: <sip:a@example.com>;tag=1\r\n"
			 "i: c1\r\nCSeq: 1 INVITE\r\n"
			 "Via: SIP/2.0/UDP three.example.com;branch=z9hG4bK3\r\n"
			 "l: 4\r\n\r\nbody";
	size_t len = strlen(in);
	struct guard_buf g;
	CU_ASSERT_EQUAL_FATAL(guard_buf_make(&g, in, len), 0);
	CU_ASSERT_EQUAL_FATAL(sipdp_msg_parse(&msg, g.data, len, 0), (int)len);

	CU_ASSERT_EQUAL(msg.nhdrs, 10);
	CU_ASSERT_EQUAL(msg.count[SIPDP_HDR_VIA], 3);
	const struct sipdp_hdr *h = sipdp_msg_hdr(&msg, SIPDP_HDR_VIA);
	CU_ASSERT_TRUE(sipdp_str_eq(h->value, SIPDP_STR("SIP/2.0/UDP one.example.com;branch=z9hG4bK1")));
	h = sipdp_msg_hdr_next(&msg, h);
	CU_ASSERT_TRUE(sipdp_str_eq(h->value, SIPDP_STR("SIP/2.0/UDP two.example.com\r\n  ;branch=z9hG4bK2")));
	CU_ASSERT_TRUE(sipdp_str_eq(h->name, SIPDP_STR("VIA")));
	h = sipdp_msg_hdr_next(&msg, h);
	CU_ASSERT_TRUE(sipdp_str_eq(h->value, SIPDP_STR("SIP/2.0/UDP three.example.com;branch=z9hG4bK3")));
	CU_ASSERT_PTR_NULL(sipdp_msg_hdr_next(&msg, h));

	CU_ASSERT_EQUAL(sipdp_msg_hdr_value(&msg, SIPDP_HDR_SUBJECT).len, 0);
	CU_ASSERT_PTR_NOT_NULL(sipdp_msg_hdr(&msg, SIPDP_HDR_SUBJECT));
	const struct sipdp_hdr *odd = sipdp_msg_hdr_by_name(&msg, SIPDP_STR("x-odd"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(odd);
	CU_ASSERT_TRUE(sipdp_str_eq(odd->value, SIPDP_STR("spaced value")));
	CU_ASSERT_EQUAL(odd->id, SIPDP_HDR_OTHER);
	CU_ASSERT_TRUE(sipdp_str_eq(sipdp_msg_call_id(&msg), SIPDP_STR("c1")));
	CU_ASSERT_PTR_EQUAL(sipdp_msg_hdr_by_name(&msg, SIPDP_STR("Call-ID")), sipdp_msg_hdr(&msg, SIPDP_HDR_CALL_ID));
	CU_ASSERT_PTR_NULL(sipdp_msg_hdr_by_name(&msg, SIPDP_STR("X-Absent")));
	CU_ASSERT_TRUE(sipdp_str_eq(msg.body, SIPDP_STR("body")));
	CU_ASSERT_TRUE(msg.has_clen);
	CU_ASSERT_EQUAL(msg.clen, 4);
	guard_buf_free(&g);
}

static void
test_value_of_only_folds_is_empty(void)
{
	/* Found by fuzz_build: a value that is nothing but a fold used to
	 * keep its CRLF, and a response copying it ended its header section
	 * early (response splitting). */
	const char *in = "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "Subject:\r\n \r\n\t\r\n\r\n";
	CU_ASSERT_EQUAL(parse_guarded(in, strlen(in), 0), (int)strlen(in));
	const struct sipdp_hdr *h = sipdp_msg_hdr(&msg, SIPDP_HDR_SUBJECT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL(h->value.len, 0);
}

static const struct parse_case header_cases[] = {
	{ "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "Bad Name: x\r\n\r\n", -EBADMSG, "space inside a name" },
	{ "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "NoColon\r\n\r\n", -EBADMSG, "line without colon" },
	{ "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS ": x\r\n\r\n", -EBADMSG, "empty name" },
	{ "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "X-A: 1\n\r\n", -EBADMSG, "bare LF line end" },
	{ "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "X-A: 1\rz\r\n\r\n", -EBADMSG, "bare CR in value" },
	{ "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "X-A: 1\r\n", -EBADMSG, "no empty line" },
	{ "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "\r\nextra", 0, "body without Content-Length runs to the end" },
	{ "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "Content-Length: 0\r\n\r\nINVITE sip:x SIP/2.0\r\n", 192,
	  "octets after Content-Length ignored (dblreq)" },
	{ "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "Content-Length: 9999\r\n\r\nshort", -EBADMSG,
	  "Content-Length larger than body (clerr)" },
	{ "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "Content-Length: -999\r\n\r\n", -EBADMSG,
	  "negative Content-Length (ncl)" },
	{ "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "l: 1\r\nContent-Length: 2\r\n\r\nab", -EBADMSG,
	  "conflicting Content-Length (mcl01)" },
	{ "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "l: 2\r\nContent-Length: 2\r\n\r\nab", 0,
	  "repeated equal Content-Length" },
	{ "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "l: 99999999999999999999\r\n\r\nab", -EBADMSG,
	  "overflowing Content-Length" },
	{ "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "l: 1 2\r\n\r\nab", -EBADMSG, "Content-Length with junk" },
};

static void
test_header_lines_and_datagram_framing(void)
{
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(header_cases); i++) {
		const struct parse_case *c = &header_cases[i];
		size_t len = strlen(c->in);
		int rc = parse_guarded(c->in, len, 0);
		int want = c->rc == 0 ? (int)len : c->rc;
		if (rc != want)
			fprintf(stderr, "case '%s': rc %d want %d (%s)\n", c->why, rc, want,
				msg.err.what ? msg.err.what : "");
		CU_ASSERT_EQUAL(rc, want);
	}
}

static void
test_too_many_headers_is_enospc(void)
{
	size_t cap = 64 + (SIPDP_MSG_MAX_HDRS + 2) * 16;
	char *in = malloc(cap);
	size_t n = (size_t)snprintf(in, cap, "OPTIONS sip:b@example.com SIP/2.0\r\n");
	for (int i = 0; i <= SIPDP_MSG_MAX_HDRS; i++)
		n += (size_t)snprintf(in + n, cap - n, "X-H%03d: v\r\n", i);
	n += (size_t)snprintf(in + n, cap - n, "\r\n");
	CU_ASSERT_EQUAL(parse_guarded(in, n, 0), -ENOSPC);
	CU_ASSERT_EQUAL(msg.err.status, 513);
	free(in);
}

static void
test_every_truncation_refused_or_incomplete(void)
{
	char path[512];
	size_t len;
	snprintf(path, sizeof(path), "%s/corpus/invite-carrier.sip", SIPDP_TEST_DATA_DIR);
	char *full = sipdp_test_read_file(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(full);
	CU_ASSERT_EQUAL(parse_guarded(full, len, 0), (int)len);
	CU_ASSERT_EQUAL(parse_guarded(full, len, SIPDP_MSG_F_STREAM), (int)len);
	uint32_t hdr_end = msg.hdr_end;
	for (size_t cut = 0; cut < len; cut++) {
		int rc = parse_guarded(full, cut, SIPDP_MSG_F_STREAM);
		CU_ASSERT_EQUAL(rc, -EAGAIN);
		rc = parse_guarded(full, cut, 0);
		/* A datagram cut inside the body is malformed against its
		 * Content-Length; cut in the header section, unterminated. */
		CU_ASSERT_EQUAL(rc, -EBADMSG);
	}
	CU_ASSERT_TRUE(hdr_end > 0 && hdr_end < len);
	free(full);
}

static void
test_stream_requires_content_length(void)
{
	const char *in = "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "\r\n";
	CU_ASSERT_EQUAL(parse_guarded(in, strlen(in), SIPDP_MSG_F_STREAM), -EBADMSG);
	in = "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "l: 3\r\n\r\nabcNEXT";
	CU_ASSERT_EQUAL(parse_guarded(in, strlen(in), SIPDP_MSG_F_STREAM), (int)strlen(in) - 4);
}

static void
test_corpus_parses_and_passes_acceptance(void)
{
	static const char *files[] = { "accepted-202.sip", "ack.sip", "bye.sip", "cancel.sip",
				       "invite-carrier.sip", "invite.sip", "notify-sipfrag.sip",
				       "ok-200-bye.sip", "ok-200-invite.sip", "prack.sip", "refer.sip",
				       "ringing-180.sip", "trying-100.sip", "update.sip" };
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(files); i++) {
		char path[512];
		size_t len;
		snprintf(path, sizeof(path), "%s/corpus/%s", SIPDP_TEST_DATA_DIR, files[i]);
		char *buf = sipdp_test_read_file(path, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		struct guard_buf g;
		CU_ASSERT_EQUAL_FATAL(guard_buf_make(&g, buf, len), 0);
		int rc = sipdp_msg_parse(&msg, g.data, len, 0);
		if (rc != (int)len)
			fprintf(stderr, "%s: rc %d (%s)\n", files[i], rc, msg.err.what ? msg.err.what : "");
		CU_ASSERT_EQUAL(rc, (int)len);
		CU_ASSERT_EQUAL(sipdp_msg_check(&msg), 0);
		CU_ASSERT_TRUE(msg.body.len == msg.clen);
		guard_buf_free(&g);
		free(buf);
	}
}

static void
test_uri_with_repeated_param_equals_itself(void)
{
	/* Found by fuzz_uri: a repeated parameter was compared against the
	 * other URI's first instance, so a URI differed from itself. */
	struct sipdp_uri a, b;
	struct sipdp_str s = SIPDP_STR("sip:%61lice@192.0.2.4:5060;maddr=2:5060;maddr=239.255.255.1;ttl=15");
	CU_ASSERT_EQUAL_FATAL(sipdp_uri_parse(s, &a), 0);
	CU_ASSERT_TRUE(sipdp_uri_equal(&a, &a));
	CU_ASSERT_EQUAL_FATAL(sipdp_uri_parse(SIPDP_STR("sip:alice@192.0.2.4:5060;maddr=2:5060;ttl=15"), &b), 0);
	CU_ASSERT_TRUE(sipdp_uri_equal(&a, &b));
	CU_ASSERT_TRUE(sipdp_uri_equal(&b, &a));
}

/* sipdp_msg_check() verdict of a message that must index, checked while
 * the guarded copy is still mapped (the views point into it). */
static int
parse_and_check(const char *in)
{
	struct guard_buf g;
	size_t len = strlen(in);
	int rc;

	CU_ASSERT_EQUAL_FATAL(guard_buf_make(&g, in, len), 0);
	rc = sipdp_msg_parse(&msg, g.data, len, 0);
	CU_ASSERT_EQUAL(rc, (int)len);
	rc = rc == (int)len ? sipdp_msg_check(&msg) : -1;
	guard_buf_free(&g);
	return rc;
}

static void
test_check_rejects_bad_nameaddr_uris(void)
{
	/* sipdp_nameaddr_parse() only splits the URI; sipdp_msg_check() is
	 * where a From/To/Contact/Refer-To URI is judged (RFC 3261 §25.1,
	 * RFC 5118 §4.2 bare IPv6), each answered 400. */
	static const char *const bad[] = {
		"OPTIONS sip:b@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKa\r\nTo: <sip:b@-example.com>\r\n"
		"From: <sip:a@example.com>;tag=1\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n\r\n",
		"OPTIONS sip:b@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKa\r\nTo: <sip:b@example.com>\r\n"
		"From: <sip:2001:db8::10>;tag=1\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n\r\n",
		"OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "Contact: <sip:a@h:0>\r\n\r\n",
		"OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS "Refer-To: <nocolon>\r\n\r\n",
	};
	const char *ok = "OPTIONS sip:b@example.com SIP/2.0\r\n" REQ_HDRS
			 "Contact: <sip:a@h:5060>\r\n\r\n";

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(bad); i++)
		CU_ASSERT_EQUAL(parse_and_check(bad[i]), 400);
	CU_ASSERT_EQUAL(parse_and_check(ok), 0);
}

/* ------------------------------------------------ fast vs general indexer */

static struct sipdp_msg ref;

static bool
str_same(struct sipdp_str a, struct sipdp_str b)
{
	return a.p == b.p && a.len == b.len;
}

static struct sipdp_msg alt;

static bool
index_same(const struct sipdp_msg *x, int rx, const struct sipdp_msg *y, int ry)
{
	bool same = rx == ry;

	if (same && rx < 0) {
		same = x->err.offset == y->err.offset && x->err.status == y->err.status &&
		       (x->err.what == y->err.what ||
			(x->err.what && y->err.what && strcmp(x->err.what, y->err.what) == 0));
	} else if (same) {
		same = x->len == y->len && x->hdr_end == y->hdr_end &&
		       x->is_request == y->is_request && x->version_ok == y->version_ok &&
		       x->method == y->method && x->status == y->status && x->nhdrs == y->nhdrs &&
		       str_same(x->method_str, y->method_str) && str_same(x->ruri, y->ruri) &&
		       str_same(x->reason, y->reason) && str_same(x->version, y->version) &&
		       str_same(x->body, y->body) && x->clen == y->clen && x->has_clen == y->has_clen &&
		       memcmp(x->first, y->first, sizeof(x->first)) == 0 &&
		       memcmp(x->count, y->count, sizeof(x->count)) == 0 && x->err.what == NULL &&
		       y->err.what == NULL;
		for (uint16_t i = 0; same && i < x->nhdrs; i++) {
			const struct sipdp_hdr *a = &x->hdrs[i], *b = &y->hdrs[i];
			same = str_same(a->name, b->name) && str_same(a->value, b->value) &&
			       a->next == b->next && a->id == b->id;
		}
	}
	return same;
}

/* Both indexers on a guarded copy of @p in; every field must agree. The
 * fast one is also run without its AVX2 block scan: it must decline or
 * agree. */
static bool
indexers_agree(const char *in, size_t len, unsigned flags)
{
	struct guard_buf g;
	bool same;

	CU_ASSERT_EQUAL_FATAL(guard_buf_make(&g, in, len), 0);
	int rf = sipdp_msg_parse(&msg, g.data, len, flags);
	int rg = sipdp_msg_parse_general(&ref, g.data, len, flags);
	int rs = sipdp_msg_parse_fast_only(&alt, g.data, len, flags, false);
	same = index_same(&msg, rf, &ref, rg) && (rs == -ENOTSUP || index_same(&alt, rs, &ref, rg));
	if (!same)
		fprintf(stderr, "indexers differ (flags %u, len %zu): fast %d (%s @%u), sse2 %d, general %d (%s @%u)\n",
			flags, len, rf, msg.err.what ? msg.err.what : "-", msg.err.offset, rs, rg,
			ref.err.what ? ref.err.what : "-", ref.err.offset);
	guard_buf_free(&g);
	return same;
}

static void
expect_indexers_agree(const char *in, size_t len)
{
	CU_ASSERT_TRUE(indexers_agree(in, len, 0));
	CU_ASSERT_TRUE(indexers_agree(in, len, SIPDP_MSG_F_STREAM));
}

static void
each_file_in(const char *dir, void (*fn)(const char *buf, size_t len, const char *name))
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int files = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);
		if (nl < 5 || (strcmp(de->d_name + nl - 4, ".sip") != 0 &&
			       strcmp(de->d_name + nl - 4, ".dat") != 0))
			continue;
		char path[1024];
		size_t len;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		char *buf = sipdp_test_read_file(path, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		fn(buf, len, de->d_name);
		free(buf);
		files++;
	}
	closedir(d);
	CU_ASSERT_TRUE(files > 0);
}

static void
agree_whole(const char *buf, size_t len, const char *name)
{
	if (!indexers_agree(buf, len, 0) || !indexers_agree(buf, len, SIPDP_MSG_F_STREAM))
		fprintf(stderr, "  in %s\n", name);
	CU_ASSERT_TRUE(indexers_agree(buf, len, 0));
	CU_ASSERT_TRUE(indexers_agree(buf, len, SIPDP_MSG_F_STREAM));
}

static void
test_fast_indexer_agrees_on_corpus_and_torture(void)
{
	each_file_in(SIPDP_TEST_DATA_DIR "/corpus", agree_whole);
	each_file_in(SIPDP_TEST_DATA_DIR "/torture/rfc4475", agree_whole);
	each_file_in(SIPDP_TEST_DATA_DIR "/torture/rfc5118/wire", agree_whole);
	each_file_in(SIPDP_TEST_DATA_DIR "/torture/rfc5118/crlf-ersip", agree_whole);
}

/* Every truncation, and every header-section byte replaced by each byte
 * the indexer treats specially (line ends, LWS, colon, NUL, a letter). */
static void
agree_damaged(const char *buf, size_t len, const char *name)
{
	static const char repl[] = { '\r', '\n', ' ', '\t', ':', '\0', 'A', '-', 0x7f };
	char *copy = malloc(len);
	unsigned bad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	for (size_t cut = 0; cut <= len; cut++) {
		bad += !indexers_agree(buf, cut, 0);
		bad += !indexers_agree(buf, cut, SIPDP_MSG_F_STREAM);
	}
	CU_ASSERT_EQUAL_FATAL(sipdp_msg_parse(&msg, buf, len, 0), (int)len);
	size_t hdr_end = msg.hdr_end;
	for (size_t i = 0; i < hdr_end; i++) {
		for (size_t r = 0; r < sizeof(repl); r++) {
			memcpy(copy, buf, len);
			if (copy[i] == repl[r])
				continue;
			copy[i] = repl[r];
			bad += !indexers_agree(copy, len, 0);
		}
	}
	if (bad)
		fprintf(stderr, "  %u disagreements in %s\n", bad, name);
	CU_ASSERT_EQUAL(bad, 0);
	free(copy);
}

static void
test_fast_indexer_agrees_on_every_truncation_and_damage(void)
{
	each_file_in(SIPDP_TEST_DATA_DIR "/corpus", agree_damaged);
}

/* Header lines whose LF (and the empty line) fall on every offset around
 * the 64-byte block edges, names around the 16-byte load, folds. */
static void
test_fast_indexer_agrees_at_block_edges(void)
{
	static const char *const names[] = { "X", "Via", "v", "Call-ID", "Content-Length",
					      "Content-Encodin", "Content-Encoding", "Request-Disposition",
					      "X-Fifteen-Bytes", "X-Sixteen-Bytes1", "CSEQ", "to" };
	char in[1024];

	for (size_t pad = 0; pad < 140; pad++) {
		for (size_t k = 0; k < SIPDP_ARRAY_SIZE(names); k++) {
			int n = snprintf(in, sizeof(in),
					 "OPTIONS sip:b@example.com SIP/2.0\r\nX-Pad: %.*s\r\n%s: 1\r\n",
					 (int)pad,
					 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					 "aaaaaaaaaaaa",
					 names[k]);
			int m = n + snprintf(in + n, sizeof(in) - (size_t)n, "\r\n");
			expect_indexers_agree(in, (size_t)m);
			m = n + snprintf(in + n, sizeof(in) - (size_t)n, " folded\r\n\r\nbody");
			expect_indexers_agree(in, (size_t)m);
			m = n + snprintf(in + n, sizeof(in) - (size_t)n, "\r\r\n");
			expect_indexers_agree(in, (size_t)m);
			m = n + snprintf(in + n, sizeof(in) - (size_t)n, "\n\r\n");
			expect_indexers_agree(in, (size_t)m);
		}
	}
	/* Shorter than one block, and no header at all. */
	const char *small = "BYE sip:b SIP/2.0\r\nl: 0\r\n\r\n";
	expect_indexers_agree(small, strlen(small));
	small = "BYE sip:b SIP/2.0\r\n\r\n";
	expect_indexers_agree(small, strlen(small));
	small = "SIP/2.0 200 OK\r\nv:\r\n\r\n";
	expect_indexers_agree(small, strlen(small));
}

static void
take_fast(const char *buf, size_t len, const char *name)
{
	for (int avx2 = 0; avx2 < 2; avx2++) {
		int rc = sipdp_msg_parse_fast_only(&msg, buf, len, 0, avx2);
		if (rc != (int)len)
			fprintf(stderr, "fast indexer declined %s (%d)\n", name, rc);
		CU_ASSERT_EQUAL(rc, (int)len);
	}
}

static void
test_fast_indexer_takes_the_corpus_itself(void)
{
	/* The general indexer is the slow one: the fast path must not
	 * quietly hand it the common shapes. */
	each_file_in(SIPDP_TEST_DATA_DIR "/corpus", take_fast);
	const char *in = "INVITE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
			 "Max-Forwards:70\r\nTo: <sip:b@example.com>\r\nFrom: <sip:a@example.com>;tag=1\r\n"
			 "Call-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
	size_t len = strlen(in);
	CU_ASSERT_EQUAL(sipdp_msg_parse_fast_only(&msg, in, len, 0, true), (int)len);
	CU_ASSERT_EQUAL(msg.nhdrs, 7);
	CU_ASSERT_EQUAL(msg.count[SIPDP_HDR_VIA], 1);
	CU_ASSERT_EQUAL(msg.first[SIPDP_HDR_CONTENT_LENGTH], 7);
	CU_ASSERT_TRUE(msg.has_clen && msg.clen == 0);
	CU_ASSERT_EQUAL(msg.hdrs[1].value.len, 2);
	CU_ASSERT_EQUAL(memcmp(msg.hdrs[1].value.p, "70", 2), 0);
	/* A fold stays on the fast path; LWS before the colon does not. */
	in = "BYE sip:b SIP/2.0\r\nSubject: a\r\n b\r\nl: 0\r\n\r\n";
	CU_ASSERT_EQUAL(sipdp_msg_parse_fast_only(&msg, in, strlen(in), 0, false), (int)strlen(in));
	CU_ASSERT_EQUAL(msg.hdrs[0].value.len, 5);
	in = "BYE sip:b SIP/2.0\r\nSubject : a\r\nl: 0\r\n\r\n";
	CU_ASSERT_EQUAL(sipdp_msg_parse_fast_only(&msg, in, strlen(in), 0, false), -ENOTSUP);
	CU_ASSERT_EQUAL(sipdp_msg_parse(&msg, in, strlen(in), 0), (int)strlen(in));
}

static struct sipdp_test_case cases[] = {
	{ "check_rejects_bad_nameaddr_uris", test_check_rejects_bad_nameaddr_uris },
	{ "start_lines_are_strict", test_start_lines_are_strict },
	{ "other_version_is_reported_not_rejected", test_other_version_is_reported_not_rejected },
	{ "compact_forms_map_to_long_names", test_compact_forms_map_to_long_names },
	{ "methods_are_case_sensitive", test_methods_are_case_sensitive },
	{ "values_trimmed_folds_kept_instances_linked", test_values_trimmed_folds_kept_instances_linked },
	{ "header_lines_and_datagram_framing", test_header_lines_and_datagram_framing },
	{ "value_of_only_folds_is_empty", test_value_of_only_folds_is_empty },
	{ "uri_with_repeated_param_equals_itself", test_uri_with_repeated_param_equals_itself },
	{ "too_many_headers_is_enospc", test_too_many_headers_is_enospc },
	{ "every_truncation_refused_or_incomplete", test_every_truncation_refused_or_incomplete },
	{ "stream_requires_content_length", test_stream_requires_content_length },
	{ "corpus_parses_and_passes_acceptance", test_corpus_parses_and_passes_acceptance },
	{ "fast_indexer_agrees_on_corpus_and_torture", test_fast_indexer_agrees_on_corpus_and_torture },
	{ "fast_indexer_agrees_on_every_truncation_and_damage",
	  test_fast_indexer_agrees_on_every_truncation_and_damage },
	{ "fast_indexer_agrees_at_block_edges", test_fast_indexer_agrees_at_block_edges },
	{ "fast_indexer_takes_the_corpus_itself", test_fast_indexer_takes_the_corpus_itself },
	{ NULL, NULL },
};

int
main(void)
{
	return sipdp_test_run("sipmsg_parse", cases);
}
