/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_SHARD_PVT_H
#define SIPDP_SHARD_PVT_H

#include <stdatomic.h>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "sipdp_shard.h"
#include "sipdp_call.h"
#include "sipdp_call_policy.h"
#include "sipdp_timer.h"
#include "sipdp_ua.h"
#include "sipdp_log.h"
#include "sipdp_ratelim.h"

#define SHARD_LOG(lvl, ...) RTE_LOG(lvl, USER2, "sipdp_shard: " __VA_ARGS__)

#define SHARD_BURST      32
#define SHARD_TXBUF      128   /* frames buffered before a TX burst */
#define SHARD_HANDOFF_SZ 4096  /* per (src, dst) worker pair */
#define SHARD_KSEND_SZ   4096  /* per worker, to the control lcore */
#define SHARD_IPSTR      48
#define SHARD_RING_KIND  SIPDP_CALL_TK_RING /* timer kind on the shard wheel: ring delay */
#define SHARD_TCP_RING_SZ 4096 /* control <-> worker, SIP over TCP/TLS, each way */
#define SHARD_TCP_DEAD_SZ 1024 /* recently closed connection ids per worker (power of 2) */
/* timer kinds on the shard wheel of the calls: generator (lib/call): hold,
 * REFER after answer, hold of a call we answered as the target of our own
 * transfers */
#define SHARD_GEN_KIND         SIPDP_CALL_TK_GEN_HOLD
#define SHARD_GEN_REFER_KIND   SIPDP_CALL_TK_GEN_REFER
#define SHARD_GEN_TARGET_KIND  SIPDP_CALL_TK_GEN_TARGET
#define SHARD_GEN_OWNS_KIND(k) SIPDP_CALL_TK_GEN_OWNS(k)

/* One SIP message over TCP/TLS between the control lcore and a worker
 * (shard_tcp.c, shard_tcp_ctl.c). m NULL: connection conn_id closed. */
struct shard_tcp_msg {
	struct rte_mbuf *m;
	uint32_t conn_id;    /* lib/ctl id, never 0; 0 outbound: open by address */
	uint8_t transport;   /* SIPDP_TSX_TP_TCP / _TLS */
	uint8_t family;
	uint8_t local_id;
	uint8_t why;         /* enum sipdp_ctl_close_reason of a close */
	uint16_t port;       /* peer, host order */
	uint16_t reserved;
	uint8_t addr[16];    /* peer */
};

/* sipdp_tsx_dest.opaque: how a datagram reached us, so answers leave the
 * same way (VLAN tag as received). */
#define SHARD_OPQ_VLAN   0x10000u

struct shard_local {
	char ip[SHARD_IPSTR];      /* text form for ${local_ip} */
	struct sipdp_str sent_by;  /* unused for now: one Via sent-by per shard */
};

/* shard_ops.c: a bounded sample of a worker's dialogs, taken by the
 * worker itself on request (the telemetry thread never reads a dialog
 * table) and published under a sequence lock. */
#define SHARD_DSAMPLE      16   /* dialogs in a sample, per worker and in all */
#define SHARD_DSAMPLE_SCAN 4096 /* dialog slots looked at per ms tick */
#define SHARD_CALLID_SHOW  64

struct shard_dsample_ent {
	char call_id[SHARD_CALLID_SHOW];
	struct sipdp_tsx_dest peer;
	uint32_t age_ms;
	uint8_t state, role, confirmed;
};

struct shard_dsample_pub {
	uint32_t dialogs, early, confirmed, terminated, n;
	struct shard_dsample_ent e[SHARD_DSAMPLE];
};

struct shard_dsample {
	uint64_t req;                /* telemetry: asks (atomic increment) */
	uint64_t done;               /* worker: the req last answered (release) */
	uint32_t seq;                /* odd while the worker writes pub */
	struct shard_dsample_pub pub;
	/* the worker's walk in progress */
	bool walking;
	uint64_t want;
	uint32_t cursor;
	struct shard_dsample_pub stage;
};


