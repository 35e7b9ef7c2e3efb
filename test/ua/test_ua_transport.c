/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Our Via and Contact follow the transport and address family a message
 * goes over (sipdp_ua_params.ident): one UA, a send hook that keeps what
 * it sends, the peer's messages written by hand.
 *
 * Scenarios and the requirement each checks:
 *  - invite_over_tcp_v4: RFC 3261 §18.1.1 (Via transport token is the one
 *    used), §8.1.1.8 Contact with ;transport=tcp; the ACK and BYE of the
 *    dialog go with the same Via.
 *  - invite_over_tls_v6: IPv6 sent-by in brackets (§25.1 IPv6reference),
 *    TLS Via, ;transport=tls Contact.
 *  - invite_sips_uri: §26.2.2 / §8.1.1.8: a sips Request-URI gets a sips
 *    Contact; CANCEL repeats the INVITE's top Via (§9.1).
 *  - uas_tls_invite: the 200 to an INVITE that came over TLS carries the
 *    TLS Contact, the BYE we send in that dialog the TLS Via; a sips
 *    INVITE over TLS is answered with the sips Contact.
 *  - missing_entry_falls_back: a transport without an entry uses the
 *    single identity of the params (embedders that give no table).
 *  - table_only_identity: no single identity, the first entry stands in;
 *    an entry with sent_by but no contact, or no identity at all, is
 *    refused.
 *
 * Transport errors over TCP (RFC 3261 §17.2.4, §17.1.4, §18.2.2): a send
 * on a connection that has closed fails, and the call ends there and then,
 * leaving no transaction and no dialog (never a wait for Timer L):
 *  - provisional_on_closed_connection_ends_call: the 180 fails.
 *  - answer_on_closed_connection_ends_call: the 200 fails.
 *  - answer_retransmit_on_closed_connection_ends_call: the 200 went, the
 *    connection closed, its first retransmission (T1) fails.
 *  - error_response_on_closed_connection_leaves_nothing: the 486 fails.
 *  - request_on_closed_connection_fails_call: our INVITE fails (the call
 *    fails as if timed out), and a BYE on a closed connection ends the
 *    dialog all the same.
 *  - closed_connection_ends_pending_calls_at_once: sipdp_ua_conn_lost()
 *    ends a ringing call and an answered, un-ACKed one without any send;
 *    a confirmed call and a call on another connection stay.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sipdp_test.h"
#include "sipdp_ua.h"

#define T_MAX 32

struct t_ctx {
	struct sipdp_ua *ua;
	char *sent[T_MAX];
	struct sipdp_tsx_dest dest[T_MAX];
	uint32_t n;
	bool accept;
	sipdp_handle_t incoming;
	uint64_t now;
	uint32_t dead_conn;       /* sends to this connection fail */
	uint32_t failed;          /* sends refused */
	uint32_t terminated;      /* on_terminated events */
	uint8_t last_reason;      /* reason of the last one */
};

static int
t_send(void *user, const struct sipdp_tsx_dest *d, const char *buf, uint32_t len)
{
	struct t_ctx *c = user;

	if (c->dead_conn != 0 && d->conn_id == c->dead_conn) {
		c->failed++;
		return -ENOTCONN; /* as shard_tcp_send() on a closed connection */
	}
	if (c->n < T_MAX) {
		c->sent[c->n] = strndup(buf, len);
		c->dest[c->n] = *d;
		c->n++;
	}
	return 0;
}

static void
t_ev(void *user, const struct sipdp_ua_event *ev)
{
	struct t_ctx *c = user;

	if (ev->type == SIPDP_UA_EV_INCOMING) {
		c->incoming = ev->dlg;
		if (c->accept)
			sipdp_ua_accept(c->ua, ev->dlg, 200, SIPDP_STR_NULL, SIPDP_STR_NULL,
					SIPDP_STR_NULL, c->now);
	}
}

static void
t_term(void *user, const struct sipdp_ua_event *ev)
{
	struct t_ctx *c = user;

	c->terminated++;
	c->last_reason = ev->reason;
}

static const char *
last(const struct t_ctx *c)
{
	return c->n ? c->sent[c->n - 1] : "";
}

static bool
has_line(const char *msg, const char *line)
{
	char want[256];

	snprintf(want, sizeof(want), "\r\n%s\r\n", line);
	return strstr(msg, want) != NULL;
}

