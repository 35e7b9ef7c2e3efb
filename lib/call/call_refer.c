/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * REFER termination: a REFER on either leg of a bridged call is executed by
 * sipdp, not passed on. The UA's transferee role does the protocol part
 * (202, the implicit subscription, NOTIFY sipfrag per provisional and final,
 * Refer-Sub: false, the BYE of the referring leg after success); what is
 * decided here is the media and the bridge:
 *
 *   1. REFER on leg X (the transferor), R the remaining leg.
 *      The Refer-To target is routed through the policy (params.route)
 *      like a new call; the INVITE to it carries no offer (RFC 3725 flow I):
 *      R's SDP is not kept by the bridge, and the target's own offer is
 *      what R must hear anyway.
 *   2. The target T answers 2xx with its offer: the ACK is held
 *      (sipdp_ua_ack_defer) and R is re-INVITEd with T's offer.
 *   3. R answers 2xx with its answer: T gets it in the held ACK. R and T
 *      are now bridged (T takes X's place); X is released by the UA.
 *   4. T fails: the UA NOTIFYs T's final to X, and the call stays bridged
 *      X-R as it was. R refusing the new offer: T gets ACK and BYE, and the
 *      call stays X-R.
 *
 * The NOTIFY with 200 goes out only once T has answered (never before, the
 * mistake older B2BUAs make in blind transfer).
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "call_pvt.h"

static unsigned
remaining_of(unsigned x)
{
	return x == CALL_LEG_A ? CALL_LEG_B : CALL_LEG_A;
}

static void
xfer_reject(struct sipdp_call *c, const struct sipdp_ua_xfer_event *ev, uint16_t status,
	uint64_t now_us)
{
	c->st.refers_rejected++;
	(void)sipdp_ua_xfer_reject(c->ua, ev->xfer, status, now_us);
}

static void pass_event(struct sipdp_call *c, const struct sipdp_ua_xfer_event *ev, uint64_t now_us);

bool
sipdp_call_on_xfer(struct sipdp_call *c, const struct sipdp_ua_xfer_event *ev, uint64_t now_us)
{
	if (!sipdp_call_app_is_bridge(ev->app))
		return false;
	if (ev->type == SIPDP_UA_XFER_EV_REFER)
		return call_refer_event(c, ev, now_us);
	if ((ev->type == SIPDP_UA_XFER_EV_PROGRESS || ev->type == SIPDP_UA_XFER_EV_DONE) &&
	    call_word_ref(ev->app) == CALL_REF_XFER)
		pass_event(c, ev, now_us);
	if (ev->type == SIPDP_UA_XFER_EV_ENDED) {
		/* A local join's transferor: its final NOTIFY is through,
		 * now its referring dialog ends (join_response()). */
		struct call_bridge *b = call_bridge_get(c, ev->app, NULL);

		if (b != NULL && b->xfer_bye != SIPDP_HANDLE_INVALID && b->xfer_bye == ev->dlg) {
			b->xfer_bye = SIPDP_HANDLE_INVALID;
			(void)sipdp_ua_bye(c->ua, ev->dlg, now_us);
		}
	}
	/* The rest: the transfer record's own lifecycle; the bridge
	 * follows its dialogs instead. */
	return true;
}

/* refer: pass — the REFER goes on to the other leg as a REFER of sipdp's
 * own (its Refer-To as it came, without headers); the other side executes
 * it, and each NOTIFY it sends back is carried to the transferor. */
static void
pass_refer(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh, unsigned x,
	const struct sipdp_ua_xfer_event *ev, uint64_t now_us)
{
	struct sipdp_ua_xfer_refer r = {
		.target = ev->target,
		.no_sub = ev->no_sub,
		.bye = SIPDP_UA_XFER_BYE_NEVER,
		.app = call_word(bh, x, CALL_REF_XFER),
	};
	sipdp_handle_t yx;

	if (sipdp_ua_xfer_accept_external(c->ua, ev->xfer, now_us) != 0)
		return;
	b->xfer_state = CALL_XFER_PASSING;
	b->xfer_leg = (uint8_t)x;
	b->xfer = ev->xfer;
	c->st.refers_passed++;
	if (sipdp_ua_xfer_refer(c->ua, b->leg[remaining_of(x)], &r, now_us, &yx) != 0) {
		b->xfer_state = CALL_XFER_NONE;
		c->st.transfers_failed++;
		(void)sipdp_ua_xfer_notify(c->ua, ev->xfer, 503, now_us);
	}
}

static void
pass_event(struct sipdp_call *c, const struct sipdp_ua_xfer_event *ev, uint64_t now_us)
{
	struct call_bridge *b = call_bridge_get(c, ev->app, NULL);
	uint16_t st;

	if (b == NULL || b->xfer_state != CALL_XFER_PASSING)
		return;
	if (ev->type == SIPDP_UA_XFER_EV_PROGRESS) {
		if (ev->status >= 100 && ev->status < 200)
			(void)sipdp_ua_xfer_notify(c->ua, b->xfer, ev->status, now_us);
		return;
	}
	/* DONE: the other side's verdict, as a status the transferor's
	 * sipfrag can carry. */
	switch (ev->result) {
	case SIPDP_UA_XFER_SUCCESS:
	case SIPDP_UA_XFER_ACCEPTED:
		st = ev->status >= 200 && ev->status < 300 ? ev->status : 200;
		c->st.transfers_ok++;
		break;
	default:
		st = ev->status >= 300 && ev->status < 700 ? ev->status : 503;
		c->st.transfers_failed++;
		break;
	}
	b->xfer_state = CALL_XFER_NONE;
	(void)sipdp_ua_xfer_notify(c->ua, b->xfer, st, now_us);
}

/* Attended transfer whose Replaces names a dialog of this shard: the
 * transferor X talks to R1 in this bridge and to R2 in bridge 2 (through
 * the replaced dialog). R1 and R2 are joined here, with no INVITE leaving
 * the box (RFC 3725 flow I between two existing dialogs):
 *   1. R2 moves into this bridge (slot C) and gets a re-INVITE without SDP;
 *   2. its 2xx carries its offer: the ACK is held, R1 gets a re-INVITE with it;
 *   3. R1's answer goes to R2 in the held ACK; R2 takes X's place here;
 *      X gets NOTIFY 200 and BYE on both of its dialogs.
 * On failure R2 goes back to bridge 2 and X hears the failure. */
static void
join_local(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh, unsigned x,
	sipdp_handle_t replaced, const struct sipdp_ua_xfer_event *ev, uint64_t now_us)
{
	struct sipdp_ua_dlg_info info;
	struct call_bridge *b2;
	sipdp_handle_t b2h;
	unsigned x2, r2;

	if (sipdp_ua_dlg_info(c->ua, replaced, &info) != 0 || !sipdp_call_app_is_bridge(info.app) ||
	    (b2 = call_bridge_get(c, info.app, &b2h)) == NULL || b2 == b) {
		xfer_reject(c, ev, 481, now_us);
		return;
	}
	x2 = call_word_leg(info.app);
	if (x2 > CALL_LEG_B || b2->leg[x2] != replaced) {
		xfer_reject(c, ev, 481, now_us);
		return;
	}
	r2 = remaining_of(x2);
	if (b2->state != CALL_UP || b2->xfer_state != CALL_XFER_NONE || b2->pend_leg != CALL_LEGS ||
	    b2->leg[r2] == SIPDP_HANDLE_INVALID) {
		xfer_reject(c, ev, 491, now_us);
		return;
	}
	if (sipdp_ua_xfer_accept_external(c->ua, ev->xfer, now_us) != 0)
		return;
	c->st.refers_terminated++;
	b->xfer = ev->xfer;
	b->xfer_leg = (uint8_t)x;
	b->join = b2h;
	b->join_leg = (uint8_t)r2;
	b->leg[CALL_LEG_C] = b2->leg[r2];
	b2->leg[r2] = SIPDP_HANDLE_INVALID;
	(void)sipdp_ua_set_app(c->ua, b->leg[CALL_LEG_C], call_word(bh, CALL_LEG_C, 0));
	b->xfer_state = CALL_XFER_JOIN_OFFER;
	if (sipdp_ua_reinvite(c->ua, b->leg[CALL_LEG_C], SIPDP_STR_NULL, SIPDP_STR_NULL,
		    SIPDP_STR_NULL, call_word(bh, CALL_LEG_C, CALL_REF_XFER), now_us) != 0)
		call_join_fail(c, b, bh, 500, now_us);
}

/* Give R2 back to bridge 2 (or end it when bridge 2 is gone) and tell X. */
void
call_join_fail(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh, uint16_t status,
	uint64_t now_us)
{
	sipdp_handle_t r2 = b->leg[CALL_LEG_C], b2h;
	struct call_bridge *b2 = call_bridge_get(c, call_word(b->join, 0, 0), &b2h);

	b->leg[CALL_LEG_C] = SIPDP_HANDLE_INVALID;
	b->xfer_state = CALL_XFER_NONE;
	c->st.transfers_failed++;
	(void)sipdp_ua_xfer_notify(c->ua, b->xfer, status, now_us);
	if (r2 != SIPDP_HANDLE_INVALID && b2 != NULL && b2->state == CALL_UP &&
	    b2->leg[b->join_leg] == SIPDP_HANDLE_INVALID) {
		b2->leg[b->join_leg] = r2;
		(void)sipdp_ua_set_app(c->ua, r2, call_word(b2h, b->join_leg, 0));
	} else if (r2 != SIPDP_HANDLE_INVALID) {
		(void)sipdp_ua_bye(c->ua, r2, now_us);
	} else if (b2 != NULL) {
		/* R2 is gone: the other call has nobody left to bridge. */
		call_bridge_end(c, b2, b2h, now_us);
	}
	if (b->leg[b->xfer_leg] == SIPDP_HANDLE_INVALID)
		call_bridge_end(c, b, bh, now_us);
}

bool
call_refer_event(struct sipdp_call *c, const struct sipdp_ua_xfer_event *ev, uint64_t now_us)
{
	const struct sipdp_cfg_bridge *route;
	const struct sipdp_cfg_target *t = NULL;
	struct sipdp_ua_xfer_accept a = { 0 };
	struct call_bridge *b;
	sipdp_handle_t bh, call = SIPDP_HANDLE_INVALID, replaced = SIPDP_HANDLE_INVALID;
	unsigned x = call_word_leg(ev->app);

	b = call_bridge_get(c, ev->app, &bh);
	if (b == NULL || x > CALL_LEG_B || b->leg[x] != ev->dlg) {
		xfer_reject(c, ev, 481, now_us);
		return true;
	}
	if (b->route->refer == SIPDP_CFG_BRIDGE_REFER_REJECT) {
		xfer_reject(c, ev, 603, now_us);
		return true;
	}
	if (b->state != CALL_UP || b->xfer_state != CALL_XFER_NONE || b->pend_leg != CALL_LEGS ||
	    b->leg[remaining_of(x)] == SIPDP_HANDLE_INVALID) {
		xfer_reject(c, ev, 491, now_us);
		return true;
	}
	if (ev->has_replaces) {
		/* The Replaces names the consultation dialog as its far end
		 * sees it: when that far end is this shard's UA, both calls
		 * are bridged here and are joined without an INVITE. */
		if (sipdp_ua_dialog_by_replaces(c->ua, ev->replaces, &replaced) == 0) {
			c->st.joins_local++;
			join_local(c, b, bh, x, replaced, ev, now_us);
			return true;
		}
		/* A dialog of another shard or another box: the hand-off
		 * that would join it is not built. Say so. */
		c->st.refers_elsewhere_501++;
		xfer_reject(c, ev, 501, now_us);
		return true;
	}
	if (b->route->refer == SIPDP_CFG_BRIDGE_REFER_PASS) {
		pass_refer(c, b, bh, x, ev, now_us);
		return true;
	}
	route = c->p.route != NULL ? c->p.route(c->p.user, ev->target) : NULL;
	if (route != NULL) {
		struct call_bridge tmp = { .route = route };

		if (call_route_order(c, &tmp, now_us) != 0)
			t = &route->targets[tmp.order[0]];
	}
	if (t == NULL) {
		xfer_reject(c, ev, 403, now_us);
		return true;
	}
	call_target_dest(c, t, &a.dest);
	a.has_dest = true;
	a.app = call_word(bh, CALL_LEG_C, 0);
	b->xfer_state = CALL_XFER_CALLING;
	b->xfer_leg = (uint8_t)x;
	b->xfer = ev->xfer;
	c->st.refers_terminated++;
	if (sipdp_ua_xfer_accept(c->ua, ev->xfer, &a, now_us, &call) != 0 ||
	    call == SIPDP_HANDLE_INVALID) {
		/* Accepted, then the INVITE could not go: the UA NOTIFYs 503;
		 * the call stays as it was. */
		b->xfer_state = CALL_XFER_NONE;
		c->st.transfers_failed++;
		return true;
	}
	b->leg[CALL_LEG_C] = call;
	return true;
}

/* The target failed: the call stays as it was, unless the transferor has
 * hung up meanwhile, which leaves the remaining leg alone: end it. */
static void
xfer_fail(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh, uint64_t now_us)
{
	b->xfer_state = CALL_XFER_NONE;
	b->leg[CALL_LEG_C] = SIPDP_HANDLE_INVALID;
	call_setup_release(c, b); /* an offer held for R (hold_offer()) */
	c->st.transfers_failed++;
	if (b->leg[b->xfer_leg] == SIPDP_HANDLE_INVALID)
		call_bridge_end(c, b, bh, now_us);
}

/* The answers of a local join's two re-INVITEs (join_local()). */
static void
join_response(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh,
	const struct sipdp_ua_event *ev, uint64_t now_us)
{
	unsigned x = b->xfer_leg, r = remaining_of(x);
	struct sipdp_str ctype = SIPDP_STR_NULL, body = SIPDP_STR_NULL;
	const struct sipdp_hdr *ct;
	sipdp_handle_t xdlg, b2h;
	struct call_bridge *b2;
	bool ok = ev->msg != NULL && ev->status >= 200 && ev->status < 300;

	if (ok && ev->msg->body.len != 0 &&
	    (ct = sipdp_msg_hdr(ev->msg, SIPDP_HDR_CONTENT_TYPE)) != NULL) {
		ctype = ct->value;
		body = ev->msg->body;
	}
	if (b->xfer_state == CALL_XFER_JOIN_OFFER) {
		/* R2's offer: hold its ACK, offer it to R1. */
		if (!ok || body.len == 0 || sipdp_ua_ack_defer(c->ua, ev->dlg) != 0 ||
		    sipdp_ua_reinvite(c->ua, b->leg[r], SIPDP_STR_NULL, ctype, body,
			    call_word(bh, r, CALL_REF_XFER), now_us) != 0) {
			if (ok)
				(void)sipdp_ua_ack(c->ua, ev->dlg, SIPDP_STR_NULL, SIPDP_STR_NULL, now_us);
			call_join_fail(c, b, bh, ok ? 488 : ev->status >= 300 ? ev->status : 500, now_us);
			return;
		}
		b->xfer_state = CALL_XFER_JOIN_ANSWER;
		return;
	}
	/* R1's answer: to R2 in its held ACK. */
	if (!ok) {
		(void)sipdp_ua_ack(c->ua, b->leg[CALL_LEG_C], SIPDP_STR_NULL, SIPDP_STR_NULL, now_us);
		call_join_fail(c, b, bh, ev->status >= 300 ? ev->status : 500, now_us);
		return;
	}
	(void)sipdp_ua_ack(c->ua, b->leg[CALL_LEG_C], ctype, body, now_us);
	xdlg = b->leg[x];
	b->leg[x] = b->leg[CALL_LEG_C];
	b->leg[CALL_LEG_C] = SIPDP_HANDLE_INVALID;
	(void)sipdp_ua_set_app(c->ua, b->leg[x], call_word(bh, x, 0));
	b->xfer_state = CALL_XFER_NONE;
	c->st.transfers_ok++;
	/* The transferor's two dialogs are no longer bridged to anyone. The
	 * referring one ends only after the NOTIFY that says 200 has gone
	 * out on it: that NOTIFY waits while an earlier one (the 100) is
	 * unanswered, and a BYE now would take the dialog from under it
	 * (sipdp_call_on_xfer() ends it on the record's ENDED). */
	b->xfer_bye = xdlg;
	(void)sipdp_ua_xfer_notify(c->ua, b->xfer, 200, now_us);
	b2 = call_bridge_get(c, call_word(b->join, 0, 0), &b2h);
	if (b2 != NULL)
		call_bridge_end(c, b2, b2h, now_us);
}

/* Keep the target's offer (call_setup: ctype then body) until R can take
 * a re-INVITE. The call's own setup buffer is gone once A answered. */
static int
hold_offer(struct sipdp_call *c, struct call_bridge *b, struct sipdp_str ctype, struct sipdp_str body)
{
	struct call_setup *s;

	if (b->setup != SIPDP_HANDLE_INVALID || ctype.len + body.len > c->p.setup_bytes ||
	    ctype.len > 0xffff || body.len > 0xffff)
		return -ENOSPC;
	b->setup = sipdp_pool_alloc(c->setups, (void **)&s);
	if (b->setup == SIPDP_HANDLE_INVALID)
		return -ENOSPC;
	c->st.setups_live++;
	memset(s, 0, sizeof(*s));
	memcpy(s->data, ctype.p, ctype.len);
	memcpy(s->data + ctype.len, body.p, body.len);
	s->ctype_len = (uint16_t)ctype.len;
	s->body_len = (uint16_t)body.len;
	return 0;
}

/* R's ACK came (SIPDP_UA_EV_CONFIRMED on leg @leg): the held offer goes. */
void
call_xfer_confirmed(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh, unsigned leg,
	uint64_t now_us)
{
	unsigned r = remaining_of(b->xfer_leg);
	struct call_setup *s;
	int rc = -ENOENT;

	if (b->xfer_state != CALL_XFER_REOFFER_WAIT || leg != r)
		return;
	s = b->setup != SIPDP_HANDLE_INVALID ? sipdp_pool_get(c->setups, b->setup) : NULL;
	if (s != NULL)
		rc = sipdp_ua_reinvite(c->ua, b->leg[r], SIPDP_STR_NULL,
			sipdp_str_make(s->data, s->ctype_len),
			sipdp_str_make(s->data + s->ctype_len, s->body_len),
			call_word(bh, r, CALL_REF_XFER), now_us);
	call_setup_release(c, b);
	if (rc == 0) {
		b->xfer_state = CALL_XFER_REOFFER;
		return;
	}
	/* As when R cannot take the offer at once: the target goes, the
	 * call stays (its TERMINATED ends the transfer as failed). */
	b->xfer_state = CALL_XFER_CALLING;
	(void)sipdp_ua_ack(c->ua, b->leg[CALL_LEG_C], SIPDP_STR_NULL, SIPDP_STR_NULL, now_us);
	(void)sipdp_ua_bye(c->ua, b->leg[CALL_LEG_C], now_us);
}

bool
call_xfer_ua_event(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh, unsigned leg,
	const struct sipdp_ua_event *ev, uint64_t now_us)
{
	unsigned x = b->xfer_leg, r = remaining_of(x);
	struct sipdp_str ctype = SIPDP_STR_NULL, body = SIPDP_STR_NULL;

	switch (ev->type) {
	case SIPDP_UA_EV_ANSWERED: {
		const struct sipdp_hdr *ct;

		if (leg != CALL_LEG_C || ev->retransmission)
			return true;
		if (ev->dlg != b->leg[CALL_LEG_C]) {
			if (ev->fork && b->xfer_state != CALL_XFER_CALLING)
				return true; /* a second fork's 2xx: the UA ends it */
			b->leg[CALL_LEG_C] = ev->dlg;
		}
		if (b->xfer_state != CALL_XFER_CALLING)
			return true;
		if (ev->msg != NULL && ev->msg->body.len != 0 &&
		    (ct = sipdp_msg_hdr(ev->msg, SIPDP_HDR_CONTENT_TYPE)) != NULL) {
			ctype = ct->value;
			body = ev->msg->body;
		}
		int rc = body.len == 0 ? -EINVAL : sipdp_ua_ack_defer(c->ua, ev->dlg);

		if (rc == 0)
			rc = sipdp_ua_reinvite(c->ua, b->leg[r], SIPDP_STR_NULL, ctype, body,
				call_word(bh, r, CALL_REF_XFER), now_us);
		if (rc == -EBUSY && hold_offer(c, b, ctype, body) == 0) {
			/* R has not ACKed its own 2xx yet (a REFER right
			 * after the answer, a target that answers at once):
			 * the offer goes when R's ACK comes. */
			b->xfer_state = CALL_XFER_REOFFER_WAIT;
			return true;
		}
		if (rc != 0) {
			/* No offer to give R, or R cannot take one now: the
			 * target is let go (ACK then BYE) and the call stays. */
			(void)sipdp_ua_ack(c->ua, ev->dlg, SIPDP_STR_NULL, SIPDP_STR_NULL, now_us);
			(void)sipdp_ua_bye(c->ua, ev->dlg, now_us);
			return true;
		}
		b->xfer_state = CALL_XFER_REOFFER;
		return true;
	}
	case SIPDP_UA_EV_FAILED:
		if (leg == CALL_LEG_C && b->xfer_state == CALL_XFER_CALLING)
			xfer_fail(c, b, bh, now_us);
		return true;
	case SIPDP_UA_EV_RESPONSE:
		if (call_word_ref(ev->req_ref) != CALL_REF_XFER)
			return false;
		if (ev->msg != NULL && ev->status < 200)
			return true;
		if (b->xfer_state == CALL_XFER_JOIN_OFFER || b->xfer_state == CALL_XFER_JOIN_ANSWER) {
			join_response(c, b, bh, ev, now_us);
			return true;
		}
		if (b->xfer_state != CALL_XFER_REOFFER || b->leg[CALL_LEG_C] == SIPDP_HANDLE_INVALID)
			return true;
		if (ev->status >= 200 && ev->status < 300 && ev->msg != NULL) {
			const struct sipdp_hdr *ct = sipdp_msg_hdr(ev->msg, SIPDP_HDR_CONTENT_TYPE);

			if (ct != NULL && ev->msg->body.len != 0) {
				ctype = ct->value;
				body = ev->msg->body;
			}
			(void)sipdp_ua_ack(c->ua, b->leg[CALL_LEG_C], ctype, body, now_us);
			/* T takes X's place; X is released by the UA (BYE
			 * after the final NOTIFY) and no longer crosses. */
			b->leg[x] = b->leg[CALL_LEG_C];
			b->leg[CALL_LEG_C] = SIPDP_HANDLE_INVALID;
			(void)sipdp_ua_set_app(c->ua, b->leg[x], call_word(bh, x, 0));
			b->xfer_state = CALL_XFER_NONE;
			c->st.transfers_ok++;
			return true;
		}
		(void)sipdp_ua_ack(c->ua, b->leg[CALL_LEG_C], SIPDP_STR_NULL, SIPDP_STR_NULL, now_us);
		(void)sipdp_ua_bye(c->ua, b->leg[CALL_LEG_C], now_us);
		return true;
	case SIPDP_UA_EV_TERMINATED:
		if (leg != CALL_LEG_C)
			return false;
		if (ev->dlg == b->leg[CALL_LEG_C] && (b->xfer_state == CALL_XFER_JOIN_OFFER ||
		    b->xfer_state == CALL_XFER_JOIN_ANSWER)) {
			b->leg[CALL_LEG_C] = SIPDP_HANDLE_INVALID;
			call_join_fail(c, b, bh, 487, now_us);
		} else if (ev->dlg == b->leg[CALL_LEG_C] && b->xfer_state != CALL_XFER_NONE)
			xfer_fail(c, b, bh, now_us);
		else
			call_bridge_maybe_free(c, b, bh);
		return true;
	case SIPDP_UA_EV_REQUEST:
		if (leg == CALL_LEG_C) {
			(void)sipdp_ua_respond(c->ua, ev->dlg, ev->req, 491, SIPDP_STR_NULL,
				SIPDP_STR_NULL, SIPDP_STR_NULL, now_us);
			return true;
		}
		return false;
	default:
		return leg == CALL_LEG_C;
	}
}
