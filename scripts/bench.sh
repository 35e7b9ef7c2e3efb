#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# End-to-end benchmark over net_memif: two sipdp processes, each in its own
# network namespace with its own EAL file prefix and tap, joined by a memif
# pair (socket in a temp dir, not abstract: the namespaces differ).
#
#   sipdp-bench-a: answers every INVITE with 200 at once (memif server)
#   sipdp-bench-b: calls: generator to A, BYE right after the 200 (client),
#                  --exit-when-done
#
# One worker lcore each and a control lcore each: A's worker on CPU 1, B's
# on CPU 0, each control lcore on the other side's worker CPU (it naps
# when idle, 100 us growing to 1 ms, and takes the tap, netlink and
# telemetry work there). On a 2-core machine the four threads share two
# cores, so the figures are a floor, not what one dedicated core per side
# gives.
#
# The memif rings have 2^MEMIF_RSIZE slots (default 14: 16384, the PMD's
# maximum) so a worker descheduled for tens of ms on a shared machine
# finds its peer's datagrams queued rather than dropped (a drop costs a
# retransmission T1 later, and more load).
#
# Per-call costs: *_busy and *_msg are TSC deltas (wall clock: they count
# the time another thread had the CPU); *_cpu is the worker thread's CPU
# time, in cycles at the TSC rate, in the share of its loop iterations that
# did work (preemption lands in an iteration in proportion to its length,
# so this removes it): the figure to compare between runs on a loaded
# machine. ctl%: CPU used by each control lcore over its run.
#
# Usage: scripts/bench.sh [SIPDP_BIN] [RATE...]
#   default binary: build-release/app/sipdp/sipdp; default rates: a ladder
#   from 2000 to 100000 calls/s, 5 s of calls each (CALLS_S), stopping at
#   the first rate with a failed call. Each run is bounded (RUN_TIMEOUT s).
# Prints one line per rate; docs/performance.md has the figures.
# MODE=transfer: the transfer-rate run instead (scripts/bench-transfer.inc.sh).
# MODE=b2bua: bridged calls through A (scripts/bench-b2bua.inc.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${1:-$root/build-release/app/sipdp/sipdp}
shift || true
rates=("$@")
rates_given=$(( ${#rates[@]} > 0 ))
[ ${#rates[@]} -gt 0 ] || rates=(2000 5000 10000 20000 50000 100000)
CALLS_S=${CALLS_S:-5}
RUN_TIMEOUT=${RUN_TIMEOUT:-60}
MEMIF_RSIZE=${MEMIF_RSIZE:-14}
NS_A=sipdp-bench-a
NS_B=sipdp-bench-b

die() { echo "bench.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces)"
[ -x "$bin" ] || die "no sipdp binary at $bin"
# One bench at a time on the machine (they would share the CPUs): wait
# for another one to finish, bounded.
exec 9>/tmp/sipdp-bench.lock
flock -w "${BENCH_LOCK_WAIT:-900}" 9 || die "another bench.sh holds /tmp/sipdp-bench.lock"
for ns in $NS_A $NS_B; do
	ip netns list | grep -qw "^$ns" && die "namespace $ns exists: another bench running?"
done

dir=$(mktemp -d /tmp/sipdp-bench.XXXXXX)
pid_a=""
pid_b=""
cleanup() {
	for p in $pid_b $pid_a; do
		if kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null || true
			for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
	ip netns del $NS_A 2>/dev/null || true
	ip netns del $NS_B 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

for ns in $NS_A $NS_B; do
	ip netns add $ns
	ip -n $ns link set lo up
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.accept_dad=0
	ip netns exec $ns sysctl -qw net.ipv6.conf.default.accept_dad=0
done

# $1 name, $2 role, $3 address, $4 extra YAML (policy or calls)
config() {
	cat >"$dir/$1.yaml" <<EOF
ports:
  - name: net_memif0
    devargs: role=$2,id=0,socket=$dir/memif.sock,socket-abstract=no,rsize=$MEMIF_RSIZE
    ipv4: $3/24
lcores:
  control: 0
  workers: [1]
sip:
  udp_port: 5060
  tcp_port: 0
  tls_port: 0
# Sized for the rate: with hold 0 each call leaves its BYE transaction in
# Timer J (64*T1) on the answering side; T1 of 50 ms (a LAN, shared
# memory) keeps that at 3.2 s.
limits:
  dialogs_per_shard: 262144
  transactions_per_shard: 1048576
timers:
  t1_ms: 50
  t2_ms: 400
  t4_ms: 500
log:
  level: notice
$4
EOF
}

start() { # $1 ns, $2 name, $3 CPU of the worker, $4 of the control, $5 extra options; sets last_pid
	ip netns exec "$1" "$bin" --no-huge -m 1024 --file-prefix "$2" --no-pci --lcores "0@$4,1@$3" \
		--main-lcore 0 --log-level=user1,notice --log-level=pmd.net.memif,info -- --config "$dir/$2.yaml" $5 \
		>"$dir/$2.log" 2>&1 </dev/null 9>&- &
	last_pid=$!
}

wait_ready() { # $1 log, $2 pid
	for _ in $(seq 1 200); do
		grep -q "sipdp: ready" "$1" && return 0
		kill -0 "$2" 2>/dev/null || { tail -n 20 "$1" >&2; die "sipdp exited during start"; }
		sleep 0.1
	done
	tail -n 20 "$1" >&2
	die "sipdp not ready in 20 s"
}

stat_of() { # $1 log, $2 counter (final counters printed at exit)
	awk -v k="total.$2" '$1 == k { print $2 }' "$1"
}

# A process that stopped with a status other than 0, or without its
# final counters, crashed (a signal is status 128 + N): said on stdout,
# and bench.sh exits 3 at the end (loops over runs count those).
crashes=0
crash_check() { # $1 rate, $2 A|B, $3 exit status, $4 log
	if [ "$3" != 0 ] || ! grep -q "final counters" "$4"; then
		crashes=$((crashes + 1))
		echo "rate $1: $2 crashed: exit status $3$( [ "$3" -gt 128 ] && echo " (signal $(( $3 - 128 )))"):"
		tail -n 5 "$4"
	fi
}
trap 'rc=$?; [ $rc = 0 ] && [ "$crashes" != 0 ] && rc=3; cleanup; exit $rc' EXIT

mhz=$(awk -F: '/^cpu MHz/ { printf "%d", $2; exit }' /proc/cpuinfo)
[ -n "$mhz" ] || mhz=2000

# One run: A, then B (--exit-when-done), B waited for (bounded by
# RUN_TIMEOUT), A stopped; sets la and lb (the logs) and says if either
# crashed. Every mode runs its rates through this.
run_pair() { # $1 rate (for messages)
	local rc_a=0 rc_b=0

	rm -f "$dir/memif.sock"
	start $NS_A sipdp-bench-a 1 0 ""
	pid_a=$last_pid
	wait_ready "$dir/sipdp-bench-a.log" "$pid_a"
	start $NS_B sipdp-bench-b 0 1 "--exit-when-done"
	pid_b=$last_pid
	wait_ready "$dir/sipdp-bench-b.log" "$pid_b"
	for _ in $(seq 1 $((RUN_TIMEOUT * 10))); do
		kill -0 "$pid_b" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid_b" 2>/dev/null && kill -TERM "$pid_b"
	wait "$pid_b" || rc_b=$?
	pid_b=""
	# A's last answers cross before it stops (its counters are final);
	# A may have died already (SIGSEGV): then the TERM finds nothing.
	sleep "${A_LINGER_S:-0}"
	kill -TERM "$pid_a" 2>/dev/null || true
	wait "$pid_a" || rc_a=$?
	pid_a=""
	la="$dir/sipdp-bench-a.log"
	lb="$dir/sipdp-bench-b.log"
	crash_check "$1" A "$rc_a" "$la"
	crash_check "$1" B "$rc_b" "$lb"
}

per_call() { # $1 ns, $2 calls: cycles per call at the TSC rate
	local ns=${1:-0} calls=${2:-0}

	echo $(( calls > 0 ? ns * mhz / 1000 / calls : 0 ))
}

ctl_pct() { # $1 log: control lcore CPU over its run, percent
	awk '$1 == "control.cpu_us" { c = $2 } $1 == "control.wall_ms" { w = $2 }
		END { if (w > 0) printf "%.0f", c / w / 10; else print "?" }' "$1"
}

config sipdp-bench-a server 192.0.2.11 "policy:
  - name: answer
    match: { method: INVITE }
    answer:
      ring_ms: 0
      sdp: |
        v=0
        o=sipdp \${session_id} \${session_version} IN IP4 \${local_ip}
        s=-
        c=IN IP4 \${local_ip}
        t=0 0
        m=audio 4000 RTP/AVP 0"

if [ "${MODE:-calls}" = transfer ]; then
	source "$root/scripts/bench-transfer.inc.sh"
	exit 0
fi
if [ "${MODE:-calls}" = b2bua ]; then
	source "$root/scripts/bench-b2bua.inc.sh"
	exit 0
fi

# busy: TSC cycles of worker loop iterations that did work (RX/TX bursts,
# timers, and any time the thread was preempted while busy), per call;
# msg: cycles inside message handling only (parse, policy, UA, send hook);
# cpu: busy without the preemption (see the top).
fmt="%-7s %-9s %-9s %-6s %-6s %-10s %-7s %-7s %-7s %-7s %-7s %-7s %-7s %s\n"
printf "$fmt" rate attempted answered failed not_st answered/s A_busy A_cpu A_msg B_busy B_cpu B_msg "ctl%A/B" "setup p50/p99 ms"
for rate in "${rates[@]}"; do
	total=$((rate * CALLS_S))
	config sipdp-bench-b client 192.0.2.12 "calls:
  target: sip:bench@192.0.2.11:5060
  rate: $rate
  total: $total
  hold_ms: 0
  prack: off"
	run_pair "$rate"
	line=$(grep "calls: attempted" "$lb" | tail -n 1 || true)
	[ -n "$line" ] || { tail -n 30 "$lb" >&2; die "rate $rate: no calls: summary"; }
	att=$(stat_of "$lb" gen_attempted)
	ans=$(stat_of "$lb" gen_answered)
	failed=$(stat_of "$lb" gen_failed)
	ns=$(stat_of "$lb" gen_not_started)
	cps=$(sed -n 's/.* \([0-9]*\) answered\/s.*/\1/p' <<<"$line")
	p50=$(sed -n 's/.* p50 \([0-9.]*\) ms.*/\1/p' <<<"$line")
	p99=$(sed -n 's/.* p99 \([0-9.]*\) ms.*/\1/p' <<<"$line")
	busy_a=$(stat_of "$la" busy_cycles)
	calls_a=$(stat_of "$la" policy_answer)
	calls_a=${calls_a:-0} # no final counters: A died (see its log)
	busy_b=$(stat_of "$lb" busy_cycles)
	msg_a=$(stat_of "$la" msg_cycles)
	msg_b=$(stat_of "$lb" msg_cycles)
	cpu_a=$(stat_of "$la" busy_cpu_ns)
	cpu_b=$(stat_of "$lb" busy_cpu_ns)
	printf "$fmt" "$rate" "$att" "$ans" "$failed" "$ns" \
		"${cps:-?}" "$(( calls_a > 0 ? busy_a / calls_a : 0 ))" "$(per_call "${cpu_a:-0}" "$calls_a")" \
		"$(( calls_a > 0 ? msg_a / calls_a : 0 ))" \
		"$(( ans > 0 ? busy_b / ans : 0 ))" "$(per_call "${cpu_b:-0}" "$ans")" \
		"$(( ans > 0 ? msg_b / ans : 0 ))" "$(ctl_pct "$la")/$(ctl_pct "$lb")" "$p50 / $p99"
	if [ "${BENCH_VERBOSE:-0}" = 1 ]; then
		echo "  B: $line"
		grep -E "^total\.(tx_drops|no_mbuf|full_503|retransmissions|rx_pkts|tx_pkts|cpu_ns|busy_cpu_ns|loop_cycles|busy_cycles) |^control\." "$la" "$lb" | sed 's/^/  /'
	fi
	if [ "$failed" != 0 ] || [ "$ns" != 0 ] || [ "$ans" != "$total" ]; then
		if [ -n "${BENCH_KEEP_LOGS:-}" ]; then
			mkdir -p "$BENCH_KEEP_LOGS"
			cp "$la" "$lb" "$BENCH_KEEP_LOGS/"
			echo "rate $rate: logs kept in $BENCH_KEEP_LOGS"
		fi
		echo "rate $rate: not every call answered; stopping the ladder"
		break
	fi
done
