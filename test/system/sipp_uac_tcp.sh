#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# SIP over TCP: sipp's uac scenario on one TCP connection (-t t1), 1,000
# calls through lib/ctl on the control lcore, the owning worker's UA and
# back. Every call succeeds, nothing is dropped on the way, the messages
# went over TCP (lib/ctl and worker counters) and, once sipp is gone, no
# connection is left open.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require
sys_start "$root/drivers-config/lab-af_packet-2w.yaml"

sys_sipp tcp -sn uac 192.0.2.1:5060 -t t1 -i 192.0.2.2 -m 1000 -r 200 -l 100 \
	-recv_timeout 10000 -timeout 100s
check "sipp exit 0" '[ "$(cat "$work/tcp.rc")" = 0 ]'
check "1000 calls successful" '[ "$(sipp_stat tcp "SuccessfulCall(C)")" = 1000 ]'
check "0 calls failed" '[ "$(sipp_stat tcp "FailedCall(C)")" = 0 ]'

# sipp closed its connection on exit: lib/ctl sees the FIN at its next poll.
tcpget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[sys.argv[2]])' "$work/ctl.json" "$1"; }
for _ in 1 2 3 4 5 6 7 8 9 10; do
	sys_tel /sipdp/ctl >"$work/ctl.json"
	[ "$(tcpget conns_open)" = 0 ] && break
	sleep 0.5
done
sys_tel /sipdp/stats >"$work/stats.json"
stat() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"][sys.argv[2]])' "$work/stats.json" "$1"; }
echo "ctl: accepted $(tcpget accepted) msgs_in $(tcpget msgs_in) msgs_out $(tcpget msgs_out)" \
	"to_worker $(tcpget to_worker) open $(tcpget conns_open);" \
	"workers: tcp_rx $(stat tcp_rx) tcp_tx $(stat tcp_tx) handoff_out $(stat handoff_out)"
check "one TCP connection accepted" '[ "$(tcpget accepted)" = 1 ]'
# INVITE, ACK, BYE per call.
check "3000 messages framed and handed to workers" \
	'[ "$(tcpget msgs_in)" = 3000 ] && [ "$(tcpget to_worker)" = 3000 ] && [ "$(stat tcp_rx)" = 3000 ]'
# 180 + 200 (INVITE), 200 (BYE) per call; 2xx retransmissions may add some.
check "at least 3000 answers sent over TCP" '[ "$(tcpget msgs_out)" -ge 3000 ] && [ "$(tcpget sent)" = "$(stat tcp_tx)" ]'
check "nothing dropped" '[ "$(tcpget to_worker_drops)" = 0 ] && [ "$(tcpget to_worker_no_mbuf)" = 0 ] && [ "$(stat tcp_tx_drops)" = 0 ] && [ "$(tcpget send_errors)" = 0 ]'
check "no framing error" '[ "$(tcpget framing_errors)" = 0 ]'
check "no connection left open" '[ "$(tcpget conns_open)" = 0 ]'
check "the UA sent nothing over UDP" '[ "$(stat tx_pkts)" -lt 50 ]'
exit $fail
