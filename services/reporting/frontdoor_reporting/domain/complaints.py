"""A complaint's history as reporting sees it, rebuilt from its lifecycle events.

The complaints service decides what may happen to a case; reporting only reads what did:
when each stage was received and answered, with what outcome, and which deadlines were missed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Events on one day apply in the order a case moves through its lifecycle.
_ORDER = {
    action: index
    for index, action in enumerate(
        [
            "logged",
            "compliment_recorded",
            "reclassified_as_complaint",
            "acknowledged",
            "extended",
            "deadline_due",
            "deadline_missed",
            "panel_held",
            "panel_reported",
            "responded",
            "escalated",
            "referred_to_ombudsman",
            "reclassified_as_service_request",
            "withdrawn",
            "closed",
        ]
    )
}
RESPONSE_DEADLINES = frozenset({"respond", "panel", "panel_report", "council_response"})


@dataclass
class Stage:
    number: int
    received: date
    acknowledged: date | None = None
    responded: date | None = None
    outcome: str | None = None
    missed: set[str] = field(default_factory=set)

    @property
    def answered_in_time(self) -> bool | None:
        """None until answered; then whether no response deadline of the stage was missed."""
        if self.responded is None:
            return None
        return not (self.missed & RESPONSE_DEADLINES)


@dataclass
class CaseHistory:
    case_id: str
    procedure: str | None = None
    department: str | None = None
    category: str | None = None
    compliment: bool = False
    compliment_day: date | None = None
    complaint: bool = False
    """False for a compliment, and for a complaint reclassified as a service request (until reclassified back)."""
    stages: list[Stage] = field(default_factory=list)
    ombudsman_referred: date | None = None
    withdrawn: date | None = None

    def stage(self, number: int) -> Stage | None:
        return next((stage for stage in self.stages if stage.number == number), None)


def case_history(case_id: str, events: Iterable[Mapping[str, Any]]) -> CaseHistory:
    """Replay a case's events (as the projection keeps them) into its history."""
    case = CaseHistory(case_id)
    ordered = sorted(events, key=lambda e: (e["day"], _ORDER.get(e["action"], 99), e.get("at") or e["day"]))
    for event in ordered:
        action, day = event["action"], date.fromisoformat(event["day"])
        case.procedure = event.get("procedure") or case.procedure
        case.department = event.get("department") or case.department
        case.category = event.get("category") or case.category
        current = case.stages[-1] if case.stages else None
        if action == "compliment_recorded":
            case.compliment, case.compliment_day = True, day
        elif action in ("logged", "reclassified_as_complaint"):
            case.complaint = True
            if current is None:
                case.stages.append(Stage(1, day))
        elif action == "reclassified_as_service_request":
            case.complaint = False
        elif current is None:
            continue
        elif action == "acknowledged":
            current.acknowledged = current.acknowledged or day
        elif action == "responded":
            current.responded, current.outcome = day, event.get("outcome") or current.outcome
        elif action == "escalated":
            case.stages.append(Stage(current.number + 1, day))
        elif action == "deadline_missed" and event.get("deadline_name"):
            stage = case.stage(event.get("deadline_stage") or current.number) or current
            stage.missed.add(event["deadline_name"])
        elif action == "referred_to_ombudsman":
            case.ombudsman_referred = day
        elif action == "withdrawn":
            case.withdrawn = day
    return case
