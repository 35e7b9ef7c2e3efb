/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Invite sessions end to end: two (three for forking) UA stacks joined by
 * the in-memory network of ua_harness, fake clock.
 *
 * Scenarios and the requirement each checks:
 *  - successful_call: RFC 3665 §3.1 (INVITE, 100, 180, 200, ACK, BYE, 200);
 *    RFC 3261 §8.2.6.1 100 only when the answer is not immediate, §12.1
 *    dialog on both sides with the same Call-ID and tags, §13.2.2.4 ACK
 *    built by the UA core, §15 BYE, each side hears one termination.
 *  - busy_486: RFC 3665 §3.2 (486, ACK by the transaction), UAC failed once.
 *  - unavailable_503: RFC 3665 §3.8.
 *  - no_answer_then_cancel: RFC 3665 §3.10-like: 180 then CANCEL; §9.1,
 *    §9.2: 200 to CANCEL, 487 to INVITE; one outcome on each side.
 *  - cancel_queued_until_provisional: §9.1 no CANCEL before a provisional.
 *  - forked_one_answers: RFC 3261 §12.1.2 / §13.2.2.4: two To tags make two
 *    early dialogs; one answers; the other early dialog ends at Timer M.
 *  - forked_two_answer: two 2xx: both ACKed, the extra one ended with BYE.
 *  - bye_in_early_dialog: §15, §15.1.2: UAS answers BYE 200 and INVITE 487.
 *  - duplicate_invite_absorbed: §17.2.3 the retransmitted INVITE is not a
 *    new call; the application hears it once.
 *  - ids_carry_shard: Call-ID, tags and branches name the owning shard.
 */
#include <string.h>

#include "sipdp_test.h"
#include "ua_harness.h"

static const char *
first_line_of(const struct uah_pkt *p)
{
	return p ? p->data : "";
}

static void
test_successful_call(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha, hb;
	struct sipdp_ua_dlg_info ia, ib;

	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_INCOMING), 1);
	hb = b->last_incoming;
	/* not answered inside the callback: 100 Trying went out */
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 100"), 1);
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, hb, 180, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
				      net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_PROVISIONAL), 1);
	CU_ASSERT_EQUAL(sipdp_ua_dlg(a->ua, ha)->state, SIPDP_DLG_S_RINGING);
	CU_ASSERT_EQUAL(sipdp_ua_dlg(b->ua, hb)->state, SIPDP_DLG_S_RINGING);
	CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, hb, 200, SIPDP_STR_NULL, SIPDP_STR("application/sdp"),
					SIPDP_STR("v=0\r\n"), net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 1);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_CONFIRMED), 1);
	CU_ASSERT_EQUAL(sipdp_ua_dlg_info(a->ua, ha, &ia), 0);
	CU_ASSERT_EQUAL(sipdp_ua_dlg_info(b->ua, hb, &ib), 0);
	CU_ASSERT(sipdp_str_eq(ia.call_id, ib.call_id));
	CU_ASSERT(sipdp_str_eq(ia.local_tag, ib.remote_tag));
	CU_ASSERT(sipdp_str_eq(ia.remote_tag, ib.local_tag));
	CU_ASSERT(sipdp_str_eq(ia.remote_target, SIPDP_STR("sip:ua1@192.0.2.2:5060")));
	CU_ASSERT(sipdp_str_eq(ib.remote_target, SIPDP_STR("sip:ua0@192.0.2.1:5060")));
	CU_ASSERT_EQUAL(ia.state, SIPDP_DLG_S_ESTABLISHED);
	CU_ASSERT(ib.confirmed);
	/* confirmed: no transaction kept on the UAS */
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(b->ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_TERMINATED), 1);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_LOCAL_BYE);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_TERMINATED), 1);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_REMOTE_BYE);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 200"), 2); /* INVITE and BYE */
	/* the exact RFC 3665 §3.1 order at each side */
	CU_ASSERT(strncmp(first_line_of(uah_nth(net, 0, "", 0)), "INVITE ", 7) == 0);
	CU_ASSERT(strncmp(first_line_of(uah_nth(net, 0, "", 1)), "ACK ", 4) == 0);
	CU_ASSERT(strncmp(first_line_of(uah_nth(net, 0, "", 2)), "BYE ", 4) == 0);
	CU_ASSERT(strncmp(first_line_of(uah_nth(net, 1, "", 0)), "SIP/2.0 100", 11) == 0);
	CU_ASSERT(strncmp(first_line_of(uah_nth(net, 1, "", 1)), "SIP/2.0 180", 11) == 0);
	CU_ASSERT(strncmp(first_line_of(uah_nth(net, 1, "", 2)), "SIP/2.0 200", 11) == 0);
	CU_ASSERT(strstr(first_line_of(uah_nth(net, 1, "", 3)), "CSeq: 2 BYE") != NULL);
	/* stale handles: an error, never a crash */
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), -ENOENT);
	CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, hb, 200, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
					net->now_us), -ENOENT);
	uah_run(net, net->now_us + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(a->ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(b->ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(a->ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(b->ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_timer_count(a->ua), 0);
	uah_free(net);
}

static void
reject_flow(uint16_t code)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha;

	b->answer = UAH_REJECT_NOW;
	b->answer_code = code;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 100"), 0); /* answered at once */
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_FAILED), 1);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_FAILED)->status, code);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 0);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_TERMINATED), 1);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_REJECTED);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_TERMINATED)->status, code);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_TERMINATED), 1);
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 1); /* §17.1.1.3, same branch */
	uah_run(net, net->now_us + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(a->ua) + sipdp_ua_tsx_count(b->ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(a->ua) + sipdp_ua_dialog_count(b->ua), 0);
	uah_free(net);
}

