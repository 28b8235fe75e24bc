"""The fake cloud's state: keys, networks, instances, groups, tokens, faults, the call log; kept in a JSON file.

Status changes are scheduled as `(due time, new fields)` and applied lazily whenever the world is touched,
so they move on their own (asynchronously, from a client's point of view) and survive a restart of the fake.
"""

from __future__ import annotations

import json
import os
import random
import string
import threading
import time
import uuid
from typing import Any

from . import redis_backend

SECRET_PARAMS = ("Password", "NewPassword", "AccountPassword", "OIDCToken", "SecurityToken")
# `POST /__fake/config` toggles; each default is the fake's behaviour before the toggle existed.
CONFIG_DEFAULTS: dict[str, Any] = {
    "auto_release_empty_group": True,  # a group whose last member left or was released disappears
    "tags_in_listing": True,           # DescribeInstances without a Tag filter still shows every item's Tags
    "clone_password": True,            # a child created without Password gets the group's first member's
    "clone_security_ips": True,        # a child gets the first member's whitelist groups (else only the default)
    "gdc_create_returns_id": True,     # CreateGlobalDistributeCache answers GlobalInstanceId and InstanceId
    "site": "china",                   # "international": GlobalInstanceId on CreateInstance/DeleteInstance refused
}
SITES = ("china", "international")
DEFAULT_SECURITY_IPS = [{"SecurityIpGroupName": "default", "SecurityIpList": "127.0.0.1",
                         "SecurityIpGroupAttribute": ""}]


def new_id(prefix: str, region: str = "") -> str:
    letters = "".join(random.choices(string.ascii_lowercase + string.digits, k=20))
    return f"{prefix}-{letters}"


def request_id() -> str:
    return str(uuid.uuid4()).upper()


