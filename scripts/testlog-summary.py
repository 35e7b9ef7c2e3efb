#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Summarise meson testlog.json files as 'N passed, N failed, N skipped'."""
import json
import sys


def count(path):
    passed = failed = skipped = 0
    try:
        with open(path) as f:
            for line in f:
                r = json.loads(line).get("result")
                if r in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif r == "SKIP":
                    skipped += 1
                else:
                    failed += 1
    except FileNotFoundError:
        pass
    return passed, failed, skipped


args = sys.argv[1:]
total = args[:1] == ["--total"]
if total:
    args = args[1:]
p = f = s = 0
for a in args:
    a_p, a_f, a_s = count(a)
    p, f, s = p + a_p, f + a_f, s + a_s
if total:
    print(f"tests: {p} passed, {f} failed, {s} skipped")
else:
    print(f"{args[0]}: {p} ok, {f} not ok, {s} skipped")
