/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour lookups on the workers: one rcu_dereference, a route scan over
 * at most SIPDP_DP_NEIGH_MAX_ROUTES entries and a linear-probing hash probe
 * in an immutable snapshot. No writes to shared memory, so no cache line
 * bounces between workers.
 */

#include <errno.h>
#include <string.h>

#include "dp_neigh_pvt.h"

static inline bool
prefix_match(const union sipdp_dp_ip *a, const union sipdp_dp_ip *p, uint8_t plen)
{
	uint32_t bytes = plen / 8, bits = plen % 8;

	if (memcmp(a->v6, p->v6, bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - bits));
	return (a->v6[bytes] & mask) == (p->v6[bytes] & mask);
}

int
sipdp_dp_neigh_lookup(const struct sipdp_dp_neigh *t, int family, const union sipdp_dp_ip *dst,
	struct rte_ether_addr *mac)
{
	const struct dp_neigh_snap *s = rcu_dereference(t->cur);
	const union sipdp_dp_ip *nh = dst;
	int best = -1;

	for (uint16_t i = 0; i < s->n_routes; i++) {
		const struct sipdp_dp_route *r = &s->routes[i];

		if (r->family == family && (best < 0 || r->plen > s->routes[best].plen) &&
		    prefix_match(dst, &r->prefix, r->plen))
			best = i;
	}
	if (best >= 0 && (s->routes[best].gw.w[0] | s->routes[best].gw.w[1]) != 0)
		nh = &s->routes[best].gw;

	for (uint32_t i = dp_neigh_hash((uint8_t)family, nh) & s->mask;; i = (i + 1) & s->mask) {
		const struct dp_neigh_slot *sl = &s->slots[i];

		if (sl->family == 0)
			return -ENOENT;
		if (sl->family == family && sipdp_dp_ip_eq(&sl->ip, nh)) {
			rte_ether_addr_copy(&sl->mac, mac);
			return 0;
		}
	}
}

uint32_t
sipdp_dp_neigh_count(const struct sipdp_dp_neigh *t)
{
	return rcu_dereference(t->cur)->n;
}

uint64_t
sipdp_dp_neigh_generation(const struct sipdp_dp_neigh *t)
{
	return rcu_dereference(t->cur)->gen;
}
