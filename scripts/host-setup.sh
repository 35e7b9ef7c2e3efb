#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Prepare a dedicated server for sipdp (docs/deployment.md walks through it):
#
#   host-setup.sh hugepages SIZE [--node N] [--page 2M|1G]
#       reserve SIZE (e.g. 2G, 512M) of hugepages, on NUMA node N when
#       given, mount hugetlbfs on /dev/hugepages if nothing is; fails when
#       the kernel gave fewer pages than asked (fragmented memory: reserve
#       at boot instead).
#   host-setup.sh bind PCI... [--driver vfio-pci] [--force]
#       give NICs to DPDK with dpdk-devbind.py. Refuses a NIC whose kernel
#       interface is up (it may carry the session you are typing in) unless
#       --force; leaves mlx5 alone (bifurcated: DPDK shares mlx5_core).
#   host-setup.sh cpus CONFIG [--sipdp BIN]
#       CPU isolation hints for CONFIG's lcores: the kernel command line,
#       the EAL -l list, and warnings (a worker on another NUMA node than
#       its NIC, two sipdp lcores on hyperthread siblings, CPU 0 used).
#   host-setup.sh service [--bindir DIR] [--dest DIR]
#       install the systemd unit sipdp@.service (one instance per config
#       in /etc/sipdp/NAME.yaml + NAME.env).
#
# --dry-run (any subcommand) prints what would be done and changes nothing.
# SIPDP_SYSFS (default /sys) lets the tests point it at a made-up tree.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SYSFS=${SIPDP_SYSFS:-/sys}
dry=0

die() { echo "host-setup.sh: $*" >&2; exit 1; }
warn() { echo "warning: $*" >&2; }
run() {
	if [ $dry -eq 1 ]; then
		echo "would run: $*"
	else
		"$@"
	fi
}
write() { # write VALUE FILE
	if [ $dry -eq 1 ]; then
		echo "would write $1 to $2"
	else
		echo "$1" >"$2"
	fi
}

# "2G" / "512M" / "1048576K" -> KiB
size_kib() {
	local s=$1 n u
	[[ $s =~ ^([0-9]+)([KMGkmg]?)$ ]] || die "bad size '$s' (e.g. 2G, 512M)"
	n=${BASH_REMATCH[1]} u=${BASH_REMATCH[2]^^}
	case $u in
	G) echo $((n * 1024 * 1024)) ;;
	M) echo $((n * 1024)) ;;
	K | "") echo "$n" ;;
	esac
}

# "1-3,5" -> "1 2 3 5"
expand_list() {
	local out=() part a b
	IFS=, read -ra parts <<<"$1"
	for part in "${parts[@]}"; do
		if [[ $part =~ ^([0-9]+)-([0-9]+)$ ]]; then
			a=${BASH_REMATCH[1]} b=${BASH_REMATCH[2]}
			for ((; a <= b; a++)); do out+=("$a"); done
		elif [[ $part =~ ^[0-9]+$ ]]; then
			out+=("$part")
		fi
	done
	echo "${out[*]}"
}

# "1 2 3 5" -> "1-3,5"
compress_list() {
	local out="" start="" prev="" c
	for c in $(tr ' ' '\n' <<<"$*" | sort -n | uniq); do
		if [ -n "$prev" ] && [ "$c" -eq $((prev + 1)) ]; then
			prev=$c
			continue
		fi
		[ -n "$start" ] && out+="${out:+,}$([ "$start" = "$prev" ] && echo "$start" || echo "$start-$prev")"
		start=$c prev=$c
	done
	[ -n "$start" ] && out+="${out:+,}$([ "$start" = "$prev" ] && echo "$start" || echo "$start-$prev")"
	echo "$out"
}

cmd_hugepages() {
	local size="" node="" page=2M
	while [ $# -gt 0 ]; do
		case $1 in
		--node) node=$2; shift 2 ;;
		--page) page=$2; shift 2 ;;
		--dry-run) dry=1; shift ;;
		-*) die "hugepages: unknown option $1" ;;
		*) size=$1; shift ;;
		esac
	done
	[ -n "$size" ] || die "hugepages: SIZE needed (e.g. 2G)"
	local want_kib page_kib pages dir
	want_kib=$(size_kib "$size")
	case ${page^^} in
	2M) page_kib=2048 ;;
	1G) page_kib=1048576 ;;
	*) die "hugepages: --page is 2M or 1G" ;;
	esac
	pages=$(((want_kib + page_kib - 1) / page_kib))
	if [ -n "$node" ]; then
		dir=$SYSFS/devices/system/node/node$node/hugepages/hugepages-${page_kib}kB
	else
		dir=$SYSFS/kernel/mm/hugepages/hugepages-${page_kib}kB
	fi
	[ -d "$dir" ] || die "hugepages: $dir missing (no such node, or the kernel has no ${page^^} pages; 1G pages are usually reserved at boot: default_hugepagesz=1G hugepagesz=1G hugepages=N)"
	echo "reserving $pages pages of ${page^^}${node:+ on node $node} ($size)"
	write "$pages" "$dir/nr_hugepages"
	if [ $dry -eq 0 ]; then
		local got
		got=$(cat "$dir/nr_hugepages")
		[ "$got" -ge "$pages" ] || die "hugepages: the kernel gave $got of $pages pages (memory fragmented: reserve at boot on the kernel command line)"
		echo "reserved: $got pages"
	fi
	# Only on the real /sys: a made-up tree (tests) says nothing of mounts.
	if [ "$SYSFS" = /sys ] && ! mountpoint -q /dev/hugepages 2>/dev/null; then
		run mkdir -p /dev/hugepages
		run mount -t hugetlbfs nodev /dev/hugepages
	fi
}

