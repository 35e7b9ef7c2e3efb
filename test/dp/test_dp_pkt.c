/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/dp packet layer: classification, checksums, reassembly, transmit.
 * Runs an EAL with --no-huge and net_null; exits 77 (skip) when it cannot.
 * Every case ends by checking that each mempool got all its mbufs back.
 *
 *  classify
 *  - IPv4, IPv6 and 802.1Q-tagged SIP/UDP to our address+port gives a view
 *    into the mbuf and the transport context (RFC 3261 §18.2.1 needs the
 *    source address/port to answer)
 *  - UDP to another port or address, TCP, ARP, ICMPv6 (NDP) go to the kernel
 *  - IPv4 options are skipped (RFC 791 IHL); IPv6 extension headers other
 *    than a leading fragment header go to the kernel (never parsed wrongly)
 *  - a bad UDP or IPv4 header checksum is dropped (RFC 768, RFC 791); a zero
 *    UDP checksum is "none" over IPv4 (RFC 768) and is dropped over IPv6
 *    (RFC 8200 §8.1); hardware GOOD/BAD flags are trusted over software
 *  - truncated frames and inconsistent length fields are dropped, and no
 *    byte past the frame is read (frames end at an unreadable page)
 *  - fragments of UDP to our address go to the slow path, others to the kernel
 *  reassembly
 *  - a 3-fragment datagram (IPv4 and IPv6) is rebuilt in each of the 6
 *    arrival orders into one contiguous mbuf equal to the original
 *  - incomplete datagrams expire; a bad checksum over the whole is dropped
 *  transmit
 *  - headers and checksums of built frames are right (independent
 *    recomputation), VLAN kept, offload flags set when the port has them
 *  - 4000 bytes at MTU 1500 become 3 fragments within the MTU that
 *    reassemble to the original (IPv4 and IPv6); IPv6 fragment IDs differ
 *    between datagrams (RFC 8200 §4.5)
 *  - errors: no headroom, segmented payload, too small an output array
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_udp.h>

#include "guard_page.h"
#include "sipdp_dp.h"
#include "sipdp_test.h"

#define NB_MBUF 1023

static struct rte_mempool *pool, *lin_pool, *direct_pool, *indirect_pool;
static struct sipdp_dp_classifier cls;
static const struct rte_ether_addr our_mac = { { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 } };
static const struct rte_ether_addr peer_mac = { { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 } };

/* ---- independent reference checksum (RFC 1071, byte-wise) ---- */
static uint16_t
ref_sum(const uint8_t *p, size_t n, uint32_t acc)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* UDP checksum over pseudo-header + UDP (udp points at the UDP header). */
static uint16_t
ref_udp_cksum(int family, const uint8_t *l3, const uint8_t *udp, uint16_t udp_len)
{
	uint32_t acc = 0;

	if (family == AF_INET)
		acc = ref_sum(l3 + 12, 8, 0);
	else
		acc = ref_sum(l3 + 8, 32, 0);
	acc += IPPROTO_UDP + udp_len;
	uint16_t s = (uint16_t)~ref_sum(udp, udp_len, acc);
	return s == 0 ? 0xffff : s;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- frame builder ---- */
struct spec {
	int family;
	bool vlan;
	uint16_t tci;
	const char *src, *dst;
	uint16_t sport, dport;
	uint8_t proto;          /* 0: UDP */
	const uint8_t *payload;
	uint32_t plen;
	uint8_t v4_opt_words;   /* IPv4 options, 32-bit words */
	uint8_t v6_ext;         /* extension header before UDP (0: none) */
	bool zero_cksum;        /* UDP checksum 0 */
	bool bad_cksum;
	bool bad_ip_cksum;
};

/* Writes the frame into buf, returns its length; *l3_off and *l4_off out. */
static uint32_t
build(const struct spec *s, uint8_t *buf, uint32_t *l3_off)
{
	uint32_t o = 12;
	uint8_t proto = s->proto ? s->proto : IPPROTO_UDP;

	memcpy(buf, our_mac.addr_bytes, 6);
	memcpy(buf + 6, peer_mac.addr_bytes, 6);
	if (s->vlan) {
		put16(buf + o, 0x8100);
		put16(buf + o + 2, s->tci);
		o += 4;
	}
	put16(buf + o, s->family == AF_INET ? 0x0800 : 0x86dd);
	o += 2;
	*l3_off = o;
	uint8_t *l3 = buf + o, *l4;
	uint32_t l4_len = 8 + s->plen;
	if (s->family == AF_INET) {
		uint32_t ihl = 20 + 4u * s->v4_opt_words;
		memset(l3, 0, ihl);
		l3[0] = (uint8_t)(0x40 | (ihl / 4));
		put16(l3 + 2, (uint16_t)(ihl + l4_len));
		put16(l3 + 4, 0x1234);
		l3[8] = 64;
		l3[9] = proto;
		inet_pton(AF_INET, s->src, l3 + 12);
		inet_pton(AF_INET, s->dst, l3 + 16);
		for (uint32_t i = 20; i < ihl; i++)
			l3[i] = 1; /* NOP options */
		put16(l3 + 10, (uint16_t)~ref_sum(l3, ihl, 0));
		if (s->bad_ip_cksum)
			l3[10] ^= 0x40;
		l4 = l3 + ihl;
	} else {
		uint32_t ext = s->v6_ext ? 8 : 0;
		memset(l3, 0, 40);
		l3[0] = 0x60;
		put16(l3 + 4, (uint16_t)(ext + l4_len));
		l3[6] = s->v6_ext ? s->v6_ext : proto;
		l3[7] = 64;
		inet_pton(AF_INET6, s->src, l3 + 8);
		inet_pton(AF_INET6, s->dst, l3 + 24);
		if (ext) {
			memset(l3 + 40, 0, 8);
			l3[40] = proto; /* next header, hdr ext len 0 = 8 bytes, PadN */
			l3[42] = 1;
			l3[43] = 4;
		}
		l4 = l3 + 40 + ext;
	}
	put16(l4, s->sport);
	put16(l4 + 2, s->dport);
	put16(l4 + 4, (uint16_t)l4_len);
	put16(l4 + 6, 0);
	memcpy(l4 + 8, s->payload, s->plen);
	if (!s->zero_cksum && proto == IPPROTO_UDP) {
		/* the pseudo-header's addresses are where the builder put them */
		uint16_t c = ref_udp_cksum(s->family, l3, l4, (uint16_t)l4_len);
		put16(l4 + 6, c);
		if (s->bad_cksum)
			l4[8] ^= 0x01; /* corrupt the payload, not the sum */
	}
	return (uint32_t)(l4 - buf) + l4_len;
}

static struct rte_mbuf *
mbuf_from(const uint8_t *frame, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	CU_ASSERT_FATAL(m != NULL);
	char *d = rte_pktmbuf_append(m, (uint16_t)len);
	CU_ASSERT_FATAL(d != NULL);
	memcpy(d, frame, len);
	return m;
}

/* An mbuf whose data ends right before an unreadable page. */
struct guarded {
	struct guard_buf g;
	struct rte_mbuf_ext_shared_info shinfo;
	struct rte_mbuf *m;
};

static void
ext_free_noop(void *addr, void *opaque)
{
	(void)addr;
	(void)opaque;
}

static void
guarded_make(struct guarded *gm, const uint8_t *frame, uint32_t len)
{
	uint8_t pad[RTE_PKTMBUF_HEADROOM + 2048];

	CU_ASSERT_FATAL(len <= 2048);
	memset(pad, 0, RTE_PKTMBUF_HEADROOM);
	memcpy(pad + RTE_PKTMBUF_HEADROOM, frame, len);
	CU_ASSERT_FATAL(guard_buf_make(&gm->g, pad, RTE_PKTMBUF_HEADROOM + len) == 0);
	memset(&gm->shinfo, 0, sizeof(gm->shinfo));
	gm->shinfo.free_cb = ext_free_noop;
	rte_mbuf_ext_refcnt_set(&gm->shinfo, 1);
	gm->m = rte_pktmbuf_alloc(pool);
	CU_ASSERT_FATAL(gm->m != NULL);
	rte_pktmbuf_attach_extbuf(gm->m, gm->g.data, 0, (uint16_t)(RTE_PKTMBUF_HEADROOM + len),
		&gm->shinfo);
	gm->m->data_off = RTE_PKTMBUF_HEADROOM;
	gm->m->data_len = (uint16_t)len;
	gm->m->pkt_len = len;
}

static void
guarded_free(struct guarded *gm)
{
	rte_pktmbuf_free(gm->m);
	munmap(gm->g.map, gm->g.map_len);
}

static const uint8_t sip_msg[] = "OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK1\r\n\r\n";

static struct spec
sip4(void)
{
	struct spec s = { .family = AF_INET, .src = "192.0.2.2", .dst = "192.0.2.1", .sport = 5062,
		.dport = 5060, .payload = sip_msg, .plen = sizeof(sip_msg) - 1 };
	return s;
}

static struct spec
sip6(void)
{
	struct spec s = { .family = AF_INET6, .src = "2001:db8::2", .dst = "2001:db8::1",
		.sport = 5062, .dport = 5060, .payload = sip_msg, .plen = sizeof(sip_msg) - 1 };
	return s;
}

/* Classify a spec'd frame placed before a guard page. */
static enum sipdp_dp_verdict
verdict_of(const struct spec *s, uint32_t trim, struct sipdp_dp_rx *rx)
{
	uint8_t buf[2048];
	uint32_t l3;
	uint32_t len = build(s, buf, &l3);
	struct guarded gm;
	struct sipdp_dp_rx tmp;

	guarded_make(&gm, buf, len - trim);
	enum sipdp_dp_verdict v = sipdp_dp_classify(&cls, gm.m, rx ? rx : &tmp);
	guarded_free(&gm);
	return v;
}

static void
assert_pools_full(void)
{
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), NB_MBUF);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(lin_pool), 63);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(direct_pool), 255);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(indirect_pool), 255);
}

