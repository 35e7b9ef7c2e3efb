/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/call: the call policy (sipdp_call_policy.h) carried out on a UA, on
 * the in-memory network with a fake clock (test/common/ua_harness.h):
 *   ep 0  A, a caller at 192.0.2.10
 *   ep 1  S, sipdp: its UA, the policy and an env with a timing wheel
 *   ep 2  N, a caller at 198.51.100.7 (the source-network rule)
 *
 * Scenarios:
 *   rules_by_each_field        method, Request-URI user exact / prefix /
 *                              regex, host (IPv6 literal with or without
 *                              [ ]), From user, source network each pick
 *                              their rule; nothing matching gets 404; the
 *                              earlier rule wins when two match
 *   answer_after_ring_delay    180 at once, 200 with the rule's SDP exactly
 *                              at ring_ms on the fake clock (not a ms
 *                              before); the call pins its config until BYE
 *   cancel_during_ring_delay   487; the delay's timer finds the call gone and
 *                              sends nothing; the pin is given back
 *   reinvite_gets_same_sdp     an in-dialog offer is answered with the same
 *                              session description (same o= line)
 *   reject_retry_after_reason  486 with Retry-After and an RFC 3326 Reason
 *   redirect_contact           302 with the rule's Contact in < >
 *   prack_required_421         a rule requiring 100rel refuses a UAC without
 *                              it (RFC 3262 §3) and counts it
 *   sdp_expand                 the four variables for IPv6; -ENOSPC
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sipdp_call_policy.h"
#include "sipdp_test.h"
#include "ua_harness.h"

enum { A = 0, S = 1, N = 2 };

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
	"  - name: ring\n"
	"    match: {method: INVITE, ruri_user: ring}\n"
	"    answer:\n"
	"      send_180: true\n"
	"      ring_ms: 500\n"
	"      sdp: |\n"
	"        v=0\n"
	"        o=sipdp ${session_id} ${session_version} IN ${ip_version} ${local_ip}\n"
	"        s=sipdp\n"
	"        c=IN ${ip_version} ${local_ip}\n"
	"        t=0 0\n"
	"        m=audio 4000 RTP/AVP 0\n"
	"  - name: busy\n"
	"    match: {ruri_user_prefix: busy}\n"
	"    reject: {code: 486, retry_after: 30, reason: Gone fishing}\n"
	"  - name: moved\n"
	"    match: {ruri_user_regex: \"^mv-\\\\d+$\"}\n"
	"    redirect: {code: 302, contact: \"sip:new@192.0.2.9:5062;transport=udp\"}\n"
	"  - name: host6\n"
	"    match: {ruri_host: \"[2001:db8::1]\"}\n"
	"    reject: {code: 403}\n"
	"  - name: from\n"
	"    match: {from_user: alice}\n"
	"    reject: {code: 480}\n"
	"  - name: net\n"
	"    match: {source: 198.51.100.0/24}\n"
	"    reject: {code: 503}\n"
	"  - name: prack\n"
	"    match: {ruri_user: prk}\n"
	"    answer:\n"
	"      prack: required\n"
	"      sdp: |\n"
	"        v=0\n"
	"        o=sipdp 1 1 IN IP4 ${local_ip}\n"
	"        s=sipdp\n"
	"        t=0 0\n";

static struct uah_net *net;
static struct sipdp_cfg *cfg;
static struct sipdp_call_policy *pol;
static struct sipdp_call_env env;
static struct sipdp_timer_wheel *wheel;
static int pins;
static int last_rule;
static enum sipdp_call_verdict last_verdict;
static sipdp_handle_t last_dlg;

static void
pin(void *user, uintptr_t handle, int d)
{
	(void)user;
	CU_ASSERT_EQUAL(handle, (uintptr_t)pol);
	pins += d;
}

/* The source address of an endpoint, as the data path would give it. */
static void
src_of(const struct sipdp_tsx_dest *src, uint8_t addr[16])
{
	memset(addr, 0, 16);
	CU_ASSERT(inet_pton(AF_INET, src->addr[0] == N ? "198.51.100.7" : "192.0.2.10", addr) == 1);
}

static void
s_event(struct uah_ep *ep, const struct sipdp_ua_event *ev)
{
	uint8_t addr[16];

	(void)ep;
	switch (ev->type) {
	case SIPDP_UA_EV_INCOMING:
		last_dlg = ev->dlg;
		src_of(ev->src, addr);
		last_rule = sipdp_call_policy_match(pol, ev->msg, AF_INET, addr, env.scratch);
		last_verdict = sipdp_call_policy_incoming(&env, pol, (uintptr_t)pol, ev, last_rule,
			net->now_us);
		break;
	case SIPDP_UA_EV_REQUEST:
		sipdp_call_policy_request(&env, ev, net->now_us);
		break;
	case SIPDP_UA_EV_TERMINATED:
		sipdp_call_policy_terminated(&env, ev);
		break;
	default:
		break;
	}
}

