/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/dp unmap guard (dp_guard.c), with an EAL (--no-huge) so that the
 * EAL interrupt thread exists: its alarm callbacks run there, as
 * net_memif's disconnect does.
 *  - synchronize returns at once when every participant is offline, and
 *    when an online one keeps passing boundaries (another thread)
 *  - an online participant that never passes a boundary makes
 *    synchronize give up after its timeout, counted
 *  - slots are bounded (-ENOSPC) and reused after unregister
 *  - munmap() is this executable's (sipdp_dp_guard_active) and unmaps
 *  - munmap() from the interrupt thread while a participant is online
 *    waits for its boundary (link_guard_waits + 1); from any other thread
 *    it does not wait, even for a participant that never advances
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_alarm.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "sipdp_dp.h"
#include "sipdp_test.h"

/* A participant on its own thread that passes boundaries until told to stop. */
struct looper {
	pthread_t t;
	atomic_bool online, stop;
	unsigned slot;
};

static void *
looper_main(void *arg)
{
	struct looper *l = arg;

	if (sipdp_dp_guard_register(&l->slot) != 0)
		return NULL;
	sipdp_dp_guard_online(l->slot);
	atomic_store(&l->online, true);
	while (!atomic_load(&l->stop)) {
		sipdp_dp_guard_quiescent(l->slot);
		sched_yield();
	}
	sipdp_dp_guard_unregister(l->slot);
	return NULL;
}

static void
looper_start(struct looper *l)
{
	memset(l, 0, sizeof(*l));
	CU_ASSERT_FATAL(pthread_create(&l->t, NULL, looper_main, l) == 0);
	while (!atomic_load(&l->online))
		sched_yield();
}

static void
looper_stop(struct looper *l)
{
	atomic_store(&l->stop, true);
	pthread_join(l->t, NULL);
}

static void
test_synchronize_returns_when_all_offline(void)
{
	unsigned a, b;

	CU_ASSERT_FATAL(sipdp_dp_guard_register(&a) == 0);
	CU_ASSERT_FATAL(sipdp_dp_guard_register(&b) == 0);
	CU_ASSERT_EQUAL(sipdp_dp_guard_synchronize(0), 0);
	sipdp_dp_guard_online(a);
	sipdp_dp_guard_offline(a);
	CU_ASSERT_EQUAL(sipdp_dp_guard_synchronize(0), 0);
	sipdp_dp_guard_unregister(a);
	sipdp_dp_guard_unregister(b);
}

static void
test_synchronize_waits_for_a_looping_participant(void)
{
	struct looper l;

	looper_start(&l);
	/* Bounded: the looper passes a boundary each time it is scheduled. */
	CU_ASSERT_EQUAL(sipdp_dp_guard_synchronize(60000), 0);
	looper_stop(&l);
}

static void
test_stuck_participant_times_out_counted(void)
{
	struct sipdp_dp_guard_stats before, after;
	unsigned a;

	sipdp_dp_guard_stats_get(&before);
	CU_ASSERT_FATAL(sipdp_dp_guard_register(&a) == 0);
	sipdp_dp_guard_online(a);
	CU_ASSERT_EQUAL(sipdp_dp_guard_synchronize(20), -ETIMEDOUT);
	/* A boundary after the snapshot is what it waits for. */
	sipdp_dp_guard_quiescent(a);
	CU_ASSERT_EQUAL(sipdp_dp_guard_synchronize(0), -ETIMEDOUT);
	sipdp_dp_guard_unregister(a);
	CU_ASSERT_EQUAL(sipdp_dp_guard_synchronize(0), 0);
	sipdp_dp_guard_stats_get(&after);
	CU_ASSERT_EQUAL(after.timeouts, before.timeouts + 2);
}

static void
test_slots_bounded_and_reused(void)
{
	unsigned s[SIPDP_DP_GUARD_MAX], extra;
	unsigned n = 0;

	while (n < SIPDP_DP_GUARD_MAX && sipdp_dp_guard_register(&s[n]) == 0)
		n++;
	CU_ASSERT_EQUAL(n, SIPDP_DP_GUARD_MAX);
	CU_ASSERT_EQUAL(sipdp_dp_guard_register(&extra), -ENOSPC);
	sipdp_dp_guard_unregister(s[7]);
	CU_ASSERT_EQUAL(sipdp_dp_guard_register(&extra), 0);
	CU_ASSERT_EQUAL(extra, s[7]);
	s[7] = extra;
	for (unsigned i = 0; i < n; i++)
		sipdp_dp_guard_unregister(s[i]);
}

