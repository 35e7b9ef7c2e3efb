/* SPDX-License-Identifier: BSD-3-Clause */
/* Bounded walk over the live dialogs, for operator samples taken by the
 * owning worker between messages (never a whole-table scan at once). */
#include "dlg_pvt.h"

struct sipdp_dlg *
sipdp_dlg_next(const struct sipdp_dlg_table *t, uint32_t *cursor, uint32_t max_scan)
{
	uint32_t cap = sipdp_pool_capacity(t->pool);

	while (*cursor < cap && max_scan-- > 0) {
		uint32_t i = (*cursor)++;

		if (sipdp_pool_live(t->pool, i, NULL))
			return dlg_at(t, i);
	}
	return NULL;
}

uint32_t
sipdp_dlg_created_ms(const struct sipdp_dlg *d)
{
	unsigned k = (d->hist_next + SIPDP_DLG_HIST - d->hist_n) % SIPDP_DLG_HIST;

	return d->hist_n ? d->hist[k].at_ms : 0;
}
