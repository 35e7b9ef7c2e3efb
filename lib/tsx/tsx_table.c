/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-shard table: matching (RFC 3261 §17.1.3, §17.2.3), merged requests
 * (§8.2.2.2), stateless 503/482, the chunk pool that keeps bytes for
 * retransmission, events and termination.
 *
 * Responses to our requests never touch a hash: the branch names the slot
 * (tsx_branch.c). Requests from peers go through one keyed hash of
 * (branch, sent-by, method class) into chains of records linked by index.
 */
#include <errno.h>
#include <string.h>

#include "sipdp_msg_build.h"
#include "tsx_pvt.h"

/* --------------------------------------------------------------- basics */

struct tsx *
tsx_get(const struct sipdp_tsx_table *t, sipdp_handle_t h)
{
	struct tsx *x = sipdp_pool_get(t->pool, h);

	if (x == NULL || x->state == SIPDP_TSX_S_TERMINATED)
		return NULL;
	return x;
}

static void
raise_ev(struct sipdp_tsx_table *t, struct sipdp_tsx_event *ev)
{
	t->on_event(t->user, ev);
}

void
tsx_raise(struct sipdp_tsx_table *t, struct tsx *x, uint8_t type, const struct sipdp_msg *m,
	  const struct sipdp_tsx_dest *src)
{
	struct sipdp_tsx_event ev = {
		.type = type,
		.kind = x->kind,
		.state = x->state,
		.tsx = tsx_handle(t, x),
		.user_ref = x->user_ref,
		.msg = m,
		.src = src,
	};
	raise_ev(t, &ev);
}

/* ---------------------------------------------------------- chunk pool */

void
tsx_unkeep(struct sipdp_tsx_table *t, struct tsx *x)
{
	uint32_t c = x->chunk;

	if (c == TSX_NONE)
		return;
	/* Splice the whole chain onto the free list: walk once to its end. */
	uint32_t last = c, n = 1;
	while (t->chunk_next[last - 1] != TSX_NONE) {
		last = t->chunk_next[last - 1];
		n++;
	}
	t->chunk_next[last - 1] = t->chunk_free;
	t->chunk_free = c;
	t->chunks_free += n;
	x->chunk = TSX_NONE;
	x->kept_len = 0;
}

int
tsx_keep(struct sipdp_tsx_table *t, struct tsx *x, const char *buf, uint32_t len)
{
	uint32_t need = (len + t->chunk_size - 1) >> t->chunk_shift;
	uint32_t head, c, off = 0;

	tsx_unkeep(t, x);
	if (SIPDP_UNLIKELY(len == 0 || need > t->chunks_free)) {
		if (len)
			t->stats.no_chunks++;
		return len ? -ENOBUFS : 0;
	}
	head = c = t->chunk_free;
	for (uint32_t i = 0; i < need; i++) {
		uint32_t n = SIPDP_MIN(t->chunk_size, len - off);
		memcpy(t->chunk_mem + ((size_t)(c - 1) << t->chunk_shift), buf + off, n);
		off += n;
		if (i + 1 < need)
			c = t->chunk_next[c - 1];
	}
	t->chunk_free = t->chunk_next[c - 1];
	t->chunk_next[c - 1] = TSX_NONE;
	t->chunks_free -= need;
	x->chunk = head;
	x->kept_len = len;
	return 0;
}

uint32_t
tsx_gather(struct sipdp_tsx_table *t, const struct tsx *x)
{
	uint32_t c = x->chunk, off = 0;

	while (c != TSX_NONE && off < x->kept_len) {
		uint32_t n = SIPDP_MIN(t->chunk_size, x->kept_len - off);
		memcpy(t->gather + off, t->chunk_mem + ((size_t)(c - 1) << t->chunk_shift), n);
		off += n;
		c = t->chunk_next[c - 1];
	}
	return off;
}

/* ------------------------------------------------------------- sending */

int
tsx_send(struct sipdp_tsx_table *t, struct tsx *x, const char *buf, uint32_t len)
{
	int rc = t->send(t->user, &x->dest, buf, len);

	if (SIPDP_UNLIKELY(rc < 0)) {
		sipdp_handle_t h = tsx_handle(t, x);
		t->stats.transport_errors++;
		tsx_raise(t, x, SIPDP_TSX_EV_TRANSPORT_ERROR, NULL, NULL);
		x = tsx_get(t, h);
		if (x)
			tsx_terminate(t, x);
		return rc < 0 ? rc : -EIO;
	}
	return 0;
}

