/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-dialog requests across the bridge. One event on one leg maps to at
 * most one action on the other:
 *
 *   event on leg X                      action on leg Y (the other)
 *   ----------------------------------  -----------------------------------
 *   re-INVITE (offer or none)           re-INVITE, same body    -> answer X
 *   UPDATE                              UPDATE, same body       -> answer X
 *   INFO, OPTIONS, MESSAGE, other       same method, same body  -> answer X
 *   an offer while one is crossing      none: 491 to X (RFC 3261 §14.2)
 *   Y's UA refuses (glare wait, busy)   none: 491 to X
 *   Y answers                           X gets that status, body, allowed headers
 *   Y answers 408 / 481 / nothing       X gets it, then both legs end (BYE)
 *
 * Glare is resolved per leg: the UA answers a re-INVITE that meets our own
 * pending one with 491 on that leg, and a 491 from Y is carried back to X,
 * whose own §14.1 timer retries it. sipdp never retries an offer by itself,
 * so it cannot loop; and every offer gets exactly one final answer.
 * BYE, CANCEL and dialog ends are handled in call_bridge.c (the other leg
 * is ended); PRACK, session refreshes and 100rel are each leg's own.
 */

#include <errno.h>
#include <string.h>

#include "call_pvt.h"

static unsigned
peer_of(const struct call_bridge *b, unsigned leg)
{
	/* After a transfer the target sits in the referring leg's place. */
	if (leg == CALL_LEG_A)
		return b->leg[CALL_LEG_B] != SIPDP_HANDLE_INVALID ? CALL_LEG_B : CALL_LEG_C;
	if (leg == CALL_LEG_B)
		return b->leg[CALL_LEG_A] != SIPDP_HANDLE_INVALID ? CALL_LEG_A : CALL_LEG_C;
	return b->xfer_leg == CALL_LEG_A ? CALL_LEG_B : CALL_LEG_A;
}

static void
body_of(const struct sipdp_msg *m, struct sipdp_str *ctype, struct sipdp_str *body)
{
	const struct sipdp_hdr *ct;

	*ctype = *body = SIPDP_STR_NULL;
	if (m == NULL || m->body.len == 0)
		return;
	ct = sipdp_msg_hdr(m, SIPDP_HDR_CONTENT_TYPE);
	if (ct == NULL)
		return;
	*ctype = ct->value;
	*body = m->body;
}

static void
relay_request(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh, unsigned leg,
	const struct sipdp_ua_event *ev, uint64_t now_us)
{
	unsigned peer = peer_of(b, leg);
	sipdp_handle_t y = b->leg[peer];
	struct sipdp_str ctype, body, extra;
	uint64_t ref = call_word(bh, leg, CALL_REF_RELAY);
	bool offer = ev->method == SIPDP_METHOD_INVITE || ev->method == SIPDP_METHOD_UPDATE;
	int rc;

	if (y == SIPDP_HANDLE_INVALID || b->state == CALL_ENDING || b->leg[leg] != ev->dlg) {
		/* No other leg, or this dialog is no longer bridged (a
		 * transferor after its transfer, a losing fork). */
		(void)sipdp_ua_respond(c->ua, ev->dlg, ev->req, 481, SIPDP_STR_NULL, SIPDP_STR_NULL,
			SIPDP_STR_NULL, now_us);
		return;
	}
	if (b->pend_leg != CALL_LEGS || b->xfer_state != CALL_XFER_NONE) {
		/* One request crosses at a time: an offer meeting another
		 * is glare; anything else may come again shortly. */
		c->st.glare_491++;
		(void)sipdp_ua_respond(c->ua, ev->dlg, ev->req, offer ? 491 : 500,
			offer ? SIPDP_STR_NULL : SIPDP_STR("Retry-After: 1\r\n"), SIPDP_STR_NULL,
			SIPDP_STR_NULL, now_us);
		return;
	}
	body_of(ev->msg, &ctype, &body);
	extra = call_allowed_headers(c, b->route, ev->msg, SIPDP_STR_NULL);
	switch (ev->method) {
	case SIPDP_METHOD_INVITE:
		rc = sipdp_ua_reinvite(c->ua, y, extra, ctype, body, ref, now_us);
		break;
	case SIPDP_METHOD_UPDATE:
		rc = sipdp_ua_update(c->ua, y, extra, ctype, body, ref, now_us);
		break;
	default:
		rc = sipdp_ua_request(c->ua, y, ev->msg ? ev->msg->method_str : SIPDP_STR("INFO"),
			extra, ctype, body, ref, now_us);
		break;
	}
	if (rc != 0) {
		uint16_t st = (rc == -EBUSY || rc == -EAGAIN) && offer ? 491 :
			rc == -ENOENT ? 481 : 500;

		if (st == 491)
			c->st.glare_491++;
		(void)sipdp_ua_respond(c->ua, ev->dlg, ev->req, st, st == 500 ?
			SIPDP_STR("Retry-After: 1\r\n") : SIPDP_STR_NULL, SIPDP_STR_NULL,
			SIPDP_STR_NULL, now_us);
		return;
	}
	c->st.relayed_requests++;
	b->pend_leg = (uint8_t)leg;
	b->pend_req = ev->req;
	b->pend_method = ev->method;
}

static void
relay_response(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh,
	const struct sipdp_ua_event *ev, uint64_t now_us)
{
	unsigned x = call_word_leg(ev->req_ref);
	uint16_t st = ev->msg != NULL ? ev->status : (ev->status ? ev->status : 408);
	struct sipdp_str ctype, body, extra;

	if (ev->status < 200 && ev->msg != NULL)
		return; /* provisionals of a re-INVITE stay on their leg */
	if (b->pend_leg != x || b->leg[x] == SIPDP_HANDLE_INVALID) {
		b->pend_leg = CALL_LEGS;
		return;
	}
	body_of(ev->msg, &ctype, &body);
	extra = call_allowed_headers(c, b->route, ev->msg, SIPDP_STR_NULL);
	b->pend_leg = CALL_LEGS;
	c->st.relayed_responses++;
	(void)sipdp_ua_respond(c->ua, b->leg[x], b->pend_req, st, extra, ctype, body, now_us);
	if (st == 408 || st == 481) {
		/* The other leg is dead (RFC 3261 §12.2.1.2): end the call. */
		c->st.leg_died++;
		call_bridge_end(c, b, bh, now_us);
	}
}

void
call_relay_event(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh, unsigned leg,
	const struct sipdp_ua_event *ev, uint64_t now_us)
{
	switch (ev->type) {
	case SIPDP_UA_EV_REQUEST:
		relay_request(c, b, bh, leg, ev, now_us);
		break;
	case SIPDP_UA_EV_RESPONSE:
		if (call_word_ref(ev->req_ref) == CALL_REF_RELAY)
			relay_response(c, b, bh, ev, now_us);
		break;
	default:
		/* Glare retries, PRACKs, session refreshes: each leg's own. */
		break;
	}
}
