"""`frontdoor dlq`: dead letters listed with their reasons and replayed once after a fix."""

from __future__ import annotations

from frontdoor_deploy import dead_letters
from frontdoor_routing.app import create_app
from frontdoor_routing.settings import RoutingSettings
from frontdoor_shared.topics import Topics
from tests.kafka_tools import produce, read_topics


async def test_dead_letters_are_listed_and_replayed_once(namespace):
    settings = namespace.settings(RoutingSettings, routing_instance="dlq")
    topics = settings.topics
    dlq = Topics.dead_letters(topics.contacts_received)
    bootstrap = namespace.infra.kafka_bootstrap_servers
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await produce(
            bootstrap, topics.contacts_received, [(b"a", b"{broken"), (b"b", b"[]")], headers=[("source", b"scanner")]
        )
        await read_topics(bootstrap, [dlq], expect=2, idle_seconds=1)
    count, reasons = await dead_letters.summary(bootstrap, dlq)
    assert count == 2 and sum(reasons.values()) == 2
    assert all(reason.startswith("not a valid ContactReceivedEvent") for reason in reasons)

    assert await dead_letters.replay(bootstrap, dlq) == 2
    assert await dead_letters.replay(bootstrap, dlq) == 0, "what was replayed is not replayed again"
    back = await read_topics(bootstrap, [topics.contacts_received], expect=4, idle_seconds=1)
    replayed = [r for r in back if any(k == "x-replayed-from" for k, _ in r.headers)]
    assert sorted(r.value for r in replayed) == [b"[]", b"{broken"]
    assert all(dict(r.headers)["source"] == b"scanner" for r in replayed)
    assert not any(k.startswith("x-dead-letter-") for r in replayed for k, _ in r.headers)
