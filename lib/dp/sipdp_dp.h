/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_DP_H
#define SIPDP_DP_H

/**
 * @file
 * The DPDK packet layer: ports and queues, L2/L3/L4 parse and build, IP
 * (de)fragmentation, the exception path to the kernel and the neighbour
 * table.
 *
 * Data flow on a worker lcore (one RX and one TX queue per worker):
 *
 *   rte_eth_rx_burst
 *     -> sipdp_dp_classify_burst   SIP payload views | exception | slow | drop
 *     -> sipdp_dp_reasm_burst      (slow: fragments, segmented) -> SIP | exception
 *     -> exception mbufs: sipdp_dp_tap_tx_burst (kernel learns ARP/NDP, answers ICMP, TCP...)
 *   SIP out: sipdp_dp_neigh_lookup -> found: sipdp_dp_tx_build -> rte_eth_tx_burst
 *                                  -> not yet: sipdp_dp_tx_build(dst_mac NULL), hand the
 *                                     L3 packets to the control lcore -> sipdp_dp_ksend_burst
 *
 * On the control lcore: sipdp_dp_tap_to_port (kernel -> wire) and
 * sipdp_dp_neigh_netlink_poll (kernel neighbour table -> RCU snapshot).
 *
 * Ownership: every mbuf handed to a burst function is either returned in
 * exactly one output array or freed by the function (drops); the caller owns
 * what comes back. Nothing on the fast path allocates (other than mbufs),
 * locks, logs or makes a system call.
 *
 * IP addresses are stored in network byte order in a 16-byte union; an IPv4
 * address uses the first 4 bytes and the remaining 12 are zero, so two
 * addresses of the same family compare with memcmp or the two 64-bit words.
 * Ports are in host byte order.
 */

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <sys/socket.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "sipdp_base.h"

/* ------------------------------------------------------------------------ */
/* Addresses and transport context                                          */

union sipdp_dp_ip {
	uint8_t v6[16];
	rte_be32_t v4;
	uint64_t w[2];
};

/** Peer context flags. */
#define SIPDP_DP_PEER_VLAN        0x01 /**< vlan_tci is valid (802.1Q tagged) */
#define SIPDP_DP_PEER_REASSEMBLED 0x02 /**< the datagram was IP-fragmented */

/**
 * Transport context of one SIP datagram. On receive `local` is the
 * destination and `remote` the source; on transmit `local` becomes the source
 * and `remote` the destination, so a response is sent with the very context
 * its request came with (RFC 3261 §18.2.2 sends responses back to the source
 * address and port, from the address and port the request reached).
 */
struct sipdp_dp_peer {
	union sipdp_dp_ip local;
	union sipdp_dp_ip remote;
	uint16_t local_port;   /**< host order */
	uint16_t remote_port;  /**< host order */
	uint8_t family;        /**< AF_INET or AF_INET6 */
	uint8_t flags;         /**< SIPDP_DP_PEER_* */
	uint16_t vlan_tci;     /**< PCP/DEI/VID as on the wire, host order */
	uint16_t port_id;      /**< ethdev port it came in on */
	uint16_t queue_id;     /**< RX queue it came in on */
};

/** One received SIP message: a view into @p m, which the caller must free. */
struct sipdp_dp_rx {
	struct rte_mbuf *m;
	const char *payload;   /**< contiguous UDP payload (the SIP message) */
	uint32_t len;
	struct sipdp_dp_peer peer;
};

/** Set @p ip from an IPv4 address in network byte order (zeroes the rest). */
static inline void
sipdp_dp_ip_set4(union sipdp_dp_ip *ip, rte_be32_t v4)
{
	ip->w[0] = 0;
	ip->w[1] = 0;
	ip->v4 = v4;
}

static inline bool
sipdp_dp_ip_eq(const union sipdp_dp_ip *a, const union sipdp_dp_ip *b)
{
	return a->w[0] == b->w[0] && a->w[1] == b->w[1];
}

/**
 * Parse a numeric IPv4 or IPv6 address (inet_pton syntax). Cold path.
 * @return AF_INET or AF_INET6, -EINVAL if @p s is neither.
 */
