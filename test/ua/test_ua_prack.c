/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reliable provisional responses (RFC 3262) over the in-memory network and
 * the fake clock (1 ms steps, T1 = 500 ms).
 *
 * Scenarios and the requirement each checks:
 *  - reliable_1xx_retransmitted_then_504_at_64t1: §3: the reliable 183 is
 *    re-sent at T1 doubling without cap (0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s)
 *    while no PRACK comes; at 64*T1 (32 s) the INVITE gets 504; the UAC
 *    processes the first copy only and PRACKs it once.
 *  - final_2xx_held_until_prack: §3: a 2xx given while the reliable 1xx is
 *    unacknowledged leaves only after the PRACK (its 200 first).
 *  - require_unknown_420_unsupported: RFC 3261 §8.2.2.3: 420 listing the
 *    unsupported tags; 100rel is unsupported when the policy is off.
 *  - required_policy_421: §3: policy "required" and a UAC without 100rel.
 *  - duplicate_and_out_of_order_rseq: §4: RSeq not one higher than the
 *    last is neither processed nor PRACKed; the next one is, with RAck;
 *    a PRACK matching nothing gets 481.
 *  - offer_in_1xx_answered_in_prack: §5: offerless INVITE, offer in the
 *    reliable 183, answer in the PRACK (sipdp_ua_prack()), the UAS sees it.
 *  - second_reliable_1xx_waits: §3: one unacknowledged reliable 1xx at a
 *    time (-EBUSY), the next gets RSeq + 1.
 *  - cancel_while_2xx_held_gets_487_only: a CANCEL before the PRACK beats
 *    the held 2xx: 200 to the CANCEL, 487, the 2xx never leaves.
 *  - per_call_rel100_off_sends_plain_1xx: sipdp_ua_rel100_off() on a
 *    stack that supports 100rel: plain 180, no PRACK, the 2xx at once;
 *    refused once answered, for a UAC dialog, after a reliable 1xx.
 *  - per_call_uac_100rel_overrides_stack: sipdp_ua_invite.rel100 (§4):
 *    REQUIRED on a stack without 100rel sends Require: 100rel and PRACKs
 *    the reliable 180 with RAck; SUPPORTED sends Supported: 100rel only;
 *    OFF on a stack that supports it sends no 100rel at all, so the UAS
 *    rings plainly; a value past REQUIRED is -EINVAL.
 * Every scenario ends with no dialog, transaction or timer left.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipdp_test.h"
#include "ua_harness.h"

static const char sdp[] = "v=0\r\no=b 2 2 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\n"
			  "t=0 0\r\nm=audio 5000 RTP/AVP 0\r\n";

static void
tw_req(struct sipdp_ua_params *p)
{
	p->rel100 = SIPDP_UA_100REL_REQUIRED;
	p->cb.on_ext = p->cb.on_incoming;
}

static int
invite_custom(struct uah_ep *from, uint8_t to, struct sipdp_str extra, bool body, sipdp_handle_t *h)
{
	struct sipdp_ua_invite inv = {
		.ruri = SIPDP_STR("sip:bob@192.0.2.2"),
		.from = SIPDP_STR("<sip:alice@192.0.2.1>"),
		.to = SIPDP_STR("<sip:bob@192.0.2.2>"),
		.extra = extra,
		.dest = uah_dest(to),
	};
	if (body) {
		inv.ctype = SIPDP_STR("application/sdp");
		inv.body = SIPDP_STR(sdp);
	}
	return sipdp_ua_invite(from->ua, &inv, from->net->now_us, h);
}

static uint32_t
rseq_of(const char *msg)
{
	const char *p = strstr(msg, "\r\nRSeq: ");
	return p ? (uint32_t)strtoul(p + 8, NULL, 10) : 0;
}

