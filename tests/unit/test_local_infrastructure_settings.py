"""A bad FRONTDOOR_* variable for the local broker or stand-in is refused by name, before anything starts."""

from __future__ import annotations

import pytest

from frontdoor_deploy.infrastructure import local_kafka, local_mongo


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("FRONTDOOR_MONGO_HEAP", "lots", "FRONTDOOR_MONGO_HEAP"),
        ("FRONTDOOR_MONGO_HEAP", "256", "must look like '256m' or '4g'"),
        ("FRONTDOOR_MONGO_PORT", "x", "FRONTDOOR_MONGO_PORT must be a port number"),
        ("FRONTDOOR_MONGO_PORT", "70000", "FRONTDOOR_MONGO_PORT must be a port number"),
    ],
)
def test_a_bad_stand_in_setting_is_named(monkeypatch, variable, value, says):
    monkeypatch.setenv(variable, value)
    with pytest.raises(RuntimeError, match=says):
        local_mongo()


def test_a_bad_broker_port_is_named_and_good_settings_are_taken(monkeypatch):
    monkeypatch.setenv("FRONTDOOR_KAFKA_CONTROLLER_PORT", "-1")
    with pytest.raises(RuntimeError, match="FRONTDOOR_KAFKA_CONTROLLER_PORT must be a port number"):
        local_kafka()
    monkeypatch.setenv("FRONTDOOR_MONGO_HEAP", "")
    monkeypatch.setenv("FRONTDOOR_MONGO_PORT", "27999")
    stand_in = local_mongo()
    assert (stand_in.heap, stand_in.port) == ("256m", 27999), "an empty heap means the default"
    monkeypatch.setenv("FRONTDOOR_MONGO_HEAP", "4g")
    assert local_mongo().heap == "4g"
