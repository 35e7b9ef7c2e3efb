#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# IP fragmentation both ways: an INVITE of ~2.5 kB leaves the peer as two
# fragments and is reassembled and answered; sipdp's 200 OK carries a ~2 kB
# SDP, leaves fragmented over the 1500-byte MTU, and sipp (the kernel)
# reassembles it. tshark on the peer confirms fragments really crossed.
# In this lab af_packet's fanout defragments IPv4 in the kernel before sipdp
# sees it, so IPv6 is what exercises sipdp's own reassembly (lib/dp): its
# dp_reassembled counter must count every IPv6 INVITE.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require
# The capture is what proves fragments crossed: without tshark the test
# fails (scripts/install-deps.sh installs it) rather than pass unchecked.
command -v tshark >/dev/null || { echo "FAIL tshark missing: apt-get install tshark (or scripts/install-deps.sh)"; exit 1; }
sys_start "$root/test/system/configs/big-answer.yaml"

cap="$work/frag.pcap"
ip netns exec sipdp-peer timeout 60 tshark -q -i sipdp-peer0 -w "$cap" -f "ip" >"$work/tshark.log" 2>&1 &
tshark_pid=$!
# Bounded wait for the capture to be running (slow to start on a busy box).
for _ in $(seq 60); do grep -q "Capturing on" "$work/tshark.log" 2>/dev/null && break; sleep 0.25; done
sleep 0.5
sys_sipp frag -sf "$root/test/system/scenarios/uac_big_invite.xml" 192.0.2.1:5060 -i 192.0.2.2 \
	-m 50 -r 25 -recv_timeout 10000 -timeout 60s
check "sipp exit 0" '[ "$(cat "$work/frag.rc")" = 0 ]'
check "50 calls successful" '[ "$(sipp_stat frag "SuccessfulCall(C)")" = 50 ]'
check "0 calls failed" '[ "$(sipp_stat frag "FailedCall(C)")" = 0 ]'
sleep 1; kill "$tshark_pid" 2>/dev/null; wait "$tshark_pid" 2>/dev/null
to_dut=$(tshark -r "$cap" -Y 'ip.dst==192.0.2.1 && ip.flags.mf==1' 2>/dev/null | wc -l)
from_dut=$(tshark -r "$cap" -Y 'ip.src==192.0.2.1 && ip.flags.mf==1' 2>/dev/null | wc -l)
echo "first fragments: peer->sipdp $to_dut, sipdp->peer $from_dut"
[ "$to_dut" -gt 0 ] || { ls -la "$cap"; cat "$work/tshark.log"; }
check "INVITEs crossed as fragments" '[ "$to_dut" -ge 50 ]'
check "200 OKs left sipdp as fragments" '[ "$from_dut" -ge 50 ]'
sys_sipp frag6 -sf "$root/test/system/scenarios/uac_big_invite.xml" "[2001:db8::1]:5060" -i 2001:db8::2 \
	-m 50 -r 25 -recv_timeout 10000 -timeout 60s
check "IPv6: 50 calls successful" '[ "$(sipp_stat frag6 "SuccessfulCall(C)")" = 50 ]'
check "IPv6: 0 calls failed" '[ "$(sipp_stat frag6 "FailedCall(C)")" = 0 ]'
reasm=$(sys_tel --get total.dp_reassembled /sipdp/stats 2>/dev/null || echo 0)
echo "datagrams reassembled by sipdp: $reasm"
check "sipdp reassembled the IPv6 INVITEs" '[ "${reasm:-0}" -ge 50 ]'
[ $fail = 0 ] || cat "$work/frag.out" "$work/frag6.out"
exit $fail
