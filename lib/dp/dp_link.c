/* SPDX-License-Identifier: BSD-3-Clause */
/* Link state of a port (control lcore): LSC events where the PMD has
 * them, a periodic read everywhere (net_memif and net_af_packet raise
 * none). */

#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_log.h>

#include "sipdp_dp.h"

#define DP_LOG(lvl, ...) RTE_LOG(lvl, USER1, "sipdp_dp: " __VA_ARGS__)

/* Interrupt thread: count the event, nothing else. The control lcore
 * reads the state at its next iteration. */
static int
link_lsc_cb(uint16_t port, enum rte_eth_event_type type, void *arg, void *ret_param)
{
	struct sipdp_dp_link *l = arg;

	(void)port;
	(void)type;
	(void)ret_param;
	__atomic_fetch_add(&l->lsc_events, 1, __ATOMIC_RELEASE);
	return 0;
}

static bool
link_read(uint16_t port)
{
	struct rte_eth_link link;

	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(port, &link) != 0)
		return false;
	return link.link_status == RTE_ETH_LINK_UP;
}

int
sipdp_dp_link_watch(struct sipdp_dp_link *l, const struct sipdp_dp_port_info *info,
	uint32_t period_ms)
{
	int rc;

	if (l == NULL || info == NULL || period_ms == 0)
		return -EINVAL;
	memset(l, 0, sizeof(*l));
	l->port_id = info->port_id;
	l->period_tsc = rte_get_tsc_hz() / 1000 * period_ms;
	if (info->lsc) {
		rc = rte_eth_dev_callback_register(l->port_id, RTE_ETH_EVENT_INTR_LSC, link_lsc_cb,
			l);
		if (rc != 0) {
			DP_LOG(ERR, "port %u: LSC callback: %s\n", l->port_id, rte_strerror(-rc));
			return rc;
		}
		l->lsc = true;
	}
	l->up = link_read(l->port_id);
	l->next_tsc = rte_rdtsc() + l->period_tsc;
	return 0;
}

int
sipdp_dp_link_poll(struct sipdp_dp_link *l, uint64_t now_tsc)
{
	uint32_t ev = __atomic_load_n(&l->lsc_events, __ATOMIC_ACQUIRE);
	bool up;

	if (ev == l->lsc_seen && now_tsc < l->next_tsc)
		return 0;
	l->lsc_seen = ev;
	l->next_tsc = now_tsc + l->period_tsc;
	up = link_read(l->port_id);
	if (up == l->up)
		return 0;
	l->up = up;
	if (up)
		__atomic_store_n(&l->up_events, l->up_events + 1, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&l->down_events, l->down_events + 1, __ATOMIC_RELAXED);
	return 1;
}

void
sipdp_dp_link_unwatch(struct sipdp_dp_link *l)
{
	if (l == NULL || !l->lsc)
		return;
	(void)rte_eth_dev_callback_unregister(l->port_id, RTE_ETH_EVENT_INTR_LSC, link_lsc_cb, l);
	l->lsc = false;
}
