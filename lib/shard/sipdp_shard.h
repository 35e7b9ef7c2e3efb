/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_SHARD_H
#define SIPDP_SHARD_H

/**
 * @file
 * lcore roles and the data-path main loops.
 *
 * Roles: one control lcore (the EAL main lcore: exception path kernel ->
 * wire, kernel sends for unresolved next hops, netlink neighbour updates,
 * telemetry) and N workers (cfg lcores.workers). Worker i owns SIP shard i:
 * one struct sipdp_ua, one timing wheel for the policy's ring delays, one
 * reassembly table, TX queue i, tap queue i and the RX queues q with
 * q % N == i.
 *
 * A worker's loop, run to completion, never blocking:
 *   rx_burst (every RX queue it owns) -> sipdp_dp_classify_burst
 *     -> slow: sipdp_dp_reasm_burst -> SIP | exception
 *     -> exception: its tap queue (the kernel answers ARP/NDP/ICMP)
 *     -> SIP: owner = sipdp_shard_owner(); own: sipdp_ua_recv() now;
 *        other: SPSC ring (self, owner), full ring = counted drop
 *   hand-off rings from every other worker -> sipdp_ua_recv()
 *   timers (UA + ring delays) from the TSC, reasm expiry every 100 ms
 *   TX burst flush, urcu_qsbr_quiescent_state()
 * The UA's send hook builds frames (sipdp_dp_tx_build) to the MAC the
 * neighbour table gives, or hands the bare IP packets to the control lcore
 * (one SPSC ring per worker) for sipdp_dp_ksend_burst when it has none.
 *
 * Nothing here is thread-safe beyond what each function says.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_mempool.h>
#include <rte_ring.h>

#include "sipdp_call_gen.h"
#include "sipdp_call_policy.h"
#include "sipdp_cfg.h"
#include "sipdp_dp.h"
#include "sipdp_msg.h"
#include "sipdp_tsx.h"

struct sipdp_shard;        /* the whole data path (opaque) */

#define SIPDP_SHARD_MAX_WORKERS 64
#define SIPDP_SHARD_MAX_RXQ     64

/* ------------------------------------------------------------- counters */

/**
 * Per-worker counters, one X-macro (name, help) so names, fields and the
 * Prometheus HELP lines cannot drift.
 * Written by the owning worker only, read by telemetry with relaxed loads.
 */
