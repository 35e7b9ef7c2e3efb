#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the Kamailio interop tests after sys_lib.sh (and tls_lib.sh
# for TLS):
# Kamailio (test/system/kamailio/) as a TLS relay, or a UDP proxy
# (core_proxy.cfg), in the peer namespace,
# a throw-away PKI for both ends, and sipdp's config to match.
#
#   kam_require [udp]     skip (77) without kamailio or its tls module
#                         (udp: a UDP-only config, no tls module needed)
#   kam_pki               $work/pki: kam-ca and sipdp-ca, kamailio.pem
#                         (192.0.2.2) and sipdp.pem (192.0.2.1), both
#                         usable as server and client certificates
#   kam_sipdp_config IN OUT  IN + tls_port 5061, mutual TLS (trusts kam-ca
#                         only, client certificate required), 50 ms
#                         ringing, TCP idle timeout 3 s
#   kam_start [CFG]       Kamailio up: UDP $kam_udp (sipp side), TLS
#                         $kam_tls (sipdp side), answers sipp UAS at
#                         $kam_uas; its log in $kam_dir/kamailio.log.
#                         CFG: another template of test/system/kamailio/
#                         (UDP only: no tls.cfg, only $kam_udp waited for)
#   kam_stop              SIGTERM by pid, SIGKILL after 10 s (also on exit)
#   kam_also_stop="PID.." stopped (SIGTERM) on exit before Kamailio
#   kam_rpc CMD...        one kamcmd RPC over Kamailio's control socket
#   kam_log_tail          the end of Kamailio's log (on failure)
# KAM_KEEP_DIR=DIR keeps a copy of the test's files there after the run;
# KAM_TRACE=1 has Kamailio log every request it receives and relays.
kam_ip=192.0.2.2
kam_udp=5070
kam_tls=5061
kam_uas=192.0.2.2:5060
kam_dir="$work/kamailio"
kam_pid=

kam_require() {
	command -v kamailio >/dev/null || { echo "FAIL kamailio missing: apt-get install kamailio kamailio-tls-modules (or scripts/install-deps.sh)"; exit 1; }
	command -v kamcmd >/dev/null || { echo "FAIL kamcmd missing: apt-get install kamailio (or scripts/install-deps.sh)"; exit 1; }
	local m
	m=$(kamailio -I 2>/dev/null | awk -F': *' '/paths to modules/{print $2}')
	[ -n "$m" ] && [ -f "$m/tls.so" ] || m=$(dirname "$(find /usr/lib* -path '*kamailio/modules/tls.so' -print -quit 2>/dev/null)")
	if [ "${1:-}" != udp ]; then
		[ -f "$m/tls.so" ] || { echo "no kamailio tls module (kamailio-tls-modules): skip"; exit 77; }
	fi
	trap kam_cleanup EXIT
}

# Kamailio (and what the test asked to stop with it, by pid) must be gone
# before sys_cleanup deletes the namespace they run in.
kam_also_stop=
kam_cleanup() {
	local rc=$? p
	for p in $kam_also_stop; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	kam_stop
	[ $rc = 0 ] || [ $rc = 77 ] || kam_log_tail
	# The whole run (Kamailio's log, sipp's screens, the PKI) outlives the
	# temp dir when asked for.
	if [ -n "${KAM_KEEP_DIR:-}" ]; then
		mkdir -p "$KAM_KEEP_DIR" && cp -a "$work/." "$KAM_KEEP_DIR/" 2>/dev/null
		cp -a "$(sys_log)" "$KAM_KEEP_DIR/" 2>/dev/null
	fi
	(exit $rc)
	sys_cleanup
}

kam_pki() {
	local d="$work/pki"
	tls_ca "$d" kam-ca
	tls_ca "$d" sipdp-ca
	tls_cert "$d" kamailio kam-ca "DNS:kamailio.test,IP:$kam_ip"
	tls_cert "$d" sipdp sipdp-ca "DNS:sipdp.test,IP:192.0.2.1"
}