/* shard_obs.c / shard_obs_ctl.c: HEP copies, worker -> control lcore. One
 * mbuf each: this record, then the SIP message. */
#define SHARD_HEP_RING_SZ 4096   /* per worker */
#define SHARD_HEP_POOL_N  8191   /* copies in flight, all workers */
#define SHARD_HEP_ROOM    4096   /* mbuf data room: record + message */

struct shard_hep_rec {
	uint64_t tsc;                /* when the worker saw it */
	uint8_t family;              /* AF_INET / AF_INET6 */
	uint8_t transport;           /* SIPDP_TSX_TP_* */
	uint8_t out;                 /* 1: sent by us */
	uint8_t reserved;
	uint16_t peer_port, local_port;
	uint8_t peer[16], local[16];
	uint32_t len;
};
#define SHARD_HEP_MAX_MSG (SHARD_HEP_ROOM - (uint32_t)sizeof(struct shard_hep_rec))

/* shard_capture.c: per-worker capture state (SIP datagrams in and out). */
#define SHARD_CAP_RING_SZ 4096

struct shard_worker {
	struct sipdp_shard_stats st; /* first: own cache lines */
	struct sipdp_shard *s;
	uint16_t idx;
	unsigned lcore;
	struct sipdp_ua *ua;
	struct sipdp_timer_wheel *wheel;
	struct sipdp_dp_reasm *reasm;
	struct sipdp_dp_txq txq;
	uint16_t nb_rxq;
	uint16_t rxq[SIPDP_SHARD_MAX_RXQ];
	struct rte_ring *ksend;      /* this worker -> control */
	struct rte_mbuf *txb[SHARD_TXBUF];
	uint16_t n_txb;
	struct sipdp_msg *msg;       /* scratch for ownership and policy */
	int cur_rule;                /* policy verdict of the INVITE in sipdp_ua_recv, -2: none */
	uint64_t now_us;
	uint64_t session_seq;
	char contact[SIPDP_CFG_URI_LEN + 64];
	char sent_by[SHARD_IPSTR + 8];
	struct rte_ring *tcp_in;     /* control -> this worker: struct shard_tcp_msg; NULL: no TCP */
	struct rte_ring *tcp_out;    /* this worker -> control */
	uint32_t *tcp_dead;          /* [SHARD_TCP_DEAD_SZ] closed conn ids, by id & mask */
	struct sipdp_call_gen *gen;  /* calls: generator (lib/call), NULL without calls: */
	struct shard_snap *snap;     /* config snapshot read at the top of each loop */
	struct sipdp_shard_policy_scratch *re_scratch; /* regex match data */
	struct shard_dsample *ds;    /* dialog samples for telemetry (shard_ops.c) */
	struct sipdp_ratelim rl_shard; /* log lines a peer can trigger */
	uint64_t udp_cksum_logged;   /* st.dp.drop_udp_cksum at the last log line */
	struct rte_ring *cap_ring;   /* captured packets -> control lcore (MP/SC: RX and TX
				        copies come from this worker only) */
	uint64_t cap_copied, cap_drops;
	struct rte_ring *hep_ring;   /* HEP copies -> control lcore (SPSC); NULL: no hep: */
	struct sipdp_ratelim hep_rl; /* hep.rate / workers */
	uint64_t cpu_ns0;            /* thread CPU time when the loop started */
	unsigned guard_slot;         /* unmap guard participant (sipdp_dp_guard_*) */
	bool guarded;                /* ... registered */
	/* the UA's identity per transport x family (shard_ident_create.c) */
	char id_sent_by[SIPDP_UA_IDENT_TRANSPORTS][SIPDP_UA_IDENT_FAMILIES][SHARD_IPSTR + 8];
	char id_contact[SIPDP_UA_IDENT_TRANSPORTS][SIPDP_UA_IDENT_FAMILIES][SIPDP_CFG_URI_LEN + 80];
	/* B2BUA (lib/call, shard_bridge.c) */
	struct sipdp_call *call;     /* this UA's bridges */
	uint32_t bridge_pins;        /* snapshot references held by live bridges */
	/* overload control (shard_worker.c): this window's short polls */
	uint32_t ovl_caught, ovl_full, ovl_busy;
	uint64_t ovl_next_us;
	uint8_t shed_pct;
	/* The call policy's environment (lib/call): the UA, the wheel, the
	 * local addresses; config handles are snapshots (shard_policy.c) */
	struct sipdp_call_env env;
} __attribute__((aligned(64)));

