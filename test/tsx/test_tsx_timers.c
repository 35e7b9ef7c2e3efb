/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tsx timers, asserted to the millisecond with a fake clock and an
 * in-memory transport (test/common/sipdp_memnet.h). T1 = 500 ms, T2 = 4 s,
 * T4 = 5 s unless a test says otherwise. Times are relative to t0 = 1000 s
 * (a non-zero base catches code that confuses times and durations).
 *
 *  ict_timer_a_doubles_and_timer_b_fires_at_32s
 *      §17.1.1.2: INVITE retransmitted at 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s,
 *      Timer B = 64*T1 -> timeout to the TU, then Terminated.
 *  ict_reliable_sends_once_and_keeps_timer_b
 *      §17.1.1.2: no Timer A over a reliable transport; B still applies.
 *  nict_timer_e_caps_at_t2_and_timer_f_fires_at_32s
 *      §17.1.2.2: E at 0.5, 1.5, 3.5, 7.5, 11.5 ... 31.5 s (capped at T2),
 *      Timer F = 64*T1 -> timeout, no 408 on the wire (RFC 4320).
 *  nict_timer_e_is_t2_in_proceeding
 *      §17.1.2.2: after a 1xx, E fires and is reset to T2 each time.
 *  nict_completed_waits_t4_unreliable_and_zero_reliable
 *      §17.1.2.2: Timer K = T4 over UDP, 0 over TCP; no more retransmissions.
 *  ict_non2xx_is_acked_by_the_transaction_and_timer_d_is_32s
 *      §17.1.1.3: ACK built from the INVITE (Request-URI, branch, Route,
 *      From, Call-ID, CSeq num) and the response's To; re-sent for each
 *      retransmitted final; Timer D = 32 s.
 *  ict_reliable_non2xx_terminates_at_once
 *      §17.1.1.3: Timer D = 0 over reliable transports.
 *  ict_2xx_enters_accepted_and_passes_retransmissions
 *      RFC 6026 §7.2: Accepted, every 2xx to the TU, the transaction sends
 *      no ACK for 2xx, Timer M = 64*T1.
 *  ist_timer_g_caps_at_t2_and_timer_h_fires_at_32s
 *      §17.2.1: final non-2xx re-sent at 0.5, 1.5, 3.5, 7.5, 11.5 ... 31.5 s,
 *      Timer H = 64*T1 -> timeout (ACK never came).
 *  ist_ack_confirms_and_timer_i_is_t4
 *      §17.2.1: ACK stops G; Confirmed for T4 over UDP, 0 over TCP.
 *  ist_2xx_enters_accepted_for_timer_l
 *      RFC 6026 §7.1: Accepted; INVITE retransmissions absorbed; ACK to the
 *      TU; TU 2xx retransmissions pass; Timer L = 64*T1.
 *  nist_timer_j_is_64t1_unreliable_and_zero_reliable
 *      §17.2.2: Completed re-sends the final on a retransmitted request;
 *      Timer J = 64*T1 over UDP, 0 over TCP.
 *  timers_follow_configured_t1_t2_t4
 *      T1/T2/T4 per stack: T1 = 100 ms, T2 = 400 ms, T4 = 1 s.
 *  ist_auto_trying_sends_100_before_the_tu_sees_the_invite
 *      §17.2.1: 100 Trying from the transaction when configured.
 *  record_is_small
 *      memory budget: one transaction record <= 256 bytes.
 */
#include <errno.h>

#include "sipdp_test.h"
#include "tsx_test_util.h"

#define T0 (1000 * SEC)

static struct sipdp_memnet *net;
static struct sipdp_memnet_ep *ep;  /* the table under test, id 0 */
static char buf[4096], rbuf[4096];

static void
setup_p(bool reliable, uint32_t t1, uint32_t t2, uint32_t t4, bool auto_trying)
{
	struct sipdp_tsx_params p;

	net = sipdp_memnet_new(T0);
	sipdp_memnet_params(net, &p, 16);
	p.t1_ms = t1;
	p.t2_ms = t2;
	p.t4_ms = t4;
	p.auto_trying = auto_trying;
	ep = sipdp_memnet_add_ep(net, &p, reliable);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ep);
}

