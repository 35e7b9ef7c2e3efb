/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/cfg: YAML config loading and validation.
 *  - the lab example (drivers-config/lab-af_packet.yaml) loads and every field
 *    holds the value written or its documented default
 *  - a minimal file gets every documented default
 *  - each kind of error is reported at the line of the offending text, with
 *    its key path: unknown key, bad IPv4/IPv6, prefix 33/129, vlan 0/4095,
 *    mtu and descriptor ranges, t2 < t1 (RFC 3261 §17.1.2.2), duplicate key
 *    (YAML 1.2 §3.2.1.1), worker == control, reject 200/302/401 (RFC 3261
 *    §21.4.2), two actions, no action, wrong types, strict integers, missing
 *    required keys, off-subnet gateway, Session-Expires < Min-SE (RFC 4028
 *    §4), SDP shape (RFC 4566 §5), libyaml syntax errors
 *  - empty, non-mapping and multi-document files are refused
 *  - all errors of a file are reported in one pass, sorted by line, and the
 *    list is bounded with a count of the rest
 *  - the dump loads back to the same snapshot (lab and a file using every
 *    section), sdp_file is read relative to the config file
 *  - a reload changing ports/lcores/sip/limits is refused, policy is not
 *  - sipdp's own options parse without getopt; --check exits 0 with a
 *    summary (and the effective config with -v) or 1 with the errors
 *  - every prefix of a valid file loads or fails with located errors
 *  - every .yaml example in drivers-config/ loads
 *  - docs/configuration.md documents exactly the keys of the schema
 *  - bridge (B2BUA): every key loads as written or gets its default (an
 *    empty headers/failover_codes list is not an absent one); target URIs
 *    resolve to address, port and transport (sips: and ;transport=, RFC 5630
 *    §3.1.3) and sort by priority, stably; each bad target (host name,
 *    variable in the host, unknown variable, bare IPv6, loop to our own
 *    address and SIP port), range, answer < ring timeout, too many
 *    entries, bad refer, bridge with transfer or a second action is
 *    reported at its line and column, also by --check
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "sipdp_base.h"
#include "sipdp_cfg.h"
#include "sipdp_test.h"

#define BASE                                                                   \
	"ports:\n"                                                             \
	"  - name: net_af_packet0\n"                                           \
	"    ipv4: 192.0.2.1/24\n"                                             \
	"lcores:\n"                                                            \
	"  workers: [1]\n"

/* Port last, so that appending "    key: value" adds to ports[0]. */
#define BASEP                                                                  \
	"lcores:\n"                                                            \
	"  workers: [1]\n"                                                     \
	"ports:\n"                                                             \
	"  - name: net_af_packet0\n"                                           \
	"    ipv4: 192.0.2.1/24\n"

static struct sipdp_cfg_errors errs;

/* 1-based line of the first occurrence of @needle in @text. */
static uint32_t
line_of(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);
	uint32_t line = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (const char *c = text; c < p; c++)
		line += *c == '\n';
	return line;
}

static int
load(const char *yaml, struct sipdp_cfg **cfg)
{
	return sipdp_cfg_load_string(yaml, strlen(yaml), SIPDP_CFG_TEST_DATA, cfg, &errs);
}

/* An error at @line whose key is @key and message contains @msg. */
static bool
has_error(uint32_t line, const char *key, const char *msg)
{
	for (uint32_t i = 0; i < errs.count; i++)
		if (errs.e[i].line == line && strcmp(errs.e[i].key, key) == 0 &&
		    strstr(errs.e[i].msg, msg) != NULL)
			return true;
	fprintf(stderr, "\nexpected line %u key '%s' msg '%s'; got:\n", line, key, msg);
	sipdp_cfg_errors_print(stderr, &errs, "test");
	return false;
}

/* Load @yaml, expect failure with exactly one error: at @needle's line. */
static void
expect_one_error(const char *yaml, const char *needle, const char *key, const char *msg)
{
	struct sipdp_cfg *cfg = (struct sipdp_cfg *)1;

	CU_ASSERT_EQUAL(load(yaml, &cfg), -EINVAL);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(errs.count, 1);
	CU_ASSERT_EQUAL(errs.dropped, 0);
	CU_ASSERT_TRUE(has_error(line_of(yaml, needle), key, msg));
}

static bool
ip_is(const struct sipdp_cfg_ip *ip, uint8_t family, const char *bytes, size_t n,
	uint8_t prefix)
{
	return ip->family == family && ip->prefix == prefix && memcmp(ip->addr, bytes, n) == 0;
}

/* A bridge target resolved from @uri to @addr (full prefix), @port, @transport. */
static bool
target_is(const struct sipdp_cfg_target *t, const char *uri, uint8_t family, const char *addr,
	uint16_t port, uint8_t transport)
{
	size_t n = family == SIPDP_CFG_IPV4 ? 4 : 16;

	return strcmp(t->uri, uri) == 0 && ip_is(&t->addr, family, addr, n, (uint8_t)(n * 8)) &&
		t->port == port && t->transport == transport;
}

