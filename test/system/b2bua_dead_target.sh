#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# B2BUA with a dead first target (suite 'system'), rule callee-dead of
# configs/b2bua.yaml: 198.51.100.20:5099 (nothing listens there) first,
# ring_timeout_ms 500, down_after 3; then the normal UAS on :5060. A call
# moves on at its ring timeout; the INVITE left behind at the dead target
# ends on its own Timer B (64*T1), which T1 = 100 ms here makes 6.4 s, so
# the drain check does not wait 32 s.
#  1. 10 calls at 5/s: every call succeeds on the second target; until the
#     third ring timeout every call tries the dead one first, so at least 3
#     fail over and the target is marked down (targets_down >= 1, 1 down
#     now).
#  2. 20 more calls: the target is still down (its OPTIONS probes get no
#     answer), so none of them tries it: no new failover, no new ring
#     timeout, 20 more answered.
# Bounded: each sipp under `timeout 120` with -timeout 60s.
source "$(dirname "$0")/b2bua_lib.sh" "$@"
sys_require

sed 's/^log:$/timers:\n  t1_ms: 100\n\nlog:/' "$root/test/system/configs/b2bua.yaml" >"$work/dead.yaml"
b2b_start "$work/dead.yaml"
b2b_callee callee1 -sn uas -i "$CALLEE4" -p 5060 -m 10 -timeout 60s
b2b_caller caller1 -sn uac 192.0.2.1:5060 -s dead -i 192.0.2.2 -p 5070 -m 10 -r 5 \
	-timeout 60s -timeout_error
wait "$callee_job"
b2b_sipp_ok caller1 10
b2b_sipp_ok callee1 10
check "phase 1: nothing left" b2b_wait_idle
fo1=$(b2b_stat bridge_failovers) rt1=$(b2b_stat bridge_ring_timeouts)
echo "phase 1: failovers $fo1, ring timeouts $rt1, targets down $(b2b_stat bridge_targets_down)"
check "phase 1: 10 answered" '[ "$(b2b_stat bridges_answered)" = 10 ]'
check "phase 1: at least 3 calls failed over" '[ "$fo1" -ge 3 ] && [ "$rt1" -ge 3 ]'
check "dead target marked down" '[ "$(b2b_stat bridge_targets_down)" -ge 1 ] && [ "$(b2b_stat bridge_targets_down_now)" = 1 ]'

b2b_callee callee2 -sn uas -i "$CALLEE4" -p 5060 -m 20 -timeout 60s
b2b_caller caller2 -sn uac 192.0.2.1:5060 -s dead -i 192.0.2.2 -p 5070 -m 20 -r 10 \
	-timeout 60s -timeout_error
wait "$callee_job"
b2b_sipp_ok caller2 20
b2b_sipp_ok callee2 20
check "phase 2: nothing left" b2b_wait_idle
check "phase 2: 30 answered in all" '[ "$(b2b_stat bridges_answered)" = 30 ]'
check "phase 2: straight to the second target (no new failover)" '[ "$(b2b_stat bridge_failovers)" = "$fo1" ]'
check "phase 2: no new ring timeout" '[ "$(b2b_stat bridge_ring_timeouts)" = "$rt1" ]'
check "dead target still down" '[ "$(b2b_stat bridge_targets_down_now)" = 1 ]'
exit $fail
