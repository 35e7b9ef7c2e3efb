/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipdp's own command line (what follows "--") and the --check behaviour,
 * kept here so that both are unit tested without EAL. No getopt: it keeps
 * its position in globals (optind), and the rule is no global mutable state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_pvt.h"

static int
cfg_usage(FILE *err, const char *prog, const char *why, const char *arg)
{
	if (err == NULL)
		return -EINVAL;
	if (why != NULL)
		fprintf(err, "%s: %s%s%s\n", prog, why, arg ? ": " : "", arg ? arg : "");
	fprintf(err, "usage: %s [EAL options] -- --config FILE [--check [-v]]\n"
		"  --config FILE  the YAML configuration (docs/configuration.md)\n"
		"  --check        validate FILE, print every error, exit 0 (valid) or 1\n"
		"  -v, --verbose  with --check: print the effective configuration\n"
		"  --exit-when-done  stop once the calls: section made all its calls\n",
		prog);
	return -EINVAL;
}

int
sipdp_cfg_args_parse(int argc, char *const argv[], struct sipdp_cfg_args *args, FILE *err)
{
	const char *prog = argc > 0 && argv[0] != NULL ? argv[0] : "sipdp";

	memset(args, 0, sizeof(*args));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--config") == 0) {
			if (i + 1 >= argc || argv[i + 1][0] == '\0')
				return cfg_usage(err, prog, "--config needs a file name", NULL);
			args->config = argv[++i];
		} else if (strncmp(a, "--config=", 9) == 0 && a[9] != '\0') {
			args->config = a + 9;
		} else if (strcmp(a, "--check") == 0) {
			args->check = true;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			args->verbose = true;
		} else if (strcmp(a, "--exit-when-done") == 0) {
			args->exit_when_done = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cfg_usage(err, prog, NULL, NULL);
			return -ECANCELED;
		} else {
			return cfg_usage(err, prog, "unknown option", a);
		}
	}
	if (args->config == NULL)
		return cfg_usage(err, prog, "--config FILE is required", NULL);
	return 0;
}

int
sipdp_cfg_check_file(const char *path, bool verbose, FILE *out, FILE *err)
{
	struct sipdp_cfg_errors *errs = calloc(1, sizeof(*errs));
	struct sipdp_cfg *cfg = NULL;

	if (errs == NULL) {
		fprintf(err, "%s: out of memory\n", path);
		return 1;
	}
	int rc = sipdp_cfg_load_file(path, &cfg, errs);
	if (rc != 0) {
		if (errs->count == 0 && errs->dropped == 0)
			fprintf(err, "%s: %s\n", path, strerror(-rc));
		else
			sipdp_cfg_errors_print(err, errs, path);
		free(errs);
		return 1;
	}
	free(errs);
	if (verbose)
		sipdp_cfg_dump(out, cfg);
	fprintf(out, "%s: ok (%u port%s, %u worker%s, %u polic%s%s)\n", path,
		cfg->nb_ports, cfg->nb_ports == 1 ? "" : "s",
		cfg->lcores.nb_workers, cfg->lcores.nb_workers == 1 ? "" : "s",
		cfg->nb_rules, cfg->nb_rules == 1 ? "y rule" : "y rules",
		cfg->calls.enabled ? ", calls" : "");
	sipdp_cfg_free(cfg);
	return 0;
}
