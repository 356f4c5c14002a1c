"""The routing decision: pure, deterministic, no Kafka."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
import yaml

from frontdoor_routing.config import ConfigError, load_directory, load_rules
from frontdoor_routing.domain.text import PhraseMatcher, phrase_of, words_of
from frontdoor_routing.rulebook import RuleBook
from frontdoor_routing.settings import RoutingSettings
from frontdoor_shared.contracts import Channel, ContactKind, ContactReceived

DEFAULTS = RoutingSettings()
TUESDAY_MORNING = datetime(2010, 1, 5, 9, 30, tzinfo=UTC)
SATURDAY_NIGHT = datetime(2010, 1, 9, 23, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def directory():
    return load_directory(DEFAULTS.routing_directory_path)


@pytest.fixture(scope="module")
def rules(directory):
    return load_rules(DEFAULTS.routing_rules_path, directory)


def contact(text: str, kind: ContactKind = ContactKind.UNCLASSIFIED, at: datetime = TUESDAY_MORNING, **extra):
    fields = {"channel": Channel.WEB, "channel_reference": "t"} | extra
    return ContactReceived(contact_id=uuid4(), kind=kind, text=text, received_at=at, **fields)


def rules_file(tmp_path: Path, rules: list[dict], **top) -> Path:
    """The default file's safeguarding and classification with these rules."""
    data = yaml.safe_load(DEFAULTS.routing_rules_path.read_text())
    data["rules"] = rules
    data.update(top)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_words_ignore_case_punctuation_and_accents():
    assert words_of("Bin's NOT collected!! Café") == ("bins", "not", "collected", "cafe")


@pytest.mark.parametrize(
    ("written", "phrase"),
    [
        ("There is a pot hole outside", "pothole"),
        ("flytipping behind the shops", "fly tipping"),
        ("Missed colection AGAIN", "missed collection"),
        ("rubish everywhere", "rubbish"),
        ("my nieghbours", "neighbours"),
        ("the recyling box", "recycling"),
        ("refuse collections", "collect*"),
    ],
)
def test_phrases_survive_misspelling_spacing_and_endings(written, phrase):
    matcher = PhraseMatcher([phrase_of(phrase), phrase_of("bins")])
    assert phrase_of(phrase) in matcher.find(words_of(written))


def test_short_words_must_be_spelt_right():
    matcher = PhraseMatcher([phrase_of("rats")])
    assert not matcher.find(words_of("council tax rates"))


def test_first_matching_rule_wins_with_facts_and_runner_up(rules):
    decision = rules.decide(contact("Our bin wasn't emptied and the street light is out"))
    assert decision.destination.code == "waste_recycling"
    assert decision.rule_id == "bins"
    assert decision.kind is ContactKind.SERVICE_REQUEST
    assert any("text mentions" in fact and "'bin'" in fact for fact in decision.facts)
    assert decision.runner_up is not None and decision.runner_up.rule_id == "highways"
    assert decision.runner_up.destination == "highways"
    assert decision.rules_version == rules.version
    assert decision.due_by == TUESDAY_MORNING + timedelta(hours=24)


def test_a_first_report_is_a_service_request_even_when_it_says_complain(rules):
    decision = rules.decide(
        contact("I want to complain about a huge pothole on Otley Road, please fix it", ContactKind.COMPLAINT)
    )
    assert decision.kind is ContactKind.SERVICE_REQUEST
    assert decision.destination.code == "highways"


def test_dissatisfaction_is_a_complaint_without_the_word(rules):
    decision = rules.decide(contact("Third time I've reported our missed bin and still nothing has been done"))
    assert decision.kind is ContactKind.COMPLAINT
    assert decision.destination.code == "complaints_team"
    assert decision.statutory is None


def test_statutory_complaints_go_to_their_own_teams(rules):
    adult = rules.decide(contact("The carers from the care agency keep turning up late and were rude to my dad"))
    children = rules.decide(contact("Our foster carer has been let down again, nobody has replied for weeks"))
    assert (adult.destination.code, adult.statutory) == ("adult_social_care_complaints", "adult_social_care")
    assert (children.destination.code, children.statutory) == (
        "childrens_social_care_complaints",
        "childrens_social_care",
    )


def test_safeguarding_wins_whatever_else_matches(rules):
    decision = rules.decide(
        contact(
            "Bins not collected for the third time and the kids next door are left alone all night with no food in the house"
        )
    )
    assert decision.destination.code == "safeguarding"
    assert decision.safeguarding and decision.priority == 100
    assert decision.runner_up is not None and decision.runner_up.rule_id == "corporate_complaint"
    assert decision.escalation[0].destination == "emergency_duty_team"


def test_out_of_hours_goes_where_the_directory_says(rules):
    decision = rules.decide(contact("I am worried my neighbour's child is being neglected", at=SATURDAY_NIGHT))
    assert decision.destination.code == "emergency_duty_team"
    assert "is closed" in decision.reason


def test_nothing_matching_goes_to_triage(rules):
    decision = rules.decide(contact("Hello, I have a question for the council."))
    assert decision.destination.code == "customer_services"
    assert decision.rule_id == "default"