/* The value of header @name (its first line) copied into @out. */
static void
hdr(const char *msg, const char *name, char *out, size_t cap)
{
	char want[64];
	const char *p, *e;

	snprintf(want, sizeof(want), "\r\n%s: ", name);
	out[0] = 0;
	p = strstr(msg, want);
	if (p == NULL)
		return;
	p += strlen(want);
	e = strstr(p, "\r\n");
	snprintf(out, cap, "%.*s", (int)(e - p), p);
}

static void
tweak_table(struct sipdp_ua_params *p)
{
	p->ident[SIPDP_TSX_TP_UDP][0].sent_by = SIPDP_STR("192.0.2.1:5060");
	p->ident[SIPDP_TSX_TP_UDP][0].contact = SIPDP_STR("<sip:sipdp@192.0.2.1:5060>");
	p->ident[SIPDP_TSX_TP_TCP][0].sent_by = SIPDP_STR("192.0.2.1:5060");
	p->ident[SIPDP_TSX_TP_TCP][0].contact = SIPDP_STR("<sip:sipdp@192.0.2.1:5060;transport=tcp>");
	p->ident[SIPDP_TSX_TP_TCP][1].sent_by = SIPDP_STR("[2001:db8::1]:5060");
	p->ident[SIPDP_TSX_TP_TCP][1].contact =
		SIPDP_STR("<sip:sipdp@[2001:db8::1]:5060;transport=tcp>");
	p->ident[SIPDP_TSX_TP_TLS][0].sent_by = SIPDP_STR("192.0.2.1:5061");
	p->ident[SIPDP_TSX_TP_TLS][0].contact = SIPDP_STR("<sip:sipdp@192.0.2.1:5061;transport=tls>");
	p->ident[SIPDP_TSX_TP_TLS][1].sent_by = SIPDP_STR("[2001:db8::1]:5061");
	p->ident[SIPDP_TSX_TP_TLS][1].contact =
		SIPDP_STR("<sip:sipdp@[2001:db8::1]:5061;transport=tls>");
}

static int
t_make(struct t_ctx *c, bool single, void (*tweak)(struct sipdp_ua_params *p))
{
	struct sipdp_ua_params p;

	memset(c, 0, sizeof(*c));
	memset(&p, 0, sizeof(p));
	c->now = 1000000;
	p.dialogs = 8;
	p.secret[0] = 1;
	p.secret[1] = 2;
	p.now_us = c->now;
	if (single) {
		p.contact = SIPDP_STR("<sip:old@192.0.2.1:5060>");
		p.sent_by = SIPDP_STR("192.0.2.1:5060");
		p.via_transport = SIPDP_TSX_TP_UDP;
	}
	p.send = t_send;
	p.cb.on_incoming = t_ev;
	p.cb.on_terminated = t_term;
	p.user = c;
	if (tweak)
		tweak(&p);
	return sipdp_ua_create(&p, &c->ua);
}

static void
t_free(struct t_ctx *c)
{
	sipdp_ua_destroy(c->ua);
	for (uint32_t i = 0; i < c->n; i++)
		free(c->sent[i]);
}

static struct sipdp_tsx_dest
dest_of(uint8_t tp, uint8_t family)
{
	struct sipdp_tsx_dest d = { .transport = tp, .family = family, .port = 5060 };

	if (tp != SIPDP_TSX_TP_UDP)
		d.flags = SIPDP_TSX_DEST_RELIABLE;
	if (tp == SIPDP_TSX_TP_TLS)
		d.port = 5061;
	return d;
}

static int
t_invite(struct t_ctx *c, const char *ruri, uint8_t tp, uint8_t family, sipdp_handle_t *h)
{
	struct sipdp_ua_invite inv;

	memset(&inv, 0, sizeof(inv));
	inv.ruri = sipdp_str_cstr(ruri);
	inv.from = SIPDP_STR("<sip:gen@example.com>");
	inv.to = SIPDP_STR("<sip:service@example.net>");
	inv.dest = dest_of(tp, family);
	return sipdp_ua_invite(c->ua, &inv, c->now, h);
}