int sipdp_dp_ip_parse(const char *s, union sipdp_dp_ip *ip);

/* ------------------------------------------------------------------------ */
/* Classifier                                                                */

#define SIPDP_DP_MAX_LOCAL 16

/** One address+port on which sipdp terminates SIP over UDP. */
struct sipdp_dp_local {
	union sipdp_dp_ip addr;
	uint16_t port;         /**< host order */
	uint8_t family;        /**< AF_INET or AF_INET6 */
};

/**
 * What the classifier matches. Transparent and immutable while workers use
 * it (publish a new one with RCU to change it). The checksum policy needs no
 * field: a port whose RX checksum offload is enabled marks each mbuf GOOD,
 * BAD or NONE and the classifier trusts that; UNKNOWN (no offload, or a
 * device that did not look) is verified in software.
 */
struct sipdp_dp_classifier {
	uint16_t n_local;
	struct sipdp_dp_local local[SIPDP_DP_MAX_LOCAL];
};

enum sipdp_dp_verdict {
	SIPDP_DP_SIP = 0,         /**< SIP/UDP for one of our address+port pairs */
	SIPDP_DP_EXCEPTION,       /**< anything else: give it to the kernel */
	SIPDP_DP_SLOW,            /**< a UDP fragment for one of our addresses, or a SIP
				       datagram spread over several segments: needs
				       sipdp_dp_reasm_burst */
	SIPDP_DP_DROP_MALFORMED,  /**< truncated or inconsistent IP/UDP header */
	SIPDP_DP_DROP_CKSUM,      /**< bad IPv4 header or UDP checksum */
};

/** Per-worker receive counters (owned by one lcore, read by telemetry). */
struct sipdp_dp_rx_stats {
	uint64_t sip;
	uint64_t exception;
	uint64_t slow;
	uint64_t drop_malformed;
	uint64_t drop_cksum;      /**< bad IPv4 header or UDP checksum (all of them) */
	uint64_t drop_udp_cksum;  /**< ... of which a bad UDP checksum on a datagram to
				       our SIP address and port */
	uint64_t reassembled;     /**< datagrams completed by reassembly */
	uint64_t linearized;      /**< chains copied into one buffer */
	uint64_t drop_reasm;      /**< reassembly refused (table full, bad fragment) */
	uint64_t drop_oversize;   /**< reassembled datagram larger than the lin pool buffer */
	uint64_t drop_nombuf;     /**< linearization found the lin pool empty */
};

/**
 * Classify one frame. Accepts Ethernet II with at most one 802.1Q (or 802.1ad)
 * tag, IPv4 (options skipped) and IPv6 (a fragment header directly after the
 * fixed header is understood; any other extension header sends the packet to
 * the exception path). A frame is SIP when it is a UDP datagram to one of
 * cls->local, whatever its source port (source port 0 is malformed).
 *
 * On SIPDP_DP_SIP, @p out is filled (m, payload view, peer with queue_id 0
 * and port_id from m->port). On SIPDP_DP_SLOW, m->l2_len and m->l3_len are set
 * (what the reassembly library needs). @p m is never freed or modified other
 * than l2_len/l3_len. Any worker, any lcore: reads only @p cls and @p m.
 *
 * @return an enum sipdp_dp_verdict.
 */
enum sipdp_dp_verdict sipdp_dp_classify(const struct sipdp_dp_classifier *cls,
	struct rte_mbuf *m, struct sipdp_dp_rx *out);

/**
 * Classify a burst. SIP messages go to @p sip (capacity @p n), exception
 * packets to @p exc (capacity @p n, count in *n_exc), slow-path packets to
 * @p slow (capacity @p n, count in *n_slow); drops are freed and counted.
 * The peer context of each SIP message gets @p queue_id.
 * Cost: see the measured figure in dp_classify.c.
 *
 * @return the number of SIP messages written to @p sip.
 */
uint16_t sipdp_dp_classify_burst(const struct sipdp_dp_classifier *cls,
	uint16_t queue_id, struct rte_mbuf **pkts, uint16_t n,
	struct sipdp_dp_rx *sip,
	struct rte_mbuf **exc, uint16_t *n_exc,
	struct rte_mbuf **slow, uint16_t *n_slow,
	struct sipdp_dp_rx_stats *st);

