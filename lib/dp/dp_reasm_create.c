/* SPDX-License-Identifier: BSD-3-Clause */
/* Creation and teardown of the per-worker reassembly context (cold). */

#include <errno.h>

#include <rte_ip_frag.h>
#include <rte_malloc.h>

#include "dp_reasm_pvt.h"
#include "sipdp_dp.h"

/* Associativity of the fragment table's buckets (the ip_reassembly example's
 * figure); buckets are sized so max_flows fit with room for collisions. */
#define DP_REASM_BUCKET_ENTRIES 16

int
sipdp_dp_reasm_create(const struct sipdp_dp_reasm_params *params, struct sipdp_dp_reasm **out)
{
	struct sipdp_dp_reasm *r;
	uint32_t buckets;

	if (params == NULL || out == NULL || params->lin_pool == NULL || params->max_flows == 0 ||
	    params->max_flows > (1u << 20) || params->timeout_cycles == 0)
		return -EINVAL;
	r = rte_zmalloc_socket("sipdp_dp_reasm", sizeof(*r), RTE_CACHE_LINE_SIZE,
		params->socket_id);
	if (r == NULL)
		return -ENOMEM;
	buckets = sipdp_align32pow2((params->max_flows + DP_REASM_BUCKET_ENTRIES - 1) /
		DP_REASM_BUCKET_ENTRIES * 2);
	r->tbl = rte_ip_frag_table_create(buckets, DP_REASM_BUCKET_ENTRIES, params->max_flows,
		params->timeout_cycles, params->socket_id);
	if (r->tbl == NULL) {
		rte_free(r);
		return -ENOMEM;
	}
	r->lin_pool = params->lin_pool;
	*out = r;
	return 0;
}

void
sipdp_dp_reasm_destroy(struct sipdp_dp_reasm *r)
{
	if (r == NULL)
		return;
	/* Frees the mbufs of incomplete datagrams too. */
	rte_ip_frag_table_destroy(r->tbl);
	rte_ip_frag_free_death_row(&r->dr, 0);
	rte_free(r);
}