static void
test_busy_486(void)
{
	reject_flow(486);
}

static void
test_unavailable_503(void)
{
	reject_flow(503);
}

static void
test_no_answer_then_cancel(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha, hb;

	b->answer = UAH_RING;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_run(net, net->now_us + 5 * UAH_SEC);
	hb = b->last_incoming;
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_PROVISIONAL), 1);
	CU_ASSERT_EQUAL(sipdp_ua_cancel(a->ua, ha, net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_ua_cancel(a->ua, ha, net->now_us), -EALREADY);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 0, "CANCEL "), 1);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 487"), 1);
	CU_ASSERT(strstr(uah_nth(net, 1, "SIP/2.0 200", 0)->data, "CSeq: 1 CANCEL") != NULL);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_TERMINATED), 1);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_CANCELLED);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_CONFIRMED), 0);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_FAILED), 1);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_FAILED)->status, 487);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_TERMINATED), 1);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_CANCELLED);
	/* a later accept on the cancelled dialog is an error, not a 2xx */
	CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, hb, 200, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
					net->now_us), -ENOENT);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 200 OK\r\nVia"), 1); /* only the CANCEL's */
	uah_free(net);
}

static void
test_cancel_queued_until_provisional(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha;

	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	CU_ASSERT_EQUAL(sipdp_ua_cancel(a->ua, ha, net->now_us), 0);
	CU_ASSERT_EQUAL(uah_count(net, 0, "CANCEL "), 0); /* §9.1: not yet */
	uah_deliver(net, false); /* INVITE reaches b, 100 goes back */
	CU_ASSERT_EQUAL(uah_count(net, 0, "CANCEL "), 0);
	uah_deliver(net, false); /* the 100 arrives: now the CANCEL */
	CU_ASSERT_EQUAL(uah_count(net, 0, "CANCEL "), 1);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_FAILED)->status, 487);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_TERMINATED), 1);
	uah_free(net);
}

