"""R-KVStore 2015-01-01 actions: the instances, groups (distributed instances) and their status changes."""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import json
import re
import secrets
import time

from .errors import ApiError, busy, invalid, missing, not_found
from .world import DEFAULT_SECURITY_IPS, World, new_id

VERSION = "2015-01-01"
TAG = re.compile(r"^Tag\.([1-9][0-9]?)\.(Key|Value)$")


def tag_filter(params: dict) -> dict[str, str | None]:
    """`Tag.N.Key`/`Tag.N.Value` pairs; a key without a value (None) matches any value of that key."""
    pairs: dict[int, dict[str, str]] = {}
    for name, value in params.items():
        match = TAG.match(name)
        if match:
            pairs.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return {pair["Key"]: pair.get("Value") for _, pair in sorted(pairs.items()) if "Key" in pair}


def tags_of(params: dict) -> dict[str, str]:
    return {key: value or "" for key, value in tag_filter(params).items()}


def require(params: dict, *names: str) -> None:
    for name in names:
        if not params.get(name):
            raise missing(name)


def existing(world: World, instance_id: str) -> dict:
    instance = world.instance(instance_id)
    if instance is None or instance["InstanceStatus"] == "Released":
        raise not_found(instance_id)
    return instance


def page(params: dict, default: int = 30, maximum: int = 50) -> tuple[int, int]:
    try:
        number = int(params.get("PageNumber", "1"))
        size = int(params.get("PageSize", str(default)))
    except ValueError:
        raise invalid("PageSize")
    if number < 1:
        raise invalid("PageNumber")
    if size < 1 or size > maximum:
        raise invalid("PageSize", f"It must be between 1 and {maximum}.")
    return number, size


# Fields of the fake's instance record that no instance answer carries (they feed other answers).
INTERNAL = ("Tags", "MinorVersion", "LatestMinorVersion", "DirectConnection")
# Record fields the SDK's `DescribeInstancesResponseBodyInstancesKVStoreInstance` does not have.
NOT_IN_LISTING = ("IsOrderCompleted", "RealInstanceClass", "InstanceReleaseProtection")
# Record fields the SDK's `DescribeInstanceAttributeResponseBodyInstancesDBInstanceAttribute` does not have.
NOT_IN_ATTRIBUTE = ("EditionType",)


def public_fields(instance: dict, leave_out: tuple[str, ...] = (), tags: bool = True) -> dict:
    """The instance as an answer shows it (seeded fields too, so seeds must use the models' field names)."""
    shown = {k: v for k, v in instance.items() if not k.startswith("_") and k not in INTERNAL + leave_out}
    if tags:
        shown["Tags"] = {"Tag": [{"Key": k, "Value": v} for k, v in instance["Tags"].items()]}
    return shown


# -- observe -----------------------------------------------------------------------------------------------------

def describe_instances(world: World, params: dict) -> dict:
    require(params, "RegionId")
    number, size = page(params)
    wanted_ids = [i for i in params.get("InstanceIds", "").split(",") if i]
    if len(wanted_ids) > 30:
        raise invalid("InstanceIds", "At most 30 instance IDs.")
    wanted_tags = tag_filter(params)
    matches = []
    for instance in world.data["instances"].values():
        if instance["RegionId"] != params["RegionId"]:
            continue
        if wanted_ids and instance["InstanceId"] not in wanted_ids:
            continue
        if any(k not in instance["Tags"] or (v is not None and instance["Tags"][k] != v)
               for k, v in wanted_tags.items()):
            continue
        if params.get("InstanceStatus") and instance["InstanceStatus"] != params["InstanceStatus"]:
            continue
        if params.get("GlobalInstance", "").lower() == "true" and not instance["GlobalInstanceId"]:
            continue
        if params.get("VpcId") and instance["VpcId"] != params["VpcId"]:
            continue
        matches.append(instance)
    matches.sort(key=lambda i: i["CreateTime"] + i["InstanceId"])
    chosen = matches[(number - 1) * size:number * size]
    # With tags_in_listing false, a listing without a Tag filter leaves Tags out (the docs do not promise them).
    tags = bool(wanted_tags) or world.setting("tags_in_listing")
    return {"PageNumber": number, "PageSize": size, "TotalCount": len(matches),
            "Instances": {"KVStoreInstance": [public_fields(i, NOT_IN_LISTING, tags=tags) for i in chosen]}}


