/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What lib/ua gives a B2BUA (lib/call) beyond plain invite sessions, over
 * the in-memory network and the fake clock (1 ms steps, T1 = 500 ms).
 *
 * Scenarios and the requirement each checks:
 *  - options_probe_reported_once_without_dialog: RFC 3261 §11, §8.1.1:
 *    sipdp_ua_request_out() sends OPTIONS with a new Call-ID, From tag,
 *    CSeq 1, Max-Forwards 70, our Via and Contact, To <ruri>; the 200 is
 *    reported once (on_response, dlg INVALID, req_ref, method); no dialog.
 *  - options_ids_carry_the_shard: Call-ID, tag and branch name our shard;
 *    the response is refused (-EXDEV) by another shard, taken by ours.
 *  - options_timer_f_reports_408_at_64t1: §17.1.2.2: E at T1 doubling to
 *    T2, 11 copies, 408 reported once at exactly 32 s, nothing left.
 *  - options_send_error_reports_503: a failing send is reported once
 *    (503, msg NULL) and the call still returns 0.
 *  - options_arguments_refused: dialog methods, non-token, empty URI,
 *    reserved req_ref: -EINVAL; full table -ENOSPC; oversize -EMSGSIZE.
 *  - deferred_ack_carries_answer_and_is_resent: RFC 3264 delayed offer:
 *    offerless INVITE, offer in the 2xx, ACK held (2xx retransmissions
 *    absorbed, not reported), then sent with the answer; a 2xx
 *    retransmission after that gets the same ACK byte for byte (§13.2.2.4).
 *  - held_ack_timeout_sends_ack_then_bye: 64*T1 after the 2xx the UA sends
 *    the ACK without body, then BYE; the dialog ends TIMEOUT, counted.
 *  - ack_defer_only_from_the_2xx_callback: outside the callback -EINVAL,
 *    stale -ENOENT; without defer the ACK leaves when the callback returns
 *    and a BYE sent from inside the callback goes after it.
 *  - reinvite_ack_deferred_with_body: the 2xx to our offerless re-INVITE
 *    (on_response) can hold the ACK too; re-INVITE meanwhile -EBUSY;
 *    BYE meanwhile sends the ACK (no body) first.
 *  - forks_hold_their_own_ack: two 2xx forks (§13.2.2.4), each ACK held
 *    by its own dialog and sent with its own To tag to its own UAS.
 *  - invite_carries_per_call_max_forwards: sipdp_ua_invite.max_forwards is
 *    the INVITE's Max-Forwards (0: 70), read back by the UAS with
 *    sipdp_msg_max_forwards(); the ACK and BYE carry 70.
 *  - queued_183_sent_after_prack_of_180: RFC 3262 §3: 180 reliable, 183
 *    with SDP queued, sent with RSeq + 1 when the PRACK comes, PRACKed.
 *  - queued_provisional_replacement_rules: the newer replaces the older,
 *    except that a queued one with a body is kept over a newer without.
 *  - final_drops_queued_provisional: a 2xx given meanwhile waits for the
 *    PRACK and the queued 183 never leaves.
 *  - queued_provisional_needs_a_buffer: -ENOSPC with no message buffer,
 *    -EMSGSIZE when it cannot fit one; without 100rel it is sent at once.
 * Every scenario ends with no dialog, transaction, timer or buffer left.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipdp_msg_hdr.h"
#include "sipdp_test.h"
#include "ua_harness.h"

static const char offer[] = "v=0\r\no=b 2 2 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\n"
			    "t=0 0\r\nm=audio 5000 RTP/AVP 0\r\n";
static const char answer[] = "v=0\r\no=a 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
			     "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";

static bool
has(const struct uah_pkt *p, const char *s)
{
	return p != NULL && strstr(p->data, s) != NULL;
}

static struct sipdp_str
hdr_of(const struct uah_pkt *p, const char *name)
{
	const char *s = p ? strstr(p->data, name) : NULL, *e;

	if (s == NULL)
		return SIPDP_STR_NULL;
	s += strlen(name);
	e = strstr(s, "\r\n");
	return sipdp_str_make(s, (size_t)(e - s));
}

static int
invite_plain(struct uah_ep *from, uint8_t to, bool body, uint8_t mf, sipdp_handle_t *h)
{
	struct sipdp_ua_invite inv = {
		.ruri = SIPDP_STR("sip:bob@192.0.2.2"),
		.from = SIPDP_STR("<sip:alice@192.0.2.1>"),
		.to = SIPDP_STR("<sip:bob@192.0.2.2>"),
		.dest = uah_dest(to),
		.max_forwards = mf,
	};
	if (body) {
		inv.ctype = SIPDP_STR("application/sdp");
		inv.body = SIPDP_STR(answer);
	}
	return sipdp_ua_invite(from->ua, &inv, from->net->now_us, h);
}

static struct sipdp_ua_oodreq
probe(uint8_t to, uint64_t ref)
{
	struct sipdp_ua_oodreq r = {
		.method = SIPDP_STR("OPTIONS"),
		.ruri = SIPDP_STR("sip:bob@192.0.2.2"),
		.dest = uah_dest(to),
		.req_ref = ref,
	};
	return r;
}

