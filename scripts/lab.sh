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
# Usage: lab.sh up | down | status | start [CONFIG] | stop
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
	command -v ip >/dev/null || die "iproute2 'ip' not found (apt-get install iproute2, or scripts/install-deps.sh)"
	command -v ethtool >/dev/null || die "ethtool not found: the lab must turn the veth offloads off (apt-get install ethtool, or scripts/install-deps.sh)"
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

# Not optional: with tx checksum offload on, the peer's kernel leaves UDP
# checksums unfinished on the veth, and sipdp (which verifies them) drops
# every such datagram (its counter udp_bad_cksum says so).
no_offloads() {
	local ns=$1 dev=$2 out
	out=$(ip netns exec "$ns" ethtool -K "$dev" tx off tso off gso off gro off 2>&1) ||
		die "ethtool -K $dev in $ns failed: $out"
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
	running_pid >/dev/null && cmd_stop
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

# Where start keeps the appliance's log and pid (override with SIPDP_LAB_DIR).
RUN_DIR=${SIPDP_LAB_DIR:-/tmp/sipdp-lab}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

sipdp_bin() {
	local b
	for b in "${SIPDP_BIN:-}" "$ROOT/build-release/app/sipdp/sipdp" "$ROOT/build/app/sipdp/sipdp"; do
		[ -n "$b" ] && [ -x "$b" ] && { echo "$b"; return 0; }
	done
	die "no sipdp binary: set SIPDP_BIN or build build-release/ or build/"
}

running_pid() {
	local pid
	[ -f "$RUN_DIR/sipdp.pid" ] || return 1
	pid=$(cat "$RUN_DIR/sipdp.pid")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && { echo "$pid"; return 0; }
	return 1
}

# One SIP OPTIONS from the peer namespace; true when any SIP answer comes.
sip_ping() {
	ip netns exec "$PEER_NS" python3 - "$1" <<'PY' >/dev/null 2>&1
import socket, sys, os
dst = sys.argv[1]
fam = socket.AF_INET6 if ':' in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(0.5)
tag = os.urandom(4).hex()
h = '[%s]' % dst if fam == socket.AF_INET6 else dst
s.connect((dst, 5060))
lip, port = s.getsockname()[:2]
lh = '[%s]' % lip if fam == socket.AF_INET6 else lip
m = ('OPTIONS sip:ping@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s\r\n'
     'Max-Forwards: 70\r\nFrom: <sip:lab@%s>;tag=%s\r\nTo: <sip:ping@%s>\r\n'
     'Call-ID: %s@lab\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n'
     % (h, lh, port, tag, lh, tag, h, tag))
s.send(m.encode())
d = s.recv(65535)
sys.exit(0 if d.startswith(b'SIP/2.0 ') else 1)
PY
}

# A net_tap port (drivers-config/lab-tap.yaml) is a kernel interface in the
# dut namespace: bridge it to the veth so the peer reaches it. The bridge
# keeps frames addressed to a port's own MAC for itself, and the kernel
# side of a DPDK tap starts with the MAC DPDK uses: give the kernel side
# another one so frames for sipdp's MAC are forwarded into the tap. Like the
# veth, the bridge must not speak for sipdp's addresses (no IPv6, no ARP,
# strict rp_filter).
BRIDGE=sipdp-br0
tap_bridge() { # $1 the tap's kernel name
	local i
	for i in $(seq 1 100); do
		link_in "$DUT_NS" "$1" && break
		sleep 0.1
	done
	link_in "$DUT_NS" "$1" || return 1
	link_in "$DUT_NS" "$BRIDGE" || ip -n "$DUT_NS" link add "$BRIDGE" type bridge
	ip netns exec "$DUT_NS" sysctl -qw "net.ipv6.conf.$BRIDGE.disable_ipv6=1"
	ip netns exec "$DUT_NS" sysctl -qw "net.ipv4.conf.$BRIDGE.rp_filter=1"
	ip netns exec "$DUT_NS" sysctl -qw "net.ipv4.conf.$BRIDGE.arp_ignore=8"
	ip netns exec "$DUT_NS" sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1"
	ip -n "$DUT_NS" link set "$BRIDGE" arp off
	ip -n "$DUT_NS" link set "$1" address 02:00:00:5e:00:fe
	ip -n "$DUT_NS" link set "$1" master "$BRIDGE"
	ip -n "$DUT_NS" link set "$DUT_IF" master "$BRIDGE"
	ip -n "$DUT_NS" link set "$1" up
	ip -n "$DUT_NS" link set "$BRIDGE" up
}

tap_unbridge() {
	if ns_exists "$DUT_NS" && link_in "$DUT_NS" "$BRIDGE"; then
		ip -n "$DUT_NS" link del "$BRIDGE"
	fi
	return 0
}

# start [CONFIG]: run sipdp in the dut namespace (lab brought up if needed),
# wait until it answers a SIP OPTIONS from the peer (sent to the config's
# first address: a tagged or other subnet needs its peer interface made
# before start), return. The EAL gets
# --no-huge -m 512 --file-prefix sipdp-lab, the port as --vdev with the
# qpairs its workers need, and the lcores of the config (lcore L on CPU
# L % ncpu, so a 2-worker config also runs on a 2-CPU machine). The port
# gets qpairs (one per worker + the control lcore) and framesz=16384.
cmd_start() {
	need_tools
	local cfg=${1:-$ROOT/drivers-config/lab-af_packet.yaml} bin eff ctl workers wl lc ncpu
	local name devargs ping pid i ok=1
	bin=$(sipdp_bin)
	[ -f "$cfg" ] || die "no config $cfg"
	if running_pid >/dev/null; then die "sipdp already running (pid $(running_pid))"; fi
	cmd_status >/dev/null 2>&1 || cmd_up >/dev/null
	eff=$("$bin" -- --config "$cfg" --check -v) || die "invalid config $cfg"
	ctl=$(awk '/^lcores:/{f=1;next} f&&/^  control:/{print $2; exit}' <<<"$eff")
	workers=$(awk '/^lcores:/{f=1;next} f&&/^  workers:/{gsub(/[][,]/," "); $1=""; print; exit}' <<<"$eff")
	name=$(awk '/^ports:/{f=1;next} f&&/name:/{gsub(/"/,"",$3); print $3; exit}' <<<"$eff")
	devargs=$(awk '/^ports:/{f=1;next} f&&/devargs:/{gsub(/"/,"",$2); print $2; exit}' <<<"$eff")
	# The address start pings: the first port's IPv4, else its IPv6.
	ping=$(awk '/^ports:/{f=1;next} /^[a-z]/{f=0} f&&/^    ipv4:/{gsub(/"/,"",$2); sub(/\/.*/,"",$2); print $2; exit}' <<<"$eff")
	[ -n "$ping" ] || ping=$(awk '/^ports:/{f=1;next} /^[a-z]/{f=0} f&&/^    ipv6:/{gsub(/"/,"",$2); sub(/\/.*/,"",$2); print $2; exit}' <<<"$eff")
	[ -n "$ctl" ] && [ -n "$workers" ] || die "no lcores in $cfg"
	ncpu=$(nproc)
	wl=$(wc -w <<<"$workers")
	lc="$ctl@$((ctl % ncpu))"
	for i in $workers; do lc="$lc,$i@$((i % ncpu))"; done
	local vdev=()
	if [[ $name == net_af_packet* ]]; then
		# framesz: af_packet's fanout reassembles IPv4 in the kernel and
		# hands whole datagrams over; sipdp's af_packet RX buffers take 16 KB.
		vdev=(--vdev "$name,$devargs,qpairs=$((wl + 1)),framesz=16384,blocksz=16384")
	fi
	mkdir -p "$RUN_DIR"
	: >"$RUN_DIR/sipdp.log"
	ip netns exec "$DUT_NS" "$bin" --no-huge -m 512 --file-prefix sipdp-lab --no-pci \
		"${vdev[@]}" --lcores "$lc" --main-lcore "$ctl" \
		-- --config "$cfg" >>"$RUN_DIR/sipdp.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$RUN_DIR/sipdp.pid"
	if [[ $name == net_tap* ]]; then
		local tif
		tif=$(sed -n 's/.*iface=\([^,]*\).*/\1/p' <<<"$devargs")
		[ -n "$tif" ] || { cmd_stop >/dev/null 2>&1 || true; die "a net_tap port needs devargs iface=NAME"; }
		tap_bridge "$tif" || { cmd_stop >/dev/null 2>&1 || true; die "net_tap $tif did not appear (log: $RUN_DIR/sipdp.log)"; }
	fi
	# Bounded wait: the ready line, then a SIP answer to an OPTIONS.
	for i in $(seq 1 60); do
		kill -0 "$pid" 2>/dev/null || { tail -n 20 "$RUN_DIR/sipdp.log" >&2; rm -f "$RUN_DIR/sipdp.pid"; die "sipdp exited during start (log: $RUN_DIR/sipdp.log)"; }
		if grep -q '^sipdp: ready' "$RUN_DIR/sipdp.log" && sip_ping "$ping"; then ok=0; break; fi
		sleep 0.5
	done
	if [ $ok -ne 0 ]; then
		cmd_stop >/dev/null 2>&1 || true
		die "sipdp did not answer SIP within 30 s (log: $RUN_DIR/sipdp.log)"
	fi
	echo "sipdp started: pid $pid, log $RUN_DIR/sipdp.log, telemetry /var/run/dpdk/sipdp-lab/dpdk_telemetry.v2"
}

# stop: SIGTERM, then wait (sipdp drains up to 5 s); SIGKILL after 20 s.
cmd_stop() {
	need_tools
	local pid i
	if ! pid=$(running_pid); then
		rm -f "$RUN_DIR/sipdp.pid"
		tap_unbridge
		echo "sipdp not running"
		return 0
	fi
	kill -TERM "$pid"
	for i in $(seq 1 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		rm -f "$RUN_DIR/sipdp.pid"
		tap_unbridge
		die "sipdp (pid $pid) ignored SIGTERM for 20 s: killed"
	fi
	rm -f "$RUN_DIR/sipdp.pid"
	tap_unbridge
	echo "sipdp stopped (pid $pid)"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
start) shift; cmd_start "$@" ;;
stop) cmd_stop ;;
*) echo "usage: $0 up|down|status|start [CONFIG]|stop" >&2; exit 64 ;;
esac
