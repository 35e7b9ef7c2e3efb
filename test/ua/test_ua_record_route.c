/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Record-Route on the UAS side (RFC 3261 §12.1.1): the responses that make
 * the dialog copy every Record-Route value of the INVITE, in order, and the
 * requests the UAS sends in the dialog route along that set (§12.2.1.1).
 * Found by the Kamailio interop test (test/system/kam_tls_inbound.sh): a
 * 200 without Record-Route made the caller send its ACK and BYE around
 * the proxy, which refused them.
 *
 *  - rr_copied_in_180_and_200: values and order kept across two header
 *    lines, both for an answer from the request and one from the
 *    template; not in 100 Trying; the UAS's BYE carries them as Route.
 *  - rr_not_in_failure: a 486 makes no dialog and carries none.
 *  - no_rr_no_header: an INVITE without Record-Route gets none back.
 */
#include <stdio.h>
#include <string.h>

#include "sipdp_test.h"
#include "ua_harness.h"

#define RR_ALL "<sip:p1.example;lr>, <sip:192.0.2.2:5061;transport=tls;lr;r2=on>, " \
	       "<sip:p3.example:5070;lr;ftag=x>"

static void
inject_invite(struct uah_net *net, const char *branch, const char *callid, bool with_rr)
{
	char buf[1024];

	snprintf(buf, sizeof(buf),
		 "INVITE sip:bob@192.0.2.2 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK%s\r\n"
		 "%s"
		 "Max-Forwards: 69\r\nFrom: <sip:c@z>;tag=rr1\r\nTo: <sip:bob@192.0.2.2>\r\n"
		 "Call-ID: %s\r\nCSeq: 1 INVITE\r\nContact: <sip:c@192.0.2.9>\r\n"
		 "Content-Length: 0\r\n\r\n",
		 branch,
		 with_rr ? "Record-Route: <sip:p1.example;lr>, <sip:192.0.2.2:5061;transport=tls;lr;r2=on>\r\n"
			   "Record-Route: <sip:p3.example:5070;lr;ftag=x>\r\n"
			 : "",
		 callid);
	uah_inject(net, 0, 1, buf);
	uah_settle(net);
}

static bool
has(const struct uah_pkt *p, const char *s)
{
	return p != NULL && strstr(p->data, s) != NULL;
}

static void
test_rr_copied_in_180_and_200(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *b;
	sipdp_handle_t hb;
	struct sipdp_ua_dlg_info ib;
	const struct uah_pkt *p;
	char ack[1024];

	uah_add(net, 8, NULL);
	b = uah_add(net, 8, NULL);
	b->answer = UAH_MANUAL;
	inject_invite(net, "rr1", "rr1@z", true);
	CU_ASSERT_EQUAL_FATAL(uah_evcount(b, SIPDP_UA_EV_INCOMING), 1);
	hb = b->last_incoming;
	p = uah_nth(net, 1, "SIP/2.0 100", 0);
	CU_ASSERT_PTR_NOT_NULL(p);
	CU_ASSERT(!has(p, "Record-Route"));
	CU_ASSERT_EQUAL(sipdp_ua_ring(b->ua, hb, 180, SIPDP_STR_NULL, SIPDP_STR_NULL, SIPDP_STR_NULL,
				      net->now_us), 0);
	uah_settle(net);
	CU_ASSERT(has(uah_nth(net, 1, "SIP/2.0 180", 0), "\r\nRecord-Route: " RR_ALL "\r\n"));
	CU_ASSERT_EQUAL(sipdp_ua_accept(b->ua, hb, 200, SIPDP_STR_NULL, SIPDP_STR("application/sdp"),
					SIPDP_STR("v=0\r\n"), net->now_us), 0);
	uah_settle(net);
	p = uah_nth(net, 1, "SIP/2.0 200", 0);
	CU_ASSERT(has(p, "\r\nRecord-Route: " RR_ALL "\r\n"));
	/* one Record-Route line */
	{
		const char *rr = p ? strstr(p->data, "Record-Route:") : NULL;
		CU_ASSERT(rr != NULL && strstr(rr + 1, "Record-Route:") == NULL);
	}

	/* ACK, then the UAS hangs up along the route set, in order. */
	CU_ASSERT_EQUAL_FATAL(sipdp_ua_dlg_info(b->ua, hb, &ib), 0);
	snprintf(ack, sizeof(ack),
		 "ACK sip:ua1@192.0.2.2:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKrrack\r\n"
		 "Route: <sip:p3.example:5070;lr;ftag=x>, <sip:192.0.2.2:5061;transport=tls;lr;r2=on>, "
		 "<sip:p1.example;lr>\r\n"
		 "Max-Forwards: 69\r\nFrom: <sip:c@z>;tag=rr1\r\nTo: <sip:bob@192.0.2.2>;tag=%.*s\r\n"
		 "Call-ID: rr1@z\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
		 SIPDP_STR_FMT(ib.local_tag));
	uah_inject(net, 0, 1, ack);
	uah_settle(net);
	CU_ASSERT_EQUAL(uah_evcount(b, SIPDP_UA_EV_CONFIRMED), 1);
	CU_ASSERT_EQUAL(sipdp_ua_bye(b->ua, hb, net->now_us), 0);
	uah_settle(net);
	p = uah_nth(net, 1, "BYE ", 0);
	CU_ASSERT(has(p, "BYE sip:c@192.0.2.9 SIP/2.0\r\n"));
	CU_ASSERT(has(p, "\r\nRoute: " RR_ALL "\r\n"));
	uah_free(net);
}

static void
test_rr_not_in_failure(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *b;

	uah_add(net, 8, NULL);
	b = uah_add(net, 8, NULL);
	b->answer = UAH_MANUAL;
	inject_invite(net, "rr2", "rr2@z", true);
	CU_ASSERT_EQUAL_FATAL(uah_evcount(b, SIPDP_UA_EV_INCOMING), 1);
	CU_ASSERT_EQUAL(sipdp_ua_reject(b->ua, b->last_incoming, 486, SIPDP_STR_NULL, net->now_us), 0);
	uah_settle(net);
	CU_ASSERT_PTR_NOT_NULL(uah_nth(net, 1, "SIP/2.0 486", 0));
	CU_ASSERT(!has(uah_nth(net, 1, "SIP/2.0 486", 0), "Record-Route"));
	uah_free(net);
}

static void
test_no_rr_no_header(void)
{
	struct uah_net *net = uah_new();
	struct uah_ep *b;

	uah_add(net, 8, NULL);
	b = uah_add(net, 8, NULL);
	b->answer = UAH_ACCEPT_NOW;
	inject_invite(net, "rr3", "rr3@z", false);
	CU_ASSERT_PTR_NOT_NULL(uah_nth(net, 1, "SIP/2.0 200", 0));
	CU_ASSERT(!has(uah_nth(net, 1, "SIP/2.0 200", 0), "Record-Route"));
	uah_free(net);
}

static struct sipdp_test_case cases[] = {
	{ "rr_copied_in_180_and_200_rfc3261_12_1_1", test_rr_copied_in_180_and_200 },
	{ "rr_not_in_failure_response", test_rr_not_in_failure },
	{ "no_rr_no_header", test_no_rr_no_header },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("ua_record_route", cases);
}
