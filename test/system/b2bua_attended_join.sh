#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Attended transfer joined on the box (suite 'system'; docs/b2bua.md
# "Attended transfer"): one worker holds both calls of the transferor
# (test/system/b2b_transferor.py on 198.51.100.20):
#
#   call 1: sipp caller 192.0.2.2 -> sipdp -> transferor (rule callee)
#   call 2: transferor -> sipdp -> carol, sipp UAS 198.51.100.21 (rule callee-carol)
#   REFER on call 1, Refer-To: <sip:carol@192.0.2.1?Replaces=call 2 as
#   sipdp sees it (its to-tag, the transferor's from-tag)>
#
# sipdp joins the caller and carol itself: a re-INVITE without SDP to carol
# (scenarios/uas_join_target.xml), her offer in a re-INVITE to the caller
# (scenarios/uac_reinvited_by_target.xml checks it is carol's), the
# caller's answer in carol's ACK; NOTIFY 200 and BYE on both of the
# transferor's dialogs. Checked: no INVITE leaves sipdp towards a new
# destination (sipdp sent 4 INVITEs: the 2 calls and 2 re-INVITEs; carol's
# two INVITEs share one Call-ID, the caller's re-INVITE carries its own
# Call-ID, the transferor got 1 INVITE); carol's BYE reaches the caller (both
# sipp scenarios complete); bridge_joins_local, bridge_refers_terminated and
# bridge_transfers_ok are 1; nothing is left. Bounded: sipp under
# `timeout 120` with -timeout 20s, the transferor 15 s.
source "$(dirname "$0")/b2bua_lib.sh" "$@"
sys_require
CAROL=198.51.100.21

b2b_start "$root/test/system/configs/b2bua.yaml"
ip -n sipdp-peer addr add "$CAROL/24" dev sipdp-peer0

b2b_callee carol -sf "$scen/uas_join_target.xml" -i "$CAROL" -p 5060 -m 1 -timeout 20s \
	-trace_msg -message_file "$work/carol.msg"
timeout -k 2 20 ip netns exec sipdp-peer python3 "$root/test/system/b2b_transferor.py" \
	--local "$CALLEE4" --sipdp 192.0.2.1 --target-user carol --timeout 15 \
	--trace "$work/xferor.msg" >"$work/xferor.log" 2>&1 &
xferor_pid=$!
for _ in $(seq 1 20); do
	ip netns exec sipdp-peer ss -Hlun "sport = :5060" | grep -q "$CALLEE4" && break
	sleep 0.1
done
b2b_caller caller -sf "$scen/uac_reinvited_by_target.xml" 192.0.2.1:5060 -s service \
	-i 192.0.2.2 -p 5070 -m 1 -timeout 20s -timeout_error -trace_msg -message_file "$work/caller.msg"
wait "$callee_job"
wait "$xferor_pid"
cat "$work/xferor.log"
xf() { awk -v k="$1" '$1 == k {print $2; exit}' "$work/xferor.log"; }

b2b_sipp_ok caller 1
b2b_sipp_ok carol 1
check "transferor: call 1 answered, call 2 answered 200, REFER 202" \
	'[ "$(xf call1)" = 200 ] && [ "$(xf call2)" = 200 ] && [ "$(xf refer)" = 202 ]'
check "transferor: NOTIFY with sipfrag 200" 'grep -q "^notify 200 " "$work/xferor.log"'
check "transferor: BYE on both of its calls" '[ "$(xf bye1)" = yes ] && [ "$(xf bye2)" = yes ]'
check "transferor: 1 INVITE received, nothing else unexpected" \
	'[ "$(xf invites_in)" = 1 ] && [ "$(xf other_in)" = none ]'
# No INVITE towards a new destination: carol's two INVITEs (call 2 and the
# re-INVITE) are one dialog, the caller got one re-INVITE in its own call.
awk '/^INVITE /{i=1} i&&/^Call-ID:/{print $2; i=0}' "$work/carol.msg" >"$work/carol.cids"
check "carol: 2 INVITEs, one Call-ID" \
	'[ "$(wc -l <"$work/carol.cids")" = 2 ] && [ "$(sort -u "$work/carol.cids" | wc -l)" = 1 ]'
check "carol: the re-INVITE carries no SDP" \
	'awk "/^INVITE /{n++} n==2&&/^(Content-Length|l):/{print \$2; exit}" "$work/carol.msg" | tr -d "\r" | grep -qx 0'
check "caller: 1 re-INVITE, in its own call" \
	'[ "$(grep -c "^INVITE " "$work/caller.msg")" = 2 ] && [ "$(awk "/^Call-ID:/{print \$2}" "$work/caller.msg" | sort -u | wc -l)" = 1 ]'
check "sipdp sent 4 INVITEs (2 calls, 2 re-INVITEs)" '[ "$(b2b_stat tx_INVITE)" = 4 ]'
check "nothing left (bridges_live, dialogs_live 0)" b2b_wait_idle
check "bridge_joins_local 1" '[ "$(b2b_stat bridge_joins_local)" = 1 ]'
check "1 REFER terminated, 1 transfer ok, 0 failed" \
	'[ "$(b2b_stat bridge_refers_terminated)" = 1 ] && [ "$(b2b_stat bridge_transfers_ok)" = 1 ] && [ "$(b2b_stat bridge_transfers_failed)" = 0 ]'
check "2 bridges answered" '[ "$(b2b_stat bridges_answered)" = 2 ]'
[ $fail = 0 ] || { echo "--- transferor's messages"; cat "$work/xferor.msg"; }
exit $fail
