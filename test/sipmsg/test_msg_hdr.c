/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/sipmsg typed header sub-parsers (sipdp_msg_hdr.h). Every table input is
 * copied right before an unreadable page, so one byte of over-read faults.
 *
 * Scenarios and the requirement each checks:
 *  - lists: commas in quoted strings and <> do not split; folds are LWS;
 *    empty elements ",,", leading/trailing ',' are malformed
 *    (RFC 3261 §7.3.1; RFC 4475 badinv01)
 *  - params: SWS around ';' and '=' (RFC 4475 wsinv); empty params ";;",
 *    trailing ';' and "name=" with no value are malformed (badinv01)
 *  - URIs: sip/sips userinfo with %HH (esc01, escnull), ';' and '?' in the
 *    user part decided by '@' (semiuri, intmeth), password, IPv4/IPv6/name
 *    hosts incl. RFC 5118 §4.1-4.10 forms, bare IPv6 rejected (4.2), port
 *    1..65535, uri-params, ?headers (regescrt); no LWS inside (lwsruri),
 *    no <> (ltgtruri); other schemes opaque (unkscm, novelsc, unksm2)
 *  - URI comparison: the RFC 3261 §19.1.4 equal / not-equal examples
 *  - name-addr: quoted display with quoted-pairs (wsinv, intmeth), no LWS
 *    before '<' (lwsdisp), unterminated quote (quotbal), spaces inside <>
 *    (badaspec), non-token unquoted display (baddn), addr-spec params are
 *    header params (cparam01/02), '?' outside <> (regbadct), tag extraction;
 *    the URI is only split there: bad URIs (RFC 5118 4.2 bare IPv6, port 0)
 *    are left to sipdp_uri_parse() / sipdp_msg_check()
 *  - Contact: '*', expires up to 2^32-1 and -ERANGE above (scalar02),
 *    q-values, empty params (badinv01)
 *  - Via: LWS around '/', ':' and ';' (wsinv), unknown transports
 *    (transports), IPv6 sent-by and received with or without [ ]
 *    (RFC 5118 §4.5, §4.9), rport, ttl 0..255, maddr, empty params
 *  - CSeq < 2^31 (RFC 3261 §8.1.1.5; scalar02, scalarlg), leading zeros and
 *    folds (wsinv), extension methods (intmeth, esc02)
 *  - numbers never wrap: Expires / Max-Forwards / Retry-After (scalarlg),
 *    Session-Expires (RFC 4028), RSeq/RAck (RFC 3262), Reason cause
 *    (RFC 3326), Subscription-State (RFC 3265) give -ERANGE
 *  - Replaces (RFC 3891 §6.1) and the one escaped in a Refer-To URI (§7)
 *  - message helpers: top Via, From/To, CSeq, Require/Supported options;
 *    Max-Forwards 0..255, digits only (RFC 3261 §20.22), -ENOENT when absent
 *  - every prefix of every valid table input is parsed without reading past
 *    its end (ends after '%', '[', '"', '\', ';', '=' ...)
 *  - the fast paths (top Via straight from the value, CSeq in one pass,
 *    host names from bitmaps, a trailing ";tag=" in one step) give what
 *    the general parsers give, field for field, verdict for verdict, for
 *    shapes around every edge they test (16/32-byte loads, commas, IPv4
 *    look-alikes and dotted quads, label rules, quoted or empty values)
 *    and every prefix
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "guard_page.h"
#include "msg_hdr_pvt.h"
#include "sipdp_msg.h"
#include "sipdp_msg_hdr.h"
#include "sipdp_test.h"

/* ------------------------------------------------------------ helpers */

/* Input copied so that its last byte is the last readable byte. */
static struct sipdp_str
guard_n(struct guard_buf *g, const char *s, size_t len)
{
	if (guard_buf_make(g, s, len) != 0) {
		CU_FAIL_FATAL("guard page mapping failed");
	}
	return sipdp_str_make(g->data, len);
}

static struct sipdp_str
guard(struct guard_buf *g, const char *s, size_t len)
{
	return guard_n(g, s, len ? len : strlen(s));
}

static bool
str_is(struct sipdp_str got, const char *want)
{
	if (want == NULL)
		return got.p == NULL;
	return got.p != NULL && sipdp_str_eq(got, sipdp_str_cstr(want));
}

#define CHECK(cond, in, why)                                                          \
	do {                                                                          \
		bool ok_ = (cond);                                                    \
		CU_ASSERT(ok_);                                                       \
		if (!ok_)                                                             \
			fprintf(stderr, "\n    FAILED %s\n    input \"%s\" (%s)\n", #cond, \
				(in), (why));                                         \
	} while (0)

/* -------------------------------------------------------------- lists */

struct list_case {
	const char *in;
	int rc;            /* rc of the call that ends the walk: 0 or -EBADMSG */
	int n;             /* elements produced before it */
	const char *items[4];
	const char *why;
};

static const struct list_case list_cases[] = {
	{ "a, b ,c", 0, 3, { "a", "b", "c" }, "plain list, LWS around commas" },
	{ "", 0, 0, { NULL }, "empty value: no element" },
	{ "   ", 0, 0, { NULL }, "only LWS: no element" },
	{ "\"a,b\" <sip:x,y@h>;p=1, c", 0, 2, { "\"a,b\" <sip:x,y@h>;p=1", "c" },
	  "commas inside quotes and <> do not split" },
	{ "\"a\\\"b,\", c", 0, 2, { "\"a\\\"b,\"", "c" }, "escaped quote stays inside" },
	{ "application/sdp, application/pkcs7-mime,\r\n        multipart/mixed", 0, 3,
	  { "application/sdp", "application/pkcs7-mime", "multipart/mixed" },
	  "fold after a comma is LWS (RFC 4475 semiuri Accept)" },
	{ "a,,b", -EBADMSG, 0, { NULL }, "empty element" },
	{ "a,", -EBADMSG, 0, { NULL }, "trailing comma is an empty element" },
	{ "a, \r\n ", -EBADMSG, 0, { NULL }, "trailing comma then fold" },
	{ ",a", -EBADMSG, 0, { NULL }, "leading comma is an empty element" },
	{ "SIP/2.0/UDP 192.0.2.15;;,;,,", -EBADMSG, 1, { "SIP/2.0/UDP 192.0.2.15;;" },
	  "RFC 4475 badinv01 Via: ends in ',,'" },
	{ "\"unterminated, x", -EBADMSG, 0, { NULL }, "unbalanced quote" },
	{ "<sip:a@h, b", -EBADMSG, 0, { NULL }, "unbalanced <" },
	{ "\"ends in backslash\\", -EBADMSG, 0, { NULL }, "input ends after '\\'" },
	{ "\"", -EBADMSG, 0, { NULL }, "input ends after '\"'" },
};

static void
test_list_splits_on_top_level_commas_only(void)
{
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(list_cases); i++) {
		const struct list_case *c = &list_cases[i];
		struct guard_buf g;
		struct sipdp_str cur = guard(&g, c->in, 0), item;
		int n = 0, rc;

		while ((rc = sipdp_list_next(&cur, &item)) == 1) {
			CHECK(n < c->n, c->in, c->why);
			if (n < c->n)
				CHECK(str_is(item, c->items[n]), c->in, c->why);
			n++;
		}
		CHECK(rc == c->rc, c->in, c->why);
		CHECK(n == c->n, c->in, c->why);
		guard_buf_free(&g);
	}
}

/* ------------------------------------------------------------- params */

struct param_case {
	const char *in;
	int rc;
	int n;
	const char *names[4];
	const char *values[4]; /* NULL: flag without '=' */
	const char *why;
};

static const struct param_case param_cases[] = {
	{ ";tag=1;lr", 0, 2, { "tag", "lr" }, { "1", NULL }, "value and flag" },
	{ "", 0, 0, { NULL }, { NULL }, "no params" },
	{ " ;   tag    = 1918181833n", 0, 1, { "tag" }, { "1918181833n" },
	  "RFC 4475 wsinv: SWS around ';' and '='" },
	{ "\r\n  ;\r\n  tag = 98asjd8", 0, 1, { "tag" }, { "98asjd8" },
	  "RFC 4475 wsinv: folds around ';'" },
	{ "; branch=\r\n z9hG4bK30239", 0, 1, { "branch" }, { "z9hG4bK30239" },
	  "fold after '='" },
	{ ";a=\"x;y\\\"z\";b", 0, 2, { "a", "b" }, { "\"x;y\\\"z\"", NULL },
	  "quoted value keeps its quotes and its ';'" },
	{ ";received=[2001:db8::9:255];rport", 0, 2, { "received", "rport" },
	  { "[2001:db8::9:255]", NULL }, "IPv6 reference as a value" },
	{ ";fromParam''~+*_!.-%=\"\xd1\x80\xd0\xb0\"", 0, 1, { "fromParam''~+*_!.-%" },
	  { "\"\xd1\x80\xd0\xb0\"" }, "RFC 4475 intmeth: token name, UTF-8 quoted value" },
	{ ";;", -EBADMSG, 0, { NULL }, { NULL }, "empty param" },
	{ ";", -EBADMSG, 0, { NULL }, { NULL }, "input ends after ';'" },
	{ ";a=", -EBADMSG, 0, { NULL }, { NULL }, "input ends after '='" },
	{ ";a=\"x", -EBADMSG, 0, { NULL }, { NULL }, "unterminated quoted value" },
	{ ";a=\"x\\", -EBADMSG, 0, { NULL }, { NULL }, "input ends after '\\'" },
	{ "tag=1", -EBADMSG, 0, { NULL }, { NULL }, "no leading ';'" },
	{ ";a=b c", -EBADMSG, 1, { "a" }, { "b" }, "junk after a value" },
	{ ";a;b;;", -EBADMSG, 2, { "a", "b" }, { NULL, NULL }, "RFC 4475 badinv01 ';;;;'" },
	{ ";a=,", -EBADMSG, 0, { NULL }, { NULL }, "comma is not a value" },
};

static void
test_params_iterate_with_sws_and_reject_empty(void)
{
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(param_cases); i++) {
		const struct param_case *c = &param_cases[i];
		struct guard_buf g;
		struct sipdp_str cur = guard(&g, c->in, 0), n, v;
		int k = 0, rc;

		while ((rc = sipdp_param_next(&cur, &n, &v)) == 1) {
			CHECK(k < c->n, c->in, c->why);
			if (k < c->n) {
				CHECK(str_is(n, c->names[k]), c->in, c->why);
				CHECK(str_is(v, c->values[k]), c->in, c->why);
			}
			k++;
		}
		CHECK(rc == c->rc, c->in, c->why);
		CHECK(k == c->n, c->in, c->why);
		guard_buf_free(&g);
	}
}

static void
test_param_find_is_case_insensitive(void)
{
	struct guard_buf g;
	struct sipdp_str ps = guard(&g, ";Tag=abc;lr", 0), v;

	CU_ASSERT_EQUAL(sipdp_param_find(ps, SIPDP_STR("tag"), &v), 0);
	CU_ASSERT_TRUE(str_is(v, "abc"));
	CU_ASSERT_EQUAL(sipdp_param_find(ps, SIPDP_STR("LR"), &v), 0);
	CU_ASSERT_PTR_NULL(v.p);
	CU_ASSERT_EQUAL(sipdp_param_find(ps, SIPDP_STR("lr"), NULL), 0);
	CU_ASSERT_EQUAL(sipdp_param_find(ps, SIPDP_STR("maddr"), &v), -ENOENT);
	CU_ASSERT_EQUAL(sipdp_param_find(ps, SIPDP_STR("ta"), &v), -ENOENT);
	guard_buf_free(&g);

	ps = guard(&g, ";;tag=1", 0);
	CU_ASSERT_EQUAL(sipdp_param_find(ps, SIPDP_STR("tag"), &v), -EBADMSG);
	guard_buf_free(&g);
}

static void
test_list_has_token_matches_whole_tokens(void)
{
	static const struct {
		const char *list, *tag;
		bool want;
		const char *why;
	} cases[] = {
		{ "replaces, timer,100rel", "timer", true, "middle element" },
		{ "replaces,timer", "TIMER", true, "option tags compare case-insensitively" },
		{ "timerx, replaces", "timer", false, "prefix is not a match" },
		{ "", "timer", false, "empty list" },
		{ "timer,,replaces", "timer", false, "malformed list gives false" },
		{ "INVITE,ACK,CANCEL,OPTIONS,BYE,REFER", "REFER", true, "Allow list" },
	};

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(cases); i++) {
		struct guard_buf g;
		struct sipdp_str v = guard(&g, cases[i].list, 0);
		CHECK(sipdp_list_has_token(v, sipdp_str_cstr(cases[i].tag)) == cases[i].want,
		      cases[i].list, cases[i].why);
		guard_buf_free(&g);
	}
}

/* --------------------------------------------------------------- URIs */

struct uri_case {
	const char *in;
	int rc;
	uint8_t scheme;
	uint8_t host_type;
	uint16_t port;
	const char *user;     /* NULL: absent */
	const char *password; /* NULL: absent */
	const char *host;     /* SIP: host; others: opaque */
	const char *params;   /* "" when none */
	const char *headers;  /* NULL: absent */
	const char *why;
};

