/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_CFG_H
#define SIPDP_CFG_H

/**
 * @file
 * sipdp configuration: a YAML file (parsed by libyaml) validated against a
 * strict schema into one immutable snapshot.
 *
 * - Every problem is collected (unknown key, wrong type, bad value, missing
 *   key, duplicate key, cross-field rule) with its line and column; loading
 *   never stops at the first error and never ignores a key.
 * - The snapshot (struct sipdp_cfg) is plain data: fixed-size arrays, no
 *   pointer into the YAML document or anywhere else, so the control core can
 *   publish it whole with rcu_assign_pointer() and free the old one after a
 *   grace period. A reload builds a new snapshot first; when it fails, the
 *   running one is untouched.
 * - Cold path only: this library allocates, reads files and prints. It does
 *   not depend on DPDK, so it is unit tested without EAL.
 *
 * docs/configuration.md is the operator reference of every key.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Bounds of the snapshot. */
#define SIPDP_CFG_MAX_PORTS	8
#define SIPDP_CFG_MAX_WORKERS	128
#define SIPDP_CFG_MAX_LCORE	1023	/**< highest lcore id accepted */
#define SIPDP_CFG_MAX_LISTEN	16
#define SIPDP_CFG_MAX_RULES	64
#define SIPDP_CFG_NAME_LEN	64	/**< names, tokens, users (incl. NUL) */
#define SIPDP_CFG_DEVARGS_LEN	256
#define SIPDP_CFG_STR_LEN	128	/**< free text: reason, user agent */
#define SIPDP_CFG_HOST_LEN	128
#define SIPDP_CFG_URI_LEN	256
#define SIPDP_CFG_PATH_LEN	256
#define SIPDP_CFG_REGEX_LEN	256
#define SIPDP_CFG_SDP_LEN	2048	/**< SDP template after CRLF conversion, incl. NUL */
#define SIPDP_CFG_FILE_MAX	(1u << 20) /**< largest config file accepted */

/* Error list. */
#define SIPDP_CFG_ERRORS_MAX	64
#define SIPDP_CFG_KEY_LEN	128
#define SIPDP_CFG_MSG_LEN	192

/** Address family of a struct sipdp_cfg_ip (0: not set). */
#define SIPDP_CFG_IPV4	4
#define SIPDP_CFG_IPV6	6

/** An IPv4 or IPv6 address with a prefix length (interface, CIDR, gateway). */
struct sipdp_cfg_ip {
	uint8_t family;   /**< 0 (unset), SIPDP_CFG_IPV4 or SIPDP_CFG_IPV6 */
	uint8_t prefix;   /**< 0..32 / 0..128; 32 / 128 for a plain address */
	uint8_t addr[16]; /**< network byte order; IPv4 in addr[0..3] */
};

struct sipdp_cfg_port {
	char name[SIPDP_CFG_NAME_LEN];  /**< DPDK device: PCI address or vdev name */
	char devargs[SIPDP_CFG_DEVARGS_LEN]; /**< "" or vdev args ("iface=...") */
	bool has_mac;
	uint8_t mac[6];                 /**< override of the device MAC when has_mac */
	struct sipdp_cfg_ip ipv4;       /**< family 0 when the port has no IPv4 */
	struct sipdp_cfg_ip ipv6;       /**< family 0 when the port has no IPv6 */
	struct sipdp_cfg_ip gateway4;   /**< family 0: none; else on-link in ipv4 */
	struct sipdp_cfg_ip gateway6;   /**< family 0: none; else on-link in ipv6 */
	uint16_t vlan;                  /**< 802.1Q VID 1..4094; 0: untagged */
	uint16_t mtu;                   /**< 576..9216, default 1500 */
	uint16_t rx_desc;               /**< power of two 64..32768, default 1024 */
	uint16_t tx_desc;               /**< power of two 64..32768, default 1024 */
	uint16_t queues;                /**< 0: one per worker (default) */
	bool promiscuous;
};