/* ------------------------------------------------------------------ */

static void
test_sip_over_ipv4_ipv6_and_vlan_gives_payload_view_and_peer(void)
{
	uint8_t buf[2048];
	uint32_t l3;
	struct spec s4 = sip4(), s6 = sip6(), sv = sip4();
	struct sipdp_dp_rx rx;
	union sipdp_dp_ip a;

	uint32_t len = build(&s4, buf, &l3);
	struct rte_mbuf *m = mbuf_from(buf, len);
	m->port = 3;
	CU_ASSERT_EQUAL(sipdp_dp_classify(&cls, m, &rx), SIPDP_DP_SIP);
	CU_ASSERT_PTR_EQUAL(rx.m, m);
	CU_ASSERT_PTR_EQUAL(rx.payload, rte_pktmbuf_mtod_offset(m, char *, 14 + 20 + 8));
	CU_ASSERT_EQUAL(rx.len, sizeof(sip_msg) - 1);
	CU_ASSERT_EQUAL(memcmp(rx.payload, sip_msg, rx.len), 0);
	CU_ASSERT_EQUAL(rx.peer.family, AF_INET);
	CU_ASSERT_EQUAL(rx.peer.remote_port, 5062);
	CU_ASSERT_EQUAL(rx.peer.local_port, 5060);
	CU_ASSERT_EQUAL(rx.peer.port_id, 3);
	CU_ASSERT_EQUAL(rx.peer.flags, 0);
	sipdp_dp_ip_parse("192.0.2.2", &a);
	CU_ASSERT_TRUE(sipdp_dp_ip_eq(&rx.peer.remote, &a));
	sipdp_dp_ip_parse("192.0.2.1", &a);
	CU_ASSERT_TRUE(sipdp_dp_ip_eq(&rx.peer.local, &a));
	rte_pktmbuf_free(m);

	CU_ASSERT_EQUAL(verdict_of(&s6, 0, &rx), SIPDP_DP_SIP);
	CU_ASSERT_EQUAL(rx.peer.family, AF_INET6);
	CU_ASSERT_EQUAL(rx.len, sizeof(sip_msg) - 1);
	sipdp_dp_ip_parse("2001:db8::2", &a);
	CU_ASSERT_TRUE(sipdp_dp_ip_eq(&rx.peer.remote, &a));

	sv.vlan = true;
	sv.tci = 0x2064; /* PCP 1, VID 100 */
	CU_ASSERT_EQUAL(verdict_of(&sv, 0, &rx), SIPDP_DP_SIP);
	CU_ASSERT_EQUAL(rx.peer.flags & SIPDP_DP_PEER_VLAN, SIPDP_DP_PEER_VLAN);
	CU_ASSERT_EQUAL(rx.peer.vlan_tci, 0x2064);
	CU_ASSERT_EQUAL(rx.len, sizeof(sip_msg) - 1);
	sv = sip6();
	sv.vlan = true;
	sv.tci = 7;
	CU_ASSERT_EQUAL(verdict_of(&sv, 0, &rx), SIPDP_DP_SIP);
	CU_ASSERT_EQUAL(rx.peer.vlan_tci, 7);
	assert_pools_full();
}

