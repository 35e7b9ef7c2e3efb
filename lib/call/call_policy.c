/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The call policy: rule matching at call setup, SDP template expansion,
 * and the verdicts carried out on the UA (answer after optional 180/183
 * and a ring delay on the env's wheel, reject, redirect, 403 for a drop
 * that reached the UA; 404 when nothing matches). Runs on the UA's lcore,
 * once per new INVITE: nothing here allocates, locks or logs.
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "sipdp_msg_hdr.h"
#include "call_policy_pvt.h"

static bool
user_eq(struct sipdp_str u, const char *want)
{
	size_t n = strlen(want);

	return u.len == n && (n == 0 || memcmp(u.p, want, n) == 0);
}

static bool
source_match(const struct sipdp_cfg_ip *net, int family, const uint8_t *src)
{
	uint8_t bytes, bits;

	if ((net->family == SIPDP_CFG_IPV4) != (family == AF_INET))
		return false;
	bytes = net->prefix / 8;
	bits = net->prefix % 8;
	if (memcmp(net->addr, src, bytes) != 0)
		return false;
	if (bits != 0) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits));

		if ((net->addr[bytes] & mask) != (src[bytes] & mask))
			return false;
	}
	return true;
}

static bool
host_match(struct sipdp_str host, const char *want)
{
	if (host.len >= 2 && host.p[0] == '[') {
		host.p++;
		host.len -= 2;
	}
	return sipdp_str_caseeq(host, sipdp_str_cstr(want));
}

int
sipdp_call_policy_match(const struct sipdp_call_policy *p, const struct sipdp_msg *m,
	int family, const uint8_t *src, struct sipdp_call_policy_scratch *scratch)
{
	struct sipdp_uri ruri, furi;
	bool ruri_ok, from_ok = false, from_done = false;

	ruri_ok = sipdp_uri_parse(m->ruri, &ruri) == 0;
	for (uint16_t i = 0; i < p->nb_rules; i++) {
		const struct sipdp_cfg_match *mt = &p->cfg->rules[i].match;
		const struct call_rule *r = &p->rules[i];

		if (mt->method[0] != 0 && !user_eq(m->method_str, mt->method))
			continue;
		if (mt->ruri_user[0] != 0 && !(ruri_ok && user_eq(ruri.user, mt->ruri_user)))
			continue;
		if (r->prefix_len != 0 && !(ruri_ok && ruri.user.len >= r->prefix_len &&
		    memcmp(ruri.user.p, mt->ruri_user_prefix, r->prefix_len) == 0))
			continue;
		if (r->re != NULL && !(ruri_ok && pcre2_match(r->re, (PCRE2_SPTR)ruri.user.p,
		    ruri.user.len, 0, 0, scratch->md, p->mctx) >= 0))
			continue;
		if (r->ruri_host[0] != 0 && !(ruri_ok && host_match(ruri.host, r->ruri_host)))
			continue;
		if (mt->from_user[0] != 0) {
			if (!from_done) {
				struct sipdp_nameaddr na;

				from_done = true;
				from_ok = sipdp_msg_from(m, &na) == 0 &&
					sipdp_uri_parse(na.uri, &furi) == 0;
			}
			if (!from_ok || !user_eq(furi.user, mt->from_user))
				continue;
		}
		if (mt->source.family != 0 && !source_match(&mt->source, family, src))
			continue;
		return i;
	}
	return -ENOENT;
}

int
sipdp_call_policy_match_uri(const struct sipdp_call_policy *p, struct sipdp_str uri,
	struct sipdp_call_policy_scratch *scratch)
{
	struct sipdp_uri ruri;

	if (sipdp_uri_parse(uri, &ruri) != 0)
		return -EINVAL;
	for (uint16_t i = 0; i < p->nb_rules; i++) {
		const struct sipdp_cfg_rule *cr = &p->cfg->rules[i];
		const struct sipdp_cfg_match *mt = &cr->match;
		const struct call_rule *r = &p->rules[i];

		if (cr->action != SIPDP_CFG_ACTION_BRIDGE || mt->from_user[0] != 0 ||
		    mt->source.family != 0 || (mt->method[0] != 0 && strcmp(mt->method, "INVITE") != 0))
			continue;
		if (mt->ruri_user[0] != 0 && !user_eq(ruri.user, mt->ruri_user))
			continue;
		if (r->prefix_len != 0 && !(ruri.user.len >= r->prefix_len &&
		    memcmp(ruri.user.p, mt->ruri_user_prefix, r->prefix_len) == 0))
			continue;
		if (r->re != NULL && pcre2_match(r->re, (PCRE2_SPTR)ruri.user.p, ruri.user.len, 0, 0,
		    scratch->md, p->mctx) < 0)
			continue;
		if (r->ruri_host[0] != 0 && !host_match(ruri.host, r->ruri_host))
			continue;
		return i;
	}
	return -ENOENT;
}

