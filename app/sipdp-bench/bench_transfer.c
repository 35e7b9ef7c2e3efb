/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * transfer: blind transfers on one core, three UA stacks in-process — the
 * transferor (0), the transferee (1, the role measured) and the target (2)
 * — joined by an in-memory FIFO standing for the NIC. Per transfer:
 *
 *   setup (not timed): 0 INVITE -> 1, 200, ACK  (the dialog to transfer)
 *   timed on the transferee: REFER in, 202 + NOTIFY 100 + INVITE out,
 *     200 to the NOTIFY in, the target's 200 in, ACK + NOTIFY 200 out,
 *     200 to the NOTIFY in, BYE in, 200 out; its timers
 *   teardown (not timed): the target ends the new call with BYE
 *
 * Every message is parsed, matched to its transaction and dialog and built
 * by the real code on every stack; the clock moves --step-us per transfer so
 * Timer J/K/M fire inside the run. The transferee's time is the sum of the
 * time spent in its sipdp_ua_recv()/sipdp_ua_expire() calls during the
 * timed part (the clock reads around each call are included: the figure is
 * conservative). The whole loop (three stacks, setup and teardown) is
 * printed too.
 *
 * Output: "transfer: <transfers/s> transfers/s" (transferee role) and
 * "transfer-all-stacks: <transfers/s> transfers/s".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "sipdp_ua.h"

#define BQ_LEN 64
#define BQ_MAX 2048

struct bpkt {
	uint8_t from, to;
	uint32_t len;
	char data[BQ_MAX];
};

struct bnet;

struct bep {
	struct bnet *net;
	uint8_t id;
	struct sipdp_ua *ua;
};

struct bnet {
	struct bep ep[3];
	struct bpkt q[BQ_LEN];
	uint32_t head, n;
	uint64_t now;
	bool timing;         /* the transfer phase: time the transferee */
	uint64_t b_ns;       /* transferee time */
	sipdp_handle_t c_in; /* target: the new call */
	sipdp_handle_t b_in; /* transferee: the dialog to transfer */
	uint64_t done_ok, ended_ok, dropped, errors;
};

static int
b_send(void *user, const struct sipdp_tsx_dest *dest, const char *buf, uint32_t len)
{
	struct bep *ep = user;
	struct bnet *net = ep->net;
	struct bpkt *p;

	if (net->n == BQ_LEN || len > BQ_MAX || dest->addr[0] > 2) {
		net->dropped++;
		return 0;
	}
	p = &net->q[(net->head + net->n++) % BQ_LEN];
	p->from = ep->id;
	p->to = dest->addr[0];
	p->len = len;
	memcpy(p->data, buf, len);
	return 0;
}

static struct sipdp_tsx_dest
bdest(uint8_t to)
{
	struct sipdp_tsx_dest d = { .transport = SIPDP_TSX_TP_UDP, .port = 5060 };
	d.addr[0] = to;
	return d;
}

static void
settle(struct bnet *net)
{
	for (uint32_t guard = 0; net->n && guard < 256; guard++) {
		struct bpkt *p = &net->q[net->head];
		struct sipdp_tsx_dest src = bdest(p->from);
		uint8_t to = p->to;
		uint64_t t0 = 0;

		net->head = (net->head + 1) % BQ_LEN;
		net->n--;
		if (net->timing && to == 1)
			t0 = bench_now_ns();
		/* the slot stays valid: sends made by this recv go behind it */
		if (sipdp_ua_recv(net->ep[to].ua, p->data, p->len, &src, net->now) != 0)
			net->errors++;
		if (t0)
			net->b_ns += bench_now_ns() - t0;
	}
}

static const char sdp[] = "v=0\r\no=b 1 1 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\n"
			  "t=0 0\r\nm=audio 4002 RTP/AVP 0\r\n";

