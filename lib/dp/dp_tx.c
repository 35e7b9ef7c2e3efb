/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transmit builder: UDP/IP/Ethernet headers prepended in the payload mbuf's
 * headroom (no copy), checksums offloaded when the port can, fragmentation
 * over the MTU with DPDK's ip_frag library (fragment bodies are indirect
 * mbufs that point into the payload mbuf: still no copy).
 */

#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "dp_pvt.h"
#include "sipdp_dp.h"

#define DP_TTL 64

static inline uint32_t
l2_size(const struct sipdp_dp_peer *peer, const struct rte_ether_addr *dst_mac)
{
	if (dst_mac == NULL)
		return 0;
	return RTE_ETHER_HDR_LEN + ((peer->flags & SIPDP_DP_PEER_VLAN) ? sizeof(struct rte_vlan_hdr) : 0);
}

static inline void
put_l2(uint8_t *p, const struct sipdp_dp_txq *txq, const struct sipdp_dp_peer *peer,
	const struct rte_ether_addr *dst_mac)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;
	rte_be16_t et = rte_cpu_to_be_16(peer->family == AF_INET ? RTE_ETHER_TYPE_IPV4
								  : RTE_ETHER_TYPE_IPV6);

	rte_ether_addr_copy(dst_mac, &eh->dst_addr);
	rte_ether_addr_copy(&txq->src_mac, &eh->src_addr);
	if (peer->flags & SIPDP_DP_PEER_VLAN) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eh + 1);

		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16(peer->vlan_tci);
		vh->eth_proto = et;
	} else {
		eh->ether_type = et;
	}
}

/* Fragments the datagram needs at this MTU (the library's own arithmetic:
 * fragment payloads are multiples of 8 bytes, RFC 791 §2.3 / RFC 8200 §4.5). */
static inline uint32_t
frags_needed(uint32_t l3_payload, uint32_t mtu, uint32_t l3_hdr)
{
	uint32_t fs = (mtu - l3_hdr) & ~7u;

	return (l3_payload + fs - 1) / fs;
}

SIPDP_NOINLINE static int
tx_fragment(struct sipdp_dp_txq *txq, struct rte_mbuf *m, const struct sipdp_dp_peer *peer,
	const struct rte_ether_addr *dst_mac, struct rte_mbuf **out, uint16_t n_out,
	uint32_t udp_len, uint32_t id)
{
	uint32_t l2 = l2_size(peer, dst_mac);
	int32_t n;

	m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
	if (peer->family == AF_INET) {
		if (frags_needed(udp_len, txq->mtu, sizeof(struct rte_ipv4_hdr)) > n_out)
			return -ENOSPC;
		n = rte_ipv4_fragment_packet(m, out, n_out, txq->mtu, txq->direct_pool,
			txq->indirect_pool);
	} else {
		if (frags_needed(udp_len, txq->mtu,
				 sizeof(struct rte_ipv6_hdr) + RTE_IPV6_FRAG_HDR_SIZE) > n_out)
			return -ENOSPC;
		n = rte_ipv6_fragment_packet(m, out, n_out, txq->mtu, txq->direct_pool,
			txq->indirect_pool);
	}
	if (n < 0)
		return n == -EINVAL ? -ENOSPC : n;

	for (int32_t i = 0; i < n; i++) {
		struct rte_mbuf *f = out[i];

		if (peer->family == AF_INET) {
			struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(f, struct rte_ipv4_hdr *);

			/* The library zeroes the fragment's header sum. */
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		} else {
			struct rte_ipv6_fragment_ext *fh = rte_pktmbuf_mtod_offset(f,
				struct rte_ipv6_fragment_ext *, sizeof(struct rte_ipv6_hdr));

			/* DPDK 22.11 writes identification 0 in every fragment:
			 * RFC 8200 §4.5 wants it unique per (src, dst) for the
			 * reassembly lifetime, else two datagrams get mixed. */
			fh->id = rte_cpu_to_be_32(id);
		}
		if (l2 != 0) {
			uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(f, (uint16_t)l2);

			if (p == NULL) {
				for (int32_t j = 0; j < n; j++)
					rte_pktmbuf_free(out[j]);
				return -ENOSPC;
			}
			put_l2(p, txq, peer, dst_mac);
		}
		f->l2_len = l2;
	}
	/* The fragments hold their own references to m's buffer. */
	rte_pktmbuf_free(m);
	return n;
}

