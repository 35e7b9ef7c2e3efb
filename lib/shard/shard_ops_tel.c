/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /sipdp/dialogs and /sipdp/lcores (telemetry thread), and the state they
 * need (created with the shard). Cold: runs on DPDK's telemetry thread,
 * may sleep; never touches a worker's tables, only what the worker
 * publishes (shard_ops.c) and its counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_telemetry.h>

#include "shard_pvt.h"

#define OPS_WAIT_MS   250 /* a worker answers within its next ms tick or two */
#define OPS_WINDOW_MS 100 /* busy % is measured over this window */

/* DPDK 22.11 telemetry callbacks carry no user pointer (see shard_ctl.c). */
static struct sipdp_shard *ops_shard;

int
shard_ops_create(struct sipdp_shard *s)
{
	uint64_t now_us = 1000000;

	for (uint16_t i = 0; i < s->nb_workers; i++) {
		struct shard_worker *w = s->w[i];

		w->ds = calloc(1, sizeof(*w->ds));
		if (w->ds == NULL)
			return -ENOMEM;
		sipdp_log_ratelim_init(&w->rl_shard, &s->cfg->log, now_us);
	}
	sipdp_log_ratelim_init(&s->rl_ctl, &s->cfg->log, now_us);
	return 0;
}

void
shard_ops_destroy(struct sipdp_shard *s)
{
	if (__atomic_load_n(&ops_shard, __ATOMIC_ACQUIRE) == s)
		__atomic_store_n(&ops_shard, NULL, __ATOMIC_RELEASE);
	for (uint16_t i = 0; i < SIPDP_SHARD_MAX_WORKERS; i++) {
		if (s->w[i] != NULL) {
			free(s->w[i]->ds);
			s->w[i]->ds = NULL;
		}
	}
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static bool
workers_running(const struct sipdp_shard *s)
{
	return s->launched && !atomic_load_explicit(&s->stop, memory_order_relaxed);
}

/* Sequence-lock read of a worker's last sample. @return 0, -EAGAIN. */
static int
ds_read(struct shard_dsample *ds, struct shard_dsample_pub *out)
{
	for (int tries = 0; tries < 64; tries++) {
		uint32_t a = __atomic_load_n(&ds->seq, __ATOMIC_ACQUIRE);

		if (a & 1) {
			sleep_ms(1);
			continue;
		}
		memcpy(out, &ds->pub, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&ds->seq, __ATOMIC_RELAXED) == a)
			return 0;
	}
	return -EAGAIN;
}

static const char *
transport_name(uint8_t t)
{
	switch (t) {
	case SIPDP_TSX_TP_UDP: return "udp";
	case SIPDP_TSX_TP_TCP: return "tcp";
	case SIPDP_TSX_TP_TLS: return "tls";
	default: return "?";
	}
}

static void
peer_text(const struct sipdp_tsx_dest *d, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];

	if (d->family != AF_INET && d->family != AF_INET6) {
		snprintf(buf, cap, "-");
		return;
	}
	if (inet_ntop(d->family, d->addr, ip, sizeof(ip)) == NULL)
		snprintf(ip, sizeof(ip), "?");
	snprintf(buf, cap, d->family == AF_INET6 ? "%s:[%s]:%u" : "%s:%s:%u",
		transport_name(d->transport), ip, d->port);
}

