#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# scripts/lab.sh up/status/down (suite 'system'):
#  - up builds both namespaces, the veth pair and the peer's addresses, and
#    is idempotent (a second up changes nothing and succeeds)
#  - the sipdp side of the veth carries no address and no IPv6, DAD is off
#  - status says 0 when up, 3 when down
#  - start refuses a config that does not exist; stop with nothing running
#    succeeds and says so (the appliance itself: test/system)
#  - down removes everything and is idempotent
# Skips (77) without root or `ip netns`, or when a lab is already up (it is
# somebody's: we do not tear it down). Cleans up on any exit.
set -u  # no pipefail: `cmd | grep -q` would fail on SIGPIPE
lab=${1:-$(dirname "$0")/../../scripts/lab.sh}

[ "$(id -u)" -eq 0 ] || { echo "not root: skip"; exit 77; }
command -v ip >/dev/null && ip netns list >/dev/null 2>&1 || { echo "no ip netns: skip"; exit 77; }
if ip netns list | grep -qE '^sipdp-(dut|peer)\b'; then
	echo "a sipdp lab is already up: skip"; exit 77
fi
trap '"$lab" down >/dev/null 2>&1' EXIT

fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

check "up succeeds" '"$lab" up >/dev/null'
check "up again succeeds" '"$lab" up >/dev/null'
check "status 0 when up" '"$lab" status >/dev/null; [ $? -eq 0 ]'
check "peer has 192.0.2.2/24" 'ip -n sipdp-peer addr show dev sipdp-peer0 | grep -q "inet 192.0.2.2/24"'
check "peer has 2001:db8::2/64" 'ip -n sipdp-peer addr show dev sipdp-peer0 | grep -q "inet6 2001:db8::2/64"'
check "peer address not tentative (no DAD)" '! ip -n sipdp-peer addr show dev sipdp-peer0 | grep -q tentative'
check "one address only, after two ups" '[ "$(ip -n sipdp-peer addr show dev sipdp-peer0 | grep -c "inet 192.0.2.2/24")" -eq 1 ]'
check "dut veth up, no address" '[ -z "$(ip -n sipdp-dut addr show dev sipdp-dut0 | grep inet)" ] && ip -n sipdp-dut link show dev sipdp-dut0 | grep -q "state UP\|LOWER_UP"'
check "DAD off in dut" '[ "$(ip netns exec sipdp-dut sysctl -n net.ipv6.conf.default.accept_dad)" = 0 ]'
check "veth pair joins the two" 'ip -n sipdp-dut -d link show dev sipdp-dut0 | grep -q veth'
check "start refuses a missing config" '! SIPDP_BIN=/bin/true "$lab" start /nonexistent.yaml 2>/dev/null'
check "stop with nothing running succeeds" '"$lab" stop | grep -q "not running"'
check "down succeeds" '"$lab" down >/dev/null'
check "down again succeeds" '"$lab" down >/dev/null'
check "status 3 when down" '"$lab" status >/dev/null; [ $? -eq 3 ]'
check "namespaces gone" '! ip netns list | grep -qE "^sipdp-(dut|peer)\b"'
check "no stray links in this namespace" '! ip link show | grep -q "sipdp-\(dut\|peer\)0"'
exit $fail
