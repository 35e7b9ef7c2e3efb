/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Call setup across the bridge: the A leg's INVITE becomes a B-leg INVITE
 * to the rule's targets in turn (failover), each with its own ring and
 * answer timers; the first 2xx wins and answers A; when every target has
 * failed A gets the best real failure with a Reason header (RFC 3326).
 * Runs on the owning worker, once per new INVITE and per B-leg final:
 * nothing here allocates, locks or prints.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "call_pvt.h"

struct call_bridge *
call_bridge_get(const struct sipdp_call *c, uint64_t word, sipdp_handle_t *h)
{
	uint32_t idx = (uint32_t)(word & 0xffffffu);
	uint32_t gen24 = (uint32_t)(word >> 24) & 0xffffffu;
	sipdp_handle_t live;

	if (!sipdp_pool_live(c->bridges, idx, &live) || (sipdp_handle_gen(live) & 0xffffffu) != gen24)
		return NULL;
	if (h)
		*h = live;
	return sipdp_pool_at(c->bridges, idx);
}

void
call_stop_timer(struct sipdp_call *c, sipdp_timer_handle_t *t)
{
	if (*t != SIPDP_HANDLE_INVALID)
		(void)sipdp_timer_stop(c->wheel, *t);
	*t = SIPDP_HANDLE_INVALID;
}

void
call_setup_release(struct sipdp_call *c, struct call_bridge *b)
{
	if (b->setup != SIPDP_HANDLE_INVALID && sipdp_pool_free(c->setups, b->setup) == 0)
		c->st.setups_live--;
	b->setup = SIPDP_HANDLE_INVALID;
}

static struct sipdp_str
s_at(const struct call_setup *s, uint32_t off, uint32_t len)
{
	return sipdp_str_make(s->data + off, len);
}

#define SETUP_FROM(s)  s_at((s), 0, (s)->from_len)
#define SETUP_EXTRA(s) s_at((s), (s)->from_len, (s)->extra_len)
#define SETUP_CTYPE(s) s_at((s), (uint32_t)(s)->from_len + (s)->extra_len, (s)->ctype_len)
#define SETUP_BODY(s) \
	s_at((s), (uint32_t)(s)->from_len + (s)->extra_len + (s)->ctype_len, (s)->body_len)

/* True for a header that must never cross, whatever the allow-list says:
 * the ones that carry one side's topology or belong to one leg's
 * transaction, dialog or extensions. */
static bool
hdr_leg_owned(uint8_t id)
{
	switch (id) {
	case SIPDP_HDR_VIA: case SIPDP_HDR_FROM: case SIPDP_HDR_TO: case SIPDP_HDR_CALL_ID:
	case SIPDP_HDR_CSEQ: case SIPDP_HDR_CONTACT: case SIPDP_HDR_MAX_FORWARDS:
	case SIPDP_HDR_CONTENT_LENGTH: case SIPDP_HDR_CONTENT_TYPE: case SIPDP_HDR_ROUTE:
	case SIPDP_HDR_RECORD_ROUTE: case SIPDP_HDR_REQUIRE: case SIPDP_HDR_PROXY_REQUIRE:
	case SIPDP_HDR_SUPPORTED: case SIPDP_HDR_UNSUPPORTED: case SIPDP_HDR_RSEQ:
	case SIPDP_HDR_RACK: case SIPDP_HDR_SESSION_EXPIRES: case SIPDP_HDR_MIN_SE:
	case SIPDP_HDR_REFER_TO: case SIPDP_HDR_REFERRED_BY: case SIPDP_HDR_REFER_SUB:
	case SIPDP_HDR_REPLACES: case SIPDP_HDR_EVENT: case SIPDP_HDR_SUBSCRIPTION_STATE:
	case SIPDP_HDR_ALLOW: case SIPDP_HDR_USER_AGENT: case SIPDP_HDR_SERVER:
		return true;
	default:
		return false;
	}
}

struct sipdp_str
call_allowed_headers(struct sipdp_call *c, const struct sipdp_cfg_bridge *route,
	const struct sipdp_msg *m, struct sipdp_str more)
{
	uint32_t o = 0, cap = sizeof(c->extra);

	if (m != NULL && route->nb_headers != 0) {
		for (uint16_t i = 0; i < m->nhdrs; i++) {
			const struct sipdp_hdr *h = &m->hdrs[i];
			bool allowed = false;

			if (hdr_leg_owned(h->id))
				continue;
			for (uint8_t k = 0; k < route->nb_headers && !allowed; k++)
				allowed = sipdp_str_caseeq(h->name, sipdp_str_cstr(route->headers[k])) ||
					(h->id != SIPDP_HDR_OTHER && strcasecmp(sipdp_hdr_name(h->id),
						route->headers[k]) == 0);
			if (!allowed)
				continue;
			/* A header too long for the buffer is left out whole:
			 * never a cut line. */
			if (o + h->name.len + h->value.len + 4 > cap)
				continue;
			memcpy(c->extra + o, h->name.p, h->name.len);
			o += h->name.len;
			c->extra[o++] = ':';
			c->extra[o++] = ' ';
			if (h->value.len != 0)
				memcpy(c->extra + o, h->value.p, h->value.len);
			o += h->value.len;
			c->extra[o++] = '\r';
			c->extra[o++] = '\n';
		}
	}
	if (more.len != 0 && o + more.len <= cap) {
		memcpy(c->extra + o, more.p, more.len);
		o += more.len;
	}
	return sipdp_str_make(c->extra, o);
}

