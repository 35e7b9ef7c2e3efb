/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The calls: generator, cold side: each worker's share built at start, the
 * merged report, its log line and the /sipdp/calls telemetry command.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "sipdp_msg_hdr.h"
#include "shard_gen.h"
#include "sipdp_ctl.h"

int
sipdp_shard_gen_dest(const char *uri, struct sipdp_tsx_dest *d)
{
	struct sipdp_uri u;
	char host[64];
	int tp;

	if (uri == NULL || d == NULL || sipdp_uri_parse(sipdp_str_cstr(uri), &u) != 0 ||
	    (u.scheme != SIPDP_URI_SIP && u.scheme != SIPDP_URI_SIPS) || u.host.len == 0)
		return -EINVAL;
	/* §26.2, §18.1.1: sips: or ;transport=tls is TLS (default port 5061),
	 * ;transport=tcp is TCP; reliable ones go to the control lcore,
	 * which opens or reuses a connection (shard_tcp_ctl.c). */
	tp = sipdp_ctl_transport_for_uri(uri, (uint32_t)strlen(uri));
	if (tp < 0)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->transport = tp == SIPDP_CTL_TLS ? SIPDP_TSX_TP_TLS :
		tp == SIPDP_CTL_TCP ? SIPDP_TSX_TP_TCP : SIPDP_TSX_TP_UDP;
	if (tp != 0)
		d->flags = SIPDP_TSX_DEST_RELIABLE;
	d->port = u.port != 0 ? u.port : tp == SIPDP_CTL_TLS ? 5061 : 5060;
	if (u.host.p[0] == '[') {
		if (u.host.len < 3 || u.host.len - 2 >= sizeof(host))
			return -EINVAL;
		memcpy(host, u.host.p + 1, u.host.len - 2);
		host[u.host.len - 2] = 0;
		if (inet_pton(AF_INET6, host, d->addr) != 1)
			return -EINVAL;
		d->family = AF_INET6;
		return 0;
	}
	if (u.host.len >= sizeof(host))
		return -ENOTSUP;
	memcpy(host, u.host.p, u.host.len);
	host[u.host.len] = 0;
	if (inet_pton(AF_INET, host, d->addr) != 1)
		return -ENOTSUP;
	d->family = AF_INET;
	return 0;
}

int
shard_gen_create(struct shard_worker *w)
{
	struct sipdp_shard *s = w->s;
	const struct sipdp_cfg_calls *c = &s->cfg->calls;
	struct sipdp_call_gen_params gp = { 0 };
	char err[SIPDP_CFG_URI_LEN + 64];
	int rc, li = 0;

	if (!c->enabled)
		return 0;
	rc = sipdp_shard_gen_dest(c->target, &gp.dest);
	if (rc != 0) {
		SHARD_LOG(ERR, "calls.target %s: %s\n", c->target,
			rc == -ENOTSUP ? "the host must be an IPv4 or IPv6 address" : "not a SIP URI");
		return -EINVAL;
	}
	/* The local address the calls leave from: the first of the target's
	 * family (peer_from_dest picks the same one). */
	for (uint16_t i = 0; i < s->nb_local; i++)
		if (s->p.cls->local[i].family == gp.dest.family) {
			li = i;
			break;
		}
	if (s->p.cls->local[li].family != gp.dest.family) {
		SHARD_LOG(ERR, "calls.target %s: no local address of its family\n", c->target);
		return -EINVAL;
	}
	gp.dest.local_id = (uint8_t)li;
	gp.calls = c;
	gp.local_ip = s->local[li].ip;
	gp.contact_user = s->cfg->identity.contact_user;
	gp.index = w->idx;
	gp.count = s->nb_workers;
	gp.clock_hz = s->tsc_hz; /* paced on the TSC (shard_gen_poll) */
	rc = sipdp_call_gen_create(&gp, &w->gen, err, sizeof(err));
	if (rc != 0) {
		if (err[0] != 0)
			SHARD_LOG(ERR, "%s\n", err);
		return rc;
	}
	SHARD_LOG(INFO, "worker %u: calls to %s at %" PRIu64 "/s, %s%" PRIu64 "\n", w->idx,
		c->target, w->gen->rate, c->total ? "quota " : "for s ",
		c->total ? w->gen->quota : (uint64_t)c->duration_s);
	return 0;
}

void
shard_gen_destroy(struct shard_worker *w)
{
	sipdp_call_gen_destroy(w->gen);
	w->gen = NULL;
}

