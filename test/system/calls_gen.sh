#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# sipdp as the caller (calls: section): sipp answers as UAS in the peer
# namespace; sipdp places 2,000 calls at 200 calls/s, holds each 1 s and
# hangs up. Every call is answered and none fails, as both sipdp's own
# report (/sipdp/calls, the summary line in its log) and sipp's statistics say.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require

# sipp listens before sipdp starts calling.
"$lab" up >/dev/null || { echo "FAIL lab up"; exit 1; }
sys_started=1
sys_sipp uas -sn uas -i 192.0.2.2 -p 5060 -m 2000 -timeout 100s &
sipp_job=$!
sleep 1
"$lab" start "$root/test/system/configs/${CALLS_CONFIG:-calls-2000.yaml}" || { echo "FAIL sipdp did not start"; exit 1; }

# 2,000 calls at 200/s plus the 1 s hold: about 11 s; bounded at 60 s.
done=$(sys_calls_wait)
wait "$sipp_job"
sys_tel /sipdp/calls >"$work/calls.json"
cat "$work/calls.json"
get() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/calls.json" "$1"; }
check "generator done" '[ "$done" = 1 ]'
check "2000 calls attempted" '[ "$(get attempted)" = 2000 ]'
check "2000 calls answered" '[ "$(get answered)" = 2000 ]'
check "0 calls failed" '[ "$(get failed)" = 0 ]'
check "0 calls not started" '[ "$(get not_started)" = 0 ]'
check "2000 BYEs sent" '[ "$(get byes)" = 2000 ]'
check "setup time measured" '[ "$(get setup_p50_us)" -gt 0 ] && [ "$(get setup_p99_us)" -ge "$(get setup_p50_us)" ]'
if [ -n "${CALLS_WORKERS:-}" ]; then
	sys_tel /sipdp/stats >"$work/stats.json"
	for i in $(seq 0 $((CALLS_WORKERS - 1))); do
		n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["worker"+sys.argv[2]]["gen_answered"])' "$work/stats.json" "$i")
		echo "worker$i answered $n"
		check "worker$i made its share (1000)" '[ "$n" = 1000 ]'
	done
fi
# The worker's CPU time is read once a second: after ~11 s of calls it is
# there, and its busy share is a part of it.
sys_tel /sipdp/stats >"$work/stats0.json"
w0() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["worker0"][sys.argv[2]])' "$work/stats0.json" "$1"; }
echo "worker0 cpu_ns $(w0 cpu_ns) busy_cpu_ns $(w0 busy_cpu_ns) loop_cycles $(w0 loop_cycles)"
check "worker CPU time counted" '[ "$(w0 cpu_ns)" -gt 0 ] && [ "$(w0 loop_cycles)" -gt 0 ]'
check "busy CPU share within it" '[ "$(w0 busy_cpu_ns)" -gt 0 ] && [ "$(w0 busy_cpu_ns)" -le "$(w0 cpu_ns)" ]'
check "summary line in the log" 'grep -q "calls: attempted 2000 answered 2000 failed 0 not_started 0 p50" "$(sys_log)"'
grep "calls: attempted" "$(sys_log)" || true
check "sipp exit 0" '[ "$(cat "$work/uas.rc")" = 0 ]'
check "sipp: 2000 calls successful" '[ "$(sipp_stat uas "SuccessfulCall(C)")" = 2000 ]'
check "sipp: 0 calls failed" '[ "$(sipp_stat uas "FailedCall(C)")" = 0 ]'
[ $fail = 0 ] || tail -n 30 "$work/uas.out"
exit $fail