/* Append @p v at @p o (an empty view may have a NULL pointer). */
static uint32_t
put_str(char *d, uint32_t o, struct sipdp_str v)
{
	if (v.len != 0)
		memcpy(d + o, v.p, v.len);
	return o + v.len;
}

/* Copy what failover needs of the A leg's INVITE into a setup buffer.
 * @return 0, -ENOSPC (no buffer), -EMSGSIZE (too big for one). */
static int
setup_fill(struct sipdp_call *c, struct call_bridge *b, const struct sipdp_msg *m,
	uint32_t max_forwards)
{
	struct sipdp_nameaddr from;
	struct sipdp_uri ruri, furi;
	struct sipdp_str extra, ctype = SIPDP_STR_NULL;
	const struct sipdp_hdr *ct;
	struct call_setup *s;
	uint32_t need, o = 0;
	char *d;

	if (sipdp_msg_from(m, &from) != 0)
		return -EBADMSG;
	if (sipdp_uri_parse(m->ruri, &ruri) != 0)
		ruri.user = ruri.host = SIPDP_STR_NULL;
	if (sipdp_uri_parse(from.uri, &furi) != 0)
		furi.user = SIPDP_STR_NULL;
	ct = sipdp_msg_hdr(m, SIPDP_HDR_CONTENT_TYPE);
	if (ct != NULL)
		ctype = ct->value;
	extra = call_allowed_headers(c, b->route, m, SIPDP_STR_NULL);
	need = from.display.len + from.uri.len + 3 + extra.len + ctype.len + m->body.len +
	       ruri.user.len + ruri.host.len + furi.user.len;
	if (need > c->p.setup_bytes || need > 0xffff)
		return -EMSGSIZE;
	b->setup = sipdp_pool_alloc(c->setups, (void **)&s);
	if (b->setup == SIPDP_HANDLE_INVALID)
		return -ENOSPC;
	c->st.setups_live++;
	d = s->data;
	/* From: the caller's identity crosses, its tag and parameters do not. */
	if (from.display.len != 0) {
		o = put_str(d, o, from.display);
		d[o++] = ' ';
	}
	d[o++] = '<';
	o = put_str(d, o, from.uri);
	d[o++] = '>';
	s->from_len = (uint16_t)o;
	o = put_str(d, o, extra);
	s->extra_len = (uint16_t)extra.len;
	o = put_str(d, o, ctype);
	s->ctype_len = (uint16_t)ctype.len;
	o = put_str(d, o, m->body);
	s->body_len = (uint16_t)m->body.len;
	o = put_str(d, o, ruri.user);
	s->ruri_user_len = (uint16_t)ruri.user.len;
	o = put_str(d, o, ruri.host);
	s->ruri_host_len = (uint16_t)ruri.host.len;
	(void)put_str(d, o, furi.user);
	s->from_user_len = (uint16_t)furi.user.len;
	s->max_forwards = (uint8_t)max_forwards;
	return 0;
}

static void
reject_a(struct sipdp_call *c, struct call_bridge *b, uint16_t status, uint64_t now_us)
{
	char ra[48];
	int n = 0;

	if (status == 503)
		n = snprintf(ra, sizeof(ra), "Retry-After: %u\r\n", c->p.retry_after_s);
	(void)sipdp_ua_reject(c->ua, b->leg[CALL_LEG_A], status, sipdp_str_make(ra, (size_t)n),
		now_us);
}

/* Answer A with the best failure: a real final from a target beats our own
 * 408 for a target that never answered (the misleading 408 of a dead
 * target is what the issue trackers of older B2BUAs complain about). */
static void
fail_a(struct sipdp_call *c, struct call_bridge *b, uint64_t now_us)
{
	uint16_t status = b->best_status ? b->best_status : 503;
	int n;

	c->st.bridges_failed++;
	n = snprintf(c->reason, sizeof(c->reason), "Reason: SIP;cause=%u\r\n", status);
	if (status == 503)
		n += snprintf(c->reason + n, sizeof(c->reason) - (size_t)n, "Retry-After: %u\r\n",
			c->p.retry_after_s);
	(void)sipdp_ua_reject(c->ua, b->leg[CALL_LEG_A], status,
		sipdp_str_make(c->reason, (size_t)n), now_us);
}

