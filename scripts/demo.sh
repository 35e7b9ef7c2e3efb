#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The main job, on a fresh machine: install what is needed, build, bring up
# the lab (two network namespaces joined by a veth pair), start sipdp on
# net_af_packet in one, drive calls through it with sipp from the other,
# print sipp's summary and sipdp's counters, and tear everything down.
# Exit 0 only if every call succeeded.
#
#   scripts/demo.sh [CALLS [RATE]]           carrier edge (the default):
#       sipdp bridges calls from the caller network (sipp at 192.0.2.2) to
#       the callee network (sipp UAS on 198.51.100.20); every 10th call the
#       callee transfers (blind REFER to sip:carol@198.51.100.21) and sipdp
#       executes the transfer itself (drivers-config/lab-b2bua.yaml).
#   scripts/demo.sh --answer [CALLS [RATE]]  sipdp answers every call itself
#       (drivers-config/lab-af_packet.yaml).
# Default 2000 calls at 200 calls/s.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
mode=b2bua
if [ "${1:-}" = --answer ]; then mode=answer; shift; fi
calls=${1:-2000}
rate=${2:-200}
[[ $calls =~ ^[1-9][0-9]*$ && $rate =~ ^[1-9][0-9]*$ ]] ||
	{ echo "usage: scripts/demo.sh [--answer] [CALLS [RATE]]" >&2; exit 64; }

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
callee_pids=
cleanup() {
	local p
	# Each callee is a subshell around `timeout sipp`: its child first.
	for p in $callee_pids; do kill -TERM $(pgrep -P "$p") "$p" 2>/dev/null || true; done
	for p in $callee_pids; do wait "$p" 2>/dev/null || true; done
	scripts/lab.sh stop >/dev/null 2>&1 || true
	scripts/lab.sh down >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
scen=test/system/scenarios

# callee NAME SCENARIO IP PORT CALLS: a sipp UAS in the peer namespace, in
# the background (bounded like the caller); waits until it listens.
callee() {
	local name=$1 sf=$2 ip=$3 port=$4 n=$5
	(cd "$work" && timeout -k 5 $((calls / rate + 90)) ip netns exec sipdp-peer \
		sipp -sf "$root/$sf" -i "$ip" -p "$port" -m "$n" -nostdin -recv_timeout 10000 \
		-trace_stat -stf "$work/$name.csv" >"$work/$name.out" 2>&1; echo $? >"$work/$name.rc") &
	callee_pids="$callee_pids $!"
	for _ in $(seq 1 50); do
		ip netns exec sipdp-peer ss -Hlun "sport = :$port" | grep -q "$ip" && return 0
		sleep 0.1
	done
}

xfers=0
if [ $mode = b2bua ]; then
	xfers=$((calls / 10))
	plain=$((calls - xfers))
	echo "== lab: sipdp in netns sipdp-dut (192.0.2.1); caller network 192.0.2.0/24 (sipp 192.0.2.2)"
	echo "   and callee network 198.51.100.0/24 (sipp 198.51.100.20, transfer target 198.51.100.21) in netns sipdp-peer"
	scripts/lab.sh up
	ip -n sipdp-peer addr add 198.51.100.20/24 dev sipdp-peer0
	ip -n sipdp-peer addr add 198.51.100.21/24 dev sipdp-peer0
	scripts/lab.sh start drivers-config/lab-b2bua.yaml
	# sipdp reaches the callee network on the wire; the dut kernel
	# resolves the next hop's MAC through the tap.
	ip -n sipdp-dut route replace 198.51.100.0/24 dev sipdp0
	callee callee "$scen/uas_callee_bye.xml" 198.51.100.20 5060 "$plain"
	if [ $xfers -gt 0 ]; then
		callee transferor "$scen/uas_transferor.xml" 198.51.100.20 5062 "$xfers"
		callee carol "$scen/uas_xfer_target.xml" 198.51.100.21 5060 "$xfers"
	fi
	# Every 10th call is to user "xfer", whom the callee network transfers.
	{ echo SEQUENTIAL; for i in 1 2 3 4 5 6 7 8 9; do echo "service;"; done; echo "xfer;"; } >"$work/users.csv"
	echo
	echo "== sipp: $calls calls at $rate calls/s via sipdp to the callee network; the callee hangs up after 0.3 s;"
	echo "   $xfers of them (every 10th) the callee transfers to carol (REFER), sipdp calls her and re-INVITEs the caller"
	sipp_args=(-sf "$root/$scen/uac_maybe_transferred.xml" -inf "$work/users.csv")
else
	echo "== lab: sipdp in netns sipdp-dut (192.0.2.1, 2001:db8::1), sipp in netns sipdp-peer (192.0.2.2)"
	scripts/lab.sh up
	scripts/lab.sh start drivers-config/lab-af_packet.yaml
	echo
	echo "== sipp: $calls calls at $rate calls/s to sip:service@192.0.2.1:5060 (each rings, is answered, then hung up)"
	sipp_args=(-sn uac)
fi

rc=0
(cd "$work" && timeout -k 5 $((calls / rate + 90)) ip netns exec sipdp-peer \
	sipp "${sipp_args[@]}" 192.0.2.1:5060 -i 192.0.2.2 -m "$calls" -r "$rate" -l $((rate * 4)) \
	-recv_timeout 10000 -nostdin -trace_err -error_file "$work/caller.err" \
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
if [ -s "$work/caller.err" ]; then
	echo "== sipp's unexpected messages (first 40 lines of $(wc -l <"$work/caller.err"))"
	head -n 40 "$work/caller.err"
fi
# The callee side: each sipp UAS ends once it has seen its calls.
callees_ok=1
for p in $callee_pids; do wait "$p" 2>/dev/null || true; done
callee_pids=
for n in callee transferor carol; do
	[ -f "$work/$n.rc" ] || continue
	[ "$(cat "$work/$n.rc")" = 0 ] || { callees_ok=0; echo "callee sipp $n: exit $(cat "$work/$n.rc")"; tail -n 5 "$work/$n.out"; }
done

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
summary=$(python3 - "$work" "$calls" "$rate" "$mode" "$xfers" <<'PY'
import csv, glob, json, sys
work, calls, rate, mode, xfers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
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
how = ("through sipdp to the callee" if mode == "b2bua" else "the lab's rule rings 1 s first")
print("calls      %d attempted, %d answered, %d failed (of %d asked)" % (att, ok, failed, calls))
print("rate       %.0f calls/s achieved (%d asked)" % (ok / elapsed if elapsed else 0, rate))
print("setup time p50 %.0f ms, p99 %.0f ms (INVITE to 200 for %d calls; %s)" %
      (pct(50), pct(99), len(rtts), how))
if mode == "b2bua":
    print("bridges    %s answered, %s failed, %s failovers; REFERs terminated %s, transfers ok %s (of %d asked), failed %s" %
          (g("bridges_answered"), g("bridges_failed"), g("bridge_failovers"),
           g("bridge_refers_terminated"), g("bridge_transfers_ok"), xfers, g("bridge_transfers_failed")))
print("sipdp      sip_rx %s, sip_tx %s, retransmissions %s, parse_errors %s" %
      (g("sip_rx"), g("sip_tx"), g("retransmissions"), g("parse_errors")))
print("drops      dp_drop_udp_cksum %s, dp_drop_malformed %s, full_503 %s, handoff_drops %s" %
      (g("dp_drop_udp_cksum"), g("dp_drop_malformed"), g("full_503"), g("handoff_drops")))
print("left       dialogs_live %s, bridges_live %s (tsx_live %s: UDP transactions wait out Timer J, 32 s)" %
      (g("dialogs_live"), g("bridges_live"), g("tsx_live")))
xok = int(t.get("bridge_transfers_ok", -1)) == xfers and int(t.get("bridge_refers_terminated", -1)) == xfers \
    if mode == "b2bua" else True
print("%d %d %d" % (ok, failed, 1 if xok else 0))
PY
)
read -r succeeded failed xok <<<"$(tail -n 1 <<<"$summary")"
echo
echo "== summary (every counter of this run: $table)"
head -n -1 <<<"$summary"
if [ $mode = b2bua ]; then
	echo "demo: $succeeded of $calls calls succeeded, $failed failed, $xfers transferred (sipp exit $rc, callee side $([ $callees_ok = 1 ] && echo ok || echo FAILED))"
	[ "$rc" = 0 ] && [ "$succeeded" = "$calls" ] && [ "$failed" = 0 ] && [ $callees_ok = 1 ] && [ "$xok" = 1 ]
else
	echo "demo: $succeeded of $calls calls succeeded, $failed failed (sipp exit $rc)"
	[ "$rc" = 0 ] && [ "$succeeded" = "$calls" ] && [ "$failed" = 0 ]
fi
