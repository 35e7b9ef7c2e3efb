#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Interop with a real SIP-over-TLS stack, sipdp calling: the calls:
# generator -> TLS -> Kamailio -> UDP -> sipp's UAS, 1,000 calls. The
# target names the transport (sip:...;transport=tls); sipdp verifies
# Kamailio's certificate against 192.0.2.2 and presents its own (Kamailio
# requires one). Kamailio record-routes, so the ACK and the BYE follow the
# route set back over TLS (sipp answers with uas_rr.xml, which copies
# Record-Route as §12.1.1 asks; its built-in uas does not). Every call is
# answered and hung up, as /sipdp/calls and sipp both say; the handshakes
# succeeded; nothing is left open. Skips (77) when this sipdp's generator cannot call over TLS.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
source "$root/test/system/tls_lib.sh"
source "$root/test/system/kam_lib.sh"
sys_require
kam_require
kam_pki
kam_sipdp_config "$root/test/system/configs/calls-kam-tls.yaml" "$work/sipdp.yaml"
if ! "$SIPDP_BIN" -- --config "$work/sipdp.yaml" --check >"$work/check.out" 2>&1; then
	cat "$work/check.out"
	echo "sipdp refuses a calls: target over TLS: skip"; exit 77
fi

# sipp's UAS and Kamailio listen before sipdp starts calling.
"$lab" up >/dev/null || { echo "FAIL lab up"; exit 1; }
sys_started=1
(cd "$work" && exec timeout -k 5 120 ip netns exec sipdp-peer sipp -sf "$root/test/system/scenarios/uas_rr.xml" \
	-i "$kam_ip" -p 5060 -m 1000 -timeout 100s -nostdin -trace_stat -stf "$work/uas.csv" \
	-trace_screen -screen_file "$work/uas.screen" >"$work/uas.out" 2>&1) &
uas_pid=$!
kam_also_stop=$uas_pid
kam_start
"$lab" start "$work/sipdp.yaml" || { echo "FAIL sipdp did not start"; exit 1; }

# A generator without TLS sends its INVITEs elsewhere (UDP to :5061) and
# never opens a connection: told apart within 5 s of its first call.
tls_seen=0
for _ in $(seq 1 20); do
	if [ "$(tel_ctl connects)" != 0 ]; then tls_seen=1; break; fi
	sleep 0.25
done
if [ $tls_seen = 0 ] && [ "$(sys_tel --get attempted /sipdp/calls 2>/dev/null || echo 0)" != 0 ]; then
	echo "the calls: generator placed calls but opened no TLS connection:" \
		"this build cannot call over TLS: skip"
	exit 77
fi

# 1,000 calls at 100/s plus the 0.5 s hold: about 11 s; bounded at 60 s.
done=$(sys_calls_wait)
wait "$uas_pid"
echo $? >"$work/uas.rc"
kam_also_stop=
sys_tel /sipdp/calls >"$work/calls.json"
cat "$work/calls.json"
get() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/calls.json" "$1"; }
check "generator done" '[ "$done" = 1 ]'
check "1000 calls attempted" '[ "$(get attempted)" = 1000 ]'
check "1000 calls answered" '[ "$(get answered)" = 1000 ]'
check "0 calls failed" '[ "$(get failed)" = 0 ] && [ "$(get not_started)" = 0 ]'
check "1000 BYEs sent" '[ "$(get byes)" = 1000 ]'
check "sipp exit 0" '[ "$(cat "$work/uas.rc")" = 0 ]'
check "sipp: 1000 calls successful" '[ "$(sipp_stat uas "SuccessfulCall(C)")" = 1000 ]'
check "sipp: 0 calls failed" '[ "$(sipp_stat uas "FailedCall(C)")" = 0 ]'

kam_rpc tls.info >"$work/kam_tls.txt" 2>&1
kam_rpc tls.list >"$work/kam_tls_list.txt" 2>&1
kam_rpc stats.get_statistics all >"$work/kam_stats.txt" 2>&1
kstat() { awk -F' = ' -v k="$1" '$1 ~ "^"k"$" {print $2}' "$work/kam_stats.txt" | head -n 1; }
echo "kamailio: $(tr -s '\n\t' '  ' <"$work/kam_tls.txt")"
grep -E 'dst_ip|src_ip|cipher|state' "$work/kam_tls_list.txt" | tr -s '\t ' ' ' | head -n 8
echo "kamailio: tcp passive_open $(kstat tcp:passive_open) established $(kstat tcp:established)" \
	"2xx_transactions $(kstat tmx:2xx_transactions) rcv_requests ack $(kstat core:rcv_requests_ack)" \
	"bye $(kstat core:rcv_requests_bye) fwd_requests $(kstat core:fwd_requests)"
# TLS is Kamailio's only stream transport here: its TCP counters are TLS's.
check "kamailio accepted sipdp's TLS connection" \
	'[ "$(kstat tcp:passive_open)" -ge 1 ] && [ "$(kstat tcp:established)" -ge 1 ]'
check "kamailio relayed at least 2000 transactions with a 2xx (INVITE, BYE)" \
	'[ "$(kstat tmx:2xx_transactions)" -ge 2000 ] && [ "$(kstat core:rcv_requests_bye)" -ge 1000 ]'
check "kamailio forwarded 1000 ACKs along the route set" \
	'[ "$(kstat core:rcv_requests_ack)" -ge 1000 ] && [ "$(kstat core:fwd_requests)" -ge 1000 ]'

for _ in $(seq 1 20); do
	[ "$(tel_ctl conns_open)" = 0 ] && break
	sleep 0.5
done
sys_tel /sipdp/ctl >"$work/ctl.json"
sys_tel /sipdp/stats >"$work/stats.json"
c() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/ctl.json" "$1"; }
stat() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"][sys.argv[2]])' "$work/stats.json" "$1"; }
echo "sipdp ctl: connects $(c connects) reused $(c reused) handshakes ok $(c tls_handshakes_ok)" \
	"failed $(c tls_handshakes_failed) msgs_in $(c msgs_in) msgs_out $(c msgs_out) open $(c conns_open);" \
	"workers: tcp_rx $(stat tcp_rx) tcp_tx $(stat tcp_tx) tx_pkts $(stat tx_pkts)"
check "TLS connection to Kamailio verified, none failed" \
	'[ "$(c connects)" -ge 1 ] && [ "$(c tls_handshakes_ok)" -ge 1 ] && [ "$(c tls_handshakes_failed)" = 0 ]'
# INVITE, ACK, BYE out; 180, 200, 200 (BYE) in, per call, and Kamailio's
# 100 Trying unless sipp's 180 overtook it.
check "3000 requests sent over TLS" '[ "$(c msgs_out)" -ge 3000 ] && [ "$(c send_errors)" = 0 ] && [ "$(c send_closed)" = 0 ]'
check "at least 3000 answers received over TLS" '[ "$(c msgs_in)" -ge 3000 ] && [ "$(c to_worker_drops)" = 0 ]'
check "no framing error" '[ "$(c framing_errors)" = 0 ]'
check "the calls sent nothing over UDP" '[ "$(stat tx_pkts)" -lt 50 ]'
check "no connection left open (idle timeout)" '[ "$(c conns_open)" = 0 ]'
[ $fail = 0 ] || tail -n 30 "$work/uas.out"
exit $fail
