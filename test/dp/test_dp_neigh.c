/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/dp neighbour table (no EAL needed: plain memory + liburcu-qsbr).
 *  - an empty table resolves nothing (-ENOENT: the caller sends via the kernel)
 *  - set/publish/lookup for IPv4 and IPv6; publishing without a change is a
 *    no-op; a replaced MAC is seen after the next publish; delete removes
 *  - next hop: longest matching route picks a gateway, else on-link
 *  - the table is bounded (-ENOSPC), and 1000 entries all resolve
 *  - netlink: RTM_NEWNEIGH in a usable NUD state with a 6-byte lladdr sets,
 *    INCOMPLETE/FAILED and RTM_DELNEIGH remove, other interfaces and proxy
 *    entries are ignored, malformed messages are refused
 *  - QSBR: a registered reader thread looking up while the control thread
 *    replaces the snapshot 200 times always finds a published MAC, and the
 *    old snapshots are reclaimed without use-after-free (ASan)
 *  - the live kernel's table can be opened and polled (NETLINK_ROUTE needs
 *    no privilege)
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#define URCU_INLINE_SMALL_FUNCTIONS 1
#include <urcu/urcu-qsbr.h>

#include "sipdp_dp.h"
#include "sipdp_test.h"

static const struct rte_ether_addr mac_a = { { 0x02, 0, 0, 0, 0, 0xaa } };
static const struct rte_ether_addr mac_b = { { 0x02, 0, 0, 0, 0, 0xbb } };

static struct sipdp_dp_neigh *
table(uint32_t max, int ifindex)
{
	struct sipdp_dp_neigh *t = NULL;
	struct sipdp_dp_neigh_params p = { .max_entries = max, .ifindex = ifindex };

	CU_ASSERT_EQUAL_FATAL(sipdp_dp_neigh_create(&p, &t), 0);
	return t;
}

static struct sipdp_dp_neigh_entry
entry(const char *ip, const struct rte_ether_addr *mac)
{
	struct sipdp_dp_neigh_entry e;

	memset(&e, 0, sizeof(e));
	e.family = (uint8_t)sipdp_dp_ip_parse(ip, &e.ip);
	e.mac = *mac;
	return e;
}

static int
lookup(struct sipdp_dp_neigh *t, const char *ip, struct rte_ether_addr *mac)
{
	union sipdp_dp_ip a;
	int fam = sipdp_dp_ip_parse(ip, &a);

	return sipdp_dp_neigh_lookup(t, fam, &a, mac);
}

static void
test_set_publish_lookup_replace_delete(void)
{
	struct sipdp_dp_neigh *t = table(16, 0);
	struct rte_ether_addr m;
	struct sipdp_dp_neigh_entry e4 = entry("192.0.2.2", &mac_a), e6 = entry("2001:db8::2", &mac_b);

	CU_ASSERT_EQUAL(lookup(t, "192.0.2.2", &m), -ENOENT);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_count(t), 0);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_generation(t), 0);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_set(t, &e4), 0);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_set(t, &e6), 0);
	/* not visible before publish: workers only see snapshots */
	CU_ASSERT_EQUAL(lookup(t, "192.0.2.2", &m), -ENOENT);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_publish(t), 1);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_generation(t), 1);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_count(t), 2);
	CU_ASSERT_EQUAL(lookup(t, "192.0.2.2", &m), 0);
	CU_ASSERT_TRUE(rte_is_same_ether_addr(&m, &mac_a));
	CU_ASSERT_EQUAL(lookup(t, "2001:db8::2", &m), 0);
	CU_ASSERT_TRUE(rte_is_same_ether_addr(&m, &mac_b));
	/* the IPv4 address as an IPv6 key does not match */
	union sipdp_dp_ip a;
	sipdp_dp_ip_parse("192.0.2.2", &a);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_lookup(t, AF_INET6, &a, &m), -ENOENT);

	CU_ASSERT_EQUAL(sipdp_dp_neigh_set(t, &e4), 0);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_publish(t), 0); /* nothing changed */
	e4.mac = mac_b;
	CU_ASSERT_EQUAL(sipdp_dp_neigh_set(t, &e4), 0);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_publish(t), 1);
	CU_ASSERT_EQUAL(lookup(t, "192.0.2.2", &m), 0);
	CU_ASSERT_TRUE(rte_is_same_ether_addr(&m, &mac_b));
	CU_ASSERT_EQUAL(sipdp_dp_neigh_del(t, AF_INET, &e4.ip), 0);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_del(t, AF_INET, &e4.ip), -ENOENT);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_publish(t), 1);
	CU_ASSERT_EQUAL(lookup(t, "192.0.2.2", &m), -ENOENT);
	CU_ASSERT_EQUAL(lookup(t, "2001:db8::2", &m), 0);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_generation(t), 3);
	sipdp_dp_neigh_destroy(t);
}

