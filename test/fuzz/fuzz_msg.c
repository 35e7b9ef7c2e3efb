/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the whole message path a worker runs on a datagram —
 * index, acceptance check, every typed sub-parser on every header, and for
 * an accepted request a response built from it, which must itself parse
 * with the same Call-ID and CSeq (RFC 3261 §8.2.6 round trip). The fast
 * indexer must agree with the general one (sipdp_msg_parse_general) on
 * every input, field for field, and the top Via and CSeq fast paths with
 * the general sub-parsers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "msg_hdr_pvt.h"
#include "msg_pvt.h"
#include "sipdp_msg.h"
#include "sipdp_msg_build.h"
#include "sipdp_msg_hdr.h"

static struct sipdp_msg m, r, g;

static bool
same_view(struct sipdp_str a, struct sipdp_str b)
{
	return a.p == b.p && a.len == b.len;
}

static void
expect_same_index(const struct sipdp_msg *x, int a, const struct sipdp_msg *y, int b)
{
	if (a != b)
		abort();
	if (a < 0) {
		if (x->err.offset != y->err.offset || x->err.status != y->err.status ||
		    (x->err.what != y->err.what &&
		     (x->err.what == NULL || y->err.what == NULL || strcmp(x->err.what, y->err.what) != 0)))
			abort();
		return;
	}
	if (x->len != y->len || x->hdr_end != y->hdr_end || x->nhdrs != y->nhdrs ||
	    x->is_request != y->is_request || x->version_ok != y->version_ok || x->method != y->method ||
	    x->status != y->status || x->clen != y->clen || x->has_clen != y->has_clen ||
	    !same_view(x->ruri, y->ruri) || !same_view(x->version, y->version) ||
	    !same_view(x->reason, y->reason) || !same_view(x->body, y->body) ||
	    !same_view(x->method_str, y->method_str) ||
	    memcmp(x->first, y->first, sizeof(x->first)) != 0 ||
	    memcmp(x->count, y->count, sizeof(x->count)) != 0)
		abort();
	for (uint16_t i = 0; i < x->nhdrs; i++)
		if (!same_view(x->hdrs[i].name, y->hdrs[i].name) ||
		    !same_view(x->hdrs[i].value, y->hdrs[i].value) || x->hdrs[i].id != y->hdrs[i].id ||
		    x->hdrs[i].next != y->hdrs[i].next)
			abort();
}

/* sipdp_msg_parse() against the reference indexer on the same bytes, and
 * the fast indexer without AVX2: it declines or agrees. */
static void
compare_indexers(const char *buf, size_t size, unsigned flags)
{
	int a = sipdp_msg_parse(&m, buf, size, flags);
	int b = sipdp_msg_parse_general(&g, buf, size, flags);
	int c = sipdp_msg_parse_fast_only(&r, buf, size, flags, false);

	expect_same_index(&m, a, &g, b);
	if (c != -ENOTSUP)
		expect_same_index(&r, c, &g, b);
}

/* The top Via and CSeq fast paths against list split + general parsers. */
static void
compare_fast_values(const struct sipdp_msg *msg)
{
	struct sipdp_via va, vb;
	struct sipdp_cseq ca, cb;
	struct sipdp_str cur, item;
	const struct sipdp_hdr *h;

	if ((h = sipdp_msg_hdr(msg, SIPDP_HDR_VIA)) != NULL) {
		int a = sipdp_msg_top_via(msg, &va), b;
		cur = h->value;
		b = sipdp_list_next(&cur, &item) <= 0 ? -EBADMSG : sipdp_hdr_via_parse_general(item, &vb);
		if (a != b)
			abort();
		if (a == 0 && (!same_view(va.host, vb.host) || !same_view(va.branch, vb.branch) ||
			       !same_view(va.params, vb.params) || !same_view(va.transport, vb.transport) ||
			       !same_view(va.received, vb.received) || va.port != vb.port ||
			       va.rport != vb.rport || va.rport_present != vb.rport_present ||
			       va.host_type != vb.host_type || va.ttl != vb.ttl))
			abort();
	}
	if ((h = sipdp_msg_hdr(msg, SIPDP_HDR_CSEQ)) != NULL) {
		int a = sipdp_msg_cseq(msg, &ca), b = sipdp_cseq_parse(h->value, &cb);
		if (a != b || ca.num != cb.num || ca.method != cb.method ||
		    !same_view(ca.method_str, cb.method_str))
			abort();
	}
}
static char out[70000];

