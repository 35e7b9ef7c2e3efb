/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_DP_PVT_H
#define SIPDP_DP_PVT_H

/*
 * Shared between the lib/dp sources: checksum helpers. The sums are the RFC
 * 1071 one's complement sum; DPDK's __rte_raw_cksum reads 16-bit words in
 * host order, which is fine because the one's complement sum is byte-order
 * independent as long as every term (the big-endian protocol and length
 * included) is read the same way.
 */

#include <netinet/in.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "sipdp_dp.h"

/* Pseudo-header sum (RFC 768 / RFC 8200 §8.1); udp_len_be in network order. */
static inline uint32_t
dp_phdr_sum4(const struct rte_ipv4_hdr *ip, rte_be16_t udp_len_be)
{
	uint32_t sum = __rte_raw_cksum(&ip->src_addr, 8, 0);

	return sum + rte_cpu_to_be_16(IPPROTO_UDP) + udp_len_be;
}

static inline uint32_t
dp_phdr_sum6(const struct rte_ipv6_hdr *ip, rte_be16_t udp_len_be)
{
	uint32_t sum = __rte_raw_cksum(ip->src_addr, 32, 0);

	return sum + rte_cpu_to_be_16(IPPROTO_UDP) + udp_len_be;
}

/* True when the UDP checksum of a contiguous datagram of udp_len bytes holds. */
static inline bool
dp_udp_sum_ok(uint32_t phdr_sum, const struct rte_udp_hdr *udp, uint16_t udp_len)
{
	uint32_t sum = __rte_raw_cksum(udp, udp_len, phdr_sum);

	return __rte_raw_cksum_reduce(sum) == 0xffff;
}

/* Checksum to store in a UDP header whose dgram_cksum field is 0. */
static inline uint16_t
dp_udp_sum_final(uint32_t phdr_sum, const struct rte_udp_hdr *udp, uint16_t udp_len)
{
	uint16_t c = (uint16_t)~__rte_raw_cksum_reduce(__rte_raw_cksum(udp, udp_len, phdr_sum));

	/* RFC 768: a computed 0 is sent as all ones (0 means "no checksum"). */
	return c == 0 ? 0xffff : c;
}

static inline bool
dp_ipv4_hdr_sum_ok(const struct rte_ipv4_hdr *ip, uint32_t ihl_bytes)
{
	return __rte_raw_cksum_reduce(__rte_raw_cksum(ip, ihl_bytes, 0)) == 0xffff;
}

/* Copy a (possibly chained) mbuf into one segment from @p pool and free the
 * original. 0; -EMSGSIZE (larger than the pool's buffers) or -ENOMEM (pool
 * empty), *m untouched. */
int dp_linearize(struct rte_mbuf **m, struct rte_mempool *pool);

/* A frame classify() dropped as SIPDP_DP_DROP_CKSUM: true when its IP
 * header was sound, i.e. the UDP checksum of a datagram to our SIP port is
 * what failed. Cold: runs only on drops. */
bool dp_cksum_drop_is_udp(const struct rte_mbuf *m);

#endif /* SIPDP_DP_PVT_H */
