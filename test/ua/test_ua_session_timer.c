/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session timers (RFC 4028) over the in-memory network and the fake clock
 * (1 ms steps): every refresh and every BYE is asserted to the millisecond.
 *
 * Scenarios and the requirement each checks:
 *  - refresh_by_update_rearm_and_expiry_bye: §7/§9: 2xx with
 *    Session-Expires;refresher=uac and Require: timer; the UAC refreshes at
 *    half the interval with UPDATE (the peer allows it); a target refresh
 *    (re-INVITE from the other side) re-arms both timers; once refreshes
 *    stop reaching the peer it sends BYE at expires - min(32, expires/3).
 *  - refresh_by_reinvite_peer_without_update: §9: a UAC without timers
 *    (and without UPDATE in Allow): the UAS is the refresher, no
 *    Require: timer, refreshes by re-INVITE every half interval alone;
 *    §10: the application may send that re-INVITE with its SDP when told
 *    (SIPDP_UA_EV_REFRESH_DUE), and its 2xx re-arms the timer.
 *  - retry_after_422_with_larger_interval: §7.4: 422 with Min-SE, the
 *    INVITE re-sent (CSeq + 1) with Session-Expires and Min-SE raised.
 *  - refresher_election_rules: §9: the UAC's choice; the UAS's pick when
 *    left open (stack default, per-call override); the UAS when the UAC
 *    lacks timers; no timer when the UAS lacks them (§7.2).
 *  - expiry_bye_at_exact_ms: a 90 s session never refreshed: the
 *    non-refresher sends BYE at 60 s sharp.
 *  - per_call_timer_on_a_stack_without_timers: sipdp_ua_session_timer()
 *    from on_incoming still negotiates with the INVITE's headers.
 *  - params_refuse_intervals_below_90s: §4 minimum, enums in range.
 * Every scenario ends with no dialog, transaction or timer left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipdp_test.h"
#include "ua_harness.h"

static void
tw_120(struct sipdp_ua_params *p)
{
	p->session_expires_s = 120;
	p->cb.on_ext = p->cb.on_incoming;
}

static void
tw_90(struct sipdp_ua_params *p)
{
	p->session_expires_s = 90;
	p->cb.on_ext = p->cb.on_incoming;
}

static void
tw_120_uas(struct sipdp_ua_params *p)
{
	tw_120(p);
	p->refresher = SIPDP_UA_REFRESHER_UAS;
}

static void
tw_300(struct sipdp_ua_params *p)
{
	p->session_expires_s = 300;
	p->cb.on_ext = p->cb.on_incoming;
}

static void
tw_min600(struct sipdp_ua_params *p)
{
	p->session_expires_s = 1800;
	p->min_se_s = 600;
	p->cb.on_ext = p->cb.on_incoming;
}

static bool
has(const struct uah_pkt *p, const char *s)
{
	return p != NULL && strstr(p->data, s) != NULL;
}