static void
fire(void *arg, const struct sipdp_timer_event *ev)
{
	(void)arg;
	sipdp_call_policy_fire(&env, ev, net->now_us);
}

static void
tick(struct uah_net *n)
{
	(void)sipdp_timer_expire(wheel, n->now_us, fire, NULL, UINT32_MAX);
}

static void
setup(void)
{
	struct sipdp_cfg_errors errs;
	struct sipdp_timer_params tp = { .capacity = 64, .tick_us = 1000 };
	struct uah_ep *s;
	int rc;

	rc = sipdp_cfg_load_string(policy_yaml, strlen(policy_yaml), NULL, &cfg, &errs);
	if (rc != 0)
		sipdp_cfg_errors_print(stdout, &errs, "policy_yaml");
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(sipdp_call_policy_create(cfg, &pol), 0);
	CU_ASSERT_PTR_EQUAL(sipdp_call_policy_cfg(pol), cfg);
	net = uah_new();
	uah_add(net, 16, NULL);
	s = uah_add(net, 16, NULL);
	uah_add(net, 16, NULL);
	s->on_event = s_event;
	CU_ASSERT_EQUAL_FATAL(sipdp_timer_create(&tp, net->now_us, &wheel), 0);
	memset(&env, 0, sizeof(env));
	env.ua = s->ua;
	env.wheel = wheel;
	env.shard_id = 3;
	env.nb_local = 1;
	snprintf(env.local[0].ip, sizeof(env.local[0].ip), "192.0.2.1");
	env.local[0].family = AF_INET;
	env.contact = "<sip:sipdp@192.0.2.1>";
	CU_ASSERT_EQUAL_FATAL(sipdp_call_policy_scratch_create(&env.scratch), 0);
	env.pin = pin;
	pins = 0;
	last_rule = -100;
	net->on_tick = tick;
}

static void
teardown(void)
{
	if (getenv("SIPDP_TEST_TRACE") != NULL)
		uah_print(net);
	uah_free(net);
	sipdp_timer_destroy(wheel);
	sipdp_call_policy_scratch_destroy(env.scratch);
	sipdp_call_policy_destroy(pol);
	sipdp_cfg_free(cfg);
	net = NULL;
}

/* A call from @p from to S with this Request-URI and From. */
static sipdp_handle_t
call(uint8_t from, const char *ruri, const char *from_uri, const char *extra)
{
	sipdp_handle_t d = 0;
	char to[300];
	struct sipdp_ua_invite inv = {
		.ruri = sipdp_str_cstr(ruri),
		.from = sipdp_str_cstr(from_uri),
		.ctype = SIPDP_STR("application/sdp"),
		.body = SIPDP_STR("v=0\r\no=a 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n"
				  "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"),
		.dest = uah_dest(S),
		.extra = extra ? sipdp_str_cstr(extra) : SIPDP_STR_NULL,
	};

	snprintf(to, sizeof(to), "<%s>", ruri);
	inv.to = sipdp_str_cstr(to);
	CU_ASSERT_EQUAL(sipdp_ua_invite(net->ep[from].ua, &inv, net->now_us, &d), 0);
	return d;
}

/* The status of S's last final answer to an INVITE. */
static int
final_of_s(void)
{
	const struct uah_pkt *p = NULL;

	for (uint32_t i = net->nlog; i-- > 0;) {
		const struct uah_pkt *q = &net->log[i];

		if (q->from == S && strncmp(q->data, "SIP/2.0 ", 8) == 0 &&
		    strstr(q->data, " INVITE\r\n") != NULL && q->data[8] != '1') {
			p = q;
			break;
		}
	}
	return p != NULL ? atoi(p->data + 8) : 0;
}

/* S's answers with @p status to an INVITE. */
static unsigned
finals_of_s(int status)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < net->nlog; i++) {
		const struct uah_pkt *q = &net->log[i];

		n += q->from == S && strncmp(q->data, "SIP/2.0 ", 8) == 0 &&
			atoi(q->data + 8) == status && strstr(q->data, " INVITE\r\n") != NULL;
	}
	return n;
}

