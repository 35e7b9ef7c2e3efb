#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Shared by the B2BUA system tests (b2bua_*.sh), on top of sys_lib.sh: the
# lab with a callee network, sipdp bridging the caller (sipp UAC on
# 192.0.2.2) to callee sipp UAS instances on 198.51.100.20 and
# 2001:db8::20, both in the peer namespace the lab creates.
#
#   b2b_start CONFIG        lab up, callee addresses, sipdp started, route
#                           from the dut to the callee network (via the tap)
#   b2b_callee NAME ARGS... a sipp UAS in the background (bounded, 120 s);
#                           its pid in $callee_job
#   b2b_caller NAME ARGS... a sipp UAC in the foreground (bounded, 120 s)
#   b2b_stat NAME           a counter of worker 0 from /sipdp/stats
#   b2b_wait_idle           wait (bounded) until bridges_live and dialogs_live are 0
#   b2b_sipp_ok NAME CALLS  assertions: sipp exit 0, CALLS successful, 0 failed
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
scen="$root/test/system/scenarios"
CALLEE4=198.51.100.20
CALLEE6=2001:db8::20

b2b_start() {
	"$lab" up >/dev/null || { echo "FAIL lab up"; exit 1; }
	sys_started=1
	# The callee network: documentation addresses on the peer side only.
	ip -n sipdp-peer addr add "$CALLEE4/24" dev sipdp-peer0
	ip -n sipdp-peer addr add "$CALLEE6/64" dev sipdp-peer0 nodad
	"$lab" start "$1" || { echo "FAIL sipdp did not start"; exit 1; }
	# sipdp sends to 198.51.100.20 directly on the wire; the dut kernel
	# resolves its MAC through the tap (the first packet goes that way).
	ip -n sipdp-dut route replace 198.51.100.0/24 dev sipdp0
}

b2b_callee() {
	local name=$1; shift
	sys_sipp "$name" "$@" &
	callee_job=$!
	# sipp binds its socket at once; give it a moment before calls come.
	for _ in $(seq 1 20); do
		ip netns exec sipdp-peer ss -lnu -t 2>/dev/null | grep -q ":${callee_port:-5060}\b" && break
		sleep 0.2
	done
}

b2b_caller() { sys_sipp "$@"; }

b2b_stat() {
	sys_tel /sipdp/stats >"$work/stats.json"
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["worker0"][sys.argv[2]])' \
		"$work/stats.json" "$1"
}

# Bridges end a little after the last BYE's 200 (the other leg's BYE):
# poll, at most 40 x 0.25 s.
b2b_wait_idle() {
	local b d
	for _ in $(seq 1 40); do
		b=$(b2b_stat bridges_live) d=$(b2b_stat dialogs_live)
		[ "$b" = 0 ] && [ "$d" = 0 ] && return 0
		sleep 0.25
	done
	return 1
}

b2b_sipp_ok() {
	local n=$1 calls=$2
	check "$n: sipp exit 0" '[ "$(cat "$work/$n.rc")" = 0 ]'
	check "$n: $calls calls successful" '[ "$(sipp_stat "$n" "SuccessfulCall(C)")" = "$calls" ]'
	check "$n: 0 calls failed" '[ "$(sipp_stat "$n" "FailedCall(C)")" = 0 ]'
	if [ "$(cat "$work/$n.rc")" != 0 ]; then tail -n 20 "$work/$n.out"; fi
}
