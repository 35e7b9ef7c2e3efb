/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_UA_EXT_PVT_H
#define SIPDP_UA_EXT_PVT_H

/* Private to lib/ua: PRACK, UPDATE and session timer state, included by
 * ua_pvt.h (which defines the types these prototypes use afterwards). */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* ua_ext.xf */
#define UX_REL_PEER   0x0001u /* UAS: the INVITE supports/requires 100rel */
#define UX_REL_PEND   0x0002u /* UAS: a reliable 1xx waits for its PRACK */
#define UX_HOLD       0x0004u /* UAS: a 2xx waits for that PRACK */
#define UX_RSEQ       0x0008u /* UAC: rseq holds the last RSeq acknowledged */
#define UX_PRACK_DUE  0x0010u /* UAC: the 1xx being reported needs its PRACK */
#define UX_ST_CFG     0x0020u /* session timers wanted for this dialog */
#define UX_ST_ON      0x0040u /* a session timer runs (se seconds) */
#define UX_ST_WE      0x0080u /* we are the refresher */
#define UX_PEER_TIMER 0x0100u /* the peer supports timers (Supported/Require) */
#define UX_PEER_UPD   0x0200u /* the peer's Allow lists UPDATE */
#define UX_UPD_OFFER  0x0400u /* our UPDATE with an offer is unanswered */
#define UX_RETRIED    0x0800u /* UAC: the INVITE was re-sent after a 422 */
#define UX_REQ_SE     0x1000u /* request being answered had Session-Expires */
#define UX_INV_OFFER  0x2000u /* UAC head: our INVITE carried an offer */
#define UX_OA_INIT    0x4000u /* oa is set for this dialog (forks: lazily) */
#define UX_PEND       0x8000u /* a 2xx with our Session-Expires is being sent */
#define UX_PEND_WE    0x10000u /* ... naming us the refresher */
#define UX_UPD_IN     0x20000u /* the peer's UPDATE offer is unanswered */
#define UX_UAC_REL    0x40000u /* UAC: our INVITE offered 100rel (we PRACK) */
#define UX_UAC_REQ    0x80000u /* UAC: ... with Require: 100rel */
#define UX_ACK_KEPT   0x100000u /* hold_mb keeps the ACK with body we sent
				   (sipdp_ua_ack()) for 2xx retransmissions */
#define UX_RING_Q     0x200000u /* UAS: a provisional waits for the PRACK in
				   ua_sess.mbuf (sipdp_ua_ring_queued()) */

/* Offer/answer state of a dialog (RFC 3264 as used by 3262/3311). */
enum ua_oa {
	UA_OA_NONE = 0,
	UA_OA_LOCAL,  /* our offer is unanswered */
	UA_OA_REMOTE, /* the peer's offer is unanswered */
};

/* Appended to struct ua_sess: 72 bytes. The UAS's reliable-1xx times and
 * the session timer never run at once (the timer starts with the 2xx, after
 * the last PRACK), so they share at1/at2. */
struct ua_ext {
	uint64_t at1;      /* reliable 1xx retransmission | our next refresh */
	uint64_t at2;      /* 64*T1 without PRACK | session expiry (BYE) */
	uint32_t rseq;     /* UAS: RSeq of the last reliable 1xx; UAC: last PRACKed */
	uint32_t rel_ms;   /* current retransmission interval */
	uint32_t se;       /* UAC before the 2xx: interval asked; then the one in force */
	uint32_t min_se;   /* Min-SE in force */
	uint32_t req_se;   /* Session-Expires of the request being answered */
	uint32_t req_min;  /* its Min-SE (90 when absent) */
	uint32_t mb;       /* msgbuf (index+1): the reliable 1xx (UAS), the INVITE's
			      extra/ctype/body for a 422 retry (UAC) */
	uint32_t hold_mb;  /* msgbuf of the held 2xx (UAS, before the final) |
			      the ACK with body we sent (UX_ACK_KEPT, once
			      established) */
	uint32_t pend_se;  /* interval of the 2xx being sent (UX_PEND) */
	uint32_t xf;       /* UX_* */
	uint16_t mlen, hold_len;
	uint16_t hold_status;
	uint8_t oa;        /* enum ua_oa */
	uint8_t req_ref;   /* refresher param of that request (enum sipdp_refresher) */
	uint8_t pref;      /* refresher we pick / ask for (enum sipdp_ua_refresher) */
	uint8_t max_fwd;   /* UAC: Max-Forwards of our INVITE, 0 = 70 */
	uint8_t reserved[2];
};

