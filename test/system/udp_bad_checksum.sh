#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# SIP that sipdp cannot use is never dropped without a word: three OPTIONS
# with a wrong UDP checksum (what a local veth or tap sender with TX
# checksum offload on produces) are counted in dp_drop_udp_cksum, logged
# once with the hint to turn the offload off, and not answered; a good one
# still is. Every frame read from the port is in exactly one of the dp_*
# verdict counters.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require
sys_start "$root/drivers-config/lab-af_packet.yaml"

tstat() { sys_tel /sipdp/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"][sys.argv[1]])' "$1"; }

# A raw UDP socket: the kernel writes the IP header, we write the UDP one,
# checksum included (the peer's offloads are off: nothing rewrites it).
send_bad() {
	ip netns exec sipdp-peer python3 - "$1" <<'PY'
import os, socket, struct, sys
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
for i in range(n):
    tag = os.urandom(4).hex()
    body = ('OPTIONS sip:ping@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2:5099;branch=z9hG4bK%s\r\n'
            'Max-Forwards: 70\r\nFrom: <sip:lab@192.0.2.2>;tag=%s\r\nTo: <sip:ping@192.0.2.1>\r\n'
            'Call-ID: %s@cksum\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' % (tag, tag, tag)).encode()
    # 0x1234 is not the checksum of this datagram (a wrong one is all we need;
    # 0 would mean "none computed", which IPv4 allows).
    hdr = struct.pack('!HHHH', 5099, 5060, 8 + len(body), 0x1234)
    s.sendto(hdr + body, ('192.0.2.1', 0))
PY
}

before=$(tstat dp_drop_udp_cksum)
send_bad 3
for _ in $(seq 1 100); do
	[ "$(tstat dp_drop_udp_cksum)" -ge $((before + 3)) ] && break
	sleep 0.1
done
after=$(tstat dp_drop_udp_cksum)
echo "     dp_drop_udp_cksum: $before -> $after, dp_drop_cksum $(tstat dp_drop_cksum), sip_rx $(tstat sip_rx)"
check "3 datagrams with a bad UDP checksum counted in dp_drop_udp_cksum" '[ $((after - before)) = 3 ]'
check "... and logged with the offload hint" 'grep -q "bad UDP checksum.*ethtool -K IFACE tx off" "$(sys_log)"'
grep -m1 "bad UDP checksum" "$(sys_log)"


# A good OPTIONS is answered all the same (sip_ping of lab.sh, by hand).
ok=$(ip netns exec sipdp-peer python3 - <<'PY'
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.connect(('192.0.2.1', 5060))
lip, port = s.getsockname()
tag = os.urandom(4).hex()
s.send(('OPTIONS sip:ping@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s\r\n'
        'Max-Forwards: 70\r\nFrom: <sip:lab@%s>;tag=%s\r\nTo: <sip:ping@192.0.2.1>\r\n'
        'Call-ID: %s@good\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n'
        % (lip, port, tag, lip, tag, tag)).encode())
print(s.recv(65535).split(b'\r\n')[0].decode())
PY
)
echo "     good OPTIONS: $ok"
check "a good OPTIONS is answered 200" '[ "$ok" = "SIP/2.0 200 OK" ]'

# Every frame read is in one verdict counter. Read in one snapshot; frames
# may arrive between the workers' updates (ARP, ND), so a few reads.
acct() {
	sys_tel /sipdp/stats | python3 -c '
import json, sys
t = json.load(sys.stdin)["total"]
parts = ["dp_sip", "dp_exception", "dp_slow", "dp_drop_malformed", "dp_drop_cksum"]
print(t["rx_pkts"], sum(t[k] for k in parts), " ".join("%s=%d" % (k, t[k]) for k in parts))'
}
for _ in $(seq 1 20); do
	read -r rx sum detail <<<"$(acct)"
	[ "$rx" = "$sum" ] && break
	sleep 0.2
done
echo "     rx_pkts $rx = $detail"
check "every frame received is in a dp_* verdict counter" '[ "$rx" = "$sum" ]'
exit $fail
