/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-shard dialog table: slots, dialog sets (UAC forks), the
 * (Call-ID, remote tag) index, the state model and the history.
 */
#include <errno.h>
#include <string.h>

#include "dlg_pvt.h"

/* ------------------------------------------------------------ slots */

int
sipdp_dlg_alloc(struct sipdp_dlg_table *t, enum sipdp_dlg_role role, uint64_t now_us,
		struct sipdp_dlg **dp, sipdp_handle_t *hp)
{
	struct sipdp_dlg *d;
	sipdp_handle_t h = sipdp_pool_alloc(t->pool, (void **)&d);

	if (SIPDP_UNLIKELY(h == SIPDP_HANDLE_INVALID)) {
		t->stats.full++;
		return -ENOSPC;
	}
	/* Everything but the arena: its bytes are written before being read. */
	memset(d, 0, offsetof(struct sipdp_dlg, arena));
	d->role = (uint8_t)role;
	d->set_head = sipdp_handle_index(h) + 1;
	t->stats.created++;
	sipdp_dlg_note(d, SIPDP_DLG_EV_CREATE, 0, now_us);
	*dp = d;
	*hp = h;
	return 0;
}

static void
hash_unlink(struct sipdp_dlg_table *t, struct sipdp_dlg *d)
{
	uint32_t me = dlg_idx(t, d) + 1;
	uint32_t *link = &t->buckets[d->hkey & t->bucket_mask];

	while (*link != DLG_NONE) {
		struct sipdp_dlg *y = dlg_at(t, *link - 1);
		if (*link == me) {
			*link = y->hnext;
			break;
		}
		link = &y->hnext;
	}
	d->flags &= (uint16_t)~SIPDP_DLG_F_HASHED;
}

static void
slot_free(struct sipdp_dlg_table *t, struct sipdp_dlg *d)
{
	t->stats.freed++;
	sipdp_pool_free(t->pool, sipdp_pool_handle_of(t->pool, d));
}

void
sipdp_dlg_free(struct sipdp_dlg_table *t, struct sipdp_dlg *d)
{
	uint32_t me = dlg_idx(t, d) + 1;

	if (d->flags & SIPDP_DLG_F_HASHED)
		hash_unlink(t, d);
	if (d->set_head != me) {
		/* A fork: unlink it from its head's chain. */
		struct sipdp_dlg *head = dlg_at(t, d->set_head - 1);
		uint32_t *link = &head->set_next;
		while (*link != DLG_NONE && *link != me)
			link = &dlg_at(t, *link - 1)->set_next;
		if (*link == me)
			*link = d->set_next;
		slot_free(t, d);
		if ((head->flags & SIPDP_DLG_F_ANCHOR) && head->set_next == DLG_NONE)
			slot_free(t, head);
		return;
	}
	if (d->set_next != DLG_NONE) {
		/* The set's local tag names this slot: keep it while forks live. */
		d->flags |= SIPDP_DLG_F_ANCHOR;
		d->state = SIPDP_DLG_S_TERMINATED;
		return;
	}
	slot_free(t, d);
}

struct sipdp_dlg *
sipdp_dlg_get(const struct sipdp_dlg_table *t, sipdp_handle_t h)
{
	struct sipdp_dlg *d = sipdp_pool_get(t->pool, h);

	if (d == NULL || (d->flags & SIPDP_DLG_F_ANCHOR))
		return NULL;
	return d;
}

struct sipdp_dlg *
sipdp_dlg_get_any(const struct sipdp_dlg_table *t, sipdp_handle_t h)
{
	return sipdp_pool_get(t->pool, h);
}

sipdp_handle_t
sipdp_dlg_handle(const struct sipdp_dlg_table *t, const struct sipdp_dlg *d)
{
	return sipdp_pool_handle_of(t->pool, d);
}

struct sipdp_dlg *
sipdp_dlg_head(const struct sipdp_dlg_table *t, const struct sipdp_dlg *d)
{
	return dlg_at(t, d->set_head - 1);
}

struct sipdp_dlg *
sipdp_dlg_set_next(const struct sipdp_dlg_table *t, const struct sipdp_dlg *d)
{
	return d->set_next != DLG_NONE ? dlg_at(t, d->set_next - 1) : NULL;
}

/* ----------------------------------------------------------- lookup */

