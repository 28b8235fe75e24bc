#!/usr/bin/env python3
"""Captures what a real redis-server sends the primary it is told to replicate, for the relay's unit tests.

kvmove relays a full sync to a target by answering the target's replica handshake itself. This script plays
that primary for a real redis-server (started with --masterauth), answers PING, AUTH and REPLCONF, sends
+FULLRESYNC and a real RDB as `$EOF:<mark>`, and records every byte the replica sent:

  Tests/KVMoveSyncTests/Fixtures/relay-handshake.bin   PING … PSYNC, then the REPLCONF ACK it sends once loaded
  Tests/KVMoveSyncTests/Fixtures/relay-handshake.json  the secret it authenticated with and the offset it acked

Run it again only when the fixture must change; the tests read the committed files.
Usage: scripts/capture-relay-fixture.py [redis-server]
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

SERVER = sys.argv[1] if len(sys.argv) > 1 else "redis-server"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "KVMoveSyncTests", "Fixtures")
SECRET = "0123456789abcdef0123456789abcdef01234567"
OFFSET = 4242


def start(directory, *arguments):
    sock = os.path.join(directory, "redis.sock")
    process = subprocess.Popen(
        [SERVER, "--port", "0", "--unixsocket", sock, "--save", "", "--dir", directory, *arguments],
        stdout=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(sock):
            return process, sock
        time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def cli(sock, *arguments):
    return subprocess.run(["redis-cli", "-s", sock, *arguments], check=True, capture_output=True).stdout


def frames(buffer):
    """Complete RESP arrays at the front of buffer, and what is left."""
    found = []
    while buffer.startswith(b"*"):
        lines = buffer.split(b"\r\n")
        count = int(lines[0][1:])
        if len(lines) < 2 + 2 * count:
            break
        found.append([lines[2 + 2 * i] for i in range(count)])
        buffer = buffer[len(b"\r\n".join(lines[:1 + 2 * count])) + 2:]
    return found, buffer


def main():
    with tempfile.TemporaryDirectory() as source_dir, tempfile.TemporaryDirectory() as replica_dir:
        source, source_sock = start(source_dir)
        replica, replica_sock = start(replica_dir, "--masterauth", SECRET)
        try:
            cli(source_sock, "SET", "relayed", "value")
            rdb_path = os.path.join(source_dir, "snapshot.rdb")
            cli(source_sock, "--rdb", rdb_path)
            rdb = open(rdb_path, "rb").read()
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            cli(replica_sock, "REPLICAOF", "127.0.0.1", str(listener.getsockname()[1]))
            connection, _ = listener.accept()
            connection.settimeout(10)
            recorded, pending, synced = b"", b"", False
            while not synced:
                data = connection.recv(65536)
                if not data:
                    raise SystemExit("the replica closed the connection")
                recorded += data
                pending += data
                commands, pending = frames(pending)
                for command in commands:
                    name = command[0].upper()
                    if name == b"PING":
                        connection.sendall(b"+PONG\r\n")
                    elif name == b"PSYNC":
                        mark = b"m" * 40
                        connection.sendall(
                            b"+FULLRESYNC " + b"r" * 40 + b" %d\r\n$EOF:" % OFFSET + mark + b"\r\n" + rdb + mark)
                        synced = True
                    else:
                        connection.sendall(b"+OK\r\n")
            while b"ACK" not in recorded.split(b"PSYNC", 1)[1]:
                recorded += connection.recv(65536)
            assert cli(replica_sock, "GET", "relayed") == b"value\n", "the replica did not load the snapshot"
            with open(os.path.join(OUT, "relay-handshake.bin"), "wb") as out:
                out.write(recorded)
            with open(os.path.join(OUT, "relay-handshake.json"), "w") as out:
                json.dump({"secret": SECRET, "ackedOffset": OFFSET,
                           "server": cli(replica_sock, "INFO", "server").decode().split("redis_version:")[1].split()[0]},
                          out, indent=2)
                out.write("\n")
        finally:
            replica.terminate()
            source.terminate()


if __name__ == "__main__":
    main()
