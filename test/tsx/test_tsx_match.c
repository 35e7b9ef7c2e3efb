/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tsx matching and admission, with an in-memory transport
 * (test/common/sipdp_memnet.h) and a fake clock.
 *
 *  our_branch_matches_in_o1_and_forgeries_are_rejected
 *      §17.1.3 + our branch format: a response reaches its client
 *      transaction by decoding the branch; a wrong check value, uppercase
 *      hex, a wrong length, another shard (-EXDEV), a foreign branch, a
 *      CSeq number or method that differs, a stale generation: all stray.
 *  request_retransmissions_get_the_last_response
 *      §17.2.2: NIST Proceeding re-sends the last 1xx; Trying discards.
 *  ack_for_2xx_goes_to_the_tu_without_a_transaction
 *      §17.2.3 / RFC 6026 §8.8: an ACK with a new branch matches no
 *      transaction and is raised as an ACK event; ACK for a non-2xx is
 *      absorbed by the IST (see test_tsx_timers for Confirmed).
 *  cancel_is_matched_to_its_invite
 *      §9.2: CANCEL with the INVITE's branch and sent-by names the IST;
 *      unknown branch or other sent-by: no target (TU answers 481).
 *  sent_by_is_part_of_the_server_key
 *      §17.2.3: same branch from another sent-by is another transaction.
 *  rfc2543_requests_match_without_the_cookie
 *      §17.2.3: Request-URI, From tag, Call-ID, CSeq, top Via (+ To tag):
 *      retransmission absorbed, ACK confirms, CANCEL finds its INVITE,
 *      another CSeq is a new transaction.
 *  merged_request_is_answered_482
 *      §8.2.2.2: same From tag, Call-ID, CSeq, no To tag, other branch.
 *  shedding_refuses_only_new_dialog_creating_requests
 *      overload: new INVITE/SUBSCRIBE/REFER get 503 + Retry-After before any
 *      transaction; retransmissions, in-dialog requests, OPTIONS never.
 *  full_table_answers_503_with_retry_after
 *      fixed-size tables: 503 + Retry-After, counter, recovery after a free.
 *  client_cancel_matches_its_own_responses_even_after_the_invite_ends
 *      §9.1: CANCEL shares the INVITE's branch; only after a 1xx; its
 *      responses reach it even when the ICT has already terminated.
 *  transport_error_terminates_the_transaction
 *      §17.1.4 / §17.2.4: send failure -> TRANSPORT_ERROR then TERMINATED.
 *  uac_and_uas_survive_loss_duplication_and_reordering
 *      two tables over a lossy wire: lost INVITE retransmitted by Timer A,
 *      duplicated and reordered 180/200: Accepted once, 2xx retransmission
 *      flagged, late 1xx stray; lost 200 to OPTIONS recovered by Timer E
 *      and the NIST's Completed re-send; the UAS responds from inside the
 *      REQUEST event (re-entrancy).
 *  stateless_branch_is_ours_but_matches_nothing
 *      ACK-for-2xx branches: our format, unique, never a transaction.
 */
#include <errno.h>

#include "sipdp_test.h"
#include "tsx_test_util.h"

static struct sipdp_memnet *net;
static struct sipdp_memnet_ep *ep;
static char buf[4096], rbuf[4096];

static void
setup_cap(uint32_t cap, bool reliable)
{
	struct sipdp_tsx_params p;

	net = sipdp_memnet_new(5 * SEC);
	sipdp_memnet_params(net, &p, cap);
	ep = sipdp_memnet_add_ep(net, &p, reliable);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ep);
}

static void
teardown(void)
{
	sipdp_memnet_free(net);
	net = NULL;
}

static sipdp_handle_t
client_start(const char *method, uint32_t cseq, char *branch, bool reliable)
{
	sipdp_handle_t h;
	enum sipdp_method m = sipdp_method_lookup(method, (uint32_t)strlen(method));
	struct sipdp_tsx_dest d = sipdp_memnet_dest(1, reliable);

	CU_ASSERT_EQUAL_FATAL(sipdp_tsx_client_alloc(ep->tsx, m, cseq, 1, branch, &h), 0);
	int len = tt_our_request(buf, sizeof(buf), method, branch, cseq);
	CU_ASSERT_EQUAL_FATAL(sipdp_tsx_client_send(ep->tsx, h, buf, (uint32_t)len, &d, net->now_us), 0);
	return h;
}

static int
inject_request(const char *method, const char *branch, const char *sent_by, uint32_t cseq,
	       const char *from_tag, const char *to_tag)
{
	int len = tt_request(buf, sizeof(buf), method, "sip:bob@example.com", branch, sent_by, cseq,
			     method, from_tag, to_tag, "merge-call@198.51.100.7");
	return tt_recv(ep, 1, buf, len);
}

static sipdp_handle_t
last_request(void)
{
	const struct sipdp_memnet_ev *e = sipdp_memnet_ev_last(ep, SIPDP_TSX_EV_REQUEST);
	return e ? e->tsx : SIPDP_HANDLE_INVALID;
}

static void
replace(char *s, const char *from, const char *to)
{
	char *p = strstr(s, from);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL_FATAL(strlen(from), strlen(to));
	memcpy(p, to, strlen(to));
}

/* ------------------------------------------------------------------ */

