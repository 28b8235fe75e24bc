"""STS 2015-04-01 (AssumeRole, AssumeRoleWithOIDC) and the ECS metadata service's RAM role credentials."""

from __future__ import annotations

import random
import string

from .errors import ApiError, invalid
from .kvstore import require
from .world import World

VERSION = "2015-04-01"


def _duration(params: dict) -> int:
    try:
        seconds = int(params.get("DurationSeconds", "3600"))
    except ValueError:
        raise invalid("DurationSeconds")
    if seconds < 900 or seconds > 43200:
        raise invalid("DurationSeconds", "It must be between 900 and 43200.")
    return seconds


def _role(world: World, params: dict) -> str:
    require(params, "RoleArn", "RoleSessionName")
    arn = params["RoleArn"]
    if arn not in world.data["roles"]:
        raise ApiError(404, "EntityNotExist.Role", "The role not exists: " + arn)
    return arn


def _assumed(arn: str, params: dict, credentials: dict) -> dict:
    role_id = "".join(random.choices(string.digits, k=18))
    return {"AssumedRoleUser": {"AssumedRoleId": f"{role_id}:{params['RoleSessionName']}",
                                "Arn": arn.replace(":role/", ":assumed-role/") + "/" + params["RoleSessionName"]},
            "Credentials": credentials}


def assume_role(world: World, params: dict) -> dict:
    arn = _role(world, params)
    external = world.data["roles"][arn].get("external_id")
    if external and params.get("ExternalId") != external:
        raise ApiError(403, "NoPermission.ExternalId", "The ExternalId does not match the role's trust policy.")
    return _assumed(arn, params, world.issue_temporary_key(_duration(params)))


def assume_role_with_oidc(world: World, params: dict) -> dict:
    require(params, "OIDCProviderArn", "OIDCToken")
    arn = _role(world, params)
    provider = world.data["oidc_providers"].get(params["OIDCProviderArn"])
    if provider is None:
        raise ApiError(404, "EntityNotExist.OIDCProvider", "The OIDC provider does not exist.")
    if params["OIDCToken"] not in provider.get("tokens", []):
        raise ApiError(400, "AuthenticationFail.OIDCToken.Invalid", "The OIDC token is not valid.")
    result = _assumed(arn, params, world.issue_temporary_key(_duration(params)))
    result["OIDCTokenInfo"] = {"Subject": "repo:example/kvmove", "Issuer": "https://token.actions.example",
                               "ClientIds": "sts.aliyuncs.com"}
    return result


ACTIONS = {"AssumeRole": assume_role, "AssumeRoleWithOIDC": assume_role_with_oidc}
ANONYMOUS = {"AssumeRoleWithOIDC"}  # the OIDC token is the credential; the request is not signed


def metadata(world: World, method: str, path: str, headers: dict[str, str]) -> tuple[int, str, str]:
    """The ECS metadata paths: IMDSv2 token, the role name, and the role's temporary credentials."""
    role = world.data.get("ecs_role")
    if method == "PUT" and path == "/latest/api/token":
        if "x-aliyun-ecs-metadata-token-ttl-seconds" not in headers:
            return 400, "text/plain", "missing X-aliyun-ecs-metadata-token-ttl-seconds"
        token = "imds-" + "".join(random.choices(string.ascii_letters, k=24))
        world.data.setdefault("imds_tokens", []).append(token)
        return 200, "text/plain", token
    if method != "GET":
        return 405, "text/plain", "method not allowed"
    sent = headers.get("x-aliyun-ecs-metadata-token")
    if sent is not None and sent not in world.data.get("imds_tokens", []):
        return 401, "text/plain", "invalid metadata token"
    if role and role.get("require_token") and sent is None:
        return 401, "text/plain", "IMDSv2 token required"
    prefix = "/latest/meta-data/ram/security-credentials/"
    if not path.startswith(prefix) or role is None:
        return 404, "text/plain", "not found"
    name = path[len(prefix):]
    if name == "":
        return 200, "text/plain", role["name"]
    if name != role["name"]:
        return 404, "text/plain", "not found"
    credentials = world.issue_temporary_key(21600)
    import json
    body = dict(credentials, Code="Success", LastUpdated=credentials["Expiration"])
    return 200, "application/json", json.dumps(body)
