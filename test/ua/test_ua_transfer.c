/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Call transfer end to end: three (four) UA stacks joined by the in-memory
 * network of ua_harness, fake clock. Endpoint 0 is the transferor (Alice),
 * 1 the transferee (Bob), 2 the transfer target (Carol), 3 a second target.
 *
 * Scenarios and the requirement each checks:
 *  - blind_transfer_rfc5589_6_1: RFC 5589 §6.1 exact message sequence:
 *    REFER, 202, NOTIFY 100 (active), 200, INVITE with Referred-By, 180,
 *    NOTIFY 180, 200, 200, ACK, NOTIFY 200 (terminated), 200, BYE, 200;
 *    sipfrag bodies, Event id = CSeq of the REFER; typed outcome SUCCESS.
 *  - attended_transfer_rfc5589_7: Refer-To with the escaped Replaces of the
 *    consultation dialog; the INVITE carries it unescaped; the target
 *    learns which dialog is replaced and ends it with BYE (RFC 3891 §3).
 *  - refer_rejected: 603 to the REFER: outcome FAILED(603), dialog survives.
 *  - target_busy: NOTIFY carries 486, outcome FAILED(486), no BYE, the
 *    original dialog survives.
 *  - refer_sub_false: RFC 4488: 202 echoes Refer-Sub: false, no NOTIFY at
 *    all, outcome ACCEPTED, the call to the target still happens.
 *  - two_refers_one_dialog: ids 2 and 3 kept apart, each outcome on its handle.
 *  - notify_lost_retransmitted: the NICT re-sends at exactly T1.
 *  - expiry_then_481: RFC 6665: the transferor's subscription expires at
 *    exactly its 202 + expires (UNKNOWN, 408); a NOTIFY arriving later is
 *    answered 481, which ends the transferee's subscription but neither
 *    dialog (RFC 5057).
 *  - notify_never_answered: Timer F ends the transferee's subscription, the
 *    transferor's ends at its own expiry; no dialog is touched.
 *  - bye_mid_transfer: BYE while the target rings: both records freed,
 *    the call to the target goes on alone.
 *  - replaces_unmatched_481, replaces_early_only_486,
 *    replaces_received_early_481 (RFC 3891 §3: an early dialog we did not
 *    originate gets 481), replaces_originated_early (accepted, the replaced
 *    INVITE is CANCELled).
 *  - transferee_expiry_notifies_timeout: RFC 6665 §4.2.2: the lapse is
 *    NOTIFYed (terminated;reason=timeout) at exactly the granted expiry.
 *  - transferee_ends_dialog_after_bye_wait: a transferor that never hangs
 *    up: the transferee sends BYE 64*T1 after the final NOTIFY's 200.
 *  - bad_refers_refused_unknown_notify_481: RFC 3515 §2.4.1 (400 without
 *    or with two Refer-To), 416 for a non-SIP target; RFC 6665 §4.1.3 481
 *    for a NOTIFY naming no subscription.
 *  - table_full_503: REFER beyond max_subscriptions: 503 + Retry-After.
 * Every scenario ends with no dialog, transaction, timer or transfer
 * record left on any stack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipdp_test.h"
#include "ua_harness.h"

struct xl {
	uint64_t at_us;
	uint8_t type, result;
	bool refer_failed, no_sub, has_replaces;
	uint16_t status;
	sipdp_handle_t xfer, dlg, replaced;
};

enum xact { XA_NONE = 0, XA_ACCEPT, XA_REJECT };

static struct xl xlog[UAH_MAX_EP][64];
static uint32_t nxl[UAH_MAX_EP];
static enum xact xact[UAH_MAX_EP];
static uint16_t xreject[UAH_MAX_EP];
static sipdp_handle_t xcall[UAH_MAX_EP]; /* last INVITE made by accept */
static uint32_t max_subs = 0, expires_s = 0;

static const char sdp[] = "v=0\r\no=b 1 1 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\n"
			  "t=0 0\r\nm=audio 4002 RTP/AVP 0\r\n";

/* "sip:x@192.0.2.N..." names endpoint N-1. */
static uint8_t
ep_of(struct sipdp_str uri)
{
	for (uint32_t i = 0; i + 9 <= uri.len; i++)
		if (memcmp(uri.p + i, "192.0.2.", 8) == 0)
			return (uint8_t)(uri.p[i + 8] - '1');
	return 0;
}

static void
on_xfer(void *user, const struct sipdp_ua_xfer_event *ev)
{
	struct uah_ep *ep = user;
	struct xl *l;

	if (nxl[ep->id] < 64) {
		l = &xlog[ep->id][nxl[ep->id]++];
		l->at_us = ep->net->now_us;
		l->type = ev->type;
		l->result = ev->result;
		l->refer_failed = ev->refer_failed;
		l->no_sub = ev->no_sub;
		l->has_replaces = ev->has_replaces;
		l->status = ev->status;
		l->xfer = ev->xfer;
		l->dlg = ev->dlg;
		l->replaced = ev->replaced;
	}
	if (ev->type == SIPDP_UA_XFER_EV_REFER) {
		if (xact[ep->id] == XA_ACCEPT) {
			struct sipdp_ua_xfer_accept a = {
				.dest = uah_dest(ep_of(ev->target)),
				.has_dest = true,
				.ctype = SIPDP_STR("application/sdp"),
				.body = SIPDP_STR(sdp),
			};
			CU_ASSERT_EQUAL(sipdp_ua_xfer_accept(ep->ua, ev->xfer, &a, ep->net->now_us,
							     &xcall[ep->id]), 0);
		} else if (xact[ep->id] == XA_REJECT) {
			CU_ASSERT_EQUAL(sipdp_ua_xfer_reject(ep->ua, ev->xfer, xreject[ep->id],
							     ep->net->now_us), 0);
		}
	}
}

static void
tweak(struct sipdp_ua_params *p)
{
	static struct sipdp_ua_xfer_params xp;

	xp.on_xfer = on_xfer;
	xp.max_subscriptions = max_subs;
	xp.expires_s = expires_s;
	p->xfer = &xp;
}

