/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Our Via branches: "z9hG4bK" "sd" + shard(4 hex) + slot(8 hex) +
 * generation(8 hex) + check(16 hex). The check value is SipHash-2-4 keyed by
 * the per-boot secret over (shard, slot, generation): a response that points
 * at a slot must have been answered to a branch we issued (an off-path
 * attacker would have to guess 64 bits), and a branch issued before a reboot
 * or before the slot was reused carries another generation or check value,
 * so it can never reach the wrong transaction. Fixed length and lowercase hex
 * make the strict validation a handful of compares; no hash lookup.
 */
#include <errno.h>
#include <string.h>

#include "tsx_pvt.h"

#define PREFIX "z9hG4bKsd"
#define PREFIX_LEN 9u

SIPDP_STATIC_ASSERT(PREFIX_LEN + 4 + 8 + 8 + 16 == SIPDP_TSX_BRANCH_LEN, "branch layout");

/* ------------------------------------------------------------- SipHash */

static inline uint64_t
rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND(s)                                                                                \
	do {                                                                                       \
		(s)->v0 += (s)->v1; (s)->v1 = rotl((s)->v1, 13); (s)->v1 ^= (s)->v0;                 \
		(s)->v0 = rotl((s)->v0, 32);                                                       \
		(s)->v2 += (s)->v3; (s)->v3 = rotl((s)->v3, 16); (s)->v3 ^= (s)->v2;                 \
		(s)->v0 += (s)->v3; (s)->v3 = rotl((s)->v3, 21); (s)->v3 ^= (s)->v0;                 \
		(s)->v2 += (s)->v1; (s)->v1 = rotl((s)->v1, 17); (s)->v1 ^= (s)->v2;                 \
		(s)->v2 = rotl((s)->v2, 32);                                                       \
	} while (0)

void
tsx_siphash_init(struct tsx_siphash *s, const uint64_t key[2])
{
	s->v0 = 0x736f6d6570736575ULL ^ key[0];
	s->v1 = 0x646f72616e646f6dULL ^ key[1];
	s->v2 = 0x6c7967656e657261ULL ^ key[0];
	s->v3 = 0x7465646279746573ULL ^ key[1];
	s->tail = 0;
	s->ntail = 0;
	s->total = 0;
}

static inline void
sip_block(struct tsx_siphash *s, uint64_t m)
{
	s->v3 ^= m;
	SIPROUND(s);
	SIPROUND(s);
	s->v0 ^= m;
}

static inline void
sip_byte(struct tsx_siphash *s, uint8_t c)
{
	s->tail |= (uint64_t)c << (8 * s->ntail);
	if (++s->ntail == 8) {
		sip_block(s, s->tail);
		s->tail = 0;
		s->ntail = 0;
	}
}

void
tsx_siphash_update(struct tsx_siphash *s, const void *p, uint32_t len)
{
	const uint8_t *b = p;

	s->total += len;
	while (len && s->ntail) {
		sip_byte(s, *b++);
		len--;
	}
	while (len >= 8) {
		uint64_t m;
		memcpy(&m, b, 8); /* little-endian hosts only (x86_64, arm64) */
		sip_block(s, m);
		b += 8;
		len -= 8;
	}
	while (len--)
		sip_byte(s, *b++);
}

void
tsx_siphash_update_lower(struct tsx_siphash *s, const char *p, uint32_t len)
{
	s->total += len;
	for (uint32_t i = 0; i < len; i++)
		sip_byte(s, (uint8_t)sipdp_ascii_lower(p[i]));
}