/* ------------------------------------------------------------ OPTIONS */

static void
test_options_probe_reported_once_without_dialog(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	struct sipdp_ua_oodreq r = probe(1, 77);
	const struct uah_pkt *p;
	const struct uah_ev *e;

	r.extra = SIPDP_STR("Accept: application/sdp\r\n");
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_request_out(a->ua, &r, net->now_us), 0);
	p = uah_nth(net, 0, "", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	{
		static const char head[] = "OPTIONS sip:bob@192.0.2.2 SIP/2.0\r\n"
					   "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKsd0000";
		CU_ASSERT(strncmp(p->data, head, sizeof(head) - 1) == 0);
	}
	CU_ASSERT(has(p, "\r\nMax-Forwards: 70\r\n"));
	CU_ASSERT(has(p, "\r\nFrom: <sip:ua0@192.0.2.1:5060>;tag=sd0000"));
	CU_ASSERT_EQUAL(hdr_of(p, "\r\nFrom: <sip:ua0@192.0.2.1:5060>;tag=").len, 22);
	CU_ASSERT(has(p, "\r\nTo: <sip:bob@192.0.2.2>\r\n"));
	CU_ASSERT(has(p, "\r\nCSeq: 1 OPTIONS\r\n"));
	CU_ASSERT(has(p, "\r\nContact: <sip:ua0@192.0.2.1:5060>\r\n"));
	CU_ASSERT(has(p, "\r\nUser-Agent: sipdp-test\r\n"));
	CU_ASSERT(has(p, "\r\nAccept: application/sdp\r\n"));
	CU_ASSERT(has(p, "\r\nContent-Length: 0\r\n\r\n"));
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(a->ua), 1);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(a->ua), 0);
	uah_settle(net);
	/* the peer's UA answers OPTIONS outside a dialog with 200 + Allow */
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 200"), 1);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_RESPONSE), 1);
	e = uah_evlast(a, SIPDP_UA_EV_RESPONSE);
	CU_ASSERT_EQUAL(e->dlg, SIPDP_HANDLE_INVALID);
	CU_ASSERT_EQUAL(e->req_ref, 77);
	CU_ASSERT_EQUAL(e->status, 200);
	CU_ASSERT_EQUAL(e->method, SIPDP_METHOD_OPTIONS);
	CU_ASSERT_EQUAL(a->nevs, 1); /* nothing else: no dialog event */
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(a->ua) + sipdp_ua_dialog_count(b->ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->ood_out, 1);
	/* the 200 again (Timer K absorbs it in Completed): not reported twice */
	uah_inject(net, 1, 0, uah_nth(net, 1, "SIP/2.0 200", 0)->data);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_RESPONSE), 1);
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC); /* Timer J */
	uah_free(net);
}

static void
test_options_ids_carry_the_shard(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL), *c = uah_add(net, 8, NULL);
	struct sipdp_ua_oodreq r = probe(1, 5);
	struct sipdp_tsx_dest src = uah_dest(1);
	const struct uah_pkt *req, *resp;
	uint16_t shard = 99;

	(void)b;
	/* c (shard 2) probes b: its ids name shard 2 */
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_request_out(c->ua, &r, net->now_us), 0);
	req = uah_nth(net, 2, "OPTIONS ", 0);
	CU_ASSERT_EQUAL(sipdp_ua_id_shard(hdr_of(req, "\r\nCall-ID: "), &shard), 0);
	CU_ASSERT_EQUAL(shard, 2);
	shard = 99;
	CU_ASSERT_EQUAL(sipdp_ua_id_shard(hdr_of(req, ";tag="), &shard), 0);
	CU_ASSERT_EQUAL(shard, 2);
	shard = 99;
	CU_ASSERT_EQUAL(sipdp_ua_id_shard(hdr_of(req, ";branch="), &shard), 0);
	CU_ASSERT_EQUAL(shard, 2);
	uah_deliver(net, false); /* b answers; the 200 is queued for c */
	resp = uah_nth(net, 1, "SIP/2.0 200", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(resp);
	/* a dispatcher that got it wrong: another shard refuses it */
	CU_ASSERT_EQUAL(sipdp_ua_recv(a->ua, resp->data, resp->len, &src, net->now_us), -EXDEV);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_RESPONSE), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(c, SIPDP_UA_EV_RESPONSE), 1);
	CU_ASSERT_EQUAL(uah_evlast(c, SIPDP_UA_EV_RESPONSE)->req_ref, 5);
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC); /* Timer J */
	uah_free(net);
}

