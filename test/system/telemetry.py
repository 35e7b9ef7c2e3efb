#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Ask a running sipdp one DPDK telemetry question and print the JSON answer.

    telemetry.py [--prefix sipdp-lab] /sipdp/stats [params]
    telemetry.py --prefix sipdp-lab --get /sipdp/stats total.retransmissions

The telemetry socket speaks SOCK_SEQPACKET: on connect it sends a greeting,
then one JSON reply per command.
"""
import argparse
import json
import socket
import sys


def ask(prefix, cmd):
    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(path)
    greeting = json.loads(s.recv(4096).decode())
    size = int(greeting.get("max_output_len", 16384))
    s.send(cmd.encode())
    reply = json.loads(s.recv(size).decode())
    s.close()
    return reply


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prefix", default="sipdp-lab")
    ap.add_argument("--get", help="dotted path into the command's answer")
    ap.add_argument("cmd")
    a = ap.parse_args()
    reply = ask(a.prefix, a.cmd)
    value = reply.get(a.cmd.split(",")[0], reply)
    if a.get:
        for part in a.get.split("."):
            value = value[int(part)] if isinstance(value, list) else value[part]
    print(json.dumps(value) if isinstance(value, (dict, list)) else value)


if __name__ == "__main__":
    sys.exit(main())
