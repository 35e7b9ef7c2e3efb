/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ctl observability: the HEPv3 encoder, the Prometheus text writer and
 * the /metrics HTTP server.
 *
 * Scenarios:
 *  - HEPv3 of an IPv4 and an IPv6 UDP message equals a byte string written
 *    by hand from the HEP3 spec (chunk types 1-12, 15, vendor 0, lengths
 *    with the 6-byte chunk header, big-endian); a short buffer is -ENOSPC,
 *    an unknown family -EINVAL.
 *  - Prometheus text: HELP/TYPE lines, labels, a histogram's cumulative
 *    buckets ending with +Inf, _sum and _count.
 *  - HTTP over 127.0.0.1 with a fake clock (the server never reads one):
 *    GET and HEAD /metrics, a query string, a request fed one byte at a
 *    time (answered only once the head is whole), 404, 405, 400, a head
 *    over max_request (431), a slow client closed exactly at its deadline
 *    and not a microsecond before, more clients than max_clients (the
 *    extra one closed at once, the others still served).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sipdp_ctl_obs.h"
#include "sipdp_test.h"

/* ------------------------------------------------------------------ HEP */

static const char sip[] = "OPTIONS sip:a@b SIP/2.0\r\n\r\n"; /* 27 bytes */

static void
test_hep_ipv4_matches_hand_made_bytes(void)
{
	struct sipdp_ctl_hep_msg m = {
		.family = AF_INET, .ip_proto = 17,
		.src = { 192, 0, 2, 1 }, .dst = { 192, 0, 2, 2 },
		.sport = 5060, .dport = 5070,
		.ts_sec = 0x5f5e1000, .ts_usec = 123456, .capture_id = 101,
		.payload = sip, .len = 27,
	};
	static const uint8_t want_head[] = {
		'H', 'E', 'P', '3', 0x00, 99 + 27,
		0, 0, 0, 1, 0, 7, 2,                   /* family AF_INET */
		0, 0, 0, 2, 0, 7, 17,                  /* UDP */
		0, 0, 0, 3, 0, 10, 192, 0, 2, 1,       /* IPv4 src */
		0, 0, 0, 4, 0, 10, 192, 0, 2, 2,       /* IPv4 dst */
		0, 0, 0, 7, 0, 8, 0x13, 0xc4,          /* sport 5060 */
		0, 0, 0, 8, 0, 8, 0x13, 0xce,          /* dport 5070 */
		0, 0, 0, 9, 0, 10, 0x5f, 0x5e, 0x10, 0x00, /* seconds */
		0, 0, 0, 10, 0, 10, 0x00, 0x01, 0xe2, 0x40, /* usec 123456 */
		0, 0, 0, 11, 0, 7, 1,                  /* SIP */
		0, 0, 0, 12, 0, 10, 0, 0, 0, 101,      /* capture id */
		0, 0, 0, 15, 0, 6 + 27,                /* payload */
	};
	uint8_t out[256];
	int n = sipdp_ctl_hep_encode(&m, out, sizeof(out));

	CU_ASSERT_EQUAL_FATAL(n, 99 + 27);
	CU_ASSERT_EQUAL(sizeof(want_head), 99);
	CU_ASSERT_EQUAL(memcmp(out, want_head, sizeof(want_head)), 0);
	CU_ASSERT_EQUAL(memcmp(out + 99, sip, 27), 0);
	/* exactly big enough, one byte short */
	CU_ASSERT_EQUAL(sipdp_ctl_hep_encode(&m, out, 126), 126);
	CU_ASSERT_EQUAL(sipdp_ctl_hep_encode(&m, out, 125), -ENOSPC);
}

