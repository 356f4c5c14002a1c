"""Finding Kafka and MongoDB: the environment's, then docker compose's, then local processes.

`frontdoor up` and the test fixtures use the same order:
1. whatever KAFKA_BOOTSTRAP_SERVERS and MONGODB_URL point at;
2. docker compose, when a Docker engine answers;
3. Apache Kafka (KRaft) and the mongo-java-server stand-in as processes on loopback,
   provisioned from the pinned files under deploy/.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .kafka_local import LocalKafka
from .mongo_local import LocalMongo

REPO = Path(__file__).resolve().parents[2]
HOME = Path(os.environ.get("FRONTDOOR_HOME", REPO / ".frontdoor"))


@dataclass(frozen=True)
class Infrastructure:
    kafka_bootstrap_servers: str
    mongodb_url: str
    kafka_source: str
    mongodb_source: str

    def describe(self) -> str:
        return (
            f"Kafka at {self.kafka_bootstrap_servers} ({self.kafka_source}); "
            f"MongoDB at {self.mongodb_url} ({self.mongodb_source})"
        )


def docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _port(variable: str, default: int) -> int:
    value = os.environ.get(variable) or str(default)
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise RuntimeError(f"{variable} must be a port number from 1 to 65535, got {value!r}")
    return int(value)


def local_kafka() -> LocalKafka:
    """The local broker, as the FRONTDOOR_KAFKA_* variables set it; RuntimeError naming a bad one."""
    return LocalKafka(
        HOME,
        port=_port("FRONTDOOR_KAFKA_PORT", 9092),
        controller_port=_port("FRONTDOOR_KAFKA_CONTROLLER_PORT", 9093),
    )


def local_mongo() -> LocalMongo:
    """The local stand-in, as the FRONTDOOR_MONGO_* variables set it; RuntimeError naming a bad one."""
    try:
        heap = os.environ.get("FRONTDOOR_MONGO_HEAP") or "256m"
        return LocalMongo(HOME, port=_port("FRONTDOOR_MONGO_PORT", 27017), heap=heap)
    except ValueError as error:  # the heap: its message names FRONTDOOR_MONGO_HEAP
        raise RuntimeError(str(error)) from None


def bring_up(*, use_docker: bool = True) -> Infrastructure:
    """Make sure Kafka and MongoDB answer, starting what is missing; raises RuntimeError saying why not."""
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    mongo = os.environ.get("MONGODB_URL")
    if kafka and mongo:
        return Infrastructure(kafka, mongo, "from KAFKA_BOOTSTRAP_SERVERS", "from MONGODB_URL")
    if use_docker and docker_answers():
        services = [name for name, given in (("kafka", kafka), ("mongodb", mongo)) if not given]
        subprocess.run(
            ["docker", "compose", "-f", str(REPO / "docker-compose.yml"), "up", "-d", "--wait", *services],
            check=True,
        )
        return Infrastructure(
            kafka or "127.0.0.1:9092",
            mongo or "mongodb://127.0.0.1:27017",
            "from KAFKA_BOOTSTRAP_SERVERS" if kafka else "docker compose",
            "from MONGODB_URL" if mongo else "docker compose",
        )
    local_broker = local_kafka() if not kafka else None  # both read their settings before either starts
    stand_in = local_mongo() if not mongo else None
    with ThreadPoolExecutor(max_workers=2) as pool:
        kafka_started = pool.submit(local_broker.start) if local_broker else None
        mongo_started = pool.submit(stand_in.start) if stand_in else None
        kafka = kafka or kafka_started.result()
        mongo = mongo or mongo_started.result()
    return Infrastructure(
        kafka,
        mongo,
        "from KAFKA_BOOTSTRAP_SERVERS" if kafka_started is None else "local process, Apache Kafka in KRaft mode",
        "from MONGODB_URL" if mongo_started is None else "local process, mongo-java-server stand-in",
    )


def bring_down() -> list[str]:
    """Stop the local processes Frontdoor started (never anything else); returns what was stopped."""
    stopped = []
    for name, process in (("kafka", local_kafka()), ("mongodb", local_mongo())):
        was_running = process.is_running()
        process.stop()  # a no-op without our pidfile; stops a hung process of ours too
        if was_running:
            stopped.append(name)
    return stopped


async def forget_namespace(kafka: str, mongodb: str, topic_prefix: str, databases: list[str]) -> None:
    """Delete a test or benchmark run's topics and databases, so runs do not fill the disk.

    Best effort: what cannot be deleted now is left for the next run's clean-up, and never fails the run.
    """
    from aiokafka.admin import AIOKafkaAdminClient
    from pymongo import AsyncMongoClient
    from pymongo.errors import PyMongoError

    if topic_prefix:
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
        try:
            await admin.start()
            names = [name for name in await admin.list_topics() if name.startswith(topic_prefix)]
            for start in range(0, len(names), 100):
                await admin.delete_topics(names[start : start + 100])
        except Exception:
            pass
        finally:
            await admin.close()
    client = AsyncMongoClient(mongodb, serverSelectionTimeoutMS=3000)
    try:
        for database in databases:
            with contextlib.suppress(PyMongoError):
                await client.drop_database(database)
    finally:
        await client.close()