static void
test_our_branch_matches_in_o1_and_forgeries_are_rejected(void)
{
	char br[SIPDP_TSX_BRANCH_LEN + 1] = { 0 }, bad[SIPDP_TSX_BRANCH_LEN + 1];
	const struct sipdp_memnet_pkt *req;
	uint16_t shard = 99;
	int len;

	setup_cap(8, true);
	client_start("OPTIONS", 7, br, true);
	req = sipdp_memnet_nth_from(net, 0, 0);
	CU_ASSERT_EQUAL(sipdp_tsx_branch_shard(sipdp_str_make(br, SIPDP_TSX_BRANCH_LEN), &shard), 0);
	CU_ASSERT_EQUAL(shard, 0);

	/* wrong check value (last digit) */
	len = tt_response_to(rbuf, sizeof(rbuf), req, 100, NULL);
	memcpy(bad, br, sizeof(bad));
	bad[SIPDP_TSX_BRANCH_LEN - 1] = bad[SIPDP_TSX_BRANCH_LEN - 1] == '0' ? '1' : '0';
	replace(rbuf, br, bad);
	CU_ASSERT_EQUAL(tt_recv(ep, 1, rbuf, len), SIPDP_TSX_RX_STRAY);
	CU_ASSERT_EQUAL(sipdp_tsx_stats(ep->tsx)->bad_branch, 1);

	/* uppercase hex is not our spelling */
	len = tt_response_to(rbuf, sizeof(rbuf), req, 100, NULL);
	memcpy(bad, br, sizeof(bad));
	for (int i = 9; i < (int)SIPDP_TSX_BRANCH_LEN; i++)
		if (bad[i] >= 'a' && bad[i] <= 'f') {
			bad[i] = (char)(bad[i] - 32);
			break;
		}
	if (strcmp(bad, br) != 0) {
		replace(rbuf, br, bad);
		CU_ASSERT_EQUAL(tt_recv(ep, 1, rbuf, len), SIPDP_TSX_RX_STRAY);
		CU_ASSERT_EQUAL(sipdp_tsx_stats(ep->tsx)->bad_branch, 2);
	}

	/* another shard: routed elsewhere, not validated here */
	len = tt_response_to(rbuf, sizeof(rbuf), req, 100, NULL);
	memcpy(bad, br, sizeof(bad));
	memcpy(bad + 9, "0001", 4);
	replace(rbuf, br, bad);
	CU_ASSERT_EQUAL(tt_recv(ep, 1, rbuf, len), -EXDEV);
	CU_ASSERT_EQUAL(sipdp_tsx_branch_shard(sipdp_str_make(bad, SIPDP_TSX_BRANCH_LEN), &shard), 0);
	CU_ASSERT_EQUAL(shard, 1);

	/* wrong length, same prefix */
	{
		char lng[256];
		len = tt_response_to(rbuf, sizeof(rbuf), req, 100, NULL);
		char *p = strstr(rbuf, br);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		snprintf(lng, sizeof(lng), "%.*s0%s", (int)(p - rbuf) + (int)SIPDP_TSX_BRANCH_LEN, rbuf,
			 p + SIPDP_TSX_BRANCH_LEN);
		len = (int)strlen(lng);
		CU_ASSERT_EQUAL(tt_recv(ep, 1, lng, len), SIPDP_TSX_RX_STRAY);
		CU_ASSERT_EQUAL(sipdp_tsx_stats(ep->tsx)->bad_branch, 3);
	}

	/* CSeq number and method must match too */
	len = tt_response_to(rbuf, sizeof(rbuf), req, 100, NULL);
	replace(rbuf, "CSeq: 7 OPTIONS", "CSeq: 8 OPTIONS");
	CU_ASSERT_EQUAL(tt_recv(ep, 1, rbuf, len), SIPDP_TSX_RX_STRAY);
	len = tt_response_to(rbuf, sizeof(rbuf), req, 100, NULL);
	replace(rbuf, "CSeq: 7 OPTIONS", "CSeq: 7 REFER  ");
	CU_ASSERT_EQUAL(tt_recv(ep, 1, rbuf, len), SIPDP_TSX_RX_STRAY);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(ep, SIPDP_TSX_EV_RESPONSE), 0);

	/* a foreign branch is stray, not forged */
	len = tt_request(rbuf, sizeof(rbuf), "OPTIONS", "sip:x@example.com", "z9hG4bKforeign", "h:1", 7,
			 "OPTIONS", "a", NULL, "c");
	len = tt_response_to(buf, sizeof(buf), &(struct sipdp_memnet_pkt){ .data = rbuf, .len = (uint32_t)len },
			     200, "t");
	CU_ASSERT_EQUAL(tt_recv(ep, 1, buf, len), SIPDP_TSX_RX_STRAY);
	CU_ASSERT_EQUAL(sipdp_tsx_stats(ep->tsx)->bad_branch, 3);

	/* the genuine response matches; the final terminates (reliable) */
	len = tt_response_to(rbuf, sizeof(rbuf), req, 200, "t");
	CU_ASSERT_EQUAL(tt_recv(ep, 1, rbuf, len), SIPDP_TSX_RX_MATCHED);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_last(ep, SIPDP_TSX_EV_RESPONSE)->status, 200);
	CU_ASSERT_EQUAL(sipdp_tsx_count(ep->tsx), 0);

	/* stale: the slot is reused by a new transaction; the old branch
	 * (valid check value, old generation) must not reach it */
	{
		char br2[SIPDP_TSX_BRANCH_LEN + 1] = { 0 };
		client_start("OPTIONS", 7, br2, true);
		CU_ASSERT_NOT_EQUAL(strcmp(br, br2), 0);
		CU_ASSERT_EQUAL(memcmp(br + 9, br2 + 9, 12), 0); /* same shard and slot */
		CU_ASSERT_EQUAL(tt_recv(ep, 1, rbuf, len), SIPDP_TSX_RX_STRAY);
		CU_ASSERT_EQUAL(sipdp_memnet_ev_count(ep, SIPDP_TSX_EV_RESPONSE), 1);
		CU_ASSERT_EQUAL(sipdp_tsx_count(ep->tsx), 1);
	}
	teardown();
}

