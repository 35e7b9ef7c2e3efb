/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_TSX_PVT_H
#define SIPDP_TSX_PVT_H

/*
 * Private to lib/tsx. One record per transaction, one table per shard.
 *
 * Timers: one wheel entry per transaction, armed at the earlier of two
 * deadlines: retrans_at (A, E, G) and timeout_at (B, D, F, H, I, J, K, L, M).
 * Every machine of §17 runs at most one retransmission and one timeout timer
 * at a time, so two deadlines describe all of them and the wheel does half
 * the work of one entry per RFC timer.
 */

#include <stdbool.h>
#include <stdint.h>

#include "sipdp_base.h"
#include "sipdp_msg.h"
#include "sipdp_msg_hdr.h"
#include "sipdp_pool.h"
#include "sipdp_tsx.h"

/* tsx.flags */
#define TSX_F_RELIABLE  0x01u /* transport is reliable: no A/E/G, D/I/J/K = 0 */
#define TSX_F_RFC2543   0x02u /* server: no magic cookie, §17.2.3 fallback key */
#define TSX_F_MERGE     0x04u /* server: in the merged-request chain */
#define TSX_F_HASHED    0x08u /* server: in the match chain */
#define TSX_F_SENT      0x10u /* client: request sent */
#define TSX_F_ZOMBIE    0x20u /* ICT terminated, slot kept for its CANCEL */
#define TSX_F_TIMER     0x40u /* a wheel entry is armed */
#define TSX_F_CONN      0x80u /* bound to a connection: counted in conn_live */

/* Server branches are kept inline up to this length for the exact compare;
 * the rest is covered by the keyed 64-bit hash (an attacker who does not
 * know the secret cannot aim a collision at someone else's transaction). */
#define TSX_BRANCH_KEEP 32u

#define TSX_NONE 0u /* index+1 links: 0 = none */

struct tsx {
	uint64_t key;          /* server: keyed hash of the §17.2.3 match key */
	uint64_t mkey;         /* server: keyed hash of From tag, Call-ID, CSeq */
	uint64_t user_ref;
	uint64_t retrans_at;   /* us; 0 = not running */
	uint64_t timeout_at;   /* us; 0 = not running */
	uint64_t timer;        /* wheel handle while TSX_F_TIMER */
	uint64_t armed_at;     /* deadline the wheel entry was armed for */
	uint32_t next;         /* match chain, index+1 */
	uint32_t mnext;        /* merge chain, index+1 */
	uint32_t chunk;        /* first kept chunk, index+1 */
	uint32_t kept_len;     /* bytes kept */
	uint32_t cseq;
	uint32_t interval_ms;  /* current A/E/G interval */
	uint32_t peer;         /* ICT <-> its CANCEL NICT, index+1 */
	uint32_t totag_hash;   /* RFC 2543: To tag of the request / our response */
	uint16_t last_status;
	uint8_t kind;          /* enum sipdp_tsx_kind */
	uint8_t state;         /* enum sipdp_tsx_state */
	uint8_t method;        /* enum sipdp_method of the request */
	uint8_t mclass;        /* match class: method, ACK counted as INVITE */
	uint8_t flags;         /* TSX_F_* */
	uint8_t branch_len;    /* server: full length (255 = longer) */
	char branch[TSX_BRANCH_KEEP];
	struct sipdp_tsx_dest dest;
};

struct sipdp_tsx_table {
	struct sipdp_pool *pool;    /* struct tsx records */
	uint32_t *buckets;          /* match chains, index+1 heads */
	uint32_t *mbuckets;         /* merged-request chains */
	uint32_t bucket_mask;

	/* Retransmission chunk pool: singly linked free list. */
	uint8_t *chunk_mem;
	uint32_t *chunk_next;       /* index+1 of the next chunk (free or kept) */
	uint32_t chunk_free;        /* head of the free list, index+1 */
	uint32_t chunks_free;       /* count */
	uint32_t chunks;
	uint32_t chunk_size;
	uint32_t chunk_shift;