static void
test_hep_ipv6_matches_hand_made_bytes(void)
{
	struct sipdp_ctl_hep_msg m = {
		.family = AF_INET6, .ip_proto = 6,
		.src = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
		.dst = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 },
		.sport = 40000, .dport = 5060,
		.ts_sec = 1, .ts_usec = 999999, .capture_id = 0xdeadbeef,
		.payload = sip, .len = 27,
	};
	static const uint8_t want_head[] = {
		'H', 'E', 'P', '3', 0x00, 123 + 27,
		0, 0, 0, 1, 0, 7, 10,                  /* family AF_INET6 */
		0, 0, 0, 2, 0, 7, 6,                   /* TCP */
		0, 0, 0, 5, 0, 22, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		0, 0, 0, 6, 0, 22, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		0, 0, 0, 7, 0, 8, 0x9c, 0x40,          /* 40000 */
		0, 0, 0, 8, 0, 8, 0x13, 0xc4,          /* 5060 */
		0, 0, 0, 9, 0, 10, 0, 0, 0, 1,
		0, 0, 0, 10, 0, 10, 0x00, 0x0f, 0x42, 0x3f, /* 999999 */
		0, 0, 0, 11, 0, 7, 1,
		0, 0, 0, 12, 0, 10, 0xde, 0xad, 0xbe, 0xef,
		0, 0, 0, 15, 0, 6 + 27,
	};
	uint8_t out[256];
	int n = sipdp_ctl_hep_encode(&m, out, sizeof(out));

	CU_ASSERT_EQUAL_FATAL(n, 123 + 27);
	CU_ASSERT_EQUAL(sizeof(want_head), 123);
	CU_ASSERT_EQUAL(memcmp(out, want_head, sizeof(want_head)), 0);
	CU_ASSERT_EQUAL(memcmp(out + 123, sip, 27), 0);
	CU_ASSERT(123 + 27 <= SIPDP_CTL_HEP_OVERHEAD + 27);
	m.family = 3;
	CU_ASSERT_EQUAL(sipdp_ctl_hep_encode(&m, out, sizeof(out)), -EINVAL);
	m.family = AF_INET6;
	m.len = 65535;
	CU_ASSERT_EQUAL(sipdp_ctl_hep_encode(&m, out, sizeof(out)), -EINVAL);
}

/* ----------------------------------------------------------- Prometheus */

static void
test_prom_families_labels_and_histogram(void)
{
	struct sipdp_ctl_prom pr;
	const double b[] = { 0.001, 0.25, 10 };
	const uint64_t c[] = { 2, 0, 3, 1 };
	static const char want[] =
		"# HELP sipdp_calls_answered_total INVITEs answered 2xx\n"
		"# TYPE sipdp_calls_answered_total counter\n"
		"sipdp_calls_answered_total{worker=\"0\"} 7\n"
		"sipdp_calls_answered_total{worker=\"1\"} 18446744073709551615\n"
		"# HELP sipdp_workers worker lcores\n"
		"# TYPE sipdp_workers gauge\n"
		"sipdp_workers 2\n"
		"# HELP sipdp_call_setup_seconds setup\n"
		"# TYPE sipdp_call_setup_seconds histogram\n"
		"sipdp_call_setup_seconds_bucket{le=\"0.001\"} 2\n"
		"sipdp_call_setup_seconds_bucket{le=\"0.25\"} 2\n"
		"sipdp_call_setup_seconds_bucket{le=\"10\"} 5\n"
		"sipdp_call_setup_seconds_bucket{le=\"+Inf\"} 6\n"
		"sipdp_call_setup_seconds_sum 12.500000\n"
		"sipdp_call_setup_seconds_count 6\n"
		"x_bucket{worker=\"3\",le=\"0.001\"} 2\n"
		"x_bucket{worker=\"3\",le=\"0.25\"} 2\n"
		"x_bucket{worker=\"3\",le=\"10\"} 5\n"
		"x_bucket{worker=\"3\",le=\"+Inf\"} 6\n"
		"x_sum{worker=\"3\"} 0.000000\n"
		"x_count{worker=\"3\"} 6\n";

	sipdp_ctl_prom_init(&pr);
	sipdp_ctl_prom_family(&pr, "sipdp_calls_answered_total", "counter",
		"INVITEs answered 2xx");
	sipdp_ctl_prom_u64(&pr, "sipdp_calls_answered_total", "worker=\"0\"", 7);
	sipdp_ctl_prom_u64(&pr, "sipdp_calls_answered_total", "worker=\"1\"", UINT64_MAX);
	sipdp_ctl_prom_family(&pr, "sipdp_workers", "gauge", "worker lcores");
	sipdp_ctl_prom_u64(&pr, "sipdp_workers", NULL, 2);
	sipdp_ctl_prom_family(&pr, "sipdp_call_setup_seconds", "histogram", "setup");
	sipdp_ctl_prom_hist(&pr, "sipdp_call_setup_seconds", "", b, c, 3, 12.5);
	sipdp_ctl_prom_hist(&pr, "x", "worker=\"3\"", b, c, 3, 0);
	CU_ASSERT_EQUAL(pr.err, 0);
	CU_ASSERT_EQUAL_FATAL(pr.len, strlen(want));
	CU_ASSERT_EQUAL(memcmp(pr.p, want, pr.len), 0);
	/* grows past its first 16 KiB */
	sipdp_ctl_prom_reset(&pr);
	for (int i = 0; i < 4000; i++)
		sipdp_ctl_prom_u64(&pr, "sipdp_some_long_metric_name_total", "worker=\"12\"", 1);
	CU_ASSERT_EQUAL(pr.err, 0);
	CU_ASSERT_EQUAL(pr.len, 4000 * strlen("sipdp_some_long_metric_name_total{worker=\"12\"} 1\n"));
	sipdp_ctl_prom_free(&pr);
}