/* ------------------------------------------------------------------------ */
/* Reassembly (per worker)                                                   */

struct sipdp_dp_reasm;

struct sipdp_dp_reasm_params {
	uint32_t max_flows;        /**< datagrams in reassembly at once (> 0) */
	uint64_t timeout_cycles;   /**< a datagram's fragments are kept this long
				        (TSC cycles; RFC 791 suggests 15 s, 2-5 s is
				        plenty for SIP) */
	struct rte_mempool *lin_pool; /**< one-segment buffers for reassembled
				          datagrams; its data room bounds the
				          largest datagram accepted */
	int socket_id;
};

/**
 * Create a reassembly context for one worker (rte_ip_frag table with
 * max_flows entries, death row, linearization pool). Cold path.
 * @return 0, -EINVAL (bad params, no lin_pool), -ENOMEM.
 */
int sipdp_dp_reasm_create(const struct sipdp_dp_reasm_params *params,
	struct sipdp_dp_reasm **out);

/** Free a context and every fragment it still holds. NULL accepted. */
void sipdp_dp_reasm_destroy(struct sipdp_dp_reasm *r);

/**
 * Feed the slow-path packets of one burst. Fragments are kept until their
 * datagram is complete; a complete datagram (and a segmented SIP packet) is
 * copied once into a single lin_pool mbuf, so that the SIP parser sees
 * contiguous bytes and the message can move to another lcore with its mbuf,
 * then classified again: SIP goes to @p sip, others to @p exc (capacity @p n
 * each). The UDP checksum of a reassembled datagram is always verified in
 * software (offload flags of the first fragment say nothing about the
 * whole). Frees the death row before returning. Owning worker only.
 *
 * @return the number of SIP messages written to @p sip.
 */
uint16_t sipdp_dp_reasm_burst(struct sipdp_dp_reasm *r,
	const struct sipdp_dp_classifier *cls, uint16_t queue_id,
	struct rte_mbuf **slow, uint16_t n, uint64_t now_cycles,
	struct sipdp_dp_rx *sip, struct rte_mbuf **exc, uint16_t *n_exc,
	struct sipdp_dp_rx_stats *st);

/**
 * Drop datagrams whose first fragment is older than the timeout and free
 * their mbufs. Call from the worker loop now and then (e.g. every 100 ms);
 * the table also reuses stale entries by itself when it needs room.
 * Owning worker only.
 */
void sipdp_dp_reasm_expire(struct sipdp_dp_reasm *r, uint64_t now_cycles);

/* ------------------------------------------------------------------------ */
/* Transmit                                                                  */

/** Headroom sipdp_dp_tx_build needs in front of the payload. */
#define SIPDP_DP_TX_HEADROOM (RTE_ETHER_HDR_LEN + 4 + 40 + 8)

/** Largest UDP payload (IPv4 total length limit; IPv6 allows 20 more bytes
 *  but we keep one bound for both families). */
#define SIPDP_DP_MAX_UDP_PAYLOAD 65507

/** Most fragments one datagram may become. */
#define SIPDP_DP_TX_MAX_FRAGS 48

/**
 * Per-worker transmit state (one TX queue). Transparent: the caller fills
 * it once at start from sipdp_dp_port_info; only ip_id changes afterwards.
 */
struct sipdp_dp_txq {
	struct rte_ether_addr src_mac;
	uint16_t mtu;                      /**< L3 MTU of the port, >= 1280 */
	uint64_t offloads;                 /**< enabled RTE_ETH_TX_OFFLOAD_* of the port */
	struct rte_mempool *direct_pool;   /**< fragment header buffers */
	struct rte_mempool *indirect_pool; /**< fragment bodies (indirect mbufs) */
	uint32_t ip_id;                    /**< next IPv4 ID / IPv6 fragment ID */
	uint32_t ip_id_stride;             /**< number of workers: IDs stay
					        unique across workers if
					        ip_id starts at the worker index */
};

