/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Config snapshots and reloads (control thread, cold).
 *
 * Workers read s->snap once at the top of each loop iteration and report
 * a QSBR quiescent state at its end, so after rcu_assign_pointer() and one
 * grace period no worker holds the old pointer outside a call: the only
 * users left are answered calls that were set up under it (their dialog's
 * app word names it). Each worker counts those per snapshot; the old
 * snapshot is retired and freed once every count is 0. After the grace
 * period a count can only fall, so reading them relaxed is enough.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define URCU_INLINE_SMALL_FUNCTIONS 1
#include <urcu/urcu-qsbr.h>

#include "shard_pvt.h"

/* Compile @p cfg's policy (lib/call), logging why a regex does not. */
int
shard_policy_compile(const struct sipdp_cfg *cfg, struct sipdp_call_policy **out)
{
	char err[128];
	int rc = sipdp_call_policy_create_err(cfg, out, err, sizeof(err));

	if (rc == -EINVAL && err[0] != 0)
		SHARD_LOG(ERR, "%s\n", err);
	return rc;
}

int
shard_snap_create(struct sipdp_shard *s, const struct sipdp_cfg *cfg, struct shard_snap **out)
{
	struct shard_snap *snap;
	int rc;

	(void)s;
	snap = aligned_alloc(64, sizeof(*snap));
	if (snap == NULL)
		return -ENOMEM;
	memset(snap, 0, sizeof(*snap));
	/* The app word keeps the address in 48 bits (shard_pvt.h). */
	if (((uintptr_t)snap >> 48) != 0 || ((uintptr_t)snap & 0x3f) != 0) {
		free(snap);
		return -ENOMEM;
	}
	snap->cfg = cfg;
	rc = shard_policy_compile(cfg, &snap->policy);
	if (rc != 0) {
		free(snap);
		return rc;
	}
	*out = snap;
	return 0;
}

void
shard_snap_destroy(struct shard_snap *snap)
{
	if (snap == NULL)
		return;
	sipdp_call_policy_destroy(snap->policy);
	sipdp_cfg_free(snap->owned);
	free(snap);
}

static uint64_t
snap_refs(const struct shard_snap *snap, uint16_t nb_workers)
{
	uint64_t n = 0;

	for (uint16_t i = 0; i < nb_workers; i++)
		n += __atomic_load_n(&snap->refs[i].n, __ATOMIC_RELAXED);
	return n;
}

void
shard_reload_reclaim(struct sipdp_shard *s, bool all)
{
	struct shard_snap **pp = &s->retired;

	while (*pp != NULL) {
		struct shard_snap *r = *pp;

		if (all || snap_refs(r, s->nb_workers) == 0) {
			*pp = r->retired_next;
			shard_snap_destroy(r);
		} else {
			pp = &r->retired_next;
		}
	}
}

int
sipdp_shard_reload(struct sipdp_shard *s, struct sipdp_cfg *cfg)
{
	struct shard_snap *snap, *old;
	int rc;

	if (s == NULL || cfg == NULL)
		return -EINVAL;
	rc = shard_snap_create(s, cfg, &snap);
	if (rc != 0)
		return rc;
	snap->owned = cfg;
	old = s->snap;
	rcu_assign_pointer(s->snap, snap);
	/* Blocks this thread for one grace period: each worker passes its
	 * quiescent state once per loop (microseconds). */
	urcu_qsbr_synchronize_rcu();
	old->retired_next = s->retired;
	s->retired = old;
	shard_reload_reclaim(s, false);
	return 0;
}

void
sipdp_shard_reload_count(struct sipdp_shard *s, bool ok)
{
	__atomic_fetch_add(ok ? &s->reloads_ok : &s->reloads_failed, 1, __ATOMIC_RELAXED);
}

const struct sipdp_cfg *
sipdp_shard_cfg(const struct sipdp_shard *s)
{
	return s->snap->cfg;
}
