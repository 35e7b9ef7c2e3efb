/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker side of SIP over TCP/TLS (lib/shard/shard_tcp.c) on one
 * worker built by hand (a UA, the two rings, no port), with an EAL
 * --no-huge for rings and mbufs (skip 77 when it cannot start):
 *  - a request from the control lcore runs through the UA and its answer
 *    goes back on the same connection id and transport; the destination is
 *    reliable, so the non-INVITE server transaction ends at once (Timer J
 *    is zero on reliable transports, RFC 3261 §17.2.2)
 *  - after a "connection closed" notice, an answer on that connection to
 *    a client whose Via names the port it connected from (it listens
 *    nowhere) is refused: the transaction reports a transport error
 *    (§17.2.4), nothing reaches the control lcore, and it is counted
 *  - when the Via names another port (the client's listening port), the
 *    answer still goes to the control lcore with that connection id:
 *    there sipdp_ctl_send_response() sends it over a new connection to the
 *    top Via's received address and sent-by port (RFC 3261 §18.2.2)
 *  - a full worker -> control ring refuses the answer (transport error),
 *    frees its mbuf and counts it
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "shard_pvt.h"
#include "sipdp_test.h"

static struct rte_mempool *pool;
static struct sipdp_shard shard;
static struct shard_worker *w;
static char contact[] = "<sip:sipdp@192.0.2.1:5060>";
static char sent_by[] = "192.0.2.1:5060";

#define OPTIONS(callid)                                                    \
	"OPTIONS sip:sipdp@192.0.2.1:5060;transport=tcp SIP/2.0\r\n"           \
	"Via: SIP/2.0/TCP 192.0.2.2:40000;branch=z9hG4bK-" callid ";rport=40000;received=192.0.2.2\r\n" \
	"Max-Forwards: 70\r\n"                                             \
	"From: <sip:a@192.0.2.2>;tag=a1\r\n"                               \
	"To: <sip:sipdp@192.0.2.1>\r\n"                                    \
	"Call-ID: " callid "\r\n"                                          \
	"CSeq: 1 OPTIONS\r\n"                                              \
	"Content-Length: 0\r\n\r\n"

#define OPTIONS_5060(callid)                                               \
	"OPTIONS sip:sipdp@192.0.2.1:5060;transport=tcp SIP/2.0\r\n"           \
	"v: SIP/2.0/TCP 192.0.2.2:5060;branch=z9hG4bK-" callid ";rport=40000;received=192.0.2.2\r\n" \
	"Max-Forwards: 70\r\n"                                             \
	"From: <sip:a@192.0.2.2>;tag=a1\r\n"                               \
	"To: <sip:sipdp@192.0.2.1>\r\n"                                    \
	"Call-ID: " callid "\r\n"                                          \
	"CSeq: 1 OPTIONS\r\n"                                              \
	"Content-Length: 0\r\n\r\n"

static int
setup(void)
{
	struct sipdp_ua_params up = { 0 };

	memset(&shard, 0, sizeof(shard));
	shard.p.tx_pool = pool;
	shard.p.big_pool = pool;
	shard.nb_workers = 1;
	w = rte_zmalloc("t_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
	if (w == NULL)
		return -1;
	w->s = &shard;
	shard.w[0] = w;
	w->cur_rule = -2;
	w->now_us = 1000000;
	w->msg = malloc(sizeof(*w->msg));
	w->tcp_dead = calloc(SHARD_TCP_DEAD_SZ, sizeof(uint32_t));
	w->tcp_in = rte_ring_create_elem("t_tcp_in", sizeof(struct shard_tcp_msg), 8,
		SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	/* Capacity 3: small enough to fill in a test. */
	w->tcp_out = rte_ring_create_elem("t_tcp_out", sizeof(struct shard_tcp_msg), 4,
		SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	up.dialogs = 16;
	up.transactions = 16;
	up.t1_ms = 500;
	up.t2_ms = 4000;
	up.t4_ms = 5000;
	up.secret[0] = 1;
	up.secret[1] = 2;
	up.now_us = 1000000;
	up.contact = sipdp_str_cstr(contact);
	up.sent_by = sipdp_str_cstr(sent_by);
	up.via_transport = SIPDP_TSX_TP_UDP;
	up.user_agent = SIPDP_STR("t");
	up.send = shard_send;
	up.cb.on_incoming = shard_on_incoming;
	up.cb.on_request = shard_on_request;
	up.user = w;
	if (w->msg == NULL || w->tcp_dead == NULL || w->tcp_in == NULL || w->tcp_out == NULL ||
	    sipdp_ua_create(&up, &w->ua) != 0)
		return -1;
	return 0;
}

static void
teardown(void)
{
	struct shard_tcp_msg tm;

	while (rte_ring_sc_dequeue_elem(w->tcp_out, &tm, sizeof(tm)) == 0)
		rte_pktmbuf_free(tm.m);
	while (rte_ring_sc_dequeue_elem(w->tcp_in, &tm, sizeof(tm)) == 0)
		rte_pktmbuf_free(tm.m);
	sipdp_ua_destroy(w->ua);
	rte_ring_free(w->tcp_in);
	rte_ring_free(w->tcp_out);
	free(w->tcp_dead);
	free(w->msg);
	rte_free(w);
	w = NULL;
}

/* What the control lcore puts on tcp_in for a framed message. */
static void
from_ctl(const char *text, uint32_t conn_id, uint8_t transport)
{
	struct shard_tcp_msg tm = { 0 };
	uint32_t len = (uint32_t)strlen(text);

	tm.m = rte_pktmbuf_alloc(pool);
	CU_ASSERT_FATAL(tm.m != NULL);
	memcpy(rte_pktmbuf_append(tm.m, (uint16_t)len), text, len);
	tm.conn_id = conn_id;
	tm.transport = transport;
	tm.family = AF_INET;
	tm.port = 40000;
	CU_ASSERT_FATAL(inet_pton(AF_INET, "192.0.2.2", tm.addr) == 1);
	CU_ASSERT_FATAL(rte_ring_sp_enqueue_elem(w->tcp_in, &tm, sizeof(tm)) == 0);
}

static void
closed_from_ctl(uint32_t conn_id)
{
	struct shard_tcp_msg tm = { 0 };

	tm.conn_id = conn_id;
	CU_ASSERT_FATAL(rte_ring_sp_enqueue_elem(w->tcp_in, &tm, sizeof(tm)) == 0);
}

static void
test_request_over_tls_is_answered_on_its_connection(void)
{
	struct shard_tcp_msg out;
	const char *p;

	CU_ASSERT_FATAL(setup() == 0);
	from_ctl(OPTIONS("tcp-1"), 0x30007, SIPDP_TSX_TP_TLS);
	CU_ASSERT_EQUAL(shard_tcp_worker_poll(w), 1);
	CU_ASSERT_EQUAL(w->st.tcp_rx, 1);
	CU_ASSERT_EQUAL(w->st.sip_delivered, 1);
	CU_ASSERT_EQUAL(w->st.req[SIPDP_METHOD_OPTIONS], 1);
	CU_ASSERT_EQUAL(rte_ring_count(w->tcp_out), 1);
	CU_ASSERT_FATAL(rte_ring_sc_dequeue_elem(w->tcp_out, &out, sizeof(out)) == 0);
	CU_ASSERT_EQUAL(out.conn_id, 0x30007);
	CU_ASSERT_EQUAL(out.transport, SIPDP_TSX_TP_TLS);
	CU_ASSERT_EQUAL(out.port, 40000);
	p = rte_pktmbuf_mtod(out.m, const char *);
	CU_ASSERT(strncmp(p, "SIP/2.0 200 ", 12) == 0);
	CU_ASSERT(strstr(p, "Call-ID: tcp-1\r\n") != NULL);
	rte_pktmbuf_free(out.m);
	CU_ASSERT_EQUAL(w->st.tcp_tx, 1);
	CU_ASSERT_EQUAL(w->st.sent_resp[2], 1);
	/* Reliable: Timer J is zero, the transaction is gone at the next
	 * tick instead of 32 s later. */
	sipdp_ua_expire(w->ua, 1001000, 64);
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(w->ua), 0);
	teardown();
}

static void
test_answer_on_a_closed_connection_is_a_transport_error(void)
{
	unsigned avail;

	CU_ASSERT_FATAL(setup() == 0);
	avail = rte_mempool_avail_count(pool);
	closed_from_ctl(0x50001);
	from_ctl(OPTIONS("tcp-2"), 0x50001, SIPDP_TSX_TP_TCP);
	CU_ASSERT_EQUAL(shard_tcp_worker_poll(w), 2);
	CU_ASSERT_EQUAL(w->st.tcp_closed, 1);
	CU_ASSERT_EQUAL(w->st.tcp_rx, 1);
	CU_ASSERT_EQUAL(w->st.tcp_conn_dead, 1);
	CU_ASSERT_EQUAL(w->st.tcp_tx, 0);
	CU_ASSERT_EQUAL(rte_ring_count(w->tcp_out), 0);
	CU_ASSERT_EQUAL(sipdp_tsx_stats(sipdp_ua_tsx_table(w->ua))->transport_errors, 1);
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(w->ua), 0);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), avail);
	/* Another connection is not affected. */
	from_ctl(OPTIONS("tcp-3"), 0x50002, SIPDP_TSX_TP_TCP);
	CU_ASSERT_EQUAL(shard_tcp_worker_poll(w), 1);
	CU_ASSERT_EQUAL(w->st.tcp_tx, 1);
	teardown();
}

