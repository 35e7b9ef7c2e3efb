#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# 5% loss in both directions (nftables numgen rules in the peer namespace;
# this kernel has no netem): every call completes,
# because both sides retransmit, and sipdp's retransmission counter moves.
# The scenario makes every provisional optional, so a lost 100 is harmless.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require
command -v nft >/dev/null || { echo "FAIL nft missing: apt-get install nftables (or scripts/install-deps.sh)"; exit 1; }
sys_start "$root/drivers-config/lab-af_packet.yaml"

# sipdp -> peer: dropped at the peer's input hook. peer -> sipdp: dropped at
# the veth's egress hook, not the output hook: a drop there fails sipp's
# sendto() with EPERM, and sipp 3.6.1 crashes on that instead of treating it
# as a lost datagram.
ip netns exec sipdp-peer nft -f - <<'NFT' || { echo "FAIL nft rules"; exit 1; }
table inet sipdp_loss {
	chain in { type filter hook input priority 0; udp sport 5060 numgen random mod 20 == 0 counter drop; }
}
table netdev sipdp_loss_eg {
	chain out { type filter hook egress device "sipdp-peer0" priority 0; udp dport 5060 numgen random mod 20 == 0 counter drop; }
}
NFT

sys_sipp loss -sf "$root/test/system/scenarios/uac_loss.xml" 192.0.2.1:5060 -i 192.0.2.2 \
	-m 400 -r 50 -l 400 -max_retrans 10 -recv_timeout 20000 -timeout 110s
drops_in=$(ip netns exec sipdp-peer nft list table inet sipdp_loss | grep -o 'packets [0-9]*' | awk '{s+=$2} END {print s+0}')
drops_out=$(ip netns exec sipdp-peer nft list table netdev sipdp_loss_eg | grep -o 'packets [0-9]*' | awk '{s+=$2} END {print s+0}')
echo "packets dropped: sipdp->peer $drops_in, peer->sipdp $drops_out"
check "loss in both directions" '[ "$drops_in" -gt 0 ] && [ "$drops_out" -gt 0 ]'
check "sipp exit 0" '[ "$(cat "$work/loss.rc")" = 0 ]'
check "400 calls successful" '[ "$(sipp_stat loss "SuccessfulCall(C)")" = 400 ]'
check "0 calls failed" '[ "$(sipp_stat loss "FailedCall(C)")" = 0 ]'
retrans=$(sys_tel --get total.retransmissions /sipdp/stats 2>/dev/null || echo 0)
echo "sipdp retransmissions: $retrans"
check "sipdp retransmitted" '[ "${retrans:-0}" -gt 0 ]'
[ $fail = 0 ] || cat "$work/loss.out"
exit $fail
