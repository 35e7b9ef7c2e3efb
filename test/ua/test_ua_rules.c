/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Timers, races and dialog rules of the UA core (fake clock, 1 ms steps,
 * T1 = 500 ms, T2 = 4 s).
 *
 * Scenarios and the requirement each checks:
 *  - 2xx_retransmit_schedule_exact: RFC 3261 §13.3.1.4: the 2xx is re-sent
 *    at T1, then doubling to T2 (0.5, 1.5, 3.5, 7.5, 11.5, ... 31.5 s) while
 *    no ACK comes, and at 64*T1 (32 s) the dialog ends with BYE.
 *  - lost_200_is_retransmitted: the first 200 is lost; the T1 copy gets the
 *    call up, the UAC ACKs once.
 *  - lost_ack_answered_by_2xx_retransmit: §13.2.2.4: the UAC re-sends the ACK
 *    for each 2xx retransmission.
 *  - cancel_after_accept: §9.2 the CANCEL races a 2xx: 200 to CANCEL, no
 *    487, the UAC ACKs the 2xx and ends it with BYE; each side one outcome.
 *  - cancel_before_accept: the CANCEL arrives first: 487, the late accept is
 *    -ENOENT, no 2xx ever leaves.
 *  - reinvite_both_ways_target_refresh: §14, §12.2.1.2, §12.2.2: re-INVITE
 *    from either side, the Contact of the request/2xx becomes the target.
 *  - glare_491_and_retry_timers: §14.1/§14.2: crossing re-INVITEs both get
 *    491; the Call-ID owner waits 2.1-4 s, the other 0-2 s, 10 ms units.
 *  - unknown_dialog_481, lower_cseq_500, merged_482, full_503: §12.2.2,
 *    §8.2.2.2, and a full dialog table answers 503 with Retry-After.
 *  - state_history_and_transitions: the dialog model refuses going back;
 *    the history records transitions with their events.
 *  - reordered_2xx_before_180: UDP reorders: the 200 overtakes the 180.
 *    §13.2.2.4: the 2xx confirms the dialog and is ACKed once; the late 180
 *    moves nothing back (§12: no return from Established).
 *  - reordered_bye_before_ack: the BYE overtakes the ACK of the 2xx. §15.1.2:
 *    the UAS answers the BYE 200 and ends the dialog; the late ACK is
 *    absorbed without a response, and the 2xx is not retransmitted after it.
 */
#include <stdio.h>
#include <string.h>

#include "sipdp_test.h"
#include "ua_harness.h"

static sipdp_handle_t
call_up(struct uah_net *net, struct uah_ep *a, struct uah_ep *b, sipdp_handle_t *hb)
{
	sipdp_handle_t ha = 0;

	b->answer = UAH_ACCEPT_NOW;
	CU_ASSERT_EQUAL(uah_invite(a, b->id, &ha), 0);
	uah_settle(net);
	*hb = b->last_incoming;
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_CONFIRMED), 1);
	return ha;
}

static void
test_2xx_retransmit_schedule(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	static const uint64_t at_ms[] = { 0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500 };
	sipdp_handle_t ha;
	uint64_t t0;

	b->answer = UAH_ACCEPT_NOW;
	a->drop_prefix = "ACK ";
	a->drop_prefix_n = 1000;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	t0 = net->now_us;
	uah_run(net, t0 + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 200"), SIPDP_ARRAY_SIZE(at_ms));
	CU_ASSERT_EQUAL(uah_count(net, 0, "SIP/2.0 200"), 1); /* a answers the BYE */
	for (uint32_t i = 0; i < SIPDP_ARRAY_SIZE(at_ms); i++) {
		const struct uah_pkt *p = uah_nth(net, 1, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1", i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_EQUAL(p->at_us - t0, at_ms[i] * UAH_MS);
	}
	/* the UAC answered each copy with an ACK (all lost) */
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), SIPDP_ARRAY_SIZE(at_ms));
	CU_ASSERT_EQUAL(uah_count(net, 1, "BYE "), 1);
	CU_ASSERT_EQUAL(uah_nth(net, 1, "BYE ", 0)->at_us - t0, 32000 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_TIMEOUT);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_CONFIRMED), 0);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_REMOTE_BYE);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->ack_timeouts, 1);
	uah_free(net);
}