static int
put(char *out, uint32_t cap, uint32_t *o, const char *s, uint32_t n)
{
	if (*o + n >= cap)
		return -ENOSPC;
	memcpy(out + *o, s, n);
	*o += n;
	return 0;
}

int
sipdp_call_sdp_expand(const char *tmpl, const char *local_ip, int family, uint64_t session_id,
	uint64_t session_version, char *out, uint32_t cap)
{
	static const struct { const char *name; uint32_t len; } vars[] = {
		{ "${local_ip}", 11 }, { "${ip_version}", 13 },
		{ "${session_id}", 13 }, { "${session_version}", 18 },
	};
	uint32_t o = 0;
	const char *p = tmpl;

	if (cap == 0)
		return -ENOSPC;
	while (*p != 0) {
		const char *d = strstr(p, "${");
		unsigned v;

		if (d == NULL) {
			if (put(out, cap, &o, p, (uint32_t)strlen(p)) != 0)
				return -ENOSPC;
			break;
		}
		if (put(out, cap, &o, p, (uint32_t)(d - p)) != 0)
			return -ENOSPC;
		for (v = 0; v < SIPDP_ARRAY_SIZE(vars); v++)
			if (strncmp(d, vars[v].name, vars[v].len) == 0)
				break;
		if (v == SIPDP_ARRAY_SIZE(vars)) {
			/* Unknown: the config loader refuses these; copy as is. */
			if (put(out, cap, &o, d, 2) != 0)
				return -ENOSPC;
			p = d + 2;
			continue;
		}
		char num[24];
		uint32_t n;

		switch (v) {
		case 0:
			n = (uint32_t)strlen(local_ip);
			if (put(out, cap, &o, local_ip, n) != 0)
				return -ENOSPC;
			break;
		case 1:
			if (put(out, cap, &o, family == AF_INET6 ? "IP6" : "IP4", 3) != 0)
				return -ENOSPC;
			break;
		default:
			n = sipdp_u64_to_dec(num, v == 2 ? session_id : session_version);
			if (put(out, cap, &o, num, n) != 0)
				return -ENOSPC;
			break;
		}
		p = d + vars[v].len;
	}
	out[o] = 0;
	return (int)o;
}

/* ----------------------------------------------------------- verdicts */

/* The SDP of one call: the same o= line in the 183 and the 200 (one
 * offer/answer), unique per call: shard and dialog handle; a new call of
 * ours (@p fresh) gets another session id than @p dlg's. */
struct sipdp_str
call_rule_sdp(struct sipdp_call_env *e, const struct sipdp_cfg_rule *r, uint8_t local_id,
	sipdp_handle_t dlg, bool fresh)
{
	uint64_t sid;
	int n;

	if (r == NULL || r->answer.sdp[0] == 0)
		return SIPDP_STR_NULL;
	if (local_id >= e->nb_local)
		local_id = 0;
	sid = ((uint64_t)e->shard_id << 48) ^ (dlg & 0xffffffffffffull);
	if (fresh)
		sid ^= 0x5846ull << 32;
	n = sipdp_call_sdp_expand(r->answer.sdp, e->local[local_id].ip, e->local[local_id].family,
		sid, sid, e->sdp, sizeof(e->sdp));
	return n > 0 ? sipdp_str_make(e->sdp, (size_t)n) : SIPDP_STR_NULL;
}

struct sipdp_str
sipdp_call_policy_sdp(struct sipdp_call_env *e, uint64_t app, sipdp_handle_t dlg, bool fresh)
{
	return call_rule_sdp(e, call_rule_of(e, app), SIPDP_CALL_APP_LOCAL(app), dlg, fresh);
}

static void
answer_now(struct sipdp_call_env *e, sipdp_handle_t dlg, const struct sipdp_cfg_rule *r,
	uint8_t local_id, uint64_t now_us)
{
	struct sipdp_str sdp = call_rule_sdp(e, r, local_id, dlg, false);

	if (sipdp_ua_accept(e->ua, dlg, 200, SIPDP_STR_NULL,
		sdp.len ? SIPDP_STR("application/sdp") : SIPDP_STR_NULL, sdp, now_us) == 0 &&
	    e->answered != NULL)
		e->answered(e->user, dlg);
}

void
sipdp_call_policy_fire(struct sipdp_call_env *e, const struct sipdp_timer_event *ev,
	uint64_t now_us)
{
	struct sipdp_ua_dlg_info info;

	if (ev->kind == SIPDP_CALL_TK_XFER) {
		call_xfer_fire(e, ev, now_us);
		return;
	}
	/* A CANCEL during the ring delay ended the dialog: its handle is
	 * stale now and there is nothing to answer. */
	if (sipdp_ua_dlg_info(e->ua, ev->user, &info) != 0)
		return;
	answer_now(e, ev->user, call_rule_of(e, info.app), SIPDP_CALL_APP_LOCAL(info.app), now_us);
}

