"""Loading the directory and the routing rules from YAML, with errors that name what is wrong."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from frontdoor_shared.contracts import Channel, ContactKind, CustomerFlag, DestinationKind

from .domain.classify import CUE_KINDS, Cues
from .domain.directory import Destination, Directory
from .domain.hours import DAY_NAMES, ServiceHours
from .domain.rules import Conditions, Rule, RuleSet, Safeguarding, Target, TimeWindow
from .domain.text import Phrase, phrase_of


class ConfigError(ValueError):
    """A configuration file is wrong; the message names the file, the entry and the field."""


Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
Clock = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Words = list[Annotated[str, StringConstraints(min_length=1, max_length=200)]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HoursEntry(_Strict):
    days: list[Day] = Field(min_length=1)
    opens: Clock
    closes: Clock
    closed_on_bank_holidays: bool = True


class DestinationEntry(_Strict):
    code: Code
    name: str = Field(min_length=1)
    kind: DestinationKind
    accepts: list[ContactKind] = Field(min_length=1)
    hours: str | None = None
    out_of_hours: Code | None = None
    overflow: Code | None = None
    statutory_complaints: Literal["adult_social_care", "childrens_social_care"] | None = None


class DirectoryFile(_Strict):
    service_hours: dict[str, HoursEntry] = {}
    destinations: list[DestinationEntry] = Field(min_length=1)


class TargetEntry(_Strict):
    destination: Code
    priority: int = Field(ge=0, le=100)
    timeout_hours: float = Field(gt=0, le=24 * 365)


class TimeEntry(_Strict):
    days: list[Day] = list(DAY_NAMES)
    starts: Clock = "00:00"
    ends: Clock = "00:00"


class WhenEntry(_Strict):
    channels: list[Channel] = []
    kinds: list[ContactKind] = []
    categories: list[Code] = []
    service_codes: list[str] = []
    words: Words = []
    wards: list[str] = []
    postcode_districts: list[Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{1,2}[0-9][0-9A-Za-z]?$")]] = []
    customer_flags: list[CustomerFlag] = []
    on_behalf_of: bool | None = None
    time: TimeEntry | None = None


class RuleEntry(_Strict):
    id: Code
    description: str = Field(min_length=1)
    when: WhenEntry
    targets: list[TargetEntry] = Field(min_length=1)


class SafeguardingEntry(_Strict):
    words: Words = Field(min_length=1)
    targets: list[TargetEntry] = Field(min_length=1)


class ClassificationEntry(_Strict):
    strong_dissatisfaction: Words = Field(min_length=1)
    dissatisfaction: Words = Field(min_length=1)
    first_report: Words = Field(min_length=1)
    complaint_process: Words = Field(min_length=1)
    complaint_word: Words = Field(min_length=1)
    praise: Words = Field(min_length=1)
    suggestion: Words = Field(min_length=1)
    question: Words = Field(min_length=1)
    problem: Words = Field(min_length=1)
    request: Words = Field(min_length=1)


class RulesFile(_Strict):
    version: str = Field(min_length=1, max_length=200)
    timezone: str = "Europe/London"
    safeguarding: SafeguardingEntry
    classification: ClassificationEntry
    rules: list[RuleEntry]
    default: list[TargetEntry] = Field(min_length=1)


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
            name = (entry.get("id") or entry.get("code")) if isinstance(entry, dict) else None
            label = "rule" if loc[0] == "rules" else "destination"
            field = ".".join(str(part) for part in loc[2:]) or "(entry)"
            where = f"{label} {name!r}, field {field}" if name else f"{label} #{loc[1] + 1}, field {field}"
        lines.append(f"{where}: {item['msg']}")
    return ConfigError(f"{path}: " + "; ".join(lines))


def _parse(model: type[_Strict], path: Path) -> Any:
    data = _read_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _describe(path, error, data) from None


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _days(names: list[str]) -> frozenset[int]:
    return frozenset(DAY_NAMES.index(name) for name in names)


def load_directory(path: Path) -> Directory:
    parsed: DirectoryFile = _parse(DirectoryFile, path)
    hours = {
        name: ServiceHours(
            name, _days(entry.days), _clock(entry.opens), _clock(entry.closes), entry.closed_on_bank_holidays
        )
        for name, entry in parsed.service_hours.items()
    }
    problems = []
    destinations: dict[str, Destination] = {}
    codes = {entry.code for entry in parsed.destinations}
    for entry in parsed.destinations:
        if entry.code in destinations:
            problems.append(f"destination {entry.code!r} is listed twice")
        if entry.hours is not None and entry.hours not in hours:
            problems.append(f"destination {entry.code!r}, field hours: no service hours named {entry.hours!r}")
        for field in ("out_of_hours", "overflow"):
            other = getattr(entry, field)
            if other is not None and (other not in codes or other == entry.code):
                problems.append(f"destination {entry.code!r}, field {field}: {other!r} is not another destination")
        destinations[entry.code] = Destination(
            code=entry.code,
            name=entry.name,
            kind=entry.kind,
            accepts=frozenset(k.value for k in entry.accepts),
            hours=hours.get(entry.hours) if entry.hours else None,
            out_of_hours=entry.out_of_hours,
            overflow=entry.overflow,
            statutory_complaints=entry.statutory_complaints,
        )
    if problems:
        raise ConfigError(f"{path}: " + "; ".join(problems))
    return Directory(destinations)


def _phrases(words: list[str], where: str, problems: list[str]) -> frozenset[Phrase]:
    phrases = set()
    for text in words:
        phrase = phrase_of(text)
        if not phrase or any(word in ("*", "") for word in phrase):
            problems.append(f"{where}: {text!r} has no letters or digits to match")
        elif any(word.endswith("*") and len(word) < 4 for word in phrase):
            problems.append(f"{where}: {text!r}: a prefix needs at least 3 letters before '*'")
        else:
            phrases.add(phrase)
    return frozenset(phrases)


def _targets(entries: list[TargetEntry], where: str, directory: Directory, problems: list[str]) -> tuple[Target, ...]:
    for index, entry in enumerate(entries):
        if entry.destination not in directory:
            problems.append(
                f"{where}, field targets.{index}.destination: unknown department or agency {entry.destination!r}"
            )
    return tuple(Target(e.destination, e.priority, timedelta(hours=e.timeout_hours)) for e in entries)


def load_rules(path: Path, directory: Directory) -> RuleSet:
    parsed: RulesFile = _parse(RulesFile, path)
    problems: list[str] = []
    try:
        zone = ZoneInfo(parsed.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"timezone: unknown time zone {parsed.timezone!r}")
        zone = ZoneInfo("Europe/London")
    seen: set[str] = set()
    rules = []
    for entry in parsed.rules:
        where = f"rule {entry.id!r}"
        if entry.id in seen or entry.id in ("default", "safeguarding"):
            problems.append(f"{where} is defined twice or uses a reserved id")
        seen.add(entry.id)
        when = entry.when
        window = (
            TimeWindow(_days(when.time.days), _clock(when.time.starts), _clock(when.time.ends)) if when.time else None
        )
        conditions = Conditions(
            channels=frozenset(when.channels),
            kinds=frozenset(when.kinds),
            categories=frozenset(when.categories),
            service_codes=frozenset(when.service_codes),
            phrases=_phrases(when.words, f"{where}, field when.words", problems),
            wards=frozenset(ward.casefold() for ward in when.wards),
            postcode_districts=frozenset(d.upper() for d in when.postcode_districts),
            customer_flags=frozenset(when.customer_flags),
            on_behalf_of=when.on_behalf_of,
            time=window,
        )
        targets = _targets(entry.targets, where, directory, problems)
        for target in targets:
            refused = sorted(
                k.value
                for k in conditions.kinds
                if target.destination in directory and k.value not in directory[target.destination].accepts
            )
            if refused:
                problems.append(
                    f"{where}, field targets: {target.destination!r} does not accept {', '.join(refused)} "
                    "(see its `accepts` in the directory)"
                )
        rules.append(Rule(entry.id, entry.description, conditions, targets))
    safeguarding = Safeguarding(
        _phrases(parsed.safeguarding.words, "safeguarding, field words", problems),
        _targets(parsed.safeguarding.targets, "safeguarding", directory, problems),
    )
    cues = Cues(
        {
            cue: _phrases(getattr(parsed.classification, cue), f"classification, field {cue}", problems)
            for cue in CUE_KINDS
        }
    )
    default = _targets(parsed.default, "default", directory, problems)
    if problems:
        raise ConfigError(f"{path}: " + "; ".join(problems))
    ruleset = RuleSet(parsed.version, directory, rules, default, safeguarding, cues, zone)
    unreachable = [
        f"rule {rule!r} can never match: the earlier rule {earlier!r} matches every contact it would"
        for rule, earlier in ruleset.unreachable()
    ]
    if unreachable:
        raise ConfigError(f"{path}: " + "; ".join(unreachable))
    return ruleset
