/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keeping the neighbour table in step with the kernel's (control lcore):
 * a non-blocking NETLINK_ROUTE socket subscribed to RTNLGRP_NEIGH, an
 * RTM_GETNEIGH dump at start and after any overflow (ENOBUFS means we
 * missed notifications), and mark-and-sweep at the end of each dump.
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "dp_neigh_pvt.h"

/* States in which the kernel has a link-layer address it would use. */
#define DP_NUD_USABLE (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | \
		       NUD_NOARP)

int
dp_neigh_netlink_dump(struct sipdp_dp_neigh *t)
{
	struct {
		struct nlmsghdr nh;
		struct ndmsg nd;
	} req;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.nd));
	req.nh.nlmsg_type = RTM_GETNEIGH;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = ++t->nl_seq;
	req.nd.ndm_family = AF_UNSPEC;
	if (sendto(t->nl_fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	t->epoch++;
	t->dump_running = true;
	t->redump = false;
	return 0;
}

int
sipdp_dp_neigh_netlink_open(struct sipdp_dp_neigh *t)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_NEIGH };
	int rcvbuf = 1 << 20;
	int fd, rc;

	if (t->nl_fd >= 0)
		return -EALREADY;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	/* A big buffer makes ENOBUFS (and the re-dump it costs) rare. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	t->nl_fd = fd;
	rc = dp_neigh_netlink_dump(t);
	if (rc < 0) {
		close(fd);
		t->nl_fd = -1;
	}
	return rc;
}

int
sipdp_dp_neigh_netlink_apply(struct sipdp_dp_neigh *t, const void *msg, uint32_t len)
{
	const struct nlmsghdr *nh = msg;
	const struct ndmsg *nd;
	const struct rtattr *rta;
	const void *dst = NULL, *lladdr = NULL;
	uint32_t dst_len = 0, ll_len = 0;
	struct sipdp_dp_neigh_entry e;
	int alen;

	if (len < sizeof(*nh) || nh->nlmsg_len < sizeof(*nh) || nh->nlmsg_len > len)
		return -EBADMSG;
	if (nh->nlmsg_type != RTM_NEWNEIGH && nh->nlmsg_type != RTM_DELNEIGH)
		return 0;
	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)))
		return -EBADMSG;
	nd = NLMSG_DATA(nh);
	if (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6)
		return 0;
	if ((t->ifindex != 0 && nd->ndm_ifindex != t->ifindex) || (nd->ndm_flags & NTF_PROXY))
		return 0;
	alen = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*nd)));
	for (rta = (const struct rtattr *)((const char *)nd + NLMSG_ALIGN(sizeof(*nd)));
	     RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
		if (rta->rta_type == NDA_DST) {
			dst = RTA_DATA(rta);
			dst_len = RTA_PAYLOAD(rta);
		} else if (rta->rta_type == NDA_LLADDR) {
			lladdr = RTA_DATA(rta);
			ll_len = RTA_PAYLOAD(rta);
		}
	}
	if (dst == NULL || dst_len != (nd->ndm_family == AF_INET ? 4u : 16u))
		return -EBADMSG;
	memset(&e, 0, sizeof(e));
	e.family = nd->ndm_family;
	memcpy(e.ip.v6, dst, dst_len);
	if (nh->nlmsg_type == RTM_DELNEIGH || !(nd->ndm_state & DP_NUD_USABLE) ||
	    lladdr == NULL || ll_len != RTE_ETHER_ADDR_LEN) {
		(void)sipdp_dp_neigh_del(t, e.family, &e.ip);
		return 1;
	}
	memcpy(e.mac.addr_bytes, lladdr, RTE_ETHER_ADDR_LEN);
	/* -ENOSPC is counted in t->full; the next hop then goes via the kernel. */
	(void)sipdp_dp_neigh_set(t, &e);
	return 1;
}

int
sipdp_dp_neigh_netlink_poll(struct sipdp_dp_neigh *t)
{
	int applied = 0;

	if (t->nl_fd < 0)
		return -EBADF;
	for (;;) {
		ssize_t n = recv(t->nl_fd, t->nl_buf, t->nl_buf_len, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				/* Notifications were lost: the dump makes us whole. */
				if (t->dump_running)
					t->redump = true;
				else if (dp_neigh_netlink_dump(t) < 0)
					t->redump = true;
				continue;
			}
			return -errno;
		}
		for (struct nlmsghdr *nh = (struct nlmsghdr *)t->nl_buf; NLMSG_OK(nh, (uint32_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR) {
				if (t->dump_running && nh->nlmsg_seq == t->nl_seq) {
					t->dump_running = false;
					if (nh->nlmsg_type == NLMSG_DONE && !t->redump)
						dp_neigh_sweep(t);
				}
				continue;
			}
			if (sipdp_dp_neigh_netlink_apply(t, nh, nh->nlmsg_len) > 0)
				applied++;
		}
	}
	if (t->redump && !t->dump_running)
		(void)dp_neigh_netlink_dump(t);
	if (sipdp_dp_neigh_publish(t) < 0)
		return -ENOMEM;
	return applied;
}
