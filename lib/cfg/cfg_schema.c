/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The schema: scalar types (strict parsers and their YAML printers), one
 * field table per mapping, and the cross-field rules of each section.
 * docs/configuration.md documents every key here; test_cfg checks that the
 * two lists are the same.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "cfg_pvt.h"

/* ---- scalar access ---------------------------------------------------- */

static const char *
sc_str(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static size_t
sc_len(const yaml_node_t *n)
{
	return n->data.scalar.length;
}

static bool
sc_plain(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
		n->data.scalar.style == YAML_ANY_SCALAR_STYLE;
}

static bool
sc_is(const yaml_node_t *n, const char *lit)
{
	return sc_len(n) == strlen(lit) && memcmp(sc_str(n), lit, sc_len(n)) == 0;
}

/*
 * Copy a scalar to a NUL-terminated buffer for libc parsers, refusing empty
 * values, embedded NULs (a "\0" escape would cut the value short behind our
 * back) and values that do not fit.
 */
static int
sc_copy(struct cfg_ctx *ctx, const yaml_node_t *n, char *buf, size_t cap)
{
	size_t len = sc_len(n);

	if (len == 0) {
		cfg_err(ctx, n, "has no value");
		return -1;
	}
	if (memchr(sc_str(n), '\0', len) != NULL) {
		cfg_err(ctx, n, "contains a NUL character");
		return -1;
	}
	if (len >= cap) {
		cfg_err(ctx, n, "too long (%zu bytes, at most %zu)", len, cap - 1);
		return -1;
	}
	memcpy(buf, sc_str(n), len);
	buf[len] = '\0';
	return 0;
}

/* ---- integers --------------------------------------------------------- */

static void
store_uint(void *dst, size_t size, uint64_t v)
{
	switch (size) {
	case 1: *(uint8_t *)dst = (uint8_t)v; break;
	case 2: *(uint16_t *)dst = (uint16_t)v; break;
	case 4: *(uint32_t *)dst = (uint32_t)v; break;
	default: *(uint64_t *)dst = v; break;
	}
}

static uint64_t
load_uint(const void *src, size_t size)
{
	switch (size) {
	case 1: return *(const uint8_t *)src;
	case 2: return *(const uint16_t *)src;
	case 4: return *(const uint32_t *)src;
	default: return *(const uint64_t *)src;
	}
}

/*
 * Decimal only: YAML 1.1 reads "010" as octal 8 and "0x10" as 16 while 1.2
 * differs, so anything but plain digits without a leading zero is refused
 * rather than guessed.
 */
static int
t_uint_parse(struct cfg_ctx *ctx, const struct cfg_field *f, const yaml_node_t *n,
	void *dst)
{
	const char *s = sc_str(n);
	size_t len = sc_len(n);
	uint64_t v = 0;

	if (!sc_plain(n)) {
		cfg_err(ctx, n, "expected an integer, got a quoted string");
		return -1;
	}
	if (len == 0) {
		cfg_err(ctx, n, "has no value");
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			cfg_err(ctx, n, "expected an integer, got '%.*s'",
				(int)SIPDP_MIN(len, 40), s);
			return -1;
		}
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10) {
			cfg_err(ctx, n, "%.*s is out of range %llu..%llu",
				(int)SIPDP_MIN(len, 40), s,
				(unsigned long long)f->min, (unsigned long long)f->max);
			return -1;
		}
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (len > 1 && s[0] == '0') {
		cfg_err(ctx, n, "leading zero in '%.*s' (write it in plain decimal)",
			(int)SIPDP_MIN(len, 40), s);
		return -1;
	}
	if (v < f->min || v > f->max) {
		cfg_err(ctx, n, "%llu is out of range %llu..%llu", (unsigned long long)v,
			(unsigned long long)f->min, (unsigned long long)f->max);
		return -1;
	}
	if ((f->flags & CFG_F_POW2) && (v & (v - 1)) != 0) {
		cfg_err(ctx, n, "%llu is not a power of two", (unsigned long long)v);
		return -1;
	}
	store_uint(dst, f->size, v);
	return 0;
}

static void
t_uint_dump(FILE *out, const struct cfg_field *f, const void *src)
{
	fprintf(out, "%llu", (unsigned long long)load_uint(src, f->size));
}

static bool
t_uint_is_set(const struct cfg_field *f, const void *src)
{
	return !(f->flags & CFG_F_OPTIONAL) || load_uint(src, f->size) != 0;
}

static const struct cfg_type cfg_t_uint = {
	"an integer", t_uint_parse, t_uint_dump, t_uint_is_set
};

/* ---- booleans --------------------------------------------------------- */

/* YAML 1.2 core schema booleans only: "yes"/"on" are strings there. */
static int
t_bool_parse(struct cfg_ctx *ctx, const struct cfg_field *f, const yaml_node_t *n,
	void *dst)
{
	(void)f;
	if (sc_plain(n)) {
		if (sc_is(n, "true") || sc_is(n, "True") || sc_is(n, "TRUE")) {
			*(bool *)dst = true;
			return 0;
		}
		if (sc_is(n, "false") || sc_is(n, "False") || sc_is(n, "FALSE")) {
			*(bool *)dst = false;
			return 0;
		}
	}
	cfg_err(ctx, n, "expected true or false, got '%.*s'",
		(int)SIPDP_MIN(sc_len(n), 40), sc_str(n));
	return -1;
}

static void
t_bool_dump(FILE *out, const struct cfg_field *f, const void *src)
{
	(void)f;
	fputs(*(const bool *)src ? "true" : "false", out);
}

static const struct cfg_type cfg_t_bool = { "true or false", t_bool_parse, t_bool_dump, NULL };

/* `drop: true` is the action; `drop: false` would be a rule doing nothing. */
static int
t_true_parse(struct cfg_ctx *ctx, const struct cfg_field *f, const yaml_node_t *n,
	void *dst)
{
	if (t_bool_parse(ctx, f, n, dst) != 0)
		return -1;
	if (!*(bool *)dst) {
		cfg_err(ctx, n, "only 'true' is meaningful here: remove the key instead");
		return -1;
	}
	return 0;
}

static bool
t_bool_is_true(const struct cfg_field *f, const void *src)
{
	(void)f;
	return *(const bool *)src;
}

static const struct cfg_type cfg_t_true = { "true", t_true_parse, t_bool_dump, t_bool_is_true };

/* ---- enums ------------------------------------------------------------ */

const char *
cfg_enum_name(const struct cfg_enum *en, uint8_t v)
{
	for (; en->name != NULL; en++)
		if (en->value == v)
			return en->name;
	return "?";
}

static int
t_enum_parse(struct cfg_ctx *ctx, const struct cfg_field *f, const yaml_node_t *n,
	void *dst)
{
	char list[160];
	size_t pos = 0;

	for (const struct cfg_enum *e = f->en; e->name != NULL; e++) {
		if (sc_is(n, e->name)) {
			*(uint8_t *)dst = e->value;
			return 0;
		}
		int w = snprintf(list + pos, sizeof(list) - pos, "%s%s",
			pos ? ", " : "", e->name);
		if (w > 0)
			pos = SIPDP_MIN(pos + (size_t)w, sizeof(list) - 1);
	}
	cfg_err(ctx, n, "'%.*s' is not one of: %s", (int)SIPDP_MIN(sc_len(n), 40),
		sc_str(n), list);
	return -1;
}

static void
t_enum_dump(FILE *out, const struct cfg_field *f, const void *src)
{
	fputs(cfg_enum_name(f->en, *(const uint8_t *)src), out);
}

static bool
t_enum_is_set(const struct cfg_field *f, const void *src)
{
	return !(f->flags & CFG_F_OPTIONAL) || *(const uint8_t *)src != 0;
}

static const struct cfg_type cfg_t_enum = { "a name", t_enum_parse, t_enum_dump, t_enum_is_set };

/* ---- strings ---------------------------------------------------------- */

