#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The net_tap profile (drivers-config/lab-tap.yaml) in the lab: sipdp's port
# is a tap that lab.sh bridges to the veth. sipp makes 500 calls over IPv4
# and 200 over IPv6 through it: all succeed, sipdp counts them on its port,
# and ping reaches sipdp's address through the exception path.
# Bounded: sipp -m with -timeout under sys_sipp's 120 s.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require
sys_start "$root/drivers-config/lab-tap.yaml"

check "the tap is bridged to the veth" \
	"ip -n sipdp-dut -o link show sipdp-ptap0 | grep -q 'master sipdp-br0'"
sys_sipp v4 -sn uac 192.0.2.1:5060 -i 192.0.2.2 -p 5070 -m 500 -r 100 -timeout 60s -timeout_error
check "500 IPv4 calls succeed" '[ "$(sipp_stat v4 SuccessfulCall\(C\))" = 500 ]'
check "no IPv4 call failed" '[ "$(sipp_stat v4 FailedCall\(C\))" = 0 ]'
sys_sipp v6 -sn uac '[2001:db8::1]:5060' -i 2001:db8::2 -p 5072 -m 200 -r 100 -timeout 60s -timeout_error
check "200 IPv6 calls succeed" '[ "$(sipp_stat v6 SuccessfulCall\(C\))" = 200 ]'
check "no IPv6 call failed" '[ "$(sipp_stat v6 FailedCall\(C\))" = 0 ]'
check "ping through the exception path" "ip netns exec sipdp-peer ping -c 2 -W 2 192.0.2.1 >/dev/null"
"$lab" stop >"$work/stop.log" 2>&1
sys_started=0
check "sipdp answered all 700 calls" "grep -q '^total.policy_answer 700$' '$(sys_log)'"
check "the bridge is gone with sipdp" "! ip -n sipdp-dut link show sipdp-br0 >/dev/null 2>&1"
exit $fail
