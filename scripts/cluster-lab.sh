#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The scale-out lab (docs/scale-out.md): Debian's Kamailio as a SIP load
# balancer (dispatcher module, hash over Call-ID, OPTIONS probing) in front
# of N sipdp boxes, each in a network namespace of its own.
#
#   netns sipdp-cl-lb                                 netns sipdp-cl-K (K = 1..N)
#   bridge cl-br0: 192.0.2.10/24 Kamailio :5060,      sipdp (net_af_packet on clK-dp,
#                  sipp callers (:5070...),  <-veth->        one worker, its own
#                  192.0.2.20/24 callee sipp           --file-prefix sipdp-cl-K)
#                  ports clK-lb                        192.0.2.1K on its tap sipdp0
#
# The box side of each veth carries no address, no IPv6, no ARP and strict
# rp_filter (as in scripts/lab.sh: sipdp owns the wire, the kernel speaks
# through sipdp's tap); checksum and segmentation offloads are off on both
# ends and on the bridge.
#
# Usage: cluster-lab.sh up | down | status | ds
#                       kam-start | kam-stop
#                       start K... | stop K... | kill K...
#                       start-all | stop-all
#   up/down      the namespaces and links (down stops everything first)
#   kam-start    Kamailio in sipdp-cl-lb, dispatcher set 1 = the N boxes
#   start K...   sipdp box K (started together, then each waited for until
#                it answers a SIP OPTIONS from the load balancer)
#   stop K...    SIGTERM (final counters in its log); kill K...: SIGKILL
#   ds           one line per box: "K FLAGS" from Kamailio's dispatcher.list
#                (AP active, IP inactive, ...)
#   start-all    up, Kamailio, every box; stop-all the reverse
# Environment: CLUSTER_BOXES (3, at most 9), CLUSTER_DIR (/tmp/sipdp-cluster:
# logs, pids, Kamailio's files), CLUSTER_PING_S (Kamailio's probing
# interval, 1), SIPDP_BIN (else build-release/ or build/).
# Only namespaces sipdp-cl-*, links cl*, pids it recorded and DPDK runtime
# directories sipdp-cl-* are ever touched. Idempotent.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${CLUSTER_BOXES:-3}
DIR=${CLUSTER_DIR:-/tmp/sipdp-cluster}
PING_S=${CLUSTER_PING_S:-1}
LB_NS=sipdp-cl-lb
BR=cl-br0
LB_IP=192.0.2.10
CALLEE_IP=192.0.2.20

die() { echo "cluster-lab.sh: $*" >&2; exit 1; }
box_ns() { echo "sipdp-cl-$1"; }
box_ip() { echo "192.0.2.1$1"; }
box_prefix() { echo "sipdp-cl-$1"; }

need_tools() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces)"
	command -v ip >/dev/null || die "iproute2 'ip' not found (scripts/install-deps.sh)"
	command -v ethtool >/dev/null || die "ethtool not found (scripts/install-deps.sh)"
	ip netns list >/dev/null 2>&1 || die "'ip netns' is not available"
	[[ $N =~ ^[1-9]$ ]] || die "CLUSTER_BOXES must be 1..9"
}

ns_exists() {
	local l
	l=$(ip netns list 2>/dev/null | awk '{print $1}')
	grep -qx -- "$1" <<<"$l"
}
link_in() { ip -n "$1" link show dev "$2" >/dev/null 2>&1; }

no_offloads() {
	local out
	out=$(ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off 2>&1) ||
		die "ethtool -K $2 in $1 failed: $out"
}

ns_prepare() {
	ns_exists "$1" || ip netns add "$1"
	ip -n "$1" link set lo up
}

