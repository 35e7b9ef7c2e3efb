#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The main job, on a fresh machine: install what is needed, build, bring up
# the lab (two network namespaces joined by a veth pair), start sipdp on
# net_af_packet in one, drive calls at it with sipp from the other, print
# sipp's summary and sipdp's counters, and tear everything down.
# Exit 0 only if every call succeeded.
#
#   scripts/demo.sh [CALLS [RATE]]        default 2000 calls at 200 calls/s
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
calls=${1:-2000}
rate=${2:-200}

[ "$(id -u)" -eq 0 ] || { echo "demo.sh: run as root (it creates network namespaces)" >&2; exit 1; }
scripts/install-deps.sh
if [ -f build-release/build.ninja ]; then
	meson setup --reconfigure build-release --buildtype=release >/dev/null
else
	meson setup build-release --buildtype=release >/dev/null
fi
ninja -C build-release >/dev/null
export SIPDP_BIN="$root/build-release/app/sipdp/sipdp"

work=$(mktemp -d /tmp/sipdp-demo.XXXXXX)
cleanup() {
	scripts/lab.sh stop >/dev/null 2>&1 || true
	scripts/lab.sh down >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "== lab: sipdp in netns sipdp-dut (192.0.2.1, 2001:db8::1), sipp in netns sipdp-peer (192.0.2.2)"
scripts/lab.sh up
scripts/lab.sh start drivers-config/lab-af_packet.yaml

echo
echo "== sipp: $calls calls at $rate calls/s to sip:service@192.0.2.1:5060 (each rings, is answered, then hung up)"
rc=0
(cd "$work" && timeout -k 5 $((calls / rate + 90)) ip netns exec sipdp-peer \
	sipp -sn uac 192.0.2.1:5060 -i 192.0.2.2 -m "$calls" -r "$rate" -l $((rate * 4)) \
	-recv_timeout 10000 -nostdin \
	-trace_stat -stf "$work/stat.csv" -trace_screen -screen_file "$work/screen" >"$work/sipp.out" 2>&1) || rc=$?
# The last statistics screen sipp wrote, up to its call-length line.
python3 - "$work/screen" <<'PY' || cat "$work/sipp.out"
import sys
lines = open(sys.argv[1], errors="replace").read().splitlines()
start = max(i for i, l in enumerate(lines) if "Start Time" in l)
for l in lines[start:]:
    print(l)
    if "Call Length" in l:
        break
PY

echo
echo "== sipdp's counters (DPDK telemetry, /sipdp/stats)"
if [ -x build-release/app/sipdp-ctl/sipdp-ctl ]; then
	build-release/app/sipdp-ctl/sipdp-ctl --prefix sipdp-lab stats || true
else
	python3 test/system/telemetry.py --prefix sipdp-lab /sipdp/stats || true
fi

ok=$(python3 - "$work/stat.csv" <<'PY'
import csv, sys
try:
    rows = list(csv.reader(open(sys.argv[1]), delimiter=';'))
    h, last = rows[0], rows[-1]
    print(last[h.index('SuccessfulCall(C)')], last[h.index('FailedCall(C)')])
except Exception:
    print("0 ?")
PY
)
succeeded=${ok% *}; failed=${ok#* }
echo
echo "== stopping sipdp (SIGTERM: it drains and prints its final counters)"
scripts/lab.sh stop || true
echo
echo "demo: $succeeded of $calls calls succeeded, $failed failed (sipp exit $rc)"
[ "$rc" = 0 ] && [ "$succeeded" = "$calls" ] && [ "$failed" = 0 ]