struct sipdp_cfg_lcores {
	uint16_t control;               /**< the control lcore (TCP, TLS, telemetry) */
	uint16_t nb_workers;            /**< >= 1 */
	uint16_t workers[SIPDP_CFG_MAX_WORKERS]; /**< distinct, none == control */
};

struct sipdp_cfg_sip {
	uint16_t udp_port;              /**< 1..65535, default 5060 */
	uint16_t tcp_port;              /**< 0 (off) or 1..65535, default 5060 */
	uint16_t tls_port;              /**< 0 (off) or 1..65535, default 5061 */
	uint16_t nb_listen;             /**< 0: every port address */
	struct sipdp_cfg_ip listen[SIPDP_CFG_MAX_LISTEN]; /**< each a port address */
};

struct sipdp_cfg_limits {
	uint32_t dialogs_per_shard;
	uint32_t transactions_per_shard;
	uint32_t subscriptions_per_shard;
	uint32_t message_max;           /**< bytes of one SIP message */
	uint32_t tcp_connections;
	uint32_t tcp_per_source;        /**< inbound TCP/TLS connections per source address */
	uint32_t tcp_idle_timeout_ms;   /**< close a connection idle this long */
	uint32_t tcp_message_deadline_ms; /**< a message must arrive whole this long
					       after its first byte (slowloris) */
};

/** TLS client certificate policy (values of enum sipdp_ctl_verify). */
enum sipdp_cfg_tls_verify {
	SIPDP_CFG_TLS_VERIFY_NONE = 0,
	SIPDP_CFG_TLS_VERIFY_OPTIONAL,
	SIPDP_CFG_TLS_VERIFY_REQUIRED,
};

/** SIP over TLS (control lcore). sipdp serves tls_port only with a cert. */
struct sipdp_cfg_tls {
	char cert[SIPDP_CFG_PATH_LEN];  /**< PEM certificate chain; "" : no TLS server */
	char key[SIPDP_CFG_PATH_LEN];   /**< PEM private key of cert */
	char ca[SIPDP_CFG_PATH_LEN];    /**< PEM CA bundle; "" : the system's */
	uint8_t verify_inbound;         /**< enum sipdp_cfg_tls_verify, default none */
	bool verify_outbound;           /**< verify servers we connect to, default true */
	char ciphers[SIPDP_CFG_PATH_LEN];      /**< TLS 1.2 list; "" : OpenSSL default */
	char ciphersuites[SIPDP_CFG_PATH_LEN]; /**< TLS 1.3 suites; "" : OpenSSL default */
	char sni[SIPDP_CFG_HOST_LEN];   /**< server name for outbound; "" : verify the IP */
	uint32_t handshake_timeout_ms;  /**< default 5000 */
};

struct sipdp_cfg_timers {
	uint32_t t1_ms;                 /**< RFC 3261 §17.1.1.1, default 500 */
	uint32_t t2_ms;                 /**< >= t1_ms, default 4000 */
	uint32_t t4_ms;                 /**< default 5000 */
};

/**
 * Overload control (docs/configuration.md#overload). A worker is behind
 * in a window when none of its RX polls in that window came back short of
 * a full burst: it never caught up with its input. Each such window sheds
 * 10 points more of the new INVITEs (503 + Retry-After, statelessly,
 * before any transaction); each window in which it caught up sheds 5
 * points fewer. A worker descheduled for a while catches up within the
 * window if it has the capacity, so preemption alone does not shed.
 */
struct sipdp_cfg_overload {
	bool enabled;                   /**< default true */
	uint32_t window_ms;             /**< measuring window (default 20) */
	uint32_t retry_after_s;         /**< Retry-After of the 503 (default 5) */
};

struct sipdp_cfg_identity {
	char user_agent[SIPDP_CFG_STR_LEN];   /**< User-Agent / Server value */
	char contact_user[SIPDP_CFG_NAME_LEN]; /**< user part of our Contact */
};