/* A published configuration: what workers read under QSBR. Aligned to 64
 * so a dialog's app word holds its address with the rule index in the low
 * 6 bits (SIPDP_CFG_MAX_RULES is 64). */
struct shard_snap {
	const struct sipdp_cfg *cfg;
	struct sipdp_call_policy *policy;
	struct sipdp_cfg *owned;     /* freed with the snapshot (reloads), or NULL */
	struct shard_snap *retired_next;
	struct {
		uint64_t n;          /* answered calls set up under it, live; owning worker writes */
		char pad[56];
	} refs[SIPDP_SHARD_MAX_WORKERS];
} __attribute__((aligned(64)));

struct sipdp_shard {
	const struct sipdp_cfg *cfg;
	struct sipdp_shard_params p;
	struct sipdp_call_policy *policy; /* the boot config's; workers use w->snap
					    (which follows reloads) */
	uint16_t nb_workers;
	uint16_t nb_local;
	struct shard_local local[SIPDP_DP_MAX_LOCAL];
	struct shard_worker *w[SIPDP_SHARD_MAX_WORKERS];
	/* ring[src][dst]: src is the single producer, dst the single consumer */
	struct rte_ring *ring[SIPDP_SHARD_MAX_WORKERS][SIPDP_SHARD_MAX_WORKERS];
	uint64_t tsc_hz;
	uint64_t tsc0;
	uint64_t ctl_iter;
	atomic_bool draining;
	atomic_bool stop;
	bool launched;
	struct shard_tcp *tcp;       /* lib/ctl on the control lcore; NULL: no TCP/TLS */
	struct shard_snap *snap;     /* current snapshot (rcu_assign_pointer) */
	struct shard_snap *retired;  /* replaced, waiting for their calls to end */
	uint64_t reloads_ok, reloads_failed;
	/* control lcore load, for /sipdp/lcores (written by the control lcore) */
	uint64_t ctl_busy_cycles, ctl_polls, ctl_busy_polls;
	struct sipdp_ratelim rl_ctl;  /* control lcore's peer-triggered log lines */
	struct shard_capture *cap;   /* capture on request (shard_capture_ctl.c) */
	struct rte_mempool *cap_pool; /* copies; made at the first capture, kept */
	uint32_t cap_on;             /* workers copy packets while non-zero (relaxed) */
	struct shard_obs *obs;       /* /metrics and HEP sending (shard_obs_ctl.c) */
	struct rte_mempool *hep_pool; /* HEP copies; NULL: no hep: */
	/* Link state (shard_ctl.c): read by the control lcore, which writes
	 * link_up; workers load it (relaxed) once per loop and make no RX
	 * burst, and send nothing, while it is 0. */
	struct sipdp_dp_link link;
	uint32_t link_up;
	bool link_watched;
	unsigned ctl_guard_slot;     /* the control lcore's unmap guard participant */
	bool ctl_guarded;
};

/* shard_policy.c: UA callbacks */
void shard_on_incoming(void *user, const struct sipdp_ua_event *ev);
void shard_on_request(void *user, const struct sipdp_ua_event *ev);
void shard_ring_fire(void *arg, const struct sipdp_timer_event *ev);
int shard_policy_pre(struct shard_worker *w, const struct sipdp_dp_rx *rx,
	const struct sipdp_tsx_dest *src);
void shard_policy_env(struct shard_worker *w);

/* The app word of a dialog: lib/call's (sipdp_call_policy.h). A call
 * under a rule names its config snapshot (the config handle of lib/call:
 * shard_policy.c resolves it to the snapshot's policy) with the rule index
 * and the local address index. Each such dialog holds a reference on its
 * snapshot (refs[worker], taken and dropped through env.pin), so it keeps
 * its rule across reloads. */