uint64_t
dlg_hash_key(const struct sipdp_dlg_table *t, struct sipdp_str call_id, struct sipdp_str rtag)
{
	/* Keyed: a peer cannot aim Call-IDs at one bucket. The two strings
	 * are joined with a byte that cannot occur in a Call-ID. */
	char buf[256];
	uint32_t n = 0;

	if (call_id.len + rtag.len + 1 > sizeof(buf)) {
		return dlg_siphash(t->hkey, call_id.p, call_id.len) ^
		       (dlg_siphash(t->hkey, rtag.p, rtag.len) * 0x9e3779b97f4a7c15ull);
	}
	memcpy(buf, call_id.p, call_id.len);
	n = call_id.len;
	buf[n++] = ' ';
	if (rtag.len)
		memcpy(buf + n, rtag.p, rtag.len);
	n += rtag.len;
	return dlg_siphash(t->hkey, buf, n);
}

void
dlg_hash_insert(struct sipdp_dlg_table *t, struct sipdp_dlg *d)
{
	uint32_t *head;

	d->hkey = dlg_hash_key(t, sipdp_dlg_str(d, d->call_id), sipdp_dlg_str(d, d->remote_tag));
	head = &t->buckets[d->hkey & t->bucket_mask];
	d->hnext = *head;
	*head = dlg_idx(t, d) + 1;
	d->flags |= SIPDP_DLG_F_HASHED;
}

struct sipdp_dlg *
sipdp_dlg_find_remote(struct sipdp_dlg_table *t, struct sipdp_str call_id, struct sipdp_str rtag)
{
	uint64_t k = dlg_hash_key(t, call_id, rtag);
	uint32_t i = t->buckets[k & t->bucket_mask];

	while (i != DLG_NONE) {
		struct sipdp_dlg *d = dlg_at(t, i - 1);
		if (d->hkey == k && sipdp_str_eq(sipdp_dlg_str(d, d->call_id), call_id) &&
		    sipdp_str_eq(sipdp_dlg_str(d, d->remote_tag), rtag))
			return d;
		i = d->hnext;
	}
	return NULL;
}

static bool
remote_matches(const struct sipdp_dlg *d, struct sipdp_str rtag)
{
	if (!(d->flags & SIPDP_DLG_F_HAS_RTAG))
		return !sipdp_str_present(rtag) || rtag.len == 0;
	return sipdp_str_eq(sipdp_dlg_str(d, d->remote_tag), rtag);
}

struct sipdp_dlg *
sipdp_dlg_find(struct sipdp_dlg_table *t, struct sipdp_str call_id, struct sipdp_str ltag,
	       struct sipdp_str rtag)
{
	uint64_t idx, mac;
	struct sipdp_dlg *d;
	char want[SIPDP_DLG_TAG_LEN];

	if (ltag.len != SIPDP_DLG_TAG_LEN || ltag.p[0] != 's' || ltag.p[1] != 'd' ||
	    memcmp(ltag.p + 2, t->shard_hex, 4) != 0)
		return NULL;
	if (dlg_unhex(ltag.p + 6, 8, &idx) != 0 || dlg_unhex(ltag.p + 14, 8, &mac) != 0 ||
	    idx >= t->pool->capacity || !(t->pool->gen[idx] & 1)) {
		t->stats.bad_tag++;
		return NULL;
	}
	/* The PRF value binds the slot's generation: a tag of a dialog since
	 * freed (and its slot reused) no longer checks. */
	dlg_make_tag(t, (uint32_t)idx, t->pool->gen[idx], want);
	if (memcmp(want + 14, ltag.p + 14, 8) != 0) {
		t->stats.bad_tag++;
		return NULL;
	}
	d = dlg_at(t, (uint32_t)idx);
	if (d->set_head != idx + 1 || !sipdp_str_eq(sipdp_dlg_str(d, d->call_id), call_id))
		return NULL;
	for (; d != NULL; d = sipdp_dlg_set_next(t, d)) {
		if (!(d->flags & SIPDP_DLG_F_ANCHOR) && remote_matches(d, rtag))
			return d;
	}
	return NULL;
}

/* ------------------------------------------------------------ states */

