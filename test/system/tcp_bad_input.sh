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
#   an INVITE, then the caller closes        -> a transport error ends the call at once
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
	# The control lcore publishes its counters to telemetry as it goes:
	# one the client just saw happen may land a moment later (bounded).
	for _ in $(seq 1 50); do
		after=$(tel_ctl "$ctr")
		[ $((after - before)) -ge "$want" ] && break
		sleep 0.1
	done
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

# The caller hangs up right after its INVITE. Whichever comes first on the
# worker, the close (it follows the INVITE on the same ring) or the 200
# (due 50 ms later), the call sees a transport error (RFC 3261 §17.2.4):
# a 200 after the close fails to send (tcp_conn_dead), a 200 before it
# leaves the transaction waiting for an ACK that the close ends at once
# (tcp_conn_lost_tsx). Either way nothing of the call is left once the
# worker has taken the close: no timer (Timer L, 32 s) is waited for.
# (tsx_live would also count the lab's UDP OPTIONS ping, alive for Timer J:
# the call's transactions are the ones over a connection, tsx_conn_live.)
tstat() { sys_tel /sipdp/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"][sys.argv[1]])' "$1"; }
closed0=$(tstat tcp_closed)
err0=$(( $(tstat tcp_conn_dead) + $(tstat tcp_conn_lost_tsx) ))
peer_py probe hangup 192.0.2.1 5060 --timeout 10
# Bounded wait for the close to reach the worker (an event, not a timer).
for _ in $(seq 1 100); do
	[ "$(tstat tcp_closed)" -gt "$closed0" ] && break
	sleep 0.1
done
err1=$(( $(tstat tcp_conn_dead) + $(tstat tcp_conn_lost_tsx) ))
echo "     tcp_closed $closed0 -> $(tstat tcp_closed); transport errors (tcp_conn_dead + tcp_conn_lost_tsx) $err0 -> $err1"
check "the closed connection is a transport error for the call" '[ $((err1 - err0)) -ge 1 ]'
echo "     tsx_conn_live $(tstat tsx_conn_live) dialogs_live $(tstat dialogs_live) (tsx_live $(tstat tsx_live))"
check "  ... and leaves no transaction or dialog" '[ "$(tstat tsx_conn_live)" = 0 ] && [ "$(tstat dialogs_live)" = 0 ]'

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
