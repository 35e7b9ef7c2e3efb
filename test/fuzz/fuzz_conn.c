/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/ctl's connection state machine, without sockets:
 * a buffer connection (sipdp_ctl_attach_buffer) gets the input as a byte
 * stream cut into reads whose sizes, and clock steps between them, come
 * from a PRNG seeded by a hash of the input (corpus seeds stay valid SIP and
 * every input replays the same way). Limits are small a quarter of the time
 * to reach the oversize, deadline and idle closes.
 *
 * Checked (abort() otherwise): every delivered message is one the framer
 * bounds allow and starts where the stream says; a connection that closed
 * is reported once and answers -ENOTCONN; the same stream fed whole and
 * split delivers the same messages (split invariance through the
 * buffering); no connection is left open after the close; ASan/UBSan
 * watch the buffer handling and, for half the inputs, the RFC 3261
 * §18.2.1 Via stamp (received=, rport=) on each delivered request.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipdp_ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXMSG 64

struct obs {
	uint32_t n;
	uint32_t len[MAXMSG];
	uint64_t hash[MAXMSG];
	uint32_t closed;
	int reason;
	uint32_t max_len;
	uint32_t pong_bytes;
};

static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static uint64_t
fnv(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static void
on_msg(void *arg, const struct sipdp_ctl_rx *rx)
{
	struct obs *o = arg;

	if (rx->len == 0 || rx->len > o->max_len)
		abort();
	if (o->n < MAXMSG) {
		o->len[o->n] = rx->len;
		o->hash[o->n] = fnv(rx->buf, rx->len);
	}
	o->n++;
}

static void
on_closed(void *arg, uint32_t id, enum sipdp_ctl_close_reason why)
{
	struct obs *o = arg;

	(void)id;
	o->closed++;
	o->reason = (int)why;
}

static void
on_tx(void *arg, uint32_t id, const void *buf, uint32_t len)
{
	struct obs *o = arg;

	(void)id;
	(void)buf;
	o->pong_bytes += len;
}

/* Feed the stream; @split 0: whole, else PRNG-sized reads with clock steps
 * (only when @timed). @return 1 when the connection closed before the end. */
static int
run(const uint8_t *data, size_t size, uint64_t seed, bool split, bool timed,
	const struct sipdp_ctl_params *base, struct obs *o)
{
	struct sipdp_ctl_params p = *base;
	struct sipdp_ctl *c;
	uint32_t id;
	uint64_t now = 1000000, s = seed | 1;
	int closed_early = 0;

	memset(o, 0, sizeof(*o));
	/* a stamped Via (received=, rport=) adds at most 96 bytes */
	o->max_len = p.max_message_bytes + (p.stamp_via ? 96 : 0);
	p.on_message = on_msg;
	p.on_closed = on_closed;
	p.on_buffer_tx = on_tx;
	p.arg = o;
	if (sipdp_ctl_create(&p, now, &c) != 0)
		abort();
	struct sipdp_ctl_addr peer = { .family = 10 /* AF_INET6 */, .port = 40000,
		.addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 } };
	if (seed & 4) {
		peer.family = 2; /* AF_INET */
		memcpy(peer.addr, "\xc0\x00\x02\x07", 4);
	}
	if (sipdp_ctl_attach_buffer(c, &peer, &id) != 0)
		abort();
	size_t off = 0;
	while (off < size) {
		size_t n = size - off;
		if (split) {
			uint64_t r = next_rand(&s);
			n = 1 + (size_t)(r % (r & 0x100 ? 8 : 700));
			if (n > size - off)
				n = size - off;
			if (timed)
				now += (r >> 16) % 3000000; /* up to 3 s between reads */
			sipdp_ctl_poll(c, now);
		}
		int rc = sipdp_ctl_input(c, id, data + off, (uint32_t)n, now);
		if (rc == -ENOTCONN) {
			closed_early = 1;
			break;
		}
		if (rc != 0)
			abort();
		off += n;
	}
	if (closed_early) {
		if (o->closed != 1 || sipdp_ctl_input(c, id, "x", 1, now) != -ENOTCONN)
			abort();
	} else {
		sipdp_ctl_close(c, id);
		if (o->closed != 1)
			abort();
	}
	struct sipdp_ctl_stats st;
	sipdp_ctl_stats(c, &st);
	if (st.conns_open != 0 || st.msgs_in != o->n)
		abort();
	sipdp_ctl_destroy(c);
	return closed_early;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t h = fnv(data, size);
	struct sipdp_ctl_params p = { .max_conns = 2 };
	struct obs whole, parts;

	if (size > 256 * 1024)
		return 0;
	if ((h & 3) == 0) {
		p.max_header_bytes = 256 + (uint32_t)((h >> 8) % 1024);
		p.max_message_bytes = p.max_header_bytes + (uint32_t)((h >> 20) % 2048);
		p.message_deadline_ms = 1000;
		p.idle_timeout_ms = 4000;
	} else {
		p.max_header_bytes = 8192;
		p.max_message_bytes = 65535;
	}
	p.stamp_via = (h & 8) != 0;
	/* Without clock steps the split must not change what is delivered. */
	int e1 = run(data, size, h, false, false, &p, &whole);
	int e2 = run(data, size, h, true, false, &p, &parts);
	uint32_t k = whole.n < MAXMSG ? whole.n : MAXMSG;
	if (e1 != e2 || whole.n != parts.n || whole.reason != parts.reason)
		abort();
	for (uint32_t i = 0; i < k; i++)
		if (whole.len[i] != parts.len[i] || whole.hash[i] != parts.hash[i])
			abort();
	/* With time passing: only the invariants. */
	run(data, size, h ^ 0x9e3779b97f4a7c15ull, true, true, &p, &parts);
	return 0;
}