cmd_bind() {
	local driver=vfio-pci force=0 devs=() d
	while [ $# -gt 0 ]; do
		case $1 in
		--driver) driver=$2; shift 2 ;;
		--force) force=1; shift ;;
		--dry-run) dry=1; shift ;;
		-*) die "bind: unknown option $1" ;;
		*) devs+=("$1"); shift ;;
		esac
	done
	[ ${#devs[@]} -gt 0 ] || die "bind: PCI address needed (e.g. 0000:3b:00.0; see dpdk-devbind.py --status-dev net)"
	local todo=()
	for d in "${devs[@]}"; do
		[[ $d =~ ^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$ ]] || die "bind: '$d' is not a PCI address (DDDD:BB:DD.F)"
		local dev=$SYSFS/bus/pci/devices/$d cur="" ifc
		[ -e "$dev" ] || die "bind: no PCI device $d"
		[ -L "$dev/driver" ] && cur=$(basename "$(readlink "$dev/driver")")
		if [ "$cur" = mlx5_core ]; then
			echo "$d: mlx5 is bifurcated: leave it on mlx5_core (DPDK reaches it through rdma-core); not bound"
			continue
		fi
		if [ "$cur" = "$driver" ]; then
			echo "$d: already on $driver"
			continue
		fi
		for ifc in "$dev"/net/*; do
			[ -e "$ifc" ] || continue
			if [ "$(cat "$ifc/operstate" 2>/dev/null)" = up ] && [ $force -eq 0 ]; then
				die "bind: $d is the kernel interface $(basename "$ifc"), which is up: take it down first (ip link set $(basename "$ifc") down) or give --force"
			fi
		done
		todo+=("$d")
	done
	[ ${#todo[@]} -gt 0 ] || return 0
	if [ "$driver" = vfio-pci ]; then
		run modprobe vfio-pci
		if [ -z "$(ls -A "$SYSFS/kernel/iommu_groups" 2>/dev/null)" ]; then
			warn "no IOMMU groups: put intel_iommu=on iommu=pt (or amd_iommu=on iommu=pt) on the kernel command line; in a VM without a virtual IOMMU use no-IOMMU mode (echo 1 > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode) or --driver uio_pci_generic"
		fi
	fi
	command -v dpdk-devbind.py >/dev/null || [ $dry -eq 1 ] || die "bind: dpdk-devbind.py missing (apt-get install dpdk)"
	run dpdk-devbind.py -b "$driver" "${todo[@]}"
}

cmd_cpus() {
	local cfg="" bin=${SIPDP_BIN:-}
	while [ $# -gt 0 ]; do
		case $1 in
		--sipdp) bin=$2; shift 2 ;;
		--dry-run) dry=1; shift ;;
		-*) die "cpus: unknown option $1" ;;
		*) cfg=$1; shift ;;
		esac
	done
	[ -n "$cfg" ] || die "cpus: CONFIG needed"
	if [ -z "$bin" ]; then
		for bin in "$root/build-release/app/sipdp/sipdp" "$root/build/app/sipdp/sipdp" "$(command -v sipdp || true)"; do
			[ -x "$bin" ] && break
		done
	fi
	[ -x "$bin" ] || die "cpus: no sipdp binary (build it, or give --sipdp BIN)"
	local eff
	eff=$("$bin" -- --config "$cfg" --check -v 2>&1) || die "cpus: $cfg does not validate:
$eff"
	# The effective config is sipdp's own YAML: read lcores and port names.
	local control workers ports
	control=$(awk '/^lcores:/{l=1;next} /^[a-z]/{l=0} l&&/control:/{print $2}' <<<"$eff")
	workers=$(awk '/^lcores:/{l=1;next} /^[a-z]/{l=0} l&&/workers:/{sub(/.*\[/,"");sub(/\].*/,"");gsub(/,/," ");print}' <<<"$eff")
	ports=$(awk '/^ports:/{p=1;next} /^[a-z]/{p=0} p&&/- name:/{gsub(/"/,"",$3);print $3}' <<<"$eff")
	workers=$(echo $workers)
	[ -n "$control" ] && [ -n "$workers" ] || die "cpus: no lcores in $cfg"
	local all="$control $workers" ncpu c others=() nic_nodes=() p n
	ncpu=$(expand_list "$(cat "$SYSFS/devices/system/cpu/online" 2>/dev/null || echo 0-$(($(nproc) - 1)))")
	for c in $all; do
		[[ " $ncpu " == *" $c "* ]] || warn "lcore $c is not an online CPU of this machine"
	done
	for c in $ncpu; do
		[[ " $all " == *" $c "* ]] || others+=("$c")
	done
	for p in $ports; do
		if [ -r "$SYSFS/bus/pci/devices/$p/numa_node" ]; then
			n=$(cat "$SYSFS/bus/pci/devices/$p/numa_node")
			[ "$n" -ge 0 ] 2>/dev/null && nic_nodes+=("$p|$n")
		fi
	done
	local iso
	iso=$(compress_list $all)
	echo "sipdp lcores: control $control, workers $workers"
	echo
	echo "kernel command line (GRUB_CMDLINE_LINUX, then update-grub and reboot):"
	echo "  isolcpus=managed_irq,domain,$iso nohz_full=$iso rcu_nocbs=$iso irqaffinity=$(compress_list "${others[@]:-0}")"
	echo "EAL options:"
	echo "  -l $iso$(for p in $ports; do [[ $p =~ ^[0-9a-fA-F]{4}: ]] && printf ' -a %s' "$p"; done) --file-prefix sipdp"
	[[ " $all " == *" 0 "* ]] && warn "CPU 0 is a sipdp lcore: leave it to the kernel, interrupts and management"
	[ ${#others[@]} -gt 0 ] || warn "no CPU left for the kernel"
	# Hyperthread siblings: two sipdp lcores sharing a core compete for it.
	local a b sib
	for a in $all; do
		sib=$(cat "$SYSFS/devices/system/cpu/cpu$a/topology/thread_siblings_list" 2>/dev/null || true)
		[ -n "$sib" ] || continue
		for b in $(expand_list "$sib"); do
			[ "$b" -gt "$a" ] && [[ " $all " == *" $b "* ]] &&
				warn "lcores $a and $b are hyperthreads of one core: give each poll-mode lcore a core of its own"
		done
	done
	# NUMA: workers on the node of the NIC they poll.
	local pn node_of_cpu
	for pn in "${nic_nodes[@]}"; do
		p=${pn%|*} n=${pn#*|}
		echo "NIC $p is on NUMA node $n: reserve hugepages there (host-setup.sh hugepages 2G --node $n)"
		for c in $workers; do
			node_of_cpu=""
			for d in "$SYSFS"/devices/system/node/node*; do
				[ -r "$d/cpulist" ] || continue
				[[ " $(expand_list "$(cat "$d/cpulist")") " == *" $c "* ]] && node_of_cpu=${d##*node}
			done
			[ -n "$node_of_cpu" ] && [ "$node_of_cpu" != "$n" ] &&
				warn "worker lcore $c is on NUMA node $node_of_cpu, NIC $p on node $n: every packet crosses the interconnect"
		done
	done
	return 0
}

cmd_service() {
	local bindir=/usr/local/bin dest=/etc/systemd/system docdir=/usr/local/share/doc/sipdp
	while [ $# -gt 0 ]; do
		case $1 in
		--bindir) bindir=$2; shift 2 ;;
		--dest) dest=$2; shift 2 ;;
		--dry-run) dry=1; shift ;;
		*) die "service: unknown option $1" ;;
		esac
	done
	[ -x "$bindir/sipdp" ] || [ $dry -eq 1 ] || die "service: no sipdp in $bindir (meson install, or give --bindir)"
	# systemd takes absolute paths only.
	[ -d "$bindir" ] && bindir=$(cd "$bindir" && pwd)
	local unit
	unit=$(sed -e "s|@BINDIR@|$bindir|g" -e "s|@DOCDIR@|$docdir|g" "$root/scripts/sipdp@.service")
	if [ $dry -eq 1 ]; then
		echo "would write $dest/sipdp@.service:"
		echo "$unit"
		return 0
	fi
	mkdir -p "$dest"
	echo "$unit" >"$dest/sipdp@.service"
	echo "installed $dest/sipdp@.service"
	if [ "$dest" = /etc/systemd/system ]; then
		mkdir -p /etc/sipdp
		command -v systemctl >/dev/null && systemctl daemon-reload || true
		echo "next: /etc/sipdp/NAME.yaml, /etc/sipdp/NAME.env with SIPDP_EAL=\"-l ... -a ...\", systemctl enable --now sipdp@NAME"
	fi
}

[ $# -gt 0 ] || die "usage: host-setup.sh hugepages|bind|cpus|service ... [--dry-run] (see the head of this file)"
sub=$1
shift
for a in "$@"; do [ "$a" = --dry-run ] && dry=1; done
case $sub in
hugepages) cmd_hugepages "$@" ;;
bind) cmd_bind "$@" ;;
cpus) cmd_cpus "$@" ;;
service) cmd_service "$@" ;;
-h | --help) sed -n '3,24p' "$0" ;;
*) die "unknown subcommand '$sub' (hugepages, bind, cpus, service)" ;;
esac
