"""Checks requests and answers against the official SDK's own models: the SDK is the oracle, not a list here.

- `check_request(version, action, params)`: the action must be one the product's SDK client has; every
  parameter must be one its `<action>_with_options` method sends, with the same flattened name and the same
  string value once the value is converted to the model field's declared type; every field the model marks
  `This parameter is required.` must be present (nested models too).
- `check_response(version, action, body)`: every key of an answer must be a field of the action's response body
  model (at any depth), with the JSON type the model declares.
- `check_read_path(version, action, path, type)`: a path such as `Instances.KVStoreInstance[].Tags.Tag[].Key`
  must exist in the response body model with that type.

How the request check works: kvmove's flat query (`Tag.1.Key`, `ResourceId.1`, `Period`) is unflattened into the
wire map (`{"Tag": [{"Key": …}], "ResourceId": […]}`), each value converted to the field's type (type hints of
the model's `__init__`; wire names are found by probing `to_map` one attribute at a time), the request model is
built with `from_map`, and the SDK's real `<action>_with_options` runs on a client whose `call_api` (and
`do_request`, `do_rpcrequest`, `execute`, …) only capture what the SDK would send. Each parameter kvmove sent
must appear in that capture with the identical value. Nothing goes to the network.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import inspect
import json
import math
import re
import typing
from dataclasses import dataclass, field as dataclass_field
from typing import Any

# version -> (python package, distribution name)
PRODUCTS = {
    "2015-01-01": ("alibabacloud_r_kvstore20150101", "alibabacloud-r-kvstore20150101"),
    "2016-04-28": ("alibabacloud_vpc20160428", "alibabacloud-vpc20160428"),
    "2015-04-01": ("alibabacloud_sts20150401", "alibabacloud-sts20150401"),
}
# Parameters of the classic RPC form (and its signature); not business parameters, so not checked.
PROTOCOL = frozenset({"Action", "Version", "Format", "Timestamp", "SignatureNonce", "SignatureMethod",
                      "SignatureVersion", "AccessKeyId", "Signature", "SecurityToken"})
# The official Go SDK adds RegionId to every RPC request, so servers accept it where the model lacks it.
ALWAYS_ALLOWED = frozenset({"RegionId"})
ERROR_KEYS = frozenset({"Code", "Message", "RequestId", "HostId", "Recommend", "AccessDeniedDetail"})
REQUIRED_LINE = "This parameter is required."
CAPTURE_METHODS = ("call_api", "do_request", "do_rpcrequest", "do_roarequest", "do_roarequest_with_form",
                   "execute")
READ_TYPES = ("string", "integer", "boolean", "number", "object", "list")


def missing_sdks() -> list[str]:
    """The SDK distributions (`pip install` names, as pinned in requirements.txt) that cannot be imported."""
    import importlib.util

    return [distribution for package, distribution in PRODUCTS.values() if importlib.util.find_spec(package) is None]


def warm_up() -> None:
    """Imports every product's SDK client (so the first request the fake checks is not the one that waits)."""
    for version in PRODUCTS:
        product(version)


# -- the model's shape ---------------------------------------------------------------------------------------------

@dataclass
class Kind:
    """A field's declared type: `scalar` (py = str/int/bool/float), `list` (of `item`), `model`, `map`, `any`."""

    tag: str
    py: type | None = None
    item: "Kind | None" = None
    model: type | None = None

    def describe(self) -> str:
        if self.tag == "scalar":
            return {str: "string", int: "integer", bool: "boolean", float: "number"}[self.py]
        if self.tag == "list":
            return f"list of {self.item.describe()}"
        if self.tag == "model":
            return f"object {self.model.__name__}"
        return {"map": "object (map)", "any": "any value"}[self.tag]


@dataclass
class Field:
    wire: str
    attr: str
    kind: Kind
    required: bool


@dataclass
class ModelShape:
    cls: type
    fields: dict[str, Field] = dataclass_field(default_factory=dict)  # wire name -> field


def _kind(hint: Any) -> Kind:
    from darabonba.model import DaraModel

    if hint in (str, int, bool, float):
        return Kind("scalar", py=hint)
    origin = typing.get_origin(hint)
    if origin in (list, typing.List):
        (item,) = typing.get_args(hint) or (Any,)
        return Kind("list", item=_kind(item))
    if origin in (dict, typing.Dict):
        return Kind("map")
    if inspect.isclass(hint) and issubclass(hint, DaraModel):
        return Kind("model", model=hint)
    return Kind("any")


