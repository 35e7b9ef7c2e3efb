/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/shard logic that needs no NIC (suite 'unit'; an EAL with --no-huge for
 * rings and mbufs, skip 77 when it cannot start):
 *  - ownership: one worker owns a whole call (INVITE, ACK, BYE, responses
 *    without our branch) by hash(Call-ID); identifiers we generated route
 *    to the shard encoded in them (Call-ID of our INVITE, branch of our
 *    request in a response) without a hash; one worker owns everything;
 *    foreign Call-IDs spread over every worker
 *  - hand-off: a full SPSC ring takes what fits, frees the rest (mbufs back
 *    in the pool) and counts each one dropped
 *  - policy: first matching rule wins; method, Request-URI user exact /
 *    prefix / regex, host (case-insensitive, IPv6 with or without [ ]),
 *    From user, source network (IPv4 and IPv6 prefixes) each decide; no
 *    match is -ENOENT (the appliance answers 404)
 *  - SDP templates: the four variables replaced exactly, for IPv4 and
 *    IPv6; an output buffer too small is -ENOSPC
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "sipdp_msg_hdr.h"
#include "sipdp_shard.h"
#include "sipdp_test.h"
#include "sipdp_ua.h"

static struct sipdp_msg msg;

static void
parse(const char *text)
{
	CU_ASSERT_FATAL(sipdp_msg_parse(&msg, text, strlen(text), 0) > 0);
}

#define REQ(method, ruri, from, callid, branch)                                   \
	method " " ruri " SIP/2.0\r\n"                                            \
	"Via: SIP/2.0/UDP 192.0.2.2:5070;branch=" branch "\r\n"                   \
	"Max-Forwards: 70\r\n"                                                    \
	"From: <" from ">;tag=a1\r\n"                                             \
	"To: <" ruri ">\r\n"                                                      \
	"Call-ID: " callid "\r\n"                                                 \
	"CSeq: 1 " method "\r\n"                                                  \
	"Content-Length: 0\r\n\r\n"

#define RESP(code, callid, branch)                                                \
	"SIP/2.0 " code "\r\n"                                                    \
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=" branch "\r\n"                   \
	"From: <sip:a@192.0.2.1>;tag=a1\r\n"                                      \
	"To: <sip:b@192.0.2.2>;tag=b2\r\n"                                        \
	"Call-ID: " callid "\r\n"                                                 \
	"CSeq: 1 INVITE\r\n"                                                      \
	"Content-Length: 0\r\n\r\n"

static void
test_one_worker_owns_a_whole_foreign_call(void)
{
	uint16_t o;

	parse(REQ("INVITE", "sip:bob@192.0.2.1", "sip:alice@192.0.2.2", "abc123@peer",
		"z9hG4bK-1"));
	o = sipdp_shard_owner(&msg, 4);
	CU_ASSERT(o < 4);
	parse(REQ("ACK", "sip:bob@192.0.2.1", "sip:alice@192.0.2.2", "abc123@peer", "z9hG4bK-2"));
	CU_ASSERT_EQUAL(sipdp_shard_owner(&msg, 4), o);
	parse(REQ("BYE", "sip:bob@192.0.2.1", "sip:alice@192.0.2.2", "abc123@peer", "z9hG4bK-3"));
	CU_ASSERT_EQUAL(sipdp_shard_owner(&msg, 4), o);
	/* A response whose branch is not ours goes by its Call-ID too. */
	parse(RESP("200 OK", "abc123@peer", "z9hG4bK-foreign"));
	CU_ASSERT_EQUAL(sipdp_shard_owner(&msg, 4), o);
	CU_ASSERT_EQUAL(sipdp_shard_owner(&msg, 1), 0);
	CU_ASSERT_EQUAL(sipdp_shard_owner(&msg, 0), 0);
}

static void
test_foreign_call_ids_spread_over_every_worker(void)
{
	unsigned seen[4] = { 0 };
	char text[1024];

	for (int i = 0; i < 400; i++) {
		snprintf(text, sizeof(text), REQ("INVITE", "sip:bob@192.0.2.1", "sip:a@192.0.2.2",
			"%d-call@peer", "z9hG4bK-x"), i);
		parse(text);
		seen[sipdp_shard_owner(&msg, 4)]++;
	}
	/* 100 expected each; a hash that ignores bits would leave one empty
	 * or far off. */
	for (int w = 0; w < 4; w++)
		CU_ASSERT(seen[w] > 50 && seen[w] < 150);
}