def describe_instance_attribute(world: World, params: dict) -> dict:
    require(params, "InstanceId")
    instance = existing(world, params["InstanceId"])
    shown = public_fields(instance, NOT_IN_ATTRIBUTE)
    shown["Engine"] = "Redis"
    return {"Instances": {"DBInstanceAttribute": [shown]}}


def describe_engine_version(world: World, params: dict) -> dict:
    require(params, "InstanceId")
    instance = existing(world, params["InstanceId"])
    latest = instance["MinorVersion"] == instance["LatestMinorVersion"]
    return {"Engine": "redis", "MajorVersion": instance["EngineVersion"], "MinorVersion": instance["MinorVersion"],
            "IsLatestVersion": latest, "EnableUpgradeMinorVersion": not latest, "EnableUpgradeMajorVersion": False,
            "IsAutoUpgradeOpen": "0", "IsNewSSLMode": "0", "IsSSLEnable": "0", "IsOpenNGLB": "0",
            "IsRedisCompatibleVersion": "1", "DBVersionRelease": "{\"releaseInfo\":[]}",
            "DBLatestMinorVersion": {"MinorVersion": instance["LatestMinorVersion"], "Level": "0",
                                     "VersionRelease": {"VersionChangesLevel": "0",
                                                        "ReleaseInfo": {"ReleaseInfoList": []}}}}


def describe_net_info(world: World, params: dict) -> dict:
    require(params, "InstanceId")
    instance = existing(world, params["InstanceId"])
    item = {"IPType": "Private", "VPCInstanceId": instance["InstanceId"], "VPCId": instance["VpcId"],
            "VSwitchId": instance["VSwitchId"], "DBInstanceNetType": "2", "Port": str(instance["Port"]),
            "DirectConnection": instance.get("DirectConnection", 0), "Upgradeable": "0", "ExpiredTime": "",
            "IsSlaveProxy": 0, "ConnectionString": instance["ConnectionDomain"], "IPAddress": instance["PrivateIp"]}
    return {"InstanceNetworkType": "VPC", "NetInfoItems": {"InstanceNetInfo": [item]}}


def describe_global_distribute_cache(world: World, params: dict) -> dict:
    number, size = page(params, default=30, maximum=100)
    groups = []
    for group in world.data["groups"].values():
        if params.get("GlobalInstanceId") and group["GlobalInstanceId"] != params["GlobalInstanceId"]:
            continue
        if params.get("SubInstanceId") and params["SubInstanceId"] not in group["members"]:
            continue
        if params.get("RegionId") and group["RegionId"] != params["RegionId"]:
            continue
        groups.append(group)
    groups.sort(key=lambda g: g["GlobalInstanceId"])
    chosen = groups[(number - 1) * size:number * size]

    def render(group: dict) -> dict:
        subs = []
        for member in group["members"]:
            instance = world.instance(member)
            if instance:
                subs.append({"InstanceStatus": instance["InstanceStatus"], "InstanceID": member,
                             "InstanceClass": instance["InstanceClass"], "GlobalInstanceId": group["GlobalInstanceId"],
                             "RegionId": instance["RegionId"]})
        # No GlobalInstanceName: the SDK's model has none (the Go SDK's struct does).
        return {"Status": group["Status"], "GlobalInstanceId": group["GlobalInstanceId"], "SubInstances": subs}

    return {"PageSize": size, "PageNumber": number, "TotalRecordCount": len(groups),
            "GlobalDistributeCaches": [render(g) for g in chosen]}


# -- change ------------------------------------------------------------------------------------------------------

def _needs_normal(instance: dict) -> None:
    if instance["InstanceStatus"] != "Normal":
        raise busy()


