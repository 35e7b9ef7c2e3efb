/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_CTL_PVT_H
#define SIPDP_CTL_PVT_H

#include <openssl/ssl.h>

#include "sipdp_base.h"
#include "sipdp_ctl.h"
#include "sipdp_msg_framer.h"

#define CTL_NONE UINT32_MAX
#define CTL_MAX_LISTEN 32
#define CTL_EVENTS 64
/* Reads per readable connection per poll: level-triggered epoll brings the
 * rest next time, so one busy peer cannot starve the others. */
#define CTL_READS_PER_EVENT 8
#define CTL_SCRATCH (64u * 1024u)

enum ctl_state {
	CS_FREE = 0,
	CS_CONNECTING,   /* outbound TCP connect in progress */
	CS_HANDSHAKE,    /* TLS handshake in progress */
	CS_OPEN,
	CS_LINGER,       /* closed for the API; flushing a last answer, then FIN */
};

#define CF_OUTBOUND   0x01u
#define CF_BUFFER     0x02u /* no socket: sipdp_ctl_input() / on_buffer_tx */
#define CF_EPOLLOUT   0x04u /* EPOLLOUT registered */
#define CF_BUSY       0x08u /* inside the delivery loop: defer the close */
#define CF_DOOMED     0x10u /* close when the delivery loop returns */
#define CF_TLS_PEEKED 0x20u /* the first byte on a TLS port was checked */
#define CF_SHUT       0x40u /* LINGER: our FIN is sent */

/* Intrusive doubly linked list of slot indexes, oldest first. Each timeout
 * is the same for every connection, so appending at the tail keeps a list
 * sorted by deadline and expiry only looks at the head: O(1) per event,
 * no timer wheel needed. */
struct ctl_link {
	uint32_t prev, next;
};
struct ctl_list {
	uint32_t head, tail;
};

enum { CL_IDLE, CL_DEADLINE, CL_HS, CL__COUNT };

struct ctl_conn {
	int fd;
	uint32_t id;           /* current id, 0 when free */
	uint8_t state;         /* enum ctl_state */
	uint8_t transport;     /* enum sipdp_ctl_transport */
	uint8_t flags;         /* CF_* */
	uint8_t doom_reason;
	uint8_t listener;      /* index of the listener (inbound) */
	uint8_t in_list;       /* bit per CL_* */
	uint16_t reserved;
	struct sipdp_ctl_addr peer;
	struct sipdp_ctl_addr local;
	SSL *ssl;
	struct sipdp_framer fr;
	char *rbuf;            /* bytes of an incomplete unit; NULL when none */
	uint32_t rlen, rcap;
	char *wbuf;            /* output not yet written; NULL when none */
	uint32_t wlen, wcap;
	uint64_t since[CL__COUNT];  /* start of each timed period */
	struct ctl_link link[CL__COUNT];
};

/* Open addressing, linear probing, backward-shift deletion. */
struct ctl_key {
	uint8_t family;
	uint8_t transport;     /* 0 in the per-source table */
	uint16_t port;         /* 0 in the per-source table */
	uint8_t addr[16];
};
struct ctl_slot {
	struct ctl_key key;
	uint32_t val;          /* count (per source) or slot index (reuse) */
	uint32_t used;
};
struct ctl_hash {
	struct ctl_slot *slots;
	uint32_t mask;
	uint64_t seed;
};

struct ctl_listener {
	int fd;
	uint8_t transport;
	struct sipdp_ctl_addr local;
};

struct sipdp_ctl {
	struct sipdp_ctl_params p;
	uint64_t now;
	int ep;
	uint32_t cap;
	uint32_t idx_bits;     /* conn id = gen << idx_bits | idx (ctl_conn.c) */
	struct ctl_conn *conns;
	uint32_t *free_stack;
	uint32_t nfree;
	uint32_t *gen;
	struct ctl_list lists[CL__COUNT];
	struct ctl_hash per_source;
	struct ctl_hash reuse;
	uint32_t nb_listen;
	struct ctl_listener listen[CTL_MAX_LISTEN];
	SSL_CTX *srv_ctx;
	SSL_CTX *cli_ctx;
	char *scratch;         /* CTL_SCRATCH bytes: reads land here first */
	struct sipdp_msg *vmsg; /* stamp_via: parser scratch */
	char *vbuf;            /* stamp_via: the stamped copy */
	uint32_t vcap;
	struct sipdp_ctl_stats st;
};

/* ctl_conn.c */
struct ctl_conn *ctl_conn_get(const struct sipdp_ctl *c, uint32_t id);
struct ctl_conn *ctl_conn_get_any(const struct sipdp_ctl *c, uint32_t id);
struct ctl_conn *ctl_conn_alloc(struct sipdp_ctl *c);
void ctl_conn_close(struct sipdp_ctl *c, struct ctl_conn *k, enum sipdp_ctl_close_reason why);
void ctl_conn_release(struct sipdp_ctl *c, struct ctl_conn *k);
uint32_t ctl_conn_idx(const struct sipdp_ctl *c, const struct ctl_conn *k);
void ctl_list_add(struct sipdp_ctl *c, struct ctl_conn *k, int l);
void ctl_list_del(struct sipdp_ctl *c, struct ctl_conn *k, int l);
void ctl_touch(struct sipdp_ctl *c, struct ctl_conn *k);
void ctl_expire(struct sipdp_ctl *c);
int ctl_hash_init(struct ctl_hash *h, uint32_t entries, uint64_t seed);
void ctl_hash_fini(struct ctl_hash *h);
struct ctl_slot *ctl_hash_find(const struct ctl_hash *h, const struct ctl_key *k);
struct ctl_slot *ctl_hash_insert(struct ctl_hash *h, const struct ctl_key *k);
void ctl_hash_erase(struct ctl_hash *h, struct ctl_slot *s);
void ctl_key_of(struct ctl_key *key, uint8_t transport, const struct sipdp_ctl_addr *a);

/* ctl_stream.c */
void ctl_stream_input(struct sipdp_ctl *c, struct ctl_conn *k, const char *data, uint32_t len);

/* epoll data: listeners have this bit, connections carry their id. */
#define CTL_EV_LISTENER (1ull << 32)

/* ctl_io.c */
struct sockaddr_storage;
int ctl_addr_to_sockaddr(const struct sipdp_ctl_addr *a, struct sockaddr_storage *ss,
	unsigned int *len);
void ctl_addr_from_sockaddr(struct sipdp_ctl_addr *a, const struct sockaddr_storage *ss);
int ctl_conn_write(struct sipdp_ctl *c, struct ctl_conn *k, const void *buf, uint32_t len);
int ctl_tls_ctx_create(struct sipdp_ctl *c);
void ctl_linger_start(struct sipdp_ctl *c, struct ctl_conn *k);

#endif /* SIPDP_CTL_PVT_H */
