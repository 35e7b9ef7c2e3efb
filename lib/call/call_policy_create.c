/* SPDX-License-Identifier: BSD-3-Clause */
/* Policy compilation (cold): regexes are compiled (and JIT-compiled) once,
 * at start and at each reload. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_policy_pvt.h"

/* Header lines of a reject, built once. The UA writes the standard reason
 * phrase; a configured one goes in an RFC 3326 Reason header so the peer
 * still sees it. */
static void
reject_extra(const struct sipdp_cfg_rule *cr, struct call_rule *r)
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
sipdp_call_policy_create_err(const struct sipdp_cfg *cfg, struct sipdp_call_policy **out,
	char *err, size_t cap)
{
	struct sipdp_call_policy *p;

	if (err != NULL && cap != 0)
		err[0] = 0;
	if (cfg == NULL || out == NULL || cfg->nb_rules > SIPDP_CFG_MAX_RULES)
		return -EINVAL;
	/* Aligned to 64 and below 2^48: a call's application word may hold
	 * its address with the rule index in the low 6 bits. */
	p = aligned_alloc(64, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	memset(p, 0, sizeof(*p));
	if (((uintptr_t)p >> 48) != 0) {
		free(p);
		return -ENOMEM;
	}
	p->cfg = cfg;
	p->mctx = pcre2_match_context_create(NULL);
	if (p->mctx == NULL) {
		free(p);
		return -ENOMEM;
	}
	pcre2_set_match_limit(p->mctx, SIPDP_CALL_REGEX_MATCH_LIMIT);
	for (uint16_t i = 0; i < cfg->nb_rules; i++) {
		const struct sipdp_cfg_match *mt = &cfg->rules[i].match;
		struct call_rule *r = &p->rules[i];
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
			int code;
			PCRE2_SIZE at;

			r->re = pcre2_compile((PCRE2_SPTR)mt->ruri_user_regex, PCRE2_ZERO_TERMINATED,
				0, &code, &at, NULL);
			if (r->re == NULL) {
				if (err != NULL && cap != 0)
					snprintf(err, cap, "policy[%u]: regex does not compile "
						"(error %d at %zu)", i, code, (size_t)at);
				p->nb_rules = i;
				sipdp_call_policy_destroy(p);
				return -EINVAL;
			}
			/* Without a JIT on this CPU the interpreter matches:
			 * slower, same answers. */
			(void)pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
		}
		p->nb_rules = (uint16_t)(i + 1);
	}
	p->nb_rules = cfg->nb_rules;
	*out = p;
	return 0;
}

int
sipdp_call_policy_create(const struct sipdp_cfg *cfg, struct sipdp_call_policy **out)
{
	return sipdp_call_policy_create_err(cfg, out, NULL, 0);
}

void
sipdp_call_policy_destroy(struct sipdp_call_policy *p)
{
	if (p == NULL)
		return;
	for (uint16_t i = 0; i < p->nb_rules; i++)
		pcre2_code_free(p->rules[i].re);
	pcre2_match_context_free(p->mctx);
	free(p);
}

const struct sipdp_cfg *
sipdp_call_policy_cfg(const struct sipdp_call_policy *p)
{
	return p->cfg;
}

int
sipdp_call_policy_scratch_create(struct sipdp_call_policy_scratch **out)
{
	struct sipdp_call_policy_scratch *sc = calloc(1, sizeof(*sc));

	if (sc == NULL)
		return -ENOMEM;
	/* One offset pair: the policy asks whether, not where. */
	sc->md = pcre2_match_data_create(1, NULL);
	if (sc->md == NULL) {
		free(sc);
		return -ENOMEM;
	}
	*out = sc;
	return 0;
}

void
sipdp_call_policy_scratch_destroy(struct sipdp_call_policy_scratch *sc)
{
	if (sc == NULL)
		return;
	pcre2_match_data_free(sc->md);
	free(sc);
}