def _example(kind: Kind, depth: int = 0) -> Any:
    if kind.tag == "scalar":
        return {str: "x", int: 1, bool: True, float: 1.5}[kind.py]
    if kind.tag == "list":
        return [_example(kind.item, depth + 1)]
    if kind.tag == "model":
        return kind.model()
    if kind.tag == "map":
        return {"k": "v"}
    return "x"


def _required_attrs(cls: type) -> set[str]:
    """Attributes whose comment block in `__init__` has the line `This parameter is required.` (exactly)."""
    try:
        source = inspect.getsource(cls.__init__)
    except (OSError, TypeError):
        return set()
    required: set[str] = set()
    comment: list[str] = []
    for line in source.splitlines():
        text = line.strip()
        if text.startswith("#"):
            comment.append(text.lstrip("#").strip())
            continue
        match = re.match(r"^self\.(\w+)\s*=\s*(\w+)\s*$", text)
        if match and REQUIRED_LINE in comment:
            required.add(match.group(1))
        comment = []
    return required


@functools.lru_cache(maxsize=None)
def shape(cls: type) -> ModelShape:
    """The model's fields by wire name: attribute, declared type, required. Wire names come from `to_map`."""
    hints = typing.get_type_hints(cls.__init__)
    hints.pop("return", None)
    required = _required_attrs(cls)
    baseline = cls().to_map() or {}
    result = ModelShape(cls)
    for attr, hint in hints.items():
        kind = _kind(hint)
        probe = cls()
        setattr(probe, attr, _example(kind))
        changed = [k for k, v in (probe.to_map() or {}).items() if baseline.get(k, _MISSING) != v]
        if len(changed) != 1:
            continue  # not a wire field (never seen in the generated models)
        result.fields[changed[0]] = Field(changed[0], attr, kind, attr in required)
    return result


_MISSING = object()


# -- the product's SDK -------------------------------------------------------------------------------------------

class _Captured(Exception):
    def __init__(self, via: str, action: str | None, version: str | None, query: dict, body: Any,
                 auth_type: str | None) -> None:
        super().__init__(via)
        self.via, self.action, self.version = via, action, version
        self.query, self.body, self.auth_type = query or {}, body, auth_type


@dataclass
class Product:
    version: str
    package: str
    distribution: str
    sdk_version: str
    client: Any
    methods: dict[str, list[str]]  # normalised action name -> method names

    @property
    def label(self) -> str:
        return f"{self.distribution} {self.sdk_version}"


def _normalise(name: str) -> str:
    return name.replace("_", "").lower()


def _capturing_client(module) -> Any:
    from alibabacloud_tea_openapi.models import Config

    client = module.Client(Config(region_id="cn-hangzhou", endpoint="contract.invalid", protocol="http"))

    def capture(via: str):
        def method(*args, **kwargs):
            if via in ("call_api", "do_request", "execute"):
                params, request = args[0], args[1]
                raise _Captured(via, params.action, params.version, request.query, request.body, params.auth_type)
            # do_rpcrequest / do_roarequest*(action, version, protocol, method, auth_type, …, request, runtime)
            request = args[-2]
            raise _Captured(via, args[0], args[1], request.query, request.body, args[4])
        return method

    for name in CAPTURE_METHODS:
        if hasattr(client, name):
            setattr(client, name, capture(name))
    return client


@functools.lru_cache(maxsize=None)
def product(version: str) -> Product | None:
    if version not in PRODUCTS:
        return None
    package, distribution = PRODUCTS[version]
    module = importlib.import_module(f"{package}.client")
    methods: dict[str, list[str]] = {}
    for name in dir(module.Client):
        # `tag_resources_with_options`, and `assume_role_with_oidcwith_options` for AssumeRoleWithOIDC
        if name.endswith("with_options") and not name.startswith("_"):
            methods.setdefault(_normalise(name[:-len("with_options")]), []).append(name)
    return Product(version, package, distribution, importlib.metadata.version(distribution),
                   _capturing_client(module), methods)


@dataclass
class Action:
    name: str
    method: str
    request: type | None
    response_body: type | None


def _arguments(request_cls: type | None, wire: dict | None) -> tuple:
    if request_cls is None:
        return (_runtime(),)
    return (request_cls().from_map(wire) if wire is not None else request_cls(), _runtime())


