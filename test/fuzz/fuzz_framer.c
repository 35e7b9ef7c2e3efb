/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for sipdp_framer_next(): the split-invariance property.
 *
 * The input is a TCP byte stream. It is framed once whole, then again with
 * reads whose sizes come from a PRNG seeded by a hash of the input (so the
 * corpus seeds stay valid SIP and every input replays the same way), and,
 * for inputs up to 4 KiB, one byte a read. All passes must yield the same
 * units and the same final answer; anything else is abort(). Bytes not yet
 * "received" are poisoned, so an over-read is an ASan report. The limits are
 * also derived from the hash, a quarter of the time small enough to hit
 * -EMSGSIZE.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "sipdp_msg_framer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct unit {
	int rc;
	uint8_t kind;
	uint32_t len, hdr_len, body_len;
};

struct pass {
	struct unit *u;
	uint32_t n;
};

static uint64_t
next_rand(uint64_t *s)
{
	/* xorshift64*: deterministic per input. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* Checks every unit against the bytes and the limits. */
static void
check_unit(const struct sipdp_framer *f, const char *p, uint32_t avail, int rc,
	   const struct sipdp_frame *fr)
{
	if (rc != (int)fr->len || fr->len > avail)
		abort();
	switch (fr->kind) {
	case SIPDP_FRAME_PING:
		if (fr->len != 4 || memcmp(p, "\r\n\r\n", 4) != 0)
			abort();
		break;
	case SIPDP_FRAME_PONG:
		if (fr->len != 2 || memcmp(p, "\r\n", 2) != 0)
			abort();
		break;
	case SIPDP_FRAME_MESSAGE:
		if (fr->hdr_len < 4 || (uint64_t)fr->hdr_len + fr->body_len != fr->len ||
		    fr->hdr_len > f->max_header_bytes || fr->len > f->max_message_bytes ||
		    memcmp(p + fr->hdr_len - 4, "\r\n\r\n", 4) != 0)
			abort();
		break;
	default:
		abort();
	}
}

/* Frame @p s with reads of sizes from @p rnd (0 = whole, 1 = per byte). */
static void
drive(const struct sipdp_framer_params *pp, char *buf, uint32_t n, uint64_t rnd, uint32_t maxstep,
      struct pass *out)
{
	struct sipdp_framer f;
	uint32_t avail = 0, consumed = 0;

	sipdp_framer_init(&f, pp);
	out->n = 0;
	while (avail < n) {
		uint32_t step = maxstep == 0 ? n : 1 + (uint32_t)(next_rand(&rnd) % maxstep);
		avail = n - avail > step ? avail + step : n;
		ASAN_POISON_MEMORY_REGION(buf, n);
		ASAN_UNPOISON_MEMORY_REGION(buf, avail);
		for (;;) {
			struct sipdp_frame fr;
			int rc = sipdp_framer_next(&f, buf + consumed, avail - consumed, &fr);

			if (rc == -EAGAIN)
				break;
			if (rc < 0) {
				if (rc != -EBADMSG && rc != -EMSGSIZE)
					abort();
				out->u[out->n++] = (struct unit){ .rc = rc };
				goto done;
			}
			check_unit(&f, buf + consumed, avail - consumed, rc, &fr);
			if (f.scanned != 0)
				abort();
			out->u[out->n++] = (struct unit){ rc, fr.kind, fr.len, fr.hdr_len, fr.body_len };
			consumed += fr.len;
		}
	}
	out->u[out->n++] = (struct unit){ .rc = consumed == n ? 0 : -EAGAIN };
done:
	ASAN_UNPOISON_MEMORY_REGION(buf, n);
}

static void
same(const struct pass *a, const struct pass *b)
{
	if (a->n != b->n)
		abort();
	for (uint32_t i = 0; i < a->n; i++) {
		const struct unit *x = &a->u[i], *y = &b->u[i];
		if (x->rc != y->rc || x->kind != y->kind || x->len != y->len)
			abort();
		if (x->kind == SIPDP_FRAME_MESSAGE &&
		    (x->hdr_len != y->hdr_len || x->body_len != y->body_len))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sipdp_framer_params p = { 0, 0 };
	struct pass whole, other;
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t n;
	char *buf;

	if (size == 0 || size > (1u << 20))
		return 0;
	n = (uint32_t)size;
	for (size_t i = 0; i < size; i++) {
		h ^= data[i];
		h *= 0x100000001b3ULL;
	}
	h |= 1; /* xorshift state must not be 0 */
	if ((h & 3) == 0) {
		p.max_header_bytes = 16 + (uint32_t)((h >> 8) % 1024);
		p.max_message_bytes = 16 + (uint32_t)((h >> 24) % 2048);
	}

	/* Every unit is at least 2 bytes: n/2 units + the final status. */
	buf = malloc(n);
	whole.u = malloc(sizeof(struct unit) * (n / 2 + 2));
	other.u = malloc(sizeof(struct unit) * (n / 2 + 2));
	if (buf == NULL || whole.u == NULL || other.u == NULL)
		abort();
	memcpy(buf, data, n);

	drive(&p, buf, n, h, 0, &whole);
	drive(&p, buf, n, h, 1 + (uint32_t)(h >> 40) % 64, &other);
	same(&whole, &other);
	drive(&p, buf, n, h ^ 0x9e3779b97f4a7c15ULL, 1 + n / 3, &other);
	same(&whole, &other);
	if (n <= 4096) {
		drive(&p, buf, n, h, 1, &other);
		same(&whole, &other);
	}

	free(other.u);
	free(whole.u);
	free(buf);
	return 0;
}
