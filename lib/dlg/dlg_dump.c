/* SPDX-License-Identifier: BSD-3-Clause */
/* Operator dumps of the dialog table. Cold path. */
#include <errno.h>
#include <stdio.h>

#include "dlg_pvt.h"

int
sipdp_dlg_dump_one(const struct sipdp_dlg_table *t, const struct sipdp_dlg *d, FILE *f)
{
	sipdp_handle_t h = sipdp_dlg_handle(t, d);
	int rc = 0;

	rc |= fprintf(f, "dialog %u/%u %s %s%s reason=%s/%u cseq=%u/%u routes=%u arena=%u\n",
		      sipdp_handle_index(h), sipdp_handle_gen(h), d->role == SIPDP_DLG_UAC ? "UAC" : "UAS",
		      sipdp_dlg_state_str((enum sipdp_dlg_state)d->state),
		      (d->flags & SIPDP_DLG_F_ANCHOR) ? " (anchor)" : "",
		      sipdp_dlg_reason_str((enum sipdp_dlg_reason)d->reason), d->reason_code,
		      d->local_cseq, d->remote_cseq, d->nroutes, d->arena_used) < 0;
	rc |= fprintf(f, "  call-id=%.*s local=%.*s remote=%.*s\n  target=%.*s route=%.*s\n",
		      SIPDP_STR_FMT(sipdp_dlg_str(d, d->call_id)),
		      SIPDP_STR_FMT(sipdp_dlg_str(d, d->local_hdr)),
		      SIPDP_STR_FMT(sipdp_dlg_str(d, d->remote_hdr)),
		      SIPDP_STR_FMT(sipdp_dlg_str(d, d->target)),
		      SIPDP_STR_FMT(sipdp_dlg_str(d, d->route))) < 0;
	for (unsigned i = 0; i < d->hist_n; i++) {
		unsigned k = (d->hist_next + SIPDP_DLG_HIST - d->hist_n + i) % SIPDP_DLG_HIST;
		const struct sipdp_dlg_hist *e = &d->hist[k];
		rc |= fprintf(f, "  [%u ms] %s -> %s on %s %u\n", e->at_ms,
			      sipdp_dlg_state_str((enum sipdp_dlg_state)(e->from_to >> 4)),
			      sipdp_dlg_state_str((enum sipdp_dlg_state)(e->from_to & 15)),
			      sipdp_dlg_event_str((enum sipdp_dlg_event)e->event), e->status) < 0;
	}
	return rc ? -EIO : 0;
}

int
sipdp_dlg_dump(const struct sipdp_dlg_table *t, FILE *f)
{
	const struct sipdp_dlg_stats *s = &t->stats;
	int rc = 0;

	rc |= fprintf(f, "dialogs: shard=%u in_use=%u/%u max=%u bytes/dialog=%zu\n", t->shard_id,
		      sipdp_pool_in_use(t->pool), sipdp_pool_capacity(t->pool),
		      sipdp_pool_in_use_max(t->pool), sipdp_dlg_bytes_per_dialog(t)) < 0;
	rc |= fprintf(f, "  created=%llu freed=%llu full=%llu arena_full=%llu bad_transition=%llu "
		      "bad_tag=%llu cseq_500=%llu\n",
		      (unsigned long long)s->created, (unsigned long long)s->freed,
		      (unsigned long long)s->full, (unsigned long long)s->arena_full,
		      (unsigned long long)s->bad_transition, (unsigned long long)s->bad_tag,
		      (unsigned long long)s->cseq_500) < 0;
	for (uint32_t i = 0; i < sipdp_pool_capacity(t->pool); i++) {
		if (sipdp_pool_live(t->pool, i, NULL) && sipdp_dlg_dump_one(t, dlg_at(t, i), f) != 0)
			rc = 1;
	}
	return rc ? -EIO : 0;
}
