/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UAC side of invite sessions (RFC 3261 §13.2, §9.1, §12.1.2): the INVITE,
 * provisionals creating early dialogs per To tag (forking), the ACK for
 * each 2xx built here and re-sent for each retransmitted 2xx, extra 2xx
 * forks ended with BYE, CANCEL held back until a provisional arrived.
 */
#include "ua_pvt.h"

static const struct sipdp_str s_invite = SIPDP_STR("INVITE");
static const struct sipdp_str s_cancel = SIPDP_STR("CANCEL");

int
sipdp_ua_invite(struct sipdp_ua *ua, const struct sipdp_ua_invite *inv, uint64_t now_us,
		sipdp_handle_t *out)
{
	struct sipdp_dlg *d;
	struct ua_sess *s;
	sipdp_handle_t h, tsx;
	char br[SIPDP_TSX_BRANCH_LEN];
	int rc, len;

	if (inv == NULL || out == NULL || inv->ruri.len == 0 || inv->from.len == 0 || inv->to.len == 0 ||
	    inv->rel100 > SIPDP_UA_INVITE_100REL_REQUIRED)
		return -EINVAL;
	ua->now_us = now_us;
	rc = sipdp_dlg_alloc(ua->dt, SIPDP_DLG_UAC, now_us, &d, &h);
	if (rc != 0)
		return rc;
	s = ua_sess(d);
	memset(s, 0, sizeof(*s));
	s->app = inv->app;
	s->ident = ua_ident(ua, inv->dest.transport, inv->dest.family, inv->ruri);
	rc = sipdp_dlg_init_uac(ua->dt, d, inv->call_id, inv->from, inv->to, inv->ruri, inv->route,
				&inv->dest);
	if (rc != 0) {
		sipdp_dlg_free(ua->dt, d);
		return rc == -ENOSPC ? -EMSGSIZE : rc;
	}
	s->inv_cseq = sipdp_dlg_next_cseq(d);
	rc = sipdp_tsx_client_alloc(ua->tt, SIPDP_METHOD_INVITE, s->inv_cseq, h, br, &tsx);
	if (rc != 0) {
		ua->stats.tsx_full++;
		sipdp_dlg_free(ua->dt, d);
		return -ENOSPC;
	}
	ua_ext_invite(ua, d, inv);
	s->x.max_fwd = inv->max_forwards; /* the 422 retry says it again */
	ua->mf = inv->max_forwards;
	len = ua_build_request(ua, ua->out, d, s_invite, s->inv_cseq, br, sizeof(br), inv->extra,
			       inv->ctype, inv->body, true);
	ua->xhdr = SIPDP_STR_NULL;
	if (len < 0) {
		sipdp_tsx_client_abort(ua->tt, tsx);
		ua_ext_end(ua, d);
		sipdp_dlg_free(ua->dt, d);
		return len;
	}
	s->inv_tsx = tsx;
	ua_side(ua, tsx)->kind = UA_TK_INV_OUT;
	sipdp_dlg_set_state(ua->dt, d, SIPDP_DLG_S_TRYING, SIPDP_DLG_EV_TX_INVITE, 0, SIPDP_DLG_R_NONE,
			    now_us);
	ua->stats.calls_out++;
	*out = h;
	rc = sipdp_tsx_client_send(ua->tt, tsx, ua->out, (uint32_t)len, &inv->dest, now_us);
	if (rc == -ENOBUFS) {
		ua_side(ua, tsx)->kind = UA_TK_NONE;
		sipdp_tsx_client_abort(ua->tt, tsx);
		ua_ext_end(ua, d);
		sipdp_dlg_free(ua->dt, d);
		return -ENOSPC;
	}
	if (rc < 0) {
		/* The transaction already raised its end; make sure the
		 * dialog is gone without a callback the app cannot expect. */
		d = sipdp_dlg_get(ua->dt, h);
		if (d != NULL) {
			ua_sess(d)->flags |= US_TERM;
			ua_ext_end(ua, d);
			sipdp_dlg_free(ua->dt, d);
		}
		return rc;
	}
	return 0;
}

