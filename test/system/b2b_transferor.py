#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The transferor of an attended transfer through sipdp's B2BUA
(b2bua_attended_joined_on_box.sh; RFC 5589 §7, RFC 3891).

    b2b_transferor.py --local 198.51.100.20 --sipdp 192.0.2.1 --target-user carol

Run inside the peer namespace, listening on LOCAL:5060 (the callee sipdp's
bridge rule calls). Call 1: answers sipdp's INVITE (the caller bridged to
us). Call 2: calls sip:TARGET-USER@SIPDP (sipdp bridges it to the target).
Then REFERs call 1 with Refer-To: <sip:TARGET-USER@SIPDP?Replaces=call 2>,
the Replaces naming call 2 as sipdp sees it (to-tag sipdp's, from-tag
ours): sipdp should join the caller and the target on the box, NOTIFY 200
on call 1 and BYE both our dialogs. Answers every NOTIFY and BYE 200,
until both BYEs and the NOTIFY that terminates the subscription came.
Prints one line per outcome (the test judges):
    call1 <status>  call2 <status>  refer <status>  notify <sipfrag status>...
    bye1 <yes|no>   bye2 <yes|no>   invites_in <n>  other_in <methods>
Every wait is bounded (--timeout, default 10 s in all); exit 0 always.
"""
import argparse
import random
import re
import socket
import time


def hdr(msg, name, short=None):
    names = name if short is None else "(?:%s|%s)" % (name, short)
    m = re.search(r"^" + names + r"\s*:\s*(.*?)\r?$", msg, re.M | re.I)
    return m.group(1) if m else ""


def tag_of(v):
    m = re.search(r";\s*tag=([^;>\s]+)", v)
    return m.group(1) if m else ""


def uri_of(v):
    m = re.search(r"<([^>]+)>", v)
    return m.group(1) if m else v.split(";")[0].strip()


def body_of(msg):
    i = msg.find("\r\n\r\n")
    return msg[i + 4:] if i >= 0 else ""


SDP = ("v=0\r\no=bob {ver} {ver} IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
       "m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


class UA:
    def __init__(self, local, sipdp, trace=None):
        self.tf = open(trace, "w") if trace else None
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((local, 5060))
        self.local, self.sipdp = local, (sipdp, 5060)
        self.backlog = []
        self.log = []
        self.invites = set()  # (Call-ID, CSeq) of the INVITEs received
        self.other_in = []

    def trace(self, what, text):
        if self.tf is not None:
            self.tf.write("--- %.3f %s\n%s\n" % (time.monotonic(), what, text))
            self.tf.flush()

    def sendto(self, text, addr):
        self.trace("sent to %s:%d" % addr, text)
        self.s.sendto(text.encode(), addr)

    def recv(self, want, deadline):
        for i, m in enumerate(self.backlog):
            if want(m[0]):
                return self.backlog.pop(i)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None, None
            self.s.settimeout(left)
            try:
                data, addr = self.s.recvfrom(65535)
            except socket.timeout:
                return None, None
            m = data.decode(errors="replace")
            self.trace("received from %s:%d" % addr, m)
            if m.startswith("INVITE "):
                self.invites.add((hdr(m, "Call-ID", "i"), hdr(m, "CSeq")))
            if want(m):
                return m, addr
            self.backlog.append((m, addr))

    def reply(self, req, addr, code, reason, totag="", extra="", body=""):
        to = hdr(req, "To", "t")
        if totag and ";tag=" not in to:
            to += ";tag=" + totag
        vias = "".join("Via: %s\r\n" % v for v in re.findall(r"^(?:Via|v)\s*:\s*(.*?)\r?$", req, re.M | re.I))
        ct = "Content-Type: application/sdp\r\n" if body else ""
        self.sendto("SIP/2.0 %d %s\r\n%sFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n"
                    "Contact: <sip:bob@%s:5060>\r\n%s%sContent-Length: %d\r\n\r\n%s"
                    % (code, reason, vias, hdr(req, "From", "f"), to, hdr(req, "Call-ID", "i"),
                       hdr(req, "CSeq"), self.local, extra, ct, len(body), body), addr)

    def request(self, method, ruri, frm, to, cid, cseq, extra="", body="", ctype=""):
        br = "z9hG4bK%016x" % random.getrandbits(64)
        ct = "Content-Type: %s\r\n" % ctype if body else ""
        self.sendto("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5060;branch=%s\r\nMax-Forwards: 70\r\n"
                    "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n"
                    "Contact: <sip:bob@%s:5060>\r\n%s%sContent-Length: %d\r\n\r\n%s"
                    % (method, ruri, self.local, br, frm, to, cid, cseq, method, self.local,
                       extra, ct, len(body), body), self.sipdp)
        return br


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--local", required=True)
    ap.add_argument("--sipdp", required=True)
    ap.add_argument("--target-user", default="carol")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--trace", help="write every message sent and received here")
    a = ap.parse_args()
    ua = UA(a.local, a.sipdp, a.trace)
    end = time.monotonic() + a.timeout
    out = {}

    # Call 1: sipdp calls us (the caller bridged through it).
    inv, src = ua.recv(lambda m: m.startswith("INVITE "), end)
    if inv is None:
        print("call1 0")
        return 0
    tag1 = "b1%06x" % random.getrandbits(24)
    sdp1 = SDP.format(ver=1, ip=a.local, port=9000)
    ack = None
    for _ in range(10):
        ua.reply(inv, src, 200, "OK", tag1, body=sdp1)
        ack, _ = ua.recv(lambda m: m.startswith("ACK ") and hdr(m, "Call-ID", "i") == hdr(inv, "Call-ID", "i"),
                         min(end, time.monotonic() + 0.5))
        if ack is not None:
            break
    print("call1 %d" % (200 if ack is not None else 0), flush=True)
    cid1 = hdr(inv, "Call-ID", "i")
    peer1 = hdr(inv, "From", "f")            # sipdp's side of call 1, with its tag
    us1 = hdr(inv, "To", "t") + ";tag=" + tag1
    remote1 = uri_of(hdr(inv, "Contact", "m"))

    # Call 2: we call the target through sipdp.
    cid2 = "%016x@%s" % (random.getrandbits(64), a.local)
    ftag2 = "b2%06x" % random.getrandbits(24)
    ruri2 = "sip:%s@%s" % (a.target_user, a.sipdp)
    from2 = "<sip:bob@%s>;tag=%s" % (a.local, ftag2)
    sdp2 = SDP.format(ver=2, ip=a.local, port=9002)
    fin = None
    for _ in range(8):
        ua.request("INVITE", ruri2, from2, "<%s>" % ruri2, cid2, 1, body=sdp2, ctype="application/sdp")
        dl = min(end, time.monotonic() + 0.5)
        while True:
            r, _ = ua.recv(lambda m: m.startswith("SIP/2.0 ") and hdr(m, "Call-ID", "i") == cid2, dl)
            if r is None or int(r[8:11]) >= 200:
                break
            dl = min(end, time.monotonic() + 5)  # provisional: wait for the final
        if r is not None:
            fin = r
            break
    st2 = int(fin[8:11]) if fin else 0
    print("call2 %d" % st2, flush=True)
    if st2 != 200:
        return 0
    to2 = hdr(fin, "To", "t")
    ttag2 = tag_of(to2)
    remote2 = uri_of(hdr(fin, "Contact", "m"))
    ua.request("ACK", remote2, from2, to2, cid2, 1)

    # REFER on call 1, Replaces naming call 2 as sipdp sees it.
    rep = "%s%%3Bto-tag%%3D%s%%3Bfrom-tag%%3D%s" % (cid2.replace("@", "%40"), ttag2, ftag2)
    refer_to = "<sip:%s@%s?Replaces=%s>" % (a.target_user, a.sipdp, rep)
    ua.request("REFER", remote1, us1, peer1, cid1, 1,
               extra="Refer-To: %s\r\nReferred-By: <sip:bob@%s>\r\n" % (refer_to, a.local))
    print("refer_to %s" % refer_to, flush=True)
    r, _ = ua.recv(lambda m: m.startswith("SIP/2.0 ") and hdr(m, "CSeq").endswith("REFER") and
                   int(m[8:11]) >= 200, end)
    print("refer %d" % (int(r[8:11]) if r else 0), flush=True)
    if r is None or int(r[8:11]) >= 300:
        return 0

    # NOTIFYs on call 1, BYE on both calls: answer 200, until both BYEs and
    # the NOTIFY that ends the subscription came (in any order: a NOTIFY
    # waits for the previous one's answer, and may follow the BYEs).
    bye = {cid1: False, cid2: False}
    sub_over = False
    while not (bye[cid1] and bye[cid2] and sub_over):
        m, src = ua.recv(lambda m: not m.startswith("SIP/2.0 "), end)
        if m is None:
            break
        meth, cid = m.split(" ", 1)[0], hdr(m, "Call-ID", "i")
        if meth == "NOTIFY":
            frag = body_of(m).split("\r\n", 1)[0]
            print("notify %s %s" % (frag[8:11] if frag.startswith("SIP/2.0 ") else "?",
                                    hdr(m, "Subscription-State")), flush=True)
            ua.reply(m, src, 200, "OK")
            sub_over = sub_over or hdr(m, "Subscription-State").startswith("terminated")
        elif meth == "BYE" and cid in bye:
            bye[cid] = True
            ua.reply(m, src, 200, "OK")
        elif meth != "ACK":
            ua.other_in.append(meth)
            ua.reply(m, src, 481 if meth != "INVITE" else 488, "Not Here")
    print("bye1 %s" % ("yes" if bye[cid1] else "no"))
    print("bye2 %s" % ("yes" if bye[cid2] else "no"))
    print("invites_in %d" % len(ua.invites))
    print("other_in %s" % (",".join(ua.other_in) or "none"), flush=True)
    return 0


if __name__ == "__main__":
    main()
