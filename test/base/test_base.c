/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/base: string views and the slot pool.
 *  - numbers never wrap: over-large decimal strings are -ERANGE, not a modulo
 *  - a freed slot's old handle never resolves again, even after reuse
 *  - a full pool says so instead of growing
 *  - the token bucket lets a burst through, then its rate, counts what it
 *    refuses and hands the count back once (fake clock)
 */
#include <errno.h>

#include "sipdp_pool.h"
#include "sipdp_ratelim.h"
#include "sipdp_str.h"
#include "sipdp_test.h"

static void
test_str_to_u32_rejects_overflow_and_junk(void)
{
	uint32_t v = 7;
	CU_ASSERT_EQUAL(sipdp_str_to_u32(SIPDP_STR("0000070"), 255, &v), 0);
	CU_ASSERT_EQUAL(v, 70);
	CU_ASSERT_EQUAL(sipdp_str_to_u32(SIPDP_STR("4294967295"), UINT32_MAX, &v), 0);
	CU_ASSERT_EQUAL(v, UINT32_MAX);
	CU_ASSERT_EQUAL(sipdp_str_to_u32(SIPDP_STR("4294967296"), UINT32_MAX, &v), -ERANGE);
	CU_ASSERT_EQUAL(sipdp_str_to_u32(SIPDP_STR("36893488147419103232"), UINT32_MAX, &v), -ERANGE);
	CU_ASSERT_EQUAL(sipdp_str_to_u32(SIPDP_STR("256"), 255, &v), -ERANGE);
	CU_ASSERT_EQUAL(sipdp_str_to_u32(SIPDP_STR(""), 255, &v), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_str_to_u32(SIPDP_STR("-1"), 255, &v), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_str_to_u32(SIPDP_STR("12a"), 255, &v), -EINVAL);
}

static void
test_str_caseeq_and_trim(void)
{
	CU_ASSERT_TRUE(sipdp_str_caseeq(SIPDP_STR("Call-ID"), SIPDP_STR("call-id")));
	CU_ASSERT_FALSE(sipdp_str_caseeq(SIPDP_STR("Call-ID"), SIPDP_STR("call-ie")));
	CU_ASSERT_FALSE(sipdp_str_caseeq(SIPDP_STR("a"), SIPDP_STR("ab")));
	struct sipdp_str t = sipdp_str_trim(SIPDP_STR(" \t value \r\n"));
	CU_ASSERT_TRUE(sipdp_str_eq(t, SIPDP_STR("value")));
	CU_ASSERT_EQUAL(sipdp_str_trim(SIPDP_STR("   ")).len, 0);
}

static void
test_u32_to_dec_round_trips(void)
{
	char buf[10];
	uint32_t vals[] = { 0, 9, 10, 314159, UINT32_MAX };
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(vals); i++) {
		uint32_t n = sipdp_u32_to_dec(buf, vals[i]), back = 0;
		CU_ASSERT_EQUAL(sipdp_str_to_u32(sipdp_str_make(buf, n), UINT32_MAX, &back), 0);
		CU_ASSERT_EQUAL(back, vals[i]);
	}
}

static void
test_u64_to_dec_writes_all_twenty_digits(void)
{
	char buf[20];
	uint32_t n = sipdp_u64_to_dec(buf, UINT64_MAX);

	CU_ASSERT_EQUAL(n, 20);
	CU_ASSERT_NSTRING_EQUAL(buf, "18446744073709551615", 20);
	CU_ASSERT_EQUAL(sipdp_u64_to_dec(buf, 0), 1);
	CU_ASSERT_EQUAL(buf[0], '0');
	n = sipdp_u64_to_dec(buf, 4294967296ULL);
	CU_ASSERT_EQUAL(n, 10);
	CU_ASSERT_NSTRING_EQUAL(buf, "4294967296", 10);
}

static void
test_pool_stale_handle_never_resolves(void)
{
	struct sipdp_pool *p;
	struct sipdp_pool_params prm = { .capacity = 2, .elt_size = 24 };
	void *e1 = NULL, *e2 = NULL;

	CU_ASSERT_EQUAL_FATAL(sipdp_pool_create(&prm, &p), 0);
	sipdp_handle_t h1 = sipdp_pool_alloc(p, &e1);
	CU_ASSERT_NOT_EQUAL(h1, SIPDP_HANDLE_INVALID);
	CU_ASSERT_PTR_EQUAL(sipdp_pool_get(p, h1), e1);
	CU_ASSERT_EQUAL(sipdp_pool_handle_of(p, e1), h1);
	CU_ASSERT_EQUAL(sipdp_pool_free(p, h1), 0);
	CU_ASSERT_PTR_NULL(sipdp_pool_get(p, h1));
	CU_ASSERT_EQUAL(sipdp_pool_free(p, h1), -ENOENT);
	sipdp_handle_t h2 = sipdp_pool_alloc(p, &e2);
	/* Same slot reused, new generation: the old handle stays dead. */
	CU_ASSERT_PTR_EQUAL(e1, e2);
	CU_ASSERT_NOT_EQUAL(h1, h2);
	CU_ASSERT_PTR_NULL(sipdp_pool_get(p, h1));
	CU_ASSERT_PTR_NULL(sipdp_pool_get(p, SIPDP_HANDLE_INVALID));
	CU_ASSERT_PTR_NULL(sipdp_pool_get(p, sipdp_handle_make(99, 1)));
	sipdp_pool_destroy(p);
}

