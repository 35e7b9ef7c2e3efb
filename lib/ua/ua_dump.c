/* SPDX-License-Identifier: BSD-3-Clause */
/* Operator dumps of a UA. Cold path. */
#include <stdio.h>

#include "ua_pvt.h"

int
sipdp_ua_dump_dialog(const struct sipdp_ua *ua, sipdp_handle_t h, FILE *f)
{
	struct sipdp_dlg *d = ua_get(ua, h);
	struct ua_sess *s;

	if (d == NULL)
		return -ENOENT;
	s = ua_sess(d);
	if (fprintf(f, "  ua: flags=0x%04x inv_tsx=%llx ack_cseq=%u retx_at=%llu ackwait_at=%llu "
		       "glare_at=%llu\n",
		    s->flags, (unsigned long long)s->inv_tsx, s->ack_cseq,
		    (unsigned long long)s->retx_at, (unsigned long long)s->ackwait_at,
		    (unsigned long long)s->glare_at) < 0)
		return -EIO;
	return sipdp_dlg_dump_one(ua->dt, d, f);
}

int
sipdp_ua_dump(const struct sipdp_ua *ua, FILE *f)
{
	const struct sipdp_ua_stats *s = &ua->stats;
	struct sipdp_ua_mem mem;
	int rc = 0;

	sipdp_ua_memory(ua, &mem);
	rc |= fprintf(f, "ua: shard=%u rx=%llu bad=%llu calls_in=%llu calls_out=%llu full_503=%llu "
		      "481=%llu cseq_500=%llu glare_491=%llu retx_2xx=%llu ack_timeouts=%llu "
		      "no_msgbuf=%llu send_errors=%llu msgbufs_free=%u/%u per_dialog=%zu\n",
		      ua->shard_id, (unsigned long long)s->rx, (unsigned long long)s->rx_bad,
		      (unsigned long long)s->calls_in, (unsigned long long)s->calls_out,
		      (unsigned long long)s->full_503, (unsigned long long)s->answered_481,
		      (unsigned long long)s->cseq_500, (unsigned long long)s->glare_491,
		      (unsigned long long)s->retx_2xx, (unsigned long long)s->ack_timeouts,
		      (unsigned long long)s->no_msgbuf, (unsigned long long)s->send_errors,
		      ua->mb_nfree, ua->mb_count, mem.per_dialog) < 0;
	rc |= ua_ext_dump(ua, f) != 0;
	if (sipdp_dlg_dump(ua->dt, f) != 0 || sipdp_tsx_dump(ua->tt, f) != 0)
		rc = 1;
	return rc ? -EIO : 0;
}
