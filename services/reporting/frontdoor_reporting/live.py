"""The live dashboard: today's figures, pushed to the browser as server-sent events when projections change."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pymongo.asynchronous.database import AsyncDatabase

from .domain.report import CHANNEL_NAMES
from .projections import CALLS, COMPLAINT_HISTORIES, CONTACTS


class LiveFeed:
    """Counts projection writes; watchers wake when the count moves, and end once the feed is closed."""

    def __init__(self) -> None:
        self.version = 0
        self.closed = False
        self._changed = asyncio.Event()

    def changed(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    def close(self) -> None:
        """The service is stopping: wake every watcher for the last time."""
        self.closed = True
        self._changed.set()

    async def wait(self, seen: int, timeout: float) -> int:
        if self.version == seen and not self.closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)
        return self.version


async def snapshot(database: AsyncDatabase, zone: ZoneInfo) -> dict[str, Any]:
    today = datetime.now(zone).date().isoformat()
    by_channel: Counter = Counter()
    by_destination: Counter = Counter()
    pipeline = [
        {"$match": {"received_day": today}},
        {"$group": {"_id": {"channel": "$channel", "destination": "$destination_name"}, "contacts": {"$sum": 1}}},
    ]
    async for row in await database[CONTACTS].aggregate(pipeline):
        by_channel[row["_id"]["channel"]] += row["contacts"]
        by_destination[row["_id"]["destination"] or "Not recorded"] += row["contacts"]
    calls = Counter()
    async for call in database[CALLS].find({"first_day": today}, {"answered_at": 1, "abandoned_at": 1}):
        calls["offered"] += 1
        calls["answered"] += "answered_at" in call
        calls["abandoned"] += "abandoned_at" in call
    complaints = await database[COMPLAINT_HISTORIES].count_documents({"first_day": today})
    return {
        "day": today,
        "at": datetime.now(zone).isoformat(timespec="seconds"),
        "contacts_today": sum(by_channel.values()),
        "by_channel": [
            {"channel": CHANNEL_NAMES.get(code, code), "contacts": n} for code, n in by_channel.most_common()
        ],
        "by_destination": [{"destination": name, "contacts": n} for name, n in by_destination.most_common(10)],
        "calls": dict(calls),
        "complaint_cases_opened_today": complaints,
    }


async def events(
    feed: LiveFeed, database: AsyncDatabase, zone: ZoneInfo, min_interval: float = 1.0, keep_alive: float = 15.0
) -> AsyncIterator[str]:
    """Server-sent events: a snapshot at once, then one whenever projections change (at most one a second).

    The stream ends when the feed closes, as the service stops; the browser's EventSource reconnects.
    """
    seen = -1
    while not feed.closed:
        version = feed.version
        if version != seen:
            seen = version
            yield f"event: snapshot\ndata: {json.dumps(await snapshot(database, zone))}\n\n"
            await asyncio.sleep(min_interval)
        elif await feed.wait(seen, keep_alive) == seen and not feed.closed:
            yield ": still here\n\n"


DASHBOARD = """<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Frontdoor: today's contact</title>
<style>
body{font-family:Arial,Helvetica,sans-serif;color:#0b0c0c;margin:1.5em}
h1{margin:0 0 .2em}.status{color:#505a5f}.tiles{display:flex;gap:1em;flex-wrap:wrap;margin:1em 0}
.tile{background:#f3f2f1;border-left:6px solid #1d70b8;padding:.6em 1em;min-width:10em}
.tile b{display:block;font-size:2.2em}.bars div{display:flex;align-items:center;margin:.25em 0}
.bars span{width:16em}.bars i{display:inline-block;height:1.2em;background:#1d70b8;margin-right:.5em}
</style></head><body>
<h1>Today's contact</h1>
<p class="status">Live from Frontdoor's reporting projections. <span id="status">Connecting...</span></p>
<div class="tiles">
 <div class="tile">Contacts today<b id="contacts-today">0</b></div>
 <div class="tile">Calls offered<b id="calls-offered">0</b></div>
 <div class="tile">Calls answered<b id="calls-answered">0</b></div>
 <div class="tile">Calls abandoned<b id="calls-abandoned">0</b></div>
 <div class="tile">Complaints opened<b id="complaints-today">0</b></div>
</div>
<h2>By channel</h2><div class="bars" id="by-channel"></div>
<h2>By department or partner agency</h2><div class="bars" id="by-destination"></div>
<script>
function bars(id, rows, key) {
  const top = Math.max(1, ...rows.map(r => r.contacts));
  const box = document.getElementById(id);
  box.replaceChildren(...rows.map(r => {
    const row = document.createElement("div");
    const name = document.createElement("span"); name.textContent = r[key];
    const bar = document.createElement("i"); bar.style.width = (300 * r.contacts / top) + "px";
    const n = document.createElement("b"); n.textContent = r.contacts.toLocaleString("en-GB");
    row.append(name, bar, n); return row;
  }));
}
const source = new EventSource("/v1/reports/live");
source.addEventListener("snapshot", e => {
  const s = JSON.parse(e.data);
  const set = (id, v) => document.getElementById(id).textContent = (v || 0).toLocaleString("en-GB");
  set("contacts-today", s.contacts_today); set("calls-offered", s.calls.offered);
  set("calls-answered", s.calls.answered); set("calls-abandoned", s.calls.abandoned);
  set("complaints-today", s.complaint_cases_opened_today);
  bars("by-channel", s.by_channel, "channel"); bars("by-destination", s.by_destination, "destination");
  document.getElementById("status").textContent = "Updated " + s.at;
});
source.onerror = () => document.getElementById("status").textContent = "Reconnecting...";
</script></body></html>
"""
