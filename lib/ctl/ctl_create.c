/* SPDX-License-Identifier: BSD-3-Clause */
/* Cold path: creation, the TLS contexts, listeners, destruction. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ctl_pvt.h"
#include "sipdp_msg.h"

static SSL_CTX *
tls_ctx_new(const struct sipdp_ctl_tls_params *t, bool server)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

	if (ctx == NULL)
		return NULL;
	/* The issue allows TLS 1.2 and 1.3 only (RFC 8996 retired the rest). */
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION))
		goto fail;
	/* RELEASE_BUFFERS drops the 17 kB read and write buffers of an idle
	 * connection (most of them are idle); the write modes let a queued
	 * buffer move and be written in parts. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
		SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* A peer that vanishes without close_notify is a peer close for SIP,
	 * whose messages are self-delimiting (no truncation attack). */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
		SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* No stateful session cache: it would grow with connections. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (t->ciphers != NULL && !SSL_CTX_set_cipher_list(ctx, t->ciphers))
		goto fail;
	if (t->ciphersuites != NULL && !SSL_CTX_set_ciphersuites(ctx, t->ciphersuites))
		goto fail;
	if (t->cert_file != NULL) {
		if (SSL_CTX_use_certificate_chain_file(ctx, t->cert_file) != 1 ||
		    t->key_file == NULL ||
		    SSL_CTX_use_PrivateKey_file(ctx, t->key_file, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1)
			goto fail;
	}
	if (t->ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, t->ca_file, NULL) != 1)
			goto fail;
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		goto fail;
	}
	if (server) {
		int mode = SSL_VERIFY_NONE;
		if (t->verify_inbound == SIPDP_CTL_VERIFY_OPTIONAL)
			mode = SSL_VERIFY_PEER;
		else if (t->verify_inbound == SIPDP_CTL_VERIFY_REQUIRED)
			mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
		SSL_CTX_set_verify(ctx, mode, NULL);
		/* Lets the client cache a ticket; with the cache off, tickets
		 * are the only resumption and cost no server memory. */
		SSL_CTX_set_num_tickets(ctx, 1);
	} else {
		SSL_CTX_set_verify(ctx, t->no_verify_outbound ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
			NULL);
	}
	SSL_CTX_set_verify_depth(ctx, 8);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int
ctl_tls_ctx_create(struct sipdp_ctl *c)
{
	const struct sipdp_ctl_tls_params *t = &c->p.tls;

	if (t->cert_file != NULL) {
		c->srv_ctx = tls_ctx_new(t, true);
		if (c->srv_ctx == NULL)
			return -EPROTO;
	}
	c->cli_ctx = tls_ctx_new(t, false);
	return c->cli_ctx == NULL ? -EPROTO : 0;
}

#define DEF(field, v) do { if (p.field == 0) p.field = (v); } while (0)

