/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus text exposition format 0.0.4: "# HELP", "# TYPE", then one
 * "name{labels} value" line per sample. Cold (control lcore, per scrape).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipdp_ctl_obs.h"

void
sipdp_ctl_prom_init(struct sipdp_ctl_prom *pr)
{
	memset(pr, 0, sizeof(*pr));
}

void
sipdp_ctl_prom_reset(struct sipdp_ctl_prom *pr)
{
	pr->len = 0;
	pr->err = 0;
}

void
sipdp_ctl_prom_free(struct sipdp_ctl_prom *pr)
{
	free(pr->p);
	sipdp_ctl_prom_init(pr);
}

static void __attribute__((format(printf, 2, 3)))
prom_printf(struct sipdp_ctl_prom *pr, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (pr->err != 0)
		return;
	for (;;) {
		size_t room = pr->cap - pr->len;

		va_start(ap, fmt);
		n = vsnprintf(pr->p != NULL ? pr->p + pr->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			pr->err = -EINVAL;
			return;
		}
		if ((size_t)n < room) {
			pr->len += (size_t)n;
			return;
		}
		size_t ncap = pr->cap ? pr->cap * 2 : 16384;
		while (ncap - pr->len <= (size_t)n)
			ncap *= 2;
		char *np = realloc(pr->p, ncap);
		if (np == NULL) {
			pr->err = -ENOMEM;
			return;
		}
		pr->p = np;
		pr->cap = ncap;
	}
}

void
sipdp_ctl_prom_family(struct sipdp_ctl_prom *pr, const char *name, const char *type,
	const char *help)
{
	prom_printf(pr, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
sipdp_ctl_prom_u64(struct sipdp_ctl_prom *pr, const char *name, const char *labels, uint64_t v)
{
	if (labels != NULL && labels[0] != '\0')
		prom_printf(pr, "%s{%s} %" PRIu64 "\n", name, labels, v);
	else
		prom_printf(pr, "%s %" PRIu64 "\n", name, v);
}

void
sipdp_ctl_prom_hist(struct sipdp_ctl_prom *pr, const char *name, const char *labels,
	const double *bounds, const uint64_t *counts, unsigned nb_bounds, double sum)
{
	const char *sep = labels != NULL && labels[0] != '\0' ? "," : "";
	const char *l = labels != NULL ? labels : "";
	uint64_t cum = 0;

	for (unsigned i = 0; i <= nb_bounds; i++) {
		cum += counts[i];
		if (i < nb_bounds)
			prom_printf(pr, "%s_bucket{%s%sle=\"%g\"} %" PRIu64 "\n", name, l, sep,
				bounds[i], cum);
		else
			prom_printf(pr, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, l, sep,
				cum);
	}
	if (l[0] != '\0') {
		prom_printf(pr, "%s_sum{%s} %.6f\n", name, l, sum);
		prom_printf(pr, "%s_count{%s} %" PRIu64 "\n", name, l, cum);
	} else {
		prom_printf(pr, "%s_sum %.6f\n", name, sum);
		prom_printf(pr, "%s_count %" PRIu64 "\n", name, cum);
	}
}
