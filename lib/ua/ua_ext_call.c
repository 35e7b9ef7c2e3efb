/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-call choices over the stack's extension defaults: an embedder whose
 * policy differs per call (lib/shard: one rule per INVITE) turns reliable
 * provisionals off for one call of a stack that supports them.
 */
#include "ua_pvt.h"

int
sipdp_ua_rel100_off(struct sipdp_ua *ua, sipdp_handle_t h)
{
	struct sipdp_dlg *d = ua_get(ua, h);
	struct ua_ext *x;

	if (d == NULL)
		return -ENOENT;
	x = &ua_sess(d)->x;
	/* Once a reliable 1xx is out, its PRACK must still be honoured. */
	if (d->role != SIPDP_DLG_UAS || (ua_sess(d)->flags & US_FINAL_SENT) ||
	    (x->xf & (UX_REL_PEND | UX_HOLD)) || x->rseq != 0)
		return -EINVAL;
	x->xf &= ~(uint32_t)UX_REL_PEER;
	return 0;
}