static void
test_request_retransmissions_get_the_last_response(void)
{
	sipdp_handle_t h;
	static struct sipdp_msg m;
	int len;

	setup_cap(8, false);
	CU_ASSERT_EQUAL(inject_request("SUBSCRIBE", "z9hG4bKr1", "198.51.100.7", 3, "f1", NULL),
			SIPDP_TSX_RX_NEW);
	h = last_request();
	CU_ASSERT_EQUAL(inject_request("SUBSCRIBE", "z9hG4bKr1", "198.51.100.7", 3, "f1", NULL),
			SIPDP_TSX_RX_ABSORBED);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 0); /* Trying: discarded */
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(ep, SIPDP_TSX_EV_REQUEST), 1);
	CU_ASSERT_FATAL(sipdp_msg_parse(&m, buf, strlen(buf), 0) > 0);
	len = sipdp_build_response_simple(rbuf, sizeof(rbuf), &m, 183, SIPDP_STR("u"), SIPDP_STR_NULL);
	CU_ASSERT_EQUAL(sipdp_tsx_respond(ep->tsx, h, 183, rbuf, (uint32_t)len, net->now_us), 0);
	CU_ASSERT_EQUAL(inject_request("SUBSCRIBE", "z9hG4bKr1", "198.51.100.7", 3, "f1", NULL),
			SIPDP_TSX_RX_ABSORBED);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 2);
	CU_ASSERT_TRUE(sipdp_memnet_starts(sipdp_memnet_nth_from(net, 0, 1), "SIP/2.0 183"));
	CU_ASSERT_EQUAL(sipdp_tsx_stats(ep->tsx)->absorbed, 2);
	teardown();
}

static void
test_ack_for_2xx_goes_to_the_tu_without_a_transaction(void)
{
	const struct sipdp_memnet_ev *e;

	setup_cap(8, false);
	CU_ASSERT_EQUAL(inject_request("ACK", "z9hG4bKack2xx", "198.51.100.7", 1, "f", "t"),
			SIPDP_TSX_RX_TO_TU);
	e = sipdp_memnet_ev_last(ep, SIPDP_TSX_EV_ACK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->tsx, SIPDP_HANDLE_INVALID);
	CU_ASSERT_EQUAL(e->method, SIPDP_METHOD_ACK);
	CU_ASSERT_EQUAL(sipdp_tsx_count(ep->tsx), 0);
	CU_ASSERT_EQUAL(sipdp_tsx_stats(ep->tsx)->stray_acks, 1);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 0); /* never answered */
	teardown();
}

static void
test_cancel_is_matched_to_its_invite(void)
{
	sipdp_handle_t inv;
	const struct sipdp_memnet_ev *e;

	setup_cap(8, false);
	CU_ASSERT_EQUAL(inject_request("INVITE", "z9hG4bKc1", "198.51.100.7:5060", 1, "f", NULL),
			SIPDP_TSX_RX_NEW);
	inv = last_request();
	CU_ASSERT_EQUAL(inject_request("CANCEL", "z9hG4bKc1", "198.51.100.7:5060", 1, "f", NULL),
			SIPDP_TSX_RX_NEW);
	e = sipdp_memnet_ev_last(ep, SIPDP_TSX_EV_REQUEST);
	CU_ASSERT_EQUAL(e->method, SIPDP_METHOD_CANCEL);
	CU_ASSERT_EQUAL(e->kind, SIPDP_TSX_NIST);
	CU_ASSERT_EQUAL(e->cancel_target, inv);
	CU_ASSERT_NOT_EQUAL(e->tsx, inv);
	/* its retransmission is the CANCEL's own */
	CU_ASSERT_EQUAL(inject_request("CANCEL", "z9hG4bKc1", "198.51.100.7:5060", 1, "f", NULL),
			SIPDP_TSX_RX_ABSORBED);
	/* unknown branch, or the right branch from another sent-by: none */
	CU_ASSERT_EQUAL(inject_request("CANCEL", "z9hG4bKc2", "198.51.100.7:5060", 1, "g", NULL),
			SIPDP_TSX_RX_NEW);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_last(ep, SIPDP_TSX_EV_REQUEST)->cancel_target, SIPDP_HANDLE_INVALID);
	CU_ASSERT_EQUAL(inject_request("CANCEL", "z9hG4bKc1", "198.51.100.8:5060", 1, "h", NULL),
			SIPDP_TSX_RX_NEW);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_last(ep, SIPDP_TSX_EV_REQUEST)->cancel_target, SIPDP_HANDLE_INVALID);
	/* sent-by hosts compare case-insensitively */
	CU_ASSERT_EQUAL(inject_request("CANCEL", "z9hG4bKc1", "198.51.100.7:5060", 1, "f", NULL),
			SIPDP_TSX_RX_ABSORBED);
	teardown();
}

