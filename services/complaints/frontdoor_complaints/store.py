"""Cases in MongoDB: one document per case, keyed by case id, written only through the domain.

Each document keeps the ids of the events applied to it, so an event delivered
twice changes nothing, and a version number, so two writers never overwrite each
other: a write that finds a newer version reloads and tries again.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from .domain.case import Action, Case, Deadline, Outcome, Procedure, Status, Step, deadline
from .domain.working_days import WorkingCalendar

CASES = "complaint_cases"


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def step_to_doc(step: Step) -> dict[str, Any]:
    doc = asdict(step)
    doc["action"] = step.action.value
    doc["on"] = step.on.isoformat()
    doc["outcome"] = step.outcome.value if step.outcome else None
    doc["agreed_response_by"] = _iso(step.agreed_response_by)
    doc["learning_points"] = list(step.learning_points)
    doc["deadline"] = (
        {"name": step.deadline.name, "stage": step.deadline.stage, "due": step.deadline.due.isoformat()}
        if step.deadline
        else None
    )
    return doc


def step_from_doc(doc: dict[str, Any]) -> Step:
    due = doc.get("deadline")
    return Step(
        action=Action(doc["action"]),
        on=date.fromisoformat(doc["on"]),
        officer=doc.get("officer"),
        outcome=Outcome(doc["outcome"]) if doc.get("outcome") else None,
        reason=doc.get("reason"),
        extension_days=doc.get("extension_days", 0),
        agreed_response_by=_day(doc.get("agreed_response_by")),
        learning_points=tuple(doc.get("learning_points", ())),
        referral=doc.get("referral"),
        deadline=Deadline(due["name"], due["stage"], date.fromisoformat(due["due"])) if due else None,
    )


def case_to_doc(case: Case, calendar: WorkingCalendar) -> dict[str, Any]:
    """The case, plus what its queries need: the deadline it works to now, and whether it is open."""
    due = deadline(case, calendar)
    return {
        "_id": case.case_id,
        "kind": "complaint" if case.procedure else "compliment",
        "procedure": case.procedure.value if case.procedure else None,
        "department": case.department,
        "category": case.category,
        "received_on": case.received_on.isoformat(),
        "status": case.status.value,
        "stage": case.stage,
        "stage_started_on": _iso(case.stage_started_on),
        "acknowledged_on": _iso(case.acknowledged_on),
        "responded_on": _iso(case.responded_on),
        "first_acknowledged_on": _iso(case.first_acknowledged_on),
        "first_responded_on": _iso(case.first_responded_on),
        "outcome": case.outcome.value if case.outcome else None,
        "extension_days": case.extension_days,
        "agreed_response_by": _iso(case.agreed_response_by),
        "panel_held_on": _iso(case.panel_held_on),
        "panel_reported_on": _iso(case.panel_reported_on),
        "officers": [[stage, officer] for stage, officer in case.officers],
        "learning_points": list(case.learning_points),
        "referrals": list(case.referrals),
        "alerts": sorted(case.alerts),
        "history": [step_to_doc(step) for step in case.history],
        "open": case.is_open,
        "deadline_name": due.name if due else None,
        "deadline_stage": due.stage if due else None,
        "deadline_due": due.due.isoformat() if due else None,
    }


def case_from_doc(doc: dict[str, Any]) -> Case:
    return Case(
        case_id=doc["_id"],
        procedure=Procedure(doc["procedure"]) if doc.get("procedure") else None,
        department=doc["department"],
        category=doc.get("category"),
        received_on=date.fromisoformat(doc["received_on"]),
        status=Status(doc["status"]),
        stage=doc["stage"],
        stage_started_on=_day(doc.get("stage_started_on")),
        acknowledged_on=_day(doc.get("acknowledged_on")),
        responded_on=_day(doc.get("responded_on")),
        first_acknowledged_on=_day(doc.get("first_acknowledged_on")),
        first_responded_on=_day(doc.get("first_responded_on")),
        outcome=Outcome(doc["outcome"]) if doc.get("outcome") else None,
        extension_days=doc.get("extension_days", 0),
        agreed_response_by=_day(doc.get("agreed_response_by")),
        panel_held_on=_day(doc.get("panel_held_on")),
        panel_reported_on=_day(doc.get("panel_reported_on")),
        officers=tuple((stage, officer) for stage, officer in doc.get("officers", ())),
        learning_points=tuple(doc.get("learning_points", ())),
        referrals=tuple(doc.get("referrals", ())),
        alerts=frozenset(doc.get("alerts", ())),
        history=tuple(step_from_doc(step) for step in doc.get("history", ())),
    )


class CaseStore:
    def __init__(self, collection: AsyncCollection, calendar: WorkingCalendar) -> None:
        self.collection = collection
        self.calendar = calendar

    async def load(self, case_id: str) -> tuple[Case | None, dict[str, Any] | None]:
        doc = await self.collection.find_one({"_id": case_id})
        return (case_from_doc(doc), doc) if doc else (None, None)

    async def save(self, case: Case, previous: dict[str, Any] | None, event_id: str, extra: dict[str, Any]) -> bool:
        """Write the case if nobody wrote it since `previous` was read; False means reload and try again."""
        applied = [*(previous or {}).get("applied_event_ids", []), event_id]
        doc = case_to_doc(case, self.calendar) | {"applied_event_ids": applied, **extra}
        if previous is None:
            try:
                await self.collection.insert_one(doc | {"version": 1})
            except DuplicateKeyError:
                return False
            return True
        version = previous.get("version", 0)
        result = await self.collection.replace_one(
            {"_id": case.case_id, "version": version}, doc | {"version": version + 1}
        )
        return result.matched_count == 1

    async def create_indexes(self) -> None:
        await self.collection.create_index([("open", 1), ("deadline_due", 1)])
        await self.collection.create_index([("kind", 1), ("procedure", 1), ("stage", 1), ("department", 1)])
