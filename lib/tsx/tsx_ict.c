/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * INVITE client transaction: RFC 3261 §17.1.1 as updated by RFC 6026 §7.2.
 *
 *   Calling    --1xx-->       Proceeding  (A stops; B is a Calling-only timer)
 *   Calling/Proceeding --2xx--> Accepted  (Timer M = 64*T1; every 2xx to TU)
 *   Calling/Proceeding --300-699--> Completed (ACK sent by us, Timer D)
 *   Calling    --Timer B-->   Terminated  (timeout to TU)
 *   Completed  --300-699-->   ACK re-sent;  --Timer D--> Terminated
 *   Accepted   --Timer M-->   Terminated
 */
#include <errno.h>
#include <string.h>

#include "sipdp_msg_build.h"
#include "tsx_pvt.h"

void
tsx_ict_start(struct sipdp_tsx_table *t, struct tsx *x, uint64_t now_us)
{
	x->state = SIPDP_TSX_S_CALLING;
	if (!tsx_reliable(x)) {
		x->interval_ms = t->t1_ms;
		x->retrans_at = now_us + ms_us(t->t1_ms); /* Timer A */
	}
	x->timeout_at = now_us + tsx_64t1_us(t); /* Timer B */
	tsx_timer_update(t, x);
}

/*
 * §17.1.1.3: the ACK for a non-2xx has the Request-URI, Call-ID, From, CSeq
 * number, top Via (hence branch) and Route headers of the INVITE, and the To
 * of the response. Built from the INVITE bytes we kept (re-parsed: this is
 * the failure path, once per call at most) into t->out.
 * @return ACK length, or a negative errno.
 */
static SIPDP_NOINLINE int
build_ack(struct sipdp_tsx_table *t, struct tsx *x, const struct sipdp_msg *resp)
{
	struct sipdp_msg *req = t->scratch_msg;
	struct sipdp_build b;
	const struct sipdp_hdr *h;
	struct sipdp_str cur, via;
	uint32_t len = tsx_gather(t, x);

	if (len == 0 || sipdp_msg_parse(req, t->gather, len, 0) <= 0)
		return -EINVAL;
	h = sipdp_msg_hdr(req, SIPDP_HDR_VIA);
	if (h == NULL)
		return -EINVAL;
	cur = h->value;
	if (sipdp_list_next(&cur, &via) != 1)
		return -EINVAL;

	sipdp_build_init(&b, t->out, TSX_OUT_LEN);
	sipdp_build_request_line(&b, SIPDP_STR("ACK"), req->ruri);
	sipdp_build_hdr(&b, SIPDP_HDR_VIA, via);
	for (h = sipdp_msg_hdr(req, SIPDP_HDR_ROUTE); h; h = sipdp_msg_hdr_next(req, h))
		sipdp_build_hdr(&b, SIPDP_HDR_ROUTE, h->value);
	sipdp_build_hdr(&b, SIPDP_HDR_MAX_FORWARDS, SIPDP_STR("70"));
	sipdp_build_hdr(&b, SIPDP_HDR_FROM, sipdp_msg_hdr_value(req, SIPDP_HDR_FROM));
	sipdp_build_hdr(&b, SIPDP_HDR_TO, sipdp_msg_hdr_value(resp, SIPDP_HDR_TO));
	sipdp_build_hdr(&b, SIPDP_HDR_CALL_ID, sipdp_msg_call_id(req));
	sipdp_build_cseq(&b, x->cseq, SIPDP_STR("ACK"));
	sipdp_build_body(&b, SIPDP_STR_NULL, SIPDP_STR_NULL);
	return sipdp_build_finish(&b);
}

