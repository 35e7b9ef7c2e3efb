/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transfers the application executes itself (a B2BUA in REFER "pass" mode,
 * or joining an attended transfer between two of its own dialogs):
 * sipdp_ua_xfer_accept_external(), sipdp_ua_xfer_notify(),
 * sipdp_ua_dialog_by_replaces() and the REFER event's replaces field.
 * In-memory network of ua_harness, fake clock. Endpoint 0 is the
 * transferor (Alice), 1 the transferee (Bob, the "B2BUA"), 2 Carol.
 *
 * Scenarios and the requirement each checks:
 *  - external_accept_202_notify_100_no_invite: RFC 3515 §2.4.2 202 and
 *    §2.4.5 NOTIFY 100 (active), and no INVITE leaves Bob; the decision
 *    is final (accept, accept_external again: -EINVAL); notify refuses a
 *    bad status and a transfer not accepted externally.
 *  - external_notify_180_200_success: decided after the callback (kept
 *    template); NOTIFY 180 (active;expires) then 200 (terminated;
 *    reason=noresource), sipfrag status lines; Alice sees PROGRESS 180
 *    then DONE SUCCESS 200; Bob ENDED SUCCESS once the final NOTIFY is
 *    answered; nothing after a final (-EINVAL, then -ENOENT); Bob never
 *    ends the referring dialog (no BYE wait, unlike sipdp_ua_xfer_accept).
 *  - external_notify_486_failed: NOTIFY 486 Busy Here: DONE FAILED 486,
 *    ENDED FAILED 486, dialogs untouched.
 *  - external_refer_sub_false: RFC 4488: 202 echoes Refer-Sub: false, no
 *    NOTIFY ever, notify 180 sends nothing, notify 200 ends the record
 *    at once (ENDED SUCCESS 200).
 *  - external_expiry_unnotified: RFC 6665 §4.2.2: never notified, the
 *    subscription still lapses at exactly accept + expires_s: NOTIFY
 *    terminated;reason=timeout with the last status (100), ENDED UNKNOWN,
 *    Alice DONE UNKNOWN; a late notify gets -ENOENT. With Refer-Sub:
 *    false the record ends at the same instant, silently.
 *  - replaces_local_join: RFC 5589 §7 with both dialogs on Bob: the REFER
 *    event's replaces is the unescaped Replaces of the Refer-To, naming
 *    the consultation dialog as the target (Bob) sees it; dialog_by_
 *    replaces finds Bob's side of it, not with the tags swapped (-ENOENT),
 *    not an unknown one (-ENOENT), -EBUSY for early-only on a confirmed
 *    dialog, -EINVAL for garbage; a blind REFER has no replaces.
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
	bool no_sub, has_replaces;
	uint16_t status;
	sipdp_handle_t xfer, dlg;
	char replaces[256];
	int by_replaces_rc;         /* REFER: dialog_by_replaces() inside the callback */
	sipdp_handle_t by_replaces; /* its dialog */
};

enum xact { XA_NONE = 0, XA_EXTERNAL };

static struct xl xlog[UAH_MAX_EP][64];
static uint32_t nxl[UAH_MAX_EP];
static enum xact xact[UAH_MAX_EP];
static uint32_t expires_s;

static void
on_xfer(void *user, const struct sipdp_ua_xfer_event *ev)
{
	struct uah_ep *ep = user;
	struct xl *l = NULL;

	if (nxl[ep->id] < 64) {
		l = &xlog[ep->id][nxl[ep->id]++];
		memset(l, 0, sizeof(*l));
		l->at_us = ep->net->now_us;
		l->type = ev->type;
		l->result = ev->result;
		l->no_sub = ev->no_sub;
		l->has_replaces = ev->has_replaces;
		l->status = ev->status;
		l->xfer = ev->xfer;
		l->dlg = ev->dlg;
	}
	if (ev->type != SIPDP_UA_XFER_EV_REFER)
		return;
	if (l != NULL) {
		snprintf(l->replaces, sizeof(l->replaces), "%.*s", SIPDP_STR_FMT(ev->replaces));
		l->by_replaces_rc = sipdp_ua_dialog_by_replaces(ep->ua, ev->replaces, &l->by_replaces);
	}
	if (xact[ep->id] == XA_EXTERNAL)
		CU_ASSERT_EQUAL(sipdp_ua_xfer_accept_external(ep->ua, ev->xfer, ep->net->now_us), 0);
}

