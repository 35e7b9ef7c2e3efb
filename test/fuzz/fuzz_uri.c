/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: URI parser, comparison, unescaping and Replaces
 * extraction from ?headers. A URI that parses must compare equal to itself. */
#include <stdlib.h>

#include "sipdp_msg_hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sipdp_uri uri;
	struct sipdp_replaces rep;
	char buf[256];
	struct sipdp_str s = sipdp_str_make((const char *)data, size);

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
