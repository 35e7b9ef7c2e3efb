/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_DLG_H
#define SIPDP_DLG_H

/**
 * @file
 * Dialogs (RFC 3261 §12): identifiers, route set, CSeq, remote target, the
 * dialog state model and the per-shard dialog table.
 *
 * One table per shard (per lcore); nothing here is thread-safe. All memory
 * is taken by sipdp_dlg_create(); the per-message functions never allocate,
 * lock, log or read a clock.
 *
 * Identifiers. Call-IDs and tags we generate carry the owning shard and are
 * made by a keyed PRF (SipHash-2-4 keyed with params.secret), so they are
 * unique and unpredictable for anyone without the key, at the cost of one
 * or two PRF calls:
 *   Call-ID: "sd" <shard: 4 hex> <PRF(counter): 24 hex>            (30 chars)
 *   tag:     "sd" <shard: 4 hex> <slot: 8 hex> <PRF(slot, gen): 8 hex> (22)
 * A tag names the slot of its dialog (for a UAC, of the first dialog of the
 * dialog set; forks are chained from it), so a request or ACK inside a
 * dialog is located in O(1) from its To tag; the PRF value binds the slot's
 * generation, and Call-ID and remote tag are then compared in full.
 * Dialogs created by a peer's initial INVITE are also indexed by
 * (Call-ID, remote tag) in a keyed hash table sized at creation, so a late
 * retransmission of an INVITE whose transaction is gone is recognised.
 *
 * Memory. A dialog record is fixed-size: the strings a dialog needs (Call-ID,
 * local and remote From/To values with their tags, remote target, route
 * set, and for a UAC the INVITE's Request-URI and To for CANCEL) live in a
 * per-dialog arena of SIPDP_DLG_ARENA bytes. A dialog whose strings do not
 * fit (typically a very long Record-Route set) is refused with -ENOSPC and
 * counted (stats.arena_full); the UA layer answers 500 to such an INVITE.
 * The layer above (lib/ua) gets params.ext_size bytes per record for its own
 * per-dialog state (sipdp_dlg_ext()).
 *
 * Handles are index + generation (sipdp_pool.h): a handle of a freed dialog
 * never resolves again.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sipdp_msg.h"
#include "sipdp_pool.h"
#include "sipdp_str.h"
#include "sipdp_tsx.h"

/** Bytes of strings a dialog can hold (see Memory above). */
#define SIPDP_DLG_ARENA 448u
/** Transitions kept per dialog for debugging (ring buffer). */
#define SIPDP_DLG_HIST 8u
/** Length of our Call-IDs and tags. */
#define SIPDP_DLG_CALL_ID_LEN 30u
#define SIPDP_DLG_TAG_LEN 22u

/** Dialog states. UAC: Init -> Trying -> Ringing (early) -> Established ->
 *  Terminated. UAS: Init -> Ringing -> Established -> Terminated. Any
 *  state may go to Terminated; skipping forward is allowed (a 2xx without
 *  provisional), going back never is. */
enum sipdp_dlg_state {
	SIPDP_DLG_S_INIT = 0,    /**< created, nothing sent (UAC) / INVITE being decided (UAS) */
	SIPDP_DLG_S_TRYING,      /**< UAC: INVITE sent, no provisional with a To tag */
	SIPDP_DLG_S_RINGING,     /**< early dialog: 1xx with a To tag sent / received */
	SIPDP_DLG_S_ESTABLISHED, /**< 2xx sent / received (confirmed once the ACK is seen) */
	SIPDP_DLG_S_TERMINATED,
	SIPDP_DLG_S__COUNT
};

enum sipdp_dlg_role {
	SIPDP_DLG_UAC = 0,
	SIPDP_DLG_UAS = 1,
};

/** Why a dialog ended (sipdp_dlg.reason). */
enum sipdp_dlg_reason {
	SIPDP_DLG_R_NONE = 0,
	SIPDP_DLG_R_LOCAL_BYE,   /**< we sent BYE */
	SIPDP_DLG_R_REMOTE_BYE,  /**< the peer sent BYE */
	SIPDP_DLG_R_CANCELLED,   /**< INVITE cancelled (either side) */
	SIPDP_DLG_R_TIMEOUT,     /**< no final response (Timer B), or no ACK for our 2xx */
	SIPDP_DLG_R_REJECTED,    /**< non-2xx final (reason_code says which) */
	SIPDP_DLG_R_FORK_ENDED,  /**< early dialog of a fork that never answered */
	SIPDP_DLG_R_TRANSPORT,   /**< send failure */
	SIPDP_DLG_R_LOCAL,       /**< ended locally without signalling (shutdown, error) */
	SIPDP_DLG_R__COUNT
};