static struct uah_net *
setup(uint32_t n)
{
	struct uah_net *net = uah_new();

	memset(nxl, 0, sizeof(nxl));
	memset(xact, 0, sizeof(xact));
	memset(xcall, 0, sizeof(xcall));
	for (uint32_t i = 0; i < n; i++)
		CU_ASSERT_PTR_NOT_NULL_FATAL(uah_add(net, 8, tweak));
	max_subs = 0;
	expires_s = 0;
	return net;
}

/* Alice (0) calls Bob (1), Bob answers: the dialog to transfer. */
static void
call_ab(struct uah_net *net, sipdp_handle_t *ha, sipdp_handle_t *hb)
{
	net->ep[1].answer = UAH_ACCEPT_NOW;
	CU_ASSERT_EQUAL_FATAL(uah_invite(&net->ep[0], 1, ha), 0);
	uah_settle(net);
	*hb = net->ep[1].last_incoming;
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_dlg(net->ep[0].ua, *ha)->state, SIPDP_DLG_S_ESTABLISHED);
	net->ep[1].answer = UAH_MANUAL;
}

/* Sends since log entry @from as "a>b WORD|..." (WORD: method or status). */
static void
seq(const struct uah_net *net, uint32_t from, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = 0;
	for (uint32_t i = from; i < net->nlog && n + 32 < cap; i++) {
		const struct uah_pkt *p = &net->log[i];
		const char *w = p->data;
		int wl;
		if (strncmp(w, "SIP/2.0 ", 8) == 0)
			w += 8;
		wl = (int)strcspn(w, " ");
		n += (size_t)snprintf(out + n, cap - n, "%s%u>%u %.*s", n ? "|" : "", p->from, p->to, wl, w);
	}
}

static uint32_t
xcount(uint8_t ep, uint8_t type)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < nxl[ep]; i++)
		n += xlog[ep][i].type == type;
	return n;
}

static const struct xl *
xlast(uint8_t ep, uint8_t type)
{
	for (uint32_t i = nxl[ep]; i-- > 0;)
		if (xlog[ep][i].type == type)
			return &xlog[ep][i];
	return NULL;
}

static bool
has(const struct uah_pkt *p, const char *s)
{
	return p != NULL && strstr(p->data, s) != NULL;
}

/* End whatever is left, run past every timer, check nothing leaked. */
static void
finish(struct uah_net *net)
{
	for (uint32_t i = 0; i < net->nep; i++) {
		struct sipdp_ua *ua = net->ep[i].ua;
		for (uint32_t k = 0; k < UAH_MAX_EVS && k < net->ep[i].nevs; k++) {
			sipdp_handle_t h = net->ep[i].evs[k].dlg;
			if (sipdp_ua_dlg(ua, h) != NULL)
				sipdp_ua_bye(ua, h, net->now_us);
		}
	}
	uah_run(net, net->now_us + 70 * UAH_SEC);
	for (uint32_t i = 0; i < net->nep; i++) {
		struct sipdp_ua *ua = net->ep[i].ua;
		CU_ASSERT_EQUAL(sipdp_ua_dialog_count(ua), 0);
		CU_ASSERT_EQUAL(sipdp_ua_tsx_count(ua), 0);
		CU_ASSERT_EQUAL(sipdp_ua_timer_count(ua), 0);
		CU_ASSERT_EQUAL(sipdp_ua_xfer_count(ua), 0);
		CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(ua)->subs_live, 0);
		CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(ua)->xfer_live, 0);
	}
	uah_free(net);
}

static int
refer(struct uah_net *net, sipdp_handle_t ha, const char *target, uint8_t bye, bool no_sub,
      sipdp_handle_t *x)
{
	struct sipdp_ua_xfer_refer r = {
		.target = sipdp_str_cstr(target),
		.bye = bye,
		.no_sub = no_sub,
		.app = 77,
	};
	return sipdp_ua_xfer_refer(net->ep[0].ua, ha, &r, net->now_us, x);
}

/* ------------------------------------------------------------------ */

static void
test_blind_transfer_rfc5589_6_1(void)
{
	struct uah_net *net = setup(3);
	struct uah_ep *a = &net->ep[0], *b = &net->ep[1], *c = &net->ep[2];
	sipdp_handle_t ha, hb, x, hc;
	uint32_t mark;
	char s[1024];

	call_ab(net, &ha, &hb);
	xact[1] = XA_ACCEPT;
	c->answer = UAH_RING;
	mark = net->nlog;
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, "sip:carol@192.0.2.3", SIPDP_UA_XFER_BYE_ON_SUCCESS, false, &x),
			      0);
	uah_settle(net);
	hc = c->last_incoming;
	CU_ASSERT_EQUAL(xcount(1, SIPDP_UA_XFER_EV_REFER), 1);
	CU_ASSERT_EQUAL(xcount(0, SIPDP_UA_XFER_EV_PROGRESS), 2); /* 100, 180 */
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_PROGRESS)->status, 180);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(a->ua)->subs_live, 1);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(b->ua)->subs_live, 1);
	CU_ASSERT_EQUAL(sipdp_ua_accept(c->ua, hc, 200, SIPDP_STR_NULL, SIPDP_STR("application/sdp"),
					SIPDP_STR(sdp), net->now_us), 0);
	uah_settle(net);
	seq(net, mark, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "0>1 REFER|1>0 202|1>0 NOTIFY|1>2 INVITE|0>1 200|2>1 180|1>0 NOTIFY|"
				  "0>1 200|2>1 200|1>2 ACK|1>0 NOTIFY|0>1 200|0>1 BYE|1>0 200");
	/* the messages themselves */
	CU_ASSERT(has(uah_nth(net, 0, "REFER ", 0), "\r\nRefer-To: <sip:carol@192.0.2.3>\r\n"));
	CU_ASSERT(has(uah_nth(net, 0, "REFER ", 0), "\r\nReferred-By: \"Alice\" <sip:alice@192.0.2.1>\r\n"));
	CU_ASSERT(has(uah_nth(net, 0, "REFER ", 0), "\r\nCSeq: 2 REFER\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 0), "\r\nEvent: refer;id=2\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 0), "\r\nSubscription-State: active;expires=60\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 0), "Content-Type: message/sipfrag;version=2.0\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 0), "\r\n\r\nSIP/2.0 100 Trying\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 1), "\r\n\r\nSIP/2.0 180 Ringing\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 2), "\r\nEvent: refer;id=2\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 2),
		      "\r\nSubscription-State: terminated;reason=noresource\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 2), "\r\n\r\nSIP/2.0 200 OK\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "INVITE sip:carol@192.0.2.3 SIP/2.0", 0),
		      "\r\nReferred-By: \"Alice\" <sip:alice@192.0.2.1>\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "INVITE ", 0), "\r\nTo: <sip:carol@192.0.2.3>\r\n"));
	/* typed outcomes */
	CU_ASSERT_EQUAL(xcount(0, SIPDP_UA_XFER_EV_DONE), 1);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->result, SIPDP_UA_XFER_SUCCESS);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->status, 200);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->xfer, x);
	CU_ASSERT_EQUAL(xcount(1, SIPDP_UA_XFER_EV_ENDED), 1);
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->result, SIPDP_UA_XFER_SUCCESS);
	/* the original dialog is gone on both sides, the new call is up */
	CU_ASSERT_PTR_NULL(sipdp_ua_dlg(a->ua, ha));
	CU_ASSERT_PTR_NULL(sipdp_ua_dlg(b->ua, hb));
	CU_ASSERT_EQUAL(sipdp_ua_dlg(b->ua, xcall[1])->state, SIPDP_DLG_S_ESTABLISHED);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(a->ua)->refers_out, 1);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(b->ua)->refers_in, 1);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(b->ua)->notifies_out, 3);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(a->ua)->notifies_in, 3);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(a->ua)->transfers_ok, 1);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(b->ua)->transfers_ok, 1);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(a->ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(b->ua), 0);
	finish(net);
}

