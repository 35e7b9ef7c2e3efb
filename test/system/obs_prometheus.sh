#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Prometheus scrapes sipdp (suite 'system'): sipdp with configs/obs.yaml
# serves /metrics on 192.0.2.1:9100; Debian's prometheus runs in the peer
# namespace (temp config scraping every 1 s, storage in the test's temp
# dir, never a service of the machine); sipp makes 50 calls; the query
# sum(sipdp_calls_answered_total) through Prometheus's HTTP API must
# return exactly 50, and the setup-time histogram's _count too.
# Also: /metrics answers 200 with TYPE lines, / answers 404, POST 405.
# Bounded: every wait is a loop with a count (Prometheus polled at most
# 40 times 0.5 s apart), sipp under timeout 120. Skips (77) like every
# lab test; fails when prometheus or curl is missing.
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/system/sys_lib.sh" "$@"
sys_require
command -v prometheus >/dev/null || { echo "FAIL prometheus missing: apt-get install prometheus (or scripts/install-deps.sh)"; exit 1; }
command -v curl >/dev/null || { echo "FAIL curl missing: apt-get install curl (or scripts/install-deps.sh)"; exit 1; }
prom_pid=
stop_prom() {
	[ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null
	prom_pid=
}
trap 'rc=$?; stop_prom; (exit $rc); sys_cleanup' EXIT
peer() { ip netns exec sipdp-peer "$@"; }
N=50
sys_start "$root/test/system/configs/obs.yaml"

# --- the exporter itself, straight
peer curl -s -m 5 -o "$work/m.txt" -w '%{http_code}' http://192.0.2.1:9100/metrics >"$work/m.code"
check "/metrics answers 200" '[ "$(cat "$work/m.code")" = 200 ]'
check "/metrics has TYPE lines for counters, gauges and the histogram" \
	'grep -q "^# TYPE sipdp_calls_answered_total counter$" "$work/m.txt" &&
	 grep -q "^# TYPE sipdp_dialogs_live gauge$" "$work/m.txt" &&
	 grep -q "^# TYPE sipdp_call_setup_seconds histogram$" "$work/m.txt" &&
	 grep -q "^sipdp_call_setup_seconds_bucket{le=\"+Inf\"} 0$" "$work/m.txt" &&
	 grep -q "^sipdp_calls_answered_total{worker=\"0\"} 0$" "$work/m.txt"'
check "/ answers 404" '[ "$(peer curl -s -m 5 -o /dev/null -w "%{http_code}" http://192.0.2.1:9100/)" = 404 ]'
check "POST /metrics answers 405" '[ "$(peer curl -s -m 5 -o /dev/null -w "%{http_code}" -X POST http://192.0.2.1:9100/metrics)" = 405 ]'

# --- Prometheus in the peer namespace
mkdir -p "$work/prom"
cat >"$work/prom.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: sipdp
    static_configs:
      - targets: ['192.0.2.1:9100']
YML
peer prometheus --config.file="$work/prom.yml" --storage.tsdb.path="$work/prom" \
	--web.listen-address=192.0.2.2:9090 >"$work/prom.log" 2>&1 &
prom_pid=$!
query() { # query EXPR: the value of a one-sample instant query, or "none"
	peer curl -s -m 5 -G --data-urlencode "query=$1" http://192.0.2.2:9090/api/v1/query |
		python3 -c 'import json,sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "none")
except Exception:
    print("none")'
}
up=none
for _ in $(seq 1 40); do
	up=$(query 'up{job="sipdp"}')
	[ "$up" = 1 ] && break
	sleep 0.5
done
check "prometheus scrapes sipdp (up == 1)" '[ "$up" = 1 ]'

sys_sipp calls -sn uac 192.0.2.1:5060 -i 192.0.2.2 -p 5070 -m $N -r 25 -timeout 60s -timeout_error
check "sipp: $N successful calls" '[ "$(sipp_stat calls "SuccessfulCall(C)")" = $N ]'

v=none
for _ in $(seq 1 40); do
	v=$(query 'sum(sipdp_calls_answered_total)')
	[ "$v" = $N ] && break
	sleep 0.5
done
echo "sum(sipdp_calls_answered_total) = $v"
check "Prometheus: sum(sipdp_calls_answered_total) == $N" '[ "$v" = $N ]'
c=$(query 'sum(sipdp_call_setup_seconds_count)')
check "Prometheus: sum(sipdp_call_setup_seconds_count) == $N" '[ "$c" = $N ]'
b=$(query 'sum(sipdp_call_setup_seconds_bucket{le="+Inf"})')
check "Prometheus: the +Inf bucket == $N" '[ "$b" = $N ]'
inv=$(query 'sum(sipdp_sip_requests_received_total{method="INVITE"})')
check "Prometheus: INVITEs received == $N" '[ "$inv" = $N ]'
e=$(query 'sum(sipdp_http_errors_total)+sum(sipdp_http_timeouts_total)')
check "no HTTP errors or timeouts on the exporter" '[ "$e" = 0 ]'
stop_prom
[ $fail = 0 ] && echo PASS || { echo "--- prometheus log (last 20 lines)"; tail -n 20 "$work/prom.log"; }
exit $fail
