#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Shared by the system tests: the lab (scripts/lab.sh), sipp in the peer
# namespace, telemetry queries, and a cleanup that runs on any exit.
#
#   source sys_lib.sh LAB_SH SIPDP_BIN   (after setting $root to the source tree)
#   sys_require                   skip (77) without root, netns, sipp, or with a lab up
#   sys_start CONFIG              lab up + sipdp started with CONFIG
#   sys_sipp NAME ARGS...         run sipp in the peer namespace, bounded
#   sys_tel CMD                   one telemetry command's JSON
#   sys_calls_wait [POLLS]        wait for the calls: generator; prints 1 when done
#   check LABEL CMD               one assertion line, failures counted
set -u
: "${root:?root must point at the source tree}"
lab=${1:-$root/scripts/lab.sh}
export SIPDP_BIN=${2:-${SIPDP_BIN:-$root/build/app/sipdp/sipdp}}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
export SIPDP_LAB_DIR=${SIPDP_LAB_DIR:-/tmp/sipdp-lab-test-$$}
tel="$root/test/system/telemetry.py"
work=$(mktemp -d /tmp/sipdp-sys.XXXXXX)
fail=0
sys_started=0

check() {
	if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}

sys_require() {
	[ "$(id -u)" -eq 0 ] || { echo "not root: skip"; exit 77; }
	command -v ip >/dev/null && ip netns list >/dev/null 2>&1 || { echo "no ip netns: skip"; exit 77; }
	command -v sipp >/dev/null || { echo "FAIL sipp missing: apt-get install sip-tester (or scripts/install-deps.sh)"; exit 1; }
	command -v python3 >/dev/null || { echo "FAIL python3 missing: apt-get install python3 (or scripts/install-deps.sh)"; exit 1; }
	[ -x "$SIPDP_BIN" ] || { echo "no sipdp binary: skip"; exit 77; }
	if ip netns list | grep -qE '^sipdp-(dut|peer)\b'; then
		echo "a sipdp lab is already up: skip"; exit 77
	fi
	trap sys_cleanup EXIT
}

sys_cleanup() {
	local rc=$?
	if [ "$sys_started" = 1 ]; then
		"$lab" stop >"$work/stop.log" 2>&1 || rc=1
		if [ $rc != 0 ]; then
			echo "--- sipdp output (last 40 lines)"
			tail -n 40 "$(sys_log)" 2>/dev/null || true
		fi
	fi
	"$lab" down >/dev/null 2>&1 || true
	rm -rf "$work" "$SIPDP_LAB_DIR"
	exit $rc
}

sys_log() { echo "$SIPDP_LAB_DIR/sipdp.log"; }

sys_start() {
	"$lab" up >/dev/null || { echo "FAIL lab up"; exit 1; }
	sys_started=1
	if ! "$lab" start "$1"; then
		echo "FAIL sipdp did not start"; exit 1
	fi
}

# sys_sipp NAME ARGS...: sipp from the peer namespace, at most 120 s; its
# statistics land in $work/NAME.csv and its screen in $work/NAME.out.
sys_sipp() {
	local name=$1; shift
	(cd "$work" && timeout -k 5 120 ip netns exec sipdp-peer \
		sipp "$@" -nostdin -trace_stat -stf "$work/$name.csv" \
		-trace_screen -screen_file "$work/$name.screen" \
		>"$work/$name.out" 2>&1)
	echo $? >"$work/$name.rc"
}

# sipp's -trace_stat CSV: the last row's cumulative column named $2.
sipp_stat() {
	python3 - "$work/$1.csv" "$2" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=';'))
hdr, last = rows[0], rows[-1]
print(last[hdr.index(sys.argv[2])])
PY
}

sys_tel() { python3 "$tel" --prefix sipdp-lab "$@"; }

# sys_calls_wait [POLLS]: poll the calls: generator every 0.5 s until it
# says it is done, at most POLLS times (default 120, i.e. 60 s); prints 1
# when it finished, 0 when it did not in time.
sys_calls_wait() {
	local d=0
	for _ in $(seq 1 "${1:-120}"); do
		d=$(sys_tel --get done /sipdp/calls 2>/dev/null || echo 0)
		[ "$d" = 1 ] && break
		sleep 0.5
	done
	echo "$d"
}
