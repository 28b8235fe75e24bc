"""The checker against the official SDK's models (fakecloud/contract.py), its CLI, and the OIDC reference."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import HERE
from fakecloud import contract
from fakecloud.contract import check_read_path, check_request, check_response

KV, VPC, STS = "2015-01-01", "2016-04-28", "2015-04-01"
KV_SDK = "alibabacloud-r-kvstore20150101 7.0.0"
TAG = [("Tag.1.Key", "kvmove:migration"), ("Tag.1.Value", "orders-cache")]
RPC = [("Action", "X"), ("Version", "v"), ("Format", "JSON"), ("Timestamp", "2026-12-01T00:00:00Z"),
       ("SignatureNonce", "n"), ("SignatureMethod", "HMAC-SHA1"), ("SignatureVersion", "1.0"),
       ("AccessKeyId", "LTAI"), ("Signature", "s"), ("SecurityToken", "t")]

# Every action kvmove sends, with the parameters it sends (Sources/KVMoveAliyun/Provider/AliyunProvider+Requests.swift).
CORRECT = [
    (KV, "DescribeInstances", [("RegionId", "cn-hangzhou"), ("InstanceIds", "r-a,r-b"), ("PageNumber", "1"),
                               ("PageSize", "50")]),
    (KV, "DescribeInstances", [("RegionId", "cn-hangzhou"), *TAG]),
    (KV, "DescribeInstanceAttribute", [("RegionId", "cn-hangzhou"), ("InstanceId", "r-a")]),
    (KV, "DescribeEngineVersion", [("InstanceId", "r-a")]),
    (KV, "DescribeDBInstanceNetInfo", [("RegionId", "cn-hangzhou"), ("InstanceId", "r-a")]),
    (KV, "DescribeGlobalDistributeCache", [("RegionId", "cn-hangzhou"), ("GlobalInstanceId", "gr-a"),
                                           ("PageNumber", "1"), ("PageSize", "50")]),
    (KV, "CreateGlobalDistributeCache", [("RegionId", "cn-hangzhou"), ("SeedSubInstanceId", "r-a"),
                                         ("EffectiveTime", "Immediately")]),
    (KV, "CreateInstance", [("RegionId", "cn-hangzhou"), ("ZoneId", "cn-hangzhou-k"), ("NetworkType", "VPC"),
                            ("VpcId", "vpc-a"), ("VSwitchId", "vsw-a"), ("InstanceClass", "redis.amber.master.2g.default"),
                            ("EngineVersion", "5.0"), ("InstanceName", "orders-new"), ("GlobalInstanceId", "gr-a"),
                            ("ChargeType", "PrePaid"), ("Period", "12"), ("AutoRenew", "true"),
                            ("AutoRenewPeriod", "1"), ("Token", "kvmove-0123456789abcdef"), *TAG]),
    (KV, "CreateTairInstance", [("RegionId", "cn-hangzhou"), ("ZoneId", "cn-hangzhou-k"), ("VpcId", "vpc-a"),
                                ("VSwitchId", "vsw-a"), ("InstanceClass", "tair.rdb.2g"), ("EngineVersion", "7.0"),
                                ("InstanceType", "tair_rdb"), ("ShardCount", "2"), ("InstanceName", "s-new"),
                                ("GlobalInstanceId", "gr-a"), ("ChargeType", "PrePaid"), ("Period", "12"),
                                ("AutoRenew", "false"), ("AutoPay", "true"), ("ClientToken", "kvmove-0123"), *TAG]),
    (KV, "ModifyInstanceMinorVersion", [("RegionId", "cn-hangzhou"), ("InstanceId", "r-a"),
                                        ("Minorversion", "latest_version"), ("EffectiveTime", "Immediately")]),
    (KV, "ModifyInstanceAttribute", [("RegionId", "cn-hangzhou"), ("InstanceId", "r-a"), ("InstanceName", "n")]),
    (KV, "TransformInstanceChargeType", [("RegionId", "cn-hangzhou"), ("InstanceId", "r-a"), ("ChargeType", "PrePaid"),
                                         ("Period", "12"), ("AutoRenew", "true"), ("AutoRenewPeriod", "1"),
                                         ("AutoPay", "true")]),
    (KV, "RemoveSubInstance", [("RegionId", "cn-hangzhou"), ("InstanceId", "r-a")]),
    (KV, "DeleteInstance", [("RegionId", "cn-hangzhou"), ("InstanceId", "r-a"), ("GlobalInstanceId", "gr-a")]),
    (KV, "TagResources", [("RegionId", "cn-hangzhou"), ("ResourceType", "INSTANCE"), ("ResourceId.1", "r-a"),
                          ("Tag.1.Key", "kvmove:verified"), ("Tag.1.Value", "passed 2026-12-01T00:00:00Z 3 keys")]),
    (KV, "DescribeSecurityIps", [("RegionId", "cn-hangzhou"), ("InstanceId", "r-a")]),
    (KV, "ModifySecurityIps", [("RegionId", "cn-hangzhou"), ("InstanceId", "r-a"), ("SecurityIps", "10.0.0.1,10.1.0.0/16"),
                               ("SecurityIpGroupName", "kvmove"), ("ModifyMode", "Append")]),
    (VPC, "DescribeVpcs", [("RegionId", "cn-hangzhou"), ("VpcId", "vpc-a"), ("PageNumber", "1"), ("PageSize", "50")]),
    (VPC, "DescribeVSwitches", [("RegionId", "cn-hangzhou"), ("VpcId", "vpc-a"), ("PageNumber", "1"),
                                ("PageSize", "50")]),
    (STS, "AssumeRole", [("RoleArn", "acs:ram::1:role/kvmove"), ("RoleSessionName", "kvmove"),
                         ("DurationSeconds", "3600"), ("ExternalId", "abc")]),
    (STS, "AssumeRoleWithOIDC", [("RoleArn", "acs:ram::1:role/kvmove"), ("OIDCProviderArn", "acs:ram::1:oidc-provider/gh"),
                                 ("OIDCToken", "eyJ.token"), ("RoleSessionName", "ci"), ("DurationSeconds", "3600")]),
]


@pytest.mark.parametrize("version, action, params", CORRECT, ids=[f"{c[1]}-{i}" for i, c in enumerate(CORRECT)])
def test_every_request_kvmove_sends_passes(version, action, params):
    assert check_request(version, action, params) == []
    assert check_request(version, action, params + RPC) == []  # classic RPC protocol parameters are ignored


def test_a_misspelt_or_invented_parameter_fails():
    assert check_request(KV, "ModifyInstanceMinorVersion", [("InstanceId", "r-a"), ("MinorVersion", "latest_version")]) \
        == [f'ModifyInstanceMinorVersion: parameter "MinorVersion" is not one {KV_SDK} sends for this action']
    assert check_request(KV, "CreateInstance", [("RegionId", "cn-hangzhou"), ("Minorversionn", "x")]) == \
        [f'CreateInstance: parameter "Minorversionn" is not one {KV_SDK} sends for this action']
    # AutoPay is CreateTairInstance's, not CreateInstance's
    assert check_request(KV, "CreateInstance", [("RegionId", "cn-hangzhou"), ("AutoPay", "true")]) != []
    # a field of a nested model that it does not have
    violations = check_request(KV, "TagResources", [("RegionId", "r"), ("ResourceType", "INSTANCE"),
                                                    ("ResourceId.1", "r-a"), ("Tag.1.Key", "k"), ("Tag.1.Value", "v"),
                                                    ("Tag.1.Colour", "blue")])
    assert len(violations) == 1 and '"Tag.1.Colour"' in violations[0] and "TagResourcesRequestTag" in violations[0]


@pytest.mark.parametrize("value", ["12.0", "twelve", "012", " 12", "1e1", ""])
def test_an_integer_must_be_decimal_digits(value):
    # CreateTairInstance's Period is an int in the model (CreateInstance's is a string)
    violations = check_request(KV, "CreateTairInstance", [("RegionId", "r"), ("InstanceClass", "c"), ("InstanceType", "t"),
                                                          ("VpcId", "v"), ("VSwitchId", "s"), ("Period", value)])
    assert violations == [f'CreateTairInstance: parameter "Period" is an integer; the value must be decimal digits, '
                          f'not {value!r} ({KV_SDK})']
    assert check_request(KV, "CreateInstance", [("RegionId", "r"), ("Period", "12.0")]) == []  # a str field


@pytest.mark.parametrize("value", ["True", "1", "TRUE", "yes", ""])
def test_a_boolean_must_be_true_or_false(value):
    violations = check_request(KV, "TransformInstanceChargeType", [("InstanceId", "r-a"), ("ChargeType", "PostPaid"),
                                                                   ("AutoPay", value)])
    assert len(violations) == 1 and '"AutoPay" is a boolean' in violations[0], violations


def test_required_parameters_come_from_the_models_comments():
    assert check_request(KV, "TagResources", [("RegionId", "r"), ("ResourceId.1", "r-a"), ("Tag.1.Key", "k"),
                                              ("Tag.1.Value", "v")]) == \
        [f'TagResources: parameter "ResourceType" is required by {KV_SDK} and was not sent']
    # nested: TagResourcesRequestTag marks Key and Value required
    assert check_request(KV, "TagResources", [("RegionId", "r"), ("ResourceType", "INSTANCE"), ("ResourceId.1", "r-a"),
                                              ("Tag.1.Key", "k")]) == \
        [f'TagResources: parameter "Tag.1.Value" is required by {KV_SDK} and was not sent']
    # DescribeInstancesRequestTag marks neither (a key alone is a valid filter)
    assert check_request(KV, "DescribeInstances", [("RegionId", "r"), ("Tag.1.Key", "k")]) == []
    # "required when …" is conditional, not a required field: CreateInstance's Period, AutoRenewPeriod
    assert check_request(KV, "CreateInstance", [("RegionId", "r"), ("ChargeType", "PrePaid")]) == []
    assert check_request(KV, "CreateInstance", []) == \
        [f'CreateInstance: parameter "RegionId" is required by {KV_SDK} and was not sent']
    assert check_request(KV, "ModifySecurityIps", [("InstanceId", "r-a")]) == \
        [f'ModifySecurityIps: parameter "SecurityIps" is required by {KV_SDK} and was not sent']


def test_lists_must_be_flattened_with_indices():
    base = [("RegionId", "r"), ("ResourceType", "INSTANCE")]
    violations = check_request(KV, "TagResources", base + [("ResourceId.1", "r-a"), ("Tag.Key", "k"), ("Tag.Value", "v")])
    assert violations[:2] == [
        f'TagResources: parameter "Tag.Key" is not indexed: Tag is a list of object TagResourcesRequestTag, sent as '
        f'Tag.1.<Field>, Tag.2.<Field>, … ({KV_SDK})',
        f'TagResources: parameter "Tag.Value" is not indexed: Tag is a list of object TagResourcesRequestTag, sent as '
        f'Tag.1.<Field>, Tag.2.<Field>, … ({KV_SDK})']
    violations = check_request(KV, "TagResources", base + [("ResourceId", "r-a"), ("Tag.1.Key", "k"), ("Tag.1.Value", "v")])
    assert violations[0] == (f'TagResources: parameter "ResourceId" is not indexed: ResourceId is a list of string, '
                             f'sent as ResourceId.1, ResourceId.2, … ({KV_SDK})')
    gap = check_request(KV, "TagResources", base + [("ResourceId.1", "r-a"), ("ResourceId.3", "r-c"),
                                                    ("Tag.1.Key", "k"), ("Tag.1.Value", "v")])
    assert len(gap) == 1 and "without gaps" in gap[0]
    assert check_request(KV, "TagResources", base + [("ResourceId.0", "r-a"), ("Tag.1.Key", "k"),
                                                     ("Tag.1.Value", "v")]) != []
    assert check_request(KV, "DescribeInstances", [("RegionId", "r"), ("RegionId", "r")]) != []  # given twice


def test_region_id_is_allowed_everywhere_and_unknown_actions_fail():
    # ModifyInstanceMinorVersionRequest has no RegionId; the official Go SDK adds it to every RPC request
    assert check_request(KV, "ModifyInstanceMinorVersion", [("RegionId", "cn-hangzhou"), ("InstanceId", "r-a")]) == []
    assert check_request(KV, "DescribeInstanceAttributes", [("InstanceId", "r-a")]) == \
        [f"DescribeInstanceAttributes: action is not one {KV_SDK} has (no DescribeInstanceAttributes with version "
         f"2015-01-01)"]
    assert check_request(KV, "describeinstances", []) != []  # the action name is exact
    assert check_request(KV, "AssumeRole", [("RoleArn", "a"), ("RoleSessionName", "s")]) != []  # wrong product
    assert check_request("2099-01-01", "DescribeInstances", []) != []
    # the SDK method is found even where its name is not plain snake case (assume_role_with_oidcwith_options)
    assert contract.action_of(STS, "AssumeRoleWithOIDC").method == "assume_role_with_oidcwith_options"


def test_answers_with_fields_or_types_the_model_lacks_fail():
    group = {"RequestId": "r", "PageNumber": 1, "PageSize": 30, "TotalRecordCount": 1, "GlobalDistributeCaches": [
        {"GlobalInstanceId": "gr-a", "Status": "Normal", "GlobalInstanceName": "",
         "SubInstances": [{"InstanceID": "r-a", "InstanceStatus": "Normal", "RegionId": "cn-hangzhou"}]}]}
    assert check_response(KV, "DescribeGlobalDistributeCache", group) == [
        "DescribeGlobalDistributeCache: answer field GlobalDistributeCaches[].GlobalInstanceName is not in "
        f"{KV_SDK}'s DescribeGlobalDistributeCacheResponseBodyGlobalDistributeCaches"]
    del group["GlobalDistributeCaches"][0]["GlobalInstanceName"]
    assert check_response(KV, "DescribeGlobalDistributeCache", group) == []
    group["GlobalDistributeCaches"][0]["SubInstances"][0]["InstanceId"] = "r-a"  # InstanceID is the model's name
    assert "SubInstances[].InstanceId is not in" in check_response(KV, "DescribeGlobalDistributeCache", group)[0]
    # wrong nesting: Instances is an object holding KVStoreInstance, not a list
    nested = check_response(KV, "DescribeInstances", {"RequestId": "r", "Instances": [{"InstanceId": "r-a"}]})
    assert nested == [f"DescribeInstances: answer field Instances is array [{{\"InstanceId\": \"r-a\"}}]; {KV_SDK} has "
                      "object DescribeInstancesResponseBodyInstances there"]
    flat = check_response(KV, "DescribeInstances", {"Instances": {"KVStoreInstance": {"InstanceId": "r-a"}}})
    assert len(flat) == 1 and "Instances.KVStoreInstance is object" in flat[0]
    # strict JSON types
    assert "PageNumber is string" in check_response(KV, "DescribeInstances", {"PageNumber": "1"})[0]
    assert check_response(KV, "DescribeEngineVersion", {"IsLatestVersion": "true"}) != []
    assert check_response(KV, "DescribeEngineVersion", {"IsLatestVersion": 1}) != []
    assert check_response(KV, "DescribeDBInstanceNetInfo", {"NetInfoItems": {"InstanceNetInfo": [{"Port": 6379}]}}) != []
    assert check_response(KV, "CreateInstance", {"OrderId": 1.0}) != []
    assert check_response(KV, "CreateInstance", {"OrderId": 12, "Port": 6379}) == []
    # error bodies are not checked against the response models
    assert check_response(KV, "DescribeInstances", {"RequestId": "r", "HostId": "h", "Code": "InvalidParameter",
                                                    "Message": "m", "Recommend": "u"}) == []


def test_read_paths():
    assert check_read_path(KV, "DescribeInstances", "Instances.KVStoreInstance[].Tags.Tag[].Key", "string") == []
    assert check_read_path(KV, "DescribeInstances", "TotalCount", "integer") == []
    assert check_read_path(KV, "DescribeInstances", "Instances.KVStoreInstance", "list") == []
    assert check_read_path(KV, "DescribeInstanceAttribute", "Instances.DBInstanceAttribute[].IsOrderCompleted",
                           "boolean") == []
    assert check_read_path(KV, "DescribeGlobalDistributeCache", "GlobalDistributeCaches[].SubInstances[].InstanceID",
                           "string") == []
    assert check_read_path(KV, "DescribeSecurityIps", "SecurityIpGroups.SecurityIpGroup[].SecurityIpList",
                           "string") == []
    assert check_read_path(VPC, "DescribeVSwitches", "VSwitches.VSwitch[].CidrBlock", "string") == []
    assert check_read_path(STS, "AssumeRoleWithOIDC", "Credentials", "object") == []
    # a missing component
    assert check_read_path(KV, "DescribeGlobalDistributeCache", "GlobalDistributeCaches[].GlobalInstanceName",
                           "string") == [
        "DescribeGlobalDistributeCache: read of GlobalDistributeCaches[].GlobalInstanceName as string: "
        f"{KV_SDK}'s DescribeGlobalDistributeCacheResponseBodyGlobalDistributeCaches has no field 'GlobalInstanceName'"]
    assert check_read_path(KV, "DescribeInstances", "Instances.KVStoreInstance[].IsOrderCompleted", "boolean") != []
    # a different type
    assert check_read_path(KV, "DescribeInstances", "TotalCount", "string") == [
        f"DescribeInstances: read of TotalCount as string: {KV_SDK} has integer there"]
    assert check_read_path(KV, "DescribeDBInstanceNetInfo", "NetInfoItems.InstanceNetInfo[].Port", "integer") != []
    assert check_read_path(KV, "DescribeInstances", "TotalCount", "number") != []
    # wrong nesting: a list without [] and [] on what is not a list
    assert "must say KVStoreInstance[]" in check_read_path(KV, "DescribeInstances",
                                                           "Instances.KVStoreInstance.InstanceId", "string")[0]
    assert "reads a list element" in check_read_path(KV, "DescribeInstances", "Instances[].KVStoreInstance[].InstanceId",
                                                     "string")[0]
    assert check_read_path(KV, "DescribeInstances", "TotalCount.Value", "string") != []
    assert check_read_path(KV, "NoSuchAction", "A", "string") != []
    assert check_read_path(KV, "DescribeInstances", "TotalCount", "int") != []


def run_cli(tmp_path, document) -> subprocess.CompletedProcess:
    path = tmp_path / "input.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return subprocess.run([sys.executable, os.path.join(HERE, "contract_check.py"), str(path)], capture_output=True,
                          text=True, timeout=60)


def test_contract_check_cli_exit_codes(tmp_path):
    good = {"requests": [{"version": KV, "action": "DescribeInstanceAttribute", "origin": "observe",
                          "params": [["RegionId", "cn-hangzhou"], ["InstanceId", "r-a"]]}],
            "reads": [{"version": KV, "action": "DescribeInstances", "path": "Instances.KVStoreInstance[].Tags.Tag[].Key",
                       "type": "string", "origin": "createTarget"}]}
    result = run_cli(tmp_path, good)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"checked_requests": 1, "checked_reads": 1,
                                         "distinct_actions": ["DescribeInstanceAttribute", "DescribeInstances"],
                                         "violations": []}
    assert result.stderr == ""

    bad = {"requests": good["requests"] + [{"version": KV, "action": "ModifyInstanceMinorVersion", "origin": "upgrade",
                                            "params": [["InstanceId", "r-a"], ["MinorVersion", "latest_version"]]}],
           "reads": good["reads"] + [{"version": KV, "action": "DescribeGlobalDistributeCache", "origin": "group()",
                                      "path": "GlobalDistributeCaches[].GlobalInstanceName", "type": "string"}]}
    result = run_cli(tmp_path, bad)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["checked_requests"] == 2 and report["checked_reads"] == 2
    assert [(v["origin"], v["action"]) for v in report["violations"]] == [
        ("upgrade", "ModifyInstanceMinorVersion"), ("group()", "DescribeGlobalDistributeCache")]
    assert report["violations"][0]["message"] == \
        f'ModifyInstanceMinorVersion: parameter "MinorVersion" is not one {KV_SDK} sends for this action'
    assert result.stderr.splitlines() == [f"{v['origin']}: {v['message']}" for v in report["violations"]]

    for broken in ("not json", "[]", {"requests": [{"action": "X", "params": []}]},
                   {"requests": [{"version": KV, "action": "X", "params": [["a"]]}]},
                   {"reads": [{"version": KV, "action": "X", "path": "A", "type": "float"}]}):
        result = run_cli(tmp_path, broken)
        assert result.returncode == 2, (broken, result.stdout, result.stderr)
        assert "bad input" in result.stderr
    missing = subprocess.run([sys.executable, os.path.join(HERE, "contract_check.py"), str(tmp_path / "absent.json")],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2


def test_oidc_reference_is_the_credentials_librarys_request():
    case = {"role_arn": "acs:ram::1:role/kvmove", "oidc_provider_arn": "acs:ram::1:oidc-provider/gh",
            "oidc_token": "eyJ token+/=", "role_session_name": "ci", "duration_seconds": 3600,
            "sts_endpoint": "sts.cn-hangzhou.aliyuncs.com"}
    result = subprocess.run([sys.executable, os.path.join(HERE, "oidc_reference.py")], input=json.dumps(case),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    reference = json.loads(result.stdout)
    assert reference["method"] == "GET" and reference["path"] == "/" and reference["form"] == {}
    assert reference["scheme"] == "https" and reference["host"] == "sts.cn-hangzhou.aliyuncs.com"
    query = dict(reference["query"])
    assert query.pop("Timestamp")
    assert query == {"Action": "AssumeRoleWithOIDC", "Format": "JSON", "Version": "2015-04-01",
                     "DurationSeconds": "3600", "RoleArn": case["role_arn"], "OIDCProviderArn": case["oidc_provider_arn"],
                     "OIDCToken": case["oidc_token"], "RoleSessionName": "ci"}
    assert set(reference["headers"]) == {"host", "user-agent"}
    assert reference["volatile"] == ["query.Timestamp", "headers.user-agent"]
    # and it passes the contract check (its protocol parameters are the classic RPC ones)
    assert check_request(STS, "AssumeRoleWithOIDC", list(reference["query"].items())) == []
    bad = subprocess.run([sys.executable, os.path.join(HERE, "oidc_reference.py")], input="{}", capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2
