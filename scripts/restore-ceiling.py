#!/usr/bin/env python3
"""The target's own RESTORE ceiling, without kvmove: how fast one redis-server applies RESTORE at all.

Dumps one key of 100 random bytes, writes N `RESTORE key:<n> 0 <payload> REPLACE` commands as RESP, and
times `redis-cli --pipe` (a C client that only writes and counts replies) sending them to an empty
redis-server, nothing else running. It bounds what any RESTORE-based full sync can reach on this machine.
Usage: scripts/restore-ceiling.py [--keys N] [--runs R] [--unix]
"""
import argparse
import os
import random
import socket
import string
import subprocess
import tempfile
import time


def free_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def start(directory, port):
    sock = os.path.join(directory, "redis.sock")
    process = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--unixsocket", sock, "--save", "", "--appendonly", "no",
         "--dir", directory], stdout=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(sock):
            return process, sock
        time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def dump(sock, key):
    connection = socket.socket(socket.AF_UNIX)
    connection.connect(sock)
    connection.sendall(b"*2\r\n$4\r\nDUMP\r\n$%d\r\n%s\r\n" % (len(key), key))
    data = b""
    while b"\r\n" not in data:
        data += connection.recv(65536)
    header, rest = data.split(b"\r\n", 1)
    length = int(header[1:])
    while len(rest) < length + 2:
        rest += connection.recv(65536)
    return rest[:length]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--unix", action="store_true", help="send over the unix socket instead of loopback TCP")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        port = free_port()
        server, sock = start(directory, port)
        # Loopback TCP by default: the transport kvmove's channel writes to a target with.
        target = ["-s", sock] if arguments.unix else ["-h", "127.0.0.1", "-p", str(port)]
        try:
            value = "".join(random.choice(string.ascii_letters + string.digits) for _ in range(100))
            subprocess.run(["redis-cli", "-s", sock, "SET", "sample", value], check=True, stdout=subprocess.DEVNULL)
            payload = dump(sock, b"sample")
            commands = os.path.join(directory, "restore.resp")
            with open(commands, "wb") as out:
                for n in range(arguments.keys):
                    key = b"key:%d" % n
                    out.write(b"*5\r\n$7\r\nRESTORE\r\n$%d\r\n%s\r\n$1\r\n0\r\n$%d\r\n%s\r\n$7\r\nREPLACE\r\n"
                              % (len(key), key, len(payload), payload))
            for run in range(1, arguments.runs + 1):
                subprocess.run(["redis-cli", "-s", sock, "FLUSHALL"], check=True, stdout=subprocess.DEVNULL)
                started = time.monotonic()
                with open(commands, "rb") as source:
                    subprocess.run(["redis-cli", *target, "--pipe"], stdin=source, check=True,
                                   stdout=subprocess.DEVNULL)
                elapsed = time.monotonic() - started
                print(f"run {run}: RESTORE through redis-cli --pipe: {arguments.keys / elapsed:,.0f} keys/s "
                      f"({len(payload)}-byte payloads, {'unix socket' if arguments.unix else 'loopback TCP'})")
        finally:
            server.terminate()


if __name__ == "__main__":
    main()