int
tsx_ict_on_response(struct sipdp_tsx_table *t, struct tsx *x, const struct sipdp_msg *m,
		    const struct sipdp_tsx_dest *src, uint64_t now_us)
{
	uint16_t st = m->status;
	sipdp_handle_t h = tsx_handle(t, x);
	int len;

	switch (x->state) {
	case SIPDP_TSX_S_CALLING:
	case SIPDP_TSX_S_PROCEEDING:
		x->last_status = st;
		if (st < 200) {
			x->state = SIPDP_TSX_S_PROCEEDING;
			x->retrans_at = 0;
			x->timeout_at = 0;
			tsx_timer_update(t, x);
			tsx_raise(t, x, SIPDP_TSX_EV_RESPONSE, m, src);
			return SIPDP_TSX_RX_MATCHED;
		}
		if (st < 300) {
			/* RFC 6026: the ACK and any 2xx retransmission are
			 * the TU's; the INVITE copy is no longer needed. */
			x->state = SIPDP_TSX_S_ACCEPTED;
			x->retrans_at = 0;
			x->timeout_at = now_us + tsx_64t1_us(t); /* Timer M */
			tsx_unkeep(t, x);
			tsx_timer_update(t, x);
			tsx_raise(t, x, SIPDP_TSX_EV_RESPONSE, m, src);
			return SIPDP_TSX_RX_MATCHED;
		}
		x->state = SIPDP_TSX_S_COMPLETED;
		x->retrans_at = 0;
		x->timeout_at = tsx_reliable(x) ? 0 : now_us + ms_us(t->d_ms); /* Timer D */
		tsx_timer_update(t, x);
		len = build_ack(t, x, m);
		tsx_unkeep(t, x);
		if (len > 0) {
			/* Kept only where the response can come again. */
			if (!tsx_reliable(x))
				tsx_keep(t, x, t->out, (uint32_t)len);
			if (tsx_send(t, x, t->out, (uint32_t)len) < 0)
				return SIPDP_TSX_RX_MATCHED; /* terminated */
		}
		tsx_raise(t, x, SIPDP_TSX_EV_RESPONSE, m, src);
		x = tsx_get(t, h);
		if (x != NULL && tsx_reliable(x))
			tsx_terminate(t, x); /* Timer D = 0 */
		return SIPDP_TSX_RX_MATCHED;

	case SIPDP_TSX_S_COMPLETED:
		if (st >= 300) {
			/* A retransmitted final: our ACK was lost. */
			t->stats.absorbed++;
			tsx_resend(t, x);
			return SIPDP_TSX_RX_ABSORBED;
		}
		break;

	case SIPDP_TSX_S_ACCEPTED:
		if (st >= 200 && st < 300) {
			struct sipdp_tsx_event ev = {
				.type = SIPDP_TSX_EV_RESPONSE,
				.kind = x->kind,
				.state = x->state,
				.retransmission = true,
				.tsx = h,
				.user_ref = x->user_ref,
				.msg = m,
				.src = src,
			};
			t->on_event(t->user, &ev);
			return SIPDP_TSX_RX_MATCHED;
		}
		break;

	default:
		break;
	}
	t->stats.stray_responses++;
	return SIPDP_TSX_RX_STRAY;
}

void
tsx_ict_on_timer(struct sipdp_tsx_table *t, struct tsx *x, uint64_t now_us)
{
	if (x->timeout_at && x->timeout_at <= now_us) {
		if (x->state == SIPDP_TSX_S_CALLING) {
			sipdp_handle_t h = tsx_handle(t, x);
			/* Timer B */
			t->stats.timeouts++;
			x->retrans_at = 0;
			tsx_raise(t, x, SIPDP_TSX_EV_TIMEOUT, NULL, NULL);
			x = tsx_get(t, h);
			if (x == NULL)
				return;
		}
		/* B, D or M: the end. */
		tsx_terminate(t, x);
		return;
	}
	if (x->state == SIPDP_TSX_S_CALLING && x->retrans_at && x->retrans_at <= now_us) {
		/* Timer A doubles without a cap (§17.1.1.2); the next one is
		 * computed from the scheduled time so a late expire() does
		 * not shift the train. */
		x->interval_ms *= 2;
		x->retrans_at += ms_us(x->interval_ms);
		tsx_resend(t, x);
	}
}
