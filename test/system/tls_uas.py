#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A minimal SIP UAS over TLS for the system tests (peer namespace).

  tls_uas.py --listen IP --port P --cert F --key F --calls N [--timeout S]

Accepts TLS connections, answers each INVITE 200 (with a To tag and a
TLS Contact), takes the ACK, answers each BYE 200; exits after N BYEs or
the timeout. Prints one JSON line: calls answered, BYEs, connections,
and the distinct top Via / Contact prefixes it saw in requests. Exit 0
when N BYEs came.
"""
import argparse
import json
import re
import select
import socket
import ssl
import sys
import time


class Framer:
    def __init__(self):
        self.buf = b""

    def feed(self, data):
        self.buf += data
        out = []
        while True:
            self.buf = self.buf.lstrip(b"\r\n")
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return out
            head = self.buf[:end].decode("latin-1")
            m = re.search(r"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
            n = int(m.group(1)) if m else 0
            if len(self.buf) < end + 4 + n:
                return out
            out.append(head)
            self.buf = self.buf[end + 4 + n:]


def hdr_lines(head, names):
    res = []
    for line in head.split("\r\n")[1:]:
        k = line.split(":", 1)[0].strip().lower()
        if k in names:
            res.append(line)
    return res


def first(head, names):
    l = hdr_lines(head, names)
    return l[0].split(":", 1)[1].strip() if l else ""


def answer(head, code, contact):
    vias = hdr_lines(head, ("via", "v"))
    to = first(head, ("to", "t"))
    if ";tag=" not in to:
        to += ";tag=uas1"
    lines = ["SIP/2.0 %d OK" % code] + vias + [
        "From: " + first(head, ("from", "f")),
        "To: " + to,
        "Call-ID: " + first(head, ("call-id", "i")),
        "CSeq: " + first(head, ("cseq",)),
    ]
    if contact:
        lines.append("Contact: " + contact)
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--port", type=int, default=5061)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--calls", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    ls = socket.socket(socket.AF_INET6 if ":" in a.listen else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.listen, a.port))
    ls.listen(64)
    ls.setblocking(False)
    contact = "<sip:uas@%s:%d;transport=tls>" % (a.listen, a.port)
    conns = {}
    st = {"answered": 0, "byes": 0, "acks": 0, "connections": 0, "vias": [], "contacts": []}
    deadline = time.time() + a.timeout
    while st["byes"] < a.calls and time.time() < deadline:
        r, _, _ = select.select([ls] + list(conns), [], [], 0.2)
        for s in r:
            if s is ls:
                try:
                    c, _ = ls.accept()
                    c.settimeout(5)
                    c = ctx.wrap_socket(c, server_side=True)
                    c.setblocking(False)
                    conns[c] = Framer()
                    st["connections"] += 1
                except (OSError, ssl.SSLError) as e:
                    print("accept: %s" % e, file=sys.stderr)
                continue
            try:
                data = s.recv(65536)
            except ssl.SSLWantReadError:
                continue
            except OSError:
                data = b""
            if not data:
                del conns[s]
                s.close()
                continue
            for head in conns[s].feed(data):
                if head.startswith("SIP/2.0"):
                    continue
                method = head.split(" ", 1)[0]
                via = re.sub(r";branch=.*", "", first(head, ("via", "v")))
                if via not in st["vias"]:
                    st["vias"].append(via)
                ct = first(head, ("contact", "m"))
                if ct and ct not in st["contacts"]:
                    st["contacts"].append(ct)
                if method == "INVITE":
                    s.sendall(answer(head, 200, contact))
                    st["answered"] += 1
                elif method == "ACK":
                    st["acks"] += 1
                elif method == "BYE":
                    s.sendall(answer(head, 200, None))
                    st["byes"] += 1
                else:
                    s.sendall(answer(head, 200, None))
    print(json.dumps(st))
    return 0 if st["byes"] >= a.calls else 1


if __name__ == "__main__":
    sys.exit(main())
