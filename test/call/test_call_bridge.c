/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/call: the B2BUA bridge, against four user agents on the in-memory
 * network with a fake clock (test/common/ua_harness.h):
 *   ep 0  A, the caller
 *   ep 1  S, sipdp: its UA plus lib/call
 *   ep 2  B, the first target (callee)
 *   ep 3  C, the second target, or a transfer target
 *
 * Scenarios (docs/b2bua.md has a ladder for each):
 *   basic_call_bye_from_a      INVITE/180/200/ACK/BYE on both legs; nothing
 *                              of A's Via, Call-ID, tags or Contact reaches B
 *   bye_from_b                 BYE from the callee ends the caller's leg
 *   early_media_183_relayed    183 with SDP, then 200: both reach A
 *   cancel_from_a              CANCEL to the pending B leg, 487 to A
 *   failover_on_503            second target answers; first counted failed
 *   failure_relayed_with_reason  486 is the callee's answer: relayed at once
 *   ring_timeout_next_target   a target that never answers is given up after
 *                              ring_timeout_ms, the next one answers
 *   all_failed_best_real_status  a real 480 beats a silent target's 408
 *   target_marked_down_and_probed  skipped by new calls, probed with
 *                              OPTIONS, back up when it answers
 *   reinvite_relayed_each_way  re-INVITE from A and from B with their SDP
 *   glare_each_offer_gets_one_final  both re-INVITE at once: no loop
 *   info_and_message_relayed
 *   allow_list_filters_headers
 *   forked_b_first_2xx_wins    two 2xx on the B side: one bridged, the other
 *                              ACKed and ended with BYE
 *   max_duration_ends_both_legs
 *   max_forwards_zero_483_and_loop_482
 *   table_full_503_retry_after
 *   dead_leg_481_ends_the_call an INFO to a B that lost the call: both legs end
 *   refer_terminated_blind     REFER from B: 202, target called without an
 *                              offer, A re-INVITEd with C's SDP, NOTIFY 200,
 *                              B released, A and C bridged
 *   refer_target_fails_call_kept  NOTIFY carries 486, A-B stays up
 *   refer_rejected_by_rule     603
 *   redirect_followed_or_relayed  302 to an IP-literal Contact: called, or relayed
 */

#include <stdlib.h>
#include <string.h>

#include "sipdp_call.h"
#include "sipdp_test.h"
#include "ua_harness.h"

enum { A = 0, S = 1, B = 2, C = 3 };

static struct uah_net *net;
static struct sipdp_call *call;
static struct sipdp_cfg_bridge route, xroute;
static bool route_none;

static const char sdp_b[] = "v=0\r\no=b 2 2 IN IP4 198.51.100.2\r\ns=-\r\nc=IN IP4 198.51.100.2\r\n"
			    "t=0 0\r\nm=audio 4002 RTP/AVP 0\r\n";
static const char sdp_c[] = "v=0\r\no=c 3 3 IN IP4 198.51.100.3\r\ns=-\r\nc=IN IP4 198.51.100.3\r\n"
			    "t=0 0\r\nm=audio 4003 RTP/AVP 0\r\n";

static void
s_event(struct uah_ep *ep, const struct sipdp_ua_event *ev)
{
	(void)ep;
	if (ev->type == SIPDP_UA_EV_INCOMING) {
		/* Calls from B (the attended-transfer consultation) go to C. */
		const struct sipdp_cfg_bridge *r = ev->src && ev->src->addr[0] == B ? &xroute : &route;

		CU_ASSERT(sipdp_call_bridge(call, ev, r, 0, net->now_us) >= 0);
		return;
	}
	(void)sipdp_call_on_event(call, ev, net->now_us);
}

static void
s_xfer(void *user, const struct sipdp_ua_xfer_event *ev)
{
	(void)user;
	(void)sipdp_call_on_xfer(call, ev, net->now_us);
}

/* The transferee roles of A, B and C in these tests (the real endpoints'
 * side of REFER): B refers, the others never get a REFER. */
static struct {
	uint32_t done, progress;
	uint16_t last_status;
	uint8_t last_result;
} xfer_seen[4];

static bool accept_refer; /* endpoints accept a REFER (to C) instead of 603 */

static void
ep_xfer(void *user, const struct sipdp_ua_xfer_event *ev)
{
	struct uah_ep *ep = user;

	if (ev->type == SIPDP_UA_XFER_EV_DONE) {
		xfer_seen[ep->id].done++;
		xfer_seen[ep->id].last_status = ev->status;
		xfer_seen[ep->id].last_result = ev->result;
	} else if (ev->type == SIPDP_UA_XFER_EV_PROGRESS) {
		xfer_seen[ep->id].progress++;
	} else if (ev->type == SIPDP_UA_XFER_EV_REFER && accept_refer) {
		struct sipdp_ua_xfer_accept a = { .dest = uah_dest(C), .has_dest = true,
			.ctype = SIPDP_STR("application/sdp"), .body = SIPDP_STR(sdp_b) };

		CU_ASSERT_EQUAL(sipdp_ua_xfer_accept(ep->ua, ev->xfer, &a, net->now_us, NULL), 0);
	} else if (ev->type == SIPDP_UA_XFER_EV_REFER) {
		(void)sipdp_ua_xfer_reject(ep->ua, ev->xfer, 603, net->now_us);
	}
}

static void
s_tweak(struct sipdp_ua_params *p)
{
	static struct sipdp_ua_xfer_params xp;

	xp.on_xfer = s_xfer;
	p->xfer = &xp;
	uah_rel100_supported(p);
}

static bool b_rel100; /* the callee supports 100rel (and sends reliable 1xx) */

static void
ep_tweak(struct sipdp_ua_params *p)
{
	static struct sipdp_ua_xfer_params xp;

	xp.on_xfer = ep_xfer;
	p->xfer = &xp;
	if (b_rel100 && p->shard_id == B)
		uah_rel100_supported(p);
}

static const struct sipdp_cfg_bridge *
xroute_of(void *user, struct sipdp_str target)
{
	(void)user;
	(void)target;
	return route_none ? NULL : &xroute;
}

static void
tick(struct uah_net *n)
{
	(void)sipdp_call_expire(call, n->now_us, UINT32_MAX);
}

static void
target(struct sipdp_cfg_bridge *r, unsigned i, uint8_t ep, uint16_t prio)
{
	struct sipdp_cfg_target *t = &r->targets[i];

	memset(t, 0, sizeof(*t));
	snprintf(t->uri, sizeof(t->uri), "sip:${ruri_user}@198.51.100.%u;x=${from_user}", ep);
	t->addr.family = SIPDP_CFG_IPV4;
	t->addr.prefix = 32;
	t->addr.addr[0] = ep; /* the harness routes on addr[0] */
	t->port = 5060;
	t->priority = prio;
	t->weight = 1;
	if (r->nb_targets <= i)
		r->nb_targets = (uint8_t)(i + 1);
}