static void
setup(bool reliable)
{
	setup_p(reliable, 0, 0, 0, false);
}

static void
teardown(void)
{
	sipdp_memnet_free(net);
	net = NULL;
}

/* Offsets (ms from t0) of every send from the table. */
static void
assert_send_times(const uint64_t *ms, uint32_t n)
{
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), n);
	for (uint32_t i = 0; i < n; i++) {
		const struct sipdp_memnet_pkt *pk = sipdp_memnet_nth_from(net, 0, i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(pk);
		if (pk->at_us != T0 + ms[i] * MS)
			fprintf(stderr, "send %u at %llu ms, expected %llu\n", i,
				(unsigned long long)((pk->at_us - T0) / MS), (unsigned long long)ms[i]);
		CU_ASSERT_EQUAL(pk->at_us, T0 + ms[i] * MS);
	}
}

static uint64_t
ev_at(uint8_t type)
{
	const struct sipdp_memnet_ev *e = sipdp_memnet_ev_last(ep, type);
	return e ? e->at_us - T0 : UINT64_MAX;
}

static sipdp_handle_t
client_start(const char *method, bool reliable)
{
	char br[SIPDP_TSX_BRANCH_LEN];
	sipdp_handle_t h;
	enum sipdp_method m = sipdp_method_lookup(method, (uint32_t)strlen(method));
	struct sipdp_tsx_dest d = sipdp_memnet_dest(1, reliable);

	CU_ASSERT_EQUAL_FATAL(sipdp_tsx_client_alloc(ep->tsx, m, 1, 77, br, &h), 0);
	int len = tt_our_request(buf, sizeof(buf), method, br, 1);
	CU_ASSERT_EQUAL_FATAL(sipdp_tsx_client_send(ep->tsx, h, buf, (uint32_t)len, &d, net->now_us), 0);
	return h;
}

/* Response from the peer (id 1) to our first request. */
static int
peer_responds(uint16_t status, const char *to_tag)
{
	int len = tt_response_to(rbuf, sizeof(rbuf), sipdp_memnet_nth_from(net, 0, 0), status, to_tag);
	return tt_recv(ep, 1, rbuf, len);
}

static sipdp_handle_t
server_start(const char *method, const char *branch)
{
	int len = tt_request(buf, sizeof(buf), method, "sip:bob@example.com", branch, "198.51.100.7:5060",
			     5, method, "peertag", NULL, "peer-call@198.51.100.7");
	CU_ASSERT_EQUAL(tt_recv(ep, 1, buf, len), SIPDP_TSX_RX_NEW);
	const struct sipdp_memnet_ev *e = sipdp_memnet_ev_last(ep, SIPDP_TSX_EV_REQUEST);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	return e->tsx;
}

static void
respond(sipdp_handle_t h, uint16_t status)
{
	static struct sipdp_msg m;
	CU_ASSERT_FATAL(sipdp_msg_parse(&m, buf, strlen(buf), 0) > 0);
	int len = sipdp_build_response_simple(rbuf, sizeof(rbuf), &m, status,
					      status > 100 ? SIPDP_STR("uastag") : SIPDP_STR_NULL,
					      SIPDP_STR_NULL);
	CU_ASSERT_EQUAL(sipdp_tsx_respond(ep->tsx, h, status, rbuf, (uint32_t)len, net->now_us), 0);
}

/* The request bytes in buf again, from the peer (a retransmission). */
static int
peer_resends_request(void)
{
	return tt_recv(ep, 1, buf, (int)strlen(buf));
}

static int
peer_acks(const char *branch)
{
	char ack[2048];
	int len = tt_request(ack, sizeof(ack), "ACK", "sip:bob@example.com", branch, "198.51.100.7:5060",
			     5, "ACK", "peertag", "uastag", "peer-call@198.51.100.7");
	return tt_recv(ep, 1, ack, len);
}

/* ------------------------------------------------------------- client */