#define SIPDP_SHARD_COUNTERS(X) \
	X(rx_pkts, "frames read from the port") \
	X(tx_pkts, "frames the port accepted") \
	X(tx_drops, "frames the TX queue refused") \
	X(rx_skipped_link_down, "RX bursts not made: the port's link was down") \
	X(tx_link_down_drops, "frames freed unsent: the port's link was down") \
	X(exceptions, "frames given to the kernel (tap)") \
	X(exception_drops, "frames for the kernel the tap queue refused") \
	X(sip_rx, "SIP datagrams classified on this worker") \
	X(sip_delivered, "SIP datagrams run through this shard's UA") \
	X(sip_tx, "SIP messages sent (retransmissions included)") \
	X(parse_errors, "datagrams the parser or the UA dropped") \
	X(handoff_out, "SIP handed to another worker") \
	X(handoff_in, "SIP received from another worker") \
	X(handoff_drops, "hand-off ring full: message freed") \
	X(handoff_ours, "of handoff_out: steered by our own branch or Call-ID (B legs, our calls)") \
	X(handoff_invites, "of handoff_out: INVITEs not ours (an A leg that came to the wrong worker)") \
	X(foreign_shard, "the UA said -EXDEV (response for another shard)") \
	X(ksend_queued, "packets passed to the control lcore (no MAC yet)") \
	X(ksend_drops, "kernel-send ring full") \
	X(no_mbuf, "sends lost: mbuf pool empty") \
	X(build_errors, "sipdp_dp_tx_build failed") \
	X(retransmissions, "transaction + 2xx retransmissions (gauge copy)") \
	X(tsx_live, "live transactions (gauge)") \
	X(tsx_conn_live, "... of them over a TCP/TLS connection (gauge)") \
	X(dialogs_live, "live dialogs (gauge)") \
	X(rejected_503, "new INVITEs answered 503 while draining") \
	X(shed_503, "new INVITEs answered 503 by overload control (gauge copy)") \
	X(overload_shed_pct, "share of new INVITEs being shed now, percent (gauge)") \
	X(overload_raises, "windows that raised the shed share") \
	X(full_503, "503 because a table was full (UA gauge copy)") \
	X(ua_build_errors, "a message did not fit the UA's 8 KiB scratch (gauge)") \
	X(ua_rx_bad, "datagrams the UA found unparsable (gauge)") \
	X(policy_answer, "policy answer") \
	X(policy_reject, "policy reject") \
	X(policy_redirect, "policy redirect") \
	X(policy_drop, "policy drop") \
	X(policy_404, "no rule matched") \
	X(in_dialog_200, "in-dialog requests answered 200 by the app") \
	X(busy_cycles, "TSC cycles of loop iterations that did work") \
	X(msg_cycles, "TSC cycles inside deliver: policy + UA + send hook") \
	X(busy_iters, "busy iters") \
	X(iters, "iters") \
	X(tcp_rx, "TCP/TLS messages from the control lcore run here") \
	X(tcp_tx, "TCP/TLS messages passed to the control lcore") \
	X(tcp_tx_drops, "worker -> control TCP ring full: transport error") \
	X(tcp_closed, "connection-closed notices received") \
	X(tcp_conn_dead, "sends on a closed connection: transport error") \
	X(tcp_conn_lost_tsx, "transactions ended at once by their connection's close") \
	X(refers_in, "REFERs received (transferee)") \
	X(refers_accepted, "REFERs answered 202 by the policy") \
	X(refers_rejected, "REFERs answered >= 300 (603 by policy, 503 table full)") \
	X(transfers_ok, "transfers that reached a 2xx (either role)") \
	X(transfers_failed, "transfers that ended with a failure (either role)") \
	X(notifies_sent, "NOTIFYs of REFER subscriptions sent") \
	X(replaces_matched, "INVITEs whose Replaces named one of our calls") \
	X(auto_refers, "REFERs sent by a rule's auto_transfer") \
	X(auto_refer_errors, "auto transfers not done (target unreachable, no room)") \
	X(rel1xx_sent, "reliable provisionals sent (RFC 3262)") \
	X(prack_received, "PRACKs matched to our reliable provisionals") \
	X(prack_sent, "PRACKs sent (as UAC of a transfer)") \
	X(sent_420, "INVITEs refused: an option tag we lack") \
	X(sent_421, "INVITEs refused: the rule requires 100rel") \
	X(sent_422, "INVITEs refused: Session-Expires below Min-SE") \
	X(session_refreshes, "successful session refreshes (RFC 4028)") \
	X(session_expiries, "calls ended with BYE: session not refreshed") \
	X(auto_consults, "consultation calls of attended auto transfers") \
	X(gen_attempted, "calls: INVITEs this worker originated") \
	X(gen_answered, "calls: 2xx received") \
	X(gen_failed, "calls: non-2xx final or timeout") \
	X(gen_not_started, "calls: due but max_concurrent / a table was full") \
	X(gen_byes, "calls: BYEs sent after hold_ms") \
	X(gen_live, "calls: in progress (gauge)") \
	X(gen_xfer_attempted, "calls: REFERs sent (refer_to)") \
	X(gen_xfer_accepted, "calls: REFERs answered 2xx (counted when the transfer ends)") \
	X(gen_xfer_completed, "calls: transfers a NOTIFY reported 2xx for") \
	X(gen_xfer_failed, "calls: transfers that did not complete") \
	X(gen_target_byes, "calls: BYEs to calls answered as our transfers' target") \
	X(policy_bridge, "INVITEs given to a bridge rule (B2BUA)") \
	X(bridges_live, "bridges in use (gauge, lib/call)") \
	X(bridges_answered, "bridged calls answered 2xx") \
	X(bridges_failed, "bridged calls answered >= 300 after every target") \
	X(bridges_cancelled, "bridged calls the caller cancelled") \
	X(bridge_failovers, "next target tried") \
	X(bridge_ring_timeouts, "a target sent no 1xx within ring_timeout_ms") \
	X(bridge_targets_down, "targets marked down (events)") \
	X(bridge_targets_down_now, "targets down now (gauge)") \
	X(bridge_all_down_503, "bridged INVITEs refused: every target down") \
	X(bridge_full_503, "bridged INVITEs refused: bridge or setup table full") \
	X(bridge_relayed, "in-dialog requests carried across a bridge") \
	X(bridge_refers_terminated, "REFERs on a bridge executed by sipdp") \
	X(bridge_transfers_ok, "those that reached the target") \
	X(bridge_transfers_failed, "those that did not: the call stayed") \
	X(bridge_joins_local, "attended transfers joined on this shard (no INVITE out)") \
	X(bridge_pins, "config snapshots pinned by live bridges (gauge)") \
	X(loop_cycles, "TSC cycles since the loop started (gauge, each second)") \
	X(cpu_ns, "CPU time the worker thread got (gauge, each second)") \
	X(busy_cpu_ns, "its share in busy iterations: preemption removed (gauge)") \
	X(calls_answered, "INVITEs answered 2xx by an answer rule") \
	X(hep_copied, "SIP messages copied for HEP (in and out)") \
	X(hep_dropped_rate, "HEP copies refused by the rate limit (hep.rate)") \
	X(hep_dropped_full, "HEP copies lost: queue to the control lcore or copy pool full") \
	X(hep_dropped_size, "HEP copies lost: message larger than a copy buffer")

