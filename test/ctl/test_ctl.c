/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ctl over loopback (127.0.0.1 and ::1, in this process only).
 *
 * Scenarios and the requirement each checks:
 *   framing_*            RFC 3261 §18.3: messages framed by Content-Length
 *                        whatever the TCP segmentation (every split point on a
 *                        buffer connection, byte by byte over a socket)
 *   keepalive_*          RFC 5626 §4.4.1: CRLFCRLF answered with CRLF
 *   oversize_*           §21.5.14: a body over the limit is answered 513 and
 *                        the connection closed (counted)
 *   truncated_*          Content-Length larger than what follows: the peer
 *                        close, or the message deadline, ends it (counted)
 *   slowloris_*          half a header section then silence: closed exactly
 *                        at the deadline, not a microsecond before
 *   limit_*              per-source and total connection limits (refused)
 *   idle_*               idle timeout, exactly
 *   tls_*                TLS 1.2/1.3 handshake (test PKI made at run time),
 *                        mutual TLS, untrusted and expired certificates,
 *                        plaintext on the TLS port, handshake timeout
 *   outbound_*           §18.1.1 connect, then reuse for the same peer
 * Every bad case is followed by a normal message that is delivered, and
 * every test ends with no connection open.
 * The clock is the test's own (now_us); wall time only bounds how long a
 * test waits for the kernel to move bytes over loopback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "ctl_certs.h"
#include "sipdp_cfg.h"
#include "sipdp_ctl.h"
#include "sipdp_msg.h"
#include "sipdp_test.h"

#define MAXREC 32
/* lib/ctl reads at most this much at once (CTL_SCRATCH) */
#define CTL_TEST_SCRATCH (64 * 1024)

struct rec {
	int n;
	char buf[MAXREC][4096];
	uint32_t len[MAXREC];
	uint32_t conn[MAXREC];
	uint8_t tp[MAXREC];
	struct sipdp_ctl_addr peer[MAXREC];
	int nclosed;
	uint32_t closed_id[MAXREC];
	int reason[MAXREC];
	/* reply sent on the connection of each request when set */
	const char *reply;
	struct sipdp_ctl *self;
	char tx[4096];
	uint32_t txlen;
};

static uint64_t now_us = 1000000;
static struct ctl_certs pki;
static bool have_pki;

static const char OPT[] =
	"OPTIONS sip:sipdp@127.0.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-1\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:a@127.0.0.1>;tag=1\r\n"
	"To: <sip:sipdp@127.0.0.1>\r\n"
	"Call-ID: c1@test\r\n"
	"CSeq: 1 OPTIONS\r\n"
	"Content-Length: 0\r\n\r\n";

static const char MSG[] =
	"MESSAGE sip:sipdp@127.0.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-2\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:a@127.0.0.1>;tag=1\r\n"
	"To: <sip:sipdp@127.0.0.1>\r\n"
	"Call-ID: c2@test\r\n"
	"CSeq: 2 MESSAGE\r\n"
	"Content-Type: text/plain\r\n"
	"l: 12\r\n\r\n"
	"hello\r\nworld";

