#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# B2BUA with two workers: both legs of a call live on the shard that owns
# the A leg (suite 'system'; docs/b2bua.md "Where the legs live").
#
#   sipp caller 192.0.2.2 -> sipdp, workers 1 and 2 (configs/b2bua-2w.yaml)
#   -> sipp callee 198.51.100.20; 1000 calls at 100/s
#
# The caller's datagrams all come in on one RX queue (af_packet fans out by
# flow), so the A legs that worker does not own are handed off once to
# their owner; the owner sends the B leg's INVITE itself, with a Call-ID
# and branch that name its shard. Checked, per worker w:
#   - both workers bridged calls, and together all 1000;
#   - tx_INVITE(w) = policy_bridge(w): each worker sent exactly the B-leg
#     INVITEs of the A legs it owns (no B leg was made on another shard);
#   - foreign_shard 0: no B-side reply reached a UA that did not send its
#     request;
#   - every hand-off arrived (handoff_in = handoff_out, 0 drops), i.e. a
#     message crosses at most one ring: the receiver delivers, never
#     re-dispatches;
#   - policy_bridge(w) = rx_INVITE(w) - handoff_invites(w) +
#     handoff_invites(other): each A-leg INVITE that came to the wrong
#     worker was handed off once and bridged by its owner (when sipp
#     retransmitted no INVITE);
#   - handoff_ours (B-side messages steered by our own branch or Call-ID)
#     is printed with the rest. It is not 0: the B side's replies find
#     their shard with no table lookup, but the kernel's flow hash puts
#     the callee's whole flow on one worker's queue, so the replies of the
#     other worker's calls cross one ring (docs/b2bua.md "Where the legs
#     live" has the figures).
# Bounded: each sipp under `timeout 120` with -timeout 60s.
source "$(dirname "$0")/b2bua_lib.sh" "$@"
sys_require
calls=1000

b2b_start "$root/test/system/configs/b2bua-2w.yaml"
b2b_callee callee -sn uas -i "$CALLEE4" -p 5060 -m $calls -timeout 60s
b2b_caller caller -sn uac 192.0.2.1:5060 -s service -i 192.0.2.2 -p 5070 -m $calls -r 100 \
	-timeout 60s -timeout_error
wait "$callee_job"
b2b_sipp_ok caller $calls
b2b_sipp_ok callee $calls
check "nothing left on worker 0" b2b_wait_idle

sys_tel /sipdp/stats >"$work/stats.json"
# Flattened once ("worker0 key value" lines): one python3, not one per look-up.
python3 -c 'import json,sys
for s, d in json.load(open(sys.argv[1])).items():
    if isinstance(d, dict):
        for k, v in d.items(): print(s, k, v)' "$work/stats.json" >"$work/stats.txt"
w() { awk -v s="$1" -v k="$2" '$1 == s && $2 == k {v = $3} END {print v == "" ? 0 : v}' "$work/stats.txt"; }
keys="policy_bridge bridges_answered tx_INVITE rx_INVITE rx_2xx sip_rx handoff_out handoff_in handoff_invites handoff_ours handoff_drops foreign_shard bridges_live dialogs_live"
printf '%-18s %10s %10s %10s\n' counter worker0 worker1 total
for k in $keys; do
	printf '%-18s %10s %10s %10s\n' "$k" "$(w worker0 $k)" "$(w worker1 $k)" "$(w total $k)"
done
check "both workers bridged calls, $calls in all" \
	'[ "$(w worker0 policy_bridge)" -gt 100 ] && [ "$(w worker1 policy_bridge)" -gt 100 ] && [ "$(w total bridges_answered)" = $calls ]'
check "worker 0 sent the B-leg INVITEs of its A legs" '[ "$(w worker0 tx_INVITE)" = "$(w worker0 policy_bridge)" ]'
check "worker 1 sent the B-leg INVITEs of its A legs" '[ "$(w worker1 tx_INVITE)" = "$(w worker1 policy_bridge)" ]'
check "no reply reached a shard that did not send its request (foreign_shard 0)" '[ "$(w total foreign_shard)" = 0 ]'
check "every hand-off arrived, none dropped" \
	'[ "$(w total handoff_in)" = "$(w total handoff_out)" ] && [ "$(w total handoff_drops)" = 0 ]'
check "A-leg INVITEs on the wrong worker were handed off" \
	'[ "$(w total handoff_invites)" -gt 0 ] && [ "$(w total handoff_invites)" -lt $calls ]'
# Each A-leg INVITE was run by its owner, crossing at most one ring: a
# worker bridged the INVITEs it received and kept, plus those handed to it.
# (Exact only when sipp retransmitted no INVITE: a retransmission is
# received and handed off, but absorbed by the UA, not bridged again.)
if [ "$(w total rx_INVITE)" = $calls ]; then
	check "worker 0 bridged its own INVITEs and those handed to it" \
		'[ "$(w worker0 policy_bridge)" = $(( $(w worker0 rx_INVITE) - $(w worker0 handoff_invites) + $(w worker1 handoff_invites) )) ]'
	check "worker 1 bridged its own INVITEs and those handed to it" \
		'[ "$(w worker1 policy_bridge)" = $(( $(w worker1 rx_INVITE) - $(w worker1 handoff_invites) + $(w worker0 handoff_invites) )) ]'
else
	echo "INVITE retransmissions seen ($(w total rx_INVITE) INVITEs for $calls calls): per-worker INVITE balance not checked"
fi
check "nothing left on either worker" \
	'[ "$(w total bridges_live)" = 0 ] && [ "$(w total dialogs_live)" = 0 ]'
exit $fail