static void
route_defaults(struct sipdp_cfg_bridge *r)
{
	static const char *const allow[] = { "P-Asserted-Identity", "Privacy", "Reason" };

	memset(r, 0, sizeof(*r));
	r->ring_timeout_ms = 4000;
	r->answer_timeout_ms = 90000;
	r->nb_failover_codes = 2;
	r->failover_codes[0] = 480;
	r->failover_codes[1] = 408;
	r->down_after = 3;
	r->down_for_s = 30;
	r->probe_interval_s = 5;
	r->prack = SIPDP_CFG_PRACK_SUPPORTED;
	r->nb_headers = 3;
	for (unsigned i = 0; i < 3; i++)
		snprintf(r->headers[i], sizeof(r->headers[i]), "%s", allow[i]);
}

static void
setup(void)
{
	struct sipdp_call_params cp = { 0 };
	struct uah_ep *s;

	memset(xfer_seen, 0, sizeof(xfer_seen));
	route_none = false;
	net = uah_new();
	uah_add(net, 32, ep_tweak);
	s = uah_add(net, 64, s_tweak);
	uah_add(net, 32, ep_tweak);
	uah_add(net, 32, ep_tweak);
	s->on_event = s_event;
	route_defaults(&route);
	target(&route, 0, B, 1);
	route_defaults(&xroute);
	target(&xroute, 0, C, 1);
	cp.ua = s->ua;
	cp.bridges = 16;
	cp.seed = 42;
	cp.now_us = net->now_us;
	cp.route = xroute_of;
	CU_ASSERT_EQUAL_FATAL(sipdp_call_create(&cp, &call), 0);
	net->on_tick = tick;
}

static void
teardown(void)
{
	b_rel100 = false;
	accept_refer = false;
	/* SIPDP_TEST_TRACE=1 prints the traffic of each case (debugging). */
	if (getenv("SIPDP_TEST_TRACE") != NULL)
		uah_print(net);
	sipdp_call_destroy(call);
	uah_free(net);
	call = NULL;
	net = NULL;
}

/* A's call to S, as a SIP phone would make it. */
static sipdp_handle_t
a_calls(const char *extra)
{
	sipdp_handle_t d = 0;
	struct sipdp_ua_invite inv = {
		.ruri = SIPDP_STR("sip:+15551234@192.0.2.2"),
		.from = SIPDP_STR("\"Alice\" <sip:alice@192.0.2.1>"),
		.to = SIPDP_STR("<sip:+15551234@192.0.2.2>"),
		.ctype = SIPDP_STR("application/sdp"),
		.body = SIPDP_STR("v=0\r\no=a 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
				  "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"),
		.dest = uah_dest(S),
		.extra = extra ? sipdp_str_cstr(extra) : SIPDP_STR_NULL,
	};

	CU_ASSERT_EQUAL(sipdp_ua_invite(net->ep[A].ua, &inv, net->now_us, &d), 0);
	return d;
}

static bool
has(const struct uah_pkt *p, const char *s)
{
	return p != NULL && strstr(p->data, s) != NULL;
}

/* The Call-ID value of a logged message. */
static void
call_id_of(const struct uah_pkt *p, char *out, size_t cap)
{
	const char *h = p ? strstr(p->data, "Call-ID: ") : NULL;
	size_t n = 0;

	out[0] = 0;
	if (h == NULL)
		return;
	h += 9;
	while (h[n] != '\r' && n + 1 < cap)
		n++;
	memcpy(out, h, n);
	out[n] = 0;
}

static void
assert_all_idle(void)
{
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(sipdp_call_count(call), 0);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->bridges_live, 0);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->setups_live, 0);
}

static void
test_basic_call_bye_from_a(void)
{
	const struct uah_pkt *inv_b, *ok_a;
	char cid_a[128], cid_b[128];
	sipdp_handle_t d;

	setup();
	net->ep[B].answer = UAH_ACCEPT_NOW;
	d = a_calls("P-Asserted-Identity: <sip:+15550001@192.0.2.1>\r\nX-Secret: topology\r\n");
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[A], SIPDP_UA_EV_ANSWERED), 1);
	inv_b = uah_nth(net, S, "INVITE ", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inv_b);
	/* The target template: R-URI user and From user substituted. */
	CU_ASSERT(has(inv_b, "INVITE sip:+15551234@198.51.100.2;x=alice SIP/2.0"));
	CU_ASSERT(has(inv_b, "\"Alice\" <sip:alice@192.0.2.1>"));
	CU_ASSERT(has(inv_b, "Max-Forwards: 69"));
	CU_ASSERT(has(inv_b, "P-Asserted-Identity: <sip:+15550001@192.0.2.1>"));
	CU_ASSERT(!has(inv_b, "X-Secret"));
	CU_ASSERT(has(inv_b, "m=audio 4000"));
	/* Topology hiding: A's Via host, Call-ID and Contact stay on A's side. */
	call_id_of(uah_nth(net, A, "INVITE ", 0), cid_a, sizeof(cid_a));
	call_id_of(inv_b, cid_b, sizeof(cid_b));
	CU_ASSERT(strlen(cid_a) > 0 && strcmp(cid_a, cid_b) != 0);
	CU_ASSERT(!has(inv_b, cid_a));
	CU_ASSERT(!has(inv_b, "sip:ua0@"));
	CU_ASSERT(!has(inv_b, "Via: SIP/2.0/UDP 192.0.2.1"));
	ok_a = uah_nth(net, S, "SIP/2.0 200", 0);
	CU_ASSERT(has(ok_a, "m=audio 40")); /* B's answer SDP reached A */
	CU_ASSERT(!has(ok_a, "sip:ua2@"));
	CU_ASSERT(!has(ok_a, cid_b));
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->bridges_answered, 1);
	CU_ASSERT_EQUAL(sipdp_call_count(call), 1);

	CU_ASSERT_EQUAL(sipdp_ua_bye(net->ep[A].ua, d, net->now_us), 0);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT_EQUAL(uah_count(net, S, "BYE "), 1);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[B], SIPDP_UA_EV_TERMINATED), 1);
	CU_ASSERT_EQUAL(uah_evlast(&net->ep[B], SIPDP_UA_EV_TERMINATED)->reason,
		SIPDP_DLG_R_REMOTE_BYE);
	assert_all_idle();
	teardown();
}

static void
test_bye_from_b(void)
{
	setup();
	net->ep[B].answer = UAH_ACCEPT_NOW;
	a_calls(NULL);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT_EQUAL_FATAL(uah_evcount(&net->ep[B], SIPDP_UA_EV_CONFIRMED), 1);
	CU_ASSERT_EQUAL(sipdp_ua_bye(net->ep[B].ua, net->ep[B].last_incoming, net->now_us), 0);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evlast(&net->ep[A], SIPDP_UA_EV_TERMINATED)->reason,
		SIPDP_DLG_R_REMOTE_BYE);
	assert_all_idle();
	teardown();
}

