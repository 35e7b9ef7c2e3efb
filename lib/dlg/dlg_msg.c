/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dialog state from messages (RFC 3261 §12.1, §12.2): what a dialog keeps
 * of the request or response that creates it, target refresh and the CSeq
 * rule of §12.2.2. Strings go into the dialog's fixed arena; nothing is
 * allocated. Arena layout: the immutable part first (Call-ID, our From/To
 * with our tag, for a UAC the INVITE's Request-URI, To and Route for a
 * CANCEL), then from mut_off the remote side (remote To/From, route set)
 * and last the remote target, so a target refresh rewrites only the tail.
 */
#include <errno.h>
#include <string.h>

#include "dlg_pvt.h"
#include "sipdp_msg_hdr.h"

/* Most Record-Route entries a dialog takes (more: -ENOSPC). */
#define DLG_MAX_ROUTES 16u

static inline bool
fits(const struct sipdp_dlg *d, uint32_t n)
{
	return (uint32_t)d->arena_used + n <= SIPDP_DLG_ARENA;
}

static inline void
put(struct sipdp_dlg *d, struct sipdp_dlg_sref *r, const char *p, uint32_t n)
{
	r->off = d->arena_used;
	r->len = (uint16_t)n;
	if (n)
		memcpy(d->arena + d->arena_used, p, n);
	d->arena_used = (uint16_t)(d->arena_used + n);
}

static inline void
cat(struct sipdp_dlg *d, struct sipdp_dlg_sref *r, const char *p, uint32_t n)
{
	if (n)
		memcpy(d->arena + d->arena_used, p, n);
	d->arena_used = (uint16_t)(d->arena_used + n);
	r->len = (uint16_t)(r->len + n);
}

/* Remote target: the URI of the first Contact (§12.1.1). */
static int
contact_uri(const struct sipdp_msg *m, struct sipdp_str *uri)
{
	struct sipdp_str cur = sipdp_msg_hdr_value(m, SIPDP_HDR_CONTACT);
	struct sipdp_contact c;

	if (!sipdp_str_present(cur))
		return -ENOENT;
	if (sipdp_contact_next(&cur, &c) != 1 || c.star)
		return -EBADMSG;
	*uri = c.na.uri;
	return 0;
}

/* Collect Record-Route entries across all its headers. */
static int
rr_collect(const struct sipdp_msg *m, struct sipdp_str *items, uint32_t *n)
{
	*n = 0;
	for (const struct sipdp_hdr *h = sipdp_msg_hdr(m, SIPDP_HDR_RECORD_ROUTE); h;
	     h = sipdp_msg_hdr_next(m, h)) {
		struct sipdp_str cur = h->value, it;
		int rc;
		while ((rc = sipdp_list_next(&cur, &it)) == 1) {
			if (*n == DLG_MAX_ROUTES)
				return -ENOSPC;
			items[(*n)++] = it;
		}
		if (rc < 0)
			return -EBADMSG;
	}
	return 0;
}

/* §12.2.1.1: a first route without ;lr is a strict router. */
static bool
is_strict(struct sipdp_str first)
{
	struct sipdp_nameaddr na;
	struct sipdp_uri u;

	if (sipdp_nameaddr_parse(first, &na) != 0 || sipdp_uri_parse(na.uri, &u) != 0)
		return false;
	return sipdp_param_find(u.params, SIPDP_STR("lr"), NULL) != 0;
}

/* Write the route set from @items in order (UAS) or reversed (UAC). */
static int
put_routes(struct sipdp_dlg *d, const struct sipdp_str *items, uint32_t n, bool reverse)
{
	uint32_t need = 0;

	for (uint32_t i = 0; i < n; i++)
		need += items[i].len + 2;
	if (!fits(d, need))
		return -ENOSPC;
	put(d, &d->route, NULL, 0);
	for (uint32_t i = 0; i < n; i++) {
		struct sipdp_str s = items[reverse ? n - 1 - i : i];
		if (i)
			cat(d, &d->route, ", ", 2);
		cat(d, &d->route, s.p, s.len);
	}
	d->nroutes = (uint8_t)n;
	d->flags &= (uint16_t)~SIPDP_DLG_F_STRICT;
	if (n && is_strict(items[reverse ? n - 1 : 0]))
		d->flags |= SIPDP_DLG_F_STRICT;
	return 0;
}

