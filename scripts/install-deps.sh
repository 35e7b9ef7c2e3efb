#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install everything the build, the tests and the demo need, from Debian's
# packages only. Idempotent: when every package is present it changes
# nothing and does not touch the network.
set -euo pipefail

pkgs=(
	meson ninja-build pkg-config gcc clang libclang-rt-14-dev python3
	libdpdk-dev dpdk liburcu-dev libssl-dev openssl libcunit1-dev libyaml-dev libpcre2-dev
	iproute2 ethtool nftables iputils-ping sip-tester tshark procps dpdk-dev libjson-c-dev
	kamailio kamailio-tls-modules prometheus curl baresip-core
)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root (or install them) and retry" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
# Kamailio and Prometheus are peers the system tests start in a namespace
# of their own, never services of this machine: forbid invoke-rc.d from starting any
# service during the install (policy-rc.d exit 101, Debian policy 9.3.3),
# then make sure the packaged unit is neither enabled nor running.
prc=/usr/sbin/policy-rc.d
had_prc=0
[ -e "$prc" ] && had_prc=1
if [ $had_prc = 0 ]; then
	printf '#!/bin/sh\nexit 101\n' >"$prc"
	chmod 755 "$prc"
	trap 'rm -f "$prc"' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ $had_prc = 0 ]; then rm -f "$prc"; trap - EXIT; fi
for svc in kamailio prometheus; do
	dpkg-query -W -f='${Status}' "$svc" 2>/dev/null | grep -q 'install ok installed' || continue
	if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
		systemctl disable --now "$svc" >/dev/null 2>&1 || true
	elif command -v update-rc.d >/dev/null; then
		update-rc.d "$svc" disable >/dev/null 2>&1 || true
	fi
done