cmd_up() {
	need_tools
	local k ns dp lb have a
	ns_prepare "$LB_NS"
	link_in "$LB_NS" "$BR" || ip -n "$LB_NS" link add "$BR" type bridge
	ip netns exec "$LB_NS" sysctl -qw "net.ipv6.conf.$BR.disable_ipv6=1"
	for k in $(seq 1 "$N"); do
		ns=$(box_ns "$k") dp="cl$k-dp" lb="cl$k-lb"
		ns_prepare "$ns"
		if ! link_in "$ns" "$dp" || ! link_in "$LB_NS" "$lb"; then
			link_in "$ns" "$dp" && ip -n "$ns" link del "$dp"
			link_in "$LB_NS" "$lb" && ip -n "$LB_NS" link del "$lb"
			ip link add "$dp" netns "$ns" type veth peer name "$lb" netns "$LB_NS"
		fi
		ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dp.disable_ipv6=1"
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=1
		ip netns exec "$ns" sysctl -qw "net.ipv4.conf.$dp.rp_filter=1"
		ip netns exec "$ns" sysctl -qw "net.ipv4.conf.$dp.arp_ignore=8"
		ip -n "$ns" link set "$dp" arp off
		ip -n "$ns" addr flush dev "$dp"
		no_offloads "$ns" "$dp"
		no_offloads "$LB_NS" "$lb"
		ip netns exec "$LB_NS" sysctl -qw "net.ipv6.conf.$lb.disable_ipv6=1"
		ip -n "$LB_NS" link set "$lb" master "$BR"
		ip -n "$ns" link set "$dp" up
		ip -n "$LB_NS" link set "$lb" up
	done
	no_offloads "$LB_NS" "$BR"
	have=$(ip -n "$LB_NS" addr show dev "$BR")
	for a in "$LB_IP/24" "$CALLEE_IP/24"; do
		grep -qw -- "$a" <<<"$have" || ip -n "$LB_NS" addr add "$a" dev "$BR"
	done
	ip -n "$LB_NS" link set "$BR" up
	mkdir -p "$DIR"
	echo "cluster lab up: $LB_NS ($LB_IP Kamailio, $CALLEE_IP callee) + $N boxes"
}

pid_of() { # $1 name: the recorded pid when that process still runs
	local p
	[ -f "$DIR/$1.pid" ] || return 1
	p=$(cat "$DIR/$1.pid")
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && { echo "$p"; return 0; }
	return 1
}

stop_pid() { # $1 seconds before SIGKILL, then names: all SIGTERMed at once
	local secs=$1 n p i left
	shift
	declare -A pids=()
	for n in "$@"; do
		p=$(pid_of "$n") && { pids[$n]=$p; kill -TERM "$p" 2>/dev/null || true; }
		[ -n "${pids[$n]:-}" ] || rm -f "$DIR/$n.pid"
	done
	for i in $(seq 1 $((secs * 10))); do
		left=0
		for n in "${!pids[@]}"; do kill -0 "${pids[$n]}" 2>/dev/null && left=1; done
		[ $left = 0 ] && break
		sleep 0.1
	done
	for n in "${!pids[@]}"; do
		p=${pids[$n]}
		if kill -0 "$p" 2>/dev/null; then
			echo "cluster-lab.sh: $n (pid $p) ignored SIGTERM for $secs s: killed" >&2
			kill -KILL "$p" $(pgrep -P "$p" 2>/dev/null) 2>/dev/null || true
		fi
		rm -f "$DIR/$n.pid"
	done
}

cmd_down() {
	need_tools
	cmd_stop_all >/dev/null 2>&1 || true
	local k
	for k in $(seq 1 9); do
		ns_exists "$(box_ns "$k")" && ip netns del "$(box_ns "$k")"
		rm -rf "/var/run/dpdk/$(box_prefix "$k")"
	done
	ns_exists "$LB_NS" && ip netns del "$LB_NS"
	echo "cluster lab down"
}

kam_rpc() { timeout 5 kamcmd -s "unix:$DIR/kamailio/ctl.sock" "$@"; }

