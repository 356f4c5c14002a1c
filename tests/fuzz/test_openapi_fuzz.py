"""schemathesis against the OpenAPI of the intake, complaints, routing and reporting HTTP apps.

Each app runs in-process (ASGI) against the real broker and Mongo server, in this test's namespace, with
valid integration keys configured and sent, so generated requests reach the code behind authentication.
Every operation gets requests that fit its schema and requests that do not; none may be answered with a
5xx (503 excepted: the documented answer when a dependency is out of reach), and the app must keep
answering. OPENAPI_FUZZ_EXAMPLES sets the examples per operation and mode (CI runs the default).
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.python import asgi

from frontdoor_complaints.app import create_app as complaints_app
from frontdoor_complaints.settings import ComplaintsSettings
from frontdoor_intake.app import create_app as intake_app
from frontdoor_intake.settings import IntakeSettings
from frontdoor_reporting.app import create_app as reporting_app
from frontdoor_reporting.settings import ReportingSettings
from frontdoor_routing.app import create_app as routing_app
from frontdoor_routing.settings import RoutingSettings

EXAMPLES = int(os.environ.get("OPENAPI_FUZZ_EXAMPLES", "15"))
INTEGRATION_KEY = "fuzz-integration-key-0123456789"
OPEN311_KEY = "fuzz-open311-key-0123456789"


def service_app(service: str, namespace: Any, tmp_path: Any) -> Any:
    if service == "intake":
        return intake_app(
            namespace.settings(
                IntakeSettings,
                integration_api_keys={"fuzz": INTEGRATION_KEY},
                open311_api_keys={"fuzz": OPEN311_KEY},
                attachment_dir=tmp_path / "attachments",
                intake_rate_limit_per_minute=1_000_000,
                facebook_app_secret="fuzz-facebook-secret",
                facebook_verify_token="fuzz-verify-token",
                x_consumer_secret="fuzz-x-secret",
            )
        )
    if service == "complaints":
        return complaints_app(namespace.settings(ComplaintsSettings, deadline_check_seconds=3600))
    if service == "reporting":
        return reporting_app(namespace.settings(ReportingSettings))
    return routing_app(namespace.settings(RoutingSettings, routing_instance="fuzz"))


def fuzz_operations(schema: Any, examples: int) -> tuple[Counter[str], list[str]]:
    """Call every operation with generated requests; returns the requests sent per operation, and failures."""
    sent: Counter[str] = Counter()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case: Any) -> None:
                label = f"{case.operation.method.upper()} {case.operation.path}"
                sent[label] += 1
                try:
                    response = case.call(headers={"X-Api-Key": INTEGRATION_KEY})
                except Exception as error:  # raised out of the app: a server error
                    raise AssertionError(f"{label} raised {error!r}\n{case.as_curl_command()}") from None
                if response.status_code >= 500 and response.status_code != 503:
                    raise AssertionError(
                        f"{label} answered {response.status_code}: {response.text[:300]}\n{case.as_curl_command()}"
                    )

            try:
                call()
            except AssertionError as failure:
                failures.append(str(failure))
            except Unsatisfiable:  # nothing to get wrong: no parameters and no body
                assert mode is GenerationMode.NEGATIVE, f"{label}: no request fits its schema"
    return sent, failures


UNENDING = {"reporting": "/v1/reports/live"}
"""Server-sent event streams, which answer for as long as the client listens: not fuzzed."""


@pytest.mark.parametrize("service", ["intake", "complaints", "routing", "reporting"])
def test_no_generated_request_gets_a_server_error(namespace, tmp_path, service):
    app = service_app(service, namespace, tmp_path)
    try:
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        if service in UNENDING:
            schema = schema.exclude(path=UNENDING[service])
        sent, failures = fuzz_operations(schema, EXAMPLES)
        with asgi.get_client(app) as client:
            assert client.get("/healthz").status_code == 200, "the app still answers after the fuzzing"
    finally:
        asgi.shutdown_lifespans()  # stop the app before its namespace is deleted
    print(f"\n{service}: {sum(sent.values())} requests over {len(sent)} operations")
    for label, count in sorted(sent.items()):
        print(f"  {count:5d}  {label}")
    assert len(sent) == len(list(schema.get_all_operations())), "every operation was called"
    assert not failures, "\n\n".join(failures)
