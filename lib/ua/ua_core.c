/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UA core: receive path, transaction event dispatch, dialog timers, the end
 * of a dialog. One shard, run to completion, no clock reads.
 */
#include "ua_pvt.h"

struct sipdp_dlg *
ua_get(const struct sipdp_ua *ua, sipdp_handle_t h)
{
	struct sipdp_dlg *d = sipdp_dlg_get(ua->dt, h);

	if (d == NULL || (ua_sess(d)->flags & US_TERM))
		return NULL;
	return d;
}

void
ua_emit(struct sipdp_ua *ua, sipdp_ua_cb cb, uint8_t type, struct sipdp_dlg *d, uint16_t status,
	const struct sipdp_msg *m, const struct sipdp_tsx_dest *src)
{
	struct sipdp_ua_event ev = {
		.type = type,
		.status = status,
		.dlg = sipdp_dlg_handle(ua->dt, d),
		.app = ua_sess(d)->app,
		.msg = m,
		.src = src,
		.fork = d->role == SIPDP_DLG_UAC && sipdp_dlg_head(ua->dt, d) != d,
	};

	if (SIPDP_UNLIKELY(ua_sess(d)->xflags != 0))
		ua_xfer_call_event(ua, d, type, status);
	if (cb != NULL)
		cb(ua->user, &ev);
}

/* ------------------------------------------------------------ timers */

void
ua_timer_update(struct sipdp_ua *ua, struct sipdp_dlg *d)
{
	struct ua_sess *s = ua_sess(d);
	uint64_t at = 0;

	if (s->retx_at)
		at = s->retx_at;
	if (s->ackwait_at && (!at || s->ackwait_at < at))
		at = s->ackwait_at;
	if (s->glare_at && (!at || s->glare_at < at))
		at = s->glare_at;
	at = ua_ext_due(&s->x, at);
	if (at == s->armed_at && (at == 0 || s->timer != SIPDP_TIMER_HANDLE_INVALID))
		return;
	if (s->timer != SIPDP_TIMER_HANDLE_INVALID) {
		sipdp_timer_stop(ua->wheel, s->timer);
		s->timer = SIPDP_TIMER_HANDLE_INVALID;
	}
	s->armed_at = at;
	if (at && sipdp_timer_start(ua->wheel, at, sipdp_dlg_handle(ua->dt, d), UA_TIMER_KIND,
				    &s->timer) != 0) {
		ua->stats.timer_errors++;
		s->armed_at = 0;
	}
}

static void
timer_cb(void *arg, const struct sipdp_timer_event *ev)
{
	struct sipdp_ua *ua = arg;

	if (ev->kind == SIPDP_TSX_TIMER_KIND)
		sipdp_tsx_timer_expired(ua->tt, ev, ua->now_us);
	else if (ev->kind == UA_TIMER_KIND)
		ua_timer_fire(ua, ev->user, ua->now_us);
	else if (ev->kind == UA_XFER_TIMER_KIND)
		ua_xfer_timer(ua, ev->user, ua->now_us);
}