/** Events recorded in the history (what caused a transition). */
enum sipdp_dlg_event {
	SIPDP_DLG_EV_CREATE = 0,
	SIPDP_DLG_EV_TX_INVITE,
	SIPDP_DLG_EV_RX_1XX,
	SIPDP_DLG_EV_RX_2XX,
	SIPDP_DLG_EV_RX_FINAL,   /**< non-2xx */
	SIPDP_DLG_EV_TX_1XX,
	SIPDP_DLG_EV_TX_2XX,
	SIPDP_DLG_EV_TX_FINAL,
	SIPDP_DLG_EV_RX_ACK,
	SIPDP_DLG_EV_RX_CANCEL,
	SIPDP_DLG_EV_TX_CANCEL,
	SIPDP_DLG_EV_RX_BYE,
	SIPDP_DLG_EV_TX_BYE,
	SIPDP_DLG_EV_TIMEOUT,
	SIPDP_DLG_EV_FORK_END,
	SIPDP_DLG_EV_TRANSPORT,
	SIPDP_DLG_EV_LOCAL,
	SIPDP_DLG_EV__COUNT
};

/** Where a string sits in a dialog's arena. */
struct sipdp_dlg_sref {
	uint16_t off;
	uint16_t len;
};

/** One transition of the history. */
struct sipdp_dlg_hist {
	uint32_t at_ms;   /**< low 32 bits of now in milliseconds */
	uint16_t status;  /**< status code involved, 0 = none */
	uint8_t from_to;  /**< from << 4 | to */
	uint8_t event;    /**< enum sipdp_dlg_event */
};

/* sipdp_dlg.flags */
#define SIPDP_DLG_F_HASHED     0x0001u /**< in the (Call-ID, remote tag) table */
#define SIPDP_DLG_F_REMOTE_SEQ 0x0002u /**< remote_cseq is set */
#define SIPDP_DLG_F_HAS_RTAG   0x0004u /**< remote tag known */
#define SIPDP_DLG_F_STRICT     0x0008u /**< first route is a strict router (no ;lr) */
#define SIPDP_DLG_F_ANCHOR     0x0010u /**< terminated set head kept for its forks */
#define SIPDP_DLG_F_SECURE     0x0020u /**< sips Request-URI (§12.1.1) */

/**
 * A dialog record. Visible so that lib/ua can read it without calls; its
 * fields are written only by the functions below (and ext by lib/ua).
 */
struct sipdp_dlg {
	uint64_t hkey;           /* keyed hash of (Call-ID, remote tag) */
	uint32_t hnext;          /* hash chain, index+1 */
	uint32_t set_head;       /* index+1 of the set head (own index+1 for a head) */
	uint32_t set_next;       /* next dialog of the set, index+1 */
	uint32_t local_cseq;     /**< last CSeq number we used */
	uint32_t remote_cseq;    /**< last CSeq number of the peer (F_REMOTE_SEQ) */
	uint16_t flags;          /**< SIPDP_DLG_F_* */
	uint8_t state;           /**< enum sipdp_dlg_state */
	uint8_t role;            /**< enum sipdp_dlg_role */
	uint8_t reason;          /**< enum sipdp_dlg_reason, once terminated */
	uint8_t nroutes;         /**< entries of the route set */
	uint8_t hist_next;       /* ring position */
	uint8_t hist_n;
	uint16_t reason_code;    /**< status with the reason (REJECTED: the final) */
	uint16_t arena_used;
	uint16_t mut_off;        /* first byte of the part rewritten by updates */
	uint16_t reserved;
	struct sipdp_dlg_sref call_id;
	struct sipdp_dlg_sref local_hdr;  /**< From value we send, with our tag */
	struct sipdp_dlg_sref local_tag;
	struct sipdp_dlg_sref invite_ruri; /**< UAC: Request-URI of the INVITE (CANCEL) */
	struct sipdp_dlg_sref invite_to;   /**< UAC: To of the INVITE, no tag (CANCEL) */
	struct sipdp_dlg_sref invite_route; /**< UAC: Route of the INVITE (CANCEL) */
	struct sipdp_dlg_sref remote_hdr;  /**< To value we send, with the remote tag */
	struct sipdp_dlg_sref remote_tag;
	struct sipdp_dlg_sref route;       /**< route set, one comma-separated value */
	struct sipdp_dlg_sref target;      /**< remote target URI (no < >) */
	struct sipdp_tsx_dest peer;        /**< where the peer's last request came
					        from / where we send (embedder's) */
	struct sipdp_dlg_hist hist[SIPDP_DLG_HIST];
	char arena[SIPDP_DLG_ARENA];
};