static void
test_routes_pick_gateway_longest_prefix_else_on_link(void)
{
	struct sipdp_dp_neigh *t = table(16, 0);
	struct sipdp_dp_route r[3];
	struct rte_ether_addr m;
	const struct rte_ether_addr mac_c = { { 0x02, 0, 0, 0, 0, 0xcc } };

	memset(r, 0, sizeof(r));
	r[0].family = AF_INET; /* default via 192.0.2.254 */
	r[0].plen = 0;
	sipdp_dp_ip_parse("192.0.2.254", &r[0].gw);
	r[1].family = AF_INET; /* 192.0.2.0/24 on-link */
	r[1].plen = 24;
	sipdp_dp_ip_parse("192.0.2.0", &r[1].prefix);
	r[2].family = AF_INET6; /* 2001:db8:1::/48 via 2001:db8::fe */
	r[2].plen = 48;
	sipdp_dp_ip_parse("2001:db8:1::", &r[2].prefix);
	sipdp_dp_ip_parse("2001:db8::fe", &r[2].gw);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_set_routes(t, r, 3), 0);
	struct sipdp_dp_neigh_entry e;
	e = entry("192.0.2.254", &mac_a);
	sipdp_dp_neigh_set(t, &e);
	e = entry("192.0.2.2", &mac_b);
	sipdp_dp_neigh_set(t, &e);
	e = entry("2001:db8::fe", &mac_c);
	sipdp_dp_neigh_set(t, &e);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_publish(t), 1);

	CU_ASSERT_EQUAL(lookup(t, "192.0.2.2", &m), 0);
	CU_ASSERT_TRUE(rte_is_same_ether_addr(&m, &mac_b));
	CU_ASSERT_EQUAL(lookup(t, "198.51.100.7", &m), 0); /* via the default gateway */
	CU_ASSERT_TRUE(rte_is_same_ether_addr(&m, &mac_a));
	CU_ASSERT_EQUAL(lookup(t, "192.0.2.3", &m), -ENOENT); /* on-link, unresolved */
	CU_ASSERT_EQUAL(lookup(t, "2001:db8:1::9", &m), 0);
	CU_ASSERT_TRUE(rte_is_same_ether_addr(&m, &mac_c));
	CU_ASSERT_EQUAL(lookup(t, "2001:db8:2::9", &m), -ENOENT); /* no route: on-link */
	r[0].plen = 33;
	CU_ASSERT_EQUAL(sipdp_dp_neigh_set_routes(t, r, 1), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_set_routes(t, r, SIPDP_DP_NEIGH_MAX_ROUTES + 1), -EINVAL);
	sipdp_dp_neigh_destroy(t);
}

static void
test_bounded_and_many_entries_resolve(void)
{
	struct sipdp_dp_neigh *t = table(2, 0);
	struct sipdp_dp_neigh_entry e;
	struct rte_ether_addr m;
	char ip[64];

	e = entry("192.0.2.2", &mac_a);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_set(t, &e), 0);
	e = entry("192.0.2.3", &mac_a);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_set(t, &e), 0);
	e = entry("192.0.2.4", &mac_a);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_set(t, &e), -ENOSPC);
	e.family = 7;
	CU_ASSERT_EQUAL(sipdp_dp_neigh_set(t, &e), -EINVAL);
	sipdp_dp_neigh_destroy(t);

	t = table(1000, 0);
	for (int i = 0; i < 1000; i++) {
		struct rte_ether_addr mm = { { 0x02, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i } };
		if (i & 1)
			snprintf(ip, sizeof(ip), "2001:db8::%x", i);
		else
			snprintf(ip, sizeof(ip), "10.0.%d.%d", i >> 8, i & 0xff);
		e = entry(ip, &mm);
		CU_ASSERT_EQUAL(sipdp_dp_neigh_set(t, &e), 0);
	}
	CU_ASSERT_EQUAL(sipdp_dp_neigh_publish(t), 1);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_count(t), 1000);
	int found = 0;
	for (int i = 0; i < 1000; i++) {
		if (i & 1)
			snprintf(ip, sizeof(ip), "2001:db8::%x", i);
		else
			snprintf(ip, sizeof(ip), "10.0.%d.%d", i >> 8, i & 0xff);
		if (lookup(t, ip, &m) == 0 && m.addr_bytes[4] == (uint8_t)(i >> 8) &&
		    m.addr_bytes[5] == (uint8_t)i)
			found++;
	}
	CU_ASSERT_EQUAL(found, 1000);
	CU_ASSERT_EQUAL(lookup(t, "10.9.9.9", &m), -ENOENT);
	sipdp_dp_neigh_destroy(t);
}