static void
test_options_timer_f_reports_408_at_64t1(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL);
	/* E: T1 doubling to T2 = 4 s (§17.1.2.2), F at 64*T1 */
	static const uint64_t at_ms[] = { 0, 500, 1500, 3500, 7500, 11500, 15500, 19500,
					  23500, 27500, 31500 };
	struct sipdp_ua_oodreq r = probe(3, 9); /* nobody at 3 */
	uint64_t t0 = net->now_us;

	CU_ASSERT_EQUAL_FATAL(sipdp_ua_request_out(a->ua, &r, t0), 0);
	uah_run(net, t0 + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 0, "OPTIONS "), SIPDP_ARRAY_SIZE(at_ms));
	for (uint32_t i = 0; i < SIPDP_ARRAY_SIZE(at_ms); i++) {
		const struct uah_pkt *p = uah_nth(net, 0, "OPTIONS ", i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_EQUAL(p->at_us - t0, at_ms[i] * UAH_MS);
	}
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_RESPONSE), 1);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_RESPONSE)->status, 408);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_RESPONSE)->at_us - t0, 32 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_RESPONSE)->dlg, SIPDP_HANDLE_INVALID);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_RESPONSE)->req_ref, 9);
	uah_assert_idle(net, net->now_us + UAH_SEC);
	uah_free(net);
}

static int
failing_send(void *user, const struct sipdp_tsx_dest *dest, const char *buf, uint32_t len)
{
	(void)user;
	(void)dest;
	(void)buf;
	(void)len;
	return -EHOSTUNREACH;
}

static void
tw_failing_send(struct sipdp_ua_params *p)
{
	p->send = failing_send;
}

static void
test_options_send_error_reports_503(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, tw_failing_send);
	struct sipdp_ua_oodreq r = probe(1, 11);

	CU_ASSERT_EQUAL_FATAL(sipdp_ua_request_out(a->ua, &r, net->now_us), 0);
	/* reported before the call returned */
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_RESPONSE), 1);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_RESPONSE)->status, 503);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_RESPONSE)->req_ref, 11);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->send_errors, 1);
	uah_run(net, net->now_us + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_RESPONSE), 1);
	uah_assert_idle(net, net->now_us + UAH_SEC);
	uah_free(net);
}

static void
tw_two_tsx(struct sipdp_ua_params *p)
{
	p->transactions = 2;
}

static void
test_options_arguments_refused(void)
{
	static const char *const refused[] = { "INVITE", "ACK", "CANCEL", "BYE", "PRACK", "",
					       "OPT IONS", "OPTIONS\r\n", "OPT:" };
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, tw_two_tsx);
	struct sipdp_ua_oodreq r = probe(1, 1);
	static char big[9000]; /* past the 8 KiB build scratch */

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(refused); i++) {
		r.method = sipdp_str_cstr(refused[i]);
		CU_ASSERT_EQUAL(sipdp_ua_request_out(a->ua, &r, net->now_us), -EINVAL);
	}
	r = probe(1, 1);
	r.ruri = SIPDP_STR_NULL;
	CU_ASSERT_EQUAL(sipdp_ua_request_out(a->ua, &r, net->now_us), -EINVAL);
	r = probe(1, SIPDP_UA_REF_INTERNAL);
	CU_ASSERT_EQUAL(sipdp_ua_request_out(a->ua, &r, net->now_us), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_ua_request_out(a->ua, NULL, net->now_us), -EINVAL);
	r = probe(1, 1);
	memset(big, 'a', sizeof(big));
	memcpy(big, "X-Big: ", 7);
	memcpy(big + sizeof(big) - 2, "\r\n", 2);
	r.extra = sipdp_str_make(big, sizeof(big));
	CU_ASSERT_EQUAL(sipdp_ua_request_out(a->ua, &r, net->now_us), -EMSGSIZE);
	CU_ASSERT_EQUAL(uah_count(net, 0, ""), 0);
	/* an extension method is a token like any other */
	r = probe(3, 1);
	r.method = SIPDP_STR("X-PING");
	CU_ASSERT_EQUAL(sipdp_ua_request_out(a->ua, &r, net->now_us), 0);
	CU_ASSERT(has(uah_nth(net, 0, "X-PING ", 0), "\r\nCSeq: 1 X-PING\r\n"));
	r = probe(3, 2);
	CU_ASSERT_EQUAL(sipdp_ua_request_out(a->ua, &r, net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_ua_request_out(a->ua, &r, net->now_us), -ENOSPC);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->tsx_full, 1);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->ood_out, 2);
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_RESPONSE), 2); /* two 408s */
	uah_free(net);
}

/* -------------------------------------------------------- deferred ACK */

/* What the UAC's hook does with the 2xx being reported. */
static int defer_rc;
static bool defer_on_answer, defer_on_reinvite, bye_in_answer;

static void
hook_defer(struct uah_ep *ep, const struct sipdp_ua_event *ev)
{
	if (ev->type == SIPDP_UA_EV_ANSWERED && defer_on_answer)
		defer_rc = sipdp_ua_ack_defer(ep->ua, ev->dlg);
	if (ev->type == SIPDP_UA_EV_ANSWERED && bye_in_answer)
		defer_rc = sipdp_ua_bye(ep->ua, ev->dlg, ep->net->now_us);
	if (ev->type == SIPDP_UA_EV_RESPONSE && ev->method == SIPDP_METHOD_INVITE && ev->status == 200 &&
	    defer_on_reinvite)
		defer_rc = sipdp_ua_ack_defer(ep->ua, ev->dlg);
}

