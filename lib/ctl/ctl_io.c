/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sockets and TLS: the poll loop, accept with the connection limits,
 * outbound connects, the handshake, reads and queued writes.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ctl_pvt.h"

int
ctl_addr_to_sockaddr(const struct sipdp_ctl_addr *a, struct sockaddr_storage *ss, unsigned int *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->addr, 4);
		*len = sizeof(*s4);
		return 0;
	}
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		*len = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

void
ctl_addr_from_sockaddr(struct sipdp_ctl_addr *a, const struct sockaddr_storage *ss)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		a->family = AF_INET;
		a->port = ntohs(s4->sin_port);
		memcpy(a->addr, &s4->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		a->family = AF_INET6;
		a->port = ntohs(s6->sin6_port);
		memcpy(a->addr, &s6->sin6_addr, 16);
	}
}

static void
set_epollout(struct sipdp_ctl *c, struct ctl_conn *k, bool on)
{
	if (k->fd < 0 || on == !!(k->flags & CF_EPOLLOUT))
		return;
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.u64 = k->id };
	if (epoll_ctl(c->ep, EPOLL_CTL_MOD, k->fd, &ev) == 0) {
		if (on)
			k->flags |= CF_EPOLLOUT;
		else
			k->flags &= (uint8_t)~CF_EPOLLOUT;
	}
}

/* @return bytes written (0: would block), or a negative errno (broken). */
static int
raw_write(struct ctl_conn *k, const void *buf, uint32_t len)
{
	if (k->ssl != NULL) {
		ERR_clear_error();
		int n = SSL_write(k->ssl, buf, (int)len);
		if (n > 0)
			return n;
		int e = SSL_get_error(k->ssl, n);
		return (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) ? 0 : -EPIPE;
	}
	ssize_t n = send(k->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n >= 0)
		return (int)n;
	return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
}

static int
queue(struct sipdp_ctl *c, struct ctl_conn *k, const void *buf, uint32_t len)
{
	uint32_t need = k->wlen + len;

	if (need > c->p.max_tx_queue_bytes) {
		ctl_conn_close(c, k, SIPDP_CTL_CLOSE_TX_OVERFLOW);
		return -ENOBUFS;
	}
	if (need > k->wcap) {
		uint32_t cap = (need + 1023u) & ~1023u;
		char *p = realloc(k->wbuf, cap);
		if (p == NULL) {
			ctl_conn_close(c, k, SIPDP_CTL_CLOSE_ERROR);
			return -ENOBUFS;
		}
		k->wbuf = p;
		k->wcap = cap;
	}
	memcpy(k->wbuf + k->wlen, buf, len);
	k->wlen = need;
	return 0;
}

static void
flush(struct sipdp_ctl *c, struct ctl_conn *k)
{
	while (k->wlen > 0) {
		int n = raw_write(k, k->wbuf, k->wlen);
		if (n < 0) {
			ctl_conn_close(c, k, SIPDP_CTL_CLOSE_ERROR);
			return;
		}
		if (n == 0)
			break;
		k->wlen -= (uint32_t)n;
		memmove(k->wbuf, k->wbuf + n, k->wlen);
	}
	if (k->wlen == 0) {
		free(k->wbuf);
		k->wbuf = NULL;
		k->wcap = 0;
	}
	set_epollout(c, k, k->wlen > 0);
}

int
ctl_conn_write(struct sipdp_ctl *c, struct ctl_conn *k, const void *buf, uint32_t len)
{
	if (len == 0)
		return -EINVAL;
	c->st.bytes_out += len;
	if (k->flags & CF_BUFFER) {
		ctl_touch(c, k);
		if (c->p.on_buffer_tx != NULL)
			c->p.on_buffer_tx(c->p.arg, k->id, buf, len);
		return 0;
	}
	if (k->state != CS_OPEN || k->wlen > 0)
		return queue(c, k, buf, len);
	int n = raw_write(k, buf, len);
	if (n < 0) {
		ctl_conn_close(c, k, SIPDP_CTL_CLOSE_ERROR);
		return -ENOTCONN;
	}
	ctl_touch(c, k);
	if ((uint32_t)n < len) {
		int rc = queue(c, k, (const char *)buf + n, len - (uint32_t)n);
		if (rc == 0)
			set_epollout(c, k, true);
		return rc;
	}
	return 0;
}

