/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transfer, PRACK and session-timer policy per rule. The UA (lib/ua) runs
 * the protocols; what is decided here is per call, from the rule that
 * matched the INVITE:
 *  - 100rel: the stack supports it when any answer rule does; a rule with
 *    prack off turns it off for its calls and refuses a UAC that requires
 *    it (420); a rule with prack required refuses a UAC without it (421).
 *  - session timers: the stack runs them when any answer rule does, with
 *    the smallest Min-SE of those rules; each call gets its rule's
 *    interval and refresher, or none; a Session-Expires below the rule's
 *    own Min-SE gets 422.
 *  - transfer: a REFER in an answered call is accepted (the UA calls the
 *    Refer-To target, NOTIFYs, ends the call on success) or refused with
 *    603; an auto transfer, a while after the ACK, sends a blind REFER,
 *    or calls the target and then REFERs with Replaces (attended).
 * Runs on the UA's lcore at call setup and on transfer events: nothing
 * here allocates, locks, prints or makes a system call.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "sipdp_msg_hdr.h"
#include "call_policy_pvt.h"

void
sipdp_call_xfer_params(const struct sipdp_cfg *cfg, struct sipdp_ua_params *up,
	struct sipdp_ua_xfer_params *xp)
{
	uint32_t se = 0, min_se = 0;

	up->rel100 = SIPDP_UA_100REL_OFF;
	for (uint16_t i = 0; i < cfg->nb_rules; i++) {
		const struct sipdp_cfg_rule *r = &cfg->rules[i];
		const struct sipdp_cfg_session_timer *st = r->action == SIPDP_CFG_ACTION_BRIDGE ?
			&r->bridge.session_timer : &r->answer.session_timer;

		/* A bridge runs 100rel on each leg itself (lib/call): the
		 * stack must support it for a rule that does not turn it off.
		 * Session timers are set per leg by lib/call; the stack gate
		 * below opens only when an answer or bridge rule enables
		 * them. REFER termination needs the transfer support, which
		 * is always on (xp below). */
		if (r->action == SIPDP_CFG_ACTION_BRIDGE) {
			if (r->bridge.prack != SIPDP_CFG_PRACK_OFF)
				up->rel100 = SIPDP_UA_100REL_SUPPORTED;
		} else if (r->action != SIPDP_CFG_ACTION_ANSWER) {
			continue;
		} else if (r->answer.prack != SIPDP_CFG_PRACK_OFF) {
			/* "required" is enforced per call (421 below): the
			 * stack must still serve rules that only support it. */
			up->rel100 = SIPDP_UA_100REL_SUPPORTED;
		}
		if (st->enabled) {
			if (se == 0)
				se = st->expires;
			min_se = min_se == 0 ? st->min_se : SIPDP_MIN(min_se, st->min_se);
		}
	}
	/* The stack's values only gate the protocol (Require: timer accepted,
	 * 422 below the smallest Min-SE); each call is set from its rule. */
	up->session_expires_s = se;
	up->min_se_s = se != 0 ? SIPDP_MAX(min_se, 90u) : 0;
	if (se != 0 && se < up->min_se_s)
		up->session_expires_s = up->min_se_s;
	up->refresher = SIPDP_UA_REFRESHER_DEFAULT;
	memset(xp, 0, sizeof(*xp));
	xp->max_subscriptions = cfg->limits.subscriptions_per_shard;
	up->xfer = xp;
}

static void
refuse(struct sipdp_call_env *e, sipdp_handle_t dlg, uint16_t code, const char *extra,
	uint32_t len, uint64_t now_us)
{
	(void)sipdp_ua_reject(e->ua, dlg, code, sipdp_str_make(extra, len), now_us);
}