int
tsx_resend(struct sipdp_tsx_table *t, struct tsx *x)
{
	uint32_t len;

	if (x->chunk == TSX_NONE)
		return 0;
	len = tsx_gather(t, x);
	t->stats.retransmits++;
	return tsx_send(t, x, t->gather, len);
}

/* ------------------------------------------------------- hash chains */

static void
chain_unlink(struct sipdp_tsx_table *t, uint32_t *heads, uint64_t key, struct tsx *x, bool merge)
{
	uint32_t me = tsx_idx(t, x) + 1;
	uint32_t *link = &heads[key & t->bucket_mask];

	while (*link != TSX_NONE) {
		struct tsx *y = tsx_at(t, *link - 1);
		if (*link == me) {
			*link = merge ? y->mnext : y->next;
			return;
		}
		link = merge ? &y->mnext : &y->next;
	}
}

static void
tsx_unlink(struct sipdp_tsx_table *t, struct tsx *x)
{
	if (x->flags & TSX_F_HASHED)
		chain_unlink(t, t->buckets, x->key, x, false);
	if (x->flags & TSX_F_MERGE)
		chain_unlink(t, t->mbuckets, x->mkey, x, true);
	x->flags &= (uint8_t)~(TSX_F_HASHED | TSX_F_MERGE);
}

/* --------------------------------------------------------- termination */

/* Count a transaction whose messages go over one connection, so that
 * sipdp_tsx_conn_lost() costs nothing while none is live (UDP only). */
static void
tsx_conn_bind(struct sipdp_tsx_table *t, struct tsx *x)
{
	if (tsx_reliable(x) && x->dest.conn_id != 0 && !(x->flags & TSX_F_CONN)) {
		x->flags |= TSX_F_CONN;
		t->conn_live++;
	}
}

static void
slot_free(struct sipdp_tsx_table *t, struct tsx *x)
{
	sipdp_pool_free(t->pool, tsx_handle(t, x));
}

void
tsx_terminate(struct sipdp_tsx_table *t, struct tsx *x)
{
	struct sipdp_tsx_event ev = {
		.type = SIPDP_TSX_EV_TERMINATED,
		.kind = x->kind,
		.state = SIPDP_TSX_S_TERMINATED,
		.tsx = tsx_handle(t, x),
		.user_ref = x->user_ref,
	};

	tsx_timer_stop(t, x);
	tsx_unkeep(t, x);
	tsx_unlink(t, x);
	if (x->flags & TSX_F_CONN) {
		x->flags &= (uint8_t)~TSX_F_CONN;
		t->conn_live--;
	}
	x->state = SIPDP_TSX_S_TERMINATED;
	x->retrans_at = x->timeout_at = 0;
	t->stats.terminated++;

	if (x->kind == SIPDP_TSX_ICT && x->peer != TSX_NONE) {
		/* Responses to the CANCEL carry the INVITE's branch, which
		 * names this slot: keep it until the CANCEL is done. */
		x->flags |= TSX_F_ZOMBIE;
	} else {
		if (x->kind == SIPDP_TSX_NICT && x->peer != TSX_NONE) {
			struct tsx *ict = tsx_at(t, x->peer - 1);
			ict->peer = TSX_NONE;
			if (ict->flags & TSX_F_ZOMBIE)
				slot_free(t, ict);
		}
		slot_free(t, x);
	}
	raise_ev(t, &ev);
}

int
sipdp_tsx_terminate(struct sipdp_tsx_table *t, sipdp_handle_t h)
{
	struct tsx *x = tsx_get(t, h);

	if (x == NULL)
		return -ENOENT;
	if (x->state == SIPDP_TSX_S_NULL) {
		/* never sent: no TU-visible life, no event */
		return sipdp_tsx_client_abort(t, h);
	}
	tsx_terminate(t, x);
	return 0;
}

/*
 * Cold: a connection closed. Over TCP/TLS nothing is retransmitted, so a
 * transaction waiting to send (or to hear) on it would otherwise sit until
 * its longest timer (Timer L, 32 s) for a message that can never cross:
 * it sees the transport error now (RFC 3261 §17.1.4, §17.2.4). One pass
 * over the slots, skipped while no transaction is bound to a connection;
 * the TU's callbacks may terminate others meanwhile, which the liveness
 * test of each slot sees.
 */