struct sipdp_dlg_table; /* opaque, one per shard */

struct sipdp_dlg_params {
	uint32_t capacity;  /**< dialogs, > 0 */
	uint16_t shard_id;  /**< written into our Call-IDs and tags */
	uint32_t ext_size;  /**< bytes per dialog for the layer above (<= 4096) */
	uint64_t secret[2]; /**< PRF key (random per boot, from the embedder) */
};

struct sipdp_dlg_stats {
	uint64_t created;
	uint64_t freed;
	uint64_t full;           /**< allocations refused: table full */
	uint64_t arena_full;     /**< dialogs refused: strings did not fit */
	uint64_t bad_transition; /**< refused state transitions (bugs) */
	uint64_t bad_tag;        /**< tags with our prefix that failed the check */
	uint64_t cseq_500;       /**< §12.2.2 lower CSeq */
};

/**
 * Create a table. Allocates everything it will ever use.
 * @return 0; -EINVAL (zero capacity, NULL, ext_size too big); -ENOMEM.
 */
int sipdp_dlg_create(const struct sipdp_dlg_params *params, struct sipdp_dlg_table **out);

/** Free a table. NULL is accepted. */
void sipdp_dlg_destroy(struct sipdp_dlg_table *t);

/**
 * Allocate a dialog in state Init with its local tag (see Identifiers).
 * @param role  enum sipdp_dlg_role.
 * @param d,h   out: the record and its handle.
 * @return 0; -ENOSPC (table full, stats.full moves).
 */
int sipdp_dlg_alloc(struct sipdp_dlg_table *t, enum sipdp_dlg_role role, uint64_t now_us,
		    struct sipdp_dlg **d, sipdp_handle_t *h);

/**
 * Free a dialog: unhash, unlink from its set. A set head with live forks is
 * kept as an anchor (its slot names the set's local tag) until the last fork
 * is freed; its handle no longer resolves with sipdp_dlg_get().
 */
void sipdp_dlg_free(struct sipdp_dlg_table *t, struct sipdp_dlg *d);

/** Dialog of a handle, NULL when stale (freed, anchor, foreign). */
struct sipdp_dlg *sipdp_dlg_get(const struct sipdp_dlg_table *t, sipdp_handle_t h);

/** Like sipdp_dlg_get() but also resolves a terminated set head kept as an
 *  anchor for its forks (lib/ua routes the INVITE's responses through it). */
struct sipdp_dlg *sipdp_dlg_get_any(const struct sipdp_dlg_table *t, sipdp_handle_t h);

/** Handle of a live record. */
sipdp_handle_t sipdp_dlg_handle(const struct sipdp_dlg_table *t, const struct sipdp_dlg *d);

/** Per-dialog bytes of the layer above (params.ext_size, 8-byte aligned). */
static inline void *
sipdp_dlg_ext(struct sipdp_dlg *d)
{
	return (void *)(d + 1);
}

/** A string of the dialog. */
static inline struct sipdp_str
sipdp_dlg_str(const struct sipdp_dlg *d, struct sipdp_dlg_sref r)
{
	return sipdp_str_make(d->arena + r.off, r.len);
}

/** The set head of a dialog (itself for a head). */
struct sipdp_dlg *sipdp_dlg_head(const struct sipdp_dlg_table *t, const struct sipdp_dlg *d);
/** Next dialog of the same set (UAC forks), NULL at the end. */
struct sipdp_dlg *sipdp_dlg_set_next(const struct sipdp_dlg_table *t, const struct sipdp_dlg *d);

/* ------------------------------------------------------------ identifiers */

/** Write a new Call-ID (SIPDP_DLG_CALL_ID_LEN bytes, not NUL-terminated). */
void sipdp_dlg_new_call_id(struct sipdp_dlg_table *t, char out[SIPDP_DLG_CALL_ID_LEN]);

