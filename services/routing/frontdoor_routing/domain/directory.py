"""The council's departments and the partner agencies contacts can be routed to."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from frontdoor_shared.contracts import DestinationKind

from .hours import ServiceHours


@dataclass(frozen=True)
class Destination:
    code: str
    name: str
    kind: DestinationKind
    accepts: frozenset[str]
    """The kinds of contact this destination takes (service_request, complaint, ...)."""
    hours: ServiceHours | None = None
    """When the queue is staffed; None means always."""
    out_of_hours: str | None = None
    """Where contacts go while this destination is closed."""
    overflow: str | None = None
    """Where a contact goes when no one here accepts it within its timeout."""
    statutory_complaints: str | None = None
    """For a statutory complaints team: the procedure it runs."""

    @property
    def queue(self) -> str:
        return self.code


@dataclass(frozen=True)
class Directory:
    destinations: Mapping[str, Destination]

    def __getitem__(self, code: str) -> Destination:
        return self.destinations[code]

    def __contains__(self, code: object) -> bool:
        return code in self.destinations

    def __iter__(self) -> Iterator[Destination]:
        return iter(self.destinations.values())

    def __len__(self) -> int:
        return len(self.destinations)
