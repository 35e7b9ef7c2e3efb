/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transfer records and the implicit REFER subscription (RFC 3515 §2.4.4-
 * §2.4.7, RFC 6665): the bounded table, the expiry / BYE-wait timer, NOTIFY
 * sent (transferee, one in flight at a time so CSeq order survives UDP
 * retransmissions; a newer provisional supersedes a queued one, the final
 * supersedes both) and received (transferor), the hooks on the new call's
 * events and on the end of a dialog. Every path ends in ux_free(): the
 * table never leaks whatever the peer does.
 */
#include "ua_xfer_pvt.h"

static const struct sipdp_str s_notify = SIPDP_STR("NOTIFY");
static const struct sipdp_str s_sipfrag = SIPDP_STR("message/sipfrag;version=2.0");

/* ------------------------------------------------------------ records */

struct ux *
ux_alloc(struct sipdp_ua *ua, struct sipdp_dlg *d, uint8_t role, uint32_t id)
{
	struct ua_xfer *xf = ua->xfer;
	struct ua_sess *s = ua_sess(d);
	struct ux *x;
	void *elt;
	sipdp_handle_t h = sipdp_pool_alloc(xf->pool, &elt);

	if (h == SIPDP_HANDLE_INVALID)
		return NULL;
	x = elt;
	memset(x, 0, offsetof(struct ux, buf));
	x->self = h;
	x->dlg = sipdp_dlg_handle(ua->dt, d);
	x->role = role;
	x->id = id;
	x->next = s->xsub;
	s->xsub = sipdp_handle_index(h) + 1;
	xf->st.xfer_live++;
	return x;
}

void
ux_sub_start(struct sipdp_ua *ua, struct ux *x)
{
	if (!(x->flags & UXF_SUB)) {
		x->flags |= UXF_SUB;
		ua->xfer->st.subs_live++;
	}
}

void
ux_sub_stop(struct sipdp_ua *ua, struct ux *x)
{
	if (x->flags & UXF_SUB) {
		x->flags &= (uint16_t)~UXF_SUB;
		ua->xfer->st.subs_live--;
	}
}

static void
unlink_call(struct sipdp_ua *ua, struct ux *x)
{
	struct sipdp_dlg *c = x->call ? sipdp_dlg_get(ua->dt, x->call) : NULL;

	if (c != NULL && ua_sess(c)->xlink == x->self) {
		ua_sess(c)->xflags &= (uint16_t)~UX_CALL;
		ua_sess(c)->xlink = SIPDP_HANDLE_INVALID;
	}
	x->call = SIPDP_HANDLE_INVALID;
}

void
ux_free(struct sipdp_ua *ua, struct ux *x)
{
	struct ua_xfer *xf = ua->xfer;
	struct sipdp_dlg *d = sipdp_dlg_get_any(ua->dt, x->dlg);
	uint32_t me = sipdp_handle_index(x->self) + 1;

	if (d != NULL) {
		uint32_t *pp = &ua_sess(d)->xsub;
		while (*pp != 0 && *pp != me)
			pp = &((struct ux *)sipdp_pool_at(xf->pool, *pp - 1))->next;
		if (*pp == me)
			*pp = x->next;
	}
	if (x->timer != SIPDP_TIMER_HANDLE_INVALID)
		sipdp_timer_stop(ua->wheel, x->timer);
	if (x->req_tsx != SIPDP_HANDLE_INVALID)
		ua_mb_release(ua, &ua_side(ua, x->req_tsx)->mbuf);
	unlink_call(ua, x);
	ux_sub_stop(ua, x);
	xf->st.xfer_live--;
	sipdp_pool_free(xf->pool, x->self);
}

void
ux_timer_update(struct sipdp_ua *ua, struct ux *x)
{
	uint64_t at = x->expires_at;

	if (x->bye_at && (!at || x->bye_at < at))
		at = x->bye_at;
	if (x->timer != SIPDP_TIMER_HANDLE_INVALID) {
		sipdp_timer_stop(ua->wheel, x->timer);
		x->timer = SIPDP_TIMER_HANDLE_INVALID;
	}
	if (at && sipdp_timer_start(ua->wheel, at, x->self, UA_XFER_TIMER_KIND, &x->timer) != 0)
		ua->stats.timer_errors++;
}