int
sipdp_dlg_init_uas(struct sipdp_dlg_table *t, struct sipdp_dlg *d, const struct sipdp_msg *req,
		   const struct sipdp_tsx_dest *src)
{
	struct sipdp_str call_id = sipdp_msg_call_id(req);
	struct sipdp_str fromv = sipdp_msg_hdr_value(req, SIPDP_HDR_FROM);
	struct sipdp_str tov = sipdp_msg_hdr_value(req, SIPDP_HDR_TO);
	struct sipdp_str target, items[DLG_MAX_ROUTES];
	struct sipdp_nameaddr from;
	struct sipdp_cseq cs;
	char tag[SIPDP_DLG_TAG_LEN];
	uint32_t nrr, idx = dlg_idx(t, d);
	int rc;

	if (sipdp_msg_from(req, &from) != 0 || !sipdp_str_present(from.tag) || from.tag.len == 0 ||
	    sipdp_msg_cseq(req, &cs) != 0 || !sipdp_str_present(tov) || call_id.len == 0)
		return -EBADMSG;
	rc = contact_uri(req, &target);
	if (rc != 0)
		return -EBADMSG;
	rc = rr_collect(req, items, &nrr);
	if (rc == -EBADMSG)
		return rc;
	if (rc != 0 || !fits(d, call_id.len + fromv.len + tov.len + 5 + SIPDP_DLG_TAG_LEN +
				    target.len)) {
		t->stats.arena_full++;
		return -ENOSPC;
	}
	d->arena_used = 0;
	put(d, &d->call_id, call_id.p, call_id.len);
	put(d, &d->remote_hdr, fromv.p, fromv.len);
	d->remote_tag.off = (uint16_t)(d->remote_hdr.off + (from.tag.p - fromv.p));
	d->remote_tag.len = (uint16_t)from.tag.len;
	d->flags |= SIPDP_DLG_F_HAS_RTAG;
	dlg_make_tag(t, idx, t->pool->gen[idx], tag);
	put(d, &d->local_hdr, tov.p, tov.len);
	cat(d, &d->local_hdr, ";tag=", 5);
	d->local_tag.off = d->arena_used;
	d->local_tag.len = SIPDP_DLG_TAG_LEN;
	cat(d, &d->local_hdr, tag, SIPDP_DLG_TAG_LEN);
	d->mut_off = d->arena_used;
	if (put_routes(d, items, nrr, false) != 0 || !fits(d, target.len)) {
		t->stats.arena_full++;
		return -ENOSPC;
	}
	put(d, &d->target, target.p, target.len);
	d->remote_cseq = cs.num;
	d->flags |= SIPDP_DLG_F_REMOTE_SEQ;
	if (src)
		d->peer = *src;
	{
		struct sipdp_uri u;
		if (sipdp_uri_parse(req->ruri, &u) == 0 && u.scheme == SIPDP_URI_SIPS)
			d->flags |= SIPDP_DLG_F_SECURE;
	}
	dlg_hash_insert(t, d);
	return 0;
}

int
sipdp_dlg_init_uac(struct sipdp_dlg_table *t, struct sipdp_dlg *d, struct sipdp_str call_id,
		   struct sipdp_str from, struct sipdp_str to, struct sipdp_str ruri,
		   struct sipdp_str route, const struct sipdp_tsx_dest *dest)
{
	char tag[SIPDP_DLG_TAG_LEN], cid[SIPDP_DLG_CALL_ID_LEN];
	uint32_t idx = dlg_idx(t, d);

	if (from.len == 0 || to.len == 0 || ruri.len == 0)
		return -EINVAL;
	if (call_id.len == 0) {
		sipdp_dlg_new_call_id(t, cid);
		call_id = sipdp_str_make(cid, sizeof(cid));
	}
	/* Head: Call-ID, From+tag, R-URI, To, Route; then the copies the
	 * remote side starts from (To, route, target = R-URI). */
	if (!fits(d, call_id.len + from.len + 5 + SIPDP_DLG_TAG_LEN + 2 * (ruri.len + to.len + route.len))) {
		t->stats.arena_full++;
		return -ENOSPC;
	}
	d->arena_used = 0;
	put(d, &d->call_id, call_id.p, call_id.len);
	dlg_make_tag(t, idx, t->pool->gen[idx], tag);
	put(d, &d->local_hdr, from.p, from.len);
	cat(d, &d->local_hdr, ";tag=", 5);
	d->local_tag.off = d->arena_used;
	d->local_tag.len = SIPDP_DLG_TAG_LEN;
	cat(d, &d->local_hdr, tag, SIPDP_DLG_TAG_LEN);
	put(d, &d->invite_ruri, ruri.p, ruri.len);
	put(d, &d->invite_to, to.p, to.len);
	put(d, &d->invite_route, route.p, route.len);
	d->mut_off = d->arena_used;
	put(d, &d->remote_hdr, to.p, to.len);
	put(d, &d->route, route.p, route.len);
	put(d, &d->target, ruri.p, ruri.len);
	d->nroutes = route.len ? 1 : 0;
	if (dest)
		d->peer = *dest;
	{
		struct sipdp_uri u;
		if (sipdp_uri_parse(ruri, &u) == 0 && u.scheme == SIPDP_URI_SIPS)
			d->flags |= SIPDP_DLG_F_SECURE;
	}
	return 0;
}