static void
test_lab_example_loads_with_every_field(void)
{
	struct sipdp_cfg *c = NULL;

	CU_ASSERT_EQUAL_FATAL(sipdp_cfg_load_file(SIPDP_CFG_DRIVERS_CONFIG
		"/lab-af_packet.yaml", &c, &errs), 0);
	CU_ASSERT_EQUAL(errs.count, 0);
	CU_ASSERT_EQUAL(c->nb_ports, 1);
	const struct sipdp_cfg_port *p = &c->ports[0];
	CU_ASSERT_STRING_EQUAL(p->name, "net_af_packet0");
	CU_ASSERT_STRING_EQUAL(p->devargs, "iface=sipdp-dut0");
	CU_ASSERT_FALSE(p->has_mac);
	CU_ASSERT_TRUE(ip_is(&p->ipv4, SIPDP_CFG_IPV4, "\xc0\x00\x02\x01", 4, 24));
	CU_ASSERT_TRUE(ip_is(&p->ipv6, SIPDP_CFG_IPV6,
		"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16, 64));
	CU_ASSERT_EQUAL(p->gateway4.family, 0);
	CU_ASSERT_EQUAL(p->gateway6.family, 0);
	CU_ASSERT_EQUAL(p->vlan, 0);
	CU_ASSERT_EQUAL(p->mtu, 1500);
	CU_ASSERT_EQUAL(p->rx_desc, 1024);
	CU_ASSERT_EQUAL(p->tx_desc, 1024);
	CU_ASSERT_EQUAL(p->queues, 0);
	CU_ASSERT_FALSE(p->promiscuous);
	CU_ASSERT_EQUAL(c->lcores.control, 0);
	CU_ASSERT_EQUAL(c->lcores.nb_workers, 1);
	CU_ASSERT_EQUAL(c->lcores.workers[0], 1);
	CU_ASSERT_EQUAL(c->sip.udp_port, 5060);
	CU_ASSERT_EQUAL(c->sip.tcp_port, 5060);
	CU_ASSERT_EQUAL(c->sip.tls_port, 0);
	CU_ASSERT_EQUAL(c->sip.nb_listen, 0);
	CU_ASSERT_EQUAL(c->limits.dialogs_per_shard, 65536);
	CU_ASSERT_EQUAL(c->limits.transactions_per_shard, 131072);
	CU_ASSERT_EQUAL(c->limits.message_max, 16384);
	CU_ASSERT_EQUAL(c->timers.t1_ms, 500);
	CU_ASSERT_EQUAL(c->timers.t2_ms, 4000);
	CU_ASSERT_EQUAL(c->timers.t4_ms, 5000);
	CU_ASSERT_STRING_EQUAL(c->identity.user_agent, "sipdp-lab");
	CU_ASSERT_STRING_EQUAL(c->identity.contact_user, "sipdp");
	CU_ASSERT_EQUAL(c->log.level, SIPDP_CFG_LOG_INFO);
	CU_ASSERT_EQUAL(c->log.component[SIPDP_CFG_LOG_TSX], SIPDP_CFG_LOG_INHERIT);
	CU_ASSERT_EQUAL_FATAL(c->nb_rules, 1);
	const struct sipdp_cfg_rule *r = &c->rules[0];
	CU_ASSERT_STRING_EQUAL(r->name, "answer-all");
	CU_ASSERT_STRING_EQUAL(r->match.method, "INVITE");
	CU_ASSERT_STRING_EQUAL(r->match.ruri_user, "");
	CU_ASSERT_EQUAL(r->match.source.family, 0);
	CU_ASSERT_EQUAL(r->action, SIPDP_CFG_ACTION_ANSWER);
	CU_ASSERT_TRUE(r->has_answer);
	CU_ASSERT_FALSE(r->has_reject || r->has_redirect || r->drop || r->has_transfer);
	CU_ASSERT_TRUE(r->answer.send_180);
	CU_ASSERT_FALSE(r->answer.send_183);
	CU_ASSERT_EQUAL(r->answer.ring_ms, 1000);
	CU_ASSERT_EQUAL(r->answer.prack, SIPDP_CFG_PRACK_SUPPORTED);
	CU_ASSERT_FALSE(r->answer.session_timer.enabled);
	/* LF from the YAML block became CRLF (RFC 4566 §5), once. */
	CU_ASSERT_EQUAL(strncmp(r->answer.sdp, "v=0\r\no=sipdp ${session_id} ", 27), 0);
	size_t n = strlen(r->answer.sdp);
	CU_ASSERT_TRUE(n > 2 && strcmp(r->answer.sdp + n - 2, "\r\n") == 0);
	CU_ASSERT_PTR_NULL(strstr(r->answer.sdp, "\r\r"));
	for (size_t i = 0; i < n; i++)
		if (r->answer.sdp[i] == '\n')
			CU_ASSERT_EQUAL(r->answer.sdp[i - 1], '\r');
	CU_ASSERT_PTR_NOT_NULL(strstr(r->answer.sdp, "a=rtpmap:8 PCMA/8000\r\n"));
	CU_ASSERT_FALSE(c->calls.enabled);
	sipdp_cfg_free(c);
}

/* Every shipped example stays valid as the schema evolves. */
static void
test_drivers_config_examples_all_load(void)
{
	DIR *d = opendir(SIPDP_CFG_DRIVERS_CONFIG);
	struct dirent *de;
	int n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char path[512];
		struct sipdp_cfg *c = NULL;

		if (l < 6 || strcmp(de->d_name + l - 5, ".yaml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", SIPDP_CFG_DRIVERS_CONFIG, de->d_name);
		int rc = sipdp_cfg_load_file(path, &c, &errs);
		if (rc != 0)
			sipdp_cfg_errors_print(stderr, &errs, path);
		CU_ASSERT_EQUAL(rc, 0);
		sipdp_cfg_free(c);
		n++;
	}
	closedir(d);
	CU_ASSERT_TRUE(n >= 1);
}

static void
test_minimal_file_gets_documented_defaults(void)
{
	struct sipdp_cfg *c = NULL;

	CU_ASSERT_EQUAL_FATAL(load(BASE, &c), 0);
	CU_ASSERT_EQUAL(c->ports[0].mtu, 1500);
	CU_ASSERT_EQUAL(c->ports[0].rx_desc, 1024);
	CU_ASSERT_EQUAL(c->ports[0].ipv6.family, 0);
	CU_ASSERT_STRING_EQUAL(c->ports[0].devargs, "");
	CU_ASSERT_EQUAL(c->lcores.control, 0);
	CU_ASSERT_EQUAL(c->sip.udp_port, 5060);
	CU_ASSERT_EQUAL(c->sip.tcp_port, 5060);
	CU_ASSERT_EQUAL(c->sip.tls_port, 5061);
	CU_ASSERT_EQUAL(c->limits.dialogs_per_shard, 65536);
	CU_ASSERT_EQUAL(c->limits.transactions_per_shard, 131072);
	CU_ASSERT_EQUAL(c->limits.subscriptions_per_shard, 16384);
	CU_ASSERT_EQUAL(c->limits.message_max, 16384);
	CU_ASSERT_EQUAL(c->limits.tcp_connections, 1024);
	CU_ASSERT_EQUAL(c->limits.tcp_per_source, 64);
	CU_ASSERT_EQUAL(c->limits.tcp_idle_timeout_ms, 300000);
	CU_ASSERT_EQUAL(c->limits.tcp_message_deadline_ms, 10000);
	CU_ASSERT_STRING_EQUAL(c->tls.cert, "");
	CU_ASSERT_EQUAL(c->tls.verify_inbound, SIPDP_CFG_TLS_VERIFY_NONE);
	CU_ASSERT_TRUE(c->tls.verify_outbound);
	CU_ASSERT_EQUAL(c->tls.handshake_timeout_ms, 5000);
	CU_ASSERT_EQUAL(c->timers.t1_ms, 500);
	CU_ASSERT_EQUAL(c->timers.t2_ms, 4000);
	CU_ASSERT_EQUAL(c->timers.t4_ms, 5000);
	CU_ASSERT_STRING_EQUAL(c->identity.user_agent, "sipdp");
	CU_ASSERT_STRING_EQUAL(c->identity.contact_user, "sipdp");
	CU_ASSERT_EQUAL(c->log.level, SIPDP_CFG_LOG_NOTICE);
	CU_ASSERT_EQUAL(c->nb_rules, 0);
	CU_ASSERT_FALSE(c->calls.enabled);
	sipdp_cfg_free(c);

	const char *y = BASE
		"policy:\n"
		"  - reject: {code: 603}\n"
		"  - answer: {sdp: \"v=0\\no=- 1 1 IN IP4 ${local_ip}\\ns=-\\nt=0 0\"}\n"
		"  - redirect: {contact: \"sip:a@example.com\"}\n"
		"calls: {target: \"sip:b@192.0.2.2\", rate: 5, duration_s: 10}\n";
	CU_ASSERT_EQUAL_FATAL(load(y, &c), 0);
	CU_ASSERT_STRING_EQUAL(c->rules[0].reject.reason, "");
	CU_ASSERT_FALSE(c->rules[0].reject.has_retry_after);
	CU_ASSERT_EQUAL(c->rules[1].answer.ring_ms, 0);
	CU_ASSERT_FALSE(c->rules[1].answer.send_180);
	CU_ASSERT_EQUAL(c->rules[1].answer.prack, SIPDP_CFG_PRACK_SUPPORTED);
	CU_ASSERT_EQUAL(c->rules[1].answer.session_timer.expires, 1800);
	CU_ASSERT_EQUAL(c->rules[1].answer.session_timer.min_se, 90);
	/* No trailing newline in the YAML value: CRLF added after t=0 0. */
	CU_ASSERT_STRING_EQUAL(c->rules[1].answer.sdp,
		"v=0\r\no=- 1 1 IN IP4 ${local_ip}\r\ns=-\r\nt=0 0\r\n");
	CU_ASSERT_EQUAL(c->rules[2].redirect.code, 302);
	CU_ASSERT_TRUE(c->calls.enabled);
	CU_ASSERT_EQUAL(c->calls.total, 0);
	CU_ASSERT_EQUAL(c->calls.duration_s, 10);
	CU_ASSERT_EQUAL(c->calls.hold_ms, 0);
	CU_ASSERT_EQUAL(c->calls.prack, SIPDP_CFG_PRACK_SUPPORTED);
	sipdp_cfg_free(c);
}

static void
test_unknown_key_reported_at_its_line(void)
{
	const char *y = BASE "timers:\n  t1_ms: 500\n  t3_ms: 10\n";
	expect_one_error(y, "t3_ms", "timers", "unknown key 't3_ms' (did you mean");
	const char *y2 = "ports:\n  - name: p0\n    ipv4: 192.0.2.1/24\n"
		"    colour: blue\nlcores:\n  workers: [1]\n";
	expect_one_error(y2, "colour", "ports[0]", "unknown key 'colour'");
	const char *y3 = BASE "telemetry: {}\n";
	expect_one_error(y3, "telemetry", "", "unknown key 'telemetry'");
}

static void
test_bad_addresses_reported(void)
{
	expect_one_error("ports:\n  - name: p0\n    ipv4: 192.0.2.300/24\nlcores: {workers: [1]}\n",
		"192.0.2.300", "ports[0].ipv4", "not an IPv4 or IPv6 address");
	expect_one_error("ports:\n  - name: p0\n    ipv4: 192.0.2.1/33\nlcores: {workers: [1]}\n",
		"/33", "ports[0].ipv4", "prefix length 33 is out of range 0..32");
	expect_one_error("ports:\n  - name: p0\n    ipv6: 2001:db8::1/129\nlcores: {workers: [1]}\n",
		"/129", "ports[0].ipv6", "out of range 0..128");
	expect_one_error("ports:\n  - name: p0\n    ipv4: 2001:db8::1/64\nlcores: {workers: [1]}\n",
		"2001", "ports[0].ipv4", "not an IPv4 address");
	expect_one_error("ports:\n  - name: p0\n    ipv4: 192.0.2.1\nlcores: {workers: [1]}\n",
		"192.0.2.1", "ports[0].ipv4", "needs a prefix length");
	expect_one_error("ports:\n  - name: p0\n    ipv4: 224.0.0.1/4\nlcores: {workers: [1]}\n",
		"224", "ports[0].ipv4", "not a unicast address");
	expect_one_error("ports:\n  - name: p0\n    ipv4: 192.0.2.1/24\n    gateway4: 198.51.100.1\n"
		"lcores: {workers: [1]}\n", "198.51", "ports[0].gateway4", "subnet");
	expect_one_error("ports:\n  - name: p0\n    ipv4: 192.0.2.1/24\n    mac: 01:00:5e:00:00:01\n"
		"lcores: {workers: [1]}\n", "01:00", "ports[0].mac", "multicast");
	expect_one_error("ports:\n  - name: p0\n    ipv4: 192.0.2.1/24\n    mac: 02:00:00:00:00\n"
		"lcores: {workers: [1]}\n", "02:00", "ports[0].mac", "expected a MAC address");
	expect_one_error(BASE "policy:\n  - match: {source: 192.0.2.5/24}\n    drop: true\n",
		"192.0.2.5", "policy[0].match.source", "host bits set");
	expect_one_error(BASE "sip:\n  listen: [198.51.100.1]\n", "198.51", "sip.listen[0]",
		"not the ipv4 or ipv6 address of any port");
}

static void
test_port_ranges_enforced(void)
{
	expect_one_error(BASEP "    vlan: 0\n", "vlan", "ports[0].vlan", "0 is out of range 1..4094");
	expect_one_error("ports:\n  - name: p0\n    vlan: 4095\n    ipv4: 192.0.2.1/24\n"
		"lcores: {workers: [1]}\n", "4095", "ports[0].vlan", "out of range 1..4094");
	expect_one_error("ports:\n  - name: p0\n    mtu: 575\n    ipv4: 192.0.2.1/24\n"
		"lcores: {workers: [1]}\n", "575", "ports[0].mtu", "575 is out of range 576..9216");
	expect_one_error("ports:\n  - name: p0\n    mtu: 9217\n    ipv4: 192.0.2.1/24\n"
		"lcores: {workers: [1]}\n", "9217", "ports[0].mtu", "out of range");
	expect_one_error("ports:\n  - name: p0\n    rx_desc: 1000\n    ipv4: 192.0.2.1/24\n"
		"lcores: {workers: [1]}\n", "1000", "ports[0].rx_desc", "not a power of two");
	/* RFC 8200 §5 */
	expect_one_error("ports:\n  - name: p0\n    mtu: 1000\n    ipv6: 2001:db8::1/64\n"
		"lcores: {workers: [1]}\n", "1000", "ports[0].mtu", "at least 1280");
}

static void
test_vlan_not_under_port_is_unknown(void)
{
	/* BASE's "vlan" test above relies on indentation: here it is at lcores. */
	expect_one_error(BASE "  vlan: 5\n", "vlan", "lcores", "unknown key 'vlan'");
}

static void
test_t2_below_t1_reported_at_t2(void)
{
	const char *y = BASE "timers:\n  t2_ms: 400\n  t1_ms: 500\n";
	expect_one_error(y, "t2_ms", "timers.t2_ms", "t2_ms (400) is below t1_ms (500)");
	/* A bad t1 is reported once, without a cascade about t2. */
	expect_one_error(BASE "timers:\n  t1_ms: 20\n  t2_ms: 60\n", "t1_ms", "timers.t1_ms",
		"20 is out of range 50..10000");
}

static void
test_overload_defaults_and_ranges(void)
{
	struct sipdp_cfg *c = NULL;

	CU_ASSERT_EQUAL_FATAL(load(BASE, &c), 0);
	CU_ASSERT_TRUE(c->overload.enabled);
	CU_ASSERT_EQUAL(c->overload.window_ms, 20);
	CU_ASSERT_EQUAL(c->overload.retry_after_s, 5);
	sipdp_cfg_free(c);
	/* shorter than a few scheduler slices would shed for preemption */
	expect_one_error(BASE "overload:\n  window_ms: 1\n", "window_ms", "overload.window_ms",
		"1 is out of range 5..1000");
}

static void
test_duplicate_key_reported_at_second(void)
{
	const char *y = BASE "sip:\n  udp_port: 5060\n  tcp_port: 5060\n  udp_port: 5070\n";
	expect_one_error(y, "udp_port: 5070", "sip.udp_port", "duplicate key (first set at line 7)");
	struct sipdp_cfg *c = NULL;
	CU_ASSERT_EQUAL(load(BASE "lcores: {workers: [2]}\n", &c), -EINVAL);
	CU_ASSERT_TRUE(has_error(6, "lcores", "duplicate key"));
}

static void
test_lcore_roles_checked(void)
{
	expect_one_error("ports: [{name: p0, ipv4: 192.0.2.1/24}]\nlcores:\n  control: 3\n"
		"  workers: [1, 3]\n", "workers", "lcores.workers[1]",
		"lcore 3 is the control lcore");
	struct sipdp_cfg *c = NULL;
	CU_ASSERT_EQUAL(load("ports: [{name: p0, ipv4: 192.0.2.1/24}]\nlcores:\n"
		"  workers:\n    - 1\n    - 2\n    - 1\n", &c), -EINVAL);
	CU_ASSERT_EQUAL(errs.count, 1);
	/* The line of the third item, not of the first: */
	CU_ASSERT_TRUE(has_error(6, "lcores.workers[2]", "lcore 1 is listed twice"));
	expect_one_error("ports: [{name: p0, ipv4: 192.0.2.1/24}]\nlcores:\n  workers: []\n",
		"[]", "lcores.workers", "must not be empty");
	expect_one_error("ports: [{name: p0, ipv4: 192.0.2.1/24}]\nlcores:\n  workers: [0]\n",
		"[0]", "lcores.workers[0]", "control lcore (default 0)");
	expect_one_error("ports: [{name: p0, ipv4: 192.0.2.1/24}]\nlcores:\n  workers: [1024]\n",
		"[1024]", "lcores.workers[0]", "out of range 0..1023");
}

static void
test_reject_code_checked(void)
{
	expect_one_error(BASE "policy:\n  - reject:\n      code: 200\n", "200",
		"policy[0].reject.code", "200 is out of range 400..699");
	expect_one_error(BASE "policy:\n  - reject:\n      code: 302\n", "302",
		"policy[0].reject.code", "out of range 400..699");
	expect_one_error(BASE "policy:\n  - reject:\n      code: 401\n", "401",
		"policy[0].reject.code", "authentication challenge");
	expect_one_error(BASE "policy:\n  - reject:\n      reason: Busy\n", "reject:",
		"policy[0].reject", "missing required key 'code'");
	expect_one_error(BASE "policy:\n  - reject:\n      code: 480\n      retry_after: 90000\n",
		"90000", "policy[0].reject.retry_after", "out of range 0..86400");
	/* CR/LF in a reason would inject header lines. */
	expect_one_error(BASE "policy:\n  - reject:\n      code: 480\n      reason: \"a\\r\\nX: y\"\n",
		"reason", "policy[0].reject.reason", "invalid character 0x0d");
}

static void
test_rule_needs_exactly_one_action(void)
{
	const char *two = BASE
		"policy:\n"
		"  - match: {method: INVITE}\n"
		"    reject: {code: 486}\n"
		"    drop: true\n";
	expect_one_error(two, "drop", "policy[0].drop", "exactly one action: reject");
	const char *none = BASE
		"policy:\n"
		"  - name: nothing\n"
		"    match: {method: INVITE}\n";
	expect_one_error(none, "- name: nothing", "policy[0]", "rule has no action");
	expect_one_error(BASE "policy:\n  - drop: false\n", "false", "policy[0].drop",
		"only 'true'");
	expect_one_error(BASE "policy:\n  - drop: true\n    transfer: {on_refer: accept}\n",
		"transfer", "policy[0].transfer", "answered calls only");
	expect_one_error(BASE "policy:\n  - match: {ruri_user: a, ruri_user_prefix: b}\n"
		"    drop: true\n", "match", "policy[0].match", "only one of ruri_user");
	expect_one_error(BASE "policy:\n  - match: {ruri_user_regex: \"a(b\"}\n    drop: true\n",
		"a(b", "policy[0].match.ruri_user_regex", "bad regular expression");
	expect_one_error(BASE "policy:\n  - match: {method: \"IN VITE\"}\n    drop: true\n",
		"IN VITE", "policy[0].match.method", "invalid character 0x20");
	expect_one_error(BASE "policy:\n  - redirect: {contact: \"1000@example.com\"}\n",
		"1000@", "policy[0].redirect.contact", "not a sip: or sips: URI");
	expect_one_error(BASE "policy:\n  - redirect: {contact: \"sip:1000@\"}\n",
		"sip:1000@", "policy[0].redirect.contact", "no host part");
}

static void
test_answer_sdp_and_session_timer_checked(void)
{
	expect_one_error(BASE "policy:\n  - answer: {ring_ms: 10}\n", "answer",
		"policy[0].answer", "needs sdp or sdp_file");
	expect_one_error(BASE "policy:\n  - answer:\n      sdp: \"o=- 1 1 IN IP4 x\\ns=-\\nt=0 0\"\n",
		"sdp:", "policy[0].answer.sdp", "must start with v=0");
	expect_one_error(BASE "policy:\n  - answer:\n      sdp: \"v=0\\no=- 1 1 IN IP4 ${ip}\\ns=-\\nt=0 0\"\n",
		"sdp:", "policy[0].answer.sdp", "unknown variable '${ip}'");
	expect_one_error(BASE "policy:\n  - answer:\n      sdp: \"v=0\\no=- 1 1 IN IP4 x\\nt=0 0\"\n",
		"sdp:", "policy[0].answer.sdp", "lacks a s= line");
	/* Folded style (>) joins the lines: the result is one line, refused. */
	expect_one_error(BASE "policy:\n  - answer:\n      sdp: >\n        v=0\n        s=-\n",
		"sdp:", "policy[0].answer.sdp", "must start with v=0");
	expect_one_error(BASE "policy:\n  - answer:\n      sdp_file: answer.sdp\n"
		"      sdp: \"v=0\\no=- 1 1 IN IP4 x\\ns=-\\nt=0 0\"\n",
		"sdp_file", "policy[0].answer.sdp_file", "exclusive");
	expect_one_error(BASE "policy:\n  - answer:\n      sdp_file: nonexistent.sdp\n",
		"sdp_file", "policy[0].answer.sdp_file", "cannot open");
	expect_one_error(BASE "policy:\n  - answer:\n      sdp_file: answer.sdp\n"
		"      session_timer: {expires: 100, min_se: 120}\n", "session_timer",
		"policy[0].answer.session_timer.expires", "below min_se");
	expect_one_error(BASE "policy:\n  - answer:\n      sdp_file: answer.sdp\n"
		"      session_timer: {expires: 60}\n", "session_timer",
		"policy[0].answer.session_timer.expires", "out of range 90..86400");
	expect_one_error(BASE "policy:\n  - answer:\n      sdp_file: answer.sdp\n"
		"      prack: maybe\n", "maybe", "policy[0].answer.prack",
		"not one of: off, supported, required");
}

static void
test_calls_section_checked(void)
{
	expect_one_error(BASE "calls:\n  target: sip:a@192.0.2.2\n  rate: 5\n",
		"calls", "calls", "needs total or duration_s");
	expect_one_error(BASE "calls:\n  target: sip:a@192.0.2.2\n  rate: 5\n  total: 5\n"
		"  duration_s: 5\n", "duration_s", "calls.duration_s", "exclusive");
	expect_one_error(BASE "calls:\n  target: sip:a@192.0.2.2\n  rate: 0\n  total: 5\n",
		"rate: 0", "calls.rate", "out of range 1..1000000");
	expect_one_error(BASE "calls:\n  rate: 5\n  total: 5\n", "calls", "calls",
		"missing required key 'target'");
	expect_one_error(BASE "calls:\n  target: sip:a@192.0.2.2\n  rate: 5\n  total: 5\n"
		"  refer_after_ms: 10\n", "refer_after", "calls.refer_after_ms", "needs refer_to");
}

static void
test_wrong_types_reported(void)
{
	expect_one_error(BASE "sip:\n  - udp_port\n", "- udp", "sip",
		"expected a mapping (key: value), got a list");
	expect_one_error(BASE "sip:\n  udp_port: \"5060\"\n", "\"5060", "sip.udp_port",
		"expected an integer, got a quoted string");
	expect_one_error(BASE "sip:\n  udp_port: [5060]\n", "[5060", "sip.udp_port",
		"expected an integer, got a list");
	expect_one_error(BASE "sip:\n  udp_port:\n", "udp_port", "sip.udp_port",
		"has no value");
	expect_one_error("ports: {name: p0}\nlcores: {workers: [1]}\n", "{name", "ports",
		"expected a list, got a mapping");
	expect_one_error(BASEP "    promiscuous: yes\n", "yes", "ports[0].promiscuous",
		"expected true or false");
	expect_one_error(BASE "identity: {user_agent: {a: b}}\n", "{a: b}",
		"identity.user_agent", "expected a string, got a mapping");
	expect_one_error(BASE "identity: {user_agent: \"a\\0b\"}\n", "\"a",
		"identity.user_agent", "NUL");
}

static void
test_integers_parsed_strictly(void)
{
	static const char *const bad[] = { "1500abc", "-1", "0x10", "+5", "1.5", "1e3",
		"1_000" };
	char y[256];

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(bad); i++) {
		snprintf(y, sizeof(y), BASEP "    mtu: %s\n", bad[i]);
		expect_one_error(y, "mtu", "ports[0].mtu", "expected an integer");
	}
	expect_one_error(BASEP "    mtu: 01500\n", "mtu", "ports[0].mtu", "leading zero");
	expect_one_error(BASEP "    mtu: 18446744073709551616\n", "mtu", "ports[0].mtu",
		"out of range 576..9216");
	expect_one_error(BASEP "    mtu: 4294968796\n", "mtu", "ports[0].mtu",
		"4294968796 is out of range"); /* 1500 + 2^32: no truncation */
	expect_one_error(BASE "calls: {target: \"sip:a@b\", rate: 1, total: 0}\n", "calls",
		"calls.total", "0 is out of range 1..");
}

static void
test_missing_required_keys_reported(void)
{
	struct sipdp_cfg *c = NULL;

	CU_ASSERT_EQUAL(load("sip: {udp_port: 5060}\n", &c), -EINVAL);
	CU_ASSERT_EQUAL(errs.count, 2);
	CU_ASSERT_TRUE(has_error(1, "", "missing required key 'ports'"));
	CU_ASSERT_TRUE(has_error(1, "", "missing required key 'lcores'"));
	expect_one_error("ports: []\nlcores: {workers: [1]}\n", "[]", "ports", "must not be empty");
	expect_one_error("ports:\n  - ipv4: 192.0.2.1/24\nlcores: {workers: [1]}\n", "ipv4",
		"ports[0]", "missing required key 'name'");
	expect_one_error("ports:\n  - name: p0\nlcores: {workers: [1]}\n", "name",
		"ports[0]", "needs ipv4 or ipv6");
	expect_one_error("ports:\n  - name: p0\n    ipv4: 192.0.2.1/24\nlcores: {control: 0}\n",
		"control", "lcores", "missing required key 'workers'");
}

static void
test_document_shape_errors(void)
{
	struct sipdp_cfg *c = NULL;

	expect_one_error("", "", "", "empty configuration");
	expect_one_error("# only a comment\n", "#", "", "empty configuration");
	expect_one_error("- a\n- b\n", "- a", "", "expected a mapping (key: value), got a list");
	expect_one_error("hello\n", "hello", "", "expected a mapping (key: value), got a scalar");
	expect_one_error(BASE "---\nports: []\n", "ports: []", "", "more than one YAML document");
	CU_ASSERT_EQUAL(sipdp_cfg_load_file("/nonexistent/sipdp.yaml", &c, &errs), -ENOENT);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(errs.count, 1);
	CU_ASSERT_EQUAL(errs.e[0].line, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(errs.e[0].msg, "cannot open"));
	char *big = calloc(1, SIPDP_CFG_FILE_MAX + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, '#', SIPDP_CFG_FILE_MAX + 1);
	CU_ASSERT_EQUAL(sipdp_cfg_load_string(big, SIPDP_CFG_FILE_MAX + 1, NULL, &c, &errs),
		-EFBIG);
	free(big);
}

static void
test_yaml_syntax_error_has_its_line(void)
{
	struct sipdp_cfg *c = (struct sipdp_cfg *)1;
	const char *y = BASE "sip:\n  udp_port: 5060\n    tcp_port: 5060\n";

	CU_ASSERT_EQUAL(load(y, &c), -EINVAL);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(errs.count, 1);
	CU_ASSERT_TRUE(has_error(line_of(y, "tcp_port"), "", "YAML syntax error"));
	const char *y2 = BASE "sip: {udp_port: 5060\n";
	CU_ASSERT_EQUAL(load(y2, &c), -EINVAL);
	CU_ASSERT_EQUAL(errs.count, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(errs.e[0].msg, "YAML syntax error"));
	CU_ASSERT_EQUAL(errs.e[0].line, 7); /* end of input, after line 6 */
	const char *y3 = BASE "identity: {user_agent: *nosuch}\n";
	CU_ASSERT_EQUAL(load(y3, &c), -EINVAL);
	CU_ASSERT_TRUE(has_error(6, "", "undefined alias"));
}

static void
test_all_errors_reported_sorted_in_one_pass(void)
{
	struct sipdp_cfg *c = NULL;
	const char *y =
		"ports:\n"                          /* 1 */
		"  - name: p0\n"                    /* 2 */
		"    ipv4: 192.0.2.1/33\n"          /* 3 prefix */
		"    vlan: 4095\n"                  /* 4 vlan */
		"    mtu: 100\n"                    /* 5 mtu */
		"lcores:\n"                         /* 6 */
		"  control: 1\n"                    /* 7 */
		"  workers: [1, 2]\n"               /* 8 worker == control */
		"timers:\n"                         /* 9 */
		"  t1_ms: 1000\n"                   /* 10 */
		"  t2_ms: 500\n"                    /* 11 t2 < t1 */
		"  t5_ms: 1\n"                      /* 12 unknown */
		"policy:\n"                         /* 13 */
		"  - reject: {code: 200}\n"         /* 14 code */
		"  - match: {method: INVITE}\n";    /* 15 no action */

	CU_ASSERT_EQUAL(load(y, &c), -EINVAL);
	CU_ASSERT_EQUAL(errs.count, 8);
	CU_ASSERT_TRUE(has_error(3, "ports[0].ipv4", "prefix length 33"));
	CU_ASSERT_TRUE(has_error(4, "ports[0].vlan", "out of range"));
	CU_ASSERT_TRUE(has_error(5, "ports[0].mtu", "out of range"));
	CU_ASSERT_TRUE(has_error(8, "lcores.workers[0]", "control lcore"));
	CU_ASSERT_TRUE(has_error(11, "timers.t2_ms", "below t1_ms"));
	CU_ASSERT_TRUE(has_error(12, "timers", "unknown key 't5_ms'"));
	CU_ASSERT_TRUE(has_error(14, "policy[0].reject.code", "out of range"));
	CU_ASSERT_TRUE(has_error(15, "policy[1]", "no action"));
	for (uint32_t i = 1; i < errs.count; i++)
		CU_ASSERT_TRUE(errs.e[i - 1].line <= errs.e[i].line);

	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	CU_ASSERT_EQUAL(sipdp_cfg_errors_print(f, &errs, "sipdp.yaml"), 8);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "sipdp.yaml:3:11: ports[0].ipv4: prefix length 33 "
		"is out of range 0..32\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "sipdp.yaml:15:5: policy[1]: rule has no action"));
	free(out);
}

static void
test_error_list_is_bounded(void)
{
	struct sipdp_cfg *c = NULL;
	size_t cap = 100 * 32 + 256, pos;
	char *y = malloc(cap);

	CU_ASSERT_PTR_NOT_NULL_FATAL(y);
	pos = (size_t)snprintf(y, cap, "%s", BASE);
	for (int i = 0; i < 100; i++)
		pos += (size_t)snprintf(y + pos, cap - pos, "junk%d: 1\n", i);
	CU_ASSERT_EQUAL(load(y, &c), -EINVAL);
	CU_ASSERT_EQUAL(errs.count, SIPDP_CFG_ERRORS_MAX);
	CU_ASSERT_EQUAL(errs.dropped, 100 - SIPDP_CFG_ERRORS_MAX);
	CU_ASSERT_TRUE(has_error(6, "", "unknown key 'junk0'"));
	CU_ASSERT_TRUE(has_error(6 + SIPDP_CFG_ERRORS_MAX - 1, "", "unknown key 'junk63'"));

	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	CU_ASSERT_EQUAL(sipdp_cfg_errors_print(f, &errs, "x.yaml"), 100);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "x.yaml: 36 more error(s) not shown\n"));
	free(out);
	free(y);
}

