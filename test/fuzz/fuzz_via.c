/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: Via lists and via-parms, and generic parameter lookup;
 * the fast via-parm path must agree with the general one. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "msg_hdr_pvt.h"
#include "sipdp_msg_hdr.h"

static bool
same_via(const struct sipdp_via *a, const struct sipdp_via *b)
{
#define SAME(f) (a->f.p == b->f.p && a->f.len == b->f.len)
	return SAME(protocol) && SAME(proto_name) && SAME(proto_version) && SAME(transport) &&
	       SAME(host) && SAME(branch) && SAME(received) && SAME(maddr) && SAME(params) &&
	       a->port == b->port && a->host_type == b->host_type &&
	       a->rport_present == b->rport_present && a->rport == b->rport && a->ttl == b->ttl &&
	       a->has_ttl == b->has_ttl;
#undef SAME
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sipdp_str cur = sipdp_str_make((const char *)data, size), item, v;
	struct sipdp_via via, ref;
	static struct sipdp_msg m;

	while (sipdp_list_next(&cur, &item) == 1) {
		int a = sipdp_via_parse(item, &via), b = sipdp_hdr_via_parse_general(item, &ref);
		if (a != b || (a == 0 && !same_via(&via, &ref)))
			abort();
		if (a == 0)
			(void)sipdp_param_find(via.params, SIPDP_STR("branch"), &v);
	}
	/* The top Via read straight from a header value holding the input. */
	memset(&m, 0, offsetof(struct sipdp_msg, hdrs));
	m.hdrs[0].value = sipdp_str_make((const char *)data, size);
	m.hdrs[0].id = SIPDP_HDR_VIA;
	m.first[SIPDP_HDR_VIA] = 1;
	m.nhdrs = 1;
	cur = m.hdrs[0].value;
	int a = sipdp_msg_top_via(&m, &via);
	int b = sipdp_list_next(&cur, &item) <= 0 ? -EBADMSG : sipdp_hdr_via_parse_general(item, &ref);
	if (a != b || (a == 0 && !same_via(&via, &ref)))
		abort();
	return 0;
}