static void
arm(struct sipdp_call *c, sipdp_handle_t bh, sipdp_timer_handle_t *t, uint64_t at, uint16_t kind)
{
	call_stop_timer(c, t);
	if (sipdp_timer_start(c->wheel, at, call_word(bh, 0, 0), kind, t) != 0)
		*t = SIPDP_HANDLE_INVALID;
}

/* Send the INVITE of the next target in this call's order. Ends in a sent
 * INVITE, or in A's final answer when no target is left. */
void
call_bridge_try_next(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh, uint64_t now_us)
{
	const struct sipdp_cfg_bridge *r = b->route;
	const struct call_setup *s = sipdp_pool_get(c->setups, b->setup);

	while (s != NULL && (b->next < b->nb_order || s->has_redirect)) {
		const struct sipdp_cfg_target *t;
		struct sipdp_ua_invite inv = { 0 };
		sipdp_handle_t dlg;
		uint16_t idx;
		int n, rc;

		if (s->has_redirect) {
			/* A 3xx being followed: its Contact, once, no health. */
			((struct call_setup *)s)->has_redirect = false;
			t = &s->redirect;
			idx = CALL_TARGET_REDIRECT;
		} else {
			const struct call_health *h;

			t = &r->targets[b->order[b->next++]];
			h = call_health_of(c, t, false);
			/* A target marked down after this call's order was
			 * made is skipped too (but the last one is tried). */
			if (h != NULL && h->down && b->next < b->nb_order)
				continue;
			idx = (uint16_t)(t - r->targets);
		}
		n = call_expand_uri(c, t->uri, s);
		if (n < 0) {
			b->best_status = b->best_status ? b->best_status : 500;
			continue;
		}
		if (b->cur_target != UINT16_MAX)
			c->st.failovers++;
		b->cur_target = idx;
		b->flags &= (uint8_t)~(CALL_F_GOT_1XX | CALL_F_RING_CANCEL);
		n = snprintf(c->to, sizeof(c->to), "<%s>", c->ruri);
		inv.ruri = sipdp_str_cstr(c->ruri);
		inv.from = SETUP_FROM(s);
		inv.to = sipdp_str_make(c->to, (size_t)n);
		inv.extra = SETUP_EXTRA(s);
		inv.ctype = SETUP_CTYPE(s);
		inv.body = SETUP_BODY(s);
		b->attempt++;
		inv.app = call_word_b(bh, b->attempt);
		inv.max_forwards = s->max_forwards;
		if (r->session_timer.enabled) {
			inv.session_expires_s = r->session_timer.expires;
			inv.min_se_s = r->session_timer.min_se;
			inv.refresher = r->session_timer.refresher == SIPDP_CFG_REFRESHER_UAC ?
				SIPDP_UA_REFRESHER_UAC : r->session_timer.refresher ==
				SIPDP_CFG_REFRESHER_UAS ? SIPDP_UA_REFRESHER_UAS : 0;
		} else {
			inv.session_expires_s = UINT32_MAX;
		}
		inv.rel100 = r->prack == SIPDP_CFG_PRACK_OFF ? SIPDP_UA_INVITE_100REL_OFF :
			r->prack == SIPDP_CFG_PRACK_REQUIRED ? SIPDP_UA_INVITE_100REL_REQUIRED :
			SIPDP_UA_INVITE_100REL_SUPPORTED;
		call_target_dest(c, t, &inv.dest);
		rc = sipdp_ua_invite(c->ua, &inv, now_us, &dlg);
		if (rc != 0) {
			/* Our own table full or a send error: this target
			 * was not tried, the next may be. */
			c->st.b_send_errors++;
			if (rc != -ENOSPC)
				call_health_result(c, r, t, false, now_us);
			if (b->best_status == 0)
				b->best_status = 503;
			continue;
		}
		b->b_head = dlg;
		b->leg[CALL_LEG_B] = dlg;
		arm(c, bh, &b->t_ring, now_us + (uint64_t)r->ring_timeout_ms * 1000, CALL_T_RING);
		arm(c, bh, &b->t_answer, now_us + (uint64_t)r->answer_timeout_ms * 1000,
			CALL_T_ANSWER);
		return;
	}
	b->leg[CALL_LEG_B] = SIPDP_HANDLE_INVALID;
	b->b_head = SIPDP_HANDLE_INVALID;
	call_stop_timer(c, &b->t_ring);
	call_stop_timer(c, &b->t_answer);
	call_setup_release(c, b);
	b->state = CALL_ENDING;
	/* A's on_terminated frees the bridge. */
	fail_a(c, b, now_us);
}

