"""Loading the directory and the routing rules from YAML, with errors that name what is wrong."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from frontdoor_shared.contracts import Channel, ContactKind, CustomerFlag, DestinationKind

from .domain.directory import Destination, Directory
from .domain.rules import Conditions, Rule, RuleSet, Target
from .domain.text import words_of


class ConfigError(ValueError):
    """A configuration file is wrong; the message names the file, the entry and the field."""


Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DestinationEntry(_Strict):
    code: Code
    name: str = Field(min_length=1)
    kind: DestinationKind
    accepts: list[ContactKind] = Field(min_length=1)


class DirectoryFile(_Strict):
    destinations: list[DestinationEntry] = Field(min_length=1)


class TargetEntry(_Strict):
    destination: Code
    priority: int = Field(ge=0, le=100)
    due_within_hours: float = Field(gt=0, le=24 * 365)


class WhenEntry(_Strict):
    channels: list[Channel] = []
    kinds: list[ContactKind] = []
    categories: list[Code] = []
    service_codes: list[str] = []
    words: list[Annotated[str, StringConstraints(min_length=1)]] = []
    wards: list[str] = []
    postcode_districts: list[Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{1,2}[0-9][0-9A-Za-z]?$")]] = []
    customer_flags: list[CustomerFlag] = []
    on_behalf_of: bool | None = None


class RuleEntry(_Strict):
    id: Code
    description: str = Field(min_length=1)
    when: WhenEntry
    target: TargetEntry


class RulesFile(_Strict):
    version: str = Field(min_length=1, max_length=200)
    rules: list[RuleEntry]
    default: TargetEntry


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: is not valid YAML: {error}") from error


def _describe(path: Path, error: ValidationError, data: Any) -> ConfigError:
    lines = []
    for item in error.errors():
        loc = list(item["loc"])
        where = ".".join(str(part) for part in loc) or "(top level)"
        if len(loc) >= 2 and loc[0] in ("rules", "destinations") and isinstance(loc[1], int):
            entries = data.get(loc[0]) if isinstance(data, dict) else None
            entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
            name = entry.get("id") or entry.get("code") if isinstance(entry, dict) else None
            label = "rule" if loc[0] == "rules" else "destination"
            field = ".".join(str(part) for part in loc[2:]) or "(entry)"
            where = f"{label} {name!r}, field {field}" if name else f"{label} #{loc[1] + 1}, field {field}"
        lines.append(f"{where}: {item['msg']}")
    return ConfigError(f"{path}: " + "; ".join(lines))


def load_directory(path: Path) -> Directory:
    data = _read_yaml(path)
    try:
        parsed = DirectoryFile.model_validate(data)
    except ValidationError as error:
        raise _describe(path, error, data) from None
    destinations: dict[str, Destination] = {}
    for entry in parsed.destinations:
        if entry.code in destinations:
            raise ConfigError(f"{path}: destination {entry.code!r} is listed twice")
        destinations[entry.code] = Destination(
            code=entry.code, name=entry.name, kind=entry.kind, accepts=frozenset(k.value for k in entry.accepts)
        )
    return Directory(destinations)


def _target(entry: TargetEntry) -> Target:
    return Target(entry.destination, entry.priority, timedelta(hours=entry.due_within_hours))


def load_rules(path: Path, directory: Directory) -> RuleSet:
    data = _read_yaml(path)
    try:
        parsed = RulesFile.model_validate(data)
    except ValidationError as error:
        raise _describe(path, error, data) from None
    problems = []
    seen: set[str] = set()
    for entry in parsed.rules:
        if entry.id in seen:
            problems.append(f"rule {entry.id!r} is defined twice")
        seen.add(entry.id)
        if entry.target.destination not in directory:
            problems.append(
                f"rule {entry.id!r}, field target.destination: "
                f"unknown department or agency {entry.target.destination!r}"
            )
        if any(not words_of(phrase) for phrase in entry.when.words):
            problems.append(f"rule {entry.id!r}, field when.words: a phrase has no letters or digits")
    if parsed.default.destination not in directory:
        problems.append(f"default, field destination: unknown department or agency {parsed.default.destination!r}")
    if problems:
        raise ConfigError(f"{path}: " + "; ".join(problems))
    rules = [
        Rule(
            id=entry.id,
            description=entry.description,
            conditions=Conditions(
                channels=frozenset(entry.when.channels),
                kinds=frozenset(entry.when.kinds),
                categories=frozenset(entry.when.categories),
                service_codes=frozenset(entry.when.service_codes),
                phrases=tuple(_phrase(phrase) for phrase in entry.when.words),
                wards=frozenset(ward.casefold() for ward in entry.when.wards),
                postcode_districts=frozenset(d.upper() for d in entry.when.postcode_districts),
                customer_flags=frozenset(entry.when.customer_flags),
                on_behalf_of=entry.when.on_behalf_of,
            ),
            target=_target(entry.target),
        )
        for entry in parsed.rules
    ]
    return RuleSet(version=parsed.version, directory=directory, rules=rules, default=_target(parsed.default))


def _phrase(text: str) -> tuple[str, ...]:
    """Words of a configured phrase, keeping a trailing `*` on a word as a prefix match."""
    return tuple(word + ("*" if token.endswith("*") else "") for token in text.split() for word in words_of(token))
