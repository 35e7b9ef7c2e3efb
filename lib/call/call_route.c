/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routing of a bridged call: the order in which its targets are tried
 * (priority groups in order, a weighted random order inside each group),
 * the target URI template, and each target's health as this shard sees it
 * (marked down after down_after failures in a row, skipped by new calls,
 * probed with OPTIONS every probe_interval_s once down_for_s has passed,
 * back up on any answer but 503). Health is per shard: no lock, no shared
 * line; N workers probe a dead target N times per interval, which is cheap.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "call_pvt.h"

static uint64_t
rng_next(struct sipdp_call *c)
{
	/* xorshift64*: the order of equal-priority targets only needs to be
	 * spread by weight, not unpredictable. */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 0x2545f4914f6cdd1dull;
}

bool
call_is_failover_code(const struct sipdp_cfg_bridge *route, uint16_t status)
{
	for (uint8_t i = 0; i < route->nb_failover_codes; i++)
		if (route->failover_codes[i] == status)
			return true;
	return false;
}

static uint32_t
health_hash(const struct sipdp_cfg_target *t)
{
	uint32_t h = 2166136261u;

	for (unsigned i = 0; i < 16; i++)
		h = (h ^ t->addr.addr[i]) * 16777619u;
	h = (h ^ t->port) * 16777619u;
	return (h ^ t->transport) * 16777619u;
}

static bool
health_is(const struct call_health *h, const struct sipdp_cfg_target *t)
{
	return h->port == t->port && h->transport == t->transport && h->family == t->addr.family &&
	       memcmp(h->addr, t->addr.addr, 16) == 0;
}

struct call_health *
call_health_of(struct sipdp_call *c, const struct sipdp_cfg_target *t, bool make)
{
	uint32_t i = health_hash(t) % CALL_HEALTH_SLOTS;

	for (uint32_t n = 0; n < CALL_HEALTH_SLOTS; n++, i = (i + 1) % CALL_HEALTH_SLOTS) {
		struct call_health *h = &c->health[i];

		if (h->used && health_is(h, t))
			return h;
		if (!h->used) {
			char ip[64];

			if (!make)
				return NULL;
			memset(h, 0, sizeof(*h));
			h->used = true;
			h->family = t->addr.family;
			h->transport = t->transport;
			h->port = t->port;
			memcpy(h->addr, t->addr.addr, 16);
			if (t->addr.family == SIPDP_CFG_IPV6)
				(void)inet_ntop(AF_INET6, t->addr.addr, ip, sizeof(ip));
			else
				(void)inet_ntop(AF_INET, t->addr.addr, ip, sizeof(ip));
			snprintf(h->ruri, sizeof(h->ruri), t->addr.family == SIPDP_CFG_IPV6 ?
				"sip:[%s]:%u%s" : "sip:%s:%u%s", ip, t->port,
				t->transport == SIPDP_CFG_TP_TCP ? ";transport=tcp" :
				t->transport == SIPDP_CFG_TP_TLS ? ";transport=tls" : "");
			return h;
		}
	}
	return NULL; /* more distinct targets than slots: never marked down */
}

void
call_target_dest(struct sipdp_call *c, const struct sipdp_cfg_target *t, struct sipdp_tsx_dest *d)
{
	memset(d, 0, sizeof(*d));
	d->transport = t->transport == SIPDP_CFG_TP_TCP ? SIPDP_TSX_TP_TCP :
		t->transport == SIPDP_CFG_TP_TLS ? SIPDP_TSX_TP_TLS : SIPDP_TSX_TP_UDP;
	if (d->transport != SIPDP_TSX_TP_UDP)
		d->flags |= SIPDP_TSX_DEST_RELIABLE;
	d->family = t->addr.family == SIPDP_CFG_IPV6 ? AF_INET6 : AF_INET;
	d->port = t->port;
	memcpy(d->addr, t->addr.addr, 16);
	if (c->p.dest != NULL)
		c->p.dest(c->p.user, d);
}

static void
probe_arm(struct sipdp_call *c, struct call_health *h, uint64_t at_us)
{
	if (sipdp_timer_start(c->wheel, at_us, (uint64_t)(h - c->health), CALL_T_PROBE, NULL) == 0)
		h->probing = true;
}

void
call_health_result(struct sipdp_call *c, const struct sipdp_cfg_bridge *route,
	const struct sipdp_cfg_target *t, bool ok, uint64_t now_us)
{
	struct call_health *h = call_health_of(c, t, !ok);

	if (h == NULL)
		return;
	if (ok) {
		h->fails = 0;
		if (h->down) {
			h->down = false;
			c->st.targets_up++;
			c->st.targets_down_now--;
		}
		return;
	}
	h->down_for_s = route->down_for_s;
	h->probe_interval_s = route->probe_interval_s;
	if (++h->fails < route->down_after || h->down)
		return;
	h->down = true;
	h->down_until_us = now_us + (uint64_t)route->down_for_s * 1000000;
	c->st.targets_down++;
	c->st.targets_down_now++;
	if (!h->probing)
		probe_arm(c, h, h->down_until_us);
}

