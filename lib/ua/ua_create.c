/* SPDX-License-Identifier: BSD-3-Clause */
/* UA creation: the dialog table, the transaction table and the shared wheel. */
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>

#include "ua_pvt.h"

void ua_tsx_event(void *user, const struct sipdp_tsx_event *ev);

/* The transaction table's user is the UA; the embedder's hook gets its own. */
static int
ua_tsx_send(void *user, const struct sipdp_tsx_dest *dest, const char *buf, uint32_t len)
{
	struct sipdp_ua *ua = user;

	return ua->send(ua->user, dest, buf, len);
}

static char *
ident_put(char *p, struct sipdp_str *dst, const char *s, uint32_t n)
{
	if (n != 0) /* an empty identity may come as (NULL, 0) */
		memcpy(p, s, n);
	*dst = sipdp_str_make(p, n);
	return p + n;
}

static const char *const tp_name[] = { "UDP", "TCP", "TLS", "SCTP", "WS", "WSS" };

/* "SIP/2.0/" tp " " sent_by ";branch=" */
static char *
via_put(char *q, struct sipdp_str *dst, uint8_t tp, struct sipdp_str sent_by)
{
	const char *tn = tp_name[tp];
	char *s = q;

	memcpy(q, "SIP/2.0/", 8);
	q += 8;
	memcpy(q, tn, strlen(tn));
	q += strlen(tn);
	*q++ = ' ';
	memcpy(q, sent_by.p, sent_by.len);
	q += sent_by.len;
	memcpy(q, ";branch=", 8);
	q += 8;
	*dst = sipdp_str_make(s, (size_t)(q - s));
	return q;
}

static const char *
ci_find(const char *p, uint32_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (uint32_t i = 0; i + k <= n; i++)
		if (strncasecmp(p + i, needle, k) == 0)
			return p + i;
	return NULL;
}

/* The sips form of a TLS Contact (§26.2.2): the first "sip:" becomes
 * "sips:" and ";transport=tls" goes (sips implies TLS). @c.len + 1 bytes
 * at most. */
static char *
sips_put(char *q, struct sipdp_str *dst, struct sipdp_str c)
{
	const char *sch = ci_find(c.p, c.len, "sip:");
	const char *tp = ci_find(c.p, c.len, ";transport=tls");
	char *s = q;

	for (uint32_t i = 0; i < c.len; i++) {
		const char *at = c.p + i;
		if (at == tp) {
			i += 13;
			continue;
		}
		*q++ = *at;
		if (sch != NULL && at == sch + 2)
			*q++ = 's';
	}
	*dst = sipdp_str_make(s, (size_t)(q - s));
	return q;
}

