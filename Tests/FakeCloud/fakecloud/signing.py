"""Checks request signatures with the official SDK's own signer functions (never a reimplementation).

ACS3-HMAC-SHA256 (V3, every product) goes through `alibabacloud_tea_openapi.utils.Utils.get_authorization`;
the deprecated V2 HMAC-SHA1 query signature, which the credentials libraries still use for STS, goes through
`Utils.get_rpcsignature`.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from alibabacloud_tea_openapi.utils import Utils
from darabonba.request import DaraRequest

from .errors import ApiError

ALGORITHM = "ACS3-HMAC-SHA256"
# Headers a V3 request must sign (content-type too when a body is sent), per the V3 signature document.
REQUIRED_SIGNED = ("host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256")
V2_PARAMS = ("AccessKeyId", "SignatureMethod", "SignatureNonce", "SignatureVersion", "Timestamp", "Signature")
CLOCK_SKEW_SECONDS = 15 * 60


@dataclass
class SignedBy:
    """Who signed a request: the access key id, and the security token it carried (temporary keys)."""

    access_key_id: str
    security_token: str | None
    version: str  # "v3" or "v2"


def sdk_authorization(method: str, pathname: str, query: dict[str, str], headers: dict[str, str], body: bytes,
                      access_key_id: str, access_key_secret: str) -> str:
    """The Authorization header the official SDK computes for exactly these signed headers."""
    request = DaraRequest()
    request.method = method
    request.pathname = pathname
    request.query = dict(query)
    request.headers = dict(headers)
    payload = hashlib.sha256(body).hexdigest()
    return Utils.get_authorization(request, ALGORITHM, payload, access_key_id, access_key_secret)


def parse_authorization(value: str) -> tuple[str, list[str], str]:
    """Splits `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`."""
    if not value.startswith(ALGORITHM + " "):
        raise ApiError(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards. "
                       f"(the Authorization header must start with {ALGORITHM})")
    fields: dict[str, str] = {}
    for part in value[len(ALGORITHM) + 1:].split(","):
        name, _, item = part.strip().partition("=")
        fields[name] = item
    try:
        return fields["Credential"], fields["SignedHeaders"].split(";"), fields["Signature"]
    except KeyError as error:
        raise ApiError(400, "IncompleteSignature", f"The request signature does not conform to Aliyun standards. (no {error.args[0]})")


def _check_date(text: str, now: float) -> None:
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        raise ApiError(400, "InvalidTimeStamp.Format", f"Specified time stamp or date value is not well formatted. ({text!r})")
    if abs(now - moment) > CLOCK_SKEW_SECONDS:
        raise ApiError(400, "IllegalTimestamp", "The input parameter \"Timestamp\" that is mandatory for processing "
                       "this request is not supplied or is out of the 15-minute window.")


def check_timestamp(text: str) -> None:
    """A classic RPC `Timestamp` (also on the unsigned AssumeRoleWithOIDC form): well formed, within 15 minutes."""
    _check_date(text, time.time())


class Verifier:
    """Verifies V3 (and, where allowed, V2) signatures against the keys the fake cloud knows."""

    def __init__(self, lookup_secret, note_nonce) -> None:
        # lookup_secret(access_key_id) -> (secret, token or None, expires epoch or None, disabled) or None
        self._lookup = lookup_secret
        self._note_nonce = note_nonce  # note_nonce(nonce) -> bool (False when already used)

    def verify_v3(self, method: str, pathname: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> SignedBy:
        credential, signed, signature = parse_authorization(headers["authorization"])
        missing = [name for name in REQUIRED_SIGNED if name not in signed]
        if "x-acs-security-token" in headers and "x-acs-security-token" not in signed:
            missing.append("x-acs-security-token")
        if body and "content-type" in headers and "content-type" not in signed:
            missing.append("content-type")
        absent = [name for name in signed if name not in headers]
        if missing or absent:
            raise ApiError(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards. "
                           f"(unsigned: {missing}, signed but not sent: {absent})")
        if signed != sorted(signed):
            raise ApiError(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards. "
                           "(SignedHeaders must be sorted)")
        payload = hashlib.sha256(body).hexdigest()
        if headers["x-acs-content-sha256"] != payload:
            raise ApiError(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards. "
                           "(x-acs-content-sha256 is not the SHA-256 of the body)")
        _check_date(headers["x-acs-date"], time.time())
        key = self._lookup(credential)
        secret, token, expires = self._key(key)
        expected = sdk_authorization(method, pathname, query, {name: headers[name] for name in signed}, body,
                                     credential, secret)
        if expected.rsplit("Signature=", 1)[1] != signature:
            raise ApiError(400, "SignatureDoesNotMatch", "Specified signature does not match our calculation.")
        sent_token = headers.get("x-acs-security-token")
        self._check_token(token, expires, sent_token)
        if not self._note_nonce(headers["x-acs-signature-nonce"]):
            raise ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        return SignedBy(credential, sent_token, "v3")

    def verify_v2(self, method: str, params: dict[str, str]) -> SignedBy:
        for name in V2_PARAMS:
            if name not in params:
                raise ApiError(400, "MissingParameter", f"The input parameter \"{name}\" that is mandatory for processing this request is not supplied.")
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            raise ApiError(400, "InvalidParameter", "SignatureMethod must be HMAC-SHA1 and SignatureVersion 1.0.")
        _check_date(params["Timestamp"], time.time())
        key = self._lookup(params["AccessKeyId"])
        secret, token, expires = self._key(key)
        signed = {name: value for name, value in params.items() if name != "Signature"}
        if Utils.get_rpcsignature(signed, method, secret) != params["Signature"]:
            raise ApiError(400, "SignatureDoesNotMatch", "Specified signature does not match our calculation.")
        self._check_token(token, expires, params.get("SecurityToken"))
        if not self._note_nonce(params["SignatureNonce"]):
            raise ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        return SignedBy(params["AccessKeyId"], params.get("SecurityToken"), "v2")

    @staticmethod
    def _key(key) -> tuple:
        """The real API answers 404 for a key it does not know and 400 for a disabled one."""
        if key is None:
            raise ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        secret, token, expires, disabled = key
        if disabled:
            raise ApiError(400, "InvalidAccessKeyId.Inactive", "Specified access key is disabled.")
        return secret, token, expires

    @staticmethod
    def _check_token(token: str | None, expires: float | None, sent: str | None) -> None:
        if token is None:
            if sent is not None:
                raise ApiError(400, "InvalidSecurityToken.Mismatch", "Specified security token is not for this access key.")
            return
        if sent != token:
            raise ApiError(400, "InvalidSecurityToken.Mismatch" if sent else "InvalidSecurityToken.Missing",
                           "The security token is missing or does not belong to this temporary access key.")
        if expires is not None and time.time() >= expires:
            raise ApiError(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