static void
t_str_dump(FILE *out, const struct cfg_field *f, const void *src)
{
	const unsigned char *s = src;

	(void)f;
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if (*s == '\r')
			fputs("\\r", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '\t')
			fputs("\\t", out);
		else if (*s < 0x20 || *s == 0x7f)
			fprintf(out, "\\x%02x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static bool
t_str_is_set(const struct cfg_field *f, const void *src)
{
	(void)f;
	return *(const char *)src != '\0';
}

enum str_class {
	STR_TEXT,   /* printable text, UTF-8 allowed, no control character */
	STR_WORD,   /* printable ASCII, no space */
	STR_TOKEN,  /* RFC 3261 §25.1 token */
	STR_USER,   /* user part: no space, no '@', ':', '<', '>', '"' */
	STR_HOST,   /* host name or IP literal */
};

static bool
str_char_ok(enum str_class cls, unsigned char c)
{
	switch (cls) {
	case STR_TEXT:
		/* CR/LF would let a value inject header lines (reason, UA). */
		return c >= 0x20 && c != 0x7f;
	case STR_WORD:
		return c > 0x20 && c < 0x7f;
	case STR_TOKEN:
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || (c && strchr("-.!%*_+`'~", c));
	case STR_USER:
		return c > 0x20 && c < 0x7f && !strchr("@:<>\"", c);
	case STR_HOST:
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || (c && strchr("-.[]:", c));
	}
	return false;
}

static int
str_parse_class(struct cfg_ctx *ctx, const struct cfg_field *f, const yaml_node_t *n,
	void *dst, enum str_class cls, const char *what)
{
	char *buf = dst;

	if (sc_copy(ctx, n, buf, f->size) != 0)
		return -1;
	for (const unsigned char *p = (const unsigned char *)buf; *p; p++) {
		if (!str_char_ok(cls, *p)) {
			cfg_err(ctx, n, "invalid character 0x%02x in %s", *p, what);
			buf[0] = '\0';
			return -1;
		}
	}
	return 0;
}

#define STR_TYPE(fn, cls, what)                                                \
	static int                                                             \
	fn(struct cfg_ctx *ctx, const struct cfg_field *f, const yaml_node_t *n, \
		void *dst)                                                     \
	{                                                                      \
		return str_parse_class(ctx, f, n, dst, cls, what);             \
	}

STR_TYPE(t_text_parse, STR_TEXT, "text")
STR_TYPE(t_word_parse, STR_WORD, "a name (no spaces)")
STR_TYPE(t_token_parse, STR_TOKEN, "a SIP token")
STR_TYPE(t_user_parse, STR_USER, "a user name")
STR_TYPE(t_host_parse, STR_HOST, "a host name")

static const struct cfg_type cfg_t_text = { "a string", t_text_parse, t_str_dump, t_str_is_set };
static const struct cfg_type cfg_t_word = { "a name", t_word_parse, t_str_dump, t_str_is_set };
static const struct cfg_type cfg_t_token = { "a SIP method", t_token_parse, t_str_dump, t_str_is_set };
static const struct cfg_type cfg_t_user = { "a user name", t_user_parse, t_str_dump, t_str_is_set };
static const struct cfg_type cfg_t_host = { "a host name", t_host_parse, t_str_dump, t_str_is_set };

/*
 * sip:/sips: URI (RFC 3261 §19.1), checked for shape only: scheme, optional
 * user@, a non-empty host. The full grammar is lib/sipmsg's job at use time;
 * what matters here is catching a missing scheme or a stray space early.
 */
static int
t_uri_parse(struct cfg_ctx *ctx, const struct cfg_field *f, const yaml_node_t *n,
	void *dst)
{
	char *buf = dst;
	const char *host;

	if (str_parse_class(ctx, f, n, dst, STR_WORD, "a SIP URI") != 0)
		return -1;
	if (strncasecmp(buf, "sip:", 4) == 0)
		host = buf + 4;
	else if (strncasecmp(buf, "sips:", 5) == 0)
		host = buf + 5;
	else {
		cfg_err(ctx, n, "'%s' is not a sip: or sips: URI", buf);
		buf[0] = '\0';
		return -1;
	}
	const char *at = strchr(host, '@');
	if (at != NULL)
		host = at + 1;
	if (*host == '\0' || strchr(";?:>", *host) != NULL || strchr(host, '<') ||
	    strchr(host, '>') || strchr(host, '"')) {
		cfg_err(ctx, n, "'%s' has no host part", buf);
		buf[0] = '\0';
		return -1;
	}
	return 0;
}

static const struct cfg_type cfg_t_uri = { "a SIP URI", t_uri_parse, t_str_dump, t_str_is_set };

/* Compiled once here so a bad pattern fails the load, not the first call. */
static int
t_regex_parse(struct cfg_ctx *ctx, const struct cfg_field *f, const yaml_node_t *n,
	void *dst)
{
	char *buf = dst;
	pcre2_code *re;
	int err;
	PCRE2_SIZE at;

	if (str_parse_class(ctx, f, n, dst, STR_TEXT, "a regular expression") != 0)
		return -1;
	/* The same library and options (none) lib/shard matches with. */
	re = pcre2_compile((PCRE2_SPTR)buf, PCRE2_ZERO_TERMINATED, 0, &err, &at, NULL);
	if (re == NULL) {
		PCRE2_UCHAR why[96];

		pcre2_get_error_message(err, why, sizeof(why));
		cfg_err(ctx, n, "bad regular expression: %s (at offset %zu)", (const char *)why,
			(size_t)at);
		buf[0] = '\0';
		return -1;
	}
	pcre2_code_free(re);
	return 0;
}

static const struct cfg_type cfg_t_regex = { "a regular expression", t_regex_parse, t_str_dump,
	t_str_is_set };

static int
t_path_parse(struct cfg_ctx *ctx, const struct cfg_field *f, const yaml_node_t *n,
	void *dst)
{
	return str_parse_class(ctx, f, n, dst, STR_TEXT, "a file name");
}

static const struct cfg_type cfg_t_path = { "a file name", t_path_parse, t_str_dump, t_str_is_set };

/* ---- SDP templates ---------------------------------------------------- */

static const char *const sdp_vars[] = { SIPDP_CFG_SDP_VARS };

/*
 * YAML block scalars end lines with LF; SDP needs CRLF (RFC 4566 §5) and the
 * appliance sends the template as is, so convert here, once.
 */
int
cfg_sdp_fill(char *dst, size_t cap, const char *s, size_t len, char *why, size_t whylen)
{
	size_t j = 0;

#define SDP_PUT(c)                                                             \
	do {                                                                   \
		if (j + 1 >= cap) {                                            \
			snprintf(why, whylen, "SDP too long (at most %zu bytes "  \
				"with CRLF line ends)", cap - 1);              \
			return -1;                                             \
		}                                                              \
		dst[j++] = (c);                                                \
	} while (0)

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n' && (i == 0 || s[i - 1] != '\r'))
			SDP_PUT('\r');
		if (c == '\r' && (i + 1 == len || s[i + 1] != '\n')) {
			snprintf(why, whylen, "SDP has a CR without LF");
			return -1;
		}
		if ((c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c == 0x7f) {
			snprintf(why, whylen, "SDP has control character 0x%02x", c);
			return -1;
		}
		SDP_PUT((char)c);
	}
	if (j == 0) {
		snprintf(why, whylen, "SDP is empty");
		return -1;
	}
	if (j < 2 || dst[j - 2] != '\r' || dst[j - 1] != '\n') {
		SDP_PUT('\r');
		SDP_PUT('\n');
	}
#undef SDP_PUT
	dst[j] = '\0';

	/* RFC 4566 §5: every line is <type>=<value>; v=, o=, s=, t= are required. */
	bool has_o = false, has_s = false, has_t = false;
	unsigned lineno = 1;
	for (const char *l = dst; *l; lineno++) {
		const char *e = strstr(l, "\r\n");
		size_t ll = (size_t)(e - l);
		if (ll < 2 || l[0] < 'a' || l[0] > 'z' || l[1] != '=') {
			snprintf(why, whylen, "SDP line %u is not <letter>=<value>: '%.*s'",
				lineno, (int)SIPDP_MIN(ll, 40), l);
			return -1;
		}
		if (lineno == 1 && (ll != 3 || memcmp(l, "v=0", 3) != 0)) {
			snprintf(why, whylen, "SDP must start with v=0");
			return -1;
		}
		has_o |= l[0] == 'o';
		has_s |= l[0] == 's';
		has_t |= l[0] == 't';
		for (const char *v = l; v < e; v++) {
			if (v[0] != '$' || v + 1 >= e || v[1] != '{')
				continue;
			const char *close = memchr(v, '}', (size_t)(e - v));
			size_t nl = close ? (size_t)(close - v - 2) : 0;
			bool known = false;
			for (size_t k = 0; close && k < SIPDP_ARRAY_SIZE(sdp_vars); k++)
				known |= strlen(sdp_vars[k]) == nl &&
					memcmp(sdp_vars[k], v + 2, nl) == 0;
			if (!known) {
				snprintf(why, whylen, "SDP line %u: unknown variable '%.*s'",
					lineno, (int)(close ? (size_t)(close - v + 1) :
					SIPDP_MIN((size_t)(e - v), 20)), v);
				return -1;
			}
		}
		l = e + 2;
	}
	if (!has_o || !has_s || !has_t) {
		snprintf(why, whylen, "SDP lacks a%s%s%s line (RFC 4566 §5)",
			has_o ? "" : " o=", has_s ? "" : " s=", has_t ? "" : " t=");
		return -1;
	}
	return 0;
}

static int
t_sdp_parse(struct cfg_ctx *ctx, const struct cfg_field *f, const yaml_node_t *n,
	void *dst)
{
	char why[SIPDP_CFG_MSG_LEN];

	if (sc_len(n) == 0) {
		cfg_err(ctx, n, "has no value");
		return -1;
	}
	if (cfg_sdp_fill(dst, f->size, sc_str(n), sc_len(n), why, sizeof(why)) != 0) {
		cfg_err(ctx, n, "%s", why);
		*(char *)dst = '\0';
		return -1;
	}
	return 0;
}

static const struct cfg_type cfg_t_sdp = { "an SDP template", t_sdp_parse, t_str_dump,
	t_str_is_set };

static void
sdp_load_file(struct cfg_ctx *ctx, const yaml_node_t *n, const char *file, char *sdp,
	size_t cap)
{
	char path[SIPDP_CFG_PATH_LEN * 2], why[SIPDP_CFG_MSG_LEN];
	char buf[SIPDP_CFG_SDP_LEN];

	if (file[0] == '/' || ctx->base_dir == NULL)
		snprintf(path, sizeof(path), "%s", file);
	else
		snprintf(path, sizeof(path), "%s/%s", ctx->base_dir, file);
	FILE *fp = fopen(path, "rb");
	if (fp == NULL) {
		cfg_err_at(ctx, n, "sdp_file", "cannot open %s: %s", path, strerror(errno));
		return;
	}
	size_t len = fread(buf, 1, sizeof(buf), fp);
	bool bad = ferror(fp) != 0;
	fclose(fp);
	if (bad) {
		cfg_err_at(ctx, n, "sdp_file", "cannot read %s", path);
		return;
	}
	if (len == sizeof(buf) || memchr(buf, '\0', len) != NULL) {
		cfg_err_at(ctx, n, "sdp_file", "%s: %s", file, len == sizeof(buf) ?
			"SDP file too large" : "SDP file contains a NUL byte");
		return;
	}
	if (cfg_sdp_fill(sdp, cap, buf, len, why, sizeof(why)) != 0) {
		cfg_err_at(ctx, n, "sdp_file", "%s: %s", file, why);
		sdp[0] = '\0';
	}
}

/* ---- addresses -------------------------------------------------------- */

void
cfg_ip_str(const struct sipdp_cfg_ip *ip, bool with_prefix, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "";

	inet_ntop(ip->family == SIPDP_CFG_IPV4 ? AF_INET : AF_INET6, ip->addr, a,
		sizeof(a));
	if (with_prefix)
		snprintf(buf, len, "%s/%u", a, ip->prefix);
	else
		snprintf(buf, len, "%s", a);
}

enum ip_want {
	IP_IF4,    /* interface address, IPv4, prefix required */
	IP_IF6,
	IP_GW4,    /* plain IPv4 address or "none" */
	IP_GW6,
	IP_ADDR,   /* plain address, either family */
	IP_CIDR,   /* network, either family, no host bits; plain address = host */
};

static bool
ip_host_bits_zero(const struct sipdp_cfg_ip *ip)
{
	unsigned bits = ip->family == SIPDP_CFG_IPV4 ? 32 : 128;

	for (unsigned b = ip->prefix; b < bits; b++)
		if (ip->addr[b / 8] & (0x80 >> (b % 8)))
			return false;
	return true;
}

static int
ip_parse(struct cfg_ctx *ctx, const yaml_node_t *n, struct sipdp_cfg_ip *ip,
	enum ip_want want)
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct sipdp_cfg_ip v = { 0 };

	if ((want == IP_GW4 || want == IP_GW6) && sc_is(n, "none")) {
		memset(ip, 0, sizeof(*ip));
		return 0;
	}
	if (sc_copy(ctx, n, buf, sizeof(buf)) != 0)
		return -1;
	char *slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, v.addr) == 1)
		v.family = SIPDP_CFG_IPV4;
	else if (inet_pton(AF_INET6, buf, v.addr) == 1)
		v.family = SIPDP_CFG_IPV6;
	else {
		cfg_err(ctx, n, "'%s' is not an IPv4 or IPv6 address", buf);
		return -1;
	}
	unsigned maxp = v.family == SIPDP_CFG_IPV4 ? 32 : 128;
	if ((want == IP_IF4 || want == IP_GW4) && v.family != SIPDP_CFG_IPV4) {
		cfg_err(ctx, n, "'%s' is not an IPv4 address", buf);
		return -1;
	}
	if ((want == IP_IF6 || want == IP_GW6) && v.family != SIPDP_CFG_IPV6) {
		cfg_err(ctx, n, "'%s' is not an IPv6 address", buf);
		return -1;
	}
	v.prefix = (uint8_t)maxp;
	if (slash != NULL) {
		const char *p = slash + 1;
		unsigned pfx = 0;
		size_t nd = strlen(p);
		if (want != IP_IF4 && want != IP_IF6 && want != IP_CIDR) {
			cfg_err(ctx, n, "expected an address without /prefix");
			return -1;
		}
		if (nd == 0 || nd > 3 || strspn(p, "0123456789") != nd ||
		    (nd > 1 && p[0] == '0')) {
			cfg_err(ctx, n, "bad prefix length '%s'", p);
			return -1;
		}
		pfx = (unsigned)atoi(p);
		if (pfx > maxp) {
			cfg_err(ctx, n, "prefix length %u is out of range 0..%u", pfx, maxp);
			return -1;
		}
		v.prefix = (uint8_t)pfx;
	} else if (want == IP_IF4 || want == IP_IF6) {
		cfg_err(ctx, n, "needs a prefix length, e.g. %s/%s", buf,
			want == IP_IF4 ? "24" : "64");
		return -1;
	}
	if (want == IP_CIDR && !ip_host_bits_zero(&v)) {
		cfg_err(ctx, n, "host bits set in network %.*s", (int)SIPDP_MIN(sc_len(n), 60),
			sc_str(n));
		return -1;
	}
	if (want == IP_IF4 || want == IP_IF6 || want == IP_GW4 || want == IP_GW6 ||
	    want == IP_ADDR) {
		static const uint8_t zero[16];
		bool mcast = v.family == SIPDP_CFG_IPV4 ? (v.addr[0] & 0xf0) == 0xe0 :
			v.addr[0] == 0xff;
		if (memcmp(v.addr, zero, v.family == SIPDP_CFG_IPV4 ? 4 : 16) == 0 || mcast) {
			cfg_err(ctx, n, "'%s' is not a unicast address", buf);
			return -1;
		}
	}
	*ip = v;
	return 0;
}