static void
test_lost_200(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha;
	uint64_t t0;

	b->answer = UAH_ACCEPT_NOW;
	b->drop_prefix = "SIP/2.0 200";
	b->drop_prefix_n = 1;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	t0 = net->now_us;
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 0);
	uah_run(net, t0 + 499 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 0);
	uah_run(net, t0 + 500 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_CONFIRMED), 1);
	uah_run(net, t0 + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 200"), 2);
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 1);
	uah_free(net);
}

static void
test_lost_ack(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha;
	uint64_t t0;

	b->answer = UAH_ACCEPT_NOW;
	a->drop_prefix = "ACK ";
	a->drop_prefix_n = 1;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	t0 = net->now_us;
	uah_run(net, t0 + 10 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 2);
	CU_ASSERT_EQUAL(uah_nth(net, 0, "ACK ", 1)->at_us - t0, 500 * UAH_MS);
	/* the re-sent ACK is the same ACK (same branch, §13.2.2.4) */
	CU_ASSERT_STRING_EQUAL(uah_nth(net, 0, "ACK ", 0)->data, uah_nth(net, 0, "ACK ", 1)->data);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_CONFIRMED), 1);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 200"), 2);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->acks_resent, 1);
	uah_free(net);
}

static void
test_cancel_after_accept(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha;

	b->answer = UAH_RING;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	/* both act before hearing the other: 200 and CANCEL cross */
	CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, b->last_incoming, 200, SIPDP_STR_NULL, SIPDP_STR_NULL,
					SIPDP_STR_NULL, net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_ua_cancel(a->ua, ha, net->now_us), 0);
	uah_run(net, net->now_us + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 487"), 0);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->cancel_after_2xx, 1);
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 1);
	CU_ASSERT_EQUAL(uah_count(net, 0, "BYE "), 1);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_FAILED), 1);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 0);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_TERMINATED), 1);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_CANCELLED);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_TERMINATED), 1);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_REMOTE_BYE);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(a->ua) + sipdp_ua_dialog_count(b->ua), 0);
	uah_free(net);
}

static void
test_cancel_before_accept(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha, hb;

	b->answer = UAH_RING;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	hb = b->last_incoming;
	CU_ASSERT_EQUAL(sipdp_ua_cancel(a->ua, ha, net->now_us), 0);
	uah_deliver(net, false); /* the CANCEL reaches b first */
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_TERMINATED), 1);
	CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, hb, 200, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
					net->now_us), -ENOENT);
	uah_run(net, net->now_us + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 487"), 1);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 200"), 1); /* the CANCEL's only */
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_TERMINATED), 1);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_FAILED), 1);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_TERMINATED), 1);
	uah_free(net);
}

static void
tweak_contact_a2(struct sipdp_ua_params *p)
{
	(void)p;
}

