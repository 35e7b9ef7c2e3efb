#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# sipdp as the caller over TCP (calls.target ...;transport=tcp): sipp
# answers as UAS over TCP (-t t1) in the peer namespace; sipdp's worker
# hands each INVITE to the control lcore, which opens one connection to
# sipp and reuses it (sipdp_ctl_send_to); responses, ACK and BYE use it.
# 1,000 calls at 100 calls/s, each held 1 s: every call answered, none
# failed, by sipdp's report and sipp's statistics; the INVITEs say
# "Via: SIP/2.0/TCP" and "Contact: <...;transport=tcp>".
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require

"$lab" up >/dev/null || { echo "FAIL lab up"; exit 1; }
sys_started=1
sys_sipp uas -sn uas -t t1 -i 192.0.2.2 -p 5060 -m 1000 -timeout 100s -trace_msg \
	-message_file "$work/uas.msg" &
sipp_job=$!
sleep 1
"$lab" start "$root/test/system/configs/calls-tcp-1000.yaml" || { echo "FAIL sipdp did not start"; exit 1; }

# 1,000 calls at 100/s plus the 1 s hold: about 11 s; bounded at 60 s.
done=$(sys_calls_wait)
wait "$sipp_job"
sys_tel /sipdp/calls >"$work/calls.json"
sys_tel /sipdp/ctl >"$work/ctl.json"
cat "$work/calls.json"
get() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/$1.json" "$2"; }
check "generator done" '[ "$done" = 1 ]'
check "1000 calls attempted" '[ "$(get calls attempted)" = 1000 ]'
check "1000 calls answered" '[ "$(get calls answered)" = 1000 ]'
check "0 calls failed" '[ "$(get calls failed)" = 0 ]'
check "0 calls not started" '[ "$(get calls not_started)" = 0 ]'
check "1000 BYEs sent" '[ "$(get calls byes)" = 1000 ]'
echo "ctl: connects $(get ctl connects) sent $(get ctl sent) send_errors $(get ctl send_errors) send_closed $(get ctl send_closed)"
check "one outbound connection, reused" '[ "$(get ctl connects)" = 1 ]'
check "no send errors on the control lcore" '[ "$(get ctl send_errors)" = 0 ] && [ "$(get ctl send_closed)" = 0 ]'
check "INVITE Via says TCP" 'grep -q "^Via: SIP/2.0/TCP 192.0.2.1:5060;branch=" "$work/uas.msg"'
check "INVITE Contact says transport=tcp" 'grep -q "^Contact: <sip:sipdp@192.0.2.1:5060;transport=tcp>" "$work/uas.msg"'
check "no UDP Via" '! grep -q "^Via: SIP/2.0/UDP 192.0.2.1" "$work/uas.msg"'
check "summary line in the log" 'grep -q "calls: attempted 1000 answered 1000 failed 0 not_started 0 p50" "$(sys_log)"'
check "sipp exit 0" '[ "$(cat "$work/uas.rc")" = 0 ]'
check "sipp: 1000 calls successful" '[ "$(sipp_stat uas "SuccessfulCall(C)")" = 1000 ]'
check "sipp: 0 calls failed" '[ "$(sipp_stat uas "FailedCall(C)")" = 0 ]'
[ $fail = 0 ] || tail -n 30 "$work/uas.out"
exit $fail
