/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The /metrics HTTP server: HTTP/1.0-style, one request per connection,
 * on non-blocking kernel sockets polled by the control lcore.
 *
 * Why not a library (docs/observability.md): Debian's libmicrohttpd would
 * do in "external select" mode, but its only connection timeout is an
 * idle timeout in whole seconds read from its own clock, so a client that
 * trickles a byte a second keeps a slot for as long as its request may
 * grow, and the timeout cannot be tested without sleeping. What is needed
 * here is small: find the end of a request head no larger than
 * max_request, read its request line, write one answer and close. Headers
 * are never parsed, there are no bodies, no keep-alive, no chunking; the
 * request line is split on spaces within a buffer whose length is known.
 * Every connection is bounded in bytes (max_request in, one answer out),
 * in time (timeout_ms from accept, whatever it does) and in number
 * (max_clients; more are accepted and closed at once so the backlog
 * drains).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sipdp_ctl_obs.h"

#define HTTP_MAX_CLIENTS  64
#define HTTP_ACCEPT_BURST 16

const char *const sipdp_ctl_http_counter_names[] = {
#define HTTP_X_NAME(n, h) #n,
	SIPDP_CTL_HTTP_COUNTERS(HTTP_X_NAME)
#undef HTTP_X_NAME
};
const char *const sipdp_ctl_http_counter_help[] = {
#define HTTP_X_HELP(n, h) h,
	SIPDP_CTL_HTTP_COUNTERS(HTTP_X_HELP)
#undef HTTP_X_HELP
};
const unsigned sipdp_ctl_http_counter_count =
	sizeof(sipdp_ctl_http_counter_names) / sizeof(sipdp_ctl_http_counter_names[0]);

struct http_conn {
	int fd;                  /* -1: free slot */
	uint64_t deadline_us;
	uint32_t rlen;
	char *rbuf;              /* [max_request] */
	char *wbuf;              /* the answer, while writing */
	size_t wlen, woff;
};

struct sipdp_ctl_http {
	struct sipdp_ctl_http_params p;
	int lfd;
	uint16_t port;
	struct sipdp_ctl_http_stats st;
	struct sipdp_ctl_prom body;
	struct http_conn c[HTTP_MAX_CLIENTS];
	struct pollfd pfd[HTTP_MAX_CLIENTS + 1];
	int pidx[HTTP_MAX_CLIENTS + 1]; /* pfd[i] -> connection, -1: listener */
};

int
sipdp_ctl_http_create(const struct sipdp_ctl_http_params *p, struct sipdp_ctl_http **out)
{
	struct sipdp_ctl_http *h;

	if (p == NULL || out == NULL || p->render == NULL || p->max_clients > HTTP_MAX_CLIENTS ||
	    p->max_request > 16384 || (p->max_request != 0 && p->max_request < 64))
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	h->p = *p;
	if (h->p.max_clients == 0)
		h->p.max_clients = 4;
	if (h->p.timeout_ms == 0)
		h->p.timeout_ms = 2000;
	if (h->p.max_request == 0)
		h->p.max_request = 2048;
	h->lfd = -1;
	sipdp_ctl_prom_init(&h->body);
	for (uint32_t i = 0; i < HTTP_MAX_CLIENTS; i++)
		h->c[i].fd = -1;
	for (uint32_t i = 0; i < h->p.max_clients; i++) {
		h->c[i].rbuf = malloc(h->p.max_request);
		if (h->c[i].rbuf == NULL) {
			sipdp_ctl_http_destroy(h);
			return -ENOMEM;
		}
	}
	*out = h;
	return 0;
}

int
sipdp_ctl_http_listen(struct sipdp_ctl_http *h, const struct sipdp_ctl_addr *a)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int fd, one = 1;

	if (h->lfd >= 0)
		return -EALREADY;
	if (a->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->addr, 4);
		sl = sizeof(*s4);
	} else if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		sl = sizeof(*s6);
	} else {
		return -EINVAL;
	}
	fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	h->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
		: ((struct sockaddr_in6 *)&ss)->sin6_port);
	h->lfd = fd;
	return 0;
}

