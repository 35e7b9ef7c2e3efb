#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Blind transfer by a real client behind the B2BUA, terminated by sipdp
# (suite 'system'; docs/b2bua.md "REFER termination (blind)"):
#
#   sipp caller 192.0.2.2 -> sipdp -> baresip 198.51.100.20 (rule callee,
#   sip:bob@...: baresip takes calls for its account's user only)
#   baresip answers, then /transfer sip:carol@198.51.100.21 (a REFER)
#   sipdp calls carol (rule callee-carol: sipp UAS on 198.51.100.21) with
#   no SDP, re-INVITEs the caller with carol's offer, NOTIFYs baresip 200
#   and releases it with BYE; carol then hangs up and her BYE reaches the
#   caller through the bridge.
#
# 3 calls, one at a time. Checked: both sipp sides complete every call (the
# caller's scenario fails a call whose re-INVITE does not carry carol's
# o=/m= lines, carol's one whose ACK carries no answer); baresip's control
# driver saw 3 calls established, 3 transfers accepted and 3 calls closed;
# baresip's SIP trace shows 3 REFERs, 3 NOTIFYs with a 200 sipfrag, and
# each referring dialog ended with BYE and 200 (baresip sends that BYE
# itself on the NOTIFY 200); sipdp counted 3 REFERs terminated, 3 transfers ok,
# 0 failed, and nothing is left (bridges_live, dialogs_live 0).
# Headless baresip: test/system/baresip/ (aubridge audio, ctrl_tcp).
# Bounded: sipp under `timeout 120` with -timeout 30s, baresip under
# `timeout 60`, its driver 30 s.
source "$(dirname "$0")/b2bua_lib.sh" "$@"
sys_require
command -v baresip >/dev/null || { echo "FAIL baresip missing: apt-get install baresip-core (or scripts/install-deps.sh)"; exit 1; }
CAROL=198.51.100.21
calls=3
bs_pid=

# baresip runs in the namespace sys_cleanup deletes: stop it first.
bs_cleanup() {
	local rc=$?
	if [ -n "$bs_pid" ]; then
		kill -TERM "$bs_pid" 2>/dev/null && wait "$bs_pid" 2>/dev/null
	fi
	if [ $rc != 0 ] && [ $rc != 77 ] && [ -f "$work/baresip.log" ]; then
		echo "--- baresip log (last 40 lines)"; tail -n 40 "$work/baresip.log"
	fi
	(exit $rc)
	sys_cleanup
}
trap bs_cleanup EXIT

b2b_start "$root/test/system/configs/b2bua.yaml"
ip -n sipdp-peer addr add "$CAROL/24" dev sipdp-peer0

mkdir -p "$work/baresip"
sed -e "s|@SIP@|$CALLEE4:5060|" -e "s|@CTRL@|127.0.0.1:4444|" \
	"$root/test/system/baresip/config" >"$work/baresip/config"
sed -e "s|@HOST@|$CALLEE4|" "$root/test/system/baresip/accounts" >"$work/baresip/accounts"
: >"$work/baresip/contacts"
# -s: every SIP message in the log (what the checks below read).
timeout -k 5 60 ip netns exec sipdp-peer baresip -f "$work/baresip" -s \
	</dev/null >"$work/baresip.log" 2>&1 &
bs_pid=$!
ip netns exec sipdp-peer python3 "$root/test/system/baresip_ctl.py" --port 4444 \
	--transfer "sip:carol@$CAROL" --calls $calls --timeout 30 >"$work/ctl.log" 2>&1 &
ctl_pid=$!
for _ in $(seq 1 50); do
	grep -q '^ready' "$work/ctl.log" 2>/dev/null && break
	kill -0 "$ctl_pid" 2>/dev/null || break
	sleep 0.1
done
check "baresip's ctrl_tcp answers" 'grep -q "^ready" "$work/ctl.log"'

b2b_callee carol -sf "$scen/uas_xfer_target.xml" -i "$CAROL" -p 5060 -m $calls -timeout 30s
b2b_caller caller -sf "$scen/uac_reinvited_by_target.xml" 192.0.2.1:5060 -s bob \
	-i 192.0.2.2 -p 5070 -m $calls -l 1 -r 5 -timeout 30s -timeout_error \
	-trace_msg -message_file "$work/caller.msg"
wait "$callee_job"
wait "$ctl_pid"
echo $? >"$work/ctl.rc"
cat "$work/ctl.log"

b2b_sipp_ok caller $calls
b2b_sipp_ok carol $calls
check "baresip: $calls calls established, transferred, closed" '[ "$(cat "$work/ctl.rc")" = 0 ]'
check "caller: $calls re-INVITEs with carol's SDP" \
	'[ "$(grep -c "^o=carol 4242 " "$work/caller.msg")" -ge $calls ]'
# baresip's trace: each message after a "UDP a -> b" line.
bs_msgs() { # $1: first line of the message, printed one per message seen
	awk -v want="$1" '/^UDP .* -> /{hdr=$0; getline; if (index($0, want) == 1) print hdr " " $0}' \
		"$work/baresip.log"
}
check "baresip sent $calls REFERs" '[ "$(bs_msgs "REFER " | grep -c -- "-> 192.0.2.1:5060")" = $calls ]'
check "baresip got $calls NOTIFYs with sipfrag 200" \
	'[ "$(grep -c "^SIP/2.0 200" <(awk "/^NOTIFY /{n=1} n&&/^SIP\/2.0 /{print; n=0}" "$work/baresip.log"))" -ge $calls ]'
# After the NOTIFY 200 the referring dialog ends: baresip, the transferor,
# sends the BYE itself (RFC 5589 §6; sipdp would after bye_wait_ms).
# One line per message of the trace: direction, first line, Call-ID, CSeq.
awk '/^UDP .* -> /{if (m != "") print m; dir=$2">"$4; getline; m=dir"|"$0; next}
	/^Call-ID:/{m=m"|"$2} /^CSeq:/{m=m"|"$2" "$3} END{if (m != "") print m}' \
	"$work/baresip.log" | tr -d '\r' >"$work/bs_msgs"
check "each transferred call's dialog ended with BYE and 200" \
	'[ "$(grep "|BYE sip:" "$work/bs_msgs" | cut -d"|" -f3 | sort -u | wc -l)" = $calls ] &&
	 [ "$(grep "|SIP/2.0 200 .*|[0-9]* BYE$" "$work/bs_msgs" | cut -d"|" -f3 | sort -u | wc -l)" = $calls ]'
grep -E '\|(REFER|NOTIFY|BYE) |BYE$|NOTIFY$|REFER$' "$work/bs_msgs" | sort -u | cut -c1-110 | head -n 12
check "nothing left (bridges_live, dialogs_live 0)" b2b_wait_idle
check "$calls REFERs terminated" '[ "$(b2b_stat bridge_refers_terminated)" = $calls ]'
check "$calls transfers ok, 0 failed" \
	'[ "$(b2b_stat bridge_transfers_ok)" = $calls ] && [ "$(b2b_stat bridge_transfers_failed)" = 0 ]'
check "$calls bridges answered" '[ "$(b2b_stat bridges_answered)" = $calls ]'
kill -TERM "$bs_pid" 2>/dev/null && wait "$bs_pid" 2>/dev/null
bs_pid=
if [ $fail != 0 ]; then
	echo "--- the caller's messages (first 80 lines)"; head -n 80 "$work/caller.msg"
	echo "--- baresip log (last 60 lines)"; tail -n 60 "$work/baresip.log"
fi
exit $fail