static void
test_retransmit_then_504(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, uah_rel100_supported), *b = uah_add(net, 8, uah_rel100_supported);
	static const uint64_t at_ms[] = { 0, 500, 1500, 3500, 7500, 15500, 31500 };
	sipdp_handle_t ha;
	uint64_t t0;

	a->drop_prefix = "PRACK ";
	a->drop_prefix_n = 1000;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	t0 = net->now_us;
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_ring(b->ua, b->last_incoming, 183, SIPDP_STR_NULL, SIPDP_STR_NULL,
					    SIPDP_STR_NULL, t0), 0);
	uah_run(net, t0 + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 183"), SIPDP_ARRAY_SIZE(at_ms));
	for (uint32_t i = 0; i < SIPDP_ARRAY_SIZE(at_ms); i++) {
		const struct uah_pkt *p = uah_nth(net, 1, "SIP/2.0 183", i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_EQUAL(p->at_us - t0, at_ms[i] * UAH_MS);
		CU_ASSERT(strstr(p->data, "\r\nRequire: 100rel\r\n") != NULL);
		CU_ASSERT_EQUAL(rseq_of(p->data), rseq_of(uah_nth(net, 1, "SIP/2.0 183", 0)->data));
	}
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 504"), 1);
	CU_ASSERT_EQUAL(uah_nth(net, 1, "SIP/2.0 504", 0)->at_us - t0, 32000 * UAH_MS);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_out, 1);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_retx, 6);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_timeouts, 1);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->prack_in, 0);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_TIMEOUT);
	/* the UAC: one provisional processed, one PRACK, six copies dropped */
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_PROVISIONAL), 1);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->prack_out, 1);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->rel1xx_dropped, 6);
	CU_ASSERT_PTR_NOT_NULL_FATAL(uah_evlast(a, SIPDP_UA_EV_FAILED));
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_FAILED)->status, 504);
	{
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		CU_ASSERT_EQUAL(sipdp_ua_dump(b->ua, f), 0);
		fclose(f);
		CU_ASSERT(strstr(text, "ua-ext: rel100=1 ") != NULL);
		CU_ASSERT(strstr(text, " rel1xx_out=1 rel1xx_retx=6 rel1xx_timeouts=1 ") != NULL);
		free(text);
	}
	uah_assert_idle(net, t0 + 120 * UAH_SEC);
	uah_free(net);
}

static void
test_2xx_held_until_prack(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, uah_rel100_supported), *b = uah_add(net, 8, uah_rel100_supported);
	const struct uah_pkt *p200, *pprack;
	sipdp_handle_t ha, hb;
	uint64_t t0;

	a->drop_prefix = "PRACK ";
	a->drop_prefix_n = 1; /* the PRACK's retransmission at T1 gets through */
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	hb = b->last_incoming;
	t0 = net->now_us;
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, hb, 180, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL, t0), 0);
	CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, hb, 200, SIPDP_STR_NULL, SIPDP_STR("application/sdp"),
					SIPDP_STR(sdp), t0), 0);
	CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, hb, 200, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL, t0),
			-EINVAL);
	uah_run(net, t0 + 499 * UAH_MS);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 200"), 0);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 0);
	uah_run(net, t0 + 500 * UAH_MS);
	/* the 183 retransmission and the PRACK's cross at T1; then the
	 * PRACK's 200, then the held 2xx */
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 200"), 2);
	pprack = uah_nth(net, 1, "SIP/2.0 200", 0);
	p200 = uah_nth(net, 1, "SIP/2.0 200", 1);
	CU_ASSERT(strstr(pprack->data, " PRACK\r\n") != NULL);
	CU_ASSERT(strstr(p200->data, " INVITE\r\n") != NULL);
	CU_ASSERT_EQUAL(p200->at_us - t0, 500 * UAH_MS);
	CU_ASSERT(pprack < p200);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_CONFIRMED), 1);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_PRACK), 1);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->prack_in, 1);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_retx, 1);
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	uah_assert_idle(net, t0 + 60 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_REMOTE_BYE);
	uah_free(net);
}

static void
test_420(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	const struct uah_pkt *p;
	sipdp_handle_t ha;

	CU_ASSERT_EQUAL_FATAL(invite_custom(a, 1, SIPDP_STR("Require: foo, 100rel\r\nRequire: replaces\r\n"),
					    true, &ha), 0);
	uah_settle(net);
	p = uah_nth(net, 1, "SIP/2.0 420", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT(strstr(p->data, "\r\nUnsupported: foo, 100rel\r\n") != NULL);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_INCOMING), 0);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_FAILED)->status, 420);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->sent_420, 1);
	uah_assert_idle(net, net->now_us + 60 * UAH_SEC);
	uah_free(net);
}

static void
test_421(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, tw_req);
	const struct uah_pkt *p;
	sipdp_handle_t ha;

	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	p = uah_nth(net, 1, "SIP/2.0 421", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT(strstr(p->data, "\r\nRequire: 100rel\r\n") != NULL);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_FAILED)->status, 421);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->sent_421, 1);
	/* the same INVITE with 100rel supported goes through */
	b->answer = UAH_ACCEPT_NOW;
	CU_ASSERT_EQUAL_FATAL(invite_custom(a, 1, SIPDP_STR("Supported: 100rel\r\n"), true, &ha), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	uah_assert_idle(net, net->now_us + 60 * UAH_SEC);
	uah_free(net);
}

