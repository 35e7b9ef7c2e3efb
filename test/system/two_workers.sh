#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two workers on the two cores: calls spread over both shards by Call-ID,
# a message received by the worker that does not own it crosses one SPSC
# ring (hand-offs counted, none dropped), and every call succeeds.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require
sys_start "$root/drivers-config/lab-af_packet-2w.yaml"

sys_sipp two -sn uac 192.0.2.1:5060 -i 192.0.2.2 -m 1000 -r 100 -recv_timeout 10000 -timeout 100s
check "sipp exit 0" '[ "$(cat "$work/two.rc")" = 0 ]'
check "1000 calls successful" '[ "$(sipp_stat two "SuccessfulCall(C)")" = 1000 ]'
check "0 calls failed" '[ "$(sipp_stat two "FailedCall(C)")" = 0 ]'
sys_tel /sipdp/stats >"$work/stats.json"
w0=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["worker0"]["policy_answer"])' "$work/stats.json")
w1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["worker1"]["policy_answer"])' "$work/stats.json")
hout=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"]["handoff_out"])' "$work/stats.json")
hin=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"]["handoff_in"])' "$work/stats.json")
hdrop=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"]["handoff_drops"])' "$work/stats.json")
echo "calls answered: worker0 $w0, worker1 $w1; hand-offs out $hout in $hin dropped $hdrop"
check "both workers answered calls" '[ "$w0" -gt 100 ] && [ "$w1" -gt 100 ]'
check "the two shards answered every call" '[ $((w0 + w1)) = 1000 ]'
check "hand-offs happened" '[ "$hout" -gt 0 ] && [ "$hin" = "$hout" ]'
check "no hand-off dropped" '[ "$hdrop" = 0 ]'
exit $fail
