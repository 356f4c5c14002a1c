"""Intake benchmark: contacts per second from POST /v1/contacts/batch into Kafka, and the service's memory.

    python -m bench.intake            # 20,000 contacts in batches of 500, 3 repeats
    python -m bench.intake --short    # 2,000 contacts, 1 repeat

Every contact is answered only after Kafka acknowledged it, as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path

import httpx

from bench.common import free_port, median, peak_rss_mb, write_results
from frontdoor_deploy.infrastructure import bring_up, forget_namespace
from frontdoor_deploy.services import ServiceProcess


def form(run: str, number: int) -> dict:
    return {
        "submission_id": f"{run}-{number}",
        "kind": "service_request",
        "subject": "Bin not collected",
        "message": f"Our grey bin on Cardigan Road was not emptied this week ({number}).",
        "email": f"resident{number}@example.org",
        "postcode": "LS6 2AB",
    }


async def one_run(url: str, count: int, batch: int) -> float:
    run = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=url, timeout=300) as client:
        started = time.perf_counter()
        for start in range(0, count, batch):
            answers = (
                await client.post("/v1/contacts/batch", json=[form(run, n) for n in range(start, start + batch)])
            ).json()
            if any(a["status"] != "accepted" for a in answers):
                raise RuntimeError(f"not every contact was accepted: {answers[:3]}")
        return count / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--short", action="store_true")
    args = parser.parse_args()
    count, repeats, batch = (2_000, 1, 500) if args.short else (20_000, 3, 500)
    infra = bring_up(use_docker=False)
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    port = free_port()
    intake = ServiceProcess(
        "intake",
        port,
        Path("/tmp") / f"frontdoor-bench-{prefix}",
        {
            "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
            "MONGODB_URL": infra.mongodb_url,
            "MONGODB_DATABASE": f"bench_{prefix.rstrip('.')}",
            "TOPIC_PREFIX": prefix,
            "LOG_LEVEL": "WARNING",
            "CUSTOMER_REF_KEY": "benchmark-key-0123456789",
        },
    )
    intake.start()
    try:
        rates = [asyncio.run(one_run(intake.url, count, batch)) for _ in range(repeats)]
        rss = peak_rss_mb(intake.pid())
    finally:
        intake.stop()
        asyncio.run(
            forget_namespace(infra.kafka_bootstrap_servers, infra.mongodb_url, prefix, [f"bench_{prefix.rstrip('.')}"])
        )
    results = {
        "contacts": count,
        "batch": batch,
        "repeats": repeats,
        "contacts_per_second_median": round(median(rates)),
        "intake_peak_rss_mb": round(rss, 1),
    }
    path = write_results("intake", results)
    print(
        f"intake: {results['contacts_per_second_median']:,} contacts per second from POST /v1/contacts/batch "
        f"into Kafka (median of {repeats}, batches of {batch}); intake peak RSS {results['intake_peak_rss_mb']} MB"
    )
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
