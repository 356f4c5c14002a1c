import json

from frontdoor_deploy.cli import main


def test_explain_prints_the_whole_decision_as_json(capsys):
    code = main(
        [
            "routing",
            "explain",
            "--json",
            "--channel",
            "phone",
            "--at",
            "2010-01-05T10:00:00+00:00",
            "Caller says the bins on Hawthorn Rise have been missed for the third time since the snow",
        ]
    )
    assert code == 0
    decision = json.loads(capsys.readouterr().out)
    assert decision["destination"] == "complaints_team"
    assert decision["kind"] == "complaint"
    assert decision["rule"] == "corporate_complaint"
    assert decision["runner_up"] == {"rule": "bins", "destination": "waste_recycling"}
    assert decision["statutory"] is None and decision["safeguarding"] is False
    assert any("third time" in fact for fact in decision["matched_facts"])
    assert set(decision) >= {"priority", "rules_version", "reason", "due_by", "escalation"}


def test_explain_for_a_person_names_the_destination_and_why(capsys):
    assert (
        main(["routing", "explain", "--at", "2010-01-05T10:00:00+00:00", "There is a pot hole outside number 4"]) == 0
    )
    out = capsys.readouterr().out
    assert "Destination: Highways and Streets (highways, department)" in out
    assert "Why:" in out and "pothole" in out


def test_explain_refuses_a_bad_channel_clearly(capsys):
    assert main(["routing", "explain", "--channel", "pigeon", "hello"]) == 1
    assert "channel" in capsys.readouterr().err
