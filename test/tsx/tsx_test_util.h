/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_TSX_TEST_UTIL_H
#define SIPDP_TSX_TEST_UTIL_H

/* Message crafting shared by the lib/tsx tests (tests only). */

#include <stdio.h>
#include <string.h>

#include "sipdp_memnet.h"
#include "sipdp_msg_build.h"
#include "sipdp_msg_hdr.h"

#define SEC 1000000ull
#define MS  1000ull

/* A request as a peer would send it. @branch NULL: RFC 2543 style Via
 * without branch. @to_tag NULL: out of dialog. */
static inline int
tt_request(char *buf, size_t cap, const char *method, const char *ruri, const char *branch,
	   const char *sent_by, uint32_t cseq, const char *cseq_method, const char *from_tag,
	   const char *to_tag, const char *call_id)
{
	char via[160], to[96];

	if (branch)
		snprintf(via, sizeof(via), "SIP/2.0/UDP %s;branch=%s", sent_by, branch);
	else
		snprintf(via, sizeof(via), "SIP/2.0/UDP %s", sent_by);
	if (to_tag)
		snprintf(to, sizeof(to), "<sip:bob@example.com>;tag=%s", to_tag);
	else
		snprintf(to, sizeof(to), "<sip:bob@example.com>");
	return snprintf(buf, cap,
			"%s %s SIP/2.0\r\n"
			"Via: %s\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:alice@example.com>;tag=%s\r\n"
			"To: %s\r\n"
			"Call-ID: %s\r\n"
			"CSeq: %u %s\r\n"
			"Route: <sip:proxy.example.com;lr>\r\n"
			"Content-Length: 0\r\n\r\n",
			method, ruri, via, from_tag, to, call_id, cseq, cseq_method);
}

/* A request we send on a client transaction, with our branch. */
static inline int
tt_our_request(char *buf, size_t cap, const char *method, const char *branch, uint32_t cseq)
{
	char b[SIPDP_TSX_BRANCH_LEN + 1];

	memcpy(b, branch, SIPDP_TSX_BRANCH_LEN);
	b[SIPDP_TSX_BRANCH_LEN] = 0;
	return tt_request(buf, cap, method, "sip:bob@example.com", b, "192.0.2.1:5060", cseq, method,
			  "ourtag", NULL, "call-1@192.0.2.1");
}

/* Response (status, To tag) to a logged request, built like a UAS would. */
static inline int
tt_response_to(char *buf, uint32_t cap, const struct sipdp_memnet_pkt *req, uint16_t status,
	       const char *to_tag)
{
	static struct sipdp_msg m;

	if (sipdp_msg_parse(&m, req->data, req->len, 0) <= 0)
		return -1;
	return sipdp_build_response_simple(buf, cap, &m, status,
					   to_tag ? sipdp_str_cstr(to_tag) : SIPDP_STR_NULL,
					   SIPDP_STR_NULL);
}

/* Parse @buf and hand it to a table as if from endpoint @from. */
static inline int
tt_recv(struct sipdp_memnet_ep *ep, uint8_t from, const char *buf, int len)
{
	static struct sipdp_msg m;
	struct sipdp_tsx_dest src = sipdp_memnet_dest(from, ep->reliable);

	if (len <= 0 || sipdp_msg_parse(&m, buf, (size_t)len, 0) <= 0)
		return -1000;
	return sipdp_tsx_recv(ep->tsx, &m, &src, ep->net->now_us);
}

#endif /* SIPDP_TSX_TEST_UTIL_H */
