#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Drive a headless baresip through its ctrl_tcp module (JSON netstrings).

    baresip_ctl.py --port 4444 --transfer sip:carol@198.51.100.21 --calls 3

Connects (retrying for at most 5 s), prints "ready", then for each call
baresip reports established sends the `transfer` command (a blind REFER,
from baresip's menu module) and waits until CALLS calls are closed. Prints
one line per event of interest. Exit 0 when CALLS calls were established,
transferred (command answered ok) and closed within --timeout seconds,
1 otherwise. Run inside the namespace where baresip runs.
"""
import argparse
import json
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=4444)
    ap.add_argument("--transfer", required=True)
    ap.add_argument("--calls", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=30.0)
    a = ap.parse_args()

    end = time.monotonic() + a.timeout
    s = None
    for _ in range(50):
        try:
            s = socket.create_connection((a.host, a.port), timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    if s is None:
        print("no connection to baresip's ctrl_tcp", flush=True)
        return 1
    print("ready", flush=True)

    buf = b""
    est = closed = ok = 0

    def send(cmd, params, token):
        j = json.dumps({"command": cmd, "params": params, "token": token}).encode()
        s.sendall(b"%d:%s," % (len(j), j))

    while closed < a.calls:
        left = end - time.monotonic()
        if left <= 0:
            print("timeout: established %d transferred %d closed %d" % (est, ok, closed), flush=True)
            return 1
        s.settimeout(left)
        try:
            d = s.recv(65535)
        except socket.timeout:
            continue
        if not d:
            print("baresip closed the control connection", flush=True)
            return 1
        buf += d
        while b":" in buf:
            n, rest = buf.split(b":", 1)
            n = int(n)
            if len(rest) < n + 1:
                break
            e, buf = json.loads(rest[:n]), rest[n + 1:]
            if e.get("response"):
                print("response %s ok=%s %s" % (e.get("token"), e.get("ok"), e.get("data", "").strip()), flush=True)
                if e.get("ok") and str(e.get("token", "")).startswith("xfer"):
                    ok += 1
                continue
            t = e.get("type", "")
            if t.startswith("CALL_") and t not in ("CALL_REMOTE_SDP", "CALL_LOCAL_SDP"):
                print("event %s %s %s" % (t, e.get("id", ""), e.get("param", "")), flush=True)
            if t == "CALL_ESTABLISHED":
                est += 1
                send("transfer", a.transfer, "xfer%d" % est)
            elif t == "CALL_CLOSED":
                closed += 1
    print("established %d transferred %d closed %d" % (est, ok, closed), flush=True)
    return 0 if est == a.calls and ok == a.calls else 1


if __name__ == "__main__":
    sys.exit(main())