static void
hook_reset(void)
{
	defer_rc = 1;
	defer_on_answer = defer_on_reinvite = bye_in_answer = false;
}

static void
test_deferred_ack_carries_answer_and_is_resent(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	const struct uah_pkt *ack0, *ack1;
	sipdp_handle_t ha;
	uint64_t t0;

	hook_reset();
	defer_on_answer = true;
	a->on_event = hook_defer;
	CU_ASSERT_EQUAL_FATAL(invite_plain(a, 1, false, 0, &ha), 0); /* delayed offer */
	uah_settle(net);
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_accept(b->ua, b->last_incoming, 200, SIPDP_STR_NULL,
					      SIPDP_STR("application/sdp"), SIPDP_STR(offer),
					      net->now_us), 0);
	t0 = net->now_us;
	uah_settle(net);
	CU_ASSERT_EQUAL(defer_rc, 0);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 0);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->acks_held, 1);
	/* the 2xx comes again at 0.5 and 1.5 s: absorbed, not reported */
	uah_run(net, t0 + 2 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 200"), 3);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 0);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->acks_resent, 0);
	{
		struct sipdp_ua_dlg_info info;
		CU_ASSERT_EQUAL(sipdp_ua_dlg_info(a->ua, ha, &info), 0);
		CU_ASSERT_FALSE(info.confirmed);
		CU_ASSERT_EQUAL(info.state, SIPDP_DLG_S_ESTABLISHED);
	}
	/* the answer goes in the ACK; the first copy is lost */
	a->drop_prefix = "ACK ";
	a->drop_prefix_n = 1;
	CU_ASSERT_EQUAL(sipdp_ua_ack(a->ua, ha, SIPDP_STR("application/sdp"), SIPDP_STR(answer),
				     net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_ua_ack(a->ua, ha, SIPDP_STR_NULL, SIPDP_STR_NULL, net->now_us), -EINVAL);
	ack0 = uah_nth(net, 0, "ACK ", 0);
	CU_ASSERT(has(ack0, "\r\nCSeq: 1 ACK\r\n"));
	CU_ASSERT(has(ack0, "\r\nContent-Type: application/sdp\r\n"));
	CU_ASSERT(has(ack0, answer));
	CU_ASSERT(has(ack0, "\r\nMax-Forwards: 70\r\n"));
	/* the next 2xx copy (3.5 s) gets the same ACK, byte for byte */
	uah_run(net, t0 + 4 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 2);
	ack1 = uah_nth(net, 0, "ACK ", 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ack1);
	CU_ASSERT_EQUAL(ack1->at_us - t0, 3500 * UAH_MS);
	CU_ASSERT_STRING_EQUAL(ack0->data, ack1->data);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->acks_resent, 1);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_CONFIRMED), 1);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_FALSE(uah_msgbufs_all_free(a->ua)); /* the ACK kept until Timer M */
	uah_run(net, t0 + 33 * UAH_SEC);
	CU_ASSERT(uah_msgbufs_all_free(a->ua));
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_REMOTE_BYE);
	uah_free(net);
}

static void
tw_slow_t1(struct sipdp_ua_params *p)
{
	p->t1_ms = 1000; /* its ACK wait (64*T1) outlasts the caller's hold */
}

static void
test_held_ack_timeout_sends_ack_then_bye(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, tw_slow_t1);
	const struct uah_pkt *ack, *bye;
	const struct uah_ev *e;
	sipdp_handle_t ha;
	uint64_t t0;

	hook_reset();
	defer_on_answer = true;
	a->on_event = hook_defer;
	CU_ASSERT_EQUAL_FATAL(invite_plain(a, 1, false, 0, &ha), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_accept(b->ua, b->last_incoming, 200, SIPDP_STR_NULL,
					      SIPDP_STR("application/sdp"), SIPDP_STR(offer),
					      net->now_us), 0);
	t0 = net->now_us;
	uah_run(net, t0 + 32 * UAH_SEC - UAH_MS);
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 0);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_TERMINATED), 0);
	uah_run(net, t0 + 32 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 1);
	CU_ASSERT_EQUAL(uah_count(net, 0, "BYE "), 1);
	ack = uah_nth(net, 0, "ACK ", 0);
	bye = uah_nth(net, 0, "BYE ", 0);
	CU_ASSERT_EQUAL(ack->at_us - t0, 32 * UAH_SEC);
	CU_ASSERT(ack < bye); /* the log is in send order */
	CU_ASSERT(has(ack, "\r\nContent-Length: 0\r\n\r\n"));
	CU_ASSERT(has(bye, "\r\nCSeq: 2 BYE\r\n"));
	e = uah_evlast(a, SIPDP_UA_EV_TERMINATED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->reason, SIPDP_DLG_R_TIMEOUT);
	CU_ASSERT_EQUAL(e->status, 408);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->ack_held_timeouts, 1);
	CU_ASSERT_EQUAL(sipdp_ua_ack(a->ua, ha, SIPDP_STR_NULL, SIPDP_STR_NULL, net->now_us), -ENOENT);
	/* the callee saw the ACK, then the BYE: no ACK timeout of its own */
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_CONFIRMED), 1);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_REMOTE_BYE);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->ack_timeouts, 0);
	uah_assert_idle(net, net->now_us + 70 * UAH_SEC);
	uah_free(net);
}

