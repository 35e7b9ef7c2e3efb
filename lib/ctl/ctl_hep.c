/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HEPv3 encoder (the "HEP3" capture protocol of Homer / sipcapture,
 * draft spec "HEP3 Network Protocol Specification"): a 6-byte header
 * ("HEP3", total length) and chunks of (vendor 0, type, length including
 * the 6-byte chunk header, value), every integer big-endian. Pure: no
 * I/O, no clock, no allocation.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "sipdp_ctl_obs.h"

enum {
	HEP_IP_FAMILY = 1, HEP_IP_PROTO = 2, HEP_IPV4_SRC = 3, HEP_IPV4_DST = 4,
	HEP_IPV6_SRC = 5, HEP_IPV6_DST = 6, HEP_SPORT = 7, HEP_DPORT = 8,
	HEP_TS_SEC = 9, HEP_TS_USEC = 10, HEP_PROTO_TYPE = 11, HEP_CAPTURE_ID = 12,
	HEP_PAYLOAD = 15,
};

static uint8_t *
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static uint8_t *
chunk(uint8_t *p, uint16_t type, const void *v, uint16_t len)
{
	p = put16(p, 0);
	p = put16(p, type);
	p = put16(p, (uint16_t)(len + 6));
	memcpy(p, v, len);
	return p + len;
}

static uint8_t *
chunk8(uint8_t *p, uint16_t type, uint8_t v)
{
	return chunk(p, type, &v, 1);
}

static uint8_t *
chunk16(uint8_t *p, uint16_t type, uint16_t v)
{
	uint8_t b[2];

	put16(b, v);
	return chunk(p, type, b, 2);
}

static uint8_t *
chunk32(uint8_t *p, uint16_t type, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	return chunk(p, type, b, 4);
}

int
sipdp_ctl_hep_encode(const struct sipdp_ctl_hep_msg *m, uint8_t *out, size_t cap)
{
	uint16_t alen;
	size_t total;
	uint8_t *p;

	if (m->family == AF_INET)
		alen = 4;
	else if (m->family == AF_INET6)
		alen = 16;
	else
		return -EINVAL;
	/* header, family, proto, 2 addresses, 2 ports, 2 times, type, id, payload */
	total = 6 + 7 + 7 + 2 * (6 + (size_t)alen) + 2 * 8 + 2 * 10 + 7 + 10 + 6 + m->len;
	if (total > UINT16_MAX)
		return -EINVAL;
	if (total > cap)
		return -ENOSPC;
	p = out;
	memcpy(p, "HEP3", 4);
	p = put16(p + 4, (uint16_t)total);
	/* chunk 1 carries the Linux AF_ value: 2 IPv4, 10 IPv6 */
	p = chunk8(p, HEP_IP_FAMILY, (uint8_t)m->family);
	p = chunk8(p, HEP_IP_PROTO, m->ip_proto);
	p = chunk(p, alen == 4 ? HEP_IPV4_SRC : HEP_IPV6_SRC, m->src, alen);
	p = chunk(p, alen == 4 ? HEP_IPV4_DST : HEP_IPV6_DST, m->dst, alen);
	p = chunk16(p, HEP_SPORT, m->sport);
	p = chunk16(p, HEP_DPORT, m->dport);
	p = chunk32(p, HEP_TS_SEC, m->ts_sec);
	p = chunk32(p, HEP_TS_USEC, m->ts_usec);
	p = chunk8(p, HEP_PROTO_TYPE, SIPDP_CTL_HEP_PROTO_SIP);
	p = chunk32(p, HEP_CAPTURE_ID, m->capture_id);
	p = chunk(p, HEP_PAYLOAD, m->payload, (uint16_t)m->len);
	return (int)(p - out);
}
