/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_UA_XFER_PVT_H
#define SIPDP_UA_XFER_PVT_H

/* Private to lib/ua: call transfer records (ua_subs.c, ua_refer.c). */

#include "sipdp_pool.h"
#include "ua_pvt.h"

/* Room for the Refer-To and Referred-By values a transferee keeps until
 * the application decides (the receive buffer is gone by then). */
#define UX_BUF 448u

enum ux_role {
	UX_TRANSFEROR = 1, /* we sent the REFER: subscriber */
	UX_TRANSFEREE,     /* we received it: notifier */
};

/* struct ux.flags */
#define UXF_NOSUB      0x0001u /* Refer-Sub: false asked (transferor) / honoured (transferee) */
#define UXF_SUB        0x0002u /* an implicit subscription exists (counted in subs_live) */
#define UXF_ACCEPTED   0x0004u /* 2xx to the REFER sent / received */
#define UXF_DECIDED    0x0008u /* transferee: accept or reject called */
#define UXF_FINAL      0x0010u /* transferee: the terminating NOTIFY is queued or sent */
#define UXF_SUCCESS    0x0020u /* the target answered 2xx */
#define UXF_BYE_WAIT   0x0040u /* transferee: waiting for the transferor's BYE */
#define UXF_REPLACES   0x0080u /* Refer-To carries Replaces */
#define UXF_REPORTED   0x0100u /* transferee: ENDED delivered */
#define UXF_FINAL_SENT 0x0200u /* transferee: the terminating NOTIFY went out */
#define UXF_EXTERNAL   0x0400u /* transferee: accepted without INVITE, the application
				  reports (sipdp_ua_xfer_notify) and owns the dialog */

struct ux {
	sipdp_handle_t self;
	sipdp_handle_t dlg;          /* dialog of the REFER */
	sipdp_handle_t call;         /* transferee: INVITE to the target */
	sipdp_handle_t req_tsx;      /* transferee: REFER not answered yet */
	sipdp_handle_t notify_tsx;   /* NOTIFY in flight (one at a time keeps CSeq order) */
	sipdp_timer_handle_t timer;
	uint64_t app;
	uint64_t expires_at;         /* subscription expiry / undecided REFER guard */
	uint64_t bye_at;             /* transferee: BYE the referring dialog */
	uint32_t next;               /* next record of the same dialog, index+1 */
	uint32_t id;                 /* CSeq of the REFER: Event id */
	uint16_t status;             /* last sipfrag status sent / received */
	uint16_t queued;             /* status to NOTIFY once the one in flight is answered */
	uint16_t final_status;       /* transferee: status of the final NOTIFY */
	uint16_t flags;              /* UXF_* */
	uint8_t role;                /* enum ux_role */
	uint8_t bye;                 /* enum sipdp_ua_xfer_bye */
	uint8_t reason;              /* transferee final: 0 noresource, 1 timeout */
	uint16_t tgt_len, rb_len;    /* Refer-To, Referred-By in buf */
	char buf[UX_BUF];
};

struct ua_xfer {
	struct sipdp_pool *pool;
	uint32_t expires_s;
	uint32_t bye_wait_ms;
	sipdp_ua_xfer_cb cb;
	struct sipdp_ua_xfer_stats st;
};

static inline struct ux *
ux_get(const struct sipdp_ua *ua, sipdp_handle_t h)
{
	return ua->xfer ? sipdp_pool_get(ua->xfer->pool, h) : NULL;
}

/* ua_subs.c */
struct ux *ux_alloc(struct sipdp_ua *ua, struct sipdp_dlg *d, uint8_t role, uint32_t id);
/* Unlink, stop the timer, free. */
void ux_free(struct sipdp_ua *ua, struct ux *x);
void ux_timer_update(struct sipdp_ua *ua, struct ux *x);
void ux_sub_start(struct sipdp_ua *ua, struct ux *x);
void ux_sub_stop(struct sipdp_ua *ua, struct ux *x);
void ux_emit(struct sipdp_ua *ua, struct ux *x, uint8_t type, uint8_t result, uint16_t status,
	     const struct sipdp_msg *m);
/* Transferee: NOTIFY @status (final when >= 200 or @final). */
void ux_notify(struct sipdp_ua *ua, struct ux *x, uint16_t status, bool final, uint64_t now_us);
/* Transferor: DONE once, then free. */
void ux_done(struct sipdp_ua *ua, struct ux *x, uint8_t result, uint16_t status, bool refer_failed,
	     const struct sipdp_msg *m, uint64_t now_us);
/* Transferee: ENDED once, then free (BYE wait when successful). */
void ux_finish(struct sipdp_ua *ua, struct ux *x, uint64_t now_us);
/* Send a request in @d with transaction kind @kind, ref @ref. */
int ux_send_in_dialog(struct sipdp_ua *ua, struct sipdp_dlg *d, enum sipdp_method method,
		      struct sipdp_str mname, struct sipdp_str extra, struct sipdp_str ctype,
		      struct sipdp_str body, uint8_t kind, uint64_t ref, uint32_t *cseq, uint64_t now_us);
/* REFER (ua_refer.c), NOTIFY (ua_subs.c) received. */
void ux_refer_in(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_tsx_event *ev, uint64_t now_us);
bool ux_notify_in(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_tsx_event *ev,
		  uint64_t now_us);
void ux_refer_response(struct sipdp_ua *ua, struct ux *x, const struct sipdp_tsx_event *ev, uint64_t now_us);

#endif /* SIPDP_UA_XFER_PVT_H */
