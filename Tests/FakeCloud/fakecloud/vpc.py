"""VPC 2016-04-28 actions: DescribeVpcs and DescribeVSwitches, page by page."""

from __future__ import annotations

from .errors import invalid
from .kvstore import page, require
from .world import World

VERSION = "2016-04-28"


def describe_vpcs(world: World, params: dict) -> dict:
    require(params, "RegionId")
    number, size = page(params, default=10, maximum=50)
    ids = [i for i in params.get("VpcId", "").split(",") if i]
    if len(ids) > 20:
        raise invalid("VpcId", "At most 20 VPC IDs.")
    vpcs = sorted((v for v in world.data["vpcs"].values()
                   if v["RegionId"] == params["RegionId"] and (not ids or v["VpcId"] in ids)),
                  key=lambda v: v["VpcId"])
    chosen = vpcs[(number - 1) * size:number * size]
    rendered = []
    for vpc in chosen:
        switches = [s["VSwitchId"] for s in world.data["vswitches"].values() if s["VpcId"] == vpc["VpcId"]]
        rendered.append({"VpcId": vpc["VpcId"], "VpcName": vpc.get("VpcName", ""), "RegionId": vpc["RegionId"],
                         "Status": "Available", "CidrBlock": vpc.get("CidrBlock", "172.16.0.0/12"),
                         "IsDefault": False, "VSwitchIds": {"VSwitchId": sorted(switches)},
                         "CreationTime": "2026-01-01T00:00:00Z", "Description": "", "Tags": {"Tag": []}})
    return {"TotalCount": len(vpcs), "PageNumber": number, "PageSize": size, "Vpcs": {"Vpc": rendered}}


def describe_vswitches(world: World, params: dict) -> dict:
    number, size = page(params, default=10, maximum=50)
    if not params.get("RegionId") and not params.get("VpcId"):
        raise invalid("RegionId", "RegionId or VpcId is required.")
    switches = []
    for switch in world.data["vswitches"].values():
        if params.get("RegionId") and switch["RegionId"] != params["RegionId"]:
            continue
        for name in ("VpcId", "VSwitchId", "ZoneId"):
            if params.get(name) and switch[name] != params[name]:
                break
        else:
            switches.append(switch)
    switches.sort(key=lambda s: s["VSwitchId"])
    chosen = switches[(number - 1) * size:number * size]
    rendered = [{"VSwitchId": s["VSwitchId"], "VSwitchName": s.get("VSwitchName", ""), "VpcId": s["VpcId"],
                 "ZoneId": s["ZoneId"], "CidrBlock": s.get("CidrBlock", "172.16.0.0/24"), "Status": "Available",
                 "AvailableIpAddressCount": 250, "IsDefault": False, "CreationTime": "2026-01-01T00:00:00Z",
                 "Tags": {"Tag": []}} for s in chosen]
    return {"TotalCount": len(switches), "PageNumber": number, "PageSize": size,
            "VSwitches": {"VSwitch": rendered}}


ACTIONS = {"DescribeVpcs": describe_vpcs, "DescribeVSwitches": describe_vswitches}
