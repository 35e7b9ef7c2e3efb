#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Run one libFuzzer target on a throw-away copy of its seed corpus.
# libFuzzer writes new inputs into the first corpus directory it is given:
# never let it write into the source tree.
# Usage: run-fuzz.sh TARGET [-libfuzzer-flag ...] SEED_DIR [SEED_DIR ...]
set -u
target=$1
shift
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sipdp-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
flags=""
for a in "$@"; do
	case $a in
	-*) flags="$flags $a" ;;
	*) cp -R "$a"/. "$tmp"/ || exit 1 ;;
	esac
done
# libFuzzer's crash and leak artifacts go to the working directory, which
# meson sets to the build directory: keep them for the report.
# libFuzzer exits 77 on a crash by default, which meson reads as "skipped":
# make every failure a failure.
# shellcheck disable=SC2086 # flags are single words (-name=value)
"$target" -error_exitcode=1 $flags "$tmp"
rc=$?
[ $rc -eq 77 ] && rc=1
exit $rc
