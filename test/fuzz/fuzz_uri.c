/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: URI parser, comparison, unescaping and Replaces
 * extraction from ?headers. A URI that parses must compare equal to itself.
 * The bitmap host-name path must agree with the byte scan. */
#include <stdlib.h>

#include "msg_hdr_pvt.h"
#include "sipdp_msg_hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sipdp_uri uri;
	struct sipdp_replaces rep;
	char buf[256];
	struct sipdp_str s = sipdp_str_make((const char *)data, size);

	uint8_t ta = 0, tb = 0;
	const char *ha = sipdp_hdr_host_scan(s.p, s.p + s.len, &ta);
	const char *hb = sipdp_hdr_host_scan_bytes(s.p, s.p + s.len, &tb);
	if (ha != hb || (ha != NULL && ta != tb))
		abort();
	(void)sipdp_unescape(s, buf, sizeof(buf));
	if (sipdp_uri_parse(s, &uri) != 0)
		return 0;
	if ((uri.scheme == SIPDP_URI_SIP || uri.scheme == SIPDP_URI_SIPS) && !sipdp_uri_equal(&uri, &uri))
		abort();
	(void)sipdp_uri_header_replaces(&uri, buf, sizeof(buf), &rep);
	struct sipdp_str cur = uri.params, name, value;
	while (sipdp_param_next(&cur, &name, &value) == 1)
		;
	return 0;
}