static void
test_non_sip_traffic_goes_to_the_kernel(void)
{
	struct spec s = sip4();
	uint8_t arp[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 2, 0x08, 0x06 };
	struct guarded gm;
	struct sipdp_dp_rx rx;

	s.dport = 5061;                 /* not our port */
	CU_ASSERT_EQUAL(verdict_of(&s, 0, NULL), SIPDP_DP_EXCEPTION);
	s = sip4();
	s.dst = "192.0.2.9";            /* not our address */
	CU_ASSERT_EQUAL(verdict_of(&s, 0, NULL), SIPDP_DP_EXCEPTION);
	s = sip4();
	s.proto = IPPROTO_TCP;
	CU_ASSERT_EQUAL(verdict_of(&s, 0, NULL), SIPDP_DP_EXCEPTION);
	s = sip6();
	s.proto = IPPROTO_ICMPV6;       /* NDP */
	CU_ASSERT_EQUAL(verdict_of(&s, 0, NULL), SIPDP_DP_EXCEPTION);
	s = sip6();
	s.dport = 53;
	CU_ASSERT_EQUAL(verdict_of(&s, 0, NULL), SIPDP_DP_EXCEPTION);
	guarded_make(&gm, arp, sizeof(arp));
	CU_ASSERT_EQUAL(sipdp_dp_classify(&cls, gm.m, &rx), SIPDP_DP_EXCEPTION);
	guarded_free(&gm);
	assert_pools_full();
}

static void
test_ipv4_options_skipped_ipv6_extension_headers_to_kernel(void)
{
	struct spec s = sip4();
	struct sipdp_dp_rx rx;
	uint8_t buf[2048];
	uint32_t l3;

	for (uint8_t w = 1; w <= 10; w++) {
		s.v4_opt_words = w;
		uint32_t len = build(&s, buf, &l3);
		struct rte_mbuf *m = mbuf_from(buf, len);
		CU_ASSERT_EQUAL(sipdp_dp_classify(&cls, m, &rx), SIPDP_DP_SIP);
		CU_ASSERT_PTR_EQUAL(rx.payload, rte_pktmbuf_mtod_offset(m, char *, 14 + 20 + 4 * w + 8));
		CU_ASSERT_EQUAL(rx.len, sizeof(sip_msg) - 1);
		rte_pktmbuf_free(m);
	}
	const uint8_t exts[] = { 0 /* hop-by-hop */, 43 /* routing */, 60 /* dst opts */ };
	for (size_t i = 0; i < sizeof(exts); i++) {
		s = sip6();
		s.v6_ext = exts[i] == 0 ? 0 : exts[i];
		if (exts[i] == 0) {
			/* hop-by-hop is next-header 0: build by hand below */
			continue;
		}
		CU_ASSERT_EQUAL(verdict_of(&s, 0, NULL), SIPDP_DP_EXCEPTION);
	}
	/* hop-by-hop: next header 0 */
	s = sip6();
	uint32_t len = build(&s, buf, &l3);
	buf[l3 + 6] = 0;
	struct guarded gm;
	guarded_make(&gm, buf, len);
	CU_ASSERT_EQUAL(sipdp_dp_classify(&cls, gm.m, &rx), SIPDP_DP_EXCEPTION);
	guarded_free(&gm);
	assert_pools_full();
}

static void
test_bad_checksums_dropped_zero_udp_sum_only_over_ipv4(void)
{
	struct spec s = sip4();

	s.bad_cksum = true;
	CU_ASSERT_EQUAL(verdict_of(&s, 0, NULL), SIPDP_DP_DROP_CKSUM);
	s = sip4();
	s.bad_ip_cksum = true;
	CU_ASSERT_EQUAL(verdict_of(&s, 0, NULL), SIPDP_DP_DROP_CKSUM);
	s = sip6();
	s.bad_cksum = true;
	CU_ASSERT_EQUAL(verdict_of(&s, 0, NULL), SIPDP_DP_DROP_CKSUM);
	s = sip4();
	s.zero_cksum = true;
	CU_ASSERT_EQUAL(verdict_of(&s, 0, NULL), SIPDP_DP_SIP);
	s = sip6();
	s.zero_cksum = true;
	CU_ASSERT_EQUAL(verdict_of(&s, 0, NULL), SIPDP_DP_DROP_CKSUM);
	/* odd payload length exercises the trailing byte of the sum */
	s = sip4();
	s.plen = 7;
	CU_ASSERT_EQUAL(verdict_of(&s, 0, NULL), SIPDP_DP_SIP);
	s.bad_cksum = true;
	CU_ASSERT_EQUAL(verdict_of(&s, 0, NULL), SIPDP_DP_DROP_CKSUM);
	assert_pools_full();
}

static void
test_hardware_checksum_flags_are_trusted(void)
{
	uint8_t buf[2048];
	uint32_t l3, len;
	struct spec s = sip4();
	struct sipdp_dp_rx rx;
	struct rte_mbuf *m;

	len = build(&s, buf, &l3);
	m = mbuf_from(buf, len);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_BAD | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	CU_ASSERT_EQUAL(sipdp_dp_classify(&cls, m, &rx), SIPDP_DP_DROP_CKSUM);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_BAD;
	CU_ASSERT_EQUAL(sipdp_dp_classify(&cls, m, &rx), SIPDP_DP_DROP_CKSUM);
	rte_pktmbuf_free(m);

	s.bad_cksum = true;
	s.bad_ip_cksum = true;
	len = build(&s, buf, &l3);
	m = mbuf_from(buf, len);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	CU_ASSERT_EQUAL(sipdp_dp_classify(&cls, m, &rx), SIPDP_DP_SIP);
	m->ol_flags = 0; /* UNKNOWN: software finds both wrong */
	CU_ASSERT_EQUAL(sipdp_dp_classify(&cls, m, &rx), SIPDP_DP_DROP_CKSUM);
	rte_pktmbuf_free(m);
	assert_pools_full();
}

/* Mutate one byte (or two) of a good frame and expect a verdict. */
struct mutation {
	int family;
	uint32_t off;   /* from the L3 header */
	uint16_t val16; /* written big-endian */
	bool one_byte;
	enum sipdp_dp_verdict want;
	const char *why;
};

