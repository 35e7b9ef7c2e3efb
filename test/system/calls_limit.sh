#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# calls.max_concurrent: 400 calls due at 200/s, each held 2 s, at most 50 at
# once. No call can end before its 2 s hold, and the 51st is due at 0.25 s,
# so calls beyond the limit are due while it is reached whatever the
# timing: they are counted as not started (never retried), every call that
# started is answered, and attempted + not_started is the total.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require

"$lab" up >/dev/null || { echo "FAIL lab up"; exit 1; }
sys_started=1
sys_sipp uas -sn uas -i 192.0.2.2 -p 5060 -timeout 20s &
sipp_job=$!
sleep 1
"$lab" start "$root/test/system/configs/calls-limit.yaml" || { echo "FAIL sipdp did not start"; exit 1; }
done=$(sys_calls_wait 60)
sys_tel /sipdp/calls >"$work/calls.json"
cat "$work/calls.json"
get() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/calls.json" "$1"; }
att=$(get attempted); ns=$(get not_started)
check "generator done" '[ "$done" = 1 ]'
check "calls beyond the limit not started" '[ "$ns" -gt 0 ]'
check "at most 50 + what ended in time attempted" '[ "$att" -ge 50 ] && [ "$att" -lt 400 ]'
check "attempted + not_started = 400" '[ $((att + ns)) = 400 ]'
check "every started call answered" '[ "$(get answered)" = "$att" ]'
check "0 failed" '[ "$(get failed)" = 0 ]'
wait "$sipp_job" || true
exit $fail
