/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_UA_PVT_H
#define SIPDP_UA_PVT_H

/* Private to lib/ua. */

#include <errno.h>
#include <string.h>

#include "sipdp_dlg.h"
#include "sipdp_msg_build.h"
#include "sipdp_msg_hdr.h"
#include "sipdp_timer.h"
#include "sipdp_tsx.h"
#include "sipdp_ua.h"
#include "ua_ext_pvt.h"

/* Timer kind of dialog timers on the shared wheel (tsx uses its own). */
#define UA_TIMER_KIND 0x64u
/* Timer kind of transfer subscriptions (ua_subs.c). */
#define UA_XFER_TIMER_KIND 0x78u

/* Header lines the extensions add to one message. */
#define UA_XBUF_LEN 320u

/* Local identities: the fallback plus one per transport x family;
 * ua_sess.ident holds the index and UA_ID_SIPS. */
#define UA_ID_COUNT (1 + SIPDP_UA_IDENT_TRANSPORTS * SIPDP_UA_IDENT_FAMILIES)
#define UA_ID_INDEX 0x0fu
#define UA_ID_SIPS  0x80u

/* Build scratch: the largest message we build. */
#define UA_OUT_LEN 8192u

/* What a transaction is to the UA (side table indexed by tsx slot). */
enum ua_tk {
	UA_TK_NONE = 0,
	UA_TK_INV_IN,     /* IST of the INVITE that created the dialog */
	UA_TK_REINV_IN,   /* IST of a re-INVITE */
	UA_TK_REQ_IN,     /* NIST of an in-dialog request the app answers */
	UA_TK_INV_OUT,    /* ICT of our initial INVITE (user_ref: set head) */
	UA_TK_REINV_OUT,  /* ICT of our re-INVITE */
	UA_TK_BYE_OUT,
	UA_TK_CANCEL_OUT,
	UA_TK_REQ_OUT,    /* app request: ref = req_ref */
	UA_TK_REFER_OUT,  /* our REFER: ref = transfer handle (ua_refer.c) */
	UA_TK_NOTIFY_OUT, /* our NOTIFY: ref = transfer handle (ua_subs.c) */
	UA_TK_XFER_IN,    /* a REFER or NOTIFY the transfer code answers */
	UA_TK_OOD_OUT,    /* app request outside a dialog: ref = req_ref,
			     tsx user_ref = its method (ua_ood.c) */
};

struct ua_tside {
	uint64_t ref;      /* UA_TK_REQ_OUT, UA_TK_OOD_OUT: the app's req_ref */
	uint32_t mbuf;     /* server: response template, index+1 */
	uint16_t tmpl_len;
	uint8_t kind;      /* enum ua_tk */
	uint8_t final;     /* server: a final response was sent;
			      UA_TK_OOD_OUT: the outcome was reported */
};

/* Per-dialog UA state (lib/dlg ext area). Room is left for PRACK (RSeq),
 * session timers and subscriptions: add fields here. */
#define US_ACK_WAIT    0x0001u /* UAS: 2xx sent, ACK not seen */
#define US_CONFIRMED   0x0002u /* ACK sent (UAC) / received (UAS) */
#define US_FINAL_SENT  0x0004u /* UAS: final to the initial INVITE sent */
#define US_CANCEL_Q    0x0008u /* UAC: CANCEL waits for a provisional */
#define US_CANCELLED   0x0010u /* UAC: the app cancelled */
#define US_BYE_Q       0x0020u /* UAS: BYE waits for the ACK */
#define US_KEEP        0x0040u /* UAC: extra 2xx fork kept by the app */
#define US_OUTCOME     0x0080u /* UAC head: answered/failed reported */
#define US_REINV_OUT   0x0100u /* our re-INVITE in progress */
#define US_REINV_IN    0x0200u /* a re-INVITE from the peer not answered */
#define US_TERM        0x0400u /* on_terminated delivered / being delivered */
#define US_PROV_SENT   0x0800u /* UAS: a provisional was sent */
#define US_IN_ANSWER   0x1000u /* inside on_answered (sipdp_ua_keep allowed) */
#define US_ACK_DUE     0x2000u /* UAC of an INVITE: its 2xx is being reported, the
				  ACK goes when the callback returns (ua_ack.c) */
#define US_ACK_HELD    0x4000u /* ... the app holds it (ackwait_at: deadline) */