/* The peer's 200 to our INVITE (last sent), from @src. */
static void
answer_200(struct t_ctx *c, const char *inv, const struct sipdp_tsx_dest *src, const char *contact)
{
	char via[200], from[200], to[200], cid[120], msg[1024];
	int n;

	hdr(inv, "Via", via, sizeof(via));
	hdr(inv, "From", from, sizeof(from));
	hdr(inv, "To", to, sizeof(to));
	hdr(inv, "Call-ID", cid, sizeof(cid));
	n = snprintf(msg, sizeof(msg),
		     "SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s;tag=peer1\r\nCall-ID: %s\r\n"
		     "CSeq: 1 INVITE\r\nContact: %s\r\nContent-Length: 0\r\n\r\n",
		     via, from, to, cid, contact);
	CU_ASSERT_EQUAL(sipdp_ua_recv(c->ua, msg, (uint32_t)n, src, c->now), 0);
}

static void
test_invite_over_tcp_v4(void)
{
	struct t_ctx c;
	sipdp_handle_t h;
	struct sipdp_tsx_dest src = dest_of(SIPDP_TSX_TP_TCP, AF_INET);
	char inv[2048], via[200];

	CU_ASSERT_EQUAL_FATAL(t_make(&c, true, tweak_table), 0);
	CU_ASSERT_EQUAL_FATAL(t_invite(&c, "sip:service@192.0.2.2:5060;transport=tcp",
				       SIPDP_TSX_TP_TCP, AF_INET, &h), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 1);
	snprintf(inv, sizeof(inv), "%s", last(&c));
	CU_ASSERT(strncmp(inv, "INVITE sip:service@192.0.2.2:5060;transport=tcp SIP/2.0\r\n"
			  "Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK", 86) == 0);
	CU_ASSERT(has_line(inv, "Contact: <sip:sipdp@192.0.2.1:5060;transport=tcp>"));
	hdr(inv, "Via", via, sizeof(via));

	src.conn_id = 7;
	answer_200(&c, inv, &src, "<sip:service@192.0.2.2:5060;transport=tcp>");
	CU_ASSERT_EQUAL_FATAL(c.n, 2);
	CU_ASSERT(strncmp(last(&c), "ACK ", 4) == 0);
	CU_ASSERT(strstr(last(&c), "\r\nVia: SIP/2.0/TCP 192.0.2.1:5060;branch=") != NULL);
	CU_ASSERT_EQUAL(sipdp_ua_bye(c.ua, h, c.now), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 3);
	CU_ASSERT(strncmp(last(&c), "BYE sip:service@192.0.2.2:5060;transport=tcp SIP/2.0\r\n"
			  "Via: SIP/2.0/TCP 192.0.2.1:5060;branch=", 93) == 0);
	/* in the dialog: the connection the 200 came over */
	CU_ASSERT_EQUAL(c.dest[2].conn_id, 7);
	CU_ASSERT_EQUAL(c.dest[2].transport, SIPDP_TSX_TP_TCP);
	t_free(&c);
}

static void
test_invite_over_tls_v6(void)
{
	struct t_ctx c;
	sipdp_handle_t h;

	CU_ASSERT_EQUAL_FATAL(t_make(&c, true, tweak_table), 0);
	CU_ASSERT_EQUAL_FATAL(t_invite(&c, "sip:service@[2001:db8::2]:5061;transport=tls",
				       SIPDP_TSX_TP_TLS, AF_INET6, &h), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 1);
	CU_ASSERT(has_line(last(&c), "Contact: <sip:sipdp@[2001:db8::1]:5061;transport=tls>"));
	CU_ASSERT(strstr(last(&c), "\r\nVia: SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bK") != NULL);
	CU_ASSERT_EQUAL(c.dest[0].transport, SIPDP_TSX_TP_TLS);
	/* and TCP over IPv6 */
	CU_ASSERT_EQUAL_FATAL(t_invite(&c, "sip:service@[2001:db8::2];transport=tcp",
				       SIPDP_TSX_TP_TCP, AF_INET6, &h), 0);
	CU_ASSERT(strstr(last(&c), "\r\nVia: SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bK") != NULL);
	CU_ASSERT(has_line(last(&c), "Contact: <sip:sipdp@[2001:db8::1]:5060;transport=tcp>"));
	t_free(&c);
}