enum sipdp_call_verdict
sipdp_call_policy_incoming(struct sipdp_call_env *e, const struct sipdp_call_policy *p,
	uintptr_t handle, const struct sipdp_ua_event *ev, int rule, uint64_t now_us)
{
	const struct sipdp_cfg_rule *r = call_policy_rule(p, rule);
	uint8_t local_id = ev->src ? ev->src->local_id : 0;

	if (r == NULL) {
		(void)sipdp_ua_reject(e->ua, ev->dlg, 404, SIPDP_STR_NULL, now_us);
		return SIPDP_CALL_VERDICT_NONE_404;
	}
	switch (r->action) {
	case SIPDP_CFG_ACTION_ANSWER:
		if (sipdp_call_xfer_incoming(e, p, ev, rule, now_us))
			return SIPDP_CALL_VERDICT_REFUSED; /* 420, 421 or 422 */
		/* The call keeps the rule it was set up with: a reload leaves
		 * this config alive until sipdp_call_policy_terminated() gives
		 * the pin back. */
		if (sipdp_ua_set_app(e->ua, ev->dlg, SIPDP_CALL_APP_RULE_MAKE(handle, rule,
			    local_id)) == 0)
			call_pin(e, handle, +1);
		if (r->answer.send_180)
			(void)sipdp_ua_ring(e->ua, ev->dlg, 180, SIPDP_STR_NULL, SIPDP_STR_NULL,
				SIPDP_STR_NULL, now_us);
		if (r->answer.send_183) {
			struct sipdp_str sdp = call_rule_sdp(e, r, local_id, ev->dlg, false);

			(void)sipdp_ua_ring(e->ua, ev->dlg, 183, SIPDP_STR_NULL,
				sdp.len ? SIPDP_STR("application/sdp") : SIPDP_STR_NULL, sdp, now_us);
		}
		/* The ring delay is a timer on the env's wheel: the worker
		 * never sleeps. A full wheel answers at once rather than
		 * leave the call unanswered. */
		if (r->answer.ring_ms == 0 ||
		    sipdp_timer_start(e->wheel, now_us + (uint64_t)r->answer.ring_ms * 1000,
			    ev->dlg, SIPDP_CALL_TK_RING, NULL) != 0)
			answer_now(e, ev->dlg, r, local_id, now_us);
		return SIPDP_CALL_VERDICT_ANSWER;
	case SIPDP_CFG_ACTION_REJECT:
		(void)sipdp_ua_reject(e->ua, ev->dlg, r->reject.code,
			sipdp_str_make(p->rules[rule].extra, p->rules[rule].extra_len), now_us);
		return SIPDP_CALL_VERDICT_REJECT;
	case SIPDP_CFG_ACTION_REDIRECT:
		(void)sipdp_ua_redirect(e->ua, ev->dlg, r->redirect.code,
			sipdp_str_cstr(p->rules[rule].contact), now_us);
		return SIPDP_CALL_VERDICT_REDIRECT;
	case SIPDP_CFG_ACTION_BRIDGE:
		return SIPDP_CALL_VERDICT_BRIDGE;
	default:
		/* drop is decided before the UA sees the INVITE (the
		 * embedder's pre-check); getting here means that check could
		 * not parse it: refuse rather than leave it open. */
		(void)sipdp_ua_reject(e->ua, ev->dlg, 403, SIPDP_STR_NULL, now_us);
		return SIPDP_CALL_VERDICT_DROP_403;
	}
}

void
sipdp_call_policy_request(struct sipdp_call_env *e, const struct sipdp_ua_event *ev,
	uint64_t now_us)
{
	struct sipdp_str sdp = SIPDP_STR_NULL;

	/* An offer in a re-INVITE or UPDATE gets the same answer again. */
	/* A re-INVITE without one (a session refresh) gets it as our offer
	 * (RFC 3261 §14.2). */
	if ((ev->method == SIPDP_METHOD_INVITE ||
	     (ev->method == SIPDP_METHOD_UPDATE && ev->msg != NULL && ev->msg->body.len != 0)))
		sdp = sipdp_call_policy_sdp(e, ev->app, ev->dlg, false);
	(void)sipdp_ua_respond(e->ua, ev->dlg, ev->req, 200, SIPDP_STR_NULL,
		sdp.len ? SIPDP_STR("application/sdp") : SIPDP_STR_NULL, sdp, now_us);
}

void
sipdp_call_policy_terminated(struct sipdp_call_env *e, const struct sipdp_ua_event *ev)
{
	if (SIPDP_CALL_APP_IS_RULE(ev->app))
		call_pin(e, SIPDP_CALL_APP_HANDLE(ev->app), -1);
}
