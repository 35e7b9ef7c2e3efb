/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour table, control side: the private copy, snapshot building and
 * publication. Reclamation: liburcu 0.13 has no non-blocking grace-period
 * polling (start_poll_synchronize_rcu came in 0.14), so the old snapshot is
 * handed to call_rcu, whose helper thread waits for the grace period and
 * frees it; the control loop never blocks. Publishing is rare (the kernel's
 * table changes at human rates), so the helper thread is nearly idle.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp_neigh_pvt.h"

static void
snap_free_rcu(struct rcu_head *head)
{
	free(caa_container_of(head, struct dp_neigh_snap, rcu));
}

static struct dp_neigh_snap *
snap_build(const struct sipdp_dp_neigh *t, uint64_t gen)
{
	uint32_t nslots = sipdp_align32pow2(SIPDP_MAX(16u, t->n_ctl * 2));
	struct dp_neigh_snap *s = calloc(1, sizeof(*s) + (size_t)nslots * sizeof(s->slots[0]));

	if (s == NULL)
		return NULL;
	s->gen = gen;
	s->n = t->n_ctl;
	s->mask = nslots - 1;
	s->n_routes = t->n_routes;
	memcpy(s->routes, t->routes, sizeof(s->routes));
	for (uint32_t k = 0; k < t->n_ctl; k++) {
		const struct sipdp_dp_neigh_entry *e = &t->ctl[k].e;
		uint32_t i = dp_neigh_hash(e->family, &e->ip) & s->mask;

		while (s->slots[i].family != 0)
			i = (i + 1) & s->mask;
		s->slots[i].ip = e->ip;
		s->slots[i].mac = e->mac;
		s->slots[i].family = e->family;
	}
	return s;
}

int
sipdp_dp_neigh_create(const struct sipdp_dp_neigh_params *params, struct sipdp_dp_neigh **out)
{
	struct sipdp_dp_neigh *t;

	if (params == NULL || out == NULL || params->max_entries == 0 ||
	    params->max_entries > (1u << 24))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->ctl = calloc(params->max_entries, sizeof(t->ctl[0]));
	t->nl_buf_len = 64 * 1024;
	t->nl_buf = malloc(t->nl_buf_len);
	t->cur = snap_build(t, 0);
	if (t->ctl == NULL || t->nl_buf == NULL || t->cur == NULL) {
		free(t->ctl);
		free(t->nl_buf);
		free(t->cur);
		free(t);
		return -ENOMEM;
	}
	t->max = params->max_entries;
	t->ifindex = params->ifindex;
	t->nl_fd = -1;
	*out = t;
	return 0;
}

void
sipdp_dp_neigh_destroy(struct sipdp_dp_neigh *t)
{
	if (t == NULL)
		return;
	/* rcu_barrier waits for call_rcu callbacks, which wait for a grace
	 * period, which would wait for us if we were an online reader. */
	bool online = urcu_qsbr_read_ongoing();

	if (online)
		urcu_qsbr_thread_offline();
	urcu_qsbr_barrier();
	if (online)
		urcu_qsbr_thread_online();
	if (t->nl_fd >= 0)
		close(t->nl_fd);
	free(t->cur);
	free(t->ctl);
	free(t->nl_buf);
	free(t);
}

static int
ctl_find(const struct sipdp_dp_neigh *t, uint8_t family, const union sipdp_dp_ip *ip)
{
	for (uint32_t i = 0; i < t->n_ctl; i++)
		if (t->ctl[i].e.family == family && sipdp_dp_ip_eq(&t->ctl[i].e.ip, ip))
			return (int)i;
	return -1;
}

int
sipdp_dp_neigh_set(struct sipdp_dp_neigh *t, const struct sipdp_dp_neigh_entry *e)
{
	int i;

	if (e->family != AF_INET && e->family != AF_INET6)
		return -EINVAL;
	i = ctl_find(t, e->family, &e->ip);
	if (i < 0) {
		if (t->n_ctl == t->max) {
			t->full++;
			return -ENOSPC;
		}
		i = (int)t->n_ctl++;
		t->ctl[i].e = *e;
		t->dirty = true;
	} else if (!rte_is_same_ether_addr(&t->ctl[i].e.mac, &e->mac)) {
		t->ctl[i].e.mac = e->mac;
		t->dirty = true;
	}
	t->ctl[i].seen = t->epoch;
	return 0;
}

int
sipdp_dp_neigh_del(struct sipdp_dp_neigh *t, int family, const union sipdp_dp_ip *ip)
{
	int i = ctl_find(t, (uint8_t)family, ip);

	if (i < 0)
		return -ENOENT;
	t->ctl[i] = t->ctl[--t->n_ctl];
	t->dirty = true;
	return 0;
}

int
sipdp_dp_neigh_set_routes(struct sipdp_dp_neigh *t, const struct sipdp_dp_route *routes,
	uint16_t n)
{
	if (n > SIPDP_DP_NEIGH_MAX_ROUTES)
		return -EINVAL;
	for (uint16_t i = 0; i < n; i++)
		if ((routes[i].family != AF_INET || routes[i].plen > 32) &&
		    (routes[i].family != AF_INET6 || routes[i].plen > 128))
			return -EINVAL;
	memset(t->routes, 0, sizeof(t->routes));
	memcpy(t->routes, routes, n * sizeof(routes[0]));
	t->n_routes = n;
	t->dirty = true;
	return 0;
}

int
sipdp_dp_neigh_publish(struct sipdp_dp_neigh *t)
{
	struct dp_neigh_snap *s, *old;

	if (!t->dirty)
		return 0;
	s = snap_build(t, t->cur->gen + 1);
	if (s == NULL)
		return -ENOMEM;
	old = rcu_xchg_pointer(&t->cur, s);
	urcu_qsbr_call_rcu(&old->rcu, snap_free_rcu);
	t->dirty = false;
	return 1;
}

/* Mark-and-sweep after a full dump: what the dump did not confirm is gone
 * from the kernel (we may have missed its RTM_DELNEIGH on ENOBUFS). */
void
dp_neigh_sweep(struct sipdp_dp_neigh *t)
{
	for (uint32_t i = 0; i < t->n_ctl;) {
		if (t->ctl[i].seen != t->epoch) {
			t->ctl[i] = t->ctl[--t->n_ctl];
			t->dirty = true;
		} else {
			i++;
		}
	}
}
