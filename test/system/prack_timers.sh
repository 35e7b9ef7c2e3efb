#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# PRACK and session timers per policy rule (test/system/configs/xfer-ext.yaml):
#  - prack: required, UAC with 100rel: reliable 180 (Require: 100rel, RSeq),
#    PRACK with RAck answered 200, then the 200 to the INVITE (RFC 3262);
#  - prack: required, UAC without 100rel: 421 with Require: 100rel;
#  - prack: off, UAC requiring 100rel: 420 with Unsupported: 100rel;
#  - session_timer min_se 90: Session-Expires: 60 gets 422 with Min-SE: 90;
#  - session_timer min_se 300: Session-Expires: 200 gets 422 with Min-SE: 300;
#  - Session-Expires: 1800: the 200 carries it with a refresher (RFC 4028).
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
# one NAME SCENARIO SERVICE [sipp args...]
one() {
	local name=$1 sf=$2 svc=$3
	shift 3
	sys_sipp "$name" -sf "$sc/$sf" -s "$svc" 192.0.2.1:5060 -i 192.0.2.2 -m 1 -timeout 20s \
		-trace_msg -message_file "$work/$name.msg" "$@"
}
ok() { [ "$(cat "$work/$1.rc")" = 0 ] && [ "$(sipp_stat "$1" "SuccessfulCall(C)")" = 1 ]; }

one prack uac_prack.xml prack
check "prack: reliable 180, PRACK 200, then INVITE 200 (sipp exit 0)" 'ok prack'
check "prack: the 180 carries RSeq and Require: 100rel" \
	'grep -q "^RSeq: [0-9]" "$work/prack.msg" && grep -q "^Require: 100rel" "$work/prack.msg"'
one r421 uac_421.xml prack
check "421 with Require: 100rel to a UAC without 100rel" 'ok r421'
one r420 uac_420.xml noprack
check "420 with Unsupported: 100rel on a prack: off rule" 'ok r420'
one r422 uac_422.xml timer -key se 60
check "422 to Session-Expires: 60" 'ok r422'
check "the 422 says Min-SE: 90" 'grep -q "^Min-SE: 90" "$work/r422.msg"'
one r422b uac_422.xml timer300 -key se 200
check "422 to Session-Expires: 200 on the min_se 300 rule" 'ok r422b'
check "that 422 says Min-SE: 300" 'grep -q "^Min-SE: 300" "$work/r422b.msg"'
one st uac_st_ok.xml timer
check "Session-Expires: 1800 gets 200 with Session-Expires;refresher" 'ok st'
check "the 200 says refresher=uas (the rule's choice) and Require: timer" \
	'grep -q "^Session-Expires: 1800;refresher=uas" "$work/st.msg" && grep -q "^Require: timer" "$work/st.msg"'
sleep 1
check "counters: rel1xx_sent 1, prack_received 1, sent_420 1, sent_421 1, sent_422 2" \
	'[ "$(stat rel1xx_sent)" = 1 ] && [ "$(stat prack_received)" = 1 ] && [ "$(stat sent_420)" = 1 ] && [ "$(stat sent_421)" = 1 ] && [ "$(stat sent_422)" = 2 ]'
exit $fail