static void
test_truncated_frames_and_bad_lengths_dropped_without_overread(void)
{
	struct spec s4 = sip4(), s6 = sip6();
	uint8_t buf[2048];
	uint32_t l3;

	/* Cut the frame at every length: never crash, never read past the end,
	 * never SIP unless whole. */
	const struct spec *specs[] = { &s4, &s6 };
	for (int k = 0; k < 2; k++) {
		uint32_t len = build(specs[k], buf, &l3);
		for (uint32_t cut = 1; cut < len; cut++) {
			enum sipdp_dp_verdict v = verdict_of(specs[k], cut, NULL);
			CU_ASSERT_NOT_EQUAL(v, SIPDP_DP_SIP);
			if (v == SIPDP_DP_SIP)
				printf("cut %u of %u classified SIP\n", cut, len);
		}
	}

	const struct mutation muts[] = {
		{ AF_INET, 0, 0x44, true, SIPDP_DP_DROP_MALFORMED, "IHL 4 < 5" },
		{ AF_INET, 0, 0x55, true, SIPDP_DP_DROP_MALFORMED, "version 5" },
		{ AF_INET, 0, 0x4f, true, SIPDP_DP_EXCEPTION, "IHL 15: the UDP header is looked for after 40 bytes of options" },
		{ AF_INET, 2, 50, false, SIPDP_DP_DROP_MALFORMED, "total length 50 < IHL 15" },
		{ AF_INET, 2, 19, false, SIPDP_DP_DROP_MALFORMED, "total length < header" },
		{ AF_INET, 2, 1500, false, SIPDP_DP_DROP_MALFORMED, "total length > frame" },
		{ AF_INET, 24, 7, false, SIPDP_DP_DROP_MALFORMED, "UDP length < 8" },
		{ AF_INET, 24, 8, false, SIPDP_DP_DROP_MALFORMED, "UDP length 8: empty" },
		{ AF_INET, 24, 1400, false, SIPDP_DP_DROP_MALFORMED, "UDP length > IP payload" },
		{ AF_INET, 20, 0, false, SIPDP_DP_DROP_MALFORMED, "source port 0" },
		{ AF_INET6, 0, 0x40, true, SIPDP_DP_DROP_MALFORMED, "version 4 in IPv6 frame" },
		{ AF_INET6, 4, 1500, false, SIPDP_DP_DROP_MALFORMED, "payload length > frame" },
		{ AF_INET6, 44, 7, false, SIPDP_DP_DROP_MALFORMED, "UDP length < 8" },
		{ AF_INET6, 44, 1400, false, SIPDP_DP_DROP_MALFORMED, "UDP length > payload" },
	};
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(muts); i++) {
		const struct mutation *mu = &muts[i];
		uint32_t len = build(mu->family == AF_INET ? &s4 : &s6, buf, &l3);
		if (mu->one_byte)
			buf[l3 + mu->off] = (uint8_t)mu->val16;
		else
			put16(buf + l3 + mu->off, mu->val16);
		struct guarded gm;
		struct sipdp_dp_rx rx;
		guarded_make(&gm, buf, len);
		enum sipdp_dp_verdict v = sipdp_dp_classify(&cls, gm.m, &rx);
		if (v != mu->want)
			printf("mutation '%s': verdict %d, want %d\n", mu->why, v, mu->want);
		CU_ASSERT_EQUAL(v, mu->want);
		guarded_free(&gm);
	}
	/* Ethernet padding after a short IP datagram is not payload. */
	uint32_t len = build(&s4, buf, &l3);
	memset(buf + len, 0xee, 20);
	struct rte_mbuf *m = mbuf_from(buf, len + 20);
	struct sipdp_dp_rx rx;
	CU_ASSERT_EQUAL(sipdp_dp_classify(&cls, m, &rx), SIPDP_DP_SIP);
	CU_ASSERT_EQUAL(rx.len, sizeof(sip_msg) - 1);
	rte_pktmbuf_free(m);
	assert_pools_full();
}

static void
test_classify_burst_sorts_and_counts(void)
{
	uint8_t buf[2048];
	uint32_t l3, len;
	struct spec specs[5] = { sip4(), sip4(), sip6(), sip4(), sip6() };
	struct rte_mbuf *pkts[5], *exc[5], *slow[5];
	struct sipdp_dp_rx sip[5];
	struct sipdp_dp_rx_stats st = { 0 };
	uint16_t ne = 9, nl = 9;

	specs[1].dport = 9;
	specs[3].bad_cksum = true;
	for (int i = 0; i < 5; i++) {
		len = build(&specs[i], buf, &l3);
		pkts[i] = mbuf_from(buf, len);
	}
	uint16_t ns = sipdp_dp_classify_burst(&cls, 4, pkts, 5, sip, exc, &ne, slow, &nl, &st);
	CU_ASSERT_EQUAL(ns, 3);
	CU_ASSERT_EQUAL(ne, 1);
	CU_ASSERT_EQUAL(nl, 0);
	CU_ASSERT_PTR_EQUAL(sip[0].m, pkts[0]);
	CU_ASSERT_PTR_EQUAL(sip[1].m, pkts[2]);
	CU_ASSERT_PTR_EQUAL(sip[2].m, pkts[4]);
	CU_ASSERT_EQUAL(sip[2].peer.queue_id, 4);
	CU_ASSERT_PTR_EQUAL(exc[0], pkts[1]);
	CU_ASSERT_EQUAL(st.sip, 3);
	CU_ASSERT_EQUAL(st.exception, 1);
	CU_ASSERT_EQUAL(st.drop_cksum, 1);
	for (int i = 0; i < ns; i++)
		rte_pktmbuf_free(sip[i].m);
	rte_pktmbuf_free(exc[0]);
	assert_pools_full();
}

/* ---- fragments by hand ---- */

/* Build the full L3 datagram of spec s (no L2) into dgram. */
static uint32_t
build_l3(const struct spec *s, uint8_t *dgram)
{
	uint8_t buf[8192];
	uint32_t l3;
	uint32_t len = build(s, buf, &l3);

	memcpy(dgram, buf + l3, len - l3);
	return len - l3;
}