struct ua_sess {
	uint64_t app;
	sipdp_handle_t inv_tsx;      /* INVITE transaction in progress (either way) */
	sipdp_timer_handle_t timer;
	uint64_t armed_at;
	uint64_t retx_at;            /* 2xx retransmission (UAS) */
	uint64_t ackwait_at;         /* 64*T1 without ACK (UAS) | for our held ACK */
	uint64_t glare_at;           /* §14.1 */
	uint32_t mbuf;               /* kept 2xx, index+1 | UAS before the final:
					the queued provisional (UX_RING_Q) */
	uint16_t mlen;
	uint16_t flags;              /* US_* */
	uint32_t retx_ms;
	uint32_t ack_cseq;           /* CSeq of the INVITE whose 2xx is (to be) ACKed */
	uint32_t inv_cseq;           /* CSeq of our INVITE in progress */
	/* call transfer (ua_subs.c, ua_refer.c, ua_replaces.c) */
	uint32_t xsub;               /* first transfer record of this dialog, index+1 */
	uint16_t xflags;             /* UX_* */
	uint8_t ident;               /* local identity (UA_ID_*), chosen at the INVITE */
	sipdp_handle_t xlink;        /* UX_CALL: transfer; UX_REPLACING: replaced dialog */
	struct ua_ext x;             /* PRACK, UPDATE, session timers (ua_ext_pvt.h) */
};

#define UX_CALL      0x0001u /* INVITE sent by a transferee for a REFER */
#define UX_REPLACING 0x0002u /* INVITE received with a matching Replaces */

struct sipdp_ua {
	struct sipdp_dlg_table *dt;
	struct sipdp_tsx_table *tt;
	struct sipdp_timer_wheel *wheel;
	struct ua_tside *side;       /* per tsx slot */
	uint32_t tsx_cap;

	/* kept 2xx and response templates */
	uint8_t *mb_mem;
	uint32_t *mb_free;
	uint32_t mb_nfree, mb_count, mb_size;

	uint16_t shard_id;
	uint32_t t1_ms, t2_ms, t4_ms;
	uint32_t retry_after_s;
	uint64_t glare_ctr;
	uint64_t ood_ctr;            /* From tags of requests outside dialogs */

	/* identity, copied at creation: [0] the single one of the params
	 * (fallback), [1 + transport * 2 + family] the table's (ua_ident()) */
	struct ua_idv {
		struct sipdp_str via_pfx;    /* "SIP/2.0/UDP host:port;branch=" */
		struct sipdp_str contact;
		struct sipdp_str contact_sips;
	} id[UA_ID_COUNT];
	struct sipdp_str ua_name;
	char *ident_mem;

	sipdp_tsx_send_fn send;
	sipdp_ua_resolve_fn resolve;
	struct sipdp_ua_callbacks cb;
	void *user;

	/* the request being delivered to the app (answers inside callbacks
	 * are built from it directly) */
	const struct sipdp_msg *cur_req;
	sipdp_handle_t cur_tsx;
	uint64_t now_us;

	struct sipdp_ua_stats stats;
	struct sipdp_msg *msg;       /* parse scratch */
	char *out;                   /* build scratch, UA_OUT_LEN */
	char *out2;                  /* second scratch (ACK/BYE while out is busy) */
	struct ua_xfer *xfer;        /* call transfer, NULL when off */

	/* extensions: policy (params) and header lines the next message built
	 * gets (set just before a build, consumed by it; setters clear it too
	 * in case no build happens) */
	uint8_t rel100, refresher;
	uint32_t se_s, min_se_s;
	struct sipdp_str xhdr;
	char xbuf[UA_XBUF_LEN];
	/* Max-Forwards of the next request built, 0 = 70 (consumed like xhdr) */
	uint8_t mf;
};

static inline struct ua_sess *
ua_sess(struct sipdp_dlg *d)
{
	return (struct ua_sess *)sipdp_dlg_ext(d);
}

static inline struct ua_tside *
ua_side(struct sipdp_ua *ua, sipdp_handle_t tsx)
{
	return &ua->side[sipdp_handle_index(tsx)];
}

static inline char *
ua_mb(struct sipdp_ua *ua, uint32_t mb)
{
	return (char *)ua->mb_mem + (size_t)(mb - 1) * ua->mb_size;
}

static inline uint32_t
ua_mb_alloc(struct sipdp_ua *ua)
{
	return ua->mb_nfree ? ua->mb_free[--ua->mb_nfree] + 1 : 0;
}

