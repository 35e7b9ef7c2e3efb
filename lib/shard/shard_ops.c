/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dialog samples for /sipdp/dialogs, taken by the owning worker: the
 * telemetry thread asks (ds->req), the worker walks its own dialog table a
 * bounded number of slots per ms tick, counts every live dialog by state,
 * keeps the first SHARD_DSAMPLE, and publishes the result under a sequence
 * lock. Nothing is done while nobody asks: one relaxed load per ms.
 * Worker lcore only. No allocation, no lock, no system call.
 */
#include <arpa/inet.h>
#include <string.h>

#include "shard_pvt.h"

static void
ds_publish(struct shard_dsample *ds)
{
	uint32_t seq = ds->seq;

	/* Sequence lock, single writer: odd while writing; readers retry. */
	__atomic_store_n(&ds->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(&ds->pub, &ds->stage, sizeof(ds->pub));
	__atomic_store_n(&ds->seq, seq + 2, __ATOMIC_RELEASE);
	__atomic_store_n(&ds->done, ds->want, __ATOMIC_RELEASE);
}

static void
ds_take(struct shard_worker *w, struct shard_dsample_pub *p, const struct sipdp_dlg *d)
{
	struct shard_dsample_ent *e;
	struct sipdp_str cid;

	p->dialogs++;
	if (d->state == SIPDP_DLG_S_TERMINATED)
		p->terminated++;
	else if (d->state == SIPDP_DLG_S_ESTABLISHED)
		p->confirmed++;
	else
		p->early++;
	if (p->n >= SHARD_DSAMPLE)
		return;
	e = &p->e[p->n++];
	cid = sipdp_dlg_str(d, d->call_id);
	if (cid.len >= sizeof(e->call_id))
		cid.len = sizeof(e->call_id) - 1;
	memcpy(e->call_id, cid.p, cid.len);
	e->call_id[cid.len] = '\0';
	e->peer = d->peer;
	e->state = d->state;
	e->role = d->role;
	e->confirmed = d->state == SIPDP_DLG_S_ESTABLISHED;
	e->age_ms = (uint32_t)(w->now_us / 1000) - sipdp_dlg_created_ms(d);
}

void
shard_ops_poll(struct shard_worker *w)
{
	struct shard_dsample *ds = w->ds;
	const struct sipdp_dlg_table *t;
	const struct sipdp_dlg *d;

	if (ds == NULL)
		return;
	if (!ds->walking) {
		uint64_t r = __atomic_load_n(&ds->req, __ATOMIC_ACQUIRE);

		if (r == ds->want)
			return;
		ds->walking = true;
		ds->want = r;
		ds->cursor = 0;
		memset(&ds->stage, 0, offsetof(struct shard_dsample_pub, e));
	}
	t = sipdp_ua_dlg_table(w->ua);
	for (uint32_t budget = SHARD_DSAMPLE_SCAN; budget != 0;) {
		uint32_t before = ds->cursor;

		d = sipdp_dlg_next(t, &ds->cursor, budget);
		budget -= ds->cursor - before;
		if (d == NULL)
			break;
		ds_take(w, &ds->stage, d);
	}
	if (ds->cursor >= sipdp_dlg_capacity(t)) {
		ds->walking = false;
		ds_publish(ds);
	}
}

const char *
shard_addr_text(const struct sipdp_tsx_dest *d, char *buf, size_t cap)
{
	if (inet_ntop(d->family == AF_INET6 ? AF_INET6 : AF_INET, d->addr, buf,
		(socklen_t)cap) == NULL && cap != 0)
		buf[0] = '\0';
	return buf;
}