int
sipdp_ua_create(const struct sipdp_ua_params *p, struct sipdp_ua **out)
{
	struct sipdp_ua *ua;
	struct sipdp_dlg_params dp = { 0 };
	struct sipdp_tsx_params tp = { 0 };
	struct sipdp_timer_params wp = { 0 };
	uint32_t tsx_cap, timers;
	size_t ilen;
	int fb;
	char *q;
	int rc;

	if (p == NULL || out == NULL || p->dialogs == 0 || p->send == NULL ||
	    p->cb.on_incoming == NULL || p->via_transport >= SIPDP_ARRAY_SIZE(tp_name))
		return -EINVAL;
	/* The fallback identity: the params' single one, else the first
	 * entry of the table. */
	fb = -1;
	ilen = p->user_agent.len;
	for (int t = 0; t < SIPDP_UA_IDENT_TRANSPORTS; t++)
		for (int f = 0; f < SIPDP_UA_IDENT_FAMILIES; f++) {
			const struct sipdp_ua_ident *e = &p->ident[t][f];
			if (e->sent_by.len == 0)
				continue;
			if (e->contact.len == 0)
				return -EINVAL;
			if (fb < 0)
				fb = t * SIPDP_UA_IDENT_FAMILIES + f;
			ilen += 8 + 4 + 1 + e->sent_by.len + 8 + e->contact.len +
				(e->contact_sips.len ? e->contact_sips.len : e->contact.len + 1);
		}
	if (p->contact.len != 0 && p->sent_by.len != 0)
		fb = -1;
	else if (fb < 0 || p->contact.len != 0 || p->sent_by.len != 0)
		return -EINVAL;
	ilen += 8 + 4 + 1 + p->sent_by.len + 8 + p->contact.len;
	ua = calloc(1, sizeof(*ua));
	if (ua == NULL)
		return -ENOMEM;
	ua->t1_ms = p->t1_ms ? p->t1_ms : 500;
	ua->t2_ms = p->t2_ms ? p->t2_ms : 4000;
	ua->t4_ms = p->t4_ms ? p->t4_ms : 5000;
	if (ua->t1_ms > ua->t2_ms) {
		free(ua);
		return -EINVAL;
	}
	ua->retry_after_s = p->retry_after_s ? p->retry_after_s : 5;
	ua->rel100 = p->rel100;
	ua->refresher = p->refresher;
	ua->min_se_s = p->min_se_s ? p->min_se_s : 90;
	ua->se_s = p->session_expires_s;
	if (p->rel100 > SIPDP_UA_100REL_REQUIRED || p->refresher > SIPDP_UA_REFRESHER_UAS ||
	    ua->min_se_s < 90 || (ua->se_s && ua->se_s < ua->min_se_s)) {
		free(ua); /* RFC 4028 §4: intervals of at least 90 s */
		return -EINVAL;
	}
	ua->shard_id = p->shard_id;
	ua->send = p->send;
	ua->resolve = p->resolve;
	ua->cb = p->cb;
	ua->user = p->user;
	ua->now_us = p->now_us;
	tsx_cap = p->transactions ? p->transactions : 2 * p->dialogs;
	timers = p->timers ? p->timers : p->dialogs + tsx_cap + 64 + ua_xfer_timers(p);
	ua->tsx_cap = tsx_cap;
	ua->mb_count = p->msgbufs ? p->msgbufs : SIPDP_MAX(16u, p->dialogs / 8);
	ua->mb_size = p->msgbuf_size ? (p->msgbuf_size + 7u) & ~7u : 1536;

	rc = -ENOMEM;
	ua->msg = malloc(sizeof(*ua->msg));
	ua->out = malloc(2 * UA_OUT_LEN);
	ua->side = calloc(tsx_cap, sizeof(*ua->side));
	ua->mb_mem = malloc((size_t)ua->mb_count * ua->mb_size);
	ua->mb_free = malloc((size_t)ua->mb_count * sizeof(*ua->mb_free));
	ua->ident_mem = malloc(ilen);
	if (!ua->msg || !ua->out || !ua->side || !ua->mb_mem || !ua->mb_free || !ua->ident_mem)
		goto fail;
	ua->out2 = ua->out + UA_OUT_LEN;
	for (uint32_t i = 0; i < ua->mb_count; i++)
		ua->mb_free[i] = ua->mb_count - 1 - i;
	ua->mb_nfree = ua->mb_count;

	q = ua->ident_mem;
	for (int t = 0; t < SIPDP_UA_IDENT_TRANSPORTS; t++)
		for (int f = 0; f < SIPDP_UA_IDENT_FAMILIES; f++) {
			const struct sipdp_ua_ident *e = &p->ident[t][f];
			struct ua_idv *v = &ua->id[1 + t * SIPDP_UA_IDENT_FAMILIES + f];
			if (e->sent_by.len == 0)
				continue;
			q = via_put(q, &v->via_pfx, (uint8_t)t, e->sent_by);
			q = ident_put(q, &v->contact, e->contact.p, e->contact.len);
			if (e->contact_sips.len)
				q = ident_put(q, &v->contact_sips, e->contact_sips.p, e->contact_sips.len);
			else if (t == SIPDP_TSX_TP_TLS)
				q = sips_put(q, &v->contact_sips, e->contact);
		}
	if (fb < 0) {
		q = via_put(q, &ua->id[0].via_pfx, p->via_transport, p->sent_by);
		q = ident_put(q, &ua->id[0].contact, p->contact.p, p->contact.len);
	} else {
		ua->id[0] = ua->id[1 + fb];
	}
	q = ident_put(q, &ua->ua_name, p->user_agent.p, p->user_agent.len);
	(void)q;

	wp.capacity = timers;
	wp.tick_us = p->tick_us ? p->tick_us : 1000;
	rc = sipdp_timer_create(&wp, p->now_us, &ua->wheel);
	if (rc != 0)
		goto fail;
	dp.capacity = p->dialogs;
	dp.shard_id = p->shard_id;
	dp.ext_size = sizeof(struct ua_sess);
	dp.secret[0] = p->secret[0];
	dp.secret[1] = p->secret[1];
	rc = sipdp_dlg_create(&dp, &ua->dt);
	if (rc != 0)
		goto fail;
	tp.capacity = tsx_cap;
	tp.shard_id = p->shard_id;
	tp.t1_ms = ua->t1_ms;
	tp.t2_ms = ua->t2_ms;
	tp.t4_ms = ua->t4_ms;
	tp.retry_after_s = ua->retry_after_s;
	tp.auto_trying = false; /* the UA sends 100 only when the app does not answer at once */
	/* A key of its own for the transaction layer, derived from ours. */
	tp.secret[0] = sipdp_dlg_prf(ua->dt, 0x7473786b65793100ull, 1);
	tp.secret[1] = sipdp_dlg_prf(ua->dt, 0x7473786b65793200ull, 2);
	tp.wheel = ua->wheel;
	tp.now_us = p->now_us;
	tp.send = ua_tsx_send;
	tp.on_event = ua_tsx_event;
	tp.user = ua;
	rc = sipdp_tsx_create(&tp, &ua->tt);
	if (rc != 0)
		goto fail;
	rc = ua_xfer_create(ua, p);
	if (rc != 0)
		goto fail;
	*out = ua;
	return 0;
fail:
	sipdp_ua_destroy(ua);
	return rc;
}