static void
test_forked_one_answers(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL), *c = uah_add(net, 8, NULL);
	sipdp_handle_t ha;
	const struct uah_ev *e;

	net->fork_to[0] = 1;
	net->fork_to[1] = 2;
	net->nfork = 2;
	b->answer = UAH_RING;
	c->answer = UAH_RING;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, UAH_FORK, &ha), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_PROVISIONAL), 2);
	/* two early dialogs, two handles: the head and one fork */
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(a->ua), 2);
	CU_ASSERT_EQUAL(sipdp_ua_accept(c->ua, c->last_incoming, 200, SIPDP_STR_NULL, SIPDP_STR_NULL,
					SIPDP_STR_NULL, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 1);
	e = uah_evlast(a, SIPDP_UA_EV_ANSWERED);
	CU_ASSERT(e->fork);
	CU_ASSERT_EQUAL(uah_evcount(c, SIPDP_UA_EV_CONFIRMED), 1);
	/* Timer M (64*T1 after the 2xx) ends the early dialog that never answered */
	uah_run(net, net->now_us + 31 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_TERMINATED), 0);
	uah_run(net, net->now_us + 2 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_TERMINATED), 1);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_FORK_ENDED);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_TERMINATED)->dlg, ha);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_FAILED), 0);
	/* the answered fork lives on and ends cleanly */
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, e->dlg, net->now_us), 0);
	uah_run(net, net->now_us + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_evcount(c, SIPDP_UA_EV_TERMINATED), 1);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(a->ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(a->ua), 0);
	uah_free(net);
}

static void
test_forked_two_answer(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL), *c = uah_add(net, 8, NULL);
	sipdp_handle_t ha;

	net->fork_to[0] = 1;
	net->fork_to[1] = 2;
	net->nfork = 2;
	b->answer = UAH_ACCEPT_NOW;
	c->answer = UAH_ACCEPT_NOW;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, UAH_FORK, &ha), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 2);
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 2);  /* each 2xx ACKed */
	CU_ASSERT_EQUAL(uah_count(net, 0, "BYE "), 1);  /* the extra one ended */
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->fork_byes, 1);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_TERMINATED) + uah_evcount(c, SIPDP_UA_EV_TERMINATED), 1);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(a->ua), 1);
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	uah_run(net, net->now_us + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_TERMINATED) + uah_evcount(c, SIPDP_UA_EV_TERMINATED), 2);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(a->ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(a->ua), 0);
	uah_free(net);
}

static void
test_bye_in_early_dialog(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha;

	b->answer = UAH_RING;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 0, "BYE "), 1);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 487"), 1);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_TERMINATED), 1);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_REMOTE_BYE);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_TERMINATED), 1);
	/* UAS cannot BYE an unanswered INVITE */
	b->answer = UAH_MANUAL;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(sipdp_ua_bye(b->ua, b->last_incoming, net->now_us), -EINVAL);
	uah_free(net);
}

static void
test_duplicate_invite_absorbed(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha;

	a->dup_next = 1;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_INCOMING), 1);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 100"), 2); /* the 100 is re-sent */
	uah_free(net);
}

