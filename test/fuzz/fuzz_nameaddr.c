/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: name-addr / addr-spec with params, and Contact lists. */
#include "sipdp_msg_hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sipdp_str s = sipdp_str_make((const char *)data, size), cur = s;
	struct sipdp_nameaddr na;
	struct sipdp_contact c;
	struct sipdp_uri uri;

	if (sipdp_nameaddr_parse(s, &na) == 0)
		(void)sipdp_uri_parse(na.uri, &uri);
	while (sipdp_contact_next(&cur, &c) == 1)
		;
	return 0;
}
