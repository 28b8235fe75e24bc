"""Real `redis-server` processes behind the fake instances, and the one-way replication that stands in for a group.

The fake's group channel is plain Redis replication from the group's first member into each later child
(`REPLICAOF` on the child, with `replica-read-only no` so the child stays writable as a real child is). It is
one-way: writes on a child do not reach the source. `RemoveSubInstance` drops it with `REPLICAOF NO ONE`.

An instance started with `tls` files (`cert_file`, `key_file`, `ca_file`) listens with TLS only, as an
SSL-enabled cloud instance does, and replicates over TLS.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import time


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _encode(*args: str) -> bytes:
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def _read_reply(stream) -> object:
    line = stream.readline()
    if not line:
        raise ConnectionError("redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        return None if size < 0 else stream.read(size + 2)[:-2].decode(errors="replace")
    if kind == b"*":
        return [_read_reply(stream) for _ in range(int(rest))]
    raise RuntimeError(f"unexpected reply {line!r}")


def command(port: int, password: str | None, *args: str, timeout: float = 2.0, tls: dict | None = None) -> object:
    """Sends one command (after AUTH) to the server on 127.0.0.1:port and returns its reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as plain:
        conn = plain
        if tls:
            context = ssl.create_default_context(cafile=tls["ca_file"])
            conn = context.wrap_socket(plain, server_hostname="127.0.0.1")
        stream = conn.makefile("rb")
        commands = ([("AUTH", password)] if password else []) + [("CLIENT", "SETNAME", "kvmove-fakecloud"), args]
        conn.sendall(b"".join(_encode(*item) for item in commands))
        replies = [_read_reply(stream) for _ in commands]
        return replies[-1]


def is_alive(pid: int | None, port: int | None, password: str | None, tls: dict | None = None) -> bool:
    if not pid or not port:
        return False
    try:
        os.kill(pid, 0)
        return command(port, password, "PING", timeout=0.5, tls=tls) == "PONG"
    except (OSError, RuntimeError, ConnectionError):
        return False


def start(executable: str, directory: str, password: str | None, port: int | None = None,
          tls: dict | None = None) -> tuple[int, int]:
    """Starts a redis-server (its own session, so it outlives a killed fake) and returns (pid, port)."""
    os.makedirs(directory, exist_ok=True)
    last = ""
    for _ in range(5):
        chosen = port or free_port()
        arguments = [executable, "--port", str(chosen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                     "--dir", directory, "--logfile", os.path.join(directory, "redis.log"), "--daemonize", "no",
                     "--replica-read-only", "no"]
        if password:
            arguments += ["--requirepass", password]
        if tls:
            arguments[1:3] = ["--port", "0"]
            arguments += ["--tls-port", str(chosen), "--tls-cert-file", tls["cert_file"], "--tls-key-file",
                          tls["key_file"], "--tls-ca-cert-file", tls["ca_file"], "--tls-auth-clients", "no",
                          "--tls-replication", "yes"]
        process = subprocess.Popen(arguments, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 10
        while time.time() < deadline and process.poll() is None:
            if is_alive(process.pid, chosen, password, tls):
                return process.pid, chosen
            time.sleep(0.02)
        if process.poll() is None:
            process.kill()
        try:
            with open(os.path.join(directory, "redis.log")) as log:
                last = log.read()[-400:]
        except OSError:
            pass
        port = None
    raise RuntimeError(f"redis-server did not start: {last}")


def stop(pid: int | None, directory: str | None = None) -> None:
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass
    if directory:
        shutil.rmtree(directory, ignore_errors=True)


def replicate(port: int, password: str | None, master_port: int, master_password: str | None,
              tls: dict | None = None) -> None:
    """Makes the server on `port` a replica of the one on `master_port` (the fake group's channel)."""
    if master_password:
        command(port, password, "CONFIG", "SET", "masterauth", master_password, tls=tls)
    command(port, password, "REPLICAOF", "127.0.0.1", str(master_port), tls=tls)


def stop_replicating(port: int, password: str | None, tls: dict | None = None) -> None:
    command(port, password, "REPLICAOF", "NO", "ONE", tls=tls)
