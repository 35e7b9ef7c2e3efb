/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replaces at the transfer target (RFC 3891 §3): an INVITE naming one of
 * our dialogs takes its place. Matching is the in-dialog lookup with the
 * tags seen from our side (to-tag is ours). Refusals, in the RFC's order:
 * several Replaces or a bad one: 400; no such dialog (or already ended):
 * 481; a confirmed dialog with early-only: 486; an early dialog we did not
 * originate: 481 (§3: "returns a 481 ... and leaves the matched dialog
 * unchanged"). The replaced dialog is ended once the new one is confirmed
 * (ua_subs.c, ua_xfer_call_event()). sipdp_ua_dialog_by_replaces() runs
 * the same matching for a Replaces the application holds (a B2BUA joining
 * an attended transfer between two of its own dialogs).
 */
#include "ua_xfer_pvt.h"

/* RFC 3891 §3 matching from the receiver's side (to-tag ours): 0 with
 * *out, else the status an INVITE would get. Shared by the INVITE path and
 * sipdp_ua_dialog_by_replaces(), so both apply the same rules. */
static uint16_t
replaces_match(const struct sipdp_ua *ua, const struct sipdp_replaces *r, struct sipdp_dlg **out)
{
	struct sipdp_dlg *d = sipdp_dlg_find(ua->dt, r->call_id, r->to_tag, r->from_tag);

	if (d == NULL || (ua_sess(d)->flags & US_TERM) || !(d->flags & SIPDP_DLG_F_HAS_RTAG))
		return 481;
	if (d->state == SIPDP_DLG_S_ESTABLISHED) {
		if (r->early_only)
			return 486;
	} else if (d->role == SIPDP_DLG_UAS) {
		return 481;
	}
	*out = d;
	return 0;
}

uint16_t
ua_replaces_check(struct sipdp_ua *ua, const struct sipdp_msg *m, sipdp_handle_t *replaced)
{
	struct sipdp_replaces r;
	struct sipdp_dlg *d = NULL;
	uint16_t st;

	*replaced = SIPDP_HANDLE_INVALID;
	if (m->count[SIPDP_HDR_REPLACES] != 1 ||
	    sipdp_replaces_parse(sipdp_msg_hdr_value(m, SIPDP_HDR_REPLACES), &r) != 0) {
		ua->xfer->st.replaces_unmatched++;
		return 400;
	}
	st = replaces_match(ua, &r, &d);
	if (st != 0) {
		ua->xfer->st.replaces_unmatched++;
		return st;
	}
	ua->xfer->st.replaces_matched++;
	*replaced = sipdp_dlg_handle(ua->dt, d);
	return 0;
}

int
sipdp_ua_dialog_by_replaces(const struct sipdp_ua *ua, struct sipdp_str replaces, sipdp_handle_t *dlg)
{
	struct sipdp_replaces r;
	struct sipdp_dlg *d = NULL;
	uint16_t st;

	if (ua == NULL || dlg == NULL || replaces.p == NULL ||
	    sipdp_replaces_parse(replaces, &r) != 0)
		return -EINVAL;
	st = replaces_match(ua, &r, &d);
	if (st != 0)
		return st == 486 ? -EBUSY : -ENOENT;
	*dlg = sipdp_dlg_handle(ua->dt, d);
	return 0;
}

void
ua_replaces_bind(struct sipdp_ua *ua, struct sipdp_dlg *d, sipdp_handle_t replaced)
{
	struct ua_sess *s = ua_sess(d);
	struct sipdp_ua_xfer_event e = {
		.type = SIPDP_UA_XFER_EV_REPLACES,
		.dlg = sipdp_dlg_handle(ua->dt, d),
		.replaced = replaced,
		.app = s->app,
	};

	s->xflags |= UX_REPLACING;
	s->xlink = replaced;
	ua->xfer->cb(ua->user, &e);
}

int
sipdp_ua_xfer_replaced(const struct sipdp_ua *ua, sipdp_handle_t dlg, sipdp_handle_t *replaced)
{
	struct sipdp_dlg *d = ua_get(ua, dlg);

	if (d == NULL || !(ua_sess(d)->xflags & UX_REPLACING))
		return -ENOENT;
	*replaced = ua_sess(d)->xlink;
	return 0;
}
