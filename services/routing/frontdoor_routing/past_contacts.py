"""Reading past contacts back from contacts.received, as an observer that commits nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaConsumer
from pydantic import ValidationError

from frontdoor_shared.contracts import ContactReceived, ContactReceivedEvent
from frontdoor_shared.kafka import admin_options
from frontdoor_shared.settings import ServiceSettings


async def received_between(
    settings: ServiceSettings, first_day: date, last_day: date, zone: ZoneInfo
) -> AsyncIterator[ContactReceived]:
    """Every valid contact received on those days (council time), from the start of the topic to its end now."""
    options: dict[str, Any] = admin_options(settings)
    topic = settings.topics.contacts_received
    # no group: every partition is assigned to this reader, and nothing is committed
    consumer = AIOKafkaConsumer(
        topic, enable_auto_commit=False, auto_offset_reset="earliest", isolation_level="read_committed", **options
    )
    await consumer.start()
    try:
        partitions = sorted(consumer.assignment(), key=lambda tp: tp.partition)
        if not partitions:
            raise RuntimeError(f"topic {topic} does not exist at {settings.kafka_bootstrap_servers}")
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for records in batch.values():
                for record in records:
                    try:
                        contact = ContactReceivedEvent.model_validate_json(record.value or b"").payload
                    except ValidationError:
                        continue  # dead-lettered when it arrived; nothing to replay
                    if first_day <= contact.received_at.astimezone(zone).date() <= last_day:
                        yield contact
            # check every partition: one ending in a transaction marker returns no records yet is done
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
