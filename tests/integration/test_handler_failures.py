"""A handler that fails on an unexpected error rewinds its batch; it never skips it.

With manual acknowledgement, a batch whose handler raised was neither committed nor rewound, and
the next batch's commit covered its offsets: the rest of the failed batch was lost. Found by the
fault suite, when a document the complaints service could not read (written to its collection by
another service) made `case_from_doc` raise: every case after it in the batch was never opened.
"""

from __future__ import annotations

import asyncio

from pymongo import AsyncMongoClient

from frontdoor_complaints.app import create_app
from frontdoor_complaints.handlers import logged_event
from frontdoor_complaints.settings import ComplaintsSettings
from frontdoor_complaints.store import CASES
from frontdoor_shared.contracts import ContactKind
from frontdoor_shared.topics import Topics
from tests.factories import a_routed_event
from tests.kafka_tools import header, produce, read_topics


async def test_a_case_that_cannot_be_read_is_dead_lettered_and_the_rest_of_its_batch_is_applied(namespace):
    settings = namespace.settings(
        ComplaintsSettings, topic_partitions=1, max_delivery_attempts=2, deadline_check_seconds=3600
    )
    topics = settings.topics
    unreadable, *good = [a_routed_event(ContactKind.COMPLAINT, "complaints_team") for _ in range(4)]
    events = [logged_event(routed, settings.statutory_teams) for routed in (unreadable, *good)]
    client = AsyncMongoClient(namespace.infra.mongodb_url)
    cases = client[namespace.database][CASES]
    unreadable_id = str(unreadable.payload.contact_id)
    # a document under the case's id that is not a case (as another service's projection would leave)
    await cases.insert_one({"_id": unreadable_id, "events": {}, "first_day": "2010-01-11"})
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            # one partition, one batch: the unreadable case first, the good ones after it
            await produce(
                namespace.infra.kafka_bootstrap_servers,
                topics.complaints_events,
                [(str(e.payload.case_id).encode(), e.to_bytes()) for e in events],
            )
            dead = await read_topics(
                namespace.infra.kafka_bootstrap_servers,
                [Topics.dead_letters(topics.complaints_events)],
                expect=1,
                idle_seconds=1,
                timeout=60,
            )
            for _ in range(240):  # until the good cases are open, or give up and let the assertion say so
                if await cases.count_documents({"kind": "complaint"}) >= len(good):
                    break
                await asyncio.sleep(0.25)
            opened = {doc["_id"] async for doc in cases.find({"kind": "complaint"})}
    finally:
        await client.close()
    assert opened == {str(e.payload.contact_id) for e in good}, "every case after the unreadable one is opened"
    assert [header(r, "x-dead-letter-error-type") for r in dead] == ["KeyError"]
    assert "case could not be updated" in header(dead[0], "x-dead-letter-reason")