/* True when the top Via of @p m carries one of our branches: our own B-leg
 * INVITE came back to us (a route that loops through other boxes). */
static bool
looped(const struct sipdp_call *c, const struct sipdp_msg *m)
{
	struct sipdp_via via;

	return sipdp_msg_top_via(m, &via) == 0 && via.branch.len != 0 &&
	       sipdp_tsx_branch_ours(sipdp_ua_tsx_table(c->ua), via.branch);
}

int
sipdp_call_bridge(struct sipdp_call *c, const struct sipdp_ua_event *ev,
	const struct sipdp_cfg_bridge *route, uint64_t bridge_user, uint64_t now_us)
{
	struct call_bridge *b;
	sipdp_handle_t bh;
	uint32_t mf = 70;
	int rc;

	if (c == NULL || ev == NULL || ev->type != SIPDP_UA_EV_INCOMING || ev->msg == NULL ||
	    route == NULL || route->nb_targets == 0)
		return -EINVAL;
	c->st.bridges_in++;
	rc = sipdp_msg_max_forwards(ev->msg, &mf);
	if (rc == 0 && mf == 0) {
		c->st.too_many_hops_483++;
		(void)sipdp_ua_reject(c->ua, ev->dlg, 483, SIPDP_STR_NULL, now_us);
		return 0;
	}
	if (rc != 0)
		mf = 70;
	if (looped(c, ev->msg)) {
		c->st.loop_482++;
		(void)sipdp_ua_reject(c->ua, ev->dlg, 482, SIPDP_STR_NULL, now_us);
		return 0;
	}
	/* The A leg's 100rel against the rule, before anything is spent
	 * (RFC 3262 §4): a caller that requires it where the rule has it off
	 * gets 420, one without it where the rule requires it gets 421. */
	if (route->prack == SIPDP_CFG_PRACK_OFF &&
	    sipdp_msg_has_option(ev->msg, SIPDP_HDR_REQUIRE, SIPDP_STR("100rel"))) {
		(void)sipdp_ua_reject(c->ua, ev->dlg, 420, SIPDP_STR("Unsupported: 100rel\r\n"), now_us);
		return 0;
	}
	if (route->prack == SIPDP_CFG_PRACK_REQUIRED &&
	    !sipdp_msg_has_option(ev->msg, SIPDP_HDR_REQUIRE, SIPDP_STR("100rel")) &&
	    !sipdp_msg_has_option(ev->msg, SIPDP_HDR_SUPPORTED, SIPDP_STR("100rel"))) {
		(void)sipdp_ua_reject(c->ua, ev->dlg, 421, SIPDP_STR("Require: 100rel\r\n"), now_us);
		return 0;
	}
	bh = sipdp_pool_alloc(c->bridges, (void **)&b);
	if (bh == SIPDP_HANDLE_INVALID) {
		c->st.full_503++;
		(void)sipdp_ua_reject(c->ua, ev->dlg, 503, SIPDP_STR("Retry-After: 5\r\n"), now_us);
		return 0;
	}
	memset(b, 0, sizeof(*b));
	b->state = CALL_SETUP;
	b->route = route;
	b->user = bridge_user;
	b->leg[CALL_LEG_A] = ev->dlg;
	b->pend_leg = CALL_LEGS;
	b->cur_target = UINT16_MAX;
	c->st.bridges_live++;
	(void)sipdp_ua_set_app(c->ua, ev->dlg, call_word(bh, CALL_LEG_A, 0));

	rc = setup_fill(c, b, ev->msg, mf - 1);
	if (rc != 0) {
		if (rc == -ENOSPC)
			c->st.full_503++;
		b->state = CALL_ENDING;
		reject_a(c, b, rc == -ENOSPC ? 503 : 500, now_us);
		return 1;
	}
	if (call_route_order(c, b, now_us) == 0) {
		c->st.all_down_503++;
		call_setup_release(c, b);
		b->state = CALL_ENDING;
		reject_a(c, b, 503, now_us);
		return 1;
	}
	/* The A leg's own extensions, per the rule. */
	if (route->session_timer.enabled)
		(void)sipdp_ua_session_timer(c->ua, ev->dlg, route->session_timer.expires,
			route->session_timer.refresher == SIPDP_CFG_REFRESHER_UAC ?
			SIPDP_UA_REFRESHER_UAC : route->session_timer.refresher ==
			SIPDP_CFG_REFRESHER_UAS ? SIPDP_UA_REFRESHER_UAS : 0);
	else
		(void)sipdp_ua_session_timer(c->ua, ev->dlg, UINT32_MAX, 0);
	if (route->prack == SIPDP_CFG_PRACK_OFF)
		(void)sipdp_ua_rel100_off(c->ua, ev->dlg);
	call_bridge_try_next(c, b, bh, now_us);
	return 1;
}