static void
test_rules_by_each_field(void)
{
	static const struct {
		uint8_t from;
		const char *ruri, *from_uri;
		int rule, status;
		const char *why;
	} t[] = {
		{ A, "sip:busy42@192.0.2.1", "sip:x@y", 2, 486, "user prefix" },
		{ A, "sip:mv-12@192.0.2.1", "sip:x@y", 3, 302, "user regex" },
		{ A, "sip:mv-12a@192.0.2.1", "sip:x@y", -ENOENT, 404, "regex anchored" },
		{ A, "sip:bob@[2001:db8::1]", "sip:x@y", 4, 403, "IPv6 host" },
		{ A, "sip:bob@192.0.2.1", "sip:alice@y", 5, 480, "From user" },
		{ A, "sip:bob@192.0.2.1", "sip:alicia@y", -ENOENT, 404, "From user exact" },
		{ N, "sip:bob@192.0.2.1", "sip:x@y", 6, 503, "source network" },
		{ N, "sip:busy@192.0.2.1", "sip:alice@y", 2, 486, "earlier rule wins" },
		{ A, "sip:ringing@192.0.2.1", "sip:x@y", -ENOENT, 404, "user exact" },
	};

	setup();
	for (unsigned i = 0; i < SIPDP_ARRAY_SIZE(t); i++) {
		call(t[i].from, t[i].ruri, t[i].from_uri, NULL);
		uah_run(net, net->now_us + 50 * UAH_MS);
		if (last_rule != t[i].rule || final_of_s() != t[i].status)
			printf("\n  case %u (%s): rule %d status %d\n", i, t[i].why, last_rule,
				final_of_s());
		CU_ASSERT_EQUAL(last_rule, t[i].rule);
		CU_ASSERT_EQUAL(final_of_s(), t[i].status);
	}
	CU_ASSERT_EQUAL(pins, 0);
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	teardown();
}

static void
test_answer_after_ring_delay(void)
{
	const struct uah_pkt *ok;
	sipdp_handle_t d;
	uint64_t t0;

	setup();
	t0 = net->now_us;
	d = call(A, "sip:ring@192.0.2.1", "sip:x@y", NULL);
	uah_run(net, t0 + 499 * UAH_MS);
	CU_ASSERT_EQUAL(last_verdict, SIPDP_CALL_VERDICT_ANSWER);
	CU_ASSERT_EQUAL(uah_count(net, S, "SIP/2.0 180"), 1);
	CU_ASSERT_EQUAL(uah_count(net, S, "SIP/2.0 200"), 0);
	CU_ASSERT_EQUAL(pins, 1);
	uah_run(net, t0 + 500 * UAH_MS);
	CU_ASSERT_EQUAL(uah_count(net, S, "SIP/2.0 200"), 1);
	ok = uah_nth(net, S, "SIP/2.0 200", 0);
	CU_ASSERT_FATAL(ok != NULL);
	CU_ASSERT_EQUAL(ok->at_us, t0 + 500 * UAH_MS);
	CU_ASSERT_PTR_NOT_NULL(strstr(ok->data, "Content-Type: application/sdp"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ok->data, "c=IN IP4 192.0.2.1\r\n"));
	/* o= session id and version: the shard in the top 16 bits, the
	 * dialog handle below. */
	{
		char o[96];
		unsigned long long sid = (3ull << 48) ^ (last_dlg & 0xffffffffffffull);

		snprintf(o, sizeof(o), "\r\no=sipdp %llu %llu IN IP4 192.0.2.1\r\n", sid, sid);
		CU_ASSERT_PTR_NOT_NULL(strstr(ok->data, o));
	}
	uah_run(net, net->now_us + 10 * UAH_MS);
	CU_ASSERT_EQUAL(sipdp_ua_bye(net->ep[A].ua, d, net->now_us), 0);
	uah_run(net, net->now_us + 10 * UAH_MS);
	CU_ASSERT_EQUAL(pins, 0);
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	teardown();
}

static void
test_cancel_during_ring_delay(void)
{
	sipdp_handle_t d;
	uint64_t t0;

	setup();
	t0 = net->now_us;
	d = call(A, "sip:ring@192.0.2.1", "sip:x@y", NULL);
	uah_run(net, t0 + 100 * UAH_MS);
	CU_ASSERT_EQUAL(pins, 1);
	CU_ASSERT_EQUAL(sipdp_ua_cancel(net->ep[A].ua, d, net->now_us), 0);
	uah_run(net, t0 + 2 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, S, "SIP/2.0 487"), 1);
	CU_ASSERT_EQUAL(finals_of_s(200), 0);
	CU_ASSERT_EQUAL(pins, 0);
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	teardown();
}