/* ----------------------------------------------------------------- HTTP */

static unsigned renders;

static void
render(void *arg, struct sipdp_ctl_prom *out)
{
	(void)arg;
	renders++;
	sipdp_ctl_prom_family(out, "sipdp_x_total", "counter", "x");
	sipdp_ctl_prom_u64(out, "sipdp_x_total", NULL, 42);
}

static struct sipdp_ctl_http *
server(uint32_t max_clients, uint32_t max_request)
{
	struct sipdp_ctl_http_params p = { .max_clients = max_clients, .timeout_ms = 2000,
		.max_request = max_request, .render = render };
	struct sipdp_ctl_addr a = { .family = AF_INET, .addr = { 127, 0, 0, 1 } };
	struct sipdp_ctl_http *h = NULL;

	CU_ASSERT_EQUAL_FATAL(sipdp_ctl_http_create(&p, &h), 0);
	CU_ASSERT_EQUAL_FATAL(sipdp_ctl_http_listen(h, &a), 0);
	CU_ASSERT_NOT_EQUAL(sipdp_ctl_http_port(h), 0);
	CU_ASSERT_EQUAL(sipdp_ctl_http_listen(h, &a), -EALREADY);
	return h;
}

static int
client(const struct sipdp_ctl_http *h)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(sipdp_ctl_http_port(h)),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Poll the server until the client's answer is whole (EOF) or 20000
 * rounds pass; collect what the client read. No clock: @p now is fixed.
 * @return bytes read, -1 when the connection did not end. */
static int
pump_until_eof(struct sipdp_ctl_http *h, uint64_t now, int fd, char *buf, size_t cap)
{
	size_t got = 0;

	for (int i = 0; i < 20000; i++) {
		(void)sipdp_ctl_http_poll(h, now);
		ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			buf[got] = '\0';
			return (int)got;
		}
		if (n > 0)
			got += (size_t)n;
		if (n < 0 && errno != EAGAIN)
			return -1;
		if (i > 100)
			usleep(100); /* let the kernel run; not a pass/fail timer */
	}
	return -1;
}

/* Poll a few rounds; true when the client has nothing to read and no EOF. */
static bool
still_open(struct sipdp_ctl_http *h, uint64_t now, int fd)
{
	char c;

	for (int i = 0; i < 50; i++)
		(void)sipdp_ctl_http_poll(h, now);
	return recv(fd, &c, 1, MSG_PEEK) < 0 && errno == EAGAIN;
}

