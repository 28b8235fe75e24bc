"""Starts a fake cloud per test on a free loopback port and gives tests official-SDK clients for it."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)  # `import fakecloud` also when pytest runs from the repository root
AK, SK = "LTAIfaketest000001", "fake-secret-Zx9/+="


class Fake:
    def __init__(self, directory: str, tick: float = 0.05) -> None:
        self.directory = directory
        self.tick = tick
        self.process: subprocess.Popen | None = None
        self.port = 0

    def start(self) -> None:
        port_file = os.path.join(self.directory, "port")
        if os.path.exists(port_file):
            os.remove(port_file)
        self.process = subprocess.Popen([sys.executable, os.path.join(HERE, "serve.py"), "--state",
                                         os.path.join(self.directory, "state.json"), "--tick", str(self.tick),
                                         "--port-file", port_file, "--port", str(self.port)],
                                        stdout=subprocess.DEVNULL)
        deadline = time.time() + 20
        while not os.path.exists(port_file):
            assert self.process.poll() is None, "the fake cloud exited"
            assert time.time() < deadline, "the fake cloud did not start"
            time.sleep(0.02)
        self.port = int(open(port_file).read())

    def control(self, method: str, path: str, payload: object | None = None) -> dict:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/__fake/{path}", data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def kill(self) -> None:
        if self.process:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        try:
            self.control("POST", "shutdown")
        except OSError:
            if self.process and self.process.poll() is None:
                self.process.terminate()  # a fake that could not answer the shutdown
        if self.process:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def sdk_client(port: int, version: str, access_key_id: str = AK, secret: str = SK, token: str | None = None):
    from alibabacloud_tea_openapi.client import Client
    from alibabacloud_tea_openapi.models import Config

    config = Config(access_key_id=access_key_id, access_key_secret=secret, security_token=token,
                    endpoint=f"127.0.0.1:{port}", protocol="http", region_id="cn-hangzhou")
    client = Client(config)

    def call(action: str, **query: str) -> dict:
        from alibabacloud_tea_openapi.models import OpenApiRequest, Params
        from darabonba.runtime import RuntimeOptions

        params = Params(action=action, version=version, protocol="HTTP", pathname="/", method="POST",
                        auth_type="AK", style="RPC", req_body_type="formData", body_type="json")
        return client.call_api(params, OpenApiRequest(query=query), RuntimeOptions())["body"]

    return call


STANDARD = {
    "access_keys": {AK: SK},
    "vpcs": [{"VpcId": "vpc-old", "RegionId": "cn-hangzhou"}, {"VpcId": "vpc-app", "RegionId": "cn-hangzhou"}],
    "vswitches": [{"VSwitchId": "vsw-old", "VpcId": "vpc-old", "ZoneId": "cn-hangzhou-h", "RegionId": "cn-hangzhou"},
                  {"VSwitchId": "vsw-app", "VpcId": "vpc-app", "ZoneId": "cn-hangzhou-k", "RegionId": "cn-hangzhou"}],
    "instances": [{"InstanceId": "r-source0001", "InstanceName": "orders", "ZoneId": "cn-hangzhou-h",
                   "VpcId": "vpc-old", "VSwitchId": "vsw-old", "password": "Src-Passw0rd!",
                   "MinorVersion": "redis-5.0_1.0.0", "LatestMinorVersion": "redis-5.0_1.2.0"}],
}


@contextlib.contextmanager
def running_fake():
    """A started fake seeded with the standard world, stopped afterwards (also when seeding fails)."""
    with tempfile.TemporaryDirectory(prefix="kvmove-fakecloud-") as directory:
        server = Fake(directory)
        try:
            server.start()
            server.control("POST", "seed", STANDARD)
            yield server
        finally:
            server.stop()


@pytest.fixture
def fake():
    with running_fake() as server:
        yield server


# The toggles of POST /__fake/config at their defaults (what a fresh fake does).
DEFAULT_CONFIG = {"tick": 0.05, "auto_release_empty_group": True, "tags_in_listing": True, "clone_password": True,
                  "clone_security_ips": True, "gdc_create_returns_id": True, "site": "china"}


@pytest.fixture(scope="module")
def shared_fake():
    """One fake for a whole module: for tests that use their own instance ids and reset what they change."""
    with running_fake() as server:
        yield server


@pytest.fixture
def cloud(shared_fake):
    """The module's fake with the default config, no faults and an empty call log."""
    shared_fake.control("POST", "config", DEFAULT_CONFIG)
    shared_fake.control("DELETE", "faults")
    shared_fake.control("DELETE", "calls")
    return shared_fake


# The API versions of the three products.
KV, VPC, STS = "2015-01-01", "2016-04-28", "2015-04-01"


def wait_for(predicate, timeout: float = 10.0):
    """Polls `predicate` until it returns something truthy (returned), or fails after `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")
