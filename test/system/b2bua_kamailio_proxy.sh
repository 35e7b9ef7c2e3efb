#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Kamailio as the core network's proxy on the B leg (suite 'system'):
#
#   sipp caller 192.0.2.2 -> sipdp (rule callee-core) -> Kamailio
#   198.51.100.30 (UDP, stateful, record_route; kamailio/core_proxy.cfg)
#   -> sipp callee 198.51.100.20 (scenarios/uas_rr.xml copies Record-Route)
#
# 200 calls at 50/s: every call succeeds on both sipp sides; sipdp's B-leg
# ACK and BYE follow the route set Kamailio's Record-Route made (Kamailio
# refuses in-dialog requests without its Route with 404, so a B leg that
# ignored it would fail calls): Kamailio received (at least) 200 INVITEs,
# 200 ACKs and 200 BYEs, and every ACK and BYE the callee got came through
# it (top Via Kamailio's). sipdp answered 200 bridges; nothing is left. Bounded: each
# sipp under `timeout 120` with -timeout 60s, Kamailio stopped on exit.
source "$(dirname "$0")/b2bua_lib.sh" "$@"
source "$root/test/system/kam_lib.sh"
sys_require
kam_require udp
KAM=198.51.100.30
kam_ip=$KAM kam_udp=5060 kam_callee="$CALLEE4:5060"
calls=200

b2b_start "$root/test/system/configs/b2bua.yaml"
ip -n sipdp-peer addr add "$KAM/24" dev sipdp-peer0
kam_start core_proxy.cfg

b2b_callee callee -sf "$scen/uas_rr.xml" -i "$CALLEE4" -p 5060 -m $calls -timeout 60s \
	-trace_msg -message_file "$work/callee.msg"
kam_also_stop=$callee_job
b2b_caller caller -sn uac 192.0.2.1:5060 -s core -i 192.0.2.2 -p 5070 -m $calls -r 50 \
	-timeout 60s -timeout_error -trace_err -error_file "$work/caller.err"
wait "$callee_job"
kam_also_stop=
b2b_sipp_ok caller $calls
b2b_sipp_ok callee $calls

kam_rpc stats.get_statistics all >"$work/kam_stats.txt" 2>&1
kstat() { awk -F' = ' -v k="$1" '$1 ~ "^"k"$" {print $2}' "$work/kam_stats.txt" | head -n 1; }
echo "kamailio: rcv_requests invite $(kstat core:rcv_requests_invite) ack $(kstat core:rcv_requests_ack)" \
	"bye $(kstat core:rcv_requests_bye) fwd_requests $(kstat core:fwd_requests)" \
	"2xx_transactions $(kstat tmx:2xx_transactions) drop_requests $(kstat core:drop_requests)"
# At least: a 2xx retransmitted under load is ACKed again.
check "kamailio relayed $calls INVITEs" '[ "$(kstat core:rcv_requests_invite)" -ge $calls ]'
check "sipdp's $calls ACKs went through kamailio" '[ "$(kstat core:rcv_requests_ack)" -ge $calls ]'
check "sipdp's $calls BYEs went through kamailio" '[ "$(kstat core:rcv_requests_bye)" -ge $calls ]'
# The callee's view: the top Via of every ACK and BYE it received.
awk '/^(ACK|BYE) /{m=$1; v=1; next} v&&/^Via:/{sub(/;.*/, "", $3); print m, $3; v=0}' "$work/callee.msg" |
	sort | uniq -c >"$work/callee_vias"
cat "$work/callee_vias"
kam_rows() { awk -v m="$1" -v k="$KAM" '$2 == m && ($3 == k || $3 == k ":5060") {print $1}' "$work/callee_vias"; }
check "callee: every ACK and BYE came through kamailio" \
	'[ "$(awk -v k="$KAM" "\$3 != k && \$3 != k \":5060\"" "$work/callee_vias" | wc -l)" = 0 ]'
check "callee: $calls ACKs and $calls BYEs" '[ "$(kam_rows ACK)" -ge $calls ] && [ "$(kam_rows BYE)" -ge $calls ]'
check "callee: its INVITEs carry kamailio's Record-Route" \
	'[ "$(grep -c "^Record-Route: <sip:$KAM" "$work/callee.msg")" -ge $calls ]'
check "nothing left (bridges_live, dialogs_live 0)" b2b_wait_idle
check "$calls bridges answered, 0 failed" \
	'[ "$(b2b_stat bridges_answered)" = $calls ] && [ "$(b2b_stat bridges_failed)" = 0 ]'
if [ $fail != 0 ]; then
	for k in policy_bridge bridges_answered bridges_failed bridges_cancelled bridge_failovers \
		bridge_ring_timeouts retransmissions; do echo "sipdp $k $(b2b_stat $k)"; done
	echo "--- the caller's unexpected messages (first 40 lines)"; head -n 40 "$work/caller.err" 2>/dev/null
fi
exit $fail
