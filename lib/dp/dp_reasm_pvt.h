/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_DP_REASM_PVT_H
#define SIPDP_DP_REASM_PVT_H

#include <rte_ip_frag.h>

struct sipdp_dp_reasm {
	struct rte_ip_frag_tbl *tbl;
	struct rte_mempool *lin_pool;
	struct rte_ip_frag_death_row dr;
};

#endif /* SIPDP_DP_REASM_PVT_H */
