#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# B2BUA with the B leg over TCP (suite 'system'): sipp UAC over UDP ->
# sipdp (rule callee-tcp: ;transport=tcp target) -> sipp UAS over TCP
# (-t t1) on 198.51.100.20:5062. The worker hands each B-leg message to the
# control lcore, which opens one connection and reuses it. 200 calls at
# 50/s: all succeed on both sides, none left, the callee got TCP Vias.
# Bounded: each sipp under `timeout 120`.
source "$(dirname "$0")/b2bua_lib.sh" "$@"
sys_require

b2b_start "$root/test/system/configs/b2bua.yaml"
callee_port=5062 b2b_callee callee -sn uas -t t1 -i "$CALLEE4" -p 5062 -m 200 -timeout 60s \
	-trace_msg -message_file "$work/callee.msg"
b2b_caller caller -sn uac 192.0.2.1:5060 -s tcp -i 192.0.2.2 -p 5070 -m 200 -r 50 \
	-timeout 60s -timeout_error
wait "$callee_job"
b2b_sipp_ok caller 200
b2b_sipp_ok callee 200
check "bridges_live and dialogs_live back to 0" b2b_wait_idle
check "200 bridges answered" '[ "$(b2b_stat bridges_answered)" = 200 ]'
check "B-leg messages went over TCP" '[ "$(b2b_stat tcp_tx)" -ge 600 ] && [ "$(b2b_stat tcp_rx)" -ge 600 ]'
check "callee: Via SIP/2.0/TCP from sipdp" 'grep -qE "^Via: SIP/2.0/TCP 192\.0\.2\.1:5060" "$work/callee.msg"'
exit $fail