static void
test_attended_transfer_rfc5589_7(void)
{
	struct uah_net *net = setup(3);
	struct uah_ep *a = &net->ep[0], *c = &net->ep[2];
	sipdp_handle_t ha, hb, hac, hca, x;
	struct sipdp_ua_dlg_info ci;
	struct sipdp_ua_xfer_refer r = { .app = 5 };
	char want[256];
	uint32_t mark;
	char s[1024];

	call_ab(net, &ha, &hb);
	/* consultation call Alice -> Carol */
	c->answer = UAH_ACCEPT_NOW;
	CU_ASSERT_EQUAL_FATAL(uah_invite(a, 2, &hac), 0);
	uah_settle(net);
	hca = c->last_incoming;
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_dlg_info(a->ua, hac, &ci), 0);
	xact[1] = XA_ACCEPT;
	r.consult = hac;
	mark = net->nlog;
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_xfer_refer(a->ua, ha, &r, net->now_us, &x), 0);
	uah_settle(net);
	/* Refer-To: Carol's contact with the Replaces escaped (RFC 3891 §7) */
	snprintf(want, sizeof(want), "\r\nRefer-To: <sip:ua2@192.0.2.3:5060?Replaces=%.*s%%3Bto-tag%%3D%.*s"
		 "%%3Bfrom-tag%%3D%.*s>\r\n", SIPDP_STR_FMT(ci.call_id), SIPDP_STR_FMT(ci.remote_tag),
		 SIPDP_STR_FMT(ci.local_tag));
	CU_ASSERT(has(uah_nth(net, 0, "REFER ", 0), want));
	CU_ASSERT(xlast(1, SIPDP_UA_XFER_EV_REFER)->has_replaces);
	snprintf(want, sizeof(want), "\r\nReplaces: %.*s;to-tag=%.*s;from-tag=%.*s\r\n",
		 SIPDP_STR_FMT(ci.call_id), SIPDP_STR_FMT(ci.remote_tag), SIPDP_STR_FMT(ci.local_tag));
	CU_ASSERT(has(uah_nth(net, 1, "INVITE sip:ua2@192.0.2.3:5060 ", 0), want));
	/* the target learned which dialog is replaced, and ended it */
	CU_ASSERT_EQUAL(xcount(2, SIPDP_UA_XFER_EV_REPLACES), 1);
	CU_ASSERT_EQUAL(xlast(2, SIPDP_UA_XFER_EV_REPLACES)->replaced, hca);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(c->ua)->replaces_matched, 1);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(c->ua)->replaced_ended, 1);
	seq(net, mark, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "0>1 REFER|1>0 202|1>0 NOTIFY|1>2 INVITE|0>1 200|2>1 200|1>2 ACK|"
				  "1>0 NOTIFY|2>0 BYE|0>1 200|0>1 BYE|0>2 200|1>0 200");
	CU_ASSERT_PTR_NULL(sipdp_ua_dlg(c->ua, hca));
	CU_ASSERT_PTR_NULL(sipdp_ua_dlg(a->ua, hac));
	CU_ASSERT_PTR_NULL(sipdp_ua_dlg(a->ua, ha));
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->result, SIPDP_UA_XFER_SUCCESS);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(a->ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(c->ua), 1); /* Bob-Carol */
	finish(net);
}

static void
test_refer_rejected(void)
{
	struct uah_net *net = setup(3);
	sipdp_handle_t ha, hb, x;

	call_ab(net, &ha, &hb);
	xact[1] = XA_REJECT;
	xreject[1] = 603;
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, "sip:carol@192.0.2.3", 0, false, &x), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 603"), 1);
	CU_ASSERT_EQUAL(uah_count(net, 1, "NOTIFY"), 0);
	CU_ASSERT_EQUAL(uah_count(net, 1, "INVITE"), 0);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->result, SIPDP_UA_XFER_FAILED);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->status, 603);
	CU_ASSERT(xlast(0, SIPDP_UA_XFER_EV_DONE)->refer_failed);
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->result, SIPDP_UA_XFER_FAILED);
	CU_ASSERT_PTR_NOT_NULL(sipdp_ua_dlg(net->ep[0].ua, ha));
	CU_ASSERT_PTR_NOT_NULL(sipdp_ua_dlg(net->ep[1].ua, hb));
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[1].ua)->refers_rejected, 1);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(net->ep[0].ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(net->ep[1].ua), 0);
	finish(net);
}