/** Log levels: the values of DPDK's RTE_LOG_* so they pass through as is. */
enum sipdp_cfg_log_level {
	SIPDP_CFG_LOG_INHERIT = 0, /**< component only: use log.level */
	SIPDP_CFG_LOG_EMERG = 1,
	SIPDP_CFG_LOG_ALERT,
	SIPDP_CFG_LOG_CRIT,
	SIPDP_CFG_LOG_ERR,
	SIPDP_CFG_LOG_WARNING,
	SIPDP_CFG_LOG_NOTICE,
	SIPDP_CFG_LOG_INFO,
	SIPDP_CFG_LOG_DEBUG,
};

/** Components with their own log level (index into sipdp_cfg_log.component). */
enum sipdp_cfg_log_comp {
	SIPDP_CFG_LOG_APP,
	SIPDP_CFG_LOG_CFG,
	SIPDP_CFG_LOG_SIPMSG,
	SIPDP_CFG_LOG_TSX,
	SIPDP_CFG_LOG_DLG,
	SIPDP_CFG_LOG_UA,
	SIPDP_CFG_LOG_DP,
	SIPDP_CFG_LOG_SHARD,
	SIPDP_CFG_LOG_CTL,
	SIPDP_CFG_LOG_POLICY,
	SIPDP_CFG_LOG_NCOMP
};

struct sipdp_cfg_log {
	uint8_t level;                  /**< enum sipdp_cfg_log_level, default NOTICE */
	uint8_t component[SIPDP_CFG_LOG_NCOMP]; /**< INHERIT or a level */
	uint32_t rate;                  /**< lines a peer can trigger: per second,
					     per component and thread (default 10) */
	uint32_t burst;                 /**< ... and at once (default 20) */
};

/** Prometheus /metrics over HTTP on the control lcore (off: port 0). */
struct sipdp_cfg_metrics {
	struct sipdp_cfg_ip address;    /**< the address to listen on (required with port) */
	uint16_t port;                  /**< TCP port; 0 (default): no /metrics */
	uint32_t max_clients;           /**< connections served at once, default 4 */
	uint32_t timeout_ms;            /**< a connection's whole life, default 2000 */
};

/** HEPv3 copies of every SIP message to a collector (off: no collector). */
struct sipdp_cfg_hep {
	struct sipdp_cfg_ip collector;  /**< collector address; unset (default): off */
	uint16_t port;                  /**< collector UDP port, default 9060 */
	uint32_t capture_id;            /**< HEP capture agent id (chunk 12), default 0 */
	uint32_t rate;                  /**< copies per second, all workers, default 10000 */
};

/** PRACK (RFC 3262) preference. */
enum sipdp_cfg_prack {
	SIPDP_CFG_PRACK_OFF = 0,        /**< never send 100rel */
	SIPDP_CFG_PRACK_SUPPORTED,      /**< reliable provisionals when the peer requires it */
	SIPDP_CFG_PRACK_REQUIRED,       /**< always reliable provisionals (Require: 100rel) */
};

/** Session timer refresher (RFC 4028 §7). */
enum sipdp_cfg_refresher {
	SIPDP_CFG_REFRESHER_AUTO = 0,
	SIPDP_CFG_REFRESHER_UAC,
	SIPDP_CFG_REFRESHER_UAS,
};

struct sipdp_cfg_session_timer {
	bool enabled;                   /**< the key was present */
	uint32_t expires;               /**< Session-Expires, s, >= min_se */
	uint32_t min_se;                /**< Min-SE, s, >= 90 (RFC 4028 §4) */
	uint8_t refresher;              /**< enum sipdp_cfg_refresher */
};

/**
 * Variables an SDP template may use, expanded by the appliance when it sends
 * the SDP: `${local_ip}` (the address the request came in on), `${ip_version}`
 * (IP4 or IP6, for o= and c=), `${session_id}` and `${session_version}`
 * (RFC 4566 §5.2 o= fields). Any other `${...}` is a config error.
 */