/* The o= line of a logged message. */
static void
o_line(const struct uah_pkt *p, char *out, size_t cap)
{
	const char *o = p ? strstr(p->data, "o=sipdp ") : NULL;
	size_t n = 0;

	out[0] = 0;
	if (o == NULL)
		return;
	while (o[n] != '\r' && n + 1 < cap)
		n++;
	memcpy(out, o, n);
	out[n] = 0;
}

static void
test_reinvite_gets_same_sdp(void)
{
	char first[128], again[128];
	sipdp_handle_t d;

	setup();
	d = call(A, "sip:ring@192.0.2.1", "sip:x@y", NULL);
	uah_run(net, net->now_us + UAH_SEC);
	CU_ASSERT_EQUAL_FATAL(uah_count(net, S, "SIP/2.0 200"), 1);
	o_line(uah_nth(net, S, "SIP/2.0 200", 0), first, sizeof(first));
	CU_ASSERT_EQUAL(sipdp_ua_reinvite(net->ep[A].ua, d, SIPDP_STR_NULL,
		SIPDP_STR("application/sdp"), SIPDP_STR("v=0\r\no=a 1 2 IN IP4 192.0.2.10\r\n"),
		7, net->now_us), 0);
	uah_run(net, net->now_us + UAH_SEC);
	CU_ASSERT_EQUAL_FATAL(uah_count(net, S, "SIP/2.0 200"), 2);
	o_line(uah_nth(net, S, "SIP/2.0 200", 1), again, sizeof(again));
	CU_ASSERT(first[0] != 0);
	CU_ASSERT_STRING_EQUAL(first, again);
	CU_ASSERT_EQUAL(sipdp_ua_bye(net->ep[A].ua, d, net->now_us), 0);
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(pins, 0);
	teardown();
}

static void
test_reject_retry_after_reason(void)
{
	const struct uah_pkt *p;

	setup();
	call(A, "sip:busy@192.0.2.1", "sip:x@y", NULL);
	uah_run(net, net->now_us + 50 * UAH_MS);
	CU_ASSERT_EQUAL(last_verdict, SIPDP_CALL_VERDICT_REJECT);
	p = uah_nth(net, S, "SIP/2.0 486", 0);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(p->data, "\r\nRetry-After: 30\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p->data, "\r\nReason: SIP;cause=486;text=\"Gone fishing\"\r\n"));
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	teardown();
}

static void
test_redirect_contact(void)
{
	const struct uah_pkt *p;

	setup();
	call(A, "sip:mv-7@192.0.2.1", "sip:x@y", NULL);
	uah_run(net, net->now_us + 50 * UAH_MS);
	CU_ASSERT_EQUAL(last_verdict, SIPDP_CALL_VERDICT_REDIRECT);
	p = uah_nth(net, S, "SIP/2.0 302", 0);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(p->data, "\r\nContact: <sip:new@192.0.2.9:5062;transport=udp>"));
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	teardown();
}

static void
test_prack_required_421(void)
{
	const struct uah_pkt *p;

	setup();
	call(A, "sip:prk@192.0.2.1", "sip:x@y", NULL);
	uah_run(net, net->now_us + 50 * UAH_MS);
	CU_ASSERT_EQUAL(last_verdict, SIPDP_CALL_VERDICT_REFUSED);
	p = uah_nth(net, S, "SIP/2.0 421", 0);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(p->data, "\r\nRequire: 100rel\r\n"));
	CU_ASSERT_EQUAL(env.xs.sent_421, 1);
	CU_ASSERT_EQUAL(pins, 0);
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	teardown();
}

static void
test_sdp_expand(void)
{
	static const char want[] = "o=x 5 6 IN IP6 2001:db8::1\r\n";
	char out[64];

	CU_ASSERT_EQUAL(sipdp_call_sdp_expand("o=x ${session_id} ${session_version} IN "
		"${ip_version} ${local_ip}\r\n", "2001:db8::1", AF_INET6, 5, 6, out, sizeof(out)),
		(int)sizeof(want) - 1);
	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT_EQUAL(sipdp_call_sdp_expand("${local_ip}", "2001:db8::1", AF_INET6, 5, 6, out, 11),
		-ENOSPC);
}

static struct sipdp_test_case cases[] = {
	{ "rules_by_each_field", test_rules_by_each_field },
	{ "answer_after_ring_delay", test_answer_after_ring_delay },
	{ "cancel_during_ring_delay", test_cancel_during_ring_delay },
	{ "reinvite_gets_same_sdp", test_reinvite_gets_same_sdp },
	{ "reject_retry_after_reason", test_reject_retry_after_reason },
	{ "redirect_contact", test_redirect_contact },
	{ "prack_required_421", test_prack_required_421 },
	{ "sdp_expand", test_sdp_expand },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("call_policy", cases);
}