/* The earliest extension deadline, folded into the dialog's one timer. */
static inline uint64_t
ua_ext_due(const struct ua_ext *x, uint64_t at)
{
	if (x->at1 && (!at || x->at1 < at))
		at = x->at1;
	if (x->at2 && (!at || x->at2 < at))
		at = x->at2;
	return at;
}

/* Between the extension files (the types are complete by then). */
struct sipdp_ua;
struct sipdp_dlg;
struct sipdp_msg;
struct sipdp_tsx_event;

/* ua_ext.c: header lines for the next message built (ua->xhdr) */
void uext_reset(struct sipdp_ua *ua);
void uext_put(struct sipdp_ua *ua, const char *p, uint32_t n);
void uext_put_u32(struct sipdp_ua *ua, uint32_t v);
#define UX_PUT(ua, lit) uext_put((ua), (lit), (uint32_t)sizeof(lit) - 1)
/* The dialog's extension state with its offer/answer state set up (a
 * UAC fork inherits the INVITE's offer lazily). */
struct ua_ext *uext_get(struct sipdp_ua *ua, struct sipdp_dlg *d);
void uext_emit(struct sipdp_ua *ua, uint8_t type, struct sipdp_dlg *d, uint16_t status,
	     const struct sipdp_msg *m);
void uext_answer(struct sipdp_ua *ua, sipdp_handle_t tsx, struct sipdp_dlg *d, uint16_t code,
	       uint64_t now_us);

/* ua_ext_dump.c: one line of counters for sipdp_ua_dump(). @return 0, -EIO. */
int ua_ext_dump(const struct sipdp_ua *ua, FILE *f);

/* ua_prack.c */
void ua_prack_fire(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us);
void ua_prack_request(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_tsx_event *ev,
		      uint64_t now_us);
int ua_prack_send_held(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us);
/* UAS: keep one provisional for the PRACK of the pending one (UX_RING_Q). */
int ua_prack_queue(struct sipdp_ua *ua, struct sipdp_dlg *d, uint16_t status, struct sipdp_str extra,
		   struct sipdp_str ctype, struct sipdp_str body);
/* ... and forget it (a final was given). */
void ua_prack_unqueue(struct sipdp_ua *ua, struct sipdp_dlg *d);

/* ua_update.c */
bool ua_update_request(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_tsx_event *ev,
		       uint64_t now_us);

/* ua_session_timer.c */
void ua_st_note_request(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_msg *m);
bool ua_st_check_422(struct sipdp_ua *ua, struct sipdp_dlg *d, sipdp_handle_t tsx, uint64_t now_us);
bool ua_st_elect(struct sipdp_ua *ua, struct sipdp_dlg *d, uint32_t *n, bool *we);
void ua_st_resp_hdrs(struct sipdp_ua *ua, struct sipdp_dlg *d, uint32_t n, bool we);
void ua_st_arm(struct sipdp_ua *ua, struct sipdp_dlg *d, uint32_t n, bool we, uint64_t now_us);
void ua_st_fire(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us);
void ua_st_got_2xx(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_msg *m,
		   bool refresh, uint64_t now_us);
void ua_st_invite_hdrs(struct sipdp_ua *ua, struct ua_ext *x);

#endif /* SIPDP_UA_EXT_PVT_H */