def _network(world: World, params: dict) -> None:
    vswitch = world.data["vswitches"].get(params.get("VSwitchId", ""))
    if params.get("VpcId") and params["VpcId"] not in world.data["vpcs"]:
        raise ApiError(400, "InvalidVPCId.NotFound", "Specified VPC does not exist.")
    if vswitch is None:
        raise ApiError(400, "InvalidvSwitchId", "Specified vSwitch does not exist.")
    if params.get("VpcId") and vswitch["VpcId"] != params["VpcId"]:
        raise ApiError(400, "VSwithNotBelongToNotVpcFault", "Specified vSwitch does not belong to the VPC.")
    if params.get("ZoneId") and vswitch["ZoneId"] != params["ZoneId"]:
        raise ApiError(400, "InvalidParameter", "Specified vSwitch is not in the specified zone.")


def _idempotent(world: World, action: str, token_name: str, params: dict, create) -> dict:
    token = params.get(token_name)
    if token is not None and (len(token) > 64 or not token.isascii()):
        raise ApiError(400, "InvalidToken.Malformed", f"The Specified parameter {token_name} is not valid.")
    key = f"{action}/{token}"
    digest = hashlib.sha256(json.dumps({k: v for k, v in params.items() if k != token_name},
                                       sort_keys=True).encode()).hexdigest()
    if token and key in world.data["tokens"]:
        earlier = world.data["tokens"][key]
        if earlier["digest"] != digest:
            raise ApiError(400, "IdempotentParameterMismatch", "Request uses a client token in a previous request "
                           "but is not identical to that request.")
        return dict(earlier["response"])
    response = create()
    if token:
        world.data["tokens"][key] = {"digest": digest, "response": response}
    return response


def _create_child(world: World, params: dict, action: str, instance_type: str) -> dict:
    token_name = "Token" if action == "CreateInstance" else "ClientToken"
    # The token is looked up first: a retried create answers with what the first one made.
    return _idempotent(world, action, token_name, params, lambda: _create_new(world, params, action, instance_type))


def _create_new(world: World, params: dict, action: str, instance_type: str) -> dict:
    require(params, "RegionId", "VSwitchId")
    if not params.get("InstanceClass") and not params.get("Capacity"):
        raise missing("InstanceClass")
    _network(world, params)
    vswitch = world.data["vswitches"][params["VSwitchId"]]
    charge = params.get("ChargeType", "PostPaid")
    if charge not in ("PrePaid", "PostPaid"):
        raise invalid("ChargeType")
    if charge == "PrePaid" and not params.get("Period"):
        raise missing("Period")
    group = None
    seed = None
    global_id = params.get("GlobalInstanceId", "")
    if global_id and global_id.lower() != "true":
        group = world.data["groups"].get(global_id)
        if group is None:
            raise ApiError(404, "InvalidGlobalInstanceId.NotFound", "Specified distributed instance does not exist.")
        if len(group["members"]) >= 3:
            raise ApiError(400, "GlobalInstance.MemberLimitExceeded", "A distributed instance has at most 3 children.")
        if group["Status"] != "Normal":
            raise ApiError(400, "InvalidStatus", "Specified instance status is Modifying.")
        # An emptied group that stayed (auto_release_empty_group false) has no member to clone.
        seed = world.instance(group["members"][0]) if group["members"] else None
        zones = [world.instance(m)["ZoneId"] for m in group["members"] if world.instance(m)]
        if (params.get("ZoneId") or vswitch["ZoneId"]) in zones:
            raise ApiError(400, "InvalidZoneId.Duplicate",
                           "The zone is used by another child of the distributed instance.")
        if seed and (params.get("InstanceClass") != seed["InstanceClass"] or
                     params.get("EngineVersion", "5.0") != seed["EngineVersion"] or
                     int(params.get("ShardCount", seed["ShardCount"])) != int(seed["ShardCount"])):
            raise ApiError(400, "InvalidInstancelevel",
                           "Specified Instance level dose not match gdc other member instance level.")
    # The documented clone (accounts, passwords, whitelist) happens only at creation; with clone_password false the
    # child gets a password nobody was told, as if the clone did not carry it.
    if params.get("Password"):
        password = params["Password"]
    elif seed is not None:
        password = seed["_password"] if world.setting("clone_password") else secrets.token_urlsafe(18)
    else:
        password = None
    # Cloning the whitelist is documented only in an older page; clone_security_ips false is the other reading.
    clone = seed is not None and world.setting("clone_security_ips")
    security_ips = copy.deepcopy(security_groups(seed)) if clone else None
    instance = world.add_instance({
        "InstanceName": params.get("InstanceName") or "", "RegionId": params["RegionId"],
        "ZoneId": params.get("ZoneId") or vswitch["ZoneId"], "VpcId": vswitch["VpcId"],
        "VSwitchId": params["VSwitchId"], "InstanceClass": params.get("InstanceClass", ""),
        "EngineVersion": params.get("EngineVersion", "5.0"), "InstanceType": instance_type,
        # A child's class fixes its architecture and shards (classic classes name them; the SDK sends ShardCount for
        # cloud-native creates only): a child without ShardCount takes the first member's.
        "ShardCount": int(params.get("ShardCount", seed["ShardCount"] if seed else "1")), "ChargeType": charge,
        "ArchitectureType": seed["ArchitectureType"] if seed else ("cluster" if params.get("ShardCount") else "standard"),
        "InstanceStatus": "Creating", "IsOrderCompleted": False, "Tags": tags_of(params),
        "MinorVersion": seed["MinorVersion"] if seed else "redis-5.0_1.0.0",
        "LatestMinorVersion": seed["LatestMinorVersion"] if seed else "redis-5.0_1.0.0",
        "EditionType": "Enterprise", "ComputingType": "Ecs" if instance_type == "tair_rdb" else "Machine",
    }, password, backed=True, security_ip_groups=security_ips)
    if not instance["InstanceName"]:
        instance["InstanceName"] = instance["InstanceId"]
    world.data["created"].append({"InstanceId": instance["InstanceId"], "action": action, "tags": instance["Tags"]})
    world.schedule(instance, 3, {"InstanceStatus": "Normal", "IsOrderCompleted": True})
    if group is not None:
        group["members"].append(instance["InstanceId"])
        group["Status"] = "Changing"
        instance["GlobalInstanceId"] = group["GlobalInstanceId"]
        if seed is not None:
            world.join_replication(instance, seed)
    return {"InstanceId": instance["InstanceId"], "InstanceName": instance["InstanceName"],
            "InstanceStatus": "Creating", "ConnectionDomain": instance["ConnectionDomain"],
            "Port": instance["Port"], "VpcId": instance["VpcId"], "VSwitchId": instance["VSwitchId"],
            "ZoneId": instance["ZoneId"], "RegionId": instance["RegionId"], "ChargeType": charge,
            "NetworkType": "VPC", "NodeType": "double", "OrderId": int(time.time() * 1000) % 10**12,
            "Capacity": instance["Capacity"]}


