"""Figures about complaints, from the case documents: the queries behind the reports and CSV."""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

OPEN_BY = [
    {"$match": {"kind": "complaint", "open": True}},
    {
        "$group": {
            "_id": {"stage": "$stage", "procedure": "$procedure", "department": "$department"},
            "cases": {"$sum": 1},
        }
    },
    {"$sort": {"_id.procedure": 1, "_id.stage": 1, "_id.department": 1}},
]


def counted_by(field: str) -> list[dict[str, Any]]:
    return [
        {"$match": {"kind": "complaint", field: {"$ne": None}}},
        {"$group": {"_id": f"${field}", "cases": {"$sum": 1}}},
        {"$sort": {"_id": 1}},
    ]


def targets_pipeline() -> list[dict[str, Any]]:
    return [
        {"$match": {"kind": "complaint"}},
        {"$unwind": "$targets"},
        {
            "$group": {
                "_id": {"name": "$targets.name", "procedure": "$procedure"},
                "done": {"$sum": 1},
                "in_time": {"$sum": {"$cond": ["$targets.in_time", 1, 0]}},
            }
        },
        {"$sort": {"_id.procedure": 1, "_id.name": 1}},
    ]


TIMING_FIELDS = {"procedure": 1, "received_on": 1, "first_acknowledged_on": 1, "first_responded_on": 1}


def working_days_taken(docs: Iterable[Mapping[str, Any]], calendar: Any) -> list[dict[str, Any]]:
    """Mean and median working days from receipt to first acknowledgement and to first response, by procedure."""
    taken: dict[tuple[str, str], list[int]] = {}
    for doc in docs:
        received = date.fromisoformat(doc["received_on"])
        for measure, field in (("to_acknowledge", "first_acknowledged_on"), ("to_respond", "first_responded_on")):
            if doc.get(field):
                days = calendar.between(received, date.fromisoformat(doc[field]))
                taken.setdefault((doc["procedure"], measure), []).append(days)
    return [
        {
            "procedure": procedure,
            "measure": measure,
            "cases": len(days),
            "mean_working_days": round(statistics.mean(days), 1),
            "median_working_days": statistics.median(days),
        }
        for (procedure, measure), days in sorted(taken.items())
    ]


def flatten(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Aggregation rows with their `_id` fields brought up beside the figures."""
    flat = []
    for row in rows:
        key = row["_id"]
        base = dict(key) if isinstance(key, Mapping) else {"value": key}
        flat.append(base | {k: v for k, v in row.items() if k != "_id"})
    return flat


def as_csv(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    columns = list(dict.fromkeys(column for row in rows for column in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "; ".join(map(str, v)) if isinstance(v, list | tuple) else v for k, v in row.items()})
    return out.getvalue()
