/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The four-stack network of b2b-call and b2b-refer (bench_b2b.h). Every
 * message is parsed, matched and built by the production code on every
 * stack; only S's share is timed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bench.h"
#include "bench_b2b.h"

static const uint8_t ep_addr[B2B_EPS][4] = {
	{ 192, 0, 2, 1 }, { 192, 0, 2, 2 }, { 198, 51, 100, 2 }, { 198, 51, 100, 3 },
};

static const char *const ep_contact[B2B_EPS] = {
	"<sip:alice@192.0.2.1:5060>", "<sip:sipdp@192.0.2.2:5060>",
	"<sip:bob@198.51.100.2:5060>", "<sip:carol@198.51.100.3:5060>",
};

static const char *const ep_sent_by[B2B_EPS] = {
	"192.0.2.1:5060", "192.0.2.2:5060", "198.51.100.2:5060", "198.51.100.3:5060",
};

static const char sdp_a[] = "v=0\r\no=alice 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
			    "t=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"
			    "a=rtpmap:101 telephone-event/8000\r\n";
static const char sdp_b[] = "v=0\r\no=bob 2 2 IN IP4 198.51.100.2\r\ns=-\r\nc=IN IP4 198.51.100.2\r\n"
			    "t=0 0\r\nm=audio 4002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
static const char sdp_c[] = "v=0\r\no=carol 3 3 IN IP4 198.51.100.3\r\ns=-\r\nc=IN IP4 198.51.100.3\r\n"
			    "t=0 0\r\nm=audio 4003 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
static const char *const ep_sdp[B2B_EPS] = { sdp_a, NULL, sdp_b, sdp_c };

static uint8_t
ep_of(const struct sipdp_tsx_dest *d)
{
	for (uint8_t i = 0; i < B2B_EPS; i++)
		if (memcmp(d->addr, ep_addr[i], 4) == 0)
			return i;
	return B2B_EPS;
}

static struct sipdp_tsx_dest
ep_dest(uint8_t id)
{
	struct sipdp_tsx_dest d = { .transport = SIPDP_TSX_TP_UDP, .family = AF_INET, .port = 5060 };

	memcpy(d.addr, ep_addr[id], 4);
	return d;
}

static int
b2b_send(void *user, const struct sipdp_tsx_dest *dest, const char *buf, uint32_t len)
{
	struct b2b_ep *ep = user;
	struct b2b_net *net = ep->net;
	uint8_t to = ep_of(dest);
	struct b2b_pkt *p;

	if (net->n == B2B_Q_LEN || len > B2B_PKT_MAX || to == B2B_EPS) {
		net->dropped++;
		return 0;
	}
	if (ep->id == B2B_S && net->timing)
		net->s_out++;
	p = &net->q[(net->head + net->n++) % B2B_Q_LEN];
	p->from = ep->id;
	p->to = to;
	p->len = len;
	memcpy(p->data, buf, len);
	return 0;
}

/* ---------------------------------------------------------------- S */

static void
s_event(void *user, const struct sipdp_ua_event *ev)
{
	struct b2b_net *net = ((struct b2b_ep *)user)->net;

	if (ev->type == SIPDP_UA_EV_INCOMING) {
		if (sipdp_call_bridge(net->call, ev, &net->route, 0, net->now) != 1)
			net->errors++;
		return;
	}
	if (!sipdp_call_on_event(net->call, ev, net->now))
		net->s_unhandled++;
}

static void
s_xfer(void *user, const struct sipdp_ua_xfer_event *ev)
{
	struct b2b_net *net = ((struct b2b_ep *)user)->net;

	if (!sipdp_call_on_xfer(net->call, ev, net->now))
		net->s_unhandled++;
}

static const struct sipdp_cfg_bridge *
s_route(void *user, struct sipdp_str target)
{
	(void)target;
	return &((struct b2b_net *)user)->xroute;
}

__attribute__((noinline)) int
b2b_s_recv(struct b2b_net *net, const char *buf, uint32_t len, const struct sipdp_tsx_dest *src)
{
	return sipdp_ua_recv(net->ep[B2B_S].ua, buf, len, src, net->now);
}

