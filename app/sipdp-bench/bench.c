/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipdp-bench: in-process benchmarks of the protocol core. Timing figures
 * live here and in docs/performance.md, never in pass/fail tests.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static int
cmp_msg(const void *a, const void *b)
{
	return strcmp(((const struct bench_msg *)a)->name, ((const struct bench_msg *)b)->name);
}

int
bench_load_corpus(const char *dir, struct bench_msg **out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct bench_msg *msgs = NULL;
	int n = 0, cap = 0;

	if (d == NULL) {
		fprintf(stderr, "sipdp-bench: %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	while ((e = readdir(d)) != NULL) {
		size_t nl = strlen(e->d_name);
		if (nl < 5 || strcmp(e->d_name + nl - 4, ".sip") != 0)
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		if (f == NULL)
			continue;
		char *buf = malloc(65536);
		size_t len = buf ? fread(buf, 1, 65536, f) : 0;
		fclose(f);
		if (buf == NULL || len == 0) {
			free(buf);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct bench_msg *nm = realloc(msgs, sizeof(*msgs) * (size_t)cap);
			if (nm == NULL) {
				free(buf);
				break;
			}
			msgs = nm;
		}
		msgs[n].name = strdup(e->d_name);
		msgs[n].buf = buf;
		msgs[n].len = (uint32_t)len;
		n++;
	}
	closedir(d);
	if (n == 0) {
		fprintf(stderr, "sipdp-bench: no .sip files in %s\n", dir);
		free(msgs);
		return -ENOENT;
	}
	qsort(msgs, (size_t)n, sizeof(*msgs), cmp_msg);
	*out = msgs;
	return n;
}

void
bench_free_corpus(struct bench_msg *msgs, int n)
{
	for (int i = 0; i < n; i++) {
		free(msgs[i].name);
		free(msgs[i].buf);
	}
	free(msgs);
}

static void
usage(FILE *f)
{
	fputs("usage: sipdp-bench COMMAND [options]\n"
	      "  parse [--corpus DIR] [--seconds S]   parse the corpus, read the key headers\n"
#ifdef SIPDP_BENCH_UA
	      "  uas-call [--calls N] [--step-us US]  full UAS calls on one core\n"
#endif
#ifdef SIPDP_BENCH_TRANSFER
	      "  transfer [--transfers N]             transferee transfers on one core\n"
#endif
#ifdef SIPDP_BENCH_B2B
	      "  b2b-call [--calls N] [--step-us US]  calls bridged by the B2BUA on one core\n"
	      "  b2b-refer [--transfers N]            REFERs terminated by the B2BUA on one core\n"
#endif
	      ,
	      f);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "parse") == 0)
		return bench_parse_main(argc - 1, argv + 1);
#ifdef SIPDP_BENCH_UA
	if (strcmp(argv[1], "uas-call") == 0)
		return bench_uas_main(argc - 1, argv + 1);
#endif
#ifdef SIPDP_BENCH_TRANSFER
	if (strcmp(argv[1], "transfer") == 0)
		return bench_transfer_main(argc - 1, argv + 1);
#endif
#ifdef SIPDP_BENCH_B2B
	if (strcmp(argv[1], "b2b-call") == 0)
		return bench_b2b_call_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "b2b-refer") == 0)
		return bench_b2b_refer_main(argc - 1, argv + 1);
#endif
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "sipdp-bench: unknown command %s\n", argv[1]);
	usage(stderr);
	return 2;
}