/**
 * Turn a SIP payload into frames. @p m holds the payload, contiguous (one
 * segment), starting at its data offset, with at least SIPDP_DP_TX_HEADROOM
 * bytes of headroom. Prepends UDP, IPv4 or IPv6 and (when @p dst_mac is not
 * NULL) Ethernet with an 802.1Q tag if peer has SIPDP_DP_PEER_VLAN. Source =
 * peer->local, destination = peer->remote.
 *
 * Checksums: a datagram that fits the MTU uses the port's IPv4/UDP checksum
 * offload when txq->offloads has it (pseudo-header sum in place, ol_flags
 * set) and software otherwise. A datagram larger than the MTU gets its UDP
 * checksum in software (no NIC sums across fragments), is fragmented
 * (rte_ipv4/ipv6_fragment_packet: headers in direct_pool mbufs, bodies as
 * indirect mbufs attached to @p m) and each IPv4 fragment header is summed in
 * software. Fragments are multi-segment mbufs: the port must accept them
 * (RTE_ETH_TX_OFFLOAD_MULTI_SEGS, which net_tap, net_af_packet and physical
 * NICs do).
 *
 * @p dst_mac NULL builds bare IP packets (data starts at the IP header,
 * checksums in software, no VLAN): the form sipdp_dp_ksend_burst takes when
 * the next hop is not resolved yet.
 *
 * On success @p m is consumed: it is out[0] when not fragmented, or freed
 * (its body lives on in the fragments) when fragmented.
 *
 * @return the number of mbufs written to @p out (>= 1);
 *         -EINVAL (m segmented, bad family, payload empty);
 *         -EMSGSIZE (payload > SIPDP_DP_MAX_UDP_PAYLOAD);
 *         -ENOSPC (headroom too small, or @p n_out too small for the fragments);
 *         -ENOMEM (fragment pools empty).
 *         On error the caller still owns @p m (its data offset may have moved
 *         back: free it or rebuild from scratch).
 */
int sipdp_dp_tx_build(struct sipdp_dp_txq *txq, struct rte_mbuf *m,
	const struct sipdp_dp_peer *peer, const struct rte_ether_addr *dst_mac,
	struct rte_mbuf **out, uint16_t n_out);

/* ------------------------------------------------------------------------ */
/* Ports                                                                     */

struct sipdp_dp_port_params {
	const char *name;      /**< device name: PCI address or vdev name
				    ("net_af_packet0"); must be probed unless
				    devargs is set */
	const char *devargs;   /**< NULL, or vdev args to hot-plug it, e.g.
				    "iface=sipdp-dut0,qpairs=2" */
	uint16_t nb_rx_queues; /**< one per worker */
	uint16_t nb_tx_queues; /**< one per worker, plus one for the control lcore */
	uint16_t nb_rxd;       /**< 0: 1024 */
	uint16_t nb_txd;       /**< 0: 1024 */
	uint16_t mtu;          /**< 0: leave the device's */
	uint64_t rss_hf;       /**< 0: RTE_ETH_RSS_IP. L3-only by default so the
				    fragments of a datagram all land on the queue
				    that reassembles it */
	bool promiscuous;
	struct rte_mempool *mp; /**< RX buffers */
};

struct sipdp_dp_port_info {
	uint16_t port_id;
	uint16_t mtu;
	struct rte_ether_addr mac;
	uint64_t rx_offloads;  /**< enabled */
	uint64_t tx_offloads;  /**< enabled */
	uint64_t rx_offload_capa; /**< reported by the device */
	uint64_t tx_offload_capa;
	uint64_t rss_hf;       /**< RSS hash in use; 0 when the port has no RSS or one queue */
	bool lsc;              /**< the PMD raises link-state interrupts and they are
				    enabled (intr_conf.lsc): sipdp_dp_link_watch() hears them */
	char driver[32];
};

/**
 * Probe (if devargs), configure and start a port: queues, descriptors, MTU,
 * RSS when the device has it and more than one RX queue is asked, every IPv4
 * / UDP checksum offload and MULTI_SEGS the device reports. Control lcore,
 * before workers start. Logs with RTE_LOG.
 * @return 0; -EINVAL (bad params), -ENODEV (no such device), or the negative
 *         errno of the failing ethdev call.
 */
