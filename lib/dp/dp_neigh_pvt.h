/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_DP_NEIGH_PVT_H
#define SIPDP_DP_NEIGH_PVT_H

#define URCU_INLINE_SMALL_FUNCTIONS 1 /* rcu_dereference inline, LGPL-clean */
#include <urcu/urcu-qsbr.h>
#include <urcu/rculist.h>

#include "sipdp_dp.h"

/* One hash slot of a snapshot; family 0 = empty. */
struct dp_neigh_slot {
	union sipdp_dp_ip ip;
	struct rte_ether_addr mac;
	uint8_t family;
};

/* Immutable once published. */
struct dp_neigh_snap {
	struct rcu_head rcu;
	uint64_t gen;
	uint32_t n;
	uint32_t mask;
	uint16_t n_routes;
	struct sipdp_dp_route routes[SIPDP_DP_NEIGH_MAX_ROUTES];
	struct dp_neigh_slot slots[];
};

/* Control lcore's copy of the kernel table. */
struct dp_neigh_ctl {
	struct sipdp_dp_neigh_entry e;
	uint32_t seen; /* dump epoch that last confirmed it (mark and sweep) */
};

struct sipdp_dp_neigh {
	struct dp_neigh_snap *cur; /* RCU-protected */

	/* control lcore only */
	struct dp_neigh_ctl *ctl;
	uint32_t n_ctl;
	uint32_t max;
	struct sipdp_dp_route routes[SIPDP_DP_NEIGH_MAX_ROUTES];
	uint16_t n_routes;
	bool dirty;
	int ifindex;
	int nl_fd;
	uint32_t nl_seq;
	uint32_t epoch;
	bool dump_running;
	bool redump;
	uint64_t full; /* entries refused: max reached */
	uint8_t *nl_buf;
	uint32_t nl_buf_len;
};

static inline uint32_t
dp_neigh_hash(uint8_t family, const union sipdp_dp_ip *ip)
{
	uint64_t h = (ip->w[0] ^ (ip->w[1] * 0x9e3779b97f4a7c15ull) ^ family) * 0xff51afd7ed558ccdull;

	return (uint32_t)(h >> 32);
}

/* Drop control entries the last full dump did not confirm. */
void dp_neigh_sweep(struct sipdp_dp_neigh *t);

/* Start a dump on the netlink socket (dp_neigh_netlink.c). */
int dp_neigh_netlink_dump(struct sipdp_dp_neigh *t);

#endif /* SIPDP_DP_NEIGH_PVT_H */