#define SIP SIPDP_URI_SIP
#define NAME SIPDP_HOST_NAME
#define V4 SIPDP_HOST_IPV4
#define V6 SIPDP_HOST_IPV6
#define BAD(in, why) { in, -EBADMSG, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, why }

static const struct uri_case uri_cases[] = {
	{ "sip:alice@atlanta.example.com", 0, SIP, NAME, 0, "alice", NULL,
	  "atlanta.example.com", "", NULL, "plain SIP URI" },
	{ "sips:alice:secret@192.0.2.1:5061;transport=tcp?subject=hi", 0, SIPDP_URI_SIPS, V4,
	  5061, "alice", "secret", "192.0.2.1", ";transport=tcp", "subject=hi",
	  "every part of a SIPS URI" },
	{ "SIP:ALICE@AtLanTa.CoM;Transport=udp", 0, SIP, NAME, 0, "ALICE", NULL,
	  "AtLanTa.CoM", ";Transport=udp", NULL, "scheme is case-insensitive" },
	{ "sip:user;par=u%40example.net@example.com", 0, SIP, NAME, 0,
	  "user;par=u%40example.net", NULL, "example.com", "", NULL,
	  "RFC 4475 semiuri: ';' before '@' belongs to the user" },
	{ "sip:%75se%72@example.com", 0, SIP, NAME, 0, "%75se%72", NULL, "example.com", "",
	  NULL, "RFC 4475 esc01: escaped user kept as written" },
	{ "sip:null-%00-null@example.com", 0, SIP, NAME, 0, "null-%00-null", NULL,
	  "example.com", "", NULL, "RFC 4475 escnull: %00 is just an octet" },
	{ "sip:sips%3Auser%40example.com@example.net", 0, SIP, NAME, 0,
	  "sips%3Auser%40example.com", NULL, "example.net", "", NULL,
	  "RFC 4475 esc01 Request-URI" },
	{ "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too."
	  "(doesn't-it)@example.com",
	  0, SIP, NAME, 0, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*",
	  "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)", "example.com", "", NULL,
	  "RFC 4475 intmeth: unusual user and password characters" },
	{ "sip:[2001:db8::10]", 0, SIP, V6, 0, NULL, NULL, "[2001:db8::10]", "", NULL,
	  "RFC 5118 4.1 IPv6 reference" },
	{ "sip:[2001:db8::10]:5070", 0, SIP, V6, 5070, NULL, NULL, "[2001:db8::10]", "", NULL,
	  "RFC 5118 4.4 port after the reference" },
	{ "sip:[2001:db8::10:5070]", 0, SIP, V6, 0, NULL, NULL, "[2001:db8::10:5070]", "",
	  NULL, "RFC 5118 4.3 5070 is part of the address" },
	{ "sip:user@[2001:db8:::192.0.2.1]", 0, SIP, V6, 0, "user", NULL,
	  "[2001:db8:::192.0.2.1]", "", NULL, "RFC 5118 4.10 3-colon ABNF bug tolerated" },
	{ "sip:user@[2001:db8::192.0.2.1]", 0, SIP, V6, 0, "user", NULL,
	  "[2001:db8::192.0.2.1]", "", NULL, "RFC 5118 4.10 correct form" },
	{ "sip:ted@[::ffff:192.0.2.2]", 0, SIP, V6, 0, "ted", NULL, "[::ffff:192.0.2.2]", "",
	  NULL, "RFC 5118 4.9 IPv4-mapped" },
	{ "sip:[1:2:3:4:5:6:7:8]", 0, SIP, V6, 0, NULL, NULL, "[1:2:3:4:5:6:7:8]", "", NULL,
	  "eight groups, no '::'" },
	{ "sip:[::]", 0, SIP, V6, 0, NULL, NULL, "[::]", "", NULL, "unspecified address" },
	{ "sip:services.example.com;lr;unknownwith=value;unknown-no-value", 0, SIP, NAME, 0,
	  NULL, NULL, "services.example.com", ";lr;unknownwith=value;unknown-no-value", NULL,
	  "RFC 4475 wsinv Route URI params" },
	{ "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31", 0, SIP, NAME, 0,
	  "cal%6Cer", NULL, "host5.example.net", ";%6C%72;n%61me=v%61lue%25%34%31", NULL,
	  "RFC 4475 esc01 escaped params" },
	{ "sip:user@example.com?Route=%3Csip:sip.example.com%3E", 0, SIP, NAME, 0, "user",
	  NULL, "example.com", "", "Route=%3Csip:sip.example.com%3E",
	  "RFC 4475 regescrt escaped header" },
	{ "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com", 0, SIP,
	  NAME, 0, NULL, NULL, "biloxi.com", ";transport=tcp;method=REGISTER",
	  "to=sip:bob%40biloxi.com", "RFC 3261 §19.1.4 example: no '@' means no userinfo" },
	{ "sip:a@h?x=&y=1", 0, SIP, NAME, 0, "a", NULL, "h", "", "x=&y=1",
	  "empty hvalue is allowed" },
	{ "sip:+15551234567@edge.carrier.example.net;user=phone", 0, SIP, NAME, 0,
	  "+15551234567", NULL, "edge.carrier.example.net", ";user=phone", NULL,
	  "telephone-subscriber user" },
	{ "sip:bob@192.0.2.4:65535", 0, SIP, V4, 65535, "bob", NULL, "192.0.2.4", "", NULL,
	  "highest port" },
	{ "sip:host.example.com.", 0, SIP, NAME, 0, NULL, NULL, "host.example.com.", "", NULL,
	  "fully qualified name with trailing dot" },
	{ "sip:255.255.255.255", 0, SIP, V4, 0, NULL, NULL, "255.255.255.255", "", NULL,
	  "RFC 4475 bcast is well-formed" },
	{ "soap.beep://192.0.2.103:3002", 0, SIPDP_URI_OTHER, 0, 0, NULL, NULL,
	  "//192.0.2.103:3002", "", NULL, "RFC 4475 novelsc scheme with '.'" },
	{ "nobodyKnowsThisScheme:totallyopaquecontent", 0, SIPDP_URI_OTHER, 0, 0, NULL, NULL,
	  "totallyopaquecontent", "", NULL, "RFC 4475 unkscm" },
	{ "isbn:2983792873", 0, SIPDP_URI_OTHER, 0, 0, NULL, NULL, "2983792873", "", NULL,
	  "RFC 4475 unksm2 To" },
	{ "http://www.example.com", 0, SIPDP_URI_OTHER, 0, 0, NULL, NULL, "//www.example.com",
	  "", NULL, "RFC 4475 unksm2 From" },
	{ "tel:+1-201-555-0123;phone-context=example.com", 0, SIPDP_URI_TEL, 0, 0, NULL, NULL,
	  "+1-201-555-0123;phone-context=example.com", "", NULL, "tel URI kept opaque" },

	BAD("", "empty input"),
	BAD("sip", "no colon"),
	BAD("sip:", "nothing after the scheme"),
	BAD("1sip:a@h", "scheme starts with a digit"),
	BAD("<sip:user@example.com>", "RFC 4475 ltgtruri: <> are not part of a URI"),
	BAD("sip:user@example.com; lr", "RFC 4475 lwsruri: LWS inside"),
	BAD(" sip:a@h", "leading LWS"),
	BAD("sip:a@h\r\n", "trailing CRLF"),
	BAD("sip:2001:db8::10", "RFC 5118 4.2: IPv6 without [ ]"),
	BAD("sip:user@[2001:db8::10", "unterminated IPv6 reference"),
	BAD("sip:user@[", "input ends after '['"),
	BAD("sip:[", "input ends after '[' without userinfo"),
	BAD("sip:user@[]", "empty IPv6 reference"),
	BAD("sip:user@[2001:db8::g]", "non-hex group"),
	BAD("sip:user@[1:2:3:4:5:6:7:8:9]", "nine groups"),
	BAD("sip:user@[1:2:3:4:5:6:7]", "seven groups without '::'"),
	BAD("sip:user@[1::2::3]", "two '::'"),
	BAD("sip:user@[2001:db8:::1]", "three colons without an IPv4 tail"),
	BAD("sip:user@[12345::1]", "five-digit group"),
	BAD("sip:user@[1:]", "trailing single colon"),
	BAD("sip:user@[::1.2.3]", "short IPv4 tail"),
	BAD("sip:a@h:0", "port 0"),
	BAD("sip:a@h:65536", "port above 65535"),
	BAD("sip:a@h:99999999999999999999", "port that would wrap"),
	BAD("sip:a@h:", "input ends after ':'"),
	BAD("sip:a@h:50x", "junk after port"),
	BAD("sip:a%4@h", "short escape"),
	BAD("sip:a%zz@h", "non-hex escape"),
	BAD("sip:a%", "input ends after '%'"),
	BAD("sip:a%4", "input ends one digit after '%'"),
	BAD("sip:@example.com", "empty user"),
	BAD("sip:a:b:c@h", "':' in the password"),
	BAD("sip:a@", "empty host"),
	BAD("sip:a@-bad.example.com", "label starts with '-'"),
	BAD("sip:a@bad-.example.com", "label ends with '-'"),
	BAD("sip:a@a..b", "empty label"),
	BAD("sip:a@256.1.1.1", "IPv4 octet above 255"),
	BAD("sip:a@1.2.3", "three-part dotted number"),
	BAD("sip:a@1.2.3.4.5", "five-part dotted number"),
	BAD("sip:a@example.123", "toplabel starts with a digit"),
	BAD("sip:a@h;", "input ends after ';'"),
	BAD("sip:a@h;;lr", "empty uri-param"),
	BAD("sip:a@h;=x", "empty pname"),
	BAD("sip:a@h;lr=", "input ends after '='"),
	BAD("sip:a@h;lr;", "trailing ';'"),
	BAD("sip:a@h;a=%", "params end after '%'"),
	BAD("sip:a@h?", "'?' with no header"),
	BAD("sip:a@h?x", "header without '='"),
	BAD("sip:a@h?x=1&", "trailing '&'"),
	BAD("sip:a@h?x=%4", "hvalue ends inside an escape"),
	BAD("sip:a@h>", "junk after the host"),
	BAD("sip:a@h\"", "quote after the host"),
	BAD("isbn:", "empty opaque part"),
	BAD("http://a b", "space in an opaque URI"),
	BAD("http://a%zz", "bad escape in an opaque URI"),
};

static void
test_uri_parse_table(void)
{
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(uri_cases); i++) {
		const struct uri_case *c = &uri_cases[i];
		struct guard_buf g;
		struct sipdp_uri u;
		int rc = sipdp_uri_parse(guard(&g, c->in, 0), &u);

		CHECK(rc == c->rc, c->in, c->why);
		if (rc == 0 && c->rc == 0) {
			CHECK(u.scheme == c->scheme, c->in, c->why);
			if (c->scheme == SIPDP_URI_SIP || c->scheme == SIPDP_URI_SIPS) {
				CHECK(u.host_type == c->host_type, c->in, c->why);
				CHECK(u.port == c->port, c->in, c->why);
				CHECK(str_is(u.user, c->user), c->in, c->why);
				CHECK(str_is(u.password, c->password), c->in, c->why);
				CHECK(str_is(u.host, c->host), c->in, c->why);
				CHECK(sipdp_str_eq(u.params, sipdp_str_cstr(c->params)), c->in,
				      c->why);
				CHECK(str_is(u.headers, c->headers), c->in, c->why);
			} else {
				CHECK(str_is(u.opaque, c->host), c->in, c->why);
			}
		}
		guard_buf_free(&g);
	}
}

static void
test_uri_equal_follows_rfc3261_19_1_4(void)
{
	static const struct {
		const char *a, *b;
		bool equal;
	} cases[] = {
		/* the RFC's "equivalent" examples */
		{ "sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp", true },
		{ "sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5", true },
		{ "sip:carol@chicago.com", "sip:carol@chicago.com;security=on", true },
		{ "sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on", true },
		{ "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
		  "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com", true },
		{ "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
		  "sip:alice@atlanta.com?priority=urgent&subject=project%20x", true },
		/* and its "not equivalent" ones */
		{ "SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP", false },
		{ "sip:bob@biloxi.com", "sip:bob@biloxi.com:5060", false },
		{ "sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp", false },
		{ "sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp", false },
		{ "sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting", false },
		{ "sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4", false },
		{ "sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off", false },
		/* more */
		{ "sip:a@h;%6C%72", "sip:a@h;lr", true },
		{ "sip:a:pw@h", "sip:a:PW@h", false },
		{ "sip:a:pw@h", "sip:a@h", false },
		{ "sip:h", "sips:h", false },
		{ "sip:a@h;maddr=239.255.255.1", "sip:a@h", false },
		{ "sip:a@h;user=phone", "sip:a@h;user=phone", true },
		{ "tel:+1555", "tel:+1555", true },
		{ "isbn:1", "ISBN:1", true },
		{ "isbn:1", "isbn:2", false },
	};

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(cases); i++) {
		struct sipdp_uri a, b;
		CU_ASSERT_EQUAL_FATAL(sipdp_uri_parse(sipdp_str_cstr(cases[i].a), &a), 0);
		CU_ASSERT_EQUAL_FATAL(sipdp_uri_parse(sipdp_str_cstr(cases[i].b), &b), 0);
		CHECK(sipdp_uri_equal(&a, &b) == cases[i].equal, cases[i].a, cases[i].b);
		CHECK(sipdp_uri_equal(&b, &a) == cases[i].equal, cases[i].b, "symmetry");
	}
}