static int
tel_dialogs(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sipdp_shard *s = __atomic_load_n(&ops_shard, __ATOMIC_ACQUIRE);
	struct shard_dsample_pub *pub;
	uint64_t want[SIPDP_SHARD_MAX_WORKERS];
	uint64_t dialogs = 0, early = 0, confirmed = 0, terminated = 0;
	struct rte_tel_data *sample;
	unsigned shown = 0, stale = 0;
	char name[32], peer[80];

	(void)cmd;
	(void)params;
	if (s == NULL)
		return -ENODEV;
	pub = calloc(s->nb_workers, sizeof(*pub));
	sample = rte_tel_data_alloc();
	if (pub == NULL || sample == NULL) {
		free(pub);
		rte_tel_data_free(sample);
		return -ENOMEM;
	}
	for (uint16_t i = 0; i < s->nb_workers; i++)
		want[i] = __atomic_add_fetch(&s->w[i]->ds->req, 1, __ATOMIC_RELEASE);
	for (unsigned t = 0; t < OPS_WAIT_MS && workers_running(s); t++) {
		uint16_t i;

		for (i = 0; i < s->nb_workers; i++)
			if (__atomic_load_n(&s->w[i]->ds->done, __ATOMIC_ACQUIRE) < want[i])
				break;
		if (i == s->nb_workers)
			break;
		sleep_ms(1);
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_start_dict(sample);
	for (uint16_t i = 0; i < s->nb_workers; i++) {
		if (__atomic_load_n(&s->w[i]->ds->done, __ATOMIC_ACQUIRE) < want[i])
			stale = 1; /* not answered in time: its previous sample */
		if (ds_read(s->w[i]->ds, &pub[i]) != 0) {
			memset(&pub[i], 0, sizeof(pub[i]));
			stale = 1;
		}
		dialogs += pub[i].dialogs;
		early += pub[i].early;
		confirmed += pub[i].confirmed;
		terminated += pub[i].terminated;
	}
	rte_tel_data_add_dict_u64(d, "dialogs", dialogs);
	rte_tel_data_add_dict_u64(d, "early", early);
	rte_tel_data_add_dict_u64(d, "confirmed", confirmed);
	rte_tel_data_add_dict_u64(d, "terminated", terminated);
	rte_tel_data_add_dict_u64(d, "workers", s->nb_workers);
	rte_tel_data_add_dict_u64(d, "stale", stale);
	rte_tel_data_add_dict_u64(d, "sample_max", SHARD_DSAMPLE);
	for (uint16_t i = 0; i < s->nb_workers; i++) {
		struct rte_tel_data *c = rte_tel_data_alloc();

		if (c == NULL)
			break;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "dialogs", pub[i].dialogs);
		rte_tel_data_add_dict_u64(c, "early", pub[i].early);
		rte_tel_data_add_dict_u64(c, "confirmed", pub[i].confirmed);
		rte_tel_data_add_dict_u64(c, "terminated", pub[i].terminated);
		rte_tel_data_add_dict_u64(c, "generated_live",
			__atomic_load_n(&s->w[i]->st.gen_live, __ATOMIC_RELAXED));
		snprintf(name, sizeof(name), "worker%u", i);
		rte_tel_data_add_dict_container(d, name, c, 0);
	}
	/* The first dialogs of each worker in turn, SHARD_DSAMPLE in all. */
	for (uint32_t k = 0; k < SHARD_DSAMPLE && shown < SHARD_DSAMPLE; k++) {
		for (uint16_t i = 0; i < s->nb_workers && shown < SHARD_DSAMPLE; i++) {
			const struct shard_dsample_ent *e = &pub[i].e[k];
			struct rte_tel_data *c;

			if (k >= pub[i].n || (c = rte_tel_data_alloc()) == NULL)
				continue;
			rte_tel_data_start_dict(c);
			rte_tel_data_add_dict_u64(c, "worker", i);
			rte_tel_data_add_dict_string(c, "call_id", e->call_id);
			rte_tel_data_add_dict_string(c, "state",
				sipdp_dlg_state_str((enum sipdp_dlg_state)e->state));
			rte_tel_data_add_dict_string(c, "role", e->role == SIPDP_DLG_UAC ? "uac" : "uas");
			rte_tel_data_add_dict_u64(c, "age_ms", e->age_ms);
			peer_text(&e->peer, peer, sizeof(peer));
			rte_tel_data_add_dict_string(c, "peer", peer);
			snprintf(name, sizeof(name), "%u", shown++);
			rte_tel_data_add_dict_container(sample, name, c, 0);
		}
	}
	rte_tel_data_add_dict_container(d, "sample", sample, 0);
	free(pub);
	return 0;
}