static void
tweak(struct sipdp_ua_params *p)
{
	static struct sipdp_ua_xfer_params xp;

	xp.on_xfer = on_xfer;
	xp.expires_s = expires_s;
	p->xfer = &xp;
}

static struct uah_net *
setup(uint32_t n)
{
	struct uah_net *net = uah_new();

	memset(nxl, 0, sizeof(nxl));
	memset(xact, 0, sizeof(xact));
	for (uint32_t i = 0; i < n; i++)
		CU_ASSERT_PTR_NOT_NULL_FATAL(uah_add(net, 8, tweak));
	return net;
}

/* Alice (0) calls Bob (1), Bob answers. */
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
	static const struct xl none;
	for (uint32_t i = nxl[ep]; i-- > 0;)
		if (xlog[ep][i].type == type)
			return &xlog[ep][i];
	return &none; /* type 0: asserts on it fail without crashing */
}

/* A dialog's state, -1 when it is gone (asserts fail without crashing). */
static int
dstate(const struct sipdp_ua *ua, sipdp_handle_t h)
{
	const struct sipdp_dlg *d = sipdp_ua_dlg(ua, h);

	return d ? (int)d->state : -1;
}

static bool
has(const struct uah_pkt *p, const char *s)
{
	return p != NULL && strstr(p->data, s) != NULL;
}

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
		CU_ASSERT(uah_msgbufs_all_free(ua));
	}
	uah_free(net);
}

static int
refer(struct uah_net *net, sipdp_handle_t ha, uint8_t bye, bool no_sub, sipdp_handle_t *x)
{
	struct sipdp_ua_xfer_refer r = {
		.target = SIPDP_STR("sip:carol@192.0.2.3"),
		.bye = bye,
		.no_sub = no_sub,
		.app = 77,
	};
	return sipdp_ua_xfer_refer(net->ep[0].ua, ha, &r, net->now_us, x);
}

/* ------------------------------------------------------------------ */

static void
test_accept_202_notify_100_no_invite(void)
{
	struct uah_net *net = setup(3);
	struct sipdp_ua *b;
	sipdp_handle_t ha, hb, x, bx;
	uint32_t mark;
	char s[512];

	call_ab(net, &ha, &hb);
	b = net->ep[1].ua;
	xact[1] = XA_EXTERNAL;
	mark = net->nlog;
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, SIPDP_UA_XFER_BYE_NEVER, false, &x), 0);
	uah_settle(net);
	seq(net, mark, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "0>1 REFER|1>0 202|1>0 NOTIFY|0>1 200");
	CU_ASSERT_EQUAL(uah_count(net, 1, "INVITE"), 0);
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 0), "\r\nEvent: refer;id=2\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 0), "\r\nSubscription-State: active;expires=60\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 0), "Content-Type: message/sipfrag;version=2.0\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 0), "\r\n\r\nSIP/2.0 100 Trying\r\n"));
	CU_ASSERT_EQUAL(xcount(0, SIPDP_UA_XFER_EV_PROGRESS), 1);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_PROGRESS)->status, 100);
	CU_ASSERT_EQUAL(xcount(0, SIPDP_UA_XFER_EV_DONE), 0);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(b), 1);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(b)->subs_live, 1);
	/* decided once */
	bx = xlast(1, SIPDP_UA_XFER_EV_REFER)->xfer;
	CU_ASSERT_EQUAL(sipdp_ua_xfer_accept_external(b, bx, net->now_us), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_accept(b, bx, NULL, net->now_us, NULL), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_reject(b, bx, 603, net->now_us), -EINVAL);
	/* status range; a stale handle */
	CU_ASSERT_EQUAL(sipdp_ua_xfer_notify(b, bx, 99, net->now_us), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_notify(b, bx, 700, net->now_us), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_notify(b, SIPDP_HANDLE_INVALID, 200, net->now_us), -ENOENT);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_accept_external(b, SIPDP_HANDLE_INVALID, net->now_us), -ENOENT);
	CU_ASSERT_EQUAL(uah_count(net, 1, "NOTIFY"), 1);
	/* a second REFER left undecided: notify is for external transfers only */
	xact[1] = XA_NONE;
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, SIPDP_UA_XFER_BYE_NEVER, false, &x), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(xcount(1, SIPDP_UA_XFER_EV_REFER), 2);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_notify(b, xlast(1, SIPDP_UA_XFER_EV_REFER)->xfer, 180, net->now_us),
			-EINVAL);
	/* the referring dialog ends: both records go (ENDED UNKNOWN, 603) */
	finish(net);
	CU_ASSERT_EQUAL(xcount(1, SIPDP_UA_XFER_EV_ENDED), 2);
}

