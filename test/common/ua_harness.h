/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_UA_HARNESS_H
#define SIPDP_UA_HARNESS_H

/**
 * @file
 * Test harness for lib/ua (tests only: allocates, prints): up to
 * UAH_MAX_EP user agents joined by an in-memory datagram network and a fake
 * clock.
 *
 * - dest.addr[0] names the receiving endpoint; UAH_FORK sends a copy to
 *   every endpoint in net->fork_to (a forking proxy without Via, enough for
 *   the UAC side of RFC 3261 §13.2.2.4).
 * - Every send is logged (time, from, to, first line, bytes). Nothing moves
 *   until uah_deliver() / uah_run().
 * - Faults, per sending endpoint: drop the next N sends, or only those
 *   starting with a prefix; duplicate the next N; deliver a round reversed.
 * - Clock: uah_run() moves time in 1 ms steps, delivering everything queued
 *   at each step and running every UA's timers, so each timer fires at its
 *   exact millisecond.
 * - Every UA event is logged per endpoint; an endpoint can auto-answer.
 */

#include <stdbool.h>
#include <stdint.h>

#include "sipdp_ua.h"
#include "sipdp_ua_ext.h"

#define UAH_MAX_EP 4
#define UAH_FORK 9
#define UAH_MAX_PKTS 8192
#define UAH_MAX_EVS 512
#define UAH_MS 1000ull
#define UAH_SEC 1000000ull

struct uah_net;

struct uah_pkt {
	uint64_t at_us;
	uint8_t from, to;
	bool dropped;
	uint32_t len;
	char *data; /* NUL-terminated copy */
};

struct uah_ev {
	uint64_t at_us;
	uint8_t type, reason, method;
	bool fork;
	uint16_t status;
	sipdp_handle_t dlg, req;
	uint64_t req_ref;
};

/* What an endpoint does by itself on a new INVITE. */
enum uah_answer {
	UAH_MANUAL = 0,   /* nothing: the test calls ring/accept/... */
	UAH_ACCEPT_NOW,   /* 200 inside on_incoming */
	UAH_RING,         /* 180 inside on_incoming */
	UAH_REJECT_NOW,   /* answer_code inside on_incoming */
};

struct uah_ep {
	struct uah_net *net;
	uint8_t id;
	struct sipdp_ua *ua;
	enum uah_answer answer;
	uint16_t answer_code;
	bool answer_requests;       /* 200 to in-dialog requests inside on_request */
	uint32_t drop_next, dup_next;
	const char *drop_prefix;    /* drop sends starting with this (drop_prefix_n times) */
	uint32_t drop_prefix_n;
	struct uah_ev evs[UAH_MAX_EVS];
	uint32_t nevs;
	sipdp_handle_t last_incoming;
	sipdp_handle_t last_req;
	void (*on_event)(struct uah_ep *ep, const struct sipdp_ua_event *ev); /* extra test hook */
};

struct uah_net {
	uint64_t now_us;
	struct uah_ep ep[UAH_MAX_EP];
	uint32_t nep;
	uint8_t fork_to[UAH_MAX_EP];
	uint32_t nfork;
	struct uah_pkt log[UAH_MAX_PKTS];
	uint32_t nlog;
	uint32_t queue[UAH_MAX_PKTS];
	uint32_t nq;
	/* Called at each 1 ms step of uah_run() after the UAs' timers: for
	 * layers above the UA with timers of their own (lib/call). */
	void (*on_tick)(struct uah_net *net);
	void *tick_arg;
};

struct uah_net *uah_new(void);
void uah_free(struct uah_net *net);
/** Add a UA. @p dialogs capacity; @p tweak may change params (may be NULL). */
struct uah_ep *uah_add(struct uah_net *net, uint32_t dialogs,
		       void (*tweak)(struct sipdp_ua_params *p));
struct sipdp_tsx_dest uah_dest(uint8_t to);
/** Deliver everything queued now (one round). @return datagrams delivered. */
uint32_t uah_deliver(struct uah_net *net, bool reverse);
/** Deliver rounds until nothing is queued (bounded). */
void uah_settle(struct uah_net *net);
/** Move time to @p until_us in 1 ms steps, delivering and expiring. */
void uah_run(struct uah_net *net, uint64_t until_us);
/** Inject raw bytes from @p from to @p to. */
void uah_inject(struct uah_net *net, uint8_t from, uint8_t to, const char *text);

/** A basic INVITE from @p from to @p to. @return 0 or errno. */
int uah_invite(struct uah_ep *from, uint8_t to, sipdp_handle_t *dlg);

/** Count of sends from @p from starting with @p prefix (dropped ones included). */
uint32_t uah_count(const struct uah_net *net, uint8_t from, const char *prefix);
/** The i-th send from @p from starting with @p prefix, NULL when none. */
const struct uah_pkt *uah_nth(const struct uah_net *net, uint8_t from, const char *prefix, uint32_t i);
/** Events of @p type logged at @p ep, and the last one. */
uint32_t uah_evcount(const struct uah_ep *ep, uint8_t type);
const struct uah_ev *uah_evlast(const struct uah_ep *ep, uint8_t type);
/** Print the traffic log (debugging a failing test). */
void uah_print(const struct uah_net *net);

/** Every kept message buffer of @p ua is back in its pool (read from the
 *  operator dump, as an operator would see it). */
bool uah_msgbufs_all_free(const struct sipdp_ua *ua);
/** Run the clock to @p until_us, then assert (CUnit) that no endpoint has
 *  a dialog, transaction, timer or kept message buffer left. */
void uah_assert_idle(struct uah_net *net, uint64_t until_us);
/** Endpoint tweak: 100rel supported, extension events to on_incoming. */
void uah_rel100_supported(struct sipdp_ua_params *p);

#endif /* SIPDP_UA_HARNESS_H */
