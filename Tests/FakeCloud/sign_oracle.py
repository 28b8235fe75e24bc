#!/usr/bin/env python3
"""Signs requests with the official SDK's ACS3-HMAC-SHA256 signer: one JSON object per line in, one out.

In:  {"method", "pathname", "query": {name: value}, "headers": {name: value} (exactly the signed headers, as
      sent), "body": text, "access_key_id", "access_key_secret"}
Out: {"authorization": the SDK's Authorization header, "content_sha256": hex SHA-256 of the body}
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fakecloud.signing import sdk_authorization  # noqa: E402


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        body = case.get("body", "").encode()
        headers = {name.lower(): value for name, value in case["headers"].items()}
        authorization = sdk_authorization(case.get("method", "POST"), case.get("pathname", "/"), case["query"],
                                          headers, body, case["access_key_id"], case["access_key_secret"])
        print(json.dumps({"authorization": authorization, "content_sha256": hashlib.sha256(body).hexdigest()}),
              flush=True)


if __name__ == "__main__":
    main()