bool
sipdp_call_xfer_incoming(struct sipdp_call_env *e, const struct sipdp_call_policy *p,
	const struct sipdp_ua_event *ev, int rule, uint64_t now_us)
{
	/* At setup: the rule was matched in the config in force now. */
	const struct sipdp_cfg_rule *r = call_policy_rule(p, rule);
	const struct sipdp_msg *m = ev->msg;
	const struct sipdp_cfg_session_timer *st;
	bool req100, sup100;

	if (r == NULL || m == NULL)
		return false;
	req100 = sipdp_msg_has_option(m, SIPDP_HDR_REQUIRE, SIPDP_STR("100rel"));
	sup100 = req100 || sipdp_msg_has_option(m, SIPDP_HDR_SUPPORTED, SIPDP_STR("100rel"));
	switch (r->answer.prack) {
	case SIPDP_CFG_PRACK_OFF:
		if (req100) {
			/* RFC 3261 §8.2.2.3 */
			static const char ex[] = "Unsupported: 100rel\r\n";

			e->xs.sent_420++;
			refuse(e, ev->dlg, 420, ex, sizeof(ex) - 1, now_us);
			return true;
		}
		(void)sipdp_ua_rel100_off(e->ua, ev->dlg);
		break;
	case SIPDP_CFG_PRACK_REQUIRED:
		if (!sup100) {
			/* RFC 3262 §3 */
			static const char ex[] = "Require: 100rel\r\n";

			e->xs.sent_421++;
			refuse(e, ev->dlg, 421, ex, sizeof(ex) - 1, now_us);
			return true;
		}
		break;
	default:
		break;
	}
	st = &r->answer.session_timer;
	if (!st->enabled) {
		(void)sipdp_ua_session_timer(e->ua, ev->dlg, UINT32_MAX, SIPDP_UA_REFRESHER_DEFAULT);
		return false;
	}
	if (m->first[SIPDP_HDR_SESSION_EXPIRES] &&
	    sipdp_msg_has_option(m, SIPDP_HDR_SUPPORTED, SIPDP_STR("timer"))) {
		struct sipdp_session_expires se;

		/* RFC 4028 §9: too short for this rule, and the UAC can retry.
		 * (Below the stack's smallest Min-SE the UA said 422 already.) */
		if (sipdp_session_expires_parse(sipdp_msg_hdr_value(m, SIPDP_HDR_SESSION_EXPIRES),
			    &se) == 0 && se.delta < st->min_se) {
			char ex[32] = "Min-SE: ";
			uint32_t n = 8;

			n += sipdp_u32_to_dec(ex + n, st->min_se);
			ex[n++] = '\r';
			ex[n++] = '\n';
			e->xs.sent_422++;
			refuse(e, ev->dlg, 422, ex, n, now_us);
			return true;
		}
	}
	(void)sipdp_ua_session_timer(e->ua, ev->dlg, st->expires,
		st->refresher == SIPDP_CFG_REFRESHER_UAC ? SIPDP_UA_REFRESHER_UAC :
		st->refresher == SIPDP_CFG_REFRESHER_UAS ? SIPDP_UA_REFRESHER_UAS :
		SIPDP_UA_REFRESHER_DEFAULT);
	return false;
}

/* Next hop of a Refer-To target: its host must be an IP literal (the data
 * path has no resolver); no port means 5060. */
static int
target_dest(struct sipdp_str target, struct sipdp_tsx_dest *d)
{
	struct sipdp_uri u;
	char host[SIPDP_CALL_IPSTR];
	struct sipdp_str h;

	if (sipdp_uri_parse(target, &u) != 0)
		return -EINVAL;
	h = u.host;
	if (u.host_type == SIPDP_HOST_IPV6 && h.len >= 2) {
		h.p++;
		h.len -= 2;
	} else if (u.host_type != SIPDP_HOST_IPV4) {
		return -EINVAL;
	}
	if (h.len >= sizeof(host))
		return -EINVAL;
	memcpy(host, h.p, h.len);
	host[h.len] = 0;
	memset(d, 0, sizeof(*d));
	d->transport = SIPDP_TSX_TP_UDP;
	d->family = u.host_type == SIPDP_HOST_IPV6 ? AF_INET6 : AF_INET;
	if (inet_pton(d->family, host, d->addr) != 1)
		return -EINVAL;
	d->port = u.port != 0 ? u.port : 5060;
	return 0;
}

