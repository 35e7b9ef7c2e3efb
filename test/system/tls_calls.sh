#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# SIP over TLS: 1,000 calls (INVITE, 180, 200, ACK, BYE, 200) on one TLS
# connection, 20 at a time, from a Python ssl client in the peer namespace
# (Debian's sipp is built without TLS). The server certificate comes from a
# CA made for this run; the client verifies it. Every call succeeds, one
# handshake, no framing error, and no connection is left open afterwards.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
source "$root/test/system/tls_lib.sh"
sys_require
tls_config "$work/tls.yaml"
sys_start "$work/tls.yaml"

peer_py calls 192.0.2.1 5061 --tls --ca "$work/pki/ca.pem" --n 1000 --window 20 \
	--timeout 100 >"$work/calls.out" 2>&1
rc=$?
cat "$work/calls.out"
check "1000 calls over TLS, 0 failed" '[ $rc = 0 ] && grep -q "calls: 1000 successful, 0 failed" "$work/calls.out"'
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(tel_ctl conns_open)" = 0 ] && break
	sleep 0.5
done
sys_tel /sipdp/ctl >"$work/ctl.json"
c() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/ctl.json" "$1"; }
echo "ctl: handshakes ok $(c tls_handshakes_ok) failed $(c tls_handshakes_failed)" \
	"msgs_in $(c msgs_in) msgs_out $(c msgs_out) bytes_in $(c bytes_in) bytes_out $(c bytes_out)"
check "one TLS handshake, none failed" '[ "$(c tls_handshakes_ok)" = 1 ] && [ "$(c tls_handshakes_failed)" = 0 ]'
check "3000 requests framed and handed over" '[ "$(c msgs_in)" = 3000 ] && [ "$(c to_worker)" = 3000 ]'
check "answers sent, none lost" '[ "$(c msgs_out)" -ge 3000 ] && [ "$(c send_errors)" = 0 ] && [ "$(c to_worker_drops)" = 0 ]'
check "no framing error" '[ "$(c framing_errors)" = 0 ]'
check "no connection left open" '[ "$(c conns_open)" = 0 ]'
exit $fail
