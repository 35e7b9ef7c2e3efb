#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Layering and fast-path rules that a compiler cannot check:
#  - the protocol core (base sipmsg timer tsx dlg ua call stats) includes no DPDK,
#    liburcu or OpenSSL header (OpenSSL enters the core only through the
#    random-seed hook the embedder passes in);
#  - fast-path files call no malloc/calloc/realloc/printf family (lib/shard's
#    worker, ownership and policy files also no locks or sleeps).
# Fast-path files are every .c of the core except the ones listed as cold
# (creation, dumps) below.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
fail=0
core="lib/base lib/sipmsg lib/timer lib/tsx lib/dlg lib/ua lib/call lib/stats"

# lib/cfg is cold (it allocates and prints) but must stay free of EAL so
# `sipdp --check` and its unit tests run without DPDK.
for d in $core lib/cfg; do
	[ -d "$d" ] || continue
	if hits=$(grep -nE '#[[:space:]]*include[[:space:]]*[<"](rte_|urcu|openssl/)' -r "$d" --include='*.[ch]'); then
		echo "forbidden: protocol core includes DPDK/liburcu/OpenSSL:"; echo "$hits"; fail=1
	fi
done

# Files allowed to allocate or print: constructors and operator dumps.
cold_re='(_create|_dump|_pool|_table_new|_params)\.c$'
for d in $core; do
	[ -d "$d" ] || continue
	while IFS= read -r f; do
		[[ "$f" =~ $cold_re ]] && continue
		if hits=$(grep -nE '\b(malloc|calloc|realloc|strdup|printf|fprintf|sprintf|puts)[[:space:]]*\(' "$f" \
			| grep -vE '^[0-9]+:[[:space:]]*(\*|//|/\*)'); then
			echo "forbidden: fast-path file $f allocates or prints:"; echo "$hits"; fail=1
		fi
	done < <(find "$d" -name '*.c' | sort)
done

# The data path's own fast-path files (lib/shard): the worker loop, the
# ownership and hand-off code, and the policy run at call setup.
for f in lib/shard/shard_worker.c lib/shard/shard_owner.c lib/shard/shard_policy.c \
	lib/shard/shard_tcp.c lib/shard/shard_xfer.c lib/shard/shard_gen.c \
	lib/shard/shard_ops.c lib/shard/shard_capture.c lib/shard/shard_bridge.c \
	lib/shard/shard_obs.c; do
	[ -f "$f" ] || continue
	if hits=$(grep -nE '\b(malloc|calloc|realloc|strdup|printf|fprintf|sprintf|snprintf|puts|pthread_mutex_lock|usleep|sleep)[[:space:]]*\(' "$f" \
		| grep -vE '^[0-9]+:[[:space:]]*(\*|//|/\*)'); then
		echo "forbidden: fast-path file $f allocates, prints, locks or sleeps:"; echo "$hits"; fail=1
	fi
done

if [ $fail -eq 0 ]; then
	echo "check-forbidden: ok"
fi
exit $fail