__attribute__((noinline)) int
b2b_s_expire(struct b2b_net *net, uint32_t max)
{
	int a = sipdp_ua_expire(net->ep[B2B_S].ua, net->now, max);
	int b = sipdp_call_expire(net->call, net->now, max);

	return a > b ? a : b;
}

/* ------------------------------------------------------- A, B and C */

static void
ep_event(void *user, const struct sipdp_ua_event *ev)
{
	struct b2b_ep *ep = user;
	struct b2b_net *net = ep->net;

	switch (ev->type) {
	case SIPDP_UA_EV_INCOMING:
		/* Answered once recv returns, so the UA sends 100 Trying first
		 * as a phone's stack does. */
		ep->incoming++;
		ep->last_incoming = ev->dlg;
		if (ep->npend < B2B_PEND)
			ep->pend[ep->npend++] = ev->dlg;
		else
			net->errors++;
		break;
	case SIPDP_UA_EV_ANSWERED:
		if (!ev->retransmission && !ev->fork)
			ep->answered++;
		break;
	case SIPDP_UA_EV_CONFIRMED:
		ep->confirmed++;
		break;
	case SIPDP_UA_EV_FAILED:
		ep->failed++;
		break;
	case SIPDP_UA_EV_TERMINATED:
		ep->terminated++;
		break;
	case SIPDP_UA_EV_REQUEST:
		/* A re-INVITE carries an offer: answer it with our SDP. */
		if (ev->method == SIPDP_METHOD_INVITE) {
			ep->reinvites++;
			if (sipdp_ua_respond(ep->ua, ev->dlg, ev->req, 200, SIPDP_STR_NULL,
					     SIPDP_STR("application/sdp"), sipdp_str_cstr(ep_sdp[ep->id]),
					     net->now) != 0)
				net->errors++;
		} else if (sipdp_ua_respond(ep->ua, ev->dlg, ev->req, 200, SIPDP_STR_NULL, SIPDP_STR_NULL,
					    SIPDP_STR_NULL, net->now) != 0) {
			net->errors++;
		}
		break;
	default:
		break;
	}
}

static void
ep_xfer(void *user, const struct sipdp_ua_xfer_event *ev)
{
	struct b2b_ep *ep = user;

	if (ev->type == SIPDP_UA_XFER_EV_DONE) {
		if (ev->result == SIPDP_UA_XFER_SUCCESS)
			ep->xfer_ok++;
		else
			ep->xfer_bad++;
	} else if (ev->type == SIPDP_UA_XFER_EV_REFER) {
		(void)sipdp_ua_xfer_reject(ep->ua, ev->xfer, 603, ep->net->now);
	}
}

/* The callee's answers: 180 (B), then 200 with SDP. */
static void
ep_answer(struct b2b_ep *ep)
{
	struct b2b_net *net = ep->net;

	for (uint32_t i = 0; i < ep->npend; i++) {
		if (ep->ring && sipdp_ua_ring(ep->ua, ep->pend[i], 180, SIPDP_STR_NULL, SIPDP_STR_NULL,
					      SIPDP_STR_NULL, net->now) != 0)
			net->errors++;
		if (sipdp_ua_accept(ep->ua, ep->pend[i], 200, SIPDP_STR_NULL, SIPDP_STR("application/sdp"),
				    sipdp_str_cstr(ep_sdp[ep->id]), net->now) != 0)
			net->errors++;
	}
	ep->npend = 0;
}

/* ------------------------------------------------------------ network */

void
b2b_settle(struct b2b_net *net)
{
	for (uint32_t guard = 0; net->n && guard < 1024; guard++) {
		struct b2b_pkt *p = &net->q[net->head];
		struct sipdp_tsx_dest src = ep_dest(p->from);
		uint8_t to = p->to;
		int rc;

		net->head = (net->head + 1) % B2B_Q_LEN;
		net->n--;
		/* the slot stays valid: sends made by this recv go behind it */
		if (to == B2B_S) {
			uint64_t t0 = bench_now_ns();

			rc = b2b_s_recv(net, p->data, p->len, &src);
			if (net->timing) {
				net->s_ns += bench_now_ns() - t0;
				net->s_in++;
			}
		} else {
			rc = sipdp_ua_recv(net->ep[to].ua, p->data, p->len, &src, net->now);
			if (net->ep[to].npend)
				ep_answer(&net->ep[to]);
		}
		if (rc != 0)
			net->errors++;
	}
}