/**
 * A branch for an ACK to a 2xx (§13.2.2.4): "z9hG4bK" "sdA" <shard 4 hex>
 * <PRF 16 hex> (30 chars), a function of the dialog and @p cseq, so each
 * retransmitted ACK is byte-identical without being stored.
 */
#define SIPDP_DLG_ACK_BRANCH_LEN 30u
void sipdp_dlg_ack_branch(const struct sipdp_dlg_table *t, const struct sipdp_dlg *d, uint32_t cseq,
			  char out[SIPDP_DLG_ACK_BRANCH_LEN]);

/**
 * Shard encoded in one of our identifiers: a Call-ID or tag ("sd" prefix)
 * or a Via branch (lib/tsx format or our ACK branches). Cheap, no key: the
 * owning shard verifies.
 * @return 0; -EINVAL when @p id is not in our format.
 */
int sipdp_dlg_id_shard(struct sipdp_str id, uint16_t *shard);

/** The keyed PRF (SipHash-2-4 of two 64-bit words), exposed for lib/ua. */
uint64_t sipdp_dlg_prf(const struct sipdp_dlg_table *t, uint64_t a, uint64_t b);

/* ----------------------------------------------------------------- lookup */

/**
 * Dialog of an in-dialog message by its local tag (To tag of a request we
 * receive, From tag of a response), Call-ID and remote tag, walking the
 * forks of a set. @p remote_tag may be NULL-view to match a UAC dialog that
 * has no remote tag yet.
 * @return the dialog or NULL (not ours, stale, or no such dialog).
 */
struct sipdp_dlg *sipdp_dlg_find(struct sipdp_dlg_table *t, struct sipdp_str call_id,
				 struct sipdp_str local_tag, struct sipdp_str remote_tag);

/** UAS dialog created by a request with this Call-ID and From tag (hash
 *  lookup), NULL when none. */
struct sipdp_dlg *sipdp_dlg_find_remote(struct sipdp_dlg_table *t, struct sipdp_str call_id,
					struct sipdp_str remote_tag);

/* ------------------------------------------------------ creation, update */

/**
 * Fill a UAS dialog from the request that creates it (§12.1.1): Call-ID,
 * remote From (with its tag), our To with our tag, remote target from
 * Contact, route set from Record-Route (in order), remote CSeq, peer; and
 * index it by (Call-ID, remote tag).
 * @return 0; -EBADMSG (no From tag, no or bad Contact, bad Record-Route);
 *         -ENOSPC (strings do not fit the arena: stats.arena_full).
 */
int sipdp_dlg_init_uas(struct sipdp_dlg_table *t, struct sipdp_dlg *d, const struct sipdp_msg *req,
		       const struct sipdp_tsx_dest *src);

/**
 * Fill a UAC dialog before its INVITE is sent (§12.1.2 needs the response):
 * @param call_id  Call-ID (empty: generate one)
 * @param from     From name-addr without tag ("<sip:a@x>" or with display)
 * @param to       To name-addr without tag
 * @param ruri     Request-URI (also the remote target until a Contact arrives)
 * @param route    pre-loaded route set (one comma-separated Route value) or empty
 * @return 0; -EINVAL (empty from/to/ruri); -ENOSPC (arena).
 */
int sipdp_dlg_init_uac(struct sipdp_dlg_table *t, struct sipdp_dlg *d, struct sipdp_str call_id,
		       struct sipdp_str from, struct sipdp_str to, struct sipdp_str ruri,
		       struct sipdp_str route, const struct sipdp_tsx_dest *dest);

/**
 * A new UAC dialog of the same set as @p head (forking, §12.1.2 / §13.2.2.4):
 * copies Call-ID, local From and tag, INVITE Request-URI and To, links it
 * to the set. The remote side is then set with sipdp_dlg_update_uac().
 * @return 0; -ENOSPC (arena).
 */
int sipdp_dlg_fork(struct sipdp_dlg_table *t, struct sipdp_dlg *head, struct sipdp_dlg *d);

/**
 * UAC: take the remote side from a response that creates or confirms the
 * dialog (§12.1.2, §13.2.2.4: recomputed from the 2xx): remote To (with its
 * tag), route set from Record-Route in reverse order, remote target from
 * Contact (kept when the response has none).
 * @return 0; -EBADMSG; -ENOSPC (arena; the dialog is unchanged).
 */