int
sipdp_tsx_conn_lost(struct sipdp_tsx_table *t, uint32_t conn_id)
{
	uint32_t cap = sipdp_pool_capacity(t->pool);
	int n = 0;

	if (conn_id == 0)
		return -EINVAL;
	for (uint32_t i = 0; i < cap && t->conn_live != 0; i++) {
		sipdp_handle_t h;
		struct tsx *x;

		if (!sipdp_pool_live(t->pool, i, &h))
			continue;
		x = tsx_get(t, h);
		if (x == NULL || !(x->flags & TSX_F_CONN) || x->dest.conn_id != conn_id ||
		    (x->flags & TSX_F_ZOMBIE))
			continue;
		t->stats.transport_errors++;
		n++;
		tsx_raise(t, x, SIPDP_TSX_EV_TRANSPORT_ERROR, NULL, NULL);
		x = tsx_get(t, h);
		if (x != NULL)
			tsx_terminate(t, x);
	}
	return n;
}

uint32_t
sipdp_tsx_conn_count(const struct sipdp_tsx_table *t)
{
	return t->conn_live;
}

/* --------------------------------------------------------------- keys */

static inline void
sh_str(struct tsx_siphash *s, struct sipdp_str v)
{
	/* Length first: ("ab","c") and ("a","bc") must not collide. */
	tsx_siphash_update(s, &v.len, sizeof(v.len));
	if (v.len)
		tsx_siphash_update(s, v.p, v.len);
}

static inline uint8_t
match_class(uint8_t method)
{
	return method == SIPDP_METHOD_ACK ? (uint8_t)SIPDP_METHOD_INVITE : method;
}

/* What a request contributes to the §17.2.3 keys, parsed once. */
struct req_keys {
	struct sipdp_via via;
	struct sipdp_cseq cseq;
	struct sipdp_str top_via;  /* raw first via-parm (RFC 2543 key) */
	struct sipdp_nameaddr from, to;
	bool have_addrs;
	bool cookie;
};

static uint64_t
key_rfc3261(const struct sipdp_tsx_table *t, const struct req_keys *k, uint8_t mclass,
	    struct sipdp_str method_str)
{
	struct tsx_siphash s;
	uint8_t tag = 'R';

	tsx_siphash_init(&s, t->hash_key);
	tsx_siphash_update(&s, &tag, 1);
	tsx_siphash_update(&s, &mclass, 1);
	if (mclass == SIPDP_METHOD_OTHER)
		sh_str(&s, method_str);
	sh_str(&s, k->via.branch);
	/* sent-by: host is case-insensitive (§19.1.4 rules for hosts). */
	tsx_siphash_update(&s, &k->via.host.len, sizeof(k->via.host.len));
	tsx_siphash_update_lower(&s, k->via.host.p, k->via.host.len);
	tsx_siphash_update(&s, &k->via.port, sizeof(k->via.port));
	return tsx_siphash_final(&s);
}

/* §17.2.3 for RFC 2543 peers: Request-URI, From tag, Call-ID, CSeq number,
 * top Via (and the method class); the To tag is compared separately because
 * for an ACK it must equal the tag of our response, not of the INVITE. */
static uint64_t
key_rfc2543(const struct sipdp_tsx_table *t, const struct sipdp_msg *m, const struct req_keys *k,
	    uint8_t mclass)
{
	struct tsx_siphash s;
	uint8_t tag = 'L';

	tsx_siphash_init(&s, t->hash_key);
	tsx_siphash_update(&s, &tag, 1);
	tsx_siphash_update(&s, &mclass, 1);
	if (mclass == SIPDP_METHOD_OTHER)
		sh_str(&s, k->cseq.method_str);
	sh_str(&s, m->ruri);
	sh_str(&s, k->from.tag);
	sh_str(&s, sipdp_msg_call_id(m));
	tsx_siphash_update(&s, &k->cseq.num, sizeof(k->cseq.num));
	sh_str(&s, k->top_via);
	return tsx_siphash_final(&s);
}

static uint32_t
tag_hash(const struct sipdp_tsx_table *t, struct sipdp_str tag)
{
	struct tsx_siphash s;
	uint8_t c = 'T';

	tsx_siphash_init(&s, t->hash_key);
	tsx_siphash_update(&s, &c, 1);
	sh_str(&s, tag);
	return (uint32_t)tsx_siphash_final(&s);
}

