from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from frontdoor_routing.config import ConfigError, load_directory, load_rules
from frontdoor_routing.domain.text import contains_phrase, words_of
from frontdoor_routing.settings import RoutingSettings
from frontdoor_shared.contracts import Channel, ContactKind, ContactReceived

DEFAULTS = RoutingSettings()
RECEIVED = datetime(2010, 1, 5, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def rules():
    return load_rules(DEFAULTS.routing_rules_path, load_directory(DEFAULTS.routing_directory_path))


def contact(text: str, kind: ContactKind = ContactKind.UNCLASSIFIED, **extra) -> ContactReceived:
    return ContactReceived(
        contact_id=uuid4(),
        channel=Channel.WEB,
        channel_reference="t",
        kind=kind,
        text=text,
        received_at=RECEIVED,
        **extra,
    )


def test_words_ignore_case_punctuation_and_accents():
    assert words_of("Bin's NOT collected!! Café") == ("bin", "s", "not", "collected", "cafe")
    assert contains_phrase(words_of("the missed-collection again"), ("missed", "collection"))
    assert contains_phrase(words_of("refuse collections"), ("collect*",))
    assert not contains_phrase(words_of("collection missed"), ("missed", "collection"))


def test_first_matching_rule_wins_and_the_reason_says_why(rules):
    decision = rules.decide(contact("My BIN wasn't emptied on Tuesday"))
    assert decision.destination.code == "waste_recycling"
    assert decision.rule_id == "bins"
    assert "'bin*'" in decision.reason
    assert decision.rules_version == rules.version
    assert decision.due_by == RECEIVED + timedelta(hours=48)


def test_safeguarding_comes_before_everything_else(rules):
    decision = rules.decide(
        contact("Rubbish everywhere and the child next door is being neglected", ContactKind.COMPLAINT)
    )
    assert decision.destination.code == "safeguarding"
    assert decision.priority == 100


def test_complaints_go_to_their_team_statutory_ones_apart(rules):
    assert (
        rules.decide(contact("Nobody emptied my bin again", ContactKind.COMPLAINT)).destination.code
        == "complaints_team"
    )
    assert rules.decide(contact("The carers from home care were rude", ContactKind.COMPLAINT)).destination.code == (
        "adult_social_care_complaints"
    )


def test_nothing_matching_goes_to_triage(rules):
    decision = rules.decide(contact("What time does the One Stop Shop open?"))
    assert decision.destination.code == "customer_services"
    assert decision.rule_id == "default"


def test_location_and_channel_conditions(tmp_path: Path):
    directory = load_directory(DEFAULTS.routing_directory_path)
    path = tmp_path / "rules.yaml"
    path.write_text(
        "version: t1\ndefault: {destination: customer_services, priority: 1, due_within_hours: 1}\n"
        "rules:\n"
        "  - id: ls6_letters\n    description: letters from LS6\n"
        "    when: {channels: [letter], postcode_districts: [ls6]}\n"
        "    target: {destination: housing, priority: 5, due_within_hours: 2}\n"
    )
    ruleset = load_rules(path, directory)
    letter = ContactReceived(
        contact_id=uuid4(),
        channel=Channel.LETTER,
        channel_reference="l",
        kind=ContactKind.ENQUIRY,
        text="anything",
        received_at=RECEIVED,
        location={"postcode": "LS6 2AB"},
    )
    decision = ruleset.decide(letter)
    assert decision.destination.code == "housing"
    assert "postcode district is LS6" in decision.reason
    web = letter.model_copy(update={"channel": Channel.WEB})
    assert ruleset.decide(web).rule_id == "default"


@pytest.mark.parametrize(
    ("rules_yaml", "message"),
    [
        (
            "version: v\ndefault: {destination: customer_services, priority: 1, due_within_hours: 1}\nrules:\n"
            "  - {id: r1, description: d, when: {}, target: {destination: nowhere, priority: 1, due_within_hours: 1}}\n",
            "rule 'r1', field target.destination: unknown department or agency 'nowhere'",
        ),
        (
            "version: v\ndefault: {destination: customer_services, priority: 1, due_within_hours: 1}\nrules:\n"
            "  - {id: r2, description: d, when: {kinds: [moan]}, target: {destination: housing, priority: 1, due_within_hours: 1}}\n",
            "rule 'r2', field when.kinds.0",
        ),
        (
            "version: v\nrules: []\n",
            "default: Field required",
        ),
        (
            "version: v\ndefault: {destination: customer_services, priority: 1, due_within_hours: 1}\nrules:\n"
            "  - {id: r3, description: d, when: {words: ['!!']}, target: {destination: housing, priority: 1, due_within_hours: 1}}\n",
            "rule 'r3', field when.words: a phrase has no letters or digits",
        ),
        ("version: [unclosed\n", "is not valid YAML"),
    ],
)
def test_bad_rules_are_refused_naming_the_rule_and_field(tmp_path: Path, rules_yaml: str, message: str):
    path = tmp_path / "rules.yaml"
    path.write_text(rules_yaml)
    with pytest.raises(ConfigError) as caught:
        load_rules(path, load_directory(DEFAULTS.routing_directory_path))
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