static void
send_all(int fd, const char *s)
{
	CU_ASSERT_EQUAL(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

static void
test_http_get_and_head_metrics(void)
{
	struct sipdp_ctl_http *h = server(4, 0);
	struct sipdp_ctl_http_stats st;
	char buf[4096];
	int fd, n;

	fd = client(h);
	send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
	n = pump_until_eof(h, 1000, fd, buf, sizeof(buf));
	close(fd);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "HTTP/1.0 200 OK\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Content-Type: text/plain; version=0.0.4"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Connection: close\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\r\n\r\n# HELP sipdp_x_total x\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nsipdp_x_total 42\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Content-Length: 69\r\n"));

	fd = client(h); /* HEAD: same headers, no body; a query string is ignored */
	send_all(fd, "HEAD /metrics?x=1 HTTP/1.0\n\n");
	n = pump_until_eof(h, 1000, fd, buf, sizeof(buf));
	close(fd);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "HTTP/1.0 200 OK\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Content-Length: 69\r\n"));
	CU_ASSERT_PTR_NULL(strstr(buf, "sipdp_x_total"));

	sipdp_ctl_http_stats_get(h, &st);
	CU_ASSERT_EQUAL(st.http_accepted, 2);
	CU_ASSERT_EQUAL(st.http_requests, 2);
	CU_ASSERT_EQUAL(st.open, 0);
	sipdp_ctl_http_destroy(h);
}

static void
test_http_request_split_byte_by_byte(void)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: 192.0.2.1:9100\r\n\r\n";
	struct sipdp_ctl_http *h = server(4, 0);
	char buf[4096];
	unsigned before = renders;
	int fd = client(h), n;

	for (size_t i = 0; i + 1 < sizeof(req) - 1; i++) {
		CU_ASSERT_EQUAL(send(fd, req + i, 1, MSG_NOSIGNAL), 1);
		CU_ASSERT_TRUE(still_open(h, 1000 + i, fd));
	}
	CU_ASSERT_EQUAL(renders, before); /* nothing answered before the last byte */
	CU_ASSERT_EQUAL(send(fd, req + sizeof(req) - 2, 1, MSG_NOSIGNAL), 1);
	n = pump_until_eof(h, 2000, fd, buf, sizeof(buf));
	close(fd);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "HTTP/1.0 200 OK\r\n"));
	CU_ASSERT_EQUAL(renders, before + 1);
	sipdp_ctl_http_destroy(h);
}

static void
one_answer(struct sipdp_ctl_http *h, const char *req, const char *status)
{
	char buf[4096];
	int fd = client(h);
	int n;

	send_all(fd, req);
	n = pump_until_eof(h, 1000, fd, buf, sizeof(buf));
	close(fd);
	CU_ASSERT_FATAL(n > 0);
	if (strncmp(buf, status, strlen(status)) != 0)
		fprintf(stderr, "\n%s -> %s\n", req, buf);
	CU_ASSERT_EQUAL(strncmp(buf, status, strlen(status)), 0);
}

static void
test_http_404_405_400(void)
{
	struct sipdp_ctl_http *h = server(4, 0);
	struct sipdp_ctl_http_stats st;
	unsigned before = renders;

	one_answer(h, "GET / HTTP/1.1\r\n\r\n", "HTTP/1.0 404 Not Found\r\n");
	one_answer(h, "GET /metricsx HTTP/1.1\r\n\r\n", "HTTP/1.0 404 Not Found\r\n");
	one_answer(h, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.0 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\n"
		"Content-Length: 23\r\nAllow: GET, HEAD\r\n");
	one_answer(h, "GET /metrics\r\n\r\n", "HTTP/1.0 400 Bad Request\r\n");
	one_answer(h, "GET /metrics SIP/2.0\r\n\r\n", "HTTP/1.0 400 Bad Request\r\n");
	one_answer(h, "\r\n\r\n", "HTTP/1.0 400 Bad Request\r\n");
	CU_ASSERT_EQUAL(renders, before);
	sipdp_ctl_http_stats_get(h, &st);
	CU_ASSERT_EQUAL(st.http_not_found, 2);
	CU_ASSERT_EQUAL(st.http_bad_method, 1);
	CU_ASSERT_EQUAL(st.http_bad_request, 3);
	CU_ASSERT_EQUAL(st.http_requests, 0);
	sipdp_ctl_http_destroy(h);
}

static void
test_http_oversized_request_431(void)
{
	struct sipdp_ctl_http *h = server(4, 256);
	struct sipdp_ctl_http_stats st;
	char req[600];

	memset(req, 'a', sizeof(req));
	memcpy(req, "GET /metrics HTTP/1.1\r\nX: ", 26);
	req[sizeof(req) - 1] = '\0';
	one_answer(h, req, "HTTP/1.0 431 Request Header Fields Too Large\r\n");
	sipdp_ctl_http_stats_get(h, &st);
	CU_ASSERT_EQUAL(st.http_too_large, 1);
	CU_ASSERT_EQUAL(st.open, 0);
	sipdp_ctl_http_destroy(h);
}