/* Our own identifiers, from a UA of shard 3: the INVITE it sends. */
static char sent[4096];
static uint32_t sent_len;

static int
capture(void *user, const struct sipdp_tsx_dest *d, const char *buf, uint32_t len)
{
	(void)user;
	(void)d;
	memcpy(sent, buf, len < sizeof(sent) ? len : sizeof(sent) - 1);
	sent_len = len;
	return 0;
}

static void
ignore(void *user, const struct sipdp_ua_event *ev)
{
	(void)user;
	(void)ev;
}

static void
test_our_identifiers_route_to_their_shard_without_a_hash(void)
{
	struct sipdp_ua_params p = { 0 };
	struct sipdp_ua_invite inv = { 0 };
	struct sipdp_ua *ua;
	sipdp_handle_t h;
	struct sipdp_via via;
	char resp[2048];

	p.dialogs = 16;
	p.shard_id = 3;
	p.now_us = 1000000;
	p.contact = SIPDP_STR("<sip:sipdp@192.0.2.1:5060>");
	p.sent_by = SIPDP_STR("192.0.2.1:5060");
	p.user_agent = SIPDP_STR("test");
	p.send = capture;
	p.cb.on_incoming = ignore;
	p.secret[0] = 1;
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_create(&p, &ua), 0);
	inv.ruri = SIPDP_STR("sip:bob@192.0.2.2");
	inv.from = SIPDP_STR("<sip:sipdp@192.0.2.1>");
	inv.to = SIPDP_STR("<sip:bob@192.0.2.2>");
	inv.dest.family = AF_INET;
	inv.dest.port = 5060;
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_invite(ua, &inv, 1000000, &h), 0);
	sent[sent_len] = 0;
	parse(sent);
	/* Shard 3 of 4 (its Call-ID); with 2 workers shard 3 does not exist
	 * and the hash decides: still a valid worker. */
	CU_ASSERT_EQUAL(sipdp_shard_owner(&msg, 4), 3);
	CU_ASSERT(sipdp_shard_owner(&msg, 2) < 2);

	/* A response to it: the branch names shard 3, whatever the Call-ID. */
	CU_ASSERT_EQUAL_FATAL(sipdp_msg_top_via(&msg, &via), 0);
	snprintf(resp, sizeof(resp),
		"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=%.*s\r\n"
		"From: <sip:sipdp@192.0.2.1>;tag=x\r\nTo: <sip:bob@192.0.2.2>;tag=y\r\n"
		"Call-ID: not-ours-at-all\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
		(int)via.branch.len, via.branch.p);
	parse(resp);
	CU_ASSERT_EQUAL(sipdp_shard_owner(&msg, 4), 3);
	sipdp_ua_destroy(ua);
}

/* ------------------------------------------------------------ hand-off */

static struct rte_mempool *pool;

static void
test_full_handoff_ring_frees_and_counts_what_does_not_fit(void)
{
	struct rte_ring *r = sipdp_shard_handoff_ring_create("t_handoff", 4, SOCKET_ID_ANY);
	struct sipdp_dp_rx rx[5], out[5];
	uint64_t drops = 0;
	unsigned avail;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	avail = rte_mempool_avail_count(pool);
	for (int i = 0; i < 5; i++) {
		memset(&rx[i], 0, sizeof(rx[i]));
		rx[i].m = rte_pktmbuf_alloc(pool);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rx[i].m);
		rx[i].len = (uint32_t)i;
	}
	/* A ring of 4 holds 3. */
	CU_ASSERT_EQUAL(sipdp_shard_handoff_enqueue(r, rx, 5, &drops), 3);
	CU_ASSERT_EQUAL(drops, 2);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), avail - 3);
	CU_ASSERT_EQUAL(sipdp_shard_handoff_enqueue(r, rx, 0, &drops), 0);
	CU_ASSERT_EQUAL(drops, 2);
	/* What went through comes out whole and in order. */
	CU_ASSERT_EQUAL(rte_ring_sc_dequeue_burst_elem(r, out, sizeof(out[0]), 5, NULL), 3);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_PTR_EQUAL(out[i].m, rx[i].m);
		CU_ASSERT_EQUAL(out[i].len, (uint32_t)i);
		rte_pktmbuf_free(out[i].m);
	}
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), avail);
	rte_ring_free(r);
}

