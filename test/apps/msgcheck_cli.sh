#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# sipdp-msgcheck's contract: JSON fields for a valid request and response,
# stdin with '-', exit codes 0 / 1 / 2.
set -u
msgcheck=$1
data=$2
fail=0
expect() { # label condition-result
	if [ "$2" != 0 ]; then echo "FAIL: $1"; fail=$((fail + 1)); fi
}

out=$("$msgcheck" "$data/corpus/invite.sip"); rc=$?
expect "invite exit 0" $rc
want='{"file":"'"$data"'/corpus/invite.sip","valid":true,"kind":"request","method":"INVITE","call_id":"a84b4c76e66710@pc33.atlanta.example.com","cseq":314159,"branch":"z9hG4bK776asdhds","from_tag":"1928301774","to_tag":null,"headers":14}'
[ "$out" = "$want" ]; expect "invite JSON: $out" $?

out=$("$msgcheck" --strict - < "$data/corpus/ok-200-invite.sip"); rc=$?
expect "200 from stdin exit 0" $rc
case "$out" in '{"file":"-","valid":true,"kind":"response","status":200,'*'"to_tag":"'*) r=0 ;; *) r=1 ;; esac
expect "200 JSON: $out" $r

"$msgcheck" --strict "$data/corpus"/*.sip > /dev/null; expect "whole corpus valid under --strict" $?

out=$("$msgcheck" "$data/corpus/invite.sip" "$data/torture/rfc4475/ltgtruri.dat" "$data/torture/rfc4475/lwsstart.dat"); rc=$?
[ $rc -eq 1 ]; expect "mixed valid+invalid exits 1 (got $rc)" $?
[ "$(printf '%s\n' "$out" | wc -l)" -eq 3 ]; expect "one line per file" $?
case "$(printf '%s\n' "$out" | sed -n 3p)" in *'"valid":false,"error":"'*'"offset":'*'"status":400}') r=0 ;; *) r=1 ;; esac
expect "invalid JSON shape" $r

"$msgcheck" /nonexistent/file >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ]; expect "missing file exits 2 (got $rc)" $?
"$msgcheck" --bogus x >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ]; expect "unknown option exits 2 (got $rc)" $?
"$msgcheck" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ]; expect "no file exits 2 (got $rc)" $?

echo "msgcheck_cli: $fail failed"
[ $fail -eq 0 ]
