/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The UA's local identity per transport and address family (Via sent-by
 * and Contact, sipdp_ua_params.ident), from the config: the first IPv4
 * and the first IPv6 address of port 0, the UDP port of that address and
 * sip.tcp_port / sip.tls_port (5061 when 0). Cold: runs once per worker
 * at creation.
 */

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "shard_pvt.h"

static const char *const tp_param[SIPDP_UA_IDENT_TRANSPORTS] = { "", ";transport=tcp",
	";transport=tls" };

void
shard_ident_fill(struct sipdp_shard *s, struct shard_worker *w, struct sipdp_ua_params *up)
{
	const struct sipdp_cfg *cfg = s->cfg;
	const struct sipdp_dp_classifier *cls = s->p.cls;
	uint16_t port[SIPDP_UA_IDENT_TRANSPORTS];

	port[SIPDP_TSX_TP_TCP] = cfg->sip.tcp_port;
	/* Outbound TLS works without a certificate of our own (lib/ctl's
	 * client context always exists): the Via still says TLS, with the
	 * port we would serve it on. */
	port[SIPDP_TSX_TP_TLS] = cfg->sip.tls_port ? cfg->sip.tls_port : 5061;
	for (int f = 0; f < SIPDP_UA_IDENT_FAMILIES; f++) {
		uint8_t fam = f ? AF_INET6 : AF_INET;
		int li = -1;

		for (uint16_t i = 0; i < cls->n_local && li < 0; i++)
			if (cls->local[i].family == fam)
				li = i;
		if (li < 0)
			continue;
		port[SIPDP_TSX_TP_UDP] = cls->local[li].port;
		for (int t = 0; t < SIPDP_UA_IDENT_TRANSPORTS; t++) {
			struct sipdp_ua_ident *e = &up->ident[t][f];
			char *sb = w->id_sent_by[t][f], *ct = w->id_contact[t][f];

			if (port[t] == 0)
				continue;
			snprintf(sb, sizeof(w->id_sent_by[t][f]), f ? "[%s]:%u" : "%s:%u",
				s->local[li].ip, port[t]);
			snprintf(ct, sizeof(w->id_contact[t][f]), "<sip:%s@%s%s>",
				cfg->identity.contact_user, sb, tp_param[t]);
			e->sent_by = sipdp_str_cstr(sb);
			e->contact = sipdp_str_cstr(ct);
		}
	}
}
