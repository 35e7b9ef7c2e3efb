#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The exception path: ICMP echo, ARP and NDP are not SIP, so the workers hand
# them to the kernel through the tap, which answers with sipdp's addresses.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require
sys_start "$root/drivers-config/lab-af_packet.yaml"

check "ping 192.0.2.1 from the peer" 'ip netns exec sipdp-peer ping -c 3 -i 0.2 -W 2 192.0.2.1 >"$work/ping4" 2>&1'
check "ping -6 2001:db8::1 from the peer" 'ip netns exec sipdp-peer ping -6 -c 3 -i 0.2 -W 2 2001:db8::1 >"$work/ping6" 2>&1'
check "peer learnt sipdp's MAC by ARP" 'ip -n sipdp-peer neigh show 192.0.2.1 | grep -q lladdr'
check "peer learnt sipdp's MAC by NDP" 'ip -n sipdp-peer neigh show 2001:db8::1 | grep -q lladdr'
# A SIP call still works next to it.
sys_sipp after -sn uac 192.0.2.1:5060 -i 192.0.2.2 -m 10 -r 10 -recv_timeout 10000 -timeout 30s
check "a call succeeds after the pings" '[ "$(sipp_stat after "SuccessfulCall(C)")" = 10 ]'
[ $fail = 0 ] || cat "$work/ping4" "$work/ping6"
exit $fail