void
ua_timer_fire(struct sipdp_ua *ua, sipdp_handle_t h, uint64_t now_us)
{
	struct sipdp_dlg *d = ua_get(ua, h);
	struct ua_sess *s;

	if (d == NULL)
		return;
	s = ua_sess(d);
	s->timer = SIPDP_TIMER_HANDLE_INVALID;
	s->armed_at = 0;
	if (s->ackwait_at && s->ackwait_at <= now_us && (s->flags & US_ACK_HELD)) {
		ua_ack_timeout(ua, d, now_us); /* ours, held too long */
		return;
	}
	if (s->ackwait_at && s->ackwait_at <= now_us) {
		/* §13.3.1.4: no ACK after 64*T1: confirmed, but ended with BYE. */
		s->ackwait_at = 0;
		s->retx_at = 0;
		s->flags &= (uint16_t)~US_ACK_WAIT;
		ua_mb_release(ua, &s->mbuf);
		ua->stats.ack_timeouts++;
		ua_send_bye(ua, d, now_us);
		ua_end(ua, d, SIPDP_DLG_R_TIMEOUT, 408, SIPDP_DLG_EV_TIMEOUT, now_us);
		return;
	}
	if (s->retx_at && s->retx_at <= now_us) {
		/* 2xx retransmission: T1, 2T1, ... capped at T2, scheduled from
		 * the due time so a late expire() does not shift the train. */
		s->retx_ms = SIPDP_MIN(s->retx_ms * 2, ua->t2_ms);
		s->retx_at += (uint64_t)s->retx_ms * 1000u;
		if (s->mbuf) {
			ua->stats.retx_2xx++;
			if (ua->send(ua->user, &d->peer, ua_mb(ua, s->mbuf), s->mlen) < 0)
				ua->stats.send_errors++;
		}
	}
	if (s->glare_at && s->glare_at <= now_us) {
		s->glare_at = 0;
		ua_timer_update(ua, d);
		ua_emit(ua, ua->cb.on_glare_retry, SIPDP_UA_EV_GLARE_RETRY, d, 491, NULL, NULL);
		d = ua_get(ua, h);
		if (d == NULL)
			return;
	}
	ua_ext_fire(ua, d, now_us); /* may end the dialog */
	d = ua_get(ua, h);
	if (d == NULL)
		return;
	ua_timer_update(ua, d);
}

int
sipdp_ua_expire(struct sipdp_ua *ua, uint64_t now_us, uint32_t max)
{
	ua->now_us = now_us;
	return sipdp_timer_expire(ua->wheel, now_us, timer_cb, ua, max);
}

int
sipdp_ua_next_expiry(const struct sipdp_ua *ua, uint64_t *at_us)
{
	return sipdp_timer_next_expiry(ua->wheel, at_us);
}

/* --------------------------------------------------------------- end */

void
ua_end(struct sipdp_ua *ua, struct sipdp_dlg *d, enum sipdp_dlg_reason reason, uint16_t status,
       enum sipdp_dlg_event ev, uint64_t now_us)
{
	struct ua_sess *s = ua_sess(d);
	struct sipdp_ua_event e;

	if (s->flags & US_TERM)
		return;
	s->flags |= US_TERM;
	s->retx_at = s->ackwait_at = s->glare_at = 0;
	if (s->timer != SIPDP_TIMER_HANDLE_INVALID) {
		sipdp_timer_stop(ua->wheel, s->timer);
		s->timer = SIPDP_TIMER_HANDLE_INVALID;
	}
	ua_mb_release(ua, &s->mbuf);
	if (s->xsub != 0 || s->xflags != 0)
		ua_xfer_dialog_end(ua, d, now_us);
	ua_ext_end(ua, d);
	sipdp_dlg_set_state(ua->dt, d, SIPDP_DLG_S_TERMINATED, ev, status, reason, now_us);
	e = (struct sipdp_ua_event){
		.type = SIPDP_UA_EV_TERMINATED,
		.reason = (uint8_t)reason,
		.status = status,
		.dlg = sipdp_dlg_handle(ua->dt, d),
		.app = s->app,
		.fork = d->role == SIPDP_DLG_UAC && sipdp_dlg_head(ua->dt, d) != d,
	};
	if (ua->cb.on_terminated)
		ua->cb.on_terminated(ua->user, &e);
	sipdp_dlg_free(ua->dt, d);
}

/* ----------------------------------------------------------- events */

static void
on_terminated_tsx(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us)
{
	struct ua_tside *side = ua_side(ua, ev->tsx);
	uint8_t kind = side->kind;

	ua_mb_release(ua, &side->mbuf);
	side->kind = UA_TK_NONE;
	side->final = 0;
	if (kind == UA_TK_INV_OUT) {
		ua_uac_ict_gone(ua, ev, now_us);
		return;
	}
	if (kind == UA_TK_INV_IN || kind == UA_TK_REINV_IN || kind == UA_TK_REINV_OUT) {
		struct sipdp_dlg *d = ua_get(ua, ev->user_ref);
		if (d != NULL && ua_sess(d)->inv_tsx == ev->tsx) {
			ua_sess(d)->inv_tsx = SIPDP_HANDLE_INVALID;
			ua_sess(d)->flags &= (uint16_t)~(US_REINV_IN | US_REINV_OUT);
			if (kind == UA_TK_REINV_OUT)
				ua_ack_unkeep(ua, d); /* no 2xx can come again */
		}
	}
}