cmd_kam_start() {
	need_tools
	command -v kamailio >/dev/null || die "kamailio not found (scripts/install-deps.sh)"
	command -v kamcmd >/dev/null || die "kamcmd not found (package kamailio)"
	pid_of kamailio >/dev/null && die "kamailio already running"
	local d="$DIR/kamailio" k p i
	mkdir -p "$d/run"
	: >"$d/dispatcher.list"
	for k in $(seq 1 "$N"); do
		echo "1 sip:$(box_ip "$k"):5060 0 0 box=$k" >>"$d/dispatcher.list"
	done
	sed -e "s|@DIR@|$d|g" -e "s|@LB_IP@|$LB_IP|g" -e "s|@PING_S@|$PING_S|g" \
		"$ROOT/scripts/cluster/kamailio.cfg" >"$d/kamailio.cfg"
	kamailio -c -f "$d/kamailio.cfg" -Y "$d/run" >"$d/check.log" 2>&1 ||
		{ tail -n 20 "$d/check.log" >&2; die "kamailio config check failed"; }
	# -DD: the main process stays in the foreground, its pid is ours;
	# -E: log to stderr, kept in $d/kamailio.log.
	ip netns exec "$LB_NS" kamailio -DD -E -f "$d/kamailio.cfg" -P "$d/kamailio.pid" \
		-Y "$d/run" -w "$d" -m 64 -M 8 >"$d/kamailio.log" 2>&1 </dev/null &
	p=$!
	echo "$p" >"$DIR/kamailio.pid"
	for i in $(seq 1 40); do
		kill -0 "$p" 2>/dev/null || { tail -n 20 "$d/kamailio.log" >&2; die "kamailio exited at start"; }
		if ip netns exec "$LB_NS" ss -Hlun "sport = :5060" | grep -q . &&
			kam_rpc core.version >/dev/null 2>&1; then
			echo "kamailio started: pid $p, log $d/kamailio.log"
			return 0
		fi
		sleep 0.25
	done
	die "kamailio did not listen within 10 s (log $d/kamailio.log)"
}

# One SIP OPTIONS from the load balancer's namespace (source 192.0.2.10,
# an ephemeral port); true when any SIP answer comes.
sip_ping() {
	ip netns exec "$LB_NS" python3 - "$1" "$LB_IP" <<'PY' >/dev/null 2>&1
import socket, sys, os
dst, src = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
s.bind((src, 0))
tag = os.urandom(4).hex()
s.connect((dst, 5060))
port = s.getsockname()[1]
m = ('OPTIONS sip:ping@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s\r\n'
     'Max-Forwards: 70\r\nFrom: <sip:lab@%s>;tag=%s\r\nTo: <sip:ping@%s>\r\n'
     'Call-ID: %s@cluster\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n'
     % (dst, src, port, tag, src, tag, dst, tag))
s.send(m.encode())
d = s.recv(65535)
sys.exit(0 if d.startswith(b'SIP/2.0 ') else 1)
PY
}

sipdp_bin() {
	local b
	for b in "${SIPDP_BIN:-}" "$ROOT/build-release/app/sipdp/sipdp" "$ROOT/build/app/sipdp/sipdp"; do
		[ -n "$b" ] && [ -x "$b" ] && { echo "$b"; return 0; }
	done
	die "no sipdp binary: set SIPDP_BIN or build build-release/ or build/"
}