def _china_site_only(world: World, params: dict, action: str, names: tuple[str, ...]) -> None:
    """The SDK: CreateInstance's GlobalInstanceId/GlobalInstance and DeleteInstance's GlobalInstanceId apply only
    to the China site. With `site` international the fake refuses them (the real refusal's code is a guess)."""
    if world.setting("site") != "international":
        return
    for name in names:
        if params.get(name):
            raise ApiError(400, "InvalidParameter", f"The parameter {name} of {action} is not supported on this site "
                           "(GlobalInstanceId is not supported on the international site).")


def create_instance(world: World, params: dict) -> dict:
    _china_site_only(world, params, "CreateInstance", ("GlobalInstanceId", "GlobalInstance"))
    return _create_child(world, params, "CreateInstance", "Redis")


def create_tair_instance(world: World, params: dict) -> dict:
    require(params, "InstanceType", "ZoneId", "VpcId")
    result = _create_child(world, params, "CreateTairInstance", params["InstanceType"])
    return {k: result[k] for k in ("InstanceId", "InstanceName", "InstanceStatus", "ZoneId", "RegionId",
                                   "ChargeType", "Port", "ConnectionDomain", "OrderId")} | {"TaskId": "1"}


def create_global_distribute_cache(world: World, params: dict) -> dict:
    require(params, "SeedSubInstanceId")
    seed = existing(world, params["SeedSubInstanceId"])
    _needs_normal(seed)
    if seed["GlobalInstanceId"]:
        raise ApiError(400, "GlobalInstance.AlreadyBound", "Source InstanceId already bound to a replica.")
    if seed["EditionType"] != "Enterprise" or not (seed["InstanceClass"].startswith("redis.amber.")
                                                   or seed["InstanceClass"].startswith("tair.rdb.")):
        raise ApiError(400, "InstanceType.NotSupport",
                       "Only Tair DRAM-based instances can be converted into a distributed instance.")
    if seed.get("DirectConnection"):
        raise ApiError(400, "HasDirectConnectionNotSupport",
                       "The instance has direct connection does not support this operation")
    group_id = new_id("gr")
    group = {"GlobalInstanceId": group_id, "GlobalInstanceName": "", "RegionId": seed["RegionId"],
             "Status": "Creating", "members": [seed["InstanceId"]]}
    world.data["groups"][group_id] = group
    seed["GlobalInstanceId"] = group_id
    if params.get("EffectiveTime") == "Immediately":
        seed["InstanceStatus"] = "Changing"
        world.schedule(seed, 2, {"InstanceStatus": "Normal"})
        world.schedule(group, 2, {"Status": "Normal"})
    # Without EffectiveTime=Immediately the change waits for the maintenance window: the group stays Creating.
    if not world.setting("gdc_create_returns_id"):
        return {}  # only RequestId, as older docs and META 2024 show
    return {"GlobalInstanceId": group_id, "InstanceId": seed["InstanceId"]}