/* §8.2.2.2: From tag, Call-ID and CSeq (number and method). */
static uint64_t
key_merge(const struct sipdp_tsx_table *t, const struct sipdp_msg *m, const struct req_keys *k)
{
	struct tsx_siphash s;
	uint8_t tag = 'M';

	tsx_siphash_init(&s, t->hash_key);
	tsx_siphash_update(&s, &tag, 1);
	sh_str(&s, k->from.tag);
	sh_str(&s, sipdp_msg_call_id(m));
	tsx_siphash_update(&s, &k->cseq.num, sizeof(k->cseq.num));
	sh_str(&s, k->cseq.method_str);
	return tsx_siphash_final(&s);
}

static int
parse_addrs(const struct sipdp_msg *m, struct req_keys *k)
{
	if (k->have_addrs)
		return 0;
	if (sipdp_msg_from(m, &k->from) != 0 || sipdp_msg_to(m, &k->to) != 0)
		return -EBADMSG;
	k->have_addrs = true;
	return 0;
}

static int
top_via_raw(const struct sipdp_msg *m, struct sipdp_str *out)
{
	const struct sipdp_hdr *h = sipdp_msg_hdr(m, SIPDP_HDR_VIA);
	struct sipdp_str cur;

	if (h == NULL)
		return -EBADMSG;
	cur = h->value;
	return sipdp_list_next(&cur, out) == 1 ? 0 : -EBADMSG;
}

/* Find a server transaction. For RFC 2543 keys the request's To tag must
 * equal the one of the request that created the transaction; an ACK is
 * exempt: §17.2.3 wants it to carry the To tag of our response, and a UAS
 * transaction only ever answers with one tag, so the other fields decide. */
static struct tsx *
lookup(const struct sipdp_tsx_table *t, uint64_t key, uint8_t mclass, const struct req_keys *k,
       bool rfc2543, bool check_totag, uint32_t totag)
{
	uint32_t i = t->buckets[key & t->bucket_mask];

	while (i != TSX_NONE) {
		struct tsx *x = tsx_at(t, i - 1);
		if (x->key == key && x->mclass == mclass &&
		    ((x->flags & TSX_F_RFC2543) != 0) == rfc2543) {
			if (rfc2543) {
				if (!check_totag || x->totag_hash == totag)
					return x;
			} else {
				uint32_t n = SIPDP_MIN(k->via.branch.len, TSX_BRANCH_KEEP);
				uint8_t bl = k->via.branch.len > 254 ? 255 : (uint8_t)k->via.branch.len;
				if (x->branch_len == bl && memcmp(x->branch, k->via.branch.p, n) == 0)
					return x;
			}
		}
		i = x->next;
	}
	return NULL;
}

static bool
merged_exists(const struct sipdp_tsx_table *t, uint64_t mkey)
{
	uint32_t i = t->mbuckets[mkey & t->bucket_mask];

	while (i != TSX_NONE) {
		const struct tsx *x = tsx_at(t, i - 1);
		if (x->mkey == mkey)
			return true;
		i = x->mnext;
	}
	return false;
}

/* --------------------------------------------------- stateless answers */

static SIPDP_COLD int
answer_stateless(struct sipdp_tsx_table *t, const struct sipdp_msg *m,
		 const struct sipdp_tsx_dest *src, uint16_t code)
{
	char extra[48];
	struct sipdp_str ex = SIPDP_STR_NULL;
	int len;

	if (code == 503) {
		/* "Retry-After: N\r\n" */
		uint32_t n = 0;
		memcpy(extra, "Retry-After: ", 13);
		n = 13 + sipdp_u32_to_dec(extra + 13, t->retry_after_s);
		extra[n++] = '\r';
		extra[n++] = '\n';
		ex = sipdp_str_make(extra, n);
	}
	len = sipdp_build_response_simple(t->out, TSX_OUT_LEN, m, code,
					  sipdp_str_make(t->stateless_tag, sizeof(t->stateless_tag)), ex);
	if (len < 0 || t->send(t->user, src, t->out, (uint32_t)len) < 0) {
		t->stats.send_failures++;
		return SIPDP_TSX_RX_REJECTED;
	}
	return SIPDP_TSX_RX_REJECTED;
}

/* ------------------------------------------------------------ requests */

static void
chain_insert(struct sipdp_tsx_table *t, struct tsx *x)
{
	uint32_t *head = &t->buckets[x->key & t->bucket_mask];

	x->next = *head;
	*head = tsx_idx(t, x) + 1;
	x->flags |= TSX_F_HASHED;
}

