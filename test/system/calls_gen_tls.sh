#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# sipdp as the caller over TLS (calls.target ...;transport=tls) to a small
# Python TLS UAS in the peer namespace (tls_uas.py, certificate for
# 192.0.2.2 from a throw-away CA):
#  1. 200 calls, sipdp verifying the peer against that CA (no SNI: the
#     certificate must name 192.0.2.2): all answered, none failed, one
#     TLS connection opened and reused, every request's Via says
#     "SIP/2.0/TLS 192.0.2.1:5061" and Contact ";transport=tls";
#  2. 20 calls with another CA: the handshake fails, each call fails at
#     once with 503 (the control lcore answers the requests queued on the
#     failed connection, RFC 3261 §8.1.3.1), none is answered.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require
command -v openssl >/dev/null || { echo "FAIL openssl missing: apt-get install openssl (or scripts/install-deps.sh)"; exit 1; }

pki=$work/pki
mkdir -p "$pki"
mkca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$pki/$1.key" -out "$pki/$1.pem" -days 2 -subj "/CN=$1" >/dev/null 2>&1 ||
		{ echo "FAIL openssl CA"; exit 1; }
}
mkca ca
mkca other-ca
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/peer.key" \
	-out "$pki/peer.csr" -subj /CN=peer.test >/dev/null 2>&1 || { echo "FAIL openssl CSR"; exit 1; }
printf '%s\n' "subjectAltName=DNS:peer.test,IP:192.0.2.2" "basicConstraints=CA:FALSE" \
	"keyUsage=digitalSignature" "extendedKeyUsage=serverAuth" >"$pki/ext.cnf"
openssl x509 -req -in "$pki/peer.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
	-out "$pki/peer.pem" -days 2 -extfile "$pki/ext.cnf" >/dev/null 2>&1 || { echo "FAIL sign"; exit 1; }

# calls-tcp-1000.yaml with a TLS target, N calls, and the CA to verify with.
mkcfg() {
	sed -e 's/^  target: .*/  target: sip:service@192.0.2.2:5061;transport=tls/' \
		-e "s/^  total: .*/  total: $2/" -e "s/^  rate: .*/  rate: $3/" \
		-e 's/^  hold_ms: .*/  hold_ms: 200/' \
		"$root/test/system/configs/calls-tcp-1000.yaml" >"$work/$1.yaml"
	printf '%s\n' "" "tls:" "  ca: $pki/$4.pem" "  handshake_timeout_ms: 3000" >>"$work/$1.yaml"
}
mkcfg good 200 100 ca
mkcfg bad 20 20 other-ca

get() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/$1.json" "$2"; }
"$lab" up >/dev/null || { echo "FAIL lab up"; exit 1; }
sys_started=1
timeout -k 5 100 ip netns exec sipdp-peer python3 "$root/test/system/tls_uas.py" \
	--listen 192.0.2.2 --port 5061 --cert "$pki/peer.pem" --key "$pki/peer.key" \
	--calls 200 --timeout 90 >"$work/uas.json" 2>"$work/uas.err" &
uas_job=$!
sleep 1

# 1. verified TLS
"$lab" start "$work/good.yaml" || { echo "FAIL sipdp did not start"; exit 1; }
done=$(sys_calls_wait)
wait "$uas_job"
uas_rc=$?
sys_tel /sipdp/calls >"$work/calls.json"
sys_tel /sipdp/ctl >"$work/ctl.json"
cat "$work/calls.json" "$work/uas.json"
echo "ctl: connects $(get ctl connects) handshakes ok $(get ctl tls_handshakes_ok) failed $(get ctl tls_handshakes_failed) req_503 $(get ctl req_503)"
check "generator done" '[ "$done" = 1 ]'
check "200 calls answered" '[ "$(get calls attempted)" = 200 ] && [ "$(get calls answered)" = 200 ]'
check "0 calls failed" '[ "$(get calls failed)" = 0 ] && [ "$(get calls not_started)" = 0 ]'
check "200 BYEs" '[ "$(get calls byes)" = 200 ]'
check "one TLS connection, verified, reused" '[ "$(get ctl connects)" = 1 ] && [ "$(get ctl tls_handshakes_ok)" = 1 ] && [ "$(get ctl tls_handshakes_failed)" = 0 ]'
check "peer UAS saw 200 BYEs" '[ "$uas_rc" = 0 ] && [ "$(get uas byes)" = 200 ] && [ "$(get uas acks)" = 200 ]'
joined() { python3 -c 'import json,sys; print("|".join(json.load(open(sys.argv[1]))[sys.argv[2]]))' "$work/uas.json" "$1"; }
check "every Via: SIP/2.0/TLS 192.0.2.1:5061" '[ "$(joined vias)" = "SIP/2.0/TLS 192.0.2.1:5061" ]'
check "Contact: transport=tls" '[ "$(joined contacts)" = "<sip:sipdp@192.0.2.1:5061;transport=tls>" ]'
[ $fail = 0 ] || cat "$work/uas.err"
"$lab" stop >/dev/null 2>&1

# 2. the peer's certificate does not verify
timeout -k 5 60 ip netns exec sipdp-peer python3 "$root/test/system/tls_uas.py" \
	--listen 192.0.2.2 --port 5061 --cert "$pki/peer.pem" --key "$pki/peer.key" \
	--calls 1 --timeout 30 >"$work/uas2.json" 2>"$work/uas2.err" &
uas_job=$!
sleep 1
"$lab" start "$work/bad.yaml" || { echo "FAIL sipdp did not start (2)"; exit 1; }
done=$(sys_calls_wait)
sys_tel /sipdp/calls >"$work/calls2.json"
sys_tel /sipdp/ctl >"$work/ctl2.json"
kill "$uas_job" 2>/dev/null
wait "$uas_job" 2>/dev/null
cat "$work/calls2.json"
echo "ctl: connects $(get ctl2 connects) handshakes failed $(get ctl2 tls_handshakes_failed) req_503 $(get ctl2 req_503)"
n503=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["failed_by_status"].get("503", 0))' "$work/calls2.json")
check "untrusted peer: generator done" '[ "$done" = 1 ]'
check "untrusted peer: 20 calls failed, none answered" '[ "$(get calls2 failed)" = 20 ] && [ "$(get calls2 answered)" = 0 ]'
check "untrusted peer: each failed with 503" '[ "$n503" = 20 ] && [ "$(get ctl2 req_503)" = 20 ]'
check "untrusted peer: handshakes failed" '[ "$(get ctl2 tls_handshakes_failed)" -ge 1 ] && [ "$(get ctl2 tls_handshakes_ok)" = 0 ]'
exit $fail
