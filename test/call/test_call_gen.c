/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/call: the calls: generator (sipdp_call_gen.h) on a harness UA with a
 * fake clock (test/common/ua_harness.h), paced on that clock in
 * microseconds:
 *   ep 0  G, sipdp: its UA, the generator and an env with a timing wheel
 *   ep 1  P, the peer: answers (or rejects) every INVITE at once
 *
 * Scenarios:
 *   paced_calls_held_then_bye  rate 100/s, total 20: the first call on the
 *                              first poll, then one every 10 ms exactly;
 *                              each answered call gets its BYE hold_ms after
 *                              the 2xx; the report counts 20 attempted,
 *                              answered and BYEs, none live, and a done time
 *   failures_by_status         486 to every call: counted failed, by status
 *   max_concurrent_not_started calls beyond max_concurrent are not started
 *                              (counted), not retried
 *   stop_ends_the_run          the embedder's stop (drain): no call starts
 *                              after it; done once the live ones end
 *   share_and_create_errors    rate/total/max_concurrent divided over the
 *                              generators; refer_to with headers refused
 *                              with a reason
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sipdp_call_gen.h"
#include "sipdp_test.h"
#include "ua_harness.h"

enum { G = 0, P = 1 };

static struct uah_net *net;
static struct sipdp_cfg_calls calls;
static struct sipdp_call_gen *gen;
static struct sipdp_call_env env;
static struct sipdp_timer_wheel *wheel;
static bool stop;

static void
g_event(struct uah_ep *ep, const struct sipdp_ua_event *ev)
{
	(void)ep;
	switch (ev->type) {
	case SIPDP_UA_EV_ANSWERED:
		sipdp_call_gen_answered(gen, &env, ev, net->now_us);
		break;
	case SIPDP_UA_EV_FAILED:
		sipdp_call_gen_failed(gen, ev);
		break;
	case SIPDP_UA_EV_TERMINATED:
		sipdp_call_gen_terminated(gen, ev, net->now_us);
		break;
	default:
		break;
	}
}

static void
fire(void *arg, const struct sipdp_timer_event *ev)
{
	(void)arg;
	sipdp_call_gen_fire(gen, &env, ev, net->now_us);
}

static void
tick(struct uah_net *n)
{
	(void)sipdp_timer_expire(wheel, n->now_us, fire, NULL, UINT32_MAX);
	(void)sipdp_call_gen_poll(gen, &env, n->now_us, n->now_us, stop);
}

static void
calls_defaults(void)
{
	memset(&calls, 0, sizeof(calls));
	calls.enabled = true;
	snprintf(calls.target, sizeof(calls.target), "sip:service@192.0.2.2:5060");
	calls.rate = 100;
	calls.total = 20;
	calls.hold_ms = 200;
	snprintf(calls.sdp, sizeof(calls.sdp), "v=0\r\no=sipdp ${session_id} ${session_version} "
		"IN ${ip_version} ${local_ip}\r\ns=-\r\nc=IN IP4 ${local_ip}\r\nt=0 0\r\n");
}

static void
setup(enum uah_answer answer, uint16_t code)
{
	struct sipdp_timer_params tp = { .capacity = 256, .tick_us = 1000 };
	struct sipdp_call_gen_params gp = { 0 };
	struct uah_ep *g, *p;
	char err[128];

	net = uah_new();
	g = uah_add(net, 64, NULL);
	p = uah_add(net, 64, NULL);
	g->on_event = g_event;
	p->answer = answer;
	p->answer_code = code;
	CU_ASSERT_EQUAL_FATAL(sipdp_timer_create(&tp, net->now_us, &wheel), 0);
	memset(&env, 0, sizeof(env));
	env.ua = g->ua;
	env.wheel = wheel;
	env.shard_id = 0;
	gp.calls = &calls;
	gp.dest = uah_dest(P);
	gp.local_ip = "192.0.2.1";
	gp.contact_user = "sipdp";
	gp.index = 0;
	gp.count = 1;
	gp.clock_hz = 1000000; /* paced on the harness clock, in us */
	CU_ASSERT_EQUAL_FATAL(sipdp_call_gen_create(&gp, &gen, err, sizeof(err)), 0);
	stop = false;
	net->on_tick = tick;
}

