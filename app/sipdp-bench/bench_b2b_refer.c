/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * b2b-refer: blind transfers terminated by sipdp's B2BUA on one core, four
 * stacks in-process (bench_b2b.h). Per transfer:
 *
 *   setup (not timed): A calls, S bridges to B, B answers: A-S-B is up
 *   timed on S:
 *     B -> S  REFER Refer-To: sip:carol@198.51.100.3
 *     S -> B  202, NOTIFY 100            B -> S  200
 *     S -> C  INVITE (no offer)          C -> S  100, 200 (C's offer)
 *     S -> A  re-INVITE (C's SDP)        A -> S  200 (A's answer)
 *     S -> A  ACK                        S -> C  ACK (A's answer)
 *     S -> B  NOTIFY 200                 B -> S  200
 *     clock step: S -> B  BYE            B -> S  200
 *   teardown (not timed): A hangs up, S ends C's leg (A-S-C was bridged)
 *
 * The clock moves --step-us per transfer (default 1000 µs), so Timer J/K,
 * the subscriptions' ends and S's wait for the transferor's BYE fire in the
 * run. The headline is the time spent inside S (its recv and expire calls,
 * lib/call's work and every callback) during the timed part, clock reads
 * included.
 *
 * Output: "b2b-refer: <REFER terminations/s> transfers/s" (S alone) and
 * "b2b-refer-all-stacks: <transfers/s> transfers/s". The run fails, printing
 * why and no rate, unless sipdp_call_stats()->transfers_ok counts every
 * transfer, the transferor saw each succeed and was released, and S is
 * left with nothing once the clock is drained.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_b2b.h"

/* One transfer. @return 0 or a negative errno. */
static int
one_transfer(struct b2b_net *net, uint64_t step)
{
	struct sipdp_ua_xfer_refer r = {
		.target = SIPDP_STR("sip:carol@198.51.100.3"),
		.bye = SIPDP_UA_XFER_BYE_NEVER, /* S releases B */
	};
	struct b2b_ep *a = &net->ep[B2B_A], *b = &net->ep[B2B_B], *c = &net->ep[B2B_C];
	uint64_t ans = a->answered, xok = b->xfer_ok, c_end = c->terminated;
	uint64_t ok = sipdp_call_stats(net->call)->transfers_ok;
	sipdp_handle_t d, x;
	int rc;

	net->timing = false;
	rc = b2b_a_calls(net, &d);
	if (rc != 0)
		return rc;
	b2b_settle(net);
	if (a->answered != ans + 1 || b->confirmed != ans + 1)
		return -EPROTO;

	net->timing = true;
	rc = sipdp_ua_xfer_refer(b->ua, b->last_incoming, &r, net->now, &x);
	if (rc != 0)
		return rc;
	b2b_settle(net);
	b2b_tick(net, step); /* S's BYE to B (bye_wait_ms 1) */
	net->timing = false;
	if (sipdp_call_stats(net->call)->transfers_ok != ok + 1 || b->xfer_ok != xok + 1)
		return -EREMOTEIO;

	rc = sipdp_ua_bye(a->ua, d, net->now);
	if (rc != 0)
		return rc;
	b2b_settle(net);
	if (c->terminated != c_end + 1)
		return -ECONNRESET;
	return 0;
}

int
bench_b2b_refer_main(int argc, char **argv)
{
	uint64_t n = 100000, step = 1000, warm = UINT64_MAX, t0 = 0, t1 = 0, s_ns = 0;
	uint64_t ok0 = 0, terminated0 = 0;
	const struct sipdp_call_stats *st;
	struct b2b_net *net;
	struct b2b_ep *a, *b, *c;
	uint32_t live_dlg, live_tsx, live_x;
	bool ok;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--transfers") == 0 && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--step-us") == 0 && i + 1 < argc)
			step = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--warm") == 0 && i + 1 < argc)
			warm = strtoull(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: sipdp-bench b2b-refer [--transfers N] [--step-us US] "
				"[--warm N]\n");
			return 2;
		}
	}
	if (n == 0) {
		fprintf(stderr, "b2b-refer: --transfers must be at least 1\n");
		return 2;
	}
	if (step == 0)
		step = 1;
	if (warm == UINT64_MAX)
		warm = 64ull * 500 * 1000 / step + 8000;
	net = calloc(1, sizeof(*net));
	if (net == NULL)
		return 1;
	/* Steady state on S: per transfer about a dozen transactions linger
	 * up to 64*T1 (both INVITEs and the re-INVITE, REFER, NOTIFYs, BYEs). */
	rc = b2b_net_init(net, 4096, b2b_tsx_capacity(step, 12));
	if (rc != 0)
		return 1;
	a = &net->ep[B2B_A];
	b = &net->ep[B2B_B];
	c = &net->ep[B2B_C];
	for (uint64_t i = 0; i < warm + n; i++) {
		if (i == warm) {
			net->s_ns = net->s_in = net->s_out = 0;
			ok0 = sipdp_call_stats(net->call)->transfers_ok;
			terminated0 = b->terminated;
			t0 = bench_now_ns();
		}
		rc = one_transfer(net, step);
		if (SIPDP_UNLIKELY(rc != 0)) {
			st = sipdp_call_stats(net->call);
			fprintf(stderr, "b2b-refer: FAILED: transfer %llu: %s (transfers ok %llu failed "
				"%llu, REFERs terminated %llu rejected %llu; B saw ok %llu not ok %llu; "
				"A re-INVITEs %llu; C answered %llu; errors %llu, dropped %llu)\n",
				(unsigned long long)i, strerror(-rc), (unsigned long long)st->transfers_ok,
				(unsigned long long)st->transfers_failed,
				(unsigned long long)st->refers_terminated,
				(unsigned long long)st->refers_rejected, (unsigned long long)b->xfer_ok,
				(unsigned long long)b->xfer_bad, (unsigned long long)a->reinvites,
				(unsigned long long)c->confirmed, (unsigned long long)net->errors,
				(unsigned long long)net->dropped);
			sipdp_call_dump(net->call, stderr);
			sipdp_ua_dump(net->ep[B2B_S].ua, stderr);
			return 1;
		}
	}
	t1 = bench_now_ns();
	s_ns = net->s_ns;
	live_dlg = sipdp_ua_dialog_count(net->ep[B2B_S].ua);
	live_tsx = sipdp_ua_tsx_count(net->ep[B2B_S].ua);
	live_x = sipdp_ua_xfer_count(net->ep[B2B_S].ua);

	b2b_drain(net, 70ull * 1000 * 1000);
	st = sipdp_call_stats(net->call);
	ok = b2b_s_idle(net, "b2b-refer");
	if (st->transfers_ok - ok0 != n || st->transfers_ok != warm + n || st->transfers_failed ||
	    st->refers_rejected || b->xfer_ok != warm + n || b->xfer_bad ||
	    b->terminated != warm + n || a->terminated != warm + n || c->confirmed != warm + n ||
	    c->terminated != warm + n || a->reinvites != warm + n || net->errors || net->dropped ||
	    net->s_unhandled) {
		fprintf(stderr, "b2b-refer: FAILED: %llu transfers: S transfers ok %llu (timed %llu of "
			"%llu) failed %llu, REFERs rejected %llu; B saw ok %llu not ok %llu, released "
			"%llu (timed %llu); A re-INVITEd %llu, ended %llu; C confirmed %llu ended %llu; "
			"errors %llu, dropped %llu, S events not taken by lib/call %llu\n",
			(unsigned long long)(warm + n), (unsigned long long)st->transfers_ok,
			(unsigned long long)(st->transfers_ok - ok0), (unsigned long long)n,
			(unsigned long long)st->transfers_failed, (unsigned long long)st->refers_rejected,
			(unsigned long long)b->xfer_ok, (unsigned long long)b->xfer_bad,
			(unsigned long long)b->terminated, (unsigned long long)(b->terminated - terminated0),
			(unsigned long long)a->reinvites, (unsigned long long)a->terminated,
			(unsigned long long)c->confirmed, (unsigned long long)c->terminated,
			(unsigned long long)net->errors, (unsigned long long)net->dropped,
			(unsigned long long)net->s_unhandled);
		ok = false;
	}
	if (!ok) {
		sipdp_call_dump(net->call, stderr);
		return 1;
	}
	printf("b2b-refer: %.0f transfers/s\n", (double)n * 1e9 / (double)s_ns);
	printf("b2b-refer-all-stacks: %.0f transfers/s\n", (double)n * 1e9 / (double)(t1 - t0));
	printf("  (S %.0f ns/transfer, %.1f datagrams in and %.1f out per transfer; whole loop %.0f ns (4 stacks, call setup and teardown "
	       "included); %llu transfers after %llu warm-up, 0 failed; S live at the end of the "
	       "run: dialogs %u, tsx %u, transfer records %u)\n",
	       (double)s_ns / (double)n, (double)net->s_in / (double)n, (double)net->s_out / (double)n,
	       (double)(t1 - t0) / (double)n, (unsigned long long)n,
	       (unsigned long long)warm, live_dlg, live_tsx, live_x);
	b2b_net_free(net);
	free(net);
	return 0;
}