static void
test_ack_defer_only_from_the_2xx_callback(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha;

	hook_reset();
	a->on_event = hook_defer;
	b->answer = UAH_ACCEPT_NOW;
	CU_ASSERT_EQUAL_FATAL(invite_plain(a, 1, true, 0, &ha), 0);
	uah_settle(net);
	/* not deferred: the ACK left when on_answered returned */
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 1);
	CU_ASSERT_EQUAL(sipdp_ua_ack_defer(a->ua, ha), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_ua_ack(a->ua, ha, SIPDP_STR_NULL, SIPDP_STR_NULL, net->now_us), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->acks_held, 0);
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_ua_ack_defer(a->ua, ha), -ENOENT);
	CU_ASSERT_EQUAL(sipdp_ua_ack(a->ua, ha, SIPDP_STR_NULL, SIPDP_STR_NULL, net->now_us), -ENOENT);
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);

	/* a BYE from inside on_answered goes after the ACK */
	hook_reset();
	bye_in_answer = true;
	CU_ASSERT_EQUAL_FATAL(invite_plain(a, 1, true, 0, &ha), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(defer_rc, 0);
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 2);
	CU_ASSERT(uah_nth(net, 0, "ACK ", 1) < uah_nth(net, 0, "BYE ", 1));
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_CONFIRMED), 2);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_REMOTE_BYE);
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	uah_free(net);
}

static void
test_reinvite_ack_deferred_with_body(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	const struct uah_pkt *ack;
	sipdp_handle_t ha, hb;

	hook_reset();
	a->on_event = hook_defer;
	b->answer = UAH_ACCEPT_NOW;
	b->answer_requests = true; /* 200 with SDP to the re-INVITE */
	CU_ASSERT_EQUAL_FATAL(invite_plain(a, 1, true, 0, &ha), 0);
	uah_settle(net);
	hb = b->last_incoming;
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 1);
	defer_on_reinvite = true;
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_reinvite(a->ua, ha, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
						42, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(defer_rc, 0);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_RESPONSE)->req_ref, 42);
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 1); /* held */
	CU_ASSERT_EQUAL(sipdp_ua_reinvite(a->ua, ha, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL, 43,
					  net->now_us), -EBUSY);
	CU_ASSERT_EQUAL(sipdp_ua_ack_defer(a->ua, ha), -EINVAL); /* already held */
	/* the peer cannot re-INVITE either: it waits for our ACK (§14.1) */
	CU_ASSERT_EQUAL(sipdp_ua_reinvite(b->ua, hb, SIPDP_STR_NULL, SIPDP_STR("application/sdp"),
					  SIPDP_STR(offer), 7, net->now_us), -EBUSY);
	b->answer_requests = false;
	CU_ASSERT_EQUAL(sipdp_ua_ack(a->ua, ha, SIPDP_STR("application/sdp"), SIPDP_STR(answer),
				     net->now_us), 0);
	ack = uah_nth(net, 0, "ACK ", 1);
	CU_ASSERT(has(ack, "\r\nCSeq: 2 ACK\r\n"));
	CU_ASSERT(has(ack, answer));
	uah_settle(net);
	/* held again, then BYE: the ACK (no body) goes first */
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_reinvite(a->ua, ha, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
						44, net->now_us), 0);
	b->answer_requests = true;
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 2);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->acks_held, 2);
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 3);
	ack = uah_nth(net, 0, "ACK ", 2);
	CU_ASSERT(has(ack, "\r\nCSeq: 3 ACK\r\n"));
	CU_ASSERT(has(ack, "\r\nContent-Length: 0\r\n\r\n"));
	CU_ASSERT(ack < uah_nth(net, 0, "BYE ", 0));
	CU_ASSERT(has(uah_nth(net, 0, "BYE ", 0), "\r\nCSeq: 4 BYE\r\n"));
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	uah_free(net);
}

static sipdp_handle_t answered[4];
static uint32_t nanswered;

static void
hook_defer_keep(struct uah_ep *ep, const struct sipdp_ua_event *ev)
{
	if (ev->type != SIPDP_UA_EV_ANSWERED)
		return;
	CU_ASSERT_EQUAL(sipdp_ua_ack_defer(ep->ua, ev->dlg), 0);
	if (ev->fork)
		CU_ASSERT_EQUAL(sipdp_ua_keep(ep->ua, ev->dlg), 0);
	if (nanswered < 4)
		answered[nanswered++] = ev->dlg;
}