#define IP_TYPE(fn, want)                                                      \
	static int                                                             \
	fn(struct cfg_ctx *ctx, const struct cfg_field *f, const yaml_node_t *n, \
		void *dst)                                                     \
	{                                                                      \
		(void)f;                                                       \
		return ip_parse(ctx, n, dst, want);                            \
	}

IP_TYPE(t_if4_parse, IP_IF4)
IP_TYPE(t_if6_parse, IP_IF6)
IP_TYPE(t_gw4_parse, IP_GW4)
IP_TYPE(t_gw6_parse, IP_GW6)
IP_TYPE(t_addr_parse, IP_ADDR)
IP_TYPE(t_cidr_parse, IP_CIDR)

static void
t_ippfx_dump(FILE *out, const struct cfg_field *f, const void *src)
{
	char buf[INET6_ADDRSTRLEN + 8];

	(void)f;
	cfg_ip_str(src, true, buf, sizeof(buf));
	fprintf(out, "\"%s\"", buf);
}

static void
t_ip_dump(FILE *out, const struct cfg_field *f, const void *src)
{
	char buf[INET6_ADDRSTRLEN + 8];

	(void)f;
	cfg_ip_str(src, false, buf, sizeof(buf));
	/* Quoted: a ':' in a flow list ([a, b]) is not plain-scalar safe. */
	fprintf(out, "\"%s\"", buf);
}

static bool
t_ip_is_set(const struct cfg_field *f, const void *src)
{
	(void)f;
	return ((const struct sipdp_cfg_ip *)src)->family != 0;
}

static const struct cfg_type cfg_t_if4 = { "an IPv4 address/prefix", t_if4_parse, t_ippfx_dump,
	t_ip_is_set };
static const struct cfg_type cfg_t_if6 = { "an IPv6 address/prefix", t_if6_parse, t_ippfx_dump,
	t_ip_is_set };
static const struct cfg_type cfg_t_gw4 = { "an IPv4 address or none", t_gw4_parse, t_ip_dump,
	t_ip_is_set };
static const struct cfg_type cfg_t_gw6 = { "an IPv6 address or none", t_gw6_parse, t_ip_dump,
	t_ip_is_set };
static const struct cfg_type cfg_t_addr = { "an IP address", t_addr_parse, t_ip_dump,
	t_ip_is_set };
static const struct cfg_type cfg_t_cidr = { "a network (address/prefix)", t_cidr_parse,
	t_ippfx_dump, t_ip_is_set };

static int
t_mac_parse(struct cfg_ctx *ctx, const struct cfg_field *f, const yaml_node_t *n,
	void *dst)
{
	uint8_t *mac = dst, m[6];
	const char *s = sc_str(n);

	(void)f;
	if (sc_len(n) != 17)
		goto bad;
	for (int i = 0; i < 6; i++) {
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char c = s[i * 3 + k];
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				v |= (unsigned)(c - 'A' + 10);
			else
				goto bad;
		}
		if (i < 5 && s[i * 3 + 2] != ':')
			goto bad;
		m[i] = (uint8_t)v;
	}
	if (m[0] & 1) {
		cfg_err(ctx, n, "multicast MAC address (low bit of the first octet set)");
		return -1;
	}
	if ((m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0) {
		cfg_err(ctx, n, "all-zero MAC address");
		return -1;
	}
	memcpy(mac, m, 6);
	return 0;
bad:
	cfg_err(ctx, n, "expected a MAC address like 02:00:00:00:00:01, got '%.*s'",
		(int)SIPDP_MIN(sc_len(n), 40), s);
	return -1;
}