#define SIPDP_CFG_SDP_VARS "local_ip", "ip_version", "session_id", "session_version"

struct sipdp_cfg_match {
	char method[SIPDP_CFG_NAME_LEN];       /**< "" any, else a SIP method token */
	char ruri_user[SIPDP_CFG_NAME_LEN];    /**< exact Request-URI user */
	char ruri_user_prefix[SIPDP_CFG_NAME_LEN];
	char ruri_user_regex[SIPDP_CFG_REGEX_LEN]; /**< PCRE2 pattern, compiles (checked) */
	char ruri_host[SIPDP_CFG_HOST_LEN];    /**< exact, case-insensitive */
	char from_user[SIPDP_CFG_NAME_LEN];    /**< exact From user */
	struct sipdp_cfg_ip source;            /**< family 0: any source */
};

struct sipdp_cfg_answer {
	uint32_t ring_ms;               /**< delay before the 200 */
	bool send_180;
	bool send_183;                  /**< with the SDP (early media) */
	uint8_t prack;                  /**< enum sipdp_cfg_prack */
	struct sipdp_cfg_session_timer session_timer;
	char sdp[SIPDP_CFG_SDP_LEN];    /**< template, CRLF line ends, ends in CRLF */
	char sdp_file[SIPDP_CFG_PATH_LEN]; /**< where sdp was read from, or "" */
};

struct sipdp_cfg_reject {
	uint16_t code;                  /**< 400..699, not 401/407 */
	char reason[SIPDP_CFG_STR_LEN]; /**< "" : the standard phrase */
	bool has_retry_after;
	uint32_t retry_after;           /**< seconds (RFC 3261 §20.33) */
};

struct sipdp_cfg_redirect {
	uint16_t code;                  /**< 300..399, default 302 */
	char contact[SIPDP_CFG_URI_LEN];
};

enum sipdp_cfg_on_refer {
	SIPDP_CFG_REFER_ACCEPT = 0,
	SIPDP_CFG_REFER_REJECT,
};

enum sipdp_cfg_xfer_mode {
	SIPDP_CFG_XFER_BLIND = 0,
	SIPDP_CFG_XFER_ATTENDED,
};

/** sipdp transfers the answered call itself (sends REFER, RFC 3515). */
struct sipdp_cfg_auto_transfer {
	uint8_t mode;                   /**< enum sipdp_cfg_xfer_mode */
	char to[SIPDP_CFG_URI_LEN];     /**< Refer-To target */
	uint32_t after_ms;              /**< after the call is answered */
};

struct sipdp_cfg_transfer {
	uint8_t on_refer;               /**< enum sipdp_cfg_on_refer */
	bool has_auto;                  /**< auto_transfer present */
	struct sipdp_cfg_auto_transfer auto_transfer;
};

enum sipdp_cfg_action {
	SIPDP_CFG_ACTION_NONE = 0,      /**< never in a loaded snapshot */
	SIPDP_CFG_ACTION_ANSWER,
	SIPDP_CFG_ACTION_REJECT,
	SIPDP_CFG_ACTION_REDIRECT,
	SIPDP_CFG_ACTION_DROP,
	SIPDP_CFG_ACTION_BRIDGE,        /**< B2BUA: carry the call to bridge.targets */
};

/* ------------------------------------------------------------- B2BUA */

#define SIPDP_CFG_MAX_TARGETS	8	/**< destinations of one bridge rule */
#define SIPDP_CFG_MAX_HDR_ALLOW	16	/**< header names in one allow-list */
#define SIPDP_CFG_MAX_CODES	16	/**< failover status codes of one rule */

/** Transport of a bridge target (its URI's scheme and ;transport=). */
enum sipdp_cfg_transport {
	SIPDP_CFG_TP_UDP = 0,
	SIPDP_CFG_TP_TCP,
	SIPDP_CFG_TP_TLS,
};

