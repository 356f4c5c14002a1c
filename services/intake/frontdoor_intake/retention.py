"""Retention of the raw personal details intake keeps, enforced by a sweep that runs in the service.

What intake keeps that can identify a person, and what the sweep does once it is older than
PERSONAL_DATA_RETENTION_DAYS:
- email attachments under ATTACHMENT_DIR (scans, photos, letters): deleted, by the time they were last
  received (a file received again is kept from then);
- Open311 requests (`open311_requests`): the reporter's description, which may hold an address, and the
  location (lat, long, postcode) are removed; the request's status stays answerable;
- email threads (`email_threads`) and email references (`intake_references`): Message-IDs, which
  often carry the sender's address or domain, are deleted. A reply after that starts a new contact.

Events carry only the pseudonymous customer_ref; Kafka's own retention governs the topics.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from frontdoor_shared.logging import get_logger

log = get_logger(__name__)
OPEN311_PERSONAL_FIELDS = ("description", "lat", "long", "zipcode")


@dataclass
class RetentionSweep:
    days: int
    attachment_dir: Path
    open311_requests: AsyncCollection
    threads: AsyncCollection
    references: AsyncCollection
    last: dict[str, Any] | None = field(default=None)

    async def sweep(self, now: datetime | None = None) -> dict[str, Any]:
        """Remove what is past retention now; returns what was removed."""
        now = now or datetime.now(UTC)
        cutoff = now - timedelta(days=self.days)
        files = await asyncio.to_thread(self._delete_old_files, cutoff.timestamp())
        holding = [{name: {"$exists": True}} for name in OPEN311_PERSONAL_FIELDS]
        redacted = await self.open311_requests.update_many(
            {"requested_datetime": {"$lt": cutoff}, "$or": holding},
            {"$unset": dict.fromkeys(OPEN311_PERSONAL_FIELDS, ""), "$set": {"personal_data_removed_at": now}},
        )
        threads = await self.threads.delete_many({"at": {"$lt": cutoff}})
        references = await self.references.delete_many({"_id": {"$regex": "^email:"}, "at": {"$lt": cutoff}})
        self.last = {
            "at": now.isoformat(),
            "older_than": cutoff.isoformat(),
            "attachments_deleted": files,
            "open311_requests_redacted": redacted.modified_count,
            "email_threads_deleted": threads.deleted_count,
            "email_references_deleted": references.deleted_count,
        }
        log.info("personal data retention sweep", **self.last)
        return self.last

    def _delete_old_files(self, cutoff: float) -> int:
        deleted = 0
        if not self.attachment_dir.is_dir():
            return 0
        for entry in os.scandir(self.attachment_dir):
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
                    deleted += 1
            except FileNotFoundError:  # removed meanwhile
                continue
        return deleted

    async def run(self, every_seconds: float) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("personal data retention sweep failed; will retry")
            await asyncio.sleep(every_seconds)