static void
t_mac_dump(FILE *out, const struct cfg_field *f, const void *src)
{
	const uint8_t *m = src;

	(void)f;
	fprintf(out, "\"%02x:%02x:%02x:%02x:%02x:%02x\"", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static const struct cfg_type cfg_t_mac = { "a MAC address", t_mac_parse, t_mac_dump, NULL };

/* ---- field table helpers ---------------------------------------------- */

#define MSZ(S, M) sizeof(((struct S *)0)->M)

#define F_UINT(S, K, M, LO, HI, D, FL)                                         \
	{ .key = K, .shape = CFG_SCALAR, .flags = (FL), .type = &cfg_t_uint,    \
	  .off = offsetof(struct S, M), .size = MSZ(S, M), .min = (LO),         \
	  .max = (HI), .def = (D) }
#define F_BOOL(S, K, M, D)                                                     \
	{ .key = K, .shape = CFG_SCALAR, .type = &cfg_t_bool,                   \
	  .off = offsetof(struct S, M), .size = MSZ(S, M), .def = (D) }
#define F_ENUM(S, K, M, EN, D, FL)                                             \
	{ .key = K, .shape = CFG_SCALAR, .flags = (FL), .type = &cfg_t_enum,    \
	  .off = offsetof(struct S, M), .size = MSZ(S, M), .en = (EN), .def = (D) }
#define F_STR(S, K, M, T, DEF, FL)                                             \
	{ .key = K, .shape = CFG_SCALAR, .flags = (FL), .type = &(T),           \
	  .off = offsetof(struct S, M), .size = MSZ(S, M), .def_str = (DEF) }
#define F_VAL(S, K, M, T, FL)                                                  \
	{ .key = K, .shape = CFG_SCALAR, .flags = (FL), .type = &(T),           \
	  .off = offsetof(struct S, M), .size = MSZ(S, M) }
#define F_UINTSET(S, K, M, LO, HI, SETM)                                       \
	{ .key = K, .shape = CFG_SCALAR, .flags = CFG_F_SETFLAG, .type = &cfg_t_uint, \
	  .off = offsetof(struct S, M), .size = MSZ(S, M), .min = (LO),         \
	  .max = (HI), .set_off = offsetof(struct S, SETM) }
#define F_VALSET(S, K, M, T, SETM)                                             \
	{ .key = K, .shape = CFG_SCALAR, .flags = CFG_F_SETFLAG, .type = &(T),  \
	  .off = offsetof(struct S, M), .size = MSZ(S, M),                      \
	  .set_off = offsetof(struct S, SETM) }
#define F_MAP(S, K, M, SEC, FL)                                                \
	{ .key = K, .shape = CFG_MAP, .flags = (FL), .sub = &(SEC),             \
	  .off = offsetof(struct S, M), .size = MSZ(S, M) }
#define F_MAPSET(S, K, M, SEC, SETM)                                           \
	{ .key = K, .shape = CFG_MAP, .flags = CFG_F_SETFLAG, .sub = &(SEC),    \
	  .off = offsetof(struct S, M), .size = MSZ(S, M),                      \
	  .set_off = offsetof(struct S, SETM) }
#define F_LISTMAP(S, K, M, CNT, SEC, FL)                                       \
	{ .key = K, .shape = CFG_LIST, .flags = (FL), .sub = &(SEC),            \
	  .off = offsetof(struct S, M), .size = MSZ(S, M[0]),                   \
	  .count_off = offsetof(struct S, CNT), .count_size = MSZ(S, CNT),      \
	  .max_count = SIPDP_ARRAY_SIZE(((struct S *)0)->M) }
#define F_LISTVAL(S, K, M, CNT, T, LO, HI, FL)                                 \
	{ .key = K, .shape = CFG_LIST, .flags = (FL), .type = &(T),             \
	  .off = offsetof(struct S, M), .size = MSZ(S, M[0]),                   \
	  .count_off = offsetof(struct S, CNT), .count_size = MSZ(S, CNT),      \
	  .min = (LO), .max = (HI),                                             \
	  .max_count = SIPDP_ARRAY_SIZE(((struct S *)0)->M) }
/* A list of scalars whose absence means the entries of array DEF. */
#define F_LISTDEF(S, K, M, CNT, T, LO, HI, DEF)                                \
	{ .key = K, .shape = CFG_LIST, .type = &(T),                            \
	  .off = offsetof(struct S, M), .size = MSZ(S, M[0]),                   \
	  .count_off = offsetof(struct S, CNT), .count_size = MSZ(S, CNT),      \
	  .min = (LO), .max = (HI),                                             \
	  .max_count = SIPDP_ARRAY_SIZE(((struct S *)0)->M),                    \
	  .def_list = (DEF),                                                    \
	  .def_count = SIPDP_ARRAY_SIZE(DEF) +                                  \
		0 * sizeof(char[sizeof((DEF)[0]) == MSZ(S, M[0]) ? 1 : -1]) }
#define SECTION(V, NAME, TABLE, CHECK)                                         \
	static const struct cfg_section V = { NAME, TABLE, SIPDP_ARRAY_SIZE(TABLE), CHECK }

/* The value node of @key in the mapping being checked, or NULL. */
static const yaml_node_t *
seen_of(const struct cfg_section *sec, const yaml_node_t *const *seen, const char *key)
{
	for (size_t i = 0; i < sec->nb_fields; i++)
		if (strcmp(sec->fields[i].key, key) == 0)
			return seen[i];
	return NULL;
}

/* True when @key was absent or parsed without error. */
static bool
field_ok(const struct cfg_ctx *ctx, const struct cfg_section *sec, const char *key)
{
	for (size_t i = 0; i < sec->nb_fields; i++)
		if (strcmp(sec->fields[i].key, key) == 0)
			return !(ctx->bad & (UINT32_C(1) << i));
	return true;
}

/* Report at @key's value when present, else at the mapping (path stays the map's). */
#define CHECK_ERR(ctx, sec, seen, map, key, ...)                               \
	do {                                                                   \
		const yaml_node_t *n_ = seen_of(sec, seen, key);               \
		if (n_ != NULL)                                                \
			cfg_err_at(ctx, n_, key, __VA_ARGS__);                 \
		else                                                           \
			cfg_err(ctx, map, __VA_ARGS__);                        \
	} while (0)

/* ---- enums tables ------------------------------------------------------ */

static const struct cfg_enum en_prack[] = {
	{ "off", SIPDP_CFG_PRACK_OFF },
	{ "supported", SIPDP_CFG_PRACK_SUPPORTED },
	{ "required", SIPDP_CFG_PRACK_REQUIRED },
	{ NULL, 0 },
};

static const struct cfg_enum en_refresher[] = {
	{ "auto", SIPDP_CFG_REFRESHER_AUTO },
	{ "uac", SIPDP_CFG_REFRESHER_UAC },
	{ "uas", SIPDP_CFG_REFRESHER_UAS },
	{ NULL, 0 },
};

static const struct cfg_enum en_on_refer[] = {
	{ "accept", SIPDP_CFG_REFER_ACCEPT },
	{ "reject", SIPDP_CFG_REFER_REJECT },
	{ NULL, 0 },
};

static const struct cfg_enum en_xfer_mode[] = {
	{ "blind", SIPDP_CFG_XFER_BLIND },
	{ "attended", SIPDP_CFG_XFER_ATTENDED },
	{ NULL, 0 },
};

static const struct cfg_enum en_log_level[] = {
	{ "emerg", SIPDP_CFG_LOG_EMERG },
	{ "alert", SIPDP_CFG_LOG_ALERT },
	{ "crit", SIPDP_CFG_LOG_CRIT },
	{ "err", SIPDP_CFG_LOG_ERR },
	{ "warning", SIPDP_CFG_LOG_WARNING },
	{ "notice", SIPDP_CFG_LOG_NOTICE },
	{ "info", SIPDP_CFG_LOG_INFO },
	{ "debug", SIPDP_CFG_LOG_DEBUG },
	{ NULL, 0 },
};

/* ---- session timer (RFC 4028) ----------------------------------------- */

static void
check_session_timer(struct cfg_ctx *ctx, const struct cfg_section *sec, void *obj,
	const yaml_node_t *map, const yaml_node_t *const *seen)
{
	const struct sipdp_cfg_session_timer *st = obj;

	/* RFC 4028 §4: Session-Expires is never below Min-SE. */
	if (field_ok(ctx, sec, "expires") && field_ok(ctx, sec, "min_se") &&
	    st->expires < st->min_se)
		CHECK_ERR(ctx, sec, seen, map, "expires",
			"expires (%u) is below min_se (%u)", st->expires, st->min_se);
}

static const struct cfg_field session_timer_fields[] = {
	F_UINT(sipdp_cfg_session_timer, "expires", expires, 90, 86400, 1800, 0),
	F_UINT(sipdp_cfg_session_timer, "min_se", min_se, 90, 86400, 90, 0),
	F_ENUM(sipdp_cfg_session_timer, "refresher", refresher, en_refresher,
		SIPDP_CFG_REFRESHER_AUTO, 0),
};
SECTION(session_timer_sec, "session_timer", session_timer_fields, check_session_timer);

/* ---- policy ------------------------------------------------------------ */

/* sdp and sdp_file: at most one; @need: exactly one. */
static void
check_sdp_pair(struct cfg_ctx *ctx, const struct cfg_section *sec, const yaml_node_t *map,
	const yaml_node_t *const *seen, char *sdp, const char *file, bool need)
{
	const yaml_node_t *ns = seen_of(sec, seen, "sdp");
	const yaml_node_t *nf = seen_of(sec, seen, "sdp_file");

	if (ns != NULL && nf != NULL)
		cfg_err_at(ctx, nf, "sdp_file", "sdp and sdp_file are exclusive: keep one");
	else if (nf != NULL && file[0] != '\0')
		sdp_load_file(ctx, nf, file, sdp, SIPDP_CFG_SDP_LEN);
	else if (ns == NULL && nf == NULL && need)
		cfg_err(ctx, map, "needs sdp or sdp_file (the SDP answer)");
}

static void
check_answer(struct cfg_ctx *ctx, const struct cfg_section *sec, void *obj,
	const yaml_node_t *map, const yaml_node_t *const *seen)
{
	struct sipdp_cfg_answer *a = obj;

	check_sdp_pair(ctx, sec, map, seen, a->sdp, a->sdp_file, true);
}

static const struct cfg_field answer_fields[] = {
	F_UINT(sipdp_cfg_answer, "ring_ms", ring_ms, 0, 600000, 0, 0),
	F_BOOL(sipdp_cfg_answer, "send_180", send_180, false),
	F_BOOL(sipdp_cfg_answer, "send_183", send_183, false),
	F_ENUM(sipdp_cfg_answer, "prack", prack, en_prack, SIPDP_CFG_PRACK_SUPPORTED, 0),
	F_MAPSET(sipdp_cfg_answer, "session_timer", session_timer, session_timer_sec,
		session_timer.enabled),
	F_VAL(sipdp_cfg_answer, "sdp", sdp, cfg_t_sdp, CFG_F_BLOCK),
	F_VAL(sipdp_cfg_answer, "sdp_file", sdp_file, cfg_t_path, CFG_F_NODUMP),
};
SECTION(answer_sec, "answer", answer_fields, check_answer);

static void
check_reject(struct cfg_ctx *ctx, const struct cfg_section *sec, void *obj,
	const yaml_node_t *map, const yaml_node_t *const *seen)
{
	const struct sipdp_cfg_reject *r = obj;

	/* RFC 3261 §21.4.2/§21.4.8: 401/407 MUST carry a challenge we never make. */
	if (r->code == 401 || r->code == 407)
		CHECK_ERR(ctx, sec, seen, map, "code",
			"%u needs an authentication challenge sipdp does not send", r->code);
}

static const struct cfg_field reject_fields[] = {
	F_UINT(sipdp_cfg_reject, "code", code, 400, 699, 0, CFG_F_REQUIRED),
	F_STR(sipdp_cfg_reject, "reason", reason, cfg_t_text, NULL, 0),
	F_UINTSET(sipdp_cfg_reject, "retry_after", retry_after, 0, 86400, has_retry_after),
};
SECTION(reject_sec, "reject", reject_fields, check_reject);

static const struct cfg_field redirect_fields[] = {
	F_UINT(sipdp_cfg_redirect, "code", code, 300, 399, 302, 0),
	F_VAL(sipdp_cfg_redirect, "contact", contact, cfg_t_uri, CFG_F_REQUIRED),
};
SECTION(redirect_sec, "redirect", redirect_fields, NULL);

static const struct cfg_field auto_transfer_fields[] = {
	F_ENUM(sipdp_cfg_auto_transfer, "mode", mode, en_xfer_mode, SIPDP_CFG_XFER_BLIND, 0),
	F_VAL(sipdp_cfg_auto_transfer, "to", to, cfg_t_uri, CFG_F_REQUIRED),
	F_UINT(sipdp_cfg_auto_transfer, "after_ms", after_ms, 0, 3600000, 0, 0),
};
SECTION(auto_transfer_sec, "auto_transfer", auto_transfer_fields, NULL);

static const struct cfg_field transfer_fields[] = {
	F_ENUM(sipdp_cfg_transfer, "on_refer", on_refer, en_on_refer, SIPDP_CFG_REFER_ACCEPT, 0),
	F_MAPSET(sipdp_cfg_transfer, "auto_transfer", auto_transfer, auto_transfer_sec,
		has_auto),
};
SECTION(transfer_sec, "transfer", transfer_fields, NULL);

/* ---- bridge (B2BUA) ---------------------------------------------------- */

static const char *const target_vars[] = { "ruri_user", "ruri_host", "from_user" };
#define TARGET_VARS_LIST "${ruri_user}, ${ruri_host}, ${from_user}"

/* Every ${...} in s[0..len) names one of target_vars. */
static int
target_vars_check(const char *s, size_t len, char *why, size_t whylen)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] != '$' || s[i + 1] != '{')
			continue;
		const char *name = s + i + 2;
		const char *close = memchr(name, '}', len - i - 2);
		if (close == NULL) {
			snprintf(why, whylen, "'${' without '}' (variables: %s)", TARGET_VARS_LIST);
			return -1;
		}
		size_t nl = (size_t)(close - name);
		bool known = false;
		for (size_t k = 0; k < SIPDP_ARRAY_SIZE(target_vars); k++)
			known |= strlen(target_vars[k]) == nl &&
				memcmp(target_vars[k], name, nl) == 0;
		if (!known) {
			snprintf(why, whylen, "unknown variable '${%.*s}' (allowed: %s)",
				(int)SIPDP_MIN(nl, 32), name, TARGET_VARS_LIST);
			return -1;
		}
		i = (size_t)(close - s);
	}
	return 0;
}

static bool
ip_unicast(const struct sipdp_cfg_ip *ip)
{
	static const uint8_t zero[16];

	if (ip->family == SIPDP_CFG_IPV4)
		return memcmp(ip->addr, zero, 4) != 0 && (ip->addr[0] & 0xf0) != 0xe0 &&
			memcmp(ip->addr, "\xff\xff\xff\xff", 4) != 0;
	return memcmp(ip->addr, zero, 16) != 0 && ip->addr[0] != 0xff;
}

