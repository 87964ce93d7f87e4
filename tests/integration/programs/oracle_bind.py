#!/usr/bin/env python3
# The doctor oracle's probe as a script: the same protocol as oracle_bind.c.
import socket
import sys

print("started", flush=True)
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError as e:
    print("bind:", e)
    sys.exit(3)
print("bound")