static void
test_invite_sips_uri(void)
{
	struct t_ctx c;
	sipdp_handle_t h;
	char via[200], via2[200], msg[1024], from[200], to[200], cid[120];
	struct sipdp_tsx_dest src = dest_of(SIPDP_TSX_TP_TLS, AF_INET);
	int n;

	CU_ASSERT_EQUAL_FATAL(t_make(&c, true, tweak_table), 0);
	CU_ASSERT_EQUAL_FATAL(t_invite(&c, "sips:service@192.0.2.2", SIPDP_TSX_TP_TLS, AF_INET, &h),
			      0);
	CU_ASSERT(has_line(last(&c), "Contact: <sips:sipdp@192.0.2.1:5061>"));
	hdr(last(&c), "Via", via, sizeof(via));
	CU_ASSERT(strncmp(via, "SIP/2.0/TLS 192.0.2.1:5061;branch=", 34) == 0);
	hdr(last(&c), "From", from, sizeof(from));
	hdr(last(&c), "To", to, sizeof(to));
	hdr(last(&c), "Call-ID", cid, sizeof(cid));
	/* a provisional lets the CANCEL go */
	n = snprintf(msg, sizeof(msg),
		     "SIP/2.0 180 Ringing\r\nVia: %s\r\nFrom: %s\r\nTo: %s;tag=p\r\nCall-ID: %s\r\n"
		     "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", via, from, to, cid);
	CU_ASSERT_EQUAL(sipdp_ua_recv(c.ua, msg, (uint32_t)n, &src, c.now), 0);
	CU_ASSERT_EQUAL(sipdp_ua_cancel(c.ua, h, c.now), 0);
	CU_ASSERT(strncmp(last(&c), "CANCEL sips:service@192.0.2.2 SIP/2.0\r\n", 39) == 0);
	hdr(last(&c), "Via", via2, sizeof(via2));
	CU_ASSERT_STRING_EQUAL(via2, via);
	t_free(&c);
}

static void
uas_flow(const char *ruri, const char *contact)
{
	struct t_ctx c;
	struct sipdp_tsx_dest src = dest_of(SIPDP_TSX_TP_TLS, AF_INET);
	char msg[1024];
	int n;

	CU_ASSERT_EQUAL_FATAL(t_make(&c, true, tweak_table), 0);
	c.accept = true;
	src.conn_id = 42;
	src.port = 40000;
	src.addr[0] = 192, src.addr[1] = 0, src.addr[2] = 2, src.addr[3] = 2;
	n = snprintf(msg, sizeof(msg),
		     "INVITE %s SIP/2.0\r\n"
		     "Via: SIP/2.0/TLS 192.0.2.2:5061;branch=z9hG4bKpeer1;received=192.0.2.2;rport=40000\r\n"
		     "Max-Forwards: 70\r\nFrom: <sips:peer@192.0.2.2>;tag=pt\r\n"
		     "To: <sips:sipdp@192.0.2.1>\r\nCall-ID: tls-uas-1\r\nCSeq: 1 INVITE\r\n"
		     "Contact: <sips:peer@192.0.2.2:5061>\r\nContent-Length: 0\r\n\r\n", ruri);
	CU_ASSERT_EQUAL(sipdp_ua_recv(c.ua, msg, (uint32_t)n, &src, c.now), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 1);
	CU_ASSERT(strncmp(last(&c), "SIP/2.0 200 ", 12) == 0);
	CU_ASSERT(has_line(last(&c), contact));
	CU_ASSERT_EQUAL(c.dest[0].conn_id, 42);
	{
		struct sipdp_ua_dlg_info info;
		char tagged[1024];
		CU_ASSERT_EQUAL_FATAL(sipdp_ua_dlg_info(c.ua, c.incoming, &info), 0);
		n = snprintf(tagged, sizeof(tagged),
			     "ACK sips:peer@192.0.2.2:5061 SIP/2.0\r\n"
			     "Via: SIP/2.0/TLS 192.0.2.2:5061;branch=z9hG4bKpeer2;received=192.0.2.2;rport=40000\r\n"
			     "Max-Forwards: 70\r\nFrom: <sips:peer@192.0.2.2>;tag=pt\r\n"
			     "To: <sips:sipdp@192.0.2.1>;tag=%.*s\r\nCall-ID: tls-uas-1\r\nCSeq: 1 ACK\r\n"
			     "Content-Length: 0\r\n\r\n", (int)info.local_tag.len, info.local_tag.p);
		CU_ASSERT_EQUAL(sipdp_ua_recv(c.ua, tagged, (uint32_t)n, &src, c.now), 0);
		CU_ASSERT_EQUAL(sipdp_ua_dlg_info(c.ua, c.incoming, &info), 0);
		CU_ASSERT(info.confirmed);
	}
	CU_ASSERT_EQUAL(sipdp_ua_bye(c.ua, c.incoming, c.now), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 2);
	CU_ASSERT(strncmp(last(&c), "BYE sips:peer@192.0.2.2:5061 SIP/2.0\r\n"
			  "Via: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK", 83) == 0);
	CU_ASSERT_EQUAL(c.dest[1].conn_id, 42);
	CU_ASSERT_EQUAL(c.dest[1].transport, SIPDP_TSX_TP_TLS);
	t_free(&c);
}