static inline void
ua_mb_release(struct sipdp_ua *ua, uint32_t *mb)
{
	if (*mb) {
		ua->mb_free[ua->mb_nfree++] = *mb - 1;
		*mb = 0;
	}
}

/* Identity (UA_ID_*) for messages over @tp / @family (AF_INET6 or not),
 * @sips when the Request-URI is a sips URI (ua_create.c). */
uint8_t ua_ident(const struct sipdp_ua *ua, uint8_t tp, uint8_t family, struct sipdp_str ruri);

static inline const struct sipdp_str *
ua_via_pfx(const struct sipdp_ua *ua, const struct sipdp_dlg *d)
{
	return &ua->id[d ? (ua_sess((struct sipdp_dlg *)d)->ident & UA_ID_INDEX) : 0].via_pfx;
}

static inline const struct sipdp_str *
ua_contact(const struct sipdp_ua *ua, const struct sipdp_dlg *d)
{
	uint8_t i = d ? ua_sess((struct sipdp_dlg *)d)->ident : 0;
	const struct ua_idv *v = &ua->id[i & UA_ID_INDEX];

	return (i & UA_ID_SIPS) && v->contact_sips.len ? &v->contact_sips : &v->contact;
}

/* Live dialog of a handle for the app (terminated ones are stale). */
struct sipdp_dlg *ua_get(const struct sipdp_ua *ua, sipdp_handle_t h);

/* events */
void ua_emit(struct sipdp_ua *ua, sipdp_ua_cb cb, uint8_t type, struct sipdp_dlg *d, uint16_t status,
	     const struct sipdp_msg *m, const struct sipdp_tsx_dest *src);
/* End a dialog: timers off, buffers back, Terminated, on_terminated, free. */
void ua_end(struct sipdp_ua *ua, struct sipdp_dlg *d, enum sipdp_dlg_reason reason, uint16_t status,
	    enum sipdp_dlg_event ev, uint64_t now_us);
void ua_timer_update(struct sipdp_ua *ua, struct sipdp_dlg *d);
void ua_timer_fire(struct sipdp_ua *ua, sipdp_handle_t h, uint64_t now_us);

/* building (ua_build.c) */
int ua_build_request(struct sipdp_ua *ua, char *buf, struct sipdp_dlg *d, struct sipdp_str method,
		     uint32_t cseq, const char *branch, uint32_t blen, struct sipdp_str extra,
		     struct sipdp_str ctype, struct sipdp_str body, bool contact);
int ua_build_response(struct sipdp_ua *ua, sipdp_handle_t tsx, struct sipdp_dlg *d, uint16_t status,
		      struct sipdp_str extra, struct sipdp_str ctype, struct sipdp_str body, bool contact);
int ua_keep_template(struct sipdp_ua *ua, sipdp_handle_t tsx, const struct sipdp_msg *req,
		     struct sipdp_str to_tag);
void ua_next_hop(struct sipdp_ua *ua, struct sipdp_dlg *d, struct sipdp_tsx_dest *dest);
/* The ACK for the 2xx to the INVITE with CSeq ack_cseq: the copy kept by
 * sipdp_ua_ack() when there is one, else built without body. */
int ua_send_ack(struct sipdp_ua *ua, struct sipdp_dlg *d);
/* Send BYE in @d (no state change). */
int ua_send_bye(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us);
int ua_respond_tsx(struct sipdp_ua *ua, sipdp_handle_t tsx, struct sipdp_dlg *d, uint16_t status,
		   struct sipdp_str extra, struct sipdp_str ctype, struct sipdp_str body, bool contact,
		   uint64_t now_us);

/* UAS (ua_uas.c) */
void ua_uas_invite(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us);
void ua_uas_cancel(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us);
void ua_uas_ack(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us);
void ua_start_2xx_retx(struct sipdp_ua *ua, struct sipdp_dlg *d, sipdp_handle_t ist, int len,
		       uint32_t cseq, uint64_t now_us);

/* UAC (ua_uac.c) */
void ua_uac_response(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us);
void ua_uac_ict_gone(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us);
int ua_send_cancel(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us);

