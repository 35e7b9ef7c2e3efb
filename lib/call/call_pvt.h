/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_CALL_PVT_H
#define SIPDP_CALL_PVT_H

#include "sipdp_call.h"
#include "sipdp_msg_hdr.h"
#include "sipdp_pool.h"
#include "sipdp_timer.h"

/* Legs of a bridge. C is a transfer target until it takes the place of
 * the leg that referred. */
enum { CALL_LEG_A = 0, CALL_LEG_B = 1, CALL_LEG_C = 2, CALL_LEGS = 3 };

enum call_state {
	CALL_SETUP = 1, /* B-leg INVITE pending, A unanswered */
	CALL_UP,        /* A answered 2xx: the legs are bridged */
	CALL_ENDING,    /* one leg is gone, the other is being ended */
};

/* Bridge flags. */
#define CALL_F_GOT_1XX      0x01u /* this attempt had a provisional */
#define CALL_F_RING_CANCEL  0x02u /* this attempt was cancelled by a timer */
#define CALL_F_A_CANCELLED  0x04u /* the caller cancelled */
#define CALL_F_ANSWERED     0x08u /* a B 2xx won */

/* Transfer states (REFER termination). */
enum call_xfer_state {
	CALL_XFER_NONE = 0,
	CALL_XFER_CALLING,   /* INVITE to the target sent (delayed offer) */
	CALL_XFER_REOFFER,   /* target answered: re-INVITE to the remaining leg */
	CALL_XFER_PASSING,   /* REFER relayed to the other leg (refer: pass) */
	CALL_XFER_JOIN_OFFER,  /* attended, joined here: re-INVITE (no SDP) to the
			          other call's remaining leg, for its offer */
	CALL_XFER_JOIN_ANSWER, /* ... that offer re-INVITEd to our remaining leg */
	CALL_XFER_REOFFER_WAIT, /* target answered while the remaining leg still
				   waits for the ACK of its own 2xx (§14.1): the
				   target's offer is held in the setup buffer */
};

/* Words carried in the UA's application word and req_ref:
 *   bit 61     bridge tag (SIPDP_CALL_APP_BRIDGE)
 *   bit 60     probe (req_ref of an OPTIONS probe; bits 0-23: health slot)
 *   bits 58-59 what a req_ref is for (CALL_REF_*)
 *   bits 56-57 leg
 *   bits 24-47 bridge generation (low 24 bits), bits 0-23 bridge index */
#define CALL_W_PROBE        (1ull << 60)
#define CALL_W_REF_SHIFT    58
#define CALL_W_LEG_SHIFT    56
#define CALL_REF_RELAY      1u
#define CALL_REF_XFER       2u
#define CALL_MAX_BRIDGES    (1u << 24)
#define CALL_MAX_REDIRECTS  3u   /* 3xx followed per call: a redirect loop ends */
#define CALL_TARGET_REDIRECT 0xfffeu /* cur_target of a redirect attempt */

static inline uint64_t
call_word(sipdp_handle_t bridge, unsigned leg, unsigned ref)
{
	return SIPDP_CALL_APP_BRIDGE | ((uint64_t)ref << CALL_W_REF_SHIFT) |
	       ((uint64_t)leg << CALL_W_LEG_SHIFT) |
	       ((uint64_t)(sipdp_handle_gen(bridge) & 0xffffffu) << 24) |
	       (sipdp_handle_index(bridge) & 0xffffffu);
}

/* B-leg words also carry the attempt (bits 48-55): events of an attempt
 * already given up (a target that answers after its timeout) are told
 * apart from the attempt in flight. */
static inline uint64_t
call_word_b(sipdp_handle_t bridge, uint8_t attempt)
{
	return call_word(bridge, 1, 0) | ((uint64_t)attempt << 48);
}

static inline uint8_t call_word_attempt(uint64_t w) { return (uint8_t)(w >> 48); }
static inline unsigned call_word_leg(uint64_t w) { return (unsigned)(w >> CALL_W_LEG_SHIFT) & 3u; }
static inline unsigned call_word_ref(uint64_t w) { return (unsigned)(w >> CALL_W_REF_SHIFT) & 3u; }

/* What a setup buffer holds: the parts of the A leg's INVITE that every
 * B-leg attempt (failover) and a relayed offer (491 retry) needs again,
 * once the A message itself is gone. Strings follow the header in data. */
struct call_setup {
	uint16_t from_len, extra_len, ctype_len, body_len;
	uint16_t ruri_user_len, ruri_host_len, from_user_len;
	uint8_t max_forwards;
	bool has_redirect;             /* a 3xx to follow: the next attempt */
	struct sipdp_cfg_target redirect;
	char data[];
};