/* End @p leg of the bridge: BYE once it is a dialog, CANCEL while our
 * INVITE is pending, a final answer while A is unanswered. */
void
call_end_leg(struct sipdp_call *c, struct call_bridge *b, unsigned leg, uint16_t status,
	uint64_t now_us)
{
	sipdp_handle_t d = b->leg[leg];
	struct sipdp_ua_dlg_info info;

	if (d == SIPDP_HANDLE_INVALID || sipdp_ua_dlg_info(c->ua, d, &info) != 0)
		return;
	if (info.role == SIPDP_DLG_UAS && info.state != SIPDP_DLG_S_ESTABLISHED) {
		(void)sipdp_ua_reject(c->ua, d, status ? status : 480, SIPDP_STR_NULL, now_us);
		return;
	}
	if (info.role == SIPDP_DLG_UAC && info.state != SIPDP_DLG_S_ESTABLISHED) {
		sipdp_handle_t head = leg == CALL_LEG_B && b->b_head ? b->b_head : d;

		if (sipdp_ua_cancel(c->ua, head, now_us) == 0)
			return;
	}
	(void)sipdp_ua_bye(c->ua, d, now_us);
}

void
call_bridge_maybe_free(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh)
{
	for (unsigned l = 0; l < CALL_LEGS; l++)
		if (b->leg[l] != SIPDP_HANDLE_INVALID)
			return;
	if (b->b_head != SIPDP_HANDLE_INVALID)
		return;
	call_stop_timer(c, &b->t_ring);
	call_stop_timer(c, &b->t_answer);
	call_stop_timer(c, &b->t_max);
	call_setup_release(c, b);
	if (sipdp_pool_free(c->bridges, bh) == 0) {
		c->st.bridges_live--;
		if (c->p.released != NULL)
			c->p.released(c->p.user, b->user);
	}
}

/* One leg is gone: end every other one, then free when all are gone. */
void
call_bridge_end(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh, uint64_t now_us)
{
	b->state = CALL_ENDING;
	call_stop_timer(c, &b->t_ring);
	call_stop_timer(c, &b->t_answer);
	call_stop_timer(c, &b->t_max);
	call_setup_release(c, b);
	if (b->xfer_bye != SIPDP_HANDLE_INVALID) {
		/* A joined transferor still waiting for its final NOTIFY's
		 * answer: no bridge will be left to end its dialog then. */
		(void)sipdp_ua_bye(c->ua, b->xfer_bye, now_us);
		b->xfer_bye = SIPDP_HANDLE_INVALID;
	}
	for (unsigned l = 0; l < CALL_LEGS; l++)
		call_end_leg(c, b, l, 0, now_us);
	call_bridge_maybe_free(c, b, bh);
}

static void
timer_fired(void *arg, const struct sipdp_timer_event *ev)
{
	struct sipdp_call *c = arg;
	struct call_bridge *b;
	sipdp_handle_t bh;
	uint64_t now_us = ev->due_us;

	if (ev->kind == CALL_T_PROBE) {
		call_probe_fire(c, (uint32_t)ev->user, now_us);
		return;
	}
	b = call_bridge_get(c, ev->user, &bh);
	if (b == NULL)
		return;
	switch (ev->kind) {
	case CALL_T_RING:
		b->t_ring = SIPDP_HANDLE_INVALID;
		if (b->state != CALL_SETUP || (b->flags & CALL_F_GOT_1XX))
			return;
		c->st.ring_timeouts++;
		goto give_up;
	case CALL_T_ANSWER:
		b->t_answer = SIPDP_HANDLE_INVALID;
		if (b->state != CALL_SETUP)
			return;
		c->st.answer_timeouts++;
		goto give_up;
	case CALL_T_MAX:
		b->t_max = SIPDP_HANDLE_INVALID;
		c->st.max_duration_ends++;
		call_bridge_end(c, b, bh, now_us);
		return;
	default:
		return;
	}
give_up:
	/* This target is given up: CANCEL it; its 487 (or whatever final
	 * wins the race) moves the call on to the next target. */
	b->flags |= CALL_F_RING_CANCEL;
	call_stop_timer(c, &b->t_ring);
	call_stop_timer(c, &b->t_answer);
	if (b->cur_target < b->route->nb_targets)
		call_health_result(c, b->route, &b->route->targets[b->cur_target], false, now_us);
	if (b->best_status == 0)
		b->best_status = 408;
	/* Move on now: a CANCEL for a target that sent no provisional waits
	 * for one (RFC 3261 §9.1), and its INVITE transaction ends by
	 * itself; whatever that attempt reports later is ignored. */
	(void)sipdp_ua_cancel(c->ua, b->b_head, now_us);
	b->b_head = SIPDP_HANDLE_INVALID;
	b->leg[CALL_LEG_B] = SIPDP_HANDLE_INVALID;
	call_bridge_try_next(c, b, bh, now_us);
}