int
sipdp_ctl_send(struct sipdp_ctl *c, uint32_t conn_id, const void *buf, uint32_t len)
{
	struct ctl_conn *k = ctl_conn_get(c, conn_id);

	if (k == NULL || (k->flags & CF_DOOMED))
		return -ENOTCONN;
	if (len == 0)
		return -EINVAL;
	c->st.msgs_out++;
	return ctl_conn_write(c, k, buf, len);
}

/* ---- lingering close -------------------------------------------------------- */

static void
linger_flush(struct sipdp_ctl *c, struct ctl_conn *k)
{
	uint32_t id = k->id;

	flush(c, k);
	if (ctl_conn_get_any(c, id) != k || k->wlen > 0 || (k->flags & CF_SHUT))
		return;
	if (k->ssl != NULL)
		SSL_shutdown(k->ssl); /* close_notify, best effort */
	shutdown(k->fd, SHUT_WR);
	k->flags |= CF_SHUT;
}

void
ctl_linger_start(struct sipdp_ctl *c, struct ctl_conn *k)
{
	k->state = CS_LINGER;
	free(k->rbuf);
	k->rbuf = NULL;
	k->rlen = k->rcap = 0;
	ctl_list_del(c, k, CL_IDLE);
	ctl_list_del(c, k, CL_HS);
	ctl_list_add(c, k, CL_DEADLINE);
	linger_flush(c, k);
}

static void
linger_event(struct sipdp_ctl *c, struct ctl_conn *k, uint32_t events)
{
	uint32_t id = k->id;

	if (events & EPOLLOUT) {
		linger_flush(c, k);
		if (ctl_conn_get_any(c, id) != k)
			return;
	}
	for (int i = 0; i < CTL_READS_PER_EVENT; i++) {
		ssize_t r = recv(k->fd, c->scratch, CTL_SCRATCH, MSG_DONTWAIT);
		if (r > 0)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		ctl_conn_release(c, k); /* the peer's FIN or an error: done */
		return;
	}
}

/* ---- reading ------------------------------------------------------------ */

static void
conn_read(struct sipdp_ctl *c, struct ctl_conn *k)
{
	uint32_t id = k->id;

	for (int i = 0; i < CTL_READS_PER_EVENT; i++) {
		int n;
		if (k->ssl != NULL) {
			ERR_clear_error();
			n = SSL_read(k->ssl, c->scratch, CTL_SCRATCH);
			if (n <= 0) {
				int e = SSL_get_error(k->ssl, n);
				if (e == SSL_ERROR_WANT_READ)
					return;
				if (e == SSL_ERROR_WANT_WRITE) {
					set_epollout(c, k, true);
					return;
				}
				if (k->rlen > 0)
					c->st.framing_errors++;
				ctl_conn_close(c, k, e == SSL_ERROR_ZERO_RETURN ?
					SIPDP_CTL_CLOSE_PEER : SIPDP_CTL_CLOSE_ERROR);
				return;
			}
		} else {
			ssize_t r = recv(k->fd, c->scratch, CTL_SCRATCH, MSG_DONTWAIT);
			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				return;
			if (r <= 0) {
				/* A message cut short by the close is a framing error. */
				if (k->rlen > 0)
					c->st.framing_errors++;
				ctl_conn_close(c, k, r == 0 ? SIPDP_CTL_CLOSE_PEER :
					SIPDP_CTL_CLOSE_ERROR);
				return;
			}
			n = (int)r;
		}
		ctl_stream_input(c, k, c->scratch, (uint32_t)n);
		if (ctl_conn_get(c, id) != k)
			return;
		if (k->ssl == NULL && (uint32_t)n < CTL_SCRATCH)
			return;
	}
}