static void
test_update_refresh(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, tw_120), *b = uah_add(net, 8, tw_120);
	struct sipdp_ua_session_info ia, ib;
	static const uint64_t upd_s[] = { 90, 150 };
	const struct uah_pkt *ok;
	sipdp_handle_t ha, hb;
	uint64_t t0;

	b->answer = UAH_ACCEPT_NOW;
	a->answer_requests = true;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	t0 = net->now_us;
	uah_settle(net);
	hb = b->last_incoming;
	CU_ASSERT(has(uah_nth(net, 0, "INVITE ", 0), "\r\nSession-Expires: 120\r\nMin-SE: 90\r\n"));
	CU_ASSERT(has(uah_nth(net, 0, "INVITE ", 0), "\r\nSupported: timer\r\n"));
	ok = uah_nth(net, 1, "SIP/2.0 200", 0);
	CU_ASSERT(has(ok, "\r\nSession-Expires: 120;refresher=uac\r\nRequire: timer\r\n"));
	CU_ASSERT_EQUAL(sipdp_ua_session_info(a->ua, ha, &ia), 0);
	CU_ASSERT_EQUAL(sipdp_ua_session_info(b->ua, hb, &ib), 0);
	CU_ASSERT_EQUAL(ia.expires_s, 120);
	CU_ASSERT(ia.we_refresh && !ib.we_refresh && ia.peer_update);
	CU_ASSERT_EQUAL(ia.refresh_at, t0 + 60 * UAH_SEC);
	CU_ASSERT_EQUAL(ib.expire_at, t0 + 88 * UAH_SEC);
	/* a target refresh from b at 30 s re-arms both sides */
	uah_run(net, t0 + 30 * UAH_SEC);
	CU_ASSERT_EQUAL(sipdp_ua_reinvite(b->ua, hb, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL, 5,
					  net->now_us), 0);
	uah_settle(net);
	CU_ASSERT(has(uah_nth(net, 1, "INVITE ", 0), "\r\nSession-Expires: 120;refresher=uas\r\n"));
	CU_ASSERT_EQUAL(sipdp_ua_session_info(a->ua, ha, &ia), 0);
	CU_ASSERT_EQUAL(ia.refresh_at, t0 + 90 * UAH_SEC);
	CU_ASSERT(ia.we_refresh);
	uah_run(net, t0 + 151 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 0, "UPDATE "), 2);
	for (uint32_t i = 0; i < 2; i++) {
		const struct uah_pkt *p = uah_nth(net, 0, "UPDATE ", i);
		CU_ASSERT_EQUAL(p->at_us - t0, upd_s[i] * UAH_SEC);
		CU_ASSERT(has(p, "\r\nSession-Expires: 120;refresher=uac\r\nMin-SE: 90\r\n"));
	}
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->session_refreshes, 3);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->session_refreshes, 3);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_SESSION_REFRESHED), 3);
	/* from now on a's refreshes are lost: b gives up at 150 + 88 s */
	a->drop_prefix = "UPDATE ";
	a->drop_prefix_n = 1000;
	uah_run(net, t0 + 237999 * UAH_MS);
	CU_ASSERT_EQUAL(uah_count(net, 1, "BYE "), 0);
	uah_run(net, t0 + 238 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 1, "BYE "), 1);
	CU_ASSERT_EQUAL(uah_nth(net, 1, "BYE ", 0)->at_us - t0, 238 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_nth(net, 0, "UPDATE ", 2)->at_us - t0, 210 * UAH_SEC);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->session_expiries, 1);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_SESSION_EXPIRED), 1);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_TIMEOUT);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_REMOTE_BYE);
	uah_assert_idle(net, t0 + 400 * UAH_SEC);
	uah_free(net);
}

static void
refresh_with_sdp(struct uah_ep *ep, const struct sipdp_ua_event *ev)
{
	if (ev->type == SIPDP_UA_EV_REFRESH_DUE)
		CU_ASSERT_EQUAL(sipdp_ua_reinvite(ep->ua, ev->dlg, SIPDP_STR_NULL,
						  SIPDP_STR("application/sdp"),
						  SIPDP_STR("v=0\r\no=b 1 1 IN IP4 192.0.2.2\r\n"), 42,
						  ep->net->now_us), 0);
}

