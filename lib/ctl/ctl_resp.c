/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 3261 §18.2.2 for reliable transports: a response goes back over the
 * connection its request came on; when that connection has gone, the
 * server opens one (or reuses one open) to the address in the top Via's
 * received parameter, else its sent-by host when that is an IP literal,
 * at the sent-by port, else the transport's default port (5060 TCP, 5061
 * TLS). Not rport: over TCP it is the source port of the connection that
 * is gone, where the peer listens for nothing (RFC 3581 §4 is for UDP).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "ctl_pvt.h"
#include "sipdp_msg.h"
#include "sipdp_msg_hdr.h"

/* @s, an IP literal (IPv6 with or without brackets), into @a. */
static int
ip_literal(struct sipdp_str s, struct sipdp_ctl_addr *a)
{
	char txt[INET6_ADDRSTRLEN + 2];

	if (s.len >= 2 && s.p[0] == '[') {
		s.p++;
		s.len -= 2;
	}
	if (s.len == 0 || s.len >= sizeof(txt))
		return -EINVAL;
	memcpy(txt, s.p, s.len);
	txt[s.len] = '\0';
	if (inet_pton(AF_INET, txt, a->addr) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, txt, a->addr) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int
sipdp_ctl_response_dest(struct sipdp_msg *m, const char *buf, uint32_t len,
	enum sipdp_ctl_transport *tp, struct sipdp_ctl_addr *dst)
{
	struct sipdp_via via;
	int t, rc;

	rc = sipdp_msg_parse(m, buf, len, SIPDP_MSG_F_STREAM);
	if (rc < 0 || m->is_request || sipdp_msg_top_via(m, &via) < 0)
		return -EBADMSG;
	t = sipdp_ctl_transport_for_via(via.transport.p, via.transport.len);
	if (t == 0)
		return -EPROTONOSUPPORT;
	memset(dst, 0, sizeof(*dst));
	if (!(sipdp_str_present(via.received) && ip_literal(via.received, dst) == 0) &&
	    ip_literal(via.host, dst) != 0)
		return -EHOSTUNREACH; /* a name: no resolver on the control lcore */
	dst->port = via.port != 0 ? via.port : t == SIPDP_CTL_TLS ? 5061 : 5060;
	*tp = (enum sipdp_ctl_transport)t;
	return 0;
}

int
sipdp_ctl_send_response(struct sipdp_ctl *c, struct sipdp_msg *m, uint32_t conn_id,
	const void *buf, uint32_t len, uint32_t *used)
{
	enum sipdp_ctl_transport tp;
	struct sipdp_ctl_addr dst;
	int rc;

	if (conn_id != 0) {
		rc = sipdp_ctl_send(c, conn_id, buf, len);
		if (rc != -ENOTCONN) {
			if (rc == 0 && used != NULL)
				*used = conn_id;
			return rc;
		}
	}
	rc = sipdp_ctl_response_dest(m, buf, len, &tp, &dst);
	if (rc != 0)
		return conn_id != 0 ? -ENOTCONN : rc;
	/* The peer's certificate names its host, which the Via may not: the
	 * configured SNI, or the address (sni NULL). */
	return sipdp_ctl_send_to(c, tp, &dst, NULL, buf, len, used);
}