static void
merge_insert(struct sipdp_tsx_table *t, struct tsx *x)
{
	uint32_t *head = &t->mbuckets[x->mkey & t->bucket_mask];

	x->mnext = *head;
	*head = tsx_idx(t, x) + 1;
	x->flags |= TSX_F_MERGE;
}

static struct tsx *
tsx_new(struct sipdp_tsx_table *t, uint8_t kind, uint8_t method)
{
	struct tsx *x;

	if (sipdp_pool_alloc(t->pool, (void **)&x) == SIPDP_HANDLE_INVALID)
		return NULL;
	memset(x, 0, offsetof(struct tsx, branch));
	x->kind = kind;
	x->method = method;
	x->mclass = match_class(method);
	t->stats.created[kind]++;
	return x;
}

/* One draw of the shedding: true for shed_pct out of 100 requests. */
static inline bool
shed_draw(struct sipdp_tsx_table *t)
{
	uint32_t x = t->shed_rng;

	if (t->shed_pct >= 100)
		return true;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	t->shed_rng = x;
	return x % 100 < t->shed_pct;
}

static SIPDP_NOINLINE int
new_server_tsx(struct sipdp_tsx_table *t, const struct sipdp_msg *m, const struct sipdp_tsx_dest *src,
	       struct req_keys *k, uint64_t key, uint8_t mclass, uint64_t now_us)
{
	uint64_t mkey = 0;
	bool merge = false;
	struct tsx *x, *target = NULL;
	sipdp_handle_t h;
	struct sipdp_tsx_event ev;

	if (parse_addrs(m, k) != 0) {
		t->stats.malformed++;
		return -EBADMSG;
	}
	/* §8.2.2.2: only requests outside a dialog can be merged copies. */
	if (!sipdp_str_present(k->to.tag)) {
		mkey = key_merge(t, m, k);
		if (merged_exists(t, mkey)) {
			t->stats.merged_482++;
			return answer_stateless(t, m, src, 482);
		}
		merge = true;
	}
	/* Overload: refuse new work before it costs a transaction. Only here,
	 * after matching: a retransmission of a request we took never gets
	 * this 503. */
	if (SIPDP_UNLIKELY(t->shed_pct != 0) && merge &&
	    (m->method == SIPDP_METHOD_INVITE || m->method == SIPDP_METHOD_SUBSCRIBE ||
	     m->method == SIPDP_METHOD_REFER) && shed_draw(t)) {
		t->stats.shed_503++;
		return answer_stateless(t, m, src, 503);
	}
	x = tsx_new(t, m->method == SIPDP_METHOD_INVITE ? SIPDP_TSX_IST : SIPDP_TSX_NIST, m->method);
	if (x == NULL) {
		t->stats.full_503++;
		return answer_stateless(t, m, src, 503);
	}
	x->key = key;
	x->mkey = mkey;
	x->mclass = mclass;
	x->cseq = k->cseq.num;
	x->dest = *src;
	if (sipdp_tsx_dest_reliable(src))
		x->flags |= TSX_F_RELIABLE;
	tsx_conn_bind(t, x);
	if (k->cookie) {
		uint32_t n = SIPDP_MIN(k->via.branch.len, TSX_BRANCH_KEEP);
		memcpy(x->branch, k->via.branch.p, n);
		x->branch_len = k->via.branch.len > 254 ? 255 : (uint8_t)k->via.branch.len;
	} else {
		x->flags |= TSX_F_RFC2543;
		x->totag_hash = tag_hash(t, k->to.tag);
	}
	chain_insert(t, x);
	if (merge)
		merge_insert(t, x);
	x->state = x->kind == SIPDP_TSX_IST ? SIPDP_TSX_S_PROCEEDING : SIPDP_TSX_S_TRYING;
	h = tsx_handle(t, x);

	if (m->method == SIPDP_METHOD_CANCEL) {
		/* §9.2: the INVITE this CANCEL cancels matches it by the
		 * §17.2.3 rules with the method taken as INVITE. */
		if (k->cookie) {
			target = lookup(t, key_rfc3261(t, k, SIPDP_METHOD_INVITE, SIPDP_STR_NULL),
					SIPDP_METHOD_INVITE, k, false, false, 0);
		} else {
			target = lookup(t, key_rfc2543(t, m, k, SIPDP_METHOD_INVITE), SIPDP_METHOD_INVITE,
					k, true, true, tag_hash(t, k->to.tag));
		}
		if (target && target->kind != SIPDP_TSX_IST)
			target = NULL;
	}

