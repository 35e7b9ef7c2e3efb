/* SPDX-License-Identifier: BSD-3-Clause */
/* The calls: generator's summary line, printed once when it is done. */

#include <stdio.h>

#include "app_ext.h"

static bool printed; /* control lcore only */

static void
summary(struct sipdp_shard *s, const struct sipdp_shard_calls *c)
{
	char line[512];

	(void)s;
	sipdp_shard_calls_summary(c, line, sizeof(line));
	printf("sipdp: %s\n", line);
	fflush(stdout);
	printed = true;
}

bool
sipdp_app_calls_poll(struct sipdp_shard *s)
{
	struct sipdp_shard_calls c;

	if (sipdp_shard_calls_get(s, &c) != 0 || !c.enabled || !c.done)
		return false;
	if (!printed)
		summary(s, &c);
	return true;
}

void
sipdp_app_calls_final(struct sipdp_shard *s)
{
	struct sipdp_shard_calls c;

	if (printed || sipdp_shard_calls_get(s, &c) != 0 || !c.enabled)
		return;
	summary(s, &c);
}