uint16_t
sipdp_ctl_http_port(const struct sipdp_ctl_http *h)
{
	return h->port;
}

static void
conn_close(struct sipdp_ctl_http *h, struct http_conn *k)
{
	close(k->fd);
	k->fd = -1;
	free(k->wbuf);
	k->wbuf = NULL;
	k->wlen = k->woff = 0;
	k->rlen = 0;
	h->st.open--;
}

/* Queue the answer: status line, fixed headers, @p body (NULL: none). */
static int
conn_answer(struct http_conn *k, const char *status, const char *extra, const char *ctype,
	const char *body, size_t blen, bool head_only)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
		"HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
		"Connection: close\r\n\r\n", status, ctype, blen, extra);

	if (n < 0 || (size_t)n >= sizeof(hdr))
		return -EINVAL;
	if (head_only)
		blen = 0;
	k->wbuf = malloc((size_t)n + blen);
	if (k->wbuf == NULL)
		return -ENOMEM;
	memcpy(k->wbuf, hdr, (size_t)n);
	if (blen != 0)
		memcpy(k->wbuf + n, body, blen);
	k->wlen = (size_t)n + blen;
	k->woff = 0;
	return 0;
}

static int
conn_error(struct http_conn *k, const char *status, const char *extra)
{
	char body[96];
	int n = snprintf(body, sizeof(body), "%s\n", status);

	return conn_answer(k, status, extra, "text/plain; charset=utf-8", body, (size_t)n, false);
}

static bool
token_is(const char *p, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(p, lit, n) == 0;
}

/* The head is whole in k->rbuf[0..rlen): answer it from its request line
 * "METHOD SP target SP HTTP/1.x" (RFC 9112 §3); headers are not read. */
static int
conn_request(struct sipdp_ctl_http *h, struct http_conn *k)
{
	const char *b = k->rbuf, *end = memchr(b, '\n', k->rlen), *sp1, *sp2;
	size_t mlen, tlen, plen, vlen;
	bool head;

	if (end != NULL && end > b && end[-1] == '\r')
		end--;
	sp1 = end ? memchr(b, ' ', (size_t)(end - b)) : NULL;
	sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1)) : NULL;
	if (sp2 == NULL) {
		h->st.http_bad_request++;
		return conn_error(k, "400 Bad Request", "");
	}
	mlen = (size_t)(sp1 - b);
	tlen = (size_t)(sp2 - sp1 - 1);
	vlen = (size_t)(end - sp2 - 1);
	if (mlen == 0 || tlen == 0 || vlen != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0) {
		h->st.http_bad_request++;
		return conn_error(k, "400 Bad Request", "");
	}
	head = token_is(b, mlen, "HEAD");
	if (!head && !token_is(b, mlen, "GET")) {
		h->st.http_bad_method++;
		return conn_error(k, "405 Method Not Allowed", "Allow: GET, HEAD\r\n");
	}
	const char *q = memchr(sp1 + 1, '?', tlen);
	plen = q ? (size_t)(q - sp1 - 1) : tlen;
	if (!token_is(sp1 + 1, plen, "/metrics")) {
		h->st.http_not_found++;
		return conn_error(k, "404 Not Found", "");
	}
	sipdp_ctl_prom_reset(&h->body);
	h->p.render(h->p.arg, &h->body);
	if (h->body.err != 0)
		return h->body.err;
	h->st.http_requests++;
	return conn_answer(k, "200 OK", "", "text/plain; version=0.0.4; charset=utf-8",
		h->body.p, h->body.len, head);
}

/* End of the request head: an empty line (CRLF CRLF, or LF LF). */
static bool
head_complete(const char *b, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++)
		if (b[i] == '\n' && (b[i - 1] == '\n' || (i >= 3 && b[i - 1] == '\r' &&
		    b[i - 2] == '\n' && b[i - 3] == '\r')))
			return true;
	return false;
}

