/* SPDX-License-Identifier: BSD-3-Clause */
/* Counters, names, operator dump and the RFC 3261 §26 transport choice. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "ctl_pvt.h"
#include "sipdp_msg_hdr.h"

void
sipdp_ctl_stats(const struct sipdp_ctl *c, struct sipdp_ctl_stats *out)
{
	*out = c->st;
}

static const char *const reason_names[SIPDP_CTL_CLOSE__COUNT] = {
	[SIPDP_CTL_CLOSE_LOCAL] = "local",
	[SIPDP_CTL_CLOSE_PEER] = "peer_close",
	[SIPDP_CTL_CLOSE_ERROR] = "error",
	[SIPDP_CTL_CLOSE_IDLE] = "idle",
	[SIPDP_CTL_CLOSE_DEADLINE] = "message_deadline",
	[SIPDP_CTL_CLOSE_FRAMING] = "framing_error",
	[SIPDP_CTL_CLOSE_OVERSIZE] = "oversize",
	[SIPDP_CTL_CLOSE_HS_TIMEOUT] = "handshake_timeout",
	[SIPDP_CTL_CLOSE_HS_FAILED] = "handshake_failed",
	[SIPDP_CTL_CLOSE_NOT_TLS] = "plaintext_on_tls",
	[SIPDP_CTL_CLOSE_CONNECT_FAILED] = "connect_failed",
	[SIPDP_CTL_CLOSE_TX_OVERFLOW] = "tx_overflow",
};

const char *
sipdp_ctl_close_reason_str(enum sipdp_ctl_close_reason r)
{
	return (unsigned)r < SIPDP_CTL_CLOSE__COUNT ? reason_names[r] : "?";
}

static const char *
addr_str(const struct sipdp_ctl_addr *a, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->addr, ip, sizeof(ip));
	snprintf(buf, cap, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, a->port);
	return buf;
}

int
sipdp_ctl_dump(const struct sipdp_ctl *c, FILE *f)
{
	static const char *const st_names[] = { "free", "connecting", "handshake", "open", "linger" };
	char a[64], b[64];

#define SIPDP_CTL_X_PRINT(name, doc) fprintf(f, "%-24s %llu\n", #name, \
	(unsigned long long)c->st.name);
	SIPDP_CTL_COUNTERS(SIPDP_CTL_X_PRINT)
#undef SIPDP_CTL_X_PRINT
	for (int r = 0; r < SIPDP_CTL_CLOSE__COUNT; r++)
		fprintf(f, "closed_%-17s %llu\n", reason_names[r],
			(unsigned long long)c->st.closed[r]);
	for (uint32_t i = 0; i < c->cap; i++) {
		const struct ctl_conn *k = &c->conns[i];
		if (k->state == CS_FREE)
			continue;
		fprintf(f, "conn %#x %s %s %s -> %s rx %u tx %u\n", k->id,
			k->transport == SIPDP_CTL_TLS ? "tls" : "tcp", st_names[k->state],
			addr_str(&k->peer, a, sizeof(a)), addr_str(&k->local, b, sizeof(b)),
			k->rlen, k->wlen);
	}
	return ferror(f) ? -EIO : 0;
}

int
sipdp_ctl_transport_for_via(const char *transport, uint32_t len)
{
	struct sipdp_str t = sipdp_str_make(transport, len);

	if (sipdp_str_caseeq_lit(t, "TLS"))
		return SIPDP_CTL_TLS;
	if (sipdp_str_caseeq_lit(t, "TCP"))
		return SIPDP_CTL_TCP;
	return 0;
}

int
sipdp_ctl_transport_for_uri(const char *uri, uint32_t len)
{
	struct sipdp_uri u;
	struct sipdp_str v;

	if (sipdp_uri_parse(sipdp_str_make(uri, len), &u) < 0)
		return -EBADMSG;
	bool sips = u.scheme == SIPDP_URI_SIPS;
	if (!sips && u.scheme != SIPDP_URI_SIP)
		return -EBADMSG;
	int rc = sipdp_param_find(u.params, SIPDP_STR("transport"), &v);
	if (rc == -EBADMSG)
		return -EBADMSG;
	if (rc == -ENOENT)
		return sips ? SIPDP_CTL_TLS : 0;
	/* RFC 3261 §26.2.2: sips: means TLS on every hop; transport=tcp
	 * is how RFC 5630 writes that hop, still over TLS. */
	if (sipdp_str_caseeq_lit(v, "tls"))
		return SIPDP_CTL_TLS;
	if (sipdp_str_caseeq_lit(v, "tcp"))
		return sips ? SIPDP_CTL_TLS : SIPDP_CTL_TCP;
	return sips ? -EPROTONOSUPPORT : 0;
}