int
ua_send_cancel(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us)
{
	struct ua_sess *s = ua_sess(d);
	struct sipdp_build b;
	char br[SIPDP_TSX_BRANCH_LEN];
	sipdp_handle_t h;
	int rc, len;

	rc = sipdp_tsx_cancel_alloc(ua->tt, s->inv_tsx, sipdp_dlg_handle(ua->dt, d), br, &h);
	if (rc != 0)
		return rc;
	ua_side(ua, h)->kind = UA_TK_CANCEL_OUT;
	/* §9.1: Request-URI, Call-ID, To, From, CSeq number, Route and top
	 * Via of the INVITE. */
	sipdp_build_init(&b, ua->out2, UA_OUT_LEN);
	sipdp_build_request_line(&b, s_cancel, sipdp_dlg_str(d, d->invite_ruri));
	sipdp_build_hdr_begin(&b, SIPDP_HDR_VIA);
	sipdp_build_str(&b, *ua_via_pfx(ua, d));
	sipdp_build_raw(&b, br, sizeof(br));
	sipdp_build_hdr_end(&b);
	sipdp_build_hdr(&b, SIPDP_HDR_MAX_FORWARDS, SIPDP_STR("70"));
	if (d->invite_route.len)
		sipdp_build_hdr(&b, SIPDP_HDR_ROUTE, sipdp_dlg_str(d, d->invite_route));
	sipdp_build_hdr(&b, SIPDP_HDR_FROM, sipdp_dlg_str(d, d->local_hdr));
	sipdp_build_hdr(&b, SIPDP_HDR_TO, sipdp_dlg_str(d, d->invite_to));
	sipdp_build_hdr(&b, SIPDP_HDR_CALL_ID, sipdp_dlg_str(d, d->call_id));
	sipdp_build_cseq(&b, s->inv_cseq, s_cancel);
	sipdp_build_body(&b, SIPDP_STR_NULL, SIPDP_STR_NULL);
	len = sipdp_build_finish(&b);
	if (len < 0) {
		ua_side(ua, h)->kind = UA_TK_NONE;
		sipdp_tsx_client_abort(ua->tt, h);
		return -EMSGSIZE;
	}
	{
		struct sipdp_tsx_info info;
		if (sipdp_tsx_info(ua->tt, s->inv_tsx, &info) != 0) {
			sipdp_tsx_client_abort(ua->tt, h);
			return -ENOENT;
		}
		sipdp_dlg_note(d, SIPDP_DLG_EV_TX_CANCEL, 0, now_us);
		/* Same destination as the INVITE (§9.1). */
		return sipdp_tsx_client_send(ua->tt, h, ua->out2, (uint32_t)len, &info.dest, now_us);
	}
}

int
sipdp_ua_cancel(struct sipdp_ua *ua, sipdp_handle_t hd, uint64_t now_us)
{
	struct sipdp_dlg *d = ua_get(ua, hd);
	struct ua_sess *s;
	int rc;

	if (d == NULL)
		return -ENOENT;
	d = sipdp_dlg_head(ua->dt, d);
	s = ua_sess(d);
	if (d->role != SIPDP_DLG_UAC || (s->flags & US_OUTCOME) || s->inv_tsx == SIPDP_HANDLE_INVALID ||
	    (s->flags & US_REINV_OUT))
		return -EINVAL;
	if (s->flags & US_CANCELLED)
		return -EALREADY;
	s->flags |= US_CANCELLED;
	rc = ua_send_cancel(ua, d, now_us);
	if (rc == -EAGAIN) {
		/* §9.1: not before a provisional response. */
		s->flags |= US_CANCEL_Q;
		return 0;
	}
	return rc == -EALREADY ? 0 : (rc < 0 && rc != -ENOENT ? rc : 0);
}

int
sipdp_ua_keep(struct sipdp_ua *ua, sipdp_handle_t hd)
{
	struct sipdp_dlg *d = ua_get(ua, hd);

	if (d == NULL)
		return -ENOENT;
	if (!(ua_sess(d)->flags & US_IN_ANSWER))
		return -EINVAL;
	ua_sess(d)->flags |= US_KEEP;
	return 0;
}