	if (x->kind == SIPDP_TSX_IST && t->auto_trying) {
		/* §17.2.1: the 100 goes out before the TU sees the INVITE, so
		 * that nothing the TU does can delay it. */
		int len = sipdp_build_response_simple(t->out, TSX_OUT_LEN, m, 100, SIPDP_STR_NULL,
						      SIPDP_STR_NULL);
		if (len > 0 && tsx_ist_respond(t, x, 100, t->out, (uint32_t)len, now_us) < 0)
			return SIPDP_TSX_RX_NEW; /* transport error: already terminated */
	}

	ev = (struct sipdp_tsx_event){
		.type = SIPDP_TSX_EV_REQUEST,
		.kind = x->kind,
		.state = x->state,
		.tsx = h,
		.user_ref = 0,
		.msg = m,
		.src = src,
		.cancel_target = target ? tsx_handle(t, target) : SIPDP_HANDLE_INVALID,
		.cancel_target_ref = target ? target->user_ref : 0,
	};
	raise_ev(t, &ev);
	return SIPDP_TSX_RX_NEW;
}

static int
recv_request(struct sipdp_tsx_table *t, const struct sipdp_msg *m, const struct sipdp_tsx_dest *src,
	     uint64_t now_us)
{
	struct req_keys k;
	uint8_t mclass = match_class(m->method);
	uint64_t key;
	uint32_t totag = 0;
	struct tsx *x;

	k.have_addrs = false;
	if (SIPDP_UNLIKELY(sipdp_msg_top_via(m, &k.via) != 0 || sipdp_msg_cseq(m, &k.cseq) != 0)) {
		t->stats.malformed++;
		return -EBADMSG;
	}
	k.cookie = sipdp_str_present(k.via.branch) && sipdp_branch_is_rfc3261(k.via.branch);
	if (k.cookie) {
		key = key_rfc3261(t, &k, mclass, m->method_str);
	} else {
		if (top_via_raw(m, &k.top_via) != 0 || parse_addrs(m, &k) != 0) {
			t->stats.malformed++;
			return -EBADMSG;
		}
		key = key_rfc2543(t, m, &k, mclass);
		totag = tag_hash(t, k.to.tag);
	}
	x = lookup(t, key, mclass, &k, !k.cookie, m->method != SIPDP_METHOD_ACK, totag);
	if (x != NULL) {
		if (x->kind == SIPDP_TSX_IST)
			return tsx_ist_on_request(t, x, m, src, now_us);
		return tsx_nist_on_request(t, x, m, now_us);
	}
	if (m->method == SIPDP_METHOD_ACK) {
		/* ACK for a 2xx: its own transaction of one message, the UA
		 * core's business (§17.2.3, RFC 6026 §8.8). */
		struct sipdp_tsx_event ev = {
			.type = SIPDP_TSX_EV_ACK,
			.kind = SIPDP_TSX_IST,
			.state = SIPDP_TSX_S_NULL,
			.tsx = SIPDP_HANDLE_INVALID,
			.msg = m,
			.src = src,
		};
		t->stats.stray_acks++;
		raise_ev(t, &ev);
		return SIPDP_TSX_RX_TO_TU;
	}
	return new_server_tsx(t, m, src, &k, key, mclass, now_us);
}

/* ----------------------------------------------------------- responses */

static int
recv_response(struct sipdp_tsx_table *t, const struct sipdp_msg *m, const struct sipdp_tsx_dest *src,
	      uint64_t now_us)
{
	struct sipdp_via via;
	struct sipdp_cseq cs;
	uint32_t idx, gen;
	struct tsx *x;
	int rc;

	if (SIPDP_UNLIKELY(sipdp_msg_top_via(m, &via) != 0 || sipdp_msg_cseq(m, &cs) != 0)) {
		t->stats.malformed++;
		return -EBADMSG;
	}
	rc = tsx_branch_decode(t, via.branch, &idx, &gen);
	if (SIPDP_UNLIKELY(rc != 0)) {
		if (rc == -EXDEV)
			return -EXDEV;
		if (rc == -EBADMSG)
			t->stats.bad_branch++;
		t->stats.stray_responses++;
		return SIPDP_TSX_RX_STRAY;
	}
	x = idx < t->pool->capacity ? sipdp_pool_get(t->pool, sipdp_handle_make(idx, gen)) : NULL;
	if (x == NULL || x->kind > SIPDP_TSX_NICT || !(x->flags & TSX_F_SENT)) {
		/* A valid check value on a slot since reused: a late response
		 * to a finished transaction. */
		t->stats.stray_responses++;
		return SIPDP_TSX_RX_STRAY;
	}
	if (cs.method == SIPDP_METHOD_CANCEL && x->kind == SIPDP_TSX_ICT) {
		/* §9.1: the CANCEL shares the INVITE's branch. */
		x = x->peer != TSX_NONE ? tsx_at(t, x->peer - 1) : NULL;
		if (x == NULL || !(x->flags & TSX_F_SENT)) {
			t->stats.stray_responses++;
			return SIPDP_TSX_RX_STRAY;
		}
	}
	if (x->state == SIPDP_TSX_S_TERMINATED || cs.method != x->method || cs.num != x->cseq ||
	    m->status < 100 || m->status > 699) {
		t->stats.stray_responses++;
		return SIPDP_TSX_RX_STRAY;
	}
	if (x->kind == SIPDP_TSX_ICT)
		return tsx_ict_on_response(t, x, m, src, now_us);
	return tsx_nict_on_response(t, x, m, src, now_us);
}

