"""Routing rules: an ordered list, first match wins, with a default target for the rest.

Pure logic: no I/O, no clock. `RuleSet.decide` takes a contact and returns the
decision with the facts that matched, the runner-up and a reason a person can read.
The moment a contact is judged by (rules on time, service hours) is when it was
received, so the same contact always gets the same decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from frontdoor_shared.contracts import Channel, ContactKind, ContactReceived, CustomerFlag, DestinationKind

from .classify import Classification, Cues, classify
from .directory import Destination, Directory
from .text import Phrase, PhraseMatcher, words_of


@dataclass(frozen=True)
class Target:
    destination: str
    priority: int
    timeout: timedelta
    """How long the destination has to accept the contact before it is offered to the next target."""


@dataclass(frozen=True)
class TimeWindow:
    days: frozenset[int]
    starts: time
    ends: time
    """When `ends` is before `starts` the window runs past midnight; when equal, it is the whole day."""

    def contains(self, moment: datetime, zone: ZoneInfo) -> bool:
        local = moment.astimezone(zone)
        now = local.time()
        if self.starts == self.ends:
            return local.weekday() in self.days
        if self.starts < self.ends:
            return local.weekday() in self.days and self.starts <= now < self.ends
        if now >= self.starts:
            return local.weekday() in self.days
        return (local.weekday() - 1) % 7 in self.days and now < self.ends


@dataclass(frozen=True)
class Facts:
    """What is known of a contact when rules are tried: worked out once, used by every rule."""

    contact: ContactReceived
    kind: ContactKind
    phrases: frozenset[Phrase]
    moment: datetime
    zone: ZoneInfo


@dataclass(frozen=True)
class Conditions:
    """Every condition given must hold (AND); within one condition any listed value will do (OR)."""

    channels: frozenset[Channel] = frozenset()
    kinds: frozenset[ContactKind] = frozenset()
    categories: frozenset[str] = frozenset()
    service_codes: frozenset[str] = frozenset()
    phrases: frozenset[Phrase] = frozenset()
    wards: frozenset[str] = frozenset()
    postcode_districts: frozenset[str] = frozenset()
    customer_flags: frozenset[CustomerFlag] = frozenset()
    on_behalf_of: bool | None = None
    time: TimeWindow | None = None

    def match(self, facts: Facts) -> list[str] | None:
        """The facts that make the contact match, or None when it does not."""
        contact = facts.contact
        matched: list[str] = []
        if self.channels:
            if contact.channel not in self.channels:
                return None
            matched.append(f"channel is {contact.channel.value}")
        if self.kinds:
            if facts.kind not in self.kinds:
                return None
            matched.append(f"kind is {facts.kind.value}")
        if self.categories:
            if contact.category not in self.categories:
                return None
            matched.append(f"category is {contact.category}")
        if self.service_codes:
            if contact.service_code not in self.service_codes:
                return None
            matched.append(f"service code is {contact.service_code}")
        if self.phrases:
            found = self.phrases & facts.phrases
            if not found:
                return None
            matched.append("text mentions " + ", ".join(repr(" ".join(p)) for p in sorted(found)))
        location = contact.location
        if self.wards:
            ward = location.ward if location else None
            if ward is None or ward.casefold() not in self.wards:
                return None
            matched.append(f"ward is {ward}")
        if self.postcode_districts:
            district = postcode_district(location.postcode) if location and location.postcode else None
            if district is None or district not in self.postcode_districts:
                return None
            matched.append(f"postcode district is {district}")
        if self.customer_flags:
            flagged = sorted(flag.value for flag in self.customer_flags & contact.customer_flags)
            if not flagged:
                return None
            matched.append("customer is flagged " + ", ".join(flagged))
        if self.on_behalf_of is not None:
            if (contact.on_behalf_of is not None) != self.on_behalf_of:
                return None
            matched.append("raised by a councillor" if self.on_behalf_of else "not councillors' casework")
        if self.time is not None:
            if not self.time.contains(facts.moment, facts.zone):
                return None
            matched.append(f"received {facts.moment.astimezone(facts.zone):%a %H:%M}")
        return matched

    def covers(self, other: Conditions) -> bool:
        """True when every contact `other` matches is matched by these conditions too."""

        def wider(mine: frozenset, theirs: frozenset) -> bool:
            return not mine or (bool(theirs) and theirs <= mine)

        return (
            wider(self.channels, other.channels)
            and wider(self.kinds, other.kinds)
            and wider(self.categories, other.categories)
            and wider(self.service_codes, other.service_codes)
            and wider(self.phrases, other.phrases)
            and wider(self.wards, other.wards)
            and wider(self.postcode_districts, other.postcode_districts)
            and wider(self.customer_flags, other.customer_flags)
            and (self.on_behalf_of is None or self.on_behalf_of == other.on_behalf_of)
            and (self.time is None or self.time == other.time)
        )


def postcode_district(postcode: str) -> str:
    """The outward code: "LS1 4AP" -> "LS1"."""
    compact = postcode.replace(" ", "").upper()
    return compact[:-3]


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    conditions: Conditions
    targets: tuple[Target, ...]
    """The first target, then where the contact is offered next if it is not accepted in time."""


@dataclass(frozen=True)
class Match:
    rule_id: str
    destination: str
    facts: tuple[str, ...]


@dataclass(frozen=True)
class RoutingDecision:
    destination: Destination
    kind: ContactKind
    priority: int
    due_by: datetime
    rule_id: str
    rules_version: str
    reason: str
    facts: tuple[str, ...]
    runner_up: Match | None
    safeguarding: bool
    statutory: str | None
    """The statutory complaints procedure, when the contact is a statutory complaint."""
    escalation: tuple[Target, ...]
    """Where the contact is offered next, in order, if it is not accepted in time."""


@dataclass(frozen=True)
class Safeguarding:
    """Risk of harm to a child or a vulnerable adult: checked before every rule, whatever else matches."""

    phrases: frozenset[Phrase]
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class RuleSet:
    version: str
    directory: Directory
    rules: Sequence[Rule]
    default: tuple[Target, ...]
    safeguarding: Safeguarding
    cues: Cues
    zone: ZoneInfo
    _matcher: PhraseMatcher = field(init=False, repr=False, compare=False)
    _unphrased: frozenset[int] = field(init=False, repr=False, compare=False)
    """Positions of the rules with neither a phrase nor a service code condition: any contact may match them."""
    _by_service_code: dict[str, frozenset[int]] = field(init=False, repr=False, compare=False)
    """Positions of the rules with a service code condition and no phrase condition, by service code."""
    _by_phrase: dict[Phrase, tuple[int, ...]] = field(init=False, repr=False, compare=False)
    """Positions of the rules that need a phrase, by phrase: only those whose phrases are present can match."""
    _by_id: dict[str, Rule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        phrases = set(self.safeguarding.phrases)
        by_phrase: dict[Phrase, list[int]] = {}
        by_id: dict[str, Rule] = {}
        for index, rule in enumerate(self.rules):
            phrases |= rule.conditions.phrases
            for phrase in rule.conditions.phrases:
                by_phrase.setdefault(phrase, []).append(index)
            by_id.setdefault(rule.id, rule)
        for cue in self.cues.phrases.values():
            phrases |= cue
        object.__setattr__(self, "_matcher", PhraseMatcher(phrases))
        unphrased, by_service_code = set(), {}
        for index, rule in enumerate(self.rules):
            if rule.conditions.phrases:
                continue
            for code in rule.conditions.service_codes:
                by_service_code.setdefault(code, set()).add(index)
            if not rule.conditions.service_codes:
                unphrased.add(index)
        object.__setattr__(self, "_unphrased", frozenset(unphrased))
        object.__setattr__(self, "_by_service_code", {c: frozenset(at) for c, at in by_service_code.items()})
        object.__setattr__(self, "_by_phrase", {phrase: tuple(at) for phrase, at in by_phrase.items()})
        object.__setattr__(self, "_by_id", by_id)

    def facts_of(self, contact: ContactReceived) -> tuple[Facts, Classification]:
        text = " ".join(filter(None, (contact.subject, contact.text)))
        present = self._matcher.find(words_of(text))
        classification = classify(contact.kind, text, present, self.cues)
        facts = Facts(contact, classification.kind, present, contact.received_at, self.zone)
        if classification.kind is ContactKind.COMPLAINT:
            # Dissatisfaction with a partner agency (a landlord, a utility, the DWP) is not a complaint
            # about the council: it is a request to pass on.
            as_request = replace(facts, kind=ContactKind.SERVICE_REQUEST)
            matches = self._matches(as_request, limit=1)
            if matches and self.directory[matches[0].destination].kind is DestinationKind.PARTNER_AGENCY:
                agency = self.directory[matches[0].destination].name
                note = f"the dissatisfaction is with {agency}, not the council"
                classification = Classification(ContactKind.SERVICE_REQUEST, (*classification.facts, note))
                facts = as_request
        return facts, classification

    def decide(self, contact: ContactReceived) -> RoutingDecision:
        facts, classification = self.facts_of(contact)
        kind_facts = classification.facts
        risk = sorted(" ".join(p) for p in self.safeguarding.phrases & facts.phrases)
        matches = self._matches(facts)
        if risk:
            found = (f"risk of harm: text mentions {', '.join(repr(p) for p in risk)}",)
            chosen = Match("safeguarding", self.safeguarding.targets[0].destination, found)
            return self._decision(
                facts,
                chosen,
                self.safeguarding.targets,
                kind_facts,
                runner_up=matches[0] if matches else None,
                description="risk of harm to a child or a vulnerable adult goes to the safeguarding front door, "
                "whatever else matches",
                safeguarding=True,
            )
        if matches:
            chosen, rule = matches[0], self._rule(matches[0].rule_id)
            return self._decision(
                facts,
                chosen,
                rule.targets,
                kind_facts,
                runner_up=matches[1] if len(matches) > 1 else None,
                description=rule.description,
            )
        chosen = Match("default", self.default[0].destination, ("no rule matched",))
        return self._decision(facts, chosen, self.default, kind_facts, None, description="sent for triage")

    def _matches(self, facts: Facts, limit: int = 2) -> list[Match]:
        """The first `limit` rules that match, in order: the winner and the runner-up."""
        found = []
        # only rules whose phrases are present, or whose service codes include the contact's, or that need neither,
        # can match: the others are not tried
        possible = set(self._unphrased)
        if facts.contact.service_code in self._by_service_code:
            possible.update(self._by_service_code[facts.contact.service_code])
        by_phrase = self._by_phrase
        for phrase in facts.phrases:
            if phrase in by_phrase:
                possible.update(by_phrase[phrase])
        rules = self.rules
        for index in sorted(possible):
            rule = rules[index]
            matched = rule.conditions.match(facts)
            if matched is not None:
                found.append(Match(rule.id, rule.targets[0].destination, tuple(matched) or ("matches every contact",)))
                if len(found) == limit:
                    break
        return found

    def _rule(self, rule_id: str) -> Rule:
        return self._by_id[rule_id]

    def _decision(
        self,
        facts: Facts,
        chosen: Match,
        targets: tuple[Target, ...],
        kind_facts: tuple[str, ...],
        runner_up: Match | None,
        description: str,
        safeguarding: bool = False,
    ) -> RoutingDecision:
        first = targets[0]
        destination = self.directory[first.destination]
        reason = f"rule {chosen.rule_id!r} ({description}): {'; '.join(chosen.facts)}"
        if destination.hours and not destination.hours.is_open(facts.moment, self.zone) and destination.out_of_hours:
            closed = destination
            destination = self.directory[closed.out_of_hours]
            reason += f"; {closed.name} is closed ({closed.hours.describe()}), so sent to {destination.name}"
        escalation = list(targets[1:])
        if destination.overflow and all(t.destination != destination.overflow for t in escalation):
            escalation.append(Target(destination.overflow, first.priority, first.timeout))
        return RoutingDecision(
            destination=destination,
            kind=facts.kind,
            priority=first.priority,
            due_by=facts.moment + first.timeout,
            rule_id=chosen.rule_id,
            rules_version=self.version,
            reason=reason,
            facts=chosen.facts + kind_facts,
            runner_up=runner_up,
            safeguarding=safeguarding,
            statutory=destination.statutory_complaints if facts.kind is ContactKind.COMPLAINT else None,
            escalation=tuple(escalation),
        )

    def unreachable(self) -> list[tuple[str, str]]:
        """(rule, earlier rule that makes it unreachable) pairs."""
        found = []
        for index, rule in enumerate(self.rules):
            for earlier in self.rules[:index]:
                if earlier.conditions.covers(rule.conditions):
                    found.append((rule.id, earlier.id))
                    break
        return found