void
ux_emit(struct sipdp_ua *ua, struct ux *x, uint8_t type, uint8_t result, uint16_t status,
	const struct sipdp_msg *m)
{
	struct sipdp_dlg *d = sipdp_dlg_get(ua->dt, x->dlg);
	struct sipdp_ua_xfer_event ev = {
		.type = type,
		.result = result,
		.status = status,
		.xfer = x->self,
		.dlg = x->dlg,
		.app = x->role == UX_TRANSFEROR ? x->app : (d ? ua_sess(d)->app : 0),
		.msg = m,
	};

	ua->xfer->cb(ua->user, &ev);
}

void
ux_done(struct sipdp_ua *ua, struct ux *x, uint8_t result, uint16_t status, bool refer_failed,
	const struct sipdp_msg *m, uint64_t now_us)
{
	struct sipdp_ua_xfer_event ev = {
		.type = SIPDP_UA_XFER_EV_DONE,
		.result = result,
		.refer_failed = refer_failed,
		.status = status,
		.xfer = x->self,
		.dlg = x->dlg,
		.app = x->app,
		.msg = m,
	};

	(void)now_us;
	if (result == SIPDP_UA_XFER_SUCCESS)
		ua->xfer->st.transfers_ok++;
	else if (result == SIPDP_UA_XFER_FAILED)
		ua->xfer->st.transfers_failed++;
	/* Freed first: the application may end the dialog from the callback,
	 * and that must not find this record again. */
	ux_free(ua, x);
	ua->xfer->cb(ua->user, &ev);
}

void
ux_finish(struct sipdp_ua *ua, struct ux *x, uint64_t now_us)
{
	sipdp_handle_t self = x->self;
	struct sipdp_dlg *d;
	uint8_t result;
	uint16_t st;

	unlink_call(ua, x);
	ux_sub_stop(ua, x);
	if (!(x->flags & UXF_REPORTED)) {
		x->flags |= UXF_REPORTED;
		if (x->flags & UXF_SUCCESS) {
			result = SIPDP_UA_XFER_SUCCESS;
			st = x->final_status;
		} else if (x->final_status >= 300) {
			result = SIPDP_UA_XFER_FAILED;
			st = x->final_status;
		} else {
			result = SIPDP_UA_XFER_UNKNOWN;
			st = x->status;
		}
		ux_emit(ua, x, SIPDP_UA_XFER_EV_ENDED, result, st, NULL);
		x = ux_get(ua, self);
		if (x == NULL)
			return;
	}
	d = ua_get(ua, x->dlg);
	if ((x->flags & UXF_SUCCESS) && d != NULL && !(x->flags & (UXF_BYE_WAIT | UXF_EXTERNAL))) {
		/* RFC 5589 §6: the transferor normally ends the dialog once the
		 * NOTIFY says 2xx; if it does not, we do (no dialog is left
		 * behind by a transfer). */
		x->flags |= UXF_BYE_WAIT;
		x->expires_at = 0;
		x->bye_at = now_us + (uint64_t)ua->xfer->bye_wait_ms * 1000u;
		ux_timer_update(ua, x);
		return;
	}
	ux_free(ua, x);
}

/* ------------------------------------------------------------ sending */

int
ux_send_in_dialog(struct sipdp_ua *ua, struct sipdp_dlg *d, enum sipdp_method method,
		  struct sipdp_str mname, struct sipdp_str extra, struct sipdp_str ctype,
		  struct sipdp_str body, uint8_t kind, uint64_t ref, uint32_t *cseq_out, uint64_t now_us)
{
	char br[SIPDP_TSX_BRANCH_LEN];
	struct sipdp_tsx_dest dest;
	sipdp_handle_t h = sipdp_dlg_handle(ua->dt, d), tsx;
	uint32_t cseq = d->local_cseq + 1;
	int rc, len;

