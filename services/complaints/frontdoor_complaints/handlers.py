"""From events to cases: what the complaints service does with each message. The domain decides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from frontdoor_shared.contracts import (
    ComplaintEvent,
    ComplaintEventPayload,
    ContactKind,
    ContactRoutedEvent,
    DeadlineRef,
    derived_event_id,
)

from .domain.case import (
    Action,
    Case,
    Deadline,
    InvalidTransition,
    Outcome,
    Procedure,
    Step,
    apply,
    deadline,
    open_case,
)
from .store import CaseStore

PRODUCER = "complaints"


def council_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def logged_event(routed: ContactRoutedEvent, statutory_teams: Mapping[str, str]) -> ComplaintEvent | None:
    """The event that opens a case for a routed complaint or compliment; None for other contacts."""
    payload = routed.payload
    if payload.kind not in (ContactKind.COMPLAINT, ContactKind.COMPLIMENT):
        return None
    complaint = payload.kind is ContactKind.COMPLAINT
    procedure = payload.statutory_procedure or statutory_teams.get(payload.destination) or "corporate"
    return ComplaintEvent.new(
        ComplaintEventPayload(
            case_id=payload.contact_id,
            action="logged" if complaint else "compliment_recorded",
            at=payload.contact.received_at,
            procedure=procedure if complaint else None,
            department=payload.destination,
            category=payload.contact.category,
        ),
        producer=PRODUCER,
        cause=routed,
        event_id=derived_event_id(routed.payload.contact_id, "complaint.logged"),
    )


def step_of(payload: ComplaintEventPayload, zone: ZoneInfo) -> Step:
    ref = payload.deadline
    return Step(
        action=Action(payload.action),
        on=council_day(payload.at, zone),
        officer=payload.officer_ref,
        outcome=Outcome(payload.outcome) if payload.outcome else None,
        reason=payload.reason,
        extension_days=payload.extension_working_days,
        agreed_response_by=payload.agreed_response_by,
        learning_points=payload.learning_points,
        referral=payload.referral,
        deadline=Deadline(ref.name, ref.stage, ref.due) if ref else None,
    )


def deadline_event(case: Case, action: Action, due: Deadline, at: datetime) -> ComplaintEvent:
    """A deadline event whose id depends only on the case, the deadline and what happened to it."""
    return ComplaintEvent.new(
        ComplaintEventPayload(
            case_id=UUID(case.case_id),
            action=action.value,
            at=at,
            deadline=DeadlineRef(name=due.name, stage=due.stage, due=due.due),
        ),
        producer=PRODUCER,
        event_id=derived_event_id(UUID(case.case_id), f"{action.value}:{due.key}"),
    )


@dataclass(frozen=True)
class Applied:
    outcome: str
    """applied, duplicate or refused"""
    reason: str | None = None
    case: Case | None = None


async def apply_event(event: ComplaintEvent, store: CaseStore, zone: ZoneInfo) -> Applied:
    """Apply one lifecycle event to its case, exactly once; a refused step leaves the case as it was."""
    payload = event.payload
    case_id, event_id = str(payload.case_id), str(event.event_id)
    step = step_of(payload, zone)
    for _ in range(10):
        case, doc = await store.load(case_id)
        if doc and event_id in doc.get("applied_event_ids", ()):
            return Applied("duplicate", case=case)
        try:
            if case is None:
                if step.action not in (Action.LOGGED, Action.COMPLIMENT_RECORDED, Action.RECLASSIFIED_AS_COMPLAINT):
                    return Applied("refused", f"case {case_id}: no such case to record {step.action.value} on")
                if step.action is not Action.COMPLIMENT_RECORDED and payload.procedure is None:
                    return Applied("refused", f"case {case_id}: a new complaint needs its procedure")
                procedure = Procedure(payload.procedure) if step.action is not Action.COMPLIMENT_RECORDED else None
                new = open_case(
                    case_id, procedure, payload.department or "customer_services", payload.category, step.on
                )
            else:
                new = apply(case, step, store.calendar)
        except InvalidTransition as refusal:
            return Applied("refused", str(refusal), case)
        targets = list((doc or {}).get("targets", []))
        if case is not None and step.action in (Action.ACKNOWLEDGED, Action.RESPONDED):
            due = deadline(case, store.calendar)
            if due is not None:
                targets.append(
                    {
                        "stage": due.stage,
                        "name": due.name,
                        "due": due.due.isoformat(),
                        "done_on": step.on.isoformat(),
                        "in_time": step.on <= due.due,
                        "procedure": new.procedure.value if new.procedure else None,
                    }
                )
        if await store.save(new, doc, event_id, {"targets": targets}):
            return Applied("applied", case=new)
    raise RuntimeError(f"case {case_id}: could not write after 10 attempts; other writers keep changing it")