static void
test_full_file_loads_every_section(void)
{
	struct sipdp_cfg *c = NULL;

	CU_ASSERT_EQUAL_FATAL(sipdp_cfg_load_file(SIPDP_CFG_TEST_DATA "/full.yaml", &c, &errs), 0);
	CU_ASSERT_EQUAL(c->nb_ports, 2);
	CU_ASSERT_TRUE(c->ports[0].has_mac);
	CU_ASSERT_EQUAL(memcmp(c->ports[0].mac, "\x02\0\0\0\0\x01", 6), 0);
	CU_ASSERT_TRUE(ip_is(&c->ports[0].gateway4, SIPDP_CFG_IPV4, "\xc6\x33\x64\x01", 4, 32));
	CU_ASSERT_EQUAL(c->ports[0].gateway6.addr[0], 0xfe);
	CU_ASSERT_EQUAL(c->ports[0].vlan, 100);
	CU_ASSERT_EQUAL(c->ports[0].mtu, 9000);
	CU_ASSERT_TRUE(c->ports[0].promiscuous);
	CU_ASSERT_STRING_EQUAL(c->ports[1].devargs, "iface=sipdp-dut1,qpairs=2");
	CU_ASSERT_EQUAL(c->lcores.nb_workers, 3);
	CU_ASSERT_EQUAL(c->lcores.workers[2], 6);
	CU_ASSERT_EQUAL(c->sip.nb_listen, 2);
	CU_ASSERT_EQUAL(c->sip.listen[1].family, SIPDP_CFG_IPV6);
	CU_ASSERT_STRING_EQUAL(c->identity.user_agent, "sipdp \"edge\" 1.0");
	CU_ASSERT_EQUAL(c->log.level, SIPDP_CFG_LOG_WARNING);
	CU_ASSERT_EQUAL(c->log.component[SIPDP_CFG_LOG_TSX], SIPDP_CFG_LOG_DEBUG);
	CU_ASSERT_EQUAL(c->log.component[SIPDP_CFG_LOG_DP], SIPDP_CFG_LOG_ERR);
	CU_ASSERT_EQUAL(c->log.component[SIPDP_CFG_LOG_UA], SIPDP_CFG_LOG_INHERIT);
	CU_ASSERT_EQUAL_FATAL(c->nb_rules, 6);
	CU_ASSERT_EQUAL(c->rules[0].action, SIPDP_CFG_ACTION_DROP);
	CU_ASSERT_TRUE(ip_is(&c->rules[0].match.source, SIPDP_CFG_IPV4, "\xc0\0\x02\x80", 4, 25));
	CU_ASSERT_EQUAL(c->rules[1].action, SIPDP_CFG_ACTION_REJECT);
	CU_ASSERT_STRING_EQUAL(c->rules[1].match.ruri_user_prefix, "+33");
	CU_ASSERT_EQUAL(c->rules[1].reject.code, 486);
	CU_ASSERT_STRING_EQUAL(c->rules[1].reject.reason, "Busy Here");
	CU_ASSERT_TRUE(c->rules[1].reject.has_retry_after);
	CU_ASSERT_EQUAL(c->rules[1].reject.retry_after, 30);
	CU_ASSERT_EQUAL(c->rules[2].action, SIPDP_CFG_ACTION_REDIRECT);
	CU_ASSERT_STRING_EQUAL(c->rules[2].match.ruri_user, "1000");
	CU_ASSERT_STRING_EQUAL(c->rules[2].redirect.contact, "sip:1000@198.51.100.20");
	const struct sipdp_cfg_rule *ivr = &c->rules[3];
	CU_ASSERT_EQUAL(ivr->action, SIPDP_CFG_ACTION_ANSWER);
	CU_ASSERT_EQUAL(ivr->answer.prack, SIPDP_CFG_PRACK_REQUIRED);
	CU_ASSERT_TRUE(ivr->answer.session_timer.enabled);
	CU_ASSERT_EQUAL(ivr->answer.session_timer.expires, 600);
	CU_ASSERT_EQUAL(ivr->answer.session_timer.refresher, SIPDP_CFG_REFRESHER_UAS);
	CU_ASSERT_STRING_EQUAL(ivr->answer.sdp_file, "answer.sdp");
	/* Read relative to the config file's directory, CRLF line ends. */
	CU_ASSERT_EQUAL(strncmp(ivr->answer.sdp, "v=0\r\no=sipdp ", 13), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(ivr->answer.sdp, "a=rtpmap:8 PCMA/8000\r\n"));
	CU_ASSERT_TRUE(ivr->has_transfer);
	CU_ASSERT_EQUAL(ivr->transfer.on_refer, SIPDP_CFG_REFER_REJECT);
	CU_ASSERT_TRUE(ivr->transfer.has_auto);
	CU_ASSERT_EQUAL(ivr->transfer.auto_transfer.mode, SIPDP_CFG_XFER_ATTENDED);
	CU_ASSERT_STRING_EQUAL(ivr->transfer.auto_transfer.to,
		"sips:2000@198.51.100.30;transport=tcp");
	const struct sipdp_cfg_bridge *br = &c->rules[4].bridge;
	CU_ASSERT_EQUAL(c->rules[4].action, SIPDP_CFG_ACTION_BRIDGE);
	CU_ASSERT_EQUAL_FATAL(br->nb_targets, 2);
	/* sorted by priority: the sips: target (priority 1) first */
	CU_ASSERT_TRUE(target_is(&br->targets[0], "sips:${ruri_user}@[2001:db8:2::20];user=phone",
		SIPDP_CFG_IPV6, "\x20\x01\x0d\xb8\0\x02\0\0\0\0\0\0\0\0\0\x20", 5061,
		SIPDP_CFG_TP_TLS));
	CU_ASSERT_TRUE(target_is(&br->targets[1],
		"sip:${ruri_user}@198.51.100.20:5060;transport=tcp", SIPDP_CFG_IPV4,
		"\xc6\x33\x64\x14", 5060, SIPDP_CFG_TP_TCP));
	CU_ASSERT_EQUAL(br->nb_failover_codes, 4);
	CU_ASSERT_EQUAL(br->refer, SIPDP_CFG_BRIDGE_REFER_PASS);
	CU_ASSERT_EQUAL(br->nb_headers, 3);
	CU_ASSERT_EQUAL(br->session_timer.refresher, SIPDP_CFG_REFRESHER_UAC);
	CU_ASSERT_EQUAL(c->rules[5].action, SIPDP_CFG_ACTION_ANSWER);
	CU_ASSERT_STRING_EQUAL(c->rules[5].name, "");
	CU_ASSERT_TRUE(c->calls.enabled);
	CU_ASSERT_EQUAL(c->calls.rate, 200);
	CU_ASSERT_EQUAL(c->calls.total, 100000);
	CU_ASSERT_EQUAL(c->calls.prack, SIPDP_CFG_PRACK_OFF);
	CU_ASSERT_EQUAL(c->calls.session_timer.expires, 90);
	CU_ASSERT_STRING_EQUAL(c->calls.sdp, ivr->answer.sdp);
	sipdp_cfg_free(c);
}

