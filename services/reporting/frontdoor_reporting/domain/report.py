"""The customer-services report: every table, chart and sentence a committee reads, from projected data.

`build_report` is pure: it takes what the projections hold for the period (and the years before,
for the trends) and returns a `Report`. The API serves it as JSON and CSV; `render` draws it as HTML.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .complaints import CaseHistory
from .measures import SATISFIED_FROM, CallCentreRule, CallMeasures, Tally, call_measures
from .periods import Period, month_name
from .repeats import RepeatRule, no_repeat_tallies
from .surges import Surge, SurgeRule, find_surges
from .words import Change, label, number, plural, share

DIGITAL = ("web", "open311", "email", "social_media")
ASSISTED = ("phone", "face_to_face", "letter", "library", "councillor_casework")
CHANNEL_NAMES = {
    "phone": "Phone (call centre)",
    "face_to_face": "Face to face (One Stop Shops and hubs)",
    "web": "Web",
    "open311": "Open311 (FixMyStreet and other apps)",
    "email": "Email",
    "social_media": "Social media",
    "letter": "Letters",
    "library": "Libraries",
    "councillor_casework": "Councillors' casework",
}
PROCEDURE_NAMES = {
    "corporate": "Corporate",
    "adult_social_care": "Adult social care (statutory)",
    "childrens_social_care": "Children's social care (statutory)",
}
LIBRARY_CONTACT_NAMES = {
    "council_service": "Council services at the library",
    "digital_help": "Help to get online",
    "library_only": "Library only (loans, PCs, events)",
}


@dataclass(frozen=True)
class Column:
    key: str
    heading: str


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: str | None = None

    def column(self, key: str) -> list[Any]:
        return [row.get(key) for row in self.rows]


@dataclass
class Chart:
    title: str
    labels: list[str]
    series: list[tuple[str, list[float]]]


@dataclass
class Section:
    key: str
    title: str
    headlines: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass
class Report:
    period: Period
    previous: Period
    sections: list[Section]
    conventions: list[str]

    def table(self, name: str) -> Table | None:
        return next((t for s in self.sections for t in s.tables if t.name == name), None)

    @property
    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]

    def as_dict(self) -> dict[str, Any]:
        def period(p: Period) -> dict[str, str]:
            return {"label": p.label, "from": p.first.isoformat(), "to": p.last.isoformat(), "kind": p.kind}

        return {
            "period": period(self.period),
            "previous": period(self.previous),
            "conventions": self.conventions,
            "sections": [
                {
                    "key": s.key,
                    "title": s.title,
                    "headlines": s.headlines,
                    "tables": [asdict(t) for t in s.tables],
                    "charts": [asdict(c) for c in s.charts],
                }
                for s in self.sections
            ],
        }


@dataclass(frozen=True)
class ReportData:
    """What the projections hold for the report: the period, the year before it, and (complaints) the one before."""

    period: Period
    previous: Period
    earlier: Period
    contacts: Sequence[Mapping[str, Any]]
    """Contacts counted by month, channel, destination, kind, library contact, member and whether the customer was
    recognised (`known_customer`), each row marked `in_period` (true) or of the period before (false)."""
    calls: Sequence[Mapping[str, Any]]
    visits: Sequence[Mapping[str, Any]]
    surveys: Sequence[Mapping[str, Any]]
    cases: Sequence[CaseHistory]
    names: Mapping[str, str] = field(default_factory=dict)
    """Department and partner agency names by code, as routing named them."""
    repeated: Mapping[str, int] = field(default_factory=dict)
    """Contacts of the period from recognised customers that the customer followed with another to the same
    destination within the repeat window, by channel."""


@dataclass(frozen=True)
class ReportRules:
    call_centre: CallCentreRule = field(default_factory=CallCentreRule)
    surges: SurgeRule = field(default_factory=SurgeRule)
    repeats: RepeatRule = field(default_factory=RepeatRule)


def build_report(data: ReportData, rules: ReportRules = ReportRules()) -> Report:
    name = _namer(data.names)
    complaint_surges = _complaint_surges(data, rules.surges)
    return Report(
        period=data.period,
        previous=data.previous,
        sections=[
            _contact_section(data, name),
            _call_centre_section(data, rules.call_centre, rules.repeats),
            _face_to_face_section(data),
            _satisfaction_section(data),
            _complaints_section(data, name, complaint_surges),
            _surges_section(data, name, rules.surges, complaint_surges),
            _casework_section(data),
            _partners_section(data, name),
        ],
        conventions=[
            "Council years run from 1 April to 31 March.",
            f"Service level: calls answered within {number(rules.call_centre.service_level_seconds)} seconds, as a "
            f"share of calls offered; calls abandoned within {number(rules.call_centre.short_abandon_seconds)} "
            "seconds are left out of service level and abandonment.",
            "Average handle time: talk, hold and after-call work.",
            "First-contact resolution: the advisor's flag on calls and hub visits, customers' own answers in "
            f"surveys, and, for customers intake recognised, no further contact to the same department or partner "
            f"agency within {plural(rules.repeats.window_days, 'day')}.",
            f"Satisfied: a score of {SATISFIED_FROM} or 5 out of 5.",
            "Complaints received: complaints reaching a stage during the period; a complaint reclassified as a "
            "service request is not counted.",
            f"Surges: a month at least {number(rules.surges.min_ratio)} times a department's usual monthly figure "
            f"(the median of the twelve months before) and at least {rules.surges.min_rise} above it.",
        ],
    )


def _namer(names: Mapping[str, str]) -> Callable[[str | None], str]:
    def name(code: str | None) -> str:
        return "Not recorded" if not code else names.get(code) or label(code)

    return name


def _change_row(current: float, previous: float | None) -> dict[str, Any]:
    change = Change(current, previous)
    return {"previous": previous, "change_percent": None if change.percent is None else round(change.percent, 1)}


def _sum_by(rows: Iterable[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], Any]) -> Counter:
    totals: Counter = Counter()
    for row in rows:
        totals[key(row)] += row["contacts"]
    return totals


def _now(row: Mapping[str, Any]) -> bool:
    return row["in_period"]


def _before(row: Mapping[str, Any]) -> bool:
    return not row["in_period"]


# ---------------------------------------------------------------------------------------------- contact


def _contact_section(data: ReportData, name: Callable[[str | None], str]) -> Section:
    now = [r for r in data.contacts if _now(r)]
    before = [r for r in data.contacts if _before(r)]
    total, total_before = sum(r["contacts"] for r in now), sum(r["contacts"] for r in before)
    by_channel, by_channel_before = _sum_by(now, lambda r: r["channel"]), _sum_by(before, lambda r: r["channel"])
    channels = [c for c in CHANNEL_NAMES if by_channel[c] or by_channel_before[c]]
    section = Section("contact", "Contact with the council")
    section.headlines.append(
        f"{plural(total, 'contact')} in {data.period.label}, "
        f"{Change(total, total_before or None).describe(data.previous.label)}."
    )
    digital, digital_before = (
        share(sum(c[ch] for ch in DIGITAL), sum(c.values())) for c in (by_channel, by_channel_before)
    )
    if digital is not None:
        shift = f"; {digital_before}% in {data.previous.label}" if digital_before is not None else ""
        section.headlines.append(
            f"Digital channels (web, Open311, email, social media) carried {digital}% of contact{shift}."
        )
    social = Change(by_channel["social_media"], by_channel_before["social_media"] or None)
    section.headlines.append(
        f"Social media: {plural(by_channel['social_media'], 'contact')} ({social.describe(data.previous.label)})."
    )
    section.tables.append(
        Table(
            "contacts_by_channel",
            "Contacts by channel",
            [
                Column("channel", "Channel"),
                Column("contacts", data.period.label),
                Column("share_percent", "Share %"),
                Column("previous", data.previous.label),
                Column("change_percent", "Change %"),
            ],
            [
                {"channel": CHANNEL_NAMES[c], "contacts": by_channel[c], "share_percent": share(by_channel[c], total)}
                | _change_row(by_channel[c], by_channel_before[c])
                for c in channels
            ]
            + [
                {"channel": "All channels", "contacts": total, "share_percent": 100.0 if total else None}
                | _change_row(total, total_before)
            ],
        )
    )
    by_month = defaultdict(Counter)
    for row in now:
        by_month[row["month"]][row["channel"]] += row["contacts"]
    section.tables.append(
        Table(
            "contacts_by_month",
            "Contacts by month and channel",
            [Column("month", "Month"), *[Column(c, CHANNEL_NAMES[c]) for c in channels], Column("total", "Total")],
            [
                {"month": month_name(m), **{c: by_month[m][c] for c in channels}, "total": sum(by_month[m].values())}
                for m in data.period.months
            ],
        )
    )
    previous_by_month = _sum_by(before, lambda r: r["month"])
    section.charts.append(
        Chart(
            "Contacts by month",
            [month_name(m)[:3] for m in data.period.months],
            [
                (data.period.label, [sum(by_month[m].values()) for m in data.period.months]),
                (data.previous.label, [previous_by_month[m] for m in data.previous.months][: len(data.period.months)]),
            ],
        )
    )
    section.charts.append(
        Chart(
            "Contacts by channel",
            [CHANNEL_NAMES[c].split(" (")[0] for c in channels],
            [(data.period.label, [by_channel[c] for c in channels])],
        )
    )
    shift_rows = []
    for group, members in (("Digital", DIGITAL), ("Assisted", ASSISTED)):
        count, count_before = sum(by_channel[c] for c in members), sum(by_channel_before[c] for c in members)
        now_share, before_share = share(count, total), share(count_before, total_before)
        shift_rows.append(
            {
                "channels": group,
                "contacts": count,
                "share_percent": now_share,
                "previous_share_percent": before_share,
                "shift_points": round(now_share - before_share, 1) if None not in (now_share, before_share) else None,
            }
        )
    section.tables.append(
        Table(
            "channel_shift",
            "Channel shift: digital and assisted channels",
            [
                Column("channels", "Channels"),
                Column("contacts", "Contacts"),
                Column("share_percent", "Share %"),
                Column("previous_share_percent", f"Share % {data.previous.label}"),
                Column("shift_points", "Shift (points)"),
            ],
            shift_rows,
            note="Digital: web, Open311, email, social media. Assisted: phone, face to face, letters, libraries, "
            "councillors' casework.",
        )
    )
    by_destination = _sum_by(now, lambda r: (r["destination"], r["destination_kind"]))
    by_destination_before = _sum_by(before, lambda r: (r["destination"], r["destination_kind"]))
    section.tables.append(
        Table(
            "contacts_by_destination",
            "Contacts by department and partner agency",
            [
                Column("destination", "Department or partner agency"),
                Column("kind", "Kind"),
                Column("contacts", data.period.label),
                Column("previous", data.previous.label),
                Column("change_percent", "Change %"),
            ],
            [
                {"destination": name(code), "kind": label(kind), "contacts": count}
                | _change_row(count, by_destination_before[(code, kind)])
                for (code, kind), count in by_destination.most_common()
            ],
        )
    )
    kinds = _sum_by(now, lambda r: r["kind"])
    section.tables.append(
        Table(
            "contacts_by_kind",
            "Contacts by kind",
            [Column("kind", "Kind"), Column("contacts", "Contacts"), Column("share_percent", "Share %")],
            [{"kind": label(k), "contacts": n, "share_percent": share(n, total)} for k, n in kinds.most_common()],
        )
    )
    library, library_before = (
        _sum_by([r for r in rows if r.get("library_contact")], lambda r: r["library_contact"]) for rows in (now, before)
    )
    if library or library_before:
        section.headlines.append(
            "Library contacts: "
            + ", ".join(
                f"{number(library[k])} {_lower_first(LIBRARY_CONTACT_NAMES.get(k, label(k)))}"
                for k in LIBRARY_CONTACT_NAMES
            )
            + "."
        )
    section.tables.append(
        Table(
            "library_contacts",
            "What library contacts were",
            [
                Column("what", "What the contact was"),
                Column("contacts", data.period.label),
                Column("previous", data.previous.label),
                Column("change_percent", "Change %"),
            ],
            [
                {"what": LIBRARY_CONTACT_NAMES.get(k, label(k)), "contacts": library[k]}
                | _change_row(library[k], library_before[k])
                for k in sorted(set(library) | set(library_before), key=lambda k: -library[k])
            ],
        )
    )
    return section


# ---------------------------------------------------------------------------------------------- calls


def _call_centre_section(data: ReportData, rule: CallCentreRule, repeats: RepeatRule) -> Section:
    calls_now = [c for c in data.calls if data.period.contains(c["first_day"])]
    calls_before = [c for c in data.calls if data.previous.contains(c["first_day"])]
    year, year_before = call_measures(calls_now, rule), call_measures(calls_before, rule)
    section = Section("first_contact", "First-contact resolution and the call centre")
    if year.offered:
        section.headlines.append(
            f"The call centre took {plural(year.offered, 'call')} "
            f"({Change(year.offered, year_before.offered or None).describe(data.previous.label)}) and answered "
            f"{year.service_level}% within {number(rule.service_level_seconds)} seconds"
            + (f", against {year_before.service_level}% in {data.previous.label}" if year_before.offered else "")
            + "."
        )
        section.headlines.append(
            f"Average speed of answer {number(year.average_speed_of_answer or 0)} seconds; "
            f"{year.abandonment_rate}% of calls abandoned; average handle time "
            f"{number(year.average_handle_time or 0)} seconds."
        )
    measures: list[tuple[str, Callable[[CallMeasures], Any]]] = [
        ("Calls offered", lambda m: m.offered),
        ("Calls answered", lambda m: m.answered),
        (f"Service level (% within {number(rule.service_level_seconds)} s)", lambda m: m.service_level),
        ("Average speed of answer (s)", lambda m: m.average_speed_of_answer),
        ("Abandonment rate (%)", lambda m: m.abandonment_rate),
        ("Average handle time (s)", lambda m: m.average_handle_time),
        ("Resolved at first contact (%)", lambda m: m.first_contact_resolution),
    ]
    section.tables.append(
        Table(
            "call_centre_year",
            "Call centre: the year",
            [Column("measure", "Measure"), Column("value", data.period.label), Column("previous", data.previous.label)],
            [
                {"measure": title, "value": of(year), "previous": of(year_before) if year_before.offered else None}
                for title, of in measures
            ],
        )
    )
    by_month: dict[str, list] = defaultdict(list)
    for call in calls_now:
        by_month[call["first_day"][:7]].append(call)
    rows = []
    for month in data.period.months:
        m = call_measures(by_month[month], rule)
        rows.append(
            {
                "month": month_name(month),
                "offered": m.offered,
                "answered": m.answered,
                "service_level_percent": m.service_level,
                "average_speed_of_answer": m.average_speed_of_answer,
                "abandonment_percent": m.abandonment_rate,
                "average_handle_time": m.average_handle_time,
            }
        )
    section.tables.append(
        Table(
            "call_centre_by_month",
            "Call centre by month",
            [
                Column("month", "Month"),
                Column("offered", "Offered"),
                Column("answered", "Answered"),
                Column("service_level_percent", "Service level %"),
                Column("average_speed_of_answer", "ASA (s)"),
                Column("abandonment_percent", "Abandoned %"),
                Column("average_handle_time", "AHT (s)"),
            ],
            rows,
        )
    )
    section.charts.append(
        Chart(
            f"Service level by month (% answered within {number(rule.service_level_seconds)} s)",
            [month_name(m)[:3] for m in data.period.months],
            [("Service level %", [r["service_level_percent"] or 0 for r in rows])],
        )
    )
    fcr: dict[str, tuple[str, Tally]] = {}
    phone = Tally()
    for call in calls_now:
        if call.get("resolved_first_time") is not None:
            phone.add(call["resolved_first_time"])
    fcr["phone_flag"] = ("Phone (advisor's flag)", phone)
    visits = Tally()
    for visit in data.visits:
        if data.period.contains(visit["first_day"]) and visit.get("resolved_first_time") is not None:
            visits.add(visit["resolved_first_time"])
    fcr["visit_flag"] = ("Face to face (officer's flag)", visits)
    surveyed: dict[str, Tally] = defaultdict(Tally)
    for response in data.surveys:
        if data.period.contains(response["day"]) and response.get("resolved_first_time") is not None:
            surveyed[response.get("channel") or "unknown"].add(response["resolved_first_time"])
    for channel, tally in sorted(surveyed.items()):
        fcr[f"survey_{channel}"] = (f"{CHANNEL_NAMES.get(channel, label(channel))} (customers surveyed)", tally)
    identified = _sum_by([r for r in data.contacts if _now(r) and r["known_customer"]], lambda r: r["channel"])
    no_repeat = no_repeat_tallies(identified, data.repeated)
    window = plural(repeats.window_days, "day")
    for channel, name in CHANNEL_NAMES.items():
        if channel in no_repeat:
            fcr[f"no_repeat_{channel}"] = (f"{name} (no repeat contact within {window})", no_repeat[channel])
    section.tables.append(
        Table(
            "first_contact_resolution",
            "First-contact resolution by channel",
            [
                Column("channel", "Channel (how measured)"),
                Column("resolved", "Resolved first time"),
                Column("of", "Of"),
                Column("percent", "%"),
            ],
            [
                {"channel": title, "resolved": t.yes, "of": t.flagged, "percent": t.share_yes}
                for title, t in fcr.values()
                if t.flagged
            ],
            note="Measured three ways: the advisor's or officer's flag, the customer's own answer in a survey, and, "
            "for contacts from customers intake recognised, no further contact to the same department or partner "
            f"agency within {window}.",
        )
    )
    by_flag_or_survey = [t for key, (_, t) in fcr.items() if not key.startswith("no_repeat_")]
    flagged = sum(t.flagged for t in by_flag_or_survey)
    if flagged:
        resolved = sum(t.yes for t in by_flag_or_survey)
        section.headlines.insert(
            0, f"{share(resolved, flagged)}% of contacts measured were resolved at the first contact."
        )
    if no_repeat:
        known = Tally.sum_of(no_repeat.values())
        section.headlines.append(
            f"{share(known.yes, known.flagged)}% of {number(known.flagged)} contacts from known customers were not "
            f"followed by another about the same service within {window}."
        )
    return section


# ---------------------------------------------------------------------------------------------- face to face


def _face_to_face_section(data: ReportData) -> Section:
    now: dict[str, Tally] = defaultdict(Tally)
    before: Counter = Counter()
    for visit in data.visits:
        if data.period.contains(visit["first_day"]):
            wait = None
            if visit.get("checked_in_at") and visit.get("seen_at"):
                wait = (visit["seen_at"] - visit["checked_in_at"]).total_seconds() / 60
            now[visit["hub"]].add(visit.get("resolved_first_time"), wait)
        elif data.previous.contains(visit["first_day"]):
            before[visit["hub"]] += 1
    total = sum(t.count for t in now.values())
    section = Section("face_to_face", "One Stop Shops and community hubs")
    if total or before:
        section.headlines.append(
            f"{plural(total, 'visit')} to One Stop Shops and hubs, "
            f"{Change(total, sum(before.values()) or None).describe(data.previous.label)}."
        )
    section.tables.append(
        Table(
            "hub_visits",
            "Visits by One Stop Shop and hub",
            [
                Column("hub", "Hub"),
                Column("visits", data.period.label),
                Column("previous", data.previous.label),
                Column("change_percent", "Change %"),
                Column("resolved_first_time_percent", "Resolved first time %"),
                Column("average_wait_minutes", "Average wait (min)"),
            ],
            [
                {"hub": hub, "visits": t.count}
                | _change_row(t.count, before[hub] or None)
                | {
                    "resolved_first_time_percent": t.share_yes,
                    "average_wait_minutes": round(t.mean, 1) if t.mean is not None else None,
                }
                for hub, t in sorted(now.items(), key=lambda item: -item[1].count)
            ],
        )
    )
    return section


# ---------------------------------------------------------------------------------------------- satisfaction


def _satisfaction_section(data: ReportData) -> Section:
    by_method: dict[str, Tally] = defaultdict(Tally)
    by_channel: dict[str, Tally] = defaultdict(Tally)
    before = Tally()
    for response in data.surveys:
        satisfied = response["score"] >= SATISFIED_FROM
        if data.period.contains(response["day"]):
            by_method[response["method"]].add(satisfied, response["score"])
            by_channel[response.get("channel") or "not_stated"].add(satisfied, response["score"])
        elif data.previous.contains(response["day"]):
            before.add(satisfied, response["score"])
    section = Section("satisfaction", "Customer satisfaction")
    everyone = Tally.sum_of(by_method.values())
    if everyone.count:
        was = f", against {before.share_yes}% in {data.previous.label}" if before.count else ""
        section.headlines.append(
            f"{everyone.share_yes}% of {plural(everyone.count, 'customer')} asked were satisfied{was}."
        )

    def rows(tallies: Mapping[str, Tally], names: Callable[[str], str]) -> list[dict[str, Any]]:
        return [
            {"what": names(key), "responses": t.count, "average_score": t.mean, "satisfied_percent": t.share_yes}
            for key, t in sorted(tallies.items(), key=lambda item: -item[1].count)
        ]

    columns = [
        Column("what", "{}"),
        Column("responses", "Responses"),
        Column("average_score", "Average score (1-5)"),
        Column("satisfied_percent", "Satisfied %"),
    ]
    section.tables.append(
        Table(
            "satisfaction_by_method",
            "Satisfaction by how it was asked",
            [Column("what", "Survey, focus group or mystery shopping"), *columns[1:]],
            rows(by_method, label),
        )
    )
    section.tables.append(
        Table(
            "satisfaction_by_channel",
            "Satisfaction by channel",
            [Column("what", "Channel"), *columns[1:]],
            rows(by_channel, lambda c: CHANNEL_NAMES.get(c, label(c))),
        )
    )
    return section


# ---------------------------------------------------------------------------------------------- complaints


def _receipts(cases: Iterable[CaseHistory], period: Period) -> list[tuple[CaseHistory, int]]:
    """(case, stage) for every stage of a complaint received in the period."""
    return [
        (case, stage.number)
        for case in cases
        if case.complaint
        for stage in case.stages
        if period.contains(stage.received)
    ]


def _complaint_surges(data: ReportData, rule: SurgeRule) -> list[Surge]:
    window = Period(data.earlier.first, data.period.last, "window")
    monthly: dict[str, Counter] = defaultdict(Counter)
    for case, stage in _receipts(data.cases, window):
        if stage == 1:
            monthly[case.department or "not_recorded"][case.stages[0].received.isoformat()[:7]] += 1
    return find_surges(monthly, window.months, data.period.months, rule)


def _complaints_section(data: ReportData, name: Callable[[str | None], str], surges: list[Surge]) -> Section:
    years = (data.period, data.previous, data.earlier)
    receipts = [_receipts(data.cases, year) for year in years]
    by_stage = [Counter((case.procedure or "corporate", stage) for case, stage in r) for r in receipts]
    received = [Counter(case.procedure or "corporate" for case, stage in r if stage == 1) for r in receipts]
    section = Section("complaints", "Compliments and complaints")
    corporate = [r["corporate"] for r in received]
    change_now = Change(corporate[0], corporate[1] or None)
    change_then = Change(corporate[1], corporate[2] or None)
    sentence = f"Corporate complaints received: {number(corporate[0])}, {change_now.describe(data.previous.label)}"
    if corporate[1]:
        sentence += f" ({number(corporate[1])})"
    if change_then.percent is not None:
        direction = "rise" if change_then.percent >= 0 else "fall"
        sentence += f", compared with a {direction} of {abs(round(change_then.percent))}% in {data.previous.label}"
    section.headlines.append(sentence + ".")
    statutory = [
        f"{PROCEDURE_NAMES[p].split(' (')[0].lower()} {number(received[0][p])}"
        for p in ("adult_social_care", "childrens_social_care")
    ]
    section.headlines.append("Statutory complaints, reported apart from corporate ones: " + "; ".join(statutory) + ".")
    for surge in surges:
        section.headlines.append(
            f"{name(surge.subject)} recorded {plural(surge.count, 'stage 1 complaint')} in {month_name(surge.month)}, "
            f"against a usual {number(round(surge.usual))} a month."
        )
    stages = sorted(
        set(by_stage[0]) | set(by_stage[1]) | set(by_stage[2]),
        key=lambda ps: (list(PROCEDURE_NAMES).index(ps[0]) if ps[0] in PROCEDURE_NAMES else 9, ps[1]),
    )
    section.tables.append(
        Table(
            "complaints_by_procedure_stage",
            "Complaints received by procedure and stage",
            [
                Column("procedure", "Procedure"),
                Column("stage", "Stage"),
                Column("received", data.period.label),
                Column("previous", data.previous.label),
                Column("change_percent", "Change %"),
                Column("earlier", data.earlier.label),
                Column("previous_change_percent", f"Change % {data.previous.label}"),
            ],
            [
                {"procedure": PROCEDURE_NAMES.get(p, label(p)), "stage": s, "received": by_stage[0][(p, s)]}
                | _change_row(by_stage[0][(p, s)], by_stage[1][(p, s)])
                | {
                    "earlier": by_stage[2][(p, s)],
                    "previous_change_percent": _round(Change(by_stage[1][(p, s)], by_stage[2][(p, s)] or None).percent),
                }
                for p, s in stages
            ],
        )
    )
    now_cases = receipts[0]
    by_department = Counter((case.department, stage) for case, stage in now_cases)
    before_department = Counter(case.department for case, stage in receipts[1] if stage == 1)
    departments = sorted({d for d, _ in by_department}, key=lambda d: -by_department[(d, 1)])
    section.tables.append(
        Table(
            "complaints_by_department",
            "Complaints by department",
            [
                Column("department", "Department"),
                Column("stage_1", "Stage 1"),
                Column("stage_2", "Stage 2"),
                Column("stage_3", "Stage 3"),
                Column("previous", f"Stage 1 {data.previous.label}"),
                Column("change_percent", "Change %"),
            ],
            [
                {
                    "department": name(d),
                    "stage_1": by_department[(d, 1)],
                    "stage_2": by_department[(d, 2)],
                    "stage_3": by_department[(d, 3)],
                }
                | _change_row(by_department[(d, 1)], before_department[d] or None)
                for d in departments
            ],
        )
    )
    month_counts = Counter(
        (case.department, case.stages[0].received.isoformat()[:7]) for case, stage in now_cases if stage == 1
    )
    section.tables.append(
        Table(
            "complaints_by_department_month",
            "Stage 1 complaints by department and month",
            [Column("department", "Department"), *[Column(m, month_name(m)[:3]) for m in data.period.months]],
            [{"department": name(d), **{m: month_counts[(d, m)] for m in data.period.months}} for d in departments],
        )
    )
    categories = Counter(case.category or "not_recorded" for case, stage in now_cases if stage == 1)
    first_stage = sum(categories.values())
    staff = categories.get("staff_attitude_conduct", 0)
    if first_stage:
        section.headlines.append(
            f"Staff attitude or conduct: {plural(staff, 'complaint')} "
            f"({share(staff, first_stage)}% of stage 1 complaints)."
        )
    section.tables.append(
        Table(
            "complaints_by_category",
            "Stage 1 complaints by category",
            [Column("category", "Category"), Column("complaints", "Complaints"), Column("share_percent", "Share %")],
            [
                {"category": label(c), "complaints": n, "share_percent": share(n, first_stage)}
                for c, n in categories.most_common()
            ],
        )
    )
    answered: dict[tuple[str, int], Tally] = defaultdict(Tally)
    outcomes: dict[str, Counter] = defaultdict(Counter)
    for case in data.cases:
        if not case.complaint:
            continue
        for stage in case.stages:
            if stage.responded and data.period.contains(stage.responded):
                answered[(case.procedure or "corporate", stage.number)].add(stage.answered_in_time)
                outcomes[case.procedure or "corporate"][stage.outcome or "not_recorded"] += 1
    all_answered = Tally.sum_of(answered.values())
    if all_answered.flagged:
        section.headlines.append(f"{all_answered.share_yes}% of complaint responses were sent within target.")
    section.tables.append(
        Table(
            "complaints_in_time",
            "Complaint responses sent within target",
            [
                Column("procedure", "Procedure"),
                Column("stage", "Stage"),
                Column("responses", "Responses"),
                Column("within_target", "Within target"),
                Column("percent", "%"),
            ],
            [
                {
                    "procedure": PROCEDURE_NAMES.get(p, label(p)),
                    "stage": s,
                    "responses": t.flagged,
                    "within_target": t.yes,
                    "percent": t.share_yes,
                }
                for (p, s), t in sorted(answered.items())
            ],
        )
    )
    outcome_names = ("upheld", "partly_upheld", "not_upheld", "not_recorded")
    section.tables.append(
        Table(
            "complaint_outcomes",
            "Outcomes of complaint responses",
            [Column("procedure", "Procedure"), *[Column(o, label(o)) for o in outcome_names]],
            [
                {"procedure": PROCEDURE_NAMES.get(p, label(p)), **{o: counts[o] for o in outcome_names}}
                for p, counts in sorted(outcomes.items())
            ],
        )
    )
    ombudsman = [
        Counter(
            case.procedure or "corporate"
            for case in data.cases
            if case.ombudsman_referred and year.contains(case.ombudsman_referred)
        )
        for year in years[:2]
    ]
    referred = sum(ombudsman[0].values())
    section.headlines.append(f"{plural(referred, 'complaint')} referred to the Ombudsman.")
    section.tables.append(
        Table(
            "ombudsman_referrals",
            "Referrals to the Ombudsman",
            [
                Column("procedure", "Procedure"),
                Column("referrals", data.period.label),
                Column("previous", data.previous.label),
            ],
            [
                {
                    "procedure": PROCEDURE_NAMES.get(p, label(p)),
                    "referrals": ombudsman[0][p],
                    "previous": ombudsman[1][p],
                }
                for p in sorted(set(ombudsman[0]) | set(ombudsman[1]))
            ],
        )
    )
    compliments = [
        Counter(case.department for case in data.cases if case.compliment_day and year.contains(case.compliment_day))
        for year in years[:2]
    ]
    section.headlines.append(
        f"{plural(sum(compliments[0].values()), 'compliment')}, "
        f"{Change(sum(compliments[0].values()), sum(compliments[1].values()) or None).describe(data.previous.label)}."
    )
    section.tables.append(
        Table(
            "compliments_by_department",
            "Compliments by department",
            [
                Column("department", "Department"),
                Column("compliments", data.period.label),
                Column("previous", data.previous.label),
            ],
            [
                {"department": name(d), "compliments": n, "previous": compliments[1][d]}
                for d, n in compliments[0].most_common()
            ],
        )
    )
    section.charts.append(
        Chart(
            "Complaints received by procedure",
            [y.label for y in reversed(years)],
            [(PROCEDURE_NAMES[p], [received[i][p] for i in (2, 1, 0)]) for p in PROCEDURE_NAMES],
        )
    )
    return section


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# ---------------------------------------------------------------------------------------------- surges


def _surges_section(
    data: ReportData, name: Callable[[str | None], str], rule: SurgeRule, complaint_surges: list[Surge]
) -> Section:
    months = [*data.previous.months, *data.period.months]
    monthly: dict[str, Counter] = defaultdict(Counter)
    channels: dict[tuple[str, str], Counter] = defaultdict(Counter)
    complaints: Counter = Counter()
    for row in data.contacts:
        monthly[row["destination"]][row["month"]] += row["contacts"]
        channels[(row["destination"], row["month"])][row["channel"]] += row["contacts"]
        if row["kind"] == "complaint":
            complaints[(row["destination"], row["month"])] += row["contacts"]
    contact_surges = find_surges(monthly, months, data.period.months, rule)
    section = Section("surges", "Surges")
    rows = []
    for surge in contact_surges:
        top, count = channels[(surge.subject, surge.month)].most_common(1)[0]
        why = (
            f"mostly by {_lower_first(CHANNEL_NAMES[top])} ({share(count, surge.count)}%); "
            f"{share(complaints[(surge.subject, surge.month)], surge.count)}% were complaints"
        )
        rows.append(_surge_row("Contacts", surge, name, why))
    categories: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for case in data.cases:
        if case.complaint and case.stages:
            categories[(case.department or "not_recorded", case.stages[0].received.isoformat()[:7])][
                case.category or "not_recorded"
            ] += 1
    for surge in complaint_surges:
        top, count = categories[(surge.subject, surge.month)].most_common(1)[0]
        rows.append(
            _surge_row(
                "Stage 1 complaints", surge, name, f"mostly about {label(top).lower()} ({share(count, surge.count)}%)"
            )
        )
    for row in rows:
        section.headlines.append(
            f"{row['department']}, {row['month']}: {number(row['count'])} {row['measure'].lower()} against a usual "
            f"{number(row['usual'])} a month"
            + (f", {number(row['times'])} times as many" if row["times"] else "")
            + f" ({row['explanation']})."
        )
    if not rows:
        section.headlines.append("No month stood out from its department's usual level.")
    section.tables.append(
        Table(
            "surges",
            "Months far above a department's usual level",
            [
                Column("measure", "Measure"),
                Column("department", "Department"),
                Column("month", "Month"),
                Column("count", "Count"),
                Column("usual", "Usual a month"),
                Column("rise", "Rise"),
                Column("times", "Times usual"),
                Column("explanation", "What drove it"),
            ],
            rows,
        )
    )
    return section


def _surge_row(measure: str, surge: Surge, name: Callable[[str | None], str], why: str) -> dict[str, Any]:
    return {
        "measure": measure,
        "department": name(surge.subject),
        "month": month_name(surge.month),
        "count": surge.count,
        "usual": round(surge.usual),
        "rise": surge.rise,
        "times": surge.times,
        "explanation": why,
    }


# ---------------------------------------------------------------------------------------------- casework, partners


def _casework_section(data: ReportData) -> Section:
    now = [r for r in data.contacts if _now(r) and r.get("member_id")]
    before = [r for r in data.contacts if _before(r) and r.get("member_id")]
    by_ward, by_ward_before = _sum_by(now, lambda r: r["ward"]), _sum_by(before, lambda r: r["ward"])
    by_member = _sum_by(now, lambda r: (r["member_id"], r["member_name"], r["ward"]))
    complaints = _sum_by([r for r in now if r["kind"] == "complaint"], lambda r: r["member_id"])
    section = Section("casework", "Councillors' casework")
    total = sum(by_ward.values())
    section.headlines.append(
        f"{plural(total, 'case')} raised by councillors for constituents, from "
        f"{plural(len(by_member), 'member')} in {plural(len(by_ward), 'ward')}."
    )
    section.tables.append(
        Table(
            "casework_by_ward",
            "Casework by ward",
            [
                Column("ward", "Ward"),
                Column("cases", data.period.label),
                Column("previous", data.previous.label),
                Column("change_percent", "Change %"),
            ],
            [
                {"ward": ward, "cases": n} | _change_row(n, by_ward_before[ward] or None)
                for ward, n in by_ward.most_common()
            ],
        )
    )
    section.tables.append(
        Table(
            "casework_by_member",
            "Casework by member",
            [
                Column("member", "Member"),
                Column("ward", "Ward"),
                Column("cases", "Cases"),
                Column("complaints", "Of which complaints"),
            ],
            [
                {"member": member_name, "ward": ward, "cases": n, "complaints": complaints[member_id]}
                for (member_id, member_name, ward), n in by_member.most_common()
            ],
        )
    )
    return section


def _partners_section(data: ReportData, name: Callable[[str | None], str]) -> Section:
    routed, routed_before = (
        _sum_by(
            [r for r in data.contacts if within(r) and r["destination_kind"] == "partner_agency"],
            lambda r: r["destination"],
        )
        for within in (_now, _before)
    )
    at_hubs = Counter(
        v["partner_agency"] for v in data.visits if v.get("partner_agency") and data.period.contains(v["first_day"])
    )
    section = Section("partners", "Partner agencies")
    section.headlines.append(
        f"{plural(sum(routed.values()), 'contact')} referred to partner agencies "
        f"({Change(sum(routed.values()), sum(routed_before.values()) or None).describe(data.previous.label)}), "
        f"and {plural(sum(at_hubs.values()), 'hub visit')} with a partner agency."
    )
    agencies = sorted(set(routed) | set(routed_before) | set(at_hubs), key=lambda a: -(routed[a] + at_hubs[a]))
    section.tables.append(
        Table(
            "partner_referrals",
            "Referrals by partner agency",
            [
                Column("agency", "Partner agency"),
                Column("referred", "Contacts referred"),
                Column("previous", data.previous.label),
                Column("change_percent", "Change %"),
                Column("hub_visits", "Hub visits with the agency"),
            ],
            [
                {"agency": name(a), "referred": routed[a]}
                | _change_row(routed[a], routed_before[a] or None)
                | {"hub_visits": at_hubs[a]}
                for a in agencies
            ],
        )
    )
    return section