/* Fragment k covering [off, off+n) of the datagram's L3 payload. */
static struct rte_mbuf *
frag_mbuf(int family, const uint8_t *dg, uint32_t off, uint32_t n, bool more, uint32_t id)
{
	uint8_t f[4096];
	uint32_t o = 0;

	memcpy(f, our_mac.addr_bytes, 6);
	memcpy(f + 6, peer_mac.addr_bytes, 6);
	put16(f + 12, family == AF_INET ? 0x0800 : 0x86dd);
	o = 14;
	if (family == AF_INET) {
		memcpy(f + o, dg, 20);
		put16(f + o + 2, (uint16_t)(20 + n));
		put16(f + o + 4, (uint16_t)id);
		put16(f + o + 6, (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
		put16(f + o + 10, 0);
		put16(f + o + 10, (uint16_t)~ref_sum(f + o, 20, 0));
		memcpy(f + o + 20, dg + 20 + off, n);
		o += 20 + n;
	} else {
		memcpy(f + o, dg, 40);
		put16(f + o + 4, (uint16_t)(8 + n));
		f[o + 6] = IPPROTO_FRAGMENT;
		memset(f + o + 40, 0, 8);
		f[o + 40] = IPPROTO_UDP;
		put16(f + o + 42, (uint16_t)(off | (more ? 1 : 0)));
		f[o + 44] = (uint8_t)(id >> 24);
		f[o + 45] = (uint8_t)(id >> 16);
		f[o + 46] = (uint8_t)(id >> 8);
		f[o + 47] = (uint8_t)id;
		memcpy(f + o + 48, dg + 40 + off, n);
		o += 48 + n;
	}
	return mbuf_from(f, o);
}

static uint8_t big_payload[5000];

static void
fill_big(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		big_payload[i] = (uint8_t)('a' + (i * 7) % 26);
}

static struct sipdp_dp_reasm *
reasm_new(void)
{
	struct sipdp_dp_reasm *r = NULL;
	struct sipdp_dp_reasm_params p = { .max_flows = 64, .timeout_cycles = 1000,
		.lin_pool = lin_pool, .socket_id = SOCKET_ID_ANY };

	CU_ASSERT_EQUAL_FATAL(sipdp_dp_reasm_create(&p, &r), 0);
	return r;
}

/* Classify + reassemble one mbuf, as a worker would. */
static uint16_t
feed(struct sipdp_dp_reasm *r, struct rte_mbuf *m, uint64_t now, struct sipdp_dp_rx *out,
	struct sipdp_dp_rx_stats *st)
{
	struct rte_mbuf *exc[4], *slow[4];
	struct sipdp_dp_rx sip[4];
	uint16_t ne, nl;
	uint16_t ns = sipdp_dp_classify_burst(&cls, 0, &m, 1, sip, exc, &ne, slow, &nl, st);

	CU_ASSERT_EQUAL(ns, 0);
	CU_ASSERT_EQUAL(ne, 0);
	CU_ASSERT_EQUAL_FATAL(nl, 1);
	ns = sipdp_dp_reasm_burst(r, &cls, 2, slow, nl, now, out, exc, &ne, st);
	CU_ASSERT_EQUAL(ne, 0);
	return ns;
}

static void
test_three_fragments_reassemble_in_every_order(void)
{
	static const int orders[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
	uint8_t dg[8192];
	struct sipdp_dp_reasm *r = reasm_new();
	struct sipdp_dp_rx_stats st = { 0 };

	fill_big(3000);
	for (int fam = 0; fam < 2; fam++) {
		struct spec s = fam == 0 ? sip4() : sip6();
		s.payload = big_payload;
		s.plen = 3000;
		uint32_t dlen = build_l3(&s, dg), hl = fam == 0 ? 20 : 40;
		uint32_t l4 = dlen - hl;
		uint32_t offs[3] = { 0, 1200, 2400 }, lens[3] = { 1200, 1200, l4 - 2400 };
		for (int o = 0; o < 6; o++) {
			struct sipdp_dp_rx rx;
			uint16_t got = 0;
			for (int k = 0; k < 3; k++) {
				int f = orders[o][k];
				struct rte_mbuf *m = frag_mbuf(s.family, dg, offs[f], lens[f], f != 2,
					(uint32_t)(100 + o + fam * 10));
				got += feed(r, m, 10, &rx, &st);
				if (k < 2)
					CU_ASSERT_EQUAL(got, 0);
			}
			CU_ASSERT_EQUAL_FATAL(got, 1);
			CU_ASSERT_EQUAL(rx.m->nb_segs, 1);
			CU_ASSERT_EQUAL(rx.len, 3000);
			CU_ASSERT_EQUAL(memcmp(rx.payload, big_payload, 3000), 0);
			CU_ASSERT_EQUAL(rx.peer.family, s.family);
			CU_ASSERT_EQUAL(rx.peer.queue_id, 2);
			CU_ASSERT_TRUE(rx.peer.flags & SIPDP_DP_PEER_REASSEMBLED);
			CU_ASSERT_EQUAL(rx.peer.remote_port, 5062);
			CU_ASSERT_PTR_EQUAL(rx.m->pool, lin_pool);
			rte_pktmbuf_free(rx.m);
		}
	}
	CU_ASSERT_EQUAL(st.reassembled, 12);
	sipdp_dp_reasm_destroy(r);
	assert_pools_full();
}

static void
test_fragments_bad_sum_dropped_incomplete_expire(void)
{
	uint8_t dg[8192];
	struct sipdp_dp_reasm *r = reasm_new();
	struct sipdp_dp_rx_stats st = { 0 };
	struct sipdp_dp_rx rx;
	struct spec s = sip4();

	fill_big(2000);
	s.payload = big_payload;
	s.plen = 2000;
	s.bad_cksum = true;
	uint32_t dlen = build_l3(&s, dg);
	CU_ASSERT_EQUAL(feed(r, frag_mbuf(AF_INET, dg, 0, 1000, true, 7), 1, &rx, &st), 0);
	CU_ASSERT_EQUAL(feed(r, frag_mbuf(AF_INET, dg, 1000, dlen - 20 - 1000, false, 7), 1, &rx, &st), 0);
	CU_ASSERT_EQUAL(st.drop_cksum, 1);

	/* Two of three fragments, then the timeout passes: the third alone
	 * completes nothing. */
	s.bad_cksum = false;
	dlen = build_l3(&s, dg);
	CU_ASSERT_EQUAL(feed(r, frag_mbuf(AF_INET, dg, 0, 800, true, 8), 100, &rx, &st), 0);
	CU_ASSERT_EQUAL(feed(r, frag_mbuf(AF_INET, dg, 800, 800, true, 8), 100, &rx, &st), 0);
	sipdp_dp_reasm_expire(r, 100 + 5000);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), NB_MBUF); /* held mbufs freed */
	CU_ASSERT_EQUAL(feed(r, frag_mbuf(AF_INET, dg, 1600, dlen - 20 - 1600, false, 8), 5200,
				&rx, &st), 0);
	sipdp_dp_reasm_destroy(r); /* frees the lone last fragment */
	assert_pools_full();
}

static void
test_fragment_classification(void)
{
	uint8_t dg[8192];
	struct spec s = sip4();
	struct sipdp_dp_rx rx;

	uint32_t dlen = build_l3(&s, dg);
	struct rte_mbuf *m = frag_mbuf(AF_INET, dg, 8, dlen - 28, false, 1);
	CU_ASSERT_EQUAL(sipdp_dp_classify(&cls, m, &rx), SIPDP_DP_SLOW);
	CU_ASSERT_EQUAL(m->l2_len, 14);
	CU_ASSERT_EQUAL(m->l3_len, 20);
	rte_pktmbuf_free(m);
	s = sip6();
	dlen = build_l3(&s, dg);
	m = frag_mbuf(AF_INET6, dg, 0, 16, true, 1);
	CU_ASSERT_EQUAL(sipdp_dp_classify(&cls, m, &rx), SIPDP_DP_SLOW);
	CU_ASSERT_EQUAL(m->l3_len, 48);
	rte_pktmbuf_free(m);
	/* a fragment for someone else, or of TCP: the kernel's */
	s = sip4();
	s.dst = "192.0.2.77";
	dlen = build_l3(&s, dg);
	m = frag_mbuf(AF_INET, dg, 0, 16, true, 1);
	CU_ASSERT_EQUAL(sipdp_dp_classify(&cls, m, &rx), SIPDP_DP_EXCEPTION);
	rte_pktmbuf_free(m);
	s = sip4();
	s.proto = IPPROTO_TCP;
	dlen = build_l3(&s, dg);
	m = frag_mbuf(AF_INET, dg, 0, 16, true, 1);
	CU_ASSERT_EQUAL(sipdp_dp_classify(&cls, m, &rx), SIPDP_DP_EXCEPTION);
	rte_pktmbuf_free(m);
	(void)dlen;
	assert_pools_full();
}

/* ---- transmit ---- */

static struct sipdp_dp_txq
txq_make(uint64_t offloads)
{
	struct sipdp_dp_txq t = { .mtu = 1500, .offloads = offloads, .direct_pool = direct_pool,
		.indirect_pool = indirect_pool, .ip_id = 1, .ip_id_stride = 2 };

	rte_ether_addr_copy(&our_mac, &t.src_mac);
	return t;
}

static struct rte_mbuf *
payload_mbuf(const uint8_t *p, uint32_t n, struct rte_mempool *mp)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	CU_ASSERT_FATAL(m != NULL);
	char *d = rte_pktmbuf_append(m, (uint16_t)n);
	CU_ASSERT_FATAL(d != NULL);
	memcpy(d, p, n);
	return m;
}