/* -------------------------------------------------------------- policy */

static const char policy_yaml[] =
	"lcores:\n"
	"  workers: [1]\n"
	"ports:\n"
	"  - name: net_null0\n"
	"    ipv4: 192.0.2.1/24\n"
	"policy:\n"
	"  - name: messages\n"
	"    match: {method: MESSAGE}\n"
	"    reject: {code: 488}\n"
	"  - name: exact\n"
	"    match: {method: INVITE, ruri_user: \"1000\"}\n"
	"    reject: {code: 486, retry_after: 60, reason: Gone fishing}\n"
	"  - name: prefix\n"
	"    match: {ruri_user_prefix: \"+33\"}\n"
	"    redirect: {contact: \"sip:fr@192.0.2.9\"}\n"
	"  - name: regex\n"
	"    match: {ruri_user_regex: \"^9[0-9]{3}$\"}\n"
	"    drop: true\n"
	"  - name: host\n"
	"    match: {ruri_host: example.COM}\n"
	"    reject: {code: 403}\n"
	"  - name: host6\n"
	"    match: {ruri_host: \"[2001:db8::1]\"}\n"
	"    reject: {code: 404}\n"
	"  - name: from\n"
	"    match: {from_user: alice}\n"
	"    reject: {code: 480}\n"
	"  - name: net4\n"
	"    match: {source: 198.51.100.0/24}\n"
	"    reject: {code: 503}\n"
	"  - name: net6\n"
	"    match: {source: \"2001:db8:1::/48\"}\n"
	"    reject: {code: 502}\n";

static struct sipdp_cfg *pcfg;
static struct sipdp_shard_policy *pol;
static struct sipdp_shard_policy_scratch *scratch;

static int
match(const char *text, int family, const char *src)
{
	uint8_t a[16] = { 0 };

	CU_ASSERT_FATAL(inet_pton(family, src, a) == 1);
	parse(text);
	return sipdp_shard_policy_match(pol, &msg, family, a, scratch);
}

#define INV(ruri, from) REQ("INVITE", ruri, from, "c@x", "z9hG4bK-p")

static void
test_first_matching_rule_decides(void)
{
	struct sipdp_cfg_errors errs;

	int rc = sipdp_cfg_load_string(policy_yaml, strlen(policy_yaml), NULL, &pcfg, &errs);

	if (rc != 0)
		sipdp_cfg_errors_print(stdout, &errs, "policy_yaml");
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(sipdp_shard_policy_create(pcfg, &pol), 0);
	CU_ASSERT_EQUAL_FATAL(sipdp_shard_policy_scratch_create(&scratch), 0);

	CU_ASSERT_EQUAL(match(REQ("MESSAGE", "sip:1000@192.0.2.1", "sip:x@y", "m@x", "z9hG4bK-m"),
		AF_INET, "192.0.2.2"), 0);
	CU_ASSERT_EQUAL(match(INV("sip:1000@192.0.2.1", "sip:alice@y"), AF_INET, "192.0.2.2"), 1);
	CU_ASSERT_EQUAL(match(INV("sip:10000@192.0.2.1", "sip:x@y"), AF_INET, "192.0.2.2"), -ENOENT);
	CU_ASSERT_EQUAL(match(INV("sip:+33123@192.0.2.1", "sip:x@y"), AF_INET, "192.0.2.2"), 2);
	CU_ASSERT_EQUAL(match(INV("sip:+3@192.0.2.1", "sip:x@y"), AF_INET, "192.0.2.2"), -ENOENT);
	CU_ASSERT_EQUAL(match(INV("sip:9123@192.0.2.1", "sip:x@y"), AF_INET, "192.0.2.2"), 3);
	CU_ASSERT_EQUAL(match(INV("sip:91234@192.0.2.1", "sip:x@y"), AF_INET, "192.0.2.2"), -ENOENT);
	CU_ASSERT_EQUAL(match(INV("sip:bob@Example.com", "sip:x@y"), AF_INET, "192.0.2.2"), 4);
	CU_ASSERT_EQUAL(match(INV("sip:bob@[2001:db8::1]", "sip:x@y"), AF_INET, "192.0.2.2"), 5);
	CU_ASSERT_EQUAL(match(INV("sip:bob@192.0.2.1", "sip:alice@y"), AF_INET, "192.0.2.2"), 6);
	CU_ASSERT_EQUAL(match(INV("sip:bob@192.0.2.1", "sip:alicia@y"), AF_INET, "192.0.2.2"),
		-ENOENT);
	CU_ASSERT_EQUAL(match(INV("sip:bob@192.0.2.1", "sip:x@y"), AF_INET, "198.51.100.7"), 7);
	CU_ASSERT_EQUAL(match(INV("sip:bob@192.0.2.1", "sip:x@y"), AF_INET, "198.51.101.7"),
		-ENOENT);
	CU_ASSERT_EQUAL(match(INV("sip:bob@192.0.2.1", "sip:x@y"), AF_INET6, "2001:db8:1:ff::9"), 8);
	CU_ASSERT_EQUAL(match(INV("sip:bob@192.0.2.1", "sip:x@y"), AF_INET6, "2001:db8:2::9"),
		-ENOENT);
	/* An IPv4 network never matches an IPv6 source with the same bytes. */
	CU_ASSERT_EQUAL(match(INV("sip:bob@192.0.2.1", "sip:x@y"), AF_INET6, "c633:6407::"),
		-ENOENT);
	/* The earlier rule wins when two match. */
	CU_ASSERT_EQUAL(match(INV("sip:1000@example.com", "sip:alice@y"), AF_INET, "198.51.100.7"),
		1);
	sipdp_shard_policy_destroy(pol);
	sipdp_shard_policy_scratch_destroy(scratch);
	sipdp_cfg_free(pcfg);
}