/* ---- netlink ---- */

static uint32_t
nl_neigh(uint8_t *buf, uint16_t type, int family, int ifindex, uint16_t state, uint8_t flags,
	const char *ip, const struct rte_ether_addr *ll)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct ndmsg *nd;
	struct rtattr *rta;
	union sipdp_dp_ip a;

	memset(buf, 0, 256);
	nh->nlmsg_type = type;
	nh->nlmsg_len = NLMSG_LENGTH(sizeof(*nd));
	nd = NLMSG_DATA(nh);
	nd->ndm_family = (uint8_t)family;
	nd->ndm_ifindex = ifindex;
	nd->ndm_state = state;
	nd->ndm_flags = flags;
	if (ip != NULL) {
		sipdp_dp_ip_parse(ip, &a);
		rta = (struct rtattr *)(buf + NLMSG_ALIGN(nh->nlmsg_len));
		rta->rta_type = NDA_DST;
		rta->rta_len = RTA_LENGTH(family == AF_INET ? 4 : 16);
		memcpy(RTA_DATA(rta), a.v6, family == AF_INET ? 4 : 16);
		nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
	}
	if (ll != NULL) {
		rta = (struct rtattr *)(buf + NLMSG_ALIGN(nh->nlmsg_len));
		rta->rta_type = NDA_LLADDR;
		rta->rta_len = RTA_LENGTH(6);
		memcpy(RTA_DATA(rta), ll->addr_bytes, 6);
		nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
	}
	return nh->nlmsg_len;
}

static void
test_netlink_messages_drive_the_table(void)
{
	struct sipdp_dp_neigh *t = table(16, 5);
	uint8_t buf[256];
	uint32_t n;
	struct rte_ether_addr m;

	n = nl_neigh(buf, RTM_NEWNEIGH, AF_INET, 5, NUD_REACHABLE, 0, "192.0.2.2", &mac_a);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_netlink_apply(t, buf, n), 1);
	n = nl_neigh(buf, RTM_NEWNEIGH, AF_INET6, 5, NUD_STALE, 0, "2001:db8::2", &mac_b);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_netlink_apply(t, buf, n), 1);
	n = nl_neigh(buf, RTM_NEWNEIGH, AF_INET, 6, NUD_REACHABLE, 0, "192.0.2.9", &mac_a);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_netlink_apply(t, buf, n), 0); /* other interface */
	n = nl_neigh(buf, RTM_NEWNEIGH, AF_INET, 5, NUD_REACHABLE, NTF_PROXY, "192.0.2.8", &mac_a);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_netlink_apply(t, buf, n), 0); /* proxy entry */
	n = nl_neigh(buf, RTM_NEWROUTE, AF_INET, 5, 0, 0, "192.0.2.7", &mac_a);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_netlink_apply(t, buf, n), 0);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_publish(t), 1);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_count(t), 2);
	CU_ASSERT_EQUAL(lookup(t, "192.0.2.2", &m), 0);
	CU_ASSERT_TRUE(rte_is_same_ether_addr(&m, &mac_a));
	CU_ASSERT_EQUAL(lookup(t, "2001:db8::2", &m), 0);
	CU_ASSERT_EQUAL(lookup(t, "192.0.2.9", &m), -ENOENT);

	n = nl_neigh(buf, RTM_NEWNEIGH, AF_INET, 5, NUD_FAILED, 0, "192.0.2.2", NULL);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_netlink_apply(t, buf, n), 1);
	n = nl_neigh(buf, RTM_DELNEIGH, AF_INET6, 5, NUD_STALE, 0, "2001:db8::2", &mac_b);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_netlink_apply(t, buf, n), 1);
	n = nl_neigh(buf, RTM_NEWNEIGH, AF_INET, 5, NUD_INCOMPLETE, 0, "192.0.2.3", NULL);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_netlink_apply(t, buf, n), 1);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_publish(t), 1);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_count(t), 0);

	/* malformed */
	n = nl_neigh(buf, RTM_NEWNEIGH, AF_INET, 5, NUD_REACHABLE, 0, NULL, &mac_a);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_netlink_apply(t, buf, n), -EBADMSG); /* no NDA_DST */
	n = nl_neigh(buf, RTM_NEWNEIGH, AF_INET, 5, NUD_REACHABLE, 0, "192.0.2.2", &mac_a);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_netlink_apply(t, buf, 10), -EBADMSG); /* cut */
	((struct nlmsghdr *)buf)->nlmsg_len = 18;
	CU_ASSERT_EQUAL(sipdp_dp_neigh_netlink_apply(t, buf, n), -EBADMSG); /* header too short */
	n = nl_neigh(buf, RTM_NEWNEIGH, AF_INET6, 5, NUD_REACHABLE, 0, NULL, &mac_a);
	struct rtattr *rta = (struct rtattr *)(buf + n);
	rta->rta_type = NDA_DST;
	rta->rta_len = RTA_LENGTH(4); /* IPv4-sized address in an IPv6 message */
	((struct nlmsghdr *)buf)->nlmsg_len = n + RTA_ALIGN(rta->rta_len);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_netlink_apply(t, buf, n + 8), -EBADMSG);
	sipdp_dp_neigh_destroy(t);
}

