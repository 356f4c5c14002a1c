"""First-contact resolution by repeat contact: was the customer back about the same thing within a window?

A contact counts as resolved at first contact when the same customer (by intake's pseudonymous
`customer_ref`) made no further contact to the same department or partner agency within the window
after it (7 days by default). Contacts without a customer reference cannot be measured this way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .measures import Tally


@dataclass(frozen=True)
class RepeatRule:
    window_days: int = 7

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.window_days)


@dataclass(frozen=True)
class CustomerContact:
    """One contact of a customer to one destination."""

    at: datetime
    day: date
    channel: str


def repeated_in(history: Sequence[CustomerContact], first: date, last: date, rule: RepeatRule) -> Iterator[str]:
    """The channels of the contacts on days `first` to `last` that the customer followed with another within the
    window. `history` is one customer's contacts to one destination, in any order."""
    ordered = sorted(history, key=lambda contact: contact.at)
    later: datetime | None = None  # the first moment after the contact's own, walking back from the last
    for index in range(len(ordered) - 1, -1, -1):
        contact = ordered[index]
        if index + 1 < len(ordered) and ordered[index + 1].at > contact.at:
            later = ordered[index + 1].at
        if first <= contact.day <= last and later is not None and later - contact.at <= rule.window:
            yield contact.channel


def no_repeat_tallies(identified: Mapping[str, int], repeated: Mapping[str, int]) -> dict[str, Tally]:
    """By channel: of the contacts with a customer reference, how many had no repeat contact."""
    return {
        channel: Tally(count=count, flagged=count, yes=count - repeated.get(channel, 0))
        for channel, count in identified.items()
        if count
    }