int
sipdp_call_expire(struct sipdp_call *c, uint64_t now_us, uint32_t max)
{
	return sipdp_timer_expire(c->wheel, now_us, timer_fired, c, max);
}

int
sipdp_call_next_expiry(const struct sipdp_call *c, uint64_t *at_us)
{
	return sipdp_timer_next_expiry(c->wheel, at_us);
}

bool
sipdp_call_owns_ref(uint64_t req_ref)
{
	return sipdp_call_app_is_bridge(req_ref) && (req_ref & CALL_W_PROBE);
}

/* ----------------------------------------------------------- B leg setup */

static void
b_provisional(struct sipdp_call *c, struct call_bridge *b, const struct sipdp_ua_event *ev,
	uint64_t now_us)
{
	const struct sipdp_hdr *ct;
	struct sipdp_str ctype = SIPDP_STR_NULL, body = SIPDP_STR_NULL, extra;

	if (b->state != CALL_SETUP)
		return;
	if (!(b->flags & CALL_F_GOT_1XX)) {
		b->flags |= CALL_F_GOT_1XX;
		call_stop_timer(c, &b->t_ring);
		if (b->cur_target < b->route->nb_targets)
			call_health_result(c, b->route, &b->route->targets[b->cur_target], true, now_us);
	}
	if (ev->msg == NULL || ev->status == 100)
		return;
	ct = sipdp_msg_hdr(ev->msg, SIPDP_HDR_CONTENT_TYPE);
	if (ct != NULL && ev->msg->body.len != 0) {
		ctype = ct->value;
		body = ev->msg->body;
	}
	extra = call_allowed_headers(c, b->route, ev->msg, SIPDP_STR_NULL);
	(void)sipdp_ua_ring_queued(c->ua, b->leg[CALL_LEG_A], ev->status, extra, ctype, body,
		now_us);
}

static void
b_answered(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh,
	const struct sipdp_ua_event *ev, uint64_t now_us)
{
	const struct sipdp_hdr *ct;
	struct sipdp_str ctype = SIPDP_STR_NULL, body = SIPDP_STR_NULL, extra;

	if (ev->retransmission)
		return;
	if ((b->flags & CALL_F_ANSWERED) || b->state != CALL_SETUP) {
		/* A later 2xx of another fork: the UA ACKs it and ends it
		 * with BYE; only one B dialog is bridged (RFC 3261 §13.2.2.4). */
		if (ev->fork)
			c->st.forks_answered_late++;
		return;
	}
	b->flags |= CALL_F_ANSWERED;
	b->leg[CALL_LEG_B] = ev->dlg;
	/* Nothing is pending on the B side any more: the other forks end
	 * through the UA (BYE, or their own timers). */
	b->b_head = SIPDP_HANDLE_INVALID;
	call_stop_timer(c, &b->t_ring);
	call_stop_timer(c, &b->t_answer);
	if (b->cur_target < b->route->nb_targets)
		call_health_result(c, b->route, &b->route->targets[b->cur_target], true, now_us);
	if (ev->msg != NULL) {
		ct = sipdp_msg_hdr(ev->msg, SIPDP_HDR_CONTENT_TYPE);
		if (ct != NULL && ev->msg->body.len != 0) {
			ctype = ct->value;
			body = ev->msg->body;
		}
	}
	extra = call_allowed_headers(c, b->route, ev->msg, SIPDP_STR_NULL);
	call_setup_release(c, b);
	if (sipdp_ua_accept(c->ua, b->leg[CALL_LEG_A], ev->status, extra, ctype, body, now_us) != 0) {
		/* A is gone (cancelled in the same instant) or cannot be
		 * answered: the B dialog must not live on alone. */
		call_bridge_end(c, b, bh, now_us);
		return;
	}
	b->state = CALL_UP;
	c->st.bridges_answered++;
	if (b->route->max_duration_s != 0)
		arm(c, bh, &b->t_max, now_us + (uint64_t)b->route->max_duration_s * 1000000,
			CALL_T_MAX);
}

/* Follow a 3xx to its first Contact when the rule says so and it is an
 * IP literal (DNS is not used): one more attempt in this call's order. */
