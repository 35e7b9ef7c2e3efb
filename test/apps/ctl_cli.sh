#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# sipdp-ctl against a fake telemetry socket: per-worker counters print as an
# aligned table, a sample of records as one row each, words after the
# command joined by commas, --json prints the answer itself, an unknown endpoint and an
# absent sipdp are clear errors (exit 1), a bad command line exits 2, and a
# failed reload is a non-zero exit.
set -u
ctl=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${srv:-}" ] && kill "$srv" 2>/dev/null' EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

cat >"$work/answers.json" <<'JSON'
{"/sipdp/stats": {"workers": 2, "total": {"rx": 1234577, "tx": 19, "dialogs": 3},
                  "w0": {"rx": 10, "tx": 12, "dialogs": 3},
                  "w1": {"rx": 1234567, "tx": 7, "dialogs": 0}},
 "/sipdp/ports": {"net_af_packet0": {"ipackets": 5, "opackets": 6}, "sipdp0": {"ipackets": 1, "opackets": 2}},
 "/sipdp/reload": {"status": "error", "error": "policy[0].answer.code: 99 is not 100..699 (line 4)"},
 "/sipdp/lcores": {"control": 0, "workers": [1, 2]},
 "/sipdp/dialogs": {"dialogs": 2, "confirmed": 2, "workers": 1,
                    "worker0": {"dialogs": 2, "confirmed": 2},
                    "sample": {"0": {"worker": 0, "call_id": "a@x", "state": "established", "age_ms": 1200, "peer": "udp:192.0.2.2:5060"},
                               "1": {"worker": 0, "call_id": "bb@x", "state": "ringing", "age_ms": 7, "peer": "udp:192.0.2.2:5061"}}},
 "/sipdp/capture,start,/tmp/x.pcapng,10": {"status": "ok", "capturing": 1}}
JSON
python3 "$here/fake_telemetry.py" "$work/sock" "$work/answers.json" & srv=$!
for _ in $(seq 50); do [ -S "$work/sock" ] && break; sleep 0.1; done

"$ctl" --socket "$work/sock" stats >"$work/stats" 2>&1; rc=$?
cat "$work/stats"
check "stats exit 0" '[ $rc = 0 ]'
check "stats scalars first" 'grep -qE "^workers +2$" "$work/stats"'
check "stats: one column per worker next to the total" 'grep -qE "^ +total +w0 +w1$" "$work/stats"'
check "stats row aligned" 'grep -qE "^rx +1234577 +10 +1234567$" "$work/stats"'
"$ctl" --socket "$work/sock" ports >"$work/ports" 2>&1
cat "$work/ports"
check "ports: a column per port" 'grep -qE "^ +net_af_packet0 +sipdp0$" "$work/ports" && grep -qE "^opackets +6 +2$" "$work/ports"'
"$ctl" --socket "$work/sock" --json stats >"$work/json" 2>&1
check "--json is the answer as JSON" 'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"w1\"][\"rx\"]==1234567" "$work/json"'
"$ctl" --socket "$work/sock" lcores >"$work/lcores" 2>&1
check "lists flatten to dotted keys" 'grep -qE "^workers\.1 +2$" "$work/lcores"'
"$ctl" --socket "$work/sock" reload >"$work/reload" 2>&1; rc=$?
check "a refused reload exits 1 and says why" '[ $rc = 1 ] && grep -q "line 4" "$work/reload"'
"$ctl" --socket "$work/sock" dialogs >"$work/dialogs" 2>&1
cat "$work/dialogs"
check "dialogs: the sample is a row per dialog" 'grep -qE "^# +worker +call_id +state +age_ms +peer" "$work/dialogs" && grep -qE "^1 +0 +bb@x +ringing +7 +udp:192.0.2.2:5061" "$work/dialogs"'
check "dialogs: per-worker counts as a column" 'grep -qE "^ +worker0$" "$work/dialogs" && grep -qE "^confirmed +2$" "$work/dialogs"'
"$ctl" --socket "$work/sock" capture start /tmp/x.pcapng 10 >"$work/cap" 2>&1; rc=$?
check "capture: words joined by commas" '[ $rc = 0 ] && grep -qE "^capturing +1$" "$work/cap"'
"$ctl" --socket "$work/sock" raw /sipdp/nosuch >"$work/unknown" 2>&1; rc=$?
check "an endpoint sipdp lacks is an error" '[ $rc = 1 ] && grep -q "not known" "$work/unknown"'
"$ctl" --socket "$work/nosuch" stats >"$work/absent" 2>&1; rc=$?
check "no sipdp running: exit 1 with the socket path" '[ $rc = 1 ] && grep -q "cannot reach sipdp at $work/nosuch" "$work/absent"'
"$ctl" frobnicate >/dev/null 2>&1; rc=$?
check "unknown command exits 2" '[ $rc = 2 ]'
"$ctl" --socket "$work/sock" raw nope >/dev/null 2>&1; rc=$?
check "raw needs an endpoint" '[ $rc = 2 ]'
exit $fail