@functools.lru_cache(maxsize=None)
def action_of(version: str, action: str) -> Action | None:
    """The SDK method for `action`: found by name, confirmed by the `Params(action=…, version=…)` it sends."""
    sdk = product(version)
    if sdk is None:
        return None
    for name in sdk.methods.get(_normalise(action), []):
        hints = typing.get_type_hints(getattr(type(sdk.client), name))
        # None for an action without parameters (GetCallerIdentity): the method takes only `runtime`
        request_cls = next((h for key, h in hints.items() if key not in ("runtime", "return")
                            and inspect.isclass(h)), None)
        try:
            getattr(sdk.client, name)(*_arguments(request_cls, None))
        except _Captured as captured:
            if captured.action != action or captured.version != version:
                continue
        except Exception:  # noqa: BLE001 - the SDK refused an empty request: read the Params it would send
            source = inspect.getsource(getattr(type(sdk.client), name))
            if f"action = '{action}'" not in source or f"version = '{version}'" not in source:
                continue
        response_cls = hints.get("return")
        body_cls = typing.get_type_hints(response_cls.__init__).get("body") if response_cls else None
        return Action(action, name, request_cls, body_cls)
    return None


def _runtime():
    from darabonba.runtime import RuntimeOptions

    return RuntimeOptions()


# -- requests ----------------------------------------------------------------------------------------------------

INT = re.compile(r"^-?(0|[1-9][0-9]*)$")
INDEX = re.compile(r"^[1-9][0-9]*$")


class _Bad(Exception):
    pass


def _convert(kind: Kind, value: str) -> Any:
    """A query string value as the model's type; `_Bad` when it is not in that type's wire format."""
    if kind.tag in ("map", "any") or (kind.tag == "scalar" and kind.py is str):
        return value
    if kind.tag != "scalar":
        raise _Bad(f"is {kind.describe()}, not a single value")
    if kind.py is bool:
        if value not in ("true", "false"):
            raise _Bad(f"is a boolean; the value must be exactly true or false, not {value!r}")
        return value == "true"
    if kind.py is int:
        if not INT.match(value):
            raise _Bad(f"is an integer; the value must be decimal digits, not {value!r}")
        return int(value)
    try:
        number = float(value)
    except ValueError:
        raise _Bad(f"is a number; {value!r} is not one")
    if not math.isfinite(number):
        raise _Bad(f"is a number; {value!r} is not a finite one")
    return number


def _wire_text(kind: Kind | None, value: str) -> str:
    """The SDK's query value as other SDKs put it on the wire (the Python SDK prints booleans as True/False)."""
    if kind is not None and kind.tag == "scalar" and kind.py is bool and value in ("True", "False"):
        return value.lower()
    return value


def _same_value(kind: Kind | None, sent: str, sdk: str) -> bool:
    if kind is not None and kind.tag == "scalar" and kind.py is float:
        try:
            return float(sent) == float(sdk)
        except ValueError:
            return False
    return sent == _wire_text(kind, sdk)


class _Builder:
    """Unflattens kvmove's parameters into the wire map of the request model, collecting violations."""

    def __init__(self, label: str, action: str) -> None:
        self.label, self.action = label, action
        self.violations: list[str] = []
        self.kinds: dict[str, Kind] = {}  # flat name -> the leaf's declared type

    def bad(self, name: str, text: str) -> None:
        self.violations.append(f"{self.action}: parameter \"{name}\" {text} ({self.label})")

    def place(self, item: Field, target: dict, rest: list[str], name: str, value: str) -> None:
        kind = item.kind
        if kind.tag == "list":
            if not rest or not INDEX.match(rest[0]):
                base = name[:len(name) - len(".".join(rest))].rstrip(".")
                tail = ".<Field>" if kind.item.tag == "model" else ""
                self.bad(name, f"is not indexed: {base} is a {kind.describe()}, sent as {base}.1{tail}, "
                         f"{base}.2{tail}, …")
                return
            slots = target.setdefault(item.wire, {})
            index = int(rest[0])
            element = kind.item
            if element.tag == "model":
                sub = slots.setdefault(index, {})
                if not rest[1:]:
                    self.bad(name, f"is an element of {kind.describe()}; send its fields as {name}.<Field>")
                    return
                self._place_in_model(shape(element.model), sub, rest[1:], name, value)
            elif rest[1:]:
                self.bad(name, f"is an element of {kind.describe()}, which has no field {'.'.join(rest[1:])!r}")
            else:
                self._leaf(element, slots, index, name, value)
            return
        if kind.tag == "model":
            if not rest:
                self.bad(name, f"is {kind.describe()}; send its fields as {name}.<Field>")
                return
            self._place_in_model(shape(kind.model), target.setdefault(item.wire, {}), rest, name, value)
            return
        if kind.tag == "map":
            if rest:
                target.setdefault(item.wire, {})[".".join(rest)] = value
            else:
                self._leaf(kind, target, item.wire, name, value)
            return
        if rest:
            self.bad(name, f"is {kind.describe()}, which has no field {'.'.join(rest)!r}")
            return
        self._leaf(kind, target, item.wire, name, value)

    def _place_in_model(self, model: ModelShape, target: dict, parts: list[str], name: str, value: str) -> None:
        item = model.fields.get(parts[0])
        if item is None:
            self.violations.append(f"{self.action}: parameter \"{name}\" is not one {self.label} sends for this "
                                   f"action ({model.cls.__name__} has no field {parts[0]!r})")
            return
        self.place(item, target, parts[1:], name, value)

    def _leaf(self, kind: Kind, target: dict, key: Any, name: str, value: str) -> None:
        if key in target:
            self.bad(name, "is given twice")
            return
        try:
            target[key] = _convert(kind, value)
        except _Bad as error:
            self.bad(name, str(error))
            return
        self.kinds[name] = kind


