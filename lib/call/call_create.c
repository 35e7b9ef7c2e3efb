/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Creation, teardown, counters and the operator dump of a shard's bridges.
 * Everything a bridge will use is allocated here, once.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "call_pvt.h"

int
sipdp_call_create(const struct sipdp_call_params *params, struct sipdp_call **out)
{
	struct sipdp_pool_params pp;
	struct sipdp_timer_params tp;
	struct sipdp_call *c;
	uint32_t setups;

	if (params == NULL || out == NULL || params->ua == NULL || params->bridges == 0 ||
	    params->bridges >= CALL_MAX_BRIDGES ||
	    (params->setup_bytes != 0 && params->setup_bytes < 1024))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->p = *params;
	c->ua = params->ua;
	if (c->p.setup_bytes == 0)
		c->p.setup_bytes = 4096;
	if (c->p.retry_after_s == 0)
		c->p.retry_after_s = 5;
	setups = c->p.setups ? c->p.setups : params->bridges / 4;
	if (setups < 16)
		setups = 16;
	c->p.setups = setups;
	c->rng = params->seed | 1;

	pp.capacity = params->bridges;
	pp.elt_size = sizeof(struct call_bridge);
	if (sipdp_pool_create(&pp, &c->bridges) != 0)
		goto fail;
	pp.capacity = setups;
	pp.elt_size = (uint32_t)sizeof(struct call_setup) + c->p.setup_bytes;
	if (sipdp_pool_create(&pp, &c->setups) != 0)
		goto fail;
	/* Three timers per bridge (ring, answer, duration) and one probe per
	 * health slot: the wheel can never be the reason a call fails. */
	tp.capacity = params->bridges * 3 + CALL_HEALTH_SLOTS + 16;
	tp.tick_us = 1000;
	if (sipdp_timer_create(&tp, params->now_us, &c->wheel) != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	sipdp_call_destroy(c);
	return -ENOMEM;
}

void
sipdp_call_destroy(struct sipdp_call *c)
{
	if (c == NULL)
		return;
	sipdp_timer_destroy(c->wheel);
	sipdp_pool_destroy(c->setups);
	sipdp_pool_destroy(c->bridges);
	free(c);
}

const struct sipdp_call_stats *
sipdp_call_stats(const struct sipdp_call *c)
{
	return &c->st;
}

uint32_t
sipdp_call_count(const struct sipdp_call *c)
{
	return sipdp_pool_in_use(c->bridges);
}

size_t
sipdp_call_bytes_per_bridge(const struct sipdp_call *c)
{
	/* The record and its pool bookkeeping, plus its three timer slots
	 * (a wheel entry is well under 64 bytes). */
	return sipdp_pool_bytes_per_slot(c->bridges) + 3 * 48;
}

int
sipdp_call_target_state(const struct sipdp_call *c, const struct sipdp_cfg_target *t,
	struct sipdp_call_target_state *st)
{
	struct call_health *h = call_health_of((struct sipdp_call *)c, t, false);

	if (h == NULL)
		return -ENOENT;
	st->down = h->down;
	st->fails_in_row = h->fails;
	st->down_until_us = h->down_until_us;
	return 0;
}

uint8_t
sipdp_call_overload_step(uint8_t shed_pct, uint32_t full_polls, uint32_t short_polls,
	uint32_t busy_polls)
{
	if (busy_polls == 0)
		return 0;
	if (full_polls != 0 && short_polls == 0)
		return (uint8_t)(shed_pct > 90 ? 100 : shed_pct + 10);
	return (uint8_t)(shed_pct < 5 ? 0 : shed_pct - 5);
}

static const char *
state_str(uint8_t s)
{
	switch (s) {
	case CALL_SETUP: return "setup";
	case CALL_UP: return "up";
	case CALL_ENDING: return "ending";
	default: return "?";
	}
}

int
sipdp_call_dump(const struct sipdp_call *c, FILE *f)
{
	const struct sipdp_call_stats *s = &c->st;
	int rc = 0;

	rc |= fprintf(f, "bridges: %u live of %u, setups %u live of %u\n", sipdp_call_count(c),
		sipdp_pool_capacity(c->bridges), sipdp_pool_in_use(c->setups),
		sipdp_pool_capacity(c->setups)) < 0;
	rc |= fprintf(f, "  in %" PRIu64 " answered %" PRIu64 " failed %" PRIu64 " cancelled %" PRIu64
		" full_503 %" PRIu64 " all_down_503 %" PRIu64 " 483 %" PRIu64 " 482 %" PRIu64 "\n",
		s->bridges_in, s->bridges_answered, s->bridges_failed, s->bridges_cancelled,
		s->full_503, s->all_down_503, s->too_many_hops_483, s->loop_482) < 0;
	rc |= fprintf(f, "  failovers %" PRIu64 " ring_timeouts %" PRIu64 " answer_timeouts %" PRIu64
		" targets_down %" PRIu64 " targets_up %" PRIu64 " probes %" PRIu64 "/%" PRIu64 "/%" PRIu64
		"\n", s->failovers, s->ring_timeouts, s->answer_timeouts, s->targets_down,
		s->targets_up, s->probes_sent, s->probes_ok, s->probes_failed) < 0;
	rc |= fprintf(f, "  relayed %" PRIu64 "/%" PRIu64 " glare_491 %" PRIu64 " leg_died %" PRIu64
		" max_duration %" PRIu64 " refers %" PRIu64 " rejected %" PRIu64 " transfers %" PRIu64
		"/%" PRIu64 "\n", s->relayed_requests, s->relayed_responses, s->glare_491,
		s->leg_died, s->max_duration_ends, s->refers_terminated, s->refers_rejected,
		s->transfers_ok, s->transfers_failed) < 0;
	for (uint32_t i = 0; i < CALL_HEALTH_SLOTS; i++) {
		const struct call_health *h = &c->health[i];

		if (h->used)
			rc |= fprintf(f, "  target %s: %s, %u failures in a row\n", h->ruri,
				h->down ? "down" : "up", h->fails) < 0;
	}
	for (uint32_t i = 0; i < sipdp_pool_capacity(c->bridges); i++) {
		const struct call_bridge *b;

		if (!sipdp_pool_live(c->bridges, i, NULL))
			continue;
		b = sipdp_pool_at(c->bridges, i);
		rc |= fprintf(f, "  bridge %u: %s A %#" PRIx64 " B %#" PRIx64 " C %#" PRIx64
			" target %u best %u xfer %u\n", i, state_str(b->state), b->leg[0], b->leg[1],
			b->leg[2], b->cur_target, b->best_status, b->xfer_state) < 0;
	}
	return rc ? -EIO : 0;
}