static void
walk_headers(const struct sipdp_msg *msg)
{
	for (uint16_t i = 0; i < msg->nhdrs; i++) {
		const struct sipdp_hdr *h = &msg->hdrs[i];
		struct sipdp_str cur = h->value, item;
		union {
			struct sipdp_via via;
			struct sipdp_nameaddr na;
			struct sipdp_contact c;
			struct sipdp_cseq cseq;
			struct sipdp_replaces rep;
			struct sipdp_event ev;
			struct sipdp_subscription_state ss;
			struct sipdp_rack rack;
			struct sipdp_session_expires se;
			struct sipdp_reason rsn;
			struct sipdp_retry_after ra;
			struct sipdp_uri uri;
		} u;
		uint32_t v;
		bool b;
		char buf[512];

		switch (h->id) {
		case SIPDP_HDR_VIA:
			while (sipdp_list_next(&cur, &item) == 1)
				(void)sipdp_via_parse(item, &u.via);
			break;
		case SIPDP_HDR_CONTACT:
			while (sipdp_contact_next(&cur, &u.c) == 1)
				;
			break;
		case SIPDP_HDR_FROM:
		case SIPDP_HDR_TO:
		case SIPDP_HDR_REFERRED_BY:
			(void)sipdp_nameaddr_parse(h->value, &u.na);
			break;
		case SIPDP_HDR_REFER_TO:
			if (sipdp_nameaddr_parse(h->value, &u.na) == 0 &&
			    sipdp_uri_parse(u.na.uri, &u.uri) == 0)
				(void)sipdp_uri_header_replaces(&u.uri, buf, sizeof(buf), &u.rep);
			break;
		case SIPDP_HDR_ROUTE:
		case SIPDP_HDR_RECORD_ROUTE:
			while (sipdp_list_next(&cur, &item) == 1)
				(void)sipdp_nameaddr_parse(item, &u.na);
			break;
		case SIPDP_HDR_CSEQ:
			(void)sipdp_cseq_parse(h->value, &u.cseq);
			break;
		case SIPDP_HDR_REPLACES:
			(void)sipdp_replaces_parse(h->value, &u.rep);
			break;
		case SIPDP_HDR_EVENT:
			(void)sipdp_event_parse(h->value, &u.ev);
			break;
		case SIPDP_HDR_SUBSCRIPTION_STATE:
			(void)sipdp_subscription_state_parse(h->value, &u.ss);
			break;
		case SIPDP_HDR_RACK:
			(void)sipdp_rack_parse(h->value, &u.rack);
			break;
		case SIPDP_HDR_RSEQ:
			(void)sipdp_rseq_parse(h->value, &v);
			break;
		case SIPDP_HDR_SESSION_EXPIRES:
			(void)sipdp_session_expires_parse(h->value, &u.se);
			break;
		case SIPDP_HDR_REASON:
			(void)sipdp_reason_parse(h->value, &u.rsn);
			break;
		case SIPDP_HDR_RETRY_AFTER:
			(void)sipdp_retry_after_parse(h->value, &u.ra);
			break;
		case SIPDP_HDR_REFER_SUB:
			(void)sipdp_refer_sub_parse(h->value, &b);
			break;
		case SIPDP_HDR_REQUIRE:
		case SIPDP_HDR_SUPPORTED:
			(void)sipdp_list_has_token(h->value, SIPDP_STR("100rel"));
			break;
		default:
			(void)sipdp_uint_parse(h->value, UINT32_MAX, &v, NULL);
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;

	compare_indexers(buf, size, SIPDP_MSG_F_STREAM);
	compare_indexers(buf, size, 0);
	if (sipdp_msg_parse(&m, buf, size, 0) < 0)
		return 0;
	compare_fast_values(&m);
	if (m.is_request && !sipdp_str_empty(m.ruri)) {
		struct sipdp_uri uri;
		(void)sipdp_uri_parse(m.ruri, &uri);
	}
	walk_headers(&m);
	if (sipdp_msg_check(&m) != 0 || !m.is_request)
		return 0;

	int len = sipdp_build_response_simple(out, sizeof(out), &m, 486, SIPDP_STR("t0"), SIPDP_STR(""));
	if (len < 0)
		return 0;
	if (sipdp_msg_parse(&r, out, (size_t)len, 0) != len)
		abort();
	if (!sipdp_str_eq(sipdp_msg_call_id(&r), sipdp_msg_call_id(&m)) || r.status != 486 ||
	    r.count[SIPDP_HDR_VIA] < 1)
		abort();
	struct sipdp_cseq a, c;
	if (sipdp_msg_cseq(&m, &a) != 0 || sipdp_msg_cseq(&r, &c) != 0 || a.num != c.num)
		abort();
	return 0;
}
