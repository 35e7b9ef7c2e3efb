/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: lib/call's bridge with garbage from either side.
 *
 * sipdp's UA with a bridge table (S) takes datagrams from the input as if
 * from the caller's side (A) or from the callee (B); its B-leg messages go
 * to a real UA as the callee, which answers every INVITE with 200 and every
 * request in a dialog with 200, and whose messages go back to S. Input:
 * records of [ctl][len hi][len lo][len bytes]; ctl bit 0 picks the sender
 * (0: A's address, 1: B's address), bits 1-7 move the clock by that many
 * 10 ms steps first.
 *
 * The invariant checked after each input: once the clock has run five
 * minutes past the last message (every timer of RFC 3261, the ACK wait, the
 * ring and answer timers, the probes), no bridge, dialog or transaction is
 * left in S, and no setup buffer: garbage never leaves a half-bridged call.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sipdp_call.h"

enum { EP_A = 1, EP_B = 2 };

#define QMAX 256

struct pkt {
	uint8_t to;
	uint32_t len;
	char *data;
};

static struct pkt queue[QMAX];
static uint32_t nq;
static struct sipdp_ua *s_ua, *b_ua;
static struct sipdp_call *call;
static struct sipdp_cfg_bridge route;
static uint64_t now_us;

static const char sdp[] = "v=0\r\no=b 1 1 IN IP4 198.51.100.2\r\ns=-\r\nc=IN IP4 198.51.100.2\r\n"
			  "t=0 0\r\nm=audio 4002 RTP/AVP 0\r\n";

static struct sipdp_tsx_dest
dest_of(uint8_t ep)
{
	struct sipdp_tsx_dest d = { 0 };

	d.family = AF_INET;
	d.port = 5060;
	d.addr[0] = ep;
	return d;
}

static void
enqueue(uint8_t to, const char *buf, uint32_t len)
{
	if (nq >= QMAX)
		return; /* a storm is dropped, as a NIC would */
	queue[nq].to = to;
	queue[nq].len = len;
	queue[nq].data = malloc(len);
	if (queue[nq].data == NULL)
		return;
	memcpy(queue[nq].data, buf, len);
	nq++;
}

static int
s_send(void *user, const struct sipdp_tsx_dest *dest, const char *buf, uint32_t len)
{
	(void)user;
	if (dest->addr[0] == EP_B)
		enqueue(EP_B, buf, len);
	return 0; /* to A: gone, as to a caller that vanished */
}

static int
b_send(void *user, const struct sipdp_tsx_dest *dest, const char *buf, uint32_t len)
{
	(void)user;
	(void)dest;
	enqueue(0, buf, len);
	return 0;
}

static void
s_incoming(void *user, const struct sipdp_ua_event *ev)
{
	(void)user;
	(void)sipdp_call_bridge(call, ev, &route, 0, now_us);
}

static void
s_event(void *user, const struct sipdp_ua_event *ev)
{
	(void)user;
	(void)sipdp_call_on_event(call, ev, now_us);
}

static void
s_xfer(void *user, const struct sipdp_ua_xfer_event *ev)
{
	(void)user;
	(void)sipdp_call_on_xfer(call, ev, now_us);
}

static void
b_incoming(void *user, const struct sipdp_ua_event *ev)
{
	(void)user;
	(void)sipdp_ua_accept(b_ua, ev->dlg, 200, SIPDP_STR_NULL, SIPDP_STR("application/sdp"),
		SIPDP_STR(sdp), now_us);
}

static void
b_request(void *user, const struct sipdp_ua_event *ev)
{
	(void)user;
	(void)sipdp_ua_respond(b_ua, ev->dlg, ev->req, 200, SIPDP_STR_NULL, SIPDP_STR_NULL,
		SIPDP_STR_NULL, now_us);
}

static void
deliver(void)
{
	/* Bounded: each round may queue more (a 200 for a BYE...). */
	for (int round = 0; round < 16 && nq != 0; round++) {
		struct pkt batch[QMAX];
		uint32_t n = nq;

		memcpy(batch, queue, sizeof(struct pkt) * n);
		nq = 0;
		for (uint32_t i = 0; i < n; i++) {
			struct sipdp_tsx_dest src = dest_of(batch[i].to == EP_B ? EP_A : EP_B);

			if (batch[i].to == EP_B)
				(void)sipdp_ua_recv(b_ua, batch[i].data, batch[i].len, &src, now_us);
			else
				(void)sipdp_ua_recv(s_ua, batch[i].data, batch[i].len, &src, now_us);
			free(batch[i].data);
		}
	}
}

/* Move the clock to @p until, stopping at every timer that is due on the
 * way (so each fires at its time) and at least every 10 ms while messages
 * are in flight. */