static void
test_reinvite_both_ways(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, tweak_contact_a2), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha, hb;
	struct sipdp_ua_dlg_info ia, ib;

	ha = call_up(net, a, b, &hb);
	b->answer_requests = true;
	a->answer_requests = true;
	CU_ASSERT_EQUAL(sipdp_ua_reinvite(a->ua, ha, SIPDP_STR_NULL, SIPDP_STR("application/sdp"),
					  SIPDP_STR("v=0\r\n"), 7, net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_ua_reinvite(a->ua, ha, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL, 8,
					  net->now_us), -EBUSY);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_REQUEST), 1);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_RESPONSE)->status, 200);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_RESPONSE)->req_ref, 7);
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 2);
	CU_ASSERT(strstr(uah_nth(net, 0, "INVITE ", 1)->data, "CSeq: 2 INVITE") != NULL);
	/* the other way, with a new Contact: target refresh on both sides */
	CU_ASSERT_EQUAL(sipdp_ua_reinvite(b->ua, hb, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL, 9,
					  net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_RESPONSE)->status, 200);
	CU_ASSERT_EQUAL(uah_count(net, 1, "ACK "), 1);
	CU_ASSERT_EQUAL(sipdp_ua_dlg_info(a->ua, ha, &ia), 0);
	CU_ASSERT_EQUAL(sipdp_ua_dlg_info(b->ua, hb, &ib), 0);
	CU_ASSERT_EQUAL(ib.remote_cseq, 2);
	CU_ASSERT_EQUAL(ia.remote_cseq, 1);
	CU_ASSERT(sipdp_str_eq(ia.remote_target, SIPDP_STR("sip:ua1@192.0.2.2:5060")));
	/* a re-INVITE with another Contact moves the target */
	{
		char buf[1024];
		snprintf(buf, sizeof(buf),
			 "INFO sip:ua1@192.0.2.2:5060 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKupd1\r\n"
			 "Max-Forwards: 70\r\nFrom: <sip:alice@192.0.2.1>;tag=%.*s\r\n"
			 "To: <sip:bob@192.0.2.2>;tag=%.*s\r\nCall-ID: %.*s\r\nCSeq: 3 UPDATE\r\n"
			 "Content-Length: 0\r\n\r\n",
			 SIPDP_STR_FMT(ib.remote_tag), SIPDP_STR_FMT(ib.local_tag), SIPDP_STR_FMT(ib.call_id));
		/* CSeq method differs from the start line: 400 by the check */
		uah_inject(net, 0, 1, buf);
		uah_settle(net);
		CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 400"), 1);
		snprintf(buf, sizeof(buf),
			 "UPDATE sip:ua1@192.0.2.2:5060 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKupd2\r\n"
			 "Max-Forwards: 70\r\nFrom: <sip:alice@192.0.2.1>;tag=%.*s\r\n"
			 "To: <sip:bob@192.0.2.2>;tag=%.*s\r\nCall-ID: %.*s\r\nCSeq: 3 UPDATE\r\n"
			 "Contact: <sip:alice@198.51.100.7:5070>\r\nContent-Length: 0\r\n\r\n",
			 SIPDP_STR_FMT(ib.remote_tag), SIPDP_STR_FMT(ib.local_tag), SIPDP_STR_FMT(ib.call_id));
		uah_inject(net, 0, 1, buf);
		uah_settle(net);
		CU_ASSERT_EQUAL(sipdp_ua_dlg_info(b->ua, hb, &ib), 0);
		CU_ASSERT(sipdp_str_eq(ib.remote_target, SIPDP_STR("sip:alice@198.51.100.7:5070")));
		CU_ASSERT_EQUAL(ib.remote_cseq, 3);
	}
	uah_free(net);
}

static void
test_glare(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha, hb;
	const struct uah_ev *ra, *rb, *ga, *gb;

	ha = call_up(net, a, b, &hb);
	a->answer_requests = true;
	b->answer_requests = true;
	CU_ASSERT_EQUAL(sipdp_ua_reinvite(a->ua, ha, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL, 1,
					  net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_ua_reinvite(b->ua, hb, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL, 2,
					  net->now_us), 0);
	uah_settle(net);
	ra = uah_evlast(a, SIPDP_UA_EV_RESPONSE);
	rb = uah_evlast(b, SIPDP_UA_EV_RESPONSE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ra);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	CU_ASSERT_EQUAL(ra->status, 491);
	CU_ASSERT_EQUAL(rb->status, 491);
	CU_ASSERT_EQUAL(sipdp_ua_reinvite(a->ua, ha, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL, 1,
					  net->now_us), -EAGAIN);
	uah_run(net, net->now_us + 5 * UAH_SEC);
	ga = uah_evlast(a, SIPDP_UA_EV_GLARE_RETRY);
	gb = uah_evlast(b, SIPDP_UA_EV_GLARE_RETRY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ga);
	CU_ASSERT_PTR_NOT_NULL_FATAL(gb);
	/* a owns the Call-ID (it is the dialog's UAC): 2.1..4 s; b: 0..2 s.
	 * The wheel fires on the first 1 ms step at or after the due time. */
	CU_ASSERT(ga->at_us - ra->at_us >= 2100 * UAH_MS && ga->at_us - ra->at_us <= 4000 * UAH_MS);
	CU_ASSERT((ga->at_us - ra->at_us) % (10 * UAH_MS) == 0);
	CU_ASSERT(gb->at_us - rb->at_us <= 2001 * UAH_MS);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->glare_491 + sipdp_ua_stats(b->ua)->glare_491, 2);
	CU_ASSERT_EQUAL(sipdp_ua_reinvite(a->ua, ha, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL, 3,
					  net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_RESPONSE)->status, 200);
	uah_free(net);
}

