"""A stream built to match the seed reports' figures, for the reporting tests.

Three council years, 2007/08 to 2009/10:
- corporate stage 1 complaints 1,000, then 1,220 (up 22%), then 1,281 (up 5%);
- in 2009/10 snow stops refuse collection: 359 stage 1 complaints to Waste and Recycling in
  January 2010 (and a rise in December 2009), against about 20 a month otherwise;
- statutory adult and children's social care complaints kept apart;
- contacts on every channel (social media and libraries included), councillors' casework,
  partner-agency referrals, calls, hub visits and survey responses.
Everything is deterministic: the same seed gives the same stream, and `expected` says what a
correct report must state.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from frontdoor_shared.contracts import (
    CallEvent,
    CallEventPayload,
    Channel,
    ComplaintEvent,
    ComplaintEventPayload,
    ContactKind,
    ContactReceived,
    ContactRouted,
    ContactRoutedEvent,
    DeadlineRef,
    DestinationKind,
    Envelope,
    HubVisitEvent,
    HubVisitPayload,
    OnBehalfOf,
    SurveyResponseEvent,
    SurveyResponsePayload,
)

CORPORATE_STAGE_1 = {2007: 1000, 2008: 1220, 2009: 1281}
REFUSE_JANUARY_2010 = 359
REFUSE_DECEMBER_2009 = 150
DEPARTMENTS = {
    "waste_recycling": "Waste and Recycling",
    "highways": "Highways and Streets",
    "housing": "Housing",
    "council_tax_benefits": "Council Tax and Benefits",
    "parking": "Parking Services",
}
PARTNERS = {"police": "Police", "dwp": "Department for Work and Pensions", "citizens_advice": "Citizens Advice"}
CATEGORIES = ("delay", "quality_of_service", "staff_attitude_conduct", "communication", "policy")
CHANNEL_WEIGHTS = {
    Channel.PHONE: 40,
    Channel.FACE_TO_FACE: 12,
    Channel.WEB: 20,
    Channel.EMAIL: 8,
    Channel.SOCIAL_MEDIA: 4,
    Channel.OPEN311: 3,
    Channel.LETTER: 3,
    Channel.LIBRARY: 6,
    Channel.COUNCILLOR_CASEWORK: 4,
}
WARDS = {"m1": ("Cllr A. Khan", "Armley"), "m2": ("Cllr B. Lewis", "Beeston"), "m3": ("Cllr C. Moss", "Armley")}
PRODUCER = "seed-stream"


@dataclass
class SeedStream:
    contacts: list[ContactRoutedEvent] = field(default_factory=list)
    complaints: list[ComplaintEvent] = field(default_factory=list)
    calls: list[CallEvent] = field(default_factory=list)
    visits: list[HubVisitEvent] = field(default_factory=list)
    surveys: list[SurveyResponseEvent] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(events) for events in self.by_topic().values())

    def by_topic(self) -> dict[str, list[Envelope]]:
        """Events by the Topics attribute they are published on."""
        return {
            "contacts_routed": self.contacts,
            "complaints_events": self.complaints,
            "telephony_calls": self.calls,
            "hub_visits": self.visits,
            "survey_responses": self.surveys,
        }

    def no_repeat_within(self, days: int, first: date, last: date) -> dict[str, tuple[int, int]]:
        """By channel, for contacts on `first` to `last` with a customer reference: (not followed by another
        contact from the same customer to the same destination within `days`, all). Worked out pair by pair."""
        known = [e.payload for e in self.contacts if e.payload.contact.customer_ref]
        counts: dict[str, list[int]] = {}
        for routed in known:
            at = routed.contact.received_at
            if not first <= at.date() <= last:
                continue
            repeated = any(
                other.contact.customer_ref == routed.contact.customer_ref
                and other.destination == routed.destination
                and at < other.contact.received_at <= at + timedelta(days=days)
                for other in known
            )
            tally = counts.setdefault(routed.contact.channel.value, [0, 0])
            tally[0] += not repeated
            tally[1] += 1
        return {channel: (resolved, of) for channel, (resolved, of) in counts.items()}

    def contacts_by_channel(self, first: date, last: date) -> Counter:
        return Counter(
            e.payload.contact.channel.value
            for e in self.contacts
            if first <= e.payload.contact.received_at.date() <= last
        )


def council_year_days(start: int) -> tuple[date, date]:
    return date(start, 4, 1), date(start + 1, 3, 31)


def _moment(rng: random.Random, day: date) -> datetime:
    # 09:00 to 15:59 UTC: the same council day in GMT and in BST
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC) + timedelta(minutes=rng.randrange(7 * 60))


def _day_in(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _month_days(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def build(seed: int = 2010, contacts_per_year: int = 1500) -> SeedStream:
    rng = random.Random(seed)
    stream = SeedStream()
    for start in CORPORATE_STAGE_1:
        _contacts(rng, stream, start, contacts_per_year)
        _complaints(rng, stream, start)
        if start >= 2008:
            _calls(rng, stream, start)
            _visits(rng, stream, start)
            _surveys(rng, stream, start)
    return stream


def _contacts(rng: random.Random, stream: SeedStream, start: int, count: int) -> None:
    first, last = council_year_days(start)
    channels, weights = zip(*CHANNEL_WEIGHTS.items(), strict=True)
    days = [_day_in(rng, first, last) for _ in range(count)]
    if start == 2009:  # the snow: refuse contacts pile up in December and January
        days += [_day_in(rng, *_month_days(2009, 12)) for _ in range(250)]
        days += [_day_in(rng, *_month_days(2010, 1)) for _ in range(400)]
    for index, day in enumerate(days):
        snow = index >= count
        channel = Channel.PHONE if snow and index % 3 else rng.choices(channels, weights)[0]
        destination = "waste_recycling" if snow else rng.choice([*DEPARTMENTS, *DEPARTMENTS, *PARTNERS])
        kind = (
            ContactKind.COMPLAINT
            if snow and index % 4 == 0
            else rng.choice(
                [ContactKind.SERVICE_REQUEST, ContactKind.SERVICE_REQUEST, ContactKind.ENQUIRY, ContactKind.COMPLAINT]
            )
        )
        extra: dict = {}
        if index % 10:  # nine in ten from customers intake recognised: 97 of them, back now and then
            extra["customer_ref"] = f"cust_seed{index % 97}"
        if channel is Channel.LIBRARY:
            extra["category"] = "library_" + rng.choice(["council_service", "digital_help", "library_only"])
        if channel is Channel.COUNCILLOR_CASEWORK:
            member = rng.choice(list(WARDS))
            extra["on_behalf_of"] = OnBehalfOf(member_id=member, member_name=WARDS[member][0], ward=WARDS[member][1])
        stream.contacts.append(_routed(rng, channel, destination, kind, _moment(rng, day), extra))


def _routed(rng, channel, destination, kind, at, extra) -> ContactRoutedEvent:
    contact = ContactReceived(
        contact_id=uuid.UUID(int=rng.getrandbits(128)),
        channel=channel,
        channel_reference=f"seed-{rng.getrandbits(32)}",
        kind=kind,
        text="Seeded contact",
        received_at=at,
        **extra,
    )
    partner = destination in PARTNERS
    return ContactRoutedEvent.new(
        ContactRouted(
            contact_id=contact.contact_id,
            destination=destination,
            destination_name=(PARTNERS if partner else DEPARTMENTS)[destination],
            destination_kind=DestinationKind.PARTNER_AGENCY if partner else DestinationKind.DEPARTMENT,
            queue=f"queue.{destination}",
            kind=kind,
            priority=40,
            rule_id="seed",
            rules_version="seed",
            reason="seed stream",
            due_by=at + timedelta(days=5),
            routed_at=at + timedelta(seconds=1),
            contact=contact,
        ),
        producer=PRODUCER,
        event_id=uuid.UUID(int=rng.getrandbits(128)),
    )


def _complaint_days(rng: random.Random, start: int) -> list[tuple[str, date]]:
    first, last = council_year_days(start)
    total = CORPORATE_STAGE_1[start]
    days: list[tuple[str, date]] = []
    if start == 2009:
        days += [("waste_recycling", _day_in(rng, *_month_days(2010, 1))) for _ in range(REFUSE_JANUARY_2010)]
        days += [("waste_recycling", _day_in(rng, *_month_days(2009, 12))) for _ in range(REFUSE_DECEMBER_2009)]
        # the rest of the year's waste complaints at their usual rate, 20 a month
        for month in (4, 5, 6, 7, 8, 9, 10, 11, 2, 3):
            year = start if month >= 4 else start + 1
            days += [("waste_recycling", _day_in(rng, *_month_days(year, month))) for _ in range(20)]
    others = [d for d in DEPARTMENTS if d != "waste_recycling"]
    while len(days) < total:
        days.append(
            (
                rng.choice([*others, "waste_recycling"]) if start != 2009 else rng.choice(others),
                _day_in(rng, first, last),
            )
        )
    return days


def _complaints(rng: random.Random, stream: SeedStream, start: int) -> None:
    for department, day in _complaint_days(rng, start):
        _complaint(rng, stream, "corporate", department, day)
    for procedure, count in (("adult_social_care", 40 + (start - 2007) * 5), ("childrens_social_care", 30)):
        for _ in range(count):
            department = "adult_social_care" if procedure == "adult_social_care" else "childrens_services"
            _complaint(rng, stream, procedure, department, _day_in(rng, *council_year_days(start)))
    for _ in range(250 + (start - 2007) * 20):
        case_id = uuid.UUID(int=rng.getrandbits(128))
        at = _moment(rng, _day_in(rng, *council_year_days(start)))
        stream.complaints.append(
            _lifecycle(rng, case_id, "compliment_recorded", at, department=rng.choice(list(DEPARTMENTS)))
        )


def _lifecycle(rng, case_id, action, at, **fields) -> ComplaintEvent:
    return ComplaintEvent.new(
        ComplaintEventPayload(case_id=case_id, action=action, at=at, **fields),
        producer=PRODUCER,
        event_id=uuid.UUID(int=rng.getrandbits(128)),
    )


def _complaint(rng: random.Random, stream: SeedStream, procedure: str, department: str, day: date) -> None:
    case_id = uuid.UUID(int=rng.getrandbits(128))
    at = _moment(rng, day)
    category = rng.choices(CATEGORIES, [30, 30, 15, 15, 10])[0]
    events = [
        _lifecycle(rng, case_id, "logged", at, procedure=procedure, department=department, category=category),
        _lifecycle(rng, case_id, "acknowledged", at + timedelta(days=1)),
    ]
    late = rng.random() < 0.1
    respond_on = at + timedelta(days=18 if late else 9)
    if late:
        due = (at + timedelta(days=15)).date()
        events.append(
            _lifecycle(
                rng,
                case_id,
                "deadline_missed",
                at + timedelta(days=16),
                deadline=DeadlineRef(name="respond", stage=1, due=due),
            )
        )
    outcome = rng.choice(["upheld", "partly_upheld", "not_upheld"])
    events.append(_lifecycle(rng, case_id, "responded", respond_on, outcome=outcome))
    if procedure == "corporate" and rng.random() < 0.08:
        escalated = respond_on + timedelta(days=5)
        events.append(_lifecycle(rng, case_id, "escalated", escalated))
        events.append(_lifecycle(rng, case_id, "responded", escalated + timedelta(days=20), outcome="not_upheld"))
        if rng.random() < 0.3:
            events.append(_lifecycle(rng, case_id, "referred_to_ombudsman", escalated + timedelta(days=40)))
    stream.complaints.extend(events)


def _calls(rng: random.Random, stream: SeedStream, start: int) -> None:
    first, last = council_year_days(start)
    for number in range(1200):
        call_id = f"{start}-call-{number}"
        at = _moment(rng, _day_in(rng, first, last))
        wait = rng.choice([3, 8, 12, 15, 18, 25, 40, 90])
        fields = {"call_id": call_id, "queue": "general"}
        stream.calls.append(_call(rng, fields | {"event": "offered", "at": at}))
        if number % 10 == 0:
            stream.calls.append(
                _call(rng, fields | {"event": "abandoned", "at": at + timedelta(seconds=wait), "wait_seconds": wait})
            )
            continue
        answered = at + timedelta(seconds=wait)
        stream.calls.append(_call(rng, fields | {"event": "answered", "at": answered, "wait_seconds": wait}))
        stream.calls.append(
            _call(
                rng,
                fields
                | {
                    "event": "ended",
                    "at": answered + timedelta(seconds=300),
                    "talk_seconds": 240,
                    "hold_seconds": 20,
                    "wrap_up_seconds": 40,
                    "resolved_first_time": number % 5 != 0,
                },
            )
        )


def _call(rng, fields) -> CallEvent:
    return CallEvent.new(CallEventPayload(**fields), producer=PRODUCER, event_id=uuid.UUID(int=rng.getrandbits(128)))


def _visits(rng: random.Random, stream: SeedStream, start: int) -> None:
    first, last = council_year_days(start)
    for number in range(400):
        at = _moment(rng, _day_in(rng, first, last))
        hub = rng.choice(["Merrion One Stop Shop", "Compton Centre", "Armley Hub"])
        fields = {"visit_id": f"{start}-visit-{number}", "hub": hub}
        partner = rng.choice([None, None, None, "citizens_advice", "dwp"])
        for event, offset in (("checked_in", 0), ("seen", 12), ("closed", 30)):
            extra = {"resolved_first_time": number % 4 != 0, "partner_agency": partner} if event == "closed" else {}
            stream.visits.append(
                HubVisitEvent.new(
                    HubVisitPayload(**fields, event=event, at=at + timedelta(minutes=offset), **extra),
                    producer=PRODUCER,
                    event_id=uuid.UUID(int=rng.getrandbits(128)),
                )
            )


def _surveys(rng: random.Random, stream: SeedStream, start: int) -> None:
    first, last = council_year_days(start)
    for number in range(300):
        stream.surveys.append(
            SurveyResponseEvent.new(
                SurveyResponsePayload(
                    response_id=f"{start}-survey-{number}",
                    method=rng.choice(["survey", "survey", "focus_group", "mystery_shopping"]),
                    at=_moment(rng, _day_in(rng, first, last)),
                    channel=rng.choice([Channel.PHONE, Channel.WEB, Channel.FACE_TO_FACE]),
                    score=rng.choice([2, 3, 4, 4, 5, 5]),
                    resolved_first_time=rng.random() < 0.8,
                ),
                producer=PRODUCER,
                event_id=uuid.UUID(int=rng.getrandbits(128)),
            )
        )