	rc = sipdp_tsx_client_alloc(ua->tt, method, cseq, h, br, &tsx);
	if (rc != 0) {
		ua->stats.tsx_full++;
		return -ENOSPC;
	}
	/* REFER and NOTIFY are target refresh requests: Contact goes in. */
	len = ua_build_request(ua, ua->out, d, mname, cseq, br, sizeof(br), extra, ctype, body, true);
	if (len < 0) {
		sipdp_tsx_client_abort(ua->tt, tsx);
		return len;
	}
	d->local_cseq = cseq;
	ua_side(ua, tsx)->kind = kind;
	ua_side(ua, tsx)->ref = ref;
	if (cseq_out)
		*cseq_out = cseq;
	if (kind == UA_TK_NOTIFY_OUT) {
		struct ux *x = ux_get(ua, ref);
		if (x != NULL)
			x->notify_tsx = tsx;
	}
	ua_next_hop(ua, d, &dest);
	rc = sipdp_tsx_client_send(ua->tt, tsx, ua->out, (uint32_t)len, &dest, now_us);
	if (rc == -ENOBUFS) {
		struct ux *x = ux_get(ua, ref);
		if (kind == UA_TK_NOTIFY_OUT && x != NULL && x->notify_tsx == tsx)
			x->notify_tsx = SIPDP_HANDLE_INVALID;
		ua_side(ua, tsx)->kind = UA_TK_NONE;
		sipdp_tsx_client_abort(ua->tt, tsx);
		return -ENOSPC;
	}
	return rc < 0 ? rc : 0;
}

static uint32_t
put_lit(char *p, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);

	memcpy(p, s, n);
	return n;
}

/* Send the next NOTIFY of @x when none is in flight. */
static void
notify_next(struct sipdp_ua *ua, struct ux *x, uint64_t now_us)
{
	char extra[160], body[96];
	uint32_t n = 0, bn = 0;
	uint16_t status;
	bool final;
	sipdp_handle_t self = x->self;
	struct sipdp_dlg *d;
	int rc;

	if (x->flags & UXF_FINAL) {
		if (x->flags & UXF_FINAL_SENT)
			return;
		status = x->final_status;
		final = true;
	} else if (x->queued) {
		status = x->queued;
		final = false;
	} else {
		return;
	}
	d = ua_get(ua, x->dlg);
	if (d == NULL) {
		ux_finish(ua, x, now_us);
		return;
	}
	n += put_lit(extra + n, "Event: refer;id=");
	n += sipdp_u32_to_dec(extra + n, x->id);
	if (final) {
		n += put_lit(extra + n, "\r\nSubscription-State: terminated;reason=");
		n += put_lit(extra + n, x->reason ? "timeout\r\n" : "noresource\r\n");
	} else {
		uint64_t left = x->expires_at > now_us ? (x->expires_at - now_us + 999999u) / 1000000u : 0;
		n += put_lit(extra + n, "\r\nSubscription-State: active;expires=");
		n += sipdp_u32_to_dec(extra + n, (uint32_t)left);
		n += put_lit(extra + n, "\r\n");
	}
	/* RFC 3515 §2.4.5: the body is the status line of the response. */
	bn += put_lit(body, "SIP/2.0 ");
	bn += sipdp_u32_to_dec(body + bn, status);
	body[bn++] = ' ';
	{
		const char *ph = sipdp_reason_phrase(status);
		uint32_t pl = (uint32_t)strlen(ph);
		if (pl > sizeof(body) - bn - 2)
			pl = (uint32_t)(sizeof(body) - bn - 2);
		memcpy(body + bn, ph, pl);
		bn += pl;
	}
	body[bn++] = '\r';
	body[bn++] = '\n';
	if (final)
		x->flags |= UXF_FINAL_SENT;
	else
		x->queued = 0;
	x->status = status;
	ua->xfer->st.notifies_out++;
	rc = ux_send_in_dialog(ua, d, SIPDP_METHOD_NOTIFY, s_notify, sipdp_str_make(extra, n), s_sipfrag,
			       sipdp_str_make(body, bn), UA_TK_NOTIFY_OUT, self, NULL, now_us);
	x = ux_get(ua, self);
	if (rc < 0 && x != NULL && x->notify_tsx == SIPDP_HANDLE_INVALID && final)
		ux_finish(ua, x, now_us); /* could not tell: the subscription ends anyway */
}

void
ux_notify(struct sipdp_ua *ua, struct ux *x, uint16_t status, bool final, uint64_t now_us)
{
	if (!(x->flags & UXF_SUB) || (x->flags & UXF_FINAL))
		return;
	if (final) {
		x->flags |= UXF_FINAL;
		x->final_status = status;
		x->queued = 0;
	} else {
		x->queued = status;
	}
	if (x->notify_tsx == SIPDP_HANDLE_INVALID)
		notify_next(ua, x, now_us);
}

