#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# RFC 4475 and RFC 5118 torture messages classified by `sipdp-msgcheck
# --strict` as their INDEX.tsv says. Valid means the message layer passes the
# message on (416/420/415 come later from the application); invalid means a
# 400/505 answer or a drop. RFC 5118 uses the wire/ form. Also: the archive's
# extra test.dat is invalid, and baddn is invalid in both shapes (archive,
# with no closing empty line, and the patched one with it).
set -u
msgcheck=$1
data=$2
fail=0
checked=0

verdict() { # file expected label
	local out rc
	out=$("$msgcheck" --strict "$1" 2>&1); rc=$?
	checked=$((checked + 1))
	case "$2:$rc" in
	valid:0|invalid:1) ;;
	*) echo "MISMATCH $3: expected $2, exit $rc: $out"; fail=$((fail + 1)) ;;
	esac
	# Whatever the verdict, the tool must print exactly one JSON line.
	if [ "$(printf '%s\n' "$out" | grep -c '^{"file":')" != 1 ]; then
		echo "BAD OUTPUT $3: $out"; fail=$((fail + 1))
	fi
}

while IFS=$'\t' read -r name expected _; do
	[ "$name" = name ] && continue
	verdict "$data/torture/rfc4475/$name.dat" "$expected" "rfc4475/$name"
done < "$data/torture/rfc4475/INDEX.tsv"

while IFS=$'\t' read -r name expected _; do
	[ "$name" = name ] && continue
	verdict "$data/torture/rfc5118/wire/$name.dat" "$expected" "rfc5118/$name"
done < "$data/torture/rfc5118/INDEX.tsv"

verdict "$data/torture/rfc4475/archive-extra/test.dat" invalid "rfc4475/archive-extra/test"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{ cat "$data/torture/rfc4475/baddn.dat"; printf '\r\n'; } > "$tmp"
verdict "$tmp" invalid "rfc4475/baddn (patched, terminated)"

# badvers must be refused with 505, the others with 400 (or dropped).
out=$("$msgcheck" --strict "$data/torture/rfc4475/badvers.dat")
case "$out" in *'"status":505'*) ;; *) echo "badvers not 505: $out"; fail=$((fail + 1)) ;; esac
out=$("$msgcheck" --strict "$data/torture/rfc4475/insuf.dat")
case "$out" in *'"status":400'*) ;; *) echo "insuf not 400: $out"; fail=$((fail + 1)) ;; esac
out=$("$msgcheck" --strict "$data/torture/rfc4475/bigcode.dat")
case "$out" in *'"status":0'*) ;; *) echo "bigcode response not dropped: $out"; fail=$((fail + 1)) ;; esac

echo "torture: $((checked - fail)) passed, $fail failed"
[ $fail -eq 0 ]