static struct sipdp_dp_peer
peer_of(int family, bool vlan)
{
	struct sipdp_dp_peer p = { .family = (uint8_t)family, .local_port = 5060,
		.remote_port = 5070 };

	sipdp_dp_ip_parse(family == AF_INET ? "192.0.2.1" : "2001:db8::1", &p.local);
	sipdp_dp_ip_parse(family == AF_INET ? "192.0.2.2" : "2001:db8::2", &p.remote);
	if (vlan) {
		p.flags = SIPDP_DP_PEER_VLAN;
		p.vlan_tci = 0x0123;
	}
	return p;
}

static void
test_tx_build_headers_and_software_checksums(void)
{
	struct sipdp_dp_txq txq = txq_make(0);

	for (int k = 0; k < 4; k++) {
		int fam = k & 1 ? AF_INET6 : AF_INET;
		bool vlan = k >= 2;
		struct sipdp_dp_peer pr = peer_of(fam, vlan);
		struct rte_mbuf *m = payload_mbuf(sip_msg, sizeof(sip_msg) - 1, pool), *out[4];

		CU_ASSERT_EQUAL_FATAL(sipdp_dp_tx_build(&txq, m, &pr, &peer_mac, out, 4), 1);
		CU_ASSERT_PTR_EQUAL(out[0], m);
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t l2 = vlan ? 18 : 14, hl = fam == AF_INET ? 20 : 40;
		CU_ASSERT_EQUAL(memcmp(f, peer_mac.addr_bytes, 6), 0);
		CU_ASSERT_EQUAL(memcmp(f + 6, our_mac.addr_bytes, 6), 0);
		if (vlan) {
			CU_ASSERT_EQUAL(get16(f + 12), 0x8100);
			CU_ASSERT_EQUAL(get16(f + 14), 0x0123);
		}
		CU_ASSERT_EQUAL(get16(f + l2 - 2), fam == AF_INET ? 0x0800 : 0x86dd);
		const uint8_t *ip = f + l2, *udp = ip + hl;
		uint16_t udp_len = (uint16_t)(8 + sizeof(sip_msg) - 1);
		CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m), l2 + hl + udp_len);
		if (fam == AF_INET) {
			CU_ASSERT_EQUAL(ref_sum(ip, 20, 0), 0xffff);
			CU_ASSERT_EQUAL(get16(ip + 2), 20 + udp_len);
		} else {
			CU_ASSERT_EQUAL(get16(ip + 4), udp_len);
		}
		CU_ASSERT_EQUAL(get16(udp), 5060);
		CU_ASSERT_EQUAL(get16(udp + 2), 5070);
		CU_ASSERT_EQUAL(get16(udp + 4), udp_len);
		/* independent recomputation over the frame as sent */
		uint8_t copy[2048];
		memcpy(copy, udp, udp_len);
		copy[6] = copy[7] = 0;
		CU_ASSERT_EQUAL(get16(udp + 6), ref_udp_cksum(fam, ip, copy, udp_len));
		CU_ASSERT_EQUAL(m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK, 0);
		/* and what we send, we accept (as the peer would) */
		struct sipdp_dp_classifier peer_cls = { .n_local = 1 };
		peer_cls.local[0].family = (uint8_t)fam;
		peer_cls.local[0].port = 5070;
		peer_cls.local[0].addr = pr.remote;
		struct sipdp_dp_rx rx;
		CU_ASSERT_EQUAL(sipdp_dp_classify(&peer_cls, m, &rx), SIPDP_DP_SIP);
		CU_ASSERT_EQUAL(rx.len, sizeof(sip_msg) - 1);
		rte_pktmbuf_free(m);
	}
	CU_ASSERT_EQUAL(txq.ip_id, 1 + 4 * 2);
	assert_pools_full();
}

