/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet capture on request, control side: /sipdp/capture (telemetry
 * thread) asks, the control lcore does (opens the file, makes the pool,
 * turns the workers' copying on, writes what they queue with
 * rte_pcapng_write_packets, stops after COUNT packets or on request and
 * closes the file), and answers. This stands in for dpdk-dumpcap, which
 * cannot attach to a --no-huge primary (docs/deployment.md).
 * Cold relative to the workers: it makes system calls.
 */
/* rte_pcapng is experimental in DPDK 22.11 */
#define ALLOW_EXPERIMENTAL_API 1

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_pcapng.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

#include "shard_pvt.h"

#define CAP_POOL_N     8191
#define CAP_PATH_MAX   256
#define CAP_WAIT_MS    2000
#define CAP_DRAIN_MS   20   /* after the workers stop copying: what they queued */

enum cap_op { CAP_OP_NONE, CAP_OP_START, CAP_OP_STOP };

struct shard_capture {
	/* the request: written by the telemetry thread holding `busy` */
	uint32_t busy;
	uint32_t op;
	char path[CAP_PATH_MAX];
	uint64_t max;
	uint64_t req_seq;         /* release after the fields above */
	uint64_t ack_seq;         /* control lcore: the request done (release) */
	int result;
	char why[CAP_PATH_MAX + 160];
	/* control lcore */
	rte_pcapng_t *pc;
	bool active, stopping;
	uint64_t stop_tsc;
	uint64_t written, limit, write_errors;
	char cur[CAP_PATH_MAX];
};

static struct sipdp_shard *cap_shard; /* telemetry callbacks: no user pointer */

static void
cap_why(struct shard_capture *c, int rc, const char *fmt, const char *arg)
{
	c->result = rc;
	snprintf(c->why, sizeof(c->why), fmt, arg, strerror(-rc));
}

static int
cap_start(struct sipdp_shard *s, struct shard_capture *c)
{
	int fd;

	if (c->active || c->stopping) {
		cap_why(c, -EALREADY, "already capturing to %s: %s", c->cur);
		return -EALREADY;
	}
	if (s->cap_pool == NULL) {
		struct rte_mempool *mp = rte_pktmbuf_pool_create("sipdp_cap", CAP_POOL_N, 256, 0,
			(uint16_t)rte_pcapng_mbuf_size(RTE_MBUF_DEFAULT_DATAROOM),
			(int)rte_socket_id());

		if (mp == NULL) {
			cap_why(c, -ENOMEM, "capture pool%s: %s", "");
			return -ENOMEM;
		}
		__atomic_store_n(&s->cap_pool, mp, __ATOMIC_RELEASE);
	}
	fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0) {
		cap_why(c, -errno, "%s: %s", c->path);
		return c->result;
	}
	c->pc = rte_pcapng_fdopen(fd, NULL, NULL, "sipdp", "SIP port capture");
	if (c->pc == NULL) {
		close(fd);
		cap_why(c, -EIO, "%s: rte_pcapng_fdopen: %s", c->path);
		return -EIO;
	}
	snprintf(c->cur, sizeof(c->cur), "%s", c->path);
	c->written = 0;
	c->write_errors = 0;
	c->limit = c->max;
	c->active = true;
	__atomic_store_n(&s->cap_on, 1, __ATOMIC_RELEASE);
	c->result = 0;
	c->why[0] = '\0';
	sipdp_log(SIPDP_LOG_SHARD, RTE_LOG_NOTICE, "capture to %s started (%" PRIu64 " packets max)\n",
		c->cur, c->limit);
	return 0;
}

static void
cap_begin_stop(struct sipdp_shard *s, struct shard_capture *c)
{
	__atomic_store_n(&s->cap_on, 0, __ATOMIC_RELEASE);
	c->active = false;
	c->stopping = true;
	c->stop_tsc = rte_rdtsc() + rte_get_tsc_hz() / 1000 * CAP_DRAIN_MS;
}