static void
test_uas_tls_invite(void)
{
	uas_flow("sip:sipdp@192.0.2.1:5061;transport=tls",
		 "Contact: <sip:sipdp@192.0.2.1:5061;transport=tls>");
	uas_flow("sips:sipdp@192.0.2.1", "Contact: <sips:sipdp@192.0.2.1:5061>");
}

static void
test_missing_entry_falls_back(void)
{
	struct t_ctx c;
	sipdp_handle_t h;

	CU_ASSERT_EQUAL_FATAL(t_make(&c, true, tweak_table), 0);
	/* no UDP over IPv6 entry in the table */
	CU_ASSERT_EQUAL_FATAL(t_invite(&c, "sip:service@[2001:db8::2]", SIPDP_TSX_TP_UDP, AF_INET6,
				       &h), 0);
	CU_ASSERT(has_line(last(&c), "Contact: <sip:old@192.0.2.1:5060>"));
	CU_ASSERT(strstr(last(&c), "\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=") != NULL);
	t_free(&c);
	/* no table at all: the single identity everywhere, as before */
	CU_ASSERT_EQUAL_FATAL(t_make(&c, true, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(t_invite(&c, "sip:service@192.0.2.2;transport=tls", SIPDP_TSX_TP_TLS,
				       AF_INET, &h), 0);
	CU_ASSERT(has_line(last(&c), "Contact: <sip:old@192.0.2.1:5060>"));
	CU_ASSERT(strstr(last(&c), "\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=") != NULL);
	t_free(&c);
}

static void
tweak_tls_only(struct sipdp_ua_params *p)
{
	p->ident[SIPDP_TSX_TP_TLS][0].sent_by = SIPDP_STR("192.0.2.1:5061");
	p->ident[SIPDP_TSX_TP_TLS][0].contact = SIPDP_STR("<sip:sipdp@192.0.2.1:5061;transport=tls>");
	p->ident[SIPDP_TSX_TP_TLS][0].contact_sips = SIPDP_STR("<sips:x@192.0.2.1>");
}

static void
tweak_no_contact(struct sipdp_ua_params *p)
{
	p->ident[SIPDP_TSX_TP_TCP][0].sent_by = SIPDP_STR("192.0.2.1:5060");
}

static void
test_table_only_identity(void)
{
	struct t_ctx c;
	sipdp_handle_t h;

	CU_ASSERT_EQUAL_FATAL(t_make(&c, false, tweak_tls_only), 0);
	CU_ASSERT_EQUAL_FATAL(t_invite(&c, "sip:service@192.0.2.2", SIPDP_TSX_TP_UDP, AF_INET, &h), 0);
	CU_ASSERT(strstr(last(&c), "\r\nVia: SIP/2.0/TLS 192.0.2.1:5061;branch=") != NULL);
	CU_ASSERT_EQUAL_FATAL(t_invite(&c, "sips:service@192.0.2.2", SIPDP_TSX_TP_TLS, AF_INET, &h), 0);
	CU_ASSERT(has_line(last(&c), "Contact: <sips:x@192.0.2.1>")); /* given, not derived */
	t_free(&c);
	CU_ASSERT_EQUAL(t_make(&c, false, NULL), -EINVAL);
	CU_ASSERT_EQUAL(t_make(&c, true, tweak_no_contact), -EINVAL);
}

/* An INVITE from 192.0.2.2 over TCP connection @conn (Call-ID @cid). */
static void
tcp_invite_in(struct t_ctx *c, uint32_t conn, const char *cid)
{
	struct sipdp_tsx_dest src = dest_of(SIPDP_TSX_TP_TCP, AF_INET);
	char msg[1024];
	int n;

	src.conn_id = conn;
	src.port = 40000;
	src.addr[0] = 192, src.addr[1] = 0, src.addr[2] = 2, src.addr[3] = 2;
	n = snprintf(msg, sizeof(msg),
		     "INVITE sip:sipdp@192.0.2.1;transport=tcp SIP/2.0\r\n"
		     "Via: SIP/2.0/TCP 192.0.2.2:40000;branch=z9hG4bK-%s\r\n"
		     "Max-Forwards: 70\r\nFrom: <sip:peer@192.0.2.2>;tag=pt\r\n"
		     "To: <sip:sipdp@192.0.2.1>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"
		     "Contact: <sip:peer@192.0.2.2:40000;transport=tcp>\r\nContent-Length: 0\r\n\r\n",
		     cid, cid);
	CU_ASSERT_EQUAL(sipdp_ua_recv(c->ua, msg, (uint32_t)n, &src, c->now), 0);
}

/* The ACK for our 2xx to the INVITE @cid of tcp_invite_in(). */
static void
tcp_ack_in(struct t_ctx *c, uint32_t conn, const char *cid, sipdp_handle_t dlg)
{
	struct sipdp_tsx_dest src = dest_of(SIPDP_TSX_TP_TCP, AF_INET);
	struct sipdp_ua_dlg_info info;
	char msg[1024];
	int n;

	src.conn_id = conn;
	src.port = 40000;
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_dlg_info(c->ua, dlg, &info), 0);
	n = snprintf(msg, sizeof(msg),
		     "ACK sip:peer@192.0.2.2:40000;transport=tcp SIP/2.0\r\n"
		     "Via: SIP/2.0/TCP 192.0.2.2:40000;branch=z9hG4bK-ack-%s\r\n"
		     "Max-Forwards: 70\r\nFrom: <sip:peer@192.0.2.2>;tag=pt\r\n"
		     "To: <sip:sipdp@192.0.2.1>;tag=%.*s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\n"
		     "Content-Length: 0\r\n\r\n", cid, (int)info.local_tag.len, info.local_tag.p,
		     cid);
	CU_ASSERT_EQUAL(sipdp_ua_recv(c->ua, msg, (uint32_t)n, &src, c->now), 0);
}

/* Nothing of the call is left, and it ended for the transport. */
static void
assert_call_gone(const struct t_ctx *c, uint32_t terminated)
{
	CU_ASSERT_EQUAL(c->terminated, terminated);
	CU_ASSERT_EQUAL(c->last_reason, SIPDP_DLG_R_TRANSPORT);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(c->ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(c->ua), 0);
}

static void
test_provisional_on_closed_connection_ends_call(void)
{
	struct t_ctx c;

	CU_ASSERT_EQUAL_FATAL(t_make(&c, true, tweak_table), 0);
	tcp_invite_in(&c, 42, "tp-1xx");
	CU_ASSERT_EQUAL_FATAL(c.n, 1); /* 100 Trying */
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(c.ua), 1);
	c.dead_conn = 42;
	CU_ASSERT(sipdp_ua_ring(c.ua, c.incoming, 180, SIPDP_STR_NULL, SIPDP_STR_NULL,
				SIPDP_STR_NULL, c.now) < 0);
	CU_ASSERT_EQUAL(c.failed, 1);
	assert_call_gone(&c, 1);
	/* the application's late answer finds nothing to answer */
	CU_ASSERT(sipdp_ua_accept(c.ua, c.incoming, 200, SIPDP_STR_NULL, SIPDP_STR_NULL,
				  SIPDP_STR_NULL, c.now) < 0);
	CU_ASSERT_EQUAL(c.failed, 1);
	t_free(&c);
}

