/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exception path setup (control lcore, at start): the net_tap vdev that
 * carries sipdp's MAC, and the addresses put on it, so that the kernel
 * answers ARP/NDP/ICMP for us and its neighbour table learns our peers.
 */

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <rte_ethdev.h>

#include "sipdp_dp.h"

int
sipdp_dp_tap_create(const struct sipdp_dp_tap_params *p, uint16_t *port_id)
{
	struct sipdp_dp_port_params pp;
	struct sipdp_dp_port_info info;
	char name[64], args[128];
	const uint8_t *a;
	int rc;

	if (p == NULL || port_id == NULL || p->iface == NULL || p->mac == NULL || p->mp == NULL ||
	    p->nb_queues == 0 || strlen(p->iface) >= IFNAMSIZ)
		return -EINVAL;
	a = p->mac->addr_bytes;
	snprintf(name, sizeof(name), "net_tap_%s", p->iface);
	snprintf(args, sizeof(args), "iface=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x", p->iface, a[0],
		a[1], a[2], a[3], a[4], a[5]);
	memset(&pp, 0, sizeof(pp));
	pp.name = name;
	pp.devargs = args;
	pp.nb_rx_queues = p->nb_queues;
	pp.nb_tx_queues = p->nb_queues;
	pp.nb_rxd = 512;
	pp.nb_txd = 512;
	pp.mtu = p->mtu ? p->mtu : RTE_ETHER_MTU;
	pp.mp = p->mp;
	rc = sipdp_dp_port_create(&pp, &info);
	if (rc < 0)
		return rc;
	*port_id = info.port_id;
	return 0;
}

int
sipdp_dp_tap_destroy(uint16_t port_id)
{
	return sipdp_dp_port_destroy(port_id);
}

/* Send one request and wait for its ACK (blocking: start-up only). */
static int
nl_request(struct nlmsghdr *nh)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[4096];
	int fd, rc;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	nh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nh->nlmsg_seq = 1;
	if (sendto(fd, nh, nh->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = -EPROTO;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		struct nlmsghdr *r = (struct nlmsghdr *)buf;
		if (NLMSG_OK(r, (uint32_t)n) && r->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(r);
			rc = e->error;
			break;
		}
	}
	close(fd);
	return rc;
}

static void
nl_attr(struct nlmsghdr *nh, uint16_t type, const void *data, uint16_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

int
sipdp_dp_tap_addr_add(const char *iface, int family, const union sipdp_dp_ip *addr,
	uint8_t prefixlen)
{
	struct {
		struct nlmsghdr nh;
		union {
			struct ifaddrmsg ifa;
			struct ifinfomsg ifi;
		};
		char attrs[128];
	} req;
	unsigned int idx;
	uint16_t alen = family == AF_INET ? 4 : 16;
	int rc;

	if (iface == NULL || addr == NULL || (family != AF_INET && family != AF_INET6) ||
	    prefixlen > alen * 8)
		return -EINVAL;
	idx = if_nametoindex(iface);
	if (idx == 0)
		return -ENODEV;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	req.nh.nlmsg_type = RTM_NEWADDR;
	req.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	req.ifa.ifa_family = (uint8_t)family;
	req.ifa.ifa_prefixlen = prefixlen;
	/* No DAD: the address is ours the moment sipdp starts (the lab also
	 * turns DAD off for the namespace). */
	req.ifa.ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0;
	req.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	req.ifa.ifa_index = idx;
	nl_attr(&req.nh, IFA_LOCAL, addr->v6, alen);
	nl_attr(&req.nh, IFA_ADDRESS, addr->v6, alen);
	rc = nl_request(&req.nh);
	if (rc < 0 && rc != -EEXIST)
		return rc;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = (int)idx;
	req.ifi.ifi_flags = IFF_UP;
	req.ifi.ifi_change = IFF_UP;
	return nl_request(&req.nh);
}

static struct rtattr *
nl_nest_start(struct nlmsghdr *nh, uint16_t type)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(0);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
	return rta;
}

static void
nl_nest_end(struct nlmsghdr *nh, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)nh + nh->nlmsg_len - (char *)nest);
}

int
sipdp_dp_tap_vlan_add(const char *iface, uint16_t vid, char name[IFNAMSIZ])
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[256];
	} req;
	struct rtattr *li, *data;
	unsigned int idx, vidx;
	int rc;

	if (iface == NULL || name == NULL || vid == 0 || vid > 4094)
		return -EINVAL;
	idx = if_nametoindex(iface);
	if (idx == 0)
		return -ENODEV;
	if ((unsigned)snprintf(name, IFNAMSIZ, "%s.%u", iface, vid) >= IFNAMSIZ)
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	req.ifi.ifi_family = AF_UNSPEC;
	nl_attr(&req.nh, IFLA_LINK, &idx, sizeof(idx));
	nl_attr(&req.nh, IFLA_IFNAME, name, (uint16_t)(strlen(name) + 1));
	li = nl_nest_start(&req.nh, IFLA_LINKINFO);
	nl_attr(&req.nh, IFLA_INFO_KIND, "vlan", 5);
	data = nl_nest_start(&req.nh, IFLA_INFO_DATA);
	nl_attr(&req.nh, IFLA_VLAN_ID, &vid, sizeof(vid));
	nl_nest_end(&req.nh, data);
	nl_nest_end(&req.nh, li);
	rc = nl_request(&req.nh);
	if (rc < 0 && rc != -EEXIST)
		return rc;
	vidx = if_nametoindex(name);
	if (vidx == 0)
		return -ENODEV;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = (int)vidx;
	req.ifi.ifi_flags = IFF_UP;
	req.ifi.ifi_change = IFF_UP;
	return nl_request(&req.nh);
}