#define SIPDP_SHARD_STATUS_CLASSES 7 /**< index 1..6: 1xx..6xx, 0: malformed */
#define SIPDP_SHARD_SETUP_BOUNDS 13  /**< finite setup-time buckets */

struct sipdp_shard_stats {
#define SIPDP_SHARD_X_FIELD(n, h) uint64_t n;
	SIPDP_SHARD_COUNTERS(SIPDP_SHARD_X_FIELD)
#undef SIPDP_SHARD_X_FIELD
	uint64_t req[SIPDP_METHOD__COUNT];             /**< requests received by method */
	uint64_t resp[SIPDP_SHARD_STATUS_CLASSES];     /**< responses received by class */
	uint64_t sent_req[SIPDP_METHOD__COUNT];        /**< requests sent by method */
	uint64_t sent_resp[SIPDP_SHARD_STATUS_CLASSES]; /**< responses sent by class */
	struct sipdp_dp_rx_stats dp;                   /**< classifier and reassembly */
	/** Call setup time (INVITE received to 2xx sent, answer rules), in
	 *  ms ticks: setup_b[i] counts setups <= sipdp_shard_setup_bounds_ms[i],
	 *  setup_b[SIPDP_SHARD_SETUP_BOUNDS] the rest; not cumulative. */
	uint64_t setup_b[SIPDP_SHARD_SETUP_BOUNDS + 1];
	uint64_t setup_sum_ms;                         /**< sum of the setups counted */
};

/** Upper bounds (ms) of the setup-time buckets: 1 ms .. 10 s. */
extern const uint32_t sipdp_shard_setup_bounds_ms[SIPDP_SHARD_SETUP_BOUNDS];

/** Names of the scalar counters, in field order (for telemetry and dumps). */
extern const char *const sipdp_shard_counter_names[];
/** Their one-line descriptions (Prometheus HELP), same order. */
extern const char *const sipdp_shard_counter_help[];
/** Number of scalar counters. */
extern const unsigned sipdp_shard_counter_count;

/* ---------------------------------------------------------- ownership */

