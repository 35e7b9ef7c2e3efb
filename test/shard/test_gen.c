/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The calls: generator's pure parts (suite 'unit', no EAL):
 *  - setup-time histogram: values below 8 us are exact; above, a value is
 *    reported as the low edge of its 1/8-of-a-power-of-two bucket (never
 *    more than 12.5 % low); percentiles take the rank rounded up (p50 of
 *    1..100 is 50, p99 is 99); an empty histogram reports 0; merging two
 *    workers' histograms is the same as recording everything in one
 *  - next hop of the target: IPv4 and bracketed IPv6 literals, default
 *    port 5060, an explicit port; a host name is -ENOTSUP (no DNS on the
 *    data path), a non-SIP URI -EINVAL
 *  - the summary line's exact text, run time, rate and failures by status included;
 *    with transfers (calls.refer_to) their counts, completed/s and failures
 *    by status follow, a transfer without a status shown as 0
 *  - the dialog app word: a rule word (snapshot | rule | local), a generated
 *    call's and an attended transfer's consultation are told apart, each
 *    giving back what was put in (the consultation's call handle included,
 *    a generated call's start time and the low 6 bits of its number)
 *  - a generated call's SDP offer: the same text every time for one call
 *    (a session refresh repeats it, RFC 4028 §10), another o= session id
 *    for a call started in the same microsecond with the next number, none
 *    for a dialog that is not a generated call or without a template
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "shard_gen.h"
#include "sipdp_pool.h"
#include "sipdp_shard.h"
#include "sipdp_test.h"

static struct sipdp_shard_hist h1, h2, h3;

static void
test_hist_small_values_exact(void)
{
	memset(&h1, 0, sizeof(h1));
	for (uint64_t v = 0; v < 8; v++)
		sipdp_shard_hist_add(&h1, v);
	CU_ASSERT_EQUAL(h1.count, 8);
	CU_ASSERT_EQUAL(sipdp_shard_hist_percentile(&h1, 0), 0);
	CU_ASSERT_EQUAL(sipdp_shard_hist_percentile(&h1, 500), 3);
	CU_ASSERT_EQUAL(sipdp_shard_hist_percentile(&h1, 1000), 7);
}

static void
test_hist_buckets_at_most_one_eighth_low(void)
{
	static const uint64_t vals[] = { 8, 9, 15, 16, 17, 1000, 1152, 20480, 999999, 123456789,
		1ull << 40, UINT64_MAX / 3 };

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		uint64_t got;

		memset(&h1, 0, sizeof(h1));
		sipdp_shard_hist_add(&h1, vals[i]);
		got = sipdp_shard_hist_percentile(&h1, 500);
		CU_ASSERT(got <= vals[i]);
		CU_ASSERT(vals[i] - got <= vals[i] / 8);
	}
	memset(&h1, 0, sizeof(h1));
	sipdp_shard_hist_add(&h1, 1000); /* 1000 = 0b1111101000: bucket [960, 1024) */
	CU_ASSERT_EQUAL(sipdp_shard_hist_percentile(&h1, 500), 960);
}

static void
test_hist_percentile_ranks(void)
{
	memset(&h1, 0, sizeof(h1));
	CU_ASSERT_EQUAL(sipdp_shard_hist_percentile(&h1, 500), 0);
	/* 1..100 us, each once: within exact range the answer is the rank's
	 * value rounded down to its bucket. */
	for (uint64_t v = 1; v <= 100; v++)
		sipdp_shard_hist_add(&h1, v);
	CU_ASSERT_EQUAL(sipdp_shard_hist_percentile(&h1, 500), 48);  /* 50 in [48, 52) */
	CU_ASSERT_EQUAL(sipdp_shard_hist_percentile(&h1, 990), 96);  /* 99 in [96, 104) */
	CU_ASSERT_EQUAL(sipdp_shard_hist_percentile(&h1, 10), 1);
	/* 99 fast calls and one slow one: p99 is still fast, p100 the slow one. */
	memset(&h1, 0, sizeof(h1));
	for (int i = 0; i < 99; i++)
		sipdp_shard_hist_add(&h1, 5);
	sipdp_shard_hist_add(&h1, 4096);
	CU_ASSERT_EQUAL(sipdp_shard_hist_percentile(&h1, 990), 5);
	CU_ASSERT_EQUAL(sipdp_shard_hist_percentile(&h1, 1000), 4096);
}

