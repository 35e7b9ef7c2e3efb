#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Bad input over TCP and TLS, each with its clear outcome and its counter in
# /sipdp/ctl, from Python clients in the peer namespace:
#   plaintext SIP to the TLS port            -> closed, no answer (plaintext_on_tls)
#   half a header section, then silence      -> closed at the 2 s deadline (TCP and TLS)
#   Content-Length larger than what follows  -> closed at the 2 s deadline
#   Content-Length over message_max          -> 513, closed (oversize)
#   Content-Length: abc                      -> closed (framing_error)
#   200 connections opened, nothing sent     -> all closed at the 3 s idle timeout
#   an INVITE, then the caller closes        -> sipdp's 200 fails as a transport error
# then no connection is left open and a normal call succeeds over TCP and TLS.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
source "$root/test/system/tls_lib.sh"
sys_require
tls_config "$work/tls.yaml"
sys_start "$work/tls.yaml"
tls=(--tls --ca "$work/pki/ca.pem")

probe() { # LABEL COUNTER DELTA PROBE-ARGS...
	local label=$1 ctr=$2 want=$3 before after out; shift 3
	before=$(tel_ctl "$ctr")
	out=$(peer_py probe "$@" 2>&1); local rc=$?
	echo "$out"
	after=$(tel_ctl "$ctr")
	check "$label" '[ $rc = 0 ] && [ $((after - before)) -ge '"$want"' ]'
	echo "     $ctr: $before -> $after"
}

probe "plaintext to the TLS port: closed, counted" closed_plaintext_on_tls 1 \
	plaintext 192.0.2.1 5061 --timeout 10
probe "half a header section over TCP: closed at the deadline" closed_message_deadline 1 \
	half-header 192.0.2.1 5060 --timeout 10
probe "half a header section over TLS: closed at the deadline" closed_message_deadline 1 \
	half-header 192.0.2.1 5061 "${tls[@]}" --timeout 10
probe "Content-Length beyond the bytes sent: closed at the deadline" closed_message_deadline 1 \
	short-body 192.0.2.1 5060 --timeout 10
probe "Content-Length over message_max: 513 and closed" oversize_513 1 \
	oversize 192.0.2.1 5060 --timeout 10
check "  ... counted as oversize close and framing error" \
	'[ "$(tel_ctl closed_oversize)" -ge 1 ] && [ "$(tel_ctl framing_errors)" -ge 1 ]'
probe "unparsable Content-Length: closed as a framing error" closed_framing_error 1 \
	bad-clen 192.0.2.1 5060 --timeout 10
probe "200 connections abandoned: all closed at the idle timeout" closed_idle 200 \
	abandon 192.0.2.1 5060 --count 200 --timeout 20
check "  ... all 200 accepted" '[ "$(tel_ctl accepted)" -ge 200 ] && [ "$(tel_ctl refused_per_source)" = 0 ]'

# The caller hangs up right after its INVITE: the close reaches the worker
# (on the same ring, after the INVITE) before the 200 is due 50 ms later,
# so that send fails and the transaction reports a transport error
# (RFC 3261 §17.2.4); the call leaves nothing behind.
tstat() { sys_tel /sipdp/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"][sys.argv[1]])' "$1"; }
dead0=$(tstat tcp_conn_dead)
peer_py probe hangup 192.0.2.1 5060 --timeout 10
sleep 1
dead1=$(tstat tcp_conn_dead)
echo "     tcp_conn_dead: $dead0 -> $dead1, tcp_closed $(tstat tcp_closed)"
check "a send on a closed connection fails as a transport error" '[ $((dead1 - dead0)) -ge 1 ]'
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(tstat tsx_live)" = 0 ] && [ "$(tstat dialogs_live)" = 0 ] && break
	sleep 0.5
done
echo "     tsx_live $(tstat tsx_live) dialogs_live $(tstat dialogs_live)"
check "  ... and leaves no transaction or dialog" '[ "$(tstat tsx_live)" = 0 ] && [ "$(tstat dialogs_live)" = 0 ]'

for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(tel_ctl conns_open)" = 0 ] && break
	sleep 0.5
done
check "connection count back to zero" '[ "$(tel_ctl conns_open)" = 0 ]'

peer_py calls 192.0.2.1 5060 --n 5 --window 5 --timeout 20 >"$work/after_tcp.out" 2>&1; rc=$?
cat "$work/after_tcp.out"
check "a normal call over TCP succeeds afterwards" '[ $rc = 0 ]'
peer_py calls 192.0.2.1 5061 "${tls[@]}" --n 5 --window 5 --timeout 20 >"$work/after_tls.out" 2>&1; rc=$?
cat "$work/after_tls.out"
check "a normal call over TLS succeeds afterwards" '[ $rc = 0 ]'
sys_sipp udp -sn uac 192.0.2.1:5060 -i 192.0.2.2 -m 5 -r 5 -recv_timeout 10000 -timeout 30s
check "a normal call over UDP succeeds afterwards" '[ "$(sipp_stat udp "SuccessfulCall(C)")" = 5 ]'
sys_tel /sipdp/ctl
exit $fail
