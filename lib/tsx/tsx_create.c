/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Construction: every byte the table will use is taken here, once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tsx_pvt.h"

static void
derive_key(const uint64_t secret[2], uint8_t label, uint64_t out[2])
{
	struct tsx_siphash s;

	for (int i = 0; i < 2; i++) {
		uint8_t in[2] = { label, (uint8_t)i };
		tsx_siphash_init(&s, secret);
		tsx_siphash_update(&s, in, sizeof(in));
		out[i] = tsx_siphash_final(&s);
	}
}

int
sipdp_tsx_create(const struct sipdp_tsx_params *p, struct sipdp_tsx_table **out)
{
	struct sipdp_tsx_table *t;
	struct sipdp_pool_params pp;
	uint32_t nb, cs;
	uint64_t tagk[2];
	int rc;

	if (p == NULL || out == NULL || p->capacity == 0 || p->send == NULL || p->on_event == NULL ||
	    p->capacity > (1u << 26))
		return -EINVAL;
	cs = p->chunk_size ? p->chunk_size : 256;
	if (cs < 64 || cs > 8192 || (cs & (cs - 1)) != 0)
		return -EINVAL;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->t1_ms = p->t1_ms ? p->t1_ms : 500;
	t->t2_ms = p->t2_ms ? p->t2_ms : 4000;
	t->t4_ms = p->t4_ms ? p->t4_ms : 5000;
	t->d_ms = p->timer_d_ms ? p->timer_d_ms : 32000;
	if (t->t1_ms > t->t2_ms) {
		free(t);
		return -EINVAL;
	}
	t->retry_after_s = p->retry_after_s ? p->retry_after_s : 5;
	t->auto_trying = p->auto_trying;
	t->shard_id = p->shard_id;
	t->secret[0] = p->secret[0];
	t->secret[1] = p->secret[1];
	derive_key(t->secret, 'H', t->hash_key);
	derive_key(t->secret, 'S', tagk);
	/* Stateless To tag: 16 hex digits from the secret, stable per boot. */
	for (int i = 0; i < 16; i++)
		t->stateless_tag[i] = "0123456789abcdef"[(tagk[0] >> (4 * i)) & 0xf];
	t->send = p->send;
	t->on_event = p->on_event;
	t->user = p->user;

	pp.capacity = p->capacity;
	pp.elt_size = sizeof(struct tsx);
	rc = sipdp_pool_create(&pp, &t->pool);
	if (rc != 0)
		goto fail;

	nb = sipdp_align32pow2(p->capacity < 2 ? 2 : p->capacity);
	t->bucket_mask = nb - 1;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	t->mbuckets = calloc(nb, sizeof(*t->mbuckets));

	t->chunk_size = cs;
	t->chunk_shift = (uint32_t)__builtin_ctz(cs);
	t->chunks = p->chunks ? p->chunks : 2 * p->capacity;
	t->chunk_mem = malloc((size_t)t->chunks * cs);
	t->chunk_next = malloc((size_t)t->chunks * sizeof(*t->chunk_next));
	t->gather = malloc(SIPDP_MSG_MAX_LEN);
	t->out = malloc(TSX_OUT_LEN);
	t->scratch_msg = malloc(sizeof(*t->scratch_msg));
	rc = -ENOMEM;
	if (t->buckets == NULL || t->mbuckets == NULL || t->chunk_mem == NULL ||
	    t->chunk_next == NULL || t->gather == NULL || t->out == NULL || t->scratch_msg == NULL)
		goto fail;
	for (uint32_t i = 0; i < t->chunks; i++)
		t->chunk_next[i] = i + 2 <= t->chunks ? i + 2 : TSX_NONE;
	t->chunk_free = 1;
	t->chunks_free = t->chunks;

	if (p->wheel != NULL) {
		t->wheel = p->wheel;
		t->own_wheel = false;
	} else {
		rc = tsx_timer_wheel_create(t, p->capacity, p->now_us);
		if (rc != 0)
			goto fail;
	}
	*out = t;
	return 0;
fail:
	sipdp_tsx_destroy(t);
	return rc;
}

void
sipdp_tsx_destroy(struct sipdp_tsx_table *t)
{
	if (t == NULL)
		return;
	tsx_timer_wheel_destroy(t);
	sipdp_pool_destroy(t->pool);
	free(t->buckets);
	free(t->mbuckets);
	free(t->chunk_mem);
	free(t->chunk_next);
	free(t->gather);
	free(t->out);
	free(t->scratch_msg);
	free(t);
}

size_t
sipdp_tsx_bytes_per_tsx(const struct sipdp_tsx_table *t)
{
	size_t cap = sipdp_pool_capacity(t->pool);
	size_t fixed = 2 * (size_t)(t->bucket_mask + 1) * sizeof(uint32_t) +
		       (size_t)t->chunks * (t->chunk_size + sizeof(uint32_t));

	return sipdp_pool_bytes_per_slot(t->pool) + tsx_timer_bytes_per_entry(t) + (fixed + cap - 1) / cap;
}
