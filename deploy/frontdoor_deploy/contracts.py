"""The published contracts: a JSON Schema per event and one AsyncAPI document for every topic.

Both are generated from the code and committed under docs/contracts/, so channel
integrations and departmental teams build against files that cannot drift: the
test suite regenerates them and fails on any difference.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from faststream.specification import AsyncAPI

from frontdoor_shared.contracts import EVENTS

REPO = Path(__file__).resolve().parents[2]
CONTRACTS_DIR = REPO / "docs" / "contracts"
_DOCS_ONLY_KEY = "documentation-only-not-a-secret"


def event_schemas() -> dict[str, str]:
    """File name -> JSON Schema text, for every event Frontdoor publishes."""
    files = {}
    for event in EVENTS:
        fields = event.model_fields
        name = f"{fields['event_type'].default}.v{fields['schema_version'].default}.schema.json"
        schema = event.model_json_schema(mode="serialization")
        files[name] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return files


def asyncapi_document() -> str:
    """AsyncAPI 3 for every topic the four services publish or consume, from their own brokers."""
    from frontdoor_complaints.app import create_app as complaints
    from frontdoor_complaints.settings import ComplaintsSettings
    from frontdoor_intake.app import create_app as intake
    from frontdoor_intake.settings import IntakeSettings
    from frontdoor_reporting.app import create_app as reporting
    from frontdoor_reporting.settings import ReportingSettings
    from frontdoor_routing.app import create_app as routing
    from frontdoor_routing.settings import RoutingSettings

    # Fixed settings, not the environment's: the document describes the contract, not one deployment.
    common = {"topic_prefix": "", "kafka_bootstrap_servers": "kafka:9092", "routing_instance": "docs"}
    apps = [
        intake(IntakeSettings(customer_ref_key=_DOCS_ONLY_KEY, **common)),
        routing(RoutingSettings(**common)),
        complaints(ComplaintsSettings(**common)),
        reporting(ReportingSettings(**common)),
    ]
    spec = AsyncAPI(
        *(app.state.broker for app in apps),
        apps[1].state.offers_broker,
        title="Frontdoor topics",
        version="1",
        description="The topics Frontdoor's services meet on. Every message is a JSON event in the Frontdoor "
        "envelope (event_id, event_type, schema_version, occurred_at, producer, correlation_id, causation_id, "
        "payload). Dead-letter topics carry the original bytes and headers plus x-dead-letter-* headers.",
    )
    # FastStream lists publishers in no fixed order; sorted keys make the file stable.
    return yaml.safe_dump(spec.to_specification().to_jsonable(), sort_keys=True, allow_unicode=True, width=100)


def expected_files() -> dict[Path, str]:
    files = {CONTRACTS_DIR / "events" / name: text for name, text in event_schemas().items()}
    files[CONTRACTS_DIR / "asyncapi.yaml"] = asyncapi_document()
    return files


def write_contracts() -> list[Path]:
    written = []
    for path, text in expected_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written


def drifted_contracts() -> list[Path]:
    """Committed contract files that differ from what the code generates (or are missing)."""
    drifted = [path for path, text in expected_files().items() if not path.exists() or path.read_text() != text]
    known = set(expected_files())
    drifted += [path for path in (CONTRACTS_DIR / "events").glob("*.json") if path not in known]
    return drifted