static void
test_early_media_183_relayed(void)
{
	struct uah_ep *b;

	setup();
	b = &net->ep[B];
	a_calls(NULL);
	uah_run(net, net->now_us + 20 * UAH_MS);
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, b->last_incoming, 180, SIPDP_STR_NULL, SIPDP_STR_NULL,
		SIPDP_STR_NULL, net->now_us), 0);
	uah_run(net, net->now_us + 20 * UAH_MS);
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, b->last_incoming, 183, SIPDP_STR_NULL,
		SIPDP_STR("application/sdp"), SIPDP_STR(sdp_b), net->now_us), 0);
	uah_run(net, net->now_us + 20 * UAH_MS);
	CU_ASSERT_EQUAL(uah_count(net, S, "SIP/2.0 180"), 1);
	CU_ASSERT(has(uah_nth(net, S, "SIP/2.0 183", 0), "m=audio 4002"));
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[A], SIPDP_UA_EV_PROVISIONAL), 2);
	CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, b->last_incoming, 200, SIPDP_STR_NULL,
		SIPDP_STR("application/sdp"), SIPDP_STR(sdp_b), net->now_us), 0);
	uah_run(net, net->now_us + 50 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[A], SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(sipdp_ua_bye(b->ua, b->last_incoming, net->now_us), 0);
	assert_all_idle();
	teardown();
}

static void
test_cancel_from_a(void)
{
	sipdp_handle_t d;

	setup();
	net->ep[B].answer = UAH_RING;
	d = a_calls(NULL);
	uah_run(net, net->now_us + 50 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[A], SIPDP_UA_EV_PROVISIONAL), 1);
	CU_ASSERT_EQUAL(sipdp_ua_cancel(net->ep[A].ua, d, net->now_us), 0);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT_EQUAL(uah_count(net, S, "CANCEL "), 1);
	CU_ASSERT_EQUAL(uah_count(net, S, "SIP/2.0 487"), 1);
	CU_ASSERT_EQUAL(uah_evlast(&net->ep[A], SIPDP_UA_EV_FAILED)->status, 487);
	CU_ASSERT_EQUAL(uah_evlast(&net->ep[B], SIPDP_UA_EV_TERMINATED)->reason,
		SIPDP_DLG_R_CANCELLED);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->bridges_cancelled, 1);
	assert_all_idle();
	teardown();
}

static void
test_failover_on_503(void)
{
	setup();
	target(&route, 1, C, 2);
	net->ep[B].answer = UAH_REJECT_NOW;
	net->ep[B].answer_code = 503;
	net->ep[C].answer = UAH_ACCEPT_NOW;
	a_calls(NULL);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[A], SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[C], SIPDP_UA_EV_INCOMING), 1);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->failovers, 1);
	CU_ASSERT_EQUAL(uah_count(net, S, "SIP/2.0 503"), 0); /* A never saw it */
	CU_ASSERT_EQUAL(sipdp_ua_bye(net->ep[A].ua, uah_evlast(&net->ep[A], SIPDP_UA_EV_ANSWERED)->dlg,
		net->now_us), 0);
	assert_all_idle();
	teardown();
}

static void
test_failure_relayed_with_reason(void)
{
	setup();
	target(&route, 1, C, 2);
	net->ep[B].answer = UAH_REJECT_NOW;
	net->ep[B].answer_code = 486;
	net->ep[C].answer = UAH_ACCEPT_NOW;
	a_calls(NULL);
	uah_run(net, net->now_us + 100 * UAH_MS);
	/* Busy is the callee's answer, not a reason to try elsewhere. */
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[C], SIPDP_UA_EV_INCOMING), 0);
	CU_ASSERT_EQUAL(uah_evlast(&net->ep[A], SIPDP_UA_EV_FAILED)->status, 486);
	CU_ASSERT(has(uah_nth(net, S, "SIP/2.0 486", 0), "Reason: SIP;cause=486"));
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->bridges_failed, 1);
	assert_all_idle();
	teardown();
}

static void
test_ring_timeout_next_target(void)
{
	setup();
	route.ring_timeout_ms = 1000;
	target(&route, 1, C, 2);
	net->ep[B].drop_next = 1000; /* B's host is silent: no 100, no 180 */
	net->ep[C].answer = UAH_ACCEPT_NOW;
	a_calls(NULL);
	uah_run(net, net->now_us + 900 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[C], SIPDP_UA_EV_INCOMING), 0);
	uah_run(net, net->now_us + 300 * UAH_MS);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->ring_timeouts, 1);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[C], SIPDP_UA_EV_INCOMING), 1);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[A], SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(sipdp_ua_bye(net->ep[C].ua, net->ep[C].last_incoming, net->now_us), 0);
	net->ep[B].drop_next = 0;
	assert_all_idle();
	teardown();
}

static void
test_all_failed_best_real_status(void)
{
	setup();
	route.ring_timeout_ms = 500;
	target(&route, 1, C, 2);
	net->ep[B].answer = UAH_REJECT_NOW;
	net->ep[B].answer_code = 480;
	net->ep[C].drop_next = 1000;
	a_calls(NULL);
	uah_run(net, net->now_us + 2 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_evlast(&net->ep[A], SIPDP_UA_EV_FAILED)->status, 480);
	net->ep[C].drop_next = 0;
	assert_all_idle();
	teardown();
}

static void
test_target_marked_down_and_probed(void)
{
	struct sipdp_call_target_state ts;

	setup();
	route.ring_timeout_ms = 200;
	route.down_after = 2;
	route.down_for_s = 10;
	route.probe_interval_s = 2;
	target(&route, 1, C, 2);
	net->ep[B].drop_next = 100000;
	net->ep[C].answer = UAH_ACCEPT_NOW;
	net->ep[C].answer_requests = true;
	for (int i = 0; i < 2; i++) {
		a_calls(NULL);
		uah_run(net, net->now_us + 500 * UAH_MS);
	}
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->targets_down, 1);
	CU_ASSERT_EQUAL(sipdp_call_target_state(call, &route.targets[0], &ts), 0);
	CU_ASSERT(ts.down);
	/* A new call goes straight to C: no INVITE to B, no wait. */
	{
		uint32_t to_b = 0, before = net->nlog;

		a_calls(NULL);
		uah_run(net, net->now_us + 50 * UAH_MS);
		for (uint32_t i = before; i < net->nlog; i++)
			to_b += net->log[i].from == S && net->log[i].to == B;
		CU_ASSERT_EQUAL(to_b, 0);
		CU_ASSERT_EQUAL(uah_evcount(&net->ep[A], SIPDP_UA_EV_ANSWERED), 3);
	}
	/* After down_for_s, OPTIONS probes; B answers once it is back. */
	uah_run(net, net->now_us + 10 * UAH_SEC);
	CU_ASSERT(uah_count(net, S, "OPTIONS ") >= 1);
	CU_ASSERT(sipdp_call_stats(call)->probes_sent >= 1);
	net->ep[B].drop_next = 0;
	uah_run(net, net->now_us + 3 * UAH_SEC);
	CU_ASSERT(sipdp_call_stats(call)->probes_ok >= 1);
	CU_ASSERT_EQUAL(sipdp_call_target_state(call, &route.targets[0], &ts), 0);
	CU_ASSERT(!ts.down);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->targets_down_now, 0);
	for (uint32_t i = 0; i < net->ep[A].nevs; i++)
		if (net->ep[A].evs[i].type == SIPDP_UA_EV_ANSWERED)
			(void)sipdp_ua_bye(net->ep[A].ua, net->ep[A].evs[i].dlg, net->now_us);
	assert_all_idle();
	teardown();
}