static void
on_refer(struct sipdp_call_env *e, const struct sipdp_ua_xfer_event *ev, uint64_t now_us)
{
	const struct sipdp_cfg_rule *r = call_rule_of(e, ev->app);
	struct sipdp_ua_xfer_accept a;
	struct sipdp_str sdp;

	memset(&a, 0, sizeof(a));
	if (r != NULL && r->has_transfer && r->transfer.on_refer == SIPDP_CFG_REFER_REJECT) {
		(void)sipdp_ua_xfer_reject(e->ua, ev->xfer, 603, now_us);
		return;
	}
	if (target_dest(ev->target, &a.dest) != 0) {
		/* A host name: nothing on the data path resolves it. */
		(void)sipdp_ua_xfer_reject(e->ua, ev->xfer, 603, now_us);
		return;
	}
	a.has_dest = true;
	sdp = call_rule_sdp(e, r, SIPDP_CALL_APP_LOCAL(ev->app), ev->dlg, true);
	if (sdp.len != 0) {
		a.ctype = SIPDP_STR("application/sdp");
		a.body = sdp;
	}
	/* The call to the target runs under the transferred call's rule, so
	 * it holds its own pin on that config (given back at its end); other
	 * app words (a generated call's) mean nothing to the new call. */
	a.app = SIPDP_CALL_APP_IS_RULE(ev->app) ? ev->app : 0;
	e->xs.refers_accepted++;
	if (sipdp_ua_xfer_accept(e->ua, ev->xfer, &a, now_us, NULL) == 0 && a.app != 0)
		call_pin(e, SIPDP_CALL_APP_HANDLE(a.app), +1);
}

void
sipdp_call_xfer_event(struct sipdp_call_env *e, const struct sipdp_ua_xfer_event *ev,
	uint64_t now_us)
{
	switch (ev->type) {
	case SIPDP_UA_XFER_EV_REFER:
		on_refer(e, ev, now_us);
		break;
	case SIPDP_UA_XFER_EV_DONE:
		/* Our auto transfer's outcome (counted by the UA); on success
		 * the UA ends the call, and the transferee's INVITE with
		 * Replaces ends the consultation at the target. Otherwise
		 * the consultation (app) has no purpose left. */
		if (ev->app != 0 && ev->result != SIPDP_UA_XFER_SUCCESS)
			(void)sipdp_ua_bye(e->ua, ev->app, now_us);
		break;
	default:
		/* REPLACES: the new INVITE goes through the policy like any
		 * other and the UA ends the replaced call once it is
		 * confirmed. ENDED, PROGRESS: counted by the UA. */
		break;
	}
}

/* Attended (RFC 5589 §7): call the target first; its dialog's application
 * data is the handle of the call to transfer, tagged SIPDP_CALL_APP_CONSULT:
 * sipdp_call_xfer_answered() then REFERs that call with Replaces naming
 * the consultation. */
static void
consult(struct sipdp_call_env *e, sipdp_handle_t dlg, const struct sipdp_cfg_rule *r,
	uint8_t local_id, uint64_t now_us)
{
	struct sipdp_ua_invite inv;
	struct sipdp_str sdp;
	sipdp_handle_t c;

	memset(&inv, 0, sizeof(inv));
	inv.ruri = sipdp_str_cstr(r->transfer.auto_transfer.to);
	inv.to = inv.ruri;
	inv.from = sipdp_str_cstr(e->contact);
	if (target_dest(inv.ruri, &inv.dest) != 0) {
		e->xs.auto_refer_errors++;
		return;
	}
	sdp = call_rule_sdp(e, r, local_id, dlg, true);
	if (sdp.len != 0) {
		inv.ctype = SIPDP_STR("application/sdp");
		inv.body = sdp;
	}
	inv.app = SIPDP_CALL_APP_CONSULT_MAKE(dlg);
	if (sipdp_ua_invite(e->ua, &inv, now_us, &c) == 0)
		e->xs.auto_consults++;
	else
		e->xs.auto_refer_errors++;
}

