#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end over IPv4 (suite 'system'): lab up, sipdp started with the lab
# config (every INVITE answered after a 180 and 1 s of ringing), then sipp's
# built-in UAC scenario from the peer namespace makes 2000 calls at 200/s
# (INVITE, 180, 200, ACK, BYE, 200). Passes when sipp reports exactly 2000
# successful calls and 0 failed, and sipdp stops cleanly on SIGTERM.
# Bounded: sipp -timeout 60 s under `timeout 90`; lab.sh start waits at
# most 30 s. Skips (77) without root, ip netns, sipp, python3 or the
# binary, or when a lab is already up. Cleans up (stop, down) on any exit.
set -u
lab=${1:?usage: $0 LAB_SH SIPDP_BIN}
export SIPDP_BIN=${2:?usage: $0 LAB_SH SIPDP_BIN}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
export SIPDP_LAB_DIR=${SIPDP_LAB_DIR:-/tmp/sipdp-lab-test-$$}

[ "$(id -u)" -eq 0 ] || { echo "not root: skip"; exit 77; }
command -v ip >/dev/null && ip netns list >/dev/null 2>&1 || { echo "no ip netns: skip"; exit 77; }
command -v sipp >/dev/null || { echo "FAIL sipp missing: apt-get install sip-tester (or scripts/install-deps.sh)"; exit 1; }
command -v python3 >/dev/null || { echo "FAIL python3 missing: apt-get install python3 (or scripts/install-deps.sh)"; exit 1; }
[ -x "$SIPDP_BIN" ] || { echo "no sipdp binary: skip"; exit 77; }
if ip netns list | grep -qE '^sipdp-(dut|peer)\b'; then
	echo "a sipdp lab is already up: skip"; exit 77
fi
work=$(mktemp -d)
cleanup() {
	"$lab" stop >/dev/null 2>&1
	"$lab" down >/dev/null 2>&1
	rm -rf "$work" "$SIPDP_LAB_DIR"
}
trap cleanup EXIT

"$lab" up >/dev/null || { echo "FAIL lab up"; exit 1; }
if ! "$lab" start; then
	echo "FAIL start"; exit 1
fi
cd "$work"
timeout 90 ip netns exec sipdp-peer sipp -sn uac 192.0.2.1:5060 -i 192.0.2.2 -p 5070 \
	-m 2000 -r 200 -timeout 60s -timeout_error -nostdin -trace_stat -stf stat.csv \
	>sipp.out 2>&1
rc=$?
read -r ok failed < <(python3 - stat.csv <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=';'))
h, last = rows[0], rows[-1]
print(last[h.index('SuccessfulCall(C)')], last[h.index('FailedCall(C)')])
PY
)
echo "sipp exit $rc: successful ${ok:-?} failed ${failed:-?}"
fail=0
[ "${ok:-}" = 2000 ] || { echo "FAIL expected 2000 successful calls"; fail=1; }
[ "${failed:-}" = 0 ] || { echo "FAIL expected 0 failed calls"; fail=1; }
[ $rc -eq 0 ] || { echo "FAIL sipp exit status $rc"; tail -n 30 sipp.out; fail=1; }
log=$SIPDP_LAB_DIR/sipdp.log
"$lab" stop || { echo "FAIL stop"; fail=1; }
grep -q '^total.policy_answer 2000$' "$log" || { echo "FAIL sipdp did not count 2000 answered calls"; fail=1; }
grep -q '^sipdp: stopped' "$log" || { echo "FAIL no final counters"; fail=1; }
[ $fail -eq 0 ] && echo PASS || tail -n 40 "$log"
exit $fail