/*
 * Resolve a target URI template into where it is sent. The host (and port)
 * must be literal: the data path has no resolver, and a variable there
 * would let a caller pick where sipdp connects. sips: means TLS (RFC 3261
 * §19.1); RFC 5630 §3.1.3 makes sips with transport=tcp TLS too, and
 * transport=udp contradicts it.
 */
static int
target_uri_parse(const char *uri, struct sipdp_cfg_target *t, char *why, size_t whylen)
{
	char host[INET6_ADDRSTRLEN + 2];
	struct sipdp_cfg_ip ip = { 0 };
	const char *p;
	bool sips = false;
	int tp = -1;
	unsigned long port = 0;

	if (strncasecmp(uri, "sip:", 4) == 0) {
		p = uri + 4;
	} else if (strncasecmp(uri, "sips:", 5) == 0) {
		p = uri + 5;
		sips = true;
	} else {
		snprintf(why, whylen, "'%.40s' is not a sip: or sips: URI", uri);
		return -1;
	}
	const char *bad = strpbrk(uri, "<>\"");
	if (bad != NULL) {
		snprintf(why, whylen, "'%c' is not allowed in a target URI", *bad);
		return -1;
	}
	const char *q = strchr(p, '?');
	if (q != NULL) {
		snprintf(why, whylen, "URI headers ('?...') are not allowed in a target URI");
		return -1;
	}
	const char *at = strchr(p, '@');
	if (at != NULL) {
		if (at == p) {
			snprintf(why, whylen, "empty user part before '@'");
			return -1;
		}
		if (target_vars_check(p, (size_t)(at - p), why, whylen) != 0)
			return -1;
		p = at + 1;
	}

	/* host: an IPv4 literal or a bracketed IPv6 one (RFC 3261 §25.1) */
	size_t hl;
	int af;
	if (*p == '[') {
		const char *close = strchr(p, ']');
		if (close == NULL) {
			snprintf(why, whylen, "'[' without ']' in the host");
			return -1;
		}
		hl = (size_t)(close - p - 1);
		if (hl >= sizeof(host)) {
			snprintf(why, whylen, "'%.*s' is not an IPv6 address",
				(int)SIPDP_MIN(hl, 40), p + 1);
			return -1;
		}
		memcpy(host, p + 1, hl);
		host[hl] = '\0';
		af = AF_INET6;
		p = close + 1;
	} else {
		hl = strcspn(p, ":;");
		if (hl == 0) {
			snprintf(why, whylen, "no host part");
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)hl, p);
		af = AF_INET;
		/* Say what is wrong with a bare IPv6 address rather than "not a literal". */
		size_t all = strcspn(p, ";");
		char v6[INET6_ADDRSTRLEN];
		uint8_t tmp[16];
		if (hl < all && all < sizeof(v6)) {
			snprintf(v6, sizeof(v6), "%.*s", (int)all, p);
			if (inet_pton(AF_INET6, v6, tmp) == 1) {
				snprintf(why, whylen, "an IPv6 host needs brackets: [%s]", v6);
				return -1;
			}
		}
		p += hl;
	}
	if (inet_pton(af, host, ip.addr) != 1) {
		if (af == AF_INET6)
			snprintf(why, whylen, "'[%.40s]' is not an IPv6 address", host);
		else
			snprintf(why, whylen,
				"host '%.40s' must be an IP literal (DNS is not used)", host);
		return -1;
	}
	ip.family = af == AF_INET ? SIPDP_CFG_IPV4 : SIPDP_CFG_IPV6;
	ip.prefix = af == AF_INET ? 32 : 128;
	if (!ip_unicast(&ip)) {
		snprintf(why, whylen, "host '%.40s' is not a unicast address", host);
		return -1;
	}

	if (*p == ':') {
		size_t nd = strspn(p + 1, "0123456789");
		if (nd == 0 || nd > 5 || p[1] == '0' || (p[1 + nd] != '\0' && p[1 + nd] != ';') ||
		    (port = strtoul(p + 1, NULL, 10)) > 65535) {
			snprintf(why, whylen, "bad port '%.*s' (1..65535, no variable)",
				(int)SIPDP_MIN(strcspn(p + 1, ";"), 20), p + 1);
			return -1;
		}
		p += 1 + nd;
	}

	/* uri-parameters: ;name[=value], any but transport passed on as written */
	while (*p == ';') {
		const char *name = p + 1;
		size_t len = strcspn(name, ";");
		size_t nl = strcspn(name, ";=");
		if (nl == 0) {
			snprintf(why, whylen, "empty URI parameter");
			return -1;
		}
		if (target_vars_check(name, len, why, whylen) != 0)
			return -1;
		if (nl == 9 && strncasecmp(name, "transport", 9) == 0) {
			static const char *const tps[] = { "udp", "tcp", "tls" };
			const char *v = name + nl + (name[nl] == '=');
			size_t vl = len - (size_t)(v - name);
			if (tp >= 0) {
				snprintf(why, whylen, "transport given twice");
				return -1;
			}
			for (int k = 0; k < 3 && tp < 0; k++)
				if (vl == 3 && strncasecmp(v, tps[k], 3) == 0)
					tp = k;
			if (tp < 0) {
				snprintf(why, whylen, "transport '%.*s' is not udp, tcp or tls",
					(int)SIPDP_MIN(vl, 20), v);
				return -1;
			}
		}
		p = name + len;
	}
	if (*p != '\0') {
		snprintf(why, whylen, "unexpected '%.20s' after the host", p);
		return -1;
	}

	uint8_t transport = tp == 1 ? SIPDP_CFG_TP_TCP : tp == 2 ? SIPDP_CFG_TP_TLS :
		SIPDP_CFG_TP_UDP;
	if (sips) {
		if (tp == 0) {
			snprintf(why, whylen, "sips: needs TLS, transport=udp contradicts it");
			return -1;
		}
		transport = SIPDP_CFG_TP_TLS;
	}
	t->addr = ip;
	t->transport = transport;
	t->port = port ? (uint16_t)port : transport == SIPDP_CFG_TP_TLS ? 5061 : 5060;
	return 0;
}

static int
t_turi_parse(struct cfg_ctx *ctx, const struct cfg_field *f, const yaml_node_t *n,
	void *dst)
{
	return str_parse_class(ctx, f, n, dst, STR_WORD, "a SIP URI");
}

/* Checked as a whole, and resolved, by check_target. */
static const struct cfg_type cfg_t_turi = { "a SIP URI", t_turi_parse, t_str_dump,
	t_str_is_set };

static int
t_hname_parse(struct cfg_ctx *ctx, const struct cfg_field *f, const yaml_node_t *n,
	void *dst)
{
	return str_parse_class(ctx, f, n, dst, STR_TOKEN, "a header name");
}

/* RFC 3261 §25.1: header-name = token. */
static const struct cfg_type cfg_t_hname = { "a header name", t_hname_parse, t_str_dump,
	t_str_is_set };

static void
check_target(struct cfg_ctx *ctx, const struct cfg_section *sec, void *obj,
	const yaml_node_t *map, const yaml_node_t *const *seen)
{
	struct sipdp_cfg_target *t = obj;
	char why[SIPDP_CFG_MSG_LEN];

	if (t->uri[0] == '\0' || !field_ok(ctx, sec, "uri"))
		return;
	if (target_uri_parse(t->uri, t, why, sizeof(why)) != 0)
		CHECK_ERR(ctx, sec, seen, map, "uri", "%s", why);
}

static const struct cfg_field target_fields[] = {
	F_VAL(sipdp_cfg_target, "uri", uri, cfg_t_turi, CFG_F_REQUIRED),
	F_UINT(sipdp_cfg_target, "priority", priority, 1, 1000, 1, 0),
	F_UINT(sipdp_cfg_target, "weight", weight, 1, 1000, 1, 0),
};
SECTION(target_sec, "target", target_fields, check_target);

static const struct cfg_enum en_bridge_refer[] = {
	{ "terminate", SIPDP_CFG_BRIDGE_REFER_TERMINATE },
	{ "pass", SIPDP_CFG_BRIDGE_REFER_PASS },
	{ "reject", SIPDP_CFG_BRIDGE_REFER_REJECT },
	{ NULL, 0 },
};

/* 503 is always a failover code (RFC 3261 §21.5.4: try another server). */
static const uint16_t def_failover_codes[] = { 408, 480, 500, 502, 504 };

/*
 * What crosses the bridge by default: identity (RFC 3325), privacy
 * (RFC 3323), redirection history (RFC 5806, RFC 7044), user-to-user data
 * (RFC 7433) and why a call ended (RFC 3326). Nothing that makes a dialog.
 */
static const char def_bridge_headers[][SIPDP_CFG_NAME_LEN] = {
	"P-Asserted-Identity", "Privacy", "Diversion", "History-Info", "User-to-User",
	"Reason",
};

static void
check_bridge(struct cfg_ctx *ctx, const struct cfg_section *sec, void *obj,
	const yaml_node_t *map, const yaml_node_t *const *seen)
{
	const struct sipdp_cfg_bridge *b = obj;

	if (!field_ok(ctx, sec, "ring_timeout_ms") || !field_ok(ctx, sec, "answer_timeout_ms") ||
	    b->answer_timeout_ms >= b->ring_timeout_ms)
		return;
	if (seen_of(sec, seen, "answer_timeout_ms") != NULL)
		CHECK_ERR(ctx, sec, seen, map, "answer_timeout_ms",
			"answer_timeout_ms (%u) is below ring_timeout_ms (%u)",
			b->answer_timeout_ms, b->ring_timeout_ms);
	else
		CHECK_ERR(ctx, sec, seen, map, "ring_timeout_ms",
			"ring_timeout_ms (%u) is above answer_timeout_ms (%u, its default)",
			b->ring_timeout_ms, b->answer_timeout_ms);
}

static const struct cfg_field bridge_fields[] = {
	F_LISTMAP(sipdp_cfg_bridge, "targets", targets, nb_targets, target_sec, CFG_F_REQUIRED),
	F_UINT(sipdp_cfg_bridge, "ring_timeout_ms", ring_timeout_ms, 100, 600000, 4000, 0),
	F_UINT(sipdp_cfg_bridge, "answer_timeout_ms", answer_timeout_ms, 100, 3600000, 90000, 0),
	F_LISTDEF(sipdp_cfg_bridge, "failover_codes", failover_codes, nb_failover_codes,
		cfg_t_uint, 300, 699, def_failover_codes),
	F_BOOL(sipdp_cfg_bridge, "follow_redirects", follow_redirects, false),
	F_UINT(sipdp_cfg_bridge, "down_after", down_after, 1, 1000, 3, 0),
	F_UINT(sipdp_cfg_bridge, "down_for_s", down_for_s, 1, 86400, 30, 0),
	F_UINT(sipdp_cfg_bridge, "probe_interval_s", probe_interval_s, 1, 3600, 5, 0),
	F_UINT(sipdp_cfg_bridge, "max_duration_s", max_duration_s, 0, 604800, 0, 0),
	F_ENUM(sipdp_cfg_bridge, "refer", refer, en_bridge_refer,
		SIPDP_CFG_BRIDGE_REFER_TERMINATE, 0),
	F_LISTDEF(sipdp_cfg_bridge, "headers", headers, nb_headers, cfg_t_hname, 0, 0,
		def_bridge_headers),
	F_ENUM(sipdp_cfg_bridge, "prack", prack, en_prack, SIPDP_CFG_PRACK_SUPPORTED, 0),
	F_MAPSET(sipdp_cfg_bridge, "session_timer", session_timer, session_timer_sec,
		session_timer.enabled),
};
SECTION(bridge_sec, "bridge", bridge_fields, check_bridge);