/* ACK of our INVITEs' 2xx, deferred or not (ua_ack.c) */
/* Send the ACK due or held (without body) now, if any. */
void ua_ack_flush(struct sipdp_ua *ua, struct sipdp_dlg *d);
/* A 2xx for our INVITE arrived again while its ACK is held: true (absorb). */
static inline bool
ua_ack_held(const struct sipdp_dlg *d)
{
	return (ua_sess((struct sipdp_dlg *)d)->flags & US_ACK_HELD) != 0;
}
/* Drop the kept copy of an ACK with body (its INVITE transaction ended). */
void ua_ack_unkeep(struct sipdp_ua *ua, struct sipdp_dlg *d);
/* The held ACK's deadline passed: ACK without body, BYE, end. */
void ua_ack_timeout(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us);

/* requests outside dialogs (ua_ood.c) */
void ua_ood_response(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev);

/* in dialog (ua_indlg.c) */
void ua_indlg_request(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us);
void ua_indlg_response(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us);

/* call transfer (ua_subs.c, ua_refer.c, ua_replaces.c, ua_xfer_create.c) */
int ua_xfer_create(struct sipdp_ua *ua, const struct sipdp_ua_params *p);
void ua_xfer_destroy(struct sipdp_ua *ua);
uint32_t ua_xfer_timers(const struct sipdp_ua_params *p);
/* REFER or NOTIFY in @d: true when handled here. */
bool ua_xfer_request(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_tsx_event *ev,
		     uint64_t now_us);
void ua_xfer_response(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us);
void ua_xfer_timer(struct sipdp_ua *ua, sipdp_handle_t h, uint64_t now_us);
void ua_xfer_dialog_end(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us);
void ua_xfer_call_event(struct sipdp_ua *ua, struct sipdp_dlg *d, uint8_t type, uint16_t status);
/* INVITE with Replaces: 0 (@replaced set, maybe invalid) or the status to refuse with. */
uint16_t ua_replaces_check(struct sipdp_ua *ua, const struct sipdp_msg *m, sipdp_handle_t *replaced);
void ua_replaces_bind(struct sipdp_ua *ua, struct sipdp_dlg *d, sipdp_handle_t replaced);
/* extensions: hooks called from the core files (ua_ext.c, ua_prack.c,
 * ua_update.c, ua_session_timer.c) */
void ua_ext_fire(struct sipdp_ua *ua, struct sipdp_dlg *d, uint64_t now_us);
void ua_ext_end(struct sipdp_ua *ua, struct sipdp_dlg *d);
/* UAS, new INVITE: true when refused here (420, 421, 422). */
bool ua_ext_uas_check(struct sipdp_ua *ua, const struct sipdp_tsx_event *ev, uint64_t now_us);
void ua_ext_uas_init(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_msg *m);
/* UAS ring/accept: true when the extension handled it (*rc is the result). */
bool ua_prack_ring(struct sipdp_ua *ua, struct sipdp_dlg *d, uint16_t status, struct sipdp_str extra,
		   struct sipdp_str ctype, struct sipdp_str body, uint64_t now_us, int *rc);
bool ua_ext_accept(struct sipdp_ua *ua, struct sipdp_dlg *d, uint16_t status, struct sipdp_str extra,
		   struct sipdp_str ctype, struct sipdp_str body, uint64_t now_us, int *rc);
/* UAC */
void ua_ext_invite(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_ua_invite *inv);
bool ua_prack_rx_1xx(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_msg *m);
void ua_prack_after_1xx(struct sipdp_ua *ua, sipdp_handle_t h, uint64_t now_us);
bool ua_st_retry_422(struct sipdp_ua *ua, struct sipdp_dlg *head, const struct sipdp_tsx_event *ev,
		     uint64_t now_us);
void ua_ext_uac_2xx(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_msg *m,
		    uint64_t now_us);
/* in dialog */
bool ua_ext_request(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct sipdp_tsx_event *ev,
		    uint64_t now_us);
void ua_ext_req_hdrs(struct sipdp_ua *ua, struct sipdp_dlg *d, uint8_t method);
void ua_ext_respond_pre(struct sipdp_ua *ua, struct sipdp_dlg *d, uint8_t method, uint16_t status);
void ua_ext_responded(struct sipdp_ua *ua, struct sipdp_dlg *d, uint8_t method, uint16_t status,
		      uint64_t now_us);
bool ua_ext_response(struct sipdp_ua *ua, struct sipdp_dlg *d, const struct ua_tside *side,
		     const struct sipdp_msg *m, uint16_t st, uint64_t now_us);

#endif /* SIPDP_UA_PVT_H */
