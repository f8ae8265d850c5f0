#!/usr/bin/env python3
"""An independent load generator, to check `switchyard bench` against (Python stdlib only).

Closed loop: each connection sends one request, reads the whole reply, checks it byte for byte,
and sends the next. Runs for a fixed time after a warm-up, then prints requests per second.

  pnpm lab py-echo-load PORT [--size 64] [--connections 1] [--seconds 3] [--warmup 0.5]
                             [--framing raw|length-prefixed] [--host 127.0.0.1]
"""
import argparse
import os
import selectors
import socket
import struct
import time

parser = argparse.ArgumentParser()
parser.add_argument("port", type=int)
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--size", type=int, default=64)
parser.add_argument("--connections", type=int, default=1)
parser.add_argument("--seconds", type=float, default=3.0)
parser.add_argument("--warmup", type=float, default=0.5)
parser.add_argument("--framing", choices=["raw", "length-prefixed"], default="raw")
args = parser.parse_args()

payload = os.urandom(args.size)
request = payload if args.framing == "raw" else struct.pack(">I", args.size) + payload

selector = selectors.DefaultSelector()
for _ in range(args.connections):
    sock = socket.create_connection((args.host, args.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setblocking(False)
    state = {"received": bytearray()}
    selector.register(sock, selectors.EVENT_READ, state)
    sock.sendall(request)

start = time.perf_counter()
window_start = start + args.warmup
deadline = window_start + args.seconds
completed = 0
errors = 0
while True:
    now = time.perf_counter()
    if now >= deadline:
        break
    for key, _ in selector.select(timeout=deadline - now):
        state = key.data
        chunk = key.fileobj.recv(1 << 20)
        if not chunk:
            raise SystemExit("server closed a connection")
        state["received"] += chunk
        if len(state["received"]) >= len(request):
            if bytes(state["received"][: len(request)]) != request:
                errors += 1
            del state["received"][: len(request)]
            if time.perf_counter() >= window_start:
                completed += 1
            key.fileobj.sendall(request)

print(f"{completed / args.seconds:.0f} req/s over {args.seconds:.1f} s, "
      f"{args.connections} connection(s), {args.size} B, {args.framing}, errors {errors}")