/* Add one worker's table of statuses to the merged one. */
static void
merge_status(uint16_t *dst, uint64_t *dcnt, uint64_t *dother, const uint16_t *src,
	const uint64_t *scnt, const uint64_t *sother)
{
	*dother += __atomic_load_n(sother, __ATOMIC_RELAXED);
	for (unsigned k = 0; k < SIPDP_SHARD_GEN_STATUS; k++) {
		uint16_t st = __atomic_load_n(&src[k], __ATOMIC_RELAXED);
		uint64_t cnt = __atomic_load_n(&scnt[k], __ATOMIC_RELAXED);
		unsigned j;

		if (st == 0)
			break;
		for (j = 0; j < SIPDP_SHARD_GEN_STATUS; j++)
			if (dst[j] == st || dst[j] == 0)
				break;
		if (j == SIPDP_SHARD_GEN_STATUS) {
			*dother += cnt;
			continue;
		}
		dst[j] = st;
		dcnt[j] += cnt;
	}
}

int
sipdp_shard_calls_get(const struct sipdp_shard *s, struct sipdp_shard_calls *c)
{
	struct sipdp_shard_hist *h;

	if (s == NULL || c == NULL)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->enabled = s->cfg->calls.enabled;
	if (!c->enabled)
		return 0;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	uint64_t first = UINT64_MAX, last = 0;

	c->done = true;
	for (uint16_t i = 0; i < s->nb_workers; i++) {
		const struct shard_worker *w = s->w[i];
		const struct shard_gen *g = w->gen;

		if (g == NULL)
			continue;
		/* The generator's own counters (the worker's stats copy them
		 * each ms): the report sees every call the moment it ends. */
		c->attempted += __atomic_load_n(&g->st.attempted, __ATOMIC_RELAXED);
		c->answered += __atomic_load_n(&g->st.answered, __ATOMIC_RELAXED);
		c->failed += __atomic_load_n(&g->st.failed, __ATOMIC_RELAXED);
		c->not_started += __atomic_load_n(&g->st.not_started, __ATOMIC_RELAXED);
		c->byes += __atomic_load_n(&g->st.byes, __ATOMIC_RELAXED);
		c->xfer_attempted += __atomic_load_n(&g->st.xfer_attempted, __ATOMIC_RELAXED);
		c->xfer_accepted += __atomic_load_n(&g->st.xfer_accepted, __ATOMIC_RELAXED);
		c->xfer_completed += __atomic_load_n(&g->st.xfer_completed, __ATOMIC_RELAXED);
		c->xfer_failed += __atomic_load_n(&g->st.xfer_failed, __ATOMIC_RELAXED);
		c->target_byes += __atomic_load_n(&g->st.target_byes, __ATOMIC_RELAXED);
		uint64_t live = __atomic_load_n(&g->st.live, __ATOMIC_RELAXED);

		c->live += live;
		if (!__atomic_load_n(&g->stopped, __ATOMIC_ACQUIRE) || live != 0)
			c->done = false;
		uint64_t f = __atomic_load_n(&g->first_us, __ATOMIC_RELAXED);
		uint64_t e = __atomic_load_n(&g->done_us, __ATOMIC_RELAXED);

		if (f != 0 && f < first)
			first = f;
		if (e > last)
			last = e;
		sipdp_shard_hist_merge(h, &g->setup);
		merge_status(c->status, c->status_count, &c->status_other, g->status,
			g->status_count, &g->status_other);
		merge_status(c->xfer_status, c->xfer_status_count, &c->xfer_status_other,
			g->xstatus, g->xstatus_count, &g->xstatus_other);
	}
	if (c->done && first != UINT64_MAX && last > first)
		c->run_us = last - first;
	c->setup_p50_us = sipdp_shard_hist_percentile(h, 500);
	c->setup_p99_us = sipdp_shard_hist_percentile(h, 990);
	free(h);
	return 0;
}

int
sipdp_shard_calls_summary(const struct sipdp_shard_calls *c, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "calls: attempted %" PRIu64 " answered %" PRIu64 " failed %"
		PRIu64 " not_started %" PRIu64 " p50 %" PRIu64 ".%03" PRIu64 " ms p99 %" PRIu64
		".%03" PRIu64 " ms", c->attempted, c->answered, c->failed, c->not_started,
		c->setup_p50_us / 1000, c->setup_p50_us % 1000, c->setup_p99_us / 1000,
		c->setup_p99_us % 1000);

	if (c->run_us != 0 && n >= 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - (size_t)n, " in %" PRIu64 ".%03" PRIu64 " s, %" PRIu64
			" answered/s", c->run_us / 1000000, c->run_us / 1000 % 1000,
			c->answered * 1000000 / c->run_us);
	for (unsigned k = 0; k < SIPDP_SHARD_GEN_STATUS && c->status[k] != 0; k++) {
		if (n < 0 || (size_t)n >= cap)
			break;
		n += snprintf(buf + n, cap - (size_t)n, "%s%ux%" PRIu64, k == 0 ? " failures: " : " ",
			c->status[k], c->status_count[k]);
	}
	if (c->xfer_attempted == 0 || n < 0 || (size_t)n >= cap)
		return n;
	n += snprintf(buf + n, cap - (size_t)n, " transfers: attempted %" PRIu64 " accepted %" PRIu64
		" completed %" PRIu64 " failed %" PRIu64, c->xfer_attempted, c->xfer_accepted,
		c->xfer_completed, c->xfer_failed);
	if (c->run_us != 0 && n >= 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - (size_t)n, ", %" PRIu64 " completed/s",
			c->xfer_completed * 1000000 / c->run_us);
	for (unsigned k = 0; k < SIPDP_SHARD_GEN_STATUS && c->xfer_status[k] != 0; k++) {
		if (n < 0 || (size_t)n >= cap)
			break;
		n += snprintf(buf + n, cap - (size_t)n, "%s%ux%" PRIu64, k == 0 ? " failures: " : " ",
			c->xfer_status[k] == SIPDP_SHARD_GEN_NO_STATUS ? 0u : c->xfer_status[k],
			c->xfer_status_count[k]);
	}
	return n;
}

