#!/usr/bin/env python3
"""Check schemas/*.schema.json against the examples and part of the bad-spec corpus.

Checks, each counted as one passed or failed check:
  - each schema (migration, sandbox) is a valid JSON Schema 2020-12 document;
  - every object schema has "additionalProperties": false (a map types its values instead), and every property has a
    "description" and "examples" (and those examples validate against the property);
  - every file under examples/ starts with the yaml-language-server modeline pointing at the schema
    of its documents' kind (Migration or Sandbox);
  - every document in examples/ validates against its kind's schema (${VAR} substituted first);
  - each known schema-level bad spec in Tests/KVMoveSpecTests/Fixtures/bad is rejected.

Prints one line per failure, then "N passed, M failed"; exits non-zero on any failure.
Needs python3 with jsonschema and PyYAML (Debian: python3-jsonschema python3-yaml).
"""

import json
import os
import re
import sys

import jsonschema
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA_PATH = os.path.join(ROOT, "schemas", "migration.schema.json")
SCHEMAS = {
    "Migration": (SCHEMA_PATH, "https://kvmove.dev/schemas/migration/v1.json"),
    "Sandbox": (os.path.join(ROOT, "schemas", "sandbox.schema.json"), "https://kvmove.dev/schemas/sandbox/v1.json"),
}
EXAMPLES = os.path.join(ROOT, "examples")
BAD = os.path.join(ROOT, "Tests", "KVMoveSpecTests", "Fixtures", "bad")
MODELINE = "# yaml-language-server: $schema="

# Values for ${VAR} references in the examples.
ENVIRONMENT = {"KVMOVE_ENV": "staging", "KVMOVE_STAGE": "sync"}

# Bad specs that the schema alone must reject (the others need the loader: YAML syntax,
# interpolation, duplicate names across documents, alias budgets...).
SCHEMA_LEVEL_BAD = [
    "bad-billing-type",
    "bad-billing-type-case",
    "bad-duration-format",
    "bad-duration-integer",
    "bad-duration-order",
    "bad-duration-zero",
    "bad-instance-id",
    "bad-network-ids",
    "bad-period",
    "security-ips-bad",
    "bad-provider",
    "bad-stage",
    "empty-region-zone",
    "metadata-name-starts-with-digit",
    "metadata-name-too-long",
    "metadata-name-trailing-hyphen",
    "metadata-name-underscore",
    "metadata-name-uppercase",
    "missing-kind",
    "missing-required-keys",
    "missing-spec",
    "multiple-errors",
    "name-forbidden-character",
    "name-starts-with-digit",
    "name-too-long",
    "name-too-short",
    "postpaid-with-period",
    "prepaid-without-period",
    "top-level-list",
    "unknown-key-active-active",
    "unknown-key-billing",
    "unknown-key-cutover",
    "unknown-key-idle-gate",
    "unknown-key-metadata",
    "unknown-key-source",
    "unknown-key-spec",
    "unknown-key-target",
    "unknown-key-top",
    "unknown-key-top-did-you-mean",
    "wrong-api-version",
    "wrong-kind",
    "wrong-type-boolean",
    "wrong-type-empty-value",
    "wrong-type-integer",
    "wrong-type-list",
    "wrong-type-mapping",
    "wrong-type-quoted-integer",
    "wrong-type-string",
]

passed = 0
failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}")


def interpolate(text):
    """Substitute ${VAR} from ENVIRONMENT; $${ is a literal ${ (as the loader does)."""

    def replace(match):
        if match.group(0) == "$${":
            return "${"
        name = match.group(1)
        if name not in ENVIRONMENT:
            raise KeyError(f"${{{name}}} is not set in check-schema.py's ENVIRONMENT")
        return ENVIRONMENT[name]

    return re.sub(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}", replace, text)


