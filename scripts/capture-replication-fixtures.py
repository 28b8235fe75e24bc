#!/usr/bin/env python3
"""Captures what a real redis-server sends a replica, for kvmove's replication unit tests.

Writes into Tests/KVMoveSyncTests/Fixtures/:
  <name>.bin   every byte the master sent on the replica connection, from the first reply on
  <name>.json  what the test checks against: the PSYNC reply, the master's offset afterwards, and
               for the dataset fixture every key's DUMP payload and PEXPIRETIME

Fixtures:
  diskless      PING … PSYNC ? -1 with capa eof: +FULLRESYNC, `$EOF:<mark>` RDB, then a command stream
  disk          the same with repl-diskless-sync no: `\n` keep-alives and a `$<len>` RDB
  continue      PSYNC <replid> <offset+1> after a cut: +CONTINUE and the backlog
  dataset       a small "hostile" dataset (every 7.0 type and encoding, binary and long keys, TTLs,
                several dbs, a function library) sent as a `$<len>` RDB

Run it again only when the fixtures must change; the tests read the committed files.
Usage: scripts/capture-replication-fixtures.py [redis-server]
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


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def encode(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        if isinstance(a, int):
            a = str(a).encode()
        elif isinstance(a, str):
            a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b":"):
            return rest.decode()
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2 :]
            return data
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError("bad reply %r" % line)

    def call(self, *args):
        self.sock.sendall(encode(*args))
        return self._reply()


def start(directory, extra):
    port = free_port()
    args = [
        SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", directory, "--daemonize", "no", "--enable-debug-command", "local",
        "--repl-diskless-sync-delay", "0", "--repl-backlog-size", "16mb", "--repl-ping-replica-period", "1",
    ] + extra
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            c = Client(port)
            c.call("PING")
            return proc, port
        except (OSError, RuntimeError):
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def replica_session(port, psync, after_rdb=None, settle=1.5, writer=None):
    """Runs a replica handshake; returns every byte received and the PSYNC reply line."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(0.2)
    received = bytearray()
    for cmd in (encode("PING"), encode("REPLCONF", "listening-port", "6380"),
                encode("REPLCONF", "capa", "eof", "capa", "psync2"), encode("PSYNC", *psync)):
        s.sendall(cmd)
        time.sleep(0.15)
    end = time.time() + settle
    acked = False
    quiet = False
    while time.time() < end + 1.2:
        if not quiet and time.time() >= end:
            # Stop the master's pings so that the offset read afterwards is exactly what was received.
            quiet = True
            Client(port).call("CONFIG", "SET", "repl-ping-replica-period", "3600")
        try:
            data = s.recv(65536)
            if not data:
                break
            received += data
        except socket.timeout:
            pass
        # After the RDB, the master streams only once it sees an ACK.
        s.sendall(encode("REPLCONF", "ACK", "0"))
        if not acked and after_rdb and len(received) > 0:
            acked = True
            time.sleep(0.2)
            after_rdb()
    s.close()
    return bytes(received)


def stream_writes(port):
    c = Client(port)
    c.call("SET", "stream:a", "1")
    c.call("INCR", "stream:counter")
    c.call("SET", "stream:ttl", "v", "EX", "100")
    c.call("SELECT", "3")
    c.call("RPUSH", "stream:list", "x", "y")
    c.call("SELECT", "0")
    c.call("EVAL", "redis.call('SET', KEYS[1], 'a'); redis.call('SET', KEYS[2], 'b')", "2", "stream:e1", "stream:e2")
    c.call("MULTI")
    c.call("HSET", "stream:h", "f", "v")
    c.call("SADD", "stream:s", "m")
    c.call("EXEC")
    c.call("SET", b"stream:bin\x00\xff\r\n", b"\x00\x01\r\n$*")
    c.call("DEL", "stream:a")


def offset(port):
    info = Client(port).call("INFO", "replication").decode()
    for line in info.splitlines():
        if line.startswith("master_repl_offset:"):
            return int(line.split(":")[1])
    raise RuntimeError("no master_repl_offset")


def replid(port):
    info = Client(port).call("INFO", "replication").decode()
    for line in info.splitlines():
        if line.startswith("master_replid:"):
            return line.split(":")[1].strip()
    raise RuntimeError("no master_replid")


def seed_small(port):
    c = Client(port)
    c.call("SET", "foo", "bar")
    c.call("SET", "n", "10")
    c.call("RPUSH", "l", "a", "b", "c")
    c.call("SET", "ttl", "v", "PX", "3600000")


