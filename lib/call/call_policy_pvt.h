/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_CALL_POLICY_PVT_H
#define SIPDP_CALL_POLICY_PVT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "sipdp_call_policy.h"

struct call_rule {
	pcre2_code *re;      /* JIT-compiled when the platform has a JIT */
	char ruri_host[SIPDP_CFG_HOST_LEN];
	uint32_t prefix_len;
	uint32_t extra_len;
	char extra[SIPDP_CFG_STR_LEN + 96]; /* reject: Retry-After, Reason */
	char contact[SIPDP_CFG_URI_LEN + 2]; /* redirect: <uri> (a URI with
					       parameters needs the brackets) */
};

/* The match data of one worker: PCRE2 writes match offsets there, so it is
 * per thread and made once, never per message. */
struct sipdp_call_policy_scratch {
	pcre2_match_data *md;
};

struct sipdp_call_policy {
	const struct sipdp_cfg *cfg;
	/* Read-only while matching, so shared by the workers: bounds the
	 * backtracking an operator's pattern may cost per request. */
	pcre2_match_context *mctx;
	uint16_t nb_rules;
	struct call_rule rules[SIPDP_CFG_MAX_RULES];
} __attribute__((aligned(64)));

/* The policy a config handle names (env->policy_of, or the handle itself). */
static inline const struct sipdp_call_policy *
call_policy_of(const struct sipdp_call_env *e, uintptr_t handle)
{
	if (handle == 0)
		return NULL;
	return e->policy_of != NULL ? e->policy_of(e->user, handle) :
		(const struct sipdp_call_policy *)handle;
}

/* Rule @p rule of @p p (the config a call was set up with), or NULL. */
static inline const struct sipdp_cfg_rule *
call_policy_rule(const struct sipdp_call_policy *p, int rule)
{
	if (p == NULL || rule < 0 || rule >= p->cfg->nb_rules)
		return NULL;
	return &p->cfg->rules[rule];
}

/* The rule a dialog's app word names: NULL for generated calls,
 * consultations, bridges and dialogs without one. */
static inline const struct sipdp_cfg_rule *
call_rule_of(const struct sipdp_call_env *e, uint64_t app)
{
	if (!SIPDP_CALL_APP_IS_RULE(app))
		return NULL;
	return call_policy_rule(call_policy_of(e, SIPDP_CALL_APP_HANDLE(app)),
		SIPDP_CALL_APP_RULE(app));
}

static inline void
call_pin(struct sipdp_call_env *e, uintptr_t handle, int d)
{
	if (e->pin != NULL)
		e->pin(e->user, handle, d);
}

/* call_policy.c: rule @p r's SDP for dialog @p dlg in e->sdp (@p fresh:
 * another o= session id, for a new call of ours). */
struct sipdp_str call_rule_sdp(struct sipdp_call_env *e, const struct sipdp_cfg_rule *r,
			       uint8_t local_id, sipdp_handle_t dlg, bool fresh);
/* call_xfer.c: an auto transfer's timer (SIPDP_CALL_TK_XFER) fired. */
void call_xfer_fire(struct sipdp_call_env *e, const struct sipdp_timer_event *ev, uint64_t now_us);

#endif /* SIPDP_CALL_POLICY_PVT_H */