/* ---- TLS handshake -------------------------------------------------------- */

static void
tls_opened(struct sipdp_ctl *c, struct ctl_conn *k)
{
	k->state = CS_OPEN;
	c->st.tls_handshakes_ok++;
	ctl_list_del(c, k, CL_HS);
	ctl_touch(c, k);
}

/* @return true when the connection is open and still alive. */
static bool
tls_handshake(struct sipdp_ctl *c, struct ctl_conn *k)
{
	if (!(k->flags & CF_OUTBOUND) && !(k->flags & CF_TLS_PEEKED)) {
		/* A TLS client speaks first with a handshake record (type 22).
		 * Anything else is plaintext on the TLS port: refuse it before
		 * OpenSSL sees it, so it is told apart from a failed handshake. */
		unsigned char b;
		ssize_t r = recv(k->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return false;
		if (r <= 0) {
			ctl_conn_close(c, k, r == 0 ? SIPDP_CTL_CLOSE_PEER : SIPDP_CTL_CLOSE_ERROR);
			return false;
		}
		if (b != 22) {
			ctl_conn_close(c, k, SIPDP_CTL_CLOSE_NOT_TLS);
			return false;
		}
		k->flags |= CF_TLS_PEEKED;
	}
	ERR_clear_error();
	int r = SSL_do_handshake(k->ssl);
	if (r == 1) {
		tls_opened(c, k);
		return true;
	}
	int e = SSL_get_error(k->ssl, r);
	if (e == SSL_ERROR_WANT_READ) {
		set_epollout(c, k, false);
		return false;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		set_epollout(c, k, true);
		return false;
	}
	ERR_clear_error();
	ctl_conn_close(c, k, SIPDP_CTL_CLOSE_HS_FAILED);
	return false;
}

/* ---- connect -------------------------------------------------------------- */

static void
connected(struct sipdp_ctl *c, struct ctl_conn *k)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(k->fd, (struct sockaddr *)&ss, &sl) == 0)
		ctl_addr_from_sockaddr(&k->local, &ss);
	if (k->transport == SIPDP_CTL_TLS) {
		/* The handshake keeps the connect's place in the timeout list:
		 * one budget for connect + handshake. */
		k->state = CS_HANDSHAKE;
		if (!tls_handshake(c, k))
			return;
	} else {
		k->state = CS_OPEN;
		ctl_list_del(c, k, CL_HS);
		ctl_touch(c, k);
	}
	flush(c, k);
}

static void
conn_event(struct sipdp_ctl *c, struct ctl_conn *k, uint32_t events)
{
	uint32_t id = k->id;

	if (k->state == CS_LINGER) {
		linger_event(c, k, events);
		return;
	}
	if (k->state == CS_CONNECTING) {
		int err = 0;
		socklen_t el = sizeof(err);
		if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
		if (err != 0) {
			ctl_conn_close(c, k, SIPDP_CTL_CLOSE_CONNECT_FAILED);
			return;
		}
		if (!(events & (EPOLLOUT | EPOLLIN)))
			return;
		connected(c, k);
		if (ctl_conn_get(c, id) != k || k->state != CS_OPEN)
			return;
		events |= EPOLLIN;
	} else if (k->state == CS_HANDSHAKE) {
		if (!tls_handshake(c, k))
			return;
		flush(c, k);
		if (ctl_conn_get(c, id) != k)
			return;
		/* TLS 1.3 data may ride in with the last handshake flight and
		 * sit in OpenSSL's buffer where epoll cannot see it. */
		events |= EPOLLIN;
	}
	if (events & EPOLLOUT) {
		flush(c, k);
		if (ctl_conn_get(c, id) != k)
			return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		conn_read(c, k);
}

static int
add_epoll(struct sipdp_ctl *c, struct ctl_conn *k, bool out)
{
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.u64 = k->id };

	if (epoll_ctl(c->ep, EPOLL_CTL_ADD, k->fd, &ev) < 0)
		return -errno;
	if (out)
		k->flags |= CF_EPOLLOUT;
	return 0;
}