static SIPDP_COLD void
answer_out_of_dialog(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us)
{
	uint16_t code = ev->msg->method == SIPDP_METHOD_OPTIONS ? 200 : 405;
	static const struct sipdp_str allow =
		SIPDP_STR("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY\r\n");

	ua_respond_tsx(ua, ev->tsx, NULL, code, allow, SIPDP_STR_NULL, SIPDP_STR_NULL, false, now_us);
}

static void
on_request(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us)
{
	const struct sipdp_msg *m = ev->msg;
	const struct sipdp_hdr *to = sipdp_msg_hdr(m, SIPDP_HDR_TO);
	struct sipdp_nameaddr na;
	sipdp_handle_t saved_tsx = ua->cur_tsx;
	const struct sipdp_msg *saved_req = ua->cur_req;

	ua->cur_req = m;
	ua->cur_tsx = ev->tsx;
	if (m->method == SIPDP_METHOD_CANCEL) {
		ua_uas_cancel(ua, ev, now_us);
	} else if (to == NULL || sipdp_nameaddr_parse(to->value, &na) != 0) {
		ua_respond_tsx(ua, ev->tsx, NULL, 400, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
			       false, now_us);
	} else if (sipdp_str_present(na.tag)) {
		ua_indlg_request(ua, ev, now_us);
	} else if (m->method == SIPDP_METHOD_INVITE) {
		ua_uas_invite(ua, ev, now_us);
	} else {
		answer_out_of_dialog(ua, ev, now_us);
	}
	ua->cur_req = saved_req;
	ua->cur_tsx = saved_tsx;
}

static void
on_timeout(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us)
{
	uint8_t kind = ua_side(ua, ev->tsx)->kind;

	if (kind == UA_TK_INV_OUT) {
		ua_uac_response(ua, ev, now_us); /* msg == NULL: Timer B */
	} else if (kind == UA_TK_REQ_OUT || kind == UA_TK_REINV_OUT) {
		ua_indlg_response(ua, ev, now_us);
	} else if (kind == UA_TK_REFER_OUT || kind == UA_TK_NOTIFY_OUT) {
		ua_xfer_response(ua, ev, now_us);
	} else if (kind == UA_TK_OOD_OUT) {
		ua_ood_response(ua, ev); /* Timer F: 408; transport: 503 */
	}
}

void ua_tsx_event(void *user, const struct sipdp_tsx_event *ev);