static void
test_unescape_undoes_escapes_within_capacity(void)
{
	char out[8];
	struct guard_buf g;

	CU_ASSERT_EQUAL(sipdp_unescape(guard(&g, "%41b%2f", 0), out, sizeof(out)), 3);
	CU_ASSERT_EQUAL(memcmp(out, "Ab/", 3), 0);
	guard_buf_free(&g);
	CU_ASSERT_EQUAL(sipdp_unescape(guard(&g, "%00", 0), out, sizeof(out)), 1);
	CU_ASSERT_EQUAL(out[0], 0);
	guard_buf_free(&g);
	CU_ASSERT_EQUAL(sipdp_unescape(guard(&g, "a%4", 0), out, sizeof(out)), -EBADMSG);
	guard_buf_free(&g);
	CU_ASSERT_EQUAL(sipdp_unescape(guard(&g, "a%", 0), out, sizeof(out)), -EBADMSG);
	guard_buf_free(&g);
	CU_ASSERT_EQUAL(sipdp_unescape(guard(&g, "%g0", 0), out, sizeof(out)), -EBADMSG);
	guard_buf_free(&g);
	CU_ASSERT_EQUAL(sipdp_unescape(guard(&g, "123456789", 0), out, sizeof(out)), -ENOSPC);
	guard_buf_free(&g);
	CU_ASSERT_EQUAL(sipdp_unescape(SIPDP_STR(""), out, 0), 0);
}

static void
test_uri_header_replaces_from_refer_to(void)
{
	char buf[64];
	struct sipdp_uri u;
	struct sipdp_replaces r;
	struct guard_buf g;

	/* test/data/corpus/refer.sip Refer-To */
	CU_ASSERT_EQUAL_FATAL(sipdp_uri_parse(guard(&g,
		"sip:carol@chicago.example.com?Replaces=12345%40192.0.2.7%3Bto-tag%3D7743"
		"%3Bfrom-tag%3D6472", 0), &u), 0);
	CU_ASSERT_EQUAL(sipdp_uri_header_replaces(&u, buf, sizeof(buf), &r), 0);
	CU_ASSERT_TRUE(str_is(r.call_id, "12345@192.0.2.7"));
	CU_ASSERT_TRUE(str_is(r.to_tag, "7743"));
	CU_ASSERT_TRUE(str_is(r.from_tag, "6472"));
	CU_ASSERT_FALSE(r.early_only);
	CU_ASSERT_TRUE(r.call_id.p >= buf && r.call_id.p < buf + sizeof(buf));
	CU_ASSERT_EQUAL(sipdp_uri_header_replaces(&u, buf, 10, &r), -ENOSPC);
	guard_buf_free(&g);

	/* other headers first, name case-insensitive, early-only */
	CU_ASSERT_EQUAL_FATAL(sipdp_uri_parse(guard(&g,
		"sip:c@h?Subject=x&replaces=a%3Bfrom-tag%3D1%3Bto-tag%3D2%3Bearly-only", 0),
		&u), 0);
	CU_ASSERT_EQUAL(sipdp_uri_header_replaces(&u, buf, sizeof(buf), &r), 0);
	CU_ASSERT_TRUE(str_is(r.call_id, "a"));
	CU_ASSERT_TRUE(str_is(r.to_tag, "2"));
	CU_ASSERT_TRUE(r.early_only);
	guard_buf_free(&g);

	CU_ASSERT_EQUAL_FATAL(sipdp_uri_parse(guard(&g, "sip:c@h?Subject=x", 0), &u), 0);
	CU_ASSERT_EQUAL(sipdp_uri_header_replaces(&u, buf, sizeof(buf), &r), -ENOENT);
	guard_buf_free(&g);
	CU_ASSERT_EQUAL_FATAL(sipdp_uri_parse(guard(&g, "sip:c@h", 0), &u), 0);
	CU_ASSERT_EQUAL(sipdp_uri_header_replaces(&u, buf, sizeof(buf), &r), -ENOENT);
	guard_buf_free(&g);

	/* a Replaces without from-tag is malformed (RFC 3891 §6.1) */
	CU_ASSERT_EQUAL_FATAL(sipdp_uri_parse(guard(&g, "sip:c@h?Replaces=a%3Bto-tag%3D2", 0),
					      &u), 0);
	CU_ASSERT_EQUAL(sipdp_uri_header_replaces(&u, buf, sizeof(buf), &r), -EBADMSG);
	guard_buf_free(&g);
}

/* ---------------------------------------------------------- name-addr */

struct na_case {
	const char *in;
	size_t len; /* 0: strlen */
	int rc;
	const char *display; /* "" when none */
	const char *uri;
	const char *params;  /* "" when none */
	const char *tag;     /* NULL: absent */
	bool angle;
	const char *why;
};

#define NA_BAD(in, why) { in, 0, -EBADMSG, NULL, NULL, NULL, NULL, false, why }

static const char intmeth_to[] =
	"\"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\" "
	"<sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>";

static const struct na_case na_cases[] = {
	{ "\"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774", 0, 0, "\"Alice\"",
	  "sip:alice@atlanta.example.com", ";tag=1928301774", "1928301774", true,
	  "quoted display, tag" },
	{ "<sip:bob@biloxi.example.com>;tag=a6c85cf", 0, 0, "", "sip:bob@biloxi.example.com",
	  ";tag=a6c85cf", "a6c85cf", true, "no display" },
	{ "sip:caller@example.net;tag=134161461246", 0, 0, "", "sip:caller@example.net",
	  ";tag=134161461246", "134161461246", false, "addr-spec ends at ';'" },
	{ "caller<sip:caller@example.com>;tag=323", 0, 0, "caller", "sip:caller@example.com",
	  ";tag=323", "323", true, "RFC 4475 lwsdisp: token display, no LWS before '<'" },
	{ "\"Bob\"<sip:bob@h>", 0, 0, "\"Bob\"", "sip:bob@h", "", NULL, true,
	  "quoted display, no LWS before '<'" },
	{ "sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n", 0, 0, "",
	  "sip:vivekg@chair-dnrc.example.com", ";   tag    = 1918181833n", "1918181833n", false,
	  "RFC 4475 wsinv To: LWS around ';' and '='" },
	{ "\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8", 0,
	  0, "\"J Rosenberg \\\\\\\"\"", "sip:jdrosen@example.com",
	  ";\r\n  tag = 98asjd8", "98asjd8", true, "RFC 4475 wsinv From: quoted-pairs, folds" },
	{ "\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n      newvalue ;"
	  "\r\n  secondparam ; q = 0.33", 0, 0, "\"Quoted string \\\"\\\"\"",
	  "sip:jdrosen@example.com",
	  "; newparam =\r\n      newvalue ;\r\n  secondparam ; q = 0.33", NULL, true,
	  "RFC 4475 wsinv Contact" },
	{ intmeth_to, sizeof(intmeth_to) - 1, 0, "\"BEL:\\\x07 NUL:\\", /* prefix, see test */
	  "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com", "", NULL, true,
	  "RFC 4475 intmeth To: quoted NUL, BEL, DEL" },
	{ "token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%="
	  "\"\xd1\x80\xd0\xb0\";tag=_token~1'+`*%!-.", 0, 0, "token1~` token2'+_ token3*%!.-",
	  "sip:mundane@example.com",
	  ";fromParam''~+*_!.-%=\"\xd1\x80\xd0\xb0\";tag=_token~1'+`*%!-.",
	  "_token~1'+`*%!-.", true, "RFC 4475 intmeth From: multi-token display" },
	{ "\"%Z%45\" <sip:resource@example.com>", 0, 0, "\"%Z%45\"", "sip:resource@example.com",
	  "", NULL, true, "RFC 4475 esc02: '%' in a display is no escape" },
	{ "<sip:user@example.com?Route=%3Csip:sip.example.com%3E>", 0, 0, "",
	  "sip:user@example.com?Route=%3Csip:sip.example.com%3E", "", NULL, true,
	  "RFC 4475 regescrt: headers inside <>" },
	{ "sip:+19725552222@gw1.example.net;unknownparam", 0, 0, "",
	  "sip:+19725552222@gw1.example.net", ";unknownparam", NULL, false,
	  "RFC 4475 cparam01: param is the header's" },
	{ "<sip:+19725552222@gw1.example.net;unknownparam>", 0, 0, "",
	  "sip:+19725552222@gw1.example.net;unknownparam", "", NULL, true,
	  "RFC 4475 cparam02: param is the URI's" },
	{ "isbn:2983792873", 0, 0, "", "isbn:2983792873", "", NULL, false,
	  "RFC 4475 unksm2 To" },
	{ "<http://www.example.com>;tag=3234233", 0, 0, "", "http://www.example.com",
	  ";tag=3234233", "3234233", true, "RFC 4475 unksm2 From" },
	{ "<name:John_Smith>", 0, 0, "", "name:John_Smith", "", NULL, true,
	  "RFC 4475 unksm2 Contact" },
	{ "\"T. desk phone\" <sip:ted@[::ffff:192.0.2.2]>", 0, 0, "\"T. desk phone\"",
	  "sip:ted@[::ffff:192.0.2.2]", "", NULL, true, "RFC 5118 4.9 Contact" },
	{ "sip:user@[2001:db8:::192.0.2.1]", 0, 0, "", "sip:user@[2001:db8:::192.0.2.1]", "",
	  NULL, false, "RFC 5118 4.10 To" },
	{ "<sip:a@h>;TAG=x;tag=y", 0, 0, "", "sip:a@h", ";TAG=x;tag=y", "x", true,
	  "first tag wins, name case-insensitive" },

	NA_BAD("\"Mr. J. User <sip:j.user@example.com>", "RFC 4475 quotbal"),
	NA_BAD("\"Watson, Thomas\" < sip:t.watson@example.org >", "RFC 4475 badaspec"),
	NA_BAD("Bell, Alexander <sip:a.g.bell@example.com>;tag=43", "RFC 4475 baddn From"),
	NA_BAD("Watson, Thomas <sip:t.watson@example.org>", "RFC 4475 baddn To"),
	NA_BAD("sip:user@example.com?Route=%3Csip:sip.example.com%3E", "RFC 4475 regbadct"),
	NA_BAD("\"Joe\" <sip:joe@example.org>;;;;", "RFC 4475 badinv01 Contact"),
	NA_BAD("sip:a@h,sip:b@h", "',' in an addr-spec"),
	NA_BAD("", "empty input"),
	NA_BAD("   ", "only LWS"),
	NA_BAD("\"", "input ends after '\"'"),
	NA_BAD("\"a\\", "input ends after '\\'"),
	NA_BAD("\"a\\\r\n b\" <sip:a@h>", "quoted-pair cannot quote CR"),
	NA_BAD("<", "input ends after '<'"),
	NA_BAD("<sip:a@h", "no '>'"),
	NA_BAD("<>", "empty URI"),
	NA_BAD("<sip:a@h>;", "input ends after ';'"),
	NA_BAD("<sip:a@h>;tag=", "input ends after '='"),
	NA_BAD("<sip:a@h>;tag", "tag without a value"),
	NA_BAD("<sip:a@h> junk", "junk after '>'"),
	NA_BAD("<sip:a@h>x", "junk right after '>'"),
	NA_BAD("\"Bob\" sip:bob@h", "quoted display needs <>"),
	NA_BAD("Bob sip:bob@h", "token display needs <>"),
	NA_BAD("sip:a@h ;tag=1 x", "junk after a param"),
};

/* Split by sipdp_nameaddr_parse() (the URI is only split there) but refused
 * by sipdp_uri_parse(), which sipdp_msg_check() runs on From/To/Contact. */
static const struct {
	const char *in;
	const char *uri;
	const char *why;
} na_uri_bad_cases[] = {
	{ "<sip:2001:db8::10>", "sip:2001:db8::10", "RFC 5118 4.2 bare IPv6" },
	{ "<sip:a@h:0>;tag=1", "sip:a@h:0", "port 0" },
	{ "\"A\" <sip:a@-h>", "sip:a@-h", "label starting with '-'" },
	{ "sip:a@h\"x;tag=2", "sip:a@h\"x", "'\"' in an addr-spec" },
	{ "<nocolon>", "nocolon", "no scheme" },
};

static void
test_nameaddr_defers_uri_validation(void)
{
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(na_uri_bad_cases); i++) {
		struct guard_buf g;
		struct sipdp_nameaddr na;
		struct sipdp_uri u;
		int rc = sipdp_nameaddr_parse(guard(&g, na_uri_bad_cases[i].in, 0), &na);

		CHECK(rc == 0, na_uri_bad_cases[i].in, na_uri_bad_cases[i].why);
		if (rc == 0) {
			CHECK(str_is(na.uri, na_uri_bad_cases[i].uri), na_uri_bad_cases[i].in,
			      na_uri_bad_cases[i].why);
			CHECK(sipdp_uri_parse(na.uri, &u) == -EBADMSG, na_uri_bad_cases[i].in,
			      na_uri_bad_cases[i].why);
		}
		guard_buf_free(&g);
	}
}

