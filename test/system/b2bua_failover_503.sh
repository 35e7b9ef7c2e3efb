#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# B2BUA failover on 503 (suite 'system'): rule callee-503 of
# configs/b2bua.yaml tries 198.51.100.20:5064 first, a sipp UAS answering
# every INVITE 503 (scenarios/uas_503.xml), then 198.51.100.20:5060, the
# normal UAS. 200 calls at 50/s: every call succeeds for the caller, the
# 503 server saw (and ACKed) 200 INVITEs, the second target answered 200,
# and sipdp counted exactly one failover per call (down_after 1000: the
# first target is never skipped). Bounded: each sipp under `timeout 120`.
source "$(dirname "$0")/b2bua_lib.sh" "$@"
sys_require

b2b_start "$root/test/system/configs/b2bua.yaml"
callee_port=5064 b2b_callee busy -sf "$scen/uas_503.xml" -i "$CALLEE4" -p 5064 -m 200 -timeout 60s
busy_job=$callee_job
b2b_callee callee -sn uas -i "$CALLEE4" -p 5060 -m 200 -timeout 60s
b2b_caller caller -sn uac 192.0.2.1:5060 -s fo503 -i 192.0.2.2 -p 5070 -m 200 -r 50 \
	-timeout 60s -timeout_error
wait "$callee_job" "$busy_job"
b2b_sipp_ok caller 200
b2b_sipp_ok busy 200
b2b_sipp_ok callee 200
check "bridges_live and dialogs_live back to 0" b2b_wait_idle
check "200 bridges answered, 0 failed" '[ "$(b2b_stat bridges_answered)" = 200 ] && [ "$(b2b_stat bridges_failed)" = 0 ]'
check "failovers = calls (200)" '[ "$(b2b_stat bridge_failovers)" = 200 ]'
check "the 503 target is not marked down" '[ "$(b2b_stat bridge_targets_down)" = 0 ]'
exit $fail
