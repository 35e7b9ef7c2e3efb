/* SPDX-License-Identifier: BSD-3-Clause */
/* Test harness for lib/ua (tests only): see ua_harness.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "ua_harness.h"

static const char sdp_offer[] = "v=0\r\no=a 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
				"t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";

struct sipdp_tsx_dest
uah_dest(uint8_t to)
{
	struct sipdp_tsx_dest d = { .transport = SIPDP_TSX_TP_UDP, .port = 5060 };
	d.addr[0] = to;
	return d;
}

static void
enqueue(struct uah_net *net, uint8_t from, uint8_t to, const char *buf, uint32_t len, bool dropped)
{
	struct uah_pkt *p;

	if (net->nlog >= UAH_MAX_PKTS)
		return;
	p = &net->log[net->nlog];
	p->at_us = net->now_us;
	p->from = from;
	p->to = to;
	p->dropped = dropped;
	p->len = len;
	p->data = malloc(len + 1);
	memcpy(p->data, buf, len);
	p->data[len] = 0;
	if (!dropped)
		net->queue[net->nq++] = net->nlog;
	net->nlog++;
}

static int
h_send(void *user, const struct sipdp_tsx_dest *dest, const char *buf, uint32_t len)
{
	struct uah_ep *ep = user;
	struct uah_net *net = ep->net;
	bool drop = false;
	uint32_t copies = 1;

	if (ep->drop_next) {
		ep->drop_next--;
		drop = true;
	}
	if (ep->drop_prefix && ep->drop_prefix_n &&
	    strncmp(buf, ep->drop_prefix, strlen(ep->drop_prefix)) == 0) {
		ep->drop_prefix_n--;
		drop = true;
	}
	if (ep->dup_next) {
		ep->dup_next--;
		copies = 2;
	}
	for (uint32_t c = 0; c < copies; c++) {
		if (dest->addr[0] == UAH_FORK) {
			for (uint32_t i = 0; i < net->nfork; i++)
				enqueue(net, ep->id, net->fork_to[i], buf, len, drop);
		} else {
			enqueue(net, ep->id, dest->addr[0], buf, len, drop);
		}
	}
	return 0;
}

static void
h_event(void *user, const struct sipdp_ua_event *ev)
{
	struct uah_ep *ep = user;
	struct uah_ev *e;

	if (ep->nevs < UAH_MAX_EVS) {
		e = &ep->evs[ep->nevs++];
		e->at_us = ep->net->now_us;
		e->type = ev->type;
		e->reason = ev->reason;
		e->method = ev->method;
		e->fork = ev->fork;
		e->status = ev->status;
		e->dlg = ev->dlg;
		e->req = ev->req;
		e->req_ref = ev->req_ref;
	}
	if (ev->type == SIPDP_UA_EV_INCOMING) {
		ep->last_incoming = ev->dlg;
		switch (ep->answer) {
		case UAH_ACCEPT_NOW:
			sipdp_ua_accept(ep->ua, ev->dlg, 200, SIPDP_STR_NULL, SIPDP_STR("application/sdp"),
					SIPDP_STR(sdp_offer), ep->net->now_us);
			break;
		case UAH_RING:
			sipdp_ua_ring(ep->ua, ev->dlg, 180, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
				      ep->net->now_us);
			break;
		case UAH_REJECT_NOW:
			sipdp_ua_reject(ep->ua, ev->dlg, ep->answer_code, SIPDP_STR_NULL, ep->net->now_us);
			break;
		default:
			break;
		}
	}
	if (ev->type == SIPDP_UA_EV_REQUEST) {
		ep->last_req = ev->req;
		if (ep->answer_requests)
			sipdp_ua_respond(ep->ua, ev->dlg, ev->req, 200, SIPDP_STR_NULL,
					 ev->method == SIPDP_METHOD_INVITE ? SIPDP_STR("application/sdp")
									   : SIPDP_STR_NULL,
					 ev->method == SIPDP_METHOD_INVITE ? SIPDP_STR(sdp_offer)
									   : SIPDP_STR_NULL,
					 ep->net->now_us);
	}
	if (ep->on_event)
		ep->on_event(ep, ev);
}

struct uah_net *
uah_new(void)
{
	struct uah_net *net = calloc(1, sizeof(*net));
	net->now_us = 1000 * UAH_SEC;
	return net;
}

void
uah_free(struct uah_net *net)
{
	for (uint32_t i = 0; i < net->nep; i++)
		sipdp_ua_destroy(net->ep[i].ua);
	for (uint32_t i = 0; i < net->nlog; i++)
		free(net->log[i].data);
	free(net);
}

struct uah_ep *
uah_add(struct uah_net *net, uint32_t dialogs, void (*tweak)(struct sipdp_ua_params *p))
{
	static char contacts[UAH_MAX_EP][64], sentby[UAH_MAX_EP][32];
	struct uah_ep *ep = &net->ep[net->nep];
	struct sipdp_ua_params p = { 0 };
	uint8_t id = (uint8_t)net->nep;

	ep->net = net;
	ep->id = id;
	snprintf(contacts[id], sizeof(contacts[id]), "<sip:ua%u@192.0.2.%u:5060>", id, id + 1);
	snprintf(sentby[id], sizeof(sentby[id]), "192.0.2.%u:5060", id + 1);
	p.dialogs = dialogs;
	p.transactions = 4 * dialogs + 16;
	p.shard_id = id;
	p.secret[0] = 0x1111111111111111ull * (id + 1);
	p.secret[1] = 0x2222222222222222ull ^ id;
	p.now_us = net->now_us;
	p.contact = sipdp_str_cstr(contacts[id]);
	p.sent_by = sipdp_str_cstr(sentby[id]);
	p.user_agent = SIPDP_STR("sipdp-test");
	p.send = h_send;
	p.cb.on_incoming = h_event;
	p.cb.on_provisional = h_event;
	p.cb.on_answered = h_event;
	p.cb.on_confirmed = h_event;
	p.cb.on_failed = h_event;
	p.cb.on_terminated = h_event;
	p.cb.on_request = h_event;
	p.cb.on_response = h_event;
	p.cb.on_glare_retry = h_event;
	p.user = ep;
	if (tweak)
		tweak(&p);
	if (sipdp_ua_create(&p, &ep->ua) != 0)
		return NULL;
	net->nep++;
	return ep;
}

uint32_t
uah_deliver(struct uah_net *net, bool reverse)
{
	uint32_t n = net->nq, q[UAH_MAX_PKTS];

	memcpy(q, net->queue, n * sizeof(q[0]));
	net->nq = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct uah_pkt *p = &net->log[q[reverse ? n - 1 - i : i]];
		struct sipdp_tsx_dest src = uah_dest(p->from);
		if (p->to < net->nep)
			sipdp_ua_recv(net->ep[p->to].ua, p->data, p->len, &src, net->now_us);
	}
	return n;
}

void
uah_settle(struct uah_net *net)
{
	for (int i = 0; i < 64 && net->nq; i++)
		uah_deliver(net, false);
}

void
uah_run(struct uah_net *net, uint64_t until_us)
{
	uah_settle(net);
	while (net->now_us < until_us) {
		net->now_us += UAH_MS;
		for (uint32_t i = 0; i < net->nep; i++)
			sipdp_ua_expire(net->ep[i].ua, net->now_us, UINT32_MAX);
		if (net->on_tick)
			net->on_tick(net);
		uah_settle(net);
	}
}

void
uah_inject(struct uah_net *net, uint8_t from, uint8_t to, const char *text)
{
	enqueue(net, from, to, text, (uint32_t)strlen(text), false);
}

int
uah_invite(struct uah_ep *from, uint8_t to, sipdp_handle_t *dlg)
{
	struct sipdp_ua_invite inv = {
		.ruri = SIPDP_STR("sip:bob@192.0.2.2"),
		.from = SIPDP_STR("\"Alice\" <sip:alice@192.0.2.1>"),
		.to = SIPDP_STR("<sip:bob@192.0.2.2>"),
		.ctype = SIPDP_STR("application/sdp"),
		.body = SIPDP_STR(sdp_offer),
		.dest = uah_dest(to),
	};
	return sipdp_ua_invite(from->ua, &inv, from->net->now_us, dlg);
}

uint32_t
uah_count(const struct uah_net *net, uint8_t from, const char *prefix)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < net->nlog; i++)
		if (net->log[i].from == from && strncmp(net->log[i].data, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

const struct uah_pkt *
uah_nth(const struct uah_net *net, uint8_t from, const char *prefix, uint32_t k)
{
	for (uint32_t i = 0; i < net->nlog; i++)
		if (net->log[i].from == from && strncmp(net->log[i].data, prefix, strlen(prefix)) == 0 &&
		    k-- == 0)
			return &net->log[i];
	return NULL;
}

uint32_t
uah_evcount(const struct uah_ep *ep, uint8_t type)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < ep->nevs; i++)
		n += ep->evs[i].type == type;
	return n;
}

const struct uah_ev *
uah_evlast(const struct uah_ep *ep, uint8_t type)
{
	for (uint32_t i = ep->nevs; i-- > 0;)
		if (ep->evs[i].type == type)
			return &ep->evs[i];
	return NULL;
}

void
uah_print(const struct uah_net *net)
{
	for (uint32_t i = 0; i < net->nlog; i++) {
		const struct uah_pkt *p = &net->log[i];
		const char *nl = strchr(p->data, '\r');
		printf("%8llu.%03llu %u->%u %s%.*s\n", (unsigned long long)(p->at_us / 1000000),
		       (unsigned long long)(p->at_us / 1000 % 1000), p->from, p->to,
		       p->dropped ? "(dropped) " : "", nl ? (int)(nl - p->data) : 40, p->data);
	}
}

bool
uah_msgbufs_all_free(const struct sipdp_ua *ua)
{
	char *text = NULL, *p;
	size_t len = 0;
	unsigned nfree = 0, count = 1;
	FILE *f = open_memstream(&text, &len);

	sipdp_ua_dump(ua, f);
	fclose(f);
	p = strstr(text, "msgbufs_free=");
	if (p != NULL)
		sscanf(p, "msgbufs_free=%u/%u", &nfree, &count);
	free(text);
	return p != NULL && nfree == count;
}

void
uah_assert_idle(struct uah_net *net, uint64_t until_us)
{
	uah_run(net, until_us);
	for (uint32_t i = 0; i < net->nep; i++) {
		CU_ASSERT_EQUAL(sipdp_ua_dialog_count(net->ep[i].ua), 0);
		CU_ASSERT_EQUAL(sipdp_ua_tsx_count(net->ep[i].ua), 0);
		CU_ASSERT_EQUAL(sipdp_ua_timer_count(net->ep[i].ua), 0);
		CU_ASSERT(uah_msgbufs_all_free(net->ep[i].ua));
	}
}

void
uah_rel100_supported(struct sipdp_ua_params *p)
{
	p->rel100 = SIPDP_UA_100REL_SUPPORTED;
	p->cb.on_ext = p->cb.on_incoming;
}