/* A and B in a bridged call; returns A's dialog. */
static sipdp_handle_t
bridged(void)
{
	net->ep[B].answer = UAH_ACCEPT_NOW;
	a_calls(NULL);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT_EQUAL_FATAL(uah_evcount(&net->ep[A], SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL_FATAL(uah_evcount(&net->ep[B], SIPDP_UA_EV_CONFIRMED), 1);
	return uah_evlast(&net->ep[A], SIPDP_UA_EV_ANSWERED)->dlg;
}

static void
test_reinvite_relayed_each_way(void)
{
	sipdp_handle_t a;
	struct uah_ep *b;

	setup();
	a = bridged();
	b = &net->ep[B];
	net->ep[A].answer_requests = true;
	b->answer_requests = true;
	CU_ASSERT_EQUAL(sipdp_ua_reinvite(net->ep[A].ua, a, SIPDP_STR_NULL,
		SIPDP_STR("application/sdp"), SIPDP_STR(sdp_c), 7, net->now_us), 0);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_REQUEST), 1);
	CU_ASSERT(has(uah_nth(net, S, "INVITE ", 1), "m=audio 4003"));
	CU_ASSERT_EQUAL(uah_evlast(&net->ep[A], SIPDP_UA_EV_RESPONSE)->status, 200);
	CU_ASSERT_EQUAL(uah_evlast(&net->ep[A], SIPDP_UA_EV_RESPONSE)->req_ref, 7);

	CU_ASSERT_EQUAL(sipdp_ua_reinvite(b->ua, b->last_incoming, SIPDP_STR_NULL,
		SIPDP_STR("application/sdp"), SIPDP_STR(sdp_b), 8, net->now_us), 0);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[A], SIPDP_UA_EV_REQUEST), 1);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_RESPONSE)->status, 200);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->relayed_requests, 2);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->relayed_responses, 2);
	CU_ASSERT_EQUAL(sipdp_ua_bye(net->ep[A].ua, a, net->now_us), 0);
	assert_all_idle();
	teardown();
}

/* An endpoint that re-sends its offer when its own §14.1 wait ends, as a
 * phone does: A owns its Call-ID (waits 2.1-4 s), B does not (0-2 s). */
static void
retry_on_glare(struct uah_ep *ep, const struct sipdp_ua_event *ev)
{
	if (ev->type == SIPDP_UA_EV_GLARE_RETRY)
		CU_ASSERT_EQUAL(sipdp_ua_reinvite(ep->ua, ev->dlg, SIPDP_STR_NULL,
			SIPDP_STR("application/sdp"), SIPDP_STR(ep->id == A ? sdp_c : sdp_b),
			ep->id, net->now_us), 0);
}

static uint32_t
finals(const struct uah_ep *ep, uint16_t status)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < ep->nevs; i++)
		n += ep->evs[i].type == SIPDP_UA_EV_RESPONSE && ep->evs[i].status == status;
	return n;
}

static void
test_glare_each_offer_gets_one_final(void)
{
	sipdp_handle_t a;
	struct uah_ep *b;

	setup();
	a = bridged();
	b = &net->ep[B];
	net->ep[A].answer_requests = true;
	b->answer_requests = true;
	net->ep[A].on_event = retry_on_glare;
	b->on_event = retry_on_glare;
	CU_ASSERT_EQUAL(sipdp_ua_reinvite(net->ep[A].ua, a, SIPDP_STR_NULL,
		SIPDP_STR("application/sdp"), SIPDP_STR(sdp_c), A, net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_ua_reinvite(b->ua, b->last_incoming, SIPDP_STR_NULL,
		SIPDP_STR("application/sdp"), SIPDP_STR(sdp_b), B, net->now_us), 0);
	uah_run(net, net->now_us + 200 * UAH_MS);
	/* The first round: each offer got exactly one final, a 491. */
	CU_ASSERT_EQUAL(finals(&net->ep[A], 491), 1);
	CU_ASSERT_EQUAL(finals(b, 491), 1);
	/* Each side retries on its own timer; both offers then cross. */
	uah_run(net, net->now_us + 10 * UAH_SEC);
	CU_ASSERT_EQUAL(finals(&net->ep[A], 200), 1);
	CU_ASSERT_EQUAL(finals(b, 200), 1);
	CU_ASSERT_EQUAL(finals(&net->ep[A], 491), 1);
	CU_ASSERT_EQUAL(finals(b, 491), 1);
	CU_ASSERT_EQUAL(uah_count(net, S, "SIP/2.0 491"), 2);
	net->ep[A].on_event = NULL;
	b->on_event = NULL;
	CU_ASSERT_EQUAL(sipdp_ua_bye(net->ep[A].ua, a, net->now_us), 0);
	assert_all_idle();
	teardown();
}

static void
test_info_and_message_relayed(void)
{
	sipdp_handle_t a;

	setup();
	a = bridged();
	net->ep[B].answer_requests = true;
	CU_ASSERT_EQUAL(sipdp_ua_request(net->ep[A].ua, a, SIPDP_STR("INFO"), SIPDP_STR_NULL,
		SIPDP_STR("application/dtmf-relay"), SIPDP_STR("Signal=5\r\nDuration=160\r\n"), 3,
		net->now_us), 0);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT(has(uah_nth(net, S, "INFO ", 0), "Signal=5"));
	CU_ASSERT_EQUAL(uah_evlast(&net->ep[A], SIPDP_UA_EV_RESPONSE)->status, 200);
	CU_ASSERT_EQUAL(sipdp_ua_request(net->ep[A].ua, a, SIPDP_STR("MESSAGE"), SIPDP_STR_NULL,
		SIPDP_STR("text/plain"), SIPDP_STR("hello"), 4, net->now_us), 0);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT(has(uah_nth(net, S, "MESSAGE ", 0), "hello"));
	CU_ASSERT_EQUAL(uah_evlast(&net->ep[A], SIPDP_UA_EV_RESPONSE)->req_ref, 4);
	CU_ASSERT_EQUAL(uah_evlast(&net->ep[A], SIPDP_UA_EV_RESPONSE)->status, 200);
	CU_ASSERT_EQUAL(sipdp_ua_bye(net->ep[A].ua, a, net->now_us), 0);
	assert_all_idle();
	teardown();
}

static void
test_allow_list_empty_passes_nothing(void)
{
	setup();
	route.nb_headers = 0;
	net->ep[B].answer = UAH_ACCEPT_NOW;
	a_calls("P-Asserted-Identity: <sip:+15550001@192.0.2.1>\r\n");
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT(!has(uah_nth(net, S, "INVITE ", 0), "P-Asserted-Identity"));
	CU_ASSERT_EQUAL(sipdp_ua_bye(net->ep[B].ua, net->ep[B].last_incoming, net->now_us), 0);
	assert_all_idle();
	teardown();
}

static void
test_forked_b_first_2xx_wins(void)
{
	setup();
	/* The B target is a forking proxy in front of B and C. */
	route.targets[0].addr.addr[0] = UAH_FORK;
	net->fork_to[0] = B;
	net->fork_to[1] = C;
	net->nfork = 2;
	net->ep[B].answer = UAH_ACCEPT_NOW;
	net->ep[C].answer = UAH_ACCEPT_NOW;
	a_calls(NULL);
	uah_run(net, net->now_us + 200 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[A], SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(uah_count(net, S, "SIP/2.0 200"), 1);
	/* The losing fork was ACKed, then ended with BYE. */
	CU_ASSERT_EQUAL(uah_count(net, S, "BYE "), 1);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->forks_answered_late, 1);
	CU_ASSERT_EQUAL(sipdp_call_count(call), 1);
	CU_ASSERT_EQUAL(sipdp_ua_bye(net->ep[A].ua, uah_evlast(&net->ep[A], SIPDP_UA_EV_ANSWERED)->dlg,
		net->now_us), 0);
	assert_all_idle();
	teardown();
}

static void
test_max_duration_ends_both_legs(void)
{
	setup();
	route.max_duration_s = 60;
	bridged();
	uah_run(net, net->now_us + 59 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, S, "BYE "), 0);
	uah_run(net, net->now_us + 2 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, S, "BYE "), 2);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->max_duration_ends, 1);
	assert_all_idle();
	teardown();
}

