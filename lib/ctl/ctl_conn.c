/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection table: ids with generations, the timeout lists, the
 * per-source and reuse hash tables, and closing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_pvt.h"

/* ---- ids ---------------------------------------------------------------- */

/* id = gen << idx_bits | idx with gen >= 1: 0 is never an id, and a closed
 * connection's id stays stale for 2^(32 - idx_bits) reuses of its slot. */
uint32_t
ctl_conn_idx(const struct sipdp_ctl *c, const struct ctl_conn *k)
{
	return (uint32_t)(k - c->conns);
}

/* Live slot of @p id, lingering ones included (event dispatch). */
struct ctl_conn *
ctl_conn_get_any(const struct sipdp_ctl *c, uint32_t id)
{
	uint32_t idx = id & ((1u << c->idx_bits) - 1);

	if (id == 0 || idx >= c->cap || c->conns[idx].id != id || c->conns[idx].state == CS_FREE)
		return NULL;
	return &c->conns[idx];
}

/* A lingering connection is already closed for the API. */
struct ctl_conn *
ctl_conn_get(const struct sipdp_ctl *c, uint32_t id)
{
	struct ctl_conn *k = ctl_conn_get_any(c, id);

	return k != NULL && k->state != CS_LINGER ? k : NULL;
}

struct ctl_conn *
ctl_conn_alloc(struct sipdp_ctl *c)
{
	if (c->nfree == 0)
		return NULL;
	uint32_t idx = c->free_stack[--c->nfree];
	uint32_t gmax = (uint32_t)((1ull << (32 - c->idx_bits)) - 1);
	uint32_t g = c->gen[idx] + 1;
	if (g > gmax)
		g = 1;
	c->gen[idx] = g;
	struct ctl_conn *k = &c->conns[idx];
	memset(k, 0, sizeof(*k));
	k->fd = -1;
	k->id = (g << c->idx_bits) | idx;
	for (int l = 0; l < CL__COUNT; l++)
		k->link[l].prev = k->link[l].next = CTL_NONE;
	sipdp_framer_init(&k->fr, &(struct sipdp_framer_params){
		.max_header_bytes = c->p.max_header_bytes,
		.max_message_bytes = c->p.max_message_bytes });
	c->st.conns_open++;
	return k;
}

/* ---- timeout lists ----------------------------------------------------- */

void
ctl_list_del(struct sipdp_ctl *c, struct ctl_conn *k, int l)
{
	struct ctl_list *li = &c->lists[l];
	struct ctl_link *n = &k->link[l];

	if (!(k->in_list & (1u << l)))
		return;
	if (n->prev != CTL_NONE)
		c->conns[n->prev].link[l].next = n->next;
	else
		li->head = n->next;
	if (n->next != CTL_NONE)
		c->conns[n->next].link[l].prev = n->prev;
	else
		li->tail = n->prev;
	n->prev = n->next = CTL_NONE;
	k->in_list &= (uint8_t)~(1u << l);
}

/* Append with since = now: the lists stay sorted because now never goes
 * backwards. */
void
ctl_list_add(struct sipdp_ctl *c, struct ctl_conn *k, int l)
{
	struct ctl_list *li = &c->lists[l];
	uint32_t idx = ctl_conn_idx(c, k);

	ctl_list_del(c, k, l);
	k->since[l] = c->now;
	k->link[l].prev = li->tail;
	k->link[l].next = CTL_NONE;
	if (li->tail != CTL_NONE)
		c->conns[li->tail].link[l].next = idx;
	else
		li->head = idx;
	li->tail = idx;
	k->in_list |= (uint8_t)(1u << l);
}

void
ctl_touch(struct sipdp_ctl *c, struct ctl_conn *k)
{
	if (k->since[CL_IDLE] != c->now || !(k->in_list & (1u << CL_IDLE)))
		ctl_list_add(c, k, CL_IDLE);
}

static const uint8_t list_reason[CL__COUNT] = {
	[CL_IDLE] = SIPDP_CTL_CLOSE_IDLE,
	[CL_DEADLINE] = SIPDP_CTL_CLOSE_DEADLINE,
	[CL_HS] = SIPDP_CTL_CLOSE_HS_TIMEOUT,
};

void
ctl_expire(struct sipdp_ctl *c)
{
	uint64_t tmo[CL__COUNT] = {
		[CL_IDLE] = (uint64_t)c->p.idle_timeout_ms * 1000,
		[CL_DEADLINE] = (uint64_t)c->p.message_deadline_ms * 1000,
		[CL_HS] = (uint64_t)c->p.tls.handshake_timeout_ms * 1000,
	};

	for (int l = 0; l < CL__COUNT; l++) {
		while (c->lists[l].head != CTL_NONE) {
			struct ctl_conn *k = &c->conns[c->lists[l].head];
			if (k->since[l] + tmo[l] > c->now)
				break;
			ctl_conn_close(c, k, list_reason[l]);
		}
	}
}