static void
test_reinvite_refresh(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, tw_120);
	struct sipdp_ua_session_info ia, ib;
	const struct uah_pkt *ok;
	sipdp_handle_t ha, hb;
	uint64_t t0;

	b->answer = UAH_ACCEPT_NOW;
	a->answer_requests = true;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	t0 = net->now_us;
	uah_settle(net);
	hb = b->last_incoming;
	ok = uah_nth(net, 1, "SIP/2.0 200", 0);
	CU_ASSERT(has(ok, "\r\nSession-Expires: 120;refresher=uas\r\n"));
	CU_ASSERT(!has(ok, "Require: timer"));
	CU_ASSERT_EQUAL(sipdp_ua_session_info(b->ua, hb, &ib), 0);
	CU_ASSERT(ib.we_refresh && !ib.peer_update);
	CU_ASSERT_EQUAL(sipdp_ua_session_info(a->ua, ha, &ia), 0);
	CU_ASSERT_EQUAL(ia.expires_s, 0); /* a runs no timer */
	uah_run(net, t0 + 121 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 1, "INVITE "), 2);
	CU_ASSERT_EQUAL(uah_count(net, 1, "UPDATE "), 0);
	CU_ASSERT_EQUAL(uah_nth(net, 1, "INVITE ", 0)->at_us - t0, 60 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_nth(net, 1, "INVITE ", 1)->at_us - t0, 120 * UAH_SEC);
	CU_ASSERT(has(uah_nth(net, 1, "INVITE ", 0), "\r\nSession-Expires: 120;refresher=uac\r\n"));
	CU_ASSERT_EQUAL(uah_count(net, 1, "ACK "), 2);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->session_refreshes, 2);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_RESPONSE), 0); /* the UA's own */
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_REFRESH_DUE), 2);
	CU_ASSERT(!has(uah_nth(net, 1, "INVITE ", 1), "Content-Type"));
	CU_ASSERT_EQUAL(sipdp_ua_session_info(b->ua, hb, &ib), 0);
	CU_ASSERT_EQUAL(ib.refresh_at, t0 + 180 * UAH_SEC);
	/* the application refreshes itself, with its SDP, when asked */
	b->on_event = refresh_with_sdp;
	uah_run(net, t0 + 181 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 1, "INVITE "), 3);
	CU_ASSERT_EQUAL(uah_nth(net, 1, "INVITE ", 2)->at_us - t0, 180 * UAH_SEC);
	CU_ASSERT(has(uah_nth(net, 1, "INVITE ", 2), "\r\nSession-Expires: 120;refresher=uac\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "INVITE ", 2), "\r\n\r\nv=0\r\no=b 1 1"));
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_RESPONSE)->req_ref, 42);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->session_refreshes, 3);
	CU_ASSERT_EQUAL(sipdp_ua_session_info(b->ua, hb, &ib), 0);
	CU_ASSERT_EQUAL(ib.refresh_at, t0 + 240 * UAH_SEC);
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	uah_assert_idle(net, net->now_us + 60 * UAH_SEC);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->session_expiries, 0);
	uah_free(net);
}

static void
test_422(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, tw_300), *b = uah_add(net, 8, tw_min600);
	struct sipdp_ua_session_info ia;
	const struct uah_pkt *p;
	sipdp_handle_t ha;

	b->answer = UAH_ACCEPT_NOW;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	p = uah_nth(net, 1, "SIP/2.0 422", 0);
	CU_ASSERT(has(p, "\r\nMin-SE: 600\r\n"));
	CU_ASSERT_EQUAL(uah_count(net, 0, "INVITE "), 2);
	p = uah_nth(net, 0, "INVITE ", 1);
	CU_ASSERT(has(p, "\r\nCSeq: 2 INVITE\r\n"));
	CU_ASSERT(has(p, "\r\nSession-Expires: 600\r\nMin-SE: 600\r\n"));
	CU_ASSERT(has(p, "\r\n\r\nv=0\r\n")); /* the same offer */
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_FAILED), 0);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_INCOMING), 1);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->retry_422, 1);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->sent_422, 1);
	CU_ASSERT_EQUAL(sipdp_ua_session_info(a->ua, ha, &ia), 0);
	CU_ASSERT_EQUAL(ia.expires_s, 600);
	CU_ASSERT_EQUAL(ia.min_se_s, 600);
	CU_ASSERT(ia.we_refresh);
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	uah_assert_idle(net, net->now_us + 60 * UAH_SEC);
	uah_free(net);
}

struct elect_case {
	void (*tw_a)(struct sipdp_ua_params *);
	void (*tw_b)(struct sipdp_ua_params *);
	uint8_t ask;       /* refresher the UAC asks for */
	uint8_t override;  /* per-call pick at the UAS, 0 = none */
	uint32_t expires;  /* 0 = no timer */
	bool uac_refreshes;
	const char *in_2xx; /* expected in the 2xx, or "-" for no Session-Expires */
	const char *why;
};

