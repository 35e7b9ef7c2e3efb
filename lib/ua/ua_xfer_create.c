/* SPDX-License-Identifier: BSD-3-Clause */
/* Call transfer: the bounded table of transfer records, made once. */
#include <stdlib.h>

#include "ua_xfer_pvt.h"

static uint32_t
xfer_cap(const struct sipdp_ua_params *p)
{
	if (p->xfer == NULL)
		return 0;
	if (p->xfer->max_subscriptions)
		return p->xfer->max_subscriptions;
	return SIPDP_MAX(16u, p->dialogs / 4);
}

uint32_t
ua_xfer_timers(const struct sipdp_ua_params *p)
{
	return xfer_cap(p); /* one expiry / BYE-wait timer per record */
}

int
ua_xfer_create(struct sipdp_ua *ua, const struct sipdp_ua_params *p)
{
	struct sipdp_pool_params pp = { 0 };
	struct ua_xfer *x;
	int rc;

	if (p->xfer == NULL)
		return 0;
	if (p->xfer->on_xfer == NULL)
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	pp.capacity = xfer_cap(p);
	pp.elt_size = sizeof(struct ux);
	rc = sipdp_pool_create(&pp, &x->pool);
	if (rc != 0) {
		free(x);
		return rc;
	}
	x->expires_s = p->xfer->expires_s ? p->xfer->expires_s : 60;
	x->bye_wait_ms = p->xfer->bye_wait_ms ? p->xfer->bye_wait_ms : 64 * ua->t1_ms;
	x->cb = p->xfer->on_xfer;
	ua->xfer = x;
	return 0;
}

void
ua_xfer_destroy(struct sipdp_ua *ua)
{
	if (ua->xfer == NULL)
		return;
	sipdp_pool_destroy(ua->xfer->pool);
	free(ua->xfer);
	ua->xfer = NULL;
}

const struct sipdp_ua_xfer_stats *
sipdp_ua_xfer_stats(const struct sipdp_ua *ua)
{
	static const struct sipdp_ua_xfer_stats zero;

	return ua->xfer ? &ua->xfer->st : &zero;
}

uint32_t
sipdp_ua_xfer_count(const struct sipdp_ua *ua)
{
	return ua->xfer ? sipdp_pool_in_use(ua->xfer->pool) : 0;
}