static void
reuse_register(struct sipdp_ctl *c, struct ctl_conn *k)
{
	struct ctl_key key;

	ctl_key_of(&key, k->transport, &k->peer);
	struct ctl_slot *s = ctl_hash_find(&c->reuse, &key);
	if (s == NULL) {
		s = ctl_hash_insert(&c->reuse, &key);
		s->val = ctl_conn_idx(c, k);
	}
}

/* Refuse with a reset: no TIME_WAIT left behind, and the peer learns at once. */
static void
refuse(int fd)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void
on_accept(struct sipdp_ctl *c, struct ctl_listener *L, uint32_t li)
{
	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(L->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct sipdp_ctl_addr peer;
		ctl_addr_from_sockaddr(&peer, &ss);
		if (c->nfree == 0) {
			c->st.refused_total++;
			refuse(fd);
			continue;
		}
		struct ctl_key key;
		ctl_key_of(&key, 0, &peer);
		struct ctl_slot *s = ctl_hash_find(&c->per_source, &key);
		if (s != NULL && s->val >= c->p.max_per_source) {
			c->st.refused_per_source++;
			refuse(fd);
			continue;
		}
		struct ctl_conn *k = ctl_conn_alloc(c);
		k->fd = fd;
		k->peer = peer;
		k->local = L->local;
		k->transport = L->transport;
		k->listener = (uint8_t)li;
		sl = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
			ctl_addr_from_sockaddr(&k->local, &ss);
		s = ctl_hash_insert(&c->per_source, &key);
		s->val++;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (L->transport == SIPDP_CTL_TLS) {
			k->ssl = SSL_new(c->srv_ctx);
			if (k->ssl == NULL || SSL_set_fd(k->ssl, fd) != 1) {
				k->state = CS_OPEN;
				ctl_conn_close(c, k, SIPDP_CTL_CLOSE_ERROR);
				continue;
			}
			SSL_set_accept_state(k->ssl);
			k->state = CS_HANDSHAKE;
			ctl_list_add(c, k, CL_HS);
		} else {
			k->state = CS_OPEN;
		}
		c->st.accepted++;
		ctl_touch(c, k);
		reuse_register(c, k);
		if (add_epoll(c, k, false) < 0)
			ctl_conn_close(c, k, SIPDP_CTL_CLOSE_ERROR);
	}
}