static void
test_answer_on_closed_connection_ends_call(void)
{
	struct t_ctx c;

	CU_ASSERT_EQUAL_FATAL(t_make(&c, true, tweak_table), 0);
	tcp_invite_in(&c, 42, "tp-2xx");
	c.dead_conn = 42;
	CU_ASSERT(sipdp_ua_accept(c.ua, c.incoming, 200, SIPDP_STR_NULL, SIPDP_STR_NULL,
				  SIPDP_STR_NULL, c.now) < 0);
	CU_ASSERT_EQUAL(c.failed, 1);
	assert_call_gone(&c, 1);
	t_free(&c);
}

static void
test_answer_retransmit_on_closed_connection_ends_call(void)
{
	struct t_ctx c;

	CU_ASSERT_EQUAL_FATAL(t_make(&c, true, tweak_table), 0);
	tcp_invite_in(&c, 42, "tp-2xx-retx");
	CU_ASSERT_EQUAL(sipdp_ua_accept(c.ua, c.incoming, 200, SIPDP_STR_NULL, SIPDP_STR_NULL,
					SIPDP_STR_NULL, c.now), 0);
	CU_ASSERT(strncmp(last(&c), "SIP/2.0 200 ", 12) == 0);
	c.dead_conn = 42;
	/* §13.3.1.4: the first retransmission is due at T1 (500 ms). */
	sipdp_ua_expire(c.ua, c.now + 499000, 64);
	CU_ASSERT_EQUAL(c.failed, 0);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(c.ua), 1);
	sipdp_ua_expire(c.ua, c.now + 500000, 64);
	CU_ASSERT_EQUAL(c.failed, 1);
	assert_call_gone(&c, 1);
	t_free(&c);
}