static bool
b_follow_redirect(struct sipdp_call *c, struct call_bridge *b, const struct sipdp_ua_event *ev)
{
	struct call_setup *s = sipdp_pool_get(c->setups, b->setup);
	const struct sipdp_hdr *h = sipdp_msg_hdr(ev->msg, SIPDP_HDR_CONTACT);
	struct sipdp_str cur, host;
	struct sipdp_contact ct;
	struct sipdp_uri u;
	char ip[64];

	if (s == NULL || h == NULL || b->redirects >= CALL_MAX_REDIRECTS)
		return false;
	cur = h->value;
	if (sipdp_contact_next(&cur, &ct) != 1 || ct.star || sipdp_uri_parse(ct.na.uri, &u) != 0 ||
	    (u.host_type != SIPDP_HOST_IPV4 && u.host_type != SIPDP_HOST_IPV6) ||
	    ct.na.uri.len >= sizeof(s->redirect.uri) || sipdp_str_present(u.headers))
		return false;
	host = u.host;
	if (u.host_type == SIPDP_HOST_IPV6 && host.len >= 2) {
		host.p++;
		host.len -= 2;
	}
	if (host.len >= sizeof(ip))
		return false;
	memcpy(ip, host.p, host.len);
	ip[host.len] = 0;
	memset(&s->redirect, 0, sizeof(s->redirect));
	s->redirect.addr.family = u.host_type == SIPDP_HOST_IPV6 ? SIPDP_CFG_IPV6 : SIPDP_CFG_IPV4;
	s->redirect.addr.prefix = u.host_type == SIPDP_HOST_IPV6 ? 128 : 32;
	if (inet_pton(u.host_type == SIPDP_HOST_IPV6 ? AF_INET6 : AF_INET, ip, s->redirect.addr.addr) != 1)
		return false;
	s->redirect.transport = u.scheme == SIPDP_URI_SIPS ? SIPDP_CFG_TP_TLS : SIPDP_CFG_TP_UDP;
	{
		struct sipdp_str tp;

		if (sipdp_param_find(u.params, SIPDP_STR("transport"), &tp) == 0) {
			if (sipdp_str_caseeq_lit(tp, "tcp"))
				s->redirect.transport = SIPDP_CFG_TP_TCP;
			else if (sipdp_str_caseeq_lit(tp, "tls"))
				s->redirect.transport = SIPDP_CFG_TP_TLS;
		}
	}
	s->redirect.port = u.port ? u.port : s->redirect.transport == SIPDP_CFG_TP_TLS ? 5061 : 5060;
	memcpy(s->redirect.uri, ct.na.uri.p, ct.na.uri.len);
	s->redirect.uri[ct.na.uri.len] = 0;
	/* A template variable in a peer's Contact is text, not ours to expand. */
	if (strstr(s->redirect.uri, "${") != NULL)
		return false;
	s->has_redirect = true;
	b->redirects++;
	return true;
}

static void
b_failed(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh,
	const struct sipdp_ua_event *ev, uint64_t now_us)
{
	const struct sipdp_cfg_target *t = b->cur_target < b->route->nb_targets ?
		&b->route->targets[b->cur_target] : NULL; /* NULL: a redirect attempt */
	uint16_t st = ev->status;

	if (ev->dlg != b->b_head)
		return;
	b->b_head = SIPDP_HANDLE_INVALID;
	b->leg[CALL_LEG_B] = SIPDP_HANDLE_INVALID;
	call_stop_timer(c, &b->t_ring);
	call_stop_timer(c, &b->t_answer);
	if (b->state != CALL_SETUP || (b->flags & CALL_F_A_CANCELLED)) {
		call_bridge_maybe_free(c, b, bh);
		return;
	}
	if (st >= 300 && st < 400 && ev->msg != NULL) {
		if (b->route->follow_redirects && b_follow_redirect(c, b, ev)) {
			c->st.redirects_followed++;
			call_bridge_try_next(c, b, bh, now_us);
			return;
		}
		/* Relayed: the Contacts of a redirect are the answer itself. */
		{
			const struct sipdp_hdr *h = sipdp_msg_hdr(ev->msg, SIPDP_HDR_CONTACT);

			call_setup_release(c, b);
			b->state = CALL_ENDING;
			c->st.bridges_failed++;
			(void)sipdp_ua_redirect(c->ua, b->leg[CALL_LEG_A], st,
				h ? h->value : SIPDP_STR_NULL, now_us);
			return;
		}
	}
	if (st == 503 || st == 408 || call_is_failover_code(b->route, st)) {
		if (t != NULL)
			call_health_result(c, b->route, t, false, now_us);
		/* A real answer from a target beats our own timeout; a
		 * 503 is the weakest real answer. */
		if (ev->msg != NULL && (b->best_status == 0 || b->best_status == 408 ||
		    b->best_status == 503))
			b->best_status = st;
		else if (b->best_status == 0)
			b->best_status = st;
		call_bridge_try_next(c, b, bh, now_us);
		return;
	}
	/* Any other final (486, 404, 603...) is the callee's answer: relay it. */
	if (t != NULL && ev->msg != NULL)
		call_health_result(c, b->route, t, true, now_us);
	b->best_status = st;
	call_setup_release(c, b);
	b->state = CALL_ENDING;
	fail_a(c, b, now_us);
}