static void
test_sent_by_is_part_of_the_server_key(void)
{
	setup_cap(8, false);
	CU_ASSERT_EQUAL(inject_request("INVITE", "z9hG4bKsb", "a.example.com:5060", 1, "f1", NULL),
			SIPDP_TSX_RX_NEW);
	CU_ASSERT_EQUAL(inject_request("INVITE", "z9hG4bKsb", "A.EXAMPLE.com:5060", 1, "f1", NULL),
			SIPDP_TSX_RX_ABSORBED);
	CU_ASSERT_EQUAL(inject_request("INVITE", "z9hG4bKsb", "b.example.com:5060", 1, "f2", NULL),
			SIPDP_TSX_RX_NEW);
	CU_ASSERT_EQUAL(inject_request("INVITE", "z9hG4bKsb", "a.example.com:5070", 1, "f3", NULL),
			SIPDP_TSX_RX_NEW);
	/* and the method: an OPTIONS with the INVITE's branch is its own */
	CU_ASSERT_EQUAL(inject_request("OPTIONS", "z9hG4bKsb", "a.example.com:5060", 1, "f4", NULL),
			SIPDP_TSX_RX_NEW);
	CU_ASSERT_EQUAL(sipdp_tsx_count(ep->tsx), 4);
	teardown();
}

static void
test_rfc2543_requests_match_without_the_cookie(void)
{
	sipdp_handle_t inv;
	static struct sipdp_msg m;
	int len;

	setup_cap(8, false);
	CU_ASSERT_EQUAL(inject_request("INVITE", NULL, "old.example.com", 4, "f", NULL), SIPDP_TSX_RX_NEW);
	inv = last_request();
	CU_ASSERT_EQUAL(inject_request("INVITE", NULL, "old.example.com", 4, "f", NULL),
			SIPDP_TSX_RX_ABSORBED);
	/* a branch without the cookie is RFC 2543 too */
	CU_ASSERT_EQUAL(inject_request("INVITE", "oldbranch1", "old.example.com", 9, "f", NULL),
			SIPDP_TSX_RX_NEW);
	CU_ASSERT_EQUAL(inject_request("INVITE", "oldbranch1", "old.example.com", 9, "f", NULL),
			SIPDP_TSX_RX_ABSORBED);
	/* CANCEL finds it by the same fields */
	CU_ASSERT_EQUAL(inject_request("CANCEL", NULL, "old.example.com", 4, "f", NULL), SIPDP_TSX_RX_NEW);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_last(ep, SIPDP_TSX_EV_REQUEST)->cancel_target, inv);
	/* final, then the ACK (with our To tag) confirms the IST */
	inject_request("INVITE", NULL, "old.example.com", 4, "f", NULL);
	CU_ASSERT_FATAL(sipdp_msg_parse(&m, buf, strlen(buf), 0) > 0);
	len = sipdp_build_response_simple(rbuf, sizeof(rbuf), &m, 487, SIPDP_STR("uas"), SIPDP_STR_NULL);
	CU_ASSERT_EQUAL(sipdp_tsx_respond(ep->tsx, inv, 487, rbuf, (uint32_t)len, net->now_us), 0);
	CU_ASSERT_EQUAL(inject_request("ACK", NULL, "old.example.com", 4, "f", "uas"), SIPDP_TSX_RX_MATCHED);
	{
		struct sipdp_tsx_info info;
		CU_ASSERT_EQUAL(sipdp_tsx_info(ep->tsx, inv, &info), 0);
		CU_ASSERT_EQUAL(info.state, SIPDP_TSX_S_CONFIRMED);
	}
	/* another CSeq is another transaction */
	CU_ASSERT_EQUAL(inject_request("INVITE", NULL, "old.example.com", 5, "f", NULL), SIPDP_TSX_RX_NEW);
	/* another top Via too (and another From tag, not to look merged) */
	CU_ASSERT_EQUAL(inject_request("INVITE", NULL, "other.example.com", 4, "g", NULL), SIPDP_TSX_RX_NEW);
	CU_ASSERT_EQUAL(sipdp_tsx_stats(ep->tsx)->stray_acks, 0);
	teardown();
}

static void
test_merged_request_is_answered_482(void)
{
	const struct sipdp_memnet_pkt *pk;
	static struct sipdp_msg m;
	struct sipdp_nameaddr to;

	setup_cap(8, false);
	CU_ASSERT_EQUAL(inject_request("INVITE", "z9hG4bKm1", "p1.example.com", 1, "ft", NULL),
			SIPDP_TSX_RX_NEW);
	/* the same request forked back to us through another proxy */
	CU_ASSERT_EQUAL(inject_request("INVITE", "z9hG4bKm2", "p2.example.com", 1, "ft", NULL),
			SIPDP_TSX_RX_REJECTED);
	pk = sipdp_memnet_last(net);
	CU_ASSERT_TRUE(sipdp_memnet_starts(pk, "SIP/2.0 482"));
	CU_ASSERT_FATAL(sipdp_msg_parse(&m, pk->data, pk->len, 0) > 0);
	CU_ASSERT_EQUAL(sipdp_msg_to(&m, &to), 0);
	CU_ASSERT_TRUE(sipdp_str_present(to.tag) && to.tag.len > 0);
	CU_ASSERT_EQUAL(sipdp_tsx_stats(ep->tsx)->merged_482, 1);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(ep, SIPDP_TSX_EV_REQUEST), 1);
	CU_ASSERT_EQUAL(sipdp_tsx_count(ep->tsx), 1);
	/* not merged: in-dialog (To tag), another CSeq, another From tag */
	CU_ASSERT_EQUAL(inject_request("INVITE", "z9hG4bKm3", "p2.example.com", 1, "ft", "tt"),
			SIPDP_TSX_RX_NEW);
	CU_ASSERT_EQUAL(inject_request("INVITE", "z9hG4bKm4", "p2.example.com", 2, "ft", NULL),
			SIPDP_TSX_RX_NEW);
	CU_ASSERT_EQUAL(inject_request("INVITE", "z9hG4bKm5", "p2.example.com", 1, "fu", NULL),
			SIPDP_TSX_RX_NEW);
	CU_ASSERT_EQUAL(sipdp_tsx_stats(ep->tsx)->merged_482, 1);
	teardown();
}