static void
test_481_500_482(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha, hb;
	struct sipdp_ua_dlg_info ib;
	char buf[1024];

	ha = call_up(net, a, b, &hb);
	(void)ha;
	CU_ASSERT_EQUAL(sipdp_ua_dlg_info(b->ua, hb, &ib), 0);
	/* unknown dialog */
	uah_inject(net, 0, 1,
		   "BYE sip:ua1@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx481\r\n"
		   "Max-Forwards: 70\r\nFrom: <sip:a@x>;tag=nope\r\nTo: <sip:b@y>;tag=sd0001000000004badbeef\r\n"
		   "Call-ID: nosuch@x\r\nCSeq: 5 BYE\r\nContent-Length: 0\r\n\r\n");
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 481"), 1);
	/* lower CSeq than the INVITE's (1) -> 500, the dialog survives */
	snprintf(buf, sizeof(buf),
		 "INFO sip:ua1@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx500\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:alice@192.0.2.1>;tag=%.*s\r\nTo: <sip:bob@192.0.2.2>;tag=%.*s\r\n"
		 "Call-ID: %.*s\r\nCSeq: 1 INFO\r\nContent-Length: 0\r\n\r\n",
		 SIPDP_STR_FMT(ib.remote_tag), SIPDP_STR_FMT(ib.local_tag), SIPDP_STR_FMT(ib.call_id));
	uah_inject(net, 0, 1, buf);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 500"), 1);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->cseq_500, 1);
	CU_ASSERT_EQUAL(sipdp_ua_dlg_info(b->ua, hb, &ib), 0);
	/* merged request: same From tag, Call-ID and CSeq, another branch */
	{
		const char *inv = "INVITE sip:bob@192.0.2.2 SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKm%d\r\n"
				  "Max-Forwards: 70\r\nFrom: <sip:c@z>;tag=m1\r\nTo: <sip:bob@192.0.2.2>\r\n"
				  "Call-ID: merged@z\r\nCSeq: 1 INVITE\r\nContact: <sip:c@192.0.2.9>\r\n"
				  "Content-Length: 0\r\n\r\n";
		snprintf(buf, sizeof(buf), inv, 1);
		uah_inject(net, 0, 1, buf);
		snprintf(buf, sizeof(buf), inv, 2);
		uah_inject(net, 0, 1, buf);
		b->answer = UAH_MANUAL;
		uah_settle(net);
		CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 482"), 1);
	}
	uah_free(net);
}

static void
test_full_503(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 1, NULL);
	sipdp_handle_t h1, h2;

	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &h1), 0);
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &h2), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_INCOMING), 1);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 503"), 1);
	CU_ASSERT(strstr(uah_nth(net, 1, "SIP/2.0 503", 0)->data, "Retry-After: 5\r\n") != NULL);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->full_503, 1);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_FAILED)->status, 503);
	uah_free(net);
}

static void
test_state_model(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha, hb;
	const struct sipdp_dlg *d;
	char *text = NULL;
	size_t tlen = 0;
	FILE *f;

	CU_ASSERT(!sipdp_dlg_transition_ok(SIPDP_DLG_UAS, SIPDP_DLG_S_ESTABLISHED, SIPDP_DLG_S_RINGING));
	CU_ASSERT(!sipdp_dlg_transition_ok(SIPDP_DLG_UAS, SIPDP_DLG_S_INIT, SIPDP_DLG_S_TRYING));
	CU_ASSERT(sipdp_dlg_transition_ok(SIPDP_DLG_UAC, SIPDP_DLG_S_TRYING, SIPDP_DLG_S_ESTABLISHED));
	CU_ASSERT_STRING_EQUAL(sipdp_dlg_state_str(SIPDP_DLG_S_RINGING), "Ringing");
	ha = call_up(net, a, b, &hb);
	d = sipdp_ua_dlg(a->ua, ha);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->hist_n, 3); /* create, tx-invite, rx-2xx */
	CU_ASSERT_EQUAL(d->hist[1].event, SIPDP_DLG_EV_TX_INVITE);
	CU_ASSERT_EQUAL(d->hist[2].from_to, (SIPDP_DLG_S_TRYING << 4) | SIPDP_DLG_S_ESTABLISHED);
	f = open_memstream(&text, &tlen);
	CU_ASSERT_EQUAL(sipdp_ua_dump_dialog(b->ua, hb, f), 0);
	fclose(f);
	CU_ASSERT(strstr(text, "Init -> Established on tx-2xx 200") != NULL);
	free(text);
	CU_ASSERT_EQUAL(sipdp_dlg_stats(sipdp_ua_dlg_table(a->ua))->bad_transition, 0);
	uah_free(net);
}

