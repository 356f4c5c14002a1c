"""Session fixtures: the real Kafka broker and Mongo server, and a namespace per test run.

Infrastructure comes, in this order, from KAFKA_BOOTSTRAP_SERVERS and MONGODB_URL;
from testcontainers when a Docker engine answers; from local processes on
loopback provisioned by deploy/ (Apache Kafka in KRaft mode, mongo-java-server).
When none can be had the tests fail: they never skip.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

import pytest

from frontdoor_deploy.infrastructure import (
    Infrastructure,
    bring_up,
    docker_answers,
    forget_namespace,
    local_kafka,
    local_mongo,
)
from frontdoor_shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and os.environ.get("MONGODB_URL"):
        yield bring_up()
    elif docker_answers():
        yield from _containers()
    else:
        already = {"kafka": local_kafka().is_running(), "mongodb": local_mongo().is_running()}
        yield bring_up(use_docker=False)
        # leave running what was running before the tests; stop what they started
        for name, process in (("kafka", local_kafka()), ("mongodb", local_mongo())):
            if not already[name]:
                process.stop()


def _containers() -> Iterator[Infrastructure]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.mongodb import MongoDbContainer

    with KafkaContainer("apache/kafka:4.4.0").with_kraft() as kafka, MongoDbContainer("mongo:8.0") as mongo:
        yield Infrastructure(
            kafka.get_bootstrap_server(), mongo.get_connection_url(), "testcontainers", "testcontainers"
        )


@dataclass(frozen=True)
class Namespace:
    """Topic prefix, database and group names of one test run, so runs never meet."""

    run_id: str
    infra: Infrastructure

    @property
    def topic_prefix(self) -> str:
        return f"t{self.run_id}."

    @property
    def database(self) -> str:
        return f"frontdoor_t{self.run_id}"

    def env(self, **extra: str) -> dict[str, str]:
        """Settings for a service under test, as environment variables."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.infra.kafka_bootstrap_servers,
            "MONGODB_URL": self.infra.mongodb_url,
            "MONGODB_DATABASE": self.database,
            "TOPIC_PREFIX": self.topic_prefix,
            "CUSTOMER_REF_KEY": "test-key-not-a-secret-0123456789",
            "LOG_LEVEL": "INFO",
            "SMTP_PORT": str(free_port()),
            **extra,
        }

    def settings(self, settings_class: type[S], **overrides: object) -> S:
        """A service's settings in this namespace, built directly rather than from os.environ."""
        fields = {
            name.lower(): value for name, value in self.env().items() if name.lower() in settings_class.model_fields
        }
        return settings_class(**(fields | overrides))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def namespace(infrastructure: Infrastructure) -> Iterator[Namespace]:
    """A fresh namespace per test: its own topics, consumer groups and database, deleted afterwards."""
    space = Namespace(uuid.uuid4().hex[:10], infrastructure)
    yield space
    asyncio.run(
        forget_namespace(
            infrastructure.kafka_bootstrap_servers,
            infrastructure.mongodb_url,
            space.topic_prefix,
            [space.database, f"{space.database}_rebuilt"],
        )
    )
