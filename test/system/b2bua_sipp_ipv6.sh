#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# B2BUA over IPv6 on both legs (suite 'system'): sipp UAC ([2001:db8::2])
# -> sipdp ([2001:db8::1], rule callee-v6 of configs/b2bua.yaml) -> sipp
# UAS ([2001:db8::20]). 200 calls at 50/s: all succeed on both sides, none
# left in sipdp, and the caller's address is in no Via, Contact or Call-ID
# the callee received. Bounded: each sipp under `timeout 120`.
source "$(dirname "$0")/b2bua_lib.sh" "$@"
sys_require

b2b_start "$root/test/system/configs/b2bua.yaml"
b2b_callee callee -sn uas -i "$CALLEE6" -p 5060 -m 200 -timeout 60s \
	-trace_msg -message_file "$work/callee.msg"
b2b_caller caller -sn uac "[2001:db8::1]:5060" -s v6 -i 2001:db8::2 -p 5070 -m 200 -r 50 \
	-timeout 60s -timeout_error -trace_msg -message_file "$work/caller.msg"
wait "$callee_job"
b2b_sipp_ok caller 200
b2b_sipp_ok callee 200
check "bridges_live and dialogs_live back to 0" b2b_wait_idle
check "200 bridges answered" '[ "$(b2b_stat bridges_answered)" = 200 ]'
check "0 bridges failed" '[ "$(b2b_stat bridges_failed)" = 0 ]'
grep -oE '^Call-ID: *[^ ]+' "$work/caller.msg" | sed 's/^Call-ID: *//' | sort -u >"$work/a_callids"
check "caller Call-IDs captured" '[ "$(wc -l <"$work/a_callids")" -ge 200 ]'
check "callee saw IPv6 INVITEs from sipdp" \
	'grep -q "^INVITE sip:v6@\[2001:db8::20\]" "$work/callee.msg" && grep -qE "^Via: SIP/2.0/UDP \[2001:db8::1\]:5060" "$work/callee.msg"'
check "callee: no caller Call-ID" '! grep -qFf "$work/a_callids" "$work/callee.msg"'
check "callee: caller address in no Via/Contact/Call-ID" \
	'! grep -iE "^(Via|v|Contact|m|Call-ID|i|Record-Route|Route):.*\[2001:db8::2\]" "$work/callee.msg"'
exit $fail
