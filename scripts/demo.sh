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
	-trace_stat -stf "$work/stat.csv" -trace_rtt -rtt_freq 1 -trace_screen -screen_file "$work/screen" \
	>"$work/sipp.out" 2>&1) || rc=$?
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
ctl=build-release/app/sipdp-ctl/sipdp-ctl
table=/tmp/sipdp-demo-stats.txt
python3 test/system/telemetry.py --prefix sipdp-lab /sipdp/stats >"$work/stats.json" 2>/dev/null || echo '{}' >"$work/stats.json"
if [ -x "$ctl" ]; then
	"$ctl" --prefix sipdp-lab stats >"$table" 2>&1 || true
else
	cp "$work/stats.json" "$table"
fi
echo "(the full table, saved in $table; on a running sipdp: $ctl --prefix sipdp-lab stats)"

echo
echo "== stopping sipdp (SIGTERM: it drains and prints its final counters)"
scripts/lab.sh stop >"$work/stop.out" 2>&1 || true

# The summary a newcomer reads: sipp's outcome, its rate and call setup
# time (INVITE sent to 200 received, sipp's response-time repartition 1,
# per call from -trace_rtt), and sipdp's counters that matter.
summary=$(python3 - "$work" "$calls" "$rate" <<'PY'
import csv, glob, json, sys
work, calls, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
att = ok = failed = 0
elapsed = 0.0
try:
    rows = list(csv.reader(open(work + "/stat.csv"), delimiter=";"))
    h, last = rows[0], rows[-1]
    att = int(last[h.index("TotalCallCreated")])
    ok = int(last[h.index("SuccessfulCall(C)")])
    failed = int(last[h.index("FailedCall(C)")])
    t = last[h.index("ElapsedTime(C)")].split(":")
    elapsed = int(t[0]) * 3600 + int(t[1]) * 60 + float(t[2])
except Exception:
    pass
rtts = []
for f in glob.glob(work + "/*_rtt.csv"):
    for r in csv.reader(open(f), delimiter=";"):
        try:
            if r[2] == "1":
                rtts.append(float(r[1]))
        except (IndexError, ValueError):
            pass
rtts.sort()
def pct(p):
    return rtts[min(len(rtts) - 1, int(p / 100.0 * len(rtts)))] if rtts else float("nan")
try:
    t = json.load(open(work + "/stats.json")).get("total", {})
except Exception:
    t = {}
g = lambda k: t.get(k, "?")
print("calls      %d attempted, %d answered, %d failed (of %d asked)" % (att, ok, failed, calls))
print("rate       %.0f calls/s achieved (%d asked)" % (ok / elapsed if elapsed else 0, rate))
print("setup time p50 %.0f ms, p99 %.0f ms (INVITE to 200 for %d calls; the lab's rule rings 1 s first)" %
      (pct(50), pct(99), len(rtts)))
print("sipdp      sip_rx %s, sip_tx %s, retransmissions %s, parse_errors %s" %
      (g("sip_rx"), g("sip_tx"), g("retransmissions"), g("parse_errors")))
print("drops      dp_drop_udp_cksum %s, dp_drop_malformed %s, full_503 %s, handoff_drops %s" %
      (g("dp_drop_udp_cksum"), g("dp_drop_malformed"), g("full_503"), g("handoff_drops")))
print("left       dialogs_live %s (tsx_live %s: UDP transactions wait out Timer J, 32 s)" %
      (g("dialogs_live"), g("tsx_live")))
print("%d %d" % (ok, failed))
PY
)
succeeded=$(tail -n 1 <<<"$summary" | cut -d' ' -f1)
failed=$(tail -n 1 <<<"$summary" | cut -d' ' -f2)
echo
echo "== summary (every counter of this run: $table)"
head -n -1 <<<"$summary"
echo "demo: $succeeded of $calls calls succeeded, $failed failed (sipp exit $rc)"
[ "$rc" = 0 ] && [ "$succeeded" = "$calls" ] && [ "$failed" = 0 ]