static void
test_full_table_answers_503_with_retry_after(void)
{
	char br[SIPDP_TSX_BRANCH_LEN];
	sipdp_handle_t h, h1;
	const struct sipdp_memnet_pkt *pk;
	static struct sipdp_msg m;
	int len;

	setup_cap(2, true);
	CU_ASSERT_EQUAL(inject_request("MESSAGE", "z9hG4bKf1", "198.51.100.7", 1, "a", NULL),
			SIPDP_TSX_RX_NEW);
	h1 = last_request();
	CU_ASSERT_EQUAL(inject_request("MESSAGE", "z9hG4bKf2", "198.51.100.7", 1, "b", NULL),
			SIPDP_TSX_RX_NEW);
	CU_ASSERT_EQUAL(inject_request("MESSAGE", "z9hG4bKf3", "198.51.100.7", 1, "c", NULL),
			SIPDP_TSX_RX_REJECTED);
	pk = sipdp_memnet_last(net);
	CU_ASSERT_TRUE(sipdp_memnet_starts(pk, "SIP/2.0 503"));
	CU_ASSERT_FATAL(sipdp_msg_parse(&m, pk->data, pk->len, 0) > 0);
	CU_ASSERT_TRUE(sipdp_str_eq(sipdp_msg_hdr_value(&m, SIPDP_HDR_RETRY_AFTER), SIPDP_STR("5")));
	CU_ASSERT_EQUAL(sipdp_tsx_stats(ep->tsx)->full_503, 1);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(ep, SIPDP_TSX_EV_REQUEST), 2);
	/* the client side says so without sending */
	CU_ASSERT_EQUAL(sipdp_tsx_client_alloc(ep->tsx, SIPDP_METHOD_OPTIONS, 1, 0, br, &h), -ENOSPC);
	/* retransmissions of admitted requests still match */
	CU_ASSERT_EQUAL(inject_request("MESSAGE", "z9hG4bKf2", "198.51.100.7", 1, "b", NULL),
			SIPDP_TSX_RX_ABSORBED);
	/* a final over TCP ends the NIST at once: room again */
	CU_ASSERT_EQUAL(inject_request("MESSAGE", "z9hG4bKf1", "198.51.100.7", 1, "a", NULL),
			SIPDP_TSX_RX_ABSORBED);
	CU_ASSERT_FATAL(sipdp_msg_parse(&m, buf, strlen(buf), 0) > 0);
	len = sipdp_build_response_simple(rbuf, sizeof(rbuf), &m, 200, SIPDP_STR("x"), SIPDP_STR_NULL);
	CU_ASSERT_EQUAL(sipdp_tsx_respond(ep->tsx, h1, 200, rbuf, (uint32_t)len, net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_tsx_respond(ep->tsx, h1, 200, rbuf, (uint32_t)len, net->now_us), -ENOENT);
	CU_ASSERT_EQUAL(inject_request("MESSAGE", "z9hG4bKf3", "198.51.100.7", 1, "c", NULL),
			SIPDP_TSX_RX_NEW);
	CU_ASSERT_EQUAL(sipdp_tsx_stats(ep->tsx)->full_503, 1);
	teardown();
}

static void
test_shedding_refuses_only_new_dialog_creating_requests(void)
{
	const struct sipdp_memnet_pkt *pk;
	static struct sipdp_msg m;

	setup_cap(16, false);
	/* Taken before the overload: its retransmission must still match. */
	CU_ASSERT_EQUAL(inject_request("INVITE", "z9hG4bKs1", "198.51.100.7", 1, "a", NULL),
			SIPDP_TSX_RX_NEW);
	sipdp_tsx_set_shedding(ep->tsx, 100);
	CU_ASSERT_EQUAL(sipdp_tsx_shedding(ep->tsx), 100);
	CU_ASSERT_EQUAL(inject_request("INVITE", "z9hG4bKs2", "198.51.100.7", 1, "b", NULL),
			SIPDP_TSX_RX_REJECTED);
	pk = sipdp_memnet_last(net);
	CU_ASSERT_TRUE(sipdp_memnet_starts(pk, "SIP/2.0 503"));
	CU_ASSERT_FATAL(sipdp_msg_parse(&m, pk->data, pk->len, 0) > 0);
	CU_ASSERT_TRUE(sipdp_str_eq(sipdp_msg_hdr_value(&m, SIPDP_HDR_RETRY_AFTER), SIPDP_STR("5")));
	CU_ASSERT_EQUAL(inject_request("SUBSCRIBE", "z9hG4bKs3", "198.51.100.7", 1, "c", NULL),
			SIPDP_TSX_RX_REJECTED);
	CU_ASSERT_EQUAL(inject_request("REFER", "z9hG4bKs4", "198.51.100.7", 1, "d", NULL),
			SIPDP_TSX_RX_REJECTED);
	CU_ASSERT_EQUAL(sipdp_tsx_stats(ep->tsx)->shed_503, 3);
	/* Never shed: a retransmission of a taken INVITE, a request inside a
	 * dialog, an out-of-dialog OPTIONS (probes), a BYE. */
	CU_ASSERT_EQUAL(inject_request("INVITE", "z9hG4bKs1", "198.51.100.7", 1, "a", NULL),
			SIPDP_TSX_RX_ABSORBED);
	CU_ASSERT_EQUAL(inject_request("INVITE", "z9hG4bKs5", "198.51.100.7", 2, "e", "tt"),
			SIPDP_TSX_RX_NEW);
	CU_ASSERT_EQUAL(inject_request("OPTIONS", "z9hG4bKs6", "198.51.100.7", 1, "f", NULL),
			SIPDP_TSX_RX_NEW);
	CU_ASSERT_EQUAL(inject_request("BYE", "z9hG4bKs7", "198.51.100.7", 3, "e", "tt"),
			SIPDP_TSX_RX_NEW);
	CU_ASSERT_EQUAL(sipdp_tsx_stats(ep->tsx)->shed_503, 3);
	CU_ASSERT_EQUAL(sipdp_tsx_stats(ep->tsx)->full_503, 0);
	/* Over: new INVITEs are taken again. */
	sipdp_tsx_set_shedding(ep->tsx, 0);
	CU_ASSERT_EQUAL(inject_request("INVITE", "z9hG4bKs8", "198.51.100.7", 1, "g", NULL),
			SIPDP_TSX_RX_NEW);
	teardown();
}

