#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# B2BUA over IPv4 (suite 'system'): sipp UAC (192.0.2.2) -> sipdp bridge
# rule (configs/b2bua.yaml) -> sipp UAS (198.51.100.20). 500 calls at 100/s:
# every call succeeds on both sipp sides, sipdp bridged and answered all
# 500, none is left (bridges_live 0, dialogs_live 0), and the callee saw
# sipdp only (topology hiding): none of the caller's Call-IDs or From tags,
# and the caller's address in no Via, Contact, Call-ID or Record-Route line
# of what it received (-trace_msg). The From URI crosses by design.
# Bounded: each sipp under `timeout 120` with -timeout 60s.
source "$(dirname "$0")/b2bua_lib.sh" "$@"
sys_require

b2b_start "$root/test/system/configs/b2bua.yaml"
b2b_callee callee -sn uas -i "$CALLEE4" -p 5060 -m 500 -timeout 60s \
	-trace_msg -message_file "$work/callee.msg"
b2b_caller caller -sn uac 192.0.2.1:5060 -s service -i 192.0.2.2 -p 5070 -m 500 -r 100 \
	-timeout 60s -timeout_error -trace_msg -message_file "$work/caller.msg"
wait "$callee_job"
b2b_sipp_ok caller 500
b2b_sipp_ok callee 500
check "bridges_live and dialogs_live back to 0" b2b_wait_idle
check "500 bridges answered" '[ "$(b2b_stat bridges_answered)" = 500 ]'
check "0 bridges failed" '[ "$(b2b_stat bridges_failed)" = 0 ]'
check "500 INVITEs to the bridge rule" '[ "$(b2b_stat policy_bridge)" = 500 ]'
check "no snapshot pin left" '[ "$(b2b_stat bridge_pins)" = 0 ]'

# Topology hiding: what the callee received.
grep -oE '^Call-ID: *[^ ]+' "$work/caller.msg" | sed 's/^Call-ID: *//' | sort -u >"$work/a_callids"
grep -oE '^From:.*;tag=[^; ]+' "$work/caller.msg" | sed 's/.*;tag=//' | sort -u >"$work/a_tags"
check "caller Call-IDs captured" '[ "$(wc -l <"$work/a_callids")" -ge 500 ]'
check "callee saw INVITEs from sipdp" 'grep -q "^INVITE sip:service@198.51.100.20" "$work/callee.msg"'
check "callee: no caller Call-ID" '! grep -qFf "$work/a_callids" "$work/callee.msg"'
check "callee: no caller From tag" '! grep -qFwf "$work/a_tags" "$work/callee.msg"'
check "callee: caller address in no Via/Contact/Call-ID/Record-Route" \
	'! grep -iE "^(Via|v|Contact|m|Call-ID|i|Record-Route|Route):.*192\.0\.2\.2\b" "$work/callee.msg"'
check "callee: its Vias name sipdp" 'grep -qE "^Via: SIP/2.0/UDP 192\.0\.2\.1:5060" "$work/callee.msg"'
exit $fail