static void
test_ict_timer_a_doubles_and_timer_b_fires_at_32s(void)
{
	static const uint64_t at[] = { 0, 500, 1500, 3500, 7500, 15500, 31500 };

	setup(false);
	client_start("INVITE", false);
	sipdp_memnet_advance(net, T0 + 31999 * MS);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(ep, SIPDP_TSX_EV_TIMEOUT), 0);
	sipdp_memnet_advance(net, T0 + 40 * SEC);
	assert_send_times(at, SIPDP_ARRAY_SIZE(at));
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TIMEOUT), 32 * SEC);
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TERMINATED), 32 * SEC);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_last(ep, SIPDP_TSX_EV_TIMEOUT)->user_ref, 77);
	CU_ASSERT_EQUAL(sipdp_tsx_stats(ep->tsx)->retransmits, 6);
	CU_ASSERT_EQUAL(sipdp_tsx_count(ep->tsx), 0);
	CU_ASSERT_EQUAL(sipdp_tsx_chunks_in_use(ep->tsx), 0);
	teardown();
}

static void
test_ict_reliable_sends_once_and_keeps_timer_b(void)
{
	static const uint64_t at[] = { 0 };

	setup(true);
	client_start("INVITE", true);
	sipdp_memnet_advance(net, T0 + 40 * SEC);
	assert_send_times(at, 1);
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TIMEOUT), 32 * SEC);
	CU_ASSERT_EQUAL(sipdp_tsx_count(ep->tsx), 0);
	teardown();
}

static void
test_nict_timer_e_caps_at_t2_and_timer_f_fires_at_32s(void)
{
	static const uint64_t at[] = { 0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500 };

	setup(false);
	client_start("OPTIONS", false);
	sipdp_memnet_advance(net, T0 + 40 * SEC);
	assert_send_times(at, SIPDP_ARRAY_SIZE(at));
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TIMEOUT), 32 * SEC);
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TERMINATED), 32 * SEC);
	/* RFC 4320: nothing but retransmissions went out; no 408 anywhere. */
	for (uint32_t i = 0; i < sipdp_memnet_count_from(net, 0); i++)
		CU_ASSERT_TRUE(sipdp_memnet_starts(sipdp_memnet_nth_from(net, 0, i), "OPTIONS "));
	teardown();
}

static void
test_nict_timer_e_is_t2_in_proceeding(void)
{
	static const uint64_t at[] = { 0, 500, 4500, 8500, 12500, 16500, 20500, 24500, 28500 };

	setup(false);
	client_start("OPTIONS", false);
	sipdp_memnet_advance(net, T0 + 200 * MS);
	CU_ASSERT_EQUAL(peer_responds(100, NULL), SIPDP_TSX_RX_MATCHED);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_last(ep, SIPDP_TSX_EV_RESPONSE)->status, 100);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_last(ep, SIPDP_TSX_EV_RESPONSE)->state, SIPDP_TSX_S_PROCEEDING);
	sipdp_memnet_advance(net, T0 + 40 * SEC);
	assert_send_times(at, SIPDP_ARRAY_SIZE(at));
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TIMEOUT), 32 * SEC);
	teardown();
}

static void
test_nict_completed_waits_t4_unreliable_and_zero_reliable(void)
{
	static const uint64_t at[] = { 0, 500 };

	setup(false);
	client_start("OPTIONS", false);
	sipdp_memnet_advance(net, T0 + 1 * SEC);
	CU_ASSERT_EQUAL(peer_responds(200, "x"), SIPDP_TSX_RX_MATCHED);
	CU_ASSERT_EQUAL(sipdp_tsx_chunks_in_use(ep->tsx), 0);
	/* a retransmitted final is absorbed */
	sipdp_memnet_advance(net, T0 + 2 * SEC);
	CU_ASSERT_EQUAL(peer_responds(200, "x"), SIPDP_TSX_RX_ABSORBED);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(ep, SIPDP_TSX_EV_RESPONSE), 1);
	sipdp_memnet_advance(net, T0 + 10 * SEC);
	assert_send_times(at, SIPDP_ARRAY_SIZE(at));
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TERMINATED), 6 * SEC); /* 1 s + T4 */
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(ep, SIPDP_TSX_EV_TIMEOUT), 0);
	teardown();

	setup(true);
	client_start("OPTIONS", true);
	sipdp_memnet_advance(net, T0 + 1 * SEC);
	CU_ASSERT_EQUAL(peer_responds(200, "x"), SIPDP_TSX_RX_MATCHED);
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TERMINATED), 1 * SEC);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 1);
	CU_ASSERT_EQUAL(sipdp_tsx_count(ep->tsx), 0);
	teardown();
}