int sipdp_dlg_update_uac(struct sipdp_dlg_table *t, struct sipdp_dlg *d, const struct sipdp_msg *resp);

/**
 * Target refresh (§12.2.1.2, §12.2.2): replace the remote target with the
 * Contact of @p m when it has one.
 * @return 0 (also when there is no Contact); -EBADMSG; -ENOSPC (too long:
 *         the old target is kept).
 */
int sipdp_dlg_refresh_target(struct sipdp_dlg_table *t, struct sipdp_dlg *d, const struct sipdp_msg *m);

/**
 * §12.2.2 check of a request received in @p d: a CSeq lower than (or equal
 * to) the last one is out of order; else the remote CSeq is recorded.
 * ACK and CANCEL are not checked (they reuse the INVITE's number).
 * @return 0, or 500 (stats.cseq_500 moves).
 */
int sipdp_dlg_check_request(struct sipdp_dlg_table *t, struct sipdp_dlg *d, uint32_t cseq,
			    enum sipdp_method method);

/** Next local CSeq number (increments and returns it). */
static inline uint32_t
sipdp_dlg_next_cseq(struct sipdp_dlg *d)
{
	return ++d->local_cseq;
}

/* ------------------------------------------------------------------ state */

/**
 * Move @p d to @p to because of @p ev, recording it in the history.
 * Terminated also records @p reason and @p status.
 * @return 0; -EINVAL for a transition the model refuses (nothing changes,
 *         stats.bad_transition moves, the attempt is still recorded).
 */
int sipdp_dlg_set_state(struct sipdp_dlg_table *t, struct sipdp_dlg *d, enum sipdp_dlg_state to,
			enum sipdp_dlg_event ev, uint16_t status, enum sipdp_dlg_reason reason,
			uint64_t now_us);

/** Record an event without a state change (history only). */
void sipdp_dlg_note(struct sipdp_dlg *d, enum sipdp_dlg_event ev, uint16_t status, uint64_t now_us);

/** True when the model allows @p from -> @p to for @p role. */
bool sipdp_dlg_transition_ok(enum sipdp_dlg_role role, enum sipdp_dlg_state from,
			     enum sipdp_dlg_state to);

/** "Init", "Trying", "Ringing", "Established", "Terminated" ("?" otherwise). */
const char *sipdp_dlg_state_str(enum sipdp_dlg_state s);
/** "local-bye", "remote-bye", "cancelled", ... ("?" otherwise). */
const char *sipdp_dlg_reason_str(enum sipdp_dlg_reason r);
/** "create", "tx-invite", "rx-1xx", ... ("?" otherwise). */
const char *sipdp_dlg_event_str(enum sipdp_dlg_event e);

/* ------------------------------------------------------- stats and dumps */

const struct sipdp_dlg_stats *sipdp_dlg_stats(const struct sipdp_dlg_table *t);
/** Dialogs allocated now (anchors included). */
uint32_t sipdp_dlg_count(const struct sipdp_dlg_table *t);
uint32_t sipdp_dlg_capacity(const struct sipdp_dlg_table *t);

/**
 * Walk the live dialogs (anchors included) in slot order, looking at most
 * at @p max_scan slots per call. Start with *cursor = 0.
 * @return the next live dialog (*cursor is past it), or NULL: either the
 *         walk is over (*cursor == sipdp_dlg_capacity()) or @p max_scan
 *         slots were empty (call again to go on). Owning shard.
 */
struct sipdp_dlg *sipdp_dlg_next(const struct sipdp_dlg_table *t, uint32_t *cursor,
				 uint32_t max_scan);

/** Time (low 32 bits of ms, as in the history) of the oldest transition
 *  kept: the creation unless SIPDP_DLG_HIST transitions came after. */
uint32_t sipdp_dlg_created_ms(const struct sipdp_dlg *d);
/** Bytes the table holds per dialog of capacity: record, ext, pool
 *  bookkeeping and hash buckets (memory budgets). */
size_t sipdp_dlg_bytes_per_dialog(const struct sipdp_dlg_table *t);

/** Print one dialog (ids, state, strings, history). @return 0, -EIO. */
int sipdp_dlg_dump_one(const struct sipdp_dlg_table *t, const struct sipdp_dlg *d, FILE *f);
/** Print the counters and every live dialog. Cold path. @return 0, -EIO. */
int sipdp_dlg_dump(const struct sipdp_dlg_table *t, FILE *f);

#endif /* SIPDP_DLG_H */