static void
test_election(void)
{
	static const struct elect_case cases[] = {
		{ tw_120, tw_120, SIPDP_UA_REFRESHER_UAS, 0, 120, false,
		  "Session-Expires: 120;refresher=uas\r\nRequire: timer", "UAC asks uas" },
		{ tw_120, tw_120, SIPDP_UA_REFRESHER_UAC, 0, 120, true,
		  "Session-Expires: 120;refresher=uac\r\nRequire: timer", "UAC asks uac" },
		{ tw_120, tw_120_uas, 0, 0, 120, false, "refresher=uas\r\nRequire: timer", "UAS stack picks uas" },
		{ tw_120, tw_120, 0, 0, 120, true, "refresher=uac\r\nRequire: timer", "UAS default pick: uac" },
		{ tw_120, tw_120, 0, SIPDP_UA_REFRESHER_UAS, 120, false, "refresher=uas", "per-call pick" },
		{ tw_120, tw_120_uas, SIPDP_UA_REFRESHER_UAC, 0, 120, true, "refresher=uac",
		  "the UAC's ask beats the UAS's pick" },
		{ NULL, tw_90, 0, 0, 90, false, "Session-Expires: 90;refresher=uas\r\n", "UAC without timers" },
		{ tw_120, NULL, 0, 0, 0, false, "-", "UAS without timers: none" },
	};

	for (uint32_t i = 0; i < SIPDP_ARRAY_SIZE(cases); i++) {
		const struct elect_case *c = &cases[i];
		struct uah_net *net = uah_new();
		struct uah_ep *a = uah_add(net, 8, c->tw_a), *b = uah_add(net, 8, c->tw_b);
		struct sipdp_ua_invite inv = {
			.ruri = SIPDP_STR("sip:bob@192.0.2.2"),
			.from = SIPDP_STR("<sip:alice@192.0.2.1>"),
			.to = SIPDP_STR("<sip:bob@192.0.2.2>"),
			.dest = uah_dest(1),
			.refresher = c->ask,
		};
		struct sipdp_ua_session_info ia, ib;
		const struct uah_pkt *ok;
		sipdp_handle_t ha, hb;

		CU_ASSERT_EQUAL_FATAL(sipdp_ua_invite(a->ua, &inv, net->now_us, &ha), 0);
		uah_settle(net);
		hb = b->last_incoming;
		if (c->override)
			CU_ASSERT_EQUAL(sipdp_ua_session_timer(b->ua, hb, 0, c->override), 0);
		CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, hb, 200, SIPDP_STR_NULL, SIPDP_STR_NULL,
						SIPDP_STR_NULL, net->now_us), 0);
		uah_settle(net);
		ok = uah_nth(net, 1, "SIP/2.0 200", 0);
		if (strcmp(c->in_2xx, "-") == 0) {
			CU_ASSERT(!has(ok, "Session-Expires"));
		} else if (!has(ok, c->in_2xx)) {
			CU_FAIL(c->why);
		}
		CU_ASSERT_EQUAL(sipdp_ua_session_info(a->ua, ha, &ia), 0);
		CU_ASSERT_EQUAL(sipdp_ua_session_info(b->ua, hb, &ib), 0);
		if (c->tw_a != NULL && c->tw_b != NULL) {
			if (ia.expires_s != c->expires || ia.we_refresh != c->uac_refreshes)
				CU_FAIL(c->why);
		}
		if (c->tw_b != NULL && (ib.expires_s != c->expires || ib.we_refresh == c->uac_refreshes))
			CU_FAIL(c->why);
		if (c->tw_b == NULL && ia.expires_s != 0)
			CU_FAIL(c->why);
		CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
		uah_assert_idle(net, net->now_us + 60 * UAH_SEC);
		uah_free(net);
	}
}

static void
timer_for_this_call(struct uah_ep *ep, const struct sipdp_ua_event *ev)
{
	if (ev->type == SIPDP_UA_EV_INCOMING)
		CU_ASSERT_EQUAL(sipdp_ua_session_timer(ep->ua, ev->dlg, 0, SIPDP_UA_REFRESHER_UAC), 0);
}