static void
test_target_busy(void)
{
	struct uah_net *net = setup(3);
	sipdp_handle_t ha, hb, x;

	call_ab(net, &ha, &hb);
	xact[1] = XA_ACCEPT;
	net->ep[2].answer = UAH_REJECT_NOW;
	net->ep[2].answer_code = 486;
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, "sip:carol@192.0.2.3", 0, false, &x), 0);
	uah_settle(net);
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 1), "\r\n\r\nSIP/2.0 486 Busy Here\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 1), "Subscription-State: terminated;reason=noresource"));
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->result, SIPDP_UA_XFER_FAILED);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->status, 486);
	CU_ASSERT(!xlast(0, SIPDP_UA_XFER_EV_DONE)->refer_failed);
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->result, SIPDP_UA_XFER_FAILED);
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->status, 486);
	/* no BYE: Alice and Bob are still talking */
	CU_ASSERT_EQUAL(uah_count(net, 0, "BYE"), 0);
	CU_ASSERT_EQUAL(uah_count(net, 1, "BYE"), 0);
	uah_run(net, net->now_us + 70 * UAH_SEC); /* past any BYE wait */
	CU_ASSERT_EQUAL(uah_count(net, 1, "BYE"), 0);
	CU_ASSERT_EQUAL(sipdp_ua_dlg(net->ep[0].ua, ha)->state, SIPDP_DLG_S_ESTABLISHED);
	CU_ASSERT_EQUAL(sipdp_ua_dlg(net->ep[1].ua, hb)->state, SIPDP_DLG_S_ESTABLISHED);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[0].ua)->transfers_failed, 1);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[1].ua)->transfers_failed, 1);
	finish(net);
}

static void
test_refer_sub_false(void)
{
	struct uah_net *net = setup(3);
	sipdp_handle_t ha, hb, x;

	call_ab(net, &ha, &hb);
	xact[1] = XA_ACCEPT;
	net->ep[2].answer = UAH_ACCEPT_NOW;
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, "sip:carol@192.0.2.3", 0, true, &x), 0);
	uah_settle(net);
	CU_ASSERT(has(uah_nth(net, 0, "REFER ", 0), "\r\nRefer-Sub: false\r\n"));
	CU_ASSERT(has(uah_nth(net, 0, "REFER ", 0), "\r\nSupported: norefersub\r\n"));
	CU_ASSERT(xlast(1, SIPDP_UA_XFER_EV_REFER)->no_sub);
	CU_ASSERT(has(uah_nth(net, 1, "SIP/2.0 202", 0), "\r\nRefer-Sub: false\r\n"));
	CU_ASSERT_EQUAL(uah_count(net, 1, "NOTIFY"), 0);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[0].ua)->subs_live, 0);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[1].ua)->notifies_out, 0);
	/* all the protocol tells the transferor: accepted */
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->result, SIPDP_UA_XFER_ACCEPTED);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->status, 202);
	CU_ASSERT_EQUAL(uah_count(net, 0, "BYE"), 1);
	/* the transfer still happened; Bob's record ended with the dialog
	 * Alice's BYE closed (before Carol's answer came) */
	CU_ASSERT_EQUAL(uah_count(net, 1, "INVITE"), 1);
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->result, SIPDP_UA_XFER_UNKNOWN);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(net->ep[1].ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_dlg(net->ep[1].ua, xcall[1])->state, SIPDP_DLG_S_ESTABLISHED);
	finish(net);
}

static void
test_two_refers_one_dialog(void)
{
	struct uah_net *net = setup(4);
	sipdp_handle_t ha, hb, x1, x2, hc, hd;

	call_ab(net, &ha, &hb);
	xact[1] = XA_ACCEPT;
	net->ep[2].answer = UAH_RING;
	net->ep[3].answer = UAH_RING;
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, "sip:carol@192.0.2.3", SIPDP_UA_XFER_BYE_NEVER, false, &x1), 0);
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, "sip:dave@192.0.2.4", SIPDP_UA_XFER_BYE_NEVER, false, &x2), 0);
	CU_ASSERT_NOT_EQUAL(x1, x2);
	uah_settle(net);
	hc = net->ep[2].last_incoming;
	hd = net->ep[3].last_incoming;
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[1].ua)->subs_live, 2);
	CU_ASSERT_EQUAL(uah_count(net, 1, "NOTIFY"), 4); /* 100 and 180 each */
	/* Dave answers: only the second REFER (CSeq 3) succeeds */
	CU_ASSERT_EQUAL(sipdp_ua_accept(net->ep[3].ua, hd, 200, SIPDP_STR_NULL, SIPDP_STR_NULL,
					SIPDP_STR_NULL, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 4), "\r\nEvent: refer;id=3\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 4), "SIP/2.0 200 OK"));
	CU_ASSERT_EQUAL(xcount(0, SIPDP_UA_XFER_EV_DONE), 1);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->xfer, x2);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->result, SIPDP_UA_XFER_SUCCESS);
	/* Carol is busy: the first REFER (CSeq 2) fails */
	CU_ASSERT_EQUAL(sipdp_ua_reject(net->ep[2].ua, hc, 486, SIPDP_STR_NULL, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 5), "\r\nEvent: refer;id=2\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 5), "SIP/2.0 486 Busy Here"));
	CU_ASSERT_EQUAL(xcount(0, SIPDP_UA_XFER_EV_DONE), 2);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->xfer, x1);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->result, SIPDP_UA_XFER_FAILED);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->status, 486);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(net->ep[0].ua), 0);
	finish(net);
}

static void
test_notify_lost_retransmitted(void)
{
	struct uah_net *net = setup(3);
	sipdp_handle_t ha, hb, x;
	const struct uah_pkt *p0, *p1;

	call_ab(net, &ha, &hb);
	xact[1] = XA_ACCEPT;
	net->ep[2].answer = UAH_RING;
	net->ep[1].drop_prefix = "NOTIFY";
	net->ep[1].drop_prefix_n = 1;
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, "sip:carol@192.0.2.3", 0, false, &x), 0);
	uah_settle(net);
	/* the 100 was lost; the 180 waits for it (one NOTIFY in flight) */
	CU_ASSERT_EQUAL(uah_count(net, 1, "NOTIFY"), 1);
	CU_ASSERT_EQUAL(xcount(0, SIPDP_UA_XFER_EV_PROGRESS), 0);
	uah_run(net, net->now_us + 600 * UAH_MS);
	p0 = uah_nth(net, 1, "NOTIFY ", 0);
	p1 = uah_nth(net, 1, "NOTIFY ", 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p1);
	CU_ASSERT(p0->dropped);
	CU_ASSERT_EQUAL(p1->at_us - p0->at_us, 500 * UAH_MS); /* Timer E = T1 */
	CU_ASSERT(strcmp(p0->data, p1->data) == 0);
	/* then the queued 180 went */
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 2), "SIP/2.0 180 Ringing"));
	CU_ASSERT_EQUAL(xcount(0, SIPDP_UA_XFER_EV_PROGRESS), 2);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[0].ua)->notifies_in, 2);
	CU_ASSERT_EQUAL(sipdp_ua_accept(net->ep[2].ua, net->ep[2].last_incoming, 200, SIPDP_STR_NULL,
					SIPDP_STR_NULL, SIPDP_STR_NULL, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->result, SIPDP_UA_XFER_SUCCESS);
	finish(net);
}