int
sipdp_ctl_send_to(struct sipdp_ctl *c, enum sipdp_ctl_transport tp, const struct sipdp_ctl_addr *dst,
	const char *sni, const void *buf, uint32_t len, uint32_t *conn_id)
{
	uint32_t id;
	struct sockaddr_storage ss;
	socklen_t sl;

	if (len == 0 || (tp != SIPDP_CTL_TCP && tp != SIPDP_CTL_TLS) ||
	    ctl_addr_to_sockaddr(dst, &ss, &sl) < 0)
		return -EINVAL;
	if (tp == SIPDP_CTL_TLS && c->cli_ctx == NULL)
		return -EPROTO;
	if (sipdp_ctl_lookup(c, tp, dst, &id) == 0) {
		c->st.reused++;
		if (conn_id)
			*conn_id = id;
		return sipdp_ctl_send(c, id, buf, len);
	}
	if (c->nfree == 0) {
		c->st.connects_refused++;
		return -EMFILE;
	}
	int fd = socket(dst->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	int r = connect(fd, (struct sockaddr *)&ss, sl);
	if (r < 0 && errno != EINPROGRESS) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	struct ctl_conn *k = ctl_conn_alloc(c);
	k->fd = fd;
	k->peer = *dst;
	k->transport = (uint8_t)tp;
	k->flags = CF_OUTBOUND;
	k->state = CS_CONNECTING;
	id = k->id;
	if (tp == SIPDP_CTL_TLS) {
		const char *name = sni != NULL ? sni : c->p.tls.sni;
		k->ssl = SSL_new(c->cli_ctx);
		if (k->ssl == NULL || SSL_set_fd(k->ssl, fd) != 1)
			goto broken;
		SSL_set_connect_state(k->ssl);
		if (name != NULL) {
			/* RFC 5922 §4: the server is checked against the domain
			 * asked for, sent as SNI too (RFC 6066 §3). */
			if (SSL_set_tlsext_host_name(k->ssl, name) != 1 ||
			    SSL_set1_host(k->ssl, name) != 1)
				goto broken;
		} else if (X509_VERIFY_PARAM_set1_ip(SSL_get0_param(k->ssl), dst->addr,
				dst->family == AF_INET ? 4 : 16) != 1) {
			goto broken;
		}
	}
	c->st.connects++;
	ctl_list_add(c, k, CL_HS);
	reuse_register(c, k);
	if (add_epoll(c, k, true) < 0)
		goto broken;
	c->st.msgs_out++;
	r = queue(c, k, buf, len);
	if (r < 0)
		return r;
	c->st.bytes_out += len;
	if (conn_id)
		*conn_id = id;
	return 0;
broken:
	ERR_clear_error();
	ctl_conn_close(c, k, SIPDP_CTL_CLOSE_ERROR);
	return -EPROTO;
}

/* ---- buffer connections --------------------------------------------------- */

int
sipdp_ctl_attach_buffer(struct sipdp_ctl *c, const struct sipdp_ctl_addr *peer, uint32_t *conn_id)
{
	struct ctl_conn *k = ctl_conn_alloc(c);

	if (k == NULL)
		return -EMFILE;
	k->flags = CF_BUFFER;
	k->transport = SIPDP_CTL_TCP;
	k->state = CS_OPEN;
	if (peer)
		k->peer = *peer;
	ctl_touch(c, k);
	*conn_id = k->id;
	return 0;
}

int
sipdp_ctl_input(struct sipdp_ctl *c, uint32_t conn_id, const void *buf, uint32_t len, uint64_t now_us)
{
	struct ctl_conn *k = ctl_conn_get(c, conn_id);

	if (k == NULL)
		return -ENOTCONN;
	if (!(k->flags & CF_BUFFER))
		return -EINVAL;
	if (now_us > c->now)
		c->now = now_us;
	if (len == 0) {
		if (k->rlen > 0)
			c->st.framing_errors++;
		ctl_conn_close(c, k, SIPDP_CTL_CLOSE_PEER);
		return -ENOTCONN;
	}
	ctl_stream_input(c, k, buf, len);
	return ctl_conn_get(c, conn_id) == k ? 0 : -ENOTCONN;
}

/* ---- the loop --------------------------------------------------------------- */

int
sipdp_ctl_poll(struct sipdp_ctl *c, uint64_t now_us)
{
	struct epoll_event ev[CTL_EVENTS];

	if (now_us > c->now)
		c->now = now_us;
	int n = epoll_wait(c->ep, ev, CTL_EVENTS, 0);
	if (n < 0) {
		if (errno != EINTR)
			return -errno;
		n = 0;
	}
	for (int i = 0; i < n; i++) {
		uint64_t d = ev[i].data.u64;
		if (d & CTL_EV_LISTENER) {
			uint32_t li = (uint32_t)d;
			on_accept(c, &c->listen[li], li);
			continue;
		}
		/* The id, not the slot: a connection closed by an earlier event
		 * of this batch (and its slot reused) is skipped. */
		struct ctl_conn *k = ctl_conn_get_any(c, (uint32_t)d);
		if (k != NULL)
			conn_event(c, k, ev[i].events);
	}
	ctl_expire(c);
	return n;
}