static void
check_match(struct cfg_ctx *ctx, const struct cfg_section *sec, void *obj,
	const yaml_node_t *map, const yaml_node_t *const *seen)
{
	(void)obj;
	int n = (seen_of(sec, seen, "ruri_user") != NULL) +
		(seen_of(sec, seen, "ruri_user_prefix") != NULL) +
		(seen_of(sec, seen, "ruri_user_regex") != NULL);
	if (n > 1)
		cfg_err(ctx, map, "use only one of ruri_user, ruri_user_prefix, ruri_user_regex");
}

static const struct cfg_field match_fields[] = {
	F_VAL(sipdp_cfg_match, "method", method, cfg_t_token, 0),
	F_VAL(sipdp_cfg_match, "ruri_user", ruri_user, cfg_t_user, 0),
	F_VAL(sipdp_cfg_match, "ruri_user_prefix", ruri_user_prefix, cfg_t_user, 0),
	F_VAL(sipdp_cfg_match, "ruri_user_regex", ruri_user_regex, cfg_t_regex, 0),
	F_VAL(sipdp_cfg_match, "ruri_host", ruri_host, cfg_t_host, 0),
	F_VAL(sipdp_cfg_match, "from_user", from_user, cfg_t_user, 0),
	F_VAL(sipdp_cfg_match, "source", source, cfg_t_cidr, 0),
};
SECTION(match_sec, "match", match_fields, check_match);

static void
check_rule(struct cfg_ctx *ctx, const struct cfg_section *sec, void *obj,
	const yaml_node_t *map, const yaml_node_t *const *seen)
{
	static const char *const actions[] = { "answer", "reject", "redirect", "drop",
		"bridge" };
	static const uint8_t codes[] = { SIPDP_CFG_ACTION_ANSWER, SIPDP_CFG_ACTION_REJECT,
		SIPDP_CFG_ACTION_REDIRECT, SIPDP_CFG_ACTION_DROP, SIPDP_CFG_ACTION_BRIDGE };
	struct sipdp_cfg_rule *r = obj;
	const char *first = NULL;

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(actions); i++) {
		if (seen_of(sec, seen, actions[i]) == NULL)
			continue;
		if (first == NULL) {
			first = actions[i];
			r->action = codes[i];
		} else {
			cfg_err_at(ctx, seen_of(sec, seen, actions[i]), actions[i],
				"a rule has exactly one action: %s is already its action",
				first);
		}
	}
	if (first == NULL)
		cfg_err(ctx, map, "rule has no action: add one of answer, reject, "
			"redirect, drop, bridge");
	/* A bridged call's REFERs follow bridge.refer; transfer is sipdp's own UAS. */
	if (r->has_transfer && first != NULL && r->action == SIPDP_CFG_ACTION_BRIDGE)
		CHECK_ERR(ctx, sec, seen, map, "transfer",
			"transfer applies to answered calls only, not to bridge "
			"(use bridge.refer)");
	else if (r->has_transfer && first != NULL && r->action != SIPDP_CFG_ACTION_ANSWER)
		CHECK_ERR(ctx, sec, seen, map, "transfer",
			"transfer applies to answered calls only, not to %s", first);
}

static const struct cfg_field rule_fields[] = {
	F_VAL(sipdp_cfg_rule, "name", name, cfg_t_word, 0),
	F_MAP(sipdp_cfg_rule, "match", match, match_sec, 0),
	F_MAPSET(sipdp_cfg_rule, "answer", answer, answer_sec, has_answer),
	F_MAPSET(sipdp_cfg_rule, "reject", reject, reject_sec, has_reject),
	F_MAPSET(sipdp_cfg_rule, "redirect", redirect, redirect_sec, has_redirect),
	F_VAL(sipdp_cfg_rule, "drop", drop, cfg_t_true, 0),
	F_MAPSET(sipdp_cfg_rule, "transfer", transfer, transfer_sec, has_transfer),
	F_MAPSET(sipdp_cfg_rule, "bridge", bridge, bridge_sec, has_bridge),
};
SECTION(rule_sec, "rule", rule_fields, check_rule);

/* ---- calls (UAC) ------------------------------------------------------- */

static void
check_calls(struct cfg_ctx *ctx, const struct cfg_section *sec, void *obj,
	const yaml_node_t *map, const yaml_node_t *const *seen)
{
	struct sipdp_cfg_calls *c = obj;
	const yaml_node_t *nt = seen_of(sec, seen, "total");
	const yaml_node_t *nd = seen_of(sec, seen, "duration_s");

	if (nt != NULL && nd != NULL)
		cfg_err_at(ctx, nd, "duration_s", "total and duration_s are exclusive: keep one");
	else if (nt == NULL && nd == NULL)
		cfg_err(ctx, map, "needs total or duration_s (when to stop)");
	if (seen_of(sec, seen, "refer_after_ms") != NULL && c->refer_to[0] == '\0' &&
	    field_ok(ctx, sec, "refer_to"))
		CHECK_ERR(ctx, sec, seen, map, "refer_after_ms", "needs refer_to");
	check_sdp_pair(ctx, sec, map, seen, c->sdp, c->sdp_file, false);
}

static const struct cfg_field calls_fields[] = {
	F_VAL(sipdp_cfg_calls, "target", target, cfg_t_uri, CFG_F_REQUIRED),
	F_VAL(sipdp_cfg_calls, "from", from, cfg_t_uri, 0),
	F_UINT(sipdp_cfg_calls, "rate", rate, 1, 1000000, 0, CFG_F_REQUIRED),
	F_UINT(sipdp_cfg_calls, "total", total, 1, UINT64_C(1000000000000), 0, CFG_F_OPTIONAL),
	F_UINT(sipdp_cfg_calls, "duration_s", duration_s, 1, 31536000, 0, CFG_F_OPTIONAL),
	F_UINT(sipdp_cfg_calls, "max_concurrent", max_concurrent, 1, 16777216, 0,
		CFG_F_OPTIONAL),
	F_UINT(sipdp_cfg_calls, "hold_ms", hold_ms, 0, 86400000, 0, 0),
	F_VAL(sipdp_cfg_calls, "refer_to", refer_to, cfg_t_uri, 0),
	F_UINT(sipdp_cfg_calls, "refer_after_ms", refer_after_ms, 0, 3600000, 0, 0),
	F_ENUM(sipdp_cfg_calls, "prack", prack, en_prack, SIPDP_CFG_PRACK_SUPPORTED, 0),
	F_MAPSET(sipdp_cfg_calls, "session_timer", session_timer, session_timer_sec,
		session_timer.enabled),
	F_VAL(sipdp_cfg_calls, "sdp", sdp, cfg_t_sdp, CFG_F_BLOCK),
	F_VAL(sipdp_cfg_calls, "sdp_file", sdp_file, cfg_t_path, CFG_F_NODUMP),
};
SECTION(calls_sec, "calls", calls_fields, check_calls);

/* ---- ports --------------------------------------------------------------- */

static bool
ip_in_prefix(const struct sipdp_cfg_ip *net, const struct sipdp_cfg_ip *a)
{
	if (net->family != a->family)
		return false;
	for (unsigned b = 0; b < net->prefix; b++) {
		uint8_t m = (uint8_t)(0x80 >> (b % 8));
		if ((net->addr[b / 8] & m) != (a->addr[b / 8] & m))
			return false;
	}
	return true;
}

static bool
ip_eq(const struct sipdp_cfg_ip *a, const struct sipdp_cfg_ip *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, 16) == 0;
}

static void
check_port(struct cfg_ctx *ctx, const struct cfg_section *sec, void *obj,
	const yaml_node_t *map, const yaml_node_t *const *seen)
{
	struct sipdp_cfg_port *p = obj;

	if (seen_of(sec, seen, "ipv4") == NULL && seen_of(sec, seen, "ipv6") == NULL)
		cfg_err(ctx, map, "a port needs ipv4 or ipv6 (or both)");
	if (p->gateway4.family && field_ok(ctx, sec, "ipv4")) {
		if (!p->ipv4.family)
			CHECK_ERR(ctx, sec, seen, map, "gateway4", "needs ipv4 on this port");
		else if (!ip_in_prefix(&p->ipv4, &p->gateway4) || ip_eq(&p->ipv4, &p->gateway4))
			CHECK_ERR(ctx, sec, seen, map, "gateway4",
				"gateway is not another address of the port's subnet");
	}
	if (p->gateway6.family && field_ok(ctx, sec, "ipv6")) {
		if (!p->ipv6.family)
			CHECK_ERR(ctx, sec, seen, map, "gateway6", "needs ipv6 on this port");
		else if (ip_eq(&p->ipv6, &p->gateway6) ||
			 (!ip_in_prefix(&p->ipv6, &p->gateway6) &&
			  !(p->gateway6.addr[0] == 0xfe && (p->gateway6.addr[1] & 0xc0) == 0x80)))
			/* IPv6 routers are usually link-local (RFC 4861 §6.1.2). */
			CHECK_ERR(ctx, sec, seen, map, "gateway6",
				"gateway is neither link-local nor in the port's subnet");
	}
	/* RFC 8200 §5: IPv6 needs a link MTU of at least 1280. */
	if (p->ipv6.family && p->mtu < 1280)
		CHECK_ERR(ctx, sec, seen, map, "mtu", "IPv6 needs an mtu of at least 1280");
}

