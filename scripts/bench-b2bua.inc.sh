# SPDX-License-Identifier: BSD-3-Clause
#
# The B2BUA run of scripts/bench.sh (MODE=b2bua), sourced by it after its
# namespaces and helpers exist:
#
#   sipdp-bench-a: the B2BUA measured: a bridge rule carries every INVITE
#                  to sip:${ruri_user}@192.0.2.12 (B) on the shard that owns
#                  the call; nothing else
#   sipdp-bench-b: both ends of every call: its generator calls A (the A
#                  leg), BYE right after the 200 (hold_ms 0); an answer rule
#                  answers A's B-leg INVITE with 180 then 200 with SDP
#
# A bridged call is INVITE/100/180/200/ACK/BYE/200 on both legs: 14 SIP
# messages in and out of A. Prints one line per rate: calls
# answered on B's generator, failures, answered/s, A's busy and CPU cycles
# per bridged call (the B2BUA's cost), A's bridges answered and left.
#
# Usage: MODE=b2bua scripts/bench.sh [SIPDP_BIN] [RATE...]
#   default rates: 5000 10000 20000 50000, CALLS_S (5) s of calls each,
#   stopping at the first rate with a failed call.

[ "${rates_given:-0}" = 1 ] || rates=(5000 10000 20000 50000)

config sipdp-bench-a server 192.0.2.11 "policy:
  - name: bridge
    match: { method: INVITE }
    bridge:
      targets:
        - uri: \"sip:\${ruri_user}@192.0.2.12:5060\"
      ring_timeout_ms: 2000
      prack: off
      headers: []"

fmt="%-7s %-9s %-9s %-6s %-10s %-8s %-8s %-8s %-9s %-7s %s\n"
printf "$fmt" rate attempted answered failed answered/s A_busy A_cpu A_msg A_bridged A_left "setup p50/p99 ms"
for rate in "${rates[@]}"; do
	total=$((rate * CALLS_S))
	config sipdp-bench-b client 192.0.2.12 "policy:
  - name: callee
    match: { method: INVITE }
    answer:
      ring_ms: 0
      send_180: true
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
  prack: off"
	A_LINGER_S=1 run_pair "$rate"
	line=$(grep "calls: attempted" "$lb" | tail -n 1 || true)
	[ -n "$line" ] || { tail -n 30 "$lb" >&2; die "rate $rate: no calls: summary"; }
	att=$(stat_of "$lb" gen_attempted)
	ans=$(stat_of "$lb" gen_answered)
	failed=$(stat_of "$lb" gen_failed)
	ns=$(stat_of "$lb" gen_not_started)
	cps=$(sed -n 's/.* \([0-9]*\) answered\/s.*/\1/p' <<<"$line")
	p50=$(sed -n 's/.* p50 \([0-9.]*\) ms.*/\1/p' <<<"$line")
	p99=$(sed -n 's/.* p99 \([0-9.]*\) ms.*/\1/p' <<<"$line")
	bridged=$(stat_of "$la" bridges_answered)
	bridged=${bridged:-0}
	left=$(stat_of "$la" bridges_live)
	busy_a=$(stat_of "$la" busy_cycles)
	msg_a=$(stat_of "$la" msg_cycles)
	cpu_a=$(stat_of "$la" busy_cpu_ns)
	printf "$fmt" "$rate" "$att" "$ans" "$((failed + ns))" "${cps:-?}" \
		"$(( bridged > 0 ? busy_a / bridged : 0 ))" "$(per_call "${cpu_a:-0}" "$bridged")" \
		"$(( bridged > 0 ? msg_a / bridged : 0 ))" "$bridged" "${left:-?}" "$p50 / $p99"
	if [ "${BENCH_VERBOSE:-0}" = 1 ]; then
		echo "  B: $line"
		grep -E "^total\.(tx_drops|no_mbuf|full_503|retransmissions|rx_pkts|tx_pkts|bridges_[a-z]*|bridge_[a-z_]*|policy_answer) " "$la" "$lb" | sed 's/^/  /'
	fi
	if [ "$failed" != 0 ] || [ "$ns" != 0 ] || [ "$ans" != "$total" ]; then
		if [ -n "${BENCH_KEEP_LOGS:-}" ]; then
			mkdir -p "$BENCH_KEEP_LOGS"
			cp "$la" "$lb" "$BENCH_KEEP_LOGS/"
			echo "rate $rate: logs kept in $BENCH_KEEP_LOGS"
		fi
		echo "rate $rate: not every call answered; stopping the ladder"
		break
	fi
done
