/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: name-addr / addr-spec with params, and Contact lists;
 * the one-step ";tag=" path must agree with the parameter loop. */
#include <stdlib.h>

#include "msg_hdr_pvt.h"
#include "sipdp_msg_hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sipdp_str s = sipdp_str_make((const char *)data, size), cur = s;
	struct sipdp_nameaddr na;
	struct sipdp_contact c;
	struct sipdp_uri uri;

	struct sipdp_nameaddr ref;
	int a = sipdp_nameaddr_parse(s, &na), b = sipdp_hdr_nameaddr_parse_general(s, &ref);
#define SAME(f) (na.f.p == ref.f.p && na.f.len == ref.f.len)
	if (a != b || (a == 0 && (!SAME(display) || !SAME(uri) || !SAME(params) || !SAME(tag) ||
				  na.angle != ref.angle)))
		abort();
#undef SAME
	if (a == 0)
		(void)sipdp_uri_parse(na.uri, &uri);
	while (sipdp_contact_next(&cur, &c) == 1)
		;
	return 0;
}