int
sipdp_dp_tx_build(struct sipdp_dp_txq *txq, struct rte_mbuf *m, const struct sipdp_dp_peer *peer,
	const struct rte_ether_addr *dst_mac, struct rte_mbuf **out, uint16_t n_out)
{
	uint32_t plen = rte_pktmbuf_data_len(m);
	uint32_t l2 = l2_size(peer, dst_mac);
	uint32_t l3, udp_len, id = txq->ip_id;
	struct rte_udp_hdr *udp;
	bool frag;

	if (SIPDP_UNLIKELY(m->nb_segs != 1 || plen == 0 || n_out == 0 ||
			   (peer->family != AF_INET && peer->family != AF_INET6)))
		return -EINVAL;
	if (SIPDP_UNLIKELY(plen > SIPDP_DP_MAX_UDP_PAYLOAD))
		return -EMSGSIZE;
	l3 = peer->family == AF_INET ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	udp_len = plen + sizeof(*udp);
	frag = l3 + udp_len > txq->mtu;
	if (SIPDP_UNLIKELY(rte_pktmbuf_headroom(m) < l2 + l3 + sizeof(*udp)))
		return -ENOSPC;
	txq->ip_id += txq->ip_id_stride ? txq->ip_id_stride : 1;

	udp = (struct rte_udp_hdr *)rte_pktmbuf_prepend(m, sizeof(*udp));
	udp->src_port = rte_cpu_to_be_16(peer->local_port);
	udp->dst_port = rte_cpu_to_be_16(peer->remote_port);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)udp_len);
	udp->dgram_cksum = 0;
	m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
	m->l2_len = l2;
	m->l3_len = l3;

	if (peer->family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, (uint16_t)l3);
		bool hw = dst_mac != NULL && !frag;

		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->type_of_service = 0;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + udp_len));
		ip->packet_id = rte_cpu_to_be_16((uint16_t)id);
		ip->fragment_offset = 0;
		ip->time_to_live = DP_TTL;
		ip->next_proto_id = IPPROTO_UDP;
		ip->hdr_checksum = 0;
		ip->src_addr = peer->local.v4;
		ip->dst_addr = peer->remote.v4;
		if (hw && (txq->offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM)) {
			m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
			udp->dgram_cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
		} else {
			udp->dgram_cksum = dp_udp_sum_final(dp_phdr_sum4(ip, udp->dgram_len), udp,
				(uint16_t)udp_len);
		}
		if (hw && (txq->offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM))
			m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
		else if (!frag)
			ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)rte_pktmbuf_prepend(m, (uint16_t)l3);

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)udp_len);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = DP_TTL;
		memcpy(ip->src_addr, peer->local.v6, 16);
		memcpy(ip->dst_addr, peer->remote.v6, 16);
		if (dst_mac != NULL && !frag && (txq->offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM)) {
			m->ol_flags |= RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM;
			udp->dgram_cksum = rte_ipv6_phdr_cksum(ip, m->ol_flags);
		} else {
			udp->dgram_cksum = dp_udp_sum_final(dp_phdr_sum6(ip, udp->dgram_len), udp,
				(uint16_t)udp_len);
		}
	}

	if (SIPDP_UNLIKELY(frag))
		return tx_fragment(txq, m, peer, dst_mac, out, n_out, udp_len, id);
	if (l2 != 0)
		put_l2((uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)l2), txq, peer, dst_mac);
	out[0] = m;
	return 1;
}

void
sipdp_dp_txq_init(struct sipdp_dp_txq *txq, const struct sipdp_dp_port_info *info,
	struct rte_mempool *direct_pool, struct rte_mempool *indirect_pool, uint16_t worker,
	uint16_t nb_workers)
{
	memset(txq, 0, sizeof(*txq));
	rte_ether_addr_copy(&info->mac, &txq->src_mac);
	txq->mtu = info->mtu;
	txq->offloads = info->tx_offloads;
	txq->direct_pool = direct_pool;
	txq->indirect_pool = indirect_pool;
	txq->ip_id = worker;
	txq->ip_id_stride = nb_workers ? nb_workers : 1;
}