static void
test_nameaddr_table(void)
{
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(na_cases); i++) {
		const struct na_case *c = &na_cases[i];
		struct guard_buf g;
		struct sipdp_nameaddr na;
		int rc = sipdp_nameaddr_parse(guard(&g, c->in, c->len), &na);

		CHECK(rc == c->rc, c->in, c->why);
		if (rc == 0 && c->rc == 0) {
			if (c->len != 0) /* binary display: the whole quoted string */
				CHECK(na.display.len == 22 && na.display.p[0] == '"' &&
				      na.display.p[21] == '"' &&
				      memcmp(na.display.p, c->display, strlen(c->display)) == 0,
				      c->in, c->why);
			else
				CHECK(sipdp_str_eq(na.display, sipdp_str_cstr(c->display)), c->in,
				      c->why);
			CHECK(str_is(na.uri, c->uri), c->in, c->why);
			CHECK(sipdp_str_eq(na.params, sipdp_str_cstr(c->params)), c->in, c->why);
			CHECK(str_is(na.tag, c->tag), c->in, c->why);
			CHECK(na.angle == c->angle, c->in, c->why);
		}
		guard_buf_free(&g);
	}
}

/* ------------------------------------------------------------ Contact */

struct contact_el {
	const char *uri;
	int64_t expires; /* -1: absent */
	int q;           /* -1: absent */
};

struct contact_case {
	const char *in;
	int rc; /* of the call that ends the walk */
	int n;
	bool star;
	struct contact_el el[3];
	const char *why;
};

static const struct contact_case contact_cases[] = {
	{ "*", 0, 1, true, { { NULL, -1, -1 } }, "star alone" },
	{ "<sip:a@h>;q=0.7;expires=3600, \"B\" <sip:b@h>;q=1.0, sip:c@h", 0, 3, false,
	  { { "sip:a@h", 3600, 700 }, { "sip:b@h", -1, 1000 }, { "sip:c@h", -1, -1 } },
	  "three elements, mixed forms" },
	{ "\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n      newvalue ;"
	  "\r\n  secondparam ; q = 0.33", 0, 1, false,
	  { { "sip:jdrosen@example.com", -1, 330 } }, "RFC 4475 wsinv: q with SWS" },
	{ "<sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>", 0, 1, false,
	  { { "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31", -1, -1 } },
	  "RFC 4475 esc01" },
	{ "<sip:a@h>;expires=0, <sip:b@h>;expires=4294967295", 0, 2, false,
	  { { "sip:a@h", 0, -1 }, { "sip:b@h", 4294967295LL, -1 } }, "expires bounds" },
	{ "<sip:a@h>;q=0, <sip:b@h>;q=0., <sip:c@h>;q=1.000", 0, 3, false,
	  { { "sip:a@h", -1, 0 }, { "sip:b@h", -1, 0 }, { "sip:c@h", -1, 1000 } },
	  "q-value forms" },
	{ "<sip:user@host129.example.com>\r\n  ;expires=280297596632815", -ERANGE, 0, false,
	  { { NULL, -1, -1 } }, "RFC 4475 scalar02 huge expires" },
	{ "<sip:a@h>;expires=4294967296", -ERANGE, 0, false, { { NULL, -1, -1 } },
	  "expires 2^32" },
	{ "<sip:a@h>;expires=abc", -EBADMSG, 0, false, { { NULL, -1, -1 } }, "expires not a number" },
	{ "<sip:a@h>;expires=", -EBADMSG, 0, false, { { NULL, -1, -1 } }, "input ends after '='" },
	{ "<sip:a@h>;q=1.5", -EBADMSG, 0, false, { { NULL, -1, -1 } }, "q above 1" },
	{ "<sip:a@h>;q=1.001", -EBADMSG, 0, false, { { NULL, -1, -1 } }, "q 1.001" },
	{ "<sip:a@h>;q=0.1234", -EBADMSG, 0, false, { { NULL, -1, -1 } }, "four decimals" },
	{ "<sip:a@h>;q=.5", -EBADMSG, 0, false, { { NULL, -1, -1 } }, "no leading digit" },
	{ "\"Joe\" <sip:joe@example.org>;;;;", -EBADMSG, 0, false, { { NULL, -1, -1 } },
	  "RFC 4475 badinv01" },
	{ "<sip:a@h>, ", -EBADMSG, 0, false, { { NULL, -1, -1 } }, "trailing comma" },
	{ "*, <sip:a@h>", -EBADMSG, 0, false, { { NULL, -1, -1 } }, "star with others" },
	{ "sip:user@example.com?Route=%3Csip:sip.example.com%3E", -EBADMSG, 0, false,
	  { { NULL, -1, -1 } }, "RFC 4475 regbadct" },
};

static void
test_contact_table(void)
{
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(contact_cases); i++) {
		const struct contact_case *c = &contact_cases[i];
		struct guard_buf g;
		struct sipdp_str cur = guard(&g, c->in, 0);
		struct sipdp_contact ct;
		int n = 0, rc;

		while ((rc = sipdp_contact_next(&cur, &ct)) == 1) {
			CHECK(n < c->n, c->in, c->why);
			if (n < c->n) {
				const struct contact_el *e = &c->el[n];
				CHECK(ct.star == c->star, c->in, c->why);
				if (!c->star)
					CHECK(str_is(ct.na.uri, e->uri), c->in, c->why);
				CHECK(ct.has_expires == (e->expires >= 0), c->in, c->why);
				if (e->expires >= 0)
					CHECK(ct.expires == (uint32_t)e->expires, c->in, c->why);
				CHECK(ct.has_q == (e->q >= 0), c->in, c->why);
				if (e->q >= 0)
					CHECK(ct.q == e->q, c->in, c->why);
			}
			n++;
		}
		CHECK(rc == c->rc, c->in, c->why);
		CHECK(n == c->n, c->in, c->why);
		guard_buf_free(&g);
	}
}

/* ---------------------------------------------------------------- Via */

struct via_case {
	const char *in;
	int rc;
	const char *transport;
	const char *host;
	uint8_t host_type;
	uint16_t port;
	const char *branch;   /* NULL: absent */
	const char *received; /* NULL: absent */
	bool rport_present;
	uint16_t rport;
	int ttl;              /* -1: absent */
	const char *maddr;    /* NULL: absent */
	const char *why;
};

#define VIA_BAD(in, rc, why) { in, rc, NULL, NULL, 0, 0, NULL, NULL, false, 0, -1, NULL, why }

static const struct via_case via_cases[] = {
	{ "SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds", 0, "UDP",
	  "pc33.atlanta.example.com", NAME, 5060, "z9hG4bK776asdhds", NULL, false, 0, -1, NULL,
	  "corpus INVITE" },
	{ "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---3c9d0f1a2b3c4d5e;rport", 0,
	  "UDP", "192.0.2.10", V4, 5060, "z9hG4bK-524287-1---3c9d0f1a2b3c4d5e", NULL, true, 0,
	  -1, NULL, "rport flag (RFC 3581)" },
	{ "SIP/2.0/UDP 198.51.100.7:5060;received=198.51.100.7;branch=z9hG4bKc0ffee.0", 0,
	  "UDP", "198.51.100.7", V4, 5060, "z9hG4bKc0ffee.0", "198.51.100.7", false, 0, -1,
	  NULL, "received IPv4" },
	{ "SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw", 0, "UDP", "192.0.2.2", V4,
	  0, "390skdjuw", NULL, false, 0, -1, NULL, "RFC 4475 wsinv: folds around '/'" },
	{ "SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239", 0, "UDP",
	  "192.168.255.111", V4, 0, "z9hG4bK30239", NULL, false, 0, -1, NULL,
	  "RFC 4475 wsinv: LWS before ';' and after '='" },
	{ "SIP/2.0/TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8", 0, "TCP",
	  "spindle.example.com", NAME, 0, "z9hG4bK9ikj8", NULL, false, 0, -1, NULL,
	  "RFC 4475 wsinv: compact v: element" },
	{ "SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en", 0, "UNKNOWN",
	  "t4.example.com", NAME, 0, "z9hG4bKasd0f3en", NULL, false, 0, -1, NULL,
	  "RFC 4475 transports: unknown transport" },
	{ "SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf", 0, "SCTP", "t2.example.com",
	  NAME, 0, "z9hG4bKklasjdhf", NULL, false, 0, -1, NULL, "RFC 4475 transports: SCTP" },
	{ "SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3-111", 0,
	  "UDP", "[2001:db8::9:1]", V6, 0, "z9hG4bKas3-111", "[2001:db8::9:255]", false, 0, -1,
	  NULL, "RFC 5118 4.5 received with [ ]" },
	{ "SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3", 0, "UDP",
	  "[2001:db8::9:1]", V6, 0, "z9hG4bKas3", "2001:db8::9:255", false, 0, -1, NULL,
	  "RFC 5118 4.5 received without [ ]" },
	{ "SIP/2.0/UDP [::ffff:192.0.2.10]:19823;branch=z9hG4bKbh19", 0, "UDP",
	  "[::ffff:192.0.2.10]", V6, 19823, "z9hG4bKbh19", NULL, false, 0, -1, NULL,
	  "RFC 5118 4.9 IPv4-mapped sent-by with port" },
	{ "SIP/2.0/TCP [2001:db8::9:255];branch=z9hG4bK451jj;received=192.0.2.200", 0, "TCP",
	  "[2001:db8::9:255]", V6, 0, "z9hG4bK451jj", "192.0.2.200", false, 0, -1, NULL,
	  "RFC 5118 4.7" },
	{ "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK", 0, "UDP", "192.0.2.1", V4, 0, "z9hG4bK",
	  NULL, false, 0, -1, NULL, "RFC 4475 badbranch: bare cookie parses" },
	{ "SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234", 0, "TCP",
	  "host.example.com", NAME, 0, "z9hG4bK209%fzsnel234", NULL, false, 0, -1, NULL,
	  "RFC 4475 esc02: '%' is a token char" },
	{ "SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~", 0, "TCP",
	  "host1.example.com", NAME, 0, "z9hG4bK-.!%66*_+`'~", NULL, false, 0, -1, NULL,
	  "RFC 4475 intmeth branch" },
	{ "SIP/2.0/UDP iftgw.example.com", 0, "UDP", "iftgw.example.com", NAME, 0, NULL, NULL,
	  false, 0, -1, NULL, "RFC 4475 inv2543: no branch" },
	{ "SIP/2.0/UDP h;ttl=255;maddr=224.2.0.1;rport=5060", 0, "UDP", "h", NAME, 0, NULL,
	  NULL, true, 5060, 255, "224.2.0.1", "ttl, maddr, rport value" },
	{ "SIP/2.0/UDP h;ttl=0", 0, "UDP", "h", NAME, 0, NULL, NULL, false, 0, 0, NULL, "ttl 0" },
	{ "SIP/2.0/UDP h : 5060 ;branch=z9hG4bKx", 0, "UDP", "h", NAME, 5060, "z9hG4bKx", NULL,
	  false, 0, -1, NULL, "SWS around the port colon" },
	{ "SIP/7.0/UDP h", 0, "UDP", "h", NAME, 0, NULL, NULL, false, 0, -1, NULL,
	  "RFC 4475 badvers parses; the version is the checker's business" },

	VIA_BAD("SIP/2.0/UDP 192.0.2.15;;", -EBADMSG, "RFC 4475 badinv01 ';;'"),
	VIA_BAD("SIP/2.0/UDP h;ttl=256", -ERANGE, "ttl above 255"),
	VIA_BAD("SIP/2.0/UDP h;ttl=99999999999999999999", -ERANGE, "ttl that would wrap"),
	VIA_BAD("SIP/2.0/UDP h;ttl=abc", -EBADMSG, "ttl not a number"),
	VIA_BAD("SIP/2.0/UDP h;ttl", -EBADMSG, "ttl without a value"),
	VIA_BAD("SIP/2.0/UDP h;rport=70000", -ERANGE, "rport above 65535"),
	VIA_BAD("SIP/2.0/UDP h;rport=0", -ERANGE, "rport 0"),
	VIA_BAD("SIP/2.0/UDP h:0", -EBADMSG, "port 0"),
	VIA_BAD("SIP/2.0/UDP h:65536", -EBADMSG, "port above 65535"),
	VIA_BAD("SIP/2.0/UDP h:", -EBADMSG, "input ends after ':'"),
	VIA_BAD("SIP/2.0/UDP h;received=999.1.1.1", -EBADMSG, "received not an address"),
	VIA_BAD("SIP/2.0/UDP h;received=host.example.com", -EBADMSG, "received is a name"),
	VIA_BAD("SIP/2.0/UDP h;received=[2001:db8::9:255", -EBADMSG, "received '[' unclosed"),
	VIA_BAD("SIP/2.0/UDP h;maddr=-x", -EBADMSG, "maddr not a host"),
	VIA_BAD("SIP/2.0/UDP", -EBADMSG, "no sent-by"),
	VIA_BAD("SIP/2.0/UDPhost", -EBADMSG, "no LWS before sent-by"),
	VIA_BAD("SIP/2.0 UDP h", -EBADMSG, "missing '/'"),
	VIA_BAD("SIP/2.0/", -EBADMSG, "input ends after '/'"),
	VIA_BAD("SIP/", -EBADMSG, "input ends after the first '/'"),
	VIA_BAD("SIP/2.0/UDP h;branch", -EBADMSG, "branch without a value"),
	VIA_BAD("SIP/2.0/UDP h;branch=", -EBADMSG, "input ends after '='"),
	VIA_BAD("SIP/2.0/UDP h;", -EBADMSG, "input ends after ';'"),
	VIA_BAD("SIP/2.0/UDP 2001:db8::1", -EBADMSG, "IPv6 sent-by without [ ]"),
	VIA_BAD("SIP/2.0/UDP [2001:db8::1", -EBADMSG, "'[' unclosed"),
	VIA_BAD("SIP/2.0/UDP [", -EBADMSG, "input ends after '['"),
	VIA_BAD("SIP/2.0/UDP h x", -EBADMSG, "junk after sent-by"),
	VIA_BAD("SIP/2.0/UDP h, SIP/2.0/UDP i", -EBADMSG, "a list is not one via-parm"),
	VIA_BAD("", -EBADMSG, "empty input"),
};