static void
test_max_forwards_zero_483_and_loop_482(void)
{
	const char *mf0 =
		"INVITE sip:x@192.0.2.2 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-mf0\r\n"
		"Max-Forwards: 0\r\nFrom: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:x@192.0.2.2>\r\n"
		"Call-ID: mf0@x\r\nCSeq: 1 INVITE\r\nContact: <sip:a@192.0.2.1>\r\n"
		"Content-Length: 0\r\n\r\n";

	setup();
	uah_inject(net, A, S, mf0);
	uah_run(net, net->now_us + 50 * UAH_MS);
	CU_ASSERT_EQUAL(uah_count(net, S, "SIP/2.0 483"), 1);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->too_many_hops_483, 1);
	/* A route that leads back to S: S's own B-leg INVITE returns. */
	route.targets[0].addr.addr[0] = S;
	net->ep[B].answer = UAH_ACCEPT_NOW;
	a_calls(NULL);
	uah_run(net, net->now_us + 200 * UAH_MS);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->loop_482, 1);
	CU_ASSERT_EQUAL(uah_evlast(&net->ep[A], SIPDP_UA_EV_FAILED)->status, 482);
	assert_all_idle();
	teardown();
}

static void
test_table_full_503_retry_after(void)
{
	struct sipdp_call_params cp = { 0 };

	setup();
	sipdp_call_destroy(call);
	cp.ua = net->ep[S].ua;
	cp.bridges = 1;
	cp.now_us = net->now_us;
	CU_ASSERT_EQUAL_FATAL(sipdp_call_create(&cp, &call), 0);
	net->ep[B].answer = UAH_RING;
	a_calls(NULL);
	a_calls(NULL);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->full_503, 1);
	CU_ASSERT(has(uah_nth(net, S, "SIP/2.0 503", 0), "Retry-After:"));
	CU_ASSERT_EQUAL(sipdp_ua_cancel(net->ep[A].ua, uah_evlast(&net->ep[A], SIPDP_UA_EV_PROVISIONAL)->dlg,
		net->now_us), 0);
	assert_all_idle();
	teardown();
}

/* A callee that lost the call (restarted): 481 to anything in the dialog. */
static void
answer_481(struct uah_ep *ep, const struct sipdp_ua_event *ev)
{
	if (ev->type == SIPDP_UA_EV_REQUEST)
		(void)sipdp_ua_respond(ep->ua, ev->dlg, ev->req, 481, SIPDP_STR_NULL, SIPDP_STR_NULL,
			SIPDP_STR_NULL, net->now_us);
}

static void
test_leg_dead_481_ends_call(void)
{
	sipdp_handle_t a;

	setup();
	a = bridged();
	net->ep[B].on_event = answer_481;
	CU_ASSERT_EQUAL(sipdp_ua_request(net->ep[A].ua, a, SIPDP_STR("INFO"), SIPDP_STR_NULL,
		SIPDP_STR_NULL, SIPDP_STR_NULL, 5, net->now_us), 0);
	uah_run(net, net->now_us + 100 * UAH_MS);
	/* A hears the 481; sipdp ends both legs (RFC 3261 §12.2.1.2). */
	CU_ASSERT_EQUAL(uah_evlast(&net->ep[A], SIPDP_UA_EV_RESPONSE)->status, 481);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[A], SIPDP_UA_EV_TERMINATED), 1);
	CU_ASSERT_EQUAL(uah_count(net, S, "BYE sip:ua2"), 1);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->leg_died, 1);
	net->ep[B].on_event = NULL;
	assert_all_idle();
	teardown();
}

static sipdp_handle_t
b_refers(bool no_sub)
{
	struct sipdp_ua_xfer_refer r = {
		.target = SIPDP_STR("sip:carol@198.51.100.3"),
		.no_sub = no_sub,
		.bye = SIPDP_UA_XFER_BYE_NEVER,
	};
	sipdp_handle_t x = 0;

	CU_ASSERT_EQUAL(sipdp_ua_xfer_refer(net->ep[B].ua, net->ep[B].last_incoming, &r, net->now_us,
		&x), 0);
	return x;
}