static void
test_forks_hold_their_own_ack(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL), *c = uah_add(net, 8, NULL);
	struct sipdp_ua_dlg_info i0, i1;
	sipdp_handle_t ha;

	net->fork_to[0] = 1;
	net->fork_to[1] = 2;
	net->nfork = 2;
	nanswered = 0;
	a->on_event = hook_defer_keep;
	b->answer = UAH_ACCEPT_NOW;
	c->answer = UAH_ACCEPT_NOW;
	CU_ASSERT_EQUAL_FATAL(invite_plain(a, UAH_FORK, false, 0, &ha), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL_FATAL(nanswered, 2);
	CU_ASSERT_EQUAL(answered[0], ha);
	CU_ASSERT_EQUAL(uah_count(net, 0, "ACK "), 0);
	CU_ASSERT_EQUAL(sipdp_ua_dlg_info(a->ua, answered[0], &i0), 0);
	CU_ASSERT_EQUAL(sipdp_ua_dlg_info(a->ua, answered[1], &i1), 0);
	/* the fork's ACK first: it goes to that fork's UAS, with its tag */
	CU_ASSERT_EQUAL(sipdp_ua_ack(a->ua, answered[1], SIPDP_STR("application/sdp"),
				     SIPDP_STR(answer), net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_ua_ack(a->ua, answered[1], SIPDP_STR_NULL, SIPDP_STR_NULL, net->now_us),
			-EINVAL);
	{
		char tag[64];
		snprintf(tag, sizeof(tag), ";tag=%.*s\r\n", (int)i1.remote_tag.len, i1.remote_tag.p);
		CU_ASSERT(has(uah_nth(net, 0, "ACK ", 0), tag));
		CU_ASSERT(has(uah_nth(net, 0, "ACK ", 0), answer));
		CU_ASSERT(sipdp_ua_dlg_info(a->ua, answered[1], &i1) == 0 && i1.confirmed);
		CU_ASSERT(sipdp_ua_dlg_info(a->ua, answered[0], &i0) == 0 && !i0.confirmed);
		CU_ASSERT_EQUAL(sipdp_ua_ack(a->ua, answered[0], SIPDP_STR("application/sdp"),
					     SIPDP_STR(answer), net->now_us), 0);
		snprintf(tag, sizeof(tag), ";tag=%.*s\r\n", (int)i0.remote_tag.len, i0.remote_tag.p);
		CU_ASSERT(has(uah_nth(net, 0, "ACK ", 1), tag));
	}
	/* each to the UAS that sent that 2xx: the head's first (1), the fork's (2) */
	CU_ASSERT_EQUAL(uah_nth(net, 0, "ACK ", 0)->to, 2);
	CU_ASSERT_EQUAL(uah_nth(net, 0, "ACK ", 1)->to, 1);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_CONFIRMED), 1);
	CU_ASSERT_EQUAL(uah_evcount(c, SIPDP_UA_EV_CONFIRMED), 1);
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, answered[0], net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, answered[1], net->now_us), 0);
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	uah_free(net);
}

/* ------------------------------------------------------- Max-Forwards */

static uint32_t seen_mf;
static int seen_mf_rc;

static void
hook_mf(struct uah_ep *ep, const struct sipdp_ua_event *ev)
{
	(void)ep;
	if (ev->type == SIPDP_UA_EV_INCOMING)
		seen_mf_rc = sipdp_msg_max_forwards(ev->msg, &seen_mf);
}

static void
test_invite_carries_per_call_max_forwards(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha;

	b->on_event = hook_mf;
	b->answer = UAH_ACCEPT_NOW;
	CU_ASSERT_EQUAL_FATAL(invite_plain(a, 1, true, 12, &ha), 0);
	CU_ASSERT(has(uah_nth(net, 0, "INVITE ", 0), "\r\nMax-Forwards: 12\r\n"));
	uah_settle(net);
	CU_ASSERT_EQUAL(seen_mf_rc, 0);
	CU_ASSERT_EQUAL(seen_mf, 12);
	CU_ASSERT(has(uah_nth(net, 0, "ACK ", 0), "\r\nMax-Forwards: 70\r\n"));
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	CU_ASSERT(has(uah_nth(net, 0, "BYE ", 0), "\r\nMax-Forwards: 70\r\n"));
	uah_settle(net);
	/* 0: the default */
	CU_ASSERT_EQUAL_FATAL(invite_plain(a, 1, true, 0, &ha), 0);
	CU_ASSERT(has(uah_nth(net, 0, "INVITE ", 1), "\r\nMax-Forwards: 70\r\n"));
	uah_settle(net);
	CU_ASSERT_EQUAL(seen_mf, 70);
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	uah_free(net);
}

/* -------------------------------------------- queued reliable provisional */

static uint32_t
rseq_of(const struct uah_pkt *p)
{
	const char *s = p ? strstr(p->data, "\r\nRSeq: ") : NULL;
	return s ? (uint32_t)strtoul(s + 8, NULL, 10) : 0;
}