class World:
    """All state, behind one lock, persisted atomically after every change."""

    def __init__(self, path: str, redis_server: str, work_dir: str, tick: float) -> None:
        self.path = path
        self.redis_server = redis_server
        self.work_dir = work_dir
        self.lock = threading.RLock()
        self.nonces: dict[str, float] = {}
        self.data: dict[str, Any] = {
            "config": {"tick": tick, "sts_duration_cap": None},
            "access_keys": {},      # id -> {secret, token, expires}
            "roles": {},            # arn -> {}
            "oidc_providers": {},   # arn -> {"tokens": [...]}
            "ecs_role": None,       # {"name": ...}
            "vpcs": {}, "vswitches": {}, "instances": {}, "groups": {},
            "tokens": {},           # "<action>/<token>" -> {"params", "response"}
            "created": [],          # every instance id a create action ever made
            "faults": [],
            "calls": {},            # action -> count
            "log": [],
            "contract_violations": [],  # {"action", "messages", "kind": "request" | "response"}
        }
        if os.path.exists(path):
            with open(path) as handle:
                self.data.update(json.load(handle))
            self.data["config"]["tick"] = tick if tick else self.data["config"]["tick"]
            self._adopt_servers()
        self.save()

    # -- persistence -------------------------------------------------------------------------------------------

    def save(self) -> None:
        with self.lock:
            temporary = f"{self.path}.tmp"
            with open(temporary, "w") as handle:
                json.dump(self.data, handle, indent=1, sort_keys=True)
            os.replace(temporary, self.path)

    def _adopt_servers(self) -> None:
        """After a restart: keep redis-servers that still run, restart the others on their old ports (empty)."""
        for instance in self.data["instances"].values():
            if not instance.get("_backed"):
                continue
            tls = instance.get("_tls")
            if not redis_backend.is_alive(instance.get("_pid"), instance.get("Port"), instance.get("_password"), tls):
                pid, port = redis_backend.start(self.redis_server, instance["_dir"], instance.get("_password"),
                                                instance.get("Port"), tls)
                instance["_pid"], instance["Port"] = pid, port
        for instance in self.data["instances"].values():
            self._sync_replication(instance)

    # -- time --------------------------------------------------------------------------------------------------

    def setting(self, name: str) -> Any:
        """A `POST /__fake/config` toggle (its default when never set, also for a state file from before it)."""
        return self.data["config"].get(name, CONFIG_DEFAULTS[name])

    @property
    def tick(self) -> float:
        return float(self.data["config"]["tick"])

    def schedule(self, record: dict, ticks: float, changes: dict, effect: str | None = None) -> None:
        record.setdefault("_pending", []).append({"due": time.time() + ticks * self.tick, "set": changes,
                                                  "effect": effect})

    def advance(self) -> None:
        """Applies every scheduled change whose time has come."""
        now = time.time()
        changed = False
        for kind in ("instances", "groups"):
            for record_id in list(self.data[kind]):
                record = self.data[kind].get(record_id)
                if record is None:
                    continue
                pending = record.get("_pending", [])
                while pending and pending[0]["due"] <= now:
                    step = pending.pop(0)
                    record.update(step["set"])
                    changed = True
                    if step.get("effect") == "delete":
                        self._delete_now(kind, record_id)
                        break
        if changed:
            self._refresh_groups()
            self.save()

    def _delete_now(self, kind: str, record_id: str) -> None:
        record = self.data[kind].pop(record_id)
        if kind == "instances":
            redis_backend.stop(record.get("_pid"), record.get("_dir"))
            for group in self.data["groups"].values():
                if record_id in group["members"]:
                    group["members"].remove(record_id)

    def _refresh_groups(self) -> None:
        """A group with no member left is released (as the docs say); its status follows its members.

        With `auto_release_empty_group` false an emptied group stays listed, Normal, with no members.
        """
        for group_id in list(self.data["groups"]):
            group = self.data["groups"][group_id]
            if not group["members"]:
                if self.setting("auto_release_empty_group"):
                    del self.data["groups"][group_id]
                else:
                    group["Status"] = "Normal"
                continue
            if group["Status"] != "Creating":
                statuses = [self.data["instances"][m]["InstanceStatus"] for m in group["members"]
                            if m in self.data["instances"]]
                group["Status"] = "Normal" if all(s == "Normal" for s in statuses) else "Changing"

    # -- instances ---------------------------------------------------------------------------------------------

    def add_instance(self, fields: dict, password: str | None, backed: bool = True,
                     security_ip_groups: list[dict] | None = None) -> dict:
        instance_id = fields.get("InstanceId") or new_id("r")
        cloud_native = str(fields.get("InstanceClass", "")).startswith("tair.rdb.")
        instance = {
            "InstanceId": instance_id, "InstanceName": instance_id, "InstanceStatus": "Normal",
            "RegionId": "cn-hangzhou", "ZoneId": "cn-hangzhou-h", "SecondaryZoneId": "", "NetworkType": "VPC",
            "VpcId": "", "VSwitchId": "", "InstanceClass": "redis.amber.master.2g.default", "RealInstanceClass": "",
            "EngineVersion": "5.0", "InstanceType": "Tair", "EditionType": "Enterprise", "ArchitectureType": "standard",
            "ComputingType": "Ecs" if cloud_native else "Machine", "NodeType": "double", "ShardCount": 1, "Capacity": 2048, "ChargeType": "PostPaid",
            "IsOrderCompleted": True, "GlobalInstanceId": "", "PrivateIp": "127.0.0.1", "Port": 0,
            "ConnectionDomain": "127.0.0.1", "DirectConnection": 0, "InstanceReleaseProtection": False,
            "CreateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "EndTime": "",
            "MinorVersion": "redis-5.0_1.0.0", "LatestMinorVersion": "redis-5.0_1.0.0",
            "Tags": {}, "ResourceGroupId": "rg-default",
        }
        instance.update(fields)
        instance["InstanceId"] = instance_id
        instance["_password"] = password
        instance["_backed"] = backed
        instance["_security_ip_groups"] = [
            {"SecurityIpGroupName": g["SecurityIpGroupName"], "SecurityIpList": g.get("SecurityIpList", ""),
             "SecurityIpGroupAttribute": g.get("SecurityIpGroupAttribute", "")}
            for g in (security_ip_groups if security_ip_groups is not None else DEFAULT_SECURITY_IPS)]
        instance["_dir"] = os.path.join(self.work_dir, instance_id)
        # An SSL-enabled instance: `POST /__fake/config {"redis_tls": {cert_file, key_file, ca_file}}` first.
        instance["_tls"] = self.data["config"].get("redis_tls") if backed else None
        if backed:
            instance["_pid"], instance["Port"] = redis_backend.start(self.redis_server, instance["_dir"], password,
                                                                     tls=instance["_tls"])
        else:
            instance["Port"] = instance.get("Port") or 6379
        self.data["instances"][instance_id] = instance
        return instance

    def instance(self, instance_id: str) -> dict | None:
        return self.data["instances"].get(instance_id)

    def _sync_replication(self, instance: dict) -> None:
        """Makes the real servers match the group: a later child replicates from the group's first member."""
        master_id = instance.get("_replicaof")
        master = self.data["instances"].get(master_id) if master_id else None
        if not instance.get("_backed"):
            return
        try:
            if master and master.get("_backed"):
                redis_backend.replicate(instance["Port"], instance["_password"], master["Port"], master["_password"],
                                        instance.get("_tls"))
            else:
                redis_backend.stop_replicating(instance["Port"], instance["_password"], instance.get("_tls"))
        except (OSError, RuntimeError, ConnectionError):
            pass

    def join_replication(self, child: dict, master: dict) -> None:
        child["_replicaof"] = master["InstanceId"]
        self._sync_replication(child)

    def leave_replication(self, instance: dict) -> None:
        instance["_replicaof"] = None
        self._sync_replication(instance)
        for other in self.data["instances"].values():  # a member that fed others stops feeding them too
            if other.get("_replicaof") == instance["InstanceId"]:
                other["_replicaof"] = None
                self._sync_replication(other)

    def shutdown(self) -> None:
        for instance in self.data["instances"].values():
            redis_backend.stop(instance.get("_pid"))
            instance["_pid"] = None
        self.save()

    # -- auth --------------------------------------------------------------------------------------------------

    def secret_for(self, access_key_id: str):
        """(secret, token or None, expires or None, disabled) of a known key, else None."""
        key = self.data["access_keys"].get(access_key_id)
        if key is None:
            return None
        return key["secret"], key.get("token"), key.get("expires"), bool(key.get("disabled"))

    def note_nonce(self, nonce: str) -> bool:
        now = time.time()
        with self.lock:
            for old in [n for n, t in self.nonces.items() if now - t > 15 * 60]:
                del self.nonces[old]
            if nonce in self.nonces:
                return False
            self.nonces[nonce] = now
            return True

    def issue_temporary_key(self, duration: int) -> dict:
        cap = self.data["config"].get("sts_duration_cap")
        lifetime = min(duration, cap) if cap else duration
        expires = int(time.time()) + int(lifetime)
        key_id = "STS." + "".join(random.choices(string.ascii_letters + string.digits, k=24))
        secret = "".join(random.choices(string.ascii_letters + string.digits, k=30))
        token = "CAIS" + "".join(random.choices(string.ascii_letters + string.digits + "+/=", k=60))
        self.data["access_keys"][key_id] = {"secret": secret, "token": token, "expires": expires}
        return {"AccessKeyId": key_id, "AccessKeySecret": secret, "SecurityToken": token,
                "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))}

    # -- calls -------------------------------------------------------------------------------------------------

    def record_call(self, action: str, params: dict, status: int, code: str | None, key: str | None,
                    request_id: str | None = None) -> None:
        shown = {k: ("(redacted)" if k in SECRET_PARAMS else v) for k, v in params.items()}
        self.data["calls"][action] = self.data["calls"].get(action, 0) + 1
        self.data["log"].append({"time": time.time(), "action": action, "params": shown, "status": status,
                                 "code": code, "access_key_id": key, "request_id": request_id})

    def take_fault(self, action: str) -> dict | None:
        for fault in self.data["faults"]:
            if fault.get("action", "*") in ("*", action) and fault.get("times", 1) > 0:
                if fault.get("skip", 0) > 0:
                    fault["skip"] -= 1
                    continue
                fault["times"] = fault.get("times", 1) - 1
                return fault
        return None
