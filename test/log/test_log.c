/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/log over rte_log, no EAL (rte_log works before rte_eal_init), the
 * output captured in memory and a fake clock:
 *  - a flood of 10,000 peer-triggered lines over 2 s writes burst + rate x
 *    2 s of them, then one "N lines suppressed" line with the exact N;
 *  - a component below its level writes nothing and spends no token;
 *  - levels by component from the config and at run time; unknown names
 *    and levels refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "sipdp_log.h"
#include "sipdp_test.h"

static char *out_buf;
static size_t out_len;
static FILE *out;

static void
capture_begin(void)
{
	out = open_memstream(&out_buf, &out_len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(rte_openlog_stream(out), 0);
}

static unsigned
count(const char *needle)
{
	unsigned n = 0;

	fflush(out);
	for (const char *p = out_buf; p != NULL && (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
capture_end(void)
{
	rte_openlog_stream(NULL);
	fclose(out);
	free(out_buf);
	out_buf = NULL;
}

static void
test_flood_is_bounded_and_suppressed_lines_are_counted(void)
{
	struct sipdp_cfg_log cfg = { .level = SIPDP_CFG_LOG_NOTICE, .rate = 10, .burst = 20 };
	struct sipdp_ratelim rl;
	uint64_t t0 = 1000000, written = 0;

	capture_begin();
	sipdp_log_apply_cfg(&cfg);
	sipdp_log_ratelim_init(&rl, &cfg, t0);
	/* 10,000 bad datagrams over 2 s (one per 200 us). */
	for (uint64_t i = 0; i < 10000; i++)
		written += sipdp_log_rl(&rl, SIPDP_LOG_SHARD, RTE_LOG_NOTICE, t0 + i * 200,
			"dropped datagram %llu\n", (unsigned long long)i);
	CU_ASSERT_EQUAL(written, 20 + 19); /* burst, then 10/s for 1.9998 s */
	CU_ASSERT_EQUAL(count("sipdp.shard: dropped datagram"), 39);
	/* Every line let through after a refusal says how many were lost. */
	CU_ASSERT_EQUAL(count("lines suppressed"), 19);
	/* Quiet for a second, then one more: its predecessor count is exact. */
	CU_ASSERT_TRUE(sipdp_log_rl(&rl, SIPDP_LOG_SHARD, RTE_LOG_NOTICE, t0 + 3000000, "again\n"));
	CU_ASSERT_EQUAL(rl.suppressed_total, 10000 - 39);
	CU_ASSERT_EQUAL(count("sipdp.shard: again"), 1);
	capture_end();
}

static void
test_level_off_writes_nothing_and_keeps_tokens(void)
{
	struct sipdp_cfg_log cfg = { .level = SIPDP_CFG_LOG_NOTICE, .rate = 0, .burst = 2 };
	struct sipdp_ratelim rl;

	cfg.component[SIPDP_CFG_LOG_DP] = SIPDP_CFG_LOG_ERR;
	capture_begin();
	sipdp_log_apply_cfg(&cfg);
	sipdp_log_ratelim_init(&rl, &cfg, 0);
	for (int i = 0; i < 100; i++)
		CU_ASSERT_FALSE(sipdp_log_rl(&rl, SIPDP_LOG_DP, RTE_LOG_NOTICE, 0, "noise\n"));
	CU_ASSERT_EQUAL(rl.suppressed_total, 0);
	CU_ASSERT_TRUE(sipdp_log_rl(&rl, SIPDP_LOG_DP, RTE_LOG_ERR, 0, "real\n"));
	CU_ASSERT_EQUAL(count("noise"), 0);
	CU_ASSERT_EQUAL(count("sipdp.dp: real"), 1);
	capture_end();
}

static void
test_levels_per_component_and_at_run_time(void)
{
	struct sipdp_cfg_log cfg = { .level = SIPDP_CFG_LOG_WARNING };

	cfg.component[SIPDP_CFG_LOG_POLICY] = SIPDP_CFG_LOG_DEBUG;
	sipdp_log_apply_cfg(&cfg);
	CU_ASSERT_EQUAL(sipdp_log_get_level(SIPDP_LOG_POLICY), RTE_LOG_DEBUG);
	CU_ASSERT_EQUAL(sipdp_log_get_level(SIPDP_LOG_SHARD), RTE_LOG_WARNING);
	CU_ASSERT_EQUAL(sipdp_log_set_level("shard", "debug"), 0);
	CU_ASSERT_EQUAL(sipdp_log_get_level(SIPDP_LOG_SHARD), RTE_LOG_DEBUG);
	CU_ASSERT_EQUAL(sipdp_log_set_level("sipdp.ctl", "4"), 0);
	CU_ASSERT_EQUAL(sipdp_log_get_level(SIPDP_LOG_CTL), RTE_LOG_ERR);
	CU_ASSERT_EQUAL(sipdp_log_set_level("nosuch", "debug"), -ENOENT);
	CU_ASSERT_EQUAL(sipdp_log_set_level("shard", "loud"), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_log_set_level("shard", "9"), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_log_comp_lookup("policy"), SIPDP_LOG_POLICY);
	CU_ASSERT_STRING_EQUAL(sipdp_log_level_name(RTE_LOG_NOTICE), "notice");
	/* The types are DPDK's, by name: --log-level sipdp.shard:debug works. */
	CU_ASSERT_EQUAL(rte_log_register("sipdp.shard"), sipdp_log_type(SIPDP_LOG_SHARD));
}

static struct sipdp_test_case cases[] = {
	{ "flood_is_bounded_and_suppressed_lines_are_counted",
	  test_flood_is_bounded_and_suppressed_lines_are_counted },
	{ "level_off_writes_nothing_and_keeps_tokens", test_level_off_writes_nothing_and_keeps_tokens },
	{ "levels_per_component_and_at_run_time", test_levels_per_component_and_at_run_time },
	{ NULL, NULL },
};

int
main(void)
{
	if (sipdp_log_init() != 0)
		return 1;
	return sipdp_test_run("log", cases);
}
