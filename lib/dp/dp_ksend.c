/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unresolved next hop: the control lcore gives the bare IP packet to the
 * kernel through a raw socket. The kernel resolves the neighbour (ARP/NDP
 * out of the tap), queues the packet meanwhile (unres_qlen) and sends it out
 * of the tap; we put it on the wire, and the netlink notification that
 * follows teaches our table the MAC. One syscall per packet, only for the
 * first packets towards a new next hop.
 */

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dp_ksend_pvt.h"

#define DP_KSEND_MAX_IOV 16

uint16_t
sipdp_dp_ksend_burst(struct sipdp_dp_ksend *ks, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t ok = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *l3 = rte_pktmbuf_mtod(m, const uint8_t *);
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
		struct iovec iov[DP_KSEND_MAX_IOV];
		struct msghdr msg;
		int fd = -1, k = 0;

		memset(&msg, 0, sizeof(msg));
		if (m->data_len >= sizeof(struct rte_ipv4_hdr) && (l3[0] >> 4) == 4) {
			memset(&sin, 0, sizeof(sin));
			sin.sin_family = AF_INET;
			memcpy(&sin.sin_addr, l3 + offsetof(struct rte_ipv4_hdr, dst_addr), 4);
			msg.msg_name = &sin;
			msg.msg_namelen = sizeof(sin);
			fd = ks->fd4;
		} else if (m->data_len >= sizeof(struct rte_ipv6_hdr) && (l3[0] >> 4) == 6) {
			memset(&sin6, 0, sizeof(sin6));
			sin6.sin6_family = AF_INET6;
			memcpy(&sin6.sin6_addr, l3 + offsetof(struct rte_ipv6_hdr, dst_addr), 16);
			msg.msg_name = &sin6;
			msg.msg_namelen = sizeof(sin6);
			fd = ks->fd6;
		}
		for (const struct rte_mbuf *s = m; s != NULL && k < DP_KSEND_MAX_IOV; s = s->next) {
			iov[k].iov_base = rte_pktmbuf_mtod(s, void *);
			iov[k++].iov_len = s->data_len;
		}
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)k;
		if (fd >= 0 && m->nb_segs <= DP_KSEND_MAX_IOV &&
		    sendmsg(fd, &msg, MSG_DONTWAIT) == (ssize_t)m->pkt_len) {
			ok++;
			ks->sent++;
		} else {
			ks->failed++;
		}
		rte_pktmbuf_free(m);
	}
	return ok;
}