/* Timers per stack per round: what they send must fit the FIFO (a
 * drain, or a tiny --step-us, may make thousands due at once). */
#define B2B_EXPIRE_MAX 8

void
b2b_tick(struct b2b_net *net, uint64_t step)
{
	bool more;

	net->now += step;
	do {
		uint64_t t0;
		int f;

		more = sipdp_ua_expire(net->ep[B2B_A].ua, net->now, B2B_EXPIRE_MAX) == B2B_EXPIRE_MAX;
		t0 = bench_now_ns();
		f = b2b_s_expire(net, B2B_EXPIRE_MAX);
		if (net->timing)
			net->s_ns += bench_now_ns() - t0;
		more |= f == B2B_EXPIRE_MAX;
		for (uint8_t id = B2B_B; id <= B2B_C; id++)
			more |= sipdp_ua_expire(net->ep[id].ua, net->now, B2B_EXPIRE_MAX) == B2B_EXPIRE_MAX;
		b2b_settle(net);
	} while (more);
}

void
b2b_drain(struct b2b_net *net, uint64_t us)
{
	for (uint64_t t = 0; t < us; t += 10000)
		b2b_tick(net, 10000);
}

int
b2b_a_calls(struct b2b_net *net, sipdp_handle_t *dlg)
{
	struct sipdp_ua_invite inv = {
		.ruri = SIPDP_STR("sip:+15551234@192.0.2.2"),
		.from = SIPDP_STR("\"Alice\" <sip:alice@192.0.2.1>"),
		.to = SIPDP_STR("<sip:+15551234@192.0.2.2>"),
		.ctype = SIPDP_STR("application/sdp"),
		.body = SIPDP_STR(sdp_a),
		.dest = ep_dest(B2B_S),
	};

	return sipdp_ua_invite(net->ep[B2B_A].ua, &inv, net->now, dlg);
}

bool
b2b_s_idle(struct b2b_net *net, const char *who)
{
	struct sipdp_ua *s = net->ep[B2B_S].ua;
	uint32_t br = sipdp_call_count(net->call), dl = sipdp_ua_dialog_count(s),
		 tx = sipdp_ua_tsx_count(s), xr = sipdp_ua_xfer_count(s);

	if (br == 0 && dl == 0 && tx == 0 && xr == 0)
		return true;
	fprintf(stderr, "%s: FAILED: S not idle after draining the clock: %u bridges, %u dialogs, "
		"%u transactions, %u transfer records left\n", who, br, dl, tx, xr);
	return false;
}

uint32_t
b2b_tsx_capacity(uint64_t step, uint32_t per_call)
{
	return (uint32_t)SIPDP_MIN(4000000ull, per_call * (64ull * 500 * 1000 / (step ? step : 1)) + 4096);
}

