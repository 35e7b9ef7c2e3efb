/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_MEMNET_H
#define SIPDP_MEMNET_H

/**
 * @file
 * Test harness: an in-memory network and a fake clock for the protocol core
 * (lib/tsx and the layers above it). Tests only: it allocates and prints.
 *
 * - Endpoints (up to SIPDP_MEMNET_MAX_EP) each own a transaction table whose
 *   send hook is sipdp_memnet_send() and whose event hook records events in
 *   the endpoint's log (and then calls the endpoint's own on_event, if set).
 * - Every send is logged with the fake time it happened at, whether it was
 *   dropped, and a copy of its bytes. Sent datagrams are queued for the
 *   endpoint named by dest.addr[0]; nothing moves until the test calls
 *   sipdp_memnet_deliver(), which parses each datagram and hands it to
 *   sipdp_tsx_recv() (or the endpoint's recv override).
 * - Faults: drop or duplicate the next N sends of an endpoint, fail the next
 *   N sends (the hook returns -EIO), deliver a round in reverse order.
 * - Clock: sipdp_memnet_advance() moves now in 1 ms steps, running every
 *   endpoint's sipdp_tsx_expire() at each step, so every timer fires at its
 *   exact millisecond and sends are stamped with it.
 */

#include <stdbool.h>
#include <stdint.h>

#include "sipdp_msg.h"
#include "sipdp_tsx.h"

#define SIPDP_MEMNET_MAX_EP   4
#define SIPDP_MEMNET_MAX_PKTS 4096
#define SIPDP_MEMNET_MAX_EVS  1024

struct sipdp_memnet;

struct sipdp_memnet_pkt {
	uint64_t at_us;
	uint8_t from, to;
	bool dropped;     /**< by fault injection: never delivered */
	bool failed;      /**< the send hook returned an error */
	uint32_t len;
	char *data;       /**< copy, NUL-terminated */
};

/** An event as recorded (message fields copied out: the view dies after
 *  the callback). */
struct sipdp_memnet_ev {
	uint64_t at_us;
	uint8_t type, kind, state;
	bool retransmission;
	uint16_t status;      /**< response status, 0 otherwise */
	uint8_t method;       /**< request method, or the response CSeq method */
	sipdp_handle_t tsx;
	uint64_t user_ref;
	sipdp_handle_t cancel_target;
};

struct sipdp_memnet_ep {
	struct sipdp_memnet *net;
	uint8_t id;
	bool reliable;                 /**< src of deliveries to this ep is reliable */
	struct sipdp_tsx_table *tsx;
	uint32_t drop_next;            /**< drop the next N sends */
	uint32_t dup_next;             /**< duplicate the next N sends */
	uint32_t fail_next;            /**< next N sends return -EIO */
	struct sipdp_memnet_ev evs[SIPDP_MEMNET_MAX_EVS];
	uint32_t nevs;
	/** Called after an event is logged (test reactions), may be NULL. */
	void (*on_event)(struct sipdp_memnet_ep *ep, const struct sipdp_tsx_event *ev);
	/** Replaces sipdp_tsx_recv() for deliveries, may be NULL. */
	int (*recv)(struct sipdp_memnet_ep *ep, const struct sipdp_msg *m,
		    const struct sipdp_tsx_dest *src);
	void *user;
	int last_rx;                   /**< result of the last delivery */
};

struct sipdp_memnet {
	uint64_t now_us;
	struct sipdp_memnet_ep ep[SIPDP_MEMNET_MAX_EP];
	uint32_t nep;
	struct sipdp_memnet_pkt log[SIPDP_MEMNET_MAX_PKTS];
	uint32_t nlog;
	uint32_t queue[SIPDP_MEMNET_MAX_PKTS]; /* log indexes in flight */
	uint32_t nq;
	struct sipdp_msg msg;          /* scratch for deliveries */
};

/** Allocate a network at time @p now_us (tests: calloc). */
struct sipdp_memnet *sipdp_memnet_new(uint64_t now_us);
void sipdp_memnet_free(struct sipdp_memnet *net);

/** Default table params wired to endpoint @p ep (send, on_event, user,
 *  now, a fixed secret). The caller adjusts and passes them to
 *  sipdp_memnet_add_ep(). */
void sipdp_memnet_params(struct sipdp_memnet *net, struct sipdp_tsx_params *p, uint32_t capacity);

/** Add an endpoint with a table made from @p p (send/on_event/user are
 *  overwritten). @return the endpoint, NULL on failure. */
struct sipdp_memnet_ep *sipdp_memnet_add_ep(struct sipdp_memnet *net, const struct sipdp_tsx_params *p,
					      bool reliable);

/** Destination naming endpoint @p to (and the reliability of the link). */
struct sipdp_tsx_dest sipdp_memnet_dest(uint8_t to, bool reliable);

/** The send hook (user = the sending endpoint). */
int sipdp_memnet_send(void *user, const struct sipdp_tsx_dest *dest, const char *buf, uint32_t len);

/** Queue raw bytes as if @p from had sent them to @p to (test-crafted
 *  peers), logged at now. */
void sipdp_memnet_inject(struct sipdp_memnet *net, uint8_t from, uint8_t to, const char *buf,
			 uint32_t len);

/** Deliver everything queued now (one round; sends made during delivery
 *  wait for the next round). @return datagrams delivered. */
#define SIPDP_MEMNET_REVERSE 0x1u
uint32_t sipdp_memnet_deliver(struct sipdp_memnet *net, unsigned flags);

/** Drop everything queued. */
void sipdp_memnet_flush(struct sipdp_memnet *net);

/** Move the clock to @p until_us in 1 ms steps, expiring every table. */
void sipdp_memnet_advance(struct sipdp_memnet *net, uint64_t until_us);

/** Sends logged from endpoint @p from (failed ones excluded), and the
 *  i-th of them (NULL past the end). */
uint32_t sipdp_memnet_count_from(const struct sipdp_memnet *net, uint8_t from);
const struct sipdp_memnet_pkt *sipdp_memnet_nth_from(const struct sipdp_memnet *net, uint8_t from,
						     uint32_t i);
/** Last packet logged (NULL if none). */
const struct sipdp_memnet_pkt *sipdp_memnet_last(const struct sipdp_memnet *net);

/** Events of @p type in an endpoint's log, and the last one (NULL if none). */
uint32_t sipdp_memnet_ev_count(const struct sipdp_memnet_ep *ep, uint8_t type);
const struct sipdp_memnet_ev *sipdp_memnet_ev_last(const struct sipdp_memnet_ep *ep, uint8_t type);

/** True when @p pkt starts with @p prefix ("SIP/2.0 486", "ACK "). */
bool sipdp_memnet_starts(const struct sipdp_memnet_pkt *pkt, const char *prefix);

#endif /* SIPDP_MEMNET_H */
