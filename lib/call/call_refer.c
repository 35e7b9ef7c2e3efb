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

bool
sipdp_call_on_xfer(struct sipdp_call *c, const struct sipdp_ua_xfer_event *ev, uint64_t now_us)
{
	if (ev->type == SIPDP_UA_XFER_EV_REFER && !sipdp_call_app_is_bridge(ev->app))
		return false;
	if (ev->type != SIPDP_UA_XFER_EV_REFER)
		/* ENDED and the rest: the transfer record's own lifecycle;
		 * the bridge follows its dialogs instead. */
		return sipdp_call_app_is_bridge(ev->app);
	return call_refer_event(c, ev, now_us);
}

bool
call_refer_event(struct sipdp_call *c, const struct sipdp_ua_xfer_event *ev, uint64_t now_us)
{
	const struct sipdp_cfg_bridge *route;
	const struct sipdp_cfg_target *t = NULL;
	struct sipdp_ua_xfer_accept a = { 0 };
	struct call_bridge *b;
	sipdp_handle_t bh, call = SIPDP_HANDLE_INVALID;
	unsigned x = call_word_leg(ev->app);

	b = call_bridge_get(c, ev->app, &bh);
	if (b == NULL || x > CALL_LEG_B || b->leg[x] != ev->dlg) {
		xfer_reject(c, ev, 481, now_us);
		return true;
	}
	if (b->route->refer != SIPDP_CFG_BRIDGE_REFER_TERMINATE) {
		/* reject, and pass until it is built: 603 Declined. */
		xfer_reject(c, ev, 603, now_us);
		return true;
	}
	if (ev->has_replaces) {
		/* Attended transfer joined on the box is not built yet: say
		 * so rather than send an INVITE with Replaces to ourselves. */
		xfer_reject(c, ev, 501, now_us);
		return true;
	}
	if (b->state != CALL_UP || b->xfer_state != CALL_XFER_NONE || b->pend_leg != CALL_LEGS ||
	    b->leg[remaining_of(x)] == SIPDP_HANDLE_INVALID) {
		xfer_reject(c, ev, 491, now_us);
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
	c->st.transfers_failed++;
	if (b->leg[b->xfer_leg] == SIPDP_HANDLE_INVALID)
		call_bridge_end(c, b, bh, now_us);
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
		if (body.len == 0 || sipdp_ua_ack_defer(c->ua, ev->dlg) != 0 ||
		    sipdp_ua_reinvite(c->ua, b->leg[r], SIPDP_STR_NULL, ctype, body,
			    call_word(bh, r, CALL_REF_XFER), now_us) != 0) {
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
		if (ev->dlg == b->leg[CALL_LEG_C] && b->xfer_state != CALL_XFER_NONE)
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
