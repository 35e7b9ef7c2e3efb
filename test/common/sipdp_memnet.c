/* SPDX-License-Identifier: BSD-3-Clause */
/* In-memory network and fake clock for protocol-core tests (see header). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipdp_memnet.h"
#include "sipdp_msg_hdr.h"

struct sipdp_memnet *
sipdp_memnet_new(uint64_t now_us)
{
	struct sipdp_memnet *net = calloc(1, sizeof(*net));

	if (net)
		net->now_us = now_us;
	return net;
}

void
sipdp_memnet_free(struct sipdp_memnet *net)
{
	if (net == NULL)
		return;
	for (uint32_t i = 0; i < net->nep; i++)
		sipdp_tsx_destroy(net->ep[i].tsx);
	for (uint32_t i = 0; i < net->nlog; i++)
		free(net->log[i].data);
	free(net);
}

static void
memnet_event(void *user, const struct sipdp_tsx_event *ev)
{
	struct sipdp_memnet_ep *ep = user;

	if (ep->nevs < SIPDP_MEMNET_MAX_EVS) {
		struct sipdp_memnet_ev *r = &ep->evs[ep->nevs++];
		memset(r, 0, sizeof(*r));
		r->at_us = ep->net->now_us;
		r->type = ev->type;
		r->kind = ev->kind;
		r->state = ev->state;
		r->retransmission = ev->retransmission;
		r->tsx = ev->tsx;
		r->user_ref = ev->user_ref;
		r->cancel_target = ev->cancel_target;
		if (ev->msg) {
			if (ev->msg->is_request) {
				r->method = ev->msg->method;
			} else {
				struct sipdp_cseq cs;
				r->status = ev->msg->status;
				if (sipdp_msg_cseq(ev->msg, &cs) == 0)
					r->method = cs.method;
			}
		}
	}
	if (ep->on_event)
		ep->on_event(ep, ev);
}

void
sipdp_memnet_params(struct sipdp_memnet *net, struct sipdp_tsx_params *p, uint32_t capacity)
{
	memset(p, 0, sizeof(*p));
	p->capacity = capacity;
	p->shard_id = 0;
	p->now_us = net->now_us;
	p->secret[0] = 0x0123456789abcdefULL;
	p->secret[1] = 0xfedcba9876543210ULL;
}

struct sipdp_memnet_ep *
sipdp_memnet_add_ep(struct sipdp_memnet *net, const struct sipdp_tsx_params *p, bool reliable)
{
	struct sipdp_tsx_params q = *p;
	struct sipdp_memnet_ep *ep;

	if (net->nep >= SIPDP_MEMNET_MAX_EP)
		return NULL;
	ep = &net->ep[net->nep];
	memset(ep, 0, sizeof(*ep));
	ep->net = net;
	ep->id = (uint8_t)net->nep;
	ep->reliable = reliable;
	q.send = sipdp_memnet_send;
	q.on_event = memnet_event;
	q.user = ep;
	q.now_us = net->now_us;
	if (sipdp_tsx_create(&q, &ep->tsx) != 0)
		return NULL;
	net->nep++;
	return ep;
}

struct sipdp_tsx_dest
sipdp_memnet_dest(uint8_t to, bool reliable)
{
	struct sipdp_tsx_dest d;

	memset(&d, 0, sizeof(d));
	d.transport = reliable ? SIPDP_TSX_TP_TCP : SIPDP_TSX_TP_UDP;
	d.flags = reliable ? SIPDP_TSX_DEST_RELIABLE : 0;
	d.port = 5060;
	d.addr[0] = to;
	return d;
}

static struct sipdp_memnet_pkt *
log_pkt(struct sipdp_memnet *net, uint8_t from, uint8_t to, const char *buf, uint32_t len)
{
	struct sipdp_memnet_pkt *pk;

	if (net->nlog >= SIPDP_MEMNET_MAX_PKTS) {
		fprintf(stderr, "memnet: packet log full\n");
		abort();
	}
	pk = &net->log[net->nlog++];
	memset(pk, 0, sizeof(*pk));
	pk->at_us = net->now_us;
	pk->from = from;
	pk->to = to;
	pk->len = len;
	pk->data = malloc(len + 1);
	memcpy(pk->data, buf, len);
	pk->data[len] = 0;
	return pk;
}

static void
enqueue(struct sipdp_memnet *net, uint32_t idx)
{
	if (net->nq < SIPDP_MEMNET_MAX_PKTS)
		net->queue[net->nq++] = idx;
}

int
sipdp_memnet_send(void *user, const struct sipdp_tsx_dest *dest, const char *buf, uint32_t len)
{
	struct sipdp_memnet_ep *ep = user;
	struct sipdp_memnet *net = ep->net;
	struct sipdp_memnet_pkt *pk = log_pkt(net, ep->id, dest->addr[0], buf, len);

	if (ep->fail_next) {
		ep->fail_next--;
		pk->failed = true;
		return -EIO;
	}
	if (ep->drop_next) {
		ep->drop_next--;
		pk->dropped = true;
		return 0;
	}
	enqueue(net, net->nlog - 1);
	if (ep->dup_next) {
		ep->dup_next--;
		enqueue(net, net->nlog - 1);
	}
	return 0;
}

void
sipdp_memnet_inject(struct sipdp_memnet *net, uint8_t from, uint8_t to, const char *buf, uint32_t len)
{
	log_pkt(net, from, to, buf, len);
	enqueue(net, net->nlog - 1);
}

uint32_t
sipdp_memnet_deliver(struct sipdp_memnet *net, unsigned flags)
{
	uint32_t n = net->nq, round[SIPDP_MEMNET_MAX_PKTS];

	memcpy(round, net->queue, n * sizeof(round[0]));
	net->nq = 0;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = (flags & SIPDP_MEMNET_REVERSE) ? round[n - 1 - k] : round[k];
		const struct sipdp_memnet_pkt *pk = &net->log[i];
		struct sipdp_memnet_ep *ep;
		struct sipdp_tsx_dest src;

		if (pk->to >= net->nep)
			continue;
		ep = &net->ep[pk->to];
		src = sipdp_memnet_dest(pk->from, ep->reliable);
		if (sipdp_msg_parse(&net->msg, pk->data, pk->len, 0) <= 0) {
			ep->last_rx = -EBADMSG;
			continue;
		}
		if (ep->recv)
			ep->last_rx = ep->recv(ep, &net->msg, &src);
		else
			ep->last_rx = sipdp_tsx_recv(ep->tsx, &net->msg, &src, net->now_us);
	}
	return n;
}

void
sipdp_memnet_flush(struct sipdp_memnet *net)
{
	net->nq = 0;
}

void
sipdp_memnet_advance(struct sipdp_memnet *net, uint64_t until_us)
{
	while (net->now_us < until_us) {
		uint64_t step = until_us - net->now_us;
		net->now_us += step < 1000 ? step : 1000;
		for (uint32_t i = 0; i < net->nep; i++)
			sipdp_tsx_expire(net->ep[i].tsx, net->now_us, UINT32_MAX);
	}
}

uint32_t
sipdp_memnet_count_from(const struct sipdp_memnet *net, uint8_t from)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < net->nlog; i++)
		if (net->log[i].from == from && !net->log[i].failed)
			n++;
	return n;
}

const struct sipdp_memnet_pkt *
sipdp_memnet_nth_from(const struct sipdp_memnet *net, uint8_t from, uint32_t nth)
{
	for (uint32_t i = 0; i < net->nlog; i++)
		if (net->log[i].from == from && !net->log[i].failed && nth-- == 0)
			return &net->log[i];
	return NULL;
}

const struct sipdp_memnet_pkt *
sipdp_memnet_last(const struct sipdp_memnet *net)
{
	return net->nlog ? &net->log[net->nlog - 1] : NULL;
}

uint32_t
sipdp_memnet_ev_count(const struct sipdp_memnet_ep *ep, uint8_t type)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < ep->nevs; i++)
		if (ep->evs[i].type == type)
			n++;
	return n;
}

const struct sipdp_memnet_ev *
sipdp_memnet_ev_last(const struct sipdp_memnet_ep *ep, uint8_t type)
{
	for (uint32_t i = ep->nevs; i-- > 0;)
		if (ep->evs[i].type == type)
			return &ep->evs[i];
	return NULL;
}

bool
sipdp_memnet_starts(const struct sipdp_memnet_pkt *pkt, const char *prefix)
{
	size_t n = strlen(prefix);

	return pkt != NULL && pkt->len >= n && memcmp(pkt->data, prefix, n) == 0;
}
