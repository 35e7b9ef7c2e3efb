/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ctl TLS figures over loopback, one process, one core (report only:
 * nothing here passes or fails on time).
 *
 * 1. Calls over fresh TLS connections: each call is a full handshake
 *    (TLS 1.3, ECDHE + ECDSA P-256) then INVITE / 200 / ACK / BYE / 200 and
 *    a close. Both ends are lib/ctl instances in this thread; the CPU time
 *    spent inside the server's sipdp_ctl_poll() is measured apart
 *    (CLOCK_THREAD_CPUTIME_ID), so "server calls/s" is what one core
 *    serving TLS would do.
 * 2. Memory per open, idle TLS connection on the server: OpenSSL's
 *    allocations are counted through CRYPTO_set_mem_functions() and
 *    charged to whichever instance is polling; ours is
 *    sipdp_ctl_conn_bytes() (slot, table shares, buffers held).
 *
 * Usage: bench_ctl_tls [calls] [idle_conns]   (defaults 2000 and 1000)
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "ctl_certs.h"
#include "sipdp_ctl.h"

/* ---- OpenSSL allocation accounting ---------------------------------------- */

enum { SIDE_OTHER, SIDE_SERVER, SIDE_CLIENT, SIDE_N };

struct mem_acct_state {
	int side;
	int64_t live[SIDE_N];
};
static struct mem_acct_state mem_acct; /* benchmark-only process state, set before OpenSSL runs */

struct hdr {
	size_t size;
	int side;
	int pad;
};
#define HDR sizeof(struct hdr) /* 16: keeps malloc's alignment */

static void *
c_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	struct hdr *h = malloc(HDR + n);
	if (h == NULL)
		return NULL;
	h->size = n;
	h->side = mem_acct.side;
	mem_acct.live[h->side] += (int64_t)n;
	return (char *)h + HDR;
}

static void
c_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	if (p == NULL)
		return;
	struct hdr *h = (struct hdr *)((char *)p - HDR);
	mem_acct.live[h->side] -= (int64_t)h->size;
	free(h);
}

static void *
c_realloc(void *p, size_t n, const char *file, int line)
{
	if (p == NULL)
		return c_malloc(n, file, line);
	if (n == 0) {
		c_free(p, file, line);
		return NULL;
	}
	struct hdr *h = (struct hdr *)((char *)p - HDR);
	size_t old = h->size;
	int side = h->side;
	struct hdr *nh = realloc(h, HDR + n);
	if (nh == NULL)
		return NULL;
	mem_acct.live[side] += (int64_t)n - (int64_t)old;
	nh->size = n;
	return (char *)nh + HDR;
}

/* ---- call flow -------------------------------------------------------------- */

#define SLOTS 16

struct side {
	struct sipdp_ctl *c;
	uint64_t calls_done;
	uint64_t msgs;
	uint32_t conn_ids[4096];
	uint32_t nconn;
	int respond;
};

static const char INVITE[] =
	"INVITE sip:bench@127.0.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-b1\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sips:a@127.0.0.1>;tag=a1\r\n"
	"To: <sips:bench@127.0.0.1>\r\n"
	"Call-ID: bench-1@127.0.0.1\r\n"
	"CSeq: 1 INVITE\r\n"
	"Contact: <sips:a@127.0.0.1>\r\n"
	"Content-Length: 0\r\n\r\n";