/* The bridge rule as sipdp_cfg fills it by default, one UDP target. */
static void
route_make(struct sipdp_cfg_bridge *r, uint8_t to, const char *uri)
{
	static const char *const allow[] = { "P-Asserted-Identity", "Privacy", "Diversion",
					     "History-Info", "User-to-User", "Reason" };
	static const uint16_t failover[] = { 408, 480, 500, 502, 504 };
	struct sipdp_cfg_target *t = &r->targets[0];

	memset(r, 0, sizeof(*r));
	r->nb_targets = 1;
	snprintf(t->uri, sizeof(t->uri), "%s", uri);
	t->addr.family = SIPDP_CFG_IPV4;
	t->addr.prefix = 32;
	memcpy(t->addr.addr, ep_addr[to], 4);
	t->port = 5060;
	t->transport = SIPDP_CFG_TP_UDP;
	t->priority = 1;
	t->weight = 1;
	r->ring_timeout_ms = 4000;
	r->answer_timeout_ms = 90000;
	r->nb_failover_codes = (uint8_t)(sizeof(failover) / sizeof(failover[0]));
	memcpy(r->failover_codes, failover, sizeof(failover));
	r->down_after = 3;
	r->down_for_s = 30;
	r->probe_interval_s = 5;
	r->refer = SIPDP_CFG_BRIDGE_REFER_TERMINATE;
	r->prack = SIPDP_CFG_PRACK_SUPPORTED;
	r->nb_headers = (uint8_t)(sizeof(allow) / sizeof(allow[0]));
	for (unsigned i = 0; i < r->nb_headers; i++)
		snprintf(r->headers[i], sizeof(r->headers[i]), "%s", allow[i]);
}

static const struct sipdp_ua_xfer_params s_xp = {
	.on_xfer = s_xfer,
	.max_subscriptions = 4096,
	/* S sends the transferor its BYE at the next clock step after the
	 * final NOTIFY (the transferor here never hangs up itself). */
	.bye_wait_ms = 1,
};
static const struct sipdp_ua_xfer_params ep_xp = { .on_xfer = ep_xfer, .max_subscriptions = 4096 };

int
b2b_net_init(struct b2b_net *net, uint32_t dialogs, uint32_t tsx)
{
	struct sipdp_call_params cp = { 0 };
	int rc;

	net->now = 1000000;
	net->timing = true;
	for (uint8_t id = 0; id < B2B_EPS; id++) {
		struct sipdp_ua_params p = { 0 };
		struct b2b_ep *ep = &net->ep[id];

		ep->net = net;
		ep->id = id;
		ep->ring = id == B2B_B;
		p.dialogs = dialogs;
		p.transactions = tsx;
		p.shard_id = id;
		p.secret[0] = 0x0123456789abcdefull + id;
		p.secret[1] = 0xfedcba9876543210ull ^ id;
		p.now_us = net->now;
		p.contact = sipdp_str_cstr(ep_contact[id]);
		p.sent_by = sipdp_str_cstr(ep_sent_by[id]);
		p.user_agent = SIPDP_STR("sipdp-bench");
		p.send = b2b_send;
		p.user = ep;
		if (id == B2B_S) {
			/* Every callback to lib/call (on_ext too: the rule
			 * supports 100rel on both legs). */
			p.cb = (struct sipdp_ua_callbacks){ s_event, s_event, s_event, s_event, s_event,
							    s_event, s_event, s_event, s_event, s_event };
			p.rel100 = SIPDP_UA_100REL_SUPPORTED;
			p.xfer = &s_xp;
		} else {
			p.cb = (struct sipdp_ua_callbacks){ ep_event, ep_event, ep_event, ep_event,
							    ep_event, ep_event, ep_event, ep_event,
							    ep_event, NULL };
			p.xfer = &ep_xp;
		}
		rc = sipdp_ua_create(&p, &ep->ua);
		if (rc != 0) {
			fprintf(stderr, "sipdp-bench: sipdp_ua_create: %s\n", strerror(-rc));
			return rc;
		}
	}
	route_make(&net->route, B2B_B, "sip:${ruri_user}@198.51.100.2");
	route_make(&net->xroute, B2B_C, "sip:${ruri_user}@198.51.100.3");
	cp.ua = net->ep[B2B_S].ua;
	cp.bridges = 4096;
	cp.seed = 42;
	cp.now_us = net->now;
	cp.route = s_route;
	cp.user = net;
	rc = sipdp_call_create(&cp, &net->call);
	if (rc != 0)
		fprintf(stderr, "sipdp-bench: sipdp_call_create: %s\n", strerror(-rc));
	return rc;
}

void
b2b_net_free(struct b2b_net *net)
{
	sipdp_call_destroy(net->call);
	for (uint8_t id = 0; id < B2B_EPS; id++)
		sipdp_ua_destroy(net->ep[id].ua);
}