/**
 * The worker that owns a message. Requests: the shard encoded in the
 * Call-ID when it is one of ours (sipdp_ua_id_shard) and below
 * @p nb_workers, else hash(Call-ID) % nb_workers. Responses: the shard in
 * the top Via branch when it is ours (sipdp_tsx_branch_shard), else as a
 * request. No Call-ID: 0 (the UA answers 400 or drops it). Any lcore.
 * @return a worker index < nb_workers (0 when nb_workers is 0 or 1).
 */
uint16_t sipdp_shard_owner(const struct sipdp_msg *m, uint16_t nb_workers);

/**
 * sipdp_shard_owner(), and whether the owner came from an identifier of
 * ours (@p ours: a response's branch or a request's Call-ID that encodes
 * the shard, i.e. a B leg or a call we originated) rather than the hash.
 */
uint16_t sipdp_shard_owner_ex(const struct sipdp_msg *m, uint16_t nb_workers, bool *ours);

/**
 * Enqueue SIP messages on a hand-off ring (single producer) without ever
 * blocking: what does not fit has its mbuf freed and is added to @p drops.
 * @return the number enqueued.
 */
uint16_t sipdp_shard_handoff_enqueue(struct rte_ring *r, const struct sipdp_dp_rx *msgs,
	uint16_t n, uint64_t *drops);

/** Create an SPSC ring of struct sipdp_dp_rx elements (cold). NULL on error. */
struct rte_ring *sipdp_shard_handoff_ring_create(const char *name, unsigned count, int socket);

/* -------------------------------------------------------------- policy */

/** What the policy decided for one INVITE. */
struct sipdp_shard_verdict {
	int rule;                       /**< index in cfg->rules, -1: none (404) */
	uint8_t action;                 /**< enum sipdp_cfg_action; NONE when rule -1 */
};

/*
 * The call policy (rule matching, SDP templates) is lib/call's
 * (sipdp_call_policy.h); these are its former names, kept for existing
 * callers. Each worker matches with its own scratch on a policy the
 * workers share.
 */
#define sipdp_shard_policy                 sipdp_call_policy
#define sipdp_shard_policy_scratch         sipdp_call_policy_scratch
#define sipdp_shard_policy_create          sipdp_call_policy_create
#define sipdp_shard_policy_destroy         sipdp_call_policy_destroy
#define sipdp_shard_policy_match           sipdp_call_policy_match
#define sipdp_shard_policy_scratch_create  sipdp_call_policy_scratch_create
#define sipdp_shard_policy_scratch_destroy sipdp_call_policy_scratch_destroy
#define sipdp_shard_sdp_expand             sipdp_call_sdp_expand
#define SIPDP_SHARD_REGEX_MATCH_LIMIT      SIPDP_CALL_REGEX_MATCH_LIMIT

/* ----------------------------------------------------------- data path */

struct sipdp_shard_params {
	const struct sipdp_cfg *cfg;          /**< kept; outlives the shard */
	uint16_t port_id;
	struct sipdp_dp_port_info port_info;
	uint16_t nb_rx_queues;                /**< RX queues of the port */
	uint16_t ctl_txq;                     /**< TX queue of the control lcore */
	uint16_t tap_port;
	uint16_t nb_tap_queues;               /**< one per worker */
	const char *tap_iface;
	struct sipdp_dp_neigh *neigh;         /**< netlink already open */
	struct sipdp_dp_ksend *ksend;
	const struct sipdp_dp_classifier *cls; /**< kept; immutable */
	struct rte_mempool *tx_pool;          /**< small messages */
	struct rte_mempool *big_pool;         /**< one-segment buffers >= message_max + headroom:
					           large sends and reassembly */
	struct rte_mempool *direct_pool;      /**< fragment headers */
	struct rte_mempool *indirect_pool;    /**< fragment bodies */
	uint64_t secret[2];                   /**< from a CSPRNG (RAND_bytes) */
};