static int
ringq(struct uah_ep *b, uint16_t st, bool body)
{
	return sipdp_ua_ring_queued(b->ua, b->last_incoming, st, SIPDP_STR_NULL,
				    body ? SIPDP_STR("application/sdp") : SIPDP_STR_NULL,
				    body ? SIPDP_STR(offer) : SIPDP_STR_NULL, b->net->now_us);
}

/* A call from a to b with 100rel on both, b not answered yet. */
static void
rel_call(struct uah_net **net, struct uah_ep **a, struct uah_ep **b, sipdp_handle_t *ha,
	 void (*tweak_b)(struct sipdp_ua_params *p))
{
	*net = uah_new();
	*a = uah_add(*net, 8, uah_rel100_supported);
	*b = uah_add(*net, 8, tweak_b ? tweak_b : uah_rel100_supported);
	CU_ASSERT_EQUAL_FATAL(invite_plain(*a, 1, true, 0, ha), 0);
	uah_settle(*net);
	CU_ASSERT_EQUAL_FATAL(uah_evcount(*b, SIPDP_UA_EV_INCOMING), 1);
}

static void
finish_call(struct uah_net *net, struct uah_ep *a, struct uah_ep *b, sipdp_handle_t ha)
{
	if (sipdp_ua_dlg(b->ua, b->last_incoming) != NULL &&
	    sipdp_ua_dlg(b->ua, b->last_incoming)->state != SIPDP_DLG_S_ESTABLISHED) {
		CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, b->last_incoming, 200, SIPDP_STR_NULL,
						SIPDP_STR_NULL, SIPDP_STR_NULL, net->now_us), 0);
		uah_settle(net);
	}
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_ANSWERED), 1);
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	uah_assert_idle(net, net->now_us + 40 * UAH_SEC);
	uah_free(net);
}

static void
test_queued_183_sent_after_prack_of_180(void)
{
	struct uah_net *net;
	struct uah_ep *a, *b;
	sipdp_handle_t ha;
	const struct uah_pkt *p180, *p183, *p200;

	rel_call(&net, &a, &b, &ha, NULL);
	CU_ASSERT_EQUAL(ringq(b, 180, false), 0); /* sent now, reliably */
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 180"), 1);
	CU_ASSERT_EQUAL(ringq(b, 183, true), 0); /* queued */
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 183"), 0);
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, b->last_incoming, 183, SIPDP_STR_NULL, SIPDP_STR_NULL,
				      SIPDP_STR_NULL, net->now_us), -EBUSY); /* as before */
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_queued, 1);
	uah_settle(net);
	p180 = uah_nth(net, 1, "SIP/2.0 180", 0);
	p200 = uah_nth(net, 1, "SIP/2.0 200", 0);
	p183 = uah_nth(net, 1, "SIP/2.0 183", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p183);
	CU_ASSERT(has(p200, "\r\nCSeq: 2 PRACK\r\n"));
	CU_ASSERT(p180 < p200 && p200 < p183); /* 183 after the 200 to the PRACK */
	CU_ASSERT_EQUAL(rseq_of(p183), rseq_of(p180) + 1);
	CU_ASSERT(has(p183, "\r\nRequire: 100rel\r\n"));
	CU_ASSERT(has(p183, offer));
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 183"), 1);
	CU_ASSERT_EQUAL(uah_count(net, 0, "PRACK "), 2);
	CU_ASSERT(has(uah_nth(net, 0, "PRACK ", 1), "\r\nRAck: "));
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_PROVISIONAL), 2);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_PRACK), 2);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_out, 2);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_queue_dropped, 0);
	finish_call(net, a, b, ha);
}

static void
test_queued_provisional_replacement_rules(void)
{
	struct uah_net *net;
	struct uah_ep *a, *b;
	sipdp_handle_t ha;

	/* with a body kept over a newer one without */
	rel_call(&net, &a, &b, &ha, NULL);
	CU_ASSERT_EQUAL(ringq(b, 180, false), 0);
	CU_ASSERT_EQUAL(ringq(b, 183, true), 0);
	CU_ASSERT_EQUAL(ringq(b, 180, false), 0);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_queue_dropped, 1);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 180"), 1);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 183"), 1);
	CU_ASSERT(has(uah_nth(net, 1, "SIP/2.0 183", 0), offer));
	finish_call(net, a, b, ha);

	/* the newer replaces the older */
	rel_call(&net, &a, &b, &ha, NULL);
	CU_ASSERT_EQUAL(ringq(b, 180, false), 0);
	CU_ASSERT_EQUAL(ringq(b, 181, false), 0);
	CU_ASSERT_EQUAL(ringq(b, 183, true), 0);
	CU_ASSERT_EQUAL(ringq(b, 182, true), 0);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_queued, 3);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_queue_dropped, 2);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 181"), 0);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 183"), 0);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 182"), 1);
	CU_ASSERT(has(uah_nth(net, 1, "SIP/2.0 182", 0), offer));
	/* nothing pending now: sent at once */
	CU_ASSERT_EQUAL(ringq(b, 180, false), 0);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 180"), 2);
	uah_settle(net);
	finish_call(net, a, b, ha);
}

