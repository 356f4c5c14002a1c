"""Kafka helpers every service uses: the broker, topic creation, dead letters, log context."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import ssl
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import BaseModel, ValidationError

from .settings import ServiceSettings
from .topics import Topics

if TYPE_CHECKING:
    from aiokafka import AIOKafkaProducer
    from aiokafka.structs import ConsumerRecord

    from .contracts.envelope import Envelope

log = structlog.stdlib.get_logger(__name__)


def broker_security(settings: ServiceSettings) -> BaseSecurity | None:
    """FastStream security for the configured Kafka protocol (None for PLAINTEXT)."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = ssl.create_default_context() if protocol.endswith("SSL") else None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    kind = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}
    return kind[settings.kafka_sasl_mechanism](
        username=settings.kafka_sasl_username,
        password=settings.kafka_sasl_password,
        ssl_context=context,
        use_ssl=context is not None,
    )


def admin_options(settings: ServiceSettings) -> dict[str, Any]:
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol.endswith("SSL"):
        options["ssl_context"] = ssl.create_default_context()
    if settings.kafka_security_protocol.startswith("SASL"):
        options |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": settings.kafka_sasl_username,
            "sasl_plain_password": settings.kafka_sasl_password,
        }
    return options


def make_broker(settings: ServiceSettings, service: str, **options: Any) -> KafkaBroker:
    """A broker whose publishes wait for every in-sync replica and are never duplicated by retries."""
    defaults: dict[str, Any] = {
        "client_id": f"frontdoor-{service}",
        "acks": "all",
        "enable_idempotence": True,
        "allow_auto_create_topics": False,
        "security": broker_security(settings),
        "description": f"Frontdoor {service} service",
        # FastStream's per-message "Received"/"Processed" lines go through our JSON logs, at DEBUG.
        "logger": logging.getLogger(f"faststream.{service}"),
        "log_level": logging.DEBUG,
        "parser": lenient_headers,
    }
    return KafkaBroker(settings.kafka_bootstrap_servers, **(defaults | options))


async def ensure_topics(settings: ServiceSettings, names: Iterable[str]) -> list[str]:
    """Create the topics that do not exist yet; returns the names it created."""
    wanted = sorted(set(names))
    admin = AIOKafkaAdminClient(**admin_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if missing:
            # another instance may create one between our look and our create
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(name, settings.topic_partitions, settings.topic_replication_factor) for name in missing]
                )
            log.info("topics created", topics=missing, partitions=settings.topic_partitions)
        return missing
    finally:
        await admin.close()


async def ping_broker(broker: KafkaBroker) -> None:
    if not await broker.ping(timeout=3):
        raise ConnectionError("Kafka broker does not answer")


def publish_options(event: Envelope) -> dict[str, Any]:
    """What FastStream's publish takes besides the body and key: the event's type and id as headers, and its
    correlation id, so FastStream does not make a fresh one."""
    return {
        "headers": {"event-type": event.event_type, "event-id": str(event.event_id)},
        "correlation_id": str(event.correlation_id),
    }


async def raw_bodies(message: Any) -> Any:
    """A decoder that hands the handler the bytes as they arrived.

    Parsing is the handler's job, so a message that is not valid JSON, or carries
    a misleading content-type, reaches the handler and its dead-letter topic
    instead of failing inside the framework.
    """
    return message.body


def _readable_headers(record: ConsumerRecord[Any, Any]) -> ConsumerRecord[Any, Any]:
    headers = record.headers or ()
    try:
        for _, value in headers:
            value.decode()
    except (AttributeError, UnicodeDecodeError):  # a null or non-UTF-8 header value
        escaped = ((name, (value or b"").decode("utf-8", errors="backslashreplace")) for name, value in headers)
        readable = [(name, value.encode()) for name, value in escaped]
        return dataclasses.replace(record, headers=readable)
    return record


async def lenient_headers(message: Any, original_parser: Any) -> Any:
    """FastStream's parser, for messages whose header values are not UTF-8 text or are null.

    FastStream decodes every header value as UTF-8 before any handler runs, so one such message
    made the whole batch fail inside the framework: never handled, never dead-lettered. Header
    values that do not decode are escaped (as the dead-letter headers are) and the message reaches
    its handler and, if it is bad, its dead-letter topic.
    """
    if isinstance(message, tuple):
        return await original_parser(tuple(_readable_headers(record) for record in message))
    return await original_parser(_readable_headers(message))


def with_dead_letters(topics: Iterable[str]) -> list[str]:
    names = list(topics)
    return names + [Topics.dead_letters(name) for name in names]


@contextlib.contextmanager
def message_context(record: ConsumerRecord[Any, Any], **extra: Any) -> Iterator[None]:
    """Bind the message's coordinates to every log line written while handling it."""
    with structlog.contextvars.bound_contextvars(
        topic=record.topic, partition=record.partition, offset=record.offset, **extra
    ):
        yield


@dataclass(frozen=True)
class DeadLetter:
    """A message that cannot be processed, with why, ready for its dead-letter topic."""

    record: ConsumerRecord[Any, Any]
    reason: str
    error_type: str
    consumer_group: str

    @classmethod
    def invalid(
        cls, record: ConsumerRecord[Any, Any], model: type[BaseModel], error: ValidationError, consumer_group: str
    ) -> DeadLetter:
        """A message that is not the event its topic carries, with every field that is wrong."""
        problems = [
            f"{'.'.join(str(part) for part in item['loc']) or '(message)'}: {item['msg']}"
            for item in error.errors()[:20]
        ]
        return cls(record, f"not a valid {model.__name__}: " + "; ".join(problems), "ValidationError", consumer_group)

    @property
    def topic(self) -> str:
        return Topics.dead_letters(self.record.topic)

    @property
    def headers(self) -> dict[str, str]:
        original = {
            name: value.decode("utf-8", errors="backslashreplace")
            for name, value in (self.record.headers or ())
            if not name.startswith("x-dead-letter-")
        }
        return original | {
            "x-dead-letter-reason": self.reason[:4000],
            "x-dead-letter-error-type": self.error_type,
            "x-dead-letter-original-topic": self.record.topic,
            "x-dead-letter-original-partition": str(self.record.partition),
            "x-dead-letter-original-offset": str(self.record.offset),
            "x-dead-letter-consumer-group": self.consumer_group,
            "x-dead-letter-at": datetime.now(UTC).isoformat(),
        }

    @property
    def key(self) -> bytes | None:
        return self.record.key

    @property
    def value(self) -> bytes:
        return self.record.value if self.record.value is not None else b""


class DeliveryAttempts:
    """Counts failed attempts at each message so a poison message ends in its dead-letter topic.

    Kept in memory: after a restart a message gets its attempts afresh, which
    errs towards retrying, never towards dropping.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._failures: dict[tuple[str, int, int], int] = {}

    def failed(self, record: ConsumerRecord[Any, Any]) -> bool:
        """Record a failure; True when the message has used all its attempts."""
        key = (record.topic, record.partition, record.offset)
        self._failures[key] = self._failures.get(key, 0) + 1
        return self._failures[key] >= self.limit

    def succeeded(self, record: ConsumerRecord[Any, Any]) -> None:
        self._failures.pop((record.topic, record.partition, record.offset), None)


def underlying_producer(broker: KafkaBroker) -> AIOKafkaProducer:
    """The aiokafka producer inside a connected FastStream broker.

    FastStream has no public handle for transactions, so the routing service
    reaches its producer here, in one place, to begin and commit them. Checked by
    the integration tests whenever FastStream is upgraded.
    """
    return broker.config.producer._producer.producer
