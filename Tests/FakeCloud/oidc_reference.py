#!/usr/bin/env python3
"""The AssumeRoleWithOIDC request the official credentials library sends, captured without any network.

In (stdin, JSON): {"role_arn", "oidc_provider_arn", "oidc_token", "role_session_name", "duration_seconds",
                   "sts_endpoint"} (role_session_name and duration_seconds may be left out: the library's defaults)
Out (stdout, JSON): {"method", "scheme", "host", "path", "query": {name: value}, "form": {name: value},
                     "headers": {lower-case name: value}, "volatile": ["query.Timestamp", "headers.user-agent", …],
                     "library": "alibabacloud-credentials <version>"}

It runs `alibabacloud_credentials`' own `OIDCRoleArnCredentialsProvider.get_credentials()` with the token in a
temporary file, and replaces the HTTP session the library sends through (`Tea.core.TeaCore._get_session`) with one
that records the prepared request and answers with made-up credentials. What is recorded is the request as the
library hands it to `requests` (the layer below only adds transport headers such as `Accept-Encoding` and
`Connection`). Values that change per call (timestamp, user agent, a defaulted session name) are kept and listed
under `volatile`.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
import tempfile
from urllib.parse import parse_qsl, urlsplit


class _Response:
    status_code = 200
    reason = "OK"

    def __init__(self) -> None:
        self.headers = {"Content-Type": "application/json"}
        self.content = json.dumps({"RequestId": "00000000-0000-0000-0000-000000000000", "Credentials": {
            "AccessKeyId": "STS.reference", "AccessKeySecret": "reference", "SecurityToken": "reference",
            "Expiration": "2099-01-01T00:00:00Z"}}).encode()


class _RecordingSession:
    def __init__(self) -> None:
        self.sent = []

    def send(self, prepared, **_options):
        self.sent.append(prepared)
        return _Response()


def capture(case: dict) -> dict:
    from alibabacloud_credentials.provider.oidc import OIDCRoleArnCredentialsProvider
    from Tea.core import TeaCore

    session = _RecordingSession()
    original = TeaCore._get_session
    TeaCore._get_session = staticmethod(lambda *args, **kwargs: session)
    try:
        with tempfile.TemporaryDirectory(prefix="kvmove-oidc-reference-") as directory:
            token_file = os.path.join(directory, "token")
            with open(token_file, "w") as handle:
                handle.write(case["oidc_token"])
            options = {"role_arn": case["role_arn"], "oidc_provider_arn": case["oidc_provider_arn"],
                       "oidc_token_file_path": token_file, "sts_endpoint": case.get("sts_endpoint") or None}
            if case.get("role_session_name"):
                options["role_session_name"] = case["role_session_name"]
            if case.get("duration_seconds") is not None:
                options["duration_seconds"] = int(case["duration_seconds"])
            OIDCRoleArnCredentialsProvider(**options).get_credentials()
    finally:
        TeaCore._get_session = original
    if len(session.sent) != 1:
        raise RuntimeError(f"the library sent {len(session.sent)} requests, not one")
    prepared = session.sent[0]
    url = urlsplit(prepared.url)
    body = prepared.body.decode() if isinstance(prepared.body, bytes) else (prepared.body or "")
    headers = {name.lower(): value for name, value in prepared.headers.items()}
    form = dict(parse_qsl(body, keep_blank_values=True)) \
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded") else {}
    query = dict(parse_qsl(url.query, keep_blank_values=True))
    volatile = [f"query.{n}" for n in ("Timestamp", "SignatureNonce") if n in query]
    volatile += [f"form.{n}" for n in ("Timestamp", "SignatureNonce") if n in form]
    volatile += [f"headers.{n}" for n in ("user-agent", "date", "x-acs-date", "x-acs-signature-nonce")
                 if n in headers]
    if not case.get("role_session_name"):
        volatile.append("query.RoleSessionName")  # the library's default carries the time
    return {"method": prepared.method, "scheme": url.scheme, "host": url.netloc, "path": url.path or "/",
            "query": query, "form": form, "headers": headers, "volatile": volatile,
            "library": f"alibabacloud-credentials {importlib.metadata.version('alibabacloud-credentials')}"}


def main() -> int:
    try:
        case = json.load(sys.stdin)
        for name in ("role_arn", "oidc_provider_arn", "oidc_token"):
            if not isinstance(case.get(name), str) or not case[name]:
                raise ValueError(f"{name} must be a non-empty string")
    except ValueError as error:
        print(f"oidc_reference: bad input: {error}", file=sys.stderr)
        return 2
    print(json.dumps(capture(case), indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