static void
test_expiry_then_481(void)
{
	struct uah_net *net;
	sipdp_handle_t ha, hb, x;
	uint64_t t202;

	/* only Alice's subscriptions are short */
	net = uah_new();
	memset(nxl, 0, sizeof(nxl));
	memset(xact, 0, sizeof(xact));
	expires_s = 1;
	uah_add(net, 8, tweak);
	expires_s = 0;
	uah_add(net, 8, tweak);
	uah_add(net, 8, tweak);
	call_ab(net, &ha, &hb);
	xact[1] = XA_ACCEPT;
	net->ep[2].answer = UAH_RING;
	net->ep[1].drop_prefix = "NOTIFY";
	net->ep[1].drop_prefix_n = 3; /* sent at 0, 0.5 s, 1.5 s: all lost */
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, "sip:carol@192.0.2.3", 0, false, &x), 0);
	uah_settle(net);
	t202 = net->now_us;
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[0].ua)->subs_live, 1);
	uah_run(net, t202 + 1200 * UAH_MS);
	CU_ASSERT_EQUAL(xcount(0, SIPDP_UA_XFER_EV_DONE), 1);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->result, SIPDP_UA_XFER_UNKNOWN);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->status, 408);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->at_us, t202 + 1 * UAH_SEC);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[0].ua)->subs_expired, 1);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[0].ua)->subs_live, 0);
	/* the retransmission at 3.5 s finds no subscription: 481 */
	uah_run(net, t202 + 4 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 0, "SIP/2.0 481"), 1);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[0].ua)->notify_481, 1);
	/* which ends Bob's subscription, not a dialog (RFC 5057) */
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(net->ep[1].ua), 0);
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->result, SIPDP_UA_XFER_UNKNOWN);
	CU_ASSERT_PTR_NOT_NULL(sipdp_ua_dlg(net->ep[0].ua, ha));
	CU_ASSERT_PTR_NOT_NULL(sipdp_ua_dlg(net->ep[1].ua, hb));
	CU_ASSERT_PTR_NOT_NULL(sipdp_ua_dlg(net->ep[1].ua, xcall[1])); /* still ringing */
	sipdp_ua_cancel(net->ep[1].ua, xcall[1], net->now_us);
	finish(net);
}

static void
test_bye_mid_transfer(void)
{
	struct uah_net *net = setup(3);
	sipdp_handle_t ha, hb, x;

	call_ab(net, &ha, &hb);
	xact[1] = XA_ACCEPT;
	net->ep[2].answer = UAH_RING;
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, "sip:carol@192.0.2.3", SIPDP_UA_XFER_BYE_NEVER, false, &x), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(sipdp_ua_bye(net->ep[0].ua, ha, net->now_us), 0);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->result, SIPDP_UA_XFER_UNKNOWN);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->status, 180);
	uah_settle(net);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(net->ep[0].ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(net->ep[1].ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[1].ua)->subs_live, 0);
	CU_ASSERT_EQUAL(xcount(1, SIPDP_UA_XFER_EV_ENDED), 1);
	/* the call to Carol goes on alone: no NOTIFY for its answer */
	CU_ASSERT_EQUAL(sipdp_ua_accept(net->ep[2].ua, net->ep[2].last_incoming, 200, SIPDP_STR_NULL,
					SIPDP_STR_NULL, SIPDP_STR_NULL, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 1, "NOTIFY"), 2);
	CU_ASSERT_EQUAL(sipdp_ua_dlg(net->ep[1].ua, xcall[1])->state, SIPDP_DLG_S_ESTABLISHED);
	finish(net);
}

static void
test_notify_never_answered(void)
{
	struct uah_net *net = setup(3);
	sipdp_handle_t ha, hb, x;
	uint64_t t0;

	call_ab(net, &ha, &hb);
	xact[1] = XA_ACCEPT;
	net->ep[2].answer = UAH_RING;
	net->ep[1].drop_prefix = "NOTIFY";
	net->ep[1].drop_prefix_n = 1000; /* the transferor never sees one */
	t0 = net->now_us;
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, "sip:carol@192.0.2.3", 0, false, &x), 0);
	uah_settle(net);
	uah_run(net, t0 + 32 * UAH_SEC + 10 * UAH_MS);
	/* Timer F (64*T1) ended the NOTIFY: Bob's subscription is gone */
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(net->ep[1].ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[1].ua)->subs_live, 0);
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->result, SIPDP_UA_XFER_UNKNOWN);
	/* Alice's ends at its own expiry, 60 s after the 202 */
	CU_ASSERT_EQUAL(xcount(0, SIPDP_UA_XFER_EV_DONE), 0);
	uah_run(net, t0 + 61 * UAH_SEC);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->at_us, t0 + 60 * UAH_SEC);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->result, SIPDP_UA_XFER_UNKNOWN);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(net->ep[0].ua), 0);
	/* both dialogs and the ringing call are untouched */
	CU_ASSERT_PTR_NOT_NULL(sipdp_ua_dlg(net->ep[0].ua, ha));
	CU_ASSERT_PTR_NOT_NULL(sipdp_ua_dlg(net->ep[1].ua, hb));
	sipdp_ua_cancel(net->ep[1].ua, xcall[1], net->now_us);
	finish(net);
}