static void
test_via_table(void)
{
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(via_cases); i++) {
		const struct via_case *c = &via_cases[i];
		struct guard_buf g;
		struct sipdp_via v;
		int rc = sipdp_via_parse(guard(&g, c->in, 0), &v);

		CHECK(rc == c->rc, c->in, c->why);
		if (rc == 0 && c->rc == 0) {
			CHECK(str_is(v.proto_name, "SIP"), c->in, c->why);
			CHECK(str_is(v.transport, c->transport), c->in, c->why);
			CHECK(str_is(v.host, c->host), c->in, c->why);
			CHECK(v.host_type == c->host_type, c->in, c->why);
			CHECK(v.port == c->port, c->in, c->why);
			CHECK(str_is(v.branch, c->branch), c->in, c->why);
			CHECK(str_is(v.received, c->received), c->in, c->why);
			CHECK(v.rport_present == c->rport_present, c->in, c->why);
			CHECK(v.rport == c->rport, c->in, c->why);
			CHECK(v.has_ttl == (c->ttl >= 0), c->in, c->why);
			if (c->ttl >= 0)
				CHECK(v.ttl == c->ttl, c->in, c->why);
			CHECK(str_is(v.maddr, c->maddr), c->in, c->why);
		}
		guard_buf_free(&g);
	}
}

static void
test_via_protocol_split_despite_lws(void)
{
	struct guard_buf g;
	struct sipdp_via v;

	CU_ASSERT_EQUAL_FATAL(sipdp_via_parse(guard(&g, "SIP  /   2.0\r\n /UDP\r\n    192.0.2.2", 0),
					      &v), 0);
	CU_ASSERT_TRUE(str_is(v.proto_name, "SIP"));
	CU_ASSERT_TRUE(str_is(v.proto_version, "2.0"));
	CU_ASSERT_TRUE(str_is(v.protocol, "SIP  /   2.0"));
	CU_ASSERT_TRUE(str_is(v.params, ""));
	guard_buf_free(&g);
	CU_ASSERT_EQUAL_FATAL(sipdp_via_parse(guard(&g, "SIP/2.0/UDP h;branch=z9hG4bKa;x=1", 0), &v),
			      0);
	CU_ASSERT_TRUE(str_is(v.protocol, "SIP/2.0"));
	CU_ASSERT_TRUE(str_is(v.params, ";branch=z9hG4bKa;x=1"));
	CU_ASSERT_TRUE(sipdp_branch_is_rfc3261(v.branch));
	guard_buf_free(&g);
}

/* --------------------------------------------------------------- CSeq */

static void
test_cseq_table(void)
{
	static const struct {
		const char *in;
		int rc;
		uint32_t num;
		uint8_t method;
		const char *method_str;
		const char *why;
	} cases[] = {
		{ "314159 INVITE", 0, 314159, SIPDP_METHOD_INVITE, "INVITE", "plain" },
		{ "0009\r\n  INVITE", 0, 9, SIPDP_METHOD_INVITE, "INVITE",
		  "RFC 4475 wsinv: leading zeros, fold" },
		{ "  1   BYE  ", 0, 1, SIPDP_METHOD_BYE, "BYE", "surrounding LWS" },
		{ "2147483647 ACK", 0, 2147483647u, SIPDP_METHOD_ACK, "ACK", "2^31-1 is the top" },
		{ "0 OPTIONS", 0, 0, SIPDP_METHOD_OPTIONS, "OPTIONS", "zero is allowed" },
		{ "139122385 !interesting-Method0123456789_*+`.%indeed'~", 0, 139122385,
		  SIPDP_METHOD_OTHER, "!interesting-Method0123456789_*+`.%indeed'~",
		  "RFC 4475 intmeth extension method" },
		{ "29344 RE%47IST%45R", 0, 29344, SIPDP_METHOD_OTHER, "RE%47IST%45R",
		  "RFC 4475 esc02: not REGISTER" },
		{ "2147483648 ACK", -ERANGE, 0, 0, NULL, "2^31 (RFC 3261 §8.1.1.5)" },
		{ "36893488147419103232 REGISTER", -ERANGE, 0, 0, NULL, "RFC 4475 scalar02" },
		{ "9292394834772304023312 OPTIONS", -ERANGE, 0, 0, NULL, "RFC 4475 scalarlg" },
		{ "1INVITE", -EBADMSG, 0, 0, NULL, "no LWS before the method" },
		{ "INVITE", -EBADMSG, 0, 0, NULL, "no number" },
		{ "1 ", -EBADMSG, 0, 0, NULL, "no method" },
		{ "1", -EBADMSG, 0, 0, NULL, "input ends after the number" },
		{ "1 INVITE x", -EBADMSG, 0, 0, NULL, "junk after the method" },
		{ "-1 INVITE", -EBADMSG, 0, 0, NULL, "sign" },
		{ "", -EBADMSG, 0, 0, NULL, "empty input" },
	};

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(cases); i++) {
		struct guard_buf g;
		struct sipdp_cseq cs;
		int rc = sipdp_cseq_parse(guard(&g, cases[i].in, 0), &cs);

		CHECK(rc == cases[i].rc, cases[i].in, cases[i].why);
		if (rc == 0 && cases[i].rc == 0) {
			CHECK(cs.num == cases[i].num, cases[i].in, cases[i].why);
			CHECK(cs.method == cases[i].method, cases[i].in, cases[i].why);
			CHECK(str_is(cs.method_str, cases[i].method_str), cases[i].in, cases[i].why);
		}
		guard_buf_free(&g);
	}
}

/* -------------------------------------------------- numbers and values */

static void
test_uint_parse_never_wraps(void)
{
	static const struct {
		const char *in;
		uint32_t max;
		int rc;
		uint32_t want;
		const char *params;
		const char *why;
	} cases[] = {
		{ "70", 255, 0, 70, "", "Max-Forwards" },
		{ "0068", 255, 0, 68, "", "RFC 4475 wsinv leading zeros" },
		{ "0", 255, 0, 0, "", "RFC 4475 zeromf" },
		{ "90 ;lr;x=1", UINT32_MAX, 0, 90, ";lr;x=1", "params kept" },
		{ "4294967295", UINT32_MAX, 0, UINT32_MAX, "", "top of uint32" },
		{ "300", 255, -ERANGE, 0, NULL, "RFC 4475 scalar02 Max-Forwards" },
		{ "4294967296", UINT32_MAX, -ERANGE, 0, NULL, "2^32" },
		{ "1000000000000000000000000000000000000000000000000000000000000000000000000000"
		  "000000000000000000000000000", UINT32_MAX, -ERANGE, 0, NULL,
		  "RFC 4475 scalar02 100-digit Expires" },
		{ "", 255, -EBADMSG, 0, NULL, "empty" },
		{ "abc", 255, -EBADMSG, 0, NULL, "not a number" },
		{ "5 x", 255, -EBADMSG, 0, NULL, "junk" },
		{ "5;", 255, -EBADMSG, 0, NULL, "input ends after ';'" },
		{ "-5", 255, -EBADMSG, 0, NULL, "sign" },
	};

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(cases); i++) {
		struct guard_buf g;
		uint32_t v = 12345;
		struct sipdp_str ps = SIPDP_STR_NULL;
		int rc = sipdp_uint_parse(guard(&g, cases[i].in, 0), cases[i].max, &v, &ps);

		CHECK(rc == cases[i].rc, cases[i].in, cases[i].why);
		if (rc == 0 && cases[i].rc == 0) {
			CHECK(v == cases[i].want, cases[i].in, cases[i].why);
			CHECK(sipdp_str_eq(ps, sipdp_str_cstr(cases[i].params)), cases[i].in,
			      cases[i].why);
		} else {
			CHECK(v == 12345, cases[i].in, "output untouched on error");
		}
		guard_buf_free(&g);
	}
}

static void
test_replaces_requires_both_tags(void)
{
	static const struct {
		const char *in;
		int rc;
		const char *call_id, *to_tag, *from_tag;
		bool early;
		const char *why;
	} cases[] = {
		{ "12345@192.0.2.7;to-tag=7743;from-tag=6472", 0, "12345@192.0.2.7", "7743", "6472",
		  false, "plain" },
		{ "98732@sip.example.com\r\n          ;from-tag=r33th4x0r\r\n          ;to-tag=ff87ff",
		  0, "98732@sip.example.com", "ff87ff", "r33th4x0r", false,
		  "RFC 3891 §6.1 example with folds" },
		{ "a;to-tag=1;from-tag=2;early-only", 0, "a", "1", "2", true, "early-only flag" },
		{ "a;TO-TAG=1;From-Tag=2;x=y", 0, "a", "1", "2", false,
		  "case-insensitive names, unknown param" },
		{ "a;to-tag=1", -EBADMSG, NULL, NULL, NULL, false, "no from-tag" },
		{ "a;from-tag=2", -EBADMSG, NULL, NULL, NULL, false, "no to-tag" },
		{ "a", -EBADMSG, NULL, NULL, NULL, false, "no tags" },
		{ ";to-tag=1;from-tag=2", -EBADMSG, NULL, NULL, NULL, false, "empty call-id" },
		{ "a@;to-tag=1;from-tag=2", -EBADMSG, NULL, NULL, NULL, false, "empty word after '@'" },
		{ "a;to-tag=1;from-tag=", -EBADMSG, NULL, NULL, NULL, false, "input ends after '='" },
		{ "a;to-tag=1;from-tag=2;", -EBADMSG, NULL, NULL, NULL, false, "ends after ';'" },
		{ "a;to-tag=1;to-tag=3;from-tag=2", -EBADMSG, NULL, NULL, NULL, false,
		  "repeated to-tag" },
		{ "", -EBADMSG, NULL, NULL, NULL, false, "empty input" },
	};

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(cases); i++) {
		struct guard_buf g;
		struct sipdp_replaces r;
		int rc = sipdp_replaces_parse(guard(&g, cases[i].in, 0), &r);

		CHECK(rc == cases[i].rc, cases[i].in, cases[i].why);
		if (rc == 0 && cases[i].rc == 0) {
			CHECK(str_is(r.call_id, cases[i].call_id), cases[i].in, cases[i].why);
			CHECK(str_is(r.to_tag, cases[i].to_tag), cases[i].in, cases[i].why);
			CHECK(str_is(r.from_tag, cases[i].from_tag), cases[i].in, cases[i].why);
			CHECK(r.early_only == cases[i].early, cases[i].in, cases[i].why);
		}
		guard_buf_free(&g);
	}
}

static void
test_refer_sub_true_false_only(void)
{
	static const struct {
		const char *in;
		int rc;
		bool want;
	} cases[] = {
		{ "true", 0, true },       { "false", 0, false },   { "TRUE", 0, true },
		{ " false ;x=y", 0, false }, { "yes", -EBADMSG, false }, { "", -EBADMSG, false },
		{ "true;", -EBADMSG, false }, { "truex", -EBADMSG, false },
		{ "true false", -EBADMSG, false },
	};

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(cases); i++) {
		struct guard_buf g;
		bool v = !cases[i].want;
		int rc = sipdp_refer_sub_parse(guard(&g, cases[i].in, 0), &v);
		CHECK(rc == cases[i].rc, cases[i].in, "RFC 4488 Refer-Sub");
		if (rc == 0)
			CHECK(v == cases[i].want, cases[i].in, "RFC 4488 Refer-Sub value");
		guard_buf_free(&g);
	}
}

static void
test_event_type_and_id(void)
{
	static const struct {
		const char *in;
		int rc;
		const char *type, *id;
	} cases[] = {
		{ "refer;id=314160", 0, "refer", "314160" },
		{ "refer", 0, "refer", NULL },
		{ "dialog ; call-id=x ; ID=7", 0, "dialog", "7" },
		{ "presence.winfo", 0, "presence.winfo", NULL },
		{ ";id=1", -EBADMSG, NULL, NULL },
		{ "", -EBADMSG, NULL, NULL },
		{ "refer;id", -EBADMSG, NULL, NULL },
		{ "refer;id=", -EBADMSG, NULL, NULL },
		{ "refer;;id=1", -EBADMSG, NULL, NULL },
		{ "refer x", -EBADMSG, NULL, NULL },
	};

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(cases); i++) {
		struct guard_buf g;
		struct sipdp_event ev;
		int rc = sipdp_event_parse(guard(&g, cases[i].in, 0), &ev);
		CHECK(rc == cases[i].rc, cases[i].in, "RFC 3265 Event");
		if (rc == 0 && cases[i].rc == 0) {
			CHECK(str_is(ev.type, cases[i].type), cases[i].in, "event type");
			CHECK(str_is(ev.id, cases[i].id), cases[i].in, "event id");
		}
		guard_buf_free(&g);
	}
}