static void
test_notify_180_200_success(void)
{
	struct uah_net *net = setup(3);
	struct sipdp_ua *b;
	sipdp_handle_t ha, hb, x, bx;
	uint32_t mark;
	char s[512];

	call_ab(net, &ha, &hb);
	b = net->ep[1].ua;
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, SIPDP_UA_XFER_BYE_NEVER, false, &x), 0);
	uah_settle(net);
	/* decided after the callback, 1 s later */
	bx = xlast(1, SIPDP_UA_XFER_EV_REFER)->xfer;
	CU_ASSERT_EQUAL(uah_count(net, 1, "SIP/2.0 202"), 0);
	uah_run(net, net->now_us + UAH_SEC);
	mark = net->nlog;
	CU_ASSERT_EQUAL(sipdp_ua_xfer_accept_external(b, bx, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_notify(b, bx, 180, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_PROGRESS)->status, 180);
	CU_ASSERT_EQUAL(xcount(0, SIPDP_UA_XFER_EV_PROGRESS), 2);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_notify(b, bx, 200, net->now_us), 0);
	/* a final given: nothing more until the record ends */
	CU_ASSERT_EQUAL(sipdp_ua_xfer_notify(b, bx, 180, net->now_us), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_notify(b, bx, 200, net->now_us), -EINVAL);
	CU_ASSERT_EQUAL(xcount(1, SIPDP_UA_XFER_EV_ENDED), 0); /* the final NOTIFY is unanswered */
	uah_settle(net);
	seq(net, mark, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "1>0 202|1>0 NOTIFY|0>1 200|1>0 NOTIFY|0>1 200|1>0 NOTIFY|0>1 200");
	CU_ASSERT_EQUAL(uah_count(net, 1, "INVITE"), 0);
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 1), "\r\nSubscription-State: active;expires=60\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 1), "\r\nEvent: refer;id=2\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 1), "\r\n\r\nSIP/2.0 180 Ringing\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 2), "\r\nEvent: refer;id=2\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 2),
		      "\r\nSubscription-State: terminated;reason=noresource\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 2), "\r\n\r\nSIP/2.0 200 OK\r\n"));
	/* the transferor: PROGRESS 100, 180, then DONE SUCCESS 200 */
	CU_ASSERT_EQUAL(nxl[0], 3);
	CU_ASSERT_EQUAL(xlog[0][0].type, SIPDP_UA_XFER_EV_PROGRESS);
	CU_ASSERT_EQUAL(xlog[0][0].status, 100);
	CU_ASSERT_EQUAL(xlog[0][1].type, SIPDP_UA_XFER_EV_PROGRESS);
	CU_ASSERT_EQUAL(xlog[0][1].status, 180);
	CU_ASSERT_EQUAL(xlog[0][2].type, SIPDP_UA_XFER_EV_DONE);
	CU_ASSERT_EQUAL(xlog[0][2].result, SIPDP_UA_XFER_SUCCESS);
	CU_ASSERT_EQUAL(xlog[0][2].status, 200);
	CU_ASSERT_EQUAL(xlog[0][2].xfer, x);
	/* the transferee: ENDED SUCCESS 200, record gone */
	CU_ASSERT_EQUAL(xcount(1, SIPDP_UA_XFER_EV_ENDED), 1);
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->result, SIPDP_UA_XFER_SUCCESS);
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->status, 200);
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->xfer, bx);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(b), 0);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_notify(b, bx, 200, net->now_us), -ENOENT);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(b)->transfers_ok, 1);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(b)->notifies_out, 3);
	/* the application owns the referring dialog: no BYE wait, no BYE */
	uah_run(net, net->now_us + 40 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 1, "BYE"), 0);
	CU_ASSERT_EQUAL(dstate(b, hb), SIPDP_DLG_S_ESTABLISHED);
	CU_ASSERT_EQUAL(dstate(net->ep[0].ua, ha), SIPDP_DLG_S_ESTABLISHED);
	finish(net);
}