static void
test_netlink_live_kernel_open_and_poll(void)
{
	struct sipdp_dp_neigh *t = table(4096, 0);
	int rc = sipdp_dp_neigh_netlink_open(t);

	CU_ASSERT_EQUAL(rc, 0);
	if (rc == 0) {
		/* The dump answer may take a moment: poll a bounded number of
		 * times; what we learn depends on the machine, failing must not. */
		for (int i = 0; i < 100; i++)
			CU_ASSERT(sipdp_dp_neigh_netlink_poll(t) >= 0);
		CU_ASSERT_EQUAL(sipdp_dp_neigh_netlink_open(t), -EALREADY);
	}
	sipdp_dp_neigh_destroy(t);
}

/* ---- QSBR ---- */

struct reader_ctx {
	struct sipdp_dp_neigh *t;
	uint64_t final_gen;
	uint64_t lookups;
	uint64_t bad;
	int stop;
	uint64_t seen_gen;
};

static void *
reader(void *arg)
{
	struct reader_ctx *c = arg;
	union sipdp_dp_ip a;

	sipdp_dp_ip_parse("192.0.2.2", &a);
	urcu_qsbr_register_thread();
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		struct rte_ether_addr m;
		uint64_t g = sipdp_dp_neigh_generation(c->t);

		if (sipdp_dp_neigh_lookup(c->t, AF_INET, &a, &m) != 0 ||
		    (!rte_is_same_ether_addr(&m, &mac_a) && !rte_is_same_ether_addr(&m, &mac_b)))
			c->bad++;
		c->lookups++;
		__atomic_store_n(&c->seen_gen, g, __ATOMIC_RELEASE);
		/* as a worker does once per loop */
		urcu_qsbr_quiescent_state();
	}
	urcu_qsbr_unregister_thread();
	return NULL;
}

static void
test_qsbr_reader_sees_published_snapshots_while_replaced(void)
{
	struct reader_ctx c = { .t = table(16, 0) };
	struct sipdp_dp_neigh_entry e = entry("192.0.2.2", &mac_a);
	pthread_t th;

	sipdp_dp_neigh_set(c.t, &e);
	CU_ASSERT_EQUAL(sipdp_dp_neigh_publish(c.t), 1);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, reader, &c), 0);
	for (int i = 0; i < 200; i++) {
		struct sipdp_dp_neigh_entry x = entry(i & 1 ? "192.0.2.99" : "192.0.2.98", &mac_b);
		e.mac = i & 1 ? mac_a : mac_b;
		sipdp_dp_neigh_set(c.t, &e);
		/* churn another entry too, so the snapshot's layout changes */
		if (i & 2)
			sipdp_dp_neigh_set(c.t, &x);
		else
			(void)sipdp_dp_neigh_del(c.t, AF_INET, &x.ip);
		CU_ASSERT_EQUAL(sipdp_dp_neigh_publish(c.t), 1);
		if ((i & 31) == 0)
			sched_yield();
	}
	c.final_gen = sipdp_dp_neigh_generation(c.t);
	CU_ASSERT_EQUAL(c.final_gen, 201);
	/* Bounded: the reader loops without blocking, so it reaches the last
	 * generation after a handful of iterations. */
	while (__atomic_load_n(&c.seen_gen, __ATOMIC_ACQUIRE) != c.final_gen)
		sched_yield();
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CU_ASSERT(c.lookups > 0);
	CU_ASSERT_EQUAL(c.bad, 0);
	/* rcu_barrier inside: every retired snapshot is freed before return */
	sipdp_dp_neigh_destroy(c.t);
}

static struct sipdp_test_case cases[] = {
	{ "set_publish_lookup_replace_delete", test_set_publish_lookup_replace_delete },
	{ "routes_pick_gateway_longest_prefix_else_on_link",
	  test_routes_pick_gateway_longest_prefix_else_on_link },
	{ "bounded_and_many_entries_resolve", test_bounded_and_many_entries_resolve },
	{ "netlink_messages_drive_the_table", test_netlink_messages_drive_the_table },
	{ "netlink_live_kernel_open_and_poll", test_netlink_live_kernel_open_and_poll },
	{ "qsbr_reader_sees_published_snapshots_while_replaced",
	  test_qsbr_reader_sees_published_snapshots_while_replaced },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("dp_neigh", cases);
}