/* A stack without timers turns one on for a call from on_incoming: the
 * INVITE's Session-Expires and Supported: timer are still honoured. */
static void
test_per_call_on_plain_stack(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, tw_120), *b = uah_add(net, 8, NULL);
	struct sipdp_ua_session_info ia, ib;
	sipdp_handle_t ha, hb;

	b->on_event = timer_for_this_call;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	hb = b->last_incoming;
	CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, hb, 200, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
					net->now_us), 0);
	uah_settle(net);
	CU_ASSERT(has(uah_nth(net, 1, "SIP/2.0 200", 0), "\r\nSession-Expires: 120;refresher=uac\r\nRequire: timer\r\n"));
	CU_ASSERT_EQUAL(sipdp_ua_session_info(a->ua, ha, &ia), 0);
	CU_ASSERT_EQUAL(sipdp_ua_session_info(b->ua, hb, &ib), 0);
	CU_ASSERT(ia.we_refresh && !ib.we_refresh);
	CU_ASSERT_EQUAL(ib.expires_s, 120);
	CU_ASSERT_EQUAL(sipdp_ua_bye(b->ua, hb, net->now_us), 0);
	uah_assert_idle(net, net->now_us + 60 * UAH_SEC);
	uah_free(net);
}

static void
test_expiry_exact(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, tw_90), *b = uah_add(net, 8, tw_90);
	sipdp_handle_t ha;
	uint64_t t0;

	b->answer = UAH_ACCEPT_NOW;
	a->drop_prefix = "UPDATE ";
	a->drop_prefix_n = 1000;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	t0 = net->now_us;
	uah_run(net, t0 + 59999 * UAH_MS);
	CU_ASSERT(uah_nth(net, 0, "UPDATE ", 0)->dropped); /* and its retransmissions */
	CU_ASSERT_EQUAL(uah_nth(net, 0, "UPDATE ", 0)->at_us - t0, 45 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 1, "BYE "), 0);
	uah_run(net, t0 + 60 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 1, "BYE "), 1);
	CU_ASSERT_EQUAL(uah_nth(net, 1, "BYE ", 0)->at_us - t0, 60 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_TIMEOUT);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->session_expiries, 1);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->session_expiries, 0);
	uah_assert_idle(net, t0 + 200 * UAH_SEC);
	uah_free(net);
}

static void
tw_bad_min(struct sipdp_ua_params *p)
{
	p->min_se_s = 60;
}

static void
tw_bad_se(struct sipdp_ua_params *p)
{
	p->session_expires_s = 80;
}

static void
tw_bad_rel(struct sipdp_ua_params *p)
{
	p->rel100 = 3;
}

static void
tw_bad_ref(struct sipdp_ua_params *p)
{
	p->refresher = 3;
}


/* RFC 4028 §4: no interval below 90 s; enums in range. */
static void
test_params(void)
{
	struct uah_net *net = uah_new();

	CU_ASSERT_PTR_NULL(uah_add(net, 8, tw_bad_min));
	CU_ASSERT_PTR_NULL(uah_add(net, 8, tw_bad_se));
	CU_ASSERT_PTR_NULL(uah_add(net, 8, tw_bad_rel));
	CU_ASSERT_PTR_NULL(uah_add(net, 8, tw_bad_ref));
	CU_ASSERT_PTR_NOT_NULL(uah_add(net, 8, tw_90));
	uah_free(net);
}

static struct sipdp_test_case cases[] = {
	{ "refresh_by_update_rearm_and_expiry_bye", test_update_refresh },
	{ "refresh_by_reinvite_peer_without_update", test_reinvite_refresh },
	{ "retry_after_422_with_larger_interval", test_422 },
	{ "refresher_election_rules", test_election },
	{ "expiry_bye_at_exact_ms", test_expiry_exact },
	{ "per_call_timer_on_a_stack_without_timers", test_per_call_on_plain_stack },
	{ "params_refuse_intervals_below_90s", test_params },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("ua_session_timer", cases);
}