/* @msg with its RSeq replaced by @rseq (a new malloc'd string). */
static char *
with_rseq(const char *msg, uint32_t rseq)
{
	const char *p = strstr(msg, "\r\nRSeq: ") + 8, *e = strstr(p, "\r\n");
	char *out = malloc(strlen(msg) + 16);
	int n = sprintf(out, "%.*s%u", (int)(p - msg), msg, rseq);
	strcpy(out + n, e);
	return out;
}

static void
test_rseq_order(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, uah_rel100_supported), *b = uah_add(net, 8, uah_rel100_supported);
	char *m1, *m2;
	const char *orig;
	uint32_t n;
	sipdp_handle_t ha;
	const struct uah_pkt *p;

	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, b->last_incoming, 183, SIPDP_STR_NULL, SIPDP_STR_NULL,
				      SIPDP_STR_NULL, net->now_us), 0);
	uah_settle(net);
	orig = uah_nth(net, 1, "SIP/2.0 183", 0)->data;
	n = rseq_of(orig);
	CU_ASSERT(n >= 1);
	CU_ASSERT_EQUAL(uah_count(net, 0, "PRACK "), 1);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_PRACK), 1);
	m2 = with_rseq(orig, n + 2);
	m1 = with_rseq(orig, n + 1);
	uah_inject(net, 1, 0, m2);  /* out of order */
	uah_inject(net, 1, 0, orig); /* duplicate */
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_PROVISIONAL), 1);
	CU_ASSERT_EQUAL(uah_count(net, 0, "PRACK "), 1);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->rel1xx_dropped, 2);
	uah_inject(net, 1, 0, m1); /* the next one */
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_PROVISIONAL), 2);
	CU_ASSERT_EQUAL(uah_count(net, 0, "PRACK "), 2);
	p = uah_nth(net, 0, "PRACK ", 1);
	{
		char want[48];
		snprintf(want, sizeof(want), "\r\nRAck: %u 1 INVITE\r\n", n + 1);
		CU_ASSERT(strstr(p->data, want) != NULL);
	}
	/* b never sent RSeq n+1: that PRACK matches nothing */
	p = uah_nth(net, 1, "SIP/2.0 481", 0);
	CU_ASSERT_PTR_NOT_NULL(p);
	CU_ASSERT(p && strstr(p->data, " PRACK\r\n") != NULL);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->prack_in, 1);
	free(m1);
	free(m2);
	CU_ASSERT_EQUAL(sipdp_ua_reject(b->ua, b->last_incoming, 486, SIPDP_STR_NULL, net->now_us), 0);
	uah_assert_idle(net, net->now_us + 60 * UAH_SEC);
	uah_free(net);
}

static void
prack_with_answer(struct uah_ep *ep, const struct sipdp_ua_event *ev)
{
	if (ev->type == SIPDP_UA_EV_PROVISIONAL && ev->msg && ev->msg->body.len)
		CU_ASSERT_EQUAL(sipdp_ua_prack(ep->ua, ev->dlg, SIPDP_STR("application/sdp"),
					       SIPDP_STR("v=0\r\no=answer\r\n"), ep->net->now_us), 0);
}

static void
test_offer_in_1xx(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, uah_rel100_supported), *b = uah_add(net, 8, uah_rel100_supported);
	const struct uah_pkt *p;
	sipdp_handle_t ha, hb;

	a->on_event = prack_with_answer;
	CU_ASSERT_EQUAL_FATAL(invite_custom(a, 1, SIPDP_STR_NULL, false, &ha), 0);
	uah_settle(net);
	hb = b->last_incoming;
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, hb, 183, SIPDP_STR_NULL, SIPDP_STR("application/sdp"),
				      SIPDP_STR(sdp), net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 0, "PRACK "), 1);
	p = uah_nth(net, 0, "PRACK ", 0);
	CU_ASSERT(strstr(p->data, "\r\nContent-Type: application/sdp\r\n") != NULL);
	CU_ASSERT(strstr(p->data, "\r\n\r\nv=0\r\no=answer\r\n") != NULL);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_PRACK), 1);
	/* too late: the UA PRACKs nothing twice */
	CU_ASSERT_EQUAL(sipdp_ua_prack(a->ua, ha, SIPDP_STR_NULL, SIPDP_STR_NULL, net->now_us), -EINVAL);
	/* offer/answer done: the 2xx carries no SDP, goes at once */
	CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, hb, 200, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
					net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_CONFIRMED), 1);
	CU_ASSERT_EQUAL(sipdp_ua_bye(b->ua, hb, net->now_us), 0);
	uah_assert_idle(net, net->now_us + 60 * UAH_SEC);
	uah_free(net);
}