int
sipdp_tsx_recv(struct sipdp_tsx_table *t, const struct sipdp_msg *m, const struct sipdp_tsx_dest *src,
	       uint64_t now_us)
{
	if (m->is_request)
		return recv_request(t, m, src, now_us);
	return recv_response(t, m, src, now_us);
}

/* --------------------------------------------------------- client side */

int
sipdp_tsx_client_alloc(struct sipdp_tsx_table *t, enum sipdp_method method, uint32_t cseq,
		       uint64_t user_ref, char branch[SIPDP_TSX_BRANCH_LEN], sipdp_handle_t *h)
{
	struct tsx *x;

	if (branch == NULL || h == NULL || method == SIPDP_METHOD_ACK || method == SIPDP_METHOD_CANCEL ||
	    method >= SIPDP_METHOD__COUNT)
		return -EINVAL;
	x = tsx_new(t, method == SIPDP_METHOD_INVITE ? SIPDP_TSX_ICT : SIPDP_TSX_NICT, (uint8_t)method);
	if (x == NULL)
		return -ENOSPC;
	x->cseq = cseq;
	x->user_ref = user_ref;
	x->state = SIPDP_TSX_S_NULL;
	*h = tsx_handle(t, x);
	tsx_branch_encode(t, sipdp_handle_index(*h), sipdp_handle_gen(*h), branch);
	return 0;
}

int
sipdp_tsx_cancel_alloc(struct sipdp_tsx_table *t, sipdp_handle_t invite, uint64_t user_ref,
		       char branch[SIPDP_TSX_BRANCH_LEN], sipdp_handle_t *h)
{
	struct tsx *ict = tsx_get(t, invite), *x;

	if (ict == NULL)
		return -ENOENT;
	if (ict->kind != SIPDP_TSX_ICT || branch == NULL || h == NULL)
		return -EINVAL;
	if (ict->peer != TSX_NONE)
		return -EALREADY;
	if (ict->state != SIPDP_TSX_S_PROCEEDING)
		return -EAGAIN;
	x = tsx_new(t, SIPDP_TSX_NICT, SIPDP_METHOD_CANCEL);
	if (x == NULL)
		return -ENOSPC;
	x->cseq = ict->cseq;
	x->user_ref = user_ref;
	x->state = SIPDP_TSX_S_NULL;
	x->peer = tsx_idx(t, ict) + 1;
	ict->peer = tsx_idx(t, x) + 1;
	*h = tsx_handle(t, x);
	tsx_branch_encode(t, sipdp_handle_index(invite), sipdp_handle_gen(invite), branch);
	return 0;
}

int
sipdp_tsx_client_abort(struct sipdp_tsx_table *t, sipdp_handle_t h)
{
	struct tsx *x = tsx_get(t, h);

	if (x == NULL || x->kind > SIPDP_TSX_NICT)
		return -ENOENT;
	if (x->state != SIPDP_TSX_S_NULL)
		return -EALREADY;
	if (x->peer != TSX_NONE) {
		struct tsx *ict = tsx_at(t, x->peer - 1);
		ict->peer = TSX_NONE;
		if (ict->flags & TSX_F_ZOMBIE)
			slot_free(t, ict);
	}
	slot_free(t, x);
	return 0;
}

