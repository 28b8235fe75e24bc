"""The HTTP front: signature check, the contract check against the official SDK's models (requests and answers,
`contract.py`), fault injection, call counting, dispatch, and the `/__fake/` control API.

One server answers every product; the action and version (`x-acs-action`/`x-acs-version`, or the V2 `Action`
and `Version` query parameters) pick the handler, so all endpoint overrides may point at the same port.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from . import contract, kvstore, sts, vpc
from .errors import ApiError
from .signing import V2_PARAMS, Verifier, check_timestamp
from .world import CONFIG_DEFAULTS, SITES, World, request_id

PRODUCTS = {kvstore.VERSION: kvstore.ACTIONS, vpc.VERSION: vpc.ACTIONS, sts.VERSION: sts.ACTIONS}
PROTOCOL_PARAMS = set(V2_PARAMS) | {"Action", "Version", "Format", "SecurityToken"}
CONTROL = "/__fake/"


class ContractViolation(ApiError):
    """A request the official SDK would not send (400), or an answer the fake must not give (500)."""

    def __init__(self, kind: str, messages: list[str]) -> None:
        if kind == "request":
            super().__init__(400, "Contract.Violation", "; ".join(messages))
        else:
            super().__init__(500, "FakeCloud.ResponseNotInModel", "; ".join(messages))
        self.kind = kind
        self.messages = messages


class FakeCloudServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, world: World) -> None:
        super().__init__(address, Handler)
        self.world = world
        self.verifier = Verifier(world.secret_for, world.note_nonce)


class Handler(BaseHTTPRequestHandler):
    server: FakeCloudServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # quiet; the call log is the record
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    # -- plumbing ----------------------------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str = "application/json",
              extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value: object, extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(value).encode(), extra=extra)

    def _error(self, error: ApiError, rid: str) -> None:
        self._json(error.status, {"RequestId": rid, "HostId": self.headers.get("host", ""), "Code": error.code,
                                  "Message": error.message, "Recommend": "https://api.aliyun.com/troubleshoot"},
                   extra={"x-acs-request-id": rid} | error.headers)

    def _read_chunked(self) -> bytes:
        parts = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _handle(self) -> None:
        url = urlsplit(self.path)
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]},{value.strip()}" if key in headers else value.strip()
        world = self.server.world
        if url.path.startswith(CONTROL):
            self._control(url.path[len(CONTROL):], body)
            return
        if url.path.startswith("/latest/"):
            with world.lock:
                status, content_type, text = sts.metadata(world, self.command, url.path, headers)
                world.record_call("ECSMetadata", {"path": url.path}, status, None, None)
                world.save()
            self._send(status, text.encode(), content_type)
            return
        self._api(url, headers, body)

    def _api(self, url, headers: dict[str, str], body: bytes) -> None:
        world = self.server.world
        rid = request_id()
        pairs = parse_qsl(url.query, keep_blank_values=True)
        query = dict(pairs)
        params = dict(query)
        form = headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
        form_pairs = parse_qsl(body.decode(), keep_blank_values=True) if form and body else []
        params.update(form_pairs)
        action = headers.get("x-acs-action") or params.get("Action", "")
        version = headers.get("x-acs-version") or params.get("Version", "")
        with world.lock:  # counted on arrival, before any check: a client killed mid-call still shows here
            world.data.setdefault("received", {})[action] = world.data.get("received", {}).get(action, 0) + 1
        signer = None
        fault = None
        carried_out = False
        try:
            if len(pairs) != len(query):
                raise ApiError(400, "InvalidParameter", "A query parameter was given twice.")
            actions = PRODUCTS.get(version)
            if actions is None or action not in actions:
                raise ApiError(404, "InvalidAction.NotFound",
                               f"Specified api is not found, please check your url and method. ({action} {version})")
            handler = actions[action]
            if "authorization" in headers:
                signer = self.server.verifier.verify_v3(self.command, url.path or "/", query, headers, body)
            elif version == sts.VERSION and "Signature" in params:
                signer = self.server.verifier.verify_v2(self.command, query if not form else params)
            elif action not in sts.ANONYMOUS:
                raise ApiError(400, "IncompleteSignature",
                               "The request signature does not conform to Aliyun standards. (no Authorization)")
            elif "Timestamp" in params:  # the classic RPC form the credentials libraries send, unsigned
                check_timestamp(params["Timestamp"])
            business = {k: v for k, v in params.items() if k not in PROTOCOL_PARAMS}
            # The official SDK's models decide which parameters exist, their types and which are required.
            violations = contract.check_request(version, action, pairs + form_pairs)
            if violations:
                raise ContractViolation("request", violations)
            with world.lock:
                world.advance()
                fault = world.take_fault(action)
                world.save()
            if fault and fault["kind"] == "slow":
                time.sleep(float(fault.get("delay", 1)))
            if fault and fault["kind"] == "throttle":
                # x-acs-retry-after is in milliseconds, as the official SDKs read it (DaraCore.get_backoff_time).
                retry = {"x-acs-retry-after": str(fault["retry_after"])} if "retry_after" in fault else {}
                raise ApiError(400, fault.get("code", "Throttling.User"), "Request was denied due to user flow control.",
                               headers=retry)
            if fault and fault["kind"] == "error":
                raise ApiError(int(fault.get("status", 503)), fault.get("code", "ServiceUnavailable"),
                               "The request has failed due to a temporary failure of the server.")
            with world.lock:
                world.advance()
                result = handler(world, business)
                world.record_call(action, business, 200, None, signer.access_key_id if signer else None, rid)
                world.save()
                carried_out = True
            if fault and fault["kind"] == "after_error":  # carried out, then the answer is lost
                raise ApiError(int(fault.get("status", 500)), fault.get("code", "InternalError"),
                               "The request processing has failed due to some unknown error.")
            answer = {"RequestId": rid} | result
            problems = contract.check_response(version, action, answer)
            if problems:  # the fake's own bug: an answer with a field the SDK's response model lacks
                raise ContractViolation("response", problems)
            self._json(200, answer, extra={"x-acs-request-id": rid})
        except ApiError as error:
            with world.lock:
                if isinstance(error, ContractViolation):
                    world.data.setdefault("contract_violations", []).append(
                        {"action": action, "messages": error.messages, "kind": error.kind})
                if not carried_out:
                    world.record_call(action, {k: v for k, v in params.items() if k not in PROTOCOL_PARAMS},
                                      error.status, error.code, signer.access_key_id if signer else None, rid)
                else:
                    world.data["log"][-1]["answered"] = {"status": error.status, "code": error.code}
                world.save()
            self._error(error, rid)

    # -- control API -------------------------------------------------------------------------------------------

    def _control(self, path: str, body: bytes) -> None:
        world = self.server.world
        payload = json.loads(body) if body else {}
        with world.lock:
            world.advance()
            if path == "health":
                self._json(200, {"ok": True})
            elif path == "seed" and self.command == "POST":
                self._json(200, seed(world, payload))
            elif path == "faults" and self.command == "POST":
                world.data["faults"].extend(payload if isinstance(payload, list) else [payload])
                world.save()
                self._json(200, {"faults": world.data["faults"]})
            elif path == "faults" and self.command == "DELETE":
                world.data["faults"] = []
                world.save()
                self._json(200, {})
            elif path == "calls" and self.command == "GET":
                self._json(200, {"counts": world.data["calls"], "received": world.data.get("received", {}),
                                 "log": world.data["log"],
                                 "contract_violations": world.data.get("contract_violations", [])})
            elif path == "calls" and self.command == "DELETE":
                world.data["calls"], world.data["log"], world.data["received"] = {}, [], {}
                world.data["contract_violations"] = []
                world.save()
                self._json(200, {})
            elif path == "config" and self.command == "POST":
                problem = config_problem(payload)
                if problem:
                    self._json(400, {"error": problem})
                    return
                world.data["config"].update(payload)
                world._refresh_groups()  # auto_release_empty_group back on releases emptied groups at once
                world.save()
                self._json(200, {k: world.setting(k) for k in CONFIG_DEFAULTS} | world.data["config"])
            elif path == "state" and self.command == "GET":
                self._json(200, public_state(world))
            elif path == "shutdown" and self.command == "POST":
                world.shutdown()
                self._json(200, {})
                threading.Thread(target=self.server.shutdown, daemon=True).start()
            else:
                self._json(404, {"error": f"no control endpoint {self.command} {CONTROL}{path}"})


def config_problem(payload: object) -> str | None:
    """Why a `POST /__fake/config` body is refused (None when it is fine)."""
    if not isinstance(payload, dict):
        return "the config must be a JSON object"
    for name in CONFIG_DEFAULTS:
        if name == "site":
            if name in payload and payload[name] not in SITES:
                return f"site must be one of {list(SITES)}"
        elif name in payload and not isinstance(payload[name], bool):
            return f"{name} must be true or false"
    return None


def seed(world: World, payload: dict) -> dict:
    """Adds keys, roles, OIDC providers, the ECS role, VPCs, vSwitches and instances (`password`, `backed`,
    `security_ip_groups`)."""
    for key_id, secret in payload.get("access_keys", {}).items():
        world.data["access_keys"][key_id] = {"secret": secret, "token": None, "expires": None}
    for key_id, secret in payload.get("disabled_access_keys", {}).items():  # signed requests: InvalidAccessKeyId.Inactive
        world.data["access_keys"][key_id] = {"secret": secret, "token": None, "expires": None, "disabled": True}
    for key_id, key in payload.get("temporary_keys", {}).items():  # {secret, token, expires (epoch seconds)}
        world.data["access_keys"][key_id] = {"secret": key["secret"], "token": key["token"],
                                             "expires": key.get("expires")}
    for arn, role in payload.get("roles", {}).items():
        world.data["roles"][arn] = role
    for arn, provider in payload.get("oidc_providers", {}).items():
        world.data["oidc_providers"][arn] = provider
    if "ecs_role" in payload:
        world.data["ecs_role"] = payload["ecs_role"]
    for item in payload.get("vpcs", []):
        world.data["vpcs"][item["VpcId"]] = item
    for item in payload.get("vswitches", []):
        world.data["vswitches"][item["VSwitchId"]] = item
    made = []
    for item in payload.get("instances", []):
        fields = {k: v for k, v in item.items() if k not in ("password", "backed", "security_ip_groups")}
        instance = world.add_instance(fields, item.get("password"), backed=item.get("backed", True),
                                      security_ip_groups=item.get("security_ip_groups"))
        made.append({"InstanceId": instance["InstanceId"], "Port": instance["Port"]})
    world.save()
    return {"instances": made}


def public_state(world: World) -> dict:
    """The state for tests to assert on; passwords and keys' secrets are left out."""
    instances = {i: {k: v for k, v in r.items() if k not in ("_password",)} for i, r in world.data["instances"].items()}
    return {"instances": instances, "groups": world.data["groups"], "created": world.data["created"],
            "tokens": list(world.data["tokens"]), "faults": world.data["faults"], "config": world.data["config"]}
