/* SPDX-License-Identifier: BSD-3-Clause */
/* Dialog table creation: everything the table will ever use is taken here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dlg_pvt.h"

int
sipdp_dlg_create(const struct sipdp_dlg_params *params, struct sipdp_dlg_table **out)
{
	struct sipdp_dlg_table *t;
	struct sipdp_pool_params pp;
	uint32_t nb;
	int rc;

	if (params == NULL || out == NULL || params->capacity == 0 || params->ext_size > 4096 ||
	    params->capacity > (1u << 30))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	pp.capacity = params->capacity;
	pp.elt_size = (uint32_t)sizeof(struct sipdp_dlg) + ((params->ext_size + 7u) & ~7u);
	rc = sipdp_pool_create(&pp, &t->pool);
	if (rc != 0) {
		free(t);
		return rc;
	}
	/* One bucket per dialog: chains stay at about one entry. */
	nb = sipdp_align32pow2(params->capacity);
	t->buckets = calloc(nb, sizeof(*t->buckets));
	if (t->buckets == NULL) {
		sipdp_pool_destroy(t->pool);
		free(t);
		return -ENOMEM;
	}
	t->bucket_mask = nb - 1;
	t->shard_id = params->shard_id;
	dlg_hex(t->shard_hex, params->shard_id, 4);
	t->key[0] = params->secret[0];
	t->key[1] = params->secret[1];
	/* Separate keys per use, so no output of one leaks into another. */
	t->hkey[0] = dlg_siphash2(t->key, 0x686173686b657931ull, 1);
	t->hkey[1] = dlg_siphash2(t->key, 0x686173686b657932ull, 2);
	*out = t;
	return 0;
}

void
sipdp_dlg_destroy(struct sipdp_dlg_table *t)
{
	if (t == NULL)
		return;
	sipdp_pool_destroy(t->pool);
	free(t->buckets);
	free(t);
}

size_t
sipdp_dlg_bytes_per_dialog(const struct sipdp_dlg_table *t)
{
	return sipdp_pool_bytes_per_slot(t->pool) +
	       (size_t)(t->bucket_mask + 1) * sizeof(*t->buckets) / t->pool->capacity;
}