	struct sipdp_timer_wheel *wheel;
	bool own_wheel;
	uint64_t expire_now;        /* now of the running sipdp_tsx_expire() */

	uint16_t shard_id;
	uint32_t t1_ms, t2_ms, t4_ms, d_ms;
	uint32_t retry_after_s;
	uint8_t shed_pct;           /* sipdp_tsx_set_shedding() */
	uint32_t shed_rng;          /* draws of the shedding (xorshift32) */
	bool auto_trying;
	uint64_t secret[2];
	uint64_t hash_key[2];       /* derived: server table hashing */
	uint32_t stateless_seq;
	uint32_t conn_live;         /* live transactions bound to a connection */

	sipdp_tsx_send_fn send;
	sipdp_tsx_event_fn on_event;
	void *user;

	struct sipdp_tsx_stats stats;

	char stateless_tag[16];     /* To tag of our stateless 503/482 */

	/* Scratch: gathered retransmissions, built 100/503/482/ACK, and the
	 * re-parsed INVITE the ACK of §17.1.1.3 is built from. */
	char *gather;               /* SIPDP_MSG_MAX_LEN */
	char *out;                  /* TSX_OUT_LEN */
	struct sipdp_msg *scratch_msg;
};

#define TSX_OUT_LEN 8192u

/* ---------------------------------------------------------------- core */

static inline uint32_t
tsx_idx(const struct sipdp_tsx_table *t, const struct tsx *x)
{
	return (uint32_t)(((const uint8_t *)x - t->pool->elts) / t->pool->elt_size);
}

static inline sipdp_handle_t
tsx_handle(const struct sipdp_tsx_table *t, const struct tsx *x)
{
	return sipdp_pool_handle_of(t->pool, x);
}

static inline struct tsx *
tsx_at(const struct sipdp_tsx_table *t, uint32_t idx)
{
	return (struct tsx *)sipdp_pool_at(t->pool, idx);
}

static inline bool
tsx_reliable(const struct tsx *x)
{
	return (x->flags & TSX_F_RELIABLE) != 0;
}

/* Live, usable transaction of a handle (zombies excluded), or NULL. */
struct tsx *tsx_get(const struct sipdp_tsx_table *t, sipdp_handle_t h);

/* Raise an event about @x (handle, kind, state, user_ref filled here). */
void tsx_raise(struct sipdp_tsx_table *t, struct tsx *x, uint8_t type, const struct sipdp_msg *m,
	       const struct sipdp_tsx_dest *src);

/* Terminate: stop the timer, drop kept bytes, unlink, raise TERMINATED,
 * free the slot (or keep it as a zombie while a CANCEL needs it). */
void tsx_terminate(struct sipdp_tsx_table *t, struct tsx *x);

/* Send @buf to the transaction's destination; on failure raise
 * TRANSPORT_ERROR and terminate. @return the send hook's result. */
int tsx_send(struct sipdp_tsx_table *t, struct tsx *x, const char *buf, uint32_t len);

/* Send the kept bytes again (retransmission). @return as tsx_send(), or 0
 * when nothing is kept. */
int tsx_resend(struct sipdp_tsx_table *t, struct tsx *x);

/* Keep a copy of @buf (replacing what was kept). @return 0, -ENOBUFS. */
int tsx_keep(struct sipdp_tsx_table *t, struct tsx *x, const char *buf, uint32_t len);
void tsx_unkeep(struct sipdp_tsx_table *t, struct tsx *x);
/* Copy the kept bytes into t->gather. @return their length. */
uint32_t tsx_gather(struct sipdp_tsx_table *t, const struct tsx *x);

/* 64 * T1 in microseconds (timers B, F, H, J, L, M). */
static inline uint64_t
tsx_64t1_us(const struct sipdp_tsx_table *t)
{
	return (uint64_t)t->t1_ms * 64u * 1000u;
}

