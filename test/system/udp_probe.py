#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Send each file as one UDP datagram to sipdp and report what came back.

    udp_probe.py --to 192.0.2.1 --port 5060 --iface sipdp-peer0 FILE...

Run inside the peer namespace. Responses are read off the interface with an
AF_PACKET socket, so they are seen whatever port the message's Via names.
Prints one line per file: "<name> <status>|none". Exit 0 always; the caller
judges.
"""
import argparse
import os
import select
import socket
import struct
import time

ETH_P_ALL = 0x0003


def responses(raw, server, deadline):
    """Yield (status, first line) of SIP responses from server until deadline."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        r, _, _ = select.select([raw], [], [], left)
        if not r:
            return
        frame = raw.recv(65535)
        if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17 or socket.inet_ntoa(ip[12:16]) != server:
            continue
        sport = struct.unpack("!H", ip[ihl:ihl + 2])[0]
        payload = ip[ihl + 8:]
        if sport != 5060 or not payload.startswith(b"SIP/2.0 "):
            continue
        line = payload.split(b"\r\n", 1)[0].decode("latin-1")
        yield int(line.split(" ")[1]), line


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--to", required=True)
    ap.add_argument("--port", type=int, default=5060)
    ap.add_argument("--iface", required=True)
    ap.add_argument("--wait", type=float, default=0.4)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    raw.bind((a.iface, 0))
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for path in a.files:
        name = os.path.basename(path).rsplit(".", 1)[0]
        data = open(path, "rb").read()
        # drain anything still in flight from the previous message
        list(responses(raw, a.to, time.monotonic() + 0.01))
        try:
            tx.sendto(data, (a.to, a.port))
        except OSError as e:
            print("%s send-error:%s" % (name, e.errno), flush=True)
            continue
        got = [s for s, _ in responses(raw, a.to, time.monotonic() + a.wait)]
        print("%s %s" % (name, ",".join(map(str, got)) if got else "none"), flush=True)


if __name__ == "__main__":
    main()