static void
leg_terminated(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh, unsigned leg,
	const struct sipdp_ua_event *ev, uint64_t now_us)
{
	if (leg == CALL_LEG_B && ev->dlg != b->leg[CALL_LEG_B]) {
		/* A losing fork, or the head of an attempt already failed
		 * over: nothing crosses. */
		if (ev->dlg == b->b_head)
			b->b_head = SIPDP_HANDLE_INVALID;
		call_bridge_maybe_free(c, b, bh);
		return;
	}
	if (b->leg[leg] != ev->dlg) {
		call_bridge_maybe_free(c, b, bh);
		return;
	}
	b->leg[leg] = SIPDP_HANDLE_INVALID;
	if (b->xfer_state != CALL_XFER_NONE && leg == b->xfer_leg) {
		/* The transferor hung up once its REFER was accepted: the
		 * transfer goes on, the remaining leg waits for the target. */
		return;
	}
	if (leg == CALL_LEG_B && b->b_head == ev->dlg)
		b->b_head = SIPDP_HANDLE_INVALID;
	if (leg == CALL_LEG_A && ev->reason == SIPDP_DLG_R_CANCELLED && b->state == CALL_SETUP) {
		/* The caller cancelled (the UA answered 487): CANCEL every
		 * pending B fork through the head. */
		b->flags |= CALL_F_A_CANCELLED;
		c->st.bridges_cancelled++;
	}
	if (b->state == CALL_SETUP && leg == CALL_LEG_B) {
		/* The B dialog ended before its final reached us (a fork
		 * that won then died): the call fails over as for a failure. */
		call_bridge_try_next(c, b, bh, now_us);
		return;
	}
	if (b->state == CALL_UP && (ev->reason == SIPDP_DLG_R_TIMEOUT ||
	    ev->reason == SIPDP_DLG_R_TRANSPORT))
		c->st.leg_died++;
	if ((b->xfer_state == CALL_XFER_JOIN_OFFER || b->xfer_state == CALL_XFER_JOIN_ANSWER) &&
	    leg != CALL_LEG_C) {
		/* Our remaining leg went away mid-join: the other call gets its
		 * leg back, the transferor hears the failure. */
		call_join_fail(c, b, bh, 487, now_us);
		if (call_bridge_get(c, call_word(bh, 0, 0), NULL) == NULL)
			return;
	}
	if (b->xfer_state != CALL_XFER_NONE && b->leg[CALL_LEG_C] != SIPDP_HANDLE_INVALID) {
		/* The remaining leg went away mid-transfer: the target goes
		 * too (call_bridge_end below). */
		b->xfer_state = CALL_XFER_NONE;
		c->st.transfers_failed++;
	}
	call_bridge_end(c, b, bh, now_us);
}

bool
sipdp_call_on_event(struct sipdp_call *c, const struct sipdp_ua_event *ev, uint64_t now_us)
{
	struct call_bridge *b;
	sipdp_handle_t bh;
	unsigned leg;
	uint64_t w = ev->app;

	if (ev->type == SIPDP_UA_EV_RESPONSE && ev->dlg == SIPDP_HANDLE_INVALID) {
		if (!sipdp_call_owns_ref(ev->req_ref))
			return false;
		call_probe_response(c, ev, now_us);
		return true;
	}
	if (!sipdp_call_app_is_bridge(w))
		return false;
	b = call_bridge_get(c, w, &bh);
	if (b == NULL)
		return true; /* a leg of a bridge already freed: nothing crosses */
	leg = call_word_leg(w);
	if (leg == CALL_LEG_B && call_word_attempt(w) != b->attempt && b->state == CALL_SETUP)
		return true; /* an attempt given up: its late news crosses nothing */
	if (leg == CALL_LEG_C || (b->xfer_state != CALL_XFER_NONE && ev->type == SIPDP_UA_EV_RESPONSE &&
	    call_word_ref(ev->req_ref) == CALL_REF_XFER)) {
		if (call_xfer_ua_event(c, b, bh, leg, ev, now_us))
			return true;
	}
	switch (ev->type) {
	case SIPDP_UA_EV_PROVISIONAL:
		if (leg == CALL_LEG_B)
			b_provisional(c, b, ev, now_us);
		break;
	case SIPDP_UA_EV_ANSWERED:
		if (leg == CALL_LEG_B)
			b_answered(c, b, bh, ev, now_us);
		break;
	case SIPDP_UA_EV_FAILED:
		if (leg == CALL_LEG_B)
			b_failed(c, b, bh, ev, now_us);
		break;
	case SIPDP_UA_EV_TERMINATED:
		leg_terminated(c, b, bh, leg, ev, now_us);
		break;
	case SIPDP_UA_EV_CONFIRMED:
		call_xfer_confirmed(c, b, bh, leg, now_us);
		break;
	default:
		call_relay_event(c, b, bh, leg, ev, now_us);
		break;
	}
	return true;
}