void
ua_tsx_event(void *user, const struct sipdp_tsx_event *ev)
{
	struct sipdp_ua *ua = user;
	uint64_t now_us = ua->now_us;
	uint8_t kind;

	switch (ev->type) {
	case SIPDP_TSX_EV_REQUEST:
		on_request(ua, ev, now_us);
		break;
	case SIPDP_TSX_EV_RESPONSE:
		kind = ua_side(ua, ev->tsx)->kind;
		if (kind == UA_TK_INV_OUT)
			ua_uac_response(ua, ev, now_us);
		else if (kind == UA_TK_REINV_OUT || kind == UA_TK_REQ_OUT)
			ua_indlg_response(ua, ev, now_us);
		else if (kind == UA_TK_REFER_OUT || kind == UA_TK_NOTIFY_OUT)
			ua_xfer_response(ua, ev, now_us);
		else if (kind == UA_TK_OOD_OUT)
			ua_ood_response(ua, ev);
		/* BYE and CANCEL answers need nothing. */
		break;
	case SIPDP_TSX_EV_ACK:
		ua_uas_ack(ua, ev, now_us);
		break;
	case SIPDP_TSX_EV_TIMEOUT:
	case SIPDP_TSX_EV_TRANSPORT_ERROR:
		if (ev->type == SIPDP_TSX_EV_TRANSPORT_ERROR)
			ua->stats.send_errors++;
		on_timeout(ua, ev, now_us);
		break;
	case SIPDP_TSX_EV_TERMINATED:
		on_terminated_tsx(ua, ev, now_us);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ receive */

static SIPDP_COLD int
answer_stateless(struct sipdp_ua *ua, const struct sipdp_msg *m, int code,
		 const struct sipdp_tsx_dest *src)
{
	int len = sipdp_build_response_simple(ua->out, UA_OUT_LEN, m, (uint16_t)code, SIPDP_STR_NULL,
					      SIPDP_STR_NULL);

	ua->stats.stateless_4xx++;
	if (len > 0 && ua->send(ua->user, src, ua->out, (uint32_t)len) < 0)
		ua->stats.send_errors++;
	return 0;
}

int
sipdp_ua_recv(struct sipdp_ua *ua, const char *buf, uint32_t len, const struct sipdp_tsx_dest *src,
	      uint64_t now_us)
{
	struct sipdp_msg *m = ua->msg;
	int rc;

	ua->now_us = now_us;
	ua->stats.rx++;
	rc = sipdp_msg_parse(m, buf, len, 0);
	if (SIPDP_UNLIKELY(rc <= 0)) {
		ua->stats.rx_bad++;
		return -EBADMSG;
	}
	if (m->is_request) {
		rc = sipdp_msg_check(m);
		if (SIPDP_UNLIKELY(rc != 0)) {
			if (m->method == SIPDP_METHOD_ACK || rc < 400) {
				ua->stats.rx_bad++;
				return -EBADMSG;
			}
			return answer_stateless(ua, m, rc, src);
		}
	}
	rc = sipdp_tsx_recv(ua->tt, m, src, now_us);
	if (rc == -EXDEV)
		return -EXDEV;
	if (rc < 0) {
		ua->stats.rx_bad++;
		if (m->is_request && m->method != SIPDP_METHOD_ACK)
			return answer_stateless(ua, m, 400, src);
		return -EBADMSG;
	}
	return 0;
}

/* --------------------------------------------------------- inspection */

int
sipdp_ua_id_shard(struct sipdp_str id, uint16_t *shard)
{
	return sipdp_dlg_id_shard(id, shard);
}

int
sipdp_ua_set_app(struct sipdp_ua *ua, sipdp_handle_t h, uint64_t app)
{
	struct sipdp_dlg *d = ua_get(ua, h);

	if (d == NULL)
		return -ENOENT;
	ua_sess(d)->app = app;
	return 0;
}

int
sipdp_ua_dlg_info(const struct sipdp_ua *ua, sipdp_handle_t h, struct sipdp_ua_dlg_info *info)
{
	struct sipdp_dlg *d = ua_get(ua, h);

	if (d == NULL || info == NULL)
		return -ENOENT;
	info->state = d->state;
	info->role = d->role;
	info->confirmed = (ua_sess(d)->flags & US_CONFIRMED) != 0;
	info->local_cseq = d->local_cseq;
	info->remote_cseq = d->remote_cseq;
	info->call_id = sipdp_dlg_str(d, d->call_id);
	info->local_tag = sipdp_dlg_str(d, d->local_tag);
	info->remote_tag = (d->flags & SIPDP_DLG_F_HAS_RTAG) ? sipdp_dlg_str(d, d->remote_tag)
							      : SIPDP_STR_NULL;
	info->remote_target = sipdp_dlg_str(d, d->target);
	info->route = sipdp_dlg_str(d, d->route);
	info->app = ua_sess(d)->app;
	return 0;
}

const struct sipdp_dlg *
sipdp_ua_dlg(const struct sipdp_ua *ua, sipdp_handle_t h)
{
	return ua_get(ua, h);
}

const struct sipdp_ua_stats *
sipdp_ua_stats(const struct sipdp_ua *ua)
{
	return &ua->stats;
}

uint32_t
sipdp_ua_dialog_count(const struct sipdp_ua *ua)
{
	return sipdp_dlg_count(ua->dt);
}

uint32_t
sipdp_ua_tsx_count(const struct sipdp_ua *ua)
{
	return sipdp_tsx_count(ua->tt);
}

uint32_t
sipdp_ua_timer_count(const struct sipdp_ua *ua)
{
	return sipdp_timer_count(ua->wheel);
}