/* dump -> load gives the same snapshot; sdp_file shows as its content. */
static void
check_round_trip(struct sipdp_cfg *c)
{
	struct sipdp_cfg *back = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	CU_ASSERT_EQUAL(sipdp_cfg_dump(f, c), 0);
	fclose(f);
	int rc = sipdp_cfg_load_string(out, len, NULL, &back, &errs);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc != 0) {
		fputs(out, stderr);
		sipdp_cfg_errors_print(stderr, &errs, "dump");
	} else {
		for (uint16_t i = 0; i < c->nb_rules; i++)
			memset(c->rules[i].answer.sdp_file, 0, SIPDP_CFG_PATH_LEN);
		memset(c->calls.sdp_file, 0, SIPDP_CFG_PATH_LEN);
		CU_ASSERT_EQUAL(memcmp(c, back, sizeof(*c)), 0);
	}
	free(out);
	sipdp_cfg_free(back);
}

/* ---- bridge (B2BUA) ----------------------------------------------------- */

/* Load @yaml, expect failure with exactly one error, at @line:@col. */
static void
expect_error_at(const char *yaml, uint32_t line, uint32_t col, const char *key,
	const char *msg)
{
	struct sipdp_cfg *cfg = (struct sipdp_cfg *)1;

	CU_ASSERT_EQUAL(load(yaml, &cfg), -EINVAL);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(errs.count, 1);
	if (errs.count != 1 || errs.e[0].line != line || errs.e[0].col != col ||
	    strcmp(errs.e[0].key, key) != 0 || strstr(errs.e[0].msg, msg) == NULL) {
		fprintf(stderr, "\nexpected %u:%u key '%s' msg '%s'; got:\n", line, col, key, msg);
		sipdp_cfg_errors_print(stderr, &errs, "test");
		CU_FAIL("error not where expected");
	}
}