static void
test_refer_terminated_blind(void)
{
	struct uah_ep *c;
	const struct uah_pkt *inv_c, *reinv_a;

	setup();
	bridged();
	c = &net->ep[C];
	net->ep[A].answer_requests = true;
	b_refers(false);
	uah_run(net, net->now_us + 20 * UAH_MS);
	CU_ASSERT_EQUAL(uah_count(net, S, "SIP/2.0 202"), 1);
	CU_ASSERT_EQUAL(uah_evcount(c, SIPDP_UA_EV_INCOMING), 1);
	inv_c = uah_nth(net, S, "INVITE sip:carol", 0);
	CU_ASSERT_PTR_NOT_NULL(inv_c);
	CU_ASSERT(!has(inv_c, "m=audio")); /* no offer: C's own offer is what A must hear */
	/* No NOTIFY 200 before the target answers. */
	CU_ASSERT_EQUAL(uah_count(net, S, "NOTIFY "), 1); /* 100 Trying */
	CU_ASSERT_EQUAL(sipdp_ua_ring(c->ua, c->last_incoming, 180, SIPDP_STR_NULL, SIPDP_STR_NULL,
		SIPDP_STR_NULL, net->now_us), 0);
	uah_run(net, net->now_us + 20 * UAH_MS);
	CU_ASSERT_EQUAL(xfer_seen[B].progress, 2);
	CU_ASSERT_EQUAL(xfer_seen[B].done, 0);
	CU_ASSERT_EQUAL(sipdp_ua_accept(c->ua, c->last_incoming, 200, SIPDP_STR_NULL,
		SIPDP_STR("application/sdp"), SIPDP_STR(sdp_c), net->now_us), 0);
	uah_run(net, net->now_us + 100 * UAH_MS);
	/* A was re-INVITEd with C's SDP; C got A's answer in its ACK. */
	reinv_a = uah_nth(net, S, "INVITE sip:ua0", 0);
	CU_ASSERT(has(reinv_a, "m=audio 4003"));
	CU_ASSERT(has(uah_nth(net, S, "ACK sip:ua3", 0), "m=audio"));
	CU_ASSERT_EQUAL(uah_evcount(c, SIPDP_UA_EV_CONFIRMED), 1);
	CU_ASSERT_EQUAL(xfer_seen[B].done, 1);
	CU_ASSERT_EQUAL(xfer_seen[B].last_result, SIPDP_UA_XFER_SUCCESS);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->transfers_ok, 1);
	/* B, the transferor, is released by sipdp. */
	uah_run(net, net->now_us + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[B], SIPDP_UA_EV_TERMINATED), 1);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[A], SIPDP_UA_EV_TERMINATED), 0);
	/* A and C are bridged: C's BYE reaches A. */
	CU_ASSERT_EQUAL(sipdp_ua_bye(c->ua, c->last_incoming, net->now_us), 0);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[A], SIPDP_UA_EV_TERMINATED), 1);
	assert_all_idle();
	teardown();
}

static void
test_refer_target_fails_call_kept(void)
{
	sipdp_handle_t a;

	setup();
	a = bridged();
	net->ep[C].answer = UAH_REJECT_NOW;
	net->ep[C].answer_code = 486;
	b_refers(false);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT_EQUAL(xfer_seen[B].done, 1);
	CU_ASSERT_EQUAL(xfer_seen[B].last_status, 486);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->transfers_failed, 1);
	uah_run(net, net->now_us + 40 * UAH_SEC);
	/* The call is still bridged A-B. */
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[A], SIPDP_UA_EV_TERMINATED), 0);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[B], SIPDP_UA_EV_TERMINATED), 0);
	CU_ASSERT_EQUAL(sipdp_ua_bye(net->ep[A].ua, a, net->now_us), 0);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[B], SIPDP_UA_EV_TERMINATED), 1);
	assert_all_idle();
	teardown();
}

static void
test_refer_rejected_by_rule(void)
{
	sipdp_handle_t a;

	setup();
	route.refer = SIPDP_CFG_BRIDGE_REFER_REJECT;
	a = bridged();
	b_refers(false);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT_EQUAL(uah_count(net, S, "SIP/2.0 603"), 1);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[C], SIPDP_UA_EV_INCOMING), 0);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->refers_rejected, 1);
	CU_ASSERT_EQUAL(sipdp_ua_bye(net->ep[A].ua, a, net->now_us), 0);
	assert_all_idle();
	teardown();
}

static void
redirect_to_c(struct uah_ep *ep, const struct sipdp_ua_event *ev)
{
	if (ev->type == SIPDP_UA_EV_INCOMING)
		CU_ASSERT_EQUAL(sipdp_ua_redirect(ep->ua, ev->dlg, 302,
			SIPDP_STR("<sip:carol@3.0.0.0:5060>"), net->now_us), 0);
}

static void
test_redirect_followed_or_relayed(void)
{
	setup();
	route.follow_redirects = true;
	net->ep[B].on_event = redirect_to_c;
	net->ep[C].answer = UAH_ACCEPT_NOW;
	a_calls(NULL);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT(has(uah_nth(net, S, "INVITE sip:carol@3.0.0.0:5060", 0), "INVITE"));
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[A], SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->redirects_followed, 1);
	CU_ASSERT_EQUAL(sipdp_ua_bye(net->ep[C].ua, net->ep[C].last_incoming, net->now_us), 0);
	uah_run(net, net->now_us + 100 * UAH_MS);
	/* Not followed: the 302 and its Contact reach A. */
	route.follow_redirects = false;
	a_calls(NULL);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evlast(&net->ep[A], SIPDP_UA_EV_FAILED)->status, 302);
	CU_ASSERT(has(uah_nth(net, S, "SIP/2.0 302", 0), "sip:carol@3.0.0.0:5060"));
	net->ep[B].on_event = NULL;
	assert_all_idle();
	teardown();
}

/* The callee sends its 183 reliably; the caller does not support 100rel:
 * sipdp PRACKs the callee itself, the caller gets a plain 183. */
static void
test_prack_per_leg_caller_without_100rel(void)
{
	struct uah_ep *b;

	b_rel100 = true;
	setup();
	b = &net->ep[B];
	a_calls(NULL);
	uah_run(net, net->now_us + 20 * UAH_MS);
	CU_ASSERT(has(uah_nth(net, S, "INVITE ", 0), "100rel")); /* S offers it to B */
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, b->last_incoming, 183, SIPDP_STR_NULL,
		SIPDP_STR("application/sdp"), SIPDP_STR(sdp_b), net->now_us), 0);
	uah_run(net, net->now_us + 50 * UAH_MS);
	CU_ASSERT(has(uah_nth(net, B, "SIP/2.0 183", 0), "RSeq:"));
	CU_ASSERT_EQUAL(uah_count(net, S, "PRACK "), 1);
	CU_ASSERT(has(uah_nth(net, S, "SIP/2.0 183", 0), "m=audio 4002"));
	CU_ASSERT(!has(uah_nth(net, S, "SIP/2.0 183", 0), "RSeq:"));
	CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, b->last_incoming, 200, SIPDP_STR_NULL,
		SIPDP_STR("application/sdp"), SIPDP_STR(sdp_b), net->now_us), 0);
	uah_run(net, net->now_us + 50 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[A], SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(sipdp_ua_bye(b->ua, b->last_incoming, net->now_us), 0);
	assert_all_idle();
	teardown();
}

