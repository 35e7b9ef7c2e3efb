# SPDX-License-Identifier: BSD-3-Clause
#
# The transfer-rate run of scripts/bench.sh (MODE=transfer), sourced by it
# after its namespaces, helpers and A's config exist:
#
#   sipdp-bench-a: answers every INVITE with 200 and, as the transferee,
#                  accepts every REFER: 202, NOTIFY 100, INVITE to the
#                  Refer-To target, NOTIFY with the target's 200 (RFC 5589 §6)
#   sipdp-bench-b: calls: generator to A with refer_to pointing back at B
#                  itself (sip:target@192.0.2.12), refer_after_ms 0: REFERs
#                  each call as soon as it is answered, BYEs it after the
#                  NOTIFY 200; answers A's INVITE to the target (a rule)
#                  and BYEs that call once it is confirmed (hold_ms 0)
#
# One transfer is 18 SIP messages over the memif: INVITE/200/ACK, REFER/202,
# 2 NOTIFY/200, INVITE/200/ACK and BYE/200 to the target, BYE/200 of the
# first call. Prints one line per rate: transfers completed per second (run
# time from B's first INVITE to its last call ended), failures, busy TSC
# cycles per transfer on each side.
#
# Usage: MODE=transfer scripts/bench.sh [SIPDP_BIN] [RATE...]
#   default rates: 1000 2000 5000 10000 20000 transfers/s, CALLS_S (5) s of
#   calls each, stopping at the first rate with a failure.

[ "${rates_given:-0}" = 1 ] || rates=(1000 2000 5000 10000 20000)

# Every transfer holds a record on both sides until its call ends: room for
# several seconds of them at the top rate.
subs_limit() { sed -i 's/^  transactions_per_shard: .*/&\n  subscriptions_per_shard: 262144/' "$1"; }
subs_limit "$dir/sipdp-bench-a.yaml"

printf "%-7s %-9s %-9s %-9s %-9s %-6s %-12s %-9s %-9s %s\n" rate calls referred accepted completed failed completed/s A_busy/x B_busy/x "setup p50/p99 ms"
for rate in "${rates[@]}"; do
	total=$((rate * CALLS_S))
	config sipdp-bench-b client 192.0.2.12 "policy:
  - name: target
    match: { method: INVITE, ruri_user: target }
    answer:
      ring_ms: 0
      sdp: |
        v=0
        o=sipdp \${session_id} \${session_version} IN IP4 \${local_ip}
        s=-
        c=IN IP4 \${local_ip}
        t=0 0
        m=audio 4002 RTP/AVP 0
calls:
  target: sip:bench@192.0.2.11:5060
  rate: $rate
  total: $total
  hold_ms: 0
  refer_to: sip:target@192.0.2.12:5060
  refer_after_ms: 0
  prack: off
  sdp: |
    v=0
    o=sipdp \${session_id} \${session_version} IN IP4 \${local_ip}
    s=-
    c=IN IP4 \${local_ip}
    t=0 0
    m=audio 4000 RTP/AVP 0"
	subs_limit "$dir/sipdp-bench-b.yaml"
	run_pair "$rate"
	line=$(grep "calls: attempted" "$lb" | tail -n 1 || true)
	[ -n "$line" ] || { tail -n 30 "$lb" >&2; die "rate $rate: no calls: summary"; }
	ans=$(stat_of "$lb" gen_answered)
	failed=$(stat_of "$lb" gen_failed)
	ns=$(stat_of "$lb" gen_not_started)
	xatt=$(stat_of "$lb" gen_xfer_attempted)
	xacc=$(stat_of "$lb" gen_xfer_accepted)
	xok=$(stat_of "$lb" gen_xfer_completed)
	xfail=$(stat_of "$lb" gen_xfer_failed)
	xps=$(sed -n 's/.* \([0-9]*\) completed\/s.*/\1/p' <<<"$line")
	p50=$(sed -n 's/.* p50 \([0-9.]*\) ms.*/\1/p' <<<"$line")
	p99=$(sed -n 's/.* p99 \([0-9.]*\) ms.*/\1/p' <<<"$line")
	busy_a=$(stat_of "$la" busy_cycles)
	busy_b=$(stat_of "$lb" busy_cycles)
	printf "%-7s %-9s %-9s %-9s %-9s %-6s %-12s %-9s %-9s %s\n" "$rate" "$ans" "$xatt" "$xacc" "$xok" \
		"$((failed + ns + xfail))" "${xps:-?}" "$(( xok > 0 ? busy_a / xok : 0 ))" \
		"$(( xok > 0 ? busy_b / xok : 0 ))" "$p50 / $p99"
	if [ "${BENCH_VERBOSE:-0}" = 1 ]; then
		echo "  B: $line"
		grep -E "^total\.(tx_drops|no_mbuf|full_503|retransmissions|refers_in|transfers_ok|transfers_failed|notifies_sent|gen_target_byes|policy_answer) " "$la" "$lb" | sed 's/^  /  /'
	fi
	if [ "$failed" != 0 ] || [ "$ns" != 0 ] || [ "$xfail" != 0 ] || [ "$xok" != "$total" ]; then
		echo "rate $rate: not every transfer completed; stopping the ladder"
		break
	fi
done
