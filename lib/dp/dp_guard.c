/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The unmap guard (sipdp_dp.h): a grace period between a PMD's teardown
 * in the EAL interrupt thread and the munmap() of the rings a worker may
 * be reading. Why it has to sit in munmap(): net_memif in DPDK 22.11
 * clears its CONNECTED flag and unmaps its regions within one call
 * (memif_disconnect, from memif_intr_handler), with no ethdev event in
 * between or before, so no callback of ours can run first; munmap() is
 * the one call of that path this executable can answer for, and the
 * flag is already cleared when it comes.
 *
 * Process-wide state on purpose: munmap() has no context argument.
 */

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_interrupts.h>
#include <rte_log.h>

#include "sipdp_dp.h"

#define DP_LOG(lvl, ...) RTE_LOG(lvl, USER1, "sipdp_dp: " __VA_ARGS__)

/* Counter of one participant: bit 0 set while online, + 2 at every
 * boundary, online and offline, so any change of value after a snapshot
 * means the participant passed a boundary or went offline. Written by its
 * thread only (plain read, seq_cst store); one cache line each. */
struct guard_slot {
	_Atomic uint64_t v;
	_Atomic uint32_t used;
} __rte_cache_aligned;

static struct guard_slot slots[SIPDP_DP_GUARD_MAX];
static _Atomic unsigned n_slots;  /* high-water mark of the slots ever used */
static _Atomic unsigned n_online; /* participants online now */
static struct sipdp_dp_guard_stats gstats;

int
sipdp_dp_guard_register(unsigned *slot)
{
	for (unsigned i = 0; i < SIPDP_DP_GUARD_MAX; i++) {
		uint32_t free_ = 0;

		if (!atomic_compare_exchange_strong(&slots[i].used, &free_, 1))
			continue;
		/* Offline, the value kept moving forward across reuses so a
		 * waiter's old snapshot never matches again. */
		atomic_store(&slots[i].v, (atomic_load_explicit(&slots[i].v,
			memory_order_relaxed) + 2) & ~(uint64_t)1);
		for (unsigned n = atomic_load(&n_slots); n < i + 1;)
			if (atomic_compare_exchange_weak(&n_slots, &n, i + 1))
				break;
		*slot = i;
		return 0;
	}
	return -ENOSPC;
}

void
sipdp_dp_guard_online(unsigned slot)
{
	uint64_t v = atomic_load_explicit(&slots[slot].v, memory_order_relaxed);

	if (v & 1)
		return;
	atomic_fetch_add(&n_online, 1);
	/* seq_cst: no read of a PMD's state moves above this store. */
	atomic_store(&slots[slot].v, (v + 2) | 1);
}

void
sipdp_dp_guard_offline(unsigned slot)
{
	uint64_t v = atomic_load_explicit(&slots[slot].v, memory_order_relaxed);

	if (!(v & 1))
		return;
	/* seq_cst (release would do): every burst before it is complete
	 * when a waiter sees it. */
	atomic_store(&slots[slot].v, (v + 2) & ~(uint64_t)1);
	atomic_fetch_sub(&n_online, 1);
}

void
sipdp_dp_guard_unregister(unsigned slot)
{
	if (slot >= SIPDP_DP_GUARD_MAX)
		return;
	sipdp_dp_guard_offline(slot);
	atomic_store(&slots[slot].used, 0);
}