static void
test_second_reliable(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, uah_rel100_supported), *b = uah_add(net, 8, uah_rel100_supported);
	sipdp_handle_t ha, hb;
	uint32_t n;

	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	hb = b->last_incoming;
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, hb, 180, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
				      net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, hb, 183, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
				      net->now_us), -EBUSY);
	uah_settle(net);
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, hb, 183, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
				      net->now_us), 0);
	uah_settle(net);
	n = rseq_of(uah_nth(net, 1, "SIP/2.0 180", 0)->data);
	CU_ASSERT_EQUAL(rseq_of(uah_nth(net, 1, "SIP/2.0 183", 0)->data), n + 1);
	CU_ASSERT_EQUAL(uah_count(net, 0, "PRACK "), 2);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->prack_in, 2);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_PROVISIONAL), 2);
	CU_ASSERT_EQUAL(sipdp_ua_cancel(a->ua, ha, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_CANCELLED);
	uah_assert_idle(net, net->now_us + 60 * UAH_SEC);
	uah_free(net);
}

static void
test_cancel_while_held(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, uah_rel100_supported), *b = uah_add(net, 8, uah_rel100_supported);
	sipdp_handle_t ha, hb;

	a->drop_prefix = "PRACK ";
	a->drop_prefix_n = 1000;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	hb = b->last_incoming;
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, hb, 180, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
				      net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, hb, 200, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
					net->now_us), 0);
	uah_run(net, net->now_us + 2 * UAH_SEC);
	CU_ASSERT_EQUAL(sipdp_ua_cancel(a->ua, ha, net->now_us), 0);
	uah_settle(net);
	/* the held 2xx never leaves: the CANCEL wins (RFC 3261 §9.2) */
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 487"), 1);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch="), 1);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 0);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_FAILED)->status, 487);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_CANCELLED);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_timeouts, 0);
	uah_assert_idle(net, net->now_us + 60 * UAH_SEC);
	uah_free(net);
}


/* A per-call "off" on a stack that supports 100rel (the appliance's rules):
 * the UAC supports 100rel, yet the 180 is plain and the 2xx leaves at once;
 * once a reliable 1xx is out, a call cannot be turned off any more. */
static void
test_rel100_off_per_call(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, uah_rel100_supported), *b = uah_add(net, 8, uah_rel100_supported);
	sipdp_handle_t ha, hb;
	uint64_t t0;

	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	hb = b->last_incoming;
	t0 = net->now_us;
	CU_ASSERT(strstr(uah_nth(net, 0, "INVITE ", 0)->data, "100rel") != NULL);
	CU_ASSERT_EQUAL(sipdp_ua_rel100_off(b->ua, hb), 0);
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, hb, 180, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL, t0), 0);
	CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, hb, 200, SIPDP_STR_NULL, SIPDP_STR("application/sdp"),
					SIPDP_STR(sdp), t0), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 180"), 1);
	CU_ASSERT(strstr(uah_nth(net, 1, "SIP/2.0 180", 0)->data, "\r\nRSeq: ") == NULL);
	CU_ASSERT(strstr(uah_nth(net, 1, "SIP/2.0 180", 0)->data, "\r\nRequire: 100rel") == NULL);
	CU_ASSERT_EQUAL(uah_count(net, 0, "PRACK "), 0);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_out, 0);
	CU_ASSERT_EQUAL(sipdp_ua_rel100_off(b->ua, hb), -EINVAL); /* answered */
	CU_ASSERT_EQUAL(sipdp_ua_rel100_off(a->ua, ha), -EINVAL); /* a UAC dialog */
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	uah_assert_idle(net, t0 + 60 * UAH_SEC);
	CU_ASSERT_EQUAL(sipdp_ua_rel100_off(b->ua, hb), -ENOENT);

	/* a second call: reliable 183 first, then "off" is refused */
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	hb = b->last_incoming;
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, hb, 183, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
				      net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_ua_rel100_off(b->ua, hb), -EINVAL);
	uah_settle(net);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_out, 1);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->prack_in, 1);
	CU_ASSERT_EQUAL(sipdp_ua_reject(b->ua, hb, 486, SIPDP_STR_NULL, net->now_us), 0);
	uah_assert_idle(net, net->now_us + 60 * UAH_SEC);
	uah_free(net);
}