int
sipdp_dlg_fork(struct sipdp_dlg_table *t, struct sipdp_dlg *head, struct sipdp_dlg *d)
{
	uint32_t hidx = dlg_idx(t, head);

	/* The immutable part and the initial remote side are the same bytes. */
	memcpy(d->arena, head->arena, head->mut_off);
	d->arena_used = head->mut_off;
	d->mut_off = head->mut_off;
	d->call_id = head->call_id;
	d->local_hdr = head->local_hdr;
	d->local_tag = head->local_tag;
	d->invite_ruri = head->invite_ruri;
	d->invite_to = head->invite_to;
	d->invite_route = head->invite_route;
	put(d, &d->remote_hdr, sipdp_dlg_str(head, head->invite_to).p, head->invite_to.len);
	put(d, &d->route, sipdp_dlg_str(head, head->invite_route).p, head->invite_route.len);
	put(d, &d->target, sipdp_dlg_str(head, head->invite_ruri).p, head->invite_ruri.len);
	d->local_cseq = head->local_cseq;
	d->peer = head->peer;
	d->flags |= (uint16_t)(head->flags & SIPDP_DLG_F_SECURE);
	d->set_head = hidx + 1;
	d->set_next = head->set_next;
	head->set_next = dlg_idx(t, d) + 1;
	return 0;
}

int
sipdp_dlg_update_uac(struct sipdp_dlg_table *t, struct sipdp_dlg *d, const struct sipdp_msg *resp)
{
	struct sipdp_str tov = sipdp_msg_hdr_value(resp, SIPDP_HDR_TO);
	struct sipdp_str target, items[DLG_MAX_ROUTES];
	struct sipdp_nameaddr to;
	char old[SIPDP_DLG_ARENA];
	uint32_t nrr, need;
	int rc;
	struct sipdp_dlg save;

	if (sipdp_msg_to(resp, &to) != 0 || !sipdp_str_present(to.tag) || to.tag.len == 0)
		return -EBADMSG;
	rc = rr_collect(resp, items, &nrr);
	if (rc == -EBADMSG)
		return rc;
	rc = contact_uri(resp, &target);
	if (rc == -EBADMSG)
		return rc;
	if (rc == -ENOENT) {
		/* Keep the target we have: copy it out of the part rewritten. */
		memcpy(old, d->arena + d->target.off, d->target.len);
		target = sipdp_str_make(old, d->target.len);
	}
	need = tov.len + target.len;
	for (uint32_t i = 0; i < nrr; i++)
		need += items[i].len + 2;
	if (nrr == DLG_MAX_ROUTES || (uint32_t)d->mut_off + need > SIPDP_DLG_ARENA) {
		t->stats.arena_full++;
		return -ENOSPC;
	}
	memcpy(&save, d, offsetof(struct sipdp_dlg, arena));
	d->arena_used = d->mut_off;
	put(d, &d->remote_hdr, tov.p, tov.len);
	d->remote_tag.off = (uint16_t)(d->remote_hdr.off + (to.tag.p - tov.p));
	d->remote_tag.len = (uint16_t)to.tag.len;
	d->flags |= SIPDP_DLG_F_HAS_RTAG;
	if (put_routes(d, items, nrr, true) != 0) {
		memcpy(d, &save, offsetof(struct sipdp_dlg, arena));
		t->stats.arena_full++;
		return -ENOSPC;
	}
	put(d, &d->target, target.p, target.len);
	return 0;
}

int
sipdp_dlg_refresh_target(struct sipdp_dlg_table *t, struct sipdp_dlg *d, const struct sipdp_msg *m)
{
	struct sipdp_str target;
	int rc = contact_uri(m, &target);

	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	/* The target is the arena's last string: rewrite it in place. */
	if ((uint32_t)d->target.off + target.len > SIPDP_DLG_ARENA) {
		t->stats.arena_full++;
		return -ENOSPC;
	}
	d->arena_used = d->target.off;
	put(d, &d->target, target.p, target.len);
	return 0;
}

int
sipdp_dlg_check_request(struct sipdp_dlg_table *t, struct sipdp_dlg *d, uint32_t cseq,
			enum sipdp_method method)
{
	if (method == SIPDP_METHOD_ACK || method == SIPDP_METHOD_CANCEL)
		return 0;
	/* §12.2.2: lower is out of order (500). Equal with a new branch is
	 * not a retransmission (the transaction layer absorbs those): also
	 * out of order. */
	if ((d->flags & SIPDP_DLG_F_REMOTE_SEQ) && cseq <= d->remote_cseq) {
		t->stats.cseq_500++;
		return 500;
	}
	d->remote_cseq = cseq;
	d->flags |= SIPDP_DLG_F_REMOTE_SEQ;
	return 0;
}
