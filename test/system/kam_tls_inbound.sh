#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Interop with a real SIP-over-TLS stack: sipp's uac (UDP) -> Kamailio ->
# TLS -> sipdp, 1,000 calls. Kamailio (test/system/kamailio/) relays
# statefully and record-routes, so the INVITE, the ACK and the BYE of every
# call cross the TLS connection; mutual TLS with verification on both
# sides (each trusts only the other's CA, made for this run). Every call
# succeeds, sipdp framed all 3,000 requests from TLS with no failed
# handshake and no framing error, Kamailio reports its TLS connection, and
# sipdp's idle timeout leaves no connection open afterwards.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
source "$root/test/system/tls_lib.sh"
source "$root/test/system/kam_lib.sh"
sys_require
kam_require
kam_pki
kam_sipdp_config "$root/drivers-config/lab-af_packet.yaml" "$work/sipdp.yaml"
sys_start "$work/sipdp.yaml"
kam_start

# 1,000 calls at 100/s, 100 at most at once: about 10 s, bounded at 120 s.
sys_sipp uac -sf "$root/test/system/scenarios/uac_rr.xml" "$kam_ip:$kam_udp" \
	-i "$kam_ip" -p 5060 -m 1000 -r 100 -l 100 -recv_timeout 10000 -timeout 100s
check "sipp exit 0" '[ "$(cat "$work/uac.rc")" = 0 ]'
check "1000 calls successful" '[ "$(sipp_stat uac "SuccessfulCall(C)")" = 1000 ]'
check "0 calls failed" '[ "$(sipp_stat uac "FailedCall(C)")" = 0 ]'

# Kamailio's side while its connection is still up.
kam_rpc tls.info >"$work/kam_tls.txt" 2>&1
kam_rpc tls.list >"$work/kam_tls_list.txt" 2>&1
kam_rpc stats.get_statistics all >"$work/kam_stats.txt" 2>&1
kstat() { awk -F' = ' -v k="$1" '$1 ~ "^"k"$" {print $2}' "$work/kam_stats.txt" | head -n 1; }
echo "kamailio: $(tr -s '\n\t' '  ' <"$work/kam_tls.txt")"
grep -E 'dst_ip|src_ip|cipher|state' "$work/kam_tls_list.txt" | tr -s '\t ' ' ' | head -n 8
echo "kamailio: tcp connect_success $(kstat tcp:connect_success) established $(kstat tcp:established)" \
	"2xx_transactions $(kstat tmx:2xx_transactions) rcv_requests ack $(kstat core:rcv_requests_ack)" \
	"bye $(kstat core:rcv_requests_bye) fwd_requests $(kstat core:fwd_requests)"
# TLS is Kamailio's only stream transport here: its TCP counters are TLS's.
check "kamailio opened a TLS connection to sipdp" \
	'[ "$(kstat tcp:connect_success)" -ge 1 ] && [ "$(kstat tcp:established)" -ge 1 ]'
check "kamailio relayed at least 2000 transactions with a 2xx (INVITE, BYE)" \
	'[ "$(kstat tmx:2xx_transactions)" -ge 2000 ] && [ "$(kstat core:rcv_requests_bye)" -ge 1000 ]'
check "kamailio forwarded 1000 ACKs along the route set" \
	'[ "$(kstat core:rcv_requests_ack)" -ge 1000 ] && [ "$(kstat core:fwd_requests)" -ge 1000 ]'

# Kamailio keeps the connection for reuse; sipdp closes it when idle (3 s).
for _ in $(seq 1 20); do
	[ "$(tel_ctl conns_open)" = 0 ] && break
	sleep 0.5
done
sys_tel /sipdp/ctl >"$work/ctl.json"
sys_tel /sipdp/stats >"$work/stats.json"
c() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/ctl.json" "$1"; }
stat() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"][sys.argv[2]])' "$work/stats.json" "$1"; }
echo "sipdp ctl: accepted $(c accepted) handshakes ok $(c tls_handshakes_ok) failed $(c tls_handshakes_failed)" \
	"msgs_in $(c msgs_in) msgs_out $(c msgs_out) to_worker $(c to_worker) open $(c conns_open);" \
	"workers: tcp_rx $(stat tcp_rx) tcp_tx $(stat tcp_tx) tx_pkts $(stat tx_pkts)"
check "TLS handshake with Kamailio (mutual), none failed" \
	'[ "$(c tls_handshakes_ok)" -ge 1 ] && [ "$(c tls_handshakes_ok)" -le 4 ] && [ "$(c tls_handshakes_failed)" = 0 ]'
# INVITE, ACK, BYE of each call came over TLS: the route set held.
check "3000 requests from TLS framed and handed to workers" \
	'[ "$(c msgs_in)" = 3000 ] && [ "$(c to_worker)" = 3000 ] && [ "$(stat tcp_rx)" = 3000 ]'
check "at least 3000 answers sent over TLS, none lost" \
	'[ "$(c msgs_out)" -ge 3000 ] && [ "$(c send_errors)" = 0 ] && [ "$(c to_worker_drops)" = 0 ] && [ "$(stat tcp_tx_drops)" = 0 ]'
check "no framing error" '[ "$(c framing_errors)" = 0 ]'
check "the UA sent nothing over UDP" '[ "$(stat tx_pkts)" -lt 50 ]'
check "no connection left open (idle timeout)" '[ "$(c conns_open)" = 0 ]'
[ $fail = 0 ] || tail -n 30 "$work/uac.out"
exit $fail