static void
test_ids_carry_shard(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha;
	struct sipdp_ua_dlg_info ia;
	uint16_t shard = 99;

	(void)b;
	uah_add(net, 8, NULL);
	{
		struct uah_ep *c = &net->ep[2];
		CU_ASSERT_EQUAL_FATAL(uah_invite(c, 1, &ha), 0);
		CU_ASSERT_EQUAL(sipdp_ua_dlg_info(c->ua, ha, &ia), 0);
	}
	CU_ASSERT_EQUAL(sipdp_ua_id_shard(ia.call_id, &shard), 0);
	CU_ASSERT_EQUAL(shard, 2);
	CU_ASSERT_EQUAL(sipdp_ua_id_shard(ia.local_tag, &shard), 0);
	CU_ASSERT_EQUAL(shard, 2);
	CU_ASSERT_EQUAL(ia.call_id.len, SIPDP_DLG_CALL_ID_LEN);
	CU_ASSERT_EQUAL(sipdp_ua_id_shard(SIPDP_STR("abc@host"), &shard), -EINVAL);
	{
		const char *v = strstr(uah_nth(net, 2, "INVITE", 0)->data, "branch=");
		CU_ASSERT_FATAL(v != NULL);
		CU_ASSERT_EQUAL(sipdp_ua_id_shard(sipdp_str_make(v + 7, SIPDP_TSX_BRANCH_LEN), &shard), 0);
		CU_ASSERT_EQUAL(shard, 2);
	}
	/* two calls never share a Call-ID */
	{
		sipdp_handle_t h2;
		struct sipdp_ua_dlg_info i2;
		CU_ASSERT_EQUAL(uah_invite(a, 1, &h2), 0);
		CU_ASSERT_EQUAL(sipdp_ua_dlg_info(a->ua, h2, &i2), 0);
		CU_ASSERT(!sipdp_str_eq(i2.call_id, ia.call_id));
	}
	uah_free(net);
}

/* sipdp_dlg_next(): what /sipdp/dialogs' worker-side walk relies on. A
 * walk of max_scan slots per call finds every live dialog exactly once
 * and ends at the capacity; a freed slot is skipped. */
static void
test_dialog_walk_is_bounded_and_finds_every_live_dialog(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	const struct sipdp_dlg_table *t;
	sipdp_handle_t h[3];
	uint32_t cursor = 0, found = 0, calls = 0;

	b->answer = UAH_RING;
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &h[i]), 0);
	uah_settle(net);
	t = sipdp_ua_dlg_table(a->ua);
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_dialog_count(a->ua), 3);
	/* One slot per call: the walk takes exactly capacity calls to end. */
	while (cursor < sipdp_dlg_capacity(t) && calls < 1000) {
		const struct sipdp_dlg *d = sipdp_dlg_next(t, &cursor, 1);

		calls++;
		if (d != NULL) {
			found++;
			CU_ASSERT_EQUAL(d->state, SIPDP_DLG_S_RINGING);
			CU_ASSERT(sipdp_dlg_created_ms(d) <= (uint32_t)(net->now_us / 1000));
		}
	}
	CU_ASSERT_EQUAL(found, 3);
	CU_ASSERT_EQUAL(calls, sipdp_dlg_capacity(t));
	CU_ASSERT_PTR_NULL(sipdp_dlg_next(t, &cursor, 100));
	/* Cancel the second call: a walk in one go skips its slot once freed. */
	CU_ASSERT_EQUAL(sipdp_ua_cancel(a->ua, h[1], net->now_us), 0);
	uah_run(net, net->now_us + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(a->ua), 2);
	cursor = 0;
	found = 0;
	while (sipdp_dlg_next(t, &cursor, UINT32_MAX) != NULL)
		found++;
	CU_ASSERT_EQUAL(found, 2);
	uah_free(net);
}

static struct sipdp_test_case cases[] = {
	{ "dialog_walk_is_bounded_and_finds_every_live_dialog",
	  test_dialog_walk_is_bounded_and_finds_every_live_dialog },
	{ "successful_call_rfc3665_3_1", test_successful_call },
	{ "busy_486_rfc3665_3_2", test_busy_486 },
	{ "unavailable_503_rfc3665_3_8", test_unavailable_503 },
	{ "no_answer_then_cancel_487", test_no_answer_then_cancel },
	{ "cancel_queued_until_provisional", test_cancel_queued_until_provisional },
	{ "forked_one_answers_other_early_dialog_ends", test_forked_one_answers },
	{ "forked_two_2xx_extra_acked_and_byed", test_forked_two_answer },
	{ "bye_in_early_dialog_gets_487", test_bye_in_early_dialog },
	{ "duplicate_invite_absorbed", test_duplicate_invite_absorbed },
	{ "ids_carry_owning_shard", test_ids_carry_shard },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("ua_flows", cases);
}