def modify_instance_minor_version(world: World, params: dict) -> dict:
    require(params, "InstanceId")
    instance = existing(world, params["InstanceId"])
    _needs_normal(instance)
    wanted = params.get("Minorversion", "latest_version")
    target = instance["LatestMinorVersion"] if wanted == "latest_version" else wanted
    if params.get("EffectiveTime", "Immediately") == "Immediately" and target != instance["MinorVersion"]:
        instance["InstanceStatus"] = "MinorVersionUpgrading"
        world.schedule(instance, 2, {"InstanceStatus": "Normal", "MinorVersion": target})
    return {}


def modify_instance_attribute(world: World, params: dict) -> dict:
    require(params, "InstanceId")
    instance = existing(world, params["InstanceId"])
    _needs_normal(instance)
    if "InstanceName" in params:
        instance["InstanceName"] = params["InstanceName"]
    if "InstanceReleaseProtection" in params:
        instance["InstanceReleaseProtection"] = params["InstanceReleaseProtection"].lower() == "true"
    return {}


def transform_instance_charge_type(world: World, params: dict) -> dict:
    require(params, "InstanceId", "ChargeType")
    instance = existing(world, params["InstanceId"])
    if not instance["IsOrderCompleted"]:
        raise ApiError(400, "Order.LatestOrderIsHanding", "Latest order is handing, please retry later.")
    _needs_normal(instance)
    charge = {"PREPAID": "PrePaid", "PREPAY": "PrePaid", "POSTPAID": "PostPaid", "POSTPAY": "PostPaid"}.get(
        params["ChargeType"].upper(), params["ChargeType"])
    if charge not in ("PrePaid", "PostPaid"):
        raise invalid("ChargeType")
    if charge == "PrePaid" and not params.get("Period"):
        raise ApiError(400, "MissingParameter", "Period is mandatory for this action.")
    if charge == instance["ChargeType"]:
        raise ApiError(403, "AlreadyPrePaid" if charge == "PrePaid" else "AlreadyPostPaid",
                       f"This instance is already {charge.lower()}")
    instance["InstanceStatus"] = "Transforming"
    instance["IsOrderCompleted"] = False
    world.schedule(instance, 2, {"InstanceStatus": "Normal", "IsOrderCompleted": True, "ChargeType": charge})
    return {"OrderId": str(int(time.time() * 1000)), "EndTime": "2099-01-01T00:00:00Z" if charge == "PrePaid" else ""}


def remove_sub_instance(world: World, params: dict) -> dict:
    require(params, "InstanceId")
    instance = existing(world, params["InstanceId"])
    _needs_normal(instance)
    group = world.data["groups"].get(instance["GlobalInstanceId"])
    if group is None:
        raise ApiError(400, "InvalidInstanceId.NotInGlobalInstance", "The instance is not a child of a distributed instance.")
    group["members"].remove(instance["InstanceId"])
    instance["GlobalInstanceId"] = ""
    world.leave_replication(instance)
    instance["InstanceStatus"] = "Changing"
    world.schedule(instance, 1, {"InstanceStatus": "Normal"})
    world._refresh_groups()
    return {}