int sipdp_dp_port_create(const struct sipdp_dp_port_params *params,
	struct sipdp_dp_port_info *info);

/** Stop and close a port (and detach a hot-plugged vdev). @return 0 or -errno. */
int sipdp_dp_port_destroy(uint16_t port_id);

/** Fill @p txq from a started port's info (mtu, MAC, offloads) and pools. */
void sipdp_dp_txq_init(struct sipdp_dp_txq *txq, const struct sipdp_dp_port_info *info,
	struct rte_mempool *direct_pool, struct rte_mempool *indirect_pool,
	uint16_t worker, uint16_t nb_workers);

/* ------------------------------------------------------------------------ */
/* Link state                                                                */

/**
 * The link state of a port, as the control lcore sees it: read with
 * rte_eth_link_get_nowait() every @p period, and at once after a
 * link-state interrupt when the PMD raises them (sipdp_dp_port_info.lsc:
 * an RTE_ETH_EVENT_INTR_LSC callback only counts the event; the interrupt
 * thread does nothing else). net_memif raises none in DPDK 22.11 (see
 * the unmap guard below), so for it the period is what bounds detection.
 * Transparent; written by the control lcore, the event count by the
 * interrupt thread (atomic).
 */
struct sipdp_dp_link {
	uint16_t port_id;
	bool lsc;               /**< the LSC callback is registered */
	bool up;                /**< last state read */
	uint32_t lsc_events;    /**< LSC callbacks run (interrupt thread, atomic) */
	uint32_t lsc_seen;      /**< lsc_events when last read */
	uint64_t period_tsc;
	uint64_t next_tsc;      /**< next read without an event */
	uint64_t up_events;     /**< down -> up transitions seen (relaxed stores) */
	uint64_t down_events;   /**< up -> down transitions seen (relaxed stores) */
};

/**
 * Start watching @p port: read its state now and, when @p info says the
 * PMD raises link-state interrupts, register the LSC callback. Control
 * lcore, after sipdp_dp_port_create(). Cold.
 * @return 0; -EINVAL; or the errno of rte_eth_dev_callback_register().
 */
int sipdp_dp_link_watch(struct sipdp_dp_link *l, const struct sipdp_dp_port_info *info,
	uint32_t period_ms);

/**
 * Read the link state when an LSC event came or the period elapsed.
 * Control lcore. @return 1 when the state changed (l->up is the new one,
 * up_events / down_events counted), 0 otherwise.
 */
int sipdp_dp_link_poll(struct sipdp_dp_link *l, uint64_t now_tsc);

/** Unregister the LSC callback (before the port is closed). Control lcore. */
void sipdp_dp_link_unwatch(struct sipdp_dp_link *l);

/* ------------------------------------------------------------------------ */
/* Unmap guard                                                               */

/**
 * A grace period between a PMD's teardown in the EAL interrupt thread and
 * the munmap() of memory the data path may still be reading.
 *
 * net_memif (DPDK 22.11, drivers/net/memif/memif_socket.c) handles its
 * peer's disconnect (a DISCONNECT message, or the control socket closed
 * because the peer died) in the EAL interrupt thread: memif_disconnect()
 * clears ETH_MEMIF_FLAG_CONNECTED, takes and drops its control-channel
 * lock, closes the queue eventfds and then memif_free_regions() munmap()s
 * the shared regions that hold the rings and buffers. No ethdev event is
 * raised before (or after): the PMD has no LSC support. A worker that read
 * the flag as set just before is still inside eth_memif_rx/tx, reading
 * those rings, and faults.
 *
 * The guard: every lcore that calls rx/tx bursts is a participant with a
 * counter it advances once per loop (sipdp_dp_guard_quiescent(), outside
 * any burst) and marks offline while it sleeps or once it has stopped. The
 * executable defines munmap(): called from the EAL interrupt thread while
 * any participant is online, it first waits until each online participant
 * has passed a loop boundary (sipdp_dp_guard_synchronize()), then unmaps.
 * The PMD's flag is cleared before the unmap, so a burst that began after
 * that boundary sees the port disconnected and returns at once; one that
 * began before has ended. Every munmap of the interrupt thread pays the
 * wait (one loop of each worker: microseconds); other threads never wait.
 *
 * Memory order: boundaries, online and offline are sequentially
 * consistent stores (a full barrier on x86), the waiter issues a full
 * fence before it reads the counters, so either the participant's burst
 * after the boundary reads the cleared flag or the waiter sees the
 * participant's older counter and waits for the next boundary (Dekker).
 */