static void
test_subscription_state_fields(void)
{
	static const struct {
		const char *in;
		int rc;
		uint8_t state;
		const char *reason;
		int64_t expires, retry;
	} cases[] = {
		{ "terminated;reason=noresource", 0, SIPDP_SUBSTATE_TERMINATED, "noresource", -1, -1 },
		{ "active;expires=3600", 0, SIPDP_SUBSTATE_ACTIVE, NULL, 3600, -1 },
		{ "Pending ; expires = 60", 0, SIPDP_SUBSTATE_PENDING, NULL, 60, -1 },
		{ "terminated;reason=probation;retry-after=30", 0, SIPDP_SUBSTATE_TERMINATED,
		  "probation", -1, 30 },
		{ "waiting", 0, SIPDP_SUBSTATE_OTHER, NULL, -1, -1 },
		{ "active;expires=4294967296", -ERANGE, 0, NULL, -1, -1 },
		{ "terminated;retry-after=99999999999", -ERANGE, 0, NULL, -1, -1 },
		{ "active;expires=x", -EBADMSG, 0, NULL, -1, -1 },
		{ "active;expires", -EBADMSG, 0, NULL, -1, -1 },
		{ "active;;", -EBADMSG, 0, NULL, -1, -1 },
		{ "terminated;reason", -EBADMSG, 0, NULL, -1, -1 },
		{ "", -EBADMSG, 0, NULL, -1, -1 },
	};

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(cases); i++) {
		struct guard_buf g;
		struct sipdp_subscription_state ss;
		int rc = sipdp_subscription_state_parse(guard(&g, cases[i].in, 0), &ss);
		CHECK(rc == cases[i].rc, cases[i].in, "RFC 3265 Subscription-State");
		if (rc == 0 && cases[i].rc == 0) {
			CHECK(ss.state == cases[i].state, cases[i].in, "state");
			CHECK(str_is(ss.reason, cases[i].reason), cases[i].in, "reason");
			CHECK(ss.has_expires == (cases[i].expires >= 0), cases[i].in, "expires");
			if (cases[i].expires >= 0)
				CHECK(ss.expires == cases[i].expires, cases[i].in, "expires");
			CHECK(ss.has_retry_after == (cases[i].retry >= 0), cases[i].in, "retry");
			if (cases[i].retry >= 0)
				CHECK(ss.retry_after == cases[i].retry, cases[i].in, "retry");
		}
		guard_buf_free(&g);
	}
}

static void
test_rack_and_rseq_ranges(void)
{
	static const struct {
		const char *in;
		int rc;
		uint32_t rseq, cseq;
		uint8_t method;
	} racks[] = {
		{ "776656 314159 INVITE", 0, 776656, 314159, SIPDP_METHOD_INVITE },
		{ "1  \r\n 2 INVITE", 0, 1, 2, SIPDP_METHOD_INVITE },
		{ "0 1 INVITE", -ERANGE, 0, 0, 0 },
		{ "1 2147483648 INVITE", -ERANGE, 0, 0, 0 },
		{ "99999999999999999999 1 INVITE", -ERANGE, 0, 0, 0 },
		{ "1 1", -EBADMSG, 0, 0, 0 },
		{ "1 1 ", -EBADMSG, 0, 0, 0 },
		{ "x 1 INVITE", -EBADMSG, 0, 0, 0 },
		{ "1 1 INVITE x", -EBADMSG, 0, 0, 0 },
		{ "", -EBADMSG, 0, 0, 0 },
	};
	static const struct {
		const char *in;
		int rc;
		uint32_t v;
	} rseqs[] = {
		{ "988789", 0, 988789 }, { " 2147483647 ", 0, 2147483647u }, { "0", -ERANGE, 0 },
		{ "2147483648", -ERANGE, 0 }, { "", -EBADMSG, 0 }, { "1 2", -EBADMSG, 0 },
		{ "1;x", -EBADMSG, 0 },
	};

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(racks); i++) {
		struct guard_buf g;
		struct sipdp_rack r;
		int rc = sipdp_rack_parse(guard(&g, racks[i].in, 0), &r);
		CHECK(rc == racks[i].rc, racks[i].in, "RFC 3262 RAck");
		if (rc == 0 && racks[i].rc == 0) {
			CHECK(r.rseq == racks[i].rseq && r.cseq == racks[i].cseq, racks[i].in, "RAck");
			CHECK(r.method == racks[i].method, racks[i].in, "RAck method");
			CHECK(str_is(r.method_str, "INVITE"), racks[i].in, "RAck method_str");
		}
		guard_buf_free(&g);
	}
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(rseqs); i++) {
		struct guard_buf g;
		uint32_t v = 0;
		int rc = sipdp_rseq_parse(guard(&g, rseqs[i].in, 0), &v);
		CHECK(rc == rseqs[i].rc, rseqs[i].in, "RFC 3262 RSeq 1..2^31-1");
		if (rc == 0)
			CHECK(v == rseqs[i].v, rseqs[i].in, "RSeq value");
		guard_buf_free(&g);
	}
}

static void
test_session_expires_refresher(void)
{
	static const struct {
		const char *in;
		int rc;
		uint32_t delta;
		uint8_t refresher;
	} cases[] = {
		{ "1800;refresher=uac", 0, 1800, SIPDP_REFRESHER_UAC },
		{ "4000 ; refresher = UAS", 0, 4000, SIPDP_REFRESHER_UAS },
		{ "90", 0, 90, SIPDP_REFRESHER_NONE },
		{ "90;x=1", 0, 90, SIPDP_REFRESHER_NONE },
		{ "1800;refresher=proxy", -EBADMSG, 0, 0 },
		{ "1800;refresher", -EBADMSG, 0, 0 },
		{ "1800;refresher=", -EBADMSG, 0, 0 },
		{ "0", -ERANGE, 0, 0 },
		{ "4294967296", -ERANGE, 0, 0 },
		{ "x", -EBADMSG, 0, 0 },
		{ "1800 uac", -EBADMSG, 0, 0 },
		{ "", -EBADMSG, 0, 0 },
	};

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(cases); i++) {
		struct guard_buf g;
		struct sipdp_session_expires se;
		int rc = sipdp_session_expires_parse(guard(&g, cases[i].in, 0), &se);
		CHECK(rc == cases[i].rc, cases[i].in, "RFC 4028 Session-Expires");
		if (rc == 0 && cases[i].rc == 0) {
			CHECK(se.delta == cases[i].delta, cases[i].in, "delta");
			CHECK(se.refresher == cases[i].refresher, cases[i].in, "refresher");
		}
		guard_buf_free(&g);
	}
}

static void
test_reason_first_element(void)
{
	static const struct {
		const char *in;
		int rc;
		const char *protocol;
		int cause; /* -1 absent */
		const char *text;
	} cases[] = {
		{ "SIP;cause=200;text=\"Call completed elsewhere\"", 0, "SIP", 200,
		  "Call completed elsewhere" },
		{ "Q.850;cause=16;text=\"Terminated\", SIP;cause=487", 0, "Q.850", 16, "Terminated" },
		{ "SIP ; cause = 480", 0, "SIP", 480, NULL },
		{ "SIP;text=\"a \\\"q\\\"\"", 0, "SIP", -1, "a \\\"q\\\"" },
		{ "SIP;cause=70000", -ERANGE, NULL, -1, NULL },
		{ "SIP;text=\"unterminated", -EBADMSG, NULL, -1, NULL },
		{ "SIP;cause=", -EBADMSG, NULL, -1, NULL },
		{ "SIP;cause=x", -EBADMSG, NULL, -1, NULL },
		{ ";cause=1", -EBADMSG, NULL, -1, NULL },
		{ "SIP,", -EBADMSG, NULL, -1, NULL },
		{ "", -EBADMSG, NULL, -1, NULL },
	};

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(cases); i++) {
		struct guard_buf g;
		struct sipdp_reason r;
		int rc = sipdp_reason_parse(guard(&g, cases[i].in, 0), &r);
		CHECK(rc == cases[i].rc, cases[i].in, "RFC 3326 Reason");
		if (rc == 0 && cases[i].rc == 0) {
			CHECK(str_is(r.protocol, cases[i].protocol), cases[i].in, "protocol");
			CHECK(r.has_cause == (cases[i].cause >= 0), cases[i].in, "cause");
			if (cases[i].cause >= 0)
				CHECK(r.cause == cases[i].cause, cases[i].in, "cause");
			CHECK(str_is(r.text, cases[i].text), cases[i].in, "text");
		}
		guard_buf_free(&g);
	}
}

static void
test_retry_after_comment_and_duration(void)
{
	static const struct {
		const char *in;
		int rc;
		uint32_t delta;
		const char *comment;
		int64_t duration;
	} cases[] = {
		{ "18000;duration=3600", 0, 18000, NULL, 3600 },
		{ "120 (I'm in a meeting)", 0, 120, "I'm in a meeting", -1 },
		{ "5 (a (nested) \\) b) ;duration=10", 0, 5, "a (nested) \\) b", 10 },
		{ "0", 0, 0, NULL, -1 },
		{ "949302838503028349304023988", -ERANGE, 0, NULL, -1 },
		{ "5;duration=99999999999", -ERANGE, 0, NULL, -1 },
		{ "5 (unterminated", -EBADMSG, 0, NULL, -1 },
		{ "5 (ends in backslash\\", -EBADMSG, 0, NULL, -1 },
		{ "5 x", -EBADMSG, 0, NULL, -1 },
		{ "5;", -EBADMSG, 0, NULL, -1 },
		{ "", -EBADMSG, 0, NULL, -1 },
	};

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(cases); i++) {
		struct guard_buf g;
		struct sipdp_retry_after ra;
		int rc = sipdp_retry_after_parse(guard(&g, cases[i].in, 0), &ra);
		CHECK(rc == cases[i].rc, cases[i].in, "RFC 3261 §20.33 Retry-After");
		if (rc == 0 && cases[i].rc == 0) {
			CHECK(ra.delta == cases[i].delta, cases[i].in, "delta");
			CHECK(str_is(ra.comment, cases[i].comment), cases[i].in, "comment");
			CHECK(ra.has_duration == (cases[i].duration >= 0), cases[i].in, "duration");
			if (cases[i].duration >= 0)
				CHECK(ra.duration == cases[i].duration, cases[i].in, "duration");
		}
		guard_buf_free(&g);
	}
}

/* ---------------------------------------------------- message helpers */

/* A hand-built index, so these tests do not depend on the indexer. */
static void
msg_add(struct sipdp_msg *m, enum sipdp_hdr_id id, const char *value)
{
	uint16_t idx = m->nhdrs++;
	struct sipdp_hdr *h = &m->hdrs[idx];

	h->id = (uint8_t)id;
	h->value = sipdp_str_cstr(value);
	h->next = 0;
	if (m->first[id] == 0) {
		m->first[id] = (uint16_t)(idx + 1);
	} else {
		struct sipdp_hdr *t = &m->hdrs[m->first[id] - 1];
		while (t->next)
			t = &m->hdrs[t->next - 1];
		t->next = (uint16_t)(idx + 1);
	}
	m->count[id]++;
}

