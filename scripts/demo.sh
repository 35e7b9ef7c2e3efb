#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The main job: sipdp answering real SIP traffic in a lab topology.
# Until the DPDK data path lands (issue: data path) this builds the project
# and shows the protocol core at work on the shared corpus instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ -f build-release/build.ninja ]; then
	meson setup --reconfigure build-release --buildtype=release >/dev/null
else
	meson setup build-release --buildtype=release >/dev/null
fi
ninja -C build-release >/dev/null

if [ -x scripts/lab.sh ] && [ -x build-release/app/sipdp/sipdp ]; then
	exec scripts/lab-demo.sh
fi

echo "sipdp demo: the DPDK appliance is not built yet on this tree;"
echo "showing the protocol core in process instead: the corpus classified,"
echo "the parser cost, and whole UAS calls answered on one core."
echo
build-release/app/sipdp-msgcheck/sipdp-msgcheck --strict test/data/corpus/*.sip
echo
build-release/app/sipdp-bench/sipdp-bench parse --seconds 1
echo
build-release/app/sipdp-bench/sipdp-bench uas-call --calls 200000