static const struct cfg_field port_fields[] = {
	F_VAL(sipdp_cfg_port, "name", name, cfg_t_word, CFG_F_REQUIRED),
	F_VAL(sipdp_cfg_port, "devargs", devargs, cfg_t_word, 0),
	F_VALSET(sipdp_cfg_port, "mac", mac, cfg_t_mac, has_mac),
	F_VAL(sipdp_cfg_port, "ipv4", ipv4, cfg_t_if4, 0),
	F_VAL(sipdp_cfg_port, "ipv6", ipv6, cfg_t_if6, 0),
	F_VAL(sipdp_cfg_port, "gateway4", gateway4, cfg_t_gw4, 0),
	F_VAL(sipdp_cfg_port, "gateway6", gateway6, cfg_t_gw6, 0),
	F_UINT(sipdp_cfg_port, "vlan", vlan, 1, 4094, 0, CFG_F_OPTIONAL),
	F_UINT(sipdp_cfg_port, "mtu", mtu, 576, 9216, 1500, 0),
	F_UINT(sipdp_cfg_port, "rx_desc", rx_desc, 64, 32768, 1024, CFG_F_POW2),
	F_UINT(sipdp_cfg_port, "tx_desc", tx_desc, 64, 32768, 1024, CFG_F_POW2),
	F_UINT(sipdp_cfg_port, "queues", queues, 0, 64, 0, 0),
	F_BOOL(sipdp_cfg_port, "promiscuous", promiscuous, false),
};
SECTION(port_sec, "port", port_fields, check_port);

/* ---- lcores, sip, limits, timers, identity, log ------------------------ */

static void
check_lcores(struct cfg_ctx *ctx, const struct cfg_section *sec, void *obj,
	const yaml_node_t *map, const yaml_node_t *const *seen)
{
	const struct sipdp_cfg_lcores *l = obj;
	const yaml_node_t *wl = seen_of(sec, seen, "workers");

	if (!field_ok(ctx, sec, "control") || !field_ok(ctx, sec, "workers"))
		return;

	for (uint16_t i = 0; i < l->nb_workers; i++) {
		const yaml_node_t *item = cfg_seq_item(ctx, wl, i);
		size_t old = cfg_path_push(ctx, "workers");
		cfg_path_push_index(ctx, i);
		if (l->workers[i] == l->control && seen_of(sec, seen, "control") != NULL)
			cfg_err(ctx, item ? item : map,
				"lcore %u is the control lcore, it cannot be a worker",
				l->workers[i]);
		else if (l->workers[i] == l->control)
			cfg_err(ctx, item ? item : map,
				"lcore %u is the control lcore (default 0), it cannot be "
				"a worker", l->workers[i]);
		for (uint16_t j = 0; j < i; j++)
			if (l->workers[j] == l->workers[i])
				cfg_err(ctx, item ? item : map, "lcore %u is listed twice",
					l->workers[i]);
		cfg_path_pop(ctx, old);
	}
}

static const struct cfg_field lcores_fields[] = {
	F_UINT(sipdp_cfg_lcores, "control", control, 0, SIPDP_CFG_MAX_LCORE, 0, 0),
	F_LISTVAL(sipdp_cfg_lcores, "workers", workers, nb_workers, cfg_t_uint, 0,
		SIPDP_CFG_MAX_LCORE, CFG_F_REQUIRED),
};
SECTION(lcores_sec, "lcores", lcores_fields, check_lcores);

static void
check_sip(struct cfg_ctx *ctx, const struct cfg_section *sec, void *obj,
	const yaml_node_t *map, const yaml_node_t *const *seen)
{
	const struct sipdp_cfg_sip *s = obj;

	if (s->tcp_port != 0 && s->tcp_port == s->tls_port)
		CHECK_ERR(ctx, sec, seen, map, "tls_port", "tls_port and tcp_port are the same");
}

static const struct cfg_field sip_fields[] = {
	F_UINT(sipdp_cfg_sip, "udp_port", udp_port, 1, 65535, 5060, 0),
	F_UINT(sipdp_cfg_sip, "tcp_port", tcp_port, 0, 65535, 5060, 0),
	F_UINT(sipdp_cfg_sip, "tls_port", tls_port, 0, 65535, 5061, 0),
	F_LISTVAL(sipdp_cfg_sip, "listen", listen, nb_listen, cfg_t_addr, 0, 0, 0),
};
SECTION(sip_sec, "sip", sip_fields, check_sip);

static const struct cfg_field limits_fields[] = {
	F_UINT(sipdp_cfg_limits, "dialogs_per_shard", dialogs_per_shard, 16, 16777216, 65536, 0),
	F_UINT(sipdp_cfg_limits, "transactions_per_shard", transactions_per_shard, 16,
		16777216, 131072, 0),
	F_UINT(sipdp_cfg_limits, "subscriptions_per_shard", subscriptions_per_shard, 16,
		16777216, 16384, 0),
	F_UINT(sipdp_cfg_limits, "message_max", message_max, 1500, 65535, 16384, 0),
	F_UINT(sipdp_cfg_limits, "tcp_connections", tcp_connections, 1, 1048576, 1024, 0),
	F_UINT(sipdp_cfg_limits, "tcp_per_source", tcp_per_source, 1, 1048576, 64, 0),
	F_UINT(sipdp_cfg_limits, "tcp_idle_timeout_ms", tcp_idle_timeout_ms, 1000, 86400000,
		300000, 0),
	F_UINT(sipdp_cfg_limits, "tcp_message_deadline_ms", tcp_message_deadline_ms, 100,
		600000, 10000, 0),
};
SECTION(limits_sec, "limits", limits_fields, NULL);

static const struct cfg_enum en_tls_verify[] = {
	{ "none", SIPDP_CFG_TLS_VERIFY_NONE },
	{ "optional", SIPDP_CFG_TLS_VERIFY_OPTIONAL },
	{ "required", SIPDP_CFG_TLS_VERIFY_REQUIRED },
	{ NULL, 0 },
};

static void
check_tls(struct cfg_ctx *ctx, const struct cfg_section *sec, void *obj,
	const yaml_node_t *map, const yaml_node_t *const *seen)
{
	const struct sipdp_cfg_tls *t = obj;

	/* A certificate without its key (or the reverse) cannot serve TLS. */
	if (t->cert[0] && !t->key[0])
		CHECK_ERR(ctx, sec, seen, map, "cert", "cert needs key");
	if (t->key[0] && !t->cert[0])
		CHECK_ERR(ctx, sec, seen, map, "key", "key needs cert");
	if (t->verify_inbound != SIPDP_CFG_TLS_VERIFY_NONE && !t->cert[0])
		CHECK_ERR(ctx, sec, seen, map, "verify_inbound",
			"verify_inbound needs a server cert and key");
}

static const struct cfg_field tls_fields[] = {
	F_VAL(sipdp_cfg_tls, "cert", cert, cfg_t_path, 0),
	F_VAL(sipdp_cfg_tls, "key", key, cfg_t_path, 0),
	F_VAL(sipdp_cfg_tls, "ca", ca, cfg_t_path, 0),
	F_ENUM(sipdp_cfg_tls, "verify_inbound", verify_inbound, en_tls_verify,
		SIPDP_CFG_TLS_VERIFY_NONE, 0),
	F_BOOL(sipdp_cfg_tls, "verify_outbound", verify_outbound, true),
	F_VAL(sipdp_cfg_tls, "ciphers", ciphers, cfg_t_text, 0),
	F_VAL(sipdp_cfg_tls, "ciphersuites", ciphersuites, cfg_t_text, 0),
	F_VAL(sipdp_cfg_tls, "sni", sni, cfg_t_host, 0),
	F_UINT(sipdp_cfg_tls, "handshake_timeout_ms", handshake_timeout_ms, 100, 60000, 5000, 0),
};
SECTION(tls_sec, "tls", tls_fields, check_tls);

static void
check_timers(struct cfg_ctx *ctx, const struct cfg_section *sec, void *obj,
	const yaml_node_t *map, const yaml_node_t *const *seen)
{
	const struct sipdp_cfg_timers *t = obj;

	/* RFC 3261 §17.1.2.2: retransmissions double from T1 and cap at T2. */
	if (field_ok(ctx, sec, "t1_ms") && field_ok(ctx, sec, "t2_ms") && t->t2_ms < t->t1_ms)
		CHECK_ERR(ctx, sec, seen, map, "t2_ms", "t2_ms (%u) is below t1_ms (%u)",
			t->t2_ms, t->t1_ms);
}

static const struct cfg_field timers_fields[] = {
	F_UINT(sipdp_cfg_timers, "t1_ms", t1_ms, 50, 10000, 500, 0),
	F_UINT(sipdp_cfg_timers, "t2_ms", t2_ms, 50, 64000, 4000, 0),
	F_UINT(sipdp_cfg_timers, "t4_ms", t4_ms, 500, 64000, 5000, 0),
};
SECTION(timers_sec, "timers", timers_fields, check_timers);

static const struct cfg_field overload_fields[] = {
	F_BOOL(sipdp_cfg_overload, "enabled", enabled, true),
	F_UINT(sipdp_cfg_overload, "window_ms", window_ms, 5, 1000, 20, 0),
	F_UINT(sipdp_cfg_overload, "retry_after_s", retry_after_s, 1, 3600, 5, 0),
};
SECTION(overload_sec, "overload", overload_fields, NULL);

static const struct cfg_field identity_fields[] = {
	F_STR(sipdp_cfg_identity, "user_agent", user_agent, cfg_t_text, "sipdp", 0),
	F_STR(sipdp_cfg_identity, "contact_user", contact_user, cfg_t_user, "sipdp", 0),
};
SECTION(identity_sec, "identity", identity_fields, NULL);

#define F_LOGC(K, C)                                                           \
	{ .key = K, .shape = CFG_SCALAR, .flags = CFG_F_OPTIONAL, .type = &cfg_t_enum, \
	  .off = (C), .size = 1, .en = en_log_level }

static const struct cfg_field log_comp_fields[] = {
	F_LOGC("app", SIPDP_CFG_LOG_APP),
	F_LOGC("cfg", SIPDP_CFG_LOG_CFG),
	F_LOGC("sipmsg", SIPDP_CFG_LOG_SIPMSG),
	F_LOGC("tsx", SIPDP_CFG_LOG_TSX),
	F_LOGC("dlg", SIPDP_CFG_LOG_DLG),
	F_LOGC("ua", SIPDP_CFG_LOG_UA),
	F_LOGC("dp", SIPDP_CFG_LOG_DP),
	F_LOGC("shard", SIPDP_CFG_LOG_SHARD),
	F_LOGC("ctl", SIPDP_CFG_LOG_CTL),
	F_LOGC("policy", SIPDP_CFG_LOG_POLICY),
};
SIPDP_STATIC_ASSERT(SIPDP_ARRAY_SIZE(log_comp_fields) == SIPDP_CFG_LOG_NCOMP,
	"one log component key per enum sipdp_cfg_log_comp");
SECTION(log_comp_sec, "log.components", log_comp_fields, NULL);

static const struct cfg_field log_fields[] = {
	F_ENUM(sipdp_cfg_log, "level", level, en_log_level, SIPDP_CFG_LOG_NOTICE, 0),
	F_MAP(sipdp_cfg_log, "components", component, log_comp_sec, 0),
	F_UINT(sipdp_cfg_log, "rate", rate, 0, 100000, 10, 0),
	F_UINT(sipdp_cfg_log, "burst", burst, 1, 100000, 20, 0),
};
SECTION(log_sec, "log", log_fields, NULL);

