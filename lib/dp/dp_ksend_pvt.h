/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_DP_KSEND_PVT_H
#define SIPDP_DP_KSEND_PVT_H

#include "sipdp_dp.h"

struct sipdp_dp_ksend {
	int fd4;
	int fd6;
	uint64_t sent;
	uint64_t failed;
};

#endif /* SIPDP_DP_KSEND_PVT_H */