static void
test_answer_on_a_closed_connection_goes_to_control(void)
{
	struct shard_tcp_msg out;
	unsigned avail;

	CU_ASSERT_FATAL(setup() == 0);
	avail = rte_mempool_avail_count(pool);
	closed_from_ctl(0x50001);
	from_ctl(OPTIONS_5060("tcp-2"), 0x50001, SIPDP_TSX_TP_TCP);
	CU_ASSERT_EQUAL(shard_tcp_worker_poll(w), 2);
	CU_ASSERT_EQUAL(w->st.tcp_closed, 1);
	CU_ASSERT_EQUAL(w->st.tcp_rx, 1);
	CU_ASSERT_EQUAL(w->st.tcp_conn_dead, 0);
	CU_ASSERT_EQUAL(w->st.tcp_tx, 1);
	CU_ASSERT_EQUAL_FATAL(rte_ring_count(w->tcp_out), 1);
	CU_ASSERT_EQUAL(sipdp_tsx_stats(sipdp_ua_tsx_table(w->ua))->transport_errors, 0);
	CU_ASSERT_EQUAL(sipdp_ua_tsx_count(w->ua), 0);
	CU_ASSERT_EQUAL(rte_ring_sc_dequeue_elem(w->tcp_out, &out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(out.conn_id, 0x50001);
	CU_ASSERT(memcmp(rte_pktmbuf_mtod(out.m, const char *), "SIP/2.0 200 ", 12) == 0);
	rte_pktmbuf_free(out.m);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), avail);
	/* Another connection is not affected. */
	from_ctl(OPTIONS("tcp-3"), 0x50002, SIPDP_TSX_TP_TCP);
	CU_ASSERT_EQUAL(shard_tcp_worker_poll(w), 1);
	CU_ASSERT_EQUAL(w->st.tcp_tx, 2);
	teardown();
}

