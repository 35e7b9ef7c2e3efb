#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# calls_gen.sh with two workers: each originates half of the 2,000 calls
# (its own Call-IDs and branches route the answers back to it).
export CALLS_CONFIG=calls-2000-2w.yaml CALLS_WORKERS=2
exec "$(dirname "$0")/calls_gen.sh" "$@"