/* The dialog of the set @head that a response with To tag @tag belongs to,
 * created (a fork) when the tag is new. NULL when out of room. */
static struct sipdp_dlg *
set_dialog(struct sipdp_ua *ua, struct sipdp_dlg *head, const struct sipdp_msg *m,
	   struct sipdp_str tag, const struct sipdp_tsx_dest *src, bool *created, uint64_t now_us)
{
	struct sipdp_dlg *d, *nd;
	sipdp_handle_t nh;

	*created = false;
	for (d = head; d != NULL; d = sipdp_dlg_set_next(ua->dt, d)) {
		if ((d->flags & SIPDP_DLG_F_HAS_RTAG) &&
		    sipdp_str_eq(sipdp_dlg_str(d, d->remote_tag), tag))
			return (ua_sess(d)->flags & US_TERM) || (d->flags & SIPDP_DLG_F_ANCHOR) ? NULL : d;
	}
	if (!(head->flags & SIPDP_DLG_F_HAS_RTAG) && !(head->flags & SIPDP_DLG_F_ANCHOR) &&
	    !(ua_sess(head)->flags & US_TERM)) {
		if (sipdp_dlg_update_uac(ua->dt, head, m) != 0)
			return NULL;
		if (src && ua->resolve == NULL)
			head->peer = *src;
		*created = true;
		return head;
	}
	if (sipdp_dlg_alloc(ua->dt, SIPDP_DLG_UAC, now_us, &nd, &nh) != 0)
		return NULL;
	memset(ua_sess(nd), 0, sizeof(struct ua_sess));
	ua_sess(nd)->ident = ua_sess(head)->ident; /* a fork is the same request */
	sipdp_dlg_fork(ua->dt, head, nd);
	if (sipdp_dlg_update_uac(ua->dt, nd, m) != 0) {
		sipdp_dlg_free(ua->dt, nd);
		return NULL;
	}
	if (src)
		nd->peer = *src;
	ua_sess(nd)->app = ua_sess(head)->app;
	ua_sess(nd)->inv_cseq = ua_sess(head)->inv_cseq;
	*created = true;
	return nd;
}

/* End every dialog of the set that is not established. */
static void
end_unanswered(struct sipdp_ua *ua, struct sipdp_dlg *head, enum sipdp_dlg_reason reason,
	       uint16_t status, uint64_t now_us)
{
	struct sipdp_dlg *d = head, *next;
	sipdp_handle_t hh = sipdp_dlg_handle(ua->dt, head);

	/* Forks first (the head may be their anchor), then the head. */
	for (d = sipdp_dlg_set_next(ua->dt, head); d != NULL; d = next) {
		next = sipdp_dlg_set_next(ua->dt, d);
		if (d->state != SIPDP_DLG_S_ESTABLISHED && !(ua_sess(d)->flags & US_TERM))
			ua_end(ua, d, reason, status, SIPDP_DLG_EV_FORK_END, now_us);
	}
	head = sipdp_dlg_get(ua->dt, hh);
	if (head != NULL && head->state != SIPDP_DLG_S_ESTABLISHED && !(ua_sess(head)->flags & US_TERM))
		ua_end(ua, head, reason, status,
		       reason == SIPDP_DLG_R_FORK_ENDED ? SIPDP_DLG_EV_FORK_END : SIPDP_DLG_EV_RX_FINAL,
		       now_us);
}

static void
report_failed(struct sipdp_ua *ua, struct sipdp_dlg *head, uint16_t status,
	      const struct sipdp_msg *m, const struct sipdp_tsx_dest *src)
{
	struct ua_sess *s = ua_sess(head);

	if ((s->flags & (US_OUTCOME | US_TERM)) || (head->flags & SIPDP_DLG_F_ANCHOR))
		return;
	s->flags |= US_OUTCOME;
	ua_emit(ua, ua->cb.on_failed, SIPDP_UA_EV_FAILED, head, status, m, src);
}