/* Response to our NOTIFY (transferee). */
static void
notify_response(struct sipdp_ua *ua, struct ux *x, const struct sipdp_tsx_event *ev, uint64_t now_us)
{
	uint16_t st = ev->msg ? ev->msg->status : 408;

	if (x->notify_tsx != ev->tsx || st < 200)
		return;
	x->notify_tsx = SIPDP_HANDLE_INVALID;
	if (st >= 300) {
		/* RFC 6665 §4.1.3 / RFC 5057 §5.2: a failed NOTIFY (481, 408,
		 * ...) ends the subscription, not the dialog; the INVITE to
		 * the target goes on as a plain call. */
		ux_finish(ua, x, now_us);
		return;
	}
	if ((x->flags & UXF_FINAL) && (x->flags & UXF_FINAL_SENT)) {
		ux_finish(ua, x, now_us);
		return;
	}
	notify_next(ua, x, now_us);
}

void
ua_xfer_response(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us)
{
	struct ua_tside *side = ua_side(ua, ev->tsx);
	struct ux *x = ux_get(ua, side->ref);

	if (x == NULL)
		return;
	if (side->kind == UA_TK_NOTIFY_OUT)
		notify_response(ua, x, ev, now_us);
	else if (side->kind == UA_TK_REFER_OUT && x->role == UX_TRANSFEROR)
		ux_refer_response(ua, x, ev, now_us);
}

/* ----------------------------------------------------- NOTIFY received */

static struct ux *
find_sub(struct sipdp_ua *ua, struct sipdp_dlg *d, struct sipdp_str id)
{
	struct ux *x, *oldest = NULL;
	uint32_t i, num = 0;
	bool has_id = sipdp_str_present(id);

	if (has_id && sipdp_str_to_u32(id, 0x7fffffffu, &num) != 0)
		return NULL;
	for (i = ua_sess(d)->xsub; i != 0; i = x->next) {
		x = sipdp_pool_at(ua->xfer->pool, i - 1);
		if (x->role != UX_TRANSFEROR)
			continue;
		if (has_id && x->id == num)
			return x;
		oldest = x; /* records are pushed at the head: the last is the oldest */
	}
	/* RFC 3515 §2.4.6: a NOTIFY without id is for the first REFER. */
	return has_id ? NULL : oldest;
}

static int
sipfrag_status(struct sipdp_str body, uint16_t *status)
{
	uint32_t v = 0;

	if (body.len < 11 || memcmp(body.p, "SIP/2.0 ", 8) != 0)
		return -EBADMSG;
	for (int i = 8; i < 11; i++) {
		if (body.p[i] < '0' || body.p[i] > '9')
			return -EBADMSG;
		v = v * 10 + (uint32_t)(body.p[i] - '0');
	}
	if (v < 100 || v > 699)
		return -EBADMSG;
	*status = (uint16_t)v;
	return 0;
}