/* Write (or, past the limit or when off, free) what the workers queued. */
static int
cap_drain(struct sipdp_shard *s, struct shard_capture *c)
{
	struct rte_mbuf *pkts[SHARD_BURST];
	int work = 0;

	for (uint16_t i = 0; i < s->nb_workers; i++) {
		unsigned n = rte_ring_sc_dequeue_burst(s->w[i]->cap_ring, (void **)pkts, SHARD_BURST,
			NULL);
		unsigned keep = n;

		if (n == 0)
			continue;
		work += (int)n;
		if (c->pc == NULL)
			keep = 0;
		else if (c->limit != 0 && c->written + keep > c->limit)
			keep = (unsigned)(c->limit - c->written);
		if (keep != 0) {
			if (rte_pcapng_write_packets(c->pc, pkts, keep) < 0)
				c->write_errors++;
			else
				c->written += keep;
		}
		rte_pktmbuf_free_bulk(pkts, n);
		if (c->active && c->limit != 0 && c->written >= c->limit)
			cap_begin_stop(s, c);
	}
	return work;
}

static void
cap_close(struct shard_capture *c)
{
	if (c->pc != NULL) {
		rte_pcapng_close(c->pc); /* closes the fd */
		c->pc = NULL;
		sipdp_log(SIPDP_LOG_SHARD, RTE_LOG_NOTICE,
			"capture to %s stopped: %" PRIu64 " packets written\n", c->cur, c->written);
	}
	c->stopping = false;
}

int
shard_capture_control_poll(struct sipdp_shard *s)
{
	struct shard_capture *c = s->cap;
	uint64_t req;
	int work = 0;

	if (c == NULL)
		return 0;
	req = __atomic_load_n(&c->req_seq, __ATOMIC_ACQUIRE);
	if (req != c->ack_seq) {
		if (c->op == CAP_OP_START) {
			(void)cap_start(s, c);
			__atomic_store_n(&c->ack_seq, req, __ATOMIC_RELEASE);
		} else if (c->active) {
			cap_begin_stop(s, c);   /* acknowledged once the file is closed */
		} else if (!c->stopping) {
			c->result = 0;
			__atomic_store_n(&c->ack_seq, req, __ATOMIC_RELEASE);
		}
		work++;
	}
	if (c->active || c->stopping)
		work += cap_drain(s, c);
	if (c->stopping && rte_rdtsc() >= c->stop_tsc) {
		(void)cap_drain(s, c);
		cap_close(c);
		if (req != c->ack_seq) {
			c->result = 0;
			__atomic_store_n(&c->ack_seq, req, __ATOMIC_RELEASE);
		}
	}
	return work;
}

