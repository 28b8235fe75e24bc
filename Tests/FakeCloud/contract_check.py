#!/usr/bin/env python3
"""Checks requests and response reads against the official SDK's models (fakecloud/contract.py).

Usage: contract_check.py FILE   (FILE may be - for stdin)

In:  {"requests": [{"version", "action", "params": [[name, value], …], "origin": "free text"}, …],
      "reads": [{"version", "action", "path": "Instances.KVStoreInstance[].Tags.Tag[].Key",
                 "type": "string|integer|boolean|number|object|list", "origin": "free text"}, …]}
Out: stdout, JSON {"checked_requests": N, "checked_reads": M, "distinct_actions": [action names, sorted],
                   "violations": [{"origin", "action", "message"}, …]};
     stderr, one line per violation: "<origin>: <message>".
Exit: 0 no violation, 1 some violation, 2 bad input (unreadable file, not JSON, wrong shape).
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fakecloud import contract  # noqa: E402


class BadInput(Exception):
    pass


def _text(item: dict, name: str, where: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value:
        raise BadInput(f"{where}: \"{name}\" must be a non-empty string")
    return value


def load(path: str) -> tuple[list[dict], list[dict]]:
    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
        document = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadInput(f"cannot read {path}: {error}")
    if not isinstance(document, dict):
        raise BadInput("the input must be a JSON object with \"requests\" and/or \"reads\"")
    requests, reads = document.get("requests", []), document.get("reads", [])
    if not isinstance(requests, list) or not isinstance(reads, list):
        raise BadInput("\"requests\" and \"reads\" must be arrays")
    checked_requests = []
    for index, item in enumerate(requests):
        where = f"requests[{index}]"
        if not isinstance(item, dict):
            raise BadInput(f"{where} must be an object")
        params = item.get("params", [])
        if not isinstance(params, list) or not all(
                isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in params):
            raise BadInput(f"{where}: \"params\" must be an array of [name, value] string pairs")
        checked_requests.append({"version": _text(item, "version", where), "action": _text(item, "action", where),
                                 "params": [(p[0], p[1]) for p in params], "origin": str(item.get("origin", where))})
    checked_reads = []
    for index, item in enumerate(reads):
        where = f"reads[{index}]"
        if not isinstance(item, dict):
            raise BadInput(f"{where} must be an object")
        kind = _text(item, "type", where)
        if kind not in contract.READ_TYPES:
            raise BadInput(f"{where}: \"type\" must be one of {', '.join(contract.READ_TYPES)}")
        checked_reads.append({"version": _text(item, "version", where), "action": _text(item, "action", where),
                              "path": _text(item, "path", where), "type": kind,
                              "origin": str(item.get("origin", where))})
    return checked_requests, checked_reads


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: contract_check.py FILE", file=sys.stderr)
        return 2
    try:
        requests, reads = load(argv[1])
    except BadInput as error:
        print(f"contract_check: bad input: {error}", file=sys.stderr)
        return 2
    missing = contract.missing_sdks()
    if missing:
        print(f"contract_check: the official SDK packages are missing: {', '.join(missing)} "
              "(pip install -r Tests/FakeCloud/requirements.txt)", file=sys.stderr)
        return 2
    violations = []
    actions: set[str] = set()
    for item in requests:
        actions.add(item["action"])
        for message in contract.check_request(item["version"], item["action"], item["params"]):
            violations.append({"origin": item["origin"], "action": item["action"], "message": message})
    for item in reads:
        actions.add(item["action"])
        for message in contract.check_read_path(item["version"], item["action"], item["path"], item["type"]):
            violations.append({"origin": item["origin"], "action": item["action"], "message": message})
    print(json.dumps({"checked_requests": len(requests), "checked_reads": len(reads),
                      "distinct_actions": sorted(actions), "violations": violations}, indent=1))
    for violation in violations:
        print(f"{violation['origin']}: {violation['message']}", file=sys.stderr)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
