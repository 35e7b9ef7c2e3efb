#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The calls: generator as transferor (calls.refer_to, RFC 3515 and RFC 5589
# §6): sipdp places 200 calls at 50 calls/s to a sipp UAS playing the
# transferee (scenarios/uas_transferee.xml); 200 ms after each 200 it
# sends a REFER with Refer-To: <sip:target@192.0.2.2:5080>, gets 202 and
# NOTIFYs 100 then 200 (sipfrag), and ends the call with BYE. Every transfer
# is attempted, accepted and completed, none failed, as /sipdp/calls, the
# summary line and sipp say. Then 20 calls to a transferee that NOTIFYs 486
# (scenarios/uas_transferee_busy.xml): 20 transfers failed with 486, each
# call ended by sipdp, no call failed.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require

get() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/calls.json" "$1"; }
by_status() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["xfer_failed_by_status"].get(sys.argv[2], 0))' "$work/calls.json" "$1"; }

# run SCENARIO CONFIG CALLS: sipp listens, sipdp generates, both end.
run() {
	sys_sipp uas -sf "$root/test/system/scenarios/$1" -i 192.0.2.2 -p 5060 -m "$3" -timeout 60s &
	sipp_job=$!
	sleep 1
	"$lab" start "$2" || { echo "FAIL sipdp did not start"; exit 1; }
	done=$(sys_calls_wait)
	wait "$sipp_job"
	sys_tel /sipdp/calls >"$work/calls.json"
	cat "$work/calls.json"
}

"$lab" up >/dev/null || { echo "FAIL lab up"; exit 1; }
sys_started=1
# 200 calls at 50/s, each REFERred after 0.2 s: about 5 s; bounded at 60 s.
run uas_transferee.xml "$root/test/system/configs/calls-refer.yaml" 200
check "generator done" '[ "$done" = 1 ]'
check "200 calls answered" '[ "$(get answered)" = 200 ]'
check "0 calls failed" '[ "$(get failed)" = 0 ]'
check "200 transfers attempted" '[ "$(get xfer_attempted)" = 200 ]'
check "200 transfers accepted (202)" '[ "$(get xfer_accepted)" = 200 ]'
check "200 transfers completed (NOTIFY 200)" '[ "$(get xfer_completed)" = 200 ]'
check "0 transfers failed" '[ "$(get xfer_failed)" = 0 ]'
check "no call left" '[ "$(get live)" = 0 ]'
check "summary line in the log" 'grep -q "transfers: attempted 200 accepted 200 completed 200 failed 0" "$(sys_log)"'
grep "calls: attempted" "$(sys_log)" || true
check "sipp exit 0" '[ "$(cat "$work/uas.rc")" = 0 ]'
check "sipp: 200 calls successful" '[ "$(sipp_stat uas "SuccessfulCall(C)")" = 200 ]'
check "sipp: 0 calls failed" '[ "$(sipp_stat uas "FailedCall(C)")" = 0 ]'
[ $fail = 0 ] || tail -n 30 "$work/uas.out"

"$lab" stop >/dev/null 2>&1 || true
sed 's/^  total: 200$/  total: 20/' "$root/test/system/configs/calls-refer.yaml" >"$work/busy.yaml"
run uas_transferee_busy.xml "$work/busy.yaml" 20
check "busy: generator done" '[ "$done" = 1 ]'
check "busy: 20 calls answered, 0 failed" '[ "$(get answered)" = 20 ] && [ "$(get failed)" = 0 ]'
check "busy: 20 transfers accepted" '[ "$(get xfer_accepted)" = 20 ]'
check "busy: 0 completed, 20 failed with 486" '[ "$(get xfer_completed)" = 0 ] && [ "$(get xfer_failed)" = 20 ] && [ "$(by_status 486)" = 20 ]'
check "busy: sipdp ended the 20 calls" '[ "$(get byes)" = 20 ] && [ "$(get live)" = 0 ]'
check "busy: summary line" 'grep -q "transfers: attempted 20 accepted 20 completed 0 failed 20.* failures: 486x20" "$(sys_log)"'
check "busy: sipp: 20 calls successful" '[ "$(sipp_stat uas "SuccessfulCall(C)")" = 20 ]'
exit $fail