bool
ux_notify_in(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_tsx_event *ev,
	     uint64_t now_us)
{
	const struct sipdp_msg *m = ev->msg;
	struct sipdp_event e;
	struct sipdp_subscription_state ss;
	struct ux *x;
	sipdp_handle_t dh = sipdp_dlg_handle(ua->dt, d), self;
	uint16_t code;
	uint8_t bye;

	if (sipdp_event_parse(sipdp_msg_hdr_value(m, SIPDP_HDR_EVENT), &e) != 0 ||
	    !sipdp_str_caseeq_lit(e.type, "refer"))
		return false; /* another package: the application's business */
	ua_side(ua, ev->tsx)->kind = UA_TK_XFER_IN;
	x = find_sub(ua, d, e.id);
	if (x == NULL) {
		ua->xfer->st.notify_481++;
		ua_respond_tsx(ua, ev->tsx, d, 481, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL, false,
			       now_us);
		return true;
	}
	if (sipdp_subscription_state_parse(sipdp_msg_hdr_value(m, SIPDP_HDR_SUBSCRIPTION_STATE), &ss) !=
		    0 ||
	    sipfrag_status(m->body, &code) != 0) {
		ua_respond_tsx(ua, ev->tsx, d, 400, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL, false,
			       now_us);
		return true;
	}
	ua->xfer->st.notifies_in++;
	sipdp_dlg_refresh_target(ua->dt, d, m);
	ua_respond_tsx(ua, ev->tsx, d, 200, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL, true, now_us);
	self = x->self;
	x = ux_get(ua, self);
	if (x == NULL)
		return true;
	ux_sub_start(ua, x);
	x->status = code;
	bye = x->bye;
	if (code >= 200) {
		bool ok = code < 300;
		ux_done(ua, x, ok ? SIPDP_UA_XFER_SUCCESS : SIPDP_UA_XFER_FAILED, code, false, m, now_us);
		if (ok && bye == SIPDP_UA_XFER_BYE_ON_SUCCESS && ua_get(ua, dh) != NULL)
			sipdp_ua_bye(ua, dh, now_us); /* RFC 5589 §6.1 */
		return true;
	}
	if (ss.state == SIPDP_SUBSTATE_TERMINATED) {
		ux_done(ua, x, SIPDP_UA_XFER_UNKNOWN, code, false, m, now_us);
		return true;
	}
	if (ss.has_expires) {
		/* The notifier ends the subscription at that instant with a
		 * NOTIFY of its own: allow that NOTIFY a transaction's
		 * lifetime (64*T1) before calling the outcome unknown. */
		x->expires_at = now_us + (uint64_t)ss.expires * 1000000u + (uint64_t)ua->t1_ms * 64000u;
		ux_timer_update(ua, x);
	}
	ux_emit(ua, x, SIPDP_UA_XFER_EV_PROGRESS, 0, code, m);
	return true;
}

bool
ua_xfer_request(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_tsx_event *ev,
		uint64_t now_us)
{
	if (ev->msg->method == SIPDP_METHOD_NOTIFY)
		return ux_notify_in(ua, d, ev, now_us);
	ux_refer_in(ua, d, ev, now_us);
	return true;
}

/* -------------------------------------------------------------- timers */

void
ua_xfer_timer(struct sipdp_ua *ua, sipdp_handle_t h, uint64_t now_us)
{
	struct ux *x = ux_get(ua, h);

	if (x == NULL)
		return;
	x->timer = SIPDP_TIMER_HANDLE_INVALID;
	if (x->bye_at && x->bye_at <= now_us) {
		sipdp_handle_t dh = x->dlg;
		ux_free(ua, x);
		if (ua_get(ua, dh) != NULL)
			sipdp_ua_bye(ua, dh, now_us);
		return;
	}
	if (!x->expires_at || x->expires_at > now_us) {
		ux_timer_update(ua, x);
		return;
	}
	x->expires_at = 0;
	if (x->role == UX_TRANSFEROR) {
		/* RFC 6665 §4.1.2.4 (RFC 3515 §2.4.6): no final NOTIFY before
		 * the subscription expired: the outcome is unknown. */
		ua->xfer->st.subs_expired++;
		ux_done(ua, x, SIPDP_UA_XFER_UNKNOWN, 408, false, NULL, now_us);
		return;
	}
	if (!(x->flags & UXF_DECIDED)) {
		/* The application never decided: decline rather than hold the
		 * REFER's transaction and template for ever. */
		struct sipdp_dlg *d = ua_get(ua, x->dlg);
		x->flags |= UXF_DECIDED;
		ua->xfer->st.refers_rejected++;
		if (d != NULL)
			ua_respond_tsx(ua, x->req_tsx, d, 603, SIPDP_STR_NULL, SIPDP_STR_NULL,
				       SIPDP_STR_NULL, false, now_us);
		x = ux_get(ua, h);
		if (x == NULL)
			return;
		x->final_status = 603;
		ux_finish(ua, x, now_us);
		return;
	}
	if (x->flags & UXF_SUB) {
		/* RFC 6665 §4.2.2: the subscription lapsed: say so, the call
		 * to the target carries on on its own. */
		ua->xfer->st.subs_expired++;
		unlink_call(ua, x);
		x->reason = 1;
		if (x->flags & UXF_FINAL) {
			ux_finish(ua, x, now_us);
			return;
		}
		ux_notify(ua, x, x->status, true, now_us);
		x = ux_get(ua, h);
		if (x != NULL) {
			/* Whatever becomes of that NOTIFY, the record goes by
			 * the end of its transaction's lifetime. */
			x->expires_at = now_us + (uint64_t)ua->t1_ms * 64000u;
			ux_timer_update(ua, x);
		}
		return;
	}
	ux_finish(ua, x, now_us);
}

