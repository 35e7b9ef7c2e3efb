/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Observability, worker side: the call setup-time histogram and the HEP
 * copies of SIP messages (shard_obs_ctl.c sends them).
 *
 * A HEP copy costs, when hep: is configured, a token from the worker's
 * own bucket (no atomics), one mbuf from the copy pool (its per-lcore
 * cache), one memcpy of the message and one SPSC enqueue. Whatever fails
 * drops the copy, never the message, and is counted. Without hep: the
 * cost is one load and branch per message. Worker lcore only.
 */
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "shard_pvt.h"
#include "sipdp_dlg.h"

void
shard_setup_record(struct shard_worker *w, sipdp_handle_t dlg)
{
	const struct sipdp_dlg *d = sipdp_ua_dlg(w->ua, dlg);
	uint32_t ms;
	unsigned i = 0;

	w->st.calls_answered++;
	if (d == NULL)
		return;
	/* The dialog's history keeps ms ticks of the worker's clock. */
	ms = (uint32_t)(w->now_us / 1000) - sipdp_dlg_created_ms(d);
	while (i < SIPDP_SHARD_SETUP_BOUNDS && ms > sipdp_shard_setup_bounds_ms[i])
		i++;
	w->st.setup_b[i]++;
	w->st.setup_sum_ms += ms;
}

void
shard_hep_copy(struct shard_worker *w, const struct sipdp_tsx_dest *peer, bool out,
	const char *buf, uint32_t len)
{
	const struct sipdp_shard *s = w->s;
	const struct sipdp_dp_classifier *cls = s->p.cls;
	struct shard_hep_rec *r;
	struct rte_mbuf *m;
	uint16_t id;

	if (!sipdp_ratelim_take(&w->hep_rl, w->now_us, NULL)) {
		w->st.hep_dropped_rate++;
		return;
	}
	if (len > SHARD_HEP_MAX_MSG) {
		w->st.hep_dropped_size++;
		return;
	}
	m = rte_pktmbuf_alloc(s->hep_pool);
	if (m == NULL) {
		w->st.hep_dropped_full++;
		return;
	}
	r = (struct shard_hep_rec *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*r) + len));
	if (r == NULL) {
		rte_pktmbuf_free(m);
		w->st.hep_dropped_size++;
		return;
	}
	id = peer->local_id < cls->n_local ? peer->local_id : 0;
	r->tsc = rte_rdtsc();
	r->family = peer->family;
	r->transport = peer->transport;
	r->out = out;
	r->peer_port = peer->port;
	memcpy(r->peer, peer->addr, 16);
	memcpy(r->local, cls->local[id].addr.v6, 16);
	/* TCP and TLS: the listening port (an outbound connection's own
	 * port is the kernel's, not known here). */
	r->local_port = peer->transport == SIPDP_TSX_TP_TCP ? s->cfg->sip.tcp_port :
		peer->transport == SIPDP_TSX_TP_TLS ? s->cfg->sip.tls_port : cls->local[id].port;
	r->len = len;
	memcpy(r + 1, buf, len);
	if (rte_ring_sp_enqueue(w->hep_ring, m) != 0) {
		rte_pktmbuf_free(m);
		w->st.hep_dropped_full++;
		return;
	}
	w->st.hep_copied++;
}