static void
test_ict_non2xx_is_acked_by_the_transaction_and_timer_d_is_32s(void)
{
	const struct sipdp_memnet_pkt *inv, *ack;
	static struct sipdp_msg m;
	struct sipdp_via via;
	struct sipdp_cseq cs;
	struct sipdp_nameaddr to;

	setup(false);
	client_start("INVITE", false);
	sipdp_memnet_advance(net, T0 + 2 * SEC);
	CU_ASSERT_EQUAL(peer_responds(486, "busytag"), SIPDP_TSX_RX_MATCHED);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 4); /* 0, 0.5, 1.5, ACK at 2 */
	inv = sipdp_memnet_nth_from(net, 0, 0);
	ack = sipdp_memnet_nth_from(net, 0, 3);
	CU_ASSERT_EQUAL(ack->at_us, T0 + 2 * SEC);
	CU_ASSERT_TRUE(sipdp_memnet_starts(ack, "ACK sip:bob@example.com SIP/2.0\r\n"));
	CU_ASSERT_FATAL(sipdp_msg_parse(&m, ack->data, ack->len, 0) > 0);
	CU_ASSERT_EQUAL(sipdp_msg_top_via(&m, &via), 0);
	CU_ASSERT_EQUAL(via.branch.len, SIPDP_TSX_BRANCH_LEN);
	CU_ASSERT_TRUE(memmem(inv->data, inv->len, via.branch.p, via.branch.len) != NULL);
	CU_ASSERT_EQUAL(sipdp_msg_cseq(&m, &cs), 0);
	CU_ASSERT_EQUAL(cs.num, 1);
	CU_ASSERT_EQUAL(cs.method, SIPDP_METHOD_ACK);
	CU_ASSERT_EQUAL(sipdp_msg_to(&m, &to), 0);
	CU_ASSERT_TRUE(sipdp_str_eq(to.tag, SIPDP_STR("busytag")));
	CU_ASSERT_TRUE(sipdp_str_eq(sipdp_msg_hdr_value(&m, SIPDP_HDR_ROUTE),
				    SIPDP_STR("<sip:proxy.example.com;lr>")));
	CU_ASSERT_TRUE(sipdp_str_eq(sipdp_msg_call_id(&m), SIPDP_STR("call-1@192.0.2.1")));
	CU_ASSERT_EQUAL(sipdp_memnet_ev_last(ep, SIPDP_TSX_EV_RESPONSE)->status, 486);

	/* the final again (our ACK was lost): the ACK again, TU not bothered */
	sipdp_memnet_advance(net, T0 + 3 * SEC);
	CU_ASSERT_EQUAL(peer_responds(486, "busytag"), SIPDP_TSX_RX_ABSORBED);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 5);
	CU_ASSERT_TRUE(sipdp_memnet_starts(sipdp_memnet_nth_from(net, 0, 4), "ACK "));
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(ep, SIPDP_TSX_EV_RESPONSE), 1);
	sipdp_memnet_advance(net, T0 + 40 * SEC);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 5); /* no Timer A in Completed */
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TERMINATED), 34 * SEC); /* 2 s + D */
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(ep, SIPDP_TSX_EV_TIMEOUT), 0);
	CU_ASSERT_EQUAL(sipdp_tsx_chunks_in_use(ep->tsx), 0);
	teardown();
}

static void
test_ict_reliable_non2xx_terminates_at_once(void)
{
	setup(true);
	client_start("INVITE", true);
	sipdp_memnet_advance(net, T0 + 2 * SEC);
	CU_ASSERT_EQUAL(peer_responds(603, "t"), SIPDP_TSX_RX_MATCHED);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 2);
	CU_ASSERT_TRUE(sipdp_memnet_starts(sipdp_memnet_nth_from(net, 0, 1), "ACK "));
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TERMINATED), 2 * SEC);
	CU_ASSERT_EQUAL(sipdp_tsx_count(ep->tsx), 0);
	CU_ASSERT_EQUAL(sipdp_tsx_chunks_in_use(ep->tsx), 0);
	teardown();
}