uint64_t
tsx_siphash_final(struct tsx_siphash *s)
{
	uint64_t m = s->tail | ((uint64_t)(s->total & 0xff) << 56);

	sip_block(s, m);
	s->v2 ^= 0xff;
	SIPROUND(s);
	SIPROUND(s);
	SIPROUND(s);
	SIPROUND(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* ------------------------------------------------------------- branches */

static const char hexd[16] = "0123456789abcdef";

static inline void
put_hex(char *out, uint64_t v, unsigned digits)
{
	for (unsigned i = 0; i < digits; i++)
		out[i] = hexd[(v >> (4 * (digits - 1 - i))) & 0xf];
}

/* Strict: lowercase hex only, so every branch has exactly one spelling. */
static inline int
get_hex(const char *p, unsigned digits, uint64_t *v)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < digits; i++) {
		char c = p[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return -EBADMSG;
		r = (r << 4) | d;
	}
	*v = r;
	return 0;
}

static uint64_t
branch_mac(const struct sipdp_tsx_table *t, uint16_t shard, uint32_t idx, uint32_t gen)
{
	struct tsx_siphash s;
	uint8_t in[10];

	memcpy(in, &shard, 2);
	memcpy(in + 2, &idx, 4);
	memcpy(in + 6, &gen, 4);
	tsx_siphash_init(&s, t->secret);
	tsx_siphash_update(&s, in, sizeof(in));
	return tsx_siphash_final(&s);
}

void
tsx_branch_encode(const struct sipdp_tsx_table *t, uint32_t idx, uint32_t gen, char *out)
{
	memcpy(out, PREFIX, PREFIX_LEN);
	put_hex(out + PREFIX_LEN, t->shard_id, 4);
	put_hex(out + PREFIX_LEN + 4, idx, 8);
	put_hex(out + PREFIX_LEN + 12, gen, 8);
	put_hex(out + PREFIX_LEN + 20, branch_mac(t, t->shard_id, idx, gen), 16);
}

int
sipdp_tsx_branch_shard(struct sipdp_str b, uint16_t *shard)
{
	uint64_t v;

	if (b.len != SIPDP_TSX_BRANCH_LEN || memcmp(b.p, PREFIX, PREFIX_LEN) != 0 ||
	    get_hex(b.p + PREFIX_LEN, 4, &v) != 0)
		return -EINVAL;
	*shard = (uint16_t)v;
	return 0;
}

bool
sipdp_tsx_branch_ours(const struct sipdp_tsx_table *t, struct sipdp_str b)
{
	uint64_t shard, i, g, mac;

	if (b.len != SIPDP_TSX_BRANCH_LEN || memcmp(b.p, PREFIX, PREFIX_LEN) != 0 ||
	    get_hex(b.p + PREFIX_LEN, 4, &shard) != 0 || get_hex(b.p + PREFIX_LEN + 4, 8, &i) != 0 ||
	    get_hex(b.p + PREFIX_LEN + 12, 8, &g) != 0 || get_hex(b.p + PREFIX_LEN + 20, 16, &mac) != 0)
		return false;
	return mac == branch_mac(t, (uint16_t)shard, (uint32_t)i, (uint32_t)g);
}

int
tsx_branch_decode(const struct sipdp_tsx_table *t, struct sipdp_str b, uint32_t *idx, uint32_t *gen)
{
	uint64_t shard, i, g, mac;

	if (b.len < PREFIX_LEN || memcmp(b.p, PREFIX, PREFIX_LEN) != 0)
		return -ENOENT;
	if (b.len != SIPDP_TSX_BRANCH_LEN || get_hex(b.p + PREFIX_LEN, 4, &shard) != 0 ||
	    get_hex(b.p + PREFIX_LEN + 4, 8, &i) != 0 || get_hex(b.p + PREFIX_LEN + 12, 8, &g) != 0 ||
	    get_hex(b.p + PREFIX_LEN + 20, 16, &mac) != 0)
		return -EBADMSG;
	if (shard != t->shard_id)
		return -EXDEV;
	if (mac != branch_mac(t, (uint16_t)shard, (uint32_t)i, (uint32_t)g))
		return -EBADMSG;
	*idx = (uint32_t)i;
	*gen = (uint32_t)g;
	return 0;
}

void
sipdp_tsx_branch_stateless(struct sipdp_tsx_table *t, char branch[SIPDP_TSX_BRANCH_LEN])
{
	/* Slot UINT32_MAX is never a valid index, so nothing can match it;
	 * the sequence keeps the branches unique (§8.1.1.7) and the per-boot
	 * secret keeps them unique across restarts. */
	tsx_branch_encode(t, UINT32_MAX, ++t->stateless_seq, branch);
}
