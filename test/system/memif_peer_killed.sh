#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# memif_peer_killed_50_times_no_crash (issue 14): the net_memif PMD tears a
# connection down (unmaps the shared regions) in the EAL interrupt thread
# the moment its peer goes away, while sipdp's workers may be polling those
# rings. Here the peer is killed with SIGKILL at random moments, over and
# over, and the answering side must live through all of it:
#
#   A (sipdp-mk-a): answers every INVITE with 200, memif server, runs
#                   throughout.
#   B (sipdp-mk-b): calls: generator to A, memif client; started, killed
#                   with SIGKILL after a seeded random delay (some kills
#                   land while B starts or while the memif handshake runs,
#                   most while calls flow), restarted; KILLS times.
#
# After every kill: A is alive and its log has no SIGSEGV, no "panic".
# After the last: a fresh B makes 200 calls and every one is answered
# (traffic resumes on the re-connected link), then A stops cleanly on
# SIGTERM (status 0, final counters) and reports the link events it saw.
#
#   test/system/memif_peer_killed.sh LAB_SH SIPDP_BIN
#   env: KILLS (default 50), SEED (default 14), MAX_DELAY_MS (default 400:
#        the random delay after B's launch is 0 .. B's start time + this)
#
# Bounded: each B start waits at most 20 s, each kill is a SIGKILL, the
# final calls at most 30 s. Nothing here passes or fails on timing.
set -u
bin=${2:?usage: $0 LAB_SH SIPDP_BIN}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
KILLS=${KILLS:-50}
SEED=${SEED:-14}
MAX_DELAY_MS=${MAX_DELAY_MS:-400}
A=sipdp-mk-a B=sipdp-mk-b
[ "$(id -u)" -eq 0 ] || { echo "not root: skip"; exit 77; }
command -v ip >/dev/null && ip netns list >/dev/null 2>&1 || { echo "no ip netns: skip"; exit 77; }
[ -x "$bin" ] || { echo "no sipdp binary: skip"; exit 77; }
ip netns list | grep -qE "^($A|$B)\b" && { echo "namespaces $A/$B exist: skip"; exit 77; }
work=$(mktemp -d /tmp/sipdp-memif-kill.XXXXXX)
pid_a="" pid_b="" fail=0
cleanup() {
	local rc=$? p
	for p in $pid_b $pid_a; do
		kill -TERM "$p" 2>/dev/null
		for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	rm -rf /var/run/dpdk/sipdp-mk-a /var/run/dpdk/sipdp-mk-b /var/run/dpdk/sipdp-mk-final
	if [ $rc -ne 0 ]; then
		for f in "$work"/*.log; do echo "--- $f"; tail -n 30 "$f"; done
	fi
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
stat_of() { awk -v k="total.$2" '$1 == k { print $2 }' "$1"; }
crashed() { grep -qiE 'SIGSEGV|segmentation|panic|sanitizer' "$1"; }

for ns in $A $B; do
	ip netns add $ns
	ip -n $ns link set lo up
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.accept_dad=0
	ip netns exec $ns sysctl -qw net.ipv6.conf.default.accept_dad=0
done

# $1 name, $2 role, $3 address, $4 dialogs, $5 transactions, $6 extra
# YAML. B has small tables and rings: it is restarted 50 times and must
# come up quickly. A's hold what 20,000 calls/s leave behind (each call's
# BYE transaction stays 64*T1 = 3.2 s), so the last peer's calls never
# meet a full table.
config() {
	cat >"$work/$1.yaml" <<EOF
ports:
  - name: net_memif0
    devargs: role=$2,id=0,socket=$work/memif.sock,socket-abstract=no,rsize=10
    ipv4: $3/24
lcores:
  control: 0
  workers: [1]
sip:
  udp_port: 5060
  tcp_port: 0
  tls_port: 0
limits:
  dialogs_per_shard: $4
  transactions_per_shard: $5
timers:
  t1_ms: 50
  t2_ms: 400
  t4_ms: 500
log:
  level: notice
$6
EOF
}
config a server 192.0.2.21 65536 262144 "policy:
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
# B keeps calling until it is killed.
config b client 192.0.2.22 16384 32768 "calls:
  target: sip:kill@192.0.2.21:5060
  rate: 20000
  total: 100000000
  hold_ms: 0
  prack: off"
config final client 192.0.2.22 16384 32768 "calls:
  target: sip:resume@192.0.2.21:5060
  rate: 200
  total: 200
  hold_ms: 0
  prack: off"

cpu1=$(($(nproc) > 1 ? 1 : 0))
start() { # $1 ns, $2 config name, $3 worker CPU, $4 control CPU, $5... options; sets last_pid
	local ns=$1 name=$2 wcpu=$3 ccpu=$4
	shift 4
	ip netns exec "$ns" "$bin" --no-huge -m 256 --file-prefix "sipdp-mk-$name" --no-pci \
		--lcores "0@$ccpu,1@$wcpu" --main-lcore 0 --log-level=user1,notice \
		-- --config "$work/$name.yaml" "$@" >>"$work/$name.log" 2>&1 </dev/null &
	last_pid=$!
}
ready() { # $1 log, $2 pid, $3 ready lines expected in the log
	for _ in $(seq 1 200); do
		[ "$(grep -c '^sipdp: ready' "$1")" -ge "$3" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

start $A a $cpu1 0
pid_a=$last_pid
ready "$work/a.log" "$pid_a" 1 || { echo "FAIL the answering sipdp did not start"; exit 1; }

# B's start time (launch to ready), to spread the kills over start-up and
# traffic alike.
t0=$(date +%s%N)
start $B b 0 $cpu1
pid_b=$last_pid
ready "$work/b.log" "$pid_b" 1 || { echo "FAIL the calling sipdp did not start"; exit 1; }
start_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill -KILL "$pid_b"; wait "$pid_b" 2>/dev/null; pid_b=""
echo "B starts in ${start_ms} ms; kills after 0 .. $((start_ms + MAX_DELAY_MS)) ms, seed $SEED"

RANDOM=$SEED
alive_after=0 a_crash=""
for i in $(seq 1 "$KILLS"); do
	delay=$(( (RANDOM * 32768 + RANDOM) % (start_ms + MAX_DELAY_MS + 1) ))
	start $B b 0 $cpu1
	pid_b=$last_pid
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -KILL "$pid_b" 2>/dev/null
	wait "$pid_b" 2>/dev/null
	pid_b=""
	if ! kill -0 "$pid_a" 2>/dev/null || crashed "$work/a.log"; then
		a_crash="after kill $i (delay $delay ms)"
		break
	fi
	alive_after=$i
done
check "A alive and no crash in its log after $KILLS SIGKILLs of its peer${a_crash:+: died $a_crash}" \
	'[ -z "$a_crash" ] && [ "$alive_after" = "$KILLS" ]'
[ -n "$a_crash" ] && exit 1

# Traffic resumes: a fresh peer's calls are all answered.
start $B final 0 $cpu1 --exit-when-done
pid_b=$last_pid
ready "$work/final.log" "$pid_b" 1 || { echo "FAIL the last calling sipdp did not start"; exit 1; }
rc_b=timeout
for _ in $(seq 1 300); do
	if ! kill -0 "$pid_b" 2>/dev/null; then
		wait "$pid_b"
		rc_b=$?
		break
	fi
	sleep 0.1
done
[ "$rc_b" = timeout ] || pid_b=""
lf=$work/final.log
grep "calls: attempted" "$lf" | tail -n 1
check "the last peer exited by itself, status 0" '[ "$rc_b" = 0 ]'
check "its 200 calls answered after $KILLS kills" '[ "$(stat_of "$lf" gen_answered)" = 200 ]'
check "none failed" '[ "$(stat_of "$lf" gen_failed)" = 0 ]'

kill -TERM "$pid_a"
rc_a=timeout
for _ in $(seq 1 150); do
	if ! kill -0 "$pid_a" 2>/dev/null; then
		wait "$pid_a"
		rc_a=$?
		break
	fi
	sleep 0.1
done
[ "$rc_a" = timeout ] || pid_a=""
la=$work/a.log
check "A stopped on SIGTERM with status 0 and its final counters" \
	'[ "$rc_a" = 0 ] && grep -q "final counters" "$la"'
check "A's log has no crash" '! crashed "$la"'
for k in port.link_up_events port.link_down_events port.link_guard_waits \
	port.link_guard_timeouts port.link_guard_wait_us_max total.rx_skipped_link_down \
	total.tx_link_down_drops; do
	echo "A $k $(awk -v k="$k" '$1 == k { print $2 }' "$la")"
done
check "A saw the link go down and come back" \
	'[ "$(awk '\''$1 == "port.link_down_events" { print $2 }'\'' "$la")" -ge 1 ] &&
	 [ "$(awk '\''$1 == "port.link_up_events" { print $2 }'\'' "$la")" -ge 2 ]'
check "A never gave up waiting for its lcores before an unmap" \
	'[ "$(awk '\''$1 == "port.link_guard_timeouts" { print $2 }'\'' "$la")" = 0 ]'
exit $fail