#define SHARD_APP_GEN          SIPDP_CALL_APP_GEN
#define SHARD_APP_GEN_T(app)   SIPDP_CALL_APP_GEN_T(app)
#define SHARD_APP_GEN_SEQ(app) SIPDP_CALL_APP_GEN_SEQ(app)
#define SHARD_APP_GEN_MAKE(t, seq) SIPDP_CALL_APP_GEN_MAKE(t, seq)
#define SHARD_APP_CONSULT      SIPDP_CALL_APP_CONSULT
#define SHARD_APP_CONSULT_MAKE(dlg) SIPDP_CALL_APP_CONSULT_MAKE(dlg)
#define SHARD_APP_CONSULT_DLG(app)  SIPDP_CALL_APP_CONSULT_DLG(app)
#define SHARD_APP_IS_RULE(app) SIPDP_CALL_APP_IS_RULE(app)
#define SHARD_APP_SNAP(app)    ((struct shard_snap *)SIPDP_CALL_APP_HANDLE(app))
#define SHARD_APP_RULE(app)    SIPDP_CALL_APP_RULE(app)
#define SHARD_APP_LOCAL(app)   SIPDP_CALL_APP_LOCAL(app)
#define SHARD_APP_MAKE(snap, rule, local) SIPDP_CALL_APP_RULE_MAKE(snap, rule, local)

/* shard_policy.c: the UA's final-answer callbacks, dispatching to both */
void shard_on_answered(void *user, const struct sipdp_ua_event *ev);
void shard_on_failed(void *user, const struct sipdp_ua_event *ev);

/* shard_xfer.c: per-rule PRACK, session timers, transfer (lib/call's
 * call_xfer.c) wired to the UA */
#define SHARD_XFER_KIND   SIPDP_CALL_TK_XFER /* timer kind on the shard wheel: auto transfer */
#define SHARD_REF_REFRESH SIPDP_CALL_REF_REFRESH /* req_ref of a session refresh re-INVITE */
void shard_xfer_params(const struct sipdp_cfg *cfg, struct sipdp_ua_params *up,
	struct sipdp_ua_xfer_params *xp);
void shard_on_xfer(void *user, const struct sipdp_ua_xfer_event *ev);
void shard_on_confirmed(void *user, const struct sipdp_ua_event *ev);
void shard_on_ext(void *user, const struct sipdp_ua_event *ev);
void shard_xfer_gauges(struct shard_worker *w);

/* shard_gen.c: the calls: generator (lib/call's) and dialog ends */
void shard_gen_gauges(struct shard_worker *w);
int shard_gen_poll(struct shard_worker *w, uint64_t tsc);
void shard_gen_fire(struct shard_worker *w, const struct sipdp_timer_event *ev);
void shard_gen_answered(void *user, const struct sipdp_ua_event *ev);
void shard_gen_failed(void *user, const struct sipdp_ua_event *ev);
void shard_on_terminated(void *user, const struct sipdp_ua_event *ev);
void shard_gen_xfer(struct shard_worker *w, const struct sipdp_ua_xfer_event *ev);
void shard_gen_confirmed(struct shard_worker *w, const struct sipdp_ua_event *ev);
struct sipdp_str shard_gen_sdp(struct shard_worker *w, uint64_t app);
/* shard_gen_create.c */
int shard_gen_create(struct shard_worker *w);
void shard_gen_destroy(struct shard_worker *w);
void shard_gen_forget(const struct sipdp_shard *s);
/* shard_reload.c */
int shard_policy_compile(const struct sipdp_cfg *cfg, struct sipdp_call_policy **out);
int shard_snap_create(struct sipdp_shard *s, const struct sipdp_cfg *cfg, struct shard_snap **out);
void shard_snap_destroy(struct shard_snap *snap);
void shard_reload_reclaim(struct sipdp_shard *s, bool all);