def _lists(value: Any, name: str, builder: _Builder) -> Any:
    """Turns `{index: item}` slots into lists (in index order) and reports gaps, recursively."""
    if isinstance(value, dict):
        if value and all(isinstance(k, int) for k in value):
            indices = sorted(value)
            if indices != list(range(1, len(indices) + 1)):
                builder.bad(name, f"list indices {indices} are not 1..{len(indices)} without gaps")
            return [_lists(value[i], f"{name}.{i}", builder) for i in indices]
        return {k: _lists(v, f"{name}.{k}" if name else k, builder) for k, v in value.items()}
    return value


def _missing_required(model: ModelShape, wire: dict, prefix: str) -> list[str]:
    """Required fields absent from `wire` (recursing into the nested models that were given)."""
    missing = []
    for item in model.fields.values():
        name = f"{prefix}{item.wire}"
        present = item.wire in wire
        if item.required and not present:
            missing.append(name + (".1" if item.kind.tag == "list" else ""))
            continue
        if not present:
            continue
        if item.kind.tag == "list" and item.kind.item.tag == "model":
            for index, element in enumerate(wire[item.wire], start=1):
                if isinstance(element, dict):
                    missing += _missing_required(shape(item.kind.item.model), element, f"{name}.{index}.")
        elif item.kind.tag == "model" and isinstance(wire[item.wire], dict):
            missing += _missing_required(shape(item.kind.model), wire[item.wire], f"{name}.")
    return missing


def check_request(version: str, action: str, params: list[tuple[str, str]] | list[list[str]]) -> list[str]:
    """Violations of the official SDK's request model by this flat query (an empty list means it is fine)."""
    sdk = product(version)
    if sdk is None:
        return [f"{action}: API version {version!r} is not one of the products checked ({', '.join(PRODUCTS)})"]
    found = action_of(version, action)
    if found is None:
        return [f"{action}: action is not one {sdk.label} has (no {action} with version {version})"]
    builder = _Builder(sdk.label, action)
    model = shape(found.request) if found.request is not None else ModelShape(type(None))
    wire: dict = {}
    sent: list[tuple[str, str]] = []
    names_seen: set[str] = set()
    for pair in params:
        name, value = str(pair[0]), str(pair[1])
        if name in PROTOCOL:
            continue
        if name in names_seen:
            builder.bad(name, "is given twice")
            continue
        names_seen.add(name)
        parts = name.split(".")
        if parts[0] not in model.fields:
            if name in ALWAYS_ALLOWED:
                continue
            builder.violations.append(f"{action}: parameter \"{name}\" is not one {sdk.label} sends for this action")
            continue
        before = len(builder.violations)
        builder.place(model.fields[parts[0]], wire, parts[1:], name, value)
        if len(builder.violations) == before:
            sent.append((name, value))
    wire = _lists(wire, "", builder)
    for name in _missing_required(model, wire, ""):
        builder.violations.append(f"{action}: parameter \"{name}\" is required by {sdk.label} and was not sent")
    if builder.violations:
        return builder.violations
    try:
        getattr(sdk.client, found.method)(*_arguments(found.request, wire))
    except _Captured as captured:
        query = dict(captured.query)
        if isinstance(captured.body, dict):
            from alibabacloud_tea_openapi.utils import Utils

            query.update(Utils.query(captured.body))
    except Exception as error:  # noqa: BLE001 - the SDK's own validation refused the request
        return [f"{action}: {sdk.label} refuses the request: {error}"]
    else:
        return [f"{action}: {sdk.label} did not reach its transport"]
    problems = []
    for name, value in sent:
        if name not in query:
            head = name.split(".")[0]
            shown = f"; it sends {head}={query[head]!r} instead" if head in query else ""
            problems.append(f"{action}: parameter \"{name}\" is not one {sdk.label} sends for this action{shown}")
        elif not _same_value(builder.kinds.get(name), value, query[name]):
            problems.append(f"{action}: parameter \"{name}\" is sent as {value!r}; {sdk.label} sends "
                            f"{_wire_text(builder.kinds.get(name), query[name])!r} for that value")
    return problems