/* A caller that requires 100rel where the rule has PRACK off: 420. */
static void
test_prack_off_rule_refuses_require_100rel(void)
{
	sipdp_handle_t d;
	struct sipdp_ua_invite inv = {
		.ruri = SIPDP_STR("sip:+15551234@192.0.2.2"),
		.from = SIPDP_STR("<sip:alice@192.0.2.1>"),
		.to = SIPDP_STR("<sip:+15551234@192.0.2.2>"),
		.dest = uah_dest(S),
		.rel100 = SIPDP_UA_INVITE_100REL_REQUIRED,
	};

	setup();
	route.prack = SIPDP_CFG_PRACK_OFF;
	CU_ASSERT_EQUAL(sipdp_ua_invite(net->ep[A].ua, &inv, net->now_us, &d), 0);
	uah_run(net, net->now_us + 50 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evlast(&net->ep[A], SIPDP_UA_EV_FAILED)->status, 420);
	CU_ASSERT(has(uah_nth(net, S, "SIP/2.0 420", 0), "Unsupported: 100rel"));
	CU_ASSERT_EQUAL(uah_count(net, S, "INVITE "), 0);
	assert_all_idle();
	teardown();
}

/* Session timers per leg: both legs negotiate their own interval and sipdp
 * refreshes each leg itself; refreshes do not cross the bridge. */
static void
test_session_timers_per_leg(void)
{
	sipdp_handle_t a;

	setup();
	route.session_timer.enabled = true;
	route.session_timer.expires = 90;
	route.session_timer.min_se = 90;
	route.session_timer.refresher = SIPDP_CFG_REFRESHER_UAS;
	net->ep[A].answer_requests = true;
	net->ep[B].answer_requests = true;
	a = bridged();
	CU_ASSERT(has(uah_nth(net, S, "INVITE ", 0), "Session-Expires: 90"));
	CU_ASSERT(has(uah_nth(net, S, "SIP/2.0 200", 0), "Session-Expires: 90"));
	uah_run(net, net->now_us + 200 * UAH_SEC);
	/* Still up after more than two intervals: refreshed on each leg. */
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[A], SIPDP_UA_EV_TERMINATED), 0);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[B], SIPDP_UA_EV_TERMINATED), 0);
	CU_ASSERT(sipdp_ua_stats(net->ep[S].ua)->session_refreshes >= 4);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->relayed_requests, 0);
	CU_ASSERT_EQUAL(sipdp_ua_bye(net->ep[A].ua, a, net->now_us), 0);
	assert_all_idle();
	teardown();
}

/* refer: pass — B's REFER goes on to A as sipdp's own REFER; A's verdict
 * comes back to B in NOTIFYs. */
static void
test_refer_passed_to_other_leg(void)
{
	sipdp_handle_t a;

	setup();
	route.refer = SIPDP_CFG_BRIDGE_REFER_PASS;
	a = bridged();
	net->ep[C].answer = UAH_ACCEPT_NOW;
	accept_refer = true;
	b_refers(false);
	uah_run(net, net->now_us + 200 * UAH_MS);
	CU_ASSERT_EQUAL(uah_count(net, S, "SIP/2.0 202"), 1);
	CU_ASSERT_EQUAL(uah_count(net, S, "REFER sip:ua0"), 1);
	/* A executed it: A called C itself, not through sipdp. */
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[C], SIPDP_UA_EV_INCOMING), 1);
	CU_ASSERT_EQUAL(uah_count(net, S, "INVITE sip:carol"), 0);
	CU_ASSERT_EQUAL(xfer_seen[B].done, 1);
	CU_ASSERT_EQUAL(xfer_seen[B].last_result, SIPDP_UA_XFER_SUCCESS);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->refers_passed, 1);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->transfers_ok, 1);
	/* A's UA ended its leg to sipdp after the transfer; sipdp ended B's. */
	uah_run(net, net->now_us + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[B], SIPDP_UA_EV_TERMINATED), 1);
	(void)a;
	(void)sipdp_ua_bye(net->ep[C].ua, net->ep[C].last_incoming, net->now_us);
	assert_all_idle();
	teardown();
}

/* Attended transfer, both calls bridged by S: A-S-B and B-S-C; B REFERs
 * A's call with Replaces naming its call to C. S joins A and C itself:
 * no INVITE leaves the box, C's offer reaches A, A's answer reaches C. */
static void
test_attended_joined_on_box(void)
{
	struct sipdp_ua_xfer_refer r = { .bye = SIPDP_UA_XFER_BYE_NEVER };
	sipdp_handle_t b_call1, b_call2 = 0, x = 0;
	uint32_t invites_before;

	setup();
	net->ep[A].answer_requests = true;
	net->ep[C].answer_requests = true;
	net->ep[C].answer = UAH_ACCEPT_NOW;
	bridged();
	b_call1 = net->ep[B].last_incoming;
	CU_ASSERT_EQUAL(uah_invite(&net->ep[B], S, &b_call2), 0);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT_EQUAL_FATAL(uah_evcount(&net->ep[B], SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(sipdp_call_count(call), 2);
	invites_before = uah_count(net, S, "INVITE ");
	r.consult = b_call2;
	CU_ASSERT_EQUAL(sipdp_ua_xfer_refer(net->ep[B].ua, b_call1, &r, net->now_us, &x), 0);
	uah_run(net, net->now_us + 200 * UAH_MS);
	CU_ASSERT_EQUAL(uah_count(net, S, "SIP/2.0 202"), 1);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->joins_local, 1);
	/* Two re-INVITEs, no new INVITE: C without SDP, then A with C's offer. */
	CU_ASSERT_EQUAL(uah_count(net, S, "INVITE ") - invites_before, 2);
	CU_ASSERT(!has(uah_nth(net, S, "INVITE sip:ua3", 0), "m=audio"));
	CU_ASSERT(has(uah_nth(net, S, "INVITE sip:ua0", 0), "m=audio"));
	CU_ASSERT(has(uah_nth(net, S, "ACK sip:ua3", 1), "m=audio"));
	CU_ASSERT_EQUAL(xfer_seen[B].done, 1);
	CU_ASSERT_EQUAL(xfer_seen[B].last_result, SIPDP_UA_XFER_SUCCESS);
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->transfers_ok, 1);
	/* The referring dialog ends only after its NOTIFY that says 200. */
	{
		uint32_t notify200 = UINT32_MAX, first_bye = UINT32_MAX;

		for (uint32_t i = 0; i < net->nlog; i++) {
			const struct uah_pkt *p = &net->log[i];

			if (p->from != S || p->to != B)
				continue;
			if (notify200 == UINT32_MAX && strncmp(p->data, "NOTIFY ", 7) == 0 &&
			    strstr(p->data, "SIP/2.0 200") != NULL)
				notify200 = i;
			if (first_bye == UINT32_MAX && strncmp(p->data, "BYE ", 4) == 0)
				first_bye = i;
		}
		CU_ASSERT(notify200 != UINT32_MAX && first_bye != UINT32_MAX && notify200 < first_bye);
	}
	/* B's two dialogs ended by sipdp; A-C is one bridge now. */
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[B], SIPDP_UA_EV_TERMINATED), 2);
	CU_ASSERT_EQUAL(sipdp_call_count(call), 1);
	CU_ASSERT_EQUAL(sipdp_ua_bye(net->ep[C].ua, net->ep[C].last_incoming, net->now_us), 0);
	uah_run(net, net->now_us + 100 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[A], SIPDP_UA_EV_TERMINATED), 1);
	assert_all_idle();
	teardown();
}

