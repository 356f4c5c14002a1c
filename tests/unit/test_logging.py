import json
import logging

import structlog

from frontdoor_shared.logging import configure_logging, get_logger


def test_logs_are_json_with_service_and_per_message_context(capsys):
    configure_logging("routing", "INFO", "json")
    with structlog.contextvars.bound_contextvars(event_id="e-1", topic="contacts.received", partition=2, offset=41):
        get_logger("frontdoor.test").info("contact routed", destination="housing")
    get_logger("frontdoor.test").info("after the message")
    logging.getLogger("aiokafka").warning("library says %s", "hello")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    first, after, library = lines
    assert first["event"] == "contact routed" and first["service"] == "routing"
    assert (first["event_id"], first["topic"], first["partition"], first["offset"]) == (
        "e-1",
        "contacts.received",
        2,
        41,
    )
    assert "event_id" not in after, "message context must not leak into the next message's lines"
    assert (
        library["event"] == "library says hello" and library["logger"] == "aiokafka" and library["service"] == "routing"
    )
    assert first["level"] == "info" and "timestamp" in first