/* ----------------------------------------------------------- telemetry */

/* DPDK 22.11 callbacks take no user pointer: the one shard of the process. */
static const struct sipdp_shard *calls_shard;

static int
tel_calls(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct sipdp_shard *s = __atomic_load_n(&calls_shard, __ATOMIC_ACQUIRE);
	struct sipdp_shard_calls c;
	struct rte_tel_data *st;
	char name[16];

	(void)cmd;
	(void)params;
	if (s == NULL)
		return -ENODEV;
	if (sipdp_shard_calls_get(s, &c) != 0)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "enabled", c.enabled);
	rte_tel_data_add_dict_u64(d, "done", c.done);
	rte_tel_data_add_dict_u64(d, "attempted", c.attempted);
	rte_tel_data_add_dict_u64(d, "answered", c.answered);
	rte_tel_data_add_dict_u64(d, "failed", c.failed);
	rte_tel_data_add_dict_u64(d, "not_started", c.not_started);
	rte_tel_data_add_dict_u64(d, "byes", c.byes);
	rte_tel_data_add_dict_u64(d, "live", c.live);
	rte_tel_data_add_dict_u64(d, "setup_p50_us", c.setup_p50_us);
	rte_tel_data_add_dict_u64(d, "setup_p99_us", c.setup_p99_us);
	rte_tel_data_add_dict_u64(d, "run_us", c.run_us);
	st = rte_tel_data_alloc();
	if (st == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(st);
	for (unsigned k = 0; k < SIPDP_SHARD_GEN_STATUS && c.status[k] != 0; k++) {
		snprintf(name, sizeof(name), "%u", c.status[k]);
		rte_tel_data_add_dict_u64(st, name, c.status_count[k]);
	}
	rte_tel_data_add_dict_u64(st, "other", c.status_other);
	rte_tel_data_add_dict_container(d, "failed_by_status", st, 0);
	rte_tel_data_add_dict_u64(d, "xfer_attempted", c.xfer_attempted);
	rte_tel_data_add_dict_u64(d, "xfer_accepted", c.xfer_accepted);
	rte_tel_data_add_dict_u64(d, "xfer_completed", c.xfer_completed);
	rte_tel_data_add_dict_u64(d, "xfer_failed", c.xfer_failed);
	rte_tel_data_add_dict_u64(d, "target_byes", c.target_byes);
	st = rte_tel_data_alloc();
	if (st == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(st);
	for (unsigned k = 0; k < SIPDP_SHARD_GEN_STATUS && c.xfer_status[k] != 0; k++) {
		snprintf(name, sizeof(name), "%u",
			c.xfer_status[k] == SIPDP_SHARD_GEN_NO_STATUS ? 0u : c.xfer_status[k]);
		rte_tel_data_add_dict_u64(st, name, c.xfer_status_count[k]);
	}
	rte_tel_data_add_dict_u64(st, "other", c.xfer_status_other);
	rte_tel_data_add_dict_container(d, "xfer_failed_by_status", st, 0);
	return 0;
}

int
sipdp_shard_calls_telemetry_register(struct sipdp_shard *s)
{
	__atomic_store_n(&calls_shard, s, __ATOMIC_RELEASE);
	return rte_telemetry_register_cmd("/sipdp/calls", tel_calls,
		"calls: generator: attempted, answered, failed (by status), setup-time p50/p99, transfers");
}

void
shard_gen_forget(const struct sipdp_shard *s)
{
	if (__atomic_load_n(&calls_shard, __ATOMIC_ACQUIRE) == s)
		__atomic_store_n(&calls_shard, NULL, __ATOMIC_RELEASE);
}
