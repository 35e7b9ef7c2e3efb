/* SPDX-License-Identifier: BSD-3-Clause */
/* Address parsing for configuration (cold). */

#include <arpa/inet.h>
#include <errno.h>

#include "sipdp_dp.h"

int
sipdp_dp_ip_parse(const char *s, union sipdp_dp_ip *ip)
{
	union sipdp_dp_ip tmp = { .w = { 0, 0 } };

	if (s == NULL || ip == NULL)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &tmp.v4) == 1) {
		*ip = tmp;
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, tmp.v6) == 1) {
		*ip = tmp;
		return AF_INET6;
	}
	return -EINVAL;
}