static void
test_error_response_on_closed_connection_leaves_nothing(void)
{
	struct t_ctx c;

	CU_ASSERT_EQUAL_FATAL(t_make(&c, true, tweak_table), 0);
	tcp_invite_in(&c, 42, "tp-486");
	c.dead_conn = 42;
	CU_ASSERT(sipdp_ua_reject(c.ua, c.incoming, 486, SIPDP_STR_NULL, c.now) < 0);
	CU_ASSERT_EQUAL(c.failed, 1);
	CU_ASSERT_EQUAL(c.terminated, 1);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(c.ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(c.ua), 0);
	/* a template of another call in the same slots is not touched: a
	 * new call is answered in full */
	c.dead_conn = 0;
	tcp_invite_in(&c, 43, "tp-486-next");
	CU_ASSERT_EQUAL(sipdp_ua_accept(c.ua, c.incoming, 200, SIPDP_STR_NULL, SIPDP_STR_NULL,
					SIPDP_STR_NULL, c.now), 0);
	CU_ASSERT(strncmp(last(&c), "SIP/2.0 200 ", 12) == 0);
	t_free(&c);
}

static void
test_request_on_closed_connection_fails_call(void)
{
	struct t_ctx c;
	struct sipdp_ua_invite inv;
	struct sipdp_tsx_dest src = dest_of(SIPDP_TSX_TP_TCP, AF_INET);
	sipdp_handle_t h;
	char inv_msg[2048];
	uint32_t before;

	CU_ASSERT_EQUAL_FATAL(t_make(&c, true, tweak_table), 0);
	/* our INVITE over a connection that closed: the call fails at once */
	memset(&inv, 0, sizeof(inv));
	inv.ruri = SIPDP_STR("sip:service@192.0.2.2;transport=tcp");
	inv.from = SIPDP_STR("<sip:gen@example.com>");
	inv.to = SIPDP_STR("<sip:service@example.net>");
	inv.dest = dest_of(SIPDP_TSX_TP_TCP, AF_INET);
	inv.dest.conn_id = 9;
	c.dead_conn = 9;
	CU_ASSERT(sipdp_ua_invite(c.ua, &inv, c.now, &h) < 0);
	CU_ASSERT_EQUAL(c.failed, 1);
	CU_ASSERT(sipdp_ua_dlg(c.ua, h) == NULL);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(c.ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(c.ua), 0);

	/* a BYE on a connection that closed after the call was set up */
	c.dead_conn = 0;
	CU_ASSERT_EQUAL_FATAL(t_invite(&c, "sip:service@192.0.2.2:5060;transport=tcp",
				       SIPDP_TSX_TP_TCP, AF_INET, &h), 0);
	snprintf(inv_msg, sizeof(inv_msg), "%s", last(&c));
	src.conn_id = 7;
	answer_200(&c, inv_msg, &src, "<sip:service@192.0.2.2:5060;transport=tcp>");
	CU_ASSERT(strncmp(last(&c), "ACK ", 4) == 0);
	/* the INVITE client transaction stays in Accepted (RFC 6026 Timer M) */
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(c.ua), 1);
	before = c.terminated;
	c.dead_conn = 7;
	(void)sipdp_ua_bye(c.ua, h, c.now);
	CU_ASSERT_EQUAL(c.failed, 2);
	CU_ASSERT_EQUAL(c.terminated, before + 1);
	CU_ASSERT(sipdp_ua_dlg(c.ua, h) == NULL);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(c.ua), 0);
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(c.ua), 1); /* that ICT, no BYE transaction */
	t_free(&c);
}

