/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * parse: the per-message work every packet pays on the fast path — index the
 * message and read the top Via branch, Call-ID, CSeq number and method, From
 * tag and To tag.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "sipdp_msg.h"
#include "sipdp_msg_hdr.h"

static int
parse_one(struct sipdp_msg *m, const struct bench_msg *msg, uint64_t *sink)
{
	struct sipdp_via via;
	struct sipdp_cseq cseq;
	struct sipdp_nameaddr from, to;

	if (sipdp_msg_parse(m, msg->buf, msg->len, 0) < 0)
		return -EBADMSG;
	if (sipdp_msg_top_via(m, &via) || sipdp_msg_cseq(m, &cseq) ||
	    sipdp_msg_from(m, &from) || sipdp_msg_to(m, &to))
		return -EBADMSG;
	struct sipdp_str cid = sipdp_msg_call_id(m);
	*sink += via.branch.len + cid.len + cseq.num + cseq.method + from.tag.len + to.tag.len;
	return 0;
}

int
bench_parse_main(int argc, char **argv)
{
	const char *dir = SIPDP_DEFAULT_CORPUS;
	double seconds = 2.0;
	unsigned long passes = 0;
	struct bench_msg *msgs;
	uint64_t sink = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--corpus") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "--passes") == 0 && i + 1 < argc)
			passes = strtoul(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: sipdp-bench parse [--corpus DIR] [--seconds S | --passes N]\n");
			return 2;
		}
	}
	int n = bench_load_corpus(dir, &msgs);
	if (n < 0)
		return 2;

	struct sipdp_msg *m = malloc(sizeof(*m));
	if (m == NULL)
		return 2;
	for (int i = 0; i < n; i++) {
		if (parse_one(m, &msgs[i], &sink) != 0) {
			fprintf(stderr, "sipdp-bench: %s does not parse: %s\n", msgs[i].name,
				m->err.what ? m->err.what : "missing key header");
			return 1;
		}
	}

	/* Warm up, then run whole corpus passes until the time is spent; the
	 * clock is read once per 64 passes, not per message. --passes runs an
	 * exact number of passes instead, so instruction counts (callgrind)
	 * repeat from run to run. */
	uint64_t total = 0, t0 = bench_now_ns(), t1, budget = (uint64_t)(seconds * 1e9);
	if (passes > 0) {
		for (unsigned long r = 0; r < passes; r++)
			for (int i = 0; i < n; i++)
				parse_one(m, &msgs[i], &sink);
		total = passes * (uint64_t)n;
		t1 = bench_now_ns();
	} else {
		do {
			for (int r = 0; r < 64; r++)
				for (int i = 0; i < n; i++)
					parse_one(m, &msgs[i], &sink);
			total += 64u * (uint64_t)n;
			t1 = bench_now_ns();
		} while (t1 - t0 < budget);
	}
	BENCH_USE(sink);

	double ns = (double)(t1 - t0) / (double)total;
	printf("parse: %.1f ns/msg %.0f msgs/s\n", ns, 1e9 / ns);
	printf("corpus: %d messages from %s, %lu parsed\n", n, dir, (unsigned long)total);
	free(m);
	bench_free_corpus(msgs, n);
	return 0;
}
