#!/usr/bin/env python3
"""Runs the fake Alibaba Cloud on 127.0.0.1 (see README.md). Prints `FAKECLOUD LISTENING <port>` when ready."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fakecloud import contract  # noqa: E402
from fakecloud.server import FakeCloudServer  # noqa: E402
from fakecloud.world import World  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--state", required=True, help="the JSON state file (kept across restarts)")
    parser.add_argument("--work-dir", help="where the redis-servers keep their files (default: beside the state)")
    parser.add_argument("--tick", type=float, default=1.0, help="seconds per status-change step")
    parser.add_argument("--redis-server", default=os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
                        or "redis-server")
    parser.add_argument("--port-file", help="also write the port here once listening")
    arguments = parser.parse_args()
    missing = contract.missing_sdks()
    if missing:  # the fake checks every request and answer against these SDKs' models
        sys.exit(f"the fake cloud needs the official SDK packages: python3 -m pip install -r "
                 f"{os.path.join(os.path.dirname(os.path.abspath(__file__)), 'requirements.txt')} "
                 f"(missing: {', '.join(missing)})")
    work_dir = arguments.work_dir or os.path.join(os.path.dirname(os.path.abspath(arguments.state)), "redis")
    world = World(arguments.state, arguments.redis_server, work_dir, arguments.tick)
    server = FakeCloudServer(("127.0.0.1", arguments.port), world)
    port = server.server_address[1]
    if arguments.port_file:
        with open(arguments.port_file + ".tmp", "w") as handle:
            handle.write(str(port))
        os.replace(arguments.port_file + ".tmp", arguments.port_file)
    print(f"FAKECLOUD LISTENING {port}", flush=True)
    threading.Thread(target=contract.warm_up, daemon=True).start()
    server.serve_forever(poll_interval=0.05)  # a quick exit after POST /__fake/shutdown


if __name__ == "__main__":
    main()
