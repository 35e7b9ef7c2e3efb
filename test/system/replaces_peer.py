#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The far end of an attended transfer towards sipdp (RFC 3891, RFC 5589 §7).

    replaces_peer.py --to 192.0.2.1 --local 192.0.2.2 --user xfer

Run inside the peer namespace. Places call 1, then call 2 with a Replaces
header naming call 1 (as a transfer target reached by the transferee
would); sipdp must answer call 2 and end call 1 with BYE. Then an INVITE
whose Replaces names no dialog. Prints one line per outcome:
    call1 <status>      call2 <status>      bye1 <yes|no>
    bye2 <status>       unmatched <status>
Every wait is bounded (a few seconds); exit 0 always: the caller judges.
"""
import argparse
import random
import re
import socket
import time


def hdr(msg, name):
    m = re.search(r"^" + name + r":\s*(.*?)\r$", msg, re.M | re.I)
    return m.group(1) if m else ""


class Peer:
    def __init__(self, local, to, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((local, port))
        self.local, self.port, self.to = local, port, (to, 5060)
        self.backlog = []

    def send(self, text):
        self.s.sendto(text.replace("\n", "\r\n").encode(), self.to)

    def recv(self, want, timeout=5.0):
        """First message for which want(msg) holds, or None at the deadline."""
        for i, m in enumerate(self.backlog):
            if want(m):
                return self.backlog.pop(i)
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                data = self.s.recv(65535).decode(errors="replace")
            except socket.timeout:
                return None
            if want(data):
                return data
            self.backlog.append(data)

    def request(self, method, ruri, cid, ftag, to, cseq, extra="", rtag="", br=None):
        br = br or "z9hG4bK%08x" % random.getrandbits(32)
        tt = ";tag=" + rtag if rtag else ""
        self.send(f"{method} {ruri} SIP/2.0\n"
                  f"Via: SIP/2.0/UDP {self.local}:{self.port};branch={br}\n"
                  f"From: <sip:peer@{self.local}:{self.port}>;tag={ftag}\n"
                  f"To: <{to}>{tt}\nCall-ID: {cid}\nCSeq: {cseq} {method}\n"
                  f"Contact: <sip:peer@{self.local}:{self.port}>\nMax-Forwards: 70\n"
                  f"{extra}Content-Length: 0\n\n")
        return br

    def final(self, cid, method):
        def want(m):
            return (m.startswith("SIP/2.0 ") and hdr(m, "Call-ID") == cid and
                    hdr(m, "CSeq").endswith(method) and int(m[8:11]) >= 200)
        return self.recv(want)

    def call(self, ruri, cid, ftag, extra=""):
        """INVITE, wait for the final, ACK a 2xx. (status, remote tag)."""
        br = self.request("INVITE", ruri, cid, ftag, ruri, 1, extra)
        r = self.final(cid, "INVITE")
        if r is None:
            return 0, ""
        code = int(r[8:11])
        m = re.search(r";tag=([^;>\s]+)", hdr(r, "To"))
        rtag = m.group(1) if m else ""
        # RFC 3261 §17.1.1.3: the ACK of a non-2xx reuses the INVITE's branch.
        self.request("ACK", ruri, cid, ftag, ruri, 1, rtag=rtag, br=None if code < 300 else br)
        return code, rtag


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--to", required=True)
    ap.add_argument("--local", required=True)
    ap.add_argument("--port", type=int, default=5064)
    ap.add_argument("--user", default="xfer")
    a = ap.parse_args()
    p = Peer(a.local, a.to, a.port)
    ruri = f"sip:{a.user}@{a.to}:5060"
    n = random.getrandbits(32)
    c1, c2, c3 = f"r1-{n:x}", f"r2-{n:x}", f"r3-{n:x}"
    code1, tag1 = p.call(ruri, c1, "f1")
    print("call1", code1)
    code2, tag2 = p.call(ruri, c2, "f2", f"Replaces: {c1};to-tag={tag1};from-tag=f1\n"
                         "Supported: replaces\n")
    print("call2", code2)
    bye = p.recv(lambda m: m.startswith("BYE ") and hdr(m, "Call-ID") == c1)
    print("bye1", "yes" if bye else "no")
    if bye:
        p.send("SIP/2.0 200 OK\n" + "".join(
            f"{h}: {hdr(bye, h)}\n" for h in ("Via", "From", "To", "Call-ID", "CSeq")) +
            "Content-Length: 0\n\n")
    p.request("BYE", ruri, c2, "f2", ruri, 2, rtag=tag2)
    r = p.final(c2, "BYE")
    print("bye2", int(r[8:11]) if r else 0)
    code3, _ = p.call(ruri, c3, "f3", f"Replaces: {c1}-none;to-tag=x;from-tag=y\n")
    print("unmatched", code3)


if __name__ == "__main__":
    main()