static void
test_http_slow_client_closed_at_deadline(void)
{
	struct sipdp_ctl_http *h = server(4, 0);
	struct sipdp_ctl_http_stats st;
	uint64_t t0 = 5000000;
	char buf[64];
	int fd = client(h);

	/* accepted at t0; trickles: each byte is progress, never the end */
	for (int i = 0; i < 20; i++) {
		CU_ASSERT_EQUAL(send(fd, "G", 1, MSG_NOSIGNAL), 1);
		CU_ASSERT_TRUE(still_open(h, t0 + (uint64_t)i * 100000, fd));
	}
	CU_ASSERT_TRUE(still_open(h, t0 + 2000000 - 1, fd));
	sipdp_ctl_http_stats_get(h, &st);
	CU_ASSERT_EQUAL(st.open, 1);
	CU_ASSERT_EQUAL(pump_until_eof(h, t0 + 2000000, fd, buf, sizeof(buf)), 0);
	close(fd);
	sipdp_ctl_http_stats_get(h, &st);
	CU_ASSERT_EQUAL(st.http_timeouts, 1);
	CU_ASSERT_EQUAL(st.open, 0);
	sipdp_ctl_http_destroy(h);
}

static void
test_http_too_many_clients_refused(void)
{
	struct sipdp_ctl_http *h = server(2, 0);
	struct sipdp_ctl_http_stats st;
	char buf[4096];
	int a = client(h), b, c;

	CU_ASSERT_TRUE(still_open(h, 1000, a));
	b = client(h);
	CU_ASSERT_TRUE(still_open(h, 1000, b));
	c = client(h);
	/* the third is accepted and closed at once, with nothing sent */
	CU_ASSERT_EQUAL(pump_until_eof(h, 1000, c, buf, sizeof(buf)), 0);
	close(c);
	sipdp_ctl_http_stats_get(h, &st);
	CU_ASSERT_EQUAL(st.http_refused, 1);
	CU_ASSERT_EQUAL(st.open, 2);
	/* the two held slots still answer */
	send_all(a, "GET /metrics HTTP/1.0\r\n\r\n");
	CU_ASSERT(pump_until_eof(h, 1000, a, buf, sizeof(buf)) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "200 OK"));
	send_all(b, "GET /metrics HTTP/1.0\r\n\r\n");
	CU_ASSERT(pump_until_eof(h, 1000, b, buf, sizeof(buf)) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "200 OK"));
	close(a);
	close(b);
	/* a slot freed is usable again */
	c = client(h);
	send_all(c, "GET /metrics HTTP/1.0\r\n\r\n");
	CU_ASSERT(pump_until_eof(h, 1000, c, buf, sizeof(buf)) > 0);
	close(c);
	sipdp_ctl_http_stats_get(h, &st);
	CU_ASSERT_EQUAL(st.http_requests, 3);
	CU_ASSERT_EQUAL(st.http_refused, 1);
	CU_ASSERT_EQUAL(st.open, 0);
	sipdp_ctl_http_destroy(h);
}

static struct sipdp_test_case cases[] = {
	{ "hep_ipv4_matches_hand_made_bytes", test_hep_ipv4_matches_hand_made_bytes },
	{ "hep_ipv6_matches_hand_made_bytes", test_hep_ipv6_matches_hand_made_bytes },
	{ "prom_families_labels_and_histogram", test_prom_families_labels_and_histogram },
	{ "http_get_and_head_metrics", test_http_get_and_head_metrics },
	{ "http_request_split_byte_by_byte", test_http_request_split_byte_by_byte },
	{ "http_404_405_400", test_http_404_405_400 },
	{ "http_oversized_request_431", test_http_oversized_request_431 },
	{ "http_slow_client_closed_at_deadline", test_http_slow_client_closed_at_deadline },
	{ "http_too_many_clients_refused", test_http_too_many_clients_refused },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("ctl_obs", cases);
}
