/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_DLG_PVT_H
#define SIPDP_DLG_PVT_H

/* Private to lib/dlg. */

#include "sipdp_dlg.h"

#define DLG_NONE 0u /* index+1 links: 0 = none */

struct sipdp_dlg_table {
	struct sipdp_pool *pool;
	uint32_t *buckets;     /* (Call-ID, remote tag) chains, index+1 heads */
	uint32_t bucket_mask;
	uint16_t shard_id;
	char shard_hex[4];
	uint64_t key[2];       /* PRF key */
	uint64_t hkey[2];      /* derived: hash table key */
	uint64_t counter;      /* Call-ID sequence */
	struct sipdp_dlg_stats stats;
};

static inline uint32_t
dlg_idx(const struct sipdp_dlg_table *t, const struct sipdp_dlg *d)
{
	return (uint32_t)(((const uint8_t *)d - t->pool->elts) / t->pool->elt_size);
}

static inline struct sipdp_dlg *
dlg_at(const struct sipdp_dlg_table *t, uint32_t idx)
{
	return (struct sipdp_dlg *)sipdp_pool_at(t->pool, idx);
}

uint64_t dlg_siphash(const uint64_t key[2], const void *p, uint32_t len);
uint64_t dlg_siphash2(const uint64_t key[2], uint64_t a, uint64_t b);
void dlg_hex(char *out, uint64_t v, unsigned digits);
int dlg_unhex(const char *p, unsigned digits, uint64_t *v);
void dlg_make_tag(const struct sipdp_dlg_table *t, uint32_t idx, uint32_t gen, char *out);
uint64_t dlg_hash_key(const struct sipdp_dlg_table *t, struct sipdp_str call_id, struct sipdp_str rtag);
void dlg_hash_insert(struct sipdp_dlg_table *t, struct sipdp_dlg *d);

#endif /* SIPDP_DLG_PVT_H */