def seed_dataset(port):
    c = Client(port)
    c.call("SET", "str:int", "12345")
    c.call("SET", "str:neg", "-7")
    c.call("SET", "str:big-int", "4294967296")
    c.call("SET", "str:raw", "hello world")
    c.call("SET", "str:long", "x" * 300)  # LZF-compressed
    c.call("SET", "str:random", bytes(range(256)) * 4)
    c.call("SET", "k" * 1000, "a key of 1000 bytes, LZF-compressed in the RDB")
    c.call("SET", b"bin\x00\xff\r\n\x01key", b"\x00\xfe")
    c.call("SET", "12", "an integer-encoded key")
    c.call("SET", "ttl:ms", "v", "PX", "86400000")
    c.call("HSET", "ttl:hash", "f", "v")
    c.call("PEXPIRE", "ttl:hash", "86400000")
    c.call("RPUSH", "list:small", "a", "b", "1", "2")
    c.call("RPUSH", "list:quick", *["element-%05d-%s" % (i, "p" * 40) for i in range(400)])
    c.call("SADD", "set:int", *range(50))
    c.call("SADD", "set:hash", *["member-%d" % i for i in range(200)])
    c.call("HSET", "hash:small", "a", "1", "b", "2")
    c.call("CONFIG", "SET", "hash-max-listpack-entries", "16")
    c.call("CONFIG", "SET", "list-max-listpack-size", "4")
    c.call("RPUSH", "list:nodes", *["n%d" % i for i in range(30)])
    c.call("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100")
    c.call("RPUSH", "list:plain", "small", "P" * 300, "small again")
    args = []
    for i in range(200):
        args += ["field-%d" % i, "value-%d" % i]
    c.call("HSET", "hash:table", *args)
    c.call("ZADD", "zset:small", "1.5", "a", "-2", "b", "inf", "c")
    args = []
    for i in range(200):
        args += [str(i * 0.1), "member-%d" % i]
    c.call("ZADD", "zset:skip", *args)
    c.call("ZADD", "zset:skip", "-inf", "minus", "+inf", "plus")
    for i in range(30):
        c.call("XADD", "stream:events", "*", "n", str(i), "payload", "p" * (i % 7))
    c.call("XGROUP", "CREATE", "stream:events", "g1", "0")
    c.call("XGROUP", "CREATE", "stream:events", "g2", "$")
    c.call("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "stream:events", ">")
    c.call("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "stream:events", ">")
    c.call("XACK", "stream:events", "g1", c.call("XRANGE", "stream:events", "-", "+", "COUNT", "1")[0][0])
    c.call("XADD", "stream:empty", "1-1", "a", "b")
    c.call("XDEL", "stream:empty", "1-1")
    c.call("SELECT", "5")
    c.call("SET", "db5:key", "in db 5")
    c.call("LPUSH", "db5:list", "z")
    c.call("SELECT", "15")
    c.call("SET", "db15:key", "in db 15", "PX", "86400000")
    c.call("SELECT", "0")
    c.call("FUNCTION", "LOAD", "#!lua name=kvmovelib\nredis.register_function('kvmove_echo', function(keys, args) return args[1] end)")


def describe_dataset(port):
    """Every key with its db, DUMP payload (hex) and PEXPIRETIME."""
    c = Client(port)
    keys = []
    for db in range(16):
        c.call("SELECT", str(db))
        cursor = "0"
        found = []
        while True:
            cursor, batch = c.call("SCAN", cursor, "COUNT", "1000")
            found += batch
            cursor = cursor.decode()
            if cursor == "0":
                break
        for key in sorted(found):
            keys.append({
                "db": db,
                "key": key.hex(),
                "dump": c.call("DUMP", key).hex(),
                "pexpiretime": int(c.call("PEXPIRETIME", key)),
            })
    c.call("SELECT", "0")
    functions = c.call("FUNCTION", "DUMP").hex()
    return keys, functions


def capture_pair(name, extra, seed, describe=False):
    with tempfile.TemporaryDirectory() as directory:
        proc, port = start(directory, extra)
        try:
            Client(port).call("CONFIG", "SET", "repl-ping-replica-period", "1")
            seed(port)
            meta = {}
            if describe:
                meta["keys"], meta["functionDump"] = describe_dataset(port)
                data = replica_session(port, ["?", "-1"], settle=1.0)
            else:
                data = replica_session(port, ["?", "-1"], after_rdb=lambda: stream_writes(port), settle=2.5)
            meta["masterReplOffset"] = offset(port)
            meta["replid"] = replid(port)
            write(name, data, meta)
            if name == "diskless":
                # Cut the connection at the master's offset, write more, and continue from there.
                cut = offset(port)
                c = Client(port)
                c.call("SET", "after:cut", "1")
                c.call("INCRBY", "after:counter", "5")
                Client(port).call("CONFIG", "SET", "repl-ping-replica-period", "1")
                more = replica_session(port, [replid(port), str(cut + 1)], settle=1.5)
                write("continue", more, {"requestedOffset": cut + 1, "masterReplOffset": offset(port),
                                         "replid": replid(port)})
        finally:
            proc.terminate()
            proc.wait()


def write(name, data, meta):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name + ".bin"), "wb") as f:
        f.write(data)
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")
    print("%s: %d bytes" % (name, len(data)))


capture_pair("diskless", ["--repl-diskless-sync", "yes"], seed_small)
capture_pair("disk", ["--repl-diskless-sync", "no"], seed_small)
capture_pair("dataset", ["--repl-diskless-sync", "no", "--rdbcompression", "yes"], seed_dataset, describe=True)