static void
test_hist_merge_equals_one_histogram(void)
{
	memset(&h1, 0, sizeof(h1));
	memset(&h2, 0, sizeof(h2));
	memset(&h3, 0, sizeof(h3));
	for (uint64_t v = 1; v < 5000; v += 7) {
		sipdp_shard_hist_add(v & 1 ? &h1 : &h2, v);
		sipdp_shard_hist_add(&h3, v);
	}
	struct sipdp_shard_hist *m = calloc(1, sizeof(*m));

	CU_ASSERT_FATAL(m != NULL);
	sipdp_shard_hist_merge(m, &h1);
	sipdp_shard_hist_merge(m, &h2);
	CU_ASSERT_EQUAL(m->count, h3.count);
	CU_ASSERT(memcmp(m->b, h3.b, sizeof(m->b)) == 0);
	CU_ASSERT_EQUAL(sipdp_shard_hist_percentile(m, 990), sipdp_shard_hist_percentile(&h3, 990));
	free(m);
}

static void
test_dest_from_target(void)
{
	struct sipdp_tsx_dest d;
	uint8_t a4[4], a6[16];

	inet_pton(AF_INET, "192.0.2.2", a4);
	inet_pton(AF_INET6, "2001:db8::2", a6);
	CU_ASSERT_EQUAL(sipdp_shard_gen_dest("sip:service@192.0.2.2", &d), 0);
	CU_ASSERT_EQUAL(d.family, AF_INET);
	CU_ASSERT_EQUAL(d.port, 5060);
	CU_ASSERT_EQUAL(d.transport, SIPDP_TSX_TP_UDP);
	CU_ASSERT(memcmp(d.addr, a4, 4) == 0);
	CU_ASSERT_EQUAL(sipdp_shard_gen_dest("sip:192.0.2.2:5080;transport=udp", &d), 0);
	CU_ASSERT_EQUAL(d.port, 5080);
	CU_ASSERT_EQUAL(sipdp_shard_gen_dest("sip:bob@[2001:db8::2]:5062", &d), 0);
	CU_ASSERT_EQUAL(d.family, AF_INET6);
	CU_ASSERT_EQUAL(d.port, 5062);
	CU_ASSERT(memcmp(d.addr, a6, 16) == 0);
	CU_ASSERT_EQUAL(sipdp_shard_gen_dest("sip:bob@example.com", &d), -ENOTSUP);
	CU_ASSERT_EQUAL(sipdp_shard_gen_dest("tel:+15551234", &d), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_shard_gen_dest("sip:bob@[2001:db8::zz]", &d), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_shard_gen_dest(NULL, &d), -EINVAL);
	/* the transport comes from the URI (RFC 3261 §26.2, §18.1.1) */
	CU_ASSERT_FALSE(d.flags & SIPDP_TSX_DEST_RELIABLE);
	CU_ASSERT_EQUAL(sipdp_shard_gen_dest("sip:service@192.0.2.2;transport=tcp", &d), 0);
	CU_ASSERT_EQUAL(d.transport, SIPDP_TSX_TP_TCP);
	CU_ASSERT_EQUAL(d.port, 5060);
	CU_ASSERT_EQUAL(d.flags, SIPDP_TSX_DEST_RELIABLE);
	CU_ASSERT_EQUAL(d.conn_id, 0);
	CU_ASSERT_EQUAL(sipdp_shard_gen_dest("sip:service@192.0.2.2;transport=tls", &d), 0);
	CU_ASSERT_EQUAL(d.transport, SIPDP_TSX_TP_TLS);
	CU_ASSERT_EQUAL(d.port, 5061);
	CU_ASSERT_EQUAL(sipdp_shard_gen_dest("sips:service@[2001:db8::2]", &d), 0);
	CU_ASSERT_EQUAL(d.transport, SIPDP_TSX_TP_TLS);
	CU_ASSERT_EQUAL(d.family, AF_INET6);
	CU_ASSERT_EQUAL(d.port, 5061);
	CU_ASSERT_EQUAL(sipdp_shard_gen_dest("sip:service@192.0.2.2:5070;transport=TCP", &d), 0);
	CU_ASSERT_EQUAL(d.transport, SIPDP_TSX_TP_TCP);
	CU_ASSERT_EQUAL(d.port, 5070);
	CU_ASSERT_EQUAL(sipdp_shard_gen_dest("sips:service@192.0.2.2;transport=udp", &d), -EINVAL);
}