int
sipdp_ctl_create(const struct sipdp_ctl_params *params, uint64_t now_us, struct sipdp_ctl **out)
{
	struct sipdp_ctl_params p;
	int rc = -ENOMEM;

	*out = NULL;
	if (params == NULL || params->on_message == NULL)
		return -EINVAL;
	p = *params;
	DEF(max_conns, 1024);
	DEF(max_per_source, 64);
	DEF(idle_timeout_ms, 300000);
	DEF(message_deadline_ms, 10000);
	DEF(max_header_bytes, 8192);
	DEF(max_message_bytes, 65535);
	DEF(max_tx_queue_bytes, 262144);
	DEF(tls.handshake_timeout_ms, 5000);
	if (p.max_conns > (1u << 20) || p.max_message_bytes > SIPDP_MSG_MAX_LEN ||
	    p.max_header_bytes > p.max_message_bytes)
		return -EINVAL;

	struct sipdp_ctl *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->p = p;
	c->now = now_us;
	c->ep = -1;
	c->cap = p.max_conns;
	c->idx_bits = 1;
	while ((1u << c->idx_bits) < c->cap)
		c->idx_bits++;
	for (int l = 0; l < CL__COUNT; l++)
		c->lists[l].head = c->lists[l].tail = CTL_NONE;
	c->conns = calloc(c->cap, sizeof(*c->conns));
	c->free_stack = calloc(c->cap, sizeof(*c->free_stack));
	c->gen = calloc(c->cap, sizeof(*c->gen));
	c->scratch = malloc(CTL_SCRATCH);
	if (c->conns == NULL || c->free_stack == NULL || c->gen == NULL || c->scratch == NULL)
		goto fail;
	for (uint32_t i = 0; i < c->cap; i++) {
		c->conns[i].fd = -1;
		c->free_stack[i] = c->cap - 1 - i;
	}
	c->nfree = c->cap;
	uint64_t seed[2] = { 0, 0 };
	if (RAND_bytes((unsigned char *)seed, sizeof(seed)) != 1) {
		rc = -EPROTO;
		goto fail;
	}
	if (ctl_hash_init(&c->per_source, c->cap, seed[0]) < 0 ||
	    ctl_hash_init(&c->reuse, c->cap, seed[1]) < 0)
		goto fail;
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	if (c->ep < 0) {
		rc = -errno;
		goto fail;
	}
	if (p.stamp_via) {
		/* received= (an IPv6 address) and rport= fit in 96 bytes. */
		c->vcap = p.max_message_bytes + 96;
		c->vmsg = malloc(sizeof(*c->vmsg));
		c->vbuf = malloc(c->vcap);
		if (c->vmsg == NULL || c->vbuf == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	if (p.tls_enabled && (rc = ctl_tls_ctx_create(c)) < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	sipdp_ctl_destroy(c);
	return rc;
}

void
sipdp_ctl_destroy(struct sipdp_ctl *c)
{
	if (c == NULL)
		return;
	for (uint32_t i = 0; c->conns != NULL && i < c->cap; i++)
		if (c->conns[i].state != CS_FREE)
			ctl_conn_release(c, &c->conns[i]);
	for (uint32_t i = 0; i < c->nb_listen; i++)
		close(c->listen[i].fd);
	if (c->ep >= 0)
		close(c->ep);
	SSL_CTX_free(c->srv_ctx);
	SSL_CTX_free(c->cli_ctx);
	ctl_hash_fini(&c->per_source);
	ctl_hash_fini(&c->reuse);
	free(c->conns);
	free(c->free_stack);
	free(c->gen);
	free(c->scratch);
	free(c->vmsg);
	free(c->vbuf);
	free(c);
}

int
sipdp_ctl_listen(struct sipdp_ctl *c, enum sipdp_ctl_transport tp, const struct sipdp_ctl_addr *local)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, fd, rc;

	if (tp == SIPDP_CTL_TLS && c->srv_ctx == NULL)
		return -EINVAL;
	if (tp != SIPDP_CTL_TCP && tp != SIPDP_CTL_TLS)
		return -EINVAL;
	if (c->nb_listen == CTL_MAX_LISTEN)
		return -ENOSPC;
	if (ctl_addr_to_sockaddr(local, &ss, &sl) < 0)
		return -EINVAL;
	fd = socket(local->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (local->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 1024) < 0)
		goto fail;
	struct ctl_listener *L = &c->listen[c->nb_listen];
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		goto fail;
	ctl_addr_from_sockaddr(&L->local, &ss);
	struct epoll_event ev = { .events = EPOLLIN,
		.data.u64 = CTL_EV_LISTENER | c->nb_listen };
	if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		goto fail;
	L->fd = fd;
	L->transport = (uint8_t)tp;
	return (int)c->nb_listen++;
fail:
	rc = -errno;
	close(fd);
	return rc;
}

int
sipdp_ctl_listen_addr(const struct sipdp_ctl *c, int idx, struct sipdp_ctl_addr *out)
{
	if (idx < 0 || (uint32_t)idx >= c->nb_listen)
		return -ENOENT;
	*out = c->listen[idx].local;
	return 0;
}
