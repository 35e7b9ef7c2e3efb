/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipdp-ctl: the operator's client for a running sipdp, over DPDK's
 * telemetry socket (/var/run/dpdk/<file-prefix>/dpdk_telemetry.v2, a
 * SOCK_SEQPACKET socket: a JSON greeting on connect, then one JSON answer
 * per command).
 *
 *   sipdp-ctl [--prefix P | --socket PATH] [--json] COMMAND [ARG]
 *
 * Commands map onto sipdp's telemetry endpoints: stats, ports, dialogs,
 * lcores, reload, capture, log; words after the command become its
 * parameters, joined by commas (`capture start /tmp/x.pcapng 100` sends
 * "/sipdp/capture,start,/tmp/x.pcapng,100"); `raw /any/endpoint[,param]`
 * sends any command as it is.
 * Plain text by default: an object of objects becomes a table with one
 * column per inner object (per worker, per port), anything else a list of
 * dotted keys and values, aligned.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#define CTL_DEFAULT_PREFIX "sipdp"
#define CTL_MAX_REPLY (1u << 20) /* telemetry's own cap is far below */
#define CTL_MAX_ROWS 512
#define CTL_MAX_COLS 64

struct ctl_cmd {
	const char *name;
	const char *endpoint;
	const char *help;
};

static const struct ctl_cmd ctl_cmds[] = {
	{"stats", "/sipdp/stats", "counters per worker and in total"},
	{"ports", "/sipdp/ports", "port statistics"},
	{"dialogs", "/sipdp/dialogs", "dialogs live and a bounded sample"},
	{"lcores", "/sipdp/lcores", "lcore roles, busy %, cycles per message"},
	{"reload", "/sipdp/reload", "reload the configuration file"},
	{"capture", "/sipdp/capture", "packet capture: [status | start FILE.pcapng [N] | stop]"},
	{"log", "/sipdp/log", "log levels per component; COMPONENT LEVEL sets one"},
	{"raw", NULL, "send ARG (an endpoint, e.g. /ethdev/list) as it is"},
};

