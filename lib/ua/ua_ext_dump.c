/* SPDX-License-Identifier: BSD-3-Clause */
/* Operator dump of the PRACK, UPDATE and session timer counters (cold). */
#include "ua_pvt.h"

int
ua_ext_dump(const struct sipdp_ua *ua, FILE *f)
{
	const struct sipdp_ua_stats *s = &ua->stats;

	return fprintf(f,
		       "ua-ext: rel100=%u session_expires=%u min_se=%u prack_in=%llu prack_out=%llu "
		       "rel1xx_out=%llu rel1xx_retx=%llu rel1xx_timeouts=%llu rel1xx_dropped=%llu "
		       "420=%llu 421=%llu 422=%llu retry_422=%llu update_in=%llu update_out=%llu "
		       "update_491=%llu update_500=%llu refreshes=%llu expiries=%llu\n",
		       ua->rel100, ua->se_s, ua->min_se_s, (unsigned long long)s->prack_in,
		       (unsigned long long)s->prack_out, (unsigned long long)s->rel1xx_out,
		       (unsigned long long)s->rel1xx_retx, (unsigned long long)s->rel1xx_timeouts,
		       (unsigned long long)s->rel1xx_dropped, (unsigned long long)s->sent_420,
		       (unsigned long long)s->sent_421, (unsigned long long)s->sent_422,
		       (unsigned long long)s->retry_422, (unsigned long long)s->update_in,
		       (unsigned long long)s->update_out, (unsigned long long)s->update_491,
		       (unsigned long long)s->update_500, (unsigned long long)s->session_refreshes,
		       (unsigned long long)s->session_expiries) < 0
		       ? -EIO
		       : 0;
}