#define SIPDP_DP_GUARD_MAX        128 /**< participants at once */
#define SIPDP_DP_GUARD_TIMEOUT_MS 10000 /**< the interrupt thread's wait at most */

/** What the guard did, for operators (any thread, relaxed). */
struct sipdp_dp_guard_stats {
	uint64_t waits;         /**< munmap()s of the interrupt thread that waited */
	uint64_t timeouts;      /**< waits that gave up after SIPDP_DP_GUARD_TIMEOUT_MS: a
				     participant did not pass a boundary (a bug: a worker
				     blocked), the unmap went ahead */
	uint64_t wait_us_max;   /**< longest wait */
	uint64_t wait_us_total;
};

/**
 * Become a participant, offline. Any thread, cold.
 * @return 0 with *slot set; -ENOSPC (SIPDP_DP_GUARD_MAX participants).
 */
int sipdp_dp_guard_register(unsigned *slot);

/** Leave (offline for good, the slot can be reused). The owning thread. */
void sipdp_dp_guard_unregister(unsigned slot);

/** Before the first burst, and after a sleep. The owning thread only. */
void sipdp_dp_guard_online(unsigned slot);

/** Before a sleep (no burst until sipdp_dp_guard_online()). The owning thread only. */
void sipdp_dp_guard_offline(unsigned slot);

/**
 * A loop boundary: no rx/tx burst of this thread is in progress, and none
 * of its reads of a PMD's state is used after this point. Once per loop;
 * one sequentially consistent store. The owning thread only.
 */
void sipdp_dp_guard_quiescent(unsigned slot);

/**
 * Wait until every participant online now has passed a boundary or gone
 * offline, at most @p timeout_ms. Any thread that is not itself an online
 * participant (it would wait for itself). Sleeps 20 us between looks.
 * @return 0; -ETIMEDOUT (counted in timeouts, not in waits).
 */
int sipdp_dp_guard_synchronize(uint32_t timeout_ms);

/** Copy the guard's counters. */
void sipdp_dp_guard_stats_get(struct sipdp_dp_guard_stats *st);

/**
 * True when this executable's munmap() is the guard's (it is linked in and
 * exported, so the PMDs that the EAL loads resolve munmap to it). Cold.
 */
bool sipdp_dp_guard_active(void);

/* ------------------------------------------------------------------------ */
/* Exception path (net_tap)                                                  */

struct sipdp_dp_tap_params {
	const char *iface;     /**< kernel interface name, e.g. "sipdp0" */
	const struct rte_ether_addr *mac; /**< the port's MAC: the kernel answers
					    ARP/NDP with it */
	uint16_t nb_queues;    /**< one per worker (workers write to the kernel
				    on their own queue); >= 1 */
	uint16_t mtu;          /**< 0: 1500 */
	struct rte_mempool *mp;
};

/**
 * Create and start the net_tap vdev "net_tap_<iface>" (interface up, link
 * MAC = @p mac). Control lcore, at start. @return 0 or -errno.
 */
int sipdp_dp_tap_create(const struct sipdp_dp_tap_params *params, uint16_t *port_id);

/** Stop, close and detach the tap vdev. @return 0 or -errno. */
int sipdp_dp_tap_destroy(uint16_t port_id);

/**
 * Add an address to a kernel interface (RTM_NEWADDR, IFA_F_NODAD for IPv6)
 * and set it up. Control lcore, at start; EEXIST counts as success.
 * @return 0, -ENODEV (no such interface), or -errno from netlink.
 */
int sipdp_dp_tap_addr_add(const char *iface, int family, const union sipdp_dp_ip *addr,
	uint8_t prefixlen);