/* ---- hash tables --------------------------------------------------------- */

void
ctl_key_of(struct ctl_key *key, uint8_t transport, const struct sipdp_ctl_addr *a)
{
	memset(key, 0, sizeof(*key));
	key->family = a->family;
	key->transport = transport;
	key->port = transport ? a->port : 0;
	memcpy(key->addr, a->addr, a->family == AF_INET ? 4 : 16);
}

/* Seeded FNV-1a: sources choose their addresses (IPv6 gives them plenty),
 * so the seed keeps them from aiming at one probe chain. */
static uint32_t
key_hash(const struct ctl_hash *h, const struct ctl_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t x = 0xcbf29ce484222325ull ^ h->seed;

	for (size_t i = 0; i < sizeof(*k); i++) {
		x ^= p[i];
		x *= 0x100000001b3ull;
	}
	x ^= x >> 29;
	return (uint32_t)x & h->mask;
}

int
ctl_hash_init(struct ctl_hash *h, uint32_t entries, uint64_t seed)
{
	uint32_t n = sipdp_align32pow2(entries * 2 < 16 ? 16 : entries * 2);

	h->slots = calloc(n, sizeof(*h->slots));
	if (h->slots == NULL)
		return -ENOMEM;
	h->mask = n - 1;
	h->seed = seed;
	return 0;
}

void
ctl_hash_fini(struct ctl_hash *h)
{
	free(h->slots);
	h->slots = NULL;
}

struct ctl_slot *
ctl_hash_find(const struct ctl_hash *h, const struct ctl_key *k)
{
	for (uint32_t i = key_hash(h, k);; i = (i + 1) & h->mask) {
		struct ctl_slot *s = &h->slots[i];
		if (!s->used)
			return NULL;
		if (memcmp(&s->key, k, sizeof(*k)) == 0)
			return s;
	}
}

/* The table holds twice the entries it can ever have, so a free slot exists. */
struct ctl_slot *
ctl_hash_insert(struct ctl_hash *h, const struct ctl_key *k)
{
	for (uint32_t i = key_hash(h, k);; i = (i + 1) & h->mask) {
		struct ctl_slot *s = &h->slots[i];
		if (!s->used) {
			s->key = *k;
			s->used = 1;
			s->val = 0;
			return s;
		}
		if (memcmp(&s->key, k, sizeof(*k)) == 0)
			return s;
	}
}

/* Backward-shift deletion: no tombstones, so probe chains never grow with
 * churn. */
void
ctl_hash_erase(struct ctl_hash *h, struct ctl_slot *s)
{
	uint32_t i = (uint32_t)(s - h->slots);

	for (;;) {
		h->slots[i].used = 0;
		uint32_t j = i;
		for (;;) {
			j = (j + 1) & h->mask;
			if (!h->slots[j].used)
				return;
			uint32_t home = key_hash(h, &h->slots[j].key);
			/* move j back to i unless its home lies cyclically in (i, j] */
			bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
			if (!stays)
				break;
		}
		h->slots[i] = h->slots[j];
		i = j;
	}
}

/* ---- closing ------------------------------------------------------------- */

/* Free everything a slot holds, without callbacks or counters. */
void
ctl_conn_release(struct sipdp_ctl *c, struct ctl_conn *k)
{
	struct ctl_key key;
	struct ctl_slot *s;

	for (int l = 0; l < CL__COUNT; l++)
		ctl_list_del(c, k, l);
	if (!(k->flags & CF_OUTBOUND) && !(k->flags & CF_BUFFER)) {
		ctl_key_of(&key, 0, &k->peer);
		s = ctl_hash_find(&c->per_source, &key);
		if (s != NULL && --s->val == 0)
			ctl_hash_erase(&c->per_source, s);
	}
	ctl_key_of(&key, k->transport, &k->peer);
	s = ctl_hash_find(&c->reuse, &key);
	if (s != NULL && s->val == ctl_conn_idx(c, k))
		ctl_hash_erase(&c->reuse, s);
	if (k->ssl != NULL) {
		/* Best effort close_notify: the socket is non-blocking, so this
		 * never waits, and the peer learns the close was deliberate. */
		if (k->state == CS_OPEN)
			SSL_shutdown(k->ssl);
		SSL_free(k->ssl);
	}
	if (k->fd >= 0) {
		epoll_ctl(c->ep, EPOLL_CTL_DEL, k->fd, NULL);
		close(k->fd);
	}
	free(k->rbuf);
	free(k->wbuf);
	k->state = CS_FREE;
	k->ssl = NULL;
	k->fd = -1;
	k->rbuf = k->wbuf = NULL;
	c->free_stack[c->nfree++] = ctl_conn_idx(c, k);
	c->st.conns_open--;
}

