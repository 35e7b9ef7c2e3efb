/* SPDX-License-Identifier: BSD-3-Clause */
/* Call-ID ownership and the cross-worker hand-off rings (fast path). */

#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "sipdp_msg_hdr.h"
#include "sipdp_shard.h"
#include "sipdp_tsx.h"
#include "sipdp_ua.h"

/* A fixed seed: every worker must compute the same owner. The hash is not
 * a defence against a peer choosing Call-IDs that all land on one worker
 * (they can do that with any public hash); per-worker tables answer 503
 * when full, which bounds the damage. */
#define SHARD_OWNER_SEED 0x5349504450ull

uint16_t
sipdp_shard_owner(const struct sipdp_msg *m, uint16_t nb_workers)
{
	bool ours;

	return sipdp_shard_owner_ex(m, nb_workers, &ours);
}

uint16_t
sipdp_shard_owner_ex(const struct sipdp_msg *m, uint16_t nb_workers, bool *ours)
{
	struct sipdp_str cid;
	uint16_t shard;

	*ours = false;
	if (nb_workers <= 1)
		return 0;
	if (!m->is_request) {
		struct sipdp_via via;

		/* A response to one of our requests: the branch says which
		 * shard's transaction it is, no hash needed. */
		if (sipdp_msg_top_via(m, &via) == 0 && via.branch.p != NULL &&
		    sipdp_tsx_branch_shard(via.branch, &shard) == 0 && shard < nb_workers) {
			*ours = true;
			return shard;
		}
	}
	cid = sipdp_msg_call_id(m);
	if (cid.p == NULL)
		return 0;
	/* Dialogs we originated carry a Call-ID that names their shard. */
	if (sipdp_ua_id_shard(cid, &shard) == 0 && shard < nb_workers) {
		*ours = true;
		return shard;
	}
	return (uint16_t)(sipdp_str_hash(cid, SHARD_OWNER_SEED) % nb_workers);
}

uint16_t
sipdp_shard_handoff_enqueue(struct rte_ring *r, const struct sipdp_dp_rx *msgs, uint16_t n,
	uint64_t *drops)
{
	unsigned done = rte_ring_sp_enqueue_burst_elem(r, msgs, sizeof(*msgs), n, NULL);

	/* Never wait for the consumer: a worker that waits on another can
	 * deadlock with it. SIP over UDP retransmits what we drop here. */
	for (unsigned i = done; i < n; i++)
		rte_pktmbuf_free(msgs[i].m);
	*drops += n - done;
	return (uint16_t)done;
}

struct rte_ring *
sipdp_shard_handoff_ring_create(const char *name, unsigned count, int socket)
{
	SIPDP_STATIC_ASSERT(sizeof(struct sipdp_dp_rx) % 4 == 0, "ring elements are 4-byte multiples");
	return rte_ring_create_elem(name, sizeof(struct sipdp_dp_rx), count, socket,
		RING_F_SP_ENQ | RING_F_SC_DEQ);
}
