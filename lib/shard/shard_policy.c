/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The first version of the call policy: rule matching at call setup, SDP
 * template expansion, and the UA callbacks that carry the verdict out
 * (answer after optional 180/183 and a ring delay on the shard's wheel,
 * reject, redirect, drop; 404 when nothing matches). Runs on the owning
 * worker, once per new INVITE: nothing here allocates, locks or logs.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_branch_prediction.h>

#include "sipdp_msg_hdr.h"
#include "shard_pvt.h"

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
sipdp_shard_policy_match(const struct sipdp_shard_policy *p, const struct sipdp_msg *m,
	int family, const uint8_t *src, struct sipdp_shard_policy_scratch *scratch)
{
	struct sipdp_uri ruri, furi;
	bool ruri_ok, from_ok = false, from_done = false;

	ruri_ok = sipdp_uri_parse(m->ruri, &ruri) == 0;
	for (uint16_t i = 0; i < p->nb_rules; i++) {
		const struct sipdp_cfg_match *mt = &p->cfg->rules[i].match;
		const struct shard_rule *r = &p->rules[i];

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

/* The first bridge rule a new call to @p uri (a transfer target: no
 * message, no source, no From) would match: its Request-URI conditions
 * must hold, and a rule that also asks for a From user, a source network
 * or another method than INVITE cannot be met without a request, so it is
 * passed over. */
int
shard_policy_match_uri(const struct sipdp_shard_policy *p, struct sipdp_str uri,
	struct sipdp_shard_policy_scratch *scratch)
{
	struct sipdp_uri ruri;

	if (sipdp_uri_parse(uri, &ruri) != 0)
		return -EINVAL;
	for (uint16_t i = 0; i < p->nb_rules; i++) {
		const struct sipdp_cfg_rule *cr = &p->cfg->rules[i];
		const struct sipdp_cfg_match *mt = &cr->match;
		const struct shard_rule *r = &p->rules[i];

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
sipdp_shard_sdp_expand(const char *tmpl, const char *local_ip, int family, uint64_t session_id,
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

/* ------------------------------------------------------- UA callbacks */

/* The snapshot a dialog's app word names, or NULL when it names none (a
 * generated call, a consultation, nothing). */
static const struct shard_snap *
app_snap(uint64_t app)
{
	return SHARD_APP_IS_RULE(app) ? SHARD_APP_SNAP(app) : NULL;
}

/* The SDP of one call: the same o= line in the 183 and the 200 (one
 * offer/answer), unique per call: worker index and dialog handle. */
static struct sipdp_str
call_sdp(struct shard_worker *w, const struct shard_snap *snap, int rule, uint8_t local_id,
	sipdp_handle_t dlg)
{
	const struct sipdp_cfg_rule *r;
	const struct sipdp_shard *s = w->s;
	uint64_t sid;
	int n;

	if (snap == NULL || rule < 0 || rule >= snap->cfg->nb_rules)
		return SIPDP_STR_NULL;
	r = &snap->cfg->rules[rule];
	if (r->answer.sdp[0] == 0)
		return SIPDP_STR_NULL;
	if (local_id >= s->nb_local)
		local_id = 0;
	sid = ((uint64_t)w->idx << 48) ^ (dlg & 0xffffffffffffull);
	n = sipdp_shard_sdp_expand(r->answer.sdp, s->local[local_id].ip,
		s->p.cls->local[local_id].family, sid, sid, w->sdp, sizeof(w->sdp));
	return n > 0 ? sipdp_str_make(w->sdp, (size_t)n) : SIPDP_STR_NULL;
}

static void
answer_now(struct shard_worker *w, sipdp_handle_t dlg, const struct shard_snap *snap, int rule,
	uint8_t local_id)
{
	struct sipdp_str sdp = call_sdp(w, snap, rule, local_id, dlg);

	if (sipdp_ua_accept(w->ua, dlg, 200, SIPDP_STR_NULL,
		sdp.len ? SIPDP_STR("application/sdp") : SIPDP_STR_NULL, sdp, w->now_us) == 0)
		shard_setup_record(w, dlg);
}

void
shard_ring_fire(void *arg, const struct sipdp_timer_event *ev)
{
	struct shard_worker *w = arg;
	struct sipdp_ua_dlg_info info;

	if (ev->kind == SHARD_XFER_KIND) {
		shard_xfer_fire(w, ev);
		return;
	}
	if (SHARD_GEN_OWNS_KIND(ev->kind)) {
		shard_gen_fire(w, ev);
		return;
	}
	/* A CANCEL during the ring delay ended the dialog: its handle is
	 * stale now and there is nothing to answer. */
	if (sipdp_ua_dlg_info(w->ua, ev->user, &info) != 0)
		return;
	answer_now(w, ev->user, app_snap(info.app), SHARD_APP_RULE(info.app),
		SHARD_APP_LOCAL(info.app));
}

static void
reject(struct shard_worker *w, sipdp_handle_t dlg, int rule)
{
	const struct shard_rule *r = &w->snap->policy->rules[rule];

	(void)sipdp_ua_reject(w->ua, dlg, w->snap->cfg->rules[rule].reject.code,
		sipdp_str_make(r->extra, r->extra_len), w->now_us);
}

void
shard_on_incoming(void *user, const struct sipdp_ua_event *ev)
{
	struct shard_worker *w = user;
	struct sipdp_shard *s = w->s;
	const struct sipdp_cfg_rule *r;
	uint8_t local_id = ev->src ? ev->src->local_id : 0;
	int rule = w->cur_rule;

	w->cur_rule = -2;
	if (atomic_load_explicit(&s->draining, memory_order_relaxed)) {
		w->st.rejected_503++;
		(void)sipdp_ua_reject(w->ua, ev->dlg, 503, SIPDP_STR("Retry-After: 5\r\n"),
			w->now_us);
		return;
	}
	if (rule == -2 && ev->src != NULL) /* not seen before the UA: match now */
		rule = sipdp_shard_policy_match(w->snap->policy, ev->msg, ev->src->family,
			ev->src->addr, w->re_scratch);
	if (rule < 0) {
		w->st.policy_404++;
		(void)sipdp_ua_reject(w->ua, ev->dlg, 404, SIPDP_STR_NULL, w->now_us);
		return;
	}
	r = &w->snap->cfg->rules[rule];
	switch (r->action) {
	case SIPDP_CFG_ACTION_ANSWER:
		if (shard_xfer_incoming(w, ev, rule))
			break; /* 420, 421 or 422 */
		w->st.policy_answer++;
		/* The call keeps the rule it was set up with: a reload leaves
		 * this snapshot alive until shard_on_terminated drops the ref. */
		if (sipdp_ua_set_app(w->ua, ev->dlg, SHARD_APP_MAKE(w->snap, rule, local_id)) == 0)
			__atomic_store_n(&w->snap->refs[w->idx].n, w->snap->refs[w->idx].n + 1,
				__ATOMIC_RELAXED);
		if (r->answer.send_180)
			(void)sipdp_ua_ring(w->ua, ev->dlg, 180, SIPDP_STR_NULL, SIPDP_STR_NULL,
				SIPDP_STR_NULL, w->now_us);
		if (r->answer.send_183) {
			struct sipdp_str sdp = call_sdp(w, w->snap, rule, local_id, ev->dlg);

			(void)sipdp_ua_ring(w->ua, ev->dlg, 183, SIPDP_STR_NULL,
				sdp.len ? SIPDP_STR("application/sdp") : SIPDP_STR_NULL, sdp,
				w->now_us);
		}
		/* The ring delay is a timer on the shard's wheel: the worker
		 * never sleeps. A full wheel answers at once rather than
		 * leave the call unanswered. */
		if (r->answer.ring_ms == 0 ||
		    sipdp_timer_start(w->wheel, w->now_us + (uint64_t)r->answer.ring_ms * 1000,
			    ev->dlg, SHARD_RING_KIND, NULL) != 0)
			answer_now(w, ev->dlg, w->snap, rule, local_id);
		break;
	case SIPDP_CFG_ACTION_REJECT:
		w->st.policy_reject++;
		reject(w, ev->dlg, rule);
		break;
	case SIPDP_CFG_ACTION_REDIRECT:
		w->st.policy_redirect++;
		(void)sipdp_ua_redirect(w->ua, ev->dlg, r->redirect.code,
			sipdp_str_cstr(w->snap->policy->rules[rule].contact), w->now_us);
		break;
	case SIPDP_CFG_ACTION_BRIDGE:
		w->st.policy_bridge++;
		shard_bridge_incoming(w, ev, rule);
		break;
	default:
		/* drop is decided before the UA sees the INVITE
		 * (shard_policy_pre); getting here means the pre-check
		 * could not parse it: refuse rather than leave it open. */
		w->st.policy_drop++;
		(void)sipdp_ua_reject(w->ua, ev->dlg, 403, SIPDP_STR_NULL, w->now_us);
		break;
	}
}

void
shard_on_request(void *user, const struct sipdp_ua_event *ev)
{
	struct shard_worker *w = user;
	struct sipdp_str sdp = SIPDP_STR_NULL;

	if (shard_bridge_event(w, ev))
		return;
	/* An offer in a re-INVITE or UPDATE gets the same answer again. */
	/* A re-INVITE without one (a session refresh) gets it as our offer
	 * (RFC 3261 §14.2). */
	if ((ev->method == SIPDP_METHOD_INVITE ||
	     (ev->method == SIPDP_METHOD_UPDATE && ev->msg != NULL && ev->msg->body.len != 0)))
		sdp = call_sdp(w, app_snap(ev->app), SHARD_APP_RULE(ev->app),
			SHARD_APP_LOCAL(ev->app), ev->dlg);
	w->st.in_dialog_200++;
	(void)sipdp_ua_respond(w->ua, ev->dlg, ev->req, 200, SIPDP_STR_NULL,
		sdp.len ? SIPDP_STR("application/sdp") : SIPDP_STR_NULL, sdp, w->now_us);
}

/* A final answer to one of our INVITEs: the generator's calls and the
 * transfer policy's consultations each look at their own app words. */
void
shard_on_answered(void *user, const struct sipdp_ua_event *ev)
{
	if (shard_bridge_event(user, ev))
		return;
	shard_gen_answered(user, ev);
	shard_xfer_answered(user, ev);
}

void
shard_on_failed(void *user, const struct sipdp_ua_event *ev)
{
	if (shard_bridge_event(user, ev))
		return;
	shard_gen_failed(user, ev);
	shard_xfer_failed(user, ev);
}

int
shard_policy_pre(struct shard_worker *w, const struct sipdp_dp_rx *rx,
	const struct sipdp_tsx_dest *src)
{
	struct sipdp_nameaddr to;
	int rule;

	w->cur_rule = -2;
	if (rx->len < 7 || memcmp(rx->payload, "INVITE ", 7) != 0)
		return 0;
	if (sipdp_msg_parse(w->msg, rx->payload, rx->len, 0) <= 0 ||
	    sipdp_msg_to(w->msg, &to) != 0 || to.tag.p != NULL)
		return 0;
	rule = sipdp_shard_policy_match(w->snap->policy, w->msg, src->family, src->addr,
		w->re_scratch);
	if (rule >= 0 && w->snap->cfg->rules[rule].action == SIPDP_CFG_ACTION_DROP &&
	    !atomic_load_explicit(&w->s->draining, memory_order_relaxed)) {
		w->st.policy_drop++;
		return 1;
	}
	w->cur_rule = rule < 0 ? -1 : rule;
	return 0;
}