static void
test_closed_connection_ends_pending_calls_at_once(void)
{
	struct t_ctx c;
	sipdp_handle_t ringing, answered, confirmed, other;

	CU_ASSERT_EQUAL_FATAL(t_make(&c, true, tweak_table), 0);
	tcp_invite_in(&c, 42, "cl-ringing");
	ringing = c.incoming;
	CU_ASSERT_EQUAL(sipdp_ua_ring(c.ua, ringing, 180, SIPDP_STR_NULL, SIPDP_STR_NULL,
				      SIPDP_STR_NULL, c.now), 0);
	tcp_invite_in(&c, 42, "cl-answered");
	answered = c.incoming;
	CU_ASSERT_EQUAL(sipdp_ua_accept(c.ua, answered, 200, SIPDP_STR_NULL, SIPDP_STR_NULL,
					SIPDP_STR_NULL, c.now), 0);
	tcp_invite_in(&c, 42, "cl-confirmed");
	confirmed = c.incoming;
	CU_ASSERT_EQUAL(sipdp_ua_accept(c.ua, confirmed, 200, SIPDP_STR_NULL, SIPDP_STR_NULL,
					SIPDP_STR_NULL, c.now), 0);
	tcp_ack_in(&c, 42, "cl-confirmed", confirmed);
	tcp_invite_in(&c, 43, "cl-other");
	other = c.incoming;
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(c.ua), 4);
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(c.ua), 3); /* ringing, answered, other */

	c.dead_conn = 42;
	CU_ASSERT_EQUAL(sipdp_ua_conn_lost(c.ua, 42, c.now), 2);
	CU_ASSERT_EQUAL(c.failed, 0); /* nothing was sent to find out */
	CU_ASSERT_EQUAL(c.terminated, 2);
	CU_ASSERT_EQUAL(c.last_reason, SIPDP_DLG_R_TRANSPORT);
	CU_ASSERT(sipdp_ua_dlg(c.ua, ringing) == NULL);
	CU_ASSERT(sipdp_ua_dlg(c.ua, answered) == NULL);
	CU_ASSERT(sipdp_ua_dlg(c.ua, confirmed) != NULL);
	CU_ASSERT(sipdp_ua_dlg(c.ua, other) != NULL);
	CU_ASSERT_EQUAL(sipdp_ua_dialog_count(c.ua), 2);
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(c.ua), 1);
	/* a second notice for the same connection finds nothing */
	CU_ASSERT_EQUAL(sipdp_ua_conn_lost(c.ua, 42, c.now), 0);
	CU_ASSERT_EQUAL(sipdp_ua_conn_lost(c.ua, 0, c.now), -EINVAL);
	t_free(&c);
}

static struct sipdp_test_case cases[] = {
	{ "invite_over_tcp_v4", test_invite_over_tcp_v4 },
	{ "invite_over_tls_v6", test_invite_over_tls_v6 },
	{ "invite_sips_uri", test_invite_sips_uri },
	{ "uas_tls_invite", test_uas_tls_invite },
	{ "missing_entry_falls_back", test_missing_entry_falls_back },
	{ "table_only_identity", test_table_only_identity },
	{ "provisional_on_closed_connection_ends_call", test_provisional_on_closed_connection_ends_call },
	{ "answer_on_closed_connection_ends_call", test_answer_on_closed_connection_ends_call },
	{ "answer_retransmit_on_closed_connection_ends_call",
	  test_answer_retransmit_on_closed_connection_ends_call },
	{ "error_response_on_closed_connection_leaves_nothing",
	  test_error_response_on_closed_connection_leaves_nothing },
	{ "request_on_closed_connection_fails_call", test_request_on_closed_connection_fails_call },
	{ "closed_connection_ends_pending_calls_at_once",
	  test_closed_connection_ends_pending_calls_at_once },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("ua_transport", cases);
}
