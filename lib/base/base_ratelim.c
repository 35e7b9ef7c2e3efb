/* SPDX-License-Identifier: BSD-3-Clause */
/* Token bucket (sipdp_ratelim.h). Runs on error paths of the workers. */
#include <stddef.h>

#include "sipdp_ratelim.h"

#define RL_ONE 1000000ull /* one event in bucket units: one token per us at 1/s */

void
sipdp_ratelim_init(struct sipdp_ratelim *rl, uint32_t rate, uint32_t burst, uint64_t now_us)
{
	rl->rate = rate;
	rl->burst = burst ? burst : 1;
	rl->cap = (uint64_t)rl->burst * RL_ONE;
	rl->tokens = rl->cap;
	rl->last_us = now_us;
	rl->suppressed = 0;
	rl->suppressed_total = 0;
}

bool
sipdp_ratelim_take(struct sipdp_ratelim *rl, uint64_t now_us, uint64_t *suppressed)
{
	if (now_us > rl->last_us) {
		uint64_t dt = now_us - rl->last_us;

		/* rate tokens per second = rate bucket units per us; an hour
		 * without events fills any bucket, so cap dt before multiplying. */
		if (dt > 3600ull * RL_ONE)
			dt = 3600ull * RL_ONE;
		rl->tokens += dt * rl->rate;
		if (rl->tokens > rl->cap)
			rl->tokens = rl->cap;
		rl->last_us = now_us;
	}
	if (rl->tokens < RL_ONE) {
		rl->suppressed++;
		rl->suppressed_total++;
		return false;
	}
	rl->tokens -= RL_ONE;
	if (suppressed != NULL)
		*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}
