/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * b2b-call: bridged calls through sipdp's B2BUA on one core, four stacks
 * in-process (bench_b2b.h; C is idle here). Per call, on both legs:
 *
 *   A -> S  INVITE (SDP)       S -> B  INVITE (SDP, topology hidden)
 *   S -> A  100                B -> S  100, 180, 200 (SDP)
 *   S -> A  180, 200 (SDP)     S -> B  ACK
 *   A -> S  ACK
 *   A -> S  BYE                S -> B  BYE
 *   S -> A  200                B -> S  200
 *
 * then the clock moves --step-us (default 1000 µs), so transaction timers
 * (Timer J of the BYE from A, Timer K of the BYE to B, the 2xx-to-INVITE
 * lingering of RFC 6026) fire inside the run. The headline is the time
 * spent inside S (its recv and expire calls, lib/call's work and every
 * callback included; the clock reads around each call are counted, so the
 * figure is conservative); the whole loop of the four stacks is printed
 * too.
 *
 * Output: "b2b-call: <bridged calls/s> calls/s" (S alone),
 * "b2b-call-all-stacks: <calls/s> calls/s" and
 * "bridge-memory: <n> bytes/bridged call" (two confirmed dialogs,
 * sipdp_ua_memory().per_dialog, plus one bridge record,
 * sipdp_call_bytes_per_bridge()). The run fails, printing why and no rate,
 * unless every call was answered on A and ended on both legs and S is left
 * with no bridge, dialog or transaction once the clock is drained.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_b2b.h"

/* One bridged call. @return 0 or a negative errno. */
static int
one_call(struct b2b_net *net, uint64_t step)
{
	struct b2b_ep *a = &net->ep[B2B_A], *b = &net->ep[B2B_B];
	uint64_t ans = a->answered, a_end = a->terminated, b_end = b->terminated;
	sipdp_handle_t d;
	int rc;

	rc = b2b_a_calls(net, &d);
	if (rc != 0)
		return rc;
	b2b_settle(net);
	if (a->answered != ans + 1)
		return -EPROTO;
	rc = sipdp_ua_bye(a->ua, d, net->now);
	if (rc != 0)
		return rc;
	b2b_settle(net);
	if (a->terminated != a_end + 1 || b->terminated != b_end + 1)
		return -ECONNRESET;
	b2b_tick(net, step);
	return 0;
}

int
bench_b2b_call_main(int argc, char **argv)
{
	uint64_t n = 200000, step = 1000, warm = UINT64_MAX, t0 = 0, t1 = 0, s_ns = 0;
	struct b2b_net *net;
	struct sipdp_ua_mem mem;
	const struct sipdp_call_stats *st;
	struct b2b_ep *a, *b;
	uint32_t live_dlg = 0, live_tsx = 0;
	bool ok;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--step-us") == 0 && i + 1 < argc)
			step = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--warm") == 0 && i + 1 < argc)
			warm = strtoull(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: sipdp-bench b2b-call [--calls N] [--step-us US] [--warm N]\n");
			return 2;
		}
	}
	if (n == 0) {
		fprintf(stderr, "b2b-call: --calls must be at least 1\n");
		return 2;
	}
	if (step == 0)
		step = 1;
	/* Warm up past the steady state (64*T1 of lingering transactions),
	 * so first touches of the tables are not measured. */
	if (warm == UINT64_MAX)
		warm = 64ull * 500 * 1000 / step + 8000;
	net = calloc(1, sizeof(*net));
	if (net == NULL)
		return 1;
	/* Steady state on S: per call the B-leg INVITE client transaction
	 * (64*T1 after its 2xx) and the BYE server transaction (Timer J)
	 * linger, the BYE client transaction for T4. */
	rc = b2b_net_init(net, 4096, b2b_tsx_capacity(step, 4));
	if (rc != 0)
		return 1;
	a = &net->ep[B2B_A];
	b = &net->ep[B2B_B];
	for (uint64_t i = 0; i < warm + n; i++) {
		if (i == warm) {
			net->s_ns = net->s_in = net->s_out = 0;
			t0 = bench_now_ns();
		}
		rc = one_call(net, step);
		if (SIPDP_UNLIKELY(rc != 0)) {
			fprintf(stderr, "b2b-call: FAILED: call %llu: %s (A answered %llu failed %llu "
				"ended %llu; B answered-by-us %llu ended %llu; errors %llu, dropped %llu)\n",
				(unsigned long long)i, strerror(-rc), (unsigned long long)a->answered,
				(unsigned long long)a->failed, (unsigned long long)a->terminated,
				(unsigned long long)b->incoming, (unsigned long long)b->terminated,
				(unsigned long long)net->errors, (unsigned long long)net->dropped);
			sipdp_call_dump(net->call, stderr);
			sipdp_ua_dump(net->ep[B2B_S].ua, stderr);
			return 1;
		}
	}
	t1 = bench_now_ns();
	s_ns = net->s_ns;
	live_dlg = sipdp_ua_dialog_count(net->ep[B2B_S].ua);
	live_tsx = sipdp_ua_tsx_count(net->ep[B2B_S].ua);

	b2b_drain(net, 40ull * 1000 * 1000);
	st = sipdp_call_stats(net->call);
	ok = b2b_s_idle(net, "b2b-call");
	if (a->answered != warm + n || a->terminated != warm + n || a->failed != 0 ||
	    b->confirmed != warm + n || b->terminated != warm + n ||
	    st->bridges_answered != warm + n || st->bridges_in != warm + n || net->errors ||
	    net->dropped || net->s_unhandled) {
		fprintf(stderr, "b2b-call: FAILED: %llu calls: A answered %llu failed %llu ended %llu; "
			"B confirmed %llu ended %llu; S bridged %llu answered %llu; errors %llu, "
			"dropped %llu, S events not taken by lib/call %llu\n",
			(unsigned long long)(warm + n), (unsigned long long)a->answered,
			(unsigned long long)a->failed, (unsigned long long)a->terminated,
			(unsigned long long)b->confirmed, (unsigned long long)b->terminated,
			(unsigned long long)st->bridges_in, (unsigned long long)st->bridges_answered,
			(unsigned long long)net->errors, (unsigned long long)net->dropped,
			(unsigned long long)net->s_unhandled);
		ok = false;
	}
	if (!ok) {
		sipdp_call_dump(net->call, stderr);
		return 1;
	}
	sipdp_ua_memory(net->ep[B2B_S].ua, &mem);
	printf("b2b-call: %.0f calls/s\n", (double)n * 1e9 / (double)s_ns);
	printf("b2b-call-all-stacks: %.0f calls/s\n", (double)n * 1e9 / (double)(t1 - t0));
	printf("bridge-memory: %zu bytes/bridged call\n",
	       2 * mem.per_dialog + sipdp_call_bytes_per_bridge(net->call));
	printf("  (S %.0f ns/call, %.1f datagrams in and %.1f out per call; whole loop %.0f ns (4 stacks); %llu calls after %llu warm-up; "
	       "2 x %zu B dialog + %zu B bridge; S live at the end of the run: dialogs %u, tsx %u)\n",
	       (double)s_ns / (double)n, (double)net->s_in / (double)n, (double)net->s_out / (double)n,
	       (double)(t1 - t0) / (double)n, (unsigned long long)n,
	       (unsigned long long)warm, mem.per_dialog, sipdp_call_bytes_per_bridge(net->call),
	       live_dlg, live_tsx);
	b2b_net_free(net);
	free(net);
	return 0;
}
