#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Operations against the real appliance:
#  - sipdp-ctl dialogs / lcores while sipp calls with a 4 s hold are up:
#    dialogs > 0 (confirmed), a sample naming sipp's address, --json parses;
#    the lcores table has the control lcore and worker0 with messages > 0;
#    once the calls are over, 0 dialogs;
#  - capture on request: sipdp-ctl capture start FILE writes pcapng that
#    tshark reads, with the calls' INVITEs in it; stop closes it;
#  - a flood of unparsable datagrams is counted in full but logged only
#    through the rate limit (burst + rate x time lines at most), with a
#    "N lines suppressed" line when it reopens; at level warning the same
#    datagrams log nothing (level changed at run time).
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require
ctl=${3:-$(dirname "$SIPDP_BIN")/../sipdp-ctl/sipdp-ctl}
[ -x "$ctl" ] || { echo "no sipdp-ctl: skip"; exit 77; }
command -v tshark >/dev/null || { echo "FAIL tshark missing: apt-get install tshark (or scripts/install-deps.sh)"; exit 1; }
sctl() { timeout 10 "$ctl" --prefix sipdp-lab "$@"; }
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
sys_start "$root/drivers-config/lab-af_packet.yaml"

# --- capture + dialogs + lcores while calls are up
sctl capture start "$work/cap.pcapng" >"$work/cap.start" 2>&1; rc=$?
cat "$work/cap.start"
check "capture start answers ok" '[ $rc = 0 ] && grep -qE "^capturing +1$" "$work/cap.start"'
sys_sipp hold -sn uac 192.0.2.1:5060 -i 192.0.2.2 -m 20 -r 20 -d 4000 -recv_timeout 15000 -timeout 60s &
sipp_job=$!
sleep 3
sctl --json dialogs >"$work/dlg.json" 2>&1; rc=$?
sctl dialogs >"$work/dlg.txt" 2>&1
sctl --json lcores >"$work/lc.json" 2>&1; rc2=$?
sctl lcores >"$work/lc.txt" 2>&1
cat "$work/dlg.txt" "$work/lc.txt"
check "dialogs --json parses, exit 0" '[ $rc = 0 ] && jget "$work/dlg.json" "d[\"dialogs\"]" >/dev/null'
check "dialogs while calls are up: > 0 confirmed" '[ "$(jget "$work/dlg.json" "d[\"confirmed\"]")" -gt 0 ]'
check "per-worker count equals the total" '[ "$(jget "$work/dlg.json" "d[\"worker0\"][\"dialogs\"]")" = "$(jget "$work/dlg.json" "d[\"dialogs\"]")" ]'
check "the sample names sipp as peer, at most 16" '[ "$(jget "$work/dlg.json" "sum(1 for e in d[\"sample\"].values() if e[\"peer\"].startswith(\"udp:192.0.2.2:\"))")" -ge 1 ] && [ "$(jget "$work/dlg.json" "len(d[\"sample\"])")" -le 16 ]'
check "a sampled call is established with an age" '[ "$(jget "$work/dlg.json" "sum(1 for e in d[\"sample\"].values() if e[\"state\"].lower()==\"established\" and e[\"age_ms\"]>0)")" -ge 1 ]'
check "dialogs plain text: a row per sampled dialog" 'grep -qE "^# +worker +call_id +state +role +age_ms +peer" "$work/dlg.txt"'
check "lcores --json parses: control and worker0" '[ $rc2 = 0 ] && [ "$(jget "$work/lc.json" "d[\"control\"][\"role\"]+d[\"worker0\"][\"role\"]")" = controlworker ]'
check "lcores: worker0 handled messages, has cycles per message" '[ "$(jget "$work/lc.json" "d[\"worker0\"][\"messages\"]")" -gt 0 ] && [ "$(jget "$work/lc.json" "d[\"worker0\"][\"cycles_per_msg\"]")" -gt 0 ]'
check "lcores plain text: a column per lcore" 'grep -qE "^ +control +worker0$" "$work/lc.txt" && grep -qE "^busy_pct " "$work/lc.txt"'
wait "$sipp_job"
check "20 calls with a 4 s hold succeeded" '[ "$(sipp_stat hold "SuccessfulCall(C)")" = 20 ]'
n=-1
for _ in $(seq 1 40); do
	n=$(sctl --json dialogs 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["dialogs"])' 2>/dev/null)
	[ "$n" = 0 ] && break
	sleep 0.5