static void
test_summary_line(void)
{
	struct sipdp_shard_calls c = { 0 };
	char buf[256];

	c.attempted = 2000;
	c.answered = 1996;
	c.failed = 4;
	c.setup_p50_us = 1152;
	c.setup_p99_us = 20480;
	sipdp_shard_calls_summary(&c, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "calls: attempted 2000 answered 1996 failed 4 not_started 0 "
		"p50 1.152 ms p99 20.480 ms");
	c.status[0] = 486;
	c.status_count[0] = 3;
	c.status[1] = 408;
	c.status_count[1] = 1;
	sipdp_shard_calls_summary(&c, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "calls: attempted 2000 answered 1996 failed 4 not_started 0 "
		"p50 1.152 ms p99 20.480 ms failures: 486x3 408x1");
	c.run_us = 10012345;
	sipdp_shard_calls_summary(&c, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "calls: attempted 2000 answered 1996 failed 4 not_started 0 "
		"p50 1.152 ms p99 20.480 ms in 10.012 s, 199 answered/s failures: 486x3 408x1");
}

static void
test_summary_line_transfers(void)
{
	struct sipdp_shard_calls c = { 0 };
	char buf[512];

	c.attempted = 1000;
	c.answered = 1000;
	c.setup_p50_us = 1152;
	c.setup_p99_us = 20480;
	c.xfer_attempted = 1000;
	c.xfer_accepted = 998;
	c.xfer_completed = 995;
	c.xfer_failed = 5;
	sipdp_shard_calls_summary(&c, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "calls: attempted 1000 answered 1000 failed 0 not_started 0 "
		"p50 1.152 ms p99 20.480 ms transfers: attempted 1000 accepted 998 completed 995 "
		"failed 5");
	c.run_us = 5000000;
	c.xfer_status[0] = 486;
	c.xfer_status_count[0] = 3;
	c.xfer_status[1] = 603;
	c.xfer_status_count[1] = 1;
	c.xfer_status[2] = SIPDP_SHARD_GEN_NO_STATUS;
	c.xfer_status_count[2] = 1;
	sipdp_shard_calls_summary(&c, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "calls: attempted 1000 answered 1000 failed 0 not_started 0 "
		"p50 1.152 ms p99 20.480 ms in 5.000 s, 200 answered/s transfers: attempted 1000 "
		"accepted 998 completed 995 failed 5, 199 completed/s failures: 486x3 603x1 0x1");
}