static inline uint64_t
ms_us(uint32_t ms)
{
	return (uint64_t)ms * 1000u;
}

/* --------------------------------------------------------------- timers */

/* Re-arm the single wheel entry at min(retrans_at, timeout_at). */
void tsx_timer_update(struct sipdp_tsx_table *t, struct tsx *x);
void tsx_timer_stop(struct sipdp_tsx_table *t, struct tsx *x);
int tsx_timer_wheel_create(struct sipdp_tsx_table *t, uint32_t capacity, uint64_t now_us);
void tsx_timer_wheel_destroy(struct sipdp_tsx_table *t);
size_t tsx_timer_bytes_per_entry(const struct sipdp_tsx_table *t);
/* Dispatch a fired transaction timer to its machine. */
void tsx_timer_fire(struct sipdp_tsx_table *t, struct tsx *x, uint64_t now_us);

/* ------------------------------------------------------------- machines */

void tsx_ict_start(struct sipdp_tsx_table *t, struct tsx *x, uint64_t now_us);
int tsx_ict_on_response(struct sipdp_tsx_table *t, struct tsx *x, const struct sipdp_msg *m,
			const struct sipdp_tsx_dest *src, uint64_t now_us);
void tsx_ict_on_timer(struct sipdp_tsx_table *t, struct tsx *x, uint64_t now_us);

void tsx_nict_start(struct sipdp_tsx_table *t, struct tsx *x, uint64_t now_us);
int tsx_nict_on_response(struct sipdp_tsx_table *t, struct tsx *x, const struct sipdp_msg *m,
			 const struct sipdp_tsx_dest *src, uint64_t now_us);
void tsx_nict_on_timer(struct sipdp_tsx_table *t, struct tsx *x, uint64_t now_us);

/* Server: a retransmission (or ACK) that matched @x. @return enum sipdp_tsx_rx. */
int tsx_ist_on_request(struct sipdp_tsx_table *t, struct tsx *x, const struct sipdp_msg *m,
		       const struct sipdp_tsx_dest *src, uint64_t now_us);
int tsx_ist_respond(struct sipdp_tsx_table *t, struct tsx *x, uint16_t status, const char *buf,
		    uint32_t len, uint64_t now_us);
void tsx_ist_on_timer(struct sipdp_tsx_table *t, struct tsx *x, uint64_t now_us);

int tsx_nist_on_request(struct sipdp_tsx_table *t, struct tsx *x, const struct sipdp_msg *m,
			uint64_t now_us);
int tsx_nist_respond(struct sipdp_tsx_table *t, struct tsx *x, uint16_t status, const char *buf,
		     uint32_t len, uint64_t now_us);
void tsx_nist_on_timer(struct sipdp_tsx_table *t, struct tsx *x, uint64_t now_us);

/* ------------------------------------------------------------- branches */

/* Write our branch for (shard, idx, gen). */
void tsx_branch_encode(const struct sipdp_tsx_table *t, uint32_t idx, uint32_t gen, char *out);
/* Decode and verify one of our branches.
 * @return 0; -ENOENT (not our format at all); -EBADMSG (our prefix but
 *         malformed or a wrong check value); -EXDEV (another shard). */
int tsx_branch_decode(const struct sipdp_tsx_table *t, struct sipdp_str b, uint32_t *idx,
		      uint32_t *gen);

/* SipHash-2-4, incremental (branch check values, table keys). */
struct tsx_siphash {
	uint64_t v0, v1, v2, v3;
	uint64_t tail;
	uint32_t ntail;
	uint32_t total;
};
void tsx_siphash_init(struct tsx_siphash *s, const uint64_t key[2]);
void tsx_siphash_update(struct tsx_siphash *s, const void *p, uint32_t len);
/* Update with ASCII letters folded to lower case (hosts). */
void tsx_siphash_update_lower(struct tsx_siphash *s, const char *p, uint32_t len);
uint64_t tsx_siphash_final(struct tsx_siphash *s);

#endif /* SIPDP_TSX_PVT_H */