static void
on_ev(void *user, const struct sipdp_ua_event *ev)
{
	struct bep *ep = user;

	if (ev->type != SIPDP_UA_EV_INCOMING)
		return;
	if (ep->id == 2)
		ep->net->c_in = ev->dlg;
	else
		ep->net->b_in = ev->dlg;
	sipdp_ua_accept(ep->ua, ev->dlg, 200, SIPDP_STR_NULL, SIPDP_STR("application/sdp"), SIPDP_STR(sdp),
			ep->net->now);
}

static void
on_xfer(void *user, const struct sipdp_ua_xfer_event *ev)
{
	struct bep *ep = user;

	if (ev->type == SIPDP_UA_XFER_EV_REFER) {
		struct sipdp_ua_xfer_accept a = {
			.dest = bdest(2),
			.has_dest = true,
			.ctype = SIPDP_STR("application/sdp"),
			.body = SIPDP_STR(sdp),
		};
		if (sipdp_ua_xfer_accept(ep->ua, ev->xfer, &a, ep->net->now, NULL) != 0)
			ep->net->errors++;
	} else if (ev->type == SIPDP_UA_XFER_EV_DONE && ev->result == SIPDP_UA_XFER_SUCCESS) {
		ep->net->done_ok++;
	} else if (ev->type == SIPDP_UA_XFER_EV_ENDED && ev->result == SIPDP_UA_XFER_SUCCESS) {
		ep->net->ended_ok++;
	}
}

static int
make_ua(struct bnet *net, uint8_t id, uint32_t tsx, const struct sipdp_ua_xfer_params *xp)
{
	static const char *const contact[] = { "<sip:alice@192.0.2.1:5060>", "<sip:bob@192.0.2.2:5060>",
					       "<sip:carol@192.0.2.3:5060>" };
	static const char *const sent_by[] = { "192.0.2.1:5060", "192.0.2.2:5060", "192.0.2.3:5060" };
	struct sipdp_ua_params p = { 0 };

	net->ep[id].net = net;
	net->ep[id].id = id;
	p.dialogs = 4096;
	p.transactions = tsx;
	p.shard_id = id;
	p.secret[0] = 0x0123456789abcdefull + id;
	p.secret[1] = 0xfedcba9876543210ull ^ id;
	p.now_us = net->now;
	p.contact = sipdp_str_cstr(contact[id]);
	p.sent_by = sipdp_str_cstr(sent_by[id]);
	p.user_agent = SIPDP_STR("sipdp-bench");
	p.send = b_send;
	p.cb.on_incoming = on_ev;
	p.user = &net->ep[id];
	p.xfer = xp;
	return sipdp_ua_create(&p, &net->ep[id].ua);
}

static void
tick(struct bnet *net, uint64_t step)
{
	uint64_t t0;

	net->now += step;
	sipdp_ua_expire(net->ep[0].ua, net->now, UINT32_MAX);
	t0 = bench_now_ns();
	sipdp_ua_expire(net->ep[1].ua, net->now, UINT32_MAX);
	net->b_ns += bench_now_ns() - t0;
	sipdp_ua_expire(net->ep[2].ua, net->now, UINT32_MAX);
	settle(net);
}

static int
one_transfer(struct bnet *net, uint64_t step)
{
	struct sipdp_ua_invite inv = {
		.ruri = SIPDP_STR("sip:bob@192.0.2.2"),
		.from = SIPDP_STR("\"Alice\" <sip:alice@192.0.2.1>"),
		.to = SIPDP_STR("<sip:bob@192.0.2.2>"),
		.ctype = SIPDP_STR("application/sdp"),
		.body = SIPDP_STR(sdp),
		.dest = bdest(1),
	};
	struct sipdp_ua_xfer_refer r = { .target = SIPDP_STR("sip:carol@192.0.2.3") };
	sipdp_handle_t ha, x;
	uint64_t ok = net->ended_ok;
	int rc;

	rc = sipdp_ua_invite(net->ep[0].ua, &inv, net->now, &ha);
	if (rc != 0)
		return rc;
	settle(net);
	net->timing = true;
	rc = sipdp_ua_xfer_refer(net->ep[0].ua, ha, &r, net->now, &x);
	if (rc != 0)
		return rc;
	settle(net);
	net->timing = false;
	if (net->ended_ok != ok + 1)
		return -EPROTO;
	rc = sipdp_ua_bye(net->ep[2].ua, net->c_in, net->now);
	if (rc != 0)
		return rc;
	settle(net);
	tick(net, step);
	return 0;
}

