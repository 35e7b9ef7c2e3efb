/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_BENCH_B2B_H
#define SIPDP_BENCH_B2B_H

/*
 * The in-process network of the B2BUA benchmarks (b2b-call, b2b-refer):
 * four UA stacks joined by an in-memory FIFO standing for the NIC,
 *
 *   A  192.0.2.1     caller (UAC), answers a re-INVITE with its SDP
 *   S  192.0.2.2     sipdp: a UA plus lib/call bridging every INVITE; the
 *                    stack that is measured
 *   B  198.51.100.2  callee: 100 (from its UA), 180, then 200 with SDP
 *   C  198.51.100.3  transfer target: 100, then 200 with SDP
 *
 * routed on the destination's IPv4 address. S is wired as an embedder
 * wires lib/call: on_incoming -> sipdp_call_bridge(), every other UA event
 * -> sipdp_call_on_event(), on_xfer -> sipdp_call_on_xfer(), and
 * sipdp_call_expire() with sipdp_ua_expire() on each clock step. Every call
 * into S goes through b2b_s_recv() / b2b_s_expire(): the time spent there
 * (S's parse, transactions, dialogs, bridge logic, builds and callbacks) is
 * what the benchmarks report for S, and they are out of line so that
 * callgrind can count S alone (--toggle-collect, docs/performance.md).
 */

#include <stdbool.h>
#include <stdint.h>

#include "sipdp_call.h"
#include "sipdp_ua.h"

enum { B2B_A = 0, B2B_S = 1, B2B_B = 2, B2B_C = 3, B2B_EPS = 4 };

#define B2B_Q_LEN 256
#define B2B_PKT_MAX 2048
#define B2B_PEND 8

struct b2b_pkt {
	uint8_t from, to;
	uint32_t len;
	char data[B2B_PKT_MAX];
};

struct b2b_net;

struct b2b_ep {
	struct b2b_net *net;
	uint8_t id;
	bool ring;                  /* callee: 180 before the 200 */
	struct sipdp_ua *ua;
	sipdp_handle_t pend[B2B_PEND]; /* INVITEs to answer once recv returns */
	uint32_t npend;
	sipdp_handle_t last_incoming;
	/* outcomes seen by this endpoint */
	uint64_t incoming, answered, confirmed, failed, terminated, reinvites;
	uint64_t xfer_ok, xfer_bad;
};

struct b2b_net {
	struct b2b_ep ep[B2B_EPS];
	struct sipdp_call *call;           /* S's bridge table */
	struct sipdp_cfg_bridge route;     /* every INVITE: one UDP target, B */
	struct sipdp_cfg_bridge xroute;    /* REFER targets: one UDP target, C */
	struct b2b_pkt q[B2B_Q_LEN];
	uint32_t head, n;
	uint64_t now;
	bool timing;                       /* count S's time (on by default) */
	uint64_t s_ns;                     /* time spent in S while timing */
	uint64_t s_in, s_out;              /* datagrams S received / sent while timing */
	uint64_t dropped, errors, s_unhandled;
};

/** Four stacks, S with a bridge table; @p dialogs and @p tsx per stack.
 *  @return 0 or a negative errno (printed). */
int b2b_net_init(struct b2b_net *net, uint32_t dialogs, uint32_t tsx);
void b2b_net_free(struct b2b_net *net);

/** Deliver every queued datagram (and what it causes) until quiet. */
void b2b_settle(struct b2b_net *net);

/** Move the clock by @p step µs, run every stack's timers, settle. */
void b2b_tick(struct b2b_net *net, uint64_t step);

/** Run the clock @p us further in 10 ms steps (drain lingering timers). */
void b2b_drain(struct b2b_net *net, uint64_t us);

/** A calls S (INVITE with SDP); @p dlg: A's dialog. */
int b2b_a_calls(struct b2b_net *net, sipdp_handle_t *dlg);

/** S left with no bridge, dialog, transaction or transfer record.
 *  @return true, or false after printing what is left. */
bool b2b_s_idle(struct b2b_net *net, const char *who);

/** The measured stack's entry points (out of line for callgrind). */
int b2b_s_recv(struct b2b_net *net, const char *buf, uint32_t len, const struct sipdp_tsx_dest *src);
/** b2b_s_expire(): S's UA timers, then its bridge timers, at most @p max
 *  of each. @return the larger count fired. */
int b2b_s_expire(struct b2b_net *net, uint32_t max);

/** Transactions alive at steady state for a clock step of @p step µs
 *  (@p per_call of them lingering 64*T1 per call), bounded. */
uint32_t b2b_tsx_capacity(uint64_t step, uint32_t per_call);

#endif