/* A share: about that many of the new INVITEs are shed, each drawn on its
 * own; the draws are deterministic (xorshift), the bounds generous. */
static void
test_shedding_a_share_of_new_invites(void)
{
	uint32_t taken = 0, shed = 0;
	char br[32], tag[16];

	setup_cap(256, false);
	sipdp_tsx_set_shedding(ep->tsx, 50);
	for (int i = 0; i < 200; i++) {
		int rc;

		snprintf(br, sizeof(br), "z9hG4bKh%d", i);
		snprintf(tag, sizeof(tag), "t%d", i);
		rc = inject_request("INVITE", br, "198.51.100.7", 1, tag, NULL);
		taken += rc == SIPDP_TSX_RX_NEW;
		shed += rc == SIPDP_TSX_RX_REJECTED;
	}
	CU_ASSERT_EQUAL(taken + shed, 200);
	CU_ASSERT(shed >= 60 && shed <= 140);
	CU_ASSERT_EQUAL(sipdp_tsx_stats(ep->tsx)->shed_503, shed);
	teardown();
}

static void
test_client_cancel_matches_its_own_responses_even_after_the_invite_ends(void)
{
	char br[SIPDP_TSX_BRANCH_LEN + 1] = { 0 }, cbr[SIPDP_TSX_BRANCH_LEN + 1] = { 0 };
	sipdp_handle_t inv, can;
	const struct sipdp_memnet_pkt *invite_pk, *cancel_pk;
	struct sipdp_tsx_dest d = sipdp_memnet_dest(1, true);
	const struct sipdp_memnet_ev *e;
	int len;

	setup_cap(8, true);
	inv = client_start("INVITE", 1, br, true);
	invite_pk = sipdp_memnet_nth_from(net, 0, 0);
	/* §9.1: not before a provisional */
	CU_ASSERT_EQUAL(sipdp_tsx_cancel_alloc(ep->tsx, inv, 2, cbr, &can), -EAGAIN);
	len = tt_response_to(rbuf, sizeof(rbuf), invite_pk, 180, "callee");
	CU_ASSERT_EQUAL(tt_recv(ep, 1, rbuf, len), SIPDP_TSX_RX_MATCHED);
	CU_ASSERT_EQUAL(sipdp_tsx_cancel_alloc(ep->tsx, inv, 2, cbr, &can), 0);
	CU_ASSERT_EQUAL(memcmp(br, cbr, SIPDP_TSX_BRANCH_LEN), 0);
	CU_ASSERT_EQUAL(sipdp_tsx_cancel_alloc(ep->tsx, inv, 2, cbr, &can), -EALREADY);
	len = tt_our_request(buf, sizeof(buf), "CANCEL", cbr, 1);
	CU_ASSERT_EQUAL(sipdp_tsx_client_send(ep->tsx, can, buf, (uint32_t)len, &d, net->now_us), 0);
	cancel_pk = sipdp_memnet_nth_from(net, 0, 1);
	/* 487 first: the ICT ends (reliable: D = 0) */
	len = tt_response_to(rbuf, sizeof(rbuf), invite_pk, 487, "callee");
	CU_ASSERT_EQUAL(tt_recv(ep, 1, rbuf, len), SIPDP_TSX_RX_MATCHED);
	CU_ASSERT_EQUAL(sipdp_tsx_info(ep->tsx, inv, &(struct sipdp_tsx_info){ 0 }), -ENOENT);
	e = sipdp_memnet_ev_last(ep, SIPDP_TSX_EV_TERMINATED);
	CU_ASSERT_EQUAL(e->tsx, inv);
	/* then the 200 to the CANCEL still reaches the CANCEL */
	len = tt_response_to(rbuf, sizeof(rbuf), cancel_pk, 200, "callee");
	CU_ASSERT_EQUAL(tt_recv(ep, 1, rbuf, len), SIPDP_TSX_RX_MATCHED);
	e = sipdp_memnet_ev_last(ep, SIPDP_TSX_EV_RESPONSE);
	CU_ASSERT_EQUAL(e->tsx, can);
	CU_ASSERT_EQUAL(e->method, SIPDP_METHOD_CANCEL);
	CU_ASSERT_EQUAL(e->user_ref, 2);
	CU_ASSERT_EQUAL(sipdp_tsx_count(ep->tsx), 0); /* both slots free */
	/* and now the INVITE's branch names nothing */
	CU_ASSERT_EQUAL(tt_recv(ep, 1, rbuf, len), SIPDP_TSX_RX_STRAY);
	teardown();
}