/**
 * Build every worker's state (UAs, wheels, reassembly, rings, policy).
 * Control lcore, before sipdp_shard_launch(). Cold.
 * @return 0, -EINVAL, -ENOMEM, or the error of a sub-create.
 */
int sipdp_shard_create(const struct sipdp_shard_params *params, struct sipdp_shard **out);

/** Launch the workers on their lcores. @return 0 or -errno of rte_eal_remote_launch. */
int sipdp_shard_launch(struct sipdp_shard *s);

/**
 * One iteration of the control lcore: tap -> port, kernel-send rings ->
 * sipdp_dp_ksend_burst, netlink -> neighbour snapshot (now and then), QSBR
 * quiescent state. Control lcore (registered QSBR thread).
 * @return packets and messages handled (0: idle, the caller may sleep).
 */
int sipdp_shard_control_poll(struct sipdp_shard *s);

/**
 * Sleep @p us with the control lcore offline: for QSBR (grace periods do
 * not wait for it) and for the unmap guard (a PMD's teardown in the
 * interrupt thread does not wait for it). Control lcore.
 */
void sipdp_shard_control_sleep(struct sipdp_shard *s, unsigned us);

/** The port's link as the control lcore last read it (any thread, relaxed). */
bool sipdp_shard_link_up(const struct sipdp_shard *s);

/** Stop taking new dialogs: new INVITEs are answered 503. Any thread. */
void sipdp_shard_drain(struct sipdp_shard *s);

/** Live transactions over all workers (gauges, updated every ms). Any thread. */
uint64_t sipdp_shard_tsx_live(const struct sipdp_shard *s);

/** Stop the workers and wait for them. Control lcore. */
void sipdp_shard_stop(struct sipdp_shard *s);

/** Free everything (after stop). NULL accepted. */
void sipdp_shard_destroy(struct sipdp_shard *s);

uint16_t sipdp_shard_workers(const struct sipdp_shard *s);

/** Copy worker @p w's counters (relaxed loads). @return 0, -EINVAL. */
int sipdp_shard_stats_get(const struct sipdp_shard *s, uint16_t w, struct sipdp_shard_stats *st);

/** Sum of every worker's counters. */
void sipdp_shard_stats_total(const struct sipdp_shard *s, struct sipdp_shard_stats *st);

/** Print totals and per-worker counters, one "name value" per line. Cold. */
void sipdp_shard_stats_print(const struct sipdp_shard *s, FILE *f);

/**
 * Register /sipdp/stats and /sipdp/ports with DPDK telemetry. DPDK 22.11
 * callbacks take no user pointer, so one shard per process is recorded for
 * them. @return 0 or -errno.
 */
int sipdp_shard_telemetry_register(struct sipdp_shard *s);

/* ------------------------------------------------------- SIP over TCP/TLS */

/**
 * Serve SIP over TCP and TLS (lib/ctl) from the control lcore: create the
 * lib/ctl instance from the config (limits.tcp_*, message_max, tls:),
 * listen on sip.tcp_port and, with tls.cert, sip.tls_port on sipdp's
 * addresses (they must be up in the kernel: the exception tap), and create
 * one SPSC ring each way per worker. sipdp_shard_control_poll() then polls
 * lib/ctl and moves messages: each framed message is copied into an mbuf
 * and handed to its owner (sipdp_shard_owner), which runs it through its
 * UA with a reliable destination naming the connection; the UA's sends to
 * such a destination come back to the control lcore for sipdp_ctl_send().
 * A closed connection is announced to every worker: later sends on it
 * fail with a transport error. Registers /sipdp/ctl with telemetry. The
 * caller ignores SIGPIPE. Control lcore, after sipdp_shard_create() and
 * before sipdp_shard_launch(). Cold.
 * @return the number of listeners (0: sip.tcp_port 0 and no TLS, nothing
 *         done); -EALREADY; -ENOMEM; or the error of sipdp_ctl_create() /
 *         sipdp_ctl_listen_cfg().
 */
int sipdp_shard_tcp_start(struct sipdp_shard *s);

