"""The fake enforcing the SDK's models, and its newer behaviour: whitelists, config toggles, retry-after, disabled
keys, ComputingType, the OIDC request shapes. One fake serves the module (`cloud` resets config, faults, calls)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException

from conftest import HERE, KV, STS, VPC, sdk_client, wait_for
from fakecloud import redis_backend

REGION = "cn-hangzhou"
PASSWORD = "Src-Passw0rd!"
ROLE, PROVIDER, TOKEN = "acs:ram::1:role/kvmove", "acs:ram::1:oidc-provider/gh", "oidc-token-1"


def seed_source(cloud, instance_id: str, backed: bool = True, **fields) -> None:
    item = {"InstanceId": instance_id, "InstanceName": instance_id, "ZoneId": "cn-hangzhou-h", "VpcId": "vpc-old",
            "VSwitchId": "vsw-old", "password": PASSWORD, "backed": backed} | fields
    cloud.control("POST", "seed", {"instances": [item]})


def attribute(call, instance_id: str) -> dict:
    return call("DescribeInstanceAttribute", InstanceId=instance_id)["Instances"]["DBInstanceAttribute"][0]


def group_of(call, source: str) -> str:
    """Makes `source` the first member of a new group and waits until the group is Normal."""
    group_id = call("CreateGlobalDistributeCache", SeedSubInstanceId=source, EffectiveTime="Immediately")[
        "GlobalInstanceId"]
    wait_for(lambda: call("DescribeGlobalDistributeCache", GlobalInstanceId=group_id)["GlobalDistributeCaches"][0][
        "Status"] == "Normal")
    return group_id


def create_child(call, group_id: str, **extra) -> str:
    child = call("CreateInstance", RegionId=REGION, GlobalInstanceId=group_id, InstanceClass="redis.amber.master.2g.default",
                 EngineVersion="5.0", ZoneId="cn-hangzhou-k", VpcId="vpc-app", VSwitchId="vsw-app", **extra)["InstanceId"]
    wait_for(lambda: attribute(call, child)["InstanceStatus"] == "Normal")
    return child


# -- the contract --------------------------------------------------------------------------------------------------

def test_a_request_the_sdk_would_not_send_is_a_contract_violation_and_recorded(cloud):
    call = sdk_client(cloud.port, KV)
    with pytest.raises(ClientException) as error:
        call("ModifyInstanceMinorVersion", InstanceId="r-source0001", MinorVersion="latest_version")
    assert error.value.status_code == 400 and error.value.code == "Contract.Violation"
    expected = ('ModifyInstanceMinorVersion: parameter "MinorVersion" is not one alibabacloud-r-kvstore20150101 '
                '7.0.0 sends for this action')
    assert expected in error.value.message
    with pytest.raises(ClientException) as error:
        call("TransformInstanceChargeType", InstanceId="r-source0001", ChargeType="PostPaid", AutoPay="True")
    assert error.value.code == "Contract.Violation" and '"AutoPay" is a boolean' in error.value.message
    calls = cloud.control("GET", "calls")
    assert calls["contract_violations"][0] == {"action": "ModifyInstanceMinorVersion", "messages": [expected],
                                               "kind": "request"}
    assert [v["action"] for v in calls["contract_violations"]] == ["ModifyInstanceMinorVersion",
                                                                   "TransformInstanceChargeType"]
    assert [(c["status"], c["code"]) for c in calls["log"]] == [(400, "Contract.Violation")] * 2
    assert attribute(call, "r-source0001")["InstanceStatus"] == "Normal"  # nothing was carried out
    cloud.control("DELETE", "calls")
    assert cloud.control("GET", "calls")["contract_violations"] == []


def test_an_answer_with_a_field_the_model_lacks_is_the_fakes_own_500(cloud):
    # in a region of its own, so the other tests' listings do not meet it
    seed_source(cloud, "r-badseed0001", backed=False, RegionId="cn-shanghai", GlobalInstanceName="not in the model")
    call = sdk_client(cloud.port, KV)
    with pytest.raises(ServerException) as error:
        call("DescribeInstanceAttribute", InstanceId="r-badseed0001")
    assert error.value.status_code == 500 and error.value.code == "FakeCloud.ResponseNotInModel"
    assert "Instances.DBInstanceAttribute[].GlobalInstanceName is not in" in error.value.message
    violations = cloud.control("GET", "calls")["contract_violations"]
    assert violations[0]["kind"] == "response" and violations[0]["action"] == "DescribeInstanceAttribute"


def test_every_answer_of_a_journey_is_in_the_models(cloud):
    """DescribeGlobalDistributeCache no longer answers GlobalInstanceName; none of these answers is refused."""
    seed_source(cloud, "r-journey0001", InstanceClass="redis.amber.master.2g.default")
    call = sdk_client(cloud.port, KV)
    group_id = group_of(call, "r-journey0001")
    cache = call("DescribeGlobalDistributeCache", GlobalInstanceId=group_id)["GlobalDistributeCaches"][0]
    assert set(cache) == {"GlobalInstanceId", "Status", "SubInstances"}
    child = call("CreateTairInstance", RegionId=REGION, GlobalInstanceId=group_id, InstanceClass="redis.amber.master.2g.default",
                 EngineVersion="5.0", InstanceType="tair_rdb", ZoneId="cn-hangzhou-k", VpcId="vpc-app",
                 VSwitchId="vsw-app", ChargeType="PostPaid", ClientToken="kvmove-journey")["InstanceId"]
    for action, params in [("DescribeInstances", {"RegionId": REGION}), ("DescribeEngineVersion", {"InstanceId": child}),
                           ("DescribeDBInstanceNetInfo", {"InstanceId": child}),
                           ("DescribeSecurityIps", {"InstanceId": child})]:
        call(action, **params)
    sdk_client(cloud.port, VPC)("DescribeVpcs", RegionId=REGION)
    assert cloud.control("GET", "calls")["contract_violations"] == []


# -- whitelists ----------------------------------------------------------------------------------------------------

def groups(call, instance_id: str) -> dict[str, str]:
    answer = call("DescribeSecurityIps", InstanceId=instance_id)["SecurityIpGroups"]["SecurityIpGroup"]
    return {g["SecurityIpGroupName"]: g["SecurityIpList"] for g in answer}


def test_security_ips_cover_append_delete_and_limits(cloud):
    cloud.control("POST", "config", {"tick": 0.3})  # long enough to see Changing on a busy machine
    seed_source(cloud, "r-whitelist01", backed=False)
    call = sdk_client(cloud.port, KV)
    assert groups(call, "r-whitelist01") == {"default": "127.0.0.1"}
    call("ModifySecurityIps", InstanceId="r-whitelist01", SecurityIps="10.0.0.1,10.1.0.0/16")
    assert attribute(call, "r-whitelist01")["InstanceStatus"] == "Changing"  # one tick
    assert groups(call, "r-whitelist01") == {"default": "10.0.0.1,10.1.0.0/16"}
    with pytest.raises(ClientException) as error:  # a changing instance refuses another change
        call("ModifySecurityIps", InstanceId="r-whitelist01", SecurityIps="10.0.0.2")
    assert error.value.code == "IncorrectDBInstanceState"
    wait_for(lambda: attribute(call, "r-whitelist01")["InstanceStatus"] == "Normal")
    call("ModifySecurityIps", InstanceId="r-whitelist01", SecurityIps="10.0.0.2,10.0.0.1", ModifyMode="Append",
         SecurityIpGroupName="kvmove")
    wait_for(lambda: attribute(call, "r-whitelist01")["InstanceStatus"] == "Normal")
    call("ModifySecurityIps", InstanceId="r-whitelist01", SecurityIps="10.0.0.3,0.0.0.0/0", ModifyMode="Append",
         SecurityIpGroupName="kvmove")
    wait_for(lambda: attribute(call, "r-whitelist01")["InstanceStatus"] == "Normal")
    assert groups(call, "r-whitelist01") == {"default": "10.0.0.1,10.1.0.0/16",
                                             "kvmove": "10.0.0.2,10.0.0.1,10.0.0.3,0.0.0.0/0"}
    call("ModifySecurityIps", InstanceId="r-whitelist01", SecurityIps="10.0.0.1,0.0.0.0/0", ModifyMode="Delete",
         SecurityIpGroupName="kvmove")
    wait_for(lambda: attribute(call, "r-whitelist01")["InstanceStatus"] == "Normal")
    assert groups(call, "r-whitelist01")["kvmove"] == "10.0.0.2,10.0.0.3"
    group = {"SecurityIpGroupName": "kvmove"}
    for params, status, code in [
            ({"SecurityIps": "10.0.0.300"}, 400, "InvalidSecurityIPList.Format"),
            ({"SecurityIps": "not-an-ip"}, 400, "InvalidSecurityIPList.Format"),
            ({"SecurityIps": "10.0.0.0/0"}, 400, "InvalidSecurityIPList.Format"),
            ({"SecurityIps": "10.0.0.1", "SecurityIpGroupName": "ali_dms_group"}, 400, "InvalidGroupName.Format"),
            ({"SecurityIps": "10.0.0.1", "SecurityIpGroupName": "Bad-Name"}, 400, "InvalidGroupName.Format"),
            ({"SecurityIps": "10.0.0.1", "ModifyMode": "Replace"}, 400, "InvalidParameter"),
            ({"SecurityIps": "10.0.0.2", "ModifyMode": "Append"} | group, 409, "SecurityIPList.Duplicate"),
            ({"SecurityIps": "10.9.9.9", "ModifyMode": "Delete"} | group, 404, "InvalidSecurityIPList.NotFound"),
            ({"SecurityIps": "10.0.0.2,10.0.0.3", "ModifyMode": "Delete"} | group, 404,
             "InvalidSecurityIPList.NotFound"),  # at least one must stay
            ({"SecurityIps": "10.0.0.1", "ModifyMode": "Delete", "SecurityIpGroupName": "nothere"}, 404,
             "InvalidSecurityIPList.NotFound"),
            ({"SecurityIps": ",".join(f"10.2.{n // 250}.{n % 250}" for n in range(999)), "ModifyMode": "Append"},
             400, "InvalidSecurityIPList.QuotaExceeded")]:
        with pytest.raises(ClientException) as error:
            call("ModifySecurityIps", InstanceId="r-whitelist01", **params)
        assert (error.value.status_code, error.value.code) == (status, code), params
    assert groups(call, "r-whitelist01") == {"default": "10.0.0.1,10.1.0.0/16", "kvmove": "10.0.0.2,10.0.0.3"}
    with pytest.raises(ClientException) as error:
        call("ModifySecurityIps", InstanceId="r-whitelist01")
    assert error.value.code == "Contract.Violation" and '"SecurityIps" is required' in error.value.message


def test_a_child_clones_the_first_members_whitelist_only_at_creation(cloud):
    seed_source(cloud, "r-wlsource001", security_ip_groups=[
        {"SecurityIpGroupName": "default", "SecurityIpList": "10.0.0.0/8"},
        {"SecurityIpGroupName": "ali_dms_group", "SecurityIpList": "100.104.0.0/16",
         "SecurityIpGroupAttribute": "hidden"}])
    call = sdk_client(cloud.port, KV)
    assert groups(call, "r-wlsource001") == {"default": "10.0.0.0/8", "ali_dms_group": "100.104.0.0/16"}
    child = create_child(call, group_of(call, "r-wlsource001"))
    assert groups(call, child) == groups(call, "r-wlsource001")
    call("ModifySecurityIps", InstanceId="r-wlsource001", SecurityIps="192.168.0.1")
    wait_for(lambda: attribute(call, "r-wlsource001")["InstanceStatus"] == "Normal")
    assert groups(call, child)["default"] == "10.0.0.0/8"  # later changes are not carried over


# -- VPC -----------------------------------------------------------------------------------------------------------

def test_vswitches_answer_their_cidr_block(cloud):
    cloud.control("POST", "seed", {"vswitches": [{"VSwitchId": "vsw-cidr", "VpcId": "vpc-app", "ZoneId": "cn-hangzhou-j",
                                                  "RegionId": REGION, "CidrBlock": "192.168.10.0/24"}]})
    answer = sdk_client(cloud.port, VPC)("DescribeVSwitches", RegionId=REGION, VpcId="vpc-app")
    blocks = {s["VSwitchId"]: s["CidrBlock"] for s in answer["VSwitches"]["VSwitch"]}
    assert blocks == {"vsw-app": "172.16.0.0/24", "vsw-cidr": "192.168.10.0/24"}


# -- config toggles ------------------------------------------------------------------------------------------------

def test_config_refuses_unknown_values(cloud):
    for bad in ({"site": "mars"}, {"tags_in_listing": "no"}):
        with pytest.raises(urllib.error.HTTPError) as error:
            cloud.control("POST", "config", bad)
        assert error.value.code == 400
    answer = cloud.control("POST", "config", {})
    assert {k: answer[k] for k in ("auto_release_empty_group", "tags_in_listing", "clone_password",
                                   "gdc_create_returns_id", "site")} == {
        "auto_release_empty_group": True, "tags_in_listing": True, "clone_password": True,
        "gdc_create_returns_id": True, "site": "china"}


@pytest.mark.parametrize("how", ["RemoveSubInstance", "DeleteInstance"])
def test_an_emptied_group_stays_listed_when_auto_release_is_off(cloud, how):
    cloud.control("POST", "config", {"auto_release_empty_group": False})
    source = f"r-keepgroup{how[:6].lower()}"
    seed_source(cloud, source, backed=False)
    call = sdk_client(cloud.port, KV)
    group_id = group_of(call, source)
    call(how, InstanceId=source, **({"GlobalInstanceId": group_id} if how == "DeleteInstance" else {}))
    time.sleep(0.2)
    caches = call("DescribeGlobalDistributeCache", GlobalInstanceId=group_id)["GlobalDistributeCaches"]
    assert caches == [{"GlobalInstanceId": group_id, "Status": "Normal", "SubInstances": []}]
    cloud.control("POST", "config", {"auto_release_empty_group": True})  # the default: released at the next touch
    assert call("DescribeGlobalDistributeCache", GlobalInstanceId=group_id)["GlobalDistributeCaches"] == []


def test_listings_without_a_tag_filter_leave_tags_out_when_configured(cloud):
    seed_source(cloud, "r-tagged00001", backed=False, Tags={"team": "orders"})
    call = sdk_client(cloud.port, KV)
    listed = call("DescribeInstances", RegionId=REGION, InstanceIds="r-tagged00001")["Instances"]["KVStoreInstance"][0]
    assert listed["Tags"] == {"Tag": [{"Key": "team", "Value": "orders"}]}
    cloud.control("POST", "config", {"tags_in_listing": False})
    listed = call("DescribeInstances", RegionId=REGION, InstanceIds="r-tagged00001")["Instances"]["KVStoreInstance"][0]
    assert "Tags" not in listed
    filtered = call("DescribeInstances", RegionId=REGION, **{"Tag.1.Key": "team", "Tag.1.Value": "orders"})
    assert filtered["Instances"]["KVStoreInstance"][0]["Tags"] == {"Tag": [{"Key": "team", "Value": "orders"}]}
    assert "Tags" in attribute(call, "r-tagged00001")


def test_a_child_without_password_gets_an_unknown_one_when_clone_password_is_off(cloud):
    cloud.control("POST", "config", {"clone_password": False})
    seed_source(cloud, "r-nopassword1")
    call = sdk_client(cloud.port, KV)
    child = create_child(call, group_of(call, "r-nopassword1"))
    port = cloud.control("GET", "state")["instances"][child]["Port"]
    with pytest.raises(RuntimeError):
        redis_backend.command(port, PASSWORD, "PING")
    cloud.control("POST", "config", {"clone_password": True})
    seed_source(cloud, "r-password001")
    child = create_child(call, group_of(call, "r-password001"))
    port = cloud.control("GET", "state")["instances"][child]["Port"]
    assert redis_backend.command(port, PASSWORD, "PING") == "PONG"


def test_create_global_distribute_cache_may_answer_only_the_request_id(cloud):
    cloud.control("POST", "config", {"gdc_create_returns_id": False})
    seed_source(cloud, "r-noidanswer1", backed=False)
    call = sdk_client(cloud.port, KV)
    answer = call("CreateGlobalDistributeCache", SeedSubInstanceId="r-noidanswer1", EffectiveTime="Immediately")
    assert set(answer) == {"RequestId"}
    assert attribute(call, "r-noidanswer1")["GlobalInstanceId"].startswith("gr-")


def test_the_international_site_refuses_global_instance_id(cloud):
    seed_source(cloud, "r-intlsite001", backed=False)
    call = sdk_client(cloud.port, KV)
    group_id = group_of(call, "r-intlsite001")
    cloud.control("POST", "config", {"site": "international"})
    cloud.control("DELETE", "calls")
    with pytest.raises(ClientException) as error:
        call("CreateInstance", RegionId=REGION, GlobalInstanceId=group_id, InstanceClass="redis.amber.master.2g.default",
             ZoneId="cn-hangzhou-k", VpcId="vpc-app", VSwitchId="vsw-app")
    assert error.value.status_code == 400 and error.value.code == "InvalidParameter"
    assert "GlobalInstanceId is not supported on" in error.value.message
    with pytest.raises(ClientException) as error:
        call("DeleteInstance", InstanceId="r-intlsite001", GlobalInstanceId=group_id)
    assert error.value.code == "InvalidParameter" and "not supported" in error.value.message
    assert cloud.control("GET", "calls")["counts"] == {"CreateInstance": 1, "DeleteInstance": 1}
    assert attribute(call, "r-intlsite001")["GlobalInstanceId"] == group_id
    cloud.control("POST", "config", {"site": "china"})
    call("DeleteInstance", InstanceId="r-intlsite001", GlobalInstanceId=group_id)


# -- faults, keys, fields ------------------------------------------------------------------------------------------

def test_throttling_may_carry_a_retry_after_in_milliseconds(cloud):
    cloud.control("POST", "faults", [{"action": "DescribeInstances", "kind": "throttle", "retry_after": "400"},
                                     {"action": "DescribeInstances", "kind": "throttle"}])
    call = sdk_client(cloud.port, KV)
    with pytest.raises(ThrottlingException) as error:  # the SDK reads x-acs-retry-after
        call("DescribeInstances", RegionId=REGION)
    assert error.value.code == "Throttling.User" and error.value.retry_after == 400
    with pytest.raises(ClientException) as error:
        call("DescribeInstances", RegionId=REGION)
    assert not isinstance(error.value, ThrottlingException)  # no header without retry_after


def test_disabled_and_unknown_access_keys(cloud):
    cloud.control("POST", "seed", {"disabled_access_keys": {"LTAIdisabled01": "disabled-secret"}})
    disabled = sdk_client(cloud.port, KV, access_key_id="LTAIdisabled01", secret="disabled-secret")
    with pytest.raises(ClientException) as error:
        disabled("DescribeInstances", RegionId=REGION)
    assert (error.value.status_code, error.value.code) == (400, "InvalidAccessKeyId.Inactive")
    assert "Specified access key is disabled." in error.value.message
    unknown = sdk_client(cloud.port, KV, access_key_id="LTAInobody", secret="x")
    with pytest.raises(ClientException) as error:
        unknown("DescribeInstances", RegionId=REGION)
    assert (error.value.status_code, error.value.code) == (404, "InvalidAccessKeyId.NotFound")
    assert "Specified access key is not found." in error.value.message


def test_computing_type_follows_the_class_and_is_in_both_answers(cloud):
    cloud.control("POST", "seed", {"instances": [
        {"InstanceId": "r-cloudnative1", "InstanceClass": "tair.rdb.2g", "InstanceType": "tair_rdb", "backed": False},
        {"InstanceId": "r-classic0001", "InstanceClass": "redis.amber.master.2g.default", "backed": False}]})
    call = sdk_client(cloud.port, KV)
    listed = call("DescribeInstances", RegionId=REGION, InstanceIds="r-cloudnative1,r-classic0001")
    assert {i["InstanceId"]: i["ComputingType"] for i in listed["Instances"]["KVStoreInstance"]} == {
        "r-cloudnative1": "Ecs", "r-classic0001": "Machine"}
    assert attribute(call, "r-cloudnative1")["ComputingType"] == "Ecs"
    assert attribute(call, "r-classic0001")["ComputingType"] == "Machine"


# -- STS AssumeRoleWithOIDC in every shape an official client sends -----------------------------------------------

def oidc_seed(cloud) -> None:
    cloud.control("POST", "seed", {"roles": {ROLE: {}}, "oidc_providers": {PROVIDER: {"tokens": [TOKEN]}}})


def test_oidc_as_the_credentials_library_sends_it(cloud):
    oidc_seed(cloud)
    case = {"role_arn": ROLE, "oidc_provider_arn": PROVIDER, "oidc_token": TOKEN, "role_session_name": "ci",
            "duration_seconds": 3600, "sts_endpoint": f"127.0.0.1:{cloud.port}"}
    result = subprocess.run([sys.executable, os.path.join(HERE, "oidc_reference.py")], input=json.dumps(case),
                            capture_output=True, text=True, timeout=60, check=True)
    reference = json.loads(result.stdout)
    # The library always speaks https; the fake is plain http, so the same request is replayed over http.
    url = f"http://127.0.0.1:{cloud.port}{reference['path']}?{urllib.parse.urlencode(reference['query'])}"
    request = urllib.request.Request(url, method=reference["method"],
                                     headers={k: v for k, v in reference["headers"].items() if k != "host"})
    answer = json.loads(urllib.request.urlopen(request).read())
    assert answer["Credentials"]["AccessKeyId"].startswith("STS.")
    stale = dict(reference["query"], Timestamp="2020-01-01T00:00:00Z")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"http://127.0.0.1:{cloud.port}/?{urllib.parse.urlencode(stale)}")
    assert json.loads(error.value.read())["Code"] == "IllegalTimestamp"


def test_oidc_as_the_sts_sdk_sends_it_and_the_header_form(cloud):
    from alibabacloud_sts20150401.client import Client
    from alibabacloud_sts20150401.models import AssumeRoleWithOIDCRequest
    from alibabacloud_tea_openapi.models import Config

    oidc_seed(cloud)
    sts = Client(Config(endpoint=f"127.0.0.1:{cloud.port}", protocol="http"))  # no credentials: Anonymous
    answer = sts.assume_role_with_oidc(AssumeRoleWithOIDCRequest(
        role_arn=ROLE, oidcprovider_arn=PROVIDER, oidctoken=TOKEN, role_session_name="ci", duration_seconds=3600))
    assert answer.body.credentials.access_key_id.startswith("STS.")
    # the V3-style form: x-acs-action/x-acs-version headers, parameters in the query, no signature
    query = urllib.parse.urlencode({"RoleArn": ROLE, "OIDCProviderArn": PROVIDER, "OIDCToken": TOKEN,
                                    "RoleSessionName": "ci", "DurationSeconds": "3600"})
    request = urllib.request.Request(f"http://127.0.0.1:{cloud.port}/?{query}", method="POST",
                                     headers={"x-acs-action": "AssumeRoleWithOIDC", "x-acs-version": STS})
    assert json.loads(urllib.request.urlopen(request).read())["Credentials"]["AccessKeyId"].startswith("STS.")
    signed = sdk_client(cloud.port, STS)  # AssumeRole is still signed
    assert signed("AssumeRole", RoleArn=ROLE, RoleSessionName="kvmove")["Credentials"]["SecurityToken"]
