/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_TEST_H
#define SIPDP_TEST_H

/**
 * @file
 * CUnit glue shared by the unit tests: register a table of cases per suite
 * and run them all, exiting non-zero on any failure so meson sees it.
 *
 *   static struct sipdp_test_case cases[] = {
 *       { "parses_compact_forms", test_compact_forms },
 *       { NULL, NULL }
 *   };
 *   int main(void) { return sipdp_test_run("sipmsg_parse", cases); }
 */

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>

struct sipdp_test_case {
	const char *name;
	void (*fn)(void);
};

static inline int
sipdp_test_run_suites(const char *const *names, struct sipdp_test_case *const *tables, int n)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (int s = 0; s < n; s++) {
		CU_pSuite suite = CU_add_suite(names[s], NULL, NULL);
		if (suite == NULL)
			return 2;
		for (struct sipdp_test_case *c = tables[s]; c->name; c++)
			if (CU_add_test(suite, c->name, c->fn) == NULL)
				return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	unsigned ran = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	if (ran == 0) {
		fprintf(stderr, "no test ran\n");
		return 1;
	}
	return failed ? 1 : 0;
}

static inline int
sipdp_test_run(const char *suite, struct sipdp_test_case *cases)
{
	const char *names[1] = { suite };
	struct sipdp_test_case *tables[1] = { cases };
	return sipdp_test_run_suites(names, tables, 1);
}

/** Read a whole file into a malloc'd buffer (tests only). NULL on error. */
static inline char *
sipdp_test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = 0;
		*len = (size_t)n;
	}
	return buf;
}

#endif /* SIPDP_TEST_H */
