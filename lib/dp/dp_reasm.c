/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker IP reassembly (DPDK ip_frag) and linearization.
 *
 * Why copy a reassembled datagram: the library returns a chain of the
 * fragments' mbufs, the SIP parser wants contiguous bytes, and a message may
 * be handed to another lcore (Call-ID owner) with its mbuf. Copying into one
 * mbuf from a large-buffer pool keeps "the message lives in its mbuf" true
 * for every message; a per-worker scratch buffer would not survive the
 * hand-off. This is the only copy on receive, and only fragmented (or
 * scattered) datagrams pay it.
 */
#define ALLOW_EXPERIMENTAL_API 1 /* rte_ip_frag_table_del_expired_entries */

#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include "dp_pvt.h"
#include "dp_reasm_pvt.h"
#include "sipdp_dp.h"

int
dp_linearize(struct rte_mbuf **mp, struct rte_mempool *pool)
{
	struct rte_mbuf *m = *mp, *d;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint8_t *dst;

	if (len > (uint32_t)rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM)
		return -EMSGSIZE;
	d = rte_pktmbuf_alloc(pool);
	if (d == NULL)
		return -ENOMEM;
	dst = (uint8_t *)rte_pktmbuf_append(d, (uint16_t)len);
	if (dst == NULL) {
		rte_pktmbuf_free(d);
		return -EMSGSIZE;
	}
	for (const struct rte_mbuf *s = m; s != NULL; s = s->next) {
		memcpy(dst, rte_pktmbuf_mtod(s, const void *), s->data_len);
		dst += s->data_len;
	}
	d->port = m->port;
	d->vlan_tci = m->vlan_tci;
	d->packet_type = m->packet_type;
	d->l2_len = m->l2_len;
	d->l3_len = m->l3_len;
	/* RX checksum flags described the first fragment only: verify again. */
	d->ol_flags = 0;
	rte_pktmbuf_free(m);
	*mp = d;
	return 0;
}

/* Hand one fragment to the table. Returns the complete datagram (a chain)
 * or NULL when it is held, or was refused (then it is on the death row). */
static struct rte_mbuf *
reasm_one(struct sipdp_dp_reasm *r, struct rte_mbuf *m, uint64_t now, bool *frag)
{
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len);
	struct rte_mbuf *done;

	if ((l3[0] >> 4) == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;

		if (!rte_ipv4_frag_pkt_is_fragmented(ip))
			return m;
		*frag = true;
		done = rte_ipv4_frag_reassemble_packet(r->tbl, &r->dr, m, now, ip);
		if (done != NULL) {
			ip = rte_pktmbuf_mtod_offset(done, struct rte_ipv4_hdr *, done->l2_len);
			/* The library leaves the sum zero for the caller. */
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		}
		return done;
	}
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)l3;
	struct rte_ipv6_fragment_ext *fh = rte_ipv6_frag_get_ipv6_fragment_header(ip6);

	if (fh == NULL)
		return m;
	*frag = true;
	return rte_ipv6_frag_reassemble_packet(r->tbl, &r->dr, m, now, ip6, fh);
}

uint16_t
sipdp_dp_reasm_burst(struct sipdp_dp_reasm *r, const struct sipdp_dp_classifier *cls,
	uint16_t queue_id, struct rte_mbuf **slow, uint16_t n, uint64_t now_cycles,
	struct sipdp_dp_rx *sip, struct rte_mbuf **exc, uint16_t *n_exc,
	struct sipdp_dp_rx_stats *st)
{
	uint16_t ns = 0, ne = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = slow[i];
		uint32_t dead = r->dr.cnt;
		bool frag = false;
		int rc;

		m = reasm_one(r, m, now_cycles, &frag);
		if (m == NULL) {
			if (r->dr.cnt != dead)
				st->drop_reasm++;
			continue;
		}
		st->reassembled += frag;
		rc = dp_linearize(&m, r->lin_pool);
		if (rc != 0) {
			if (rc == -EMSGSIZE)
				st->drop_oversize++;
			else
				st->drop_nombuf++;
			rte_pktmbuf_free(m);
			continue;
		}
		st->linearized++;
		switch (sipdp_dp_classify(cls, m, &sip[ns])) {
		case SIPDP_DP_SIP:
			sip[ns].peer.flags |= SIPDP_DP_PEER_REASSEMBLED;
			sip[ns++].peer.queue_id = queue_id;
			break;
		case SIPDP_DP_EXCEPTION:
			exc[ne++] = m;
			break;
		case SIPDP_DP_DROP_CKSUM:
			st->drop_cksum++;
			if (dp_cksum_drop_is_udp(m))
				st->drop_udp_cksum++;
			rte_pktmbuf_free(m);
			break;
		default: /* still a fragment after reassembly: malformed */
			st->drop_malformed++;
			rte_pktmbuf_free(m);
			break;
		}
	}
	rte_ip_frag_free_death_row(&r->dr, 3);
	st->sip += ns;
	st->exception += ne;
	*n_exc = ne;
	return ns;
}

void
sipdp_dp_reasm_expire(struct sipdp_dp_reasm *r, uint64_t now_cycles)
{
	rte_ip_frag_table_del_expired_entries(r->tbl, &r->dr, now_cycles);
	rte_ip_frag_free_death_row(&r->dr, 3);
}