done
check "dialogs after the calls: 0" '[ "$n" = 0 ]'
sctl capture stop >"$work/cap.stop" 2>&1; rc=$?
cat "$work/cap.stop"
check "capture stop answers ok and is off" '[ $rc = 0 ] && grep -qE "^capturing +0$" "$work/cap.stop"'
tshark -r "$work/cap.pcapng" -Y 'sip.Method == "INVITE"' 2>"$work/tshark.err" >"$work/invites"; trc=$?
cat "$work/tshark.err"
tshark -r "$work/cap.pcapng" -Y 'sip.Status-Code == 200' 2>/dev/null >"$work/ok200"
echo "capture: $(wc -l <"$work/invites") INVITE(s), $(wc -l <"$work/ok200") 200(s)"
check "tshark reads the capture: the 20 INVITEs in" '[ $trc = 0 ] && [ "$(wc -l <"$work/invites")" -ge 20 ]'
check "and our 200 OKs out" '[ "$(wc -l <"$work/ok200")" -ge 20 ]'
sctl capture start relative.pcap >"$work/cap.bad" 2>&1; rc=$?
check "a capture to a relative path is refused" '[ $rc = 1 ] && grep -q "absolute path" "$work/cap.bad"'

# --- rate-limited log lines for a flood of bad datagrams
flood() { # COUNT: unparsable datagrams from the peer namespace, as fast as possible
	ip netns exec sipdp-peer timeout 60 python3 - "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.2", 0))
for i in range(int(sys.argv[1])):
    s.sendto(b"THIS IS NOT SIP %d\r\n\r\n" % i, ("192.0.2.1", 5060))
PY
}
perr() { sys_tel --get total.parse_errors /sipdp/stats; }
srx() { sys_tel --get total.sip_rx /sipdp/stats; }
log=$(sys_log)
p0=$(perr); r0=$(srx); l0=$(grep -c "dropped a SIP datagram" "$log")
t0=$(date +%s.%N)
flood 3000
sleep 0.3
t1=$(date +%s.%N)
p1=$(perr); r1=$(srx); l1=$(grep -c "dropped a SIP datagram" "$log")
lines=$((l1 - l0)); errs=$((p1 - p0)); rx=$((r1 - r0))
max=$(python3 -c "import math,sys; print(20 + math.ceil(10 * ($t1 - $t0)) + 1)")
echo "flood: 3000 sent, $rx received (af_packet drops some of a flood under ASan), $errs counted as errors, $lines lines logged (bound $max)"
check "every bad datagram received is counted" '[ "$errs" = "$rx" ] && [ "$rx" -ge 200 ]'
check "far fewer lines than datagrams" '[ $((lines * 10)) -le "$errs" ]'
check "log lines bounded by burst + rate x time" '[ "$lines" -ge 1 ] && [ "$lines" -le "$max" ]'
sleep 0.5
flood 1
sleep 0.3
check "a 'lines suppressed' line when the bucket reopens" 'grep -qE "sipdp\.shard: [0-9]+ lines suppressed" "$log"'
sctl log shard warning >"$work/log.set" 2>&1; rc=$?
check "log level set at run time" '[ $rc = 0 ] && grep -qE "^shard +warning$" "$work/log.set"'
sleep 3 # the bucket refills
l2=$(grep -c "dropped a SIP datagram" "$log")
flood 50
sleep 0.3
l3=$(grep -c "dropped a SIP datagram" "$log")
check "at level warning the flood logs nothing" '[ "$l3" = "$l2" ]'
check "sipdp still running" '"$lab" status >/dev/null'
exit $fail