static void
test_pool_full_reports_instead_of_growing(void)
{
	struct sipdp_pool *p;
	struct sipdp_pool_params prm = { .capacity = 3, .elt_size = 8 };

	CU_ASSERT_EQUAL_FATAL(sipdp_pool_create(&prm, &p), 0);
	sipdp_handle_t h[3];
	for (int i = 0; i < 3; i++)
		h[i] = sipdp_pool_alloc(p, NULL);
	CU_ASSERT_EQUAL(sipdp_pool_in_use(p), 3);
	CU_ASSERT_EQUAL(sipdp_pool_alloc(p, NULL), SIPDP_HANDLE_INVALID);
	CU_ASSERT_EQUAL(sipdp_pool_free(p, h[1]), 0);
	CU_ASSERT_NOT_EQUAL(sipdp_pool_alloc(p, NULL), SIPDP_HANDLE_INVALID);
	CU_ASSERT_EQUAL(sipdp_pool_in_use_max(p), 3);
	sipdp_pool_destroy(p);

	struct sipdp_pool_params bad = { .capacity = 0, .elt_size = 8 };
	CU_ASSERT_EQUAL(sipdp_pool_create(&bad, &p), -EINVAL);
}

static void
test_ratelim_burst_then_rate_with_suppressed_count(void)
{
	struct sipdp_ratelim rl;
	uint64_t sup = 99, now = 1000000, passed = 0;

	sipdp_ratelim_init(&rl, 10, 5, now);
	/* A flood of 1000 at one instant: the burst only. */
	for (int i = 0; i < 1000; i++)
		passed += sipdp_ratelim_take(&rl, now, &sup);
	CU_ASSERT_EQUAL(passed, 5);
	CU_ASSERT_EQUAL(rl.suppressed, 995);
	/* 99 ms later: not yet a whole token at 10/s. */
	CU_ASSERT_FALSE(sipdp_ratelim_take(&rl, now + 99999, &sup));
	/* 100 ms: one token, and the 996 refused are handed back once. */
	CU_ASSERT_TRUE(sipdp_ratelim_take(&rl, now + 100000, &sup));
	CU_ASSERT_EQUAL(sup, 996);
	CU_ASSERT_FALSE(sipdp_ratelim_take(&rl, now + 100000, &sup));
	CU_ASSERT_TRUE(sipdp_ratelim_take(&rl, now + 200000, &sup));
	CU_ASSERT_EQUAL(sup, 1);
	CU_ASSERT_EQUAL(rl.suppressed_total, 997);
	/* A flood over 10 s at 1 event per ms: burst + rate * time, no more. */
	sipdp_ratelim_init(&rl, 10, 5, now);
	passed = 0;
	for (uint64_t t = 0; t < 10000; t++)
		passed += sipdp_ratelim_take(&rl, now + t * 1000, &sup);
	CU_ASSERT_EQUAL(passed, 5 + 99);
	CU_ASSERT_EQUAL(rl.suppressed_total, 10000 - 104);
}

static void
test_ratelim_refills_to_burst_only_and_ignores_time_going_back(void)
{
	struct sipdp_ratelim rl;
	uint64_t sup = 0, passed = 0;

	sipdp_ratelim_init(&rl, 1000, 3, 5000000);
	for (int i = 0; i < 10; i++)
		passed += sipdp_ratelim_take(&rl, 5000000, &sup);
	CU_ASSERT_EQUAL(passed, 3);
	/* A day of silence refills the burst, not a day's worth. */
	passed = 0;
	for (int i = 0; i < 10; i++)
		passed += sipdp_ratelim_take(&rl, 5000000 + 86400ull * 1000000, &sup);
	CU_ASSERT_EQUAL(passed, 3);
	/* An earlier time refills nothing. */
	CU_ASSERT_FALSE(sipdp_ratelim_take(&rl, 1, &sup));
	/* rate 0: the burst and nothing after. */
	sipdp_ratelim_init(&rl, 0, 0, 0);
	CU_ASSERT_TRUE(sipdp_ratelim_take(&rl, 0, NULL));
	CU_ASSERT_FALSE(sipdp_ratelim_take(&rl, 3600ull * 1000000, NULL));
}

static struct sipdp_test_case cases[] = {
	{ "str_to_u32_rejects_overflow_and_junk", test_str_to_u32_rejects_overflow_and_junk },
	{ "str_caseeq_and_trim", test_str_caseeq_and_trim },
	{ "u32_to_dec_round_trips", test_u32_to_dec_round_trips },
	{ "u64_to_dec_writes_all_twenty_digits", test_u64_to_dec_writes_all_twenty_digits },
	{ "pool_stale_handle_never_resolves", test_pool_stale_handle_never_resolves },
	{ "pool_full_reports_instead_of_growing", test_pool_full_reports_instead_of_growing },
	{ "ratelim_burst_then_rate_with_suppressed_count",
	  test_ratelim_burst_then_rate_with_suppressed_count },
	{ "ratelim_refills_to_burst_only_and_ignores_time_going_back",
	  test_ratelim_refills_to_burst_only_and_ignores_time_going_back },
	{ NULL, NULL },
};

int
main(void)
{
	return sipdp_test_run("base", cases);
}
