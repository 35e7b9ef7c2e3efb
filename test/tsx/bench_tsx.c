/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cost of the transaction layer's share of a UAS call over UDP, parse
 * included: INVITE in (IST, automatic 100), 200 out (Accepted, Timer L),
 * ACK in (to the TU), BYE in (NIST), 200 out (Completed, Timer J, kept),
 * with the wheel expiring L and J. The fake clock moves 1 ms per call, so
 * about 64k calls' transactions are alive in steady state. Not a test:
 *   meson test -C <build> --benchmark --suite perf tsx_uas_call_cost -v
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sipdp_msg_build.h"
#include "sipdp_tsx.h"

static struct sipdp_tsx_table *tab;
static uint64_t now;
static char out[2048];
static uint64_t sent;

static int
bench_send(void *user, const struct sipdp_tsx_dest *d, const char *b, uint32_t l)
{
	(void)user;
	(void)d;
	(void)b;
	sent += l;
	return 0;
}

static void
bench_event(void *user, const struct sipdp_tsx_event *ev)
{
	(void)user;
	if (ev->type == SIPDP_TSX_EV_REQUEST) {
		int len = sipdp_build_response_simple(out, sizeof(out), ev->msg, 200, SIPDP_STR("uastag1"),
						      SIPDP_STR_NULL);
		sipdp_tsx_respond(tab, ev->tsx, 200, out, (uint32_t)len, now);
	}
}

static const char inv_t[] =
	"INVITE sip:bob@192.0.2.2 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK00000000\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:alice@192.0.2.1>;tag=00000000\r\n"
	"To: <sip:bob@192.0.2.2>\r\n"
	"Call-ID: 00000000@192.0.2.1\r\n"
	"CSeq: 1 INVITE\r\n"
	"Contact: <sip:alice@192.0.2.1>\r\n"
	"Content-Length: 0\r\n\r\n";
static const char ack_t[] =
	"ACK sip:bob@192.0.2.2 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa0000000\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:alice@192.0.2.1>;tag=00000000\r\n"
	"To: <sip:bob@192.0.2.2>;tag=uastag1\r\n"
	"Call-ID: 00000000@192.0.2.1\r\n"
	"CSeq: 1 ACK\r\n"
	"Content-Length: 0\r\n\r\n";
static const char bye_t[] =
	"BYE sip:bob@192.0.2.2 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKb0000000\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:alice@192.0.2.1>;tag=00000000\r\n"
	"To: <sip:bob@192.0.2.2>;tag=uastag1\r\n"
	"Call-ID: 00000000@192.0.2.1\r\n"
	"CSeq: 2 BYE\r\n"
	"Content-Length: 0\r\n\r\n";

/* Write @n as 7 hex digits at the end of every mark (fresh copies each call). */
static void
stamp(char *buf, size_t len, uint32_t n, const char *const *marks, int nmarks)
{
	for (int k = 0; k < nmarks; k++) {
		char *p = buf;
		size_t ml = strlen(marks[k]);
		while ((p = memmem(p, len - (size_t)(p - buf), marks[k], ml)) != NULL) {
			for (int i = 0; i < 7; i++)
				p[ml - 7 + i] = "0123456789abcdef"[(n >> (4 * (6 - i))) & 0xf];
			p += ml;
		}
	}
}

int
main(void)
{
	static struct sipdp_msg m;
	static char inv[sizeof(inv_t)], ack[sizeof(ack_t)], bye[sizeof(bye_t)];
	struct sipdp_tsx_params p = { 0 };
	struct sipdp_tsx_dest src = { 0 };
	const uint32_t calls = 300000;
	struct timespec a, b;
	static const char *const marks[] = { "K00000000", "tag=00000000", " 00000000", "Ka0000000",
					     "Kb0000000" };

	p.capacity = 1u << 18;
	p.chunks = 1u << 18;
	p.auto_trying = true;
	p.secret[0] = 42;
	p.send = bench_send;
	p.on_event = bench_event;
	if (sipdp_tsx_create(&p, &tab) != 0)
		return 1;
	/* Pass 0: the harness alone (make the messages and parse them);
	 * pass 1: the same plus the transaction layer. The difference is the
	 * layer's cost; parse is reported separately by lib/sipmsg's bench. */
	double ns[2];
	for (int pass = 0; pass < 2; pass++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (uint32_t i = 0; i < calls; i++) {
			now += 1000;
			memcpy(inv, inv_t, sizeof(inv));
			memcpy(ack, ack_t, sizeof(ack));
			memcpy(bye, bye_t, sizeof(bye));
			stamp(inv, sizeof(inv) - 1, i + pass * calls, marks, 3);
			stamp(ack, sizeof(ack) - 1, i + pass * calls, marks, 4);
			stamp(bye, sizeof(bye) - 1, i + pass * calls, marks, 5);
			sipdp_msg_parse(&m, inv, sizeof(inv) - 1, 0);
			if (pass)
				sipdp_tsx_recv(tab, &m, &src, now);
			sipdp_msg_parse(&m, ack, sizeof(ack) - 1, 0);
			if (pass)
				sipdp_tsx_recv(tab, &m, &src, now);
			sipdp_msg_parse(&m, bye, sizeof(bye) - 1, 0);
			if (pass) {
				sipdp_tsx_recv(tab, &m, &src, now);
				sipdp_tsx_expire(tab, now, UINT32_MAX);
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns[pass] = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / calls;
	}
	const struct sipdp_tsx_stats *s = sipdp_tsx_stats(tab);
	printf("tsx share of a UAS call (IST+NIST, 100/200/200 built and sent, ACK to TU, timers): "
	       "%.0f ns/call (harness+3 parses %.0f ns); created ist %llu nist %llu, 503 %llu, "
	       "482 %llu, live %u, bytes/tsx %zu\n",
	       ns[1] - ns[0], ns[0], (unsigned long long)s->created[2], (unsigned long long)s->created[3],
	       (unsigned long long)s->full_503, (unsigned long long)s->merged_482, sipdp_tsx_count(tab),
	       sipdp_tsx_bytes_per_tsx(tab));
	sipdp_tsx_destroy(tab);
	return (s->full_503 || s->merged_482) ? 1 : 0;
}