/**
 * One destination of a bridge rule. The URI is a template: ${ruri_user},
 * ${ruri_host} and ${from_user} (the A leg's Request-URI user and host, its
 * From user) may appear in the user part and in parameters, never in the
 * host or port, which must be an IP literal: the loader resolves them into
 * addr, port and transport once (RFC 3263 is not used).
 */
struct sipdp_cfg_target {
	char uri[SIPDP_CFG_URI_LEN];    /**< template as written, "sip:${ruri_user}@198.51.100.20" */
	struct sipdp_cfg_ip addr;       /**< the URI's host (family 4 or 6, full prefix) */
	uint16_t port;                  /**< the URI's port, default 5060 (5061 for TLS) */
	uint8_t transport;              /**< enum sipdp_cfg_transport */
	uint16_t priority;              /**< lower is tried first, default 1 */
	uint16_t weight;                /**< share among equal priorities, 1..1000, default 1 */
};

/** What a bridged call does with a REFER from either leg. */
enum sipdp_cfg_refer_mode {
	SIPDP_CFG_BRIDGE_REFER_TERMINATE = 0, /**< sipdp executes it (default) */
	SIPDP_CFG_BRIDGE_REFER_PASS,          /**< relayed to the other leg */
	SIPDP_CFG_BRIDGE_REFER_REJECT,        /**< answered 603 */
};

/** The bridge action (B2BUA): docs/b2bua.md, docs/configuration.md. */
struct sipdp_cfg_bridge {
	uint8_t nb_targets;             /**< >= 1 */
	struct sipdp_cfg_target targets[SIPDP_CFG_MAX_TARGETS]; /**< sorted by priority (stable) */
	uint32_t ring_timeout_ms;       /**< no 1xx from a target this long: next one (default 4000) */
	uint32_t answer_timeout_ms;     /**< no final this long after the INVITE: next (default 90000) */
	uint8_t nb_failover_codes;      /**< codes besides 503 (always) that try the next target */
	uint16_t failover_codes[SIPDP_CFG_MAX_CODES]; /**< default 408, 480, 500, 502, 504 */
	bool follow_redirects;          /**< 3xx: try its first Contact (IP literal) instead of relaying */
	uint32_t down_after;            /**< failures in a row that mark a target down (default 3) */
	uint32_t down_for_s;            /**< how long it stays down before probing (default 30) */
	uint32_t probe_interval_s;      /**< OPTIONS probe period of a target down (default 5) */
	uint32_t max_duration_s;        /**< BYE both legs after this long; 0: no limit (default) */
	uint8_t refer;                  /**< enum sipdp_cfg_refer_mode */
	uint8_t nb_headers;             /**< header names that cross the bridge */
	char headers[SIPDP_CFG_MAX_HDR_ALLOW][SIPDP_CFG_NAME_LEN]; /**< default: P-Asserted-Identity,
					     Privacy, Diversion, History-Info, User-to-User, Reason */
	uint8_t prack;                  /**< enum sipdp_cfg_prack of both legs (default supported) */
	struct sipdp_cfg_session_timer session_timer; /**< per leg; enabled false: none */
};

/**
 * One policy rule. Every match field that is set must match (AND); an empty
 * match matches every request. Exactly one action; only the part of the
 * struct for that action is meaningful.
 */
struct sipdp_cfg_rule {
	char name[SIPDP_CFG_NAME_LEN];  /**< "" : the appliance names it by index */
	struct sipdp_cfg_match match;
	uint8_t action;                 /**< enum sipdp_cfg_action */
	bool has_answer, has_reject, has_redirect, drop;
	struct sipdp_cfg_answer answer;
	struct sipdp_cfg_reject reject;
	struct sipdp_cfg_redirect redirect;
	bool has_transfer;              /**< only with an answer action */
	struct sipdp_cfg_transfer transfer;
	bool has_bridge;
	struct sipdp_cfg_bridge bridge;
};