void
ctl_conn_close(struct sipdp_ctl *c, struct ctl_conn *k, enum sipdp_ctl_close_reason why)
{
	if (k->flags & CF_BUSY) {
		/* The delivery loop still reads k->rbuf: close when it returns. */
		if (!(k->flags & CF_DOOMED)) {
			k->flags |= CF_DOOMED;
			k->doom_reason = (uint8_t)why;
		}
		return;
	}
	if (k->state == CS_LINGER) {
		/* Its close was counted and reported when it began to linger. */
		ctl_conn_release(c, k);
		return;
	}
	uint32_t id = k->id;
	if (k->transport == SIPDP_CTL_TLS && k->state != CS_OPEN &&
	    (why == SIPDP_CTL_CLOSE_HS_TIMEOUT || why == SIPDP_CTL_CLOSE_NOT_TLS ||
	     why == SIPDP_CTL_CLOSE_HS_FAILED))
		c->st.tls_handshakes_failed++;
	if (k->transport == SIPDP_CTL_TCP && k->state == CS_CONNECTING &&
	    why == SIPDP_CTL_CLOSE_HS_TIMEOUT)
		why = SIPDP_CTL_CLOSE_CONNECT_FAILED;
	c->st.closed[why]++;
	if (k->fd >= 0 && k->state == CS_OPEN &&
	    (why == SIPDP_CTL_CLOSE_OVERSIZE || why == SIPDP_CTL_CLOSE_FRAMING)) {
		/* Closing now, with unread input, would make the kernel send a
		 * reset that can destroy the 513 still in flight. Let it out,
		 * send our FIN, and discard what the peer still sends until its
		 * FIN or the message deadline. */
		struct ctl_key key;
		ctl_key_of(&key, k->transport, &k->peer);
		struct ctl_slot *s = ctl_hash_find(&c->reuse, &key);
		if (s != NULL && s->val == ctl_conn_idx(c, k))
			ctl_hash_erase(&c->reuse, s);
		ctl_linger_start(c, k);
	} else {
		ctl_conn_release(c, k);
	}
	if (c->p.on_closed != NULL)
		c->p.on_closed(c->p.arg, id, why);
}

int
sipdp_ctl_close(struct sipdp_ctl *c, uint32_t conn_id)
{
	struct ctl_conn *k = ctl_conn_get(c, conn_id);

	if (k == NULL || (k->flags & CF_DOOMED))
		return -ENOTCONN;
	ctl_conn_close(c, k, SIPDP_CTL_CLOSE_LOCAL);
	return 0;
}

int
sipdp_ctl_conn_info(const struct sipdp_ctl *c, uint32_t conn_id, struct sipdp_ctl_addr *peer,
	struct sipdp_ctl_addr *local, uint8_t *transport)
{
	const struct ctl_conn *k = ctl_conn_get(c, conn_id);

	if (k == NULL)
		return -ENOTCONN;
	if (peer)
		*peer = k->peer;
	if (local)
		*local = k->local;
	if (transport)
		*transport = k->transport;
	return 0;
}

int
sipdp_ctl_lookup(const struct sipdp_ctl *c, enum sipdp_ctl_transport tp,
	const struct sipdp_ctl_addr *dst, uint32_t *conn_id)
{
	struct ctl_key key;

	ctl_key_of(&key, (uint8_t)tp, dst);
	const struct ctl_slot *s = ctl_hash_find(&c->reuse, &key);
	if (s == NULL)
		return -ENOENT;
	const struct ctl_conn *k = &c->conns[s->val];
	if (k->flags & CF_DOOMED)
		return -ENOENT;
	*conn_id = k->id;
	return 0;
}

uint32_t
sipdp_ctl_conn_bytes(const struct sipdp_ctl *c, uint32_t conn_id)
{
	const struct ctl_conn *k = ctl_conn_get(c, conn_id);

	if (k == NULL)
		return 0;
	/* The slot, its share of the free stack, generation and two hash
	 * tables (two slots each per connection), and the buffers held now. */
	return (uint32_t)(sizeof(*k) + 2 * sizeof(uint32_t) + 4 * sizeof(struct ctl_slot)) +
		k->rcap + k->wcap;
}
