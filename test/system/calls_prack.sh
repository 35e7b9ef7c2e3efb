#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The calls: generator with prack: required and a session_timer (RFC 3262,
# RFC 4028 on the UAC side): sipdp places 500 calls at 100 calls/s to a
# sipp UAS (scenarios/uas_prack.xml) that checks each INVITE for Require:
# 100rel, Session-Expires and Min-SE and sends a reliable 180; sipdp PRACKs
# every one (RAck checked by sipp), gets the 200, holds 0.5 s and hangs up.
# Every call answered, none failed, 500 PRACKs by sipdp's and sipp's count.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require

"$lab" up >/dev/null || { echo "FAIL lab up"; exit 1; }
sys_started=1
sys_sipp uas -sf "$root/test/system/scenarios/uas_prack.xml" -i 192.0.2.2 -p 5060 -m 500 \
	-timeout 60s &
sipp_job=$!
sleep 1
"$lab" start "$root/test/system/configs/calls-prack.yaml" || { echo "FAIL sipdp did not start"; exit 1; }

# 500 calls at 100/s plus the 0.5 s hold: about 6 s; bounded at 60 s.
done=$(sys_calls_wait)
wait "$sipp_job"
sys_tel /sipdp/calls >"$work/calls.json"
sys_tel /sipdp/stats >"$work/stats.json"
cat "$work/calls.json"
get() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/calls.json" "$1"; }
wget() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["worker0"][sys.argv[2]])' "$work/stats.json" "$1"; }
check "generator done" '[ "$done" = 1 ]'
check "500 calls attempted" '[ "$(get attempted)" = 500 ]'
check "500 calls answered" '[ "$(get answered)" = 500 ]'
check "0 calls failed" '[ "$(get failed)" = 0 ]'
check "0 calls not started" '[ "$(get not_started)" = 0 ]'
check "500 BYEs sent" '[ "$(get byes)" = 500 ]'
check "sipdp sent 500 PRACKs" '[ "$(wget prack_sent)" = 500 ]'
check "summary line in the log" 'grep -q "calls: attempted 500 answered 500 failed 0 not_started 0 p50" "$(sys_log)"'
check "sipp exit 0" '[ "$(cat "$work/uas.rc")" = 0 ]'
check "sipp: 500 calls successful" '[ "$(sipp_stat uas "SuccessfulCall(C)")" = 500 ]'
check "sipp: 0 calls failed" '[ "$(sipp_stat uas "FailedCall(C)")" = 0 ]'
[ $fail = 0 ] || tail -n 30 "$work/uas.out"
exit $fail
