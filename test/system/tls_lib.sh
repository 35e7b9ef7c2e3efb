#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the TCP/TLS system tests after sys_lib.sh: a throw-away PKI
# made with the openssl CLI in the test's temp dir (no key is ever
# committed) and a lab config serving TLS on 5061 with short TCP limits.
#
#   tls_config OUT    CA + server certificate (sipdp.test, 192.0.2.1) in
#                     $work, OUT = drivers-config/lab-af_packet.yaml with
#                     tls_port 5061, the tls: section, 50 ms ringing,
#                     message deadline 2 s, idle timeout 3 s, 256 per source.

tls_config() {
	local out=$1 d="$work/pki"
	command -v openssl >/dev/null || { echo "FAIL openssl missing: apt-get install openssl (or scripts/install-deps.sh)"; exit 1; }
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -days 2 -subj /CN=sipdp-test-ca \
		>/dev/null 2>&1 || { echo "FAIL openssl CA"; exit 1; }
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/server.key" -out "$d/server.csr" -subj /CN=sipdp.test \
		>/dev/null 2>&1 || { echo "FAIL openssl CSR"; exit 1; }
	printf '%s\n' "subjectAltName=DNS:sipdp.test,IP:192.0.2.1" "basicConstraints=CA:FALSE" \
		"keyUsage=digitalSignature" "extendedKeyUsage=serverAuth" \
		"subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid,issuer" >"$d/ext.cnf"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -out "$d/server.pem" -days 2 -extfile "$d/ext.cnf" \
		>/dev/null 2>&1 || { echo "FAIL openssl sign"; exit 1; }
	sed -e 's/^  tls_port: 0.*/  tls_port: 5061/' \
		-e 's/^      ring_ms: 1000/      ring_ms: 50/' \
		-e 's/^limits:/limits:\n  tcp_per_source: 256\n  tcp_idle_timeout_ms: 3000\n  tcp_message_deadline_ms: 2000/' \
		"$root/drivers-config/lab-af_packet.yaml" >"$out"
	printf '%s\n' "" "tls:" "  cert: $d/server.pem" "  key: $d/server.key" \
		"  ca: $d/ca.pem" >>"$out"
	grep -q "tls_port: 5061" "$out" || { echo "FAIL config: no tls_port"; exit 1; }
}

# tel_ctl KEY: one /sipdp/ctl counter now.
tel_ctl() {
	sys_tel /sipdp/ctl | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# peer_py ARGS...: sip_stream.py in the peer namespace, at most 120 s.
peer_py() {
	timeout -k 5 120 ip netns exec sipdp-peer python3 "$root/test/system/sip_stream.py" "$@"
}

# tls_ca DIR NAME: a throw-away CA, DIR/NAME.pem and DIR/NAME.key.
tls_ca() {
	local d=$1 n=$2
	command -v openssl >/dev/null || { echo "FAIL openssl missing: apt-get install openssl (or scripts/install-deps.sh)"; exit 1; }
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/$n.key" -out "$d/$n.pem" -days 2 -subj "/CN=$n" \
		>/dev/null 2>&1 || { echo "FAIL openssl CA $n"; exit 1; }
}

# tls_cert DIR NAME CA SAN: DIR/NAME.pem + .key signed by DIR/CA, for both
# ends of a mutual-TLS connection (serverAuth and clientAuth) with the
# subjectAltName SAN ("DNS:x,IP:a").
tls_cert() {
	local d=$1 n=$2 ca=$3 san=$4
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/$n.key" -out "$d/$n.csr" -subj "/CN=$n" \
		>/dev/null 2>&1 || { echo "FAIL openssl CSR $n"; exit 1; }
	printf '%s\n' "subjectAltName=$san" "basicConstraints=CA:FALSE" \
		"keyUsage=digitalSignature" "extendedKeyUsage=serverAuth,clientAuth" \
		"subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid,issuer" >"$d/$n.ext"
	openssl x509 -req -in "$d/$n.csr" -CA "$d/$ca.pem" -CAkey "$d/$ca.key" \
		-CAcreateserial -out "$d/$n.pem" -days 2 -extfile "$d/$n.ext" \
		>/dev/null 2>&1 || { echo "FAIL openssl sign $n"; exit 1; }
}