static void
test_notify_486_failed(void)
{
	struct uah_net *net = setup(3);
	sipdp_handle_t ha, hb, x, bx;

	call_ab(net, &ha, &hb);
	xact[1] = XA_EXTERNAL;
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, SIPDP_UA_XFER_BYE_ON_SUCCESS, false, &x), 0);
	uah_settle(net);
	bx = xlast(1, SIPDP_UA_XFER_EV_REFER)->xfer;
	CU_ASSERT_EQUAL(sipdp_ua_xfer_notify(net->ep[1].ua, bx, 486, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 1, "NOTIFY"), 2);
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 1), "\r\n\r\nSIP/2.0 486 Busy Here\r\n"));
	CU_ASSERT(has(uah_nth(net, 1, "NOTIFY ", 1),
		      "\r\nSubscription-State: terminated;reason=noresource\r\n"));
	CU_ASSERT_EQUAL(xcount(0, SIPDP_UA_XFER_EV_DONE), 1);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->result, SIPDP_UA_XFER_FAILED);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->status, 486);
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->result, SIPDP_UA_XFER_FAILED);
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->status, 486);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(net->ep[1].ua)->transfers_failed, 1);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(net->ep[1].ua), 0);
	/* a failed transfer ends no dialog */
	CU_ASSERT_EQUAL(uah_count(net, 0, "BYE"), 0);
	CU_ASSERT_EQUAL(uah_count(net, 1, "BYE"), 0);
	CU_ASSERT_EQUAL(dstate(net->ep[1].ua, hb), SIPDP_DLG_S_ESTABLISHED);
	finish(net);
}

static void
test_refer_sub_false(void)
{
	struct uah_net *net = setup(3);
	struct sipdp_ua *b;
	sipdp_handle_t ha, hb, x, bx;

	call_ab(net, &ha, &hb);
	b = net->ep[1].ua;
	xact[1] = XA_EXTERNAL;
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, SIPDP_UA_XFER_BYE_NEVER, true, &x), 0);
	uah_settle(net);
	CU_ASSERT(xlast(1, SIPDP_UA_XFER_EV_REFER)->no_sub);
	CU_ASSERT(has(uah_nth(net, 1, "SIP/2.0 202", 0), "\r\nRefer-Sub: false\r\n"));
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->result, SIPDP_UA_XFER_ACCEPTED);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(b)->subs_live, 0);
	bx = xlast(1, SIPDP_UA_XFER_EV_REFER)->xfer;
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(b), 1); /* kept for the final */
	CU_ASSERT_EQUAL(sipdp_ua_xfer_notify(b, bx, 180, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(xcount(1, SIPDP_UA_XFER_EV_ENDED), 0);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_notify(b, bx, 200, net->now_us), 0);
	/* ended inside the call */
	CU_ASSERT_EQUAL(xcount(1, SIPDP_UA_XFER_EV_ENDED), 1);
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->result, SIPDP_UA_XFER_SUCCESS);
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->status, 200);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(b), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_count(net, 1, "NOTIFY"), 0);
	CU_ASSERT_EQUAL(uah_count(net, 1, "INVITE"), 0);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(b)->notifies_out, 0);
	CU_ASSERT_EQUAL(dstate(b, hb), SIPDP_DLG_S_ESTABLISHED);
	finish(net);
}