/**
 * Create the 802.1Q interface "<iface>.<vid>" on a kernel interface (the
 * tap) and set it up, so that the kernel answers ARP/NDP/ICMP for a port
 * whose traffic is tagged: put the port's addresses on it, mirror its
 * neighbours and bind the kernel-send sockets to it. Control lcore, at
 * start; an existing one is reused.
 * @param name  out: the interface's name.
 * @return 0, -EINVAL (vid not 1..4094, name too long), -ENODEV, or -errno
 *         from netlink.
 */
int sipdp_dp_tap_vlan_add(const char *iface, uint16_t vid, char name[IFNAMSIZ]);

/**
 * Hand exception packets of one worker to the kernel on tap queue @p queue.
 * Frees what the queue does not take (counted in the return value).
 * @return the number of packets sent.
 */
uint16_t sipdp_dp_tap_tx_burst(uint16_t tap_port, uint16_t queue,
	struct rte_mbuf **pkts, uint16_t n);

/**
 * Move what the kernel sent (ARP, NDP, ICMP, TCP, ksend output...) from every
 * tap RX queue to the wire on (@p port, @p txq), at most @p budget packets.
 * Control lcore only (it owns txq). Frees what the port does not take.
 * @return the number of packets read from the tap.
 */
uint16_t sipdp_dp_tap_to_port(uint16_t tap_port, uint16_t nb_tap_queues,
	uint16_t port, uint16_t txq, uint16_t budget);

/* ------------------------------------------------------------------------ */
/* Kernel send (next hop not resolved yet)                                   */

struct sipdp_dp_ksend;

/**
 * Open the raw IPv4 and IPv6 sockets (IP_HDRINCL / IPPROTO_RAW) through which
 * the control lcore sends SIP datagrams whose next hop the workers cannot
 * resolve yet: the kernel resolves it (ARP/NDP out of the tap), sends the
 * packet out of the tap (we put it on the wire) and its neighbour table, and
 * so ours, learns the MAC. Needs CAP_NET_RAW. @p iface: bind to it (SO_BINDTODEVICE)
 * when not NULL. @return 0 or -errno.
 */
int sipdp_dp_ksend_create(const char *iface, struct sipdp_dp_ksend **out);

/** Close the sockets. NULL accepted. */
void sipdp_dp_ksend_destroy(struct sipdp_dp_ksend *ks);

/**
 * Send bare IP packets (as built by sipdp_dp_tx_build with dst_mac NULL; may
 * be fragments, may be multi-segment) with one sendmsg each, and free them.
 * Control lcore only. @return the number the kernel accepted.
 */
uint16_t sipdp_dp_ksend_burst(struct sipdp_dp_ksend *ks, struct rte_mbuf **pkts, uint16_t n);

/* ------------------------------------------------------------------------ */
/* Neighbour table                                                           */

/**
 * The neighbour table. Workers look next hops up in an immutable snapshot;
 * the control lcore keeps a private copy in step with the kernel's table on
 * the tap (netlink) and publishes a new snapshot with rcu_assign_pointer when
 * it changed. The old snapshot is freed by call_rcu once every registered
 * QSBR reader has gone through a quiescent state (liburcu 0.13 has no
 * non-blocking grace-period polling; call_rcu keeps the control loop
 * non-blocking all the same).
 *
 * RCU rules: worker lcores must be registered liburcu-qsbr threads
 * (urcu_qsbr_register_thread) and call urcu_qsbr_quiescent_state() once per
 * loop, outside any use of a looked-up result; the control lcore calling
 * publish functions must be registered as well and either report quiescent
 * states or be offline between calls.
 */
struct sipdp_dp_neigh;

/** Neighbour states that carry a usable link-layer address (kernel NUD_*). */
struct sipdp_dp_neigh_entry {
	union sipdp_dp_ip ip;
	struct rte_ether_addr mac;
	uint8_t family;
};

/** Next-hop rule: destinations in prefix/plen go to gw (or on-link when gw
 *  is all zero). Longest prefix wins. */
struct sipdp_dp_route {
	union sipdp_dp_ip prefix;
	union sipdp_dp_ip gw;
	uint8_t family;
	uint8_t plen;
};

#define SIPDP_DP_NEIGH_MAX_ROUTES 16