int
sipdp_tsx_client_send(struct sipdp_tsx_table *t, sipdp_handle_t h, const char *buf, uint32_t len,
		      const struct sipdp_tsx_dest *dest, uint64_t now_us)
{
	struct tsx *x = tsx_get(t, h);

	if (x == NULL || x->kind > SIPDP_TSX_NICT)
		return -ENOENT;
	if (x->state != SIPDP_TSX_S_NULL)
		return -EALREADY;
	if (buf == NULL || len == 0 || dest == NULL)
		return -EINVAL;
	x->dest = *dest;
	if (sipdp_tsx_dest_reliable(dest))
		x->flags |= TSX_F_RELIABLE;
	/* The ICT needs the INVITE for the ACK of §17.1.1.3 even over TCP;
	 * the NICT only to retransmit it. */
	if (x->kind == SIPDP_TSX_ICT || !tsx_reliable(x)) {
		if (tsx_keep(t, x, buf, len) != 0)
			return -ENOBUFS;
	}
	x->flags |= TSX_F_SENT;
	tsx_conn_bind(t, x);
	if (x->kind == SIPDP_TSX_ICT)
		tsx_ict_start(t, x, now_us);
	else
		tsx_nict_start(t, x, now_us);
	return tsx_send(t, x, buf, len);
}

/* --------------------------------------------------------- server side */

int
sipdp_tsx_respond(struct sipdp_tsx_table *t, sipdp_handle_t h, uint16_t status, const char *buf,
		  uint32_t len, uint64_t now_us)
{
	struct tsx *x = tsx_get(t, h);

	if (x == NULL)
		return -ENOENT;
	if (status < 100 || status > 699 || buf == NULL || len == 0)
		return -EINVAL;
	if (x->kind == SIPDP_TSX_IST)
		return tsx_ist_respond(t, x, status, buf, len, now_us);
	if (x->kind == SIPDP_TSX_NIST)
		return tsx_nist_respond(t, x, status, buf, len, now_us);
	return -EINVAL;
}

/* -------------------------------------------------------------- common */

int
sipdp_tsx_set_user_ref(struct sipdp_tsx_table *t, sipdp_handle_t h, uint64_t user_ref)
{
	struct tsx *x = tsx_get(t, h);

	if (x == NULL)
		return -ENOENT;
	x->user_ref = user_ref;
	return 0;
}

int
sipdp_tsx_info(const struct sipdp_tsx_table *t, sipdp_handle_t h, struct sipdp_tsx_info *info)
{
	const struct tsx *x = tsx_get(t, h);

	if (x == NULL)
		return -ENOENT;
	info->kind = x->kind;
	info->state = x->state;
	info->method = x->method;
	info->reliable = tsx_reliable(x);
	info->last_status = x->last_status;
	info->cseq = x->cseq;
	info->user_ref = x->user_ref;
	info->kept_bytes = x->kept_len;
	info->dest = x->dest;
	return 0;
}

void
tsx_timer_fire(struct sipdp_tsx_table *t, struct tsx *x, uint64_t now_us)
{
	sipdp_handle_t h = tsx_handle(t, x);

	switch (x->kind) {
	case SIPDP_TSX_ICT:
		tsx_ict_on_timer(t, x, now_us);
		break;
	case SIPDP_TSX_NICT:
		tsx_nict_on_timer(t, x, now_us);
		break;
	case SIPDP_TSX_IST:
		tsx_ist_on_timer(t, x, now_us);
		break;
	default:
		tsx_nist_on_timer(t, x, now_us);
		break;
	}
	x = tsx_get(t, h);
	if (x != NULL)
		tsx_timer_update(t, x);
}

const struct sipdp_tsx_stats *
sipdp_tsx_stats(const struct sipdp_tsx_table *t)
{
	return &t->stats;
}

uint32_t
sipdp_tsx_count(const struct sipdp_tsx_table *t)
{
	return sipdp_pool_in_use(t->pool);
}

uint32_t
sipdp_tsx_chunks_in_use(const struct sipdp_tsx_table *t)
{
	return t->chunks - t->chunks_free;
}

size_t
sipdp_tsx_record_size(void)
{
	return sizeof(struct tsx);
}

void
sipdp_tsx_set_shedding(struct sipdp_tsx_table *t, uint8_t pct)
{
	t->shed_pct = pct > 100 ? 100 : pct;
	if (t->shed_rng == 0)
		t->shed_rng = 0x9e3779b9u ^ t->shard_id; /* never 0: xorshift would stick */
}

uint8_t
sipdp_tsx_shedding(const struct sipdp_tsx_table *t)
{
	return t->shed_pct;
}
