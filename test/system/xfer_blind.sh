#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Call transfer with sipdp as the transferee (RFC 3515, RFC 5589 §6):
#  1. blind transfer: sipp calls sipdp (rule "xfer"), REFERs it to a second
#     sipp (the target, 192.0.2.2:5080); sipdp answers 202, NOTIFYs 100 then
#     200, INVITEs the target with Referred-By (the target answers, then
#     hangs up); the transferor ends the first call with BYE after the final
#     NOTIFY, as RFC 5589 has it, and gets 200.
#  2. busy target: the target answers 486; the NOTIFY carries 486 and the
#     first call survives (the BYE afterwards gets 200, not 481).
#  3. a rule with on_refer: reject: the REFER gets 603 and the call goes on.
#  4. a rule with a blind auto_transfer: sipdp REFERs the answered call
#     300 ms after the ACK (sipp plays the transferee: 202, NOTIFY 100,
#     NOTIFY 200) and then ends it with BYE.
#  5. INVITE with Replaces (RFC 3891), as a transfer target sees it in an
#     attended transfer: the new call is answered and the replaced one ended
#     with BYE; a Replaces naming no dialog gets 481.
#  6. a rule with an attended auto_transfer: sipdp calls the target (sipp at
#     192.0.2.2:5080) and, once it answers, REFERs the first call with
#     Refer-To: <target?Replaces=...> (sipp plays the transferee), then ends
#     it with BYE after the NOTIFY 200.
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
# transfer NAME TARGET_SCENARIO UAC_SCENARIO SERVICE
transfer() {
	if [ -n "$2" ]; then
		sys_sipp "$1-tgt" -sf "$sc/$2" -i 192.0.2.2 -p 5080 -m 1 -timeout 30s &
		tpid=$!
		sleep 1
	fi
	sys_sipp "$1" -sf "$sc/$3" -s "$4" 192.0.2.1:5060 -i 192.0.2.2 -p 5062 -m 1 \
		-timeout 30s -trace_msg -message_file "$work/$1.msg"
	[ -z "$2" ] || wait "$tpid"
}

transfer blind uas_target.xml uac_xfer_blind.xml xfer
check "blind: transferor sipp exit 0 (202, NOTIFY 100, NOTIFY 200, BYE 200)" \
	'[ "$(cat "$work/blind.rc")" = 0 ] && [ "$(sipp_stat blind "SuccessfulCall(C)")" = 1 ]'
check "blind: target sipp got the INVITE with Referred-By, answered, hung up" \
	'[ "$(cat "$work/blind-tgt.rc")" = 0 ] && [ "$(sipp_stat blind-tgt "SuccessfulCall(C)")" = 1 ]'
check "blind: NOTIFYs say message/sipfrag 100 then 200" \
	'grep -q "SIP/2.0 100 Trying" "$work/blind.msg" && grep -q "SIP/2.0 200 OK" "$work/blind.msg" && grep -qi "Content-Type: message/sipfrag" "$work/blind.msg"'
check "blind: the final NOTIFY ends the subscription" \
	'grep -qi "Subscription-State: terminated" "$work/blind.msg"'
sleep 1
check "blind: counters refers_in 1, accepted 1, transfers_ok 1, notifies_sent 2" \
	'[ "$(stat refers_in)" = 1 ] && [ "$(stat refers_accepted)" = 1 ] && [ "$(stat transfers_ok)" = 1 ] && [ "$(stat notifies_sent)" = 2 ]'
check "blind: both calls are over (no dialog left)" '[ "$(stat dialogs_live)" = 0 ]'

transfer busy uas_target_busy.xml uac_xfer_busy.xml xfer
check "busy: transferor sipp exit 0 (NOTIFY 100, NOTIFY 486, then BYE 200: the call survived)" \
	'[ "$(cat "$work/busy.rc")" = 0 ] && [ "$(sipp_stat busy "SuccessfulCall(C)")" = 1 ]'
check "busy: target sipp answered 486" '[ "$(cat "$work/busy-tgt.rc")" = 0 ]'
check "busy: a NOTIFY carried SIP/2.0 486" 'grep -q "SIP/2.0 486" "$work/busy.msg"'
sleep 1
check "busy: transfers_failed 1, notifies_sent 4 in all" \
	'[ "$(stat transfers_failed)" = 1 ] && [ "$(stat notifies_sent)" = 4 ]'

transfer refused "" uac_xfer_refused.xml noxfer
check "refused: REFER answered 603, BYE then 200" \
	'[ "$(cat "$work/refused.rc")" = 0 ] && [ "$(sipp_stat refused "SuccessfulCall(C)")" = 1 ]'
sleep 1
check "refused: refers_rejected 1, refers_in 3" \
	'[ "$(stat refers_rejected)" = 1 ] && [ "$(stat refers_in)" = 3 ]'

transfer auto "" uac_auto_transferee.xml auto
check "auto: REFER to the rule's target, 202, NOTIFYs, then sipdp's BYE" \
	'[ "$(cat "$work/auto.rc")" = 0 ] && [ "$(sipp_stat auto "SuccessfulCall(C)")" = 1 ]'
check "auto: the REFER names sipdp as Referred-By" 'grep -q "^Referred-By: " "$work/auto.msg"'
sleep 1
check "auto: auto_refers 1, transfers_ok 2 in all" \
	'[ "$(stat auto_refers)" = 1 ] && [ "$(stat transfers_ok)" = 2 ]'
check "no dialog left" '[ "$(stat dialogs_live)" = 0 ]'

timeout -k 5 60 ip netns exec sipdp-peer python3 "$root/test/system/replaces_peer.py" \
	--to 192.0.2.1 --local 192.0.2.2 --user xfer >"$work/replaces.out" 2>&1
cat "$work/replaces.out"
rp() { awk -v k="$1" '$1 == k { print $2 }' "$work/replaces.out"; }
check "replaces: call 1 answered, call 2 (Replaces: call 1) answered" \
	'[ "$(rp call1)" = 200 ] && [ "$(rp call2)" = 200 ]'
check "replaces: sipdp ended call 1 with BYE" '[ "$(rp bye1)" = yes ]'
check "replaces: call 2 goes on (its BYE gets 200)" '[ "$(rp bye2)" = 200 ]'
check "replaces: a Replaces naming no dialog gets 481" '[ "$(rp unmatched)" = 481 ]'
sleep 1
check "replaces: replaces_matched 1, no dialog left" \
	'[ "$(stat replaces_matched)" = 1 ] && [ "$(stat dialogs_live)" = 0 ]'

transfer att uas_consult.xml uac_auto_attended.xml attended
check "attended: consultation call answered, REFER with Replaces, NOTIFYs, sipdp's BYE" \
	'[ "$(cat "$work/att.rc")" = 0 ] && [ "$(sipp_stat att "SuccessfulCall(C)")" = 1 ]'
check "attended: the target took the consultation call and hung up" \
	'[ "$(cat "$work/att-tgt.rc")" = 0 ] && [ "$(sipp_stat att-tgt "SuccessfulCall(C)")" = 1 ]'
grep -m1 "^Refer-To:" "$work/att.msg" || true
sleep 1
check "attended: auto_consults 1, auto_refers 2, transfers_ok 3, no dialog left" \
	'[ "$(stat auto_consults)" = 1 ] && [ "$(stat auto_refers)" = 2 ] && [ "$(stat transfers_ok)" = 3 ] && [ "$(stat dialogs_live)" = 0 ]'
exit $fail
