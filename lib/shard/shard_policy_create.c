/* SPDX-License-Identifier: BSD-3-Clause */
/* Policy compilation (cold): regexes are compiled once, at start. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard_pvt.h"

/* Header lines of a reject, built once. The UA writes the standard reason
 * phrase; a configured one goes in an RFC 3326 Reason header so the peer
 * still sees it. */
static void
reject_extra(const struct sipdp_cfg_rule *cr, struct shard_rule *r)
{
	const struct sipdp_cfg_reject *rj = &cr->reject;
	int n = 0;

	if (cr->action != SIPDP_CFG_ACTION_REJECT)
		return;
	if (rj->has_retry_after)
		n += snprintf(r->extra + n, sizeof(r->extra) - (size_t)n, "Retry-After: %u\r\n",
			rj->retry_after);
	if (rj->reason[0] != 0)
		n += snprintf(r->extra + n, sizeof(r->extra) - (size_t)n,
			"Reason: SIP;cause=%u;text=\"%s\"\r\n", rj->code, rj->reason);
	if (n < 0 || (size_t)n >= sizeof(r->extra))
		n = 0;
	r->extra_len = (uint32_t)n;
}

int
sipdp_shard_policy_create(const struct sipdp_cfg *cfg, struct sipdp_shard_policy **out)
{
	struct sipdp_shard_policy *p;

	if (cfg == NULL || out == NULL || cfg->nb_rules > SIPDP_CFG_MAX_RULES)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->cfg = cfg;
	for (uint16_t i = 0; i < cfg->nb_rules; i++) {
		const struct sipdp_cfg_match *mt = &cfg->rules[i].match;
		struct shard_rule *r = &p->rules[i];
		const char *h = mt->ruri_host;
		size_t hl = strlen(h);

		/* An IPv6 host may be written with or without [ ]; the URI
		 * view keeps them, so keep the bare form and strip there. */
		if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
			memcpy(r->ruri_host, h + 1, hl - 2);
			r->ruri_host[hl - 2] = 0;
		} else {
			memcpy(r->ruri_host, h, hl + 1);
		}
		r->prefix_len = (uint32_t)strlen(mt->ruri_user_prefix);
		reject_extra(&cfg->rules[i], r);
		snprintf(r->contact, sizeof(r->contact), "<%s>", cfg->rules[i].redirect.contact);
		if (mt->ruri_user_regex[0] != 0) {
			int rc = regcomp(&r->re, mt->ruri_user_regex, REG_EXTENDED | REG_NOSUB);

			if (rc != 0) {
				SHARD_LOG(ERR, "policy[%u]: regex does not compile\n", i);
				p->nb_rules = i;
				sipdp_shard_policy_destroy(p);
				return -EINVAL;
			}
			r->has_re = true;
		}
		p->nb_rules = (uint16_t)(i + 1);
	}
	p->nb_rules = cfg->nb_rules;
	*out = p;
	return 0;
}

void
sipdp_shard_policy_destroy(struct sipdp_shard_policy *p)
{
	if (p == NULL)
		return;
	for (uint16_t i = 0; i < p->nb_rules; i++)
		if (p->rules[i].has_re)
			regfree(&p->rules[i].re);
	free(p);
}
