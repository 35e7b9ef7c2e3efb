#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# scripts/host-setup.sh against a made-up /sys (two NUMA nodes, eight CPUs
# with hyperthread siblings i and i+4, an i40e NIC on node 1 whose kernel
# interface is up, an mlx5 NIC): the CPU hints, hugepage reservation, the
# binding refusals and the systemd unit it installs.
# Usage: host_setup.sh SIPDP_BIN SOURCE_ROOT
set -u
bin=$1 src=$2
hs=$src/scripts/host-setup.sh
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fails=0
check() { # check DESCRIPTION COMMAND...
	if "${@:2}"; then echo "ok: $1"; else echo "FAIL: $1"; fails=$((fails + 1)); fi
}
has() { grep -qF -- "$2" "$1"; }
hasnt() { ! grep -qF -- "$2" "$1"; }

sys=$t/sys
mkdir -p "$sys/devices/system/cpu" "$sys/kernel/iommu_groups" \
	"$sys/kernel/mm/hugepages/hugepages-2048kB" \
	"$sys/bus/pci/drivers/i40e" "$sys/bus/pci/drivers/mlx5_core"
echo 0-7 >"$sys/devices/system/cpu/online"
for c in 0 1 2 3 4 5 6 7; do
	mkdir -p "$sys/devices/system/cpu/cpu$c/topology"
	lo=$((c % 4))
	echo "$lo,$((lo + 4))" >"$sys/devices/system/cpu/cpu$c/topology/thread_siblings_list"
done
for n in 0 1; do
	mkdir -p "$sys/devices/system/node/node$n/hugepages/hugepages-2048kB"
	echo 0 >"$sys/devices/system/node/node$n/hugepages/hugepages-2048kB/nr_hugepages"
done
echo 0-1,4-5 >"$sys/devices/system/node/node0/cpulist"
echo 2-3,6-7 >"$sys/devices/system/node/node1/cpulist"
echo 0 >"$sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
i40e=$sys/bus/pci/devices/0000:5e:00.0
mlx=$sys/bus/pci/devices/0000:3b:00.0
mkdir -p "$i40e/net/ens1f0" "$mlx"
echo 1 >"$i40e/numa_node"
echo up >"$i40e/net/ens1f0/operstate"
ln -s ../../drivers/i40e "$i40e/driver"
ln -s ../../drivers/mlx5_core "$mlx/driver"
export SIPDP_SYSFS=$sys

# CPU hints for the i40e profile: control 1, workers 2-5.
SIPDP_BIN=$bin "$hs" cpus "$src/drivers-config/nic-intel-i40e.yaml" >"$t/cpus" 2>&1
check "cpus exits 0" test $? -eq 0
check "isolcpus covers lcores 1-5" has "$t/cpus" "isolcpus=managed_irq,domain,1-5 nohz_full=1-5 rcu_nocbs=1-5"
check "interrupts go to the CPUs sipdp leaves" has "$t/cpus" "irqaffinity=0,6-7"
check "EAL list and the NIC" has "$t/cpus" "-l 1-5 -a 0000:5e:00.0"
check "hyperthread siblings 1 and 5 are named" has "$t/cpus" "lcores 1 and 5 are hyperthreads"
check "worker 4 off the NIC's node is named" has "$t/cpus" "worker lcore 4 is on NUMA node 0, NIC 0000:5e:00.0 on node 1"
check "worker 2 on the NIC's node is not" hasnt "$t/cpus" "worker lcore 2 is on NUMA node"
check "CPU 0 unused: no warning" hasnt "$t/cpus" "CPU 0 is a sipdp lcore"
printf 'lcores:\n  control: 1\n' >"$t/bad.yaml"
SIPDP_BIN=$bin "$hs" cpus "$t/bad.yaml" >"$t/cpus-bad" 2>&1
check "an invalid config is refused" test $? -ne 0

# Hugepages: 2 GiB of 2 MiB pages on node 1 = 1024 pages written.
"$hs" hugepages 2G --node 1 >"$t/huge" 2>&1
check "hugepages exits 0" test $? -eq 0
check "1024 pages on node 1" test "$(cat "$sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages")" = 1024
check "node 0 untouched" test "$(cat "$sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages")" = 0
"$hs" hugepages 100M --dry-run >"$t/huge-dry" 2>&1
check "dry run rounds up to 50 pages and writes nothing" \
	bash -c "grep -q 'would write 50 to' '$t/huge-dry' && [ \$(cat '$sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages') = 0 ]"
"$hs" hugepages 4G --page 1G >"$t/huge-1g" 2>&1
check "no 1G pages: refused with the boot-time hint" \
	bash -c "[ $? -ne 0 ] && grep -q 'hugepagesz=1G' '$t/huge-1g'"
"$hs" hugepages lots >"$t/huge-bad" 2>&1
check "a bad size is refused" test $? -ne 0

# Binding.
"$hs" bind 0000:5e:00.0 --dry-run >"$t/bind-up" 2>&1
check "an interface that is up is not taken" \
	bash -c "[ $? -ne 0 ] && grep -q 'ens1f0, which is up' '$t/bind-up'"
"$hs" bind 0000:5e:00.0 --force --dry-run >"$t/bind" 2>&1
check "--force binds with devbind" has "$t/bind" "would run: dpdk-devbind.py -b vfio-pci 0000:5e:00.0"
check "no IOMMU groups: the hint" has "$t/bind" "intel_iommu=on iommu=pt"
"$hs" bind 0000:3b:00.0 --dry-run >"$t/bind-mlx" 2>&1
check "mlx5 is left on mlx5_core" bash -c "grep -q bifurcated '$t/bind-mlx' && ! grep -q devbind '$t/bind-mlx'"
"$hs" bind 3b:00.0 >"$t/bind-bad" 2>&1
check "a malformed PCI address is refused" test $? -ne 0

# The systemd unit, with this build's binary, as systemd reads it.
"$hs" service --bindir "$(dirname "$bin")" --dest "$t/units" >"$t/svc" 2>&1
check "service installs the unit" test -f "$t/units/sipdp@.service"
absbin=$(cd "$(dirname "$bin")" && pwd)
check "the unit runs --check first, by absolute path" has "$t/units/sipdp@.service" "ExecStartPre=$absbin/sipdp -- --config /etc/sipdp/%i.yaml --check"
check "SIGHUP reloads" has "$t/units/sipdp@.service" 'ExecReload=/bin/kill -HUP $MAINPID'
# systemd (on every Debian machine) is what reads the unit: check with it,
# never skip the check.
check "systemd-analyze is installed (apt-get install systemd)" command -v systemd-analyze
cp "$t/units/sipdp@.service" "$t/units/sipdp@lab.service"
systemd-analyze verify "$t/units/sipdp@lab.service" >"$t/verify" 2>&1
check "systemd-analyze verify accepts the unit" test $? -eq 0

if [ $fails -ne 0 ]; then
	for f in "$t"/cpus "$t"/huge* "$t"/bind* "$t"/verify; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done
	exit 1
fi
