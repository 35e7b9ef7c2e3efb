/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 3261 §18.2.1 and RFC 3581 §4 on a received request: the top Via gets
 * ;received= when its sent-by is not the source address, and a valueless
 * ;rport gets the source port (with ;received= then always). Over TCP the
 * responses normally go back on the connection, but when it has broken
 * §18.2.2 sends them to received (and rport), so the stamp matters as for
 * UDP. Only header bytes are inserted: the body and Content-Length stay.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "ctl_pvt.h"
#include "sipdp_msg.h"
#include "sipdp_msg_hdr.h"

static bool
host_is_source(const struct sipdp_via *via, const struct sipdp_ctl_addr *src)
{
	char txt[INET6_ADDRSTRLEN + 2];
	uint8_t bin[16];
	struct sipdp_str h = via->host;

	if (via->host_type != SIPDP_HOST_IPV4 && via->host_type != SIPDP_HOST_IPV6)
		return false; /* a domain name always gets received= */
	if (h.len >= 2 && h.p[0] == '[') {
		h.p++;
		h.len -= 2;
	}
	if (h.len >= sizeof(txt))
		return false;
	memcpy(txt, h.p, h.len);
	txt[h.len] = '\0';
	if (src->family == AF_INET)
		return inet_pton(AF_INET, txt, bin) == 1 && memcmp(bin, src->addr, 4) == 0;
	return inet_pton(AF_INET6, txt, bin) == 1 && memcmp(bin, src->addr, 16) == 0;
}

/* Copy msg to out with up to two insertions (positions ascending). */
static int
splice(const char *msg, uint32_t len, char *out, uint32_t cap, const uint32_t at[2],
	const char *ins[2], const uint32_t ilen[2])
{
	uint32_t o = 0, from = 0;

	if ((uint64_t)len + ilen[0] + ilen[1] > cap)
		return -ENOSPC;
	for (int i = 0; i < 2; i++) {
		if (ilen[i] == 0)
			continue;
		memcpy(out + o, msg + from, at[i] - from);
		o += at[i] - from;
		memcpy(out + o, ins[i], ilen[i]);
		o += ilen[i];
		from = at[i];
	}
	memcpy(out + o, msg + from, len - from);
	return (int)(o + len - from);
}

int
sipdp_ctl_via_stamp(struct sipdp_msg *m, const char *msg, uint32_t len,
	const struct sipdp_ctl_addr *src, char *out, uint32_t cap)
{
	struct sipdp_via via;
	char rport[16], received[INET6_ADDRSTRLEN + 16];
	uint32_t at[2] = { 0, 0 }, ilen[2] = { 0, 0 };
	const char *ins[2] = { rport, received };

	int rc = sipdp_msg_parse(m, msg, len, SIPDP_MSG_F_STREAM);
	if (rc < 0)
		return rc == -EAGAIN ? -EBADMSG : rc;
	if (!m->is_request)
		return 0;
	if (sipdp_msg_top_via(m, &via) < 0)
		return -EBADMSG;
	bool need_rport = via.rport_present && via.rport == 0;
	bool need_received = (need_rport || !host_is_source(&via, src)) &&
		!sipdp_str_present(via.received);
	if (!need_rport && !need_received)
		return 0;

	/* End of the top via-parm: its last parameter, or its sent-by. */
	uint32_t end;
	if (via.params.len > 0) {
		end = (uint32_t)(via.params.p + via.params.len - msg);
	} else {
		end = (uint32_t)(via.host.p + via.host.len - msg);
		if (via.port != 0) {
			while (end < len && (msg[end] == ' ' || msg[end] == '\t' || msg[end] == ':'))
				end++;
			while (end < len && msg[end] >= '0' && msg[end] <= '9')
				end++;
		}
	}
	if (need_rport) {
		/* The valueless flag: its name ends where the value goes. */
		struct sipdp_str cur = via.params, name, value;
		while (sipdp_param_next(&cur, &name, &value) == 1) {
			if (sipdp_str_caseeq_lit(name, "rport") && value.p == NULL) {
				at[0] = (uint32_t)(name.p + name.len - msg);
				ilen[0] = (uint32_t)snprintf(rport, sizeof(rport), "=%u", src->port);
				break;
			}
		}
	}
	if (need_received) {
		char ip[INET6_ADDRSTRLEN];
		/* RFC 3261 §25.1 via-received: an IPv6address, without brackets. */
		inet_ntop(src->family == AF_INET6 ? AF_INET6 : AF_INET, src->addr, ip, sizeof(ip));
		at[1] = end;
		ilen[1] = (uint32_t)snprintf(received, sizeof(received), ";received=%s", ip);
	}
	if (ilen[0] && at[0] > at[1] && ilen[1]) {
		/* keep the insertions in order */
		uint32_t ta = at[0];
		at[0] = at[1];
		at[1] = ta;
		const char *ti = ins[0];
		ins[0] = ins[1];
		ins[1] = ti;
		uint32_t tl = ilen[0];
		ilen[0] = ilen[1];
		ilen[1] = tl;
	}
	return splice(msg, len, out, cap, at, ins, ilen);
}
