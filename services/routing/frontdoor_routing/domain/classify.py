"""Telling the kind of a contact, by the Ombudsman's definitions, from what the customer wrote.

- A complaint is an expression of dissatisfaction with the council's action, lack
  of action or standard of service, however expressed: the word need not appear.
- A first report of a problem is a service request, even when it says "complain".
- Compliments, comments (opinions and suggestions) and enquiries (requests for
  information) are told apart by their own cues.

The cues are phrases configured with the rules, so a council can tune them. What
the channel said (a web form's tick box) counts, but cues outweigh it: customers
often tick "complaint" for a first report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from frontdoor_shared.contracts import ContactKind

from .text import Phrase

CUE_KINDS = (
    "strong_dissatisfaction",
    "dissatisfaction",
    "first_report",
    "complaint_process",
    "complaint_word",
    "praise",
    "suggestion",
    "question",
    "problem",
    "request",
)
ANGRY = frozenset("😡🤬😠🙄😤👎💩🤦")
HAPPY = frozenset("👍🙏😊😀👏❤💐🌟⭐🥰")


@dataclass(frozen=True)
class Cues:
    """Phrases that signal each kind of contact."""

    phrases: Mapping[str, frozenset[Phrase]]
    _kinds_of: dict[Phrase, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    """The kinds of cue each phrase is, so that a text's few phrases are looked up rather than every cue's many."""

    def __post_init__(self) -> None:
        kinds_of: dict[Phrase, list[str]] = {}
        for cue in CUE_KINDS:
            for phrase in self.phrases.get(cue, ()):
                kinds_of.setdefault(phrase, []).append(cue)
        object.__setattr__(self, "_kinds_of", {phrase: tuple(kinds) for phrase, kinds in kinds_of.items()})

    def found(self, present: frozenset[Phrase]) -> dict[str, frozenset[Phrase]]:
        found: dict[str, frozenset[Phrase]] = dict.fromkeys(CUE_KINDS, _NONE)
        kinds_of = self._kinds_of
        for phrase in present:
            for cue in kinds_of.get(phrase, ()):
                found[cue] = found[cue] | {phrase}
        return found


_NONE: frozenset[Phrase] = frozenset()


@dataclass(frozen=True)
class Classification:
    kind: ContactKind
    facts: tuple[str, ...]


def classify(intake_kind: ContactKind, text: str, present: frozenset[Phrase], cues: Cues) -> Classification:
    found = cues.found(present)
    plain = text.isascii()  # no emoji
    angry = not plain and not ANGRY.isdisjoint(text)
    unhappy = len(found["dissatisfaction"]) + 3 * len(found["strong_dissatisfaction"]) + 2 * angry
    if found["first_report"]:
        unhappy = 0  # "not reported before": a first report, however long it has gone on
    praise = len(found["praise"]) + (not plain and not HAPPY.isdisjoint(text))
    problem, asks = bool(found["problem"]), bool(found["request"])
    question = bool(found["question"])

    def because(kind: ContactKind, *names: str) -> Classification:
        facts = [
            f"{name.replace('_', ' ')} cues: {', '.join(sorted(repr(' '.join(p)) for p in found[name]))}"
            for name in names
            if found[name]
        ]
        if angry and kind is ContactKind.COMPLAINT:
            facts.append("angry emoji")
        if intake_kind is not ContactKind.UNCLASSIFIED:
            facts.append(f"the channel said {intake_kind.value}")
        return Classification(kind, tuple(facts))

    if found["complaint_process"] and (question or not unhappy):
        # asking how to complain is an enquiry; the complaint itself comes later
        return because(ContactKind.ENQUIRY, "complaint_process")
    if praise > unhappy and (praise >= 2 or not (asks or problem)):
        # a lone "thanks" signing off a request is manners, not a compliment
        return because(ContactKind.COMPLIMENT, "praise")
    if unhappy >= 3 or (unhappy and not problem):
        # strong dissatisfaction is a complaint; a mild word alongside a reported problem is a first report
        return because(ContactKind.COMPLAINT, "strong_dissatisfaction", "dissatisfaction", "complaint_word")
    if found["complaint_word"]:
        # "I want to complain about a pothole": a first report of a problem is a service request
        if problem or asks:
            return because(ContactKind.SERVICE_REQUEST, "problem", "request", "complaint_word")
        if question:
            return because(ContactKind.ENQUIRY, "question", "complaint_word")
        return because(ContactKind.COMPLAINT, "complaint_word")
    if found["suggestion"] and not (problem or asks):
        return because(ContactKind.COMMENT, "suggestion")
    if intake_kind in (ContactKind.COMPLIMENT, ContactKind.COMMENT, ContactKind.ENQUIRY) and not problem:
        return because(intake_kind)
    if not problem and (question or ("?" in text and not asks)):
        return because(ContactKind.ENQUIRY, "question")
    return because(ContactKind.SERVICE_REQUEST, "problem", "request")