static void
test_msg_helpers_decode_indexed_headers(void)
{
	static struct sipdp_msg m; /* large: keep it off the stack */
	struct sipdp_via via;
	struct sipdp_nameaddr na;
	struct sipdp_cseq cs;

	memset(&m, 0, sizeof(m));
	CU_ASSERT_EQUAL(sipdp_msg_top_via(&m, &via), -ENOENT);
	CU_ASSERT_EQUAL(sipdp_msg_from(&m, &na), -ENOENT);
	CU_ASSERT_EQUAL(sipdp_msg_to(&m, &na), -ENOENT);
	CU_ASSERT_EQUAL(sipdp_msg_cseq(&m, &cs), -ENOENT);
	CU_ASSERT_FALSE(sipdp_msg_has_option(&m, SIPDP_HDR_SUPPORTED, SIPDP_STR("timer")));

	msg_add(&m, SIPDP_HDR_VIA, "SIP/2.0/UDP a.example.com;branch=z9hG4bKtop, "
				   "SIP/2.0/UDP b.example.com;branch=z9hG4bKsecond");
	msg_add(&m, SIPDP_HDR_VIA, "SIP/2.0/UDP c.example.com;branch=z9hG4bKthird");
	msg_add(&m, SIPDP_HDR_FROM, "\"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774");
	msg_add(&m, SIPDP_HDR_TO, "<sip:bob@biloxi.example.com>");
	msg_add(&m, SIPDP_HDR_CSEQ, "314160 REFER");
	msg_add(&m, SIPDP_HDR_SUPPORTED, "replaces");
	msg_add(&m, SIPDP_HDR_SUPPORTED, "norefersub, timer");
	msg_add(&m, SIPDP_HDR_REQUIRE, "100rel");

	CU_ASSERT_EQUAL(sipdp_msg_top_via(&m, &via), 0);
	CU_ASSERT_TRUE(str_is(via.branch, "z9hG4bKtop"));
	CU_ASSERT_TRUE(str_is(via.host, "a.example.com"));
	CU_ASSERT_EQUAL(sipdp_msg_from(&m, &na), 0);
	CU_ASSERT_TRUE(str_is(na.tag, "1928301774"));
	CU_ASSERT_EQUAL(sipdp_msg_to(&m, &na), 0);
	CU_ASSERT_PTR_NULL(na.tag.p);
	CU_ASSERT_TRUE(str_is(na.uri, "sip:bob@biloxi.example.com"));
	CU_ASSERT_EQUAL(sipdp_msg_cseq(&m, &cs), 0);
	CU_ASSERT_EQUAL(cs.num, 314160);
	CU_ASSERT_EQUAL(cs.method, SIPDP_METHOD_REFER);
	/* every instance of the header is searched */
	CU_ASSERT_TRUE(sipdp_msg_has_option(&m, SIPDP_HDR_SUPPORTED, SIPDP_STR("timer")));
	CU_ASSERT_TRUE(sipdp_msg_has_option(&m, SIPDP_HDR_SUPPORTED, SIPDP_STR("Replaces")));
	CU_ASSERT_FALSE(sipdp_msg_has_option(&m, SIPDP_HDR_SUPPORTED, SIPDP_STR("100rel")));
	CU_ASSERT_TRUE(sipdp_msg_has_option(&m, SIPDP_HDR_REQUIRE, SIPDP_STR("100rel")));

	/* malformed values surface as -EBADMSG / -ERANGE */
	memset(&m, 0, sizeof(m));
	msg_add(&m, SIPDP_HDR_VIA, "SIP/2.0/UDP 192.0.2.15;;,;,,");
	msg_add(&m, SIPDP_HDR_TO, "\"Mr. J. User <sip:j.user@example.com>");
	msg_add(&m, SIPDP_HDR_CSEQ, "36893488147419103232 REGISTER");
	CU_ASSERT_EQUAL(sipdp_msg_top_via(&m, &via), -EBADMSG);
	CU_ASSERT_EQUAL(sipdp_msg_to(&m, &na), -EBADMSG);
	CU_ASSERT_EQUAL(sipdp_msg_cseq(&m, &cs), -ERANGE);
}

/* ------------------------------------------------- over-read sweeps */

typedef int (*parse_fn)(struct sipdp_str s);

static int
run_uri(struct sipdp_str s)
{
	struct sipdp_uri u;
	return sipdp_uri_parse(s, &u);
}

static int
run_na(struct sipdp_str s)
{
	struct sipdp_nameaddr na;
	return sipdp_nameaddr_parse(s, &na);
}

static int
run_via(struct sipdp_str s)
{
	struct sipdp_via v;
	return sipdp_via_parse(s, &v);
}

static int
run_list(struct sipdp_str s)
{
	struct sipdp_str item;
	int rc;
	while ((rc = sipdp_list_next(&s, &item)) == 1)
		;
	return rc;
}

static int
run_params(struct sipdp_str s)
{
	struct sipdp_str n, v;
	int rc;
	while ((rc = sipdp_param_next(&s, &n, &v)) == 1)
		;
	return rc;
}

static int
run_contact(struct sipdp_str s)
{
	struct sipdp_contact c;
	int rc;
	while ((rc = sipdp_contact_next(&s, &c)) == 1)
		;
	return rc;
}

static int
run_values(struct sipdp_str s)
{
	/* Every small-value parser over the same bytes: each must stay
	 * inside them whatever they hold. */
	struct sipdp_cseq cs;
	struct sipdp_replaces r;
	struct sipdp_event ev;
	struct sipdp_subscription_state ss;
	struct sipdp_rack rack;
	struct sipdp_session_expires se;
	struct sipdp_reason rs;
	struct sipdp_retry_after ra;
	uint32_t v;
	bool b;
	int bad = 0;

	bad |= sipdp_cseq_parse(s, &cs) > 0;
	bad |= sipdp_uint_parse(s, UINT32_MAX, &v, NULL) > 0;
	bad |= sipdp_replaces_parse(s, &r) > 0;
	bad |= sipdp_refer_sub_parse(s, &b) > 0;
	bad |= sipdp_event_parse(s, &ev) > 0;
	bad |= sipdp_subscription_state_parse(s, &ss) > 0;
	bad |= sipdp_rack_parse(s, &rack) > 0;
	bad |= sipdp_rseq_parse(s, &v) > 0;
	bad |= sipdp_session_expires_parse(s, &se) > 0;
	bad |= sipdp_reason_parse(s, &rs) > 0;
	bad |= sipdp_retry_after_parse(s, &ra) > 0;
	return bad ? 1 : 0;
}

static void
sweep(parse_fn fn, const char *in, size_t len, int max_rc)
{
	struct guard_buf g;

	if (len == 0)
		len = strlen(in);
	/* Each prefix sits right before the guard page: a parser that looks
	 * one byte further than its view faults here. */
	for (size_t n = 0; n <= len; n++) {
		int rc = fn(guard_n(&g, in, n));
		guard_buf_free(&g);
		CU_ASSERT(rc <= max_rc);
	}
}

static void
test_every_prefix_stays_inside_its_view(void)
{
	static const char *const values[] = {
		"314159 INVITE", "12345@192.0.2.7;to-tag=7743;from-tag=6472;early-only",
		"terminated;reason=noresource;expires=1;retry-after=2", "776656 314159 INVITE",
		"1800;refresher=uac", "SIP;cause=200;text=\"Call \\\"completed\\\"\"",
		"120 (I'm (in) a \\) meeting);duration=3600", "refer;id=\"x\"", "true;x=\"y\"",
	};

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(uri_cases); i++)
		sweep(run_uri, uri_cases[i].in, 0, 0);
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(na_cases); i++)
		sweep(run_na, na_cases[i].in, na_cases[i].len, 0);
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(via_cases); i++)
		sweep(run_via, via_cases[i].in, 0, 0);
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(list_cases); i++)
		sweep(run_list, list_cases[i].in, 0, 0);
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(param_cases); i++)
		sweep(run_params, param_cases[i].in, 0, 0);
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(contact_cases); i++)
		sweep(run_contact, contact_cases[i].in, 0, 0);
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(values); i++)
		sweep(run_values, values[i], 0, 0);
}

static void
test_prefix_verdicts_are_exact(void)
{
	/* Truncations at the nasty places give a clean -EBADMSG. */
	static const char *const cut_uris[] = { "sip:a%", "sip:a%4", "sip:a@[", "sip:a@[::1",
						"sip:a@h;", "sip:a@h;p=", "sip:a@h?", "sip:a@h?x=%" };
	static const char *const cut_nas[] = { "\"", "\"a\\", "<", "<sip:a@h", "<sip:a@h>;",
					       "<sip:a@h>;tag=", "\"a\" " };

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(cut_uris); i++) {
		struct guard_buf g;
		CHECK(run_uri(guard(&g, cut_uris[i], 0)) == -EBADMSG, cut_uris[i], "cut URI");
		guard_buf_free(&g);
	}
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(cut_nas); i++) {
		struct guard_buf g;
		CHECK(run_na(guard(&g, cut_nas[i], 0)) == -EBADMSG, cut_nas[i], "cut name-addr");
		guard_buf_free(&g);
	}
}