/* shard_bridge.c: the B2BUA bridges of a worker (lib/call) */
const struct sipdp_cfg_bridge *shard_bridge_route(void *user, struct sipdp_str target);
void shard_bridge_dest(void *user, struct sipdp_tsx_dest *dest);
void shard_bridge_released(void *user, uint64_t bridge_user);
void shard_bridge_incoming(struct shard_worker *w, const struct sipdp_ua_event *ev, int rule);
bool shard_bridge_event(struct shard_worker *w, const struct sipdp_ua_event *ev);
bool shard_bridge_xfer(struct shard_worker *w, const struct sipdp_ua_xfer_event *ev);
unsigned shard_bridge_expire(struct shard_worker *w);
void shard_bridge_gauges(struct shard_worker *w);
void shard_on_provisional(void *user, const struct sipdp_ua_event *ev);
void shard_on_response(void *user, const struct sipdp_ua_event *ev);
void shard_on_glare_retry(void *user, const struct sipdp_ua_event *ev);
/* shard_create.c */
int shard_bridge_create(struct shard_worker *w);
void shard_bridge_destroy(struct shard_worker *w);
static inline int
shard_policy_match_uri(const struct sipdp_call_policy *p, struct sipdp_str uri,
	struct sipdp_call_policy_scratch *scratch)
{
	return sipdp_call_policy_match_uri(p, uri, scratch);
}

/* shard_ctl.c */
void shard_telemetry_forget(const struct sipdp_shard *s);

/* shard_ops.c (worker side) and shard_ops_tel.c: dialogs and lcores */
int shard_ops_create(struct sipdp_shard *s);
void shard_ops_destroy(struct sipdp_shard *s);
void shard_ops_poll(struct shard_worker *w);
const char *shard_addr_text(const struct sipdp_tsx_dest *d, char *buf, size_t cap);

/* shard_capture.c (worker) and shard_capture_ctl.c (control lcore) */
void shard_capture_copy(struct shard_worker *w, uint16_t queue, struct rte_mbuf *const *pkts,
	uint16_t n, bool tx);
int shard_capture_create(struct sipdp_shard *s);
int shard_capture_control_poll(struct sipdp_shard *s);
void shard_capture_destroy(struct sipdp_shard *s);

/* shard_obs.c (worker) and shard_obs_ctl.c (control lcore): metrics, HEP */
void shard_setup_record(struct shard_worker *w, sipdp_handle_t dlg);
void shard_hep_copy(struct shard_worker *w, const struct sipdp_tsx_dest *peer, bool out,
	const char *buf, uint32_t len);
static inline void
shard_hep(struct shard_worker *w, const struct sipdp_tsx_dest *peer, bool out, const char *buf,
	uint32_t len)
{
	if (SIPDP_UNLIKELY(w->hep_ring != NULL))
		shard_hep_copy(w, peer, out, buf, len);
}
int shard_obs_control_poll(struct sipdp_shard *s);
void shard_obs_destroy(struct sipdp_shard *s);
struct sipdp_ctl_stats;
bool shard_tcp_ctl_stats(const struct sipdp_shard *s, struct sipdp_ctl_stats *st);

/* shard_worker.c */
int shard_send(void *user, const struct sipdp_tsx_dest *dest, const char *buf, uint32_t len);
int shard_worker_main(void *arg);

/* shard_ident_create.c: Via/Contact per transport and family for the UA */
void shard_ident_fill(struct sipdp_shard *s, struct shard_worker *w, struct sipdp_ua_params *up);

/* shard_tcp.c (worker) and shard_tcp_ctl.c (control lcore): SIP over TCP/TLS */
unsigned shard_tcp_worker_poll(struct shard_worker *w);
int shard_tcp_send(struct shard_worker *w, const struct sipdp_tsx_dest *d, const char *buf,
	uint32_t len);
int shard_tcp_control_poll(struct sipdp_shard *s);
void shard_tcp_destroy(struct sipdp_shard *s);

#endif /* SIPDP_SHARD_PVT_H */
