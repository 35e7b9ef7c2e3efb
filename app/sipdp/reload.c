/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Config reload without restart: SIGHUP or `sipdp-ctl reload`
 * (/sipdp/reload). The work is done on the control lcore, the only thread
 * that publishes snapshots and frees retired ones; the telemetry thread
 * posts a request and waits (bounded) for the answer.
 *
 * A reload loads the whole file again (sipdp_cfg_load_file), checks that
 * only reloadable sections changed (sipdp_cfg_reload_check against the
 * config the process started with: ports, lcores, sip and limits never
 * change), compiles the new policy and publishes it
 * (sipdp_shard_reload). Any failure leaves the running snapshot in place
 * and says why: the first error as file:line:col: key: message.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>
#include <rte_telemetry.h>

#include "app_ext.h"
#include "sipdp_log.h"

#define APP_LOG(lvl, ...) RTE_LOG(lvl, USER1, "sipdp: " __VA_ARGS__)
#define RELOAD_WAIT_MS 10000
#define RELOAD_ERR_LEN 384

/* DPDK 22.11 telemetry callbacks take no user pointer: what they need is
 * kept here, once per process. */
static struct {
	struct sipdp_shard *shard;
	const char *path;
	const struct sipdp_cfg *boot;
	unsigned long req;   /* requests posted (telemetry thread) */
	unsigned long done;  /* requests answered (control lcore) */
	int rc;
	char err[RELOAD_ERR_LEN];
} rl;

/* The first line of sipdp_cfg_errors_print()'s output. */
static void
first_error(const struct sipdp_cfg_errors *errs, const char *path, const char *what,
	char *out, size_t cap)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	out[0] = 0;
	if (f != NULL) {
		sipdp_cfg_errors_print(f, errs, path);
		fclose(f);
	}
	if (buf != NULL && len != 0) {
		char *nl = strchr(buf, '\n');

		if (nl != NULL)
			*nl = 0;
		snprintf(out, cap, "%s%s", what, buf);
	} else {
		snprintf(out, cap, "%s%s", what, path);
	}
	free(buf);
}

/* DPDK 22.11 telemetry strings hold 127 characters: the file's directory
 * would take most of them (the log line names the full path). */
static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

static int
reload_run(char *err, size_t cap)
{
	struct sipdp_cfg_errors *errs = calloc(1, sizeof(*errs));
	struct sipdp_cfg *next = NULL;
	int rc;

	err[0] = 0;
	if (errs == NULL) {
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	rc = sipdp_cfg_load_file(rl.path, &next, errs);
	if (rc != 0) {
		first_error(errs, base_name(rl.path), "", err, cap);
		goto out;
	}
	memset(errs, 0, sizeof(*errs));
	rc = sipdp_cfg_reload_check(rl.boot, next, errs);
	if (rc != 0) {
		first_error(errs, base_name(rl.path), "", err, cap);
		goto out;
	}
	rc = sipdp_shard_reload(rl.shard, next);
	if (rc != 0) {
		snprintf(err, cap, "%s: policy does not compile: %s", base_name(rl.path),
			strerror(-rc));
		goto out;
	}
	next = NULL; /* the shard owns it now */
	/* log levels are reloadable too */
	sipdp_log_apply_cfg(&sipdp_shard_cfg(rl.shard)->log);
out:
	sipdp_cfg_free(next);
	free(errs);
	return rc;
}

bool
sipdp_app_reload_poll(bool hup)
{
	unsigned long req = __atomic_load_n(&rl.req, __ATOMIC_ACQUIRE);
	int rc;

	if (rl.shard == NULL || (!hup && req == rl.done))
		return false;
	rc = reload_run(rl.err, sizeof(rl.err));
	sipdp_shard_reload_count(rl.shard, rc == 0);
	if (rc == 0) {
		const struct sipdp_cfg *c = sipdp_shard_cfg(rl.shard);

		printf("sipdp: reload (%s): ok: %s, %u policy rule(s)\n", hup ? "SIGHUP" : "ctl",
			rl.path, c->nb_rules);
	} else {
		printf("sipdp: reload (%s) of %s refused, nothing changed: %s\n",
			hup ? "SIGHUP" : "ctl", rl.path, rl.err);
	}
	fflush(stdout);
	rl.rc = rc;
	__atomic_store_n(&rl.done, req, __ATOMIC_RELEASE);
	return true;
}

/* JSON string content: the error text may hold quotes from the YAML. */
static void
json_safe(char *s)
{
	for (; *s != 0; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			*s = '\'';
}

static int
tel_reload(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static unsigned long busy; /* one request at a time */
	unsigned long mine;
	char err[RELOAD_ERR_LEN];
	int waited = 0;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	if (__atomic_load_n(&rl.shard, __ATOMIC_ACQUIRE) == NULL) {
		rte_tel_data_add_dict_string(d, "status", "error");
		rte_tel_data_add_dict_string(d, "error", "sipdp is stopping");
		return 0;
	}
	if (__atomic_exchange_n(&busy, 1, __ATOMIC_ACQ_REL) != 0) {
		rte_tel_data_add_dict_string(d, "status", "error");
		rte_tel_data_add_dict_string(d, "error", "another reload is running");
		return 0;
	}
	mine = __atomic_add_fetch(&rl.req, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&rl.done, __ATOMIC_ACQUIRE) < mine && waited < RELOAD_WAIT_MS) {
		usleep(1000);
		waited++;
	}
	if (__atomic_load_n(&rl.done, __ATOMIC_ACQUIRE) < mine) {
		rte_tel_data_add_dict_string(d, "status", "error");
		rte_tel_data_add_dict_string(d, "error", "the control lcore did not answer in 10 s");
	} else if (rl.rc == 0) {
		rte_tel_data_add_dict_string(d, "status", "ok");
	} else {
		snprintf(err, sizeof(err), "%s", rl.err);
		json_safe(err);
		rte_tel_data_add_dict_string(d, "status", "error");
		rte_tel_data_add_dict_string(d, "error", err);
	}
	__atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
	return 0;
}

int
sipdp_app_reload_init(struct sipdp_shard *s, const char *path, const struct sipdp_cfg *boot)
{
	rl.path = path;
	rl.boot = boot;
	__atomic_store_n(&rl.shard, s, __ATOMIC_RELEASE);
	return rte_telemetry_register_cmd("/sipdp/reload", tel_reload,
		"reload the configuration file: {\"status\":\"ok\"} or {\"status\":\"error\",\"error\":...}");
}

void
sipdp_app_reload_fini(void)
{
	__atomic_store_n(&rl.shard, NULL, __ATOMIC_RELEASE);
}