/** Calls sipdp originates as UAC (load generation, transfer tests). */
struct sipdp_cfg_calls {
	bool enabled;                   /**< the calls: section was present */
	char target[SIPDP_CFG_URI_LEN]; /**< Request-URI and To */
	char from[SIPDP_CFG_URI_LEN];   /**< "" : sip:<contact_user>@<local address> */
	uint32_t rate;                  /**< new calls per second */
	uint64_t total;                 /**< stop after this many; 0: use duration_s */
	uint32_t duration_s;            /**< stop after this long; 0: use total */
	uint32_t max_concurrent;        /**< 0: bounded by limits only */
	uint32_t hold_ms;               /**< answered call lasts this long, then BYE */
	char refer_to[SIPDP_CFG_URI_LEN]; /**< "" or REFER target after answer */
	uint32_t refer_after_ms;
	uint8_t prack;                  /**< enum sipdp_cfg_prack */
	struct sipdp_cfg_session_timer session_timer;
	char sdp[SIPDP_CFG_SDP_LEN];    /**< offer template; "" : INVITE without SDP */
	char sdp_file[SIPDP_CFG_PATH_LEN];
};

/** The whole configuration: an immutable snapshot once loaded. */
struct sipdp_cfg {
	uint16_t nb_ports;
	struct sipdp_cfg_port ports[SIPDP_CFG_MAX_PORTS];
	struct sipdp_cfg_lcores lcores;
	struct sipdp_cfg_sip sip;
	struct sipdp_cfg_limits limits;
	struct sipdp_cfg_tls tls;
	struct sipdp_cfg_timers timers;
	struct sipdp_cfg_overload overload;
	struct sipdp_cfg_identity identity;
	struct sipdp_cfg_log log;
	struct sipdp_cfg_metrics metrics;
	struct sipdp_cfg_hep hep;
	uint16_t nb_rules;
	struct sipdp_cfg_rule rules[SIPDP_CFG_MAX_RULES]; /**< matched in order */
	struct sipdp_cfg_calls calls;
};

/** One problem found in a config file. */
struct sipdp_cfg_error {
	uint32_t line;                  /**< 1-based; 0 when not about a place (I/O) */
	uint32_t col;                   /**< 1-based; 0 with line 0 */
	char key[SIPDP_CFG_KEY_LEN];    /**< e.g. "ports[0].ipv4"; "" for the document */
	char msg[SIPDP_CFG_MSG_LEN];
};

/** Every problem found, sorted by line; bounded, extra ones only counted. */
struct sipdp_cfg_errors {
	uint32_t count;                 /**< entries used in e[] */
	uint32_t dropped;               /**< further errors not stored */
	struct sipdp_cfg_error e[SIPDP_CFG_ERRORS_MAX];
};

/**
 * Load and validate a config file. A relative sdp_file is read from the
 * directory of @p path.
 *
 * @param path  the YAML file.
 * @param out   receives the new snapshot on success (free with
 *              sipdp_cfg_free()); set to NULL on failure.
 * @param errs  NULL, or filled with every error (count 0 on success).
 * @return 0; -EINVAL when the file has any syntax or validation error (see
 *         @p errs); -EFBIG when it is over SIPDP_CFG_FILE_MAX; -ENOMEM;
 *         or the negative errno of opening/reading it (-ENOENT, -EACCES...),
 *         also recorded in @p errs with line 0.
 */
int sipdp_cfg_load_file(const char *path, struct sipdp_cfg **out,
	struct sipdp_cfg_errors *errs);

/**
 * Same as sipdp_cfg_load_file() from memory.
 *
 * @param text      YAML text (need not be NUL-terminated).
 * @param len       its length in bytes.
 * @param base_dir  directory for relative sdp_file paths; NULL: the current
 *                  directory.
 * @return 0; -EINVAL (see @p errs); -EFBIG (len over SIPDP_CFG_FILE_MAX);
 *         -ENOMEM.
 */