static void
teardown(void)
{
	if (getenv("SIPDP_TEST_TRACE") != NULL)
		uah_print(net);
	uah_free(net);
	sipdp_timer_destroy(wheel);
	sipdp_call_gen_destroy(gen);
	gen = NULL;
	net = NULL;
}

static void
test_paced_calls_held_then_bye(void)
{
	const uint64_t t0 = 1000 * UAH_SEC; /* uah_new()'s clock */
	const struct uah_pkt *inv, *ok, *bye;

	calls_defaults();
	setup(UAH_ACCEPT_NOW, 0);
	uah_run(net, t0 + 95 * UAH_MS);
	CU_ASSERT_EQUAL(uah_count(net, G, "INVITE "), 10);
	for (uint32_t k = 0; k < 10; k++) {
		inv = uah_nth(net, G, "INVITE ", k);
		CU_ASSERT_FATAL(inv != NULL);
		CU_ASSERT_EQUAL(inv->at_us, t0 + UAH_MS + k * 10 * UAH_MS);
	}
	inv = uah_nth(net, G, "INVITE ", 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(inv->data, "INVITE sip:service@192.0.2.2:5060 SIP/2.0\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(inv->data, "\r\nFrom: <sip:sipdp@192.0.2.1>;tag="));
	CU_ASSERT_PTR_NOT_NULL(strstr(inv->data, "\r\nc=IN IP4 192.0.2.1\r\n"));
	CU_ASSERT_FALSE(gen->stopped);
	uah_run(net, t0 + 2 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, G, "INVITE "), 20);
	CU_ASSERT_EQUAL(uah_count(net, G, "BYE "), 20);
	/* Held hold_ms after the 2xx (the peer answers in the same ms). */
	ok = uah_nth(net, P, "SIP/2.0 200", 0);
	bye = uah_nth(net, G, "BYE ", 0);
	CU_ASSERT_FATAL(ok != NULL && bye != NULL);
	CU_ASSERT_EQUAL(bye->at_us, ok->at_us + 200 * UAH_MS);
	CU_ASSERT_EQUAL(gen->st.attempted, 20);
	CU_ASSERT_EQUAL(gen->st.answered, 20);
	CU_ASSERT_EQUAL(gen->st.failed, 0);
	CU_ASSERT_EQUAL(gen->st.not_started, 0);
	CU_ASSERT_EQUAL(gen->st.byes, 20);
	CU_ASSERT_EQUAL(gen->st.live, 0);
	CU_ASSERT_TRUE(gen->stopped);
	CU_ASSERT_EQUAL(gen->first_us, t0 + UAH_MS);
	CU_ASSERT(gen->done_us > gen->first_us);
	CU_ASSERT_EQUAL(gen->setup.count, 20);
	CU_ASSERT_EQUAL(sipdp_call_hist_percentile(&gen->setup, 990), 0); /* same ms */
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	teardown();
}

static void
test_failures_by_status(void)
{
	calls_defaults();
	calls.total = 5;
	setup(UAH_REJECT_NOW, 486);
	uah_run(net, net->now_us + UAH_SEC);
	CU_ASSERT_EQUAL(gen->st.attempted, 5);
	CU_ASSERT_EQUAL(gen->st.answered, 0);
	CU_ASSERT_EQUAL(gen->st.failed, 5);
	CU_ASSERT_EQUAL(gen->status[0], 486);
	CU_ASSERT_EQUAL(gen->status_count[0], 5);
	CU_ASSERT_EQUAL(gen->status[1], 0);
	CU_ASSERT_EQUAL(gen->st.byes, 0);
	CU_ASSERT_EQUAL(gen->st.live, 0);
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	teardown();
}

static void
test_max_concurrent_not_started(void)
{
	calls_defaults();
	calls.total = 10;
	calls.hold_ms = 1000;
	calls.max_concurrent = 2;
	setup(UAH_ACCEPT_NOW, 0);
	uah_run(net, net->now_us + 200 * UAH_MS);
	CU_ASSERT_EQUAL(gen->st.attempted, 2);
	CU_ASSERT_EQUAL(gen->st.not_started, 8);
	CU_ASSERT_EQUAL(gen->st.live, 2);
	CU_ASSERT_TRUE(gen->stopped);
	CU_ASSERT_EQUAL(gen->done_us, 0);
	uah_run(net, net->now_us + 2 * UAH_SEC);
	CU_ASSERT_EQUAL(gen->st.byes, 2);
	CU_ASSERT_EQUAL(gen->st.live, 0);
	CU_ASSERT(gen->done_us != 0);
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	teardown();
}

static void
test_stop_ends_the_run(void)
{
	calls_defaults();
	calls.total = 0;
	calls.duration_s = 60;
	setup(UAH_ACCEPT_NOW, 0);
	uah_run(net, net->now_us + 45 * UAH_MS);
	CU_ASSERT_EQUAL(gen->st.attempted, 5);
	stop = true;
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT_EQUAL(gen->st.attempted, 5);
	CU_ASSERT_TRUE(gen->stopped);
	CU_ASSERT_EQUAL(gen->done_us, 0); /* calls still held */
	uah_run(net, net->now_us + UAH_SEC);
	CU_ASSERT_EQUAL(gen->st.byes, 5);
	CU_ASSERT(gen->done_us != 0);
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	teardown();
}

static void
test_share_and_create_errors(void)
{
	struct sipdp_call_gen_params gp = { 0 };
	struct sipdp_call_gen *g = NULL;
	char err[128];

	calls_defaults();
	calls.rate = 100;
	calls.total = 10;
	calls.max_concurrent = 2;
	gp.calls = &calls;
	gp.dest = uah_dest(P);
	gp.local_ip = "2001:db8::1";
	gp.dest.family = AF_INET6;
	gp.contact_user = "sipdp";
	gp.count = 3;
	gp.clock_hz = 1000000;
	gp.index = 0;
	CU_ASSERT_EQUAL_FATAL(sipdp_call_gen_create(&gp, &g, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(g->rate, 34);
	CU_ASSERT_EQUAL(g->quota, 4);
	CU_ASSERT_EQUAL(g->max_live, 1);
	CU_ASSERT_EQUAL(g->burst, 1);
	CU_ASSERT_STRING_EQUAL(g->from, "<sip:sipdp@[2001:db8::1]>");
	sipdp_call_gen_destroy(g);
	gp.index = 2;
	CU_ASSERT_EQUAL_FATAL(sipdp_call_gen_create(&gp, &g, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(g->rate, 33);
	CU_ASSERT_EQUAL(g->quota, 3);
	CU_ASSERT_EQUAL(g->max_live, 1); /* 2 over 3: at least one each */
	sipdp_call_gen_destroy(g);
	snprintf(calls.refer_to, sizeof(calls.refer_to), "<sip:x@192.0.2.9>");
	g = NULL;
	CU_ASSERT_EQUAL(sipdp_call_gen_create(&gp, &g, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NULL(g);
	CU_ASSERT_STRING_EQUAL(err, "calls.refer_to <sip:x@192.0.2.9>: a bare SIP URI without "
		"headers, please");
	gp.clock_hz = 0;
	CU_ASSERT_EQUAL(sipdp_call_gen_create(&gp, &g, NULL, 0), -EINVAL);
}

static struct sipdp_test_case cases[] = {
	{ "paced_calls_held_then_bye", test_paced_calls_held_then_bye },
	{ "failures_by_status", test_failures_by_status },
	{ "max_concurrent_not_started", test_max_concurrent_not_started },
	{ "stop_ends_the_run", test_stop_ends_the_run },
	{ "share_and_create_errors", test_share_and_create_errors },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("call_gen", cases);
}