kam_sipdp_config() {
	local in=$1 out=$2 d="$work/pki"
	sed -e 's/^  tls_port: 0.*/  tls_port: 5061/' \
		-e 's/^      ring_ms: 1000/      ring_ms: 50/' \
		-e 's/^limits:/limits:\n  tcp_idle_timeout_ms: 3000/' \
		"$in" >"$out"
	grep -q '^limits:' "$out" || printf '%s\n' "" "limits:" "  tcp_idle_timeout_ms: 3000" >>"$out"
	printf '%s\n' "" "tls:" "  cert: $d/sipdp.pem" "  key: $d/sipdp.key" \
		"  ca: $d/kam-ca.pem" "  verify_inbound: required" >>"$out"
	grep -q "tls_port: 5061" "$out" || { echo "FAIL config: no tls_port"; exit 1; }
}

kam_start() {
	local f i cfg=${1:-kamailio.cfg} files tls=1
	files="$cfg tls.cfg"
	[ "$cfg" = kamailio.cfg ] || { files=$cfg; tls=0; }
	mkdir -p "$kam_dir/run"
	for f in $files; do
		sed -e "s|@DIR@|$kam_dir|g" -e "s|@PKI@|$work/pki|g" \
			-e "s|@KAM_IP@|$kam_ip|g" -e "s|@UDP_PORT@|$kam_udp|g" \
			-e "s|@TLS_PORT@|$kam_tls|g" -e "s|@UAS@|$kam_uas|g" \
			-e "s|@SIPDP_IP@|192.0.2.1|g" -e "s|@SIPDP_TLS_PORT@|5061|g" \
			-e "s|@CALLEE@|${kam_callee:-}|g" \
			"$root/test/system/kamailio/$f" >"$kam_dir/$f"
	done
	if ! kamailio -c -f "$kam_dir/$cfg" -Y "$kam_dir/run" >"$kam_dir/check.log" 2>&1; then
		tail -n 20 "$kam_dir/check.log"; echo "FAIL kamailio config check"; exit 1
	fi
	# -DD: the main process stays in the foreground (its pid is ours to
	# stop); -E: log to stderr, kept in $kam_dir. 64 MB shared memory.
	local trace=()
	[ -n "${KAM_TRACE:-}" ] && trace=(-A KAM_TRACE)
	ip netns exec sipdp-peer kamailio -DD -E "${trace[@]}" -f "$kam_dir/$cfg" \
		-P "$kam_dir/kamailio.pid" -Y "$kam_dir/run" -w "$kam_dir" -m 64 -M 8 \
		>"$kam_dir/kamailio.log" 2>&1 </dev/null &
	kam_pid=$!
	for i in $(seq 1 40); do
		kill -0 "$kam_pid" 2>/dev/null || { kam_pid=; kam_log_tail; echo "FAIL kamailio exited at start"; exit 1; }
		if { [ $tls = 0 ] || ip netns exec sipdp-peer ss -Hltn "sport = :$kam_tls" | grep -q .; } &&
			ip netns exec sipdp-peer ss -Hlun "sport = :$kam_udp" | grep -q . &&
			kam_rpc core.version >/dev/null 2>&1; then
			echo "kamailio started: pid $kam_pid, $(kam_rpc core.version 2>/dev/null)"
			return 0
		fi
		sleep 0.25
	done
	kam_log_tail; echo "FAIL kamailio did not listen within 10 s"; exit 1
}

kam_stop() {
	local i kids
	[ -n "$kam_pid" ] || return 0
	kill -TERM "$kam_pid" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$kam_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$kam_pid" 2>/dev/null; then
		echo "kamailio (pid $kam_pid) ignored SIGTERM for 10 s: killed"
		kids=$(pgrep -P "$kam_pid" || true)
		kill -KILL "$kam_pid" $kids 2>/dev/null
	fi
	wait "$kam_pid" 2>/dev/null
	kam_pid=
}

kam_rpc() { timeout 5 kamcmd -s "unix:$kam_dir/ctl.sock" "$@"; }

kam_log_tail() {
	[ -f "$kam_dir/kamailio.log" ] || return 0
	echo "--- kamailio log (last 30 lines)"
	tail -n 30 "$kam_dir/kamailio.log"
}
