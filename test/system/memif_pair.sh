#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The net_memif profiles (drivers-config/lab-memif-answer.yaml and
# lab-memif-call.yaml) as shipped: two sipdp processes, each in a namespace
# of this test's own (sipdp-mt-a, sipdp-mt-b), joined by shared memory. The
# calling one generates 1,000 calls (200/s, 200 ms hold) and exits when
# done: every call answered, none failed, and the answering side counted
# 1,000 answered calls. Bounded: the generator is stopped after 60 s.
set -u
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${2:?usage: $0 LAB_SH SIPDP_BIN}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
A=sipdp-mt-a B=sipdp-mt-b
sock=/run/sipdp-memif-lab.sock
[ "$(id -u)" -eq 0 ] || { echo "not root: skip"; exit 77; }
command -v ip >/dev/null && ip netns list >/dev/null 2>&1 || { echo "no ip netns: skip"; exit 77; }
[ -x "$bin" ] || { echo "no sipdp binary: skip"; exit 77; }
ip netns list | grep -qE "^($A|$B)\b" && { echo "namespaces $A/$B exist: skip"; exit 77; }
[ -e "$sock" ] && { echo "$sock exists: another memif pair is running: skip"; exit 77; }
work=$(mktemp -d /tmp/sipdp-memif.XXXXXX)
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
	rm -f "$sock"
	[ $rc -ne 0 ] && for f in "$work"/*.log; do echo "--- $f"; tail -n 25 "$f"; done
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
stat_of() { awk -v k="total.$2" '$1 == k { print $2 }' "$1"; }
for ns in $A $B; do
	ip netns add $ns
	ip -n $ns link set lo up
done
start() { # $1 ns, $2 prefix, $3 profile, $4... app options; sets last_pid
	local ns=$1 prefix=$2 cfg=$3
	shift 3
	ip netns exec "$ns" "$bin" --no-huge -m 512 --file-prefix "$prefix" --no-pci \
		--lcores "0@0,1@$(($(nproc) > 1 ? 1 : 0))" --main-lcore 0 \
		-- --config "$src/drivers-config/$cfg" "$@" >"$work/$prefix.log" 2>&1 </dev/null &
	last_pid=$!
}
ready() { # $1 log, $2 pid
	for _ in $(seq 1 300); do
		grep -q '^sipdp: ready' "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
start $A sipdp-mt-a lab-memif-answer.yaml
pid_a=$last_pid
ready "$work/sipdp-mt-a.log" "$pid_a" || { echo "FAIL the answering sipdp did not start"; exit 1; }
start $B sipdp-mt-b lab-memif-call.yaml --exit-when-done
pid_b=$last_pid
ready "$work/sipdp-mt-b.log" "$pid_b" || { echo "FAIL the calling sipdp did not start"; exit 1; }
rc_b=timeout
for _ in $(seq 1 600); do
	if ! kill -0 "$pid_b" 2>/dev/null; then
		wait "$pid_b"
		rc_b=$?
		break
	fi
	sleep 0.1
done
pid_b=""
lb=$work/sipdp-mt-b.log
grep "calls: attempted" "$lb" | tail -n 1
check "the generator exited by itself, status 0" '[ "$rc_b" = 0 ]'
check "1000 calls attempted" '[ "$(stat_of "$lb" gen_attempted)" = 1000 ]'
check "1000 calls answered" '[ "$(stat_of "$lb" gen_answered)" = 1000 ]'
check "none failed" '[ "$(stat_of "$lb" gen_failed)" = 0 ]'
kill -TERM "$pid_a"
for _ in $(seq 1 150); do kill -0 "$pid_a" 2>/dev/null || break; sleep 0.1; done
wait "$pid_a" 2>/dev/null
pid_a=""
check "the answering side answered 1000" '[ "$(stat_of "$work/sipdp-mt-a.log" policy_answer)" = 1000 ]'
exit $fail
