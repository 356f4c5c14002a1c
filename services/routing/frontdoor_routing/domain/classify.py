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
from dataclasses import dataclass

from frontdoor_shared.contracts import ContactKind

from .text import Phrase

CUE_KINDS = ("dissatisfaction", "complaint_word", "praise", "suggestion", "question", "request")


@dataclass(frozen=True)
class Cues:
    """Phrases that signal each kind of contact."""

    phrases: Mapping[str, frozenset[Phrase]]

    def found(self, present: frozenset[Phrase]) -> dict[str, list[str]]:
        return {cue: sorted(" ".join(p) for p in self.phrases.get(cue, frozenset()) & present) for cue in CUE_KINDS}


@dataclass(frozen=True)
class Classification:
    kind: ContactKind
    facts: tuple[str, ...]


def classify(intake_kind: ContactKind, text: str, present: frozenset[Phrase], cues: Cues) -> Classification:
    found = cues.found(present)
    asks_question = "?" in text or bool(found["question"])
    unhappy, praise = len(found["dissatisfaction"]), len(found["praise"])

    def because(kind: ContactKind, *names: str) -> Classification:
        facts = [
            f"{name.replace('_', ' ')} cues: {', '.join(repr(p) for p in found[name])}" for name in names if found[name]
        ]
        if intake_kind is not ContactKind.UNCLASSIFIED:
            facts.append(f"the channel said {intake_kind.value}")
        return Classification(kind, tuple(facts))

    if praise and praise > unhappy:
        return because(ContactKind.COMPLIMENT, "praise")
    if unhappy:
        return because(ContactKind.COMPLAINT, "dissatisfaction", "complaint_word")
    if found["complaint_word"]:
        # "I want to complain about a pothole": a first report of a problem is a service request
        if found["request"]:
            return because(ContactKind.SERVICE_REQUEST, "request", "complaint_word")
        if asks_question:
            return because(ContactKind.ENQUIRY, "question", "complaint_word")
        return because(ContactKind.COMPLAINT, "complaint_word")
    if found["suggestion"] and not found["request"]:
        return because(ContactKind.COMMENT, "suggestion")
    if intake_kind in (ContactKind.COMPLIMENT, ContactKind.COMMENT, ContactKind.ENQUIRY) and not found["request"]:
        return because(intake_kind)
    if asks_question and not found["request"]:
        return because(ContactKind.ENQUIRY, "question")
    if found["request"] or intake_kind in (ContactKind.UNCLASSIFIED, ContactKind.COMPLAINT):
        return because(ContactKind.SERVICE_REQUEST, "request")
    return because(intake_kind)
