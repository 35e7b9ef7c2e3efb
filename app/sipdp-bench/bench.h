/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_BENCH_H
#define SIPDP_BENCH_H

#include <stdint.h>
#include <time.h>

#include "sipdp_str.h"

/** A message file loaded in memory. */
struct bench_msg {
	char *name;
	char *buf;
	uint32_t len;
};

/** Load every regular file of @p dir ending in .sip, sorted by name.
 *  @return count (> 0) or a negative errno; prints why on failure. */
int bench_load_corpus(const char *dir, struct bench_msg **out);
void bench_free_corpus(struct bench_msg *msgs, int n);

static inline uint64_t
bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/** Keep the optimiser from deleting work whose result is unused. */
#define BENCH_USE(x) __asm__ volatile("" : : "r"(x) : "memory")

int bench_parse_main(int argc, char **argv);
int bench_uas_main(int argc, char **argv);
int bench_transfer_main(int argc, char **argv);
int bench_b2b_call_main(int argc, char **argv);
int bench_b2b_refer_main(int argc, char **argv);

#endif