/** Print lib/ctl's counters and connections (sipdp_ctl_dump) and the
 *  control lcore's TCP hand-off counters. Control lcore. Cold. */
void sipdp_shard_tcp_print(const struct sipdp_shard *s, FILE *f);

/* ------------------------------------------------------ observability */

/**
 * Start what the config's metrics: and hep: sections ask for, both served
 * by the control lcore from sipdp_shard_control_poll():
 *  - metrics.port: listen on metrics.address for GET /metrics (lib/ctl's
 *    HTTP server, max_clients, timeout_ms): every per-worker counter as
 *    sipdp_<name>_total{worker="i"} (gauges without _total), SIP requests
 *    and responses by method and class, the classifier's counters, the
 *    call setup-time histogram sipdp_call_setup_seconds, lib/ctl's
 *    counters (sipdp_ctl_*), the HTTP server's and HEP's own;
 *  - hep.collector: a copy pool, one SPSC ring per worker and a token
 *    bucket per worker (hep.rate / workers); the control lcore encodes
 *    each copy as HEPv3 and sends it over a connected non-blocking UDP
 *    socket (the kernel routes it out of the exception tap).
 * Control lcore, after sipdp_shard_create() (and sipdp_shard_tcp_start(),
 * whose counters it shows) and before sipdp_shard_launch(). Cold.
 * @return 0 (also when both are off); -EALREADY; -ENOMEM; or the negative
 *         errno of a socket call (bind: -EADDRINUSE, -EADDRNOTAVAIL...).
 */
int sipdp_shard_obs_start(struct sipdp_shard *s);

/** Print the control lcore's HEP and HTTP counters ("name value" lines). */
void sipdp_shard_obs_print(const struct sipdp_shard *s, FILE *f);

/* ------------------------------------------------- calls: (generator) */

/*
 * The generator itself and its setup-time histogram are lib/call's
 * (sipdp_call_gen.h); these are their former names, kept for existing
 * callers.
 */
#define SIPDP_SHARD_HIST_SUB        SIPDP_CALL_HIST_SUB
#define SIPDP_SHARD_HIST_BUCKETS    SIPDP_CALL_HIST_BUCKETS
#define sipdp_shard_hist            sipdp_call_hist
#define sipdp_shard_hist_add        sipdp_call_hist_add
#define sipdp_shard_hist_merge      sipdp_call_hist_merge
#define sipdp_shard_hist_percentile sipdp_call_hist_percentile

/**
 * Next hop of the calls: target: the host of @p uri (an IPv4 or IPv6
 * literal, IPv6 in brackets), its port and transport (RFC 3261 §26.2,
 * §18.1.1): TLS for sips: or ;transport=tls (port 5061 when absent), TCP
 * for ;transport=tcp, else UDP (port 5060 when absent); TCP and TLS are
 * marked SIPDP_TSX_DEST_RELIABLE with no connection (conn_id 0): the
 * control lcore opens or reuses one.
 * @return 0; -EINVAL (not a SIP URI, sips: with another transport);
 *         -ENOTSUP (host is a name: no DNS on the data path).
 */
int sipdp_shard_gen_dest(const char *uri, struct sipdp_tsx_dest *d);

#define SIPDP_SHARD_GEN_STATUS SIPDP_CALL_GEN_STATUS /**< distinct failure statuses counted */
#define SIPDP_SHARD_GEN_NO_STATUS SIPDP_CALL_GEN_NO_STATUS /**< in xfer_status[]: failed without
					     a SIP status (REFER not sent, subscription ended) */