def delete_instance(world: World, params: dict) -> dict:
    require(params, "InstanceId")
    _china_site_only(world, params, "DeleteInstance", ("GlobalInstanceId",))
    instance = existing(world, params["InstanceId"])
    if instance["InstanceReleaseProtection"]:
        raise ApiError(403, "InstanceReleaseProtection",
                       "The operation is not permitted due to instance release protection.")
    _needs_normal(instance)
    if instance["ChargeType"] != "PostPaid":
        raise ApiError(403, "ChargeType.NotSupport", "Subscription instances cannot be released through the API.")
    if instance["GlobalInstanceId"]:
        if params.get("GlobalInstanceId") != instance["GlobalInstanceId"]:
            raise ApiError(400, "InvalidGlobalInstanceId", "A child of a distributed instance is released with its "
                           "GlobalInstanceId.")
        group = world.data["groups"].get(instance["GlobalInstanceId"])
        if group:
            group["members"].remove(instance["InstanceId"])
        world.leave_replication(instance)
        instance["GlobalInstanceId"] = ""
        world._refresh_groups()
    instance["InstanceStatus"] = "Flushing"
    world.schedule(instance, 1, {"InstanceStatus": "Released"}, effect="delete")
    return {}


def _resource_ids(params: dict) -> list[str]:
    ids = [params[f"ResourceId.{n}"] for n in range(1, 51) if params.get(f"ResourceId.{n}")]
    if not ids:
        raise missing("ResourceId.1")
    return ids


def tag_resources(world: World, params: dict) -> dict:
    """Adds tags to instances; a key the instance already has gets the new value."""
    require(params, "RegionId", "ResourceType")
    if params["ResourceType"].upper() != "INSTANCE":
        raise invalid("ResourceType")
    tags = tags_of(params)
    if not tags:
        raise missing("Tag.1.Key")
    for key, value in tags.items():
        if len(key) > 128 or len(value) > 128 or key.startswith(("aliyun", "acs:")) or "://" in key + value:
            raise ApiError(400, "InvalidTag.Format", f"The tag {key!r} is not valid.")
    instances = [existing(world, i) for i in _resource_ids(params)]
    for instance in instances:
        if instance["RegionId"] != params["RegionId"]:
            raise not_found(instance["InstanceId"])
        instance["Tags"].update(tags)
    return {}


def untag_resources(world: World, params: dict) -> dict:
    require(params, "RegionId", "ResourceType")
    keys = [params[f"TagKey.{n}"] for n in range(1, 21) if params.get(f"TagKey.{n}")]
    for instance in [existing(world, i) for i in _resource_ids(params)]:
        for key in (list(instance["Tags"]) if params.get("All", "").lower() == "true" else keys):
            instance["Tags"].pop(key, None)
    return {}


# -- whitelists ----------------------------------------------------------------------------------------------------

MAX_SECURITY_IPS = 1000
MODIFY_MODES = ("Cover", "Append", "Delete")


def security_groups(instance: dict) -> list[dict]:
    """The instance's whitelist groups (the default one for a record from a state file that predates them)."""
    return instance.setdefault("_security_ip_groups", copy.deepcopy(DEFAULT_SECURITY_IPS))


def describe_security_ips(world: World, params: dict) -> dict:
    require(params, "InstanceId")
    instance = existing(world, params["InstanceId"])
    return {"SecurityIpGroups": {"SecurityIpGroup": [dict(g) for g in security_groups(instance)]}}


GROUP_NAME = re.compile(r"^[a-z][a-z0-9_]{0,118}[a-z0-9]$")  # the rule the docs give for whitelist template names


def _security_ip_list(text: str) -> list[str]:
    """IPv4 addresses and CIDR blocks (prefix 1 to 32, or 0.0.0.0/0), as ModifySecurityIps documents them."""
    entries = [e.strip() for e in text.split(",") if e.strip()]
    for entry in entries:
        try:
            network = ipaddress.IPv4Network(entry, strict=False)
        except ValueError:
            network = None
        if network is None or (network.prefixlen == 0 and entry != "0.0.0.0/0"):
            raise ApiError(400, "InvalidSecurityIPList.Format",
                           f"Specified security IP list format is not valid. ({entry!r})")
    return list(dict.fromkeys(entries))


