#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# sipp's built-in uac scenario over IPv6: 2,000 calls at 200 calls/s from the
# peer namespace to [2001:db8::1]:5060, every one successful. NDP for the
# peer is learnt through the kernel (exception path).
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require
sys_start "$root/drivers-config/lab-af_packet.yaml"

sys_sipp v6 -sn uac "[2001:db8::1]:5060" -i 2001:db8::2 -m 2000 -r 200 -l 1000 \
	-recv_timeout 10000 -timeout 100s
check "sipp exit 0" '[ "$(cat "$work/v6.rc")" = 0 ]'
check "2000 calls successful" '[ "$(sipp_stat v6 "SuccessfulCall(C)")" = 2000 ]'
check "0 calls failed" '[ "$(sipp_stat v6 "FailedCall(C)")" = 0 ]'
[ $fail = 0 ] || cat "$work/v6.out"
exit $fail