/* PCRE2 syntax (\\d, lookahead, alternation), matched on the user part in
 * place (the rest of the URI is not seen), and a pattern that backtracks
 * exponentially on a hostile user part stops at the match limit and counts
 * as no match instead of holding the worker. */
static const char regex_yaml[] =
	"lcores:\n"
	"  workers: [1]\n"
	"ports:\n"
	"  - name: net_null0\n"
	"    ipv4: 192.0.2.1/24\n"
	"policy:\n"
	"  - name: catastrophic\n"
	"    match: {ruri_user_regex: \"^(?:(a+)+x|a+b)$\"}\n"
	"    reject: {code: 480}\n"
	"  - name: fr-mobile\n"
	"    match: {ruri_user_regex: \"^\\\\+33(?=[67])\\\\d{9}$\"}\n"
	"    reject: {code: 403}\n"
	"  - name: services\n"
	"    match: {ruri_user_regex: \"^(voicemail|ivr)-\\\\w+$\"}\n"
	"    reject: {code: 404}\n";

static void
test_regex_pcre2_syntax_and_backtracking_bound(void)
{
	struct sipdp_cfg_errors errs;
	int rc = sipdp_cfg_load_string(regex_yaml, strlen(regex_yaml), NULL, &pcfg, &errs);

	if (rc != 0)
		sipdp_cfg_errors_print(stdout, &errs, "regex_yaml");
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(sipdp_shard_policy_create(pcfg, &pol), 0);
	CU_ASSERT_EQUAL_FATAL(sipdp_shard_policy_scratch_create(&scratch), 0);

	CU_ASSERT_EQUAL(match(INV("sip:+33612345678@192.0.2.1", "sip:x@y"), AF_INET, "192.0.2.2"), 1);
	CU_ASSERT_EQUAL(match(INV("sip:+33112345678@192.0.2.1", "sip:x@y"), AF_INET, "192.0.2.2"),
		-ENOENT);
	CU_ASSERT_EQUAL(match(INV("sip:+3361234567@192.0.2.1", "sip:x@y"), AF_INET, "192.0.2.2"),
		-ENOENT);
	CU_ASSERT_EQUAL(match(INV("sip:ivr-main@192.0.2.1", "sip:x@y"), AF_INET, "192.0.2.2"), 2);
	/* The host and parameters are not part of the subject. */
	CU_ASSERT_EQUAL(match(INV("sip:ivr-main@192.0.2.1;user=phone", "sip:x@y"), AF_INET,
		"192.0.2.2"), 2);
	/* Few a's: the failing branch backtracks a little, the second matches. */
	CU_ASSERT_EQUAL(match(INV("sip:aaaab@192.0.2.1", "sip:x@y"), AF_INET, "192.0.2.2"), 0);
	/* 20 a's: (a+)+x tries ~2^20 splits before the second branch; PCRE2's
	 * default limit (10,000,000) lets it get there and match, ours stops
	 * it first (PCRE2_ERROR_MATCHLIMIT), so no rule matches. */
	CU_ASSERT_EQUAL(match(INV("sip:aaaaaaaaaaaaaaaaaaaab@192.0.2.1", "sip:x@y"),
		AF_INET, "192.0.2.2"), -ENOENT);
	sipdp_shard_policy_destroy(pol);
	sipdp_shard_policy_scratch_destroy(scratch);
	sipdp_cfg_free(pcfg);
}

