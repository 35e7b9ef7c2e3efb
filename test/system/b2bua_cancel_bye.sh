#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# B2BUA call ends from either side (suite 'system'), rule callee of
# configs/b2bua.yaml:
#  1. the caller cancels while the callee rings: 100 calls; the callee's
#     180 reaches the caller, whose CANCEL gets 200 and 487; sipdp CANCELs
#     the B leg, the callee answers 200 and 487 and gets its ACK
#     (scenarios/uac_cancel_ringing.xml, uas_ring_cancelled.xml);
#  2. the callee hangs up: 100 answered calls; the callee's BYE gets 200
#     from sipdp and the caller gets sipdp's BYE (uas_callee_bye.xml,
#     uac_wait_bye.xml).
# Both sipp sides complete every call, sipdp counts 100 cancelled and 100
# answered bridges, and nothing is left (bridges_live, dialogs_live 0).
# Bounded: each sipp under `timeout 120`.
source "$(dirname "$0")/b2bua_lib.sh" "$@"
sys_require

b2b_start "$root/test/system/configs/b2bua.yaml"
b2b_callee cancel_uas -sf "$scen/uas_ring_cancelled.xml" -i "$CALLEE4" -p 5060 -m 100 -timeout 60s
b2b_caller cancel_uac -sf "$scen/uac_cancel_ringing.xml" 192.0.2.1:5060 -s service \
	-i 192.0.2.2 -p 5070 -m 100 -r 50 -timeout 60s -timeout_error
wait "$callee_job"
b2b_sipp_ok cancel_uac 100
b2b_sipp_ok cancel_uas 100
check "cancel: nothing left" b2b_wait_idle
check "cancel: 100 bridges cancelled, 0 answered" \
	'[ "$(b2b_stat bridges_cancelled)" = 100 ] && [ "$(b2b_stat bridges_answered)" = 0 ]'

b2b_callee bye_uas -sf "$scen/uas_callee_bye.xml" -i "$CALLEE4" -p 5060 -m 100 -timeout 60s
b2b_caller bye_uac -sf "$scen/uac_wait_bye.xml" 192.0.2.1:5060 -s service \
	-i 192.0.2.2 -p 5070 -m 100 -r 50 -timeout 60s -timeout_error
wait "$callee_job"
b2b_sipp_ok bye_uac 100
b2b_sipp_ok bye_uas 100
check "callee BYE: nothing left" b2b_wait_idle
check "callee BYE: 100 bridges answered" '[ "$(b2b_stat bridges_answered)" = 100 ]'
exit $fail