struct call_bridge {
	uint8_t state;          /* enum call_state */
	uint8_t flags;          /* CALL_F_* */
	uint8_t nb_order, next; /* targets in the order this call tries them */
	uint8_t order[SIPDP_CFG_MAX_TARGETS];
	uint8_t pend_leg;       /* leg whose in-dialog request crosses now, CALL_LEGS: none */
	uint8_t pend_method;
	uint8_t xfer_state;     /* enum call_xfer_state */
	uint8_t xfer_leg;       /* the leg that referred */
	uint8_t attempt;        /* B-leg attempts so far (wraps; compared for equality) */
	uint8_t redirects;      /* 3xx followed by this call */
	uint8_t join_leg;       /* attended join: the slot the other call's remaining
				   leg came from (packed here, not beside join: no padding) */
	uint16_t best_status;   /* the failure A gets when no target answers */
	uint16_t cur_target;    /* index in route->targets of the attempt */
	const struct sipdp_cfg_bridge *route;
	uint64_t user;          /* the embedder's word, back in params.released */
	sipdp_handle_t leg[CALL_LEGS];
	sipdp_handle_t b_head;  /* head dialog of the B attempt in flight */
	sipdp_handle_t pend_req; /* server request on pend_leg awaiting the answer */
	sipdp_handle_t setup;   /* setup buffer, or invalid */
	sipdp_handle_t xfer;    /* the UA's transfer record (transferee role) */
	sipdp_handle_t join;    /* attended join: the other call's bridge */
	sipdp_handle_t xfer_bye; /* attended join done: the transferor's referring
				    dialog, ended once its transfer record is (after
				    the final NOTIFY), or when this call ends first */
	sipdp_timer_handle_t t_ring, t_answer, t_max;
};

/* Timer kinds of the bridge wheel. */
enum { CALL_T_RING = 1, CALL_T_ANSWER, CALL_T_MAX, CALL_T_PROBE };

/* One target's health, as this shard sees it. Keyed by address, port and
 * transport so that it survives a config reload. */
struct call_health {
	bool used, down, probing;
	uint8_t family, transport;
	uint16_t port;
	uint8_t addr[16];
	uint32_t fails;
	uint32_t probe_interval_s, down_for_s;
	uint64_t down_until_us;
	char ruri[SIPDP_CFG_HOST_LEN]; /* OPTIONS Request-URI: sip:host:port;transport= */
};

#define CALL_HEALTH_SLOTS 256u

struct sipdp_call {
	struct sipdp_call_params p;
	struct sipdp_ua *ua;
	struct sipdp_pool *bridges;
	struct sipdp_pool *setups;
	struct sipdp_timer_wheel *wheel;
	uint64_t rng;
	struct sipdp_call_stats st;
	struct call_health health[CALL_HEALTH_SLOTS];
	char ruri[SIPDP_CFG_URI_LEN * 2]; /* expanded target URI */
	char to[SIPDP_CFG_URI_LEN * 2 + 4];
	char extra[4096];                 /* headers crossing the bridge */
	char reason[96];
};

/* call_bridge.c */
struct call_bridge *call_bridge_get(const struct sipdp_call *c, uint64_t word, sipdp_handle_t *h);
void call_bridge_try_next(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh, uint64_t now_us);
void call_bridge_end(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh, uint64_t now_us);
void call_bridge_maybe_free(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh);
void call_end_leg(struct sipdp_call *c, struct call_bridge *b, unsigned leg, uint16_t status,
		  uint64_t now_us);
void call_stop_timer(struct sipdp_call *c, sipdp_timer_handle_t *t);
void call_setup_release(struct sipdp_call *c, struct call_bridge *b);
/* The allow-listed headers of @p m as header lines in c->extra, plus
 * @p more (a line ending CRLF, may be empty). */
struct sipdp_str call_allowed_headers(struct sipdp_call *c, const struct sipdp_cfg_bridge *route,
				      const struct sipdp_msg *m, struct sipdp_str more);

/* call_route.c */
int call_route_order(struct sipdp_call *c, struct call_bridge *b, uint64_t now_us);
struct call_health *call_health_of(struct sipdp_call *c, const struct sipdp_cfg_target *t, bool make);
void call_health_result(struct sipdp_call *c, const struct sipdp_cfg_bridge *route,
			const struct sipdp_cfg_target *t, bool ok, uint64_t now_us);
void call_probe_fire(struct sipdp_call *c, uint32_t slot, uint64_t now_us);
void call_probe_response(struct sipdp_call *c, const struct sipdp_ua_event *ev, uint64_t now_us);
int call_expand_uri(struct sipdp_call *c, const char *tmpl, const struct call_setup *s);
void call_target_dest(struct sipdp_call *c, const struct sipdp_cfg_target *t,
		      struct sipdp_tsx_dest *d);
bool call_is_failover_code(const struct sipdp_cfg_bridge *route, uint16_t status);

/* call_relay.c */
void call_relay_event(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh, unsigned leg,
		      const struct sipdp_ua_event *ev, uint64_t now_us);

/* call_refer.c */
bool call_refer_event(struct sipdp_call *c, const struct sipdp_ua_xfer_event *ev, uint64_t now_us);
void call_xfer_confirmed(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh, unsigned leg,
			 uint64_t now_us);
void call_join_fail(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh, uint16_t status,
		    uint64_t now_us);
bool call_xfer_ua_event(struct sipdp_call *c, struct call_bridge *b, sipdp_handle_t bh, unsigned leg,
			const struct sipdp_ua_event *ev, uint64_t now_us);

#endif /* SIPDP_CALL_PVT_H */