static void
test_bridge_rule_loads_every_field(void)
{
	struct sipdp_cfg *c = NULL;
	const char *y = BASE
		"policy:\n"
		"  - name: to-core\n"
		"    match: { ruri_user_prefix: \"+1\" }\n"
		"    bridge:\n"
		"      targets:\n"
		"        - uri: \"sip:${ruri_user}@198.51.100.20:5070;transport=tcp\"\n"
		"          priority: 1\n"
		"          weight: 50\n"
		"        - uri: \"sip:${ruri_user}@[2001:db8::20]\"\n"
		"          priority: 2\n"
		"          weight: 1000\n"
		"      ring_timeout_ms: 3000\n"
		"      answer_timeout_ms: 60000\n"
		"      failover_codes: [408, 503, 600]\n"
		"      follow_redirects: true\n"
		"      down_after: 5\n"
		"      down_for_s: 60\n"
		"      probe_interval_s: 10\n"
		"      max_duration_s: 7200\n"
		"      refer: pass\n"
		"      headers: [P-Asserted-Identity, X-Account]\n"
		"      prack: required\n"
		"      session_timer: { expires: 1200, min_se: 120, refresher: uas }\n";

	CU_ASSERT_EQUAL_FATAL(load(y, &c), 0);
	CU_ASSERT_EQUAL_FATAL(c->nb_rules, 1);
	const struct sipdp_cfg_rule *r = &c->rules[0];
	CU_ASSERT_EQUAL(r->action, SIPDP_CFG_ACTION_BRIDGE);
	CU_ASSERT_STRING_EQUAL(sipdp_cfg_action_str(r->action), "bridge");
	CU_ASSERT_TRUE(r->has_bridge);
	CU_ASSERT_FALSE(r->has_answer || r->has_reject || r->has_redirect || r->drop ||
		r->has_transfer);
	const struct sipdp_cfg_bridge *b = &r->bridge;
	CU_ASSERT_EQUAL_FATAL(b->nb_targets, 2);
	CU_ASSERT_TRUE(target_is(&b->targets[0],
		"sip:${ruri_user}@198.51.100.20:5070;transport=tcp", SIPDP_CFG_IPV4,
		"\xc6\x33\x64\x14", 5070, SIPDP_CFG_TP_TCP));
	CU_ASSERT_EQUAL(b->targets[0].priority, 1);
	CU_ASSERT_EQUAL(b->targets[0].weight, 50);
	CU_ASSERT_TRUE(target_is(&b->targets[1], "sip:${ruri_user}@[2001:db8::20]",
		SIPDP_CFG_IPV6, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x20", 5060,
		SIPDP_CFG_TP_UDP));
	CU_ASSERT_EQUAL(b->targets[1].priority, 2);
	CU_ASSERT_EQUAL(b->targets[1].weight, 1000);
	CU_ASSERT_EQUAL(b->ring_timeout_ms, 3000);
	CU_ASSERT_EQUAL(b->answer_timeout_ms, 60000);
	CU_ASSERT_EQUAL_FATAL(b->nb_failover_codes, 3);
	CU_ASSERT_EQUAL(b->failover_codes[0], 408);
	CU_ASSERT_EQUAL(b->failover_codes[1], 503);
	CU_ASSERT_EQUAL(b->failover_codes[2], 600);
	CU_ASSERT_TRUE(b->follow_redirects);
	CU_ASSERT_EQUAL(b->down_after, 5);
	CU_ASSERT_EQUAL(b->down_for_s, 60);
	CU_ASSERT_EQUAL(b->probe_interval_s, 10);
	CU_ASSERT_EQUAL(b->max_duration_s, 7200);
	CU_ASSERT_EQUAL(b->refer, SIPDP_CFG_BRIDGE_REFER_PASS);
	CU_ASSERT_EQUAL_FATAL(b->nb_headers, 2);
	CU_ASSERT_STRING_EQUAL(b->headers[0], "P-Asserted-Identity");
	CU_ASSERT_STRING_EQUAL(b->headers[1], "X-Account");
	CU_ASSERT_EQUAL(b->prack, SIPDP_CFG_PRACK_REQUIRED);
	CU_ASSERT_TRUE(b->session_timer.enabled);
	CU_ASSERT_EQUAL(b->session_timer.expires, 1200);
	CU_ASSERT_EQUAL(b->session_timer.min_se, 120);
	CU_ASSERT_EQUAL(b->session_timer.refresher, SIPDP_CFG_REFRESHER_UAS);
	check_round_trip(c);
	sipdp_cfg_free(c);
}

static void
test_bridge_defaults_when_keys_absent(void)
{
	static const char *const hdrs[] = { "P-Asserted-Identity", "Privacy", "Diversion",
		"History-Info", "User-to-User", "Reason" };
	static const uint16_t codes[] = { 408, 480, 500, 502, 504 };
	struct sipdp_cfg *c = NULL;

	CU_ASSERT_EQUAL_FATAL(load(BASE "policy:\n  - bridge:\n      targets:\n"
		"        - uri: \"sip:${ruri_user}@198.51.100.20\"\n", &c), 0);
	const struct sipdp_cfg_bridge *b = &c->rules[0].bridge;
	CU_ASSERT_EQUAL(c->rules[0].action, SIPDP_CFG_ACTION_BRIDGE);
	CU_ASSERT_EQUAL_FATAL(b->nb_targets, 1);
	CU_ASSERT_TRUE(target_is(&b->targets[0], "sip:${ruri_user}@198.51.100.20",
		SIPDP_CFG_IPV4, "\xc6\x33\x64\x14", 5060, SIPDP_CFG_TP_UDP));
	CU_ASSERT_EQUAL(b->targets[0].priority, 1);
	CU_ASSERT_EQUAL(b->targets[0].weight, 1);
	CU_ASSERT_EQUAL(b->ring_timeout_ms, 4000);
	CU_ASSERT_EQUAL(b->answer_timeout_ms, 90000);
	CU_ASSERT_EQUAL_FATAL(b->nb_failover_codes, SIPDP_ARRAY_SIZE(codes));
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(codes); i++)
		CU_ASSERT_EQUAL(b->failover_codes[i], codes[i]);
	CU_ASSERT_FALSE(b->follow_redirects);
	CU_ASSERT_EQUAL(b->down_after, 3);
	CU_ASSERT_EQUAL(b->down_for_s, 30);
	CU_ASSERT_EQUAL(b->probe_interval_s, 5);
	CU_ASSERT_EQUAL(b->max_duration_s, 0);
	CU_ASSERT_EQUAL(b->refer, SIPDP_CFG_BRIDGE_REFER_TERMINATE);
	CU_ASSERT_EQUAL_FATAL(b->nb_headers, SIPDP_ARRAY_SIZE(hdrs));
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(hdrs); i++)
		CU_ASSERT_STRING_EQUAL(b->headers[i], hdrs[i]);
	CU_ASSERT_EQUAL(b->prack, SIPDP_CFG_PRACK_SUPPORTED);
	CU_ASSERT_FALSE(b->session_timer.enabled);
	check_round_trip(c);
	sipdp_cfg_free(c);

	/* An empty list is not an absent one: nothing crosses, only 503 fails over. */
	CU_ASSERT_EQUAL_FATAL(load(BASE "policy:\n  - bridge:\n"
		"      targets: [{uri: \"sip:a@198.51.100.20\"}]\n"
		"      headers: []\n      failover_codes: []\n", &c), 0);
	CU_ASSERT_EQUAL(c->rules[0].bridge.nb_headers, 0);
	CU_ASSERT_EQUAL(c->rules[0].bridge.nb_failover_codes, 0);
	check_round_trip(c);
	sipdp_cfg_free(c);
}

