#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The whole test run, from a fresh machine: install dependencies, build, run
# every suite the machine can run, and exit non-zero on any failure.
#
#   build/        gcc, -Werror, ASan+UBSan: suites unit, style, system
#   build-clang/  clang, -Werror, SSE4.2 off, ASan+UBSan, libFuzzer targets:
#                 suites unit and fuzz (each target for fuzz_seconds)
#
# The clang build is made in the background, at low priority, while the
# gcc build's system tests run (they mostly wait on the network): the whole
# run stays inside its 20-minute budget on a 2-core machine.
#
# Environment: SIPDP_FUZZ_SECONDS (default 10), SIPDP_SKIP_FUZZ=1,
#              SIPDP_SKIP_SYSTEM=1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

"$root/scripts/install-deps.sh"

fuzz_seconds=${SIPDP_FUZZ_SECONDS:-10}
status=0
summary=()

run_suites() {
	local dir=$1; shift
	local rc=0
	# Timeouts are safety nets, not checks: a loaded machine gets more room.
	meson test -C "$dir" --print-errorlogs --timeout-multiplier 3 "$@" || rc=$?
	summary+=("$(python3 "$root/scripts/testlog-summary.py" "$dir/meson-logs/testlog.json")")
	[ $rc -eq 0 ] || status=1
}

setup() {
	local dir=$1; shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir"
}

echo "== gcc build (-Werror, ASan+UBSan)"
setup build --werror -Db_sanitize=address,undefined -Db_lundef=false

echo "== clang build (-Werror, no SSE4.2, ASan+UBSan, libFuzzer), in the background"
clang_log=$(mktemp /tmp/sipdp-clang-build.XXXXXX)
( CC=clang nice -n 10 bash -c "$(declare -f setup); setup build-clang --werror -Dsse42=false \
	-Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=true -Dfuzz_seconds=$fuzz_seconds" \
	>"$clang_log" 2>&1 ) &
clang_pid=$!

suites=(--suite unit --suite style)
if [ "${SIPDP_SKIP_SYSTEM:-0}" != 1 ]; then
	suites+=(--suite system)
fi
run_suites build "${suites[@]}"

echo "== clang build: waiting for it"
if ! wait "$clang_pid"; then
	cat "$clang_log"
	echo "test.sh: the clang build failed" >&2
	rm -f "$clang_log"
	exit 1
fi
tail -n 1 "$clang_log"
rm -f "$clang_log"
suites=(--suite unit)
if [ "${SIPDP_SKIP_FUZZ:-0}" != 1 ]; then
	suites+=(--suite fuzz)
fi
run_suites build-clang "${suites[@]}"

echo
for s in "${summary[@]}"; do echo "  $s"; done
python3 "$root/scripts/testlog-summary.py" --total build/meson-logs/testlog.json build-clang/meson-logs/testlog.json
exit $status