static void
test_tx_build_uses_offload_flags_when_port_has_them(void)
{
	struct sipdp_dp_txq txq = txq_make(RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
	struct sipdp_dp_peer pr = peer_of(AF_INET, false);
	struct rte_mbuf *m = payload_mbuf(sip_msg, sizeof(sip_msg) - 1, pool), *out[1];

	CU_ASSERT_EQUAL_FATAL(sipdp_dp_tx_build(&txq, m, &pr, &peer_mac, out, 1), 1);
	CU_ASSERT_EQUAL(m->ol_flags & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM),
		RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM);
	CU_ASSERT_EQUAL(m->l2_len, 14);
	CU_ASSERT_EQUAL(m->l3_len, 20);
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, 14);
	CU_ASSERT_EQUAL(get16(ip + 10), 0); /* the NIC fills it */
	/* the UDP field holds the pseudo-header sum, not complemented (what
	 * NICs expect, see rte_ipv4_phdr_cksum) */
	uint32_t acc = ref_sum(ip + 12, 8, 0) + IPPROTO_UDP + get16(ip + 24);
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	CU_ASSERT_EQUAL(get16(ip + 26), acc);
	rte_pktmbuf_free(m);

	pr = peer_of(AF_INET6, false);
	m = payload_mbuf(sip_msg, sizeof(sip_msg) - 1, pool);
	CU_ASSERT_EQUAL_FATAL(sipdp_dp_tx_build(&txq, m, &pr, &peer_mac, out, 1), 1);
	CU_ASSERT_TRUE((m->ol_flags & RTE_MBUF_F_TX_UDP_CKSUM) != 0);
	CU_ASSERT_TRUE((m->ol_flags & RTE_MBUF_F_TX_IPV6) != 0);
	rte_pktmbuf_free(m);
	assert_pools_full();
}

static void
test_tx_4000_bytes_fragment_at_mtu_1500_and_reassemble_to_original(void)
{
	struct sipdp_dp_txq txq = txq_make(RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
	struct sipdp_dp_reasm *r = reasm_new();
	struct sipdp_dp_rx_stats st = { 0 };
	uint32_t ids[2];

	fill_big(4000);
	for (int k = 0; k < 4; k++) {
		int fam = k & 1 ? AF_INET6 : AF_INET;
		struct sipdp_dp_peer pr = peer_of(fam, k >= 2);
		struct rte_mbuf *m = payload_mbuf(big_payload, 4000, lin_pool), *out[8];
		int n = sipdp_dp_tx_build(&txq, m, &pr, &peer_mac, out, 8);

		CU_ASSERT_EQUAL_FATAL(n, 3);
		struct sipdp_dp_classifier peer_cls = { .n_local = 1 };
		peer_cls.local[0].family = (uint8_t)fam;
		peer_cls.local[0].port = 5070;
		peer_cls.local[0].addr = pr.remote;
		uint16_t got = 0;
		struct sipdp_dp_rx rx;
		for (int i = n - 1; i >= 0; i--) { /* arrive backwards */
			uint32_t l2 = k >= 2 ? 18 : 14;
			CU_ASSERT(rte_pktmbuf_pkt_len(out[i]) - l2 <= 1500);
			CU_ASSERT_EQUAL(out[i]->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK, 0);
			const uint8_t *ip = rte_pktmbuf_mtod_offset(out[i], const uint8_t *, l2);
			if (fam == AF_INET) {
				CU_ASSERT_EQUAL(ref_sum(ip, 20, 0), 0xffff);
			} else if (k == 1) {
				ids[i == 0] = (uint32_t)get16(ip + 44) << 16 | get16(ip + 46);
			}
			struct rte_mbuf *exc[2], *slow[2];
			struct sipdp_dp_rx sip[2];
			uint16_t ne, nl;
			CU_ASSERT_EQUAL(sipdp_dp_classify_burst(&peer_cls, 0, &out[i], 1, sip, exc, &ne,
						slow, &nl, &st), 0);
			CU_ASSERT_EQUAL_FATAL(nl, 1);
			got += sipdp_dp_reasm_burst(r, &peer_cls, 0, slow, 1, 50, &rx, exc, &ne, &st);
		}
		CU_ASSERT_EQUAL_FATAL(got, 1);
		CU_ASSERT_EQUAL(rx.len, 4000);
		CU_ASSERT_EQUAL(memcmp(rx.payload, big_payload, 4000), 0);
		CU_ASSERT_EQUAL(rx.peer.remote_port, 5060);
		CU_ASSERT_EQUAL(rx.peer.vlan_tci, k >= 2 ? 0x0123 : 0);
		rte_pktmbuf_free(rx.m);
		if (k == 1) /* same datagram: same id in each fragment */
			CU_ASSERT_EQUAL(ids[0], ids[1]);
	}
	/* two IPv6 datagrams get different fragment IDs */
	uint32_t id2[2];
	for (int d = 0; d < 2; d++) {
		struct sipdp_dp_peer pr = peer_of(AF_INET6, false);
		struct rte_mbuf *m = payload_mbuf(big_payload, 2000, lin_pool), *out[4];
		int n = sipdp_dp_tx_build(&txq, m, &pr, &peer_mac, out, 4);
		CU_ASSERT_EQUAL_FATAL(n, 2);
		const uint8_t *ip = rte_pktmbuf_mtod_offset(out[0], const uint8_t *, 14);
		CU_ASSERT_EQUAL(ip[6], IPPROTO_FRAGMENT);
		id2[d] = (uint32_t)get16(ip + 44) << 16 | get16(ip + 46);
		for (int i = 0; i < n; i++)
			rte_pktmbuf_free(out[i]);
	}
	CU_ASSERT_NOT_EQUAL(id2[0], id2[1]);
	sipdp_dp_reasm_destroy(r);
	assert_pools_full();
}

static void
test_tx_build_errors_leave_mbuf_to_caller(void)
{
	struct sipdp_dp_txq txq = txq_make(0);
	struct sipdp_dp_peer pr = peer_of(AF_INET, false);
	struct rte_mbuf *m, *out[2];

	/* no headroom */
	m = rte_pktmbuf_alloc(pool);
	rte_pktmbuf_prepend(m, RTE_PKTMBUF_HEADROOM);
	CU_ASSERT_EQUAL(sipdp_dp_tx_build(&txq, m, &pr, &peer_mac, out, 2), -ENOSPC);
	rte_pktmbuf_free(m);
	/* empty payload */
	m = rte_pktmbuf_alloc(pool);
	CU_ASSERT_EQUAL(sipdp_dp_tx_build(&txq, m, &pr, &peer_mac, out, 2), -EINVAL);
	rte_pktmbuf_free(m);
	/* segmented payload */
	m = payload_mbuf(sip_msg, 10, pool);
	struct rte_mbuf *m2 = payload_mbuf(sip_msg, 10, pool);
	CU_ASSERT_EQUAL_FATAL(rte_pktmbuf_chain(m, m2), 0);
	CU_ASSERT_EQUAL(sipdp_dp_tx_build(&txq, m, &pr, &peer_mac, out, 2), -EINVAL);
	rte_pktmbuf_free(m);
	/* 4000 bytes need 3 fragments; 2 slots are not enough */
	fill_big(4000);
	m = payload_mbuf(big_payload, 4000, lin_pool);
	CU_ASSERT_EQUAL(sipdp_dp_tx_build(&txq, m, &pr, &peer_mac, out, 2), -ENOSPC);
	rte_pktmbuf_free(m);
	assert_pools_full();
}

static void
test_tx_without_mac_builds_bare_ip_for_the_kernel(void)
{
	struct sipdp_dp_txq txq = txq_make(RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
	struct sipdp_dp_peer pr = peer_of(AF_INET, true);
	struct rte_mbuf *m = payload_mbuf(sip_msg, sizeof(sip_msg) - 1, pool), *out[4];

	CU_ASSERT_EQUAL_FATAL(sipdp_dp_tx_build(&txq, m, &pr, NULL, out, 4), 1);
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	CU_ASSERT_EQUAL(ip[0], 0x45);
	CU_ASSERT_EQUAL(ref_sum(ip, 20, 0), 0xffff); /* software: no NIC on this path */
	CU_ASSERT_EQUAL(m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK, 0);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m), 20 + 8 + sizeof(sip_msg) - 1);
	rte_pktmbuf_free(m);

	fill_big(4000);
	m = payload_mbuf(big_payload, 4000, lin_pool);
	CU_ASSERT_EQUAL_FATAL(sipdp_dp_tx_build(&txq, m, &pr, NULL, out, 4), 3);
	for (int i = 0; i < 3; i++) {
		ip = rte_pktmbuf_mtod(out[i], const uint8_t *);
		CU_ASSERT_EQUAL(ip[0], 0x45);
		CU_ASSERT(rte_pktmbuf_pkt_len(out[i]) <= 1500);
		rte_pktmbuf_free(out[i]);
	}
	assert_pools_full();
}