static void
test_transferee_expiry_notifies_timeout(void)
{
	struct uah_net *net;
	sipdp_handle_t ha, hb, x;
	uint64_t t0;
	const struct uah_pkt *last;

	net = uah_new();
	memset(nxl, 0, sizeof(nxl));
	memset(xact, 0, sizeof(xact));
	uah_add(net, 8, tweak);
	expires_s = 2; /* Bob grants 2 s */
	uah_add(net, 8, tweak);
	expires_s = 0;
	uah_add(net, 8, tweak);
	call_ab(net, &ha, &hb);
	xact[1] = XA_ACCEPT;
	net->ep[2].answer = UAH_RING; /* and never answers */
	t0 = net->now_us;
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, "sip:carol@192.0.2.3", 0, false, &x), 0);
	uah_settle(net);
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 0), "Subscription-State: active;expires=2\r\n"));
	uah_run(net, t0 + 2500 * UAH_MS);
	/* RFC 6665 §4.2.2: the lapse is NOTIFYed, with the last status */
	last = uah_nth(net, 1, "NOTIFY ", 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(last);
	CU_ASSERT_EQUAL(last->at_us, t0 + 2 * UAH_SEC);
	CU_ASSERT(has(last, "Subscription-State: terminated;reason=timeout\r\n"));
	CU_ASSERT(has(last, "\r\n\r\nSIP/2.0 180 Ringing\r\n"));
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->result, SIPDP_UA_XFER_UNKNOWN);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->status, 180);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[1].ua)->subs_expired, 1);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(net->ep[1].ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(net->ep[0].ua), 0);
	/* the call to Carol is no longer reported */
	CU_ASSERT_EQUAL(sipdp_ua_accept(net->ep[2].ua, net->ep[2].last_incoming, 200, SIPDP_STR_NULL,
					SIPDP_STR_NULL, SIPDP_STR_NULL, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 1, "NOTIFY"), 3);
	finish(net);
}

static void
test_transferee_ends_dialog_after_bye_wait(void)
{
	struct uah_net *net = setup(3);
	sipdp_handle_t ha, hb, x;
	const struct uah_pkt *n200, *bye;

	call_ab(net, &ha, &hb);
	xact[1] = XA_ACCEPT;
	net->ep[2].answer = UAH_ACCEPT_NOW;
	/* a transferor that never hangs up */
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, "sip:carol@192.0.2.3", SIPDP_UA_XFER_BYE_NEVER, false, &x), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->result, SIPDP_UA_XFER_SUCCESS);
	CU_ASSERT_EQUAL(uah_count(net, 0, "BYE"), 0);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(net->ep[1].ua), 1); /* waiting */
	uah_run(net, net->now_us + 33 * UAH_SEC);
	/* Bob ends the original dialog 64*T1 after the final NOTIFY was answered */
	n200 = uah_nth(net, 0, "SIP/2.0 200", 1); /* Alice's answer to the final NOTIFY */
	bye = uah_nth(net, 1, "BYE ", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bye);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n200);
	CU_ASSERT(has(n200, " NOTIFY\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 1), "terminated;reason=noresource"));
	CU_ASSERT(strncmp(bye->data, "BYE sip:ua0@192.0.2.1:5060 ", 27) == 0);
	CU_ASSERT_EQUAL(bye->at_us - n200->at_us, 32 * UAH_SEC);
	CU_ASSERT_PTR_NULL(sipdp_ua_dlg(net->ep[0].ua, ha));
	CU_ASSERT_PTR_NULL(sipdp_ua_dlg(net->ep[1].ua, hb));
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(net->ep[1].ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_dlg(net->ep[1].ua, xcall[1])->state, SIPDP_DLG_S_ESTABLISHED);
	finish(net);
}

/* A REFER from Alice's side of @ha crafted by hand (bad peers). */
static void
inject_refer(struct uah_net *net, sipdp_handle_t ha, uint32_t cseq, const char *hdrs)
{
	struct sipdp_ua_dlg_info i;
	char buf[1024];

	CU_ASSERT_EQUAL_FATAL(sipdp_ua_dlg_info(net->ep[0].ua, ha, &i), 0);
	snprintf(buf, sizeof(buf),
		 "REFER sip:ua1@192.0.2.2:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKcrafted%u\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: <sip:alice@192.0.2.1>;tag=%.*s\r\n"
		 "To: <sip:bob@192.0.2.2>;tag=%.*s\r\n"
		 "Call-ID: %.*s\r\n"
		 "CSeq: %u REFER\r\n"
		 "Contact: <sip:ua0@192.0.2.1:5060>\r\n"
		 "%s"
		 "Content-Length: 0\r\n\r\n",
		 cseq, SIPDP_STR_FMT(i.local_tag), SIPDP_STR_FMT(i.remote_tag), SIPDP_STR_FMT(i.call_id),
		 cseq, hdrs);
	uah_inject(net, 0, 1, buf);
	uah_settle(net);
}

static void
test_bad_refers_refused(void)
{
	struct uah_net *net = setup(3);
	sipdp_handle_t ha, hb;

	call_ab(net, &ha, &hb);
	xact[1] = XA_ACCEPT;
	inject_refer(net, ha, 10, ""); /* no Refer-To: RFC 3515 §2.4.1 */
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 400"), 1);
	inject_refer(net, ha, 11, "Refer-To: <sip:c@192.0.2.3>\r\nRefer-To: <sip:d@192.0.2.4>\r\n");
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 400"), 2);
	inject_refer(net, ha, 12, "Refer-To: <tel:+15551234>\r\n");
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 416"), 1);
	CU_ASSERT_EQUAL(xcount(1, SIPDP_UA_XFER_EV_REFER), 0);
	/* two Refer-To never reach the UA: the acceptance check answers them */
	CU_ASSERT_EQUAL(sipdp_ua_stats(net->ep[1].ua)->stateless_4xx, 1);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[1].ua)->refers_rejected, 2);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(net->ep[1].ua), 0);
	/* a NOTIFY for a subscription Alice never had: 481, dialog intact */
	{
		struct sipdp_ua_dlg_info i;
		char buf[1024];
		CU_ASSERT_EQUAL_FATAL(sipdp_ua_dlg_info(net->ep[1].ua, hb, &i), 0);
		snprintf(buf, sizeof(buf),
			 "NOTIFY sip:ua0@192.0.2.1:5060 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKcraftedN\r\n"
			 "Max-Forwards: 70\r\n"
			 "From: <sip:bob@192.0.2.2>;tag=%.*s\r\n"
			 "To: <sip:alice@192.0.2.1>;tag=%.*s\r\n"
			 "Call-ID: %.*s\r\n"
			 "CSeq: 7 NOTIFY\r\n"
			 "Event: refer;id=99\r\n"
			 "Subscription-State: active;expires=60\r\n"
			 "Content-Type: message/sipfrag;version=2.0\r\n"
			 "Content-Length: 20\r\n\r\nSIP/2.0 100 Trying\r\n",
			 SIPDP_STR_FMT(i.local_tag), SIPDP_STR_FMT(i.remote_tag), SIPDP_STR_FMT(i.call_id));
		uah_inject(net, 1, 0, buf);
		uah_settle(net);
	}
	CU_ASSERT_EQUAL(uah_count(net, 0, "SIP/2.0 481"), 1);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[0].ua)->notify_481, 1);
	CU_ASSERT_EQUAL(sipdp_ua_dlg(net->ep[0].ua, ha)->state, SIPDP_DLG_S_ESTABLISHED);
	finish(net);
}

