/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Identifiers: SipHash-2-4 (Aumasson & Bernstein) keyed with the embedder's
 * per-boot secret. RFC 3261 §19.3 wants tags with at least 32 random bits and
 * globally unique Call-IDs; a PRF over a counter or a (slot, generation) pair
 * gives both without a CSPRNG call per dialog (about 20 ns per PRF call).
 */
#include <errno.h>
#include <string.h>

#include "dlg_pvt.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                               \
	do {                                                                   \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);      \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                         \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                         \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);      \
	} while (0)

static inline uint64_t
load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8); /* little-endian hosts (x86_64, arm64) */
	return v;
}

uint64_t
dlg_siphash(const uint64_t key[2], const void *data, uint32_t len)
{
	const uint8_t *p = data;
	uint64_t v0 = 0x736f6d6570736575ull ^ key[0];
	uint64_t v1 = 0x646f72616e646f6dull ^ key[1];
	uint64_t v2 = 0x6c7967656e657261ull ^ key[0];
	uint64_t v3 = 0x7465646279746573ull ^ key[1];
	uint64_t b = (uint64_t)len << 56, m;
	uint32_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		m = load64(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (uint32_t j = 0; j < left; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t
dlg_siphash2(const uint64_t key[2], uint64_t a, uint64_t c)
{
	uint64_t w[2] = { a, c };
	return dlg_siphash(key, w, sizeof(w));
}

uint64_t
sipdp_dlg_prf(const struct sipdp_dlg_table *t, uint64_t a, uint64_t b)
{
	return dlg_siphash2(t->key, a, b);
}

static const char hexd[16] = "0123456789abcdef";

void
dlg_hex(char *out, uint64_t v, unsigned digits)
{
	for (unsigned i = digits; i-- > 0;) {
		out[i] = hexd[v & 15];
		v >>= 4;
	}
}

int
dlg_unhex(const char *p, unsigned digits, uint64_t *v)
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
			return -EINVAL;
		r = r << 4 | d;
	}
	*v = r;
	return 0;
}

/* Domain separators of the PRF inputs. */
#define DOM_TAG    0x5441470000000000ull
#define DOM_CALLID 0x43494400000000ull
#define DOM_ACK    0x41434b0000000000ull

void
dlg_make_tag(const struct sipdp_dlg_table *t, uint32_t idx, uint32_t gen, char *out)
{
	uint64_t mac = dlg_siphash2(t->key, DOM_TAG | t->shard_id, (uint64_t)gen << 32 | idx);

	out[0] = 's';
	out[1] = 'd';
	memcpy(out + 2, t->shard_hex, 4);
	dlg_hex(out + 6, idx, 8);
	dlg_hex(out + 14, (uint32_t)mac, 8);
}

void
sipdp_dlg_new_call_id(struct sipdp_dlg_table *t, char out[SIPDP_DLG_CALL_ID_LEN])
{
	uint64_t n = ++t->counter;
	uint64_t a = dlg_siphash2(t->key, DOM_CALLID | t->shard_id, n);
	uint64_t b = dlg_siphash2(t->key, DOM_CALLID | t->shard_id, n ^ 0x8000000000000000ull);

	out[0] = 's';
	out[1] = 'd';
	memcpy(out + 2, t->shard_hex, 4);
	dlg_hex(out + 6, a, 16);
	dlg_hex(out + 22, (uint32_t)b, 8);
}

void
sipdp_dlg_ack_branch(const struct sipdp_dlg_table *t, const struct sipdp_dlg *d, uint32_t cseq,
		     char out[SIPDP_DLG_ACK_BRANCH_LEN])
{
	uint32_t idx = (uint32_t)(((const uint8_t *)d - t->pool->elts) / t->pool->elt_size);
	uint64_t mac = dlg_siphash2(t->key, DOM_ACK | idx, (uint64_t)t->pool->gen[idx] << 32 | cseq);

	memcpy(out, "z9hG4bKsdA", 10);
	memcpy(out + 10, t->shard_hex, 4);
	dlg_hex(out + 14, mac, 16);
}

int
sipdp_dlg_id_shard(struct sipdp_str id, uint16_t *shard)
{
	uint64_t v;

	if (shard == NULL)
		return -EINVAL;
	if (id.len >= 7 && memcmp(id.p, "z9hG4bK", 7) == 0) {
		if (id.len == SIPDP_DLG_ACK_BRANCH_LEN && memcmp(id.p + 7, "sdA", 3) == 0 &&
		    dlg_unhex(id.p + 10, 4, &v) == 0) {
			*shard = (uint16_t)v;
			return 0;
		}
		return sipdp_tsx_branch_shard(id, shard) == 0 ? 0 : -EINVAL;
	}
	if (id.len < 6 || id.p[0] != 's' || id.p[1] != 'd' || dlg_unhex(id.p + 2, 4, &v) != 0)
		return -EINVAL;
	*shard = (uint16_t)v;
	return 0;
}