def walk_schema(node, where, validator_class):
    """Check additionalProperties and property documentation, recursively."""
    if not isinstance(node, dict):
        return
    if node.get("type") == "object":
        # Closed objects say additionalProperties: false; a map (group name -> list) types its values instead.
        additional = node.get("additionalProperties")
        check(
            additional is False or (isinstance(additional, dict) and "properties" not in node),
            f"{where}: object without additionalProperties: false (or a typed map)",
        )
        if isinstance(additional, dict):
            walk_schema(additional, f"{where}.*", validator_class)
    for name, sub in node.get("properties", {}).items():
        path = f"{where}.{name}"
        check(isinstance(sub, dict) and bool(sub.get("description")), f"{path}: missing description")
        examples = sub.get("examples") if isinstance(sub, dict) else None
        check(isinstance(examples, list) and len(examples) > 0, f"{path}: missing examples")
        walk_schema(sub, path, validator_class)
    for name, sub in node.get("$defs", {}).items():
        walk_schema(sub, f"$defs.{name}", validator_class)
    if isinstance(node.get("items"), dict):
        walk_schema(node["items"], f"{where}[]", validator_class)


def validate_property_examples(schema, node, where):
    """Every property's examples must validate against that property (with $refs resolved)."""
    if not isinstance(node, dict):
        return
    for name, sub in node.get("properties", {}).items():
        path = f"{where}.{name}"
        if isinstance(sub, dict):
            wrapper = dict(sub)
            wrapper.pop("examples", None)
            wrapper["$defs"] = schema.get("$defs", {})
            validator = jsonschema.Draft202012Validator(
                wrapper, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
            )
            for example in sub.get("examples", []):
                errors = list(validator.iter_errors(example))
                check(not errors, f"{path}: example {example!r} does not validate: {errors[:1]}")
        validate_property_examples(schema, sub, path)


def example_files():
    for directory, dirnames, filenames in os.walk(EXAMPLES):
        # Hidden folders (such as a workflow's .github/) are skipped, as the loader skips them.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            if filename.endswith((".yaml", ".yml")):
                yield os.path.join(directory, filename)


def load_schema(path, expected_id):
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    name = os.path.relpath(path, ROOT)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        check(True, f"{name} is valid")
    except jsonschema.SchemaError as error:
        check(False, f"{name} is not a valid 2020-12 schema: {error.message}")
    check(schema.get("$schema") == "https://json-schema.org/draft/2020-12/schema", f"{name}: $schema is 2020-12")
    check(schema.get("$id") == expected_id, f"{name}: $id is {expected_id}")
    walk_schema(schema, name, jsonschema.Draft202012Validator)
    validate_property_examples(schema, schema, name)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def main():
    validators = {kind: load_schema(path, expected) for kind, (path, expected) in SCHEMAS.items()}
    validator = validators["Migration"]

    files = list(example_files())
    check(len(files) >= 3, "examples/ holds at least three spec files")
    for path in files:
        relative = os.path.relpath(path, ROOT)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            documents = [d for d in yaml.safe_load_all(interpolate(text)) if d is not None]
        except (yaml.YAMLError, KeyError) as error:
            check(False, f"{relative}: cannot be read: {error}")
            continue
        check(len(documents) > 0, f"{relative}: has no documents")
        kinds = {d.get("kind") if isinstance(d, dict) else None for d in documents}
        check(len(kinds) == 1 and kinds <= set(SCHEMAS), f"{relative}: documents of one known kind, found {kinds}")
        kind = next(iter(kinds)) if len(kinds) == 1 and kinds <= set(SCHEMAS) else "Migration"
        first = text.split("\n", 1)[0]
        check(first.startswith(MODELINE), f"{relative}: does not start with the yaml-language-server modeline")
        if first.startswith(MODELINE):
            target = os.path.normpath(os.path.join(os.path.dirname(path), first[len(MODELINE):].strip()))
            check(target == SCHEMAS[kind][0], f"{relative}: modeline points at {target}, not the {kind} schema")
        for index, document in enumerate(documents, start=1):
            errors = sorted(validators[kind].iter_errors(document), key=lambda e: list(e.path))
            detail = "; ".join(f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors)
            check(not errors, f"{relative} document {index}: {detail}")

    for name in SCHEMA_LEVEL_BAD:
        path = os.path.join(BAD, name + ".yaml")
        if not os.path.exists(path):
            check(False, f"bad/{name}.yaml is missing")
            continue
        with open(path, encoding="utf-8") as f:
            documents = [d for d in yaml.safe_load_all(f.read()) if d is not None]
        rejected = any(list(validator.iter_errors(d)) for d in documents)
        check(rejected, f"bad/{name}.yaml is accepted by the schema but must be rejected")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