static void
test_absent_value_reads_as_empty(void)
{
	/* sipdp_msg_hdr_value() gives p == NULL for an absent header. */
	struct sipdp_str none = SIPDP_STR_NULL, cur, a, b;
	struct sipdp_uri u;
	char buf[4];

	cur = none;
	CU_ASSERT_EQUAL(sipdp_list_next(&cur, &a), 0);
	cur = none;
	CU_ASSERT_EQUAL(sipdp_param_next(&cur, &a, &b), 0);
	CU_ASSERT_EQUAL(sipdp_param_find(none, SIPDP_STR("tag"), NULL), -ENOENT);
	CU_ASSERT_FALSE(sipdp_list_has_token(none, SIPDP_STR("timer")));
	CU_ASSERT_EQUAL(run_uri(none), -EBADMSG);
	CU_ASSERT_EQUAL(run_na(none), -EBADMSG);
	CU_ASSERT_EQUAL(run_via(none), -EBADMSG);
	CU_ASSERT_EQUAL(run_contact(none), 0);
	CU_ASSERT_EQUAL(run_values(none), 0);
	CU_ASSERT_EQUAL(sipdp_unescape(none, buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL_FATAL(sipdp_uri_parse(SIPDP_STR("sip:a@h"), &u), 0);
	CU_ASSERT_TRUE(sipdp_uri_equal(&u, &u));
}

/* ---------------------------------------------- fast paths vs references */

static bool
view_same(struct sipdp_str a, struct sipdp_str b)
{
	return a.p == b.p && a.len == b.len;
}

static bool
via_same(const struct sipdp_via *a, const struct sipdp_via *b)
{
	return view_same(a->protocol, b->protocol) && view_same(a->proto_name, b->proto_name) &&
	       view_same(a->proto_version, b->proto_version) &&
	       view_same(a->transport, b->transport) && view_same(a->host, b->host) &&
	       a->port == b->port && a->host_type == b->host_type &&
	       a->rport_present == b->rport_present && a->rport == b->rport && a->ttl == b->ttl &&
	       a->has_ttl == b->has_ttl && view_same(a->branch, b->branch) &&
	       view_same(a->received, b->received) && view_same(a->maddr, b->maddr) &&
	       view_same(a->params, b->params);
}

/* A message whose only header is @p id with value @p v. */
static void
one_header_msg(struct sipdp_msg *m, enum sipdp_hdr_id id, struct sipdp_str v)
{
	memset(m, 0, offsetof(struct sipdp_msg, hdrs));
	m->hdrs[0].value = v;
	m->hdrs[0].id = (uint8_t)id;
	m->hdrs[0].next = 0;
	m->first[id] = 1;
	m->count[id] = 1;
	m->nhdrs = 1;
}

static struct sipdp_msg hmsg;

static unsigned
via_disagreements(const char *in, size_t len)
{
	struct guard_buf g;
	struct sipdp_via a, b;
	struct sipdp_str cur, item;
	unsigned bad = 0;
	int ra, rb;

	CU_ASSERT_EQUAL_FATAL(guard_buf_make(&g, in, len), 0);
	struct sipdp_str v = sipdp_str_make(g.data, len);
	one_header_msg(&hmsg, SIPDP_HDR_VIA, v);
	ra = sipdp_msg_top_via(&hmsg, &a);
	cur = v;
	rb = sipdp_list_next(&cur, &item) <= 0 ? -EBADMSG : sipdp_hdr_via_parse_general(item, &b);
	if (rb == -EBADMSG || rb == -ERANGE)
		memset(&b, 0, sizeof(b));
	if (ra != rb || (ra == 0 && !via_same(&a, &b)) || (ra != 0 && !via_same(&a, &b))) {
		fprintf(stderr, "top Via differs on '%.*s': %d vs %d\n", (int)len, in, ra, rb);
		bad++;
	}
	cur = v;
	if (sipdp_list_next(&cur, &item) == 1) {
		ra = sipdp_via_parse(item, &a);
		rb = sipdp_hdr_via_parse_general(item, &b);
		if (ra != rb || (ra == 0 && !via_same(&a, &b))) {
			fprintf(stderr, "via-parm differs on '%.*s': %d vs %d\n", (int)item.len, item.p, ra, rb);
			bad++;
		}
	}
	guard_buf_free(&g);
	return bad;
}

static void
test_via_fast_path_matches_general(void)
{
	static const char *const sentby[] = {
		"192.0.2.10", "192.0.2.1", "10.0.0.255", "10.0.0.256", "010.0.0.1", "1.2.3.4a",
		"1.2.3", "1.2.3.4.", "1.2.3.4.5", "0.0.0.0", "255.255.255.255", "2001.1.1.1",
		"pc33.atlanta.example.com", "a.b.c", "a-b.c", "a.b.", "-a.b", "a-.b", "a..b",
		"example.com.", "1.example.com", "example.1com", "x", "[2001:db8::1]", "[::1",
		"edge-01.carrier-west.example.net", "a23456789012345.b", "a234567890123456.b",
		"a23456789012345678901234567890.b", "a234567890123456789012345678901.b",
	};
	static const char *const tails[] = {
		"", ":5060", ":0", ":65535", ":65536", ":050600", ":5060;branch=z9hG4bK776asdhds",
		";branch=z9hG4bK-524287-1---3c9d0f1a2b3c4d5e;rport", ";rport;branch=z9hG4bKa",
		";branch=z9hG4bKa,SIP/2.0/UDP h", ";branch=z9hG4bKa,", ";branch=z9hG4bKa, ,x",
		";branch=z9hG4bKa ,SIP/2.0/TCP b", ";branch=\"q\"", ";branch=", ";branch", ";;x",
		";received=192.0.2.1;branch=b", ";received=1.2.3;branch=b", ";ttl=255;maddr=1.2.3.4",
		";ttl=256", ";rport=0", ";rport=5060", ";maddr=-x", " ;branch=a", "; branch=a",
		";branch = a", ";x=<y>", ",", ":5060 ;branch=a", ";received=[2001:db8::1]",
		";branch=z9hG4bKabcdefghijklmnopqrstuvwxyz0123456789",
	};
	static const char *const protos[] = { "SIP/2.0/UDP ", "SIP/2.0/TLS ", "SIP / 2.0 / UDP ",
					      "SIP/2.0/UDP  ", "SIP/2.0/UDP\t", "SIP/2.0/ ", "sip/2.0/udp " };
	char in[512];
	unsigned bad = 0;

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(protos); i++)
		for (size_t h = 0; h < SIPDP_ARRAY_SIZE(sentby); h++)
			for (size_t t = 0; t < SIPDP_ARRAY_SIZE(tails); t++) {
				int n = snprintf(in, sizeof(in), "%s%s%s", protos[i], sentby[h], tails[t]);
				/* Every prefix too: each end a 16-byte load could
				 * cross. */
				for (int cut = n; cut >= 0; cut -= (i == 0 ? 1 : 7))
					bad += via_disagreements(in, (size_t)cut);
			}
	CU_ASSERT_EQUAL(bad, 0);
}

static unsigned
host_disagreements(const char *in, size_t len)
{
	struct guard_buf g;
	uint8_t ta = 0xee, tb = 0xee;
	unsigned bad = 0;

	CU_ASSERT_EQUAL_FATAL(guard_buf_make(&g, in, len), 0);
	const char *a = sipdp_hdr_host_scan(g.data, g.data + len, &ta);
	const char *b = sipdp_hdr_host_scan_bytes(g.data, g.data + len, &tb);
	if (a != b || (a != NULL && ta != tb)) {
		fprintf(stderr, "host scan differs on '%.*s'\n", (int)len, in);
		bad++;
	}
	guard_buf_free(&g);
	return bad;
}

static void
test_host_bitmap_path_matches_byte_scan(void)
{
	static const char *const labels[] = { "a", "pc33", "x-1", "-x", "x-", "1", "12", "ab1",
					      "a2345678901234", "", "EXAMPLE", "b_c" };
	static const char *const seps[] = { ".", "..", "-", "" };
	static const char *const tails[] = { "", ":5060", ";lr", ".", ".;", "-", "@x", " ",
					     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ">" };
	char in[256];
	unsigned bad = 0;

	for (size_t a = 0; a < SIPDP_ARRAY_SIZE(labels); a++)
		for (size_t s1 = 0; s1 < SIPDP_ARRAY_SIZE(seps); s1++)
			for (size_t b = 0; b < SIPDP_ARRAY_SIZE(labels); b++)
				for (size_t s2 = 0; s2 < SIPDP_ARRAY_SIZE(seps); s2++)
					for (size_t c = 0; c < SIPDP_ARRAY_SIZE(labels); c += 3)
						for (size_t t = 0; t < SIPDP_ARRAY_SIZE(tails); t++) {
							int n = snprintf(in, sizeof(in), "%s%s%s%s%s%s",
									 labels[a], seps[s1], labels[b],
									 seps[s2], labels[c], tails[t]);
							bad += host_disagreements(in, (size_t)n);
						}
	/* Dotted quads and their look-alikes, for the one-pass IPv4 path. */
	static const char *const quads[] = {
		"192.0.2.10", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3.256", "010.0.0.1",
		"0010.0.0.1", "1.2.3.4567", "1.2.3", "1.2.3.", "1.2.3.4.", "1.2.3.4.5", "1..2.3",
		"1.2.3.4a", "1.2.3.4-", "1.2.3.a", "1.2.3.4a.example", "12345", "1", "1.", "99.99.99.99",
	};
	static const char *const qtails[] = { "", ":5060", ";lr", ">", "@", "." };
	for (size_t q = 0; q < SIPDP_ARRAY_SIZE(quads); q++)
		for (size_t t = 0; t < SIPDP_ARRAY_SIZE(qtails); t++) {
			int n = snprintf(in, sizeof(in), "%s%s", quads[q], qtails[t]);
			for (int cut = n; cut > 0; cut--)
				bad += host_disagreements(in, (size_t)cut);
		}
	/* Names of every length around the 16- and 32-byte loads. */
	for (int len = 1; len < 40; len++) {
		for (int dot = 0; dot < len; dot += 3) {
			int n = 0;
			for (int i = 0; i < len; i++)
				in[n++] = i == dot ? '.' : (char)('a' + i % 26);
			in[n++] = ';';
			in[n] = '\0';
			bad += host_disagreements(in, (size_t)n);
			bad += host_disagreements(in, (size_t)n - 1);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static bool
na_same(const struct sipdp_nameaddr *a, const struct sipdp_nameaddr *b)
{
	return view_same(a->display, b->display) && view_same(a->uri, b->uri) &&
	       view_same(a->params, b->params) && view_same(a->tag, b->tag) && a->angle == b->angle;
}

static void
test_nameaddr_tag_step_matches_general(void)
{
	static const char *const heads[] = { "<sip:alice@atlanta.example.com>", "\"A\" <sip:a@b>", "sip:a@b",
					     "<sip:a@b>", "x <sip:+15550001111@pbx.customer.example.org;user=phone>" };
	static const char *const tails[] = {
		"", ";tag=1928301774", ";TAG=a6c85cf", ";tag=", ";tag", ";tag=\"q\"", ";tag=a b",
		";tag=a;x=1", ";tag=a,b", ";tagx=1", ";x;tag=2", " ;tag=1", "; tag=1", ";tag=as5f3c1a2b~!*'",
		";tag=abcdefghijklmnopqrstuvwxyz0123456789", ";tag=a%41", ";tag=a\r\n b", ";tag=<x>",
	};
	char in[256];
	unsigned bad = 0;

	for (size_t h = 0; h < SIPDP_ARRAY_SIZE(heads); h++)
		for (size_t t = 0; t < SIPDP_ARRAY_SIZE(tails); t++) {
			int n = snprintf(in, sizeof(in), "%s%s", heads[h], tails[t]);
			for (int cut = n; cut >= 0; cut--) {
				struct guard_buf g;
				struct sipdp_nameaddr a, b;
				CU_ASSERT_EQUAL_FATAL(guard_buf_make(&g, in, (size_t)cut), 0);
				struct sipdp_str v = sipdp_str_make(g.data, (size_t)cut);
				int ra = sipdp_nameaddr_parse(v, &a);
				int rb = sipdp_hdr_nameaddr_parse_general(v, &b);
				if (ra != rb || (ra == 0 && !na_same(&a, &b))) {
					fprintf(stderr, "name-addr differs on '%.*s'\n", cut, in);
					bad++;
				}
				guard_buf_free(&g);
			}
		}
	CU_ASSERT_EQUAL(bad, 0);
}

static void
test_cseq_fast_path_matches_general(void)
{
	static const char *const in[] = {
		"1 INVITE", "102 INVITE", "314159 ACK", "2147483647 BYE", "2147483648 BYE",
		"0 X", "0009 OPTIONS", "12345678901 BYE", "1  INVITE", "1 INVITE ", " 1 INVITE",
		"1\tINVITE", "1 INV<ITE", "1 ", "1", "", "x INVITE", "1 NEWMETHOD", "1 invite",
		"1 INVITE\r\n extra", "4294967296 ACK", "99999999999999999999 ACK", "1 SUBSCRIBE",
	};
	unsigned bad = 0;

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(in); i++) {
		size_t n = strlen(in[i]);
		for (size_t cut = 0; cut <= n; cut++) {
			struct guard_buf g;
			struct sipdp_cseq a, b;
			CU_ASSERT_EQUAL_FATAL(guard_buf_make(&g, in[i], cut), 0);
			struct sipdp_str v = sipdp_str_make(g.data, cut);
			one_header_msg(&hmsg, SIPDP_HDR_CSEQ, v);
			int ra = sipdp_msg_cseq(&hmsg, &a);
			int rb = sipdp_cseq_parse(v, &b);
			if (ra != rb || a.num != b.num || a.method != b.method ||
			    !view_same(a.method_str, b.method_str)) {
				fprintf(stderr, "CSeq differs on '%.*s'\n", (int)cut, in[i]);
				bad++;
			}
			guard_buf_free(&g);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* Max-Forwards (RFC 3261 §20.22): 1*DIGIT in 0..255, LWS around it. */
static void
test_max_forwards_is_0_to_255_digits_only(void)
{
	static const struct {
		const char *in;
		int rc;
		uint32_t v;
		const char *why;
	} t[] = {
		{ "70", 0, 70, "the usual value" },
		{ "0", 0, 0, "zero is a value (483 is the receiver's business)" },
		{ "255", 0, 255, "the top of the range" },
		{ " 69 ", 0, 69, "LWS around the number" },
		{ "\r\n 12", 0, 12, "a fold before it is LWS" },
		{ "007", 0, 7, "leading zeros are digits" },
		{ "256", -EBADMSG, 0, "above 255" },
		{ "99999999999999999999", -EBADMSG, 0, "never wraps" },
		{ "", -EBADMSG, 0, "empty" },
		{ "   ", -EBADMSG, 0, "only LWS" },
		{ "-1", -EBADMSG, 0, "no sign" },
		{ "7 0", -EBADMSG, 0, "two numbers" },
		{ "70;x=1", -EBADMSG, 0, "no parameters" },
		{ "0x10", -EBADMSG, 0, "decimal only" },
	};

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(t); i++) {
		size_t n = strlen(t[i].in);
		struct guard_buf g;
		uint32_t v = 4242;
		CU_ASSERT_EQUAL_FATAL(guard_buf_make(&g, t[i].in, n), 0);
		one_header_msg(&hmsg, SIPDP_HDR_MAX_FORWARDS, sipdp_str_make(g.data, n));
		int rc = sipdp_msg_max_forwards(&hmsg, &v);
		if (rc != t[i].rc || (rc == 0 && v != t[i].v) || (rc != 0 && v != 4242))
			fprintf(stderr, "Max-Forwards '%s' (%s): rc %d v %u\n", t[i].in, t[i].why, rc, v);
		CU_ASSERT_EQUAL(rc, t[i].rc);
		CU_ASSERT_EQUAL(v, rc == 0 ? t[i].v : 4242);
		guard_buf_free(&g);
	}
	/* absent: -ENOENT, nothing written */
	{
		uint32_t v = 4242;
		one_header_msg(&hmsg, SIPDP_HDR_CSEQ, SIPDP_STR("1 INVITE"));
		CU_ASSERT_EQUAL(sipdp_msg_max_forwards(&hmsg, &v), -ENOENT);
		CU_ASSERT_EQUAL(v, 4242);
	}
}

static struct sipdp_test_case cases[] = {
	{ "max_forwards_is_0_to_255_digits_only", test_max_forwards_is_0_to_255_digits_only },
	{ "via_fast_path_matches_general", test_via_fast_path_matches_general },
	{ "host_bitmap_path_matches_byte_scan", test_host_bitmap_path_matches_byte_scan },
	{ "nameaddr_tag_step_matches_general", test_nameaddr_tag_step_matches_general },
	{ "cseq_fast_path_matches_general", test_cseq_fast_path_matches_general },
	{ "list_splits_on_top_level_commas_only", test_list_splits_on_top_level_commas_only },
	{ "params_iterate_with_sws_and_reject_empty", test_params_iterate_with_sws_and_reject_empty },
	{ "param_find_is_case_insensitive", test_param_find_is_case_insensitive },
	{ "list_has_token_matches_whole_tokens", test_list_has_token_matches_whole_tokens },
	{ "uri_parse_table", test_uri_parse_table },
	{ "uri_equal_follows_rfc3261_19_1_4", test_uri_equal_follows_rfc3261_19_1_4 },
	{ "unescape_undoes_escapes_within_capacity", test_unescape_undoes_escapes_within_capacity },
	{ "uri_header_replaces_from_refer_to", test_uri_header_replaces_from_refer_to },
	{ "nameaddr_table", test_nameaddr_table },
	{ "nameaddr_defers_uri_validation", test_nameaddr_defers_uri_validation },
	{ "contact_table", test_contact_table },
	{ "via_table", test_via_table },
	{ "via_protocol_split_despite_lws", test_via_protocol_split_despite_lws },
	{ "cseq_table", test_cseq_table },
	{ "uint_parse_never_wraps", test_uint_parse_never_wraps },
	{ "replaces_requires_both_tags", test_replaces_requires_both_tags },
	{ "refer_sub_true_false_only", test_refer_sub_true_false_only },
	{ "event_type_and_id", test_event_type_and_id },
	{ "subscription_state_fields", test_subscription_state_fields },
	{ "rack_and_rseq_ranges", test_rack_and_rseq_ranges },
	{ "session_expires_refresher", test_session_expires_refresher },
	{ "reason_first_element", test_reason_first_element },
	{ "retry_after_comment_and_duration", test_retry_after_comment_and_duration },
	{ "msg_helpers_decode_indexed_headers", test_msg_helpers_decode_indexed_headers },
	{ "every_prefix_stays_inside_its_view", test_every_prefix_stays_inside_its_view },
	{ "prefix_verdicts_are_exact", test_prefix_verdicts_are_exact },
	{ "absent_value_reads_as_empty", test_absent_value_reads_as_empty },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("sipmsg_hdr", cases);
}