static void
run_until(uint64_t until)
{
	while (now_us < until) {
		uint64_t next = until, at;

		if (sipdp_ua_next_expiry(s_ua, &at) == 0 && at < next)
			next = at;
		if (sipdp_ua_next_expiry(b_ua, &at) == 0 && at < next)
			next = at;
		if (sipdp_call_next_expiry(call, &at) == 0 && at < next)
			next = at;
		if (nq != 0 && now_us + 10000 < next)
			next = now_us + 10000;
		now_us = next > now_us ? next : now_us + 1000;
		(void)sipdp_ua_expire(s_ua, now_us, UINT32_MAX);
		(void)sipdp_ua_expire(b_ua, now_us, UINT32_MAX);
		(void)sipdp_call_expire(call, now_us, UINT32_MAX);
		deliver();
	}
}

static int
make(void)
{
	static struct sipdp_ua_xfer_params sxp, bxp;
	struct sipdp_ua_params p = { 0 };
	struct sipdp_call_params cp = { 0 };
	struct sipdp_cfg_target *t = &route.targets[0];

	now_us = 1000000000ull;
	memset(&route, 0, sizeof(route));
	route.nb_targets = 1;
	strcpy(t->uri, "sip:${ruri_user}@198.51.100.2");
	t->addr.family = SIPDP_CFG_IPV4;
	t->addr.prefix = 32;
	t->addr.addr[0] = EP_B;
	t->port = 5060;
	t->weight = 1;
	t->priority = 1;
	route.ring_timeout_ms = 2000;
	route.answer_timeout_ms = 10000;
	route.down_after = 3;
	route.down_for_s = 5;
	route.probe_interval_s = 2;
	route.max_duration_s = 120;
	route.prack = SIPDP_CFG_PRACK_SUPPORTED;
	route.nb_headers = 1;
	strcpy(route.headers[0], "P-Asserted-Identity");

	p.dialogs = 16;
	p.transactions = 64;
	p.shard_id = 1;
	p.secret[0] = 1;
	p.secret[1] = 2;
	p.now_us = now_us;
	p.contact = SIPDP_STR("<sip:s@192.0.2.2:5060>");
	p.sent_by = SIPDP_STR("192.0.2.2:5060");
	p.send = s_send;
	p.cb.on_incoming = s_incoming;
	p.cb.on_provisional = s_event;
	p.cb.on_answered = s_event;
	p.cb.on_confirmed = s_event;
	p.cb.on_failed = s_event;
	p.cb.on_terminated = s_event;
	p.cb.on_request = s_event;
	p.cb.on_response = s_event;
	p.cb.on_glare_retry = s_event;
	p.cb.on_ext = s_event;
	p.rel100 = SIPDP_UA_100REL_SUPPORTED;
	sxp.on_xfer = s_xfer;
	p.xfer = &sxp;
	if (sipdp_ua_create(&p, &s_ua) != 0)
		return -1;

	memset(&p.cb, 0, sizeof(p.cb));
	p.shard_id = 2;
	p.secret[0] = 3;
	p.contact = SIPDP_STR("<sip:b@198.51.100.2:5060>");
	p.sent_by = SIPDP_STR("198.51.100.2:5060");
	p.send = b_send;
	p.cb.on_incoming = b_incoming;
	p.cb.on_request = b_request;
	p.rel100 = SIPDP_UA_100REL_OFF;
	bxp.on_xfer = s_xfer; /* never called: B gets no REFER it must act on */
	p.xfer = NULL;
	if (sipdp_ua_create(&p, &b_ua) != 0)
		return -1;

	cp.ua = s_ua;
	cp.bridges = 8;
	cp.setups = 16;
	cp.now_us = now_us;
	cp.seed = 7;
	return sipdp_call_create(&cp, &call);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t o = 0;

	if (make() != 0)
		abort();
	while (o + 3 <= size) {
		uint8_t ctl = data[o];
		uint32_t len = ((uint32_t)data[o + 1] << 8) | data[o + 2];
		struct sipdp_tsx_dest src = dest_of((ctl & 1) ? EP_B : EP_A);

		o += 3;
		if (len > size - o)
			len = (uint32_t)(size - o);
		run_until(now_us + (uint64_t)(ctl >> 1) * 10000);
		(void)sipdp_ua_recv(s_ua, (const char *)data + o, len, &src, now_us);
		deliver();
		o += len;
	}
	run_until(now_us + 300ull * 1000000);
	if (sipdp_call_count(call) != 0 || sipdp_call_stats(call)->setups_live != 0 ||
	    sipdp_ua_dialog_count(s_ua) != 0 || sipdp_ua_tsx_count(s_ua) != 0)
		abort(); /* a half-bridged call, or a leak, survived its timers */
	sipdp_call_destroy(call);
	sipdp_ua_destroy(s_ua);
	sipdp_ua_destroy(b_ua);
	while (nq)
		free(queue[--nq].data);
	return 0;
}
