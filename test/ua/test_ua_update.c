/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UPDATE (RFC 3311) over the in-memory network and the fake clock.
 *
 * Scenarios and the requirement each checks:
 *  - update_confirmed_both_directions: §5.1/§5.2 an offer in UPDATE from
 *    either side of a confirmed dialog, answered in the 2xx; the Contact of
 *    the 2xx refreshes the target; a second offer before the answer is
 *    refused locally (-EBUSY), allowed again once answered.
 *  - update_early_dialog_both_directions: §5.1: after the INVITE's offer
 *    is answered in a reliable 183 (and PRACKed), UPDATE from the UAC and
 *    from the UAS inside the early dialog; the call then completes.
 *  - update_glare_491_both_sides: §5.2: crossing UPDATE offers are both
 *    refused with 491 and both senders see it; §5.1: each waits as RFC
 *    3261 §14.1 says (Call-ID owner 2.1-4 s, the other 0-2 s, 10 ms units)
 *    before offering again.
 *  - update_offer_pending_500_retry_after: §5.2: an offer arriving while
 *    the peer's previous offer is unanswered gets 500 with Retry-After
 *    0-10 s; the first one is then answered normally.
 *  - update_in_early_dialog_with_invite_offer_open_500: the INVITE's offer
 *    is not answered yet (unreliable 180): the UAC may not send an offer
 *    (-EBUSY) and a peer that does gets 500.
 * Every scenario ends with no dialog, transaction or timer left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipdp_test.h"
#include "ua_harness.h"

static const struct sipdp_str ct = SIPDP_STR("application/sdp");
static const struct sipdp_str offer = SIPDP_STR("v=0\r\no=x 3 3 IN IP4 192.0.2.9\r\n");

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

/* Count of on_response events for UPDATE with @status at @ep. */
static uint32_t
upd_responses(const struct uah_ep *ep, uint16_t status)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < ep->nevs; i++)
		n += ep->evs[i].type == SIPDP_UA_EV_RESPONSE && ep->evs[i].method == SIPDP_METHOD_UPDATE &&
		     ep->evs[i].status == status;
	return n;
}