struct lcore_load {
	uint64_t tsc, busy[SIPDP_SHARD_MAX_WORKERS + 1];
};

static void
load_read(const struct sipdp_shard *s, struct lcore_load *l)
{
	l->tsc = rte_rdtsc();
	for (uint16_t i = 0; i < s->nb_workers; i++)
		l->busy[i] = __atomic_load_n(&s->w[i]->st.busy_cycles, __ATOMIC_RELAXED);
	l->busy[s->nb_workers] = __atomic_load_n(&s->ctl_busy_cycles, __ATOMIC_RELAXED);
}

static uint64_t
permille(uint64_t part, uint64_t whole)
{
	return whole == 0 ? 0 : (part >= whole ? 1000 : part * 1000 / whole);
}

static void
lcore_add(struct rte_tel_data *c, const struct lcore_load *a, const struct lcore_load *b,
	uint64_t tsc0, unsigned k)
{
	uint64_t win = permille(b->busy[k] - a->busy[k], b->tsc - a->tsc);

	rte_tel_data_add_dict_u64(c, "busy_pct", (win + 5) / 10);
	rte_tel_data_add_dict_u64(c, "busy_permille", win);
	rte_tel_data_add_dict_u64(c, "busy_permille_total", permille(b->busy[k], b->tsc - tsc0));
}

static int
tel_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sipdp_shard *s = __atomic_load_n(&ops_shard, __ATOMIC_ACQUIRE);
	struct lcore_load a, b;
	struct rte_tel_data *c;
	char name[32];

	(void)cmd;
	(void)params;
	if (s == NULL)
		return -ENODEV;
	/* Busy %: TSC cycles of loop iterations that did work, over a short
	 * window now (and since start); cycles per message: the shard's own
	 * work per SIP message. */
	load_read(s, &a);
	sleep_ms(OPS_WINDOW_MS);
	load_read(s, &b);
	rte_tel_data_start_dict(d);
	c = rte_tel_data_alloc();
	if (c == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_u64(c, "lcore", s->cfg->lcores.control);
	rte_tel_data_add_dict_string(c, "role", "control");
	lcore_add(c, &a, &b, s->tsc0, s->nb_workers);
	rte_tel_data_add_dict_u64(c, "polls", __atomic_load_n(&s->ctl_polls, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(c, "busy_polls",
		__atomic_load_n(&s->ctl_busy_polls, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_container(d, "control", c, 0);
	for (uint16_t i = 0; i < s->nb_workers; i++) {
		const struct sipdp_shard_stats *st = &s->w[i]->st;
		uint64_t msgs = __atomic_load_n(&st->sip_delivered, __ATOMIC_RELAXED);
		uint64_t mc = __atomic_load_n(&st->msg_cycles, __ATOMIC_RELAXED);

		c = rte_tel_data_alloc();
		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "lcore", s->w[i]->lcore);
		rte_tel_data_add_dict_string(c, "role", "worker");
		lcore_add(c, &a, &b, s->tsc0, i);
		rte_tel_data_add_dict_u64(c, "messages", msgs);
		rte_tel_data_add_dict_u64(c, "cycles_per_msg", msgs ? mc / msgs : 0);
		rte_tel_data_add_dict_u64(c, "busy_cycles_per_msg", msgs ? b.busy[i] / msgs : 0);
		snprintf(name, sizeof(name), "worker%u", i);
		rte_tel_data_add_dict_container(d, name, c, 0);
	}
	return 0;
}

int
sipdp_shard_ops_telemetry_register(struct sipdp_shard *s)
{
	int rc;

	__atomic_store_n(&ops_shard, s, __ATOMIC_RELEASE);
	rc = rte_telemetry_register_cmd("/sipdp/dialogs", tel_dialogs,
		"dialogs per worker (by state) and a sample of the first 16");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sipdp/lcores", tel_lcores,
			"lcores: role, busy % over 100 ms and since start, cycles per message");
	return rc;
}