/* ----------------------------------------------------------------- SDP */

static const char tmpl[] =
	"v=0\r\n"
	"o=sipdp ${session_id} ${session_version} IN ${ip_version} ${local_ip}\r\n"
	"s=sipdp\r\n"
	"c=IN ${ip_version} ${local_ip}\r\n"
	"t=0 0\r\n";

static void
test_sdp_template_variables_are_replaced(void)
{
	char out[512];
	int n;

	n = sipdp_shard_sdp_expand(tmpl, "192.0.2.1", AF_INET, 42, 18446744073709551615ull, out,
		sizeof(out));
	static const char want4[] =
		"v=0\r\no=sipdp 42 18446744073709551615 IN IP4 192.0.2.1\r\ns=sipdp\r\n"
		"c=IN IP4 192.0.2.1\r\nt=0 0\r\n";
	CU_ASSERT_EQUAL(n, (int)sizeof(want4) - 1);
	CU_ASSERT_STRING_EQUAL(out, want4);
	n = sipdp_shard_sdp_expand(tmpl, "2001:db8::1", AF_INET6, 0, 7, out, sizeof(out));
	static const char want6[] =
		"v=0\r\no=sipdp 0 7 IN IP6 2001:db8::1\r\ns=sipdp\r\n"
		"c=IN IP6 2001:db8::1\r\nt=0 0\r\n";
	CU_ASSERT_EQUAL(n, (int)sizeof(want6) - 1);
	CU_ASSERT_STRING_EQUAL(out, want6);
	/* Exactly the room for the text is not enough: the NUL needs one. */
	CU_ASSERT_EQUAL(sipdp_shard_sdp_expand(tmpl, "2001:db8::1", AF_INET6, 0, 7, out,
		sizeof(want6) - 1), -ENOSPC);
	CU_ASSERT_EQUAL(sipdp_shard_sdp_expand(tmpl, "2001:db8::1", AF_INET6, 0, 7, out,
		sizeof(want6)), (int)sizeof(want6) - 1);
	CU_ASSERT_EQUAL(sipdp_shard_sdp_expand("a=${other}\r\n", "x", AF_INET, 1, 1, out,
		sizeof(out)), 12);
	CU_ASSERT_STRING_EQUAL(out, "a=${other}\r\n");
}

static struct sipdp_test_case cases[] = {
	{ "one_worker_owns_a_whole_foreign_call", test_one_worker_owns_a_whole_foreign_call },
	{ "foreign_call_ids_spread_over_every_worker",
	  test_foreign_call_ids_spread_over_every_worker },
	{ "our_identifiers_route_to_their_shard_without_a_hash",
	  test_our_identifiers_route_to_their_shard_without_a_hash },
	{ "full_handoff_ring_frees_and_counts_what_does_not_fit",
	  test_full_handoff_ring_frees_and_counts_what_does_not_fit },
	{ "first_matching_rule_decides", test_first_matching_rule_decides },
	{ "regex_pcre2_syntax_and_backtracking_bound", test_regex_pcre2_syntax_and_backtracking_bound },
	{ "sdp_template_variables_are_replaced", test_sdp_template_variables_are_replaced },
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	char prefix[64];
	int rc;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "--file-prefix=sipdp-test-shard-%d", (int)getpid());
	char *eal[] = { argv[0], "--no-huge", "--no-pci", prefix, "-m", "64", "--log-level=error",
		"--no-telemetry", "--no-shconf", NULL };
	if (rte_eal_init(9, eal) < 0) {
		printf("EAL init failed: skip\n");
		return 77;
	}
	pool = rte_pktmbuf_pool_create("t_shard", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (pool == NULL) {
		rte_eal_cleanup();
		return 77;
	}
	rc = sipdp_test_run("shard", cases);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return rc;
}
