#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The dev/test lab (docs: DESIGN.md "Dev and test topology"):
#
#   netns sipdp-dut                              netns sipdp-peer
#   sipdp (net_af_packet on sipdp-dut0)  <-veth->  sipdp-peer0 192.0.2.2/24
#     + net_tap "sipdp0" with 192.0.2.1/24,                   2001:db8::2/64
#       2001:db8::1/64 (put there by sipdp)        (sipp, baresip, kamailio)
#
# sipdp-dut0 carries no address, no IPv6, no ARP and strict rp_filter: the
# dut kernel must not answer on it (sipdp owns the wire; the kernel speaks
# through the tap). Checksum and
# segmentation offloads are off on both veth ends: af_packet would otherwise
# hand sipdp UDP with checksums still to compute and 64 KiB TCP "frames".
#
# Usage: lab.sh up | down | status | start | stop
# Only namespaces and links named sipdp-* are ever touched. Idempotent.
set -euo pipefail

DUT_NS=sipdp-dut
PEER_NS=sipdp-peer
DUT_IF=sipdp-dut0
PEER_IF=sipdp-peer0
PEER_ADDRS=("192.0.2.2/24" "2001:db8::2/64")
# Documentation only: sipdp puts these on its tap (sipdp_dp_tap_addr_add).
SIPDP_ADDRS=("192.0.2.1/24" "2001:db8::1/64")

die() { echo "lab.sh: $*" >&2; exit 1; }

need_tools() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces)"
	command -v ip >/dev/null || die "iproute2 'ip' not found"
	ip netns list >/dev/null 2>&1 || die "'ip netns' is not available"
}

ns_exists() {
	local l
	l=$(ip netns list 2>/dev/null | awk '{print $1}')
	grep -qx -- "$1" <<<"$l"
}
link_in() { ip -n "$1" link show dev "$2" >/dev/null 2>&1; }
link_root() { ip link show dev "$1" >/dev/null 2>&1; }

ns_prepare() {
	local ns=$1
	ns_exists "$ns" || ip netns add "$ns"
	ip -n "$ns" link set lo up
	# No duplicate address detection: addresses usable at once (RFC 4862
	# §5.4 allows turning it off where uniqueness is known).
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
}

no_offloads() {
	local ns=$1 dev=$2
	if command -v ethtool >/dev/null; then
		ip netns exec "$ns" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null 2>&1 || true
	fi
}

addr_add() {
	local ns=$1 dev=$2 a=$3
	local have
	# Captured first: with pipefail, grep -q closing the pipe early would
	# make ip die of SIGPIPE and the test fail.
	have=$(ip -n "$ns" addr show dev "$dev")
	grep -qw -- "$a" <<<"$have" && return 0
	if [[ $a == *:* ]]; then
		ip -n "$ns" addr add "$a" dev "$dev" nodad
	else
		ip -n "$ns" addr add "$a" dev "$dev"
	fi
}

cmd_up() {
	need_tools
	ns_prepare "$DUT_NS"
	ns_prepare "$PEER_NS"
	if ! link_in "$DUT_NS" "$DUT_IF" || ! link_in "$PEER_NS" "$PEER_IF"; then
		# A half-made pair (interrupted run) is removed before re-creating.
		link_in "$DUT_NS" "$DUT_IF" && ip -n "$DUT_NS" link del "$DUT_IF"
		link_in "$PEER_NS" "$PEER_IF" && ip -n "$PEER_NS" link del "$PEER_IF"
		link_root "$DUT_IF" && ip link del "$DUT_IF"
		link_root "$PEER_IF" && ip link del "$PEER_IF"
		ip link add "$DUT_IF" netns "$DUT_NS" type veth peer name "$PEER_IF" netns "$PEER_NS"
	fi
	# The dut kernel also sees every frame af_packet sees. It must not
	# answer for sipdp's addresses on the veth (weak host model: they live
	# on the tap): no IPv6, no ARP, and strict reverse-path filtering drops
	# IPv4 from the peer (its route is via the tap) before any ICMP/RST.
	ip netns exec "$DUT_NS" sysctl -qw "net.ipv6.conf.$DUT_IF.disable_ipv6=1"
	ip netns exec "$DUT_NS" sysctl -qw net.ipv4.conf.all.rp_filter=1
	ip netns exec "$DUT_NS" sysctl -qw "net.ipv4.conf.$DUT_IF.rp_filter=1"
	ip netns exec "$DUT_NS" sysctl -qw "net.ipv4.conf.$DUT_IF.arp_ignore=8"
	ip -n "$DUT_NS" link set "$DUT_IF" arp off
	ip -n "$DUT_NS" addr flush dev "$DUT_IF"
	no_offloads "$DUT_NS" "$DUT_IF"
	no_offloads "$PEER_NS" "$PEER_IF"
	ip -n "$DUT_NS" link set "$DUT_IF" up
	for a in "${PEER_ADDRS[@]}"; do
		addr_add "$PEER_NS" "$PEER_IF" "$a"
	done
	ip -n "$PEER_NS" link set "$PEER_IF" up
	echo "lab up: $DUT_NS/$DUT_IF <-> $PEER_NS/$PEER_IF (peer ${PEER_ADDRS[*]}; sipdp ${SIPDP_ADDRS[*]} on its tap)"
}

cmd_down() {
	need_tools
	# Deleting a namespace deletes the veth end inside it, and with it the pair.
	ns_exists "$DUT_NS" && ip netns del "$DUT_NS"
	ns_exists "$PEER_NS" && ip netns del "$PEER_NS"
	link_root "$DUT_IF" && ip link del "$DUT_IF"
	link_root "$PEER_IF" && ip link del "$PEER_IF"
	echo "lab down"
}

# Exit 0 when the lab is fully up, 3 when it is not (LSB status convention).
cmd_status() {
	need_tools
	local ok=0
	for ns in "$DUT_NS" "$PEER_NS"; do
		if ns_exists "$ns"; then echo "netns $ns: present"; else echo "netns $ns: absent"; ok=3; fi
	done
	if ns_exists "$DUT_NS" && link_in "$DUT_NS" "$DUT_IF"; then
		ip -n "$DUT_NS" -br link show dev "$DUT_IF"
	else
		echo "$DUT_IF: absent"; ok=3
	fi
	if ns_exists "$PEER_NS" && link_in "$PEER_NS" "$PEER_IF"; then
		ip -n "$PEER_NS" -br addr show dev "$PEER_IF"
		local have
		have=$(ip -n "$PEER_NS" addr show dev "$PEER_IF")
		for a in "${PEER_ADDRS[@]}"; do
			grep -qw -- "$a" <<<"$have" || { echo "missing $a"; ok=3; }
		done
	else
		echo "$PEER_IF: absent"; ok=3
	fi
	if ns_exists "$DUT_NS"; then
		ip -n "$DUT_NS" -br addr show | grep -v '^lo' | grep -v "^$DUT_IF" || true
	fi
	return $ok
}

cmd_start() {
	echo "lab.sh start: appliance not built yet (app/sipdp is the lead's to wire up)" >&2
	exit 2
}

cmd_stop() {
	echo "lab.sh stop: appliance not built yet (app/sipdp is the lead's to wire up)" >&2
	exit 2
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
start) cmd_start ;;
stop) cmd_stop ;;
*) echo "usage: $0 up|down|status|start|stop" >&2; exit 64 ;;
esac
