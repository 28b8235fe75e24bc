"""Checks of the fake cloud itself, through the official SDK's own client (real signed HTTP requests)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException

from conftest import AK, KV, SK, STS, VPC, sdk_client, wait_for
from fakecloud import redis_backend



def status(call, instance_id: str) -> str:
    return call("DescribeInstanceAttribute", InstanceId=instance_id)["Instances"]["DBInstanceAttribute"][0]["InstanceStatus"]


def test_sdk_signed_requests_are_accepted_and_wrong_secrets_refused(fake):
    call = sdk_client(fake.port, KV)
    body = call("DescribeInstances", RegionId="cn-hangzhou", InstanceIds="r-source0001")
    assert body["TotalCount"] == 1
    assert body["Instances"]["KVStoreInstance"][0]["InstanceId"] == "r-source0001"
    wrong = sdk_client(fake.port, KV, secret="not-the-secret")
    with pytest.raises(ClientException) as error:
        wrong("DescribeInstances", RegionId="cn-hangzhou")
    assert error.value.code == "SignatureDoesNotMatch"
    unknown = sdk_client(fake.port, KV, access_key_id="LTAInobody")
    with pytest.raises(ClientException) as error:
        unknown("DescribeInstances", RegionId="cn-hangzhou")
    assert error.value.code == "InvalidAccessKeyId.NotFound"


def test_unsigned_requests_are_refused(fake):
    request = urllib.request.Request(f"http://127.0.0.1:{fake.port}/?RegionId=cn-hangzhou", method="POST",
                                     headers={"x-acs-action": "DescribeInstances", "x-acs-version": KV})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request)
    assert error.value.code == 400
    assert json.loads(error.value.read())["Code"] == "IncompleteSignature"


def test_tags_spaces_and_non_ascii_values_are_signed_and_filtered(fake):
    call = sdk_client(fake.port, KV)
    body = call("DescribeInstances", RegionId="cn-hangzhou", **{"Tag.1.Key": "kvmove:migration",
                                                                "Tag.1.Value": "订单 cache*~/"})
    assert body["TotalCount"] == 0


def test_paging_and_limits(fake):
    fake.control("POST", "seed", {"instances": [{"InstanceId": f"r-many{n:04}", "backed": False}
                                                for n in range(75)]})
    call = sdk_client(fake.port, KV)
    first = call("DescribeInstances", RegionId="cn-hangzhou", PageSize="50")
    second = call("DescribeInstances", RegionId="cn-hangzhou", PageSize="50", PageNumber="2")
    assert first["TotalCount"] == 76 and len(first["Instances"]["KVStoreInstance"]) == 50
    assert len(second["Instances"]["KVStoreInstance"]) == 26
    with pytest.raises(ClientException) as error:
        call("DescribeInstances", RegionId="cn-hangzhou", PageSize="51")
    assert error.value.code == "InvalidParameter"
    with pytest.raises(ClientException):
        call("DescribeInstances", RegionId="cn-hangzhou", InstanceIds=",".join(f"r-many{n:04}" for n in range(31)))


def test_whole_journey_with_replication_and_idempotent_create(fake):
    call = sdk_client(fake.port, KV)
    engine = call("DescribeEngineVersion", InstanceId="r-source0001")
    assert engine["EnableUpgradeMinorVersion"] is True
    call("ModifyInstanceMinorVersion", InstanceId="r-source0001", Minorversion="latest_version",
         EffectiveTime="Immediately")
    wait_for(lambda: status(call, "r-source0001") == "Normal")
    assert call("DescribeEngineVersion", InstanceId="r-source0001")["IsLatestVersion"] is True

    group = call("CreateGlobalDistributeCache", SeedSubInstanceId="r-source0001", EffectiveTime="Immediately")
    group_id = group["GlobalInstanceId"]
    assert group_id.startswith("gr-")
    wait_for(lambda: call("DescribeGlobalDistributeCache", GlobalInstanceId=group_id)
             ["GlobalDistributeCaches"][0]["Status"] == "Normal")

    create = dict(RegionId="cn-hangzhou", GlobalInstanceId=group_id, InstanceClass="redis.amber.master.2g.default",
                  EngineVersion="5.0", ZoneId="cn-hangzhou-k", VpcId="vpc-app", VSwitchId="vsw-app",
                  ChargeType="PostPaid", InstanceName="orders-new", Token="kvmove-orders-child-1",
                  **{"Tag.1.Key": "kvmove:migration", "Tag.1.Value": "orders"})
    fake.control("POST", "faults", {"action": "CreateInstance", "kind": "after_error"})
    with pytest.raises(ServerException) as error:
        call("CreateInstance", **create)
    assert error.value.code == "InternalError"
    child = call("CreateInstance", **create)["InstanceId"]
    assert call("CreateInstance", **create)["InstanceId"] == child
    with pytest.raises(ClientException) as error:
        call("CreateInstance", **(create | {"InstanceName": "other"}))
    assert error.value.code == "IdempotentParameterMismatch"
    state = fake.control("GET", "state")
    assert [c["InstanceId"] for c in state["created"]] == [child]

    wait_for(lambda: status(call, child) == "Normal")
    tagged = call("DescribeInstances", RegionId="cn-hangzhou", **{"Tag.1.Key": "kvmove:migration",
                                                                   "Tag.1.Value": "orders"})
    assert [i["InstanceId"] for i in tagged["Instances"]["KVStoreInstance"]] == [child]
    by_key = call("DescribeInstances", RegionId="cn-hangzhou", **{"Tag.1.Key": "kvmove:migration"})
    assert [i["InstanceId"] for i in by_key["Instances"]["KVStoreInstance"]] == [child]

    source_port = state["instances"]["r-source0001"]["Port"]
    child_port = state["instances"][child]["Port"]
    redis_backend.command(source_port, "Src-Passw0rd!", "SET", "sentinel", "from-source")
    wait_for(lambda: redis_backend.command(child_port, "Src-Passw0rd!", "GET", "sentinel") == "from-source")
    net = call("DescribeDBInstanceNetInfo", InstanceId=child)["NetInfoItems"]["InstanceNetInfo"][0]
    assert net["Port"] == str(child_port) and net["IPAddress"] == "127.0.0.1"

    call("RemoveSubInstance", InstanceId=child)
    redis_backend.command(source_port, "Src-Passw0rd!", "SET", "after", "x")
    time.sleep(0.3)
    assert redis_backend.command(child_port, "Src-Passw0rd!", "GET", "after") is None
    assert redis_backend.command(child_port, "Src-Passw0rd!", "GET", "sentinel") == "from-source"
    wait_for(lambda: status(call, child) == "Normal")
    call("DeleteInstance", InstanceId="r-source0001", GlobalInstanceId=group_id)
    wait_for(lambda: not call("DescribeGlobalDistributeCache", GlobalInstanceId=group_id)["GlobalDistributeCaches"])
    with pytest.raises(ClientException) as error:
        wait_for(lambda: status(call, "r-source0001") == "gone")
    assert error.value.code == "InvalidInstanceId.NotFound"


def test_group_without_immediately_waits_for_the_maintenance_window(fake):
    call = sdk_client(fake.port, KV)
    group_id = call("CreateGlobalDistributeCache", SeedSubInstanceId="r-source0001")["GlobalInstanceId"]
    time.sleep(0.3)
    assert call("DescribeGlobalDistributeCache", SubInstanceId="r-source0001")["GlobalDistributeCaches"][0][
        "Status"] == "Creating"
    assert group_id


def test_faults_throttle_then_5xx_and_calls_are_counted(fake):
    call = sdk_client(fake.port, KV)
    fake.control("POST", "faults", [{"action": "DescribeInstances", "kind": "throttle"},
                                    {"action": "DescribeInstances", "kind": "error", "status": 503}])
    with pytest.raises(ClientException) as error:
        call("DescribeInstances", RegionId="cn-hangzhou")
    assert error.value.code == "Throttling.User" and error.value.status_code == 400
    with pytest.raises(ServerException) as error:
        call("DescribeInstances", RegionId="cn-hangzhou")
    assert error.value.code == "ServiceUnavailable"
    call("DescribeInstances", RegionId="cn-hangzhou")
    assert fake.control("GET", "calls")["counts"]["DescribeInstances"] == 3


def test_billing_rename_and_busy_instances(fake):
    # Ticks long enough that the order is still pending at the second call on a loaded machine.
    fake.control("POST", "config", {"tick": 0.5})
    call = sdk_client(fake.port, KV)
    call("ModifyInstanceAttribute", InstanceId="r-source0001", InstanceName="orders-renamed")
    call("TransformInstanceChargeType", InstanceId="r-source0001", ChargeType="PrePaid", Period="1")
    with pytest.raises(ClientException) as error:
        call("TransformInstanceChargeType", InstanceId="r-source0001", ChargeType="PostPaid")
    assert error.value.code == "Order.LatestOrderIsHanding"
    wait_for(lambda: status(call, "r-source0001") == "Normal")
    with pytest.raises(ClientException) as error:
        call("DeleteInstance", InstanceId="r-source0001")
    assert error.value.status_code == 403
    attribute = call("DescribeInstanceAttribute", InstanceId="r-source0001")["Instances"]["DBInstanceAttribute"][0]
    assert attribute["InstanceName"] == "orders-renamed" and attribute["ChargeType"] == "PrePaid"


def test_unknown_parameters_are_refused(fake):
    """A parameter the official SDK's model lacks (`MinorVersion` for `Minorversion`) is the fake's 400
    Contract.Violation (fakecloud/contract.py); the real API's handling of unknown parameters is not documented."""
    call = sdk_client(fake.port, KV)
    with pytest.raises(ClientException) as error:
        call("ModifyInstanceMinorVersion", InstanceId="r-source0001", MinorVersion="latest_version")
    assert error.value.status_code == 400 and error.value.code == "Contract.Violation"


