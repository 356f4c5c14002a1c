"""Every channel's documented example, sent as its own system would, to the intake service running as a process."""

from __future__ import annotations

import json

import pytest

from frontdoor_deploy.cli import main
from frontdoor_deploy.services import ServiceProcess
from frontdoor_shared.contracts import ContactReceivedEvent, SurveyResponseEvent
from frontdoor_shared.topics import Topics
from tests.conftest import free_port
from tests.kafka_tools import read_topics

pytestmark = pytest.mark.e2e


async def test_every_documented_channel_example_is_accepted(namespace, tmp_path, monkeypatch, capsys):
    secrets = {
        "INTEGRATION_KEY": "integration-key-0123456789",
        "FACEBOOK_APP_SECRET": "fb-secret-0123456789",
        "X_CONSUMER_SECRET": "x-secret-0123456789",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    smtp_port = free_port()
    keys = json.dumps({"local": secrets["INTEGRATION_KEY"]})
    intake = ServiceProcess(
        "intake",
        free_port(),
        tmp_path / "run",
        namespace.env(
            SMTP_PORT=str(smtp_port),
            INTEGRATION_API_KEYS=keys,
            OPEN311_API_KEYS=keys,
            FACEBOOK_APP_SECRET=secrets["FACEBOOK_APP_SECRET"],
            FACEBOOK_VERIFY_TOKEN="verify-me",
            X_CONSUMER_SECRET=secrets["X_CONSUMER_SECRET"],
            ATTACHMENT_DIR=str(tmp_path / "attachments"),
        ),
    )
    intake.start()
    try:
        code = main(["samples", "--url", intake.url, "--smtp-port", str(smtp_port)])
    finally:
        intake.stop()
    out = capsys.readouterr().out
    assert code == 0, out
    assert "BAD" not in out
    records = await read_topics(
        namespace.infra.kafka_bootstrap_servers,
        [Topics(namespace.topic_prefix).contacts_received],
        expect=11,
        idle_seconds=1,
    )
    channels = {ContactReceivedEvent.model_validate_json(r.value).payload.channel.value for r in records}
    assert {
        "web",
        "phone",
        "face_to_face",
        "councillor_casework",
        "library",
        "letter",
        "social_media",
        "email",
    } <= channels
    surveys = await read_topics(
        namespace.infra.kafka_bootstrap_servers,
        [Topics(namespace.topic_prefix).survey_responses],
        expect=1,
        idle_seconds=1,
    )
    assert [SurveyResponseEvent.model_validate_json(r.value).payload.score for r in surveys] == [4]