void
call_probe_fire(struct sipdp_call *c, uint32_t slot, uint64_t now_us)
{
	struct call_health *h;
	struct sipdp_ua_oodreq r = { 0 };
	struct sipdp_cfg_target t = { 0 };

	if (slot >= CALL_HEALTH_SLOTS)
		return;
	h = &c->health[slot];
	h->probing = false;
	if (!h->used || !h->down)
		return;
	t.addr.family = h->family;
	memcpy(t.addr.addr, h->addr, 16);
	t.port = h->port;
	t.transport = h->transport;
	r.method = SIPDP_STR("OPTIONS");
	r.ruri = sipdp_str_cstr(h->ruri);
	r.req_ref = SIPDP_CALL_APP_BRIDGE | CALL_W_PROBE | slot;
	call_target_dest(c, &t, &r.dest);
	if (sipdp_ua_request_out(c->ua, &r, now_us) == 0)
		c->st.probes_sent++;
	else
		c->st.probes_failed++;
	/* The next probe is armed now, whatever this one's fate: a probe
	 * that is lost entirely (no transaction) cannot stop the probing. */
	probe_arm(c, h, now_us + (uint64_t)(h->probe_interval_s ? h->probe_interval_s : 5) * 1000000);
}

void
call_probe_response(struct sipdp_call *c, const struct sipdp_ua_event *ev, uint64_t now_us)
{
	uint32_t slot = (uint32_t)(ev->req_ref & 0xffffffu);
	struct call_health *h;

	(void)now_us;
	if (slot >= CALL_HEALTH_SLOTS)
		return;
	h = &c->health[slot];
	if (!h->used)
		return;
	/* Any answer but 503 (and our own 408 for none) means the target's
	 * SIP stack is there: a 404 or 405 to OPTIONS is still alive. */
	if (ev->msg != NULL && ev->status >= 200 && ev->status != 503) {
		c->st.probes_ok++;
		h->fails = 0;
		if (h->down) {
			h->down = false;
			c->st.targets_up++;
			c->st.targets_down_now--;
		}
	} else if (ev->status >= 200) {
		c->st.probes_failed++;
	}
}

int
call_route_order(struct sipdp_call *c, struct call_bridge *b, uint64_t now_us)
{
	const struct sipdp_cfg_bridge *r = b->route;
	uint8_t n = 0, i = 0, down_first = SIPDP_CFG_MAX_TARGETS;

	(void)now_us;
	/* Targets are sorted by priority at load; inside a group, pick by
	 * weight without replacement. Down targets are left out. */
	while (i < r->nb_targets) {
		uint8_t j = i, cand[SIPDP_CFG_MAX_TARGETS], nc = 0;
		uint32_t total = 0;

		while (j < r->nb_targets && r->targets[j].priority == r->targets[i].priority) {
			const struct call_health *h = call_health_of(c, &r->targets[j], false);

			if (h == NULL || !h->down) {
				cand[nc++] = j;
				total += r->targets[j].weight ? r->targets[j].weight : 1;
			} else if (down_first == SIPDP_CFG_MAX_TARGETS) {
				down_first = j;
			}
			j++;
		}
		while (nc != 0) {
			uint32_t pick = (uint32_t)(rng_next(c) % total), k = 0, acc = 0;

			for (k = 0; k < nc; k++) {
				uint32_t w = r->targets[cand[k]].weight ? r->targets[cand[k]].weight : 1;

				acc += w;
				if (pick < acc)
					break;
			}
			if (k == nc)
				k = nc - 1;
			b->order[n++] = cand[k];
			total -= r->targets[cand[k]].weight ? r->targets[cand[k]].weight : 1;
			cand[k] = cand[--nc];
		}
		i = j;
	}
	b->nb_order = n;
	b->next = 0;
	return n;
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
call_expand_uri(struct sipdp_call *c, const char *tmpl, const struct call_setup *s)
{
	static const struct { const char *name; uint32_t len; } vars[] = {
		{ "${ruri_user}", 12 }, { "${ruri_host}", 12 }, { "${from_user}", 12 },
	};
	uint32_t o = 0, cap = sizeof(c->ruri);
	uint32_t off_user = (uint32_t)s->from_len + s->extra_len + s->ctype_len + s->body_len;
	const char *p = tmpl;

	while (*p != 0) {
		const char *d = strstr(p, "${");
		unsigned v;

		if (d == NULL) {
			if (put(c->ruri, cap, &o, p, (uint32_t)strlen(p)) != 0)
				return -ENOSPC;
			break;
		}
		if (put(c->ruri, cap, &o, p, (uint32_t)(d - p)) != 0)
			return -ENOSPC;
		for (v = 0; v < 3; v++)
			if (strncmp(d, vars[v].name, vars[v].len) == 0)
				break;
		if (v == 3)
			return -EINVAL; /* the loader refuses these */
		if (v == 0 && put(c->ruri, cap, &o, s->data + off_user, s->ruri_user_len) != 0)
			return -ENOSPC;
		if (v == 1 && put(c->ruri, cap, &o, s->data + off_user + s->ruri_user_len,
			    s->ruri_host_len) != 0)
			return -ENOSPC;
		if (v == 2 && put(c->ruri, cap, &o, s->data + off_user + s->ruri_user_len +
			    s->ruri_host_len, s->from_user_len) != 0)
			return -ENOSPC;
		p = d + vars[v].len;
	}
	c->ruri[o] = 0;
	return (int)o;
}
