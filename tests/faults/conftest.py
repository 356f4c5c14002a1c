"""The fault suite's own Kafka broker and Mongo stand-in, which it may stop and restart at will.

The suite never touches the shared developer infrastructure (the broker on 9092 and the Mongo
server on 27017 that other runs use): it starts a second broker and stand-in on free ports, in a
temporary home that borrows the jars already built for the shared one, and removes them afterwards.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from frontdoor_deploy.infrastructure import HOME, local_kafka, local_mongo
from frontdoor_deploy.kafka_local import LocalKafka
from frontdoor_deploy.mongo_local import LocalMongo
from tests.conftest import free_port


@dataclass
class OwnInfrastructure:
    """A broker and a stand-in that belong to this suite alone."""

    kafka: LocalKafka
    mongo: LocalMongo

    @property
    def bootstrap(self) -> str:
        return self.kafka.bootstrap_servers

    @property
    def mongodb_url(self) -> str:
        return self.mongo.url


@pytest.fixture(scope="session")
def own_infrastructure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnInfrastructure]:
    # Resolve or build the jars in the usual home if they are missing; this starts nothing.
    local_kafka().ensure_jars()
    local_mongo().ensure_jars()
    home = tmp_path_factory.mktemp("faults-home")
    (home / "jars").symlink_to(HOME.resolve() / "jars", target_is_directory=True)
    controller = free_port()
    kafka = LocalKafka(home, port=free_port(), controller_port=controller)
    mongo = LocalMongo(home, port=free_port())
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            started = [pool.submit(kafka.start), pool.submit(mongo.start)]
            for future in started:
                future.result()
        yield OwnInfrastructure(kafka, mongo)
    finally:
        kafka.stop()
        mongo.stop()
        shutil.rmtree(home, ignore_errors=True)