static void
no_user_agent(struct sipdp_ua_params *p)
{
	p->user_agent = SIPDP_STR_NULL;
}

/* An embedder with no User-Agent identity passes (NULL, 0): the stack must
 * take it (UBSan once caught a memcpy from NULL here) and send no
 * User-Agent or Server header at all. */
static void
test_empty_identity(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, no_user_agent), *b = uah_add(net, 8, no_user_agent);
	sipdp_handle_t ha, hb;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	ha = call_up(net, a, b, &hb);
	(void)ha;
	CU_ASSERT_PTR_NOT_NULL_FATAL(uah_nth(net, 0, "INVITE ", 0));
	CU_ASSERT_PTR_NULL(strstr(uah_nth(net, 0, "INVITE ", 0)->data, "User-Agent:"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(uah_nth(net, 1, "SIP/2.0 200", 0));
	CU_ASSERT_PTR_NULL(strstr(uah_nth(net, 1, "SIP/2.0 200", 0)->data, "Server:"));
	uah_free(net);
}

static void
test_reordered_2xx_before_180(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	struct sipdp_ua_dlg_info ia;
	sipdp_handle_t ha = 0, hb;

	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_deliver(net, false); /* the INVITE reaches b */
	hb = b->last_incoming;
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, hb, 180, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
				      net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, hb, 200, SIPDP_STR_NULL, SIPDP_STR("application/sdp"),
					SIPDP_STR("v=0\r\n"), net->now_us), 0);
	/* b sent 100 (at once, the answer was not immediate), 180, 200:
	 * delivered as 200, 180, 100 */
	CU_ASSERT_EQUAL(uah_deliver(net, true), 3);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_PROVISIONAL), 0);
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 1);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_CONFIRMED), 1);
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_dlg_info(a->ua, ha, &ia), 0);
	CU_ASSERT_EQUAL(ia.state, SIPDP_DLG_S_ESTABLISHED);
	CU_ASSERT_TRUE(ia.confirmed);
	/* and it still ends normally */
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_REMOTE_BYE);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(a->ua) + sipdp_ua_dialog_count(b->ua), 0);
	uah_free(net);
}

static void
test_reordered_bye_before_ack(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha = 0, hb;
	uint64_t t_bye;

	b->answer = UAH_ACCEPT_NOW;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_deliver(net, false); /* INVITE -> b, which answers 200 at once */
	uah_deliver(net, false); /* 200 -> a, which queues the ACK */
	CU_ASSERT_EQUAL_FATAL(uah_count(net, 0, "ACK "), 1);
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	t_bye = net->now_us;
	CU_ASSERT_EQUAL(uah_deliver(net, true), 2); /* BYE first, then the ACK */
	hb = b->last_incoming;
	(void)hb;
	uah_run(net, t_bye + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 200 OK"), 2); /* the INVITE's and the BYE's */
	CU_ASSERT_PTR_NOT_NULL(uah_nth(net, 1, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1", 1));
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 481"), 0);
	CU_ASSERT_EQUAL(uah_count(net, 1, "BYE "), 0);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_TERMINATED), 1);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_REMOTE_BYE);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_LOCAL_BYE);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(a->ua) + sipdp_ua_dialog_count(b->ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(a->ua) + sipdp_ua_tsx_count(b->ua), 0);
	uah_free(net);
}

static struct sipdp_test_case cases[] = {
	{ "reordered_2xx_before_180_no_state_regression", test_reordered_2xx_before_180 },
	{ "reordered_bye_before_ack_200_no_481", test_reordered_bye_before_ack },
	{ "empty_identity_sends_no_user_agent", test_empty_identity },
	{ "2xx_retransmit_schedule_exact_then_bye_at_64t1", test_2xx_retransmit_schedule },
	{ "lost_200_is_retransmitted_at_t1", test_lost_200 },
	{ "lost_ack_answered_by_same_ack", test_lost_ack },
	{ "cancel_crossing_200_no_487", test_cancel_after_accept },
	{ "cancel_before_accept_487_then_accept_enoent", test_cancel_before_accept },
	{ "reinvite_both_ways_target_refresh", test_reinvite_both_ways },
	{ "glare_491_and_14_1_retry_timers", test_glare },
	{ "unknown_481_lower_cseq_500_merged_482", test_481_500_482 },
	{ "table_full_503_retry_after", test_full_503 },
	{ "state_model_and_history", test_state_model },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("ua_rules", cases);
}