def modify_security_ips(world: World, params: dict) -> dict:
    """Cover (default), Append or Delete entries of one whitelist group (`default` unless named).

    Documented codes (META 2024): 400 InvalidGroupName.Format, 404 InvalidSecurityIPList.NotFound ("does not exist or
    at least one security IP need"), 409 SecurityIPList.Duplicate; when exactly each is given is the fake's guess.
    """
    require(params, "InstanceId", "SecurityIps")
    instance = existing(world, params["InstanceId"])
    mode = params.get("ModifyMode") or "Cover"
    if mode not in MODIFY_MODES:
        raise invalid("ModifyMode", f"It must be one of {', '.join(MODIFY_MODES)}.")
    name = params.get("SecurityIpGroupName") or "default"
    if name.startswith("ali_"):
        raise ApiError(400, "InvalidGroupName.Format", f"Sepecified group name is not valid. ({name} is a system "
                       "whitelist group, which cannot be modified)")
    if not GROUP_NAME.match(name):
        raise ApiError(400, "InvalidGroupName.Format", f"Sepecified group name is not valid. ({name!r})")
    entries = _security_ip_list(params["SecurityIps"])
    if not entries:
        raise ApiError(404, "InvalidSecurityIPList.NotFound",
                       "Specified same security IP does not exist or at least one security IP need.")
    _needs_normal(instance)
    groups = security_groups(instance)
    group = next((g for g in groups if g["SecurityIpGroupName"] == name), None)
    current = [e for e in (group["SecurityIpList"].split(",") if group else []) if e]
    if mode == "Cover":
        updated = entries
    elif mode == "Append":
        if any(e in current for e in entries):
            raise ApiError(409, "SecurityIPList.Duplicate", "Specified same security IP already exists.")
        updated = current + entries
    else:
        updated = [e for e in current if e not in entries]
        if group is None or any(e not in current for e in entries) or not updated:
            raise ApiError(404, "InvalidSecurityIPList.NotFound",
                           "Specified same security IP does not exist or at least one security IP need.")
    others = sum(len([e for e in g["SecurityIpList"].split(",") if e]) for g in groups if g is not group)
    if others + len(updated) > MAX_SECURITY_IPS:
        raise ApiError(400, "InvalidSecurityIPList.QuotaExceeded", "Specified security IP list is not valid: "
                       f"Exceeding the allowed amount of IP address in the list. (at most {MAX_SECURITY_IPS})")
    if group is None:
        group = {"SecurityIpGroupName": name, "SecurityIpList": "", "SecurityIpGroupAttribute": ""}
        groups.append(group)
    group["SecurityIpList"] = ",".join(updated)
    if "SecurityIpGroupAttribute" in params:
        group["SecurityIpGroupAttribute"] = params["SecurityIpGroupAttribute"]
    instance["InstanceStatus"] = "Changing"
    world.schedule(instance, 1, {"InstanceStatus": "Normal"})
    return {}


# action -> handler; which parameters exist, their types and which are required come from the SDK's models
# (contract.py), checked before any handler runs.
ACTIONS = {
    "DescribeInstances": describe_instances,
    "DescribeInstanceAttribute": describe_instance_attribute,
    "DescribeEngineVersion": describe_engine_version,
    "DescribeDBInstanceNetInfo": describe_net_info,
    "DescribeGlobalDistributeCache": describe_global_distribute_cache,
    "CreateGlobalDistributeCache": create_global_distribute_cache,
    "CreateInstance": create_instance,
    "CreateTairInstance": create_tair_instance,
    "ModifyInstanceMinorVersion": modify_instance_minor_version,
    "ModifyInstanceAttribute": modify_instance_attribute,
    "TransformInstanceChargeType": transform_instance_charge_type,
    "RemoveSubInstance": remove_sub_instance,
    "DeleteInstance": delete_instance,
    "TagResources": tag_resources,
    "UntagResources": untag_resources,
    "DescribeSecurityIps": describe_security_ips,
    "ModifySecurityIps": modify_security_ips,
}