struct sipdp_dp_neigh_params {
	uint32_t max_entries;  /**< neighbours kept (> 0); more are ignored and counted */
	int ifindex;           /**< kernel interface whose neighbours we mirror
				    (0: accept every interface) */
};

/** Create an empty table (empty snapshot published). Control lcore. @return 0, -EINVAL, -ENOMEM. */
int sipdp_dp_neigh_create(const struct sipdp_dp_neigh_params *params,
	struct sipdp_dp_neigh **out);

/**
 * Free the table after rcu_barrier(). No reader may use it any more. Blocks
 * until pending call_rcu frees ran (shutdown only). NULL accepted.
 */
void sipdp_dp_neigh_destroy(struct sipdp_dp_neigh *t);

/**
 * Insert or replace (family, ip) -> mac in the control copy. Control lcore.
 * @return 0, -EINVAL (family), -ENOSPC (max_entries reached).
 */
int sipdp_dp_neigh_set(struct sipdp_dp_neigh *t, const struct sipdp_dp_neigh_entry *e);

/** Remove (family, ip) from the control copy. @return 0, -ENOENT. */
int sipdp_dp_neigh_del(struct sipdp_dp_neigh *t, int family, const union sipdp_dp_ip *ip);

/** Replace the control copy's routes. @return 0, -EINVAL (too many, bad family/plen). */
int sipdp_dp_neigh_set_routes(struct sipdp_dp_neigh *t, const struct sipdp_dp_route *routes,
	uint16_t n);

/**
 * Publish the control copy as a new snapshot if it changed since the last
 * publish; the old snapshot goes to call_rcu. Control lcore, registered QSBR
 * thread. @return 1 published, 0 nothing changed, -ENOMEM.
 */
int sipdp_dp_neigh_publish(struct sipdp_dp_neigh *t);

/**
 * Resolve the next hop for @p dst and its MAC: the longest matching route
 * of the snapshot gives a gateway, or the destination itself is the next hop
 * (no route, or a route without gateway: on-link). Lock-free and wait-free;
 * any registered QSBR reader. The MAC is copied out, so the result stays
 * valid after the next quiescent state.
 * @return 0 with *mac set; -ENOENT when the next hop is not resolved (send
 *         through sipdp_dp_ksend_burst: the kernel resolves it).
 */
int sipdp_dp_neigh_lookup(const struct sipdp_dp_neigh *t, int family,
	const union sipdp_dp_ip *dst, struct rte_ether_addr *mac);

/** Number of entries in the published snapshot (any reader). */
uint32_t sipdp_dp_neigh_count(const struct sipdp_dp_neigh *t);

/** Generation of the published snapshot, +1 on each publish (tests, telemetry). */
uint64_t sipdp_dp_neigh_generation(const struct sipdp_dp_neigh *t);

/**
 * Open a non-blocking NETLINK_ROUTE socket subscribed to RTNLGRP_NEIGH and
 * request a neighbour dump (RTM_GETNEIGH). Control lcore, once.
 * @return 0 or -errno.
 */
int sipdp_dp_neigh_netlink_open(struct sipdp_dp_neigh *t);

/**
 * Read whatever netlink has (dump replies and RTM_NEWNEIGH/RTM_DELNEIGH
 * notifications) without blocking, apply it to the control copy and publish
 * when it changed. Entries in NUD_REACHABLE, STALE, DELAY, PROBE, PERMANENT
 * or NOARP with a 6-byte lladdr are usable; INCOMPLETE/FAILED remove the
 * entry. On ENOBUFS (missed notifications) it re-dumps. Control lcore loop.
 * @return messages applied (>= 0), or -errno of the socket.
 */
int sipdp_dp_neigh_netlink_poll(struct sipdp_dp_neigh *t);

/**
 * Apply one netlink message (RTM_NEWNEIGH / RTM_DELNEIGH, others ignored) to
 * the control copy; exposed so tests can feed crafted messages.
 * @return 1 applied, 0 ignored, -EBADMSG malformed.
 */
int sipdp_dp_neigh_netlink_apply(struct sipdp_dp_neigh *t, const void *nlmsg, uint32_t len);

#endif /* SIPDP_DP_H */