static void
test_ict_2xx_enters_accepted_and_passes_retransmissions(void)
{
	const struct sipdp_memnet_ev *e;
	struct sipdp_tsx_info info;
	sipdp_handle_t h;

	setup(false);
	h = client_start("INVITE", false);
	sipdp_memnet_advance(net, T0 + 1 * SEC);
	CU_ASSERT_EQUAL(peer_responds(200, "ok1"), SIPDP_TSX_RX_MATCHED);
	CU_ASSERT_EQUAL(sipdp_tsx_info(ep->tsx, h, &info), 0);
	CU_ASSERT_EQUAL(info.state, SIPDP_TSX_S_ACCEPTED);
	CU_ASSERT_EQUAL(info.kept_bytes, 0);
	sipdp_memnet_advance(net, T0 + 2 * SEC);
	CU_ASSERT_EQUAL(peer_responds(200, "ok1"), SIPDP_TSX_RX_MATCHED);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(ep, SIPDP_TSX_EV_RESPONSE), 2);
	e = sipdp_memnet_ev_last(ep, SIPDP_TSX_EV_RESPONSE);
	CU_ASSERT_TRUE(e->retransmission);
	/* a 1xx after the 2xx means nothing any more */
	CU_ASSERT_EQUAL(peer_responds(180, "ok1"), SIPDP_TSX_RX_STRAY);
	sipdp_memnet_advance(net, T0 + 40 * SEC);
	/* INVITE at 0 and 0.5 s only: no ACK for 2xx from the transaction */
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 2);
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TERMINATED), 33 * SEC); /* 1 s + M */
	teardown();
}

/* ------------------------------------------------------------- server */

static void
test_ist_timer_g_caps_at_t2_and_timer_h_fires_at_32s(void)
{
	static const uint64_t at[] = { 0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500 };
	sipdp_handle_t h;

	setup(false);
	h = server_start("INVITE", "z9hG4bKg1");
	respond(h, 486);
	sipdp_memnet_advance(net, T0 + 40 * SEC);
	assert_send_times(at, SIPDP_ARRAY_SIZE(at));
	for (uint32_t i = 0; i < SIPDP_ARRAY_SIZE(at); i++)
		CU_ASSERT_TRUE(sipdp_memnet_starts(sipdp_memnet_nth_from(net, 0, i), "SIP/2.0 486"));
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TIMEOUT), 32 * SEC);
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TERMINATED), 32 * SEC);
	CU_ASSERT_EQUAL(sipdp_tsx_count(ep->tsx), 0);
	CU_ASSERT_EQUAL(sipdp_tsx_chunks_in_use(ep->tsx), 0);
	teardown();
}

static void
test_ist_ack_confirms_and_timer_i_is_t4(void)
{
	sipdp_handle_t h;
	struct sipdp_tsx_info info;

	setup(false);
	h = server_start("INVITE", "z9hG4bKi1");
	respond(h, 486);
	sipdp_memnet_advance(net, T0 + 2 * SEC);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 3); /* 0, 0.5, 1.5 */
	CU_ASSERT_EQUAL(peer_acks("z9hG4bKi1"), SIPDP_TSX_RX_MATCHED);
	CU_ASSERT_EQUAL(sipdp_tsx_info(ep->tsx, h, &info), 0);
	CU_ASSERT_EQUAL(info.state, SIPDP_TSX_S_CONFIRMED);
	CU_ASSERT_EQUAL(sipdp_tsx_chunks_in_use(ep->tsx), 0);
	/* ACK retransmissions absorbed, never to the TU */
	CU_ASSERT_EQUAL(peer_acks("z9hG4bKi1"), SIPDP_TSX_RX_ABSORBED);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(ep, SIPDP_TSX_EV_ACK), 0);
	sipdp_memnet_advance(net, T0 + 40 * SEC);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 3);
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TERMINATED), 7 * SEC); /* 2 s + T4 */
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(ep, SIPDP_TSX_EV_TIMEOUT), 0);
	teardown();

	setup(true);
	h = server_start("INVITE", "z9hG4bKi2");
	respond(h, 486);
	sipdp_memnet_advance(net, T0 + 2 * SEC);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 1); /* no Timer G */
	CU_ASSERT_EQUAL(peer_acks("z9hG4bKi2"), SIPDP_TSX_RX_MATCHED);
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TERMINATED), 2 * SEC); /* I = 0 */
	teardown();
}