int sipdp_cfg_load_string(const char *text, size_t len, const char *base_dir,
	struct sipdp_cfg **out, struct sipdp_cfg_errors *errs);

/** Free a snapshot. NULL accepted. */
void sipdp_cfg_free(struct sipdp_cfg *cfg);

/**
 * Check that @p next can replace @p cur without a restart: ports, lcores,
 * SIP listen ports and limits size the data path at start and cannot change
 * in a reload; policy, calls, timers, identity and log can. Both snapshots
 * must be loaded (valid). Each differing section is added to @p errs (line 0,
 * key = section name).
 *
 * @return 0 when compatible; -EBUSY when a restart-only section differs;
 *         -EINVAL when an argument is NULL.
 */
int sipdp_cfg_reload_check(const struct sipdp_cfg *cur, const struct sipdp_cfg *next,
	struct sipdp_cfg_errors *errs);

/**
 * Print every error as `path:line:col: key: message` (one per line; without
 * `line:col:` for line 0 and without `key:` when empty), then a line with the
 * number of errors not stored, if any.
 *
 * @param f     output stream.
 * @param errs  the list filled by a load.
 * @param path  file name shown; NULL prints "<config>".
 * @return the number of errors (stored + dropped).
 */
uint32_t sipdp_cfg_errors_print(FILE *f, const struct sipdp_cfg_errors *errs,
	const char *path);

/**
 * Print the effective config (every key, defaults included) as YAML that
 * sipdp_cfg_load_string() accepts and loads back to the same snapshot.
 * An answer's or call's sdp_file shows as a comment; its content as sdp.
 *
 * @return 0, or -EIO when writing to @p f failed.
 */
int sipdp_cfg_dump(FILE *f, const struct sipdp_cfg *cfg);

/**
 * Walk every key of the schema as a path in documentation form
 * ("ports[].ipv4", "policy[].answer.session_timer.expires", "log.level").
 * Used by the test that keeps docs/configuration.md and the schema in step.
 *
 * @param fn   called once per key, sections included ("ports[]", "policy[].answer").
 * @param arg  passed to @p fn.
 * @return the number of keys walked.
 */
size_t sipdp_cfg_schema_walk(void (*fn)(const char *key, void *arg), void *arg);

/** sipdp's own options: what follows "--" on the command line. */
struct sipdp_cfg_args {
	const char *config;             /**< --config FILE (points into argv) */
	bool check;                     /**< --check: validate and exit */
	bool verbose;                   /**< -v / --verbose */
	bool exit_when_done;            /**< --exit-when-done: stop once calls: is done */
};

/**
 * Parse sipdp's own options, after rte_eal_init() consumed the EAL ones:
 * pass (argc - ret, argv + ret). argv[0] is skipped (DPDK puts the program
 * name there). Accepts `--config FILE`, `--config=FILE`, `--check`,
 * `-v`/`--verbose`, `--exit-when-done`, `-h`/`--help`. Uses no global state (no getopt).
 *
 * @param err  where usage and problems are printed; NULL: silent.
 * @return 0; -EINVAL (unknown option, --config missing or without a file;
 *         usage printed); -ECANCELED (--help: usage printed, exit 0).
 */
int sipdp_cfg_args_parse(int argc, char *const argv[], struct sipdp_cfg_args *args,
	FILE *err);

/**
 * The --check behaviour: load @p path, print every error to @p err as
 * sipdp_cfg_errors_print() does, or on success a one-line summary to @p out
 * (preceded by the effective config when @p verbose).
 *
 * @return the process exit status: 0 valid, 1 invalid or unreadable.
 */
int sipdp_cfg_check_file(const char *path, bool verbose, FILE *out, FILE *err);

/** Name of an action for logs ("answer", "reject"...; "none" for NONE). */
const char *sipdp_cfg_action_str(enum sipdp_cfg_action a);

#endif /* SIPDP_CFG_H */
