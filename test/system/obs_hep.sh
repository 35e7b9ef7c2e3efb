#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# HEP capture decoded by tshark (suite 'system'): sipdp with
# configs/obs.yaml sends a HEPv3 copy of every SIP message to
# 192.0.2.2:9060 (capture id 101), where a UDP sink listens in the peer
# namespace and tshark captures both the HEP and the SIP on the wire.
# sipp makes 20 calls. tshark decodes HEP (test/system/hep.lua: Debian's
# Wireshark 4.0 has no HEP dissector) with its own SIP dissector inside.
# Passes when: every SIP message on the wire has exactly one HEP copy
# with the same addresses, ports, Call-ID, CSeq and method or status, and
# nothing else was copied; every copy says IPv4, UDP, SIP, capture id 101
# and a timestamp within 5 s of the wire frame; 20 distinct Call-IDs
# with an INVITE; sipdp counted no HEP drop and sent what it copied.
# Bounded: waits are counted loops, sipp under timeout 120.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require
command -v tshark >/dev/null || { echo "FAIL tshark missing: apt-get install tshark (or scripts/install-deps.sh)"; exit 1; }
command -v curl >/dev/null || { echo "FAIL curl missing: apt-get install curl (or scripts/install-deps.sh)"; exit 1; }
ts_pid=
sink_pid=
stop_bg() {
	[ -n "$ts_pid" ] && kill -INT "$ts_pid" 2>/dev/null && wait "$ts_pid" 2>/dev/null
	[ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
	ts_pid= sink_pid=
}
trap 'rc=$?; stop_bg; (exit $rc); sys_cleanup' EXIT
peer() { ip netns exec sipdp-peer "$@"; }
N=20
lua=$root/test/system/hep.lua
sys_start "$root/test/system/configs/obs.yaml"

# Copies made before the capture (lab.sh start's OPTIONS probe), from /metrics.
base=$(peer curl -s -m 5 http://192.0.2.1:9100/metrics | sed -n 's/^sipdp_hep_sent_total //p')
echo "HEP packets sent before the capture: ${base:-?}"
check "the exporter gives hep_sent before the capture" '[ -n "$base" ]'

# The collector: a sink, so the kernel sends no port-unreachable.
ip netns exec sipdp-peer python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.2", 9060))
while True:
    s.recv(70000)' &
sink_pid=$!
ip netns exec sipdp-peer tshark -i sipdp-peer0 -f 'udp port 9060 or udp port 5060 or udp port 5070' \
	-w "$work/cap.pcapng" >"$work/tshark.out" 2>&1 &
ts_pid=$!
for _ in $(seq 1 100); do grep -q "Capturing on" "$work/tshark.out" && break; sleep 0.1; done
check "tshark is capturing" 'grep -q "Capturing on" "$work/tshark.out"'

sys_sipp calls -sn uac 192.0.2.1:5060 -i 192.0.2.2 -p 5070 -m $N -r 10 -timeout 60s -timeout_error
check "sipp: $N successful calls" '[ "$(sipp_stat calls "SuccessfulCall(C)")" = $N ]'
sleep 1 # the last copies reach the collector (the check below counts them all)
stop_bg
tshark -r "$work/cap.pcapng" -X lua_script:"$lua" -d udp.port==9060,hep -Y 'hep' \
	-T fields -E separator='|' -e frame.time_epoch -e hep.ip_family -e hep.ip_proto \
	-e hep.src_ip4 -e hep.dst_ip4 -e hep.src_port -e hep.dst_port -e hep.ts_sec \
	-e hep.ts_usec -e hep.proto_type -e hep.capture_id -e sip.Call-ID -e sip.CSeq \
	-e sip.Method -e sip.Status-Code >"$work/hep.txt" 2>"$work/tshark.err"
tshark -r "$work/cap.pcapng" -X lua_script:"$lua" -Y 'sip && !hep' \
	-T fields -E separator='|' -e frame.time_epoch -e ip.src -e ip.dst -e udp.srcport \
	-e udp.dstport -e sip.Call-ID -e sip.CSeq -e sip.Method -e sip.Status-Code \
	>"$work/wire.txt" 2>>"$work/tshark.err"
cat "$work/tshark.err"
echo "tshark: $(wc -l <"$work/hep.txt") HEP packet(s), $(wc -l <"$work/wire.txt") SIP message(s) on the wire"
python3 - "$work/hep.txt" "$work/wire.txt" $N >"$work/cmp.txt" <<'PY'
import sys
from collections import Counter
hep = [l.rstrip("\n").split("|") for l in open(sys.argv[1]) if l.strip()]
wire = [l.rstrip("\n").split("|") for l in open(sys.argv[2]) if l.strip()]
n = int(sys.argv[3])
bad = []
hk, wk = Counter(), Counter()
wire_t = {}
for w in wire:
    t, src, dst, sp, dp, cid, cseq, meth, st = w
    k = (src, dst, sp, dp, cid, cseq, meth, st)
    wk[k] += 1
    wire_t.setdefault(k, float(t))
for h in hep:
    t, fam, proto, src, dst, sp, dp, sec, usec, ptype, capid, cid, cseq, meth, st = h
    if (fam, proto, ptype, capid) != ("2", "17", "1", "101"):
        bad.append("header chunks %s" % h)
    k = (src, dst, sp, dp, cid, cseq, meth, st)
    hk[k] += 1
    wt = wire_t.get(k)
    if wt is not None and abs(int(sec) + int(usec) / 1e6 - wt) > 5:
        bad.append("timestamp %s.%s vs wire %s" % (sec, usec, wt))
if hk != wk:
    bad.append("HEP copies differ from the wire: only in HEP %s, only on the wire %s" %
               (list((hk - wk).items())[:3], list((wk - hk).items())[:3]))
invites = {k[4] for k in hk if k[6] == "INVITE"}
if len(invites) != n:
    bad.append("%d distinct INVITE Call-IDs in HEP, want %d" % (len(invites), n))
ins = sum(c for k, c in hk.items() if k[1] == "192.0.2.1")
outs = sum(c for k, c in hk.items() if k[0] == "192.0.2.1")
print("copies: %d in, %d out, %d calls" % (ins, outs, len(invites)))
for b in bad[:10]:
    print("BAD", b)
sys.exit(1 if bad or not hep else 0)
PY
cmp_rc=$?
cat "$work/cmp.txt"
check "HEP copies match the wire: addresses, ports, SIP, timestamps, capture id" '[ $cmp_rc = 0 ]'
total=$(wc -l <"$work/hep.txt")
"$lab" stop >"$work/stop.log" 2>&1
sys_started=0
log=$(sys_log)
copied=$(sed -n 's/^total\.hep_copied //p' "$log")
sent=$(sed -n 's/^hep_sent //p' "$log")
echo "sipdp: hep_copied $copied hep_sent $sent"
check "sipdp: no HEP drop" 'grep -q "^total.hep_dropped_full 0$" "$log" && grep -q "^total.hep_dropped_rate 0$" "$log" && grep -q "^total.hep_dropped_size 0$" "$log"'
check "sipdp sent every copy, and tshark saw all those sent while it captured" \
	'[ -n "$copied" ] && [ "$copied" = "$sent" ] && [ $((sent - ${base:-0})) = "$total" ]'
check "no send errors" 'grep -q "^hep_send_errors 0$" "$log"'
[ $fail = 0 ] && echo PASS
exit $fail