/* The target answers before the caller has ACKed its own 200 (a REFER
 * right after the answer): the target's offer waits for that ACK, then A
 * is re-INVITEd with it; the transfer completes. */
static void
test_refer_before_callers_ack_offer_waits(void)
{
	struct uah_ep *c;

	setup();
	c = &net->ep[C];
	net->ep[B].answer = UAH_ACCEPT_NOW;
	net->ep[A].answer_requests = true;
	net->ep[A].drop_prefix = "ACK ";
	net->ep[A].drop_prefix_n = 1; /* A's first ACK is lost: S retransmits its 200 */
	c->answer = UAH_ACCEPT_NOW;
	a_calls(NULL);
	uah_run(net, net->now_us + 20 * UAH_MS);
	CU_ASSERT_EQUAL_FATAL(uah_evcount(&net->ep[B], SIPDP_UA_EV_CONFIRMED), 1);
	b_refers(false);
	uah_run(net, net->now_us + 50 * UAH_MS);
	/* C answered; A has not ACKed: no re-INVITE yet. */
	CU_ASSERT_EQUAL(uah_evcount(c, SIPDP_UA_EV_INCOMING), 1);
	CU_ASSERT_PTR_NULL(uah_nth(net, S, "INVITE sip:ua0", 0));
	uah_run(net, net->now_us + 2 * UAH_SEC);
	CU_ASSERT(has(uah_nth(net, S, "INVITE sip:ua0", 0), "m=audio"));
	CU_ASSERT_EQUAL(sipdp_call_stats(call)->transfers_ok, 1);
	CU_ASSERT_EQUAL(xfer_seen[B].last_result, SIPDP_UA_XFER_SUCCESS);
	uah_run(net, net->now_us + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(sipdp_ua_bye(c->ua, c->last_incoming, net->now_us), 0);
	assert_all_idle();
	teardown();
}

/* The overload step: behind only with full bursts and no short poll; a
 * window with no poll at all (link down, descheduled) never raises it. */
static void
test_overload_step_rises_only_when_behind(void)
{
	CU_ASSERT_EQUAL(sipdp_call_overload_step(0, 50, 0, 50), 10);
	CU_ASSERT_EQUAL(sipdp_call_overload_step(95, 50, 0, 50), 100);
	CU_ASSERT_EQUAL(sipdp_call_overload_step(100, 50, 0, 50), 100);
	CU_ASSERT_EQUAL(sipdp_call_overload_step(0, 0, 0, 0), 0);     /* no poll: link down */
	CU_ASSERT_EQUAL(sipdp_call_overload_step(100, 0, 0, 0), 0);   /* nothing came: no shedding */
	CU_ASSERT_EQUAL(sipdp_call_overload_step(40, 0, 900, 0), 0);  /* idle */
	CU_ASSERT_EQUAL(sipdp_call_overload_step(40, 50, 1, 51), 35); /* caught up once */
	CU_ASSERT_EQUAL(sipdp_call_overload_step(3, 0, 900, 10), 0);
}

static struct sipdp_test_case cases[] = {
	{ "basic_call_bye_from_a_topology_hidden", test_basic_call_bye_from_a },
	{ "bye_from_b_ends_a", test_bye_from_b },
	{ "early_media_180_183_relayed", test_early_media_183_relayed },
	{ "cancel_from_a_cancels_b_487_to_a", test_cancel_from_a },
	{ "failover_on_503_to_next_target", test_failover_on_503 },
	{ "busy_relayed_with_reason_no_failover", test_failure_relayed_with_reason },
	{ "ring_timeout_tries_next_target", test_ring_timeout_next_target },
	{ "all_failed_answers_best_real_status", test_all_failed_best_real_status },
	{ "target_marked_down_skipped_probed_back_up", test_target_marked_down_and_probed },
	{ "reinvite_relayed_each_way", test_reinvite_relayed_each_way },
	{ "glare_each_offer_gets_one_final", test_glare_each_offer_gets_one_final },
	{ "info_and_message_relayed", test_info_and_message_relayed },
	{ "allow_list_empty_passes_nothing", test_allow_list_empty_passes_nothing },
	{ "forked_b_first_2xx_wins_late_one_byed", test_forked_b_first_2xx_wins },
	{ "max_duration_ends_both_legs", test_max_duration_ends_both_legs },
	{ "max_forwards_zero_483_and_loop_482", test_max_forwards_zero_483_and_loop_482 },
	{ "table_full_503_retry_after", test_table_full_503_retry_after },
	{ "dead_leg_481_ends_the_call", test_leg_dead_481_ends_call },
	{ "refer_terminated_blind_target_sdp_to_a", test_refer_terminated_blind },
	{ "refer_target_fails_call_kept", test_refer_target_fails_call_kept },
	{ "refer_rejected_by_rule_603", test_refer_rejected_by_rule },
	{ "redirect_followed_or_relayed", test_redirect_followed_or_relayed },
	{ "prack_per_leg_caller_without_100rel", test_prack_per_leg_caller_without_100rel },
	{ "prack_off_rule_refuses_require_100rel_420", test_prack_off_rule_refuses_require_100rel },
	{ "session_timers_refreshed_per_leg", test_session_timers_per_leg },
	{ "refer_passed_to_other_leg_notify_carried_back", test_refer_passed_to_other_leg },
	{ "attended_transfer_joined_on_box_no_invite_out", test_attended_joined_on_box },
	{ "refer_before_callers_ack_offer_waits", test_refer_before_callers_ack_offer_waits },
	{ "overload_step_rises_only_when_behind", test_overload_step_rises_only_when_behind },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("call_bridge", cases);
}