/* ------------------------------------------------------------ Replaces */

static int
invite_with(struct uah_net *net, uint8_t from, uint8_t to, const char *extra, sipdp_handle_t *h)
{
	struct sipdp_ua_invite inv = {
		.ruri = SIPDP_STR("sip:carol@192.0.2.3"),
		.from = SIPDP_STR("<sip:bob@192.0.2.2>"),
		.to = SIPDP_STR("<sip:carol@192.0.2.3>"),
		.extra = sipdp_str_cstr(extra),
		.dest = uah_dest(to),
	};
	return sipdp_ua_invite(net->ep[from].ua, &inv, net->now_us, h);
}

static void
replaces_of(struct uah_net *net, uint8_t ep, sipdp_handle_t h, const char *flags, char *out, size_t cap)
{
	struct sipdp_ua_dlg_info i;

	CU_ASSERT_EQUAL_FATAL(sipdp_ua_dlg_info(net->ep[ep].ua, h, &i), 0);
	/* seen from the other side: to-tag is its local tag = our remote tag */
	snprintf(out, cap, "Replaces: %.*s;to-tag=%.*s;from-tag=%.*s%s\r\n", SIPDP_STR_FMT(i.call_id),
		 SIPDP_STR_FMT(i.remote_tag), SIPDP_STR_FMT(i.local_tag), flags);
}

static void
test_replaces_unmatched_481(void)
{
	struct uah_net *net = setup(3);
	sipdp_handle_t h;

	CU_ASSERT_EQUAL_FATAL(invite_with(net, 1, 2, "Replaces: nosuch@x;to-tag=a;from-tag=b\r\n", &h), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 2, "SIP/2.0 481"), 1);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[2], SIPDP_UA_EV_INCOMING), 0);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[2].ua)->replaces_unmatched, 1);
	CU_ASSERT_EQUAL(uah_evlast(&net->ep[1], SIPDP_UA_EV_FAILED)->status, 481);
	finish(net);
}

static void
test_replaces_early_only_486(void)
{
	struct uah_net *net = setup(3);
	sipdp_handle_t hac, hca, h;
	char rep[256];

	net->ep[2].answer = UAH_ACCEPT_NOW;
	CU_ASSERT_EQUAL_FATAL(uah_invite(&net->ep[0], 2, &hac), 0);
	uah_settle(net);
	hca = net->ep[2].last_incoming;
	replaces_of(net, 0, hac, ";early-only", rep, sizeof(rep));
	CU_ASSERT_EQUAL_FATAL(invite_with(net, 1, 2, rep, &h), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 2, "SIP/2.0 486"), 1);
	CU_ASSERT_EQUAL(uah_evcount(&net->ep[2], SIPDP_UA_EV_INCOMING), 1);
	CU_ASSERT_EQUAL(sipdp_ua_dlg(net->ep[2].ua, hca)->state, SIPDP_DLG_S_ESTABLISHED);
	/* the same without early-only replaces it */
	replaces_of(net, 0, hac, "", rep, sizeof(rep));
	CU_ASSERT_EQUAL_FATAL(invite_with(net, 1, 2, rep, &h), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[2].ua)->replaces_matched, 1);
	CU_ASSERT_PTR_NULL(sipdp_ua_dlg(net->ep[2].ua, hca));
	CU_ASSERT_EQUAL(uah_evlast(&net->ep[0], SIPDP_UA_EV_TERMINATED)->reason, SIPDP_DLG_R_REMOTE_BYE);
	finish(net);
}

static void
test_replaces_received_early_481(void)
{
	struct uah_net *net = setup(3);
	sipdp_handle_t hac, hca, h, old;
	char rep[256];

	net->ep[2].answer = UAH_RING;
	CU_ASSERT_EQUAL_FATAL(uah_invite(&net->ep[0], 2, &hac), 0);
	uah_settle(net);
	hca = net->ep[2].last_incoming;
	CU_ASSERT_EQUAL(sipdp_ua_dlg(net->ep[2].ua, hca)->state, SIPDP_DLG_S_RINGING);
	net->ep[2].answer = UAH_MANUAL;
	replaces_of(net, 0, hac, "", rep, sizeof(rep));
	CU_ASSERT_EQUAL_FATAL(invite_with(net, 1, 2, rep, &h), 0);
	uah_settle(net);
	/* RFC 3891 §3: an early dialog this UA did not originate: 481, and
	 * the matched dialog is left unchanged */
	CU_ASSERT_EQUAL(uah_count(net, 2, "SIP/2.0 481"), 1);
	CU_ASSERT_EQUAL(sipdp_ua_dlg(net->ep[2].ua, hca)->state, SIPDP_DLG_S_RINGING);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_replaced(net->ep[2].ua, hca, &old), -ENOENT);
	sipdp_ua_cancel(net->ep[0].ua, hac, net->now_us);
	finish(net);
}

