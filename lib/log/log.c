/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Log types per component on top of rte_log, and the rate-limited path.
 * Cold except sipdp_log_rl()'s level test, which workers reach only on
 * error paths.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>
#include <rte_telemetry.h>

#include "sipdp_log.h"

static const char *const comp_names[SIPDP_LOG_NCOMP] = {
	[SIPDP_LOG_APP] = "app",     [SIPDP_LOG_CFG] = "cfg",     [SIPDP_LOG_SIPMSG] = "sipmsg",
	[SIPDP_LOG_TSX] = "tsx",     [SIPDP_LOG_DLG] = "dlg",     [SIPDP_LOG_UA] = "ua",
	[SIPDP_LOG_DP] = "dp",       [SIPDP_LOG_SHARD] = "shard", [SIPDP_LOG_CTL] = "ctl",
	[SIPDP_LOG_POLICY] = "policy",
};

static const char *const level_names[] = {
	"0", "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* The rte_log types: written once by sipdp_log_init() before any thread
 * that logs starts, read-only after (like DPDK's own RTE_LOG_REGISTER
 * variables). USER1 until then, so an early line is not lost. */
static int comp_type[SIPDP_LOG_NCOMP] = {
	RTE_LOGTYPE_USER1, RTE_LOGTYPE_USER1, RTE_LOGTYPE_USER1, RTE_LOGTYPE_USER1,
	RTE_LOGTYPE_USER1, RTE_LOGTYPE_USER1, RTE_LOGTYPE_USER1, RTE_LOGTYPE_USER1,
	RTE_LOGTYPE_USER1, RTE_LOGTYPE_USER1,
};

int
sipdp_log_init(void)
{
	char name[32];

	for (unsigned i = 0; i < SIPDP_LOG_NCOMP; i++) {
		int t;

		snprintf(name, sizeof(name), "sipdp.%s", comp_names[i]);
		t = rte_log_register_type_and_pick_level(name, RTE_LOG_NOTICE);
		if (t < 0)
			return -ENOMEM;
		comp_type[i] = t;
	}
	return 0;
}

int
sipdp_log_type(enum sipdp_log_comp c)
{
	return (unsigned)c < SIPDP_LOG_NCOMP ? comp_type[c] : RTE_LOGTYPE_USER1;
}

const char *
sipdp_log_comp_name(enum sipdp_log_comp c)
{
	return (unsigned)c < SIPDP_LOG_NCOMP ? comp_names[c] : NULL;
}

int
sipdp_log_comp_lookup(const char *name)
{
	if (strncmp(name, "sipdp.", 6) == 0)
		name += 6;
	for (unsigned i = 0; i < SIPDP_LOG_NCOMP; i++)
		if (strcmp(name, comp_names[i]) == 0)
			return (int)i;
	return -ENOENT;
}

const char *
sipdp_log_level_name(uint32_t level)
{
	return level >= 1 && level < sizeof(level_names) / sizeof(level_names[0]) ?
		level_names[level] : "?";
}

int
sipdp_log_get_level(enum sipdp_log_comp c)
{
	return rte_log_get_level(sipdp_log_type(c));
}

void
sipdp_log_apply_cfg(const struct sipdp_cfg_log *cfg)
{
	uint32_t lvl = cfg->level ? cfg->level : RTE_LOG_NOTICE;

	for (unsigned i = 0; i < SIPDP_LOG_NCOMP; i++)
		(void)rte_log_set_level(comp_type[i], cfg->component[i] ? cfg->component[i] : lvl);
	/* The libraries that still log as USER1/USER2 follow app and shard. */
	(void)rte_log_set_level(RTE_LOGTYPE_USER1,
		cfg->component[SIPDP_LOG_APP] ? cfg->component[SIPDP_LOG_APP] : lvl);
	(void)rte_log_set_level(RTE_LOGTYPE_USER2,
		cfg->component[SIPDP_LOG_SHARD] ? cfg->component[SIPDP_LOG_SHARD] : lvl);
}

int
sipdp_log_set_level(const char *comp, const char *level)
{
	int c = sipdp_log_comp_lookup(comp);
	unsigned long v = 0;
	char *end;

	if (c < 0)
		return -ENOENT;
	for (unsigned i = 1; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(level, level_names[i]) == 0)
			v = i;
	if (v == 0) {
		v = strtoul(level, &end, 10);
		if (*level == '\0' || *end != '\0' || v < 1 || v > RTE_LOG_DEBUG)
			return -EINVAL;
	}
	return rte_log_set_level(comp_type[c], (uint32_t)v) == 0 ? 0 : -EINVAL;
}

void
sipdp_log_ratelim_init(struct sipdp_ratelim *rl, const struct sipdp_cfg_log *cfg, uint64_t now_us)
{
	sipdp_ratelim_init(rl, cfg->rate, cfg->burst ? cfg->burst : 20, now_us);
}

static void
log_v(enum sipdp_log_comp c, uint32_t level, const char *fmt, va_list ap)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "sipdp.%s: ", sipdp_log_comp_name(c));

	/* One rte_log call per line: lines of two lcores never interleave. */
	(void)vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	(void)rte_log(level, sipdp_log_type(c), "%s", line);
}

bool
sipdp_log_rl(struct sipdp_ratelim *rl, enum sipdp_log_comp c, uint32_t level, uint64_t now_us,
	const char *fmt, ...)
{
	uint64_t sup = 0;
	va_list ap;

	if (!rte_log_can_log((uint32_t)sipdp_log_type(c), level))
		return false;
	if (!sipdp_ratelim_take(rl, now_us, &sup))
		return false;
	if (sup != 0)
		(void)rte_log(level, sipdp_log_type(c), "sipdp.%s: %llu lines suppressed\n",
			sipdp_log_comp_name(c), (unsigned long long)sup);
	va_start(ap, fmt);
	log_v(c, level, fmt, ap);
	va_end(ap);
	return true;
}

void
sipdp_log(enum sipdp_log_comp c, uint32_t level, const char *fmt, ...)
{
	va_list ap;

	if (!rte_log_can_log((uint32_t)sipdp_log_type(c), level))
		return;
	va_start(ap, fmt);
	log_v(c, level, fmt, ap);
	va_end(ap);
}

static int
tel_log(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char buf[64], *lvl;
	int rc;

	(void)cmd;
	rte_tel_data_start_dict(d);
	if (params != NULL && params[0] != '\0') {
		snprintf(buf, sizeof(buf), "%s", params);
		lvl = strchr(buf, ',');
		if (lvl == NULL) {
			rte_tel_data_add_dict_string(d, "status", "error");
			rte_tel_data_add_dict_string(d, "error", "use: COMPONENT,LEVEL (shard,debug)");
			return 0;
		}
		*lvl++ = '\0';
		rc = sipdp_log_set_level(buf, lvl);
		if (rc != 0) {
			rte_tel_data_add_dict_string(d, "status", "error");
			rte_tel_data_add_dict_string(d, "error", rc == -ENOENT ? "no such component" :
				"no such level (emerg alert crit err warning notice info debug)");
			return 0;
		}
	}
	rte_tel_data_add_dict_string(d, "status", "ok");
	for (unsigned i = 0; i < SIPDP_LOG_NCOMP; i++)
		rte_tel_data_add_dict_string(d, comp_names[i],
			sipdp_log_level_name((uint32_t)rte_log_get_level(comp_type[i])));
	return 0;
}

int
sipdp_log_telemetry_register(void)
{
	return rte_telemetry_register_cmd("/sipdp/log", tel_log,
		"log levels per component. Parameters: COMPONENT,LEVEL to set one");
}