#define B(s) (1u << SIPDP_DLG_S_##s)
/* allowed[role][from]: bit set of the states it may go to. */
static const uint8_t allowed[2][SIPDP_DLG_S__COUNT] = {
	[SIPDP_DLG_UAC] = {
		[SIPDP_DLG_S_INIT] = B(TRYING) | B(RINGING) | B(ESTABLISHED) | B(TERMINATED),
		[SIPDP_DLG_S_TRYING] = B(RINGING) | B(ESTABLISHED) | B(TERMINATED),
		[SIPDP_DLG_S_RINGING] = B(ESTABLISHED) | B(TERMINATED),
		[SIPDP_DLG_S_ESTABLISHED] = B(TERMINATED),
	},
	[SIPDP_DLG_UAS] = {
		[SIPDP_DLG_S_INIT] = B(RINGING) | B(ESTABLISHED) | B(TERMINATED),
		[SIPDP_DLG_S_RINGING] = B(ESTABLISHED) | B(TERMINATED),
		[SIPDP_DLG_S_ESTABLISHED] = B(TERMINATED),
	},
};
#undef B

bool
sipdp_dlg_transition_ok(enum sipdp_dlg_role role, enum sipdp_dlg_state from, enum sipdp_dlg_state to)
{
	if ((unsigned)role > SIPDP_DLG_UAS || from >= SIPDP_DLG_S__COUNT || to >= SIPDP_DLG_S__COUNT)
		return false;
	return (allowed[role][from] >> to) & 1u;
}

static void
hist_add(struct sipdp_dlg *d, uint8_t from, uint8_t to, uint8_t ev, uint16_t status, uint64_t now_us)
{
	struct sipdp_dlg_hist *h = &d->hist[d->hist_next];

	h->at_ms = (uint32_t)(now_us / 1000u);
	h->status = status;
	h->from_to = (uint8_t)(from << 4 | (to & 15));
	h->event = ev;
	d->hist_next = (uint8_t)((d->hist_next + 1) % SIPDP_DLG_HIST);
	if (d->hist_n < SIPDP_DLG_HIST)
		d->hist_n++;
}

void
sipdp_dlg_note(struct sipdp_dlg *d, enum sipdp_dlg_event ev, uint16_t status, uint64_t now_us)
{
	hist_add(d, d->state, d->state, (uint8_t)ev, status, now_us);
}

int
sipdp_dlg_set_state(struct sipdp_dlg_table *t, struct sipdp_dlg *d, enum sipdp_dlg_state to,
		    enum sipdp_dlg_event ev, uint16_t status, enum sipdp_dlg_reason reason,
		    uint64_t now_us)
{
	uint8_t from = d->state;

	hist_add(d, from, (uint8_t)to, (uint8_t)ev, status, now_us);
	if (!sipdp_dlg_transition_ok((enum sipdp_dlg_role)d->role, (enum sipdp_dlg_state)from, to)) {
		t->stats.bad_transition++;
		return -EINVAL;
	}
	d->state = (uint8_t)to;
	if (to == SIPDP_DLG_S_TERMINATED) {
		d->reason = (uint8_t)reason;
		d->reason_code = status;
	}
	return 0;
}

const char *
sipdp_dlg_state_str(enum sipdp_dlg_state s)
{
	static const char *const n[] = { "Init", "Trying", "Ringing", "Established", "Terminated" };
	return (unsigned)s < SIPDP_ARRAY_SIZE(n) ? n[s] : "?";
}

const char *
sipdp_dlg_reason_str(enum sipdp_dlg_reason r)
{
	static const char *const n[] = { "none", "local-bye", "remote-bye", "cancelled", "timeout",
					 "rejected", "fork-ended", "transport", "local" };
	return (unsigned)r < SIPDP_ARRAY_SIZE(n) ? n[r] : "?";
}

const char *
sipdp_dlg_event_str(enum sipdp_dlg_event e)
{
	static const char *const n[] = { "create", "tx-invite", "rx-1xx", "rx-2xx", "rx-final",
					 "tx-1xx", "tx-2xx", "tx-final", "rx-ack", "rx-cancel",
					 "tx-cancel", "rx-bye", "tx-bye", "timeout", "fork-end",
					 "transport", "local" };
	return (unsigned)e < SIPDP_ARRAY_SIZE(n) ? n[e] : "?";
}

/* ------------------------------------------------------------ stats */

const struct sipdp_dlg_stats *
sipdp_dlg_stats(const struct sipdp_dlg_table *t)
{
	return &t->stats;
}

uint32_t
sipdp_dlg_count(const struct sipdp_dlg_table *t)
{
	return sipdp_pool_in_use(t->pool);
}

uint32_t
sipdp_dlg_capacity(const struct sipdp_dlg_table *t)
{
	return sipdp_pool_capacity(t->pool);
}
