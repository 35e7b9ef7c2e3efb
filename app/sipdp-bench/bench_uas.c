/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uas-call: one UAS stack on one core, fed pre-built UAC messages — per call
 * an INVITE (with SDP), the ACK for the 2xx and a BYE — and answering
 * through a null send hook: 100 Trying (the answer is not given inside the
 * callback), 200 OK with SDP, 200 OK to the BYE. Parse, acceptance checks,
 * transactions, dialog, timers and builder all run as in production.
 *
 * The pre-built messages are patched in place per call (an 8-digit counter
 * in Call-ID, branches and From tag; our To tag in ACK and BYE), which
 * stands for the NIC handing over a fresh packet.
 *
 * The fake clock moves --step-us per call (default 1000 µs), so transaction
 * timers (Timer J of each BYE over UDP: 64*T1) fire and are paid for inside
 * the measurement, at a steady state of 32 s / step live transactions.
 *
 * Output: "uas-call: <calls/s> calls/s" and "dialog-memory: <n> bytes/dialog"
 * (held per confirmed dialog, every table included: sipdp_ua_memory()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "sipdp_ua.h"

struct bench_uas {
	uint64_t sent, sent_bytes;
	uint32_t s100, s200;
	sipdp_handle_t incoming;
	uint32_t confirmed, terminated;
};

static int
null_send(void *user, const struct sipdp_tsx_dest *dest, const char *buf, uint32_t len)
{
	struct bench_uas *b = user;

	(void)dest;
	b->sent++;
	b->sent_bytes += len;
	if (len > 12 && buf[8] == '1' && buf[9] == '0' && buf[10] == '0')
		b->s100++;
	else if (len > 12 && buf[8] == '2')
		b->s200++;
	return 0;
}

static void
on_incoming(void *user, const struct sipdp_ua_event *ev)
{
	((struct bench_uas *)user)->incoming = ev->dlg;
}

static void
on_confirmed(void *user, const struct sipdp_ua_event *ev)
{
	(void)ev;
	((struct bench_uas *)user)->confirmed++;
}

static void
on_terminated(void *user, const struct sipdp_ua_event *ev)
{
	(void)ev;
	((struct bench_uas *)user)->terminated++;
}

static const char sdp[] =
	"v=0\r\n"
	"o=alice 2890844526 2890844526 IN IP4 192.0.2.1\r\n"
	"s=-\r\n"
	"c=IN IP4 192.0.2.1\r\n"
	"t=0 0\r\n"
	"m=audio 49170 RTP/AVP 0 8 101\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n";

static const char answer_sdp[] =
	"v=0\r\n"
	"o=bob 2808844564 2808844564 IN IP4 192.0.2.2\r\n"
	"s=-\r\n"
	"c=IN IP4 192.0.2.2\r\n"
	"t=0 0\r\n"
	"m=audio 3456 RTP/AVP 0\r\n"
	"a=rtpmap:0 PCMU/8000\r\n";

#define TAG22 "TTTTTTTTTTTTTTTTTTTTTT"

struct tmpl {
	char buf[2048];
	uint32_t len;
	uint32_t ctr[4]; /* offsets of "NNNNNNNN" */
	uint32_t nctr;
	uint32_t tag;    /* offset of TAG22, 0 = none */
};

static void
tmpl_make(struct tmpl *t, const char *method, const char *branch_sfx, uint32_t cseq,
	  const char *cseq_method, bool with_tag, bool with_sdp)
{
	char *p;

	t->len = (uint32_t)snprintf(t->buf, sizeof(t->buf),
		"%s sip:bob@192.0.2.2:5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK%sNNNNNNNN\r\n"
		"Max-Forwards: 70\r\n"
		"From: \"Alice\" <sip:alice@192.0.2.1>;tag=fNNNNNNNN\r\n"
		"To: <sip:bob@192.0.2.2>%s\r\n"
		"Call-ID: NNNNNNNN@192.0.2.1\r\n"
		"CSeq: %u %s\r\n"
		"%s"
		"%s"
		"Content-Length: %zu\r\n\r\n%s",
		method, branch_sfx, with_tag ? ";tag=" TAG22 : "", cseq, cseq_method,
		with_sdp ? "Contact: <sip:alice@192.0.2.1:5060>\r\n" : "",
		with_sdp ? "Content-Type: application/sdp\r\n" : "",
		with_sdp ? sizeof(sdp) - 1 : (size_t)0, with_sdp ? sdp : "");
	t->nctr = 0;
	for (p = t->buf; (p = strstr(p, "NNNNNNNN")) != NULL && t->nctr < 4; p += 8)
		t->ctr[t->nctr++] = (uint32_t)(p - t->buf);
	p = strstr(t->buf, TAG22);
	t->tag = p ? (uint32_t)(p - t->buf) : 0;
}

static inline void
put_hex8(char *p, uint32_t v)
{
	static const char hx[] = "0123456789abcdef";
	for (int i = 7; i >= 0; i--) {
		p[i] = hx[v & 15];
		v >>= 4;
	}
}

static inline void
tmpl_patch(struct tmpl *t, uint32_t n, struct sipdp_str tag)
{
	for (uint32_t i = 0; i < t->nctr; i++)
		put_hex8(t->buf + t->ctr[i], n);
	if (t->tag && tag.len == 22)
		memcpy(t->buf + t->tag, tag.p, 22);
}

/* One call. @return 0 or a negative errno. */
static int
one_call(struct sipdp_ua *ua, struct bench_uas *b, struct tmpl *inv, struct tmpl *ack,
	 struct tmpl *bye, uint32_t n, uint64_t *now, uint64_t step, const struct sipdp_tsx_dest *src)
{
	struct sipdp_ua_dlg_info info;
	sipdp_handle_t h;
	int rc;

	tmpl_patch(inv, n, SIPDP_STR_NULL);
	b->incoming = SIPDP_HANDLE_INVALID;
	rc = sipdp_ua_recv(ua, inv->buf, inv->len, src, *now);
	if (rc != 0 || b->incoming == SIPDP_HANDLE_INVALID)
		return rc ? rc : -EPROTO;
	h = b->incoming;
	rc = sipdp_ua_accept(ua, h, 200, SIPDP_STR_NULL, SIPDP_STR("application/sdp"),
			     SIPDP_STR(answer_sdp), *now);
	if (rc != 0 || sipdp_ua_dlg_info(ua, h, &info) != 0)
		return rc ? rc : -EPROTO;
	tmpl_patch(ack, n, info.local_tag);
	tmpl_patch(bye, n, info.local_tag);
	rc = sipdp_ua_recv(ua, ack->buf, ack->len, src, *now);
	if (rc != 0)
		return rc;
	rc = sipdp_ua_recv(ua, bye->buf, bye->len, src, *now);
	if (rc != 0)
		return rc;
	*now += step;
	sipdp_ua_expire(ua, *now, UINT32_MAX);
	return 0;
}

int
bench_uas_main(int argc, char **argv)
{
	uint64_t calls = 1000000, step = 1000, now = 1000000;
	struct bench_uas b = { 0 };
	struct sipdp_ua_params p = { 0 };
	struct sipdp_tsx_dest src = { .transport = SIPDP_TSX_TP_UDP, .port = 5060,
				      .addr = { 192, 0, 2, 1 } };
	struct sipdp_ua *ua;
	struct sipdp_ua_mem mem;
	struct tmpl *t;
	uint64_t t0, t1, warm = 20000;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc)
			calls = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--step-us") == 0 && i + 1 < argc)
			step = strtoull(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: sipdp-bench uas-call [--calls N] [--step-us US]\n");
			return 2;
		}
	}
	p.dialogs = 16384;
	/* Steady state: one BYE server transaction per call for Timer J. */
	p.transactions = (uint32_t)SIPDP_MIN(4000000ull, 2 * (64ull * 500 * 1000 / (step ? step : 1)) + 4096);
	p.shard_id = 3;
	p.secret[0] = 0x0123456789abcdefull;
	p.secret[1] = 0xfedcba9876543210ull;
	p.now_us = now;
	p.contact = SIPDP_STR("<sip:bob@192.0.2.2:5060>");
	p.sent_by = SIPDP_STR("192.0.2.2:5060");
	p.user_agent = SIPDP_STR("sipdp-bench");
	p.send = null_send;
	p.cb.on_incoming = on_incoming;
	p.cb.on_confirmed = on_confirmed;
	p.cb.on_terminated = on_terminated;
	p.user = &b;
	rc = sipdp_ua_create(&p, &ua);
	if (rc != 0) {
		fprintf(stderr, "uas-call: sipdp_ua_create: %s\n", strerror(-rc));
		return 1;
	}
	t = calloc(3, sizeof(*t));
	if (t == NULL)
		return 1;
	tmpl_make(&t[0], "INVITE", "i", 1, "INVITE", false, true);
	tmpl_make(&t[1], "ACK", "a", 1, "ACK", true, false);
	tmpl_make(&t[2], "BYE", "b", 2, "BYE", true, false);

	for (uint64_t i = 0; i < warm; i++) {
		rc = one_call(ua, &b, &t[0], &t[1], &t[2], (uint32_t)i, &now, step, &src);
		if (rc != 0) {
			fprintf(stderr, "uas-call: call %llu failed: %s\n", (unsigned long long)i,
				strerror(-rc));
			sipdp_ua_dump(ua, stderr);
			return 1;
		}
	}
	b.s100 = b.s200 = 0;
	b.confirmed = b.terminated = 0;
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < calls; i++) {
		rc = one_call(ua, &b, &t[0], &t[1], &t[2], (uint32_t)(warm + i), &now, step, &src);
		if (SIPDP_UNLIKELY(rc != 0)) {
			fprintf(stderr, "uas-call: call %llu failed: %s\n", (unsigned long long)i,
				strerror(-rc));
			return 1;
		}
	}
	t1 = bench_now_ns();
	if (b.s100 != calls || b.s200 != 2 * calls || b.confirmed != calls || b.terminated != calls) {
		fprintf(stderr, "uas-call: wrong traffic: 100=%u 200=%u confirmed=%u terminated=%u\n",
			b.s100, b.s200, b.confirmed, b.terminated);
		return 1;
	}
	sipdp_ua_memory(ua, &mem);
	printf("uas-call: %.0f calls/s\n", (double)calls * 1e9 / (double)(t1 - t0));
	printf("dialog-memory: %zu bytes/dialog\n", mem.per_dialog);
	printf("  (%.0f ns/call; %llu calls; record %zu B (dialog+UA state, %u B string arena) + "
	       "pool/hash/timer %zu B; confirmed dialogs keep no transaction (%zu B each while alive) "
	       "and no kept 2xx (%zu B each until ACK); live tsx now %u, dialogs %u)\n",
	       (double)(t1 - t0) / (double)calls, (unsigned long long)calls, mem.dialog_record,
	       SIPDP_DLG_ARENA, mem.per_dialog - mem.dialog_record, mem.per_tsx, mem.per_msgbuf,
	       sipdp_ua_tsx_count(ua), sipdp_ua_dialog_count(ua));
	free(t);
	sipdp_ua_destroy(ua);
	return 0;
}
