/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_SHARD_GEN_H
#define SIPDP_SHARD_GEN_H

#include "shard_pvt.h"

/* One worker's share of the calls: section, made at start (cold) and then
 * touched by that worker only; telemetry reads it with relaxed loads. */
struct shard_gen {
	/* what each call sends, built once */
	char ruri[SIPDP_CFG_URI_LEN];
	char from[SIPDP_CFG_URI_LEN + 2];
	char to[SIPDP_CFG_URI_LEN + 2];
	char extra[64];
	uint32_t ruri_len, from_len, to_len, extra_len;
	struct sipdp_tsx_dest dest;
	const char *sdp_tmpl;           /* "" in the config: NULL */
	char local_ip[SHARD_IPSTR];
	uint32_t session_expires_s, min_se_s;
	uint8_t refresher;
	/* pacing */
	uint64_t rate;                  /* this worker's calls per second */
	uint64_t burst;                 /* bucket size, calls */
	uint64_t tokens;                /* calls * tsc_hz */
	uint64_t last_tsc, end_tsc;
	uint64_t quota;                 /* calls to start; UINT64_MAX with duration_s */
	uint64_t started;               /* calls due so far (started or not) */
	uint32_t duration_s;
	uint32_t hold_ms;
	uint32_t max_live;              /* this worker's share of max_concurrent, 0: none */
	uint64_t live;
	uint64_t first_us, done_us;     /* first loop of the run; stopped with no call left */
	bool stopped;
	/* report */
	uint16_t status[SIPDP_SHARD_GEN_STATUS];
	uint64_t status_count[SIPDP_SHARD_GEN_STATUS];
	uint64_t status_other;
	struct sipdp_shard_hist setup;
	/* calls.prack, calls.refer_to (appended) */
	uint8_t rel100;                 /* enum sipdp_ua_invite_100rel */
	char refer_to[SIPDP_CFG_URI_LEN]; /* "" : no transfer */
	uint32_t refer_to_len;
	uint32_t refer_after_ms;
	uint16_t xstatus[SIPDP_SHARD_GEN_STATUS]; /* failed transfers by status */
	uint64_t xstatus_count[SIPDP_SHARD_GEN_STATUS];
	uint64_t xstatus_other;
};

#endif /* SIPDP_SHARD_GEN_H */