# -- responses ---------------------------------------------------------------------------------------------------

def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _fits(kind: Kind, value: Any) -> bool:
    if kind.tag == "any":
        return True
    if kind.tag == "map":
        return isinstance(value, dict)
    if kind.tag == "model":
        return isinstance(value, dict)
    if kind.tag == "list":
        return isinstance(value, list)
    if kind.py is bool:
        return isinstance(value, bool)
    if kind.py is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind.py is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, str)


def _walk(kind: Kind, value: Any, path: str, out: list[str], action: str, label: str) -> None:
    if not _fits(kind, value):
        out.append(f"{action}: answer field {path} is {_json_type(value)} {json.dumps(value)[:60]}; {label} has "
                   f"{kind.describe()} there")
        return
    if kind.tag == "list":
        for element in value:
            _walk(kind.item, element, f"{path}[]", out, action, label)
    elif kind.tag == "model":
        model = shape(kind.model)
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key not in model.fields:
                out.append(f"{action}: answer field {where} is not in {label}'s {kind.model.__name__}")
                continue
            _walk(model.fields[key].kind, item, where, out, action, label)


def check_response(version: str, action: str, body: dict) -> list[str]:
    """Fields of an answer body that the action's response body model lacks, or whose JSON type differs."""
    if isinstance(body, dict) and "Code" in body and set(body) <= ERROR_KEYS:
        return []  # an error body: not described by the response models
    sdk = product(version)
    found = action_of(version, action)
    if sdk is None or found is None or found.response_body is None:
        return [f"{action}: no response model for this action in version {version!r}"]
    problems: list[str] = []
    _walk(Kind("model", model=found.response_body), body, "", problems, action, sdk.label)
    if not problems:
        try:
            found.response_body().from_map(body)
        except Exception as error:  # noqa: BLE001
            problems.append(f"{action}: {sdk.label} cannot parse the answer: {error}")
    # one message per path (list elements repeat)
    return list(dict.fromkeys(problems))


def check_read_path(version: str, action: str, path: str, type: str) -> list[str]:  # noqa: A002 - the brief's name
    """Whether `path` (`A.B[].C`, `[]` = a list element) exists in the response body model with that type."""
    sdk = product(version)
    found = action_of(version, action)
    where = f"{action}: read of {path} as {type}"
    if sdk is None or found is None or found.response_body is None:
        return [f"{where}: no response model for this action in version {version!r}"]
    if type not in READ_TYPES:
        return [f"{where}: type must be one of {', '.join(READ_TYPES)}"]
    kind = Kind("model", model=found.response_body)
    walked = []
    for component in path.split("."):
        is_element = component.endswith("[]")
        name = component[:-2] if is_element else component
        if kind.tag != "model":
            return [f"{where}: {'.'.join(walked) or 'the body'} is {kind.describe()} in {sdk.label}, which has no "
                    f"field {name!r}"]
        item = shape(kind.model).fields.get(name)
        walked.append(component)
        if item is None:
            return [f"{where}: {sdk.label}'s {kind.model.__name__} has no field {name!r}"]
        kind = item.kind
        last = len(walked) == len(path.split("."))
        if is_element:
            if kind.tag != "list":
                return [f"{where}: {'.'.join(walked)} reads a list element, but {name} is {kind.describe()} in "
                        f"{sdk.label}"]
            kind = kind.item
        elif kind.tag == "list" and not (last and type == "list"):
            return [f"{where}: {name} is {kind.describe()} in {sdk.label}; the path must say {name}[]"]
    wanted = {"string": (str,), "integer": (int,), "boolean": (bool,), "number": (float,)}
    if type in wanted:
        ok = kind.tag == "scalar" and kind.py in wanted[type]
    elif type == "object":
        ok = kind.tag in ("model", "map")
    else:
        ok = kind.tag == "list"
    if not ok and kind.tag != "any":
        return [f"{where}: {sdk.label} has {kind.describe()} there"]
    return []