void
sipdp_ua_destroy(struct sipdp_ua *ua)
{
	if (ua == NULL)
		return;
	ua_xfer_destroy(ua);
	sipdp_tsx_destroy(ua->tt);
	sipdp_dlg_destroy(ua->dt);
	sipdp_timer_destroy(ua->wheel);
	free(ua->msg);
	free(ua->out);
	free(ua->side);
	free(ua->mb_mem);
	free(ua->mb_free);
	free(ua->ident_mem);
	free(ua);
}

void
sipdp_ua_memory(const struct sipdp_ua *ua, struct sipdp_ua_mem *m)
{
	uint32_t dcap = sipdp_dlg_capacity(ua->dt);
	/* The wheel's entries: 32 bytes each (sipdp_timer.h), plus ~32 KiB of
	 * list heads shared by all. */
	size_t tentry = 32;
	size_t wheel = (size_t)sipdp_timer_capacity(ua->wheel) * tentry + 32768;

	m->timer_entry = tentry;
	m->dialog_record = sizeof(struct sipdp_dlg) + ((sizeof(struct ua_sess) + 7) & ~(size_t)7);
	/* A confirmed dialog holds one wheel entry of the capacity reserved
	 * for it (its dialog timer), no transaction and no kept 2xx. */
	m->per_dialog = sipdp_dlg_bytes_per_dialog(ua->dt) + tentry;
	m->per_tsx = sipdp_tsx_bytes_per_tsx(ua->tt) + sizeof(struct ua_tside);
	m->per_msgbuf = ua->mb_size + sizeof(uint32_t);
	m->total = sizeof(*ua) + sizeof(*ua->msg) + 2 * UA_OUT_LEN +
		   (size_t)dcap * sipdp_dlg_bytes_per_dialog(ua->dt) +
		   (size_t)ua->tsx_cap * m->per_tsx + (size_t)ua->mb_count * m->per_msgbuf + wheel;
}

struct sipdp_dlg_table *
sipdp_ua_dlg_table(const struct sipdp_ua *ua)
{
	return ua->dt;
}

struct sipdp_tsx_table *
sipdp_ua_tsx_table(const struct sipdp_ua *ua)
{
	return ua->tt;
}