/* Scheme, brackets, port and ;transport= resolve to where the call is sent. */
static void
test_bridge_target_uris_resolve(void)
{
	static const struct {
		const char *uri;
		uint8_t family;
		const char *addr;
		uint16_t port;
		uint8_t transport;
	} ok[] = {
		{ "sip:${ruri_user}@[2001:db8::20]:5080", SIPDP_CFG_IPV6,
		  "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x20", 5080, SIPDP_CFG_TP_UDP },
		{ "sips:${ruri_user}@198.51.100.20", SIPDP_CFG_IPV4, "\xc6\x33\x64\x14", 5061,
		  SIPDP_CFG_TP_TLS },
		/* RFC 5630 §3.1.3: sips over TCP is TLS */
		{ "SIPS:a@198.51.100.20;transport=tcp", SIPDP_CFG_IPV4, "\xc6\x33\x64\x14", 5061,
		  SIPDP_CFG_TP_TLS },
		{ "sip:a@198.51.100.20;Transport=TLS", SIPDP_CFG_IPV4, "\xc6\x33\x64\x14", 5061,
		  SIPDP_CFG_TP_TLS },
		{ "sip:a@198.51.100.20:5070;transport=TCP", SIPDP_CFG_IPV4, "\xc6\x33\x64\x14",
		  5070, SIPDP_CFG_TP_TCP },
		{ "sip:198.51.100.20;transport=udp", SIPDP_CFG_IPV4, "\xc6\x33\x64\x14", 5060,
		  SIPDP_CFG_TP_UDP },
		{ "sip:+1${ruri_user}-${from_user}@198.51.100.20;user=phone;h=${ruri_host};lr",
		  SIPDP_CFG_IPV4, "\xc6\x33\x64\x14", 5060, SIPDP_CFG_TP_UDP },
		/* our address, not our port for that transport: no loop */
		{ "sip:a@192.0.2.1:5070", SIPDP_CFG_IPV4, "\xc0\x00\x02\x01", 5070,
		  SIPDP_CFG_TP_UDP },
		{ "sip:a@192.0.2.1:5061", SIPDP_CFG_IPV4, "\xc0\x00\x02\x01", 5061,
		  SIPDP_CFG_TP_UDP },
	};
	char y[512];

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(ok); i++) {
		struct sipdp_cfg *c = NULL;

		snprintf(y, sizeof(y), BASE "policy:\n  - bridge: {targets: [{uri: \"%s\"}]}\n",
			ok[i].uri);
		int rc = load(y, &c);
		if (rc != 0)
			sipdp_cfg_errors_print(stderr, &errs, ok[i].uri);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT_TRUE(target_is(&c->rules[0].bridge.targets[0], ok[i].uri, ok[i].family,
			ok[i].addr, ok[i].port, ok[i].transport));
		sipdp_cfg_free(c);
	}
	/* With tcp_port 0 nothing listens on TCP: our address is not a loop there. */
	struct sipdp_cfg *c = NULL;
	CU_ASSERT_EQUAL(load(BASE "sip: {tcp_port: 0}\npolicy:\n  - bridge: {targets: "
		"[{uri: \"sip:a@192.0.2.1;transport=tcp\"}]}\n", &c), 0);
	sipdp_cfg_free(c);
}

static void
test_bridge_targets_sorted_by_priority_stable(void)
{
	struct sipdp_cfg *c = NULL;
	const char *y = BASE
		"policy:\n"
		"  - bridge:\n"
		"      targets:\n"
		"        - {uri: \"sip:a@198.51.100.1\", priority: 3}\n"
		"        - {uri: \"sip:b@198.51.100.2\"}\n"
		"        - {uri: \"sip:c@198.51.100.3\", priority: 2}\n"
		"        - {uri: \"sip:d@198.51.100.4\", priority: 1, weight: 7}\n";

	CU_ASSERT_EQUAL_FATAL(load(y, &c), 0);
	const struct sipdp_cfg_bridge *b = &c->rules[0].bridge;
	CU_ASSERT_EQUAL_FATAL(b->nb_targets, 4);
	CU_ASSERT_STRING_EQUAL(b->targets[0].uri, "sip:b@198.51.100.2");
	CU_ASSERT_STRING_EQUAL(b->targets[1].uri, "sip:d@198.51.100.4");
	CU_ASSERT_EQUAL(b->targets[1].weight, 7);
	CU_ASSERT_EQUAL(b->targets[1].addr.addr[3], 4);
	CU_ASSERT_STRING_EQUAL(b->targets[2].uri, "sip:c@198.51.100.3");
	CU_ASSERT_STRING_EQUAL(b->targets[3].uri, "sip:a@198.51.100.1");
	check_round_trip(c);
	sipdp_cfg_free(c);
}

/* BASE is 5 lines: "policy:" is line 6, "  - bridge:" 7, "      targets:" 8. */
#define BR BASE "policy:\n  - bridge:\n"
#define T1(uri) "      targets:\n        - uri: \"" uri "\"\n"
#define TOK T1("sip:a@198.51.100.20")
#define T9                                                                     \
	"      targets:\n"                                                     \
	"        - uri: sip:a@198.51.100.1\n        - uri: sip:a@198.51.100.2\n"   \
	"        - uri: sip:a@198.51.100.3\n        - uri: sip:a@198.51.100.4\n"   \
	"        - uri: sip:a@198.51.100.5\n        - uri: sip:a@198.51.100.6\n"   \
	"        - uri: sip:a@198.51.100.7\n        - uri: sip:a@198.51.100.8\n"   \
	"        - uri: sip:a@198.51.100.9\n"
#define H17                                                                    \
	"      headers: [H01, H02, H03, H04, H05, H06, H07, H08, H09, H10, H11, "  \
	"H12, H13, H14, H15, H16, H17]\n"
#define URI0 "policy[0].bridge.targets[0].uri"

static const struct {
	const char *yaml;
	uint32_t line, col;
	const char *key;
	const char *msg;
} bridge_bad[] = {
	{ BR T1("sip:${ruri_user}@core.example.com"), 9, 16, URI0,
	  "host 'core.example.com' must be an IP literal (DNS is not used)" },
	{ BR T1("sip:a@${ruri_host}:5060"), 9, 16, URI0,
	  "must be an IP literal (DNS is not used)" },
	{ BR T1("sip:${to_user}@198.51.100.20"), 9, 16, URI0,
	  "unknown variable '${to_user}' (allowed: ${ruri_user}, ${ruri_host}, ${from_user})" },
	{ BR T1("sip:a@198.51.100.20;x=${ruri}"), 9, 16, URI0, "unknown variable '${ruri}'" },
	{ BR T1("sip:${ruri_user@198.51.100.20"), 9, 16, URI0, "'${' without '}'" },
	{ BR T1("sip:a@2001:db8::20"), 9, 16, URI0, "IPv6 host needs brackets: [2001:db8::20]" },
	{ BR T1("sip:a@[2001:db8::zz]"), 9, 16, URI0, "not an IPv6 address" },
	{ BR T1("sip:a@224.0.0.1"), 9, 16, URI0, "not a unicast address" },
	{ BR T1("sip:a@198.51.100.20:0"), 9, 16, URI0, "bad port '0'" },
	{ BR T1("sip:a@198.51.100.20:${p}"), 9, 16, URI0, "bad port" },
	{ BR T1("sip:a@198.51.100.20;transport=sctp"), 9, 16, URI0,
	  "transport 'sctp' is not udp, tcp or tls" },
	{ BR T1("sips:a@198.51.100.20;transport=udp"), 9, 16, URI0, "transport=udp contradicts" },
	{ BR T1("sip:a@198.51.100.20?Subject=x"), 9, 16, URI0, "URI headers" },
	{ BR T1("tel:+15551234"), 9, 16, URI0, "not a sip: or sips: URI" },
	{ BR T1("sip:a b@198.51.100.20"), 9, 16, URI0, "invalid character 0x20" },
	/* loops: our port address and our SIP port for the target's transport */
	{ BR T1("sip:${ruri_user}@192.0.2.1"), 9, 16, URI0,
	  "target points back at sipdp itself (loop): ports[0] address, sip.udp_port 5060" },
	{ BR T1("sip:a@192.0.2.1;transport=tcp"), 9, 16, URI0,
	  "target points back at sipdp itself (loop): ports[0] address, sip.tcp_port 5060" },
	{ BR T1("sips:a@192.0.2.1"), 9, 16, URI0,
	  "target points back at sipdp itself (loop): ports[0] address, sip.tls_port 5061" },
	{ "lcores: {workers: [1]}\nports: [{name: p0, ipv6: \"2001:db8::1/64\"}]\n"
	  "sip: {udp_port: 5070}\npolicy:\n  - bridge:\n      targets:\n"
	  "        - {uri: \"sip:a@198.51.100.9\"}\n        - {uri: \"sip:a@[2001:db8::1]:5070\"}\n",
	  8, 17, "policy[0].bridge.targets[1].uri", "(loop): ports[0] address, sip.udp_port 5070" },
	{ BR TOK "          priority: 0\n", 10, 21, "policy[0].bridge.targets[0].priority",
	  "0 is out of range 1..1000" },
	{ BR TOK "          weight: 1001\n", 10, 19, "policy[0].bridge.targets[0].weight",
	  "1001 is out of range 1..1000" },
	{ BR TOK "          weight: 0\n", 10, 19, "policy[0].bridge.targets[0].weight",
	  "0 is out of range 1..1000" },
	{ BR "      targets:\n        - priority: 2\n", 9, 11, "policy[0].bridge.targets[0]",
	  "missing required key 'uri'" },
	{ BR T9, 17, 11, "policy[0].bridge.targets[8]", "too many entries (at most 8)" },
	{ BR "      targets: []\n", 8, 16, "policy[0].bridge.targets", "must not be empty" },
	{ BASE "policy:\n  - bridge: {refer: pass}\n", 7, 5, "policy[0].bridge",
	  "missing required key 'targets'" },
	{ BR TOK "      ring_timeout_ms: 5000\n      answer_timeout_ms: 4000\n", 11, 26,
	  "policy[0].bridge.answer_timeout_ms",
	  "answer_timeout_ms (4000) is below ring_timeout_ms (5000)" },
	{ BR TOK "      ring_timeout_ms: 100000\n", 10, 24, "policy[0].bridge.ring_timeout_ms",
	  "ring_timeout_ms (100000) is above answer_timeout_ms (90000, its default)" },
	{ BR TOK "      ring_timeout_ms: 99\n", 10, 24, "policy[0].bridge.ring_timeout_ms",
	  "99 is out of range 100..600000" },
	{ BR TOK "      answer_timeout_ms: 3600001\n", 10, 26,
	  "policy[0].bridge.answer_timeout_ms", "out of range 100..3600000" },
	{ BR TOK "      failover_codes: [500, 200]\n", 10, 29,
	  "policy[0].bridge.failover_codes[1]", "200 is out of range 300..699" },
	{ BR TOK "      down_after: 0\n", 10, 19, "policy[0].bridge.down_after",
	  "out of range 1..1000" },
	{ BR TOK "      down_for_s: 86401\n", 10, 19, "policy[0].bridge.down_for_s",
	  "out of range 1..86400" },
	{ BR TOK "      probe_interval_s: 3601\n", 10, 25, "policy[0].bridge.probe_interval_s",
	  "out of range 1..3600" },
	{ BR TOK "      max_duration_s: 604801\n", 10, 23, "policy[0].bridge.max_duration_s",
	  "out of range 0..604800" },
	{ BR TOK "      refer: forward\n", 10, 14, "policy[0].bridge.refer",
	  "'forward' is not one of: terminate, pass, reject" },
	{ BR TOK "      prack: maybe\n", 10, 14, "policy[0].bridge.prack",
	  "not one of: off, supported, required" },
	{ BR TOK "      headers: [\"P Asserted\"]\n", 10, 17, "policy[0].bridge.headers[0]",
	  "invalid character 0x20 in a header name" },
	{ BR TOK H17, 10, 97, "policy[0].bridge.headers[16]", "too many entries (at most 16)" },
	{ BR TOK "      session_timer: {expires: 100, min_se: 120}\n", 10, 32,
	  "policy[0].bridge.session_timer.expires", "expires (100) is below min_se (120)" },
	{ BR TOK "      ring_timeout: 100\n", 10, 7, "policy[0].bridge",
	  "unknown key 'ring_timeout' in bridge" },
	/* one action per rule; transfer is for calls sipdp answers itself */
	{ BR TOK "    transfer: {on_refer: accept}\n", 10, 15, "policy[0].transfer",
	  "transfer applies to answered calls only, not to bridge" },
	/* the first action in schema order keeps the rule, the other is reported */
	{ BR TOK "    reject: {code: 486}\n", 8, 7, "policy[0].bridge",
	  "exactly one action: reject is already its action" },
	{ BASE "policy:\n  - drop: true\n    bridge: {targets: [{uri: \"sip:a@198.51.100.1\"}]}\n",
	  8, 13, "policy[0].bridge", "exactly one action: drop" },
};