static void
test_replaces_originated_early(void)
{
	struct uah_net *net = setup(3);
	sipdp_handle_t hca, h, hnew, old;
	char rep[256];

	/* Carol calls Alice, Alice rings: an early dialog Carol originated */
	net->ep[0].answer = UAH_RING;
	{
		struct sipdp_ua_invite inv = {
			.ruri = SIPDP_STR("sip:alice@192.0.2.1"),
			.from = SIPDP_STR("<sip:carol@192.0.2.3>"),
			.to = SIPDP_STR("<sip:alice@192.0.2.1>"),
			.dest = uah_dest(0),
		};
		CU_ASSERT_EQUAL_FATAL(sipdp_ua_invite(net->ep[2].ua, &inv, net->now_us, &hca), 0);
	}
	uah_settle(net);
	CU_ASSERT_EQUAL(sipdp_ua_dlg(net->ep[2].ua, hca)->state, SIPDP_DLG_S_RINGING);
	replaces_of(net, 2, hca, ";early-only", rep, sizeof(rep));
	/* replaces_of() wrote Carol's view; Bob must name the dialog as Carol
	 * sees it: to-tag = Carol's tag, from-tag = Alice's */
	{
		struct sipdp_ua_dlg_info i;
		sipdp_ua_dlg_info(net->ep[2].ua, hca, &i);
		snprintf(rep, sizeof(rep), "Replaces: %.*s;to-tag=%.*s;from-tag=%.*s;early-only\r\n",
			 SIPDP_STR_FMT(i.call_id), SIPDP_STR_FMT(i.local_tag), SIPDP_STR_FMT(i.remote_tag));
	}
	net->ep[2].answer = UAH_ACCEPT_NOW;
	CU_ASSERT_EQUAL_FATAL(invite_with(net, 1, 2, rep, &h), 0);
	uah_settle(net);
	hnew = net->ep[2].last_incoming;
	CU_ASSERT_EQUAL(xlast(2, SIPDP_UA_XFER_EV_REPLACES)->replaced, hca);
	CU_ASSERT_EQUAL(xlast(2, SIPDP_UA_XFER_EV_REPLACES)->dlg, hnew);
	(void)old;
	/* confirmed: the replaced INVITE is cancelled (RFC 3891 §3) */
	CU_ASSERT_EQUAL(uah_count(net, 2, "CANCEL "), 1);
	CU_ASSERT_EQUAL(uah_count(net, 0, "SIP/2.0 487"), 1);
	CU_ASSERT_PTR_NULL(sipdp_ua_dlg(net->ep[2].ua, hca));
	CU_ASSERT_EQUAL(sipdp_ua_dlg(net->ep[2].ua, hnew)->state, SIPDP_DLG_S_ESTABLISHED);
	finish(net);
}

static void
test_table_full_503(void)
{
	struct uah_net *net;
	sipdp_handle_t ha, hb, x1, x2;
	struct sipdp_ua_xfer_refer r = { .target = SIPDP_STR("sip:carol@192.0.2.3"),
					 .bye = SIPDP_UA_XFER_BYE_NEVER };
	uint32_t mark;

	net = uah_new();
	memset(nxl, 0, sizeof(nxl));
	memset(xact, 0, sizeof(xact));
	uah_add(net, 8, tweak);
	max_subs = 1; /* Bob holds one transfer at a time */
	uah_add(net, 8, tweak);
	max_subs = 0;
	uah_add(net, 8, tweak);
	call_ab(net, &ha, &hb);
	xact[1] = XA_NONE; /* Bob does not decide at once: the first REFER holds his record */
	mark = net->nlog;
	CU_ASSERT_EQUAL(sipdp_ua_xfer_refer(net->ep[0].ua, ha, &r, net->now_us, &x1), 0);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_refer(net->ep[0].ua, ha, &r, net->now_us, &x2), 0);
	uah_settle(net);
	{
		char s[512];
		seq(net, mark, s, sizeof(s));
		CU_ASSERT_STRING_EQUAL(s, "0>1 REFER|0>1 REFER|1>0 503");
	}
	CU_ASSERT(has(uah_nth(net, 1, "SIP/2.0 503", 0), "\r\nRetry-After: 5\r\n"));
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[1].ua)->subs_full, 1);
	{
		char *text = NULL;
		size_t tlen = 0;
		FILE *f = open_memstream(&text, &tlen);
		CU_ASSERT_EQUAL(sipdp_ua_xfer_dump(net->ep[1].ua, f), 0);
		fclose(f);
		CU_ASSERT(strstr(text, "subs live 0 expired 0 full 1;") != NULL);
		CU_ASSERT(strstr(text, " transferee dlg ") != NULL); /* the undecided REFER */
		free(text);
	}
	CU_ASSERT_EQUAL(xcount(0, SIPDP_UA_XFER_EV_DONE), 1);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->xfer, x2);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->status, 503);
	CU_ASSERT(xlast(0, SIPDP_UA_XFER_EV_DONE)->refer_failed);
	/* decided later, from the kept template */
	CU_ASSERT_EQUAL(sipdp_ua_xfer_reject(net->ep[1].ua, xlast(1, SIPDP_UA_XFER_EV_REFER)->xfer, 603,
					     net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->xfer, x1);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->status, 603);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(net->ep[1].ua), 0);
	finish(net);
}

int
main(void)
{
	static struct sipdp_test_case tests[] = {
		{ "blind_transfer_rfc5589_6_1", test_blind_transfer_rfc5589_6_1 },
		{ "attended_transfer_rfc5589_7", test_attended_transfer_rfc5589_7 },
		{ "refer_rejected", test_refer_rejected },
		{ "target_busy", test_target_busy },
		{ "refer_sub_false", test_refer_sub_false },
		{ "two_refers_one_dialog", test_two_refers_one_dialog },
		{ "notify_lost_retransmitted", test_notify_lost_retransmitted },
		{ "expiry_then_481", test_expiry_then_481 },
		{ "bye_mid_transfer", test_bye_mid_transfer },
		{ "notify_never_answered", test_notify_never_answered },
		{ "transferee_expiry_notifies_timeout", test_transferee_expiry_notifies_timeout },
		{ "transferee_ends_dialog_after_bye_wait", test_transferee_ends_dialog_after_bye_wait },
		{ "bad_refers_refused_unknown_notify_481", test_bad_refers_refused },
		{ "replaces_unmatched_481", test_replaces_unmatched_481 },
		{ "replaces_early_only_486", test_replaces_early_only_486 },
		{ "replaces_received_early_481", test_replaces_received_early_481 },
		{ "replaces_originated_early", test_replaces_originated_early },
		{ "table_full_503_retry_after", test_table_full_503 },
		{ NULL, NULL },
	};
	return sipdp_test_run("ua_transfer", tests);
}
