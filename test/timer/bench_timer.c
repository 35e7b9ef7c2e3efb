/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Micro-benchmark of the timing wheel (not a test: it reads the wall clock).
 * Each figure is the best of 5 rounds, each on a fresh wheel, since the dev
 * machines are shared. Tick 1 ms; timers due uniformly in 0.5..32 s (the
 * span of Timers A..F). Prints ns for:
 *   start+stop, hot    start then stop at once (one entry, all in cache)
 *   start+stop, bulk   n timers started, then all stopped in random order
 *   start+expire       n timers started, then expire() every 1 ms until all
 *                      fired (cascades and the callback included)
 *   expire, idle       one expire() call that finds nothing due
 *   steady state       each 1 ms tick starts n/16250 timers and expires the
 *                      due ones (n armed on average), per timer
 * Usage: bench_timer [n]   (default 100000)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sipdp_timer.h"

#define ROUNDS 5
#define T0     UINT64_C(1000000000)
#define SPAN   UINT64_C(31500000)

static uint64_t
ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static void
count_cb(void *arg, const struct sipdp_timer_event *ev)
{
	*(uint64_t *)arg += ev->user + 1;
}

static struct sipdp_timer_wheel *
mk(uint32_t n)
{
	struct sipdp_timer_params p = { .capacity = n, .tick_us = 1000 };
	struct sipdp_timer_wheel *w = NULL;

	if (sipdp_timer_create(&p, T0, &w) != 0)
		exit(1);
	return w;
}

struct fig {
	double hot, start, stop, exp_start, exp_fire, idle, steady;
};

static void
round_once(uint32_t n, uint64_t *exp, sipdp_timer_handle_t *h, uint64_t seed, struct fig *f)
{
	struct sipdp_timer_wheel *w = mk(n);
	uint64_t ns, sum = 0, t;
	uint32_t k = n / 16250 ? n / 16250 : 1, started = 0;

	ns = ns_now();
	for (uint32_t i = 0; i < n; i++) {
		sipdp_timer_start(w, exp[i], i, 1, &h[0]);
		sipdp_timer_stop(w, h[0]);
	}
	f->hot = (double)(ns_now() - ns) / n;

	ns = ns_now();
	for (uint32_t i = 0; i < n; i++)
		sipdp_timer_start(w, exp[i], i, 1, &h[i]);
	f->start = (double)(ns_now() - ns) / n;
	for (uint32_t i = n - 1; i > 0; i--) { /* Fisher-Yates: stop in random order */
		uint32_t j = (uint32_t)(rng_next(&seed) % (i + 1));
		sipdp_timer_handle_t x = h[i];

		h[i] = h[j];
		h[j] = x;
	}
	ns = ns_now();
	for (uint32_t i = 0; i < n; i++)
		sipdp_timer_stop(w, h[i]);
	f->stop = (double)(ns_now() - ns) / n;
	sipdp_timer_destroy(w);

	w = mk(n);
	ns = ns_now();
	for (uint32_t i = 0; i < n; i++)
		sipdp_timer_start(w, exp[i], i, 1, NULL);
	f->exp_start = (double)(ns_now() - ns) / n;
	ns = ns_now();
	for (t = T0; t <= T0 + 33000000; t += 1000)
		sipdp_timer_expire(w, t, count_cb, &sum, SIPDP_TIMER_EXPIRE_ALL);
	f->exp_fire = (double)(ns_now() - ns) / n;
	if (sum != (uint64_t)n * (n + 1) / 2 || sipdp_timer_count(w) != 0)
		exit(2);

	/* idle: one armed timer far away, 1M calls that find nothing */
	sipdp_timer_start(w, t + 3600000000u, 0, 1, NULL);
	ns = ns_now();
	for (uint32_t i = 0; i < 1000000; i++, t += 1000)
		sipdp_timer_expire(w, t, count_cb, &sum, SIPDP_TIMER_EXPIRE_ALL);
	f->idle = (double)(ns_now() - ns) / 1000000;
	sipdp_timer_destroy(w);

	w = mk(n + n / 8);
	for (t = T0; t < T0 + 33000000; t += 1000) { /* warm up to the steady population */
		for (uint32_t j = 0; j < k; j++)
			sipdp_timer_start(w, t + 500000 + rng_next(&seed) % SPAN, 0, 1, NULL);
		sipdp_timer_expire(w, t, count_cb, &sum, SIPDP_TIMER_EXPIRE_ALL);
	}
	ns = ns_now();
	for (uint64_t end = t + 30000000; t < end; t += 1000) {
		for (uint32_t j = 0; j < k; j++)
			sipdp_timer_start(w, t + 500000 + rng_next(&seed) % SPAN, 0, 1, NULL);
		started += k;
		sipdp_timer_expire(w, t, count_cb, &sum, SIPDP_TIMER_EXPIRE_ALL);
	}
	f->steady = (double)(ns_now() - ns) / started;
	sipdp_timer_destroy(w);
}

#define BEST(field) best.field = r == 0 || f.field < best.field ? f.field : best.field

int
main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 100000;
	sipdp_timer_handle_t *h = malloc(sizeof(*h) * (n ? n : 1));
	uint64_t *exp = malloc(sizeof(*exp) * (n ? n : 1));
	uint64_t seed = 42;
	struct fig f, best = { 0 };

	if (n == 0 || n > SIPDP_TIMER_CAPACITY_MAX / 2 || h == NULL || exp == NULL)
		return 1;
	for (uint32_t i = 0; i < n; i++)
		exp[i] = T0 + 500000 + rng_next(&seed) % SPAN;
	for (int r = 0; r < ROUNDS; r++) {
		round_once(n, exp, h, seed + (uint64_t)r, &f);
		BEST(hot);
		BEST(start);
		BEST(stop);
		BEST(exp_start);
		BEST(exp_fire);
		BEST(idle);
		BEST(steady);
	}
	printf("timer wheel, %" PRIu32 " timers, tick 1 ms, due 0.5..32 s, best of %d\n", n, ROUNDS);
	printf("  start+stop, hot   %7.1f ns/pair\n", best.hot);
	printf("  start+stop, bulk  %7.1f ns/pair (start %.1f, stop %.1f)\n",
	       best.start + best.stop, best.start, best.stop);
	printf("  start+expire      %7.1f ns/timer (start %.1f, expire %.1f)\n",
	       best.exp_start + best.exp_fire, best.exp_start, best.exp_fire);
	printf("  expire, idle      %7.1f ns/call\n", best.idle);
	printf("  steady state      %7.1f ns/timer started and fired\n", best.steady);
	free(h);
	free(exp);
	return 0;
}