/* @return false when the connection was closed. */
static bool
conn_write(struct sipdp_ctl_http *h, struct http_conn *k)
{
	while (k->woff < k->wlen) {
		ssize_t n = send(k->fd, k->wbuf + k->woff, k->wlen - k->woff,
			MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return true;
			h->st.http_errors++;
			conn_close(h, k);
			return false;
		}
		k->woff += (size_t)n;
	}
	/* All queued: FIN after the data, then forget the socket. */
	(void)shutdown(k->fd, SHUT_WR);
	conn_close(h, k);
	return false;
}

static void
conn_read(struct sipdp_ctl_http *h, struct http_conn *k)
{
	uint32_t old = k->rlen;
	ssize_t n = recv(k->fd, k->rbuf + k->rlen, h->p.max_request - k->rlen, MSG_DONTWAIT);
	int rc;

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		h->st.http_errors++;
		conn_close(h, k);
		return;
	}
	k->rlen += (uint32_t)n;
	/* Look again only from where the last read ended (3 bytes back). */
	uint32_t from = old > 3 ? old - 3 : 0;
	if (head_complete(k->rbuf + from, k->rlen - from)) {
		rc = conn_request(h, k);
	} else if (k->rlen == h->p.max_request) {
		h->st.http_too_large++;
		rc = conn_error(k, "431 Request Header Fields Too Large", "");
	} else {
		return;
	}
	if (rc != 0) {
		h->st.http_errors++;
		conn_close(h, k);
		return;
	}
	(void)conn_write(h, k);
}

static int
do_accept(struct sipdp_ctl_http *h, uint64_t now_us)
{
	int work = 0;

	for (int i = 0; i < HTTP_ACCEPT_BURST; i++) {
		int fd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct http_conn *k = NULL;

		if (fd < 0)
			break;
		work++;
		for (uint32_t j = 0; j < h->p.max_clients && k == NULL; j++)
			if (h->c[j].fd < 0)
				k = &h->c[j];
		if (k == NULL) {
			h->st.http_refused++;
			close(fd);
			continue;
		}
		k->fd = fd;
		k->rlen = 0;
		k->deadline_us = now_us + (uint64_t)h->p.timeout_ms * 1000;
		h->st.http_accepted++;
		h->st.open++;
	}
	return work;
}

int
sipdp_ctl_http_poll(struct sipdp_ctl_http *h, uint64_t now_us)
{
	nfds_t n = 0;
	int work = 0, rc;

	for (uint32_t i = 0; i < h->p.max_clients; i++) {
		struct http_conn *k = &h->c[i];

		if (k->fd < 0)
			continue;
		if (now_us >= k->deadline_us) {
			h->st.http_timeouts++;
			conn_close(h, k);
			work++;
			continue;
		}
		h->pfd[n] = (struct pollfd){ .fd = k->fd, .events = k->wbuf ? POLLOUT : POLLIN };
		h->pidx[n++] = (int)i;
	}
	if (h->lfd >= 0) {
		h->pfd[n] = (struct pollfd){ .fd = h->lfd, .events = POLLIN };
		h->pidx[n++] = -1;
	}
	if (n == 0)
		return work;
	rc = poll(h->pfd, n, 0);
	if (rc <= 0)
		return work;
	for (nfds_t i = 0; i < n; i++) {
		struct http_conn *k;

		if (h->pfd[i].revents == 0)
			continue;
		if (h->pidx[i] < 0) {
			work += do_accept(h, now_us);
			continue;
		}
		k = &h->c[h->pidx[i]];
		work++;
		if (k->wbuf != NULL)
			(void)conn_write(h, k);
		else
			conn_read(h, k); /* POLLHUP/POLLERR: recv says 0 or the error */
	}
	return work;
}

void
sipdp_ctl_http_stats_get(const struct sipdp_ctl_http *h, struct sipdp_ctl_http_stats *st)
{
	*st = h->st;
}

void
sipdp_ctl_http_destroy(struct sipdp_ctl_http *h)
{
	if (h == NULL)
		return;
	for (uint32_t i = 0; i < HTTP_MAX_CLIENTS; i++) {
		if (h->c[i].fd >= 0)
			conn_close(h, &h->c[i]);
		free(h->c[i].rbuf);
	}
	if (h->lfd >= 0)
		close(h->lfd);
	sipdp_ctl_prom_free(&h->body);
	free(h);
}