static void
tw_off(struct sipdp_ua_params *p)
{
	p->rel100 = SIPDP_UA_100REL_OFF;
	p->cb.on_ext = p->cb.on_incoming;
}

static int
invite_rel(struct uah_ep *from, uint8_t to, uint8_t rel, sipdp_handle_t *h)
{
	struct sipdp_ua_invite inv = {
		.ruri = SIPDP_STR("sip:bob@192.0.2.2"),
		.from = SIPDP_STR("<sip:alice@192.0.2.1>"),
		.to = SIPDP_STR("<sip:bob@192.0.2.2>"),
		.dest = uah_dest(to),
		.rel100 = rel,
	};
	return sipdp_ua_invite(from->ua, &inv, from->net->now_us, h);
}

/* One call from @p a (endpoint 0 or 2) to b (endpoint 1): b rings 180 and
 * answers once any PRACK came; a hangs up. @return the INVITE's text. */
static const char *
call_with(struct uah_net *net, struct uah_ep *a, struct uah_ep *b, uint8_t rel)
{
	const struct uah_pkt *inv;
	uint32_t n_inv = uah_count(net, a->id, "INVITE ");
	sipdp_handle_t ha, hb;

	CU_ASSERT_EQUAL_FATAL(invite_rel(a, 1, rel, &ha), 0);
	uah_settle(net);
	hb = b->last_incoming;
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, hb, 180, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
				      net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, hb, 200, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
					net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	uah_assert_idle(net, net->now_us + 60 * UAH_SEC);
	inv = uah_nth(net, a->id, "INVITE ", n_inv);
	return inv != NULL ? inv->data : "";
}

static void
test_per_call_uac_100rel(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, tw_off), *b = uah_add(net, 8, uah_rel100_supported);
	struct uah_ep *c = uah_add(net, 8, uah_rel100_supported);
	const char *m;
	sipdp_handle_t h;

	/* required, on a stack that is off */
	m = call_with(net, a, b, SIPDP_UA_INVITE_100REL_REQUIRED);
	CU_ASSERT(strstr(m, "\r\nRequire: 100rel\r\n") != NULL);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_out, 1);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->prack_out, 1);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->prack_in, 1);
	CU_ASSERT(strstr(uah_nth(net, 0, "PRACK ", 0)->data, " 1 INVITE\r\n") != NULL);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 1);

	/* supported, on the same stack */
	m = call_with(net, a, b, SIPDP_UA_INVITE_100REL_SUPPORTED);
	CU_ASSERT(strstr(m, "\r\nSupported: 100rel\r\n") != NULL);
	CU_ASSERT(strstr(m, "Require:") == NULL);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_out, 2);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->prack_out, 2);

	/* the stack's own choice (off): nothing */
	m = call_with(net, a, b, SIPDP_UA_INVITE_100REL_DEFAULT);
	CU_ASSERT(strstr(m, "100rel") == NULL);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_out, 2);

	/* off, on a stack that supports 100rel: a plain 180, no PRACK */
	m = call_with(net, c, b, SIPDP_UA_INVITE_100REL_OFF);
	CU_ASSERT(strstr(m, "100rel") == NULL);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_out, 2);
	CU_ASSERT_EQUAL(sipdp_ua_stats(c->ua)->prack_out, 0);
	CU_ASSERT_EQUAL(uah_evcount(c, SIPDP_UA_EV_ANSWERED), 1);

	CU_ASSERT_EQUAL(invite_rel(a, 1, SIPDP_UA_INVITE_100REL_REQUIRED + 1, &h), -EINVAL);
	uah_free(net);
}

static struct sipdp_test_case cases[] = {
	{ "reliable_1xx_retransmitted_then_504_at_64t1", test_retransmit_then_504 },
	{ "final_2xx_held_until_prack", test_2xx_held_until_prack },
	{ "require_unknown_420_unsupported", test_420 },
	{ "required_policy_421", test_421 },
	{ "duplicate_and_out_of_order_rseq", test_rseq_order },
	{ "offer_in_1xx_answered_in_prack", test_offer_in_1xx },
	{ "second_reliable_1xx_waits_for_prack", test_second_reliable },
	{ "cancel_while_2xx_held_gets_487_only", test_cancel_while_held },
	{ "per_call_rel100_off_sends_plain_1xx", test_rel100_off_per_call },
	{ "per_call_uac_100rel_overrides_stack", test_per_call_uac_100rel },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("ua_prack", cases);
}