static void
test_bridge_errors_located(void)
{
	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(bridge_bad); i++)
		expect_error_at(bridge_bad[i].yaml, bridge_bad[i].line, bridge_bad[i].col,
			bridge_bad[i].key, bridge_bad[i].msg);
}

/* --check (app/sipdp) prints a bridge error as FILE:LINE:COL: KEY: MESSAGE. */
static void
test_check_prints_bridge_errors(void)
{
	char path[] = "/tmp/sipdp-cfg-bridge-XXXXXX";
	const char *y = BR T1("sip:${ruri_user}@core.example.com");
	int fd = mkstemp(path);
	char *o = NULL, *e = NULL, want[256];
	size_t ol = 0, el = 0;

	CU_ASSERT_TRUE_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, y, strlen(y)), (ssize_t)strlen(y));
	close(fd);
	FILE *out = open_memstream(&o, &ol), *err = open_memstream(&e, &el);
	CU_ASSERT_EQUAL(sipdp_cfg_check_file(path, false, out, err), 1);
	fclose(out);
	fclose(err);
	snprintf(want, sizeof(want), "%s:9:16: " URI0 ": host 'core.example.com' must be "
		"an IP literal (DNS is not used)\n", path);
	CU_ASSERT_STRING_EQUAL(e, want);
	CU_ASSERT_EQUAL(ol, 0);
	unlink(path);
	free(o);
	free(e);
}

static void
test_dump_loads_back_to_same_snapshot(void)
{
	struct sipdp_cfg *c = NULL;

	CU_ASSERT_EQUAL_FATAL(sipdp_cfg_load_file(SIPDP_CFG_DRIVERS_CONFIG
		"/lab-af_packet.yaml", &c, &errs), 0);
	check_round_trip(c);
	sipdp_cfg_free(c);
	CU_ASSERT_EQUAL_FATAL(sipdp_cfg_load_file(SIPDP_CFG_TEST_DATA "/full.yaml", &c, &errs), 0);
	check_round_trip(c);
	sipdp_cfg_free(c);
	CU_ASSERT_EQUAL_FATAL(load(BASE "policy: [{drop: true}, {match: {}, drop: true}]\n", &c),
		0);
	check_round_trip(c);
	sipdp_cfg_free(c);
}

static void
test_reload_refuses_restart_only_changes(void)
{
	struct sipdp_cfg *a = NULL, *b = NULL, *d = NULL;

	CU_ASSERT_EQUAL_FATAL(load(BASE "policy: [{drop: true}]\n", &a), 0);
	CU_ASSERT_EQUAL_FATAL(load(BASE "policy: [{reject: {code: 503}}]\n"
		"timers: {t1_ms: 250}\n", &b), 0);
	CU_ASSERT_EQUAL(sipdp_cfg_reload_check(a, b, &errs), 0);
	CU_ASSERT_EQUAL(errs.count, 0);
	CU_ASSERT_EQUAL_FATAL(load(BASEP "    mtu: 1400\nsip: {udp_port: 5070}\n", &d), 0);
	CU_ASSERT_EQUAL(sipdp_cfg_reload_check(a, d, &errs), -EBUSY);
	CU_ASSERT_EQUAL(errs.count, 2);
	CU_ASSERT_TRUE(has_error(0, "ports", "needs a restart"));
	CU_ASSERT_TRUE(has_error(0, "sip", "needs a restart"));
	CU_ASSERT_EQUAL(sipdp_cfg_reload_check(a, NULL, &errs), -EINVAL);
	sipdp_cfg_free(a);
	sipdp_cfg_free(b);
	sipdp_cfg_free(d);
}

static void
test_aliases_resolve(void)
{
	struct sipdp_cfg *c = NULL;
	const char *y = BASE
		"policy:\n"
		"  - match: {ruri_user: \"1\"}\n"
		"    answer: &ans {ring_ms: 7, sdp_file: answer.sdp}\n"
		"  - answer: *ans\n";

	CU_ASSERT_EQUAL_FATAL(load(y, &c), 0);
	CU_ASSERT_EQUAL(c->rules[1].answer.ring_ms, 7);
	CU_ASSERT_STRING_EQUAL(c->rules[1].answer.sdp, c->rules[0].answer.sdp);
	sipdp_cfg_free(c);
}

static void
test_ports_names_and_addresses_unique(void)
{
	struct sipdp_cfg *c = NULL;
	const char *y = "lcores: {workers: [1]}\n"
		"ports:\n"
		"  - {name: p0, ipv4: 192.0.2.1/24}\n"
		"  - {name: p1, ipv4: 192.0.2.1/24}\n"
		"  - {name: p0, ipv6: 2001:db8::1/64}\n";

	CU_ASSERT_EQUAL(load(y, &c), -EINVAL);
	CU_ASSERT_EQUAL(errs.count, 2);
	CU_ASSERT_TRUE(has_error(4, "ports[1].ipv4", "already used by ports[0]"));
	CU_ASSERT_TRUE(has_error(5, "ports[2].name", "already ports[0]"));
}

/*
 * Every prefix of a valid file either loads or fails with located errors:
 * no crash, no error without a message, no line past the end (run under
 * ASan/UBSan, this is the cheap in-tree cousin of a fuzz target).
 */
static void
test_every_truncation_fails_cleanly(void)
{
	size_t len = 0;
	char *text = sipdp_test_read_file(SIPDP_CFG_TEST_DATA "/full.yaml", &len);
	uint32_t lines = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	for (size_t cut = 0; cut <= len; cut++) {
		struct sipdp_cfg *c = NULL;
		int rc = sipdp_cfg_load_string(text, cut, SIPDP_CFG_TEST_DATA, &c, &errs);
		if (rc == 0) {
			CU_ASSERT_PTR_NOT_NULL(c);
			CU_ASSERT_EQUAL(errs.count, 0);
			sipdp_cfg_free(c);
			continue;
		}
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_PTR_NULL(c);
		CU_ASSERT_TRUE(errs.count > 0);
		for (uint32_t k = 0; k < errs.count; k++) {
			CU_ASSERT_TRUE(errs.e[k].line >= 1 && errs.e[k].line <= lines);
			CU_ASSERT_TRUE(errs.e[k].msg[0] != '\0');
		}
	}
	/* The whole file is valid. */
	CU_ASSERT_EQUAL(errs.count, 0);
	free(text);
}

static void
test_args_parse_after_eal(void)
{
	struct sipdp_cfg_args a;
	char *ok1[] = { "sipdp", "--config", "x.yaml", "--check", "-v" };
	char *ok2[] = { "sipdp", "--config=y.yaml" };
	char *no_cfg[] = { "sipdp", "--check" };
	char *no_file[] = { "sipdp", "--config" };
	char *unknown[] = { "sipdp", "--config", "x.yaml", "--chek" };
	char *help[] = { "sipdp", "--help" };

	CU_ASSERT_EQUAL(sipdp_cfg_args_parse(5, ok1, &a, NULL), 0);
	CU_ASSERT_STRING_EQUAL(a.config, "x.yaml");
	CU_ASSERT_TRUE(a.check && a.verbose);
	CU_ASSERT_EQUAL(sipdp_cfg_args_parse(2, ok2, &a, NULL), 0);
	CU_ASSERT_STRING_EQUAL(a.config, "y.yaml");
	CU_ASSERT_FALSE(a.check || a.verbose);
	CU_ASSERT_EQUAL(sipdp_cfg_args_parse(2, no_cfg, &a, NULL), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_cfg_args_parse(2, no_file, &a, NULL), -EINVAL);

	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	CU_ASSERT_EQUAL(sipdp_cfg_args_parse(4, unknown, &a, f), -EINVAL);
	CU_ASSERT_EQUAL(sipdp_cfg_args_parse(2, help, &a, f), -ECANCELED);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "sipdp: unknown option: --chek\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "usage: sipdp [EAL options] -- --config FILE"));
	free(out);
}

static void
test_check_exit_status_and_output(void)
{
	char *o = NULL, *e = NULL;
	size_t ol = 0, el = 0;
	FILE *out = open_memstream(&o, &ol), *err = open_memstream(&e, &el);
	const char *lab = SIPDP_CFG_DRIVERS_CONFIG "/lab-af_packet.yaml";

	CU_ASSERT_EQUAL(sipdp_cfg_check_file(lab, false, out, err), 0);
	fflush(out);
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "lab-af_packet.yaml: ok (1 port, 1 worker, 1 policy rule)"));
	CU_ASSERT_PTR_NULL(strstr(o, "ports:"));
	CU_ASSERT_EQUAL(sipdp_cfg_check_file(lab, true, out, err), 0);
	fflush(out);
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "ports:\n  - name: \"net_af_packet0\"\n"));
	fflush(err);
	CU_ASSERT_EQUAL(el, 0);
	CU_ASSERT_EQUAL(sipdp_cfg_check_file("/nonexistent.yaml", false, out, err), 1);
	fflush(err);
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "/nonexistent.yaml: cannot open: No such file"));
	fclose(out);
	fclose(err);
	free(o);
	free(e);
}