static const char RESP[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-1\r\n"
	"From: <sip:a@127.0.0.1>;tag=1\r\n"
	"To: <sip:sipdp@127.0.0.1>;tag=2\r\n"
	"Call-ID: c1@test\r\n"
	"CSeq: 1 OPTIONS\r\n"
	"Content-Length: 0\r\n\r\n";

static void
on_msg(void *arg, const struct sipdp_ctl_rx *rx)
{
	struct rec *r = arg;

	if (r->n < MAXREC) {
		uint32_t l = rx->len < sizeof(r->buf[0]) ? rx->len : sizeof(r->buf[0]);
		memcpy(r->buf[r->n], rx->buf, l);
		r->len[r->n] = rx->len;
		r->conn[r->n] = rx->conn_id;
		r->tp[r->n] = rx->transport;
		r->peer[r->n] = rx->peer;
		r->n++;
	}
	if (r->reply && r->self)
		sipdp_ctl_send(r->self, rx->conn_id, r->reply, (uint32_t)strlen(r->reply));
}

static void
on_closed(void *arg, uint32_t id, enum sipdp_ctl_close_reason why)
{
	struct rec *r = arg;

	if (r->nclosed < MAXREC) {
		r->closed_id[r->nclosed] = id;
		r->reason[r->nclosed] = (int)why;
	}
	r->nclosed++;
}

static void
on_tx(void *arg, uint32_t id, const void *buf, uint32_t len)
{
	struct rec *r = arg;

	(void)id;
	if (r->txlen + len <= sizeof(r->tx)) {
		memcpy(r->tx + r->txlen, buf, len);
		r->txlen += len;
	}
}

static struct sipdp_ctl *
mk(struct sipdp_ctl_params *p, struct rec *r)
{
	struct sipdp_ctl *c = NULL;

	memset(r, 0, sizeof(*r));
	p->on_message = on_msg;
	p->on_closed = on_closed;
	p->on_buffer_tx = on_tx;
	p->arg = r;
	int rc = sipdp_ctl_create(p, now_us, &c);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	r->self = c;
	return c;
}

static struct sipdp_ctl_addr
lo(int family, uint16_t port)
{
	struct sipdp_ctl_addr a = { .family = (uint8_t)family, .port = port };

	if (family == AF_INET)
		inet_pton(AF_INET, "127.0.0.1", a.addr);
	else
		inet_pton(AF_INET6, "::1", a.addr);
	return a;
}

/* Listen on loopback with a kernel-chosen port; @return the port. */
static uint16_t
listen_on(struct sipdp_ctl *c, enum sipdp_ctl_transport tp, int family)
{
	struct sipdp_ctl_addr a = lo(family, 0);
	int idx = sipdp_ctl_listen(c, tp, &a);

	CU_ASSERT_FATAL(idx >= 0);
	CU_ASSERT_EQUAL_FATAL(sipdp_ctl_listen_addr(c, idx, &a), 0);
	return a.port;
}

static void
pump(struct sipdp_ctl *a, struct sipdp_ctl *b)
{
	if (a)
		sipdp_ctl_poll(a, now_us);
	if (b)
		sipdp_ctl_poll(b, now_us);
}

/* Bounded wait for loopback I/O: up to 20000 rounds of 100 us. */
#define WAIT(a, b, cond)                                                      \
	do {                                                                  \
		for (int w_ = 0; w_ < 20000 && !(cond); w_++) {               \
			pump((a), (b));                                       \
			if (!(cond))                                          \
				usleep(100);                                  \
		}                                                             \
	} while (0)

static int
raw_connect(int family, uint16_t port)
{
	struct sipdp_ctl_addr a = lo(family, port);
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = socket(family, SOCK_STREAM, 0), one = 1;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a.addr, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a.addr, 16);
		sl = sizeof(*s6);
	}
	CU_ASSERT_FATAL(fd >= 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	CU_ASSERT_EQUAL_FATAL(connect(fd, (struct sockaddr *)&ss, sl), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void
raw_send(int fd, const void *p, size_t n)
{
	CU_ASSERT_EQUAL(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Read what is there: >0 bytes, 0 EOF, -1 nothing yet, -2 reset. */
static ssize_t
raw_recv(int fd, char *buf, size_t cap)
{
	ssize_t n = recv(fd, buf, cap, 0);
	if (n < 0)
		return errno == EAGAIN ? -1 : -2;
	return n;
}

static void
expect_closed_count(struct sipdp_ctl *c, enum sipdp_ctl_close_reason why, uint64_t n)
{
	struct sipdp_ctl_stats st;

	sipdp_ctl_stats(c, &st);
	CU_ASSERT_EQUAL(st.closed[why], n);
	if (st.closed[why] != n)
		fprintf(stderr, "closed[%s] = %llu, expected %llu\n", sipdp_ctl_close_reason_str(why),
			(unsigned long long)st.closed[why], (unsigned long long)n);
}

static uint64_t
open_conns(struct sipdp_ctl *c)
{
	struct sipdp_ctl_stats st;

	sipdp_ctl_stats(c, &st);
	return st.conns_open;
}

/* A fresh connection carries a normal message to the end. */
static void
normal_message_delivered(struct sipdp_ctl *c, struct rec *r, uint16_t port)
{
	int before = r->n;
	int fd = raw_connect(AF_INET, port);

	raw_send(fd, OPT, sizeof(OPT) - 1);
	WAIT(c, NULL, r->n > before);
	CU_ASSERT_EQUAL_FATAL(r->n, before + 1);
	CU_ASSERT_EQUAL(r->len[before], sizeof(OPT) - 1);
	CU_ASSERT(memcmp(r->buf[before], OPT, sizeof(OPT) - 1) == 0);
	close(fd);
	WAIT(c, NULL, open_conns(c) == 0);
}

static void
finish(struct sipdp_ctl *c)
{
	WAIT(c, NULL, open_conns(c) == 0);
	CU_ASSERT_EQUAL(open_conns(c), 0);
	sipdp_ctl_destroy(c);
}

/* ---- framing ------------------------------------------------------------- */

static void
test_framing_every_split_point_on_a_buffer(void)
{
	struct rec r;
	struct sipdp_ctl_params p = { 0 };
	struct sipdp_ctl *c = mk(&p, &r);
	char two[sizeof(OPT) + sizeof(MSG)];
	uint32_t n = (uint32_t)(sizeof(OPT) - 1 + sizeof(MSG) - 1), id;

	memcpy(two, OPT, sizeof(OPT) - 1);
	memcpy(two + sizeof(OPT) - 1, MSG, sizeof(MSG) - 1);
	for (uint32_t a = 1; a < n; a += 3) {
		for (uint32_t b = a; b < n; b += 17) {
			r.n = 0;
			CU_ASSERT_EQUAL_FATAL(sipdp_ctl_attach_buffer(c, NULL, &id), 0);
			CU_ASSERT_EQUAL(sipdp_ctl_input(c, id, two, a, now_us), 0);
			if (b > a)
				CU_ASSERT_EQUAL(sipdp_ctl_input(c, id, two + a, b - a, now_us), 0);
			CU_ASSERT_EQUAL(sipdp_ctl_input(c, id, two + b, n - b, now_us), 0);
			CU_ASSERT_EQUAL_FATAL(r.n, 2);
			CU_ASSERT(r.len[0] == sizeof(OPT) - 1 && memcmp(r.buf[0], OPT, r.len[0]) == 0);
			CU_ASSERT(r.len[1] == sizeof(MSG) - 1 && memcmp(r.buf[1], MSG, r.len[1]) == 0);
			CU_ASSERT_EQUAL(sipdp_ctl_conn_bytes(c, id), sipdp_ctl_conn_bytes(c, id));
			CU_ASSERT_EQUAL(sipdp_ctl_close(c, id), 0);
		}
	}
	CU_ASSERT_EQUAL(open_conns(c), 0);
	sipdp_ctl_destroy(c);
}

static void
test_framing_byte_by_byte_over_tcp_v4_and_v6(void)
{
	struct rec r;
	struct sipdp_ctl_params p = { 0 };
	struct sipdp_ctl *c = mk(&p, &r);
	int fams[2] = { AF_INET, AF_INET6 };

	for (int f = 0; f < 2; f++) {
		uint16_t port = listen_on(c, SIPDP_CTL_TCP, fams[f]);
		int fd = raw_connect(fams[f], port);
		r.n = 0;
		for (size_t i = 0; i < sizeof(MSG) - 1; i++) {
			raw_send(fd, MSG + i, 1);
			if (i % 7 == 0)
				pump(c, NULL);
		}
		raw_send(fd, OPT, 10);
		pump(c, NULL);
		raw_send(fd, OPT + 10, sizeof(OPT) - 11);
		WAIT(c, NULL, r.n == 2);
		CU_ASSERT_EQUAL_FATAL(r.n, 2);
		CU_ASSERT(r.len[0] == sizeof(MSG) - 1 && memcmp(r.buf[0], MSG, r.len[0]) == 0);
		CU_ASSERT(r.len[1] == sizeof(OPT) - 1 && memcmp(r.buf[1], OPT, r.len[1]) == 0);
		CU_ASSERT_EQUAL(r.tp[0], SIPDP_CTL_TCP);
		CU_ASSERT_EQUAL(r.peer[0].family, fams[f]);
		CU_ASSERT_EQUAL(r.conn[0], r.conn[1]);
		/* §18.2.2: the response goes back on the request's connection. */
		CU_ASSERT_EQUAL(sipdp_ctl_send(c, r.conn[1], RESP, sizeof(RESP) - 1), 0);
		char buf[1024];
		ssize_t got = -1;
		for (int w = 0; w < 20000 && got < 0; w++) {
			got = raw_recv(fd, buf, sizeof(buf));
			if (got < 0)
				usleep(100);
		}
		CU_ASSERT_EQUAL(got, (ssize_t)sizeof(RESP) - 1);
		close(fd);
		WAIT(c, NULL, open_conns(c) == 0);
	}
	struct sipdp_ctl_stats st;
	sipdp_ctl_stats(c, &st);
	CU_ASSERT_EQUAL(st.msgs_in, 4);
	CU_ASSERT_EQUAL(st.accepted, 2);
	expect_closed_count(c, SIPDP_CTL_CLOSE_PEER, 2);
	finish(c);
}

/* ---- keep-alive -------------------------------------------------------------- */

static void
test_keepalive_crlfcrlf_answered_with_crlf(void)
{
	struct rec r;
	struct sipdp_ctl_params p = { 0 };
	struct sipdp_ctl *c = mk(&p, &r);
	uint16_t port = listen_on(c, SIPDP_CTL_TCP, AF_INET);
	int fd = raw_connect(AF_INET, port);
	char buf[16];
	ssize_t got = -1;

	raw_send(fd, "\r\n\r\n", 4);
	for (int w = 0; w < 20000 && got < 0; w++) {
		pump(c, NULL);
		got = raw_recv(fd, buf, sizeof(buf));
		if (got < 0)
			usleep(100);
	}
	CU_ASSERT_EQUAL_FATAL(got, 2);
	CU_ASSERT(memcmp(buf, "\r\n", 2) == 0);
	/* and a message right after on the same connection */
	raw_send(fd, OPT, sizeof(OPT) - 1);
	WAIT(c, NULL, r.n == 1);
	CU_ASSERT_EQUAL(r.n, 1);
	struct sipdp_ctl_stats st;
	sipdp_ctl_stats(c, &st);
	CU_ASSERT_EQUAL(st.pings_in, 1);
	CU_ASSERT_EQUAL(st.msgs_in, 1);
	close(fd);
	finish(c);
}

/* ---- oversize ---------------------------------------------------------------- */

static void
test_oversize_body_answered_513_and_closed(void)
{
	struct rec r;
	struct sipdp_ctl_params p = { .max_header_bytes = 2048, .max_message_bytes = 4096 };
	struct sipdp_ctl *c = mk(&p, &r);
	uint16_t port = listen_on(c, SIPDP_CTL_TCP, AF_INET);
	int fd = raw_connect(AF_INET, port);
	static const char big[] =
		"MESSAGE sip:sipdp@127.0.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-3\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:a@127.0.0.1>;tag=1\r\n"
		"To: <sip:sipdp@127.0.0.1>\r\n"
		"Call-ID: big@test\r\n"
		"CSeq: 3 MESSAGE\r\n"
		"Content-Length: 100000\r\n\r\n"
		"xxxx";
	char buf[2048];
	ssize_t got, total = 0;

	raw_send(fd, big, sizeof(big) - 1);
	/* More body than one read takes is already queued when the server
	 * gives up: closing then would reset the connection and the 513
	 * could be lost. The server lingers, discarding, then sends FIN. */
	static char more[96 * 1024];
	memset(more, 'x', sizeof(more));
	size_t sent = 0;
	for (int w = 0; w < 1000 && sent < sizeof(more); w++) {
		ssize_t n = send(fd, more + sent, sizeof(more) - sent, MSG_NOSIGNAL);
		if (n > 0)
			sent += (size_t)n;
		else
			usleep(100);
	}
	CU_ASSERT(sent > CTL_TEST_SCRATCH);
	for (int w = 0; w < 20000; w++) {
		pump(c, NULL);
		got = raw_recv(fd, buf + total, sizeof(buf) - 1 - (size_t)total);
		if (got == 0 || got == -2)
			break;
		if (got > 0)
			total += got;
		else
			usleep(100);
	}
	CU_ASSERT_EQUAL(got, 0); /* an orderly FIN after the answer */
	buf[total] = 0;
	CU_ASSERT(strncmp(buf, "SIP/2.0 513 ", 12) == 0);
	CU_ASSERT(strstr(buf, "Call-ID: big@test\r\n") != NULL);
	CU_ASSERT(strstr(buf, "branch=z9hG4bK-3") != NULL);
	CU_ASSERT_EQUAL(r.n, 0);
	expect_closed_count(c, SIPDP_CTL_CLOSE_OVERSIZE, 1);
	struct sipdp_ctl_stats st;
	sipdp_ctl_stats(c, &st);
	CU_ASSERT_EQUAL(st.oversize_513, 1);
	CU_ASSERT_EQUAL(st.framing_errors, 1);
	close(fd);
	normal_message_delivered(c, &r, port);
	finish(c);
}

static void
test_oversize_header_section_closed(void)
{
	struct rec r;
	struct sipdp_ctl_params p = { .max_header_bytes = 1024, .max_message_bytes = 4096 };
	struct sipdp_ctl *c = mk(&p, &r);
	uint32_t id;
	char junk[1500];

	CU_ASSERT_EQUAL_FATAL(sipdp_ctl_attach_buffer(c, NULL, &id), 0);
	memcpy(junk, "OPTIONS sip:x SIP/2.0\r\nX: ", 26);
	memset(junk + 26, 'a', sizeof(junk) - 26);
	CU_ASSERT_EQUAL(sipdp_ctl_input(c, id, junk, sizeof(junk), now_us), -ENOTCONN);
	expect_closed_count(c, SIPDP_CTL_CLOSE_OVERSIZE, 1);
	CU_ASSERT_EQUAL(r.n, 0);
	CU_ASSERT_EQUAL(r.nclosed, 1);
	CU_ASSERT_EQUAL(r.closed_id[0], id);
	CU_ASSERT_EQUAL(r.reason[0], SIPDP_CTL_CLOSE_OVERSIZE);
	CU_ASSERT_EQUAL(open_conns(c), 0);
	sipdp_ctl_destroy(c);
}

static void
test_framing_bad_content_length_closes(void)
{
	struct rec r;
	struct sipdp_ctl_params p = { 0 };
	struct sipdp_ctl *c = mk(&p, &r);
	uint32_t id;
	static const char bad[] = "OPTIONS sip:x SIP/2.0\r\nContent-Length: -1\r\n\r\n";

	CU_ASSERT_EQUAL_FATAL(sipdp_ctl_attach_buffer(c, NULL, &id), 0);
	CU_ASSERT_EQUAL(sipdp_ctl_input(c, id, bad, sizeof(bad) - 1, now_us), -ENOTCONN);
	expect_closed_count(c, SIPDP_CTL_CLOSE_FRAMING, 1);
	CU_ASSERT_EQUAL(r.n, 0);
	CU_ASSERT_EQUAL(open_conns(c), 0);
	sipdp_ctl_destroy(c);
}

/* ---- truncated and slow messages ------------------------------------------ */

static void
test_truncated_body_then_peer_close_counted(void)
{
	struct rec r;
	struct sipdp_ctl_params p = { 0 };
	struct sipdp_ctl *c = mk(&p, &r);
	uint16_t port = listen_on(c, SIPDP_CTL_TCP, AF_INET);
	int fd = raw_connect(AF_INET, port);

	/* MSG says 12 body bytes; send 5 of them and hang up. */
	raw_send(fd, MSG, sizeof(MSG) - 1 - 7);
	WAIT(c, NULL, open_conns(c) == 1);
	pump(c, NULL);
	close(fd);
	WAIT(c, NULL, open_conns(c) == 0);
	CU_ASSERT_EQUAL(r.n, 0);
	expect_closed_count(c, SIPDP_CTL_CLOSE_PEER, 1);
	struct sipdp_ctl_stats st;
	sipdp_ctl_stats(c, &st);
	CU_ASSERT_EQUAL(st.framing_errors, 1);
	normal_message_delivered(c, &r, port);
	finish(c);
}

static void
test_truncated_body_then_silence_closed_at_deadline(void)
{
	struct rec r;
	struct sipdp_ctl_params p = { .message_deadline_ms = 2000 };
	struct sipdp_ctl *c = mk(&p, &r);
	uint32_t id;

	CU_ASSERT_EQUAL_FATAL(sipdp_ctl_attach_buffer(c, NULL, &id), 0);
	CU_ASSERT_EQUAL(sipdp_ctl_input(c, id, MSG, sizeof(MSG) - 1 - 7, now_us), 0);
	now_us += 2000 * 1000 - 1;
	sipdp_ctl_poll(c, now_us);
	CU_ASSERT_EQUAL(open_conns(c), 1);
	now_us += 1;
	sipdp_ctl_poll(c, now_us);
	CU_ASSERT_EQUAL(open_conns(c), 0);
	expect_closed_count(c, SIPDP_CTL_CLOSE_DEADLINE, 1);
	CU_ASSERT_EQUAL(r.n, 0);
	sipdp_ctl_destroy(c);
}

static void
test_slowloris_half_header_closed_at_deadline(void)
{
	struct rec r;
	struct sipdp_ctl_params p = { .message_deadline_ms = 5000, .idle_timeout_ms = 600000 };
	struct sipdp_ctl *c = mk(&p, &r);
	uint16_t port = listen_on(c, SIPDP_CTL_TCP, AF_INET6);
	int fd = raw_connect(AF_INET6, port);
	uint64_t t0 = now_us;

	raw_send(fd, OPT, 60);
	WAIT(c, NULL, open_conns(c) == 1);
	pump(c, NULL);
	/* A byte now and then does not reset the deadline. */
	now_us = t0 + 4000000;
	raw_send(fd, OPT + 60, 1);
	pump(c, NULL);
	now_us = t0 + 5000000 - 1;
	pump(c, NULL);
	CU_ASSERT_EQUAL(open_conns(c), 1);
	now_us = t0 + 5000000;
	pump(c, NULL);
	CU_ASSERT_EQUAL(open_conns(c), 0);
	expect_closed_count(c, SIPDP_CTL_CLOSE_DEADLINE, 1);
	CU_ASSERT_EQUAL(r.n, 0);
	char buf[8];
	ssize_t got = -1;
	for (int w = 0; w < 20000 && got == -1; w++) {
		got = raw_recv(fd, buf, sizeof(buf));
		if (got == -1)
			usleep(100);
	}
	CU_ASSERT(got == 0 || got == -2);
	close(fd);
	normal_message_delivered(c, &r, listen_on(c, SIPDP_CTL_TCP, AF_INET));
	finish(c);
}

/* ---- limits ------------------------------------------------------------------ */

static bool
was_refused(int fd)
{
	char b;
	ssize_t got = -1;

	for (int w = 0; w < 20000 && got == -1; w++) {
		got = raw_recv(fd, &b, 1);
		if (got == -1)
			usleep(100);
	}
	return got == 0 || got == -2;
}

static void
test_limit_per_source_refused(void)
{
	struct rec r;
	struct sipdp_ctl_params p = { .max_per_source = 2 };
	struct sipdp_ctl *c = mk(&p, &r);
	uint16_t port = listen_on(c, SIPDP_CTL_TCP, AF_INET);
	int fd[3];
	struct sipdp_ctl_stats st;

	for (int i = 0; i < 3; i++) {
		fd[i] = raw_connect(AF_INET, port);
		WAIT(c, NULL, (sipdp_ctl_stats(c, &st), st.accepted + st.refused_per_source == (uint64_t)i + 1));
	}
	sipdp_ctl_stats(c, &st);
	CU_ASSERT_EQUAL(st.accepted, 2);
	CU_ASSERT_EQUAL(st.refused_per_source, 1);
	CU_ASSERT_EQUAL(st.conns_open, 2);
	CU_ASSERT(was_refused(fd[2]));
	/* The other source (::1) is not limited by 127.0.0.1's count. */
	uint16_t port6 = listen_on(c, SIPDP_CTL_TCP, AF_INET6);
	int fd6 = raw_connect(AF_INET6, port6);
	WAIT(c, NULL, open_conns(c) == 3);
	CU_ASSERT_EQUAL(open_conns(c), 3);
	for (int i = 0; i < 3; i++)
		close(fd[i]);
	close(fd6);
	WAIT(c, NULL, open_conns(c) == 0);
	normal_message_delivered(c, &r, port);
	finish(c);
}

static void
test_limit_total_refused(void)
{
	struct rec r;
	struct sipdp_ctl_params p = { .max_conns = 3 };
	struct sipdp_ctl *c = mk(&p, &r);
	uint16_t port = listen_on(c, SIPDP_CTL_TCP, AF_INET);
	int fd[4];
	struct sipdp_ctl_stats st;

	for (int i = 0; i < 4; i++) {
		fd[i] = raw_connect(AF_INET, port);
		WAIT(c, NULL, (sipdp_ctl_stats(c, &st), st.accepted + st.refused_total == (uint64_t)i + 1));
	}
	sipdp_ctl_stats(c, &st);
	CU_ASSERT_EQUAL(st.accepted, 3);
	CU_ASSERT_EQUAL(st.refused_total, 1);
	CU_ASSERT(was_refused(fd[3]));
	/* Outbound connections count against the same table. */
	struct sipdp_ctl_addr dst = lo(AF_INET, port);
	CU_ASSERT_EQUAL(sipdp_ctl_send_to(c, SIPDP_CTL_TCP, &dst, NULL, OPT, 4, NULL), -EMFILE);
	for (int i = 0; i < 4; i++)
		close(fd[i]);
	WAIT(c, NULL, open_conns(c) == 0);
	normal_message_delivered(c, &r, port);
	finish(c);
}

static void
test_idle_timeout_exact(void)
{
	struct rec r;
	struct sipdp_ctl_params p = { .idle_timeout_ms = 30000 };
	struct sipdp_ctl *c = mk(&p, &r);
	uint16_t port = listen_on(c, SIPDP_CTL_TCP, AF_INET);
	int fd = raw_connect(AF_INET, port);

	WAIT(c, NULL, open_conns(c) == 1);
	uint64_t t0 = now_us;
	now_us = t0 + 20000000;
	raw_send(fd, OPT, sizeof(OPT) - 1); /* activity restarts the idle time */
	WAIT(c, NULL, r.n == 1);
	uint64_t t1 = now_us;
	now_us = t1 + 30000000 - 1;
	pump(c, NULL);
	CU_ASSERT_EQUAL(open_conns(c), 1);
	now_us = t1 + 30000000;
	pump(c, NULL);
	CU_ASSERT_EQUAL(open_conns(c), 0);
	expect_closed_count(c, SIPDP_CTL_CLOSE_IDLE, 1);
	CU_ASSERT(was_refused(fd));
	close(fd);
	normal_message_delivered(c, &r, port);
	finish(c);
}

static void
test_tx_queue_overflow_closes(void)
{
	struct rec r;
	struct sipdp_ctl_params p = { .max_tx_queue_bytes = 65536 };
	struct sipdp_ctl *c = mk(&p, &r);
	uint16_t port = listen_on(c, SIPDP_CTL_TCP, AF_INET);
	int fd = raw_connect(AF_INET, port);
	static char chunk[32768];
	int rc = 0, i;

	raw_send(fd, OPT, sizeof(OPT) - 1);
	WAIT(c, NULL, r.n == 1);
	CU_ASSERT_EQUAL_FATAL(r.n, 1);
	memset(chunk, 'z', sizeof(chunk));
	/* The peer never reads: the kernel buffers fill, then our queue. */
	for (i = 0; i < 2000 && rc == 0; i++)
		rc = sipdp_ctl_send(c, r.conn[0], chunk, sizeof(chunk));
	CU_ASSERT_EQUAL(rc, -ENOBUFS);
	CU_ASSERT_EQUAL(sipdp_ctl_send(c, r.conn[0], chunk, 1), -ENOTCONN);
	expect_closed_count(c, SIPDP_CTL_CLOSE_TX_OVERFLOW, 1);
	CU_ASSERT_EQUAL(r.nclosed, 1);
	CU_ASSERT_EQUAL(r.reason[0], SIPDP_CTL_CLOSE_TX_OVERFLOW);
	close(fd);
	normal_message_delivered(c, &r, port);
	finish(c);
}

/* ---- outbound ------------------------------------------------------------------ */

static void
test_outbound_connect_then_reuse(void)
{
	struct rec rs, rc;
	struct sipdp_ctl_params ps = { 0 }, pc = { 0 };
	struct sipdp_ctl *srv = mk(&ps, &rs);
	struct sipdp_ctl *cli = mk(&pc, &rc);
	uint16_t port = listen_on(srv, SIPDP_CTL_TCP, AF_INET6);
	struct sipdp_ctl_addr dst = lo(AF_INET6, port);
	uint32_t id1, id2, idl;
	struct sipdp_ctl_stats st;

	rs.reply = RESP;
	CU_ASSERT_EQUAL(sipdp_ctl_send_to(cli, SIPDP_CTL_TCP, &dst, NULL, OPT, sizeof(OPT) - 1, &id1), 0);
	CU_ASSERT_EQUAL(sipdp_ctl_send_to(cli, SIPDP_CTL_TCP, &dst, NULL, MSG, sizeof(MSG) - 1, &id2), 0);
	CU_ASSERT_EQUAL(id1, id2);
	CU_ASSERT_EQUAL(sipdp_ctl_lookup(cli, SIPDP_CTL_TCP, &dst, &idl), 0);
	CU_ASSERT_EQUAL(idl, id1);
	CU_ASSERT_EQUAL(sipdp_ctl_lookup(cli, SIPDP_CTL_TLS, &dst, &idl), -ENOENT);
	WAIT(srv, cli, rs.n == 2 && rc.n == 2);
	CU_ASSERT_EQUAL_FATAL(rs.n, 2);
	CU_ASSERT(memcmp(rs.buf[0], OPT, sizeof(OPT) - 1) == 0);
	CU_ASSERT(memcmp(rs.buf[1], MSG, sizeof(MSG) - 1) == 0);
	CU_ASSERT_EQUAL_FATAL(rc.n, 2);
	CU_ASSERT_EQUAL(rc.conn[0], id1);
	CU_ASSERT(memcmp(rc.buf[0], RESP, sizeof(RESP) - 1) == 0);
	sipdp_ctl_stats(cli, &st);
	CU_ASSERT_EQUAL(st.connects, 1);
	CU_ASSERT_EQUAL(st.reused, 1);
	/* The server closes: the client is told which connection broke. */
	CU_ASSERT_EQUAL(sipdp_ctl_close(srv, rs.conn[0]), 0);
	WAIT(srv, cli, rc.nclosed == 1);
	CU_ASSERT_EQUAL(rc.nclosed, 1);
	CU_ASSERT_EQUAL(rc.closed_id[0], id1);
	CU_ASSERT_EQUAL(rc.reason[0], SIPDP_CTL_CLOSE_PEER);
	CU_ASSERT_EQUAL(sipdp_ctl_send(cli, id1, OPT, sizeof(OPT) - 1), -ENOTCONN);
	/* A connect to a closed port is reported as such. */
	struct sipdp_ctl_addr none = lo(AF_INET, 1);
	CU_ASSERT_EQUAL(sipdp_ctl_send_to(cli, SIPDP_CTL_TCP, &none, NULL, OPT, sizeof(OPT) - 1, &id2), 0);
	WAIT(srv, cli, rc.nclosed == 2);
	CU_ASSERT_EQUAL(rc.closed_id[1], id2);
	CU_ASSERT_EQUAL(rc.reason[1], SIPDP_CTL_CLOSE_CONNECT_FAILED);
	finish(cli);
	finish(srv);
}

/* A response with the top Via @via (CSeq etc. as RESP). */
static int
resp_with_via(char *out, size_t cap, const char *via)
{
	return snprintf(out, cap, "SIP/2.0 200 OK\r\nVia: %s\r\n"
		"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:sipdp@127.0.0.1>;tag=2\r\n"
		"Call-ID: c1@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", via);
}

static void
test_response_dest_rfc3261_18_2_2(void)
{
	struct sipdp_msg *m = malloc(sizeof(*m));
	struct sipdp_ctl_addr a, want = lo(AF_INET, 5070);
	enum sipdp_ctl_transport tp;
	char b[1024];
	int n;

	/* received wins over sent-by; the port is sent-by's, not rport's */
	n = resp_with_via(b, sizeof(b), "SIP/2.0/TCP 192.0.2.9:5070;branch=z9hG4bK-1;"
		"rport=40000;received=127.0.0.1");
	CU_ASSERT_EQUAL(sipdp_ctl_response_dest(m, b, (uint32_t)n, &tp, &a), 0);
	CU_ASSERT_EQUAL(tp, SIPDP_CTL_TCP);
	CU_ASSERT_EQUAL(a.family, AF_INET);
	CU_ASSERT_EQUAL(a.port, 5070);
	CU_ASSERT(memcmp(a.addr, want.addr, 4) == 0);
	/* no received: the sent-by literal; TLS default port 5061 */
	n = resp_with_via(b, sizeof(b), "SIP/2.0/TLS [::1];branch=z9hG4bK-1");
	CU_ASSERT_EQUAL(sipdp_ctl_response_dest(m, b, (uint32_t)n, &tp, &a), 0);
	want = lo(AF_INET6, 0);
	CU_ASSERT_EQUAL(tp, SIPDP_CTL_TLS);
	CU_ASSERT_EQUAL(a.family, AF_INET6);
	CU_ASSERT_EQUAL(a.port, 5061);
	CU_ASSERT(memcmp(a.addr, want.addr, 16) == 0);
	n = resp_with_via(b, sizeof(b), "SIP/2.0/TCP h.example.com;branch=z9hG4bK-1");
	CU_ASSERT_EQUAL(sipdp_ctl_response_dest(m, b, (uint32_t)n, &tp, &a), -EHOSTUNREACH);
	n = resp_with_via(b, sizeof(b), "SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-1");
	CU_ASSERT_EQUAL(sipdp_ctl_response_dest(m, b, (uint32_t)n, &tp, &a), -EPROTONOSUPPORT);
	CU_ASSERT_EQUAL(sipdp_ctl_response_dest(m, OPT, sizeof(OPT) - 1, &tp, &a), -EBADMSG);
	free(m);
}

/*
 * §18.2.2: the request's connection breaks before the response is sent;
 * the response goes over a new connection to received + sent-by port,
 * and a second one reuses it.
 */
static void
test_response_after_connection_gone_reopens(void)
{
	struct rec rs, rp;
	struct sipdp_ctl_params ps = { 0 }, pp = { 0 };
	struct sipdp_ctl *srv = mk(&ps, &rs);
	struct sipdp_ctl *peer = mk(&pp, &rp);
	uint16_t sport = listen_on(srv, SIPDP_CTL_TCP, AF_INET);
	uint16_t pport = listen_on(peer, SIPDP_CTL_TCP, AF_INET);
	struct sipdp_ctl_addr dst = lo(AF_INET, sport);
	struct sipdp_msg *m = malloc(sizeof(*m));
	struct sipdp_ctl_stats st;
	uint32_t id, gone, used = 0, used2 = 0;
	char via[160], b[1024];
	int n;

	/* the peer's request, over a connection the peer opens */
	CU_ASSERT_EQUAL(sipdp_ctl_send_to(peer, SIPDP_CTL_TCP, &dst, NULL, OPT, sizeof(OPT) - 1, &id),
		0);
	WAIT(srv, peer, rs.n == 1);
	CU_ASSERT_EQUAL_FATAL(rs.n, 1);
	gone = rs.conn[0];
	/* it breaks before we answer */
	CU_ASSERT_EQUAL(sipdp_ctl_close(peer, id), 0);
	WAIT(srv, peer, rs.nclosed == 1);
	CU_ASSERT_EQUAL_FATAL(rs.nclosed, 1);
	CU_ASSERT_EQUAL(sipdp_ctl_send(srv, gone, RESP, sizeof(RESP) - 1), -ENOTCONN);
	snprintf(via, sizeof(via), "SIP/2.0/TCP 192.0.2.9:%u;branch=z9hG4bK-1;rport=%u;"
		"received=127.0.0.1", pport, 40000u);
	n = resp_with_via(b, sizeof(b), via);
	CU_ASSERT_EQUAL(sipdp_ctl_send_response(srv, m, gone, b, (uint32_t)n, &used), 0);
	CU_ASSERT(used != 0 && used != gone);
	WAIT(srv, peer, rp.n == 1);
	CU_ASSERT_EQUAL_FATAL(rp.n, 1);
	CU_ASSERT_EQUAL(rp.len[0], (uint32_t)n);
	CU_ASSERT(memcmp(rp.buf[0], b, (size_t)n) == 0);
	/* a second response for that peer reuses the new connection */
	CU_ASSERT_EQUAL(sipdp_ctl_send_response(srv, m, gone, b, (uint32_t)n, &used2), 0);
	CU_ASSERT_EQUAL(used2, used);
	WAIT(srv, peer, rp.n == 2);
	CU_ASSERT_EQUAL(rp.n, 2);
	sipdp_ctl_stats(srv, &st);
	CU_ASSERT_EQUAL(st.connects, 1);
	/* while open, the connection itself is used */
	CU_ASSERT_EQUAL(sipdp_ctl_send_response(srv, m, used, b, (uint32_t)n, &used2), 0);
	CU_ASSERT_EQUAL(used2, used);
	/* gone and no usable Via: the transaction is told */
	n = resp_with_via(b, sizeof(b), "SIP/2.0/TCP h.example.com;branch=z9hG4bK-1");
	CU_ASSERT_EQUAL(sipdp_ctl_send_response(srv, m, gone, b, (uint32_t)n, NULL), -ENOTCONN);
	free(m);
	CU_ASSERT_EQUAL(sipdp_ctl_close(srv, used), 0);
	finish(srv);
	finish(peer);
}

/* ---- TLS ------------------------------------------------------------------------ */

struct tls_pair {
	struct rec rs, rc;
	struct sipdp_ctl *srv, *cli;
	uint16_t port;
};

static void
tls_pair_make(struct tls_pair *t, const char *srv_cert, const char *srv_key, uint8_t verify_in,
	const char *cli_cert, const char *cli_key, int family)
{
	struct sipdp_ctl_params ps = { .tls_enabled = true, .tls = {
		.cert_file = srv_cert, .key_file = srv_key, .ca_file = pki.ca,
		.verify_inbound = verify_in, .handshake_timeout_ms = 3000 } };
	struct sipdp_ctl_params pc = { .tls_enabled = true, .tls = {
		.cert_file = cli_cert, .key_file = cli_key, .ca_file = pki.ca } };

	t->srv = mk(&ps, &t->rs);
	t->cli = mk(&pc, &t->rc);
	t->rs.reply = RESP;
	t->port = listen_on(t->srv, SIPDP_CTL_TLS, family);
}

static void
tls_pair_finish(struct tls_pair *t)
{
	finish(t->cli);
	finish(t->srv);
}

static void
test_tls_handshake_message_and_response(void)
{
	struct tls_pair t;
	struct sipdp_ctl_stats ss, cs;
	uint32_t id;

	if (!have_pki) {
		CU_FAIL("no test PKI");
		return;
	}
	tls_pair_make(&t, pki.srv_cert, pki.srv_key, SIPDP_CTL_VERIFY_NONE, NULL, NULL, AF_INET);
	struct sipdp_ctl_addr dst = lo(AF_INET, t.port);
	CU_ASSERT_EQUAL(sipdp_ctl_send_to(t.cli, SIPDP_CTL_TLS, &dst, NULL, OPT, sizeof(OPT) - 1, &id), 0);
	WAIT(t.srv, t.cli, t.rc.n == 1);
	CU_ASSERT_EQUAL_FATAL(t.rs.n, 1);
	CU_ASSERT_EQUAL(t.rs.tp[0], SIPDP_CTL_TLS);
	CU_ASSERT(memcmp(t.rs.buf[0], OPT, sizeof(OPT) - 1) == 0);
	CU_ASSERT_EQUAL_FATAL(t.rc.n, 1);
	CU_ASSERT_EQUAL(t.rc.conn[0], id);
	CU_ASSERT(memcmp(t.rc.buf[0], RESP, sizeof(RESP) - 1) == 0);
	/* By name too: sip.test is in the certificate, SNI sent. */
	struct sipdp_ctl_addr dst6 = lo(AF_INET6, listen_on(t.srv, SIPDP_CTL_TLS, AF_INET6));
	CU_ASSERT_EQUAL(sipdp_ctl_send_to(t.cli, SIPDP_CTL_TLS, &dst6, "sip.test", MSG,
		sizeof(MSG) - 1, NULL), 0);
	WAIT(t.srv, t.cli, t.rc.n == 2);
	CU_ASSERT_EQUAL(t.rs.n, 2);
	CU_ASSERT_EQUAL(t.rc.n, 2);
	sipdp_ctl_stats(t.srv, &ss);
	sipdp_ctl_stats(t.cli, &cs);
	CU_ASSERT_EQUAL(ss.tls_handshakes_ok, 2);
	CU_ASSERT_EQUAL(cs.tls_handshakes_ok, 2);
	CU_ASSERT_EQUAL(ss.tls_handshakes_failed, 0);
	sipdp_ctl_close(t.cli, id);
	sipdp_ctl_close(t.cli, t.rc.conn[1]);
	tls_pair_finish(&t);
}

/* A bad handshake (either side) must leave the server usable: a good
 * client right after gets through on the same listener. */
static void
tls_then_good_client(struct tls_pair *t, struct sipdp_ctl_addr *dst)
{
	struct rec r;
	struct sipdp_ctl_params p = { .tls_enabled = true, .tls = {
		.cert_file = pki.cli_cert, .key_file = pki.cli_key, .ca_file = pki.ca } };
	struct sipdp_ctl *good = mk(&p, &r);
	int before = t->rs.n;

	CU_ASSERT_EQUAL(sipdp_ctl_send_to(good, SIPDP_CTL_TLS, dst, "sip.test", OPT, sizeof(OPT) - 1,
		NULL), 0);
	WAIT(t->srv, good, t->rs.n == before + 1 && r.n == 1);
	CU_ASSERT_EQUAL(t->rs.n, before + 1);
	CU_ASSERT_EQUAL(r.n, 1);
	sipdp_ctl_destroy(good);
}

static void
test_tls_mutual_required_missing_client_cert_fails(void)
{
	struct tls_pair t;
	struct sipdp_ctl_stats ss;

	if (!have_pki) {
		CU_FAIL("no test PKI");
		return;
	}
	tls_pair_make(&t, pki.srv_cert, pki.srv_key, SIPDP_CTL_VERIFY_REQUIRED, NULL, NULL, AF_INET);
	struct sipdp_ctl_addr dst = lo(AF_INET, t.port);
	CU_ASSERT_EQUAL(sipdp_ctl_send_to(t.cli, SIPDP_CTL_TLS, &dst, NULL, OPT, sizeof(OPT) - 1, NULL), 0);
	WAIT(t.srv, t.cli, (sipdp_ctl_stats(t.srv, &ss), ss.tls_handshakes_failed == 1) &&
		t.rc.nclosed == 1);
	sipdp_ctl_stats(t.srv, &ss);
	CU_ASSERT_EQUAL(ss.tls_handshakes_failed, 1);
	CU_ASSERT_EQUAL(ss.tls_handshakes_ok, 0);
	expect_closed_count(t.srv, SIPDP_CTL_CLOSE_HS_FAILED, 1);
	CU_ASSERT_EQUAL(t.rs.n, 0);
	CU_ASSERT_EQUAL(t.rc.nclosed, 1);
	tls_then_good_client(&t, &dst); /* it has a client certificate */
	tls_pair_finish(&t);
}

static void
test_tls_mutual_required_with_client_cert_ok(void)
{
	struct tls_pair t;
	struct sipdp_ctl_stats ss;

	if (!have_pki) {
		CU_FAIL("no test PKI");
		return;
	}
	tls_pair_make(&t, pki.srv_cert, pki.srv_key, SIPDP_CTL_VERIFY_REQUIRED, pki.cli_cert,
		pki.cli_key, AF_INET6);
	struct sipdp_ctl_addr dst = lo(AF_INET6, t.port);
	CU_ASSERT_EQUAL(sipdp_ctl_send_to(t.cli, SIPDP_CTL_TLS, &dst, NULL, OPT, sizeof(OPT) - 1, NULL), 0);
	WAIT(t.srv, t.cli, t.rc.n == 1);
	CU_ASSERT_EQUAL(t.rs.n, 1);
	CU_ASSERT_EQUAL(t.rc.n, 1);
	sipdp_ctl_stats(t.srv, &ss);
	CU_ASSERT_EQUAL(ss.tls_handshakes_ok, 1);
	sipdp_ctl_close(t.srv, t.rs.conn[0]);
	WAIT(t.srv, t.cli, t.rc.nclosed == 1);
	tls_pair_finish(&t);
}

static void
server_cert_refused_by_client(const char *cert, const char *key)
{
	struct tls_pair t;
	struct sipdp_ctl_stats cs;

	tls_pair_make(&t, cert, key, SIPDP_CTL_VERIFY_NONE, NULL, NULL, AF_INET);
	struct sipdp_ctl_addr dst = lo(AF_INET, t.port);
	CU_ASSERT_EQUAL(sipdp_ctl_send_to(t.cli, SIPDP_CTL_TLS, &dst, NULL, OPT, sizeof(OPT) - 1, NULL), 0);
	WAIT(t.srv, t.cli, t.rc.nclosed == 1 && open_conns(t.srv) == 0);
	sipdp_ctl_stats(t.cli, &cs);
	CU_ASSERT_EQUAL(cs.tls_handshakes_failed, 1);
	CU_ASSERT_EQUAL(cs.tls_handshakes_ok, 0);
	CU_ASSERT_EQUAL(t.rc.nclosed, 1);
	CU_ASSERT_EQUAL(t.rc.reason[0], SIPDP_CTL_CLOSE_HS_FAILED);
	CU_ASSERT_EQUAL(t.rs.n, 0);
	/* Verification off: the same server is accepted. */
	struct rec r;
	struct sipdp_ctl_params p = { .tls_enabled = true, .tls = { .ca_file = pki.ca,
		.no_verify_outbound = true } };
	struct sipdp_ctl *lax = mk(&p, &r);
	CU_ASSERT_EQUAL(sipdp_ctl_send_to(lax, SIPDP_CTL_TLS, &dst, NULL, OPT, sizeof(OPT) - 1, NULL), 0);
	WAIT(t.srv, lax, r.n == 1);
	CU_ASSERT_EQUAL(t.rs.n, 1);
	CU_ASSERT_EQUAL(r.n, 1);
	sipdp_ctl_destroy(lax);
	tls_pair_finish(&t);
}

static void
test_tls_untrusted_server_certificate_fails(void)
{
	if (!have_pki) {
		CU_FAIL("no test PKI");
		return;
	}
	server_cert_refused_by_client(pki.self_cert, pki.self_key);
}

static void
test_tls_expired_server_certificate_fails(void)
{
	if (!have_pki) {
		CU_FAIL("no test PKI");
		return;
	}
	server_cert_refused_by_client(pki.exp_cert, pki.exp_key);
}

static void
test_tls_wrong_name_fails(void)
{
	struct tls_pair t;

	if (!have_pki) {
		CU_FAIL("no test PKI");
		return;
	}
	tls_pair_make(&t, pki.srv_cert, pki.srv_key, SIPDP_CTL_VERIFY_NONE, NULL, NULL, AF_INET);
	struct sipdp_ctl_addr dst = lo(AF_INET, t.port);
	CU_ASSERT_EQUAL(sipdp_ctl_send_to(t.cli, SIPDP_CTL_TLS, &dst, "other.test", OPT,
		sizeof(OPT) - 1, NULL), 0);
	WAIT(t.srv, t.cli, t.rc.nclosed == 1 && open_conns(t.srv) == 0);
	CU_ASSERT_EQUAL(t.rc.reason[0], SIPDP_CTL_CLOSE_HS_FAILED);
	CU_ASSERT_EQUAL(t.rs.n, 0);
	tls_then_good_client(&t, &dst);
	tls_pair_finish(&t);
}

static void
test_tls_plaintext_on_tls_port_closed(void)
{
	struct tls_pair t;
	struct sipdp_ctl_stats ss;

	if (!have_pki) {
		CU_FAIL("no test PKI");
		return;
	}
	tls_pair_make(&t, pki.srv_cert, pki.srv_key, SIPDP_CTL_VERIFY_NONE, NULL, NULL, AF_INET);
	int fd = raw_connect(AF_INET, t.port);
	raw_send(fd, OPT, sizeof(OPT) - 1);
	WAIT(t.srv, NULL, (sipdp_ctl_stats(t.srv, &ss), ss.closed[SIPDP_CTL_CLOSE_NOT_TLS] == 1));
	expect_closed_count(t.srv, SIPDP_CTL_CLOSE_NOT_TLS, 1);
	sipdp_ctl_stats(t.srv, &ss);
	CU_ASSERT_EQUAL(ss.tls_handshakes_failed, 1);
	CU_ASSERT_EQUAL(ss.msgs_in, 0);
	CU_ASSERT_EQUAL(t.rs.n, 0);
	CU_ASSERT(was_refused(fd));
	close(fd);
	struct sipdp_ctl_addr dst = lo(AF_INET, t.port);
	tls_then_good_client(&t, &dst);
	tls_pair_finish(&t);
}

static void
test_tls_handshake_timeout(void)
{
	struct tls_pair t;
	struct sipdp_ctl_stats ss;

	if (!have_pki) {
		CU_FAIL("no test PKI");
		return;
	}
	tls_pair_make(&t, pki.srv_cert, pki.srv_key, SIPDP_CTL_VERIFY_NONE, NULL, NULL, AF_INET);
	int fd = raw_connect(AF_INET, t.port);
	WAIT(t.srv, NULL, open_conns(t.srv) == 1);
	uint64_t t0 = now_us;
	raw_send(fd, "\x16\x03\x01", 3); /* a record header, then nothing */
	now_us = t0 + 3000000 - 1;
	pump(t.srv, NULL);
	CU_ASSERT_EQUAL(open_conns(t.srv), 1);
	now_us = t0 + 3000000;
	pump(t.srv, NULL);
	CU_ASSERT_EQUAL(open_conns(t.srv), 0);
	expect_closed_count(t.srv, SIPDP_CTL_CLOSE_HS_TIMEOUT, 1);
	sipdp_ctl_stats(t.srv, &ss);
	CU_ASSERT_EQUAL(ss.tls_handshakes_failed, 1);
	close(fd);
	struct sipdp_ctl_addr dst = lo(AF_INET, t.port);
	tls_then_good_client(&t, &dst);
	tls_pair_finish(&t);
}

/* A plain OpenSSL client with its own protocol range and ciphers, driven
 * non-blocking against the server. @return 1 handshake done, 0 failed. */
static int
raw_tls_client(struct sipdp_ctl *srv, uint16_t port, int minv, int maxv, const char *ciphers,
	int *version)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int fd = raw_connect(AF_INET, port), done = -1;

	SSL_CTX_set_min_proto_version(ctx, minv);
	SSL_CTX_set_max_proto_version(ctx, maxv);
	if (ciphers)
		CU_ASSERT_EQUAL(SSL_CTX_set_cipher_list(ctx, ciphers), 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	for (int w = 0; w < 20000 && done < 0; w++) {
		int r = SSL_connect(ssl);
		if (r == 1) {
			done = 1;
			break;
		}
		int e = SSL_get_error(ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			done = 0;
			break;
		}
		pump(srv, NULL);
		usleep(100);
	}
	if (version)
		*version = SSL_version(ssl);
	if (done == 1) {
		CU_ASSERT_EQUAL(SSL_write(ssl, OPT, sizeof(OPT) - 1), (int)sizeof(OPT) - 1);
	}
	for (int w = 0; w < 50; w++)
		pump(srv, NULL);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return done;
}

static void
test_tls_versions_12_13_only_and_cipher_list(void)
{
	struct rec r;
	struct sipdp_ctl_stats st;
	int v = 0;

	if (!have_pki) {
		CU_FAIL("no test PKI");
		return;
	}
	struct sipdp_ctl_params p = { .tls_enabled = true, .tls = {
		.cert_file = pki.srv_cert, .key_file = pki.srv_key, .ca_file = pki.ca,
		.verify_inbound = SIPDP_CTL_VERIFY_OPTIONAL,
		.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256" } };
	struct sipdp_ctl *c = mk(&p, &r);
	uint16_t port = listen_on(c, SIPDP_CTL_TLS, AF_INET);

	/* TLS 1.3, no client certificate: optional verification lets it in */
	CU_ASSERT_EQUAL(raw_tls_client(c, port, TLS1_3_VERSION, TLS1_3_VERSION, NULL, &v), 1);
	CU_ASSERT_EQUAL(v, TLS1_3_VERSION);
	/* TLS 1.2 with the configured cipher */
	CU_ASSERT_EQUAL(raw_tls_client(c, port, TLS1_2_VERSION, TLS1_2_VERSION,
		"ECDHE-ECDSA-AES128-GCM-SHA256", &v), 1);
	CU_ASSERT_EQUAL(v, TLS1_2_VERSION);
	WAIT(c, NULL, r.n == 2);
	CU_ASSERT_EQUAL(r.n, 2);
	/* TLS 1.2 offering only a cipher outside the list: refused */
	CU_ASSERT_EQUAL(raw_tls_client(c, port, TLS1_2_VERSION, TLS1_2_VERSION,
		"ECDHE-ECDSA-CHACHA20-POLY1305", NULL), 0);
	/* TLS 1.1 (allowed by the client at security level 0): refused */
	CU_ASSERT_EQUAL(raw_tls_client(c, port, TLS1_1_VERSION, TLS1_1_VERSION,
		"DEFAULT:@SECLEVEL=0", NULL), 0);
	WAIT(c, NULL, open_conns(c) == 0);
	sipdp_ctl_stats(c, &st);
	CU_ASSERT_EQUAL(st.tls_handshakes_ok, 2);
	CU_ASSERT_EQUAL(st.tls_handshakes_failed, 2);
	CU_ASSERT_EQUAL(st.closed[SIPDP_CTL_CLOSE_HS_FAILED], 2);
	CU_ASSERT_EQUAL(r.n, 2);
	finish(c);
}

/* ---- RFC 3261 §26 transport choice ------------------------------------------------ */

static void
test_transport_for_uri_and_via(void)
{
#define U(s) sipdp_ctl_transport_for_uri(s, sizeof(s) - 1)
	CU_ASSERT_EQUAL(U("sips:alice@example.com"), SIPDP_CTL_TLS);
	CU_ASSERT_EQUAL(U("sips:alice@example.com;transport=tcp"), SIPDP_CTL_TLS);
	CU_ASSERT_EQUAL(U("sips:alice@example.com;transport=udp"), -EPROTONOSUPPORT);
	CU_ASSERT_EQUAL(U("sip:alice@example.com;transport=TCP"), SIPDP_CTL_TCP);
	CU_ASSERT_EQUAL(U("sip:alice@example.com;transport=tls"), SIPDP_CTL_TLS);
	CU_ASSERT_EQUAL(U("sip:alice@example.com"), 0);
	CU_ASSERT_EQUAL(U("tel:+15551234"), -EBADMSG);
#undef U
	CU_ASSERT_EQUAL(sipdp_ctl_transport_for_via("tls", 3), SIPDP_CTL_TLS);
	CU_ASSERT_EQUAL(sipdp_ctl_transport_for_via("TCP", 3), SIPDP_CTL_TCP);
	CU_ASSERT_EQUAL(sipdp_ctl_transport_for_via("UDP", 3), 0);
}

static void
test_buffer_keepalive_and_pong(void)
{
	struct rec r;
	struct sipdp_ctl_params p = { 0 };
	struct sipdp_ctl *c = mk(&p, &r);
	uint32_t id;

	CU_ASSERT_EQUAL_FATAL(sipdp_ctl_attach_buffer(c, NULL, &id), 0);
	CU_ASSERT_EQUAL(sipdp_ctl_input(c, id, "\r\n", 2, now_us), 0);
	CU_ASSERT_EQUAL(sipdp_ctl_input(c, id, "\r\n", 2, now_us), 0);
	CU_ASSERT_EQUAL(r.txlen, 2);
	CU_ASSERT(memcmp(r.tx, "\r\n", 2) == 0);
	CU_ASSERT_EQUAL(sipdp_ctl_input(c, id, "\r\n", 2, now_us), 0);
	struct sipdp_ctl_stats st;
	sipdp_ctl_stats(c, &st);
	CU_ASSERT_EQUAL(st.pings_in, 1);
	CU_ASSERT_EQUAL(sipdp_ctl_input(c, id, NULL, 0, now_us), -ENOTCONN);
	CU_ASSERT_EQUAL(open_conns(c), 0);
	sipdp_ctl_destroy(c);
}

/* ---- RFC 3261 §18.2.1 / RFC 3581 Via stamp ------------------------------------ */

static int
stamp(const char *via_line, int family, const char *src_ip, uint16_t src_port, char *out)
{
	static struct sipdp_msg m;
	char msg[1024];
	struct sipdp_ctl_addr src = { .family = (uint8_t)family, .port = src_port };
	int n = snprintf(msg, sizeof(msg),
		"OPTIONS sip:sipdp@127.0.0.1 SIP/2.0\r\n%s\r\nMax-Forwards: 70\r\n"
		"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:sipdp@127.0.0.1>\r\n"
		"Call-ID: v@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 4\r\n\r\nbody", via_line);

	inet_pton(family, src_ip, src.addr);
	int r = sipdp_ctl_via_stamp(&m, msg, (uint32_t)n, &src, out, 2048);
	if (r > 0) {
		out[r] = 0;
		/* only the Via line changed: the rest, body included, is intact */
		CU_ASSERT(strstr(out, "Content-Length: 4\r\n\r\nbody") != NULL);
		CU_ASSERT_EQUAL((size_t)r, (size_t)n + strlen(strstr(out, "Via: ")) -
			strlen(strstr(msg, "Via: ")));
	}
	return r;
}

static void
test_via_stamp_received_and_rport(void)
{
	char out[2048];

	/* sent-by is the source address: nothing to add */
	CU_ASSERT_EQUAL(stamp("Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-1", AF_INET,
		"127.0.0.1", 40000, out), 0);
	/* a name: received= always (§18.2.1) */
	CU_ASSERT(stamp("Via: SIP/2.0/TCP client.example.com:5070;branch=z9hG4bK-1", AF_INET,
		"192.0.2.7", 40000, out) > 0);
	CU_ASSERT(strstr(out, "\r\nVia: SIP/2.0/TCP client.example.com:5070;branch=z9hG4bK-1;"
		"received=192.0.2.7\r\n") != NULL);
	/* another address, no params, a port */
	CU_ASSERT(stamp("Via: SIP/2.0/TCP 192.0.2.1:5060", AF_INET, "192.0.2.7", 40000, out) > 0);
	CU_ASSERT(strstr(out, "\r\nVia: SIP/2.0/TCP 192.0.2.1:5060;received=192.0.2.7\r\n") != NULL);
	/* RFC 3581: rport filled, received added even when the host matches */
	CU_ASSERT(stamp("Via: SIP/2.0/TCP 127.0.0.1:5999;rport;branch=z9hG4bK-1", AF_INET,
		"127.0.0.1", 40000, out) > 0);
	CU_ASSERT(strstr(out, "\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;rport=40000;branch=z9hG4bK-1;"
		"received=127.0.0.1\r\n") != NULL);
	/* IPv6: received= without brackets (RFC 3261 §25.1, RFC 5118 §4.5) */
	CU_ASSERT(stamp("Via: SIP/2.0/TLS [2001:db8::1]:5061", AF_INET6, "2001:db8::9", 5061,
		out) > 0);
	CU_ASSERT(strstr(out, "\r\nVia: SIP/2.0/TLS [2001:db8::1]:5061;received=2001:db8::9\r\n")
		!= NULL);
	CU_ASSERT_EQUAL(stamp("Via: SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bK-1", AF_INET6,
		"2001:db8::1", 5061, out), 0);
	/* two Vias in one header: only the top one is stamped */
	CU_ASSERT(stamp("Via: SIP/2.0/TCP h.example.com;branch=z9hG4bK-1, SIP/2.0/UDP 192.0.2.5",
		AF_INET, "192.0.2.7", 5060, out) > 0);
	CU_ASSERT(strstr(out, "h.example.com;branch=z9hG4bK-1;received=192.0.2.7, SIP/2.0/UDP "
		"192.0.2.5\r\n") != NULL);
}

static void
test_via_stamp_on_delivery(void)
{
	struct rec r;
	struct sipdp_ctl_params p = { .stamp_via = true };
	struct sipdp_ctl *c = mk(&p, &r);
	struct sipdp_ctl_addr peer = lo(AF_INET, 40001);
	uint32_t id;

	CU_ASSERT_EQUAL_FATAL(sipdp_ctl_attach_buffer(c, &peer, &id), 0);
	/* OPT's Via is 127.0.0.1:5999 = the source: delivered untouched */
	CU_ASSERT_EQUAL(sipdp_ctl_input(c, id, OPT, sizeof(OPT) - 1, now_us), 0);
	CU_ASSERT_EQUAL_FATAL(r.n, 1);
	CU_ASSERT(r.len[0] == sizeof(OPT) - 1 && memcmp(r.buf[0], OPT, r.len[0]) == 0);
	peer = lo(AF_INET6, 40002);
	uint32_t id6;
	CU_ASSERT_EQUAL_FATAL(sipdp_ctl_attach_buffer(c, &peer, &id6), 0);
	CU_ASSERT_EQUAL(sipdp_ctl_input(c, id6, MSG, sizeof(MSG) - 1, now_us), 0);
	CU_ASSERT_EQUAL_FATAL(r.n, 2);
	static const char add[] = ";received=::1";
	CU_ASSERT_EQUAL(r.len[1], sizeof(MSG) - 1 + sizeof(add) - 1);
	r.buf[1][r.len[1]] = 0;
	CU_ASSERT(strstr(r.buf[1], "branch=z9hG4bK-2;received=::1\r\n") != NULL);
	CU_ASSERT(strstr(r.buf[1], "\r\n\r\nhello\r\nworld") != NULL);
	sipdp_ctl_close(c, id);
	sipdp_ctl_close(c, id6);
	CU_ASSERT_EQUAL(open_conns(c), 0);
	sipdp_ctl_destroy(c);
}

/* ---- config mapping ------------------------------------------------------------ */

static void
test_params_from_cfg_and_listen(void)
{
	static const char y[] =
		"ports:\n  - name: net_tap0\n    ipv4: 127.0.0.1/8\n"
		"lcores:\n  workers: [1]\n"
		"sip: {tcp_port: 0, tls_port: 0}\n"
		"limits: {tcp_connections: 100, tcp_per_source: 7, tcp_idle_timeout_ms: 9000,\n"
		"  tcp_message_deadline_ms: 800, message_max: 4000}\n"
		"tls: {verify_outbound: false, sni: sip.test, handshake_timeout_ms: 1500}\n";
	struct sipdp_cfg *cfg = NULL;
	struct sipdp_ctl_params p = { 0 };
	struct rec r;

	CU_ASSERT_EQUAL_FATAL(sipdp_cfg_load_string(y, sizeof(y) - 1, NULL, &cfg, NULL), 0);
	CU_ASSERT_EQUAL(sipdp_ctl_params_from_cfg(cfg, &p), 0);
	CU_ASSERT_EQUAL(p.max_conns, 100);
	CU_ASSERT_EQUAL(p.max_per_source, 7);
	CU_ASSERT_EQUAL(p.idle_timeout_ms, 9000);
	CU_ASSERT_EQUAL(p.message_deadline_ms, 800);
	CU_ASSERT_EQUAL(p.max_message_bytes, 4000);
	CU_ASSERT_EQUAL(p.max_header_bytes, 4000);
	CU_ASSERT_TRUE(p.stamp_via);
	CU_ASSERT_PTR_NULL(p.tls.cert_file);
	CU_ASSERT_TRUE(p.tls.no_verify_outbound);
	CU_ASSERT_STRING_EQUAL(p.tls.sni, "sip.test");
	CU_ASSERT_EQUAL(p.tls.handshake_timeout_ms, 1500);
	struct sipdp_ctl *c = mk(&p, &r);
	/* both ports off: nothing to listen on */
	CU_ASSERT_EQUAL(sipdp_ctl_listen_cfg(c, cfg), 0);
	sipdp_ctl_destroy(c);
	sipdp_cfg_free(cfg);
}

static void
test_dump_lists_counters_and_connections(void)
{
	struct rec r;
	struct sipdp_ctl_params p = { 0 };
	struct sipdp_ctl *c = mk(&p, &r);
	struct sipdp_ctl_addr peer = lo(AF_INET6, 5070);
	uint32_t id;
	char *text = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(sipdp_ctl_attach_buffer(c, &peer, &id), 0);
	CU_ASSERT_EQUAL(sipdp_ctl_input(c, id, OPT, 20, now_us), 0);
	FILE *f = open_memstream(&text, &len);
	CU_ASSERT_EQUAL(sipdp_ctl_dump(c, f), 0);
	fclose(f);
	CU_ASSERT(strstr(text, "conns_open               1\n") != NULL);
	CU_ASSERT(strstr(text, "closed_idle              0\n") != NULL);
	CU_ASSERT(strstr(text, " tcp open [::1]:5070 -> ") != NULL);
	CU_ASSERT(strstr(text, " rx 20 tx 0\n") != NULL);
	free(text);
	sipdp_ctl_close(c, id);
	sipdp_ctl_destroy(c);
}

static struct sipdp_test_case cases[] = {
	{ "framing_every_split_point_on_a_buffer", test_framing_every_split_point_on_a_buffer },
	{ "framing_byte_by_byte_over_tcp_v4_and_v6", test_framing_byte_by_byte_over_tcp_v4_and_v6 },
	{ "framing_bad_content_length_closes", test_framing_bad_content_length_closes },
	{ "keepalive_crlfcrlf_answered_with_crlf", test_keepalive_crlfcrlf_answered_with_crlf },
	{ "buffer_keepalive_and_pong", test_buffer_keepalive_and_pong },
	{ "oversize_body_answered_513_and_closed", test_oversize_body_answered_513_and_closed },
	{ "oversize_header_section_closed", test_oversize_header_section_closed },
	{ "truncated_body_then_peer_close_counted", test_truncated_body_then_peer_close_counted },
	{ "truncated_body_then_silence_closed_at_deadline",
	  test_truncated_body_then_silence_closed_at_deadline },
	{ "slowloris_half_header_closed_at_deadline", test_slowloris_half_header_closed_at_deadline },
	{ "limit_per_source_refused", test_limit_per_source_refused },
	{ "limit_total_refused", test_limit_total_refused },
	{ "idle_timeout_exact", test_idle_timeout_exact },
	{ "tx_queue_overflow_closes", test_tx_queue_overflow_closes },
	{ "outbound_connect_then_reuse", test_outbound_connect_then_reuse },
	{ "tls_handshake_message_and_response", test_tls_handshake_message_and_response },
	{ "tls_mutual_required_missing_client_cert_fails",
	  test_tls_mutual_required_missing_client_cert_fails },
	{ "tls_mutual_required_with_client_cert_ok", test_tls_mutual_required_with_client_cert_ok },
	{ "tls_untrusted_server_certificate_fails", test_tls_untrusted_server_certificate_fails },
	{ "tls_expired_server_certificate_fails", test_tls_expired_server_certificate_fails },
	{ "tls_wrong_name_fails", test_tls_wrong_name_fails },
	{ "tls_plaintext_on_tls_port_closed", test_tls_plaintext_on_tls_port_closed },
	{ "tls_handshake_timeout", test_tls_handshake_timeout },
	{ "tls_versions_12_13_only_and_cipher_list", test_tls_versions_12_13_only_and_cipher_list },
	{ "transport_for_uri_and_via", test_transport_for_uri_and_via },
	{ "response_dest_rfc3261_18_2_2", test_response_dest_rfc3261_18_2_2 },
	{ "response_after_connection_gone_reopens", test_response_after_connection_gone_reopens },
	{ "via_stamp_received_and_rport", test_via_stamp_received_and_rport },
	{ "via_stamp_on_delivery", test_via_stamp_on_delivery },
	{ "params_from_cfg_and_listen", test_params_from_cfg_and_listen },
	{ "dump_lists_counters_and_connections", test_dump_lists_counters_and_connections },
	{ NULL, NULL }
};

int
main(void)
{
	signal(SIGPIPE, SIG_IGN); /* as the embedder must (see sipdp_ctl.h) */
	have_pki = ctl_certs_make(&pki) == 0;
	int rc = sipdp_test_run("ctl", cases);
	if (have_pki)
		ctl_certs_remove(&pki);
	return rc;
}