/** The generator's report, merged over the workers. */
struct sipdp_shard_calls {
	bool enabled;                   /**< the config has calls: */
	bool done;                      /**< every worker made its share and has no call left */
	uint64_t attempted, answered, failed, not_started, byes, live;
	uint64_t setup_p50_us, setup_p99_us; /**< INVITE sent -> 2xx received */
	uint64_t run_us;                /**< when done: first INVITE to last call ended */
	uint16_t status[SIPDP_SHARD_GEN_STATUS]; /**< failure statuses seen (0: unused) */
	uint64_t status_count[SIPDP_SHARD_GEN_STATUS];
	uint64_t status_other;          /**< failures with a status not in the table */
	/* calls.refer_to: transfers of answered calls (RFC 3515, RFC 5589 §6) */
	uint64_t xfer_attempted;        /**< REFERs sent */
	uint64_t xfer_accepted;         /**< REFERs answered 2xx (counted at the end) */
	uint64_t xfer_completed;        /**< a NOTIFY reported 2xx */
	uint64_t xfer_failed;           /**< did not complete (by status below) */
	uint64_t target_byes;           /**< calls answered as the target, ended */
	uint16_t xfer_status[SIPDP_SHARD_GEN_STATUS]; /**< statuses of failed transfers:
					     the REFER's or NOTIFY's, 0 when none */
	uint64_t xfer_status_count[SIPDP_SHARD_GEN_STATUS];
	uint64_t xfer_status_other;
};

/** Merge every worker's generator state. Any thread. @return 0, -EINVAL. */
int sipdp_shard_calls_get(const struct sipdp_shard *s, struct sipdp_shard_calls *c);

/**
 * One line for the log: "calls: attempted N answered N failed N not_started N
 * p50 X ms p99 Y ms" (+ " in S s, R answered/s" once done, + " failures: 486x3
 * 408x1" when any; with transfers " transfers: attempted N accepted N
 * completed N failed N" (+ " in S s, R completed/s" once done, + " failures:
 * 603x2" when any)). @return its length.
 */
int sipdp_shard_calls_summary(const struct sipdp_shard_calls *c, char *buf, size_t cap);

/* ------------------------------------------------------------- reload */

/**
 * Publish a new configuration snapshot: compile its policy, swap it in
 * with rcu_assign_pointer (workers read it once per loop, QSBR readers),
 * wait for a grace period, and retire the old one. A retired snapshot is
 * freed once no call set up under it is still live (answered calls keep
 * the rule they were set up with). @p cfg must have passed
 * sipdp_cfg_reload_check() against the running one; the shard takes it
 * (frees it with the snapshot). Control thread (not a worker); serialised
 * by the caller.
 * @return 0; -EINVAL (a regex does not compile: nothing changed, @p cfg
 *         still the caller's); -ENOMEM.
 */
int sipdp_shard_reload(struct sipdp_shard *s, struct sipdp_cfg *cfg);

/** Count a reload attempt for telemetry (reloads_ok / reloads_failed). Any thread. */
void sipdp_shard_reload_count(struct sipdp_shard *s, bool ok);

/** The snapshot in force now (valid until the next sipdp_shard_reload()). Control thread. */
const struct sipdp_cfg *sipdp_shard_cfg(const struct sipdp_shard *s);

/** Register /sipdp/calls with DPDK telemetry. @return 0 or -errno. */
int sipdp_shard_calls_telemetry_register(struct sipdp_shard *s);

/* --------------------------------------------------------- operations */

/**
 * Register /sipdp/dialogs (live dialogs per worker by state and a sample
 * of the first 16: Call-ID, state, role, age, peer; each worker takes its
 * own sample on request, the telemetry thread never reads a dialog table)
 * and /sipdp/lcores (role, busy % over 100 ms and since start, messages,
 * cycles per message). @return 0 or -errno.
 */
int sipdp_shard_ops_telemetry_register(struct sipdp_shard *s);

/**
 * Register /sipdp/capture: status | start,PATH[,packets] | stop. While a
 * capture runs, every frame the workers read from or write to the port is
 * copied (rte_pcapng_copy) and written by the control lcore to PATH as
 * pcapng; when none runs the workers pay one relaxed load per burst.
 * @return 0 or -errno.
 */
int sipdp_shard_capture_telemetry_register(struct sipdp_shard *s);

#endif /* SIPDP_SHARD_H */