static void
test_ist_2xx_enters_accepted_for_timer_l(void)
{
	sipdp_handle_t h;
	const struct sipdp_memnet_ev *e;

	setup(false);
	h = server_start("INVITE", "z9hG4bKl1");
	respond(h, 180);
	sipdp_memnet_advance(net, T0 + 1 * SEC);
	/* INVITE retransmission in Proceeding: the 180 again */
	CU_ASSERT_EQUAL(peer_resends_request(), SIPDP_TSX_RX_ABSORBED);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 2);
	CU_ASSERT_TRUE(sipdp_memnet_starts(sipdp_memnet_nth_from(net, 0, 1), "SIP/2.0 180"));
	respond(h, 200);
	CU_ASSERT_EQUAL(sipdp_tsx_chunks_in_use(ep->tsx), 0); /* 2xx not kept */
	sipdp_memnet_advance(net, T0 + 2 * SEC);
	/* INVITE retransmission in Accepted: absorbed, nothing sent */
	CU_ASSERT_EQUAL(peer_resends_request(), SIPDP_TSX_RX_ABSORBED);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 3);
	/* the TU's own 2xx retransmission passes */
	respond(h, 200);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 4);
	/* the ACK for 2xx (same branch from an RFC 3261 UAC only if it
	 * reused it; here a new one is typical, see test_tsx_match) */
	CU_ASSERT_EQUAL(peer_acks("z9hG4bKl1"), SIPDP_TSX_RX_TO_TU);
	e = sipdp_memnet_ev_last(ep, SIPDP_TSX_EV_ACK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->tsx, h);
	sipdp_memnet_advance(net, T0 + 40 * SEC);
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TERMINATED), 33 * SEC); /* 1 s + L */
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 4); /* no G for 2xx */
	teardown();
}

static void
test_nist_timer_j_is_64t1_unreliable_and_zero_reliable(void)
{
	sipdp_handle_t h;

	setup(false);
	h = server_start("BYE", "z9hG4bKj1");
	/* Trying: a retransmission is discarded, nothing to resend */
	CU_ASSERT_EQUAL(peer_resends_request(), SIPDP_TSX_RX_ABSORBED);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 0);
	respond(h, 200);
	sipdp_memnet_advance(net, T0 + 1 * SEC);
	CU_ASSERT_EQUAL(peer_resends_request(), SIPDP_TSX_RX_ABSORBED);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 2);
	CU_ASSERT_EQUAL(sipdp_memnet_nth_from(net, 0, 1)->at_us, T0 + 1 * SEC);
	CU_ASSERT_TRUE(sipdp_memnet_starts(sipdp_memnet_nth_from(net, 0, 1), "SIP/2.0 200"));
	CU_ASSERT_EQUAL(sipdp_tsx_respond(ep->tsx, h, 200, rbuf, 10, net->now_us), -EINVAL);
	sipdp_memnet_advance(net, T0 + 40 * SEC);
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TERMINATED), 32 * SEC);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 2); /* no timer resends */
	CU_ASSERT_EQUAL(sipdp_tsx_chunks_in_use(ep->tsx), 0);
	teardown();

	setup(true);
	h = server_start("BYE", "z9hG4bKj2");
	respond(h, 200);
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TERMINATED), 0);
	CU_ASSERT_EQUAL(sipdp_tsx_count(ep->tsx), 0);
	CU_ASSERT_EQUAL(sipdp_tsx_chunks_in_use(ep->tsx), 0);
	teardown();
}