static void
test_transport_error_terminates_the_transaction(void)
{
	char br[SIPDP_TSX_BRANCH_LEN];
	sipdp_handle_t h;
	struct sipdp_tsx_dest d = sipdp_memnet_dest(1, false);
	int len;

	setup_cap(4, false);
	CU_ASSERT_EQUAL(sipdp_tsx_client_alloc(ep->tsx, SIPDP_METHOD_INVITE, 1, 5, br, &h), 0);
	len = tt_our_request(buf, sizeof(buf), "INVITE", br, 1);
	ep->fail_next = 1;
	CU_ASSERT_EQUAL(sipdp_tsx_client_send(ep->tsx, h, buf, (uint32_t)len, &d, net->now_us), -EIO);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(ep, SIPDP_TSX_EV_TRANSPORT_ERROR), 1);
	CU_ASSERT_EQUAL(ep->evs[ep->nevs - 1].type, SIPDP_TSX_EV_TERMINATED);
	CU_ASSERT_EQUAL(sipdp_tsx_count(ep->tsx), 0);
	CU_ASSERT_EQUAL(sipdp_tsx_chunks_in_use(ep->tsx), 0);

	/* a failing retransmission (Timer A) too */
	CU_ASSERT_EQUAL(sipdp_tsx_client_alloc(ep->tsx, SIPDP_METHOD_INVITE, 1, 5, br, &h), 0);
	len = tt_our_request(buf, sizeof(buf), "INVITE", br, 1);
	CU_ASSERT_EQUAL(sipdp_tsx_client_send(ep->tsx, h, buf, (uint32_t)len, &d, net->now_us), 0);
	ep->fail_next = 1;
	sipdp_memnet_advance(net, net->now_us + 600 * MS);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(ep, SIPDP_TSX_EV_TRANSPORT_ERROR), 2);
	CU_ASSERT_EQUAL(sipdp_tsx_count(ep->tsx), 0);
	CU_ASSERT_EQUAL(sipdp_tsx_stats(ep->tsx)->transport_errors, 2);
	teardown();
}

/* UAS reaction: answer INVITE with 180 + 200 and OPTIONS with 200 from
 * inside the REQUEST event. */
static void
uas_on_event(struct sipdp_memnet_ep *uas, const struct sipdp_tsx_event *ev)
{
	static char out[2048];
	int len;

	if (ev->type != SIPDP_TSX_EV_REQUEST)
		return;
	if (ev->msg->method == SIPDP_METHOD_INVITE) {
		len = sipdp_build_response_simple(out, sizeof(out), ev->msg, 180, SIPDP_STR("uas"),
						  SIPDP_STR_NULL);
		CU_ASSERT_EQUAL(sipdp_tsx_respond(uas->tsx, ev->tsx, 180, out, (uint32_t)len, uas->net->now_us), 0);
	}
	len = sipdp_build_response_simple(out, sizeof(out), ev->msg, 200, SIPDP_STR("uas"), SIPDP_STR_NULL);
	CU_ASSERT_EQUAL(sipdp_tsx_respond(uas->tsx, ev->tsx, 200, out, (uint32_t)len, uas->net->now_us), 0);
}