static void
test_munmap_is_ours_and_unmaps(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char vec;
	void *p;

	CU_ASSERT(sipdp_dp_guard_active());
	p = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(p != MAP_FAILED);
	CU_ASSERT_EQUAL(munmap(p, (size_t)pg), 0);
	/* mincore on an unmapped range: ENOMEM. */
	CU_ASSERT_EQUAL(mincore(p, (size_t)pg, &vec), -1);
	CU_ASSERT_EQUAL(errno, ENOMEM);
}

/* Runs in the EAL interrupt thread. */
struct intr_unmap {
	atomic_bool done;
	int rc;
};

static void
intr_unmap_cb(void *arg)
{
	struct intr_unmap *u = arg;
	long pg = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	u->rc = p == MAP_FAILED ? -1 : munmap(p, (size_t)pg);
	atomic_store(&u->done, true);
}

static int
unmap_in_intr_thread(void)
{
	struct intr_unmap u = { .rc = -2 };

	if (rte_eal_alarm_set(1, intr_unmap_cb, &u) != 0)
		return -3;
	while (!atomic_load(&u.done))
		usleep(100);
	return u.rc;
}

static void
test_intr_thread_munmap_waits_for_boundary(void)
{
	struct sipdp_dp_guard_stats before, after;
	struct looper l;

	sipdp_dp_guard_stats_get(&before);
	CU_ASSERT_EQUAL(unmap_in_intr_thread(), 0); /* nobody online: no wait */
	sipdp_dp_guard_stats_get(&after);
	CU_ASSERT_EQUAL(after.waits, before.waits);
	looper_start(&l);
	CU_ASSERT_EQUAL(unmap_in_intr_thread(), 0);
	sipdp_dp_guard_stats_get(&after);
	CU_ASSERT_EQUAL(after.waits, before.waits + 1);
	CU_ASSERT_EQUAL(after.timeouts, before.timeouts);
	looper_stop(&l);
}

static void
test_other_threads_munmap_never_waits(void)
{
	struct sipdp_dp_guard_stats before, after;
	long pg = sysconf(_SC_PAGESIZE);
	unsigned a;
	void *p;

	CU_ASSERT_FATAL(sipdp_dp_guard_register(&a) == 0);
	sipdp_dp_guard_online(a); /* never advances */
	sipdp_dp_guard_stats_get(&before);
	p = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(p != MAP_FAILED);
	CU_ASSERT_EQUAL(munmap(p, (size_t)pg), 0);
	sipdp_dp_guard_stats_get(&after);
	CU_ASSERT_EQUAL(after.waits, before.waits);
	CU_ASSERT_EQUAL(after.timeouts, before.timeouts);
	sipdp_dp_guard_unregister(a);
}

static struct sipdp_test_case cases[] = {
	{ "synchronize_returns_when_all_offline", test_synchronize_returns_when_all_offline },
	{ "synchronize_waits_for_a_looping_participant",
	  test_synchronize_waits_for_a_looping_participant },
	{ "stuck_participant_times_out_counted", test_stuck_participant_times_out_counted },
	{ "slots_bounded_and_reused", test_slots_bounded_and_reused },
	{ "munmap_is_ours_and_unmaps", test_munmap_is_ours_and_unmaps },
	{ "intr_thread_munmap_waits_for_boundary", test_intr_thread_munmap_waits_for_boundary },
	{ "other_threads_munmap_never_waits", test_other_threads_munmap_never_waits },
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	char prefix[64];

	(void)argc;
	snprintf(prefix, sizeof(prefix), "--file-prefix=sipdp-test-guard-%d", (int)getpid());
	char *eal[] = { argv[0], "--no-huge", "--no-pci", prefix, "-m", "64",
		"--log-level=error", "--no-telemetry", NULL };

	if (rte_eal_init((int)SIPDP_ARRAY_SIZE(eal) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed (%s): skipping\n", rte_strerror(rte_errno));
		return 77;
	}
	int rc = sipdp_test_run("dp_guard", cases);

	rte_eal_cleanup();
	return rc;
}