/* ---- metrics, hep ------------------------------------------------------ */

static void
check_metrics(struct cfg_ctx *ctx, const struct cfg_section *sec, void *obj,
	const yaml_node_t *map, const yaml_node_t *const *seen)
{
	const struct sipdp_cfg_metrics *m = obj;

	/* No default address: serving counters on every address of the box
	 * is a choice the operator makes by writing 0.0.0.0 or ::. */
	if (field_ok(ctx, sec, "port") && field_ok(ctx, sec, "address") && m->port != 0 &&
	    m->address.family == 0)
		CHECK_ERR(ctx, sec, seen, map, "port", "port needs address");
}

static const struct cfg_field metrics_fields[] = {
	F_VAL(sipdp_cfg_metrics, "address", address, cfg_t_addr, 0),
	F_UINT(sipdp_cfg_metrics, "port", port, 0, 65535, 0, 0),
	F_UINT(sipdp_cfg_metrics, "max_clients", max_clients, 1, 64, 4, 0),
	F_UINT(sipdp_cfg_metrics, "timeout_ms", timeout_ms, 100, 60000, 2000, 0),
};
SECTION(metrics_sec, "metrics", metrics_fields, check_metrics);

static const struct cfg_field hep_fields[] = {
	F_VAL(sipdp_cfg_hep, "collector", collector, cfg_t_addr, 0),
	F_UINT(sipdp_cfg_hep, "port", port, 1, 65535, 9060, 0),
	F_UINT(sipdp_cfg_hep, "capture_id", capture_id, 0, 4294967295u, 0, 0),
	F_UINT(sipdp_cfg_hep, "rate", rate, 1, 10000000, 10000, 0),
};
SECTION(hep_sec, "hep", hep_fields, NULL);

/* ---- root ------------------------------------------------------------- */

/* Our SIP port for @transport, 0 when we do not listen on it. */
static uint16_t
own_sip_port(const struct sipdp_cfg *c, uint8_t transport)
{
	switch (transport) {
	case SIPDP_CFG_TP_TCP: return c->sip.tcp_port;
	case SIPDP_CFG_TP_TLS: return c->sip.tls_port;
	default: return c->sip.udp_port;
	}
}

/*
 * A target at one of our own addresses and SIP ports would send each call
 * back into the same rule, which bridges it again until the tables fill:
 * refused here, where ports and sip are both known. Then the targets are
 * sorted, last, so that errors above name each target by the index the
 * operator wrote.
 */
static void
check_bridge_targets(struct cfg_ctx *ctx, struct sipdp_cfg *c, const yaml_node_t *np)
{
	static const char *const tp_name[] = { "udp", "tcp", "tls" };

	for (uint16_t i = 0; i < c->nb_rules; i++) {
		struct sipdp_cfg_bridge *b = &c->rules[i].bridge;
		const yaml_node_t *nb = cfg_map_get(ctx, cfg_seq_item(ctx, np, i), "bridge");
		const yaml_node_t *nt = cfg_map_get(ctx, nb, "targets");

		if (!c->rules[i].has_bridge)
			continue;
		for (uint8_t j = 0; j < b->nb_targets; j++) {
			const struct sipdp_cfg_target *t = &b->targets[j];
			uint16_t own = own_sip_port(c, t->transport);
			int port = -1;

			if (t->addr.family == 0 || own == 0 || t->port != own)
				continue; /* unresolved (already reported) or not our port */
			for (uint16_t k = 0; k < c->nb_ports && port < 0; k++)
				if (ip_eq(&t->addr, &c->ports[k].ipv4) ||
				    ip_eq(&t->addr, &c->ports[k].ipv6))
					port = k;
			if (port < 0)
				continue;
			size_t old = cfg_path_push(ctx, "policy");
			cfg_path_push_index(ctx, i);
			cfg_path_push(ctx, "bridge.targets");
			cfg_path_push_index(ctx, j);
			const yaml_node_t *nu = cfg_map_get(ctx, cfg_seq_item(ctx, nt, j), "uri");
			cfg_err_at(ctx, nu, "uri", "target points back at sipdp itself (loop): "
				"ports[%d] address, sip.%s_port %u", port, tp_name[t->transport],
				own);
			cfg_path_pop(ctx, old);
		}
		/* Stable insertion sort: equal priorities keep the written order. */
		for (uint8_t j = 1; j < b->nb_targets; j++) {
			struct sipdp_cfg_target tmp = b->targets[j];
			uint8_t k = j;
			while (k > 0 && b->targets[k - 1].priority > tmp.priority) {
				b->targets[k] = b->targets[k - 1];
				k--;
			}
			b->targets[k] = tmp;
		}
	}
}

static void
check_root(struct cfg_ctx *ctx, const struct cfg_section *sec, void *obj,
	const yaml_node_t *map, const yaml_node_t *const *seen)
{
	struct sipdp_cfg *c = obj;
	const yaml_node_t *np = seen_of(sec, seen, "ports");
	const yaml_node_t *ns = seen_of(sec, seen, "sip");

	(void)map;
	for (uint16_t i = 0; i < c->nb_ports; i++) {
		const struct sipdp_cfg_port *p = &c->ports[i];
		const yaml_node_t *pn = cfg_seq_item(ctx, np, i);
		for (uint16_t j = 0; j < i; j++) {
			const struct sipdp_cfg_port *q = &c->ports[j];
			size_t old = cfg_path_push(ctx, "ports");
			cfg_path_push_index(ctx, i);
			if (p->name[0] && strcmp(p->name, q->name) == 0)
				cfg_err_at(ctx, cfg_map_get(ctx, pn, "name"), "name",
					"port %s is already ports[%u]", p->name, j);
			if (p->ipv4.family && ip_eq(&p->ipv4, &q->ipv4))
				cfg_err_at(ctx, cfg_map_get(ctx, pn, "ipv4"), "ipv4",
					"address already used by ports[%u]", j);
			if (p->ipv6.family && ip_eq(&p->ipv6, &q->ipv6))
				cfg_err_at(ctx, cfg_map_get(ctx, pn, "ipv6"), "ipv6",
					"address already used by ports[%u]", j);
			cfg_path_pop(ctx, old);
		}
	}
	const yaml_node_t *nl = cfg_map_get(ctx, ns, "listen");
	for (uint16_t i = 0; i < c->sip.nb_listen; i++) {
		bool found = false;
		if (c->sip.listen[i].family == 0)
			continue; /* already reported */
		for (uint16_t j = 0; j < c->nb_ports && !found; j++)
			found = ip_eq(&c->sip.listen[i], &c->ports[j].ipv4) ||
				ip_eq(&c->sip.listen[i], &c->ports[j].ipv6);
		if (!found && c->nb_ports > 0) {
			size_t old = cfg_path_push(ctx, "sip.listen");
			cfg_path_push_index(ctx, i);
			cfg_err(ctx, cfg_seq_item(ctx, nl, i),
				"not the ipv4 or ipv6 address of any port");
			cfg_path_pop(ctx, old);
		}
	}
	check_bridge_targets(ctx, c, seen_of(sec, seen, "policy"));
}

static const struct cfg_field root_fields[] = {
	F_LISTMAP(sipdp_cfg, "ports", ports, nb_ports, port_sec, CFG_F_REQUIRED),
	F_MAP(sipdp_cfg, "lcores", lcores, lcores_sec, CFG_F_REQUIRED),
	F_MAP(sipdp_cfg, "sip", sip, sip_sec, 0),
	F_MAP(sipdp_cfg, "limits", limits, limits_sec, 0),
	F_MAP(sipdp_cfg, "tls", tls, tls_sec, 0),
	F_MAP(sipdp_cfg, "timers", timers, timers_sec, 0),
	F_MAP(sipdp_cfg, "overload", overload, overload_sec, 0),
	F_MAP(sipdp_cfg, "identity", identity, identity_sec, 0),
	F_MAP(sipdp_cfg, "log", log, log_sec, 0),
	F_MAP(sipdp_cfg, "metrics", metrics, metrics_sec, 0),
	F_MAP(sipdp_cfg, "hep", hep, hep_sec, 0),
	F_LISTMAP(sipdp_cfg, "policy", rules, nb_rules, rule_sec, 0),
	F_MAPSET(sipdp_cfg, "calls", calls, calls_sec, calls.enabled),
};

const struct cfg_section cfg_root_section = {
	"the configuration", root_fields, SIPDP_ARRAY_SIZE(root_fields), check_root
};

bool
cfg_field_is_set(const struct cfg_field *f, const void *obj)
{
	if (f->flags & CFG_F_SETFLAG)
		return *(const bool *)cfg_cat(obj, f->set_off);
	if (f->shape == CFG_LIST) /* a list with a default is shown even empty */
		return f->def_list != NULL || cfg_list_count(f, obj) != 0;
	if (f->shape == CFG_MAP)
		return true;
	return f->type->is_set == NULL || f->type->is_set(f, cfg_cat(obj, f->off));
}

/* ---- docs walk --------------------------------------------------------- */

static size_t
walk_section(const struct cfg_section *sec, char *path, size_t plen, size_t cap,
	void (*fn)(const char *key, void *arg), void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < sec->nb_fields; i++) {
		const struct cfg_field *f = &sec->fields[i];
		bool list_of_maps = f->shape == CFG_LIST && f->sub != NULL;
		int w = snprintf(path + plen, cap - plen, "%s%s%s", plen ? "." : "", f->key,
			list_of_maps ? "[]" : "");
		if (w < 0 || (size_t)w >= cap - plen)
			continue;
		fn(path, arg);
		n++;
		if (f->sub != NULL)
			n += walk_section(f->sub, path, plen + (size_t)w, cap, fn, arg);
		path[plen] = '\0';
	}
	return n;
}

size_t
sipdp_cfg_schema_walk(void (*fn)(const char *key, void *arg), void *arg)
{
	char path[SIPDP_CFG_KEY_LEN] = "";

	return walk_section(&cfg_root_section, path, 0, sizeof(path), fn, arg);
}

const char *
sipdp_cfg_action_str(enum sipdp_cfg_action a)
{
	switch (a) {
	case SIPDP_CFG_ACTION_ANSWER: return "answer";
	case SIPDP_CFG_ACTION_REJECT: return "reject";
	case SIPDP_CFG_ACTION_REDIRECT: return "redirect";
	case SIPDP_CFG_ACTION_DROP: return "drop";
	case SIPDP_CFG_ACTION_BRIDGE: return "bridge";
	case SIPDP_CFG_ACTION_NONE: break;
	}
	return "none";
}
