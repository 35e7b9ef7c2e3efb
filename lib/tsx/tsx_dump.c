/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Names and the operator dump (cold: may print).
 */
#include <errno.h>
#include <inttypes.h>

#include "tsx_pvt.h"

static const char *const state_names[SIPDP_TSX_S__COUNT] = {
	[SIPDP_TSX_S_NULL] = "Null",
	[SIPDP_TSX_S_CALLING] = "Calling",
	[SIPDP_TSX_S_TRYING] = "Trying",
	[SIPDP_TSX_S_PROCEEDING] = "Proceeding",
	[SIPDP_TSX_S_COMPLETED] = "Completed",
	[SIPDP_TSX_S_CONFIRMED] = "Confirmed",
	[SIPDP_TSX_S_ACCEPTED] = "Accepted",
	[SIPDP_TSX_S_TERMINATED] = "Terminated",
};

const char *
sipdp_tsx_state_str(enum sipdp_tsx_state s)
{
	return (unsigned)s < SIPDP_TSX_S__COUNT ? state_names[s] : "?";
}

const char *
sipdp_tsx_kind_str(enum sipdp_tsx_kind k)
{
	static const char *const names[] = { "ICT", "NICT", "IST", "NIST" };

	return (unsigned)k < SIPDP_ARRAY_SIZE(names) ? names[k] : "?";
}

int
sipdp_tsx_dump(const struct sipdp_tsx_table *t, FILE *f)
{
	const struct sipdp_tsx_stats *s = &t->stats;
	int rc = 0;

	rc |= fprintf(f, "tsx shard %u: %u/%u live, chunks %u/%u x %u B, T1 %u T2 %u T4 %u ms\n",
		      t->shard_id, sipdp_pool_in_use(t->pool), sipdp_pool_capacity(t->pool),
		      t->chunks - t->chunks_free, t->chunks, t->chunk_size, t->t1_ms, t->t2_ms,
		      t->t4_ms) < 0;
	rc |= fprintf(f,
		      "  created ict %" PRIu64 " nict %" PRIu64 " ist %" PRIu64 " nist %" PRIu64
		      " terminated %" PRIu64 " timeouts %" PRIu64 " transport_errors %" PRIu64 "\n",
		      s->created[0], s->created[1], s->created[2], s->created[3], s->terminated,
		      s->timeouts, s->transport_errors) < 0;
	rc |= fprintf(f,
		      "  retransmits %" PRIu64 " absorbed %" PRIu64 " full_503 %" PRIu64
		      " merged_482 %" PRIu64 " no_chunks %" PRIu64 " stray_responses %" PRIu64
		      " bad_branch %" PRIu64 " stray_acks %" PRIu64 " malformed %" PRIu64
		      " send_failures %" PRIu64 " timer_failures %" PRIu64 "\n",
		      s->retransmits, s->absorbed, s->full_503, s->merged_482, s->no_chunks,
		      s->stray_responses, s->bad_branch, s->stray_acks, s->malformed,
		      s->send_failures, s->timer_failures) < 0;
	for (uint32_t i = 0; i < sipdp_pool_capacity(t->pool); i++) {
		sipdp_handle_t h;
		const struct tsx *x;
		if (!sipdp_pool_live(t->pool, i, &h))
			continue;
		x = sipdp_pool_at(t->pool, i);
		rc |= fprintf(f, "  [%u] %s %s %s cseq %u last %u%s kept %u B retrans_at %" PRIu64
			      " timeout_at %" PRIu64 "%s\n",
			      i, sipdp_tsx_kind_str(x->kind), sipdp_method_name(x->method),
			      sipdp_tsx_state_str(x->state), x->cseq, x->last_status,
			      tsx_reliable(x) ? " reliable" : "", x->kept_len, x->retrans_at,
			      x->timeout_at, (x->flags & TSX_F_ZOMBIE) ? " (kept for CANCEL)" : "") < 0;
	}
	return rc ? -EIO : 0;
}