static void
test_expiry_unnotified(void)
{
	struct uah_net *net = setup(3);
	struct sipdp_ua *b;
	sipdp_handle_t ha, hb, x, bx;
	const struct uah_pkt *last;
	uint64_t t0;

	call_ab(net, &ha, &hb);
	b = net->ep[1].ua;
	xact[1] = XA_EXTERNAL;
	t0 = net->now_us;
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, SIPDP_UA_XFER_BYE_NEVER, false, &x), 0);
	uah_settle(net);
	bx = xlast(1, SIPDP_UA_XFER_EV_REFER)->xfer;
	uah_run(net, t0 + 59 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 1, "NOTIFY"), 1);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(b), 1);
	uah_run(net, t0 + 61 * UAH_SEC);
	/* RFC 6665 §4.2.2: the lapse is NOTIFYed with the last status */
	last = uah_nth(net, 1, "NOTIFY ", 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(last);
	CU_ASSERT_EQUAL(last->at_us, t0 + 60 * UAH_SEC);
	CU_ASSERT(has(last, "\r\nSubscription-State: terminated;reason=timeout\r\n"));
	CU_ASSERT(has(last, "\r\n\r\nSIP/2.0 100 Trying\r\n"));
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->result, SIPDP_UA_XFER_UNKNOWN);
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->at_us, t0 + 60 * UAH_SEC);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->result, SIPDP_UA_XFER_UNKNOWN);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_stats(b)->subs_expired, 1);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(b), 0);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(net->ep[0].ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_notify(b, bx, 200, net->now_us), -ENOENT);
	CU_ASSERT_EQUAL(dstate(b, hb), SIPDP_DLG_S_ESTABLISHED);

	/* Refer-Sub: false: the record goes at the same instant, silently */
	t0 = net->now_us;
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, SIPDP_UA_XFER_BYE_NEVER, true, &x), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(b), 1);
	uah_run(net, t0 + 61 * UAH_SEC);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_count(b), 0);
	CU_ASSERT_EQUAL(xcount(1, SIPDP_UA_XFER_EV_ENDED), 2);
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->result, SIPDP_UA_XFER_UNKNOWN);
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->at_us, t0 + 60 * UAH_SEC);
	CU_ASSERT_EQUAL(uah_count(net, 1, "NOTIFY"), 2);
	finish(net);
}