void
sipdp_dp_guard_quiescent(unsigned slot)
{
	uint64_t v = atomic_load_explicit(&slots[slot].v, memory_order_relaxed);

	/* One xchg on x86: the loop's earlier accesses are complete before a
	 * waiter can see it, its later ones start after. */
	atomic_store(&slots[slot].v, v + 2);
}

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int
sipdp_dp_guard_synchronize(uint32_t timeout_ms)
{
	uint64_t snap[SIPDP_DP_GUARD_MAX], t0, waited;
	const struct timespec nap = { 0, 20000 };
	unsigned n;

	/* The caller's earlier stores (the PMD's cleared flag) are visible
	 * to every participant before the counters are read. */
	atomic_thread_fence(memory_order_seq_cst);
	n = atomic_load(&n_slots);
	for (unsigned i = 0; i < n; i++)
		snap[i] = atomic_load(&slots[i].v);
	t0 = mono_us();
	for (unsigned i = 0; i < n; i++) {
		if (!(snap[i] & 1))
			continue; /* offline: its next online store is ordered after our flag */
		while (atomic_load(&slots[i].v) == snap[i]) {
			if (mono_us() - t0 >= (uint64_t)timeout_ms * 1000u) {
				atomic_fetch_add_explicit((_Atomic uint64_t *)&gstats.timeouts, 1,
					memory_order_relaxed);
				return -ETIMEDOUT;
			}
			nanosleep(&nap, NULL);
		}
	}
	waited = mono_us() - t0;
	atomic_fetch_add_explicit((_Atomic uint64_t *)&gstats.waits, 1, memory_order_relaxed);
	atomic_fetch_add_explicit((_Atomic uint64_t *)&gstats.wait_us_total, waited,
		memory_order_relaxed);
	if (waited > atomic_load_explicit((_Atomic uint64_t *)&gstats.wait_us_max,
		memory_order_relaxed))
		atomic_store_explicit((_Atomic uint64_t *)&gstats.wait_us_max, waited,
			memory_order_relaxed);
	return 0;
}

void
sipdp_dp_guard_stats_get(struct sipdp_dp_guard_stats *st)
{
	st->waits = atomic_load_explicit((_Atomic uint64_t *)&gstats.waits, memory_order_relaxed);
	st->timeouts = atomic_load_explicit((_Atomic uint64_t *)&gstats.timeouts,
		memory_order_relaxed);
	st->wait_us_max = atomic_load_explicit((_Atomic uint64_t *)&gstats.wait_us_max,
		memory_order_relaxed);
	st->wait_us_total = atomic_load_explicit((_Atomic uint64_t *)&gstats.wait_us_total,
		memory_order_relaxed);
}

/* ------------------------------------------------------------- munmap */

typedef int (*munmap_fn)(void *, size_t);
static _Atomic(munmap_fn) next_munmap;

int munmap(void *addr, size_t len);

/*
 * Interposes libc's munmap() for the whole process: a symbol the
 * executable exports (app/sipdp/meson.build: --export-dynamic-symbol)
 * comes first in the global lookup scope, so the PMDs the EAL dlopen()s
 * call this one. Every other caller gets libc's (or a sanitizer's)
 * munmap() right away; only the interrupt thread, while a participant is
 * online, waits first. glibc's own internal unmaps (malloc, ld.so) do not
 * come here.
 */
__attribute__((visibility("default"), used)) int
munmap(void *addr, size_t len)
{
	munmap_fn next;

	/* Orders the caller's earlier stores (a PMD's cleared flag) before
	 * the read of n_online: a participant going online after this read
	 * sees them. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load(&n_online) != 0 && rte_thread_is_intr() &&
	    sipdp_dp_guard_synchronize(SIPDP_DP_GUARD_TIMEOUT_MS) != 0)
		DP_LOG(ERR, "unmap guard: an lcore did not pass a loop boundary in %u ms; "
			"unmapping %zu bytes at %p anyway\n", SIPDP_DP_GUARD_TIMEOUT_MS, len, addr);
	next = atomic_load_explicit(&next_munmap, memory_order_relaxed);
	if (next == NULL) {
		next = (munmap_fn)dlsym(RTLD_NEXT, "munmap");
		if (next == NULL)
			return (int)syscall(SYS_munmap, addr, len);
		atomic_store_explicit(&next_munmap, next, memory_order_relaxed);
	}
	return next(addr, len);
}

bool
sipdp_dp_guard_active(void)
{
	return dlsym(RTLD_DEFAULT, "munmap") == (void *)munmap;
}
