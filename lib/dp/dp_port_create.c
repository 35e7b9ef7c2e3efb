/* SPDX-License-Identifier: BSD-3-Clause */
/* Port setup (control lcore, at start): queues, RSS, offloads, MTU. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_log.h>

#include "sipdp_dp.h"

#define DP_LOG(lvl, ...) RTE_LOG(lvl, USER1, "sipdp_dp: " __VA_ARGS__)

/* Offloads we use when the device has them. MULTI_SEGS: fragments are
 * chains (header mbuf + indirect body). */
#define DP_RX_OFFLOADS (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM)
#define DP_TX_OFFLOADS (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM | \
			RTE_ETH_TX_OFFLOAD_MULTI_SEGS)

int
sipdp_dp_port_create(const struct sipdp_dp_port_params *p, struct sipdp_dp_port_info *info)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info di;
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	uint16_t port, nb_rxd, nb_txd, mtu = 0;
	int rc, socket;

	if (p == NULL || info == NULL || p->name == NULL || p->mp == NULL ||
	    p->nb_rx_queues == 0 || p->nb_tx_queues == 0)
		return -EINVAL;
	if (p->devargs != NULL) {
		char spec[512];

		if ((size_t)snprintf(spec, sizeof(spec), "%s,%s", p->name, p->devargs) >= sizeof(spec))
			return -EINVAL;
		rc = rte_dev_probe(spec);
		if (rc < 0 && rc != -EEXIST) {
			DP_LOG(ERR, "probe %s: %s\n", spec, rte_strerror(-rc));
			return rc;
		}
	}
	if (rte_eth_dev_get_port_by_name(p->name, &port) != 0)
		return -ENODEV;
	rc = rte_eth_dev_info_get(port, &di);
	if (rc != 0)
		return rc;
	if (p->nb_rx_queues > di.max_rx_queues || p->nb_tx_queues > di.max_tx_queues) {
		DP_LOG(ERR, "%s: %u/%u queues asked, device has %u/%u\n", p->name, p->nb_rx_queues,
			p->nb_tx_queues, di.max_rx_queues, di.max_tx_queues);
		return -EINVAL;
	}

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.offloads = di.rx_offload_capa & DP_RX_OFFLOADS;
	conf.txmode.offloads = di.tx_offload_capa & DP_TX_OFFLOADS;
	if (p->mtu != 0)
		conf.rxmode.mtu = p->mtu;
	/* Link-state interrupts where the PMD has them (NICs, net_tap):
	 * sipdp_dp_link_watch() hears a change at once instead of at its
	 * next periodic read. net_memif and net_af_packet have none. */
	if (di.dev_flags != NULL && (*di.dev_flags & RTE_ETH_DEV_INTR_LSC))
		conf.intr_conf.lsc = 1;
	if (p->nb_rx_queues > 1 && di.flow_type_rss_offloads != 0) {
		/* L3 hash by default: every fragment of a datagram carries the
		 * addresses but only the first has the ports, and they must all
		 * meet on the queue that reassembles them. */
		uint64_t hf = (p->rss_hf ? p->rss_hf : RTE_ETH_RSS_IP) & di.flow_type_rss_offloads;

		if (hf != 0) {
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
			conf.rx_adv_conf.rss_conf.rss_hf = hf;
		}
	}
	rc = rte_eth_dev_configure(port, p->nb_rx_queues, p->nb_tx_queues, &conf);
	if (rc < 0) {
		DP_LOG(ERR, "%s: configure: %s\n", p->name, rte_strerror(-rc));
		return rc;
	}
	nb_rxd = p->nb_rxd ? p->nb_rxd : 1024;
	nb_txd = p->nb_txd ? p->nb_txd : 1024;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (rc < 0)
		return rc;
	socket = rte_eth_dev_socket_id(port);
	if (socket < 0)
		socket = SOCKET_ID_ANY;
	rxc = di.default_rxconf;
	rxc.offloads = conf.rxmode.offloads;
	txc = di.default_txconf;
	txc.offloads = conf.txmode.offloads;
	for (uint16_t q = 0; q < p->nb_rx_queues; q++) {
		rc = rte_eth_rx_queue_setup(port, q, nb_rxd, (unsigned int)socket, &rxc, p->mp);
		if (rc < 0)
			return rc;
	}
	for (uint16_t q = 0; q < p->nb_tx_queues; q++) {
		rc = rte_eth_tx_queue_setup(port, q, nb_txd, (unsigned int)socket, &txc);
		if (rc < 0)
			return rc;
	}
	rc = rte_eth_dev_start(port);
	if (rc < 0) {
		DP_LOG(ERR, "%s: start: %s\n", p->name, rte_strerror(-rc));
		return rc;
	}
	if (p->promiscuous)
		(void)rte_eth_promiscuous_enable(port);

	memset(info, 0, sizeof(*info));
	info->port_id = port;
	(void)rte_eth_macaddr_get(port, &info->mac);
	if (rte_eth_dev_get_mtu(port, &mtu) != 0 || mtu == 0)
		mtu = RTE_ETHER_MTU;
	info->mtu = mtu;
	info->rx_offloads = conf.rxmode.offloads;
	info->tx_offloads = conf.txmode.offloads;
	info->rx_offload_capa = di.rx_offload_capa;
	info->tx_offload_capa = di.tx_offload_capa;
	info->rss_hf = conf.rx_adv_conf.rss_conf.rss_hf;
	info->lsc = conf.intr_conf.lsc != 0;
	snprintf(info->driver, sizeof(info->driver), "%s", di.driver_name);
	DP_LOG(INFO, "%s: port %u driver %s mtu %u queues %u/%u rx_off 0x%" PRIx64
		" tx_off 0x%" PRIx64 " rss 0x%" PRIx64 "\n", p->name, port, info->driver, mtu,
		p->nb_rx_queues, p->nb_tx_queues, info->rx_offloads, info->tx_offloads, info->rss_hf);
	return 0;
}

int
sipdp_dp_port_destroy(uint16_t port_id)
{
	struct rte_eth_dev_info di;
	struct rte_device *dev;
	int rc;

	rc = rte_eth_dev_info_get(port_id, &di);
	if (rc != 0)
		return rc;
	dev = di.device;
	rc = rte_eth_dev_stop(port_id);
	if (rc != 0)
		return rc;
	rc = rte_eth_dev_close(port_id);
	if (rc != 0)
		return rc;
	/* Virtual devices were hot-plugged (or given with --vdev): detach
	 * them so a re-create with the same name works. */
	if (dev != NULL && strcmp(rte_bus_name(rte_dev_bus(dev)), "vdev") == 0)
		rc = rte_dev_remove(dev);
	return rc;
}