int
shard_capture_create(struct sipdp_shard *s)
{
	char name[RTE_RING_NAMESIZE];

	s->cap = calloc(1, sizeof(*s->cap));
	if (s->cap == NULL)
		return -ENOMEM;
	for (uint16_t i = 0; i < s->nb_workers; i++) {
		snprintf(name, sizeof(name), "sipdp_cap%u", i);
		s->w[i]->cap_ring = rte_ring_create(name, SHARD_CAP_RING_SZ,
			(int)rte_lcore_to_socket_id(s->w[i]->lcore), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (s->w[i]->cap_ring == NULL)
			return -ENOMEM;
	}
	return 0;
}

void
shard_capture_destroy(struct sipdp_shard *s)
{
	if (__atomic_load_n(&cap_shard, __ATOMIC_ACQUIRE) == s)
		__atomic_store_n(&cap_shard, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&s->cap_on, 0, __ATOMIC_RELEASE);
	for (uint16_t i = 0; i < SIPDP_SHARD_MAX_WORKERS; i++) {
		struct shard_worker *w = s->w[i];
		void *m;

		if (w == NULL || w->cap_ring == NULL)
			continue;
		while (rte_ring_sc_dequeue(w->cap_ring, &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(w->cap_ring);
		w->cap_ring = NULL;
	}
	if (s->cap != NULL) {
		cap_close(s->cap);
		free(s->cap);
		s->cap = NULL;
	}
	rte_mempool_free(s->cap_pool);
	s->cap_pool = NULL;
}

static void
sleep_1ms(void)
{
	struct timespec ts = { 0, 1000000 };

	nanosleep(&ts, NULL);
}

static void
cap_status(const struct sipdp_shard *s, struct rte_tel_data *d)
{
	const struct shard_capture *c = s->cap;
	uint64_t copied = 0, drops = 0;

	for (uint16_t i = 0; i < s->nb_workers; i++) {
		copied += __atomic_load_n(&s->w[i]->cap_copied, __ATOMIC_RELAXED);
		drops += __atomic_load_n(&s->w[i]->cap_drops, __ATOMIC_RELAXED);
	}
	rte_tel_data_add_dict_u64(d, "capturing", __atomic_load_n(&s->cap_on, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_string(d, "file", c->cur[0] ? c->cur : "-");
	rte_tel_data_add_dict_u64(d, "written", __atomic_load_n(&c->written, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "limit", __atomic_load_n(&c->limit, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "copied", copied);
	rte_tel_data_add_dict_u64(d, "copy_drops", drops);
	rte_tel_data_add_dict_u64(d, "write_errors",
		__atomic_load_n(&c->write_errors, __ATOMIC_RELAXED));
}

static int
tel_error(struct rte_tel_data *d, const char *why)
{
	rte_tel_data_add_dict_string(d, "status", "error");
	rte_tel_data_add_dict_string(d, "error", why);
	return 0;
}

/*
 * /sipdp/capture                 status
 * /sipdp/capture,start,PATH[,N]  capture to PATH (absolute, .pcapng), N packets (0: until stop)
 * /sipdp/capture,stop            stop and close the file
 */
static int
tel_capture(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sipdp_shard *s = __atomic_load_n(&cap_shard, __ATOMIC_ACQUIRE);
	struct shard_capture *c;
	char buf[CAP_PATH_MAX + 32], *path = NULL, *count, *end;
	uint32_t idle = 0;
	uint64_t seq, max = 0;
	unsigned op;

	(void)cmd;
	if (s == NULL || s->cap == NULL)
		return -ENODEV;
	c = s->cap;
	rte_tel_data_start_dict(d);
	if (params == NULL || params[0] == '\0' || strcmp(params, "status") == 0) {
		rte_tel_data_add_dict_string(d, "status", "ok");
		cap_status(s, d);
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", params);
	if (strcmp(buf, "stop") == 0) {
		op = CAP_OP_STOP;
	} else if (strncmp(buf, "start,", 6) == 0) {
		op = CAP_OP_START;
		path = buf + 6;
		count = strchr(path, ',');
		if (count != NULL) {
			*count++ = '\0';
			max = strtoull(count, &end, 10);
			if (*count == '\0' || *end != '\0')
				return tel_error(d, "the packet count is not a number");
		}
		size_t n = strlen(path);
		if (path[0] != '/' || n < 8 || n >= CAP_PATH_MAX || strcmp(path + n - 7, ".pcapng") != 0)
			return tel_error(d, "start needs an absolute path ending in .pcapng");
	} else {
		return tel_error(d, "use: status | start,/path/file.pcapng[,packets] | stop");
	}
	if (!__atomic_compare_exchange_n(&c->busy, &idle, 1, false, __ATOMIC_ACQUIRE,
			__ATOMIC_RELAXED))
		return tel_error(d, "another capture request is in progress");
	c->op = op;
	if (path != NULL)
		snprintf(c->path, sizeof(c->path), "%s", path);
	c->max = max;
	seq = c->req_seq + 1;
	__atomic_store_n(&c->req_seq, seq, __ATOMIC_RELEASE);
	for (unsigned t = 0; t < CAP_WAIT_MS && __atomic_load_n(&c->ack_seq, __ATOMIC_ACQUIRE) != seq;
	     t++)
		sleep_1ms();
	if (__atomic_load_n(&c->ack_seq, __ATOMIC_ACQUIRE) != seq) {
		__atomic_store_n(&c->busy, 0, __ATOMIC_RELEASE);
		return tel_error(d, "the control lcore did not answer in 2 s");
	}
	if (c->result != 0)
		tel_error(d, c->why);
	else
		rte_tel_data_add_dict_string(d, "status", "ok");
	cap_status(s, d);
	__atomic_store_n(&c->busy, 0, __ATOMIC_RELEASE);
	return 0;
}

int
sipdp_shard_capture_telemetry_register(struct sipdp_shard *s)
{
	__atomic_store_n(&cap_shard, s, __ATOMIC_RELEASE);
	return rte_telemetry_register_cmd("/sipdp/capture", tel_capture,
		"capture the SIP port to pcapng. Parameters: status | start,PATH[,packets] | stop");
}