static void
test_final_drops_queued_provisional(void)
{
	struct uah_net *net;
	struct uah_ep *a, *b;
	sipdp_handle_t ha;

	rel_call(&net, &a, &b, &ha, NULL);
	a->drop_prefix = "PRACK ";
	a->drop_prefix_n = 1; /* the 180's PRACK is lost once */
	CU_ASSERT_EQUAL(ringq(b, 180, false), 0);
	CU_ASSERT_EQUAL(ringq(b, 183, true), 0);
	CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, b->last_incoming, 200, SIPDP_STR_NULL,
					SIPDP_STR("application/sdp"), SIPDP_STR(offer), net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_queue_dropped, 1);
	CU_ASSERT_EQUAL(ringq(b, 183, true), -EINVAL); /* a final was given */
	uah_run(net, net->now_us + 2 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 183"), 0);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 200"), 2); /* PRACK's, then the INVITE's */
	CU_ASSERT(has(uah_nth(net, 1, "SIP/2.0 200", 1), "\r\nCSeq: 1 INVITE\r\n"));
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_CONFIRMED), 1);
	finish_call(net, a, b, ha);
}

static void
tw_rel_few_bufs(struct sipdp_ua_params *p)
{
	uah_rel100_supported(p);
	p->msgbufs = 2; /* the INVITE's template and the reliable 180's copy */
}

static void
tw_rel_small_bufs(struct sipdp_ua_params *p)
{
	uah_rel100_supported(p);
	p->msgbuf_size = 512;
}

static void
test_queued_provisional_needs_a_buffer(void)
{
	struct uah_net *net;
	struct uah_ep *a, *b;
	sipdp_handle_t ha;

	rel_call(&net, &a, &b, &ha, tw_rel_few_bufs);
	CU_ASSERT_EQUAL(ringq(b, 180, false), 0);
	CU_ASSERT_EQUAL(ringq(b, 183, true), -ENOSPC);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_queued, 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 183"), 0);
	finish_call(net, a, b, ha);

	rel_call(&net, &a, &b, &ha, tw_rel_small_bufs);
	CU_ASSERT_EQUAL(ringq(b, 180, false), 0);
	{
		static char big[600];
		memset(big, 'x', sizeof(big));
		CU_ASSERT_EQUAL(sipdp_ua_ring_queued(b->ua, b->last_incoming, 183, SIPDP_STR_NULL,
						     SIPDP_STR("text/plain"),
						     sipdp_str_make(big, sizeof(big)), net->now_us),
				-EMSGSIZE);
	}
	CU_ASSERT_EQUAL(ringq(b, 99, false), -EINVAL);
	CU_ASSERT_EQUAL(ringq(b, 200, false), -EINVAL);
	uah_settle(net);
	finish_call(net, a, b, ha);

	/* the UAC does not support 100rel: nothing is reliable, all goes now */
	net = uah_new();
	a = uah_add(net, 8, NULL);
	b = uah_add(net, 8, uah_rel100_supported);
	CU_ASSERT_EQUAL_FATAL(invite_plain(a, 1, true, 0, &ha), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(ringq(b, 180, false), 0);
	CU_ASSERT_EQUAL(ringq(b, 183, true), 0);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 180"), 1);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 183"), 1);
	CU_ASSERT(!has(uah_nth(net, 1, "SIP/2.0 183", 0), "RSeq"));
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->rel1xx_queued, 0);
	uah_settle(net);
	finish_call(net, a, b, ha);
}

/* --------------------------------------------------------------------- */

static struct sipdp_test_case cases[] = {
	{ "options_probe_reported_once_without_dialog", test_options_probe_reported_once_without_dialog },
	{ "options_ids_carry_the_shard", test_options_ids_carry_the_shard },
	{ "options_timer_f_reports_408_at_64t1", test_options_timer_f_reports_408_at_64t1 },
	{ "options_send_error_reports_503", test_options_send_error_reports_503 },
	{ "options_arguments_refused", test_options_arguments_refused },
	{ "deferred_ack_carries_answer_and_is_resent", test_deferred_ack_carries_answer_and_is_resent },
	{ "held_ack_timeout_sends_ack_then_bye", test_held_ack_timeout_sends_ack_then_bye },
	{ "ack_defer_only_from_the_2xx_callback", test_ack_defer_only_from_the_2xx_callback },
	{ "reinvite_ack_deferred_with_body", test_reinvite_ack_deferred_with_body },
	{ "forks_hold_their_own_ack", test_forks_hold_their_own_ack },
	{ "invite_carries_per_call_max_forwards", test_invite_carries_per_call_max_forwards },
	{ "queued_183_sent_after_prack_of_180", test_queued_183_sent_after_prack_of_180 },
	{ "queued_provisional_replacement_rules", test_queued_provisional_replacement_rules },
	{ "final_drops_queued_provisional", test_final_drops_queued_provisional },
	{ "queued_provisional_needs_a_buffer", test_queued_provisional_needs_a_buffer },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("ua_b2b_support", cases);
}