static const char OK_INVITE[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-b1\r\n"
	"From: <sips:a@127.0.0.1>;tag=a1\r\n"
	"To: <sips:bench@127.0.0.1>;tag=b1\r\n"
	"Call-ID: bench-1@127.0.0.1\r\n"
	"CSeq: 1 INVITE\r\n"
	"Contact: <sips:bench@127.0.0.1>\r\n"
	"Content-Length: 0\r\n\r\n";
static const char ACK_BYE[] =
	"ACK sips:bench@127.0.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-b2\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sips:a@127.0.0.1>;tag=a1\r\n"
	"To: <sips:bench@127.0.0.1>;tag=b1\r\n"
	"Call-ID: bench-1@127.0.0.1\r\n"
	"CSeq: 1 ACK\r\n"
	"Content-Length: 0\r\n\r\n"
	"BYE sips:bench@127.0.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-b3\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sips:a@127.0.0.1>;tag=a1\r\n"
	"To: <sips:bench@127.0.0.1>;tag=b1\r\n"
	"Call-ID: bench-1@127.0.0.1\r\n"
	"CSeq: 2 BYE\r\n"
	"Content-Length: 0\r\n\r\n";
static const char OK_BYE[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-b3\r\n"
	"From: <sips:a@127.0.0.1>;tag=a1\r\n"
	"To: <sips:bench@127.0.0.1>;tag=b1\r\n"
	"Call-ID: bench-1@127.0.0.1\r\n"
	"CSeq: 2 BYE\r\n"
	"Content-Length: 0\r\n\r\n";

static void
srv_msg(void *arg, const struct sipdp_ctl_rx *rx)
{
	struct side *s = arg;

	s->msgs++;
	if (s->nconn < 4096)
		s->conn_ids[s->nconn++] = rx->conn_id;
	if (!s->respond)
		return;
	if (rx->len > 6 && memcmp(rx->buf, "INVITE", 6) == 0)
		sipdp_ctl_send(s->c, rx->conn_id, OK_INVITE, sizeof(OK_INVITE) - 1);
	else if (rx->len > 3 && memcmp(rx->buf, "BYE", 3) == 0)
		sipdp_ctl_send(s->c, rx->conn_id, OK_BYE, sizeof(OK_BYE) - 1);
}

static void
cli_msg(void *arg, const struct sipdp_ctl_rx *rx)
{
	struct side *s = arg;

	s->msgs++;
	if (memmem(rx->buf, rx->len, "CSeq: 1 INVITE", 14) != NULL) {
		sipdp_ctl_send(s->c, rx->conn_id, ACK_BYE, sizeof(ACK_BYE) - 1);
	} else if (memmem(rx->buf, rx->len, "CSeq: 2 BYE", 11) != NULL) {
		s->calls_done++;
		sipdp_ctl_close(s->c, rx->conn_id);
	}
}

static uint64_t
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t
cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct sipdp_ctl_addr
lo4(uint16_t port)
{
	struct sipdp_ctl_addr a = { .family = AF_INET, .port = port };
	inet_pton(AF_INET, "127.0.0.1", a.addr);
	return a;
}

static uint64_t srv_cpu;

static void
poll_srv(struct sipdp_ctl *c)
{
	uint64_t t = cpu_ns();
	mem_acct.side = SIDE_SERVER;
	sipdp_ctl_poll(c, now_us());
	mem_acct.side = SIDE_OTHER;
	srv_cpu += cpu_ns() - t;
}

static void
poll_cli(struct sipdp_ctl *c)
{
	mem_acct.side = SIDE_CLIENT;
	sipdp_ctl_poll(c, now_us());
	mem_acct.side = SIDE_OTHER;
}

int
main(int argc, char **argv)
{
	uint64_t calls = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000;
	uint32_t idle = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 1000;
	struct ctl_certs pki;

	signal(SIGPIPE, SIG_IGN);
	if (!CRYPTO_set_mem_functions(c_malloc, c_realloc, c_free)) {
		fprintf(stderr, "CRYPTO_set_mem_functions refused (OpenSSL already allocated)\n");
		return 1;
	}
	if (ctl_certs_make(&pki) != 0) {
		fprintf(stderr, "cannot make the test PKI\n");
		return 1;
	}
	if (idle > 4000)
		idle = 4000;
	/* Both ends are in this process: two descriptors per connection. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < 2 * idle + 64)
			idle = (uint32_t)(rl.rlim_cur - 64) / 2;
	}

	struct side srv = { .respond = 1 }, cli = { 0 };
	struct sipdp_ctl_params ps = {
		.max_conns = 8192, .max_per_source = 8192, .tls_enabled = true,
		.tls = { .cert_file = pki.srv_cert, .key_file = pki.srv_key, .ca_file = pki.ca },
		.on_message = srv_msg, .arg = &srv };
	struct sipdp_ctl_params pc = {
		.max_conns = 8192, .tls_enabled = true, .tls = { .ca_file = pki.ca },
		.on_message = cli_msg, .arg = &cli };
	if (sipdp_ctl_create(&ps, now_us(), &srv.c) != 0 ||
	    sipdp_ctl_create(&pc, now_us(), &cli.c) != 0) {
		fprintf(stderr, "create failed\n");
		return 1;
	}
	uint16_t ports[SLOTS];
	for (int i = 0; i < SLOTS; i++) {
		struct sipdp_ctl_addr a = lo4(0);
		int idx = sipdp_ctl_listen(srv.c, SIPDP_CTL_TLS, &a);
		sipdp_ctl_listen_addr(srv.c, idx, &a);
		ports[i] = a.port;
	}

	/* 1. calls, each on a fresh TLS connection, SLOTS in flight. */
	uint64_t started = 0, t0 = now_us(), c0 = cpu_ns();
	srv_cpu = 0;
	uint64_t deadline = t0 + 120u * 1000000u;
	while (cli.calls_done < calls && now_us() < deadline) {
		for (int i = 0; i < SLOTS && started < calls; i++) {
			struct sipdp_ctl_addr dst = lo4(ports[i]);
			uint32_t id;
			if (sipdp_ctl_lookup(cli.c, SIPDP_CTL_TLS, &dst, &id) == 0)
				continue; /* slot busy */
			mem_acct.side = SIDE_CLIENT;
			if (sipdp_ctl_send_to(cli.c, SIPDP_CTL_TLS, &dst, NULL, INVITE,
					sizeof(INVITE) - 1, &id) == 0)
				started++;
			mem_acct.side = SIDE_OTHER;
		}
		poll_cli(cli.c);
		poll_srv(srv.c);
	}
	double wall = (double)(now_us() - t0) / 1e6;
	double cpu = (double)(cpu_ns() - c0) / 1e9;
	struct sipdp_ctl_stats ss;
	sipdp_ctl_stats(srv.c, &ss);
	printf("TLS calls (fresh connection each: handshake + INVITE/200/ACK/BYE/200 + close)\n");
	printf("  calls done            %llu (server handshakes ok %llu, failed %llu)\n",
		(unsigned long long)cli.calls_done, (unsigned long long)ss.tls_handshakes_ok,
		(unsigned long long)ss.tls_handshakes_failed);
	printf("  both ends, one core   %.0f calls/s (wall %.2f s, cpu %.2f s)\n",
		(double)cli.calls_done / cpu, wall, cpu);
	printf("  server side only      %.0f calls/s (%.1f us cpu per call)\n",
		(double)cli.calls_done / ((double)srv_cpu / 1e9),
		(double)srv_cpu / 1e3 / (double)(cli.calls_done ? cli.calls_done : 1));

	/* 2. memory per idle TLS connection on the server. */
	srv.nconn = cli.nconn = 0;
	for (int w = 0; w < 200; w++) {
		poll_cli(cli.c);
		poll_srv(srv.c);
	}
	srv.respond = 0;
	int nclients = (int)((idle + SLOTS - 1) / SLOTS);
	struct sipdp_ctl **clients = calloc((size_t)nclients, sizeof(*clients));
	for (int i = 0; i < nclients; i++) {
		mem_acct.side = SIDE_CLIENT;
		if (sipdp_ctl_create(&pc, now_us(), &clients[i]) != 0)
			return 1;
		mem_acct.side = SIDE_OTHER;
	}
	int64_t srv_before = mem_acct.live[SIDE_SERVER];
	sipdp_ctl_stats(srv.c, &ss);
	uint64_t open_before = ss.conns_open;
	uint32_t opened = 0;
	for (int i = 0; i < nclients; i++)
		for (int j = 0; j < SLOTS && opened < idle; j++, opened++) {
			struct sipdp_ctl_addr dst = lo4(ports[j]);
			mem_acct.side = SIDE_CLIENT;
			sipdp_ctl_send_to(clients[i], SIPDP_CTL_TLS, &dst, NULL, INVITE,
				sizeof(INVITE) - 1, NULL);
			mem_acct.side = SIDE_OTHER;
		}
	uint64_t tw = now_us();
	while (srv.nconn < opened && now_us() < tw + 60u * 1000000u) {
		for (int i = 0; i < nclients; i++)
			poll_cli(clients[i]);
		poll_srv(srv.c);
	}
	for (int w = 0; w < 50; w++) {
		for (int i = 0; i < nclients; i++)
			poll_cli(clients[i]);
		poll_srv(srv.c);
	}
	sipdp_ctl_stats(srv.c, &ss);
	uint64_t n = ss.conns_open - open_before;
	int64_t ossl = mem_acct.live[SIDE_SERVER] - srv_before;
	uint64_t ours = 0;
	for (uint32_t i = 0; i < srv.nconn; i++)
		ours += sipdp_ctl_conn_bytes(srv.c, srv.conn_ids[i]);
	printf("Memory per open idle TLS connection (server side, %llu connections, "
		"one INVITE received on each)\n", (unsigned long long)n);
	if (n > 0) {
		printf("  OpenSSL               %.0f bytes\n", (double)ossl / (double)n);
		printf("  lib/ctl               %.0f bytes\n", (double)ours / (double)srv.nconn);
		printf("  total                 %.0f bytes\n",
			(double)ossl / (double)n + (double)ours / (double)srv.nconn);
	}
	for (int i = 0; i < nclients; i++)
		sipdp_ctl_destroy(clients[i]);
	free(clients);
	sipdp_ctl_destroy(cli.c);
	sipdp_ctl_destroy(srv.c);
	ctl_certs_remove(&pki);
	return 0;
}