int
bench_transfer_main(int argc, char **argv)
{
	uint64_t n = 200000, step = 1000, warm = 20000, t0 = 0, t1, b0;
	struct sipdp_ua_xfer_params xp = { .on_xfer = on_xfer, .max_subscriptions = 1024 };
	struct bnet *net;
	uint32_t tsx;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--transfers") == 0 && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--step-us") == 0 && i + 1 < argc)
			step = strtoull(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: sipdp-bench transfer [--transfers N] [--step-us US]\n");
			return 2;
		}
	}
	if (step == 0)
		step = 1;
	/* Warm up past the steady state (64*T1 of lingering transactions), so
	 * first touches of the tables are not measured. */
	warm = 64ull * 500 * 1000 / step + 8000;
	net = calloc(1, sizeof(*net));
	if (net == NULL)
		return 1;
	net->now = 1000000;
	/* Steady state: a few non-INVITE transactions per transfer linger for
	 * Timer J / K / M (up to 64*T1). */
	tsx = (uint32_t)SIPDP_MIN(4000000ull, 8 * (64ull * 500 * 1000 / step) + 4096);
	for (uint8_t i = 0; i < 3; i++) {
		rc = make_ua(net, i, tsx, &xp);
		if (rc != 0) {
			fprintf(stderr, "transfer: sipdp_ua_create: %s\n", strerror(-rc));
			return 1;
		}
	}
	for (uint64_t i = 0; i < warm + n; i++) {
		if (i == warm) {
			net->b_ns = 0;
			net->done_ok = net->ended_ok = 0;
			t0 = bench_now_ns();
		}
		rc = one_transfer(net, step);
		if (SIPDP_UNLIKELY(rc != 0)) {
			fprintf(stderr, "transfer %llu failed: %s (errors %llu, dropped %llu)\n",
				(unsigned long long)i, strerror(-rc), (unsigned long long)net->errors,
				(unsigned long long)net->dropped);
			sipdp_ua_dump(net->ep[1].ua, stderr);
			return 1;
		}
	}
	t1 = bench_now_ns();
	b0 = net->b_ns;
	if (net->done_ok != n || net->ended_ok != n || net->dropped || net->errors) {
		fprintf(stderr, "transfer: wrong outcome: done %llu ended %llu dropped %llu errors %llu\n",
			(unsigned long long)net->done_ok, (unsigned long long)net->ended_ok,
			(unsigned long long)net->dropped, (unsigned long long)net->errors);
		return 1;
	}
	printf("transfer: %.0f transfers/s\n", (double)n * 1e9 / (double)b0);
	printf("transfer-all-stacks: %.0f transfers/s\n", (double)n * 1e9 / (double)(t1 - t0));
	printf("  (transferee %.0f ns/transfer; whole loop %.0f ns (3 stacks, call setup and "
	       "teardown included); %llu transfers; transferee live: dialogs %u, tsx %u, records %u)\n",
	       (double)b0 / (double)n, (double)(t1 - t0) / (double)n, (unsigned long long)n,
	       sipdp_ua_dialog_count(net->ep[1].ua), sipdp_ua_tsx_count(net->ep[1].ua),
	       sipdp_ua_xfer_count(net->ep[1].ua));
	for (uint8_t i = 0; i < 3; i++)
		sipdp_ua_destroy(net->ep[i].ua);
	free(net);
	return 0;
}