static void
on_2xx(struct sipdp_ua *ua, struct sipdp_dlg *head, const struct sipdp_tsx_event *ev,
       struct sipdp_str tag, uint64_t now_us)
{
	const struct sipdp_msg *m = ev->msg;
	struct sipdp_dlg *d;
	struct ua_sess *s, *hs = ua_sess(head);
	sipdp_handle_t h, hh = sipdp_dlg_handle(ua->dt, head);
	bool created, extra, cancelled = (hs->flags & US_CANCELLED) != 0;

	d = set_dialog(ua, head, m, tag, ev->src, &created, now_us);
	if (d == NULL)
		return;
	s = ua_sess(d);
	h = sipdp_dlg_handle(ua->dt, d);
	if (ua_ack_held(d))
		return; /* the application holds the ACK: absorbed */
	if (s->flags & US_CONFIRMED) {
		/* A retransmitted 2xx: our ACK was lost (§13.2.2.4). */
		ua->stats.acks_resent++;
		ua_send_ack(ua, d);
		return;
	}
	if (!created && sipdp_dlg_update_uac(ua->dt, d, m) != 0)
		return; /* §13.2.2.4: the route set is recomputed from the 2xx */
	s->ack_cseq = hs->inv_cseq;
	sipdp_dlg_set_state(ua->dt, d, SIPDP_DLG_S_ESTABLISHED, SIPDP_DLG_EV_RX_2XX, m->status,
			    SIPDP_DLG_R_NONE, now_us);
	/* The ACK is due: sent when on_answered returns (or before anything
	 * it sends in this dialog), unless the application holds it. */
	s->flags |= US_ACK_DUE;
	ua_ext_uac_2xx(ua, d, m, now_us);

	head = sipdp_dlg_get_any(ua->dt, hh);
	extra = head == NULL || (ua_sess(head)->flags & US_OUTCOME) ||
		(head->flags & SIPDP_DLG_F_ANCHOR);
	if (cancelled) {
		/* §9.1: the 2xx won the race with our CANCEL: end it with BYE.
		 * The app asked to cancel: that is its one outcome. */
		if (!extra)
			report_failed(ua, head, 487, NULL, NULL);
		d = ua_get(ua, h);
		if (d == NULL)
			return;
		ua_send_bye(ua, d, now_us); /* the ACK first */
		d = ua_get(ua, h);
		if (d != NULL)
			ua_end(ua, d, SIPDP_DLG_R_CANCELLED, m->status, SIPDP_DLG_EV_TX_BYE, now_us);
		return;
	}
	if (!extra)
		ua_sess(head)->flags |= US_OUTCOME;
	s->flags |= US_IN_ANSWER;
	if (SIPDP_UNLIKELY(s->xflags != 0))
		ua_ack_flush(ua, d); /* a transfer's call: ACKed before its NOTIFY says 200 */
	ua_emit(ua, ua->cb.on_answered, SIPDP_UA_EV_ANSWERED, d, m->status, m, ev->src);
	d = ua_get(ua, h);
	if (d == NULL)
		return;
	s = ua_sess(d);
	s->flags &= (uint16_t)~US_IN_ANSWER;
	if (s->flags & US_ACK_DUE)
		ua_ack_flush(ua, d);
	if (extra && !(s->flags & US_KEEP)) {
		/* §13.2.2.4: one session is enough; the extra fork is ACKed
		 * (done) and ended with BYE. */
		ua->stats.fork_byes++;
		ua_send_bye(ua, d, now_us);
		d = ua_get(ua, h);
		if (d != NULL)
			ua_end(ua, d, SIPDP_DLG_R_LOCAL_BYE, m->status, SIPDP_DLG_EV_TX_BYE, now_us);
	}
}