# start K...: every box launched, then each waited for (at most 60 s).
# EAL: --no-huge -m 512, its own --file-prefix, the port as --vdev with a
# queue pair per lcore, the control lcore and the one worker each free to
# run on any of the machine's CPUs (--lcores 0@(0-M),1@(0-M)): the boxes'
# spinning workers outnumber the CPUs of a small machine, and pinning two
# to one CPU while another has one would halve their share for nothing.
cmd_start() {
	need_tools
	local bin ncpu k ns cfg p i ok
	bin=$(sipdp_bin)
	ncpu=$(nproc)
	mkdir -p "$DIR"
	for k in "$@"; do
		[[ $k =~ ^[1-9]$ ]] && [ "$k" -le "$N" ] || die "no box $k"
		pid_of "box$k" >/dev/null && die "box $k already running"
		ns=$(box_ns "$k")
		ns_exists "$ns" || die "no namespace $ns: cluster-lab.sh up first"
		cfg="$DIR/box$k.yaml"
		sed -e "s|@IFACE@|cl$k-dp|g" -e "s|@IP@|$(box_ip "$k")|g" \
			-e "s|@NAME@|box$k|g" -e "s|@CALLEE@|$CALLEE_IP|g" \
			"$ROOT/scripts/cluster/sipdp.yaml" >"$cfg"
		# A box restarted after SIGKILL appends to its log.
		echo "=== start $(date +%T)" >>"$DIR/box$k.log"
		ip netns exec "$ns" "$bin" --no-huge -m 512 --file-prefix "$(box_prefix "$k")" --no-pci \
			--vdev "net_af_packet0,iface=cl$k-dp,qpairs=2,framesz=16384,blocksz=16384" \
			--lcores "0@(0-$((ncpu - 1))),1@(0-$((ncpu - 1)))" --main-lcore 0 \
			-- --config "$cfg" >>"$DIR/box$k.log" 2>&1 </dev/null &
		echo $! >"$DIR/box$k.pid"
	done
	for k in "$@"; do
		ok=1
		for i in $(seq 1 120); do
			p=$(pid_of "box$k") || { tail -n 20 "$DIR/box$k.log" >&2; die "box $k exited during start"; }
			# Ready since its last start line, and answering SIP.
			if awk '/^=== start/{r=0} /^sipdp: ready/{r=1} END{exit !r}' "$DIR/box$k.log" &&
				sip_ping "$(box_ip "$k")"; then
				ok=0; break
			fi
			sleep 0.5
		done
		[ $ok = 0 ] || die "box $k did not answer SIP within 60 s (log $DIR/box$k.log)"
		echo "box $k started: pid $p, $(box_ip "$k"), prefix $(box_prefix "$k"), log $DIR/box$k.log"
	done
}

cmd_stop() {
	local k names=()
	for k in "$@"; do names+=("box$k"); done
	stop_pid 20 "${names[@]}"
}

cmd_kill() {
	local k p
	for k in "$@"; do
		p=$(pid_of "box$k") || die "box $k is not running"
		kill -KILL "$p"
		for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		rm -f "$DIR/box$k.pid"
		echo "box $k killed (pid $p)"
	done
}

cmd_ds() {
	local out
	out=$(kam_rpc dispatcher.list) || die "no answer from kamailio"
	# URI: sip:192.0.2.11:5060 / FLAGS: AP, in that order per destination.
	awk '/URI:/{u=$2} /FLAGS:/{if (match(u, /192\.0\.2\.1[0-9]/)) print substr(u, RSTART+RLENGTH-1, 1), $2}' <<<"$out"
}

cmd_status() {
	need_tools
	local k
	for k in $(seq 1 "$N"); do
		if p=$(pid_of "box$k"); then echo "box $k: pid $p"; else echo "box $k: not running"; fi
	done
	if p=$(pid_of kamailio); then echo "kamailio: pid $p"; cmd_ds; else echo "kamailio: not running"; fi
}

cmd_stop_all() {
	stop_pid 10 kamailio
	stop_pid 20 $(seq -f 'box%g' 1 "$N")
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
ds) cmd_ds ;;
kam-start) cmd_kam_start ;;
kam-stop) stop_pid 10 kamailio ;;
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
kill) cmd_kill "$@" ;;
start-all) cmd_up; cmd_kam_start; cmd_start $(seq 1 "$N") ;;
stop-all) cmd_stop_all ;;
*) sed -n '/^# Usage/,/^# Only/p' "$0" >&2; exit 64 ;;
esac
