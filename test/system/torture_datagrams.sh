#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Every invalid RFC 4475 message sent to sipdp as a datagram: the answer, if
# any, is an error (400, 505, 513, ...), never a 1xx or 2xx; the appliance
# keeps running and the next call succeeds. A request whose Via cannot be
# read gets no answer (nowhere to send one); badvers gets its 505.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require
sys_start "$root/drivers-config/lab-af_packet.yaml"
data="$root/test/data/torture/rfc4475"

files=()
while IFS=$'\t' read -r name expected _; do
	[ "$expected" = invalid ] && files+=("$data/$name.dat")
done < "$data/INDEX.tsv"
ip netns exec sipdp-peer timeout 120 python3 "$root/test/system/udp_probe.py" \
	--to 192.0.2.1 --iface sipdp-peer0 "${files[@]}" >"$work/probe" 2>&1
cat "$work/probe"
check "every invalid message probed" '[ "$(grep -c . "$work/probe")" = ${#files[@]} ]'
check "no 1xx/2xx/3xx to an invalid message" '! awk "{print \$2}" "$work/probe" | tr , "\n" | grep -qE "^[123][0-9][0-9]$"'
check "some invalid requests got 400" 'grep -qE " (.*,)?400(,|$)" "$work/probe"'
check "badvers got 505" 'grep -qE "^badvers 505" "$work/probe"'
check "sipdp still running" '"$lab" status >/dev/null'
sys_sipp after -sn uac 192.0.2.1:5060 -i 192.0.2.2 -m 10 -r 10 -recv_timeout 10000 -timeout 30s
check "the next calls succeed" '[ "$(sipp_stat after "SuccessfulCall(C)")" = 10 ]'
exit $fail
