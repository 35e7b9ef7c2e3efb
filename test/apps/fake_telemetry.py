#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A stand-in for DPDK's telemetry socket, for testing sipdp-ctl alone.

    fake_telemetry.py SOCKET_PATH ANSWERS.json

Speaks the v2 protocol: a JSON greeting on connect, then for each command
the answer {"<cmd>": ANSWERS[<cmd>]} (null when unknown). Serves connections
one after another and exits after 20 s or when the socket file is removed.
"""
import json
import os
import socket
import sys
import time

path, answers = sys.argv[1], json.load(open(sys.argv[2]))
srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
srv.bind(path)
srv.listen(4)
srv.settimeout(0.2)
end = time.monotonic() + 20
while time.monotonic() < end and os.path.exists(path):
    try:
        c, _ = srv.accept()
    except socket.timeout:
        continue
    c.send(json.dumps({"version": "fake", "pid": os.getpid(), "max_output_len": 16384}).encode())
    c.settimeout(2)
    try:
        while True:
            cmd = c.recv(1024).decode()
            if not cmd:
                break
            c.send(json.dumps({cmd: answers.get(cmd)}).encode())
    except (socket.timeout, OSError):
        pass
    c.close()