static void
test_app_word_kinds(void)
{
	static struct shard_snap snap; /* aligned(64) by its type */
	uint64_t rule = SHARD_APP_MAKE(&snap, 63, 7);
	uint64_t gen = SHARD_APP_GEN | SHARD_APP_GEN_T(123456789ull);
	sipdp_handle_t dlg = sipdp_handle_make(4095, 0x3fffffffu);
	uint64_t consult = SHARD_APP_CONSULT_MAKE(dlg);

	CU_ASSERT_TRUE(SHARD_APP_IS_RULE(rule));
	CU_ASSERT_PTR_EQUAL(SHARD_APP_SNAP(rule), &snap);
	CU_ASSERT_EQUAL(SHARD_APP_RULE(rule), 63);
	CU_ASSERT_EQUAL(SHARD_APP_LOCAL(rule), 7);
	CU_ASSERT_EQUAL(rule & (SHARD_APP_GEN | SHARD_APP_CONSULT), 0);

	CU_ASSERT_FALSE(SHARD_APP_IS_RULE(gen));
	CU_ASSERT_EQUAL(gen & SHARD_APP_CONSULT, 0);
	CU_ASSERT_EQUAL(SHARD_APP_GEN_T(gen), 123456789ull);
	gen = SHARD_APP_GEN_MAKE(123456789ull, 64 + 5);
	CU_ASSERT_FALSE(SHARD_APP_IS_RULE(gen));
	CU_ASSERT_EQUAL(gen & SHARD_APP_CONSULT, 0);
	CU_ASSERT_NOT_EQUAL(gen & SHARD_APP_GEN, 0);
	CU_ASSERT_EQUAL(SHARD_APP_GEN_T(gen), 123456789ull);
	CU_ASSERT_EQUAL(SHARD_APP_GEN_SEQ(gen), 5);
	gen = SHARD_APP_GEN_MAKE((1ull << 56) - 1, 63);
	CU_ASSERT_EQUAL(gen & SHARD_APP_CONSULT, 0);
	CU_ASSERT_EQUAL(SHARD_APP_GEN_T(gen), (1ull << 56) - 1);
	CU_ASSERT_EQUAL(SHARD_APP_GEN_SEQ(gen), 63);

	CU_ASSERT_FALSE(SHARD_APP_IS_RULE(consult));
	CU_ASSERT_EQUAL(consult & SHARD_APP_GEN, 0);
	CU_ASSERT_NOT_EQUAL(consult & SHARD_APP_CONSULT, 0);
	CU_ASSERT_EQUAL(SHARD_APP_CONSULT_DLG(consult), dlg);

	CU_ASSERT_FALSE(SHARD_APP_IS_RULE(0));
}

static struct shard_worker sdp_w;
static struct shard_gen sdp_g;

static void
test_gen_sdp_same_per_call(void)
{
	char first[256];
	struct sipdp_str a, b;
	uint64_t app = SHARD_APP_GEN_MAKE(5000000ull, 7);

	sdp_w.idx = 1;
	sdp_w.gen = &sdp_g;
	sdp_g.sdp_tmpl = "v=0\r\no=sipdp ${session_id} ${session_version} IN ${ip_version} "
		"${local_ip}\r\n";
	snprintf(sdp_g.local_ip, sizeof(sdp_g.local_ip), "192.0.2.1");
	sdp_g.dest.family = AF_INET;
	a = shard_gen_sdp(&sdp_w, app);
	CU_ASSERT_FATAL(a.len > 0 && a.len < sizeof(first));
	memcpy(first, a.p, a.len);
	first[a.len] = 0;
	/* (1 << 48) | (5000000 << 6 | 7) */
	CU_ASSERT_STRING_EQUAL(first,
		"v=0\r\no=sipdp 281475296710663 281475296710663 IN IP4 192.0.2.1\r\n");
	b = shard_gen_sdp(&sdp_w, app);
	CU_ASSERT_EQUAL(b.len, a.len);
	CU_ASSERT(memcmp(b.p, first, b.len) == 0);
	b = shard_gen_sdp(&sdp_w, SHARD_APP_GEN_MAKE(5000000ull, 8));
	CU_ASSERT(b.len != 0 && (b.len != strlen(first) || memcmp(b.p, first, b.len) != 0));
	CU_ASSERT_EQUAL(shard_gen_sdp(&sdp_w, 0).len, 0);
	sdp_g.sdp_tmpl = NULL;
	CU_ASSERT_EQUAL(shard_gen_sdp(&sdp_w, app).len, 0);
	sdp_w.gen = NULL;
	CU_ASSERT_EQUAL(shard_gen_sdp(&sdp_w, app).len, 0);
}

static struct sipdp_test_case cases[] = {
	{ "hist_small_values_exact", test_hist_small_values_exact },
	{ "hist_buckets_at_most_one_eighth_low", test_hist_buckets_at_most_one_eighth_low },
	{ "hist_percentile_ranks", test_hist_percentile_ranks },
	{ "hist_merge_equals_one_histogram", test_hist_merge_equals_one_histogram },
	{ "dest_from_target", test_dest_from_target },
	{ "summary_line", test_summary_line },
	{ "summary_line_with_transfers", test_summary_line_transfers },
	{ "app_word_kinds", test_app_word_kinds },
	{ "gen_sdp_same_text_per_call", test_gen_sdp_same_per_call },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("shard_gen", cases);
}
