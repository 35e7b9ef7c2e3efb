#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Config reload under load, without restart:
#  - calls to "alice" run all along (30/s, each held 3 s) across every
#    reload: none fails;
#  - before the reload, calls to "busy" are answered; `sipdp-ctl reload` of
#    a file with a new rule (busy -> 486) answers ok and new calls to busy
#    get 486 at once;
#  - a broken file is refused with its error (file:line:col) and nothing
#    changes: busy still gets 486; a file that changes sip.udp_port is
#    refused (needs a restart);
#  - SIGHUP with the first file back: busy is answered again;
#  - counters: reloads_ok 2, reloads_failed 2.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require
ctl=$(dirname "$SIPDP_BIN")/../sipdp-ctl/sipdp-ctl
[ -x "$ctl" ] || { echo "no sipdp-ctl: skip"; exit 77; }
cfg="$work/sipdp.yaml"
cp "$root/test/system/configs/reload-a.yaml" "$cfg"
sys_start "$cfg"

busy_ok() { # NAME COUNT: calls to busy, answered
	sys_sipp "$1" -sn uac 192.0.2.1:5060 -i 192.0.2.2 -p 5071 -s busy -m "$2" -r 20 -d 100 \
		-recv_timeout 10000 -timeout 60s
}
busy_486() { # NAME COUNT: calls to busy, refused with 486
	sys_sipp "$1" -sf "$root/test/system/scenarios/uac_486.xml" 192.0.2.1:5060 -i 192.0.2.2 \
		-p 5071 -s busy -m "$2" -r 20 -recv_timeout 10000 -timeout 60s
}

sys_sipp alice -sn uac 192.0.2.1:5060 -i 192.0.2.2 -p 5070 -s alice -m 450 -r 30 -d 3000 \
	-recv_timeout 10000 -timeout 100s &
alice_job=$!
sleep 1

busy_ok busy1 10
check "before: 10 calls to busy answered" '[ "$(sipp_stat busy1 "SuccessfulCall(C)")" = 10 ]'

cp "$root/test/system/configs/reload-b.yaml" "$cfg"
"$ctl" --prefix sipdp-lab --json reload >"$work/reload1.json"; rc1=$?
cat "$work/reload1.json"
check "sipdp-ctl reload: exit 0" '[ $rc1 = 0 ]'
check "reload answered ok" 'grep -qE "\"status\": ?\"ok\"" "$work/reload1.json"'
busy_486 busy2 10
check "after: 10 calls to busy refused with 486" '[ "$(sipp_stat busy2 "SuccessfulCall(C)")" = 10 ] && [ "$(sipp_stat busy2 "FailedCall(C)")" = 0 ]'

printf 'policy:\n  - name: [broken\n' >"$cfg"
"$ctl" --prefix sipdp-lab --json reload >"$work/reload2.json"; rc2=$?
cat "$work/reload2.json"
check "broken file: sipdp-ctl exit 1" '[ $rc2 = 1 ]'
check "broken file: error with file:line:col" 'grep -qE "\"error\": ?\"sipdp.yaml:[0-9]+:[0-9]+: " "$work/reload2.json"'
sed 's/udp_port: 5060/udp_port: 5062/' "$root/test/system/configs/reload-b.yaml" >"$cfg"
"$ctl" --prefix sipdp-lab --json reload >"$work/reload3.json"; rc3=$?
cat "$work/reload3.json"
check "udp_port change: refused, needs a restart" '[ $rc3 = 1 ] && grep -q "needs a restart" "$work/reload3.json"'
busy_486 busy3 5
check "nothing changed: busy still refused with 486" '[ "$(sipp_stat busy3 "SuccessfulCall(C)")" = 5 ]'

cp "$root/test/system/configs/reload-a.yaml" "$cfg"
kill -HUP "$(cat "$SIPDP_LAB_DIR/sipdp.pid")"
for _ in $(seq 1 50); do
	grep -q "reload (SIGHUP): ok" "$(sys_log)" && break
	sleep 0.1
done
check "SIGHUP reload logged ok" 'grep -q "reload (SIGHUP): ok" "$(sys_log)"'
busy_ok busy4 10
check "after SIGHUP: busy answered again" '[ "$(sipp_stat busy4 "SuccessfulCall(C)")" = 10 ]'

wait "$alice_job"
check "alice: sipp exit 0" '[ "$(cat "$work/alice.rc")" = 0 ]'
check "alice: 450 calls successful across the reloads" '[ "$(sipp_stat alice "SuccessfulCall(C)")" = 450 ]'
check "alice: 0 failed" '[ "$(sipp_stat alice "FailedCall(C)")" = 0 ]'
sys_tel /sipdp/stats >"$work/stats.json"
get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[sys.argv[2]] if sys.argv[2] in d else d["total"][sys.argv[2]])' "$work/stats.json" "$1"; }
echo "reloads_ok $(get reloads_ok) reloads_failed $(get reloads_failed) policy_reject $(get policy_reject) policy_answer $(get policy_answer)"
check "reloads_ok 2" '[ "$(get reloads_ok)" = 2 ]'
check "reloads_failed 2" '[ "$(get reloads_failed)" = 2 ]'
check "policy_reject 15 (the 486s)" '[ "$(get policy_reject)" = 15 ]'
check "policy_answer 470" '[ "$(get policy_answer)" = 470 ]'
grep "reload" "$(sys_log)" || true
[ $fail = 0 ] || { tail -n 20 "$work/alice.out"; tail -n 20 "$work/busy2.out"; }
exit $fail