static struct sipdp_test_case cases[] = {
	{ "sip_over_ipv4_ipv6_and_vlan_gives_payload_view_and_peer",
	  test_sip_over_ipv4_ipv6_and_vlan_gives_payload_view_and_peer },
	{ "non_sip_traffic_goes_to_the_kernel", test_non_sip_traffic_goes_to_the_kernel },
	{ "ipv4_options_skipped_ipv6_extension_headers_to_kernel",
	  test_ipv4_options_skipped_ipv6_extension_headers_to_kernel },
	{ "bad_checksums_dropped_zero_udp_sum_only_over_ipv4",
	  test_bad_checksums_dropped_zero_udp_sum_only_over_ipv4 },
	{ "hardware_checksum_flags_are_trusted", test_hardware_checksum_flags_are_trusted },
	{ "truncated_frames_and_bad_lengths_dropped_without_overread",
	  test_truncated_frames_and_bad_lengths_dropped_without_overread },
	{ "classify_burst_sorts_and_counts", test_classify_burst_sorts_and_counts },
	{ "fragment_classification", test_fragment_classification },
	{ "three_fragments_reassemble_in_every_order", test_three_fragments_reassemble_in_every_order },
	{ "fragments_bad_sum_dropped_incomplete_expire", test_fragments_bad_sum_dropped_incomplete_expire },
	{ "tx_build_headers_and_software_checksums", test_tx_build_headers_and_software_checksums },
	{ "tx_build_uses_offload_flags_when_port_has_them",
	  test_tx_build_uses_offload_flags_when_port_has_them },
	{ "tx_4000_bytes_fragment_at_mtu_1500_and_reassemble_to_original",
	  test_tx_4000_bytes_fragment_at_mtu_1500_and_reassemble_to_original },
	{ "tx_build_errors_leave_mbuf_to_caller", test_tx_build_errors_leave_mbuf_to_caller },
	{ "tx_without_mac_builds_bare_ip_for_the_kernel", test_tx_without_mac_builds_bare_ip_for_the_kernel },
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	char prefix[64];
	(void)argc;
	snprintf(prefix, sizeof(prefix), "--file-prefix=sipdp-test-dp-%d", (int)getpid());
	char *eal[] = { argv[0], "--no-huge", "--no-pci", prefix, "-m", "256", "--vdev=net_null0",
		"--log-level=error", "--no-telemetry", NULL };

	if (rte_eal_init((int)SIPDP_ARRAY_SIZE(eal) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed (%s): skipping\n", rte_strerror(rte_errno));
		return 77;
	}
	pool = rte_pktmbuf_pool_create("t_pkt", NB_MBUF, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	lin_pool = rte_pktmbuf_pool_create("t_lin", 63, 0, 0, 16384 + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
	direct_pool = rte_pktmbuf_pool_create("t_dir", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	indirect_pool = rte_pktmbuf_pool_create("t_ind", 255, 0, 0, 0, SOCKET_ID_ANY);
	if (!pool || !lin_pool || !direct_pool || !indirect_pool) {
		fprintf(stderr, "mempool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	cls.n_local = 2;
	cls.local[0].family = AF_INET;
	cls.local[0].port = 5060;
	sipdp_dp_ip_parse("192.0.2.1", &cls.local[0].addr);
	cls.local[1].family = AF_INET6;
	cls.local[1].port = 5060;
	sipdp_dp_ip_parse("2001:db8::1", &cls.local[1].addr);

	int rc = sipdp_test_run("dp_pkt", cases);
	rte_mempool_free(pool);
	rte_mempool_free(lin_pool);
	rte_mempool_free(direct_pool);
	rte_mempool_free(indirect_pool);
	rte_eal_cleanup();
	return rc;
}
