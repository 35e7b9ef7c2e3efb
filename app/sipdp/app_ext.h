/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_APP_EXT_H
#define SIPDP_APP_EXT_H

/* The appliance's reload and calls: report, called from main.c's control
 * loop. Everything here runs on the control lcore, except the telemetry
 * callback, which only posts a request and waits for its answer. */

#include <stdbool.h>

#include "sipdp_cfg.h"
#include "sipdp_shard.h"

/**
 * Remember what a reload needs and register /sipdp/reload. @p path and
 * @p boot (the config the process started with) outlive the shard.
 * @return 0 or -errno of the registration.
 */
int sipdp_app_reload_init(struct sipdp_shard *s, const char *path, const struct sipdp_cfg *boot);

/**
 * Run a reload if SIGHUP (@p hup) or sipdp-ctl asked for one: load and
 * validate the file, check it can replace the running one, publish it.
 * Logs the outcome. @return true when a reload was attempted.
 */
bool sipdp_app_reload_poll(bool hup);

/** Forget the shard (before it is destroyed): later requests get an error. */
void sipdp_app_reload_fini(void);

/**
 * calls: report: once the generator is done, print the summary line (once).
 * @return true when there is a generator and it is done.
 */
bool sipdp_app_calls_poll(struct sipdp_shard *s);

/** Print the summary line now (at exit, when not printed yet). */
void sipdp_app_calls_final(struct sipdp_shard *s);

#endif /* SIPDP_APP_EXT_H */
