#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The telemetry endpoints answer while calls run: dpdk-telemetry.py (DPDK's
# own client) and sipdp-ctl read /sipdp/stats and /sipdp/ports several
# times during a sipp run; the counters move between reads; the calls are
# not disturbed.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require
ctl=${3:-$(dirname "$SIPDP_BIN")/../sipdp-ctl/sipdp-ctl}
# DPDK's own client is half of what this test checks: fail, do not skip it.
command -v dpdk-telemetry.py >/dev/null ||
	{ echo "FAIL dpdk-telemetry.py missing: apt-get install dpdk-dev (or scripts/install-deps.sh)"; exit 1; }
sys_start "$root/drivers-config/lab-af_packet.yaml"

sys_sipp tel -sn uac 192.0.2.1:5060 -i 192.0.2.2 -m 600 -r 100 -recv_timeout 10000 -timeout 60s &
sipp_job=$!
prev=0 moved=0 answered=0
for i in 1 2 3 4 5; do
	sleep 1
	rx=$(sys_tel --get total.sip_rx /sipdp/stats 2>/dev/null) && answered=$((answered + 1))
	[ -n "$rx" ] && [ "$rx" -gt "$prev" ] && moved=$((moved + 1))
	prev=${rx:-$prev}
	echo /sipdp/ports | timeout 10 dpdk-telemetry.py -f sipdp-lab >"$work/dt.$i" 2>&1
	if [ -x "$ctl" ]; then
		timeout 10 "$ctl" --prefix sipdp-lab stats >"$work/ctl.$i" 2>&1
	fi
done
wait "$sipp_job"
check "/sipdp/stats answered 5 times during the calls" '[ $answered = 5 ]'
check "SIP counters moved between reads" '[ $moved -ge 2 ]'
check "dpdk-telemetry.py reads /sipdp/ports" 'grep -q "\"port\"" "$work/dt.5" && grep -q "\"tap\"" "$work/dt.5" && grep -q "ipackets" "$work/dt.5"'
if [ -x "$ctl" ]; then
	check "sipdp-ctl stats prints the per-worker table" 'grep -qE "^ +total +worker0$" "$work/ctl.5" && grep -qE "^sip_rx +[1-9]" "$work/ctl.5"'
fi
check "600 calls successful" '[ "$(sipp_stat tel "SuccessfulCall(C)")" = 600 ]'
check "0 calls failed" '[ "$(sipp_stat tel "FailedCall(C)")" = 0 ]'
exit $fail
