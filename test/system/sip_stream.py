#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""SIP over TCP/TLS from the peer namespace, for the system tests.

  sip_stream.py calls HOST PORT [--tls --ca F --sni NAME] --n N --window W
      N calls (INVITE, 1xx, 200, ACK, BYE, 200) on one connection, W at a
      time; exit 0 when every call completed, 1 otherwise.
  sip_stream.py probe KIND HOST PORT [--tls ...] [--count N]
      one piece of bad input and the outcome it must get:
        plaintext     SIP in clear to the TLS port     -> closed, no answer
        half-header   half a header section, silence  -> closed (deadline), no answer
        short-body    Content-Length > what follows   -> closed (deadline), no answer
        oversize      Content-Length over the limit   -> 513, then closed
        bad-clen      Content-Length: abc              -> closed (framing error)
        hangup        an INVITE, then close at once    -> (sipdp's answers fail: checked in telemetry)
        abandon       --count connections opened, nothing sent -> all closed (idle)
      exit 0 when the outcome is the expected one.
Every wait is bounded (--timeout).
"""
import argparse
import os
import select
import socket
import ssl
import sys
import time


def connect(a):
    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    # Many small writes: without this, Nagle + delayed ACKs stall the window.
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if a.tls:
        ctx = ssl.create_default_context(cafile=a.ca)
        s = ctx.wrap_socket(s, server_hostname=a.sni)
    return s


class Framer:
    """Splits a byte stream into SIP messages (header section + Content-Length)."""

    def __init__(self):
        self.buf = b""

    def feed(self, data):
        self.buf += data
        out = []
        while True:
            while self.buf.startswith(b"\r\n"):
                self.buf = self.buf[2:]
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return out
            head = self.buf[:end].decode("latin-1")
            clen = 0
            for line in head.split("\r\n")[1:]:
                k, _, v = line.partition(":")
                if k.strip().lower() in ("content-length", "l"):
                    clen = int(v.strip())
            total = end + 4 + clen
            if len(self.buf) < total:
                return out
            out.append(head)
            self.buf = self.buf[total:]


def hdr(head, name):
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == name:
            return v.strip()
    return None


def request(a, method, cid, cseq, branch, to_tag=None, body=b""):
    tp = "TLS" if a.tls else "TCP"
    uri = "sip:service@%s:%d;transport=%s" % (a.host, a.port, tp.lower())
    to = "<sip:service@%s>" % a.host + (";tag=" + to_tag if to_tag else "")
    lines = [
        "%s %s SIP/2.0" % (method, uri),
        "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK%s;rport" % (tp, a.local, a.lport, branch),
        "Max-Forwards: 70",
        "From: <sip:caller@%s>;tag=%s" % (a.local, cid[:12]),
        "To: " + to,
        "Call-ID: " + cid,
        "CSeq: %d %s" % (cseq, method),
        "Contact: <sip:caller@%s:%d;transport=%s>" % (a.local, a.lport, tp.lower()),
    ]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


SDP = (b"v=0\r\no=caller 1 1 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\n"
       b"t=0 0\r\nm=audio 6000 RTP/AVP 0\r\n")


def cmd_calls(a):
    s = connect(a)
    a.lport = s.getsockname()[1]
    fr = Framer()
    calls = {}  # cid -> state: "inv", "bye"
    started = done = failed = 0
    deadline = time.monotonic() + a.timeout
    tag = os.urandom(4).hex()

    def start():
        nonlocal started
        cid = "%s-%06d" % (tag, started)
        started += 1
        calls[cid] = "inv"
        s.sendall(request(a, "INVITE", cid, 1, cid + "i", body=SDP))

    while done + failed < a.n and time.monotonic() < deadline:
        while started < a.n and len(calls) < a.window:
            start()
        r, _, _ = select.select([s], [], [], 1.0)
        if not r and not (a.tls and s.pending()):
            continue
        data = s.recv(65536)
        if not data:
            print("connection closed by sipdp after %d calls" % done)
            break
        for head in fr.feed(data):
            first = head.split("\r\n", 1)[0]
            if not first.startswith("SIP/2.0 "):
                continue  # sipdp sends no request in this scenario
            code = int(first.split()[1])
            cid = hdr(head, "call-id")
            cseq = hdr(head, "cseq") or ""
            st = calls.get(cid)
            if st is None or code < 200:
                continue
            to = hdr(head, "to") or ""
            to_tag = to.split("tag=", 1)[1].split(";")[0] if "tag=" in to else None
            if cseq.endswith("INVITE") and st == "inv":
                if code >= 300:
                    failed += 1
                    del calls[cid]
                    print("call %s: %d" % (cid, code))
                    continue
                s.sendall(request(a, "ACK", cid, 1, cid + "a", to_tag) +
                          request(a, "BYE", cid, 2, cid + "b", to_tag))
                calls[cid] = "bye"
            elif cseq.endswith("BYE") and st == "bye":
                del calls[cid]
                if code == 200:
                    done += 1
                else:
                    failed += 1
                    print("call %s: BYE %d" % (cid, code))
    s.close()
    print("calls: %d successful, %d failed, %d unfinished" % (done, failed, a.n - done - failed))
    return 0 if done == a.n else 1


def wait_close(s, timeout):
    """Bytes received until the peer closes, or None on timeout."""
    got = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            s.settimeout(max(0.05, end - time.monotonic()))
            d = s.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
            return got
        if not d:
            return got
        got += d
    return None


def cmd_probe(a):
    a.lport = 5999
    if a.kind == "plaintext":
        s = socket.create_connection((a.host, a.port), timeout=a.timeout)
        s.sendall(request(a, "OPTIONS", "plain-1", 1, "p1"))
        got = wait_close(s, a.timeout)
        ok = got == b""
        print("plaintext on the TLS port: %s" % ("closed, no answer" if ok else repr(got)))
        return 0 if ok else 1
    if a.kind in ("half-header", "short-body"):
        s = connect(a)
        a.lport = s.getsockname()[1]
        msg = request(a, "INVITE", a.kind + "-1", 1, "h1", body=SDP)
        if a.kind == "half-header":
            msg = msg[: msg.find(b"Call-ID")]
        else:
            msg = msg.replace(b"Content-Length: %d" % len(SDP), b"Content-Length: %d" % (len(SDP) + 400))
        t0 = time.monotonic()
        s.sendall(msg)
        got = wait_close(s, a.timeout)
        ok = got == b""
        print("%s: %s after %.1f s" % (a.kind, "closed, no answer" if ok else repr(got),
                                       time.monotonic() - t0))
        return 0 if ok else 1
    if a.kind == "oversize":
        s = connect(a)
        a.lport = s.getsockname()[1]
        msg = request(a, "INVITE", "big-1", 1, "o1")
        msg = msg.replace(b"Content-Length: 0", b"Content-Length: 100000")
        s.sendall(msg + b"x" * 1000)
        got = wait_close(s, a.timeout)
        ok = got is not None and got.startswith(b"SIP/2.0 513 ")
        print("oversize: %s" % (got.split(b"\r\n", 1)[0].decode() if got else got))
        return 0 if ok else 1
    if a.kind == "bad-clen":
        s = connect(a)
        a.lport = s.getsockname()[1]
        msg = request(a, "OPTIONS", "badclen-1", 1, "b1").replace(b"Content-Length: 0",
                                                                   b"Content-Length: abc")
        s.sendall(msg)
        got = wait_close(s, a.timeout)
        ok = got is not None
        print("bad Content-Length: closed%s" % (", answered " + got.split(b"\r\n", 1)[0].decode()
                                                if got else ", no answer") if ok else "bad Content-Length: still open")
        return 0 if ok else 1
    if a.kind == "hangup":
        s = connect(a)
        a.lport = s.getsockname()[1]
        s.sendall(request(a, "INVITE", "hangup-%s" % os.urandom(4).hex(), 1, "g1", body=SDP))
        s.close()
        print("hangup: INVITE sent, connection closed")
        return 0
    if a.kind == "abandon":
        socks = []
        for _ in range(a.count):
            socks.append(socket.create_connection((a.host, a.port), timeout=a.timeout))
        # Nothing is sent: sipdp must close every one (idle timeout).
        closed = 0
        end = time.monotonic() + a.timeout
        live = list(socks)
        while live and time.monotonic() < end:
            r, _, _ = select.select(live, [], [], 0.5)
            for x in r:
                try:
                    d = x.recv(16)
                except (ConnectionResetError, OSError):
                    d = b""
                if not d:
                    closed += 1
                    live.remove(x)
        for x in socks:
            x.close()
        print("abandon: %d opened, %d closed by sipdp" % (a.count, closed))
        return 0 if closed == a.count else 1
    print("unknown probe " + a.kind)
    return 2


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["calls", "probe"])
    p.add_argument("rest", nargs="+")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--ca")
    p.add_argument("--sni", default="sipdp.test")
    p.add_argument("--local", default="192.0.2.2")
    p.add_argument("--n", type=int, default=1)
    p.add_argument("--window", type=int, default=10)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--timeout", type=float, default=60)
    a = p.parse_args()
    if a.cmd == "calls":
        a.host, a.port = a.rest[0], int(a.rest[1])
        return cmd_calls(a)
    a.kind, a.host, a.port = a.rest[0], a.rest[1], int(a.rest[2])
    return cmd_probe(a)


if __name__ == "__main__":
    sys.exit(main())