static void
test_uac_and_uas_survive_loss_duplication_and_reordering(void)
{
	struct sipdp_tsx_params p;
	struct sipdp_memnet_ep *uac, *uas;
	char br[SIPDP_TSX_BRANCH_LEN];
	sipdp_handle_t h;
	struct sipdp_tsx_dest d = sipdp_memnet_dest(1, false);
	struct sipdp_tsx_info info;
	int len;

	net = sipdp_memnet_new(0);
	sipdp_memnet_params(net, &p, 16);
	uac = sipdp_memnet_add_ep(net, &p, false);
	p.shard_id = 3;
	uas = sipdp_memnet_add_ep(net, &p, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(uas);
	uas->on_event = uas_on_event;

	/* INVITE lost once */
	CU_ASSERT_EQUAL(sipdp_tsx_client_alloc(uac->tsx, SIPDP_METHOD_INVITE, 1, 9, br, &h), 0);
	len = tt_our_request(buf, sizeof(buf), "INVITE", br, 1);
	uac->drop_next = 1;
	CU_ASSERT_EQUAL(sipdp_tsx_client_send(uac->tsx, h, buf, (uint32_t)len, &d, net->now_us), 0);
	CU_ASSERT_EQUAL(sipdp_memnet_deliver(net, 0), 0);
	sipdp_memnet_advance(net, 500 * MS); /* Timer A */
	uas->dup_next = 2;                   /* 180 and 200 both doubled */
	CU_ASSERT_EQUAL(sipdp_memnet_deliver(net, 0), 1);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(uas, SIPDP_TSX_EV_REQUEST), 1);
	/* delivered 200, 200, 180, 180 */
	CU_ASSERT_EQUAL(sipdp_memnet_deliver(net, SIPDP_MEMNET_REVERSE), 4);
	CU_ASSERT_EQUAL(sipdp_tsx_info(uac->tsx, h, &info), 0);
	CU_ASSERT_EQUAL(info.state, SIPDP_TSX_S_ACCEPTED);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(uac, SIPDP_TSX_EV_RESPONSE), 2);
	CU_ASSERT_FALSE(uac->evs[0].retransmission);
	CU_ASSERT_EQUAL(uac->evs[0].status, 200);
	CU_ASSERT_TRUE(uac->evs[1].retransmission);
	CU_ASSERT_EQUAL(sipdp_tsx_stats(uac->tsx)->stray_responses, 2);
	sipdp_memnet_advance(net, 40 * SEC);
	CU_ASSERT_EQUAL(sipdp_memnet_count_from(net, 0), 2); /* INVITE x2, no more */
	CU_ASSERT_EQUAL(sipdp_tsx_count(uac->tsx), 0);
	CU_ASSERT_EQUAL(sipdp_tsx_count(uas->tsx), 0);

	/* OPTIONS whose 200 is lost: Timer E, the NIST re-sends its final */
	CU_ASSERT_EQUAL(sipdp_tsx_client_alloc(uac->tsx, SIPDP_METHOD_OPTIONS, 2, 10, br, &h), 0);
	len = tt_our_request(buf, sizeof(buf), "OPTIONS", br, 2);
	CU_ASSERT_EQUAL(sipdp_tsx_client_send(uac->tsx, h, buf, (uint32_t)len, &d, net->now_us), 0);
	uas->drop_next = 1;
	CU_ASSERT_EQUAL(sipdp_memnet_deliver(net, 0), 1);   /* OPTIONS -> 200 lost */
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(uac, SIPDP_TSX_EV_RESPONSE), 2);
	sipdp_memnet_advance(net, 40 * SEC + 500 * MS);      /* Timer E */
	CU_ASSERT_EQUAL(sipdp_memnet_deliver(net, 0), 1);   /* retransmission -> 200 again */
	CU_ASSERT_EQUAL(uas->last_rx, SIPDP_TSX_RX_ABSORBED);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(uas, SIPDP_TSX_EV_REQUEST), 2);
	CU_ASSERT_EQUAL(sipdp_memnet_deliver(net, 0), 1);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_count(uac, SIPDP_TSX_EV_RESPONSE), 3);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_last(uac, SIPDP_TSX_EV_RESPONSE)->status, 200);
	CU_ASSERT_EQUAL(sipdp_memnet_ev_last(uac, SIPDP_TSX_EV_RESPONSE)->user_ref, 10);
	teardown();
}

static void
test_stateless_branch_is_ours_but_matches_nothing(void)
{
	char a[SIPDP_TSX_BRANCH_LEN + 1] = { 0 }, b[SIPDP_TSX_BRANCH_LEN + 1] = { 0 };
	uint16_t shard;

	setup_cap(4, false);
	sipdp_tsx_branch_stateless(ep->tsx, a);
	sipdp_tsx_branch_stateless(ep->tsx, b);
	CU_ASSERT_NOT_EQUAL(strcmp(a, b), 0);
	CU_ASSERT_EQUAL(sipdp_tsx_branch_shard(sipdp_str_make(a, SIPDP_TSX_BRANCH_LEN), &shard), 0);
	CU_ASSERT_EQUAL(sipdp_tsx_branch_shard(SIPDP_STR("z9hG4bK1234"), &shard), -EINVAL);
	{
		int len = tt_request(rbuf, sizeof(rbuf), "ACK", "sip:x@example.com", a, "192.0.2.1", 1,
				     "ACK", "t", "u", "c");
		len = tt_response_to(buf, sizeof(buf),
				     &(struct sipdp_memnet_pkt){ .data = rbuf, .len = (uint32_t)len }, 200, "u");
		CU_ASSERT_EQUAL(tt_recv(ep, 1, buf, len), SIPDP_TSX_RX_STRAY);
		CU_ASSERT_EQUAL(sipdp_tsx_stats(ep->tsx)->bad_branch, 0);
	}
	teardown();
}

static struct sipdp_test_case cases[] = {
	{ "our_branch_matches_in_o1_and_forgeries_are_rejected", test_our_branch_matches_in_o1_and_forgeries_are_rejected },
	{ "request_retransmissions_get_the_last_response", test_request_retransmissions_get_the_last_response },
	{ "ack_for_2xx_goes_to_the_tu_without_a_transaction", test_ack_for_2xx_goes_to_the_tu_without_a_transaction },
	{ "cancel_is_matched_to_its_invite", test_cancel_is_matched_to_its_invite },
	{ "sent_by_is_part_of_the_server_key", test_sent_by_is_part_of_the_server_key },
	{ "rfc2543_requests_match_without_the_cookie", test_rfc2543_requests_match_without_the_cookie },
	{ "merged_request_is_answered_482", test_merged_request_is_answered_482 },
	{ "full_table_answers_503_with_retry_after", test_full_table_answers_503_with_retry_after },
	{ "shedding_refuses_only_new_dialog_creating_requests",
	  test_shedding_refuses_only_new_dialog_creating_requests },
	{ "shedding_a_share_of_new_invites", test_shedding_a_share_of_new_invites },
	{ "client_cancel_matches_its_own_responses_even_after_the_invite_ends", test_client_cancel_matches_its_own_responses_even_after_the_invite_ends },
	{ "transport_error_terminates_the_transaction", test_transport_error_terminates_the_transaction },
	{ "uac_and_uas_survive_loss_duplication_and_reordering", test_uac_and_uas_survive_loss_duplication_and_reordering },
	{ "stateless_branch_is_ours_but_matches_nothing", test_stateless_branch_is_ours_but_matches_nothing },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("tsx_match", cases);
}
