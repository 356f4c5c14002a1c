"""Figures about complaints, from the case documents: the queries behind the reports and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
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
