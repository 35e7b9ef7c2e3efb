/* SPDX-License-Identifier: BSD-3-Clause */
/* The calls: generator, cold side: one UA's share built at start. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sipdp_call_gen.h"

/* index i of n gets total / n, the first total % n one more. */
static uint64_t
share(uint64_t total, uint16_t i, uint16_t n)
{
	return total / n + (i < total % n ? 1 : 0);
}

static int
fail(struct sipdp_call_gen *g, char *err, size_t cap, const char *key, const char *value,
	const char *why)
{
	if (err != NULL && cap != 0)
		snprintf(err, cap, "%s %s: %s", key, value, why);
	sipdp_call_gen_destroy(g);
	return -EINVAL;
}

int
sipdp_call_gen_create(const struct sipdp_call_gen_params *p, struct sipdp_call_gen **out,
	char *err, size_t cap)
{
	const struct sipdp_cfg_calls *c;
	struct sipdp_call_gen *g;
	int rc;

	if (err != NULL && cap != 0)
		err[0] = 0;
	if (p == NULL || out == NULL || p->calls == NULL || p->local_ip == NULL ||
	    p->contact_user == NULL || p->count == 0 || p->index >= p->count || p->clock_hz == 0)
		return -EINVAL;
	c = p->calls;
	g = aligned_alloc(64, (sizeof(*g) + 63) & ~(size_t)63);
	if (g == NULL)
		return -ENOMEM;
	memset(g, 0, sizeof(*g));
	g->clock_hz = p->clock_hz;
	g->dest = p->dest;
	snprintf(g->local_ip, sizeof(g->local_ip), "%s", p->local_ip);
	g->ruri_len = (uint32_t)snprintf(g->ruri, sizeof(g->ruri), "%s", c->target);
	g->to_len = (uint32_t)snprintf(g->to, sizeof(g->to), "<%s>", c->target);
	if (c->from[0] != 0)
		rc = snprintf(g->from, sizeof(g->from), "<%s>", c->from);
	else
		rc = snprintf(g->from, sizeof(g->from), g->dest.family == AF_INET6 ?
			"<sip:%s@[%s]>" : "<sip:%s@%s>", p->contact_user, g->local_ip);
	if (rc < 0 || (size_t)rc >= sizeof(g->from))
		return fail(g, err, cap, "calls.from", c->from, "too long for a From");
	g->from_len = (uint32_t)rc;
	g->sdp_tmpl = c->sdp[0] != 0 ? c->sdp : NULL;
	if (c->session_timer.enabled) {
		g->session_expires_s = c->session_timer.expires;
		g->min_se_s = c->session_timer.min_se;
		/* enum sipdp_cfg_refresher and sipdp_ua_refresher: auto, uac, uas */
		g->refresher = c->session_timer.refresher;
	} else {
		g->session_expires_s = UINT32_MAX;
	}
	g->rel100 = c->prack == SIPDP_CFG_PRACK_REQUIRED ? SIPDP_UA_INVITE_100REL_REQUIRED :
		c->prack == SIPDP_CFG_PRACK_SUPPORTED ? SIPDP_UA_INVITE_100REL_SUPPORTED :
		SIPDP_UA_INVITE_100REL_OFF;
	if (c->refer_to[0] != 0) {
		/* The UA puts it in Refer-To: <...> as given. */
		if (strpbrk(c->refer_to, "<>?\r\n") != NULL)
			return fail(g, err, cap, "calls.refer_to", c->refer_to,
				"a bare SIP URI without headers, please");
		g->refer_to_len = (uint32_t)snprintf(g->refer_to, sizeof(g->refer_to), "%s",
			c->refer_to);
		g->refer_after_ms = c->refer_after_ms;
	}
	g->rate = share(c->rate, p->index, p->count);
	/* A burst of 10 ms of calls at most (at least one): the pace holds
	 * even when the lcore was busy for a while. */
	g->burst = g->rate / 100 > 1 ? g->rate / 100 : 1;
	g->quota = c->total != 0 ? share(c->total, p->index, p->count) : UINT64_MAX;
	g->duration_s = c->duration_s;
	g->hold_ms = c->hold_ms;
	if (c->max_concurrent != 0) {
		g->max_live = (uint32_t)share(c->max_concurrent, p->index, p->count);
		if (g->max_live == 0)
			g->max_live = 1;
	}
	if (g->rate == 0)
		g->stopped = true;
	*out = g;
	return 0;
}

void
sipdp_call_gen_destroy(struct sipdp_call_gen *g)
{
	free(g);
}