/* The probe's shape (sip_stream.py hangup): a 200 to an INVITE whose Via
 * names the port the client connected from, sent after the close: no
 * resend; with another port in the Via, it goes to the control lcore. */
static void
test_2xx_on_closed_connection_to_client_port_fails(void)
{
	static const char resp[] =
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/TCP 192.0.2.2:40000;branch=z9hG4bKg1;rport=40000;received=192.0.2.2\r\n"
		"From: <sip:caller@192.0.2.2>;tag=hangup\r\n"
		"To: <sip:service@192.0.2.1>;tag=x\r\n"
		"Call-ID: hangup-1\r\nCSeq: 1 INVITE\r\n"
		"Contact: <sip:sipdp@192.0.2.1:5060;transport=tcp>\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sipdp_tsx_dest d = { .transport = SIPDP_TSX_TP_TCP, .flags = SIPDP_TSX_DEST_RELIABLE,
		.family = AF_INET, .port = 40000, .conn_id = 0x90009 };

	CU_ASSERT_FATAL(setup() == 0);
	closed_from_ctl(0x90009);
	CU_ASSERT_EQUAL(shard_tcp_worker_poll(w), 1);
	CU_ASSERT_EQUAL(shard_tcp_send(w, &d, resp, sizeof(resp) - 1), -ENOTCONN);
	CU_ASSERT_EQUAL(w->st.tcp_conn_dead, 1);
	d.port = 40001;
	CU_ASSERT_EQUAL(shard_tcp_send(w, &d, resp, sizeof(resp) - 1), 0);
	CU_ASSERT_EQUAL(w->st.tcp_tx, 1);
	teardown();
}