/* ------------------------------------------------- dialog and call hooks */

void
ua_xfer_dialog_end(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us)
{
	struct ua_sess *s = ua_sess(d);

	if (ua->xfer == NULL)
		return;
	if (s->xflags & UX_CALL) {
		struct ux *x = ux_get(ua, s->xlink);
		if (x != NULL)
			x->call = SIPDP_HANDLE_INVALID;
	}
	s->xflags = 0;
	s->xlink = SIPDP_HANDLE_INVALID;
	/* Each pass removes the head record: ux_free() unlinks it. */
	while (s->xsub != 0) {
		struct ux *x = sipdp_pool_at(ua->xfer->pool, s->xsub - 1);
		if (x->role == UX_TRANSFEROR) {
			uint16_t st = x->status ? x->status : ((x->flags & UXF_ACCEPTED) ? 202 : 0);
			ux_done(ua, x, SIPDP_UA_XFER_UNKNOWN, st, false, NULL, now_us);
			continue;
		}
		if (x->req_tsx != SIPDP_HANDLE_INVALID && !(x->flags & UXF_DECIDED)) {
			/* The dialog is going: the undecided REFER is declined. */
			ua_respond_tsx(ua, x->req_tsx, d, 603, SIPDP_STR_NULL, SIPDP_STR_NULL,
				       SIPDP_STR_NULL, false, now_us);
			x->flags |= UXF_DECIDED;
		}
		x->flags |= UXF_BYE_WAIT; /* nothing left to end */
		ux_finish(ua, x, now_us);
		/* ux_finish() may keep a record only for a live dialog: this one is not. */
		if (s->xsub != 0 && sipdp_pool_at(ua->xfer->pool, s->xsub - 1) == x)
			ux_free(ua, x);
	}
}

void
ua_xfer_call_event(struct sipdp_ua *ua, struct sipdp_dlg *d, uint8_t type, uint16_t status)
{
	struct ua_sess *s = ua_sess(d);
	uint64_t now_us = ua->now_us;
	struct ux *x;

	if (s->xflags & UX_REPLACING) {
		sipdp_handle_t old = s->xlink;
		struct sipdp_dlg *od;
		if (type != SIPDP_UA_EV_CONFIRMED)
			return;
		s->xflags &= (uint16_t)~UX_REPLACING;
		s->xlink = SIPDP_HANDLE_INVALID;
		od = ua_get(ua, old);
		if (od == NULL)
			return;
		/* RFC 3891 §3: the new dialog is up: the replaced one ends,
		 * with CANCEL when it is an early dialog we sent, else BYE. */
		ua->xfer->st.replaced_ended++;
		if (od->role == SIPDP_DLG_UAC && od->state != SIPDP_DLG_S_ESTABLISHED)
			sipdp_ua_cancel(ua, old, now_us);
		else
			sipdp_ua_bye(ua, old, now_us);
		return;
	}
	if (!(s->xflags & UX_CALL))
		return;
	x = ux_get(ua, s->xlink);
	if (x == NULL) {
		s->xflags &= (uint16_t)~UX_CALL;
		return;
	}
	if (type == SIPDP_UA_EV_PROVISIONAL) {
		if (status > 100)
			ux_notify(ua, x, status, false, now_us);
		return;
	}
	if (type != SIPDP_UA_EV_ANSWERED && type != SIPDP_UA_EV_FAILED)
		return;
	if (type == SIPDP_UA_EV_ANSWERED) {
		x->flags |= UXF_SUCCESS;
		ua->xfer->st.transfers_ok++;
	} else {
		ua->xfer->st.transfers_failed++;
	}
	unlink_call(ua, x);
	if (x->flags & UXF_SUB) {
		ux_notify(ua, x, status, true, now_us); /* ends the record once answered */
		return;
	}
	x->final_status = status;
	ux_finish(ua, x, now_us);
}
