/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ACK for a 2xx to our INVITE (RFC 3261 §13.2.2.4), initial or
 * re-INVITE, deferred or not. The UA marks it due while the 2xx is
 * reported and sends it when the callback returns, or before any request
 * the callback sends in the dialog, so the wire order is the one of an
 * ACK sent at once. The application may hold it (sipdp_ua_ack_defer()) to
 * send it later with a body: the answer to an offer the 2xx carried
 * (RFC 3264 §5, delayed offer; RFC 3725 third-party call control).
 *
 * Held: 2xx retransmissions are absorbed; nothing is kept but a flag and
 * a deadline (ackwait_at, free on the UAC side of an INVITE). Sent with a
 * body: the bytes are kept in a message buffer (ua_ext.hold_mb, free once
 * the dialog is established) until the INVITE client transaction ends, so
 * every later 2xx retransmission gets the same ACK (§13.2.2.4, §17.1.1.2).
 * No per-dialog memory is added.
 */
#include "ua_pvt.h"

static const struct sipdp_str s_ack = SIPDP_STR("ACK");

void
ua_ack_unkeep(struct sipdp_ua *ua, struct sipdp_dlg *d)
{
	struct ua_ext *x = &ua_sess(d)->x;

	if (x->xf & UX_ACK_KEPT) {
		ua_mb_release(ua, &x->hold_mb);
		x->xf &= ~(uint32_t)UX_ACK_KEPT;
	}
}

int
ua_send_ack(struct sipdp_ua *ua, struct sipdp_dlg *d)
{
	struct ua_sess *s = ua_sess(d);
	struct ua_ext *x = &s->x;
	char br[SIPDP_DLG_ACK_BRANCH_LEN];
	struct sipdp_tsx_dest dest;
	const char *p = ua->out2;
	int len, rc;

	if ((x->xf & UX_ACK_KEPT) && x->hold_mb) {
		/* The ACK with body, byte for byte (same branch, §13.2.2.4). */
		p = ua_mb(ua, x->hold_mb);
		len = x->hold_len;
	} else {
		/* §13.2.2.4: same branch for every retransmission of this ACK. */
		sipdp_dlg_ack_branch(ua->dt, d, s->ack_cseq, br);
		len = ua_build_request(ua, ua->out2, d, s_ack, s->ack_cseq, br, sizeof(br),
				       SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL, false);
		if (len < 0)
			return len;
	}
	ua_next_hop(ua, d, &dest);
	rc = ua->send(ua->user, &dest, p, (uint32_t)len);
	if (rc < 0)
		ua->stats.send_errors++;
	return rc;
}

static void
unhold(struct sipdp_ua *ua, struct sipdp_dlg *d)
{
	struct ua_sess *s = ua_sess(d);

	if (s->flags & US_ACK_HELD) {
		s->ackwait_at = 0;
		ua_timer_update(ua, d);
	}
	s->flags &= (uint16_t)~(US_ACK_DUE | US_ACK_HELD);
	s->flags |= US_CONFIRMED;
}

void
ua_ack_flush(struct sipdp_ua *ua, struct sipdp_dlg *d)
{
	if (!(ua_sess(d)->flags & (US_ACK_DUE | US_ACK_HELD)))
		return;
	unhold(ua, d);
	ua_send_ack(ua, d);
}

void
ua_ack_timeout(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us)
{
	sipdp_handle_t h = sipdp_dlg_handle(ua->dt, d);

	/* §13.2.2.4 gives the UAS 64*T1 to see the ACK: past that it ends the
	 * dialog anyway. End it cleanly: the ACK it waits for, then BYE. */
	ua->stats.ack_held_timeouts++;
	ua_send_bye(ua, d, now_us); /* flushes the ACK first */
	d = ua_get(ua, h);
	if (d != NULL)
		ua_end(ua, d, SIPDP_DLG_R_TIMEOUT, 408, SIPDP_DLG_EV_TIMEOUT, now_us);
}

int
sipdp_ua_ack_defer(struct sipdp_ua *ua, sipdp_handle_t h)
{
	struct sipdp_dlg *d = ua_get(ua, h);
	struct ua_sess *s;

	if (d == NULL)
		return -ENOENT;
	s = ua_sess(d);
	if (!(s->flags & US_ACK_DUE))
		return -EINVAL;
	s->flags = (uint16_t)((s->flags & ~US_ACK_DUE) | US_ACK_HELD);
	s->ackwait_at = ua->now_us + (uint64_t)ua->t1_ms * 64000u;
	ua->stats.acks_held++;
	ua_timer_update(ua, d);
	return 0;
}

/* The INVITE transaction whose 2xx this ACK answers is still there: its
 * 2xx may come again, worth keeping the ACK for. */
static bool
ict_alive(struct sipdp_ua *ua, struct sipdp_dlg *d)
{
	struct sipdp_tsx_info info;
	sipdp_handle_t t = ua_sess(d)->inv_tsx;

	if (t == SIPDP_HANDLE_INVALID) {
		/* A fork's initial INVITE is its set head's. */
		struct sipdp_dlg *head = sipdp_dlg_head(ua->dt, d);
		if (head != NULL)
			t = ua_sess(head)->inv_tsx;
	}
	return t != SIPDP_HANDLE_INVALID && sipdp_tsx_info(ua->tt, t, &info) == 0 &&
	       info.method == SIPDP_METHOD_INVITE && info.cseq == ua_sess(d)->ack_cseq;
}

int
sipdp_ua_ack(struct sipdp_ua *ua, sipdp_handle_t h, struct sipdp_str ctype, struct sipdp_str body,
	     uint64_t now_us)
{
	struct sipdp_dlg *d = ua_get(ua, h);
	struct ua_sess *s;
	struct ua_ext *x;
	struct sipdp_tsx_dest dest;
	char br[SIPDP_DLG_ACK_BRANCH_LEN];
	int len;

	if (d == NULL)
		return -ENOENT;
	s = ua_sess(d);
	x = &s->x;
	if (!(s->flags & (US_ACK_DUE | US_ACK_HELD)))
		return -EINVAL;
	ua->now_us = now_us;
	sipdp_dlg_ack_branch(ua->dt, d, s->ack_cseq, br);
	len = ua_build_request(ua, ua->out2, d, s_ack, s->ack_cseq, br, sizeof(br), SIPDP_STR_NULL,
			       ctype, body, false);
	if (len < 0)
		return len;
	unhold(ua, d);
	ua_ack_unkeep(ua, d);
	if (ict_alive(ua, d)) {
		x->hold_mb = (uint32_t)len <= ua->mb_size ? ua_mb_alloc(ua) : 0;
		if (x->hold_mb) {
			memcpy(ua_mb(ua, x->hold_mb), ua->out2, (size_t)len);
			x->hold_len = (uint16_t)len;
			x->xf |= UX_ACK_KEPT;
		} else {
			ua->stats.no_msgbuf++;
		}
	}
	ua_next_hop(ua, d, &dest);
	if (ua->send(ua->user, &dest, ua->out2, (uint32_t)len) < 0)
		ua->stats.send_errors++;
	return 0;
}
