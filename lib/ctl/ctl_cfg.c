/* SPDX-License-Identifier: BSD-3-Clause */
/* Cold: map the config snapshot (lib/cfg) to lib/ctl's parameters and listeners. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "ctl_pvt.h"
#include "sipdp_cfg.h"

static const char *
opt(const char *s)
{
	return s[0] ? s : NULL;
}

int
sipdp_ctl_params_from_cfg(const struct sipdp_cfg *cfg, struct sipdp_ctl_params *p)
{
	if (cfg == NULL || p == NULL)
		return -EINVAL;
	p->max_conns = cfg->limits.tcp_connections;
	p->max_per_source = cfg->limits.tcp_per_source;
	p->idle_timeout_ms = cfg->limits.tcp_idle_timeout_ms;
	p->message_deadline_ms = cfg->limits.tcp_message_deadline_ms;
	p->max_message_bytes = cfg->limits.message_max;
	/* The header section may be the whole message, never more. */
	p->max_header_bytes = cfg->limits.message_max < 8192 ? cfg->limits.message_max : 8192;
	p->stamp_via = true;
	/* Outbound TLS (sips:, transport=tls) works without a certificate of
	 * our own, so the client context always exists. */
	p->tls_enabled = true;
	p->tls.cert_file = opt(cfg->tls.cert);
	p->tls.key_file = opt(cfg->tls.key);
	p->tls.ca_file = opt(cfg->tls.ca);
	p->tls.verify_inbound = cfg->tls.verify_inbound;
	p->tls.no_verify_outbound = !cfg->tls.verify_outbound;
	p->tls.ciphers = opt(cfg->tls.ciphers);
	p->tls.ciphersuites = opt(cfg->tls.ciphersuites);
	p->tls.sni = opt(cfg->tls.sni);
	p->tls.handshake_timeout_ms = cfg->tls.handshake_timeout_ms;
	return 0;
}

static int
listen_ip(struct sipdp_ctl *c, const struct sipdp_cfg *cfg, const struct sipdp_cfg_ip *ip)
{
	struct sipdp_ctl_addr a = { 0 };
	int n = 0, rc;

	if (ip->family == 0)
		return 0;
	a.family = ip->family == SIPDP_CFG_IPV4 ? AF_INET : AF_INET6;
	memcpy(a.addr, ip->addr, sizeof(a.addr));
	if (cfg->sip.tcp_port != 0) {
		a.port = cfg->sip.tcp_port;
		if ((rc = sipdp_ctl_listen(c, SIPDP_CTL_TCP, &a)) < 0)
			return rc;
		n++;
	}
	if (cfg->sip.tls_port != 0 && cfg->tls.cert[0]) {
		a.port = cfg->sip.tls_port;
		if ((rc = sipdp_ctl_listen(c, SIPDP_CTL_TLS, &a)) < 0)
			return rc;
		n++;
	}
	return n;
}

int
sipdp_ctl_listen_cfg(struct sipdp_ctl *c, const struct sipdp_cfg *cfg)
{
	int n = 0, rc;

	if (cfg->sip.nb_listen > 0) {
		for (uint16_t i = 0; i < cfg->sip.nb_listen; i++) {
			if ((rc = listen_ip(c, cfg, &cfg->sip.listen[i])) < 0)
				return rc;
			n += rc;
		}
		return n;
	}
	for (uint16_t i = 0; i < cfg->nb_ports; i++) {
		if ((rc = listen_ip(c, cfg, &cfg->ports[i].ipv4)) < 0)
			return rc;
		n += rc;
		if ((rc = listen_ip(c, cfg, &cfg->ports[i].ipv6)) < 0)
			return rc;
		n += rc;
	}
	return n;
}