static void
test_full_ring_to_control_refuses_frees_and_counts(void)
{
	struct shard_tcp_msg fill = { 0 };
	unsigned avail;

	CU_ASSERT_FATAL(setup() == 0);
	fill.conn_id = 1;
	while (rte_ring_sp_enqueue_elem(w->tcp_out, &fill, sizeof(fill)) == 0)
		;
	CU_ASSERT_EQUAL(rte_ring_count(w->tcp_out), 3);
	avail = rte_mempool_avail_count(pool);
	from_ctl(OPTIONS("tcp-4"), 0x70003, SIPDP_TSX_TP_TCP);
	CU_ASSERT_EQUAL(shard_tcp_worker_poll(w), 1);
	CU_ASSERT_EQUAL(w->st.tcp_tx_drops, 1);
	CU_ASSERT_EQUAL(w->st.tcp_tx, 0);
	CU_ASSERT_EQUAL(sipdp_tsx_stats(sipdp_ua_tsx_table(w->ua))->transport_errors, 1);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), avail);
	teardown();
}

static struct sipdp_test_case cases[] = {
	{ "request_over_tls_is_answered_on_its_connection",
	  test_request_over_tls_is_answered_on_its_connection },
	{ "answer_on_a_closed_connection_is_a_transport_error",
	  test_answer_on_a_closed_connection_is_a_transport_error },
	{ "answer_on_a_closed_connection_goes_to_control_18_2_2",
	  test_answer_on_a_closed_connection_goes_to_control },
	{ "2xx_on_closed_connection_to_client_port_fails",
	  test_2xx_on_closed_connection_to_client_port_fails },
	{ "full_ring_to_control_refuses_frees_and_counts",
	  test_full_ring_to_control_refuses_frees_and_counts },
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	char prefix[64];
	int rc;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "--file-prefix=sipdp-test-shtcp-%d", (int)getpid());
	char *eal[] = { argv[0], "--no-huge", "--no-pci", prefix, "-m", "64", "--log-level=error",
		"--no-telemetry", "--no-shconf", NULL };
	if (rte_eal_init(9, eal) < 0) {
		printf("EAL init failed: skip\n");
		return 77;
	}
	pool = rte_pktmbuf_pool_create("t_shtcp", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (pool == NULL) {
		rte_eal_cleanup();
		return 77;
	}
	rc = sipdp_test_run("shard_tcp", cases);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return rc;
}