static void
test_confirmed_both(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha, hb;
	struct sipdp_ua_dlg_info info;

	ha = call_up(net, a, b, &hb);
	CU_ASSERT_EQUAL(sipdp_ua_update(a->ua, ha, SIPDP_STR_NULL, ct, offer, 7, net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_ua_update(a->ua, ha, SIPDP_STR_NULL, ct, offer, 8, net->now_us), -EBUSY);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_REQUEST)->method, SIPDP_METHOD_UPDATE);
	CU_ASSERT(strstr(uah_nth(net, 0, "UPDATE ", 0)->data, "\r\nContact: <sip:ua0@") != NULL);
	CU_ASSERT_EQUAL(sipdp_ua_respond(b->ua, hb, b->last_req, 200, SIPDP_STR_NULL, ct, offer,
					 net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(upd_responses(a, 200), 1);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_RESPONSE)->req_ref, 7);
	CU_ASSERT(strstr(uah_nth(net, 1, "SIP/2.0 200 OK\r\n", 1)->data, "\r\nContact: <sip:ua1@") != NULL);
	CU_ASSERT_EQUAL(sipdp_ua_dlg_info(a->ua, ha, &info), 0);
	CU_ASSERT_EQUAL(info.remote_target.len, strlen("sip:ua1@192.0.2.2:5060"));
	/* the other way */
	CU_ASSERT_EQUAL(sipdp_ua_update(b->ua, hb, SIPDP_STR_NULL, ct, offer, 9, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_REQUEST)->method, SIPDP_METHOD_UPDATE);
	CU_ASSERT_EQUAL(sipdp_ua_respond(a->ua, ha, a->last_req, 200, SIPDP_STR_NULL, ct, offer,
					 net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(upd_responses(b, 200), 1);
	/* answered: a new offer is fine again */
	CU_ASSERT_EQUAL(sipdp_ua_update(a->ua, ha, SIPDP_STR_NULL, ct, offer, 10, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(sipdp_ua_respond(b->ua, hb, b->last_req, 488, SIPDP_STR_NULL, SIPDP_STR_NULL,
					 SIPDP_STR_NULL, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(upd_responses(a, 488), 1);
	CU_ASSERT_EQUAL(sipdp_ua_update(a->ua, ha, SIPDP_STR_NULL, ct, offer, 11, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(sipdp_ua_respond(b->ua, hb, b->last_req, 200, SIPDP_STR_NULL, ct, offer,
					 net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(upd_responses(a, 200), 2);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->update_out, 3);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->update_in, 1);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->update_in, 3);
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	uah_assert_idle(net, net->now_us + 60 * UAH_SEC);
	uah_free(net);
}

static void
test_early_both(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, uah_rel100_supported), *b = uah_add(net, 8, uah_rel100_supported);
	sipdp_handle_t ha, hb, ea;

	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	hb = b->last_incoming;
	/* the answer in a reliable 183 closes the INVITE's offer/answer */
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, hb, 183, SIPDP_STR_NULL, ct, offer, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->prack_in, 1);
	ea = uah_evlast(a, SIPDP_UA_EV_PROVISIONAL)->dlg;
	CU_ASSERT_EQUAL(sipdp_ua_dlg(a->ua, ea)->state, SIPDP_DLG_S_RINGING);
	CU_ASSERT_EQUAL(sipdp_ua_update(a->ua, ea, SIPDP_STR_NULL, ct, offer, 1, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evlast(b, SIPDP_UA_EV_REQUEST)->method, SIPDP_METHOD_UPDATE);
	CU_ASSERT_EQUAL(sipdp_ua_respond(b->ua, hb, b->last_req, 200, SIPDP_STR_NULL, ct, offer,
					 net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(upd_responses(a, 200), 1);
	CU_ASSERT_EQUAL(sipdp_ua_update(b->ua, hb, SIPDP_STR_NULL, ct, offer, 2, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_REQUEST)->method, SIPDP_METHOD_UPDATE);
	CU_ASSERT_EQUAL(sipdp_ua_respond(a->ua, ea, a->last_req, 200, SIPDP_STR_NULL, ct, offer,
					 net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(upd_responses(b, 200), 1);
	CU_ASSERT_EQUAL(sipdp_ua_dlg(b->ua, hb)->state, SIPDP_DLG_S_RINGING);
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
test_glare(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha, hb;
	uint64_t t0, ga, gb;

	ha = call_up(net, a, b, &hb);
	CU_ASSERT_EQUAL(sipdp_ua_update(a->ua, ha, SIPDP_STR_NULL, ct, offer, 1, net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_ua_update(b->ua, hb, SIPDP_STR_NULL, ct, offer, 2, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 0, "SIP/2.0 491"), 1);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 491"), 1);
	CU_ASSERT_EQUAL(upd_responses(a, 491), 1);
	CU_ASSERT_EQUAL(upd_responses(b, 491), 1);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_REQUEST), 0);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_REQUEST), 0);
	CU_ASSERT_EQUAL(sipdp_ua_stats(a->ua)->update_491, 1);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->update_491, 1);
	/* RFC 3261 §14.1 wait: the Call-ID owner (a) 2.1-4 s, b 0-2 s */
	t0 = net->now_us;
	CU_ASSERT_EQUAL(sipdp_ua_update(b->ua, hb, SIPDP_STR_NULL, ct, offer, 3, net->now_us), -EAGAIN);
	uah_run(net, t0 + 4001 * UAH_MS);
	CU_ASSERT_EQUAL(uah_evcount(a, SIPDP_UA_EV_GLARE_RETRY), 1);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_GLARE_RETRY), 1);
	ga = uah_evlast(a, SIPDP_UA_EV_GLARE_RETRY)->at_us - t0;
	gb = uah_evlast(b, SIPDP_UA_EV_GLARE_RETRY)->at_us - t0;
	CU_ASSERT(ga >= 2100 * UAH_MS && ga <= 4000 * UAH_MS && ga % (10 * UAH_MS) == 0);
	CU_ASSERT(gb <= 2000 * UAH_MS && gb % (10 * UAH_MS) == 0);
	/* both offers are over: either side may offer again */
	CU_ASSERT_EQUAL(sipdp_ua_update(b->ua, hb, SIPDP_STR_NULL, ct, offer, 3, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(sipdp_ua_respond(a->ua, ha, a->last_req, 200, SIPDP_STR_NULL, ct, offer,
					 net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(upd_responses(b, 200), 1);
	CU_ASSERT_EQUAL(sipdp_ua_bye(a->ua, ha, net->now_us), 0);
	uah_assert_idle(net, net->now_us + 60 * UAH_SEC);
	uah_free(net);
}

/* A copy of @msg as a new request: CSeq number + 1, another branch. */
static char *
next_request(const char *msg)
{
	char *out = malloc(strlen(msg) + 8), *p;
	const char *cs = strstr(msg, "\r\nCSeq: ") + 8;
	unsigned long n = strtoul(cs, (char **)&p, 10);
	const char *br = strstr(msg, ";branch=") + 8;
	int k;

	/* up to the branch value, one byte more in it, then up to the CSeq */
	k = sprintf(out, "%.*sX%.*s%lu", (int)(br - msg), msg, (int)(cs - br), br, n + 1);
	strcpy(out + k, p);
	return out;
}

static void
test_500_retry_after(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha, hb;
	const struct uah_pkt *p;
	const char *ra;
	char *second;

	ha = call_up(net, a, b, &hb);
	CU_ASSERT_EQUAL(sipdp_ua_update(a->ua, ha, SIPDP_STR_NULL, ct, offer, 1, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_REQUEST), 1);
	second = next_request(uah_nth(net, 0, "UPDATE ", 0)->data);
	uah_inject(net, 0, 1, second);
	free(second);
	uah_settle(net);
	p = uah_nth(net, 1, "SIP/2.0 500", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	ra = strstr(p->data, "\r\nRetry-After: ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ra);
	CU_ASSERT(strtoul(ra + 15, NULL, 10) <= 10);
	CU_ASSERT_EQUAL(sipdp_ua_stats(b->ua)->update_500, 1);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_REQUEST), 1);
	/* the first offer is still answered */
	CU_ASSERT_EQUAL(sipdp_ua_respond(b->ua, hb, b->last_req, 200, SIPDP_STR_NULL, ct, offer,
					 net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(upd_responses(a, 200), 1);
	CU_ASSERT_EQUAL(sipdp_ua_bye(b->ua, hb, net->now_us), 0);
	uah_assert_idle(net, net->now_us + 60 * UAH_SEC);
	uah_free(net);
}

static void
test_invite_offer_open(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *a = uah_add(net, 8, NULL), *b = uah_add(net, 8, NULL);
	sipdp_handle_t ha, hb, ea;
	const struct uah_pkt *p;

	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 1, &ha), 0);
	uah_settle(net);
	hb = b->last_incoming;
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, hb, 180, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
				      net->now_us), 0);
	uah_settle(net);
	ea = uah_evlast(a, SIPDP_UA_EV_PROVISIONAL)->dlg;
	/* the INVITE's offer is open both ways */
	CU_ASSERT_EQUAL(sipdp_ua_update(a->ua, ea, SIPDP_STR_NULL, ct, offer, 1, net->now_us), -EBUSY);
	CU_ASSERT_EQUAL(sipdp_ua_update(b->ua, hb, SIPDP_STR_NULL, ct, offer, 1, net->now_us), -EBUSY);
	/* without an offer it goes (a target refresh, answered by the UA) */
	CU_ASSERT_EQUAL(sipdp_ua_update(a->ua, ea, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL, 2,
					net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(upd_responses(a, 200), 1);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_REQUEST), 0);
	/* a peer that offers anyway gets 500 */
	{
		char *m = next_request(uah_nth(net, 0, "UPDATE ", 0)->data);
		char *body = malloc(strlen(m) + 64);
		char *cl = strstr(m, "Content-Length: 0\r\n");
		CU_ASSERT_PTR_NOT_NULL_FATAL(cl);
		sprintf(body, "%.*sContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n",
			(int)(cl - m), m);
		uah_inject(net, 0, 1, body);
		free(body);
		free(m);
	}
	uah_settle(net);
	p = uah_nth(net, 1, "SIP/2.0 500", 0);
	CU_ASSERT_PTR_NOT_NULL(p);
	CU_ASSERT(p && strstr(p->data, "\r\nRetry-After: ") != NULL);
	CU_ASSERT_EQUAL(sipdp_ua_reject(b->ua, hb, 486, SIPDP_STR_NULL, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evlast(a, SIPDP_UA_EV_FAILED)->status, 486);
	uah_assert_idle(net, net->now_us + 60 * UAH_SEC);
	uah_free(net);
}

static struct sipdp_test_case cases[] = {
	{ "update_confirmed_both_directions", test_confirmed_both },
	{ "update_early_dialog_both_directions", test_early_both },
	{ "update_glare_491_both_sides", test_glare },
	{ "update_offer_pending_500_retry_after", test_500_retry_after },
	{ "update_in_early_dialog_with_invite_offer_open", test_invite_offer_open },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("ua_update", cases);
}
