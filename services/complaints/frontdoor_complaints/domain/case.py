"""A complaint case and its lifecycle: corporate (two stages) and the statutory procedures.

Pure logic. `apply` takes a case and an action and returns the new case, or raises
`InvalidTransition` naming what is wrong; the case it was given is never changed.
Deadlines follow from the case's dates and the working-day calendar.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from .working_days import WorkingCalendar


class Procedure(StrEnum):
    CORPORATE = "corporate"
    ADULT_SOCIAL_CARE = "adult_social_care"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care"


class Status(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    RESPONDED = "responded"
    ESCALATED = "escalated"
    """A further stage was requested and is waiting to be acknowledged."""
    PANEL_HELD = "panel_held"
    PANEL_REPORTED = "panel_reported"
    REFERRED_TO_OMBUDSMAN = "referred_to_ombudsman"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"
    RECLASSIFIED = "reclassified_as_service_request"
    RECORDED = "recorded"
    """A compliment, recorded."""


class Outcome(StrEnum):
    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    NOT_UPHELD = "not_upheld"


class Action(StrEnum):
    LOGGED = "logged"
    COMPLIMENT_RECORDED = "compliment_recorded"
    ACKNOWLEDGED = "acknowledged"
    EXTENDED = "extended"
    RESPONDED = "responded"
    ESCALATED = "escalated"
    PANEL_HELD = "panel_held"
    PANEL_REPORTED = "panel_reported"
    REFERRED_TO_OMBUDSMAN = "referred_to_ombudsman"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"
    RECLASSIFIED_AS_SERVICE_REQUEST = "reclassified_as_service_request"
    RECLASSIFIED_AS_COMPLAINT = "reclassified_as_complaint"
    DEADLINE_DUE = "deadline_due"
    DEADLINE_MISSED = "deadline_missed"


FINISHED = frozenset({Status.WITHDRAWN, Status.CLOSED, Status.RECORDED})
LAST_STAGE = {Procedure.CORPORATE: 2, Procedure.ADULT_SOCIAL_CARE: 1, Procedure.CHILDRENS_SOCIAL_CARE: 3}
MAX_EXTENSION = {  # working days a response may be extended by, per stage
    (Procedure.CORPORATE, 1): 10,
    (Procedure.CORPORATE, 2): 20,
    (Procedure.CHILDRENS_SOCIAL_CARE, 1): 10,
    (Procedure.CHILDRENS_SOCIAL_CARE, 2): 40,
}
DEFAULT_AGREED_MONTHS = 6  # adult social care: the period agreed with the complainant, by default


class InvalidTransition(ValueError):
    """The action cannot be taken on the case as it stands."""


@dataclass(frozen=True)
class Deadline:
    name: str
    """acknowledge, respond, panel, panel_report or council_response."""
    stage: int
    due: date

    @property
    def key(self) -> str:
        return f"{self.name}:{self.stage}:{self.due.isoformat()}"


@dataclass(frozen=True)
class Step:
    """One action, as the case history records it."""

    action: Action
    on: date
    officer: str | None = None
    outcome: Outcome | None = None
    reason: str | None = None
    extension_days: int = 0
    agreed_response_by: date | None = None
    learning_points: tuple[str, ...] = ()
    referral: str | None = None
    deadline: Deadline | None = None


@dataclass(frozen=True)
class Case:
    case_id: str
    procedure: Procedure | None
    """None for a compliment."""
    department: str
    category: str | None
    received_on: date
    status: Status = Status.RECEIVED
    stage: int = 1
    stage_started_on: date | None = None
    acknowledged_on: date | None = None
    responded_on: date | None = None
    outcome: Outcome | None = None
    extension_days: int = 0
    agreed_response_by: date | None = None
    panel_held_on: date | None = None
    panel_reported_on: date | None = None
    officers: tuple[tuple[int, str], ...] = ()
    """(stage, officer) for everyone who acknowledged or responded."""
    learning_points: tuple[str, ...] = ()
    referrals: tuple[str, ...] = ()
    alerts: frozenset[str] = frozenset()
    history: tuple[Step, ...] = field(default=())
    first_acknowledged_on: date | None = None
    first_responded_on: date | None = None

    @property
    def is_open(self) -> bool:
        return self.status not in FINISHED | {Status.RECLASSIFIED, Status.REFERRED_TO_OMBUDSMAN}


def open_case(
    case_id: str, procedure: Procedure | None, department: str, category: str | None, received_on: date
) -> Case:
    action = Action.LOGGED if procedure else Action.COMPLIMENT_RECORDED
    return Case(
        case_id=case_id,
        procedure=procedure,
        department=department,
        category=category,
        received_on=received_on,
        status=Status.RECEIVED if procedure else Status.RECORDED,
        stage_started_on=received_on,
        history=(Step(action, received_on),),
    )


def _refuse(case: Case, step: Step, why: str) -> InvalidTransition:
    return InvalidTransition(f"case {case.case_id}: cannot record {step.action.value}: {why}")


def apply(case: Case, step: Step, calendar: WorkingCalendar) -> Case:
    """The case after `step`; raises InvalidTransition, leaving `case` as it was, when the step is not allowed."""
    action = step.action
    if action in (Action.DEADLINE_DUE, Action.DEADLINE_MISSED):
        if step.deadline is None:
            raise _refuse(case, step, "a deadline event must name its deadline")
        return replace(
            case, alerts=case.alerts | {f"{action.value}:{step.deadline.key}"}, history=(*case.history, step)
        )
    if case.procedure is None:
        raise _refuse(case, step, "it is a compliment, which has no lifecycle")
    if case.status in FINISHED:
        raise _refuse(case, step, f"the case is {case.status.value}")
    if case.status is Status.RECLASSIFIED and action is not Action.RECLASSIFIED_AS_COMPLAINT:
        raise _refuse(case, step, "the case was reclassified as a service request")
    moved = _move(case, step, calendar)
    return replace(moved, history=(*case.history, step))


def _move(case: Case, step: Step, calendar: WorkingCalendar) -> Case:
    action, status, procedure = step.action, case.status, case.procedure
    assert procedure is not None
    if action is Action.ACKNOWLEDGED:
        if status not in (Status.RECEIVED, Status.ESCALATED):
            raise _refuse(case, step, f"it is {status.value}, not waiting for acknowledgement")
        _check_officer(case, step)
        return replace(
            case,
            status=Status.ACKNOWLEDGED,
            acknowledged_on=step.on,
            first_acknowledged_on=case.first_acknowledged_on or step.on,
            officers=_with_officer(case, step),
        )
    if action is Action.EXTENDED:
        limit = MAX_EXTENSION.get((procedure, case.stage))
        if not step.reason:
            raise _refuse(case, step, "an extension needs a stated reason")
        if status not in (Status.RECEIVED, Status.ACKNOWLEDGED, Status.ESCALATED):
            raise _refuse(case, step, f"it is {status.value}; only a response still due can be extended")
        if procedure is Procedure.ADULT_SOCIAL_CARE:
            if step.agreed_response_by is None:
                raise _refuse(
                    case, step, "adult social care extensions set a new response date agreed with the complainant"
                )
            return replace(case, agreed_response_by=step.agreed_response_by)
        if limit is None:
            raise _refuse(case, step, f"stage {case.stage} of a {procedure.value} complaint cannot be extended")
        if step.extension_days <= 0:
            raise _refuse(case, step, "an extension must add at least one working day")
        if case.extension_days + step.extension_days > limit:
            raise _refuse(
                case,
                step,
                f"stage {case.stage} allows at most {limit} working days of extension "
                f"({case.extension_days} already used)",
            )
        return replace(case, extension_days=case.extension_days + step.extension_days)
    if action is Action.RESPONDED:
        needs_ack = procedure is not Procedure.CHILDRENS_SOCIAL_CARE
        allowed = (Status.ACKNOWLEDGED,) if needs_ack else (Status.RECEIVED, Status.ACKNOWLEDGED, Status.ESCALATED)
        if procedure is Procedure.CHILDRENS_SOCIAL_CARE and case.stage == 3:
            allowed = (Status.PANEL_REPORTED,)
        if status not in allowed:
            raise _refuse(
                case, step, f"it is {status.value}; a response needs it to be {' or '.join(a.value for a in allowed)}"
            )
        if step.outcome is None:
            raise _refuse(
                case, step, "a response must say whether the complaint is upheld, partly upheld or not upheld"
            )
        _check_officer(case, step)
        return replace(
            case,
            status=Status.RESPONDED,
            responded_on=step.on,
            first_responded_on=case.first_responded_on or step.on,
            outcome=step.outcome,
            officers=_with_officer(case, step),
            learning_points=case.learning_points + step.learning_points,
        )
    if action is Action.ESCALATED:
        if status is not Status.RESPONDED:
            raise _refuse(case, step, f"it is {status.value}; a case is escalated after its response")
        if case.stage >= LAST_STAGE[procedure]:
            raise _refuse(
                case,
                step,
                f"stage {case.stage} is the last stage of a {procedure.value} complaint; next is the Ombudsman",
            )
        return replace(
            case,
            stage=case.stage + 1,
            status=Status.ESCALATED,
            stage_started_on=step.on,
            acknowledged_on=None,
            responded_on=None,
            outcome=None,
            extension_days=0,
        )
    if action in (Action.PANEL_HELD, Action.PANEL_REPORTED):
        if procedure is not Procedure.CHILDRENS_SOCIAL_CARE or case.stage != 3:
            raise _refuse(case, step, "review panels are stage 3 of children's social care complaints only")
        before = Status.PANEL_HELD if action is Action.PANEL_REPORTED else None
        if action is Action.PANEL_HELD and status not in (Status.ESCALATED, Status.ACKNOWLEDGED):
            raise _refuse(case, step, f"it is {status.value}")
        if before and status is not before:
            raise _refuse(case, step, "the panel has not been held")
        if action is Action.PANEL_HELD:
            return replace(case, status=Status.PANEL_HELD, panel_held_on=step.on)
        return replace(case, status=Status.PANEL_REPORTED, panel_reported_on=step.on)
    if action is Action.REFERRED_TO_OMBUDSMAN:
        if status is not Status.RESPONDED:
            raise _refuse(case, step, f"it is {status.value}; the Ombudsman comes after the council's response")
        if case.stage < LAST_STAGE[procedure]:
            raise _refuse(case, step, f"stage {case.stage + 1} comes first: the council's procedure is not finished")
        return replace(case, status=Status.REFERRED_TO_OMBUDSMAN, referrals=(*case.referrals, "ombudsman"))
    if action is Action.WITHDRAWN:
        return replace(case, status=Status.WITHDRAWN)
    if action is Action.CLOSED:
        if status not in (Status.RESPONDED, Status.REFERRED_TO_OMBUDSMAN):
            raise _refuse(case, step, f"it is {status.value}; a case is closed after its response")
        return replace(
            case, status=Status.CLOSED, referrals=case.referrals + ((step.referral,) if step.referral else ())
        )
    if action is Action.RECLASSIFIED_AS_SERVICE_REQUEST:
        if status is not Status.RECEIVED:
            raise _refuse(
                case, step, f"it is {status.value}; only a complaint not yet acknowledged can be reclassified"
            )
        return replace(case, status=Status.RECLASSIFIED)
    if action is Action.RECLASSIFIED_AS_COMPLAINT:
        if status is not Status.RECLASSIFIED:
            raise _refuse(case, step, "it is already a complaint")
        return replace(case, status=Status.RECEIVED, received_on=step.on, stage_started_on=step.on)
    if action in (Action.LOGGED, Action.COMPLIMENT_RECORDED):
        raise _refuse(case, step, "the case is already logged")
    raise _refuse(case, step, "unknown action")


def _check_officer(case: Case, step: Step) -> None:
    if case.stage >= 2 and step.officer and any(stage < case.stage and o == step.officer for stage, o in case.officers):
        raise _refuse(
            case, step, f"officer {step.officer} handled an earlier stage; stage {case.stage} needs someone else"
        )


def _with_officer(case: Case, step: Step) -> tuple[tuple[int, str], ...]:
    if not step.officer or (case.stage, step.officer) in case.officers:
        return case.officers
    return (*case.officers, (case.stage, step.officer))


def _months_later(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for candidate in range(day.day, 0, -1):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def deadline(case: Case, calendar: WorkingCalendar) -> Deadline | None:
    """The deadline the case is working towards now, or None when nothing is due from the council."""
    if not case.is_open or case.procedure is None:
        return None
    procedure, stage, status = case.procedure, case.stage, case.status
    started = case.stage_started_on or case.received_on
    if procedure is Procedure.CORPORATE:
        if status in (Status.RECEIVED, Status.ESCALATED):
            return Deadline("acknowledge", stage, calendar.add(started, 5))
        if status is Status.ACKNOWLEDGED and case.acknowledged_on:
            days = (10 if stage == 1 else 20) + case.extension_days
            return Deadline("respond", stage, calendar.add(case.acknowledged_on, days))
        return None
    if procedure is Procedure.ADULT_SOCIAL_CARE:
        if status is Status.RECEIVED:
            return Deadline("acknowledge", stage, calendar.add(started, 3))
        if status is Status.ACKNOWLEDGED:
            return Deadline("respond", stage, case.agreed_response_by or _months_later(started, DEFAULT_AGREED_MONTHS))
        return None
    # children's social care
    if status is Status.RESPONDED:
        return None
    if stage == 1:
        return Deadline("respond", 1, calendar.add(started, 10 + case.extension_days))
    if stage == 2:
        return Deadline("respond", 2, calendar.add(started, 25 + case.extension_days))
    if status is Status.PANEL_REPORTED and case.panel_reported_on:
        return Deadline("council_response", 3, calendar.add(case.panel_reported_on, 15))
    if status is Status.PANEL_HELD and case.panel_held_on:
        return Deadline("panel_report", 3, calendar.add(case.panel_held_on, 5))
    return Deadline("panel", 3, calendar.add(started, 30))


def at_risk(case: Case, today: date, calendar: WorkingCalendar, within_working_days: int = 2) -> bool:
    due = deadline(case, calendar)
    return due is not None and today <= due.due <= calendar.add(today, within_working_days)


def overdue(case: Case, today: date, calendar: WorkingCalendar) -> bool:
    due = deadline(case, calendar)
    return due is not None and today > due.due


def alerts_due(case: Case, today: date, calendar: WorkingCalendar) -> list[tuple[Action, Deadline]]:
    """The deadline events the case should have had by `today` and has not: due on the day, missed after it."""
    due = deadline(case, calendar)
    if due is None:
        return []
    wanted = []
    if today >= due.due:
        wanted.append((Action.DEADLINE_DUE, due))
    if today > due.due:
        wanted.append((Action.DEADLINE_MISSED, due))
    return [(a, d) for a, d in wanted if f"{a.value}:{d.key}" not in case.alerts]
