#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Session timers over time (RFC 4028 §10), rule "timer" of
# test/system/configs/xfer-ext.yaml, two 90 s sessions at once (about 65 s):
#  - sipdp is the refresher: it sends UPDATE at 45 s (the UAC allows
#    UPDATE), the 200 re-arms the timer (session_refreshes 1);
#  - the UAC is the refresher and never refreshes: sipdp ends the call with
#    BYE at 60 s (session_expiries 1).
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require
sc="$root/test/system/scenarios"
sys_start "$root/test/system/configs/xfer-ext.yaml"

stat() {
	sys_tel /sipdp/stats >"$work/stats.json"
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"][sys.argv[2]])' \
		"$work/stats.json" "$1"
}
ok() { [ "$(cat "$work/$1.rc")" = 0 ] && [ "$(sipp_stat "$1" "SuccessfulCall(C)")" = 1 ]; }

sys_sipp expire -sf "$sc/uac_st_expire.xml" -s timer 192.0.2.1:5060 -i 192.0.2.2 -p 5066 \
	-m 1 -timeout 100s &
epid=$!
sys_sipp refresh -sf "$sc/uac_st_refresh.xml" -s timer 192.0.2.1:5060 -i 192.0.2.2 -p 5068 \
	-m 1 -timeout 100s -trace_msg -message_file "$work/refresh.msg"
wait "$epid"
check "sipdp refreshed with UPDATE and the call went on (sipp exit 0)" 'ok refresh'
check "the UPDATE carried Session-Expires" \
	'grep -q "^UPDATE " "$work/refresh.msg" && grep -q "^Session-Expires: 90" "$work/refresh.msg"'
check "the unrefreshed call was ended by sipdp's BYE (sipp exit 0)" 'ok expire'
sleep 1
check "counters: session_refreshes 1, session_expiries 1, no dialog left" \
	'[ "$(stat session_refreshes)" = 1 ] && [ "$(stat session_expiries)" = 1 ] && [ "$(stat dialogs_live)" = 0 ]'
exit $fail