def test_the_same_contact_always_gets_the_same_decision(rules):
    same = contact("Loud music from the flat above every night")
    assert rules.decide(same) == rules.decide(same)


def test_location_channel_time_and_councillor_conditions(tmp_path, directory):
    path = rules_file(
        tmp_path,
        [
            {
                "id": "ls6_letters",
                "description": "letters from LS6",
                "when": {"channels": ["letter"], "postcode_districts": ["ls6"]},
                "targets": [{"destination": "housing", "priority": 5, "timeout_hours": 2}],
            },
            {
                "id": "members_weekend",
                "description": "councillors at weekends",
                "when": {"on_behalf_of": True, "time": {"days": ["sat", "sun"], "starts": "00:00", "ends": "00:00"}},
                "targets": [
                    {"destination": "customer_services", "priority": 70, "timeout_hours": 2},
                    {"destination": "complaints_team", "priority": 70, "timeout_hours": 4},
                ],
            },
        ],
    )
    ruleset = load_rules(path, directory)
    letter = contact("anything", channel=Channel.LETTER, location={"postcode": "LS6 2AB"})
    decision = ruleset.decide(letter)
    assert decision.destination.code == "housing" and "postcode district is LS6" in decision.facts
    assert ruleset.decide(letter.model_copy(update={"channel": Channel.WEB})).rule_id == "default"
    member = {"member_id": "c1", "member_name": "Cllr A. Member", "ward": "Headingley"}
    weekend = ruleset.decide(contact("chasing", at=datetime(2010, 1, 9, 12, tzinfo=UTC), on_behalf_of=member))
    weekday = ruleset.decide(contact("chasing", on_behalf_of=member))
    assert weekend.rule_id == "members_weekend" and weekday.rule_id == "default"
    assert [t.destination for t in weekend.escalation] == ["complaints_team"]


def bad(rule: dict) -> dict:
    return {
        "id": "r1",
        "description": "d",
        "when": {},
        "targets": [{"destination": "housing", "priority": 1, "timeout_hours": 1}],
    } | rule


@pytest.mark.parametrize(
    ("rules_list", "top", "message"),
    [
        (
            [bad({"targets": [{"destination": "nowhere", "priority": 1, "timeout_hours": 1}]})],
            {},
            "rule 'r1', field targets.0.destination: unknown department or agency 'nowhere'",
        ),
        ([bad({"when": {"kinds": ["moan"]}})], {}, "rule 'r1', field when.kinds.0"),
        ([bad({"when": {"words": ["!!"]}})], {}, "rule 'r1', field when.words: '!!' has no letters or digits"),
        ([bad({"when": {"words": ["b*"]}})], {}, "a prefix needs at least 3 letters"),
        ([bad({"when": {"time": {"starts": "25:00"}}})], {}, "rule 'r1', field when.time.starts"),
        (
            [bad({}), bad({"id": "r2", "when": {"words": ["bins"]}})],
            {},
            "rule 'r2' can never match: the earlier rule 'r1' matches every contact it would",
        ),
        (
            [
                bad({"when": {"words": ["bins", "refuse"]}}),
                bad({"id": "r2", "when": {"words": ["bins"], "channels": ["web"]}}),
            ],
            {},
            "rule 'r2' can never match",
        ),
        (
            [
                bad(
                    {
                        "when": {"kinds": ["complaint"]},
                        "targets": [{"destination": "parking", "priority": 1, "timeout_hours": 1}],
                    }
                )
            ],
            {},
            "'parking' does not accept complaint",
        ),
        ([], {"default": []}, "default: List should have at least 1 item"),
        ([], {"timezone": "Mars/Olympus"}, "unknown time zone"),
    ],
)
def test_bad_rules_are_refused_naming_the_rule_and_field(tmp_path, directory, rules_list, top, message):
    path = rules_file(tmp_path, rules_list, **top)
    with pytest.raises(ConfigError) as caught:
        load_rules(path, directory)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_missing_default_and_broken_yaml_are_named(tmp_path, directory):
    data = yaml.safe_load(DEFAULTS.routing_rules_path.read_text())
    del data["default"]
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="default: Field required"):
        load_rules(path, directory)
    path.write_text("version: [unclosed\n")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        load_rules(path, directory)


def test_a_narrower_rule_after_a_wider_one_on_other_conditions_is_reachable(tmp_path, directory):
    path = rules_file(
        tmp_path, [bad({"when": {"words": ["bins"]}}), bad({"id": "r2", "when": {"words": ["bins", "refuse"]}})]
    )
    assert [rule.id for rule in load_rules(path, directory).rules] == ["r1", "r2"]


def test_a_bad_reload_keeps_the_rules_in_force(tmp_path, directory):
    path = rules_file(tmp_path, [bad({"when": {"words": ["bins"]}})], version="v1")
    book = RuleBook(path, directory)
    rules_file(tmp_path, [bad({"when": {"words": ["bins"]}})], version="v2")
    assert book.reload_if_changed() and book.current.version == "v2"
    path.write_text("version: v3\nrules: [oops")
    assert not book.reload_if_changed()
    assert book.current.version == "v2"
    assert "is not valid YAML" in book.status()["last_reload_error"]
    assert not book.reload_if_changed(), "an unchanged bad file is not retried"