void
ua_uac_response(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us)
{
	const struct sipdp_msg *m = ev->msg;
	struct sipdp_dlg *head = sipdp_dlg_get_any(ua->dt, ev->user_ref), *d;
	struct ua_sess *hs;
	struct sipdp_nameaddr to;
	sipdp_handle_t hh = ev->user_ref;
	bool created;
	uint16_t st;

	if (head == NULL)
		return; /* the whole set is gone */
	hs = ua_sess(head);
	if (m == NULL) {
		/* Timer B or a transport error: no final response. */
		report_failed(ua, head, 408, NULL, NULL);
		head = sipdp_dlg_get_any(ua->dt, hh);
		if (head != NULL)
			end_unanswered(ua, head, SIPDP_DLG_R_TIMEOUT, 408, now_us);
		return;
	}
	st = m->status;
	if (sipdp_msg_to(m, &to) != 0)
		return;
	if (st >= 200 && st < 300) {
		if (!sipdp_str_present(to.tag) || to.tag.len == 0)
			return; /* a 2xx without To tag creates nothing */
		on_2xx(ua, head, ev, to.tag, now_us);
		return;
	}
	if (st < 200) {
		/* §9.1: a CANCEL held back can go now. */
		if (hs->flags & US_CANCEL_Q) {
			hs->flags &= (uint16_t)~US_CANCEL_Q;
			ua_send_cancel(ua, head, now_us);
			head = sipdp_dlg_get_any(ua->dt, hh);
			if (head == NULL)
				return;
		}
		if (st == 100)
			return;
		d = head;
		if (sipdp_str_present(to.tag) && to.tag.len) {
			d = set_dialog(ua, head, m, to.tag, ev->src, &created, now_us);
			if (d == NULL)
				return;
			if (d->state == SIPDP_DLG_S_TRYING || d->state == SIPDP_DLG_S_INIT)
				sipdp_dlg_set_state(ua->dt, d, SIPDP_DLG_S_RINGING, SIPDP_DLG_EV_RX_1XX,
						    st, SIPDP_DLG_R_NONE, now_us);
			else
				sipdp_dlg_note(d, SIPDP_DLG_EV_RX_1XX, st, now_us);
		}
		if ((ua_sess(d)->flags & US_TERM) || (d->flags & SIPDP_DLG_F_ANCHOR))
			return;
		if (ua_prack_rx_1xx(ua, d, m))
			return; /* RFC 3262 §4: duplicate or out-of-order RSeq */
		{
			sipdp_handle_t hd = sipdp_dlg_handle(ua->dt, d);
			ua_emit(ua, ua->cb.on_provisional, SIPDP_UA_EV_PROVISIONAL, d, st, m, ev->src);
			ua_prack_after_1xx(ua, hd, now_us);
		}
		return;
	}
	/* 3xx-6xx: the transaction ACKed it (§17.1.1.3). */
	if (st == 422 && ua_st_retry_422(ua, head, ev, now_us))
		return; /* RFC 4028 §7.4: re-sent with a larger interval */
	report_failed(ua, head, (hs->flags & US_CANCELLED) && st == 487 ? 487 : st, m, ev->src);
	head = sipdp_dlg_get_any(ua->dt, hh);
	if (head != NULL)
		end_unanswered(ua, head,
			       (ua_sess(head)->flags & US_CANCELLED) ? SIPDP_DLG_R_CANCELLED
								     : SIPDP_DLG_R_REJECTED,
			       st, now_us);
}

void
ua_uac_ict_gone(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us)
{
	struct sipdp_dlg *head = sipdp_dlg_get_any(ua->dt, ev->user_ref);
	sipdp_handle_t hh = ev->user_ref;

	if (head == NULL)
		return;
	if (ua_sess(head)->inv_tsx == ev->tsx)
		ua_sess(head)->inv_tsx = SIPDP_HANDLE_INVALID;
	/* No 2xx can come again: ACKs kept for retransmissions go. */
	for (struct sipdp_dlg *d = head; d != NULL; d = sipdp_dlg_set_next(ua->dt, d))
		ua_ack_unkeep(ua, d);
	/* The INVITE transaction is over (Timer M after a 2xx, or D): no
	 * further answer can come; early dialogs that never got one end. */
	report_failed(ua, head, 408, NULL, NULL);
	head = sipdp_dlg_get_any(ua->dt, hh);
	if (head != NULL)
		end_unanswered(ua, head, SIPDP_DLG_R_FORK_ENDED, 0, now_us);
}
