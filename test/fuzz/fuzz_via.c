/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: Via lists and via-parms, and generic parameter lookup. */
#include "sipdp_msg_hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sipdp_str cur = sipdp_str_make((const char *)data, size), item, v;
	struct sipdp_via via;

	while (sipdp_list_next(&cur, &item) == 1) {
		if (sipdp_via_parse(item, &via) == 0)
			(void)sipdp_param_find(via.params, SIPDP_STR("branch"), &v);
	}
	return 0;
}