static void
test_timers_follow_configured_t1_t2_t4(void)
{
	static const uint64_t a[] = { 0, 100, 300, 700, 1500, 3100, 6300 };
	static const uint64_t e[] = { 0, 100, 300, 700, 1100, 1500, 1900, 2300, 2700, 3100, 3500,
				      3900, 4300, 4700, 5100, 5500, 5900, 6300 };

	setup_p(false, 100, 400, 1000, false);
	client_start("INVITE", false);
	sipdp_memnet_advance(net, T0 + 10 * SEC);
	assert_send_times(a, SIPDP_ARRAY_SIZE(a));
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TIMEOUT), 6400 * MS);
	teardown();

	setup_p(false, 100, 400, 1000, false);
	client_start("OPTIONS", false);
	sipdp_memnet_advance(net, T0 + 10 * SEC);
	assert_send_times(e, SIPDP_ARRAY_SIZE(e));
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TIMEOUT), 6400 * MS);
	teardown();

	/* K = T4 = 1 s */
	setup_p(false, 100, 400, 1000, false);
	client_start("OPTIONS", false);
	CU_ASSERT_EQUAL(peer_responds(200, "k"), SIPDP_TSX_RX_MATCHED);
	sipdp_memnet_advance(net, T0 + 10 * SEC);
	CU_ASSERT_EQUAL(ev_at(SIPDP_TSX_EV_TERMINATED), 1000 * MS);
	teardown();
}

static void
test_ist_auto_trying_sends_100_before_the_tu_sees_the_invite(void)
{
	setup_p(false, 0, 0, 0, true);
	server_start("INVITE", "z9hG4bKt1");
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 1);
	CU_ASSERT_TRUE(sipdp_memnet_starts(sipdp_memnet_nth_from(net, 0, 0), "SIP/2.0 100"));
	/* the retransmitted INVITE gets the 100 again */
	CU_ASSERT_EQUAL(peer_resends_request(), SIPDP_TSX_RX_ABSORBED);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 2);
	/* not for non-INVITE */
	server_start("OPTIONS", "z9hG4bKt2");
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 2);
	teardown();
}

static void
test_record_is_small(void)
{
	setup(false);
	printf("\n  sizeof(struct tsx) = %zu, bytes per transaction (all tables) = %zu\n",
	       sipdp_tsx_record_size(), sipdp_tsx_bytes_per_tsx(ep->tsx));
	CU_ASSERT_TRUE(sipdp_tsx_record_size() <= 256);
	CU_ASSERT_TRUE(sipdp_tsx_bytes_per_tsx(ep->tsx) < 1024);
	CU_ASSERT_EQUAL(sizeof(struct sipdp_tsx_dest), 32);
	teardown();
}

static struct sipdp_test_case cases[] = {
	{ "ict_timer_a_doubles_and_timer_b_fires_at_32s", test_ict_timer_a_doubles_and_timer_b_fires_at_32s },
	{ "ict_reliable_sends_once_and_keeps_timer_b", test_ict_reliable_sends_once_and_keeps_timer_b },
	{ "nict_timer_e_caps_at_t2_and_timer_f_fires_at_32s", test_nict_timer_e_caps_at_t2_and_timer_f_fires_at_32s },
	{ "nict_timer_e_is_t2_in_proceeding", test_nict_timer_e_is_t2_in_proceeding },
	{ "nict_completed_waits_t4_unreliable_and_zero_reliable", test_nict_completed_waits_t4_unreliable_and_zero_reliable },
	{ "ict_non2xx_is_acked_by_the_transaction_and_timer_d_is_32s", test_ict_non2xx_is_acked_by_the_transaction_and_timer_d_is_32s },
	{ "ict_reliable_non2xx_terminates_at_once", test_ict_reliable_non2xx_terminates_at_once },
	{ "ict_2xx_enters_accepted_and_passes_retransmissions", test_ict_2xx_enters_accepted_and_passes_retransmissions },
	{ "ist_timer_g_caps_at_t2_and_timer_h_fires_at_32s", test_ist_timer_g_caps_at_t2_and_timer_h_fires_at_32s },
	{ "ist_ack_confirms_and_timer_i_is_t4", test_ist_ack_confirms_and_timer_i_is_t4 },
	{ "ist_2xx_enters_accepted_for_timer_l", test_ist_2xx_enters_accepted_for_timer_l },
	{ "nist_timer_j_is_64t1_unreliable_and_zero_reliable", test_nist_timer_j_is_64t1_unreliable_and_zero_reliable },
	{ "timers_follow_configured_t1_t2_t4", test_timers_follow_configured_t1_t2_t4 },
	{ "ist_auto_trying_sends_100_before_the_tu_sees_the_invite", test_ist_auto_trying_sends_100_before_the_tu_sees_the_invite },
	{ "record_is_small", test_record_is_small },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("tsx_timers", cases);
}
