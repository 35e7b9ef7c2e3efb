/* SPDX-License-Identifier: BSD-3-Clause */
/* Call transfer: operator dump (cold path). */
#include <stdio.h>

#include "ua_xfer_pvt.h"

static const char *
role_str(uint8_t r)
{
	return r == UX_TRANSFEROR ? "transferor" : r == UX_TRANSFEREE ? "transferee" : "?";
}

int
sipdp_ua_xfer_dump(const struct sipdp_ua *ua, FILE *f)
{
	const struct sipdp_ua_xfer_stats *s = sipdp_ua_xfer_stats(ua);
	int rc;

	rc = fprintf(f,
		     "xfer: refers in %llu out %llu rejected %llu; notifies in %llu out %llu 481 %llu; "
		     "subs live %llu expired %llu full %llu; transfers ok %llu failed %llu; "
		     "replaces matched %llu unmatched %llu ended %llu; records %llu\n",
		     (unsigned long long)s->refers_in, (unsigned long long)s->refers_out,
		     (unsigned long long)s->refers_rejected, (unsigned long long)s->notifies_in,
		     (unsigned long long)s->notifies_out, (unsigned long long)s->notify_481,
		     (unsigned long long)s->subs_live, (unsigned long long)s->subs_expired,
		     (unsigned long long)s->subs_full, (unsigned long long)s->transfers_ok,
		     (unsigned long long)s->transfers_failed, (unsigned long long)s->replaces_matched,
		     (unsigned long long)s->replaces_unmatched, (unsigned long long)s->replaced_ended,
		     (unsigned long long)s->xfer_live);
	if (rc < 0)
		return -EIO;
	if (ua->xfer == NULL)
		return 0;
	for (uint32_t i = 0; i < sipdp_pool_capacity(ua->xfer->pool); i++) {
		sipdp_handle_t h;
		const struct ux *x;
		if (!sipdp_pool_live(ua->xfer->pool, i, &h))
			continue;
		x = sipdp_pool_at(ua->xfer->pool, i);
		if (fprintf(f, "  xfer %#llx %s dlg %#llx id %u status %u flags %#x call %#llx\n",
			    (unsigned long long)h, role_str(x->role), (unsigned long long)x->dlg, x->id,
			    x->status, x->flags, (unsigned long long)x->call) < 0)
			return -EIO;
	}
	return 0;
}