void
sipdp_call_xfer_answered(struct sipdp_call_env *e, const struct sipdp_ua_event *ev,
	uint64_t now_us)
{
	struct sipdp_ua_xfer_refer rf;
	sipdp_handle_t x;

	if (!(ev->app & SIPDP_CALL_APP_CONSULT) || ev->fork || ev->retransmission)
		return; /* not a consultation call */
	memset(&rf, 0, sizeof(rf));
	rf.consult = ev->dlg;
	rf.bye = SIPDP_UA_XFER_BYE_ON_SUCCESS;
	rf.app = ev->dlg;
	if (sipdp_ua_xfer_refer(e->ua, SIPDP_CALL_APP_CONSULT_DLG(ev->app), &rf, now_us, &x) == 0) {
		e->xs.auto_refers++;
		return;
	}
	/* The call to transfer is gone: the consultation has no purpose. */
	e->xs.auto_refer_errors++;
	(void)sipdp_ua_bye(e->ua, ev->dlg, now_us);
}

void
sipdp_call_xfer_failed(struct sipdp_call_env *e, const struct sipdp_ua_event *ev)
{
	if ((ev->app & SIPDP_CALL_APP_CONSULT) && !ev->fork)
		e->xs.auto_refer_errors++; /* consultation refused: the call stays */
}

static void
auto_refer(struct sipdp_call_env *e, sipdp_handle_t dlg, uint64_t now_us)
{
	struct sipdp_ua_dlg_info info;
	const struct sipdp_cfg_rule *r;
	struct sipdp_ua_xfer_refer rf;
	sipdp_handle_t x;

	if (sipdp_ua_dlg_info(e->ua, dlg, &info) != 0)
		return; /* the call ended first */
	r = call_rule_of(e, info.app);
	if (r == NULL || !r->has_transfer || !r->transfer.has_auto)
		return;
	if (r->transfer.auto_transfer.mode == SIPDP_CFG_XFER_ATTENDED) {
		consult(e, dlg, r, SIPDP_CALL_APP_LOCAL(info.app), now_us);
		return;
	}
	memset(&rf, 0, sizeof(rf));
	rf.target = sipdp_str_cstr(r->transfer.auto_transfer.to);
	rf.bye = SIPDP_UA_XFER_BYE_ON_SUCCESS;
	if (sipdp_ua_xfer_refer(e->ua, dlg, &rf, now_us, &x) == 0)
		e->xs.auto_refers++;
	else
		e->xs.auto_refer_errors++;
}

void
sipdp_call_xfer_confirmed(struct sipdp_call_env *e, const struct sipdp_ua_event *ev,
	uint64_t now_us)
{
	const struct sipdp_cfg_rule *r = call_rule_of(e, ev->app);
	const struct sipdp_cfg_auto_transfer *at;

	if (r == NULL || !r->has_transfer || !r->transfer.has_auto)
		return;
	at = &r->transfer.auto_transfer;
	if (at->after_ms == 0 ||
	    sipdp_timer_start(e->wheel, now_us + (uint64_t)at->after_ms * 1000, ev->dlg,
		    SIPDP_CALL_TK_XFER, NULL) != 0)
		auto_refer(e, ev->dlg, now_us);
}

void
call_xfer_fire(struct sipdp_call_env *e, const struct sipdp_timer_event *ev, uint64_t now_us)
{
	auto_refer(e, ev->user, now_us);
}

void
sipdp_call_policy_refresh(struct sipdp_call_env *e, const struct sipdp_ua_event *ev,
	struct sipdp_str gen_sdp, uint64_t now_us)
{
	struct sipdp_str sdp;

	/* RFC 4028 §10: a re-INVITE refresh repeats the session's SDP. */
	if (ev->app & SIPDP_CALL_APP_GEN)
		sdp = gen_sdp;
	else
		sdp = sipdp_call_policy_sdp(e, ev->app, ev->dlg, false);
	(void)sipdp_ua_reinvite(e->ua, ev->dlg, SIPDP_STR_NULL,
		sdp.len ? SIPDP_STR("application/sdp") : SIPDP_STR_NULL, sdp,
		SIPDP_CALL_REF_REFRESH, now_us);
}