/* ---- docs/configuration.md lists exactly the schema's keys ------------- */

#define MAX_KEYS 256

struct keyset {
	size_t n;
	char k[MAX_KEYS][SIPDP_CFG_KEY_LEN];
};

static bool
keyset_has(const struct keyset *s, const char *k)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->k[i], k) == 0)
			return true;
	return false;
}

static void
collect_key(const char *key, void *arg)
{
	struct keyset *s = arg;

	if (s->n < MAX_KEYS)
		snprintf(s->k[s->n++], SIPDP_CFG_KEY_LEN, "%s", key);
}

static void
test_docs_document_every_schema_key(void)
{
	static struct keyset schema, docs;
	size_t len = 0;
	char *md = sipdp_test_read_file(SIPDP_CFG_DOC, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(md);
	schema.n = docs.n = 0;
	CU_ASSERT_EQUAL(sipdp_cfg_schema_walk(collect_key, &schema), schema.n);
	CU_ASSERT_TRUE(keyset_has(&schema, "ports[].ipv4"));
	CU_ASSERT_TRUE(keyset_has(&schema, "policy[].answer.session_timer.refresher"));
	CU_ASSERT_TRUE(keyset_has(&schema, "lcores.workers"));
	/*
	 * Reference tables have the header "| key | type | default | ..." and
	 * rows like "| `ports[].ipv4` | ..."; other tables are skipped.
	 */
	bool in_keys = false;
	for (char *line = strtok(md, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (strncmp(line, "| key |", 7) == 0)
			in_keys = true;
		else if (line[0] != '|')
			in_keys = false;
		if (!in_keys || strncmp(line, "| `", 3) != 0)
			continue;
		char *end = strchr(line + 3, '`');
		if (end == NULL || docs.n >= MAX_KEYS)
			continue;
		*end = '\0';
		snprintf(docs.k[docs.n++], SIPDP_CFG_KEY_LEN, "%s", line + 3);
	}
	for (size_t i = 0; i < schema.n; i++) {
		if (!keyset_has(&docs, schema.k[i]))
			fprintf(stderr, "\nnot documented: %s", schema.k[i]);
		CU_ASSERT_TRUE(keyset_has(&docs, schema.k[i]));
	}
	for (size_t i = 0; i < docs.n; i++) {
		if (!keyset_has(&schema, docs.k[i]))
			fprintf(stderr, "\ndocumented but not in the schema: %s", docs.k[i]);
		CU_ASSERT_TRUE(keyset_has(&schema, docs.k[i]));
	}
	free(md);
}

/* tls: every key loads; cert and key go together; mutual TLS needs a cert. */
static void
test_tls_section_loads_and_checks_pairs(void)
{
	struct sipdp_cfg *c = NULL;
	const char *y = BASE
		"tls:\n"
		"  cert: /etc/sipdp/cert.pem\n"
		"  key: /etc/sipdp/key.pem\n"
		"  ca: /etc/sipdp/ca.pem\n"
		"  verify_inbound: required\n"
		"  verify_outbound: false\n"
		"  ciphers: \"ECDHE+AESGCM:ECDHE+CHACHA20\"\n"
		"  ciphersuites: \"TLS_AES_128_GCM_SHA256\"\n"
		"  sni: sip.example.com\n"
		"  handshake_timeout_ms: 3000\n"
		"limits: {tcp_per_source: 8, tcp_idle_timeout_ms: 60000, tcp_message_deadline_ms: 2000}\n";

	CU_ASSERT_EQUAL_FATAL(load(y, &c), 0);
	CU_ASSERT_STRING_EQUAL(c->tls.cert, "/etc/sipdp/cert.pem");
	CU_ASSERT_STRING_EQUAL(c->tls.ca, "/etc/sipdp/ca.pem");
	CU_ASSERT_EQUAL(c->tls.verify_inbound, SIPDP_CFG_TLS_VERIFY_REQUIRED);
	CU_ASSERT_FALSE(c->tls.verify_outbound);
	CU_ASSERT_STRING_EQUAL(c->tls.ciphers, "ECDHE+AESGCM:ECDHE+CHACHA20");
	CU_ASSERT_STRING_EQUAL(c->tls.sni, "sip.example.com");
	CU_ASSERT_EQUAL(c->tls.handshake_timeout_ms, 3000);
	CU_ASSERT_EQUAL(c->limits.tcp_per_source, 8);
	CU_ASSERT_EQUAL(c->limits.tcp_message_deadline_ms, 2000);
	sipdp_cfg_free(c);

	expect_one_error(BASE "tls:\n  cert: /c.pem\n", "cert:", "tls.cert", "cert needs key");
	expect_one_error(BASE "tls:\n  verify_inbound: optional\n", "verify_inbound",
		"tls.verify_inbound", "needs a server cert");
	expect_one_error(BASE "tls:\n  handshake_timeout_ms: 50\n", "handshake_timeout_ms",
		"tls.handshake_timeout_ms", "out of range");
}

/* metrics and hep: off by default, every key loads, a port needs an address. */
static void
test_metrics_and_hep_sections_load_and_check(void)
{
	struct sipdp_cfg *c = NULL;
	const char *y = BASE
		"metrics:\n"
		"  address: 192.0.2.1\n"
		"  port: 9100\n"
		"  max_clients: 8\n"
		"  timeout_ms: 1500\n"
		"hep:\n"
		"  collector: \"2001:db8::2\"\n"
		"  port: 9061\n"
		"  capture_id: 101\n"
		"  rate: 500\n";

	CU_ASSERT_EQUAL_FATAL(load(BASE, &c), 0);
	CU_ASSERT_EQUAL(c->metrics.port, 0);
	CU_ASSERT_EQUAL(c->metrics.address.family, 0);
	CU_ASSERT_EQUAL(c->metrics.max_clients, 4);
	CU_ASSERT_EQUAL(c->metrics.timeout_ms, 2000);
	CU_ASSERT_EQUAL(c->hep.collector.family, 0);
	CU_ASSERT_EQUAL(c->hep.port, 9060);
	CU_ASSERT_EQUAL(c->hep.capture_id, 0);
	CU_ASSERT_EQUAL(c->hep.rate, 10000);
	sipdp_cfg_free(c);

	CU_ASSERT_EQUAL_FATAL(load(y, &c), 0);
	CU_ASSERT_TRUE(ip_is(&c->metrics.address, SIPDP_CFG_IPV4, "\xc0\x00\x02\x01", 4, 32));
	CU_ASSERT_EQUAL(c->metrics.port, 9100);
	CU_ASSERT_EQUAL(c->metrics.max_clients, 8);
	CU_ASSERT_EQUAL(c->metrics.timeout_ms, 1500);
	CU_ASSERT_EQUAL(c->hep.collector.family, SIPDP_CFG_IPV6);
	CU_ASSERT_EQUAL(c->hep.port, 9061);
	CU_ASSERT_EQUAL(c->hep.capture_id, 101);
	CU_ASSERT_EQUAL(c->hep.rate, 500);
	sipdp_cfg_free(c);

	expect_one_error(BASE "metrics:\n  port: 9100\n", "port: 9100", "metrics.port",
		"port needs address");
	expect_one_error(BASE "metrics:\n  address: 192.0.2.1\n  max_clients: 0\n",
		"max_clients", "metrics.max_clients", "out of range");
	expect_one_error(BASE "metrics:\n  timeout_ms: 50\n", "timeout_ms",
		"metrics.timeout_ms", "out of range");
	expect_one_error(BASE "hep:\n  collector: 192.0.2.300\n", "collector",
		"hep.collector", "");
	expect_one_error(BASE "hep:\n  rate: 0\n", "rate", "hep.rate", "out of range");
	expect_one_error(BASE "hep:\n  colector: 192.0.2.2\n", "colector", "hep",
		"did you mean 'collector'");
}

static struct sipdp_test_case cases[] = {
	{ "lab_example_loads_with_every_field", test_lab_example_loads_with_every_field },
	{ "drivers_config_examples_all_load", test_drivers_config_examples_all_load },
	{ "minimal_file_gets_documented_defaults", test_minimal_file_gets_documented_defaults },
	{ "unknown_key_reported_at_its_line", test_unknown_key_reported_at_its_line },
	{ "bad_addresses_reported", test_bad_addresses_reported },
	{ "port_ranges_enforced", test_port_ranges_enforced },
	{ "vlan_not_under_port_is_unknown", test_vlan_not_under_port_is_unknown },
	{ "t2_below_t1_reported_at_t2", test_t2_below_t1_reported_at_t2 },
	{ "overload_defaults_and_ranges", test_overload_defaults_and_ranges },
	{ "duplicate_key_reported_at_second", test_duplicate_key_reported_at_second },
	{ "lcore_roles_checked", test_lcore_roles_checked },
	{ "reject_code_checked", test_reject_code_checked },
	{ "rule_needs_exactly_one_action", test_rule_needs_exactly_one_action },
	{ "answer_sdp_and_session_timer_checked", test_answer_sdp_and_session_timer_checked },
	{ "calls_section_checked", test_calls_section_checked },
	{ "wrong_types_reported", test_wrong_types_reported },
	{ "integers_parsed_strictly", test_integers_parsed_strictly },
	{ "missing_required_keys_reported", test_missing_required_keys_reported },
	{ "document_shape_errors", test_document_shape_errors },
	{ "yaml_syntax_error_has_its_line", test_yaml_syntax_error_has_its_line },
	{ "all_errors_reported_sorted_in_one_pass", test_all_errors_reported_sorted_in_one_pass },
	{ "error_list_is_bounded", test_error_list_is_bounded },
	{ "full_file_loads_every_section", test_full_file_loads_every_section },
	{ "dump_loads_back_to_same_snapshot", test_dump_loads_back_to_same_snapshot },
	{ "reload_refuses_restart_only_changes", test_reload_refuses_restart_only_changes },
	{ "aliases_resolve", test_aliases_resolve },
	{ "args_parse_after_eal", test_args_parse_after_eal },
	{ "check_exit_status_and_output", test_check_exit_status_and_output },
	{ "ports_names_and_addresses_unique", test_ports_names_and_addresses_unique },
	{ "every_truncation_fails_cleanly", test_every_truncation_fails_cleanly },
	{ "docs_document_every_schema_key", test_docs_document_every_schema_key },
	{ "tls_section_loads_and_checks_pairs", test_tls_section_loads_and_checks_pairs },
	{ "metrics_and_hep_sections_load_and_check", test_metrics_and_hep_sections_load_and_check },
	{ "bridge_rule_loads_every_field", test_bridge_rule_loads_every_field },
	{ "bridge_defaults_when_keys_absent", test_bridge_defaults_when_keys_absent },
	{ "bridge_target_uris_resolve", test_bridge_target_uris_resolve },
	{ "bridge_targets_sorted_by_priority_stable", test_bridge_targets_sorted_by_priority_stable },
	{ "bridge_errors_located", test_bridge_errors_located },
	{ "check_prints_bridge_errors", test_check_prints_bridge_errors },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("cfg", cases);
}