static void
test_replaces_local_join(void)
{
	struct uah_net *net = setup(3);
	struct sipdp_ua *b;
	struct sipdp_ua_dlg_info ai, bi;
	struct sipdp_ua_xfer_refer r = { .bye = SIPDP_UA_XFER_BYE_NEVER, .app = 9 };
	sipdp_handle_t ha, hb, ha2, hb2, x, found;
	const struct xl *ev;
	char want[256], v[256];

	call_ab(net, &ha, &hb);
	b = net->ep[1].ua;
	/* a blind REFER carries no replaces */
	xact[1] = XA_NONE;
	CU_ASSERT_EQUAL_FATAL(refer(net, ha, SIPDP_UA_XFER_BYE_NEVER, false, &x), 0);
	uah_settle(net);
	ev = xlast(1, SIPDP_UA_XFER_EV_REFER);
	CU_ASSERT(!ev->has_replaces);
	CU_ASSERT_STRING_EQUAL(ev->replaces, "");
	CU_ASSERT_EQUAL(ev->by_replaces_rc, -EINVAL);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_reject(b, ev->xfer, 603, net->now_us), 0);
	uah_settle(net);

	/* the consultation call: Alice calls the same box again */
	net->ep[1].answer = UAH_ACCEPT_NOW;
	CU_ASSERT_EQUAL_FATAL(uah_invite(&net->ep[0], 1, &ha2), 0);
	uah_settle(net);
	hb2 = net->ep[1].last_incoming;
	net->ep[1].answer = UAH_MANUAL;
	CU_ASSERT_NOT_EQUAL(hb, hb2);
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_dlg_info(net->ep[0].ua, ha2, &ai), 0);
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_dlg_info(b, hb2, &bi), 0);

	/* attended transfer naming it (RFC 5589 §7) */
	xact[1] = XA_EXTERNAL;
	r.consult = ha2;
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_xfer_refer(net->ep[0].ua, ha, &r, net->now_us, &x), 0);
	uah_settle(net);
	CU_ASSERT(has(uah_nth(net, 0, "REFER ", 1), "?Replaces="));
	ev = xlast(1, SIPDP_UA_XFER_EV_REFER);
	CU_ASSERT(ev->has_replaces);
	/* unescaped, the target's view: to-tag = the target's (Bob's) tag */
	snprintf(want, sizeof(want), "%.*s;to-tag=%.*s;from-tag=%.*s", SIPDP_STR_FMT(ai.call_id),
		 SIPDP_STR_FMT(ai.remote_tag), SIPDP_STR_FMT(ai.local_tag));
	CU_ASSERT_STRING_EQUAL(ev->replaces, want);
	snprintf(want, sizeof(want), "%.*s;to-tag=%.*s;from-tag=%.*s", SIPDP_STR_FMT(bi.call_id),
		 SIPDP_STR_FMT(bi.local_tag), SIPDP_STR_FMT(bi.remote_tag));
	CU_ASSERT_STRING_EQUAL(ev->replaces, want);
	/* found inside the callback: Bob's side of the consultation dialog */
	CU_ASSERT_EQUAL(ev->by_replaces_rc, 0);
	CU_ASSERT_EQUAL(ev->by_replaces, hb2);
	/* and from a copy later */
	found = SIPDP_HANDLE_INVALID;
	CU_ASSERT_EQUAL(sipdp_ua_dialog_by_replaces(b, sipdp_str_cstr(want), &found), 0);
	CU_ASSERT_EQUAL(found, hb2);
	/* tags swapped: the dialog as Alice sees it is not ours */
	snprintf(v, sizeof(v), "%.*s;to-tag=%.*s;from-tag=%.*s", SIPDP_STR_FMT(bi.call_id),
		 SIPDP_STR_FMT(bi.remote_tag), SIPDP_STR_FMT(bi.local_tag));
	CU_ASSERT_EQUAL(sipdp_ua_dialog_by_replaces(b, sipdp_str_cstr(v), &found), -ENOENT);
	/* unknown call-id, unknown tag */
	snprintf(v, sizeof(v), "nosuch@192.0.2.9;to-tag=%.*s;from-tag=%.*s", SIPDP_STR_FMT(bi.local_tag),
		 SIPDP_STR_FMT(bi.remote_tag));
	CU_ASSERT_EQUAL(sipdp_ua_dialog_by_replaces(b, sipdp_str_cstr(v), &found), -ENOENT);
	snprintf(v, sizeof(v), "%.*s;to-tag=x%.*s;from-tag=%.*s", SIPDP_STR_FMT(bi.call_id),
		 SIPDP_STR_FMT(bi.local_tag), SIPDP_STR_FMT(bi.remote_tag));
	CU_ASSERT_EQUAL(sipdp_ua_dialog_by_replaces(b, sipdp_str_cstr(v), &found), -ENOENT);
	/* RFC 3891 §3: early-only naming a confirmed dialog (an INVITE: 486) */
	snprintf(v, sizeof(v), "%s;early-only", want);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_by_replaces(b, sipdp_str_cstr(v), &found), -EBUSY);
	/* unparsable: no from-tag, empty */
	snprintf(v, sizeof(v), "%.*s;to-tag=%.*s", SIPDP_STR_FMT(bi.call_id), SIPDP_STR_FMT(bi.local_tag));
	CU_ASSERT_EQUAL(sipdp_ua_dialog_by_replaces(b, sipdp_str_cstr(v), &found), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_by_replaces(b, SIPDP_STR_NULL, &found), -EINVAL);
	CU_ASSERT_EQUAL(found, hb2);

	/* the box joins the legs itself (re-INVITEs, not modelled) and reports */
	CU_ASSERT_EQUAL(uah_count(net, 1, "INVITE"), 0);
	CU_ASSERT_EQUAL(sipdp_ua_xfer_notify(b, ev->xfer, 200, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(xlast(0, SIPDP_UA_XFER_EV_DONE)->result, SIPDP_UA_XFER_SUCCESS);
	CU_ASSERT_EQUAL(xlast(1, SIPDP_UA_XFER_EV_ENDED)->result, SIPDP_UA_XFER_SUCCESS);
	/* no dialog was touched by the UA */
	CU_ASSERT_EQUAL(uah_count(net, 1, "BYE"), 0);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(b), 2);
	/* an ended dialog is not found */
	CU_ASSERT_EQUAL(sipdp_ua_bye(b, hb2, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_by_replaces(b, sipdp_str_cstr(want), &found), -ENOENT);
	finish(net);
}

int
main(void)
{
	static struct sipdp_test_case tests[] = {
		{ "external_accept_202_notify_100_no_invite", test_accept_202_notify_100_no_invite },
		{ "external_notify_180_200_success", test_notify_180_200_success },
		{ "external_notify_486_failed", test_notify_486_failed },
		{ "external_refer_sub_false", test_refer_sub_false },
		{ "external_expiry_unnotified", test_expiry_unnotified },
		{ "replaces_local_join", test_replaces_local_join },
		{ NULL, NULL },
	};
	return sipdp_test_run("ua_xfer_external", tests);
}
