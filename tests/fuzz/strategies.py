"""Hypothesis strategies for Frontdoor's event contracts, drawn from each contract's own JSON Schema.

The schema is what the contracts publish (docs/contracts/events/), so the generator follows the contracts
as they change. It covers the JSON Schema the contracts use: objects with `additionalProperties: false`,
`$ref`, `anyOf`, `enum`, `const`, strings with lengths, patterns and the formats uuid, date and date-time,
bounded numbers, booleans and arrays (unique or not). Two things the schema cannot say are added by name:
a UK postcode (an AfterValidator) and strings that are stripped before their minimum length is checked.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

JsonValue = Any

POSTCODE = r"[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}"
OFFSETS = [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]


def examples(default: int) -> int:
    """Examples per property: modest for CI, FUZZ_EXAMPLES for a bigger run."""
    return int(os.environ.get("FUZZ_EXAMPLES", default))


def _text(spec: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = spec.get("minLength", 0), min(spec.get("maxLength", 60), 60)
    if spec.get("minLength"):  # stripped before the length is checked: keep a non-space at each end
        return st.text(min_size=low, max_size=high).map(str.strip).filter(lambda s: len(s) >= low)
    return st.text(max_size=high)


def from_schema(spec: dict[str, Any], defs: dict[str, Any], name: str = "") -> st.SearchStrategy[JsonValue]:
    """A strategy for JSON values that the schema `spec` describes (within `defs`)."""
    if "$ref" in spec:
        return from_schema(defs[spec["$ref"].rsplit("/", 1)[-1]], defs, name)
    if "anyOf" in spec:
        return st.one_of([from_schema(option, defs, name) for option in spec["anyOf"]])
    if "const" in spec:
        return st.just(spec["const"])
    if "enum" in spec:
        return st.sampled_from(spec["enum"])
    kind = spec.get("type")
    if kind == "object":
        return _object(spec, defs)
    if kind == "array":
        items = from_schema(spec["items"], defs, name)
        unique = spec.get("uniqueItems", False)
        return st.lists(items, max_size=4, unique_by=(lambda v: json.dumps(v, sort_keys=True)) if unique else None)
    if kind == "string":
        fmt = spec.get("format")
        if fmt == "uuid":
            return st.uuids().map(str)
        if fmt == "date":
            return st.dates(date(1990, 1, 1), date(2100, 1, 1)).map(date.isoformat)
        if fmt == "date-time":
            moments = st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1), timezones=st.sampled_from(OFFSETS))
            return moments.map(datetime.isoformat)
        if name == "postcode":
            return st.from_regex(POSTCODE, fullmatch=True)
        if "pattern" in spec:
            pattern = st.from_regex(spec["pattern"], fullmatch=True)
            return pattern.filter(lambda s: len(s) <= spec.get("maxLength", len(s)))
        return _text(spec)
    if kind == "integer":
        return st.integers(spec.get("minimum", -(2**31)), spec.get("maximum", 2**31))
    if kind == "number":
        return st.floats(spec.get("minimum", -1e12), spec.get("maximum", 1e12), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    raise NotImplementedError(f"schema not covered by the fuzz strategies: {spec}")


def _object(spec: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[dict[str, JsonValue]]:
    properties = spec.get("properties", {})
    required = set(spec.get("required", ()))
    needed = {name: from_schema(sub, defs, name) for name, sub in properties.items() if name in required}
    optional = {name: from_schema(sub, defs, name) for name, sub in properties.items() if name not in required}
    return st.fixed_dictionaries(needed, optional=optional)


def events_of(model: Any) -> st.SearchStrategy[dict[str, JsonValue]]:
    """JSON objects shaped as the event `model` (an Envelope subclass) by its JSON Schema."""
    schema = model.model_json_schema()
    return from_schema(schema, schema.get("$defs", {}))


json_values: st.SearchStrategy[JsonValue] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
hostile_keys = st.sampled_from(
    ["$gt", "$where", "$set", "a.b", "payload.text", "__proto__", "", "\x00", "é"]
) | st.text(max_size=10)


@st.composite
def mutated(draw: st.DrawFn, valid: dict[str, JsonValue]) -> JsonValue:
    """A valid event with one to three mutations: a field dropped, replaced by any JSON, or a key added."""
    value: JsonValue = json.loads(json.dumps(valid))
    for _ in range(draw(st.integers(1, 3))):
        value = _mutate_once(draw, value)
    return value


def _mutate_once(draw: st.DrawFn, value: JsonValue) -> JsonValue:
    # walk down to a random container, then change one thing in it
    path: list[Any] = []
    node = value
    while isinstance(node, dict | list) and node and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
        path.append(key)
        node = node[key]
    action = draw(st.sampled_from(["replace", "drop", "add"]))
    if not path:
        return draw(json_values) if action == "replace" or not isinstance(value, dict) else value
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if action == "replace":
        parent[last] = draw(json_values)
    elif action == "drop":
        del parent[last]
    elif isinstance(parent, dict):
        parent[draw(hostile_keys)] = draw(json_values)
    else:
        parent.append(draw(json_values))
    return value