static void
ctl_usage(FILE *f)
{
	fprintf(f, "usage: sipdp-ctl [--prefix P | --socket PATH] [--json] COMMAND [ARG...]\n\n"
		   "  --prefix P     the sipdp's EAL --file-prefix (default \"%s\")\n"
		   "  --socket PATH  the telemetry socket itself\n"
		   "  --json         print the answer as JSON\n\ncommands:\n",
		CTL_DEFAULT_PREFIX);
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", ctl_cmds[i].name, ctl_cmds[i].help);
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* One datagram; the telemetry library never splits an answer. */
static json_object *
ctl_recv_json(int fd, char *buf, size_t cap, const char **why)
{
	ssize_t n = recv(fd, buf, cap - 1, 0);
	json_object *o;

	if (n <= 0) {
		*why = n == 0 ? "connection closed" : strerror(errno);
		return NULL;
	}
	buf[n] = '\0';
	o = json_tokener_parse(buf);
	if (o == NULL)
		*why = "the answer is not JSON";
	return o;
}

static bool
ctl_is_scalar(json_object *o)
{
	return !json_object_is_type(o, json_type_object) && !json_object_is_type(o, json_type_array);
}

static const char *
ctl_scalar_str(json_object *o)
{
	return o == NULL ? "-" : json_object_get_string(o);
}

/* An object whose every value is an object of scalars: print as a table. */
static bool
ctl_is_table(json_object *o)
{
	size_t cols = 0;

	if (!json_object_is_type(o, json_type_object) || json_object_object_length(o) < 1)
		return false;
	json_object_object_foreach(o, k, v) {
		(void)k;
		if (!json_object_is_type(v, json_type_object) || ++cols > CTL_MAX_COLS)
			return false;
		json_object_object_foreach(v, k2, v2) {
			(void)k2;
			if (!ctl_is_scalar(v2))
				return false;
		}
	}
	return true;
}

static void
ctl_print_table(json_object *o)
{
	const char *rows[CTL_MAX_ROWS];
	const char *cols[CTL_MAX_COLS];
	size_t nrows = 0, ncols = 0, w0 = 0, w[CTL_MAX_COLS];

	json_object_object_foreach(o, ck, cv) {
		cols[ncols] = ck;
		w[ncols] = strlen(ck);
		json_object_object_foreach(cv, rk, rv) {
			size_t i;

			for (i = 0; i < nrows && strcmp(rows[i], rk) != 0; i++)
				;
			if (i == nrows && nrows < CTL_MAX_ROWS)
				rows[nrows++] = rk;
			if (strlen(json_object_get_string(rv)) > w[ncols])
				w[ncols] = strlen(json_object_get_string(rv));
		}
		ncols++;
	}
	for (size_t r = 0; r < nrows; r++)
		if (strlen(rows[r]) > w0)
			w0 = strlen(rows[r]);
	printf("%-*s", (int)w0, "");
	for (size_t c = 0; c < ncols; c++)
		printf("  %*s", (int)w[c], cols[c]);
	putchar('\n');
	for (size_t r = 0; r < nrows; r++) {
		printf("%-*s", (int)w0, rows[r]);
		for (size_t c = 0; c < ncols; c++) {
			json_object *col = json_object_object_get(o, cols[c]), *v = NULL;

			json_object_object_get_ex(col, rows[r], &v);
			printf("  %*s", (int)w[c], ctl_scalar_str(v));
		}
		putchar('\n');
	}
}

/* A table whose columns are numbered entries ("0", "1", ...: a sample of
 * records) reads better with a row per entry and a column per field. */
static bool
ctl_is_numbered(json_object *o)
{
	json_object_object_foreach(o, k, v) {
		(void)v;
		if (k[0] == '\0' || strspn(k, "0123456789") != strlen(k))
			return false;
	}
	return true;
}

static void
ctl_print_rows(json_object *o)
{
	const char *cols[CTL_MAX_COLS];
	size_t ncols = 0, w[CTL_MAX_COLS], w0 = 1;

	json_object_object_foreach(o, rk, rv) {
		if (strlen(rk) > w0)
			w0 = strlen(rk);
		json_object_object_foreach(rv, ck, cv) {
			size_t i;

			for (i = 0; i < ncols && strcmp(cols[i], ck) != 0; i++)
				;
			if (i == ncols) {
				if (ncols == CTL_MAX_COLS)
					continue;
				cols[ncols] = ck;
				w[ncols++] = strlen(ck);
			}
			if (strlen(json_object_get_string(cv)) > w[i])
				w[i] = strlen(json_object_get_string(cv));
		}
	}
	printf("%-*s", (int)w0, "#");
	for (size_t c = 0; c < ncols; c++)
		printf("  %-*s", (int)w[c], cols[c]);
	putchar('\n');
	json_object_object_foreach(o, rk2, rv2) {
		printf("%-*s", (int)w0, rk2);
		for (size_t c = 0; c < ncols; c++) {
			json_object *v = NULL;

			json_object_object_get_ex(rv2, cols[c], &v);
			printf("  %-*s", (int)w[c], ctl_scalar_str(v));
		}
		putchar('\n');
	}
}

/* Dotted keys: first pass measures, second prints. */
static void
ctl_flatten(json_object *o, char *key, size_t klen, size_t cap, size_t *width, bool print)
{
	if (ctl_is_scalar(o)) {
		if (print)
			printf("%-*s  %s\n", (int)*width, klen ? key : "value", ctl_scalar_str(o));
		else if (klen > *width)
			*width = klen;
		return;
	}
	if (json_object_is_type(o, json_type_array)) {
		size_t n = json_object_array_length(o);

		for (size_t i = 0; i < n; i++) {
			int m = snprintf(key + klen, cap - klen, "%s%zu", klen ? "." : "", i);

			if (m > 0 && (size_t)m < cap - klen)
				ctl_flatten(json_object_array_get_idx(o, i), key, klen + m, cap, width, print);
			key[klen] = '\0';
		}
		return;
	}
	json_object_object_foreach(o, k, v) {
		int m = snprintf(key + klen, cap - klen, "%s%s", klen ? "." : "", k);

		if (m > 0 && (size_t)m < cap - klen)
			ctl_flatten(v, key, klen + m, cap, width, print);
		key[klen] = '\0';
	}
}

static bool
ctl_is_flat_object(json_object *o)
{
	if (!json_object_is_type(o, json_type_object) || json_object_object_length(o) < 1)
		return false;
	json_object_object_foreach(o, k, v) {
		(void)k;
		if (!ctl_is_scalar(v))
			return false;
	}
	return true;
}

/*
 * An object is printed in three parts: its scalars (and anything deeper
 * than a table) as dotted keys; its members that are flat objects
 * ("total", "worker0", ...) side by side as one table, a column each;
 * its members that are themselves tables as a titled table each.
 */
static void
ctl_print_plain(json_object *o)
{
	char key[512] = "";
	size_t width = 0;
	json_object *rest, *cols;

	if (!json_object_is_type(o, json_type_object)) {
		ctl_flatten(o, key, 0, sizeof(key), &width, false);
		ctl_flatten(o, key, 0, sizeof(key), &width, true);
		return;
	}
	if (ctl_is_table(o)) {
		ctl_print_table(o);
		return;
	}
	rest = json_object_new_object();
	cols = json_object_new_object();
	json_object_object_foreach(o, k, v) {
		if (ctl_is_flat_object(v))
			json_object_object_add(cols, k, json_object_get(v));
		else if (!ctl_is_table(v))
			json_object_object_add(rest, k, json_object_get(v));
	}
	if (json_object_object_length(rest) > 0) {
		ctl_flatten(rest, key, 0, sizeof(key), &width, false);
		ctl_flatten(rest, key, 0, sizeof(key), &width, true);
	}
	if (json_object_object_length(cols) > 0) {
		if (json_object_object_length(rest) > 0)
			putchar('\n');
		ctl_print_table(cols);
	}
	json_object_object_foreach(o, k2, v2) {
		if (!ctl_is_flat_object(v2) && ctl_is_table(v2)) {
			printf("\n%s:\n", k2);
			if (ctl_is_numbered(v2))
				ctl_print_rows(v2);
			else
				ctl_print_table(v2);
		}
	}
	json_object_put(rest);
	json_object_put(cols);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"prefix", required_argument, NULL, 'p'},
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *prefix = CTL_DEFAULT_PREFIX, *sock = NULL, *why = NULL;
	const char *endpoint = NULL;
	char path[256], cmd[256];
	bool json = false;
	json_object *greet, *reply, *value;
	char *buf;
	int c, fd;

	while ((c = getopt_long(argc, argv, "p:s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': prefix = optarg; break;
		case 's': sock = optarg; break;
		case 'j': json = true; break;
		case 'h': ctl_usage(stdout); return 0;
		default: ctl_usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		ctl_usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (strcmp(argv[optind], ctl_cmds[i].name) == 0)
			endpoint = ctl_cmds[i].endpoint ? ctl_cmds[i].endpoint : "";
	if (endpoint == NULL) {
		fprintf(stderr, "sipdp-ctl: unknown command '%s'\n", argv[optind]);
		ctl_usage(stderr);
		return 2;
	}
	if (*endpoint == '\0') { /* raw */
		if (optind + 1 >= argc || argv[optind + 1][0] != '/') {
			fprintf(stderr, "sipdp-ctl: raw needs an endpoint such as /ethdev/list\n");
			return 2;
		}
		snprintf(cmd, sizeof(cmd), "%s", argv[optind + 1]);
	} else if (optind + 1 < argc) {
		size_t n = (size_t)snprintf(cmd, sizeof(cmd), "%s", endpoint);

		for (int i = optind + 1; i < argc && n < sizeof(cmd); i++)
			n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, ",%s", argv[i]);
		if (n >= sizeof(cmd)) {
			fprintf(stderr, "sipdp-ctl: parameters too long\n");
			return 2;
		}
	} else {
		snprintf(cmd, sizeof(cmd), "%s", endpoint);
	}
	if (sock == NULL) {
		snprintf(path, sizeof(path), "/var/run/dpdk/%s/dpdk_telemetry.v2", prefix);
		sock = path;
	}
	fd = ctl_connect(sock);
	if (fd < 0) {
		fprintf(stderr, "sipdp-ctl: cannot reach sipdp at %s: %s (is it running, with --file-prefix %s?)\n",
			sock, strerror(-fd), prefix);
		return 1;
	}
	buf = malloc(CTL_MAX_REPLY);
	if (buf == NULL) {
		close(fd);
		return 1;
	}
	greet = ctl_recv_json(fd, buf, CTL_MAX_REPLY, &why);
	if (greet == NULL || send(fd, cmd, strlen(cmd), 0) < 0 ||
	    (reply = ctl_recv_json(fd, buf, CTL_MAX_REPLY, &why)) == NULL) {
		fprintf(stderr, "sipdp-ctl: %s: %s\n", sock, why ? why : strerror(errno));
		json_object_put(greet);
		free(buf);
		close(fd);
		return 1;
	}
	json_object_put(greet);
	close(fd);
	free(buf);
	/* The answer is {"<command>": value}; null means no such endpoint. */
	value = NULL;
	if (json_object_is_type(reply, json_type_object) && json_object_object_length(reply) == 1) {
		json_object_object_foreach(reply, k, v) {
			(void)k;
			value = v;
		}
	}
	if (value == NULL) {
		fprintf(stderr, "sipdp-ctl: '%s' is not known to this sipdp\n", cmd);
		json_object_put(reply);
		return 1;
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(value, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		ctl_print_plain(value);
	/* reload answers {"status": "ok"|"error", ...}: make that the exit code. */
	c = 0;
	if (json_object_is_type(value, json_type_object)) {
		json_object *st = NULL;

		if (json_object_object_get_ex(value, "status", &st) &&
		    json_object_is_type(st, json_type_string) && strcmp(json_object_get_string(st), "ok") != 0)
			c = 1;
	}
	json_object_put(reply);
	return c;
}