def test_vpcs_and_vswitches(fake):
    call = sdk_client(fake.port, VPC)
    vpcs = call("DescribeVpcs", RegionId="cn-hangzhou", VpcId="vpc-app")
    assert [v["VpcId"] for v in vpcs["Vpcs"]["Vpc"]] == ["vpc-app"]
    switches = call("DescribeVSwitches", RegionId="cn-hangzhou", VpcId="vpc-app")
    assert switches["VSwitches"]["VSwitch"][0]["ZoneId"] == "cn-hangzhou-k"


def test_sts_assume_role_and_oidc_then_temporary_keys_sign(fake):
    fake.control("POST", "seed", {"roles": {"acs:ram::1:role/kvmove": {}},
                                  "oidc_providers": {"acs:ram::1:oidc-provider/gh": {"tokens": ["oidc-token-1"]}}})
    call = sdk_client(fake.port, STS)
    assumed = call("AssumeRole", RoleArn="acs:ram::1:role/kvmove", RoleSessionName="kvmove")["Credentials"]
    temporary = sdk_client(fake.port, KV, assumed["AccessKeyId"], assumed["AccessKeySecret"], assumed["SecurityToken"])
    assert temporary("DescribeInstances", RegionId="cn-hangzhou")["TotalCount"] == 1
    missing_token = sdk_client(fake.port, KV, assumed["AccessKeyId"], assumed["AccessKeySecret"])
    with pytest.raises(ClientException):
        missing_token("DescribeInstances", RegionId="cn-hangzhou")

    # AssumeRoleWithOIDC is not signed: the OIDC token is the credential (as the credentials libraries send it).
    form = urllib.parse.urlencode({"RoleArn": "acs:ram::1:role/kvmove", "OIDCProviderArn": "acs:ram::1:oidc-provider/gh",
                                   "OIDCToken": "oidc-token-1", "RoleSessionName": "ci"}).encode()
    url = f"http://127.0.0.1:{fake.port}/?Action=AssumeRoleWithOIDC&Version={STS}&Format=JSON"
    request = urllib.request.Request(url, data=form, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    oidc = json.loads(urllib.request.urlopen(request).read())["Credentials"]
    assert oidc["AccessKeyId"].startswith("STS.")
    bad = urllib.request.Request(url, data=form.replace(b"oidc-token-1", b"forged"), method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(bad)
    assert json.loads(error.value.read())["Code"] == "AuthenticationFail.OIDCToken.Invalid"


def test_ecs_metadata_role(fake):
    fake.control("POST", "seed", {"ecs_role": {"name": "KVMoveRole"}})
    base = f"http://127.0.0.1:{fake.port}/latest"
    token_request = urllib.request.Request(f"{base}/api/token", method="PUT",
                                           headers={"X-aliyun-ecs-metadata-token-ttl-seconds": "21600"})
    token = urllib.request.urlopen(token_request).read().decode()
    headers = {"X-aliyun-ecs-metadata-token": token}
    name = urllib.request.urlopen(urllib.request.Request(f"{base}/meta-data/ram/security-credentials/",
                                                         headers=headers)).read().decode()
    assert name == "KVMoveRole"
    body = json.loads(urllib.request.urlopen(urllib.request.Request(
        f"{base}/meta-data/ram/security-credentials/{name}", headers=headers)).read())
    assert body["Code"] == "Success"
    temporary = sdk_client(fake.port, KV, body["AccessKeyId"], body["AccessKeySecret"], body["SecurityToken"])
    assert temporary("DescribeInstances", RegionId="cn-hangzhou")["TotalCount"] == 1


def test_state_survives_a_restart(fake):
    call = sdk_client(fake.port, KV)
    call("ModifyInstanceAttribute", InstanceId="r-source0001", InstanceName="kept")
    port_before = fake.control("GET", "state")["instances"]["r-source0001"]["Port"]
    redis_backend.command(port_before, "Src-Passw0rd!", "SET", "k", "v")
    fake.kill()
    fake.start()
    call = sdk_client(fake.port, KV)
    attribute = call("DescribeInstanceAttribute", InstanceId="r-source0001")["Instances"]["DBInstanceAttribute"][0]
    assert attribute["InstanceName"] == "kept" and attribute["Port"] == port_before
    assert redis_backend.command(port_before, "Src-Passw0rd!", "GET", "k") == "v"


def test_slow_answers_arrive_late_but_are_counted_on_arrival(fake):
    import threading

    call = sdk_client(fake.port, KV)
    fake.control("POST", "faults", {"action": "DescribeEngineVersion", "kind": "slow", "delay": 1.0})
    started = time.time()
    worker = threading.Thread(target=lambda: call("DescribeEngineVersion", InstanceId="r-source0001"))
    worker.start()
    wait_for(lambda: fake.control("GET", "calls")["received"].get("DescribeEngineVersion") == 1)
    assert "DescribeEngineVersion" not in fake.control("GET", "calls")["counts"]
    worker.join()
    assert time.time() - started >= 1.0
    assert fake.control("GET", "calls")["counts"]["DescribeEngineVersion"] == 1


def test_tag_resources_overwrites_a_key_and_untag_removes_it(fake):
    call = sdk_client(fake.port, KV)
    tag = {"ResourceType": "INSTANCE", "ResourceId.1": "r-source0001", "Tag.1.Key": "kvmove:verified"}
    call("TagResources", RegionId="cn-hangzhou", **tag, **{"Tag.1.Value": "failed 2026-12-01T00:00:00Z"})
    call("TagResources", RegionId="cn-hangzhou", **tag, **{"Tag.1.Value": "passed 2026-12-01T00:01:00Z"})
    item = call("DescribeInstances", RegionId="cn-hangzhou", InstanceIds="r-source0001")["Instances"][
        "KVStoreInstance"][0]
    assert {"Key": "kvmove:verified", "Value": "passed 2026-12-01T00:01:00Z"} in item["Tags"]["Tag"]
    with pytest.raises(ClientException) as error:
        call("TagResources", RegionId="cn-hangzhou", **tag, **{"Tag.1.Value": "see https://example.com"})
    assert error.value.code == "InvalidTag.Format"
    with pytest.raises(ClientException) as error:
        call("TagResources", RegionId="cn-hangzhou", **{**tag, "ResourceId.1": "r-nothere"},
             **{"Tag.1.Value": "x"})
    assert error.value.code == "InvalidInstanceId.NotFound"
    call("UntagResources", RegionId="cn-hangzhou", ResourceType="INSTANCE", **{"ResourceId.1": "r-source0001",
                                                                              "TagKey.1": "kvmove:verified"})
    item = call("DescribeInstances", RegionId="cn-hangzhou", InstanceIds="r-source0001")["Instances"][
        "KVStoreInstance"][0]
    assert all(t["Key"] != "kvmove:verified" for t in item["Tags"]["Tag"])
