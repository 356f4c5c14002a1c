"""`frontdoor ingest` against the intake service running as a process."""

from __future__ import annotations

import csv

import pytest

from frontdoor_deploy.cli import main
from frontdoor_deploy.services import ServiceProcess
from tests.conftest import free_port

pytestmark = pytest.mark.e2e


def test_ingest_imports_a_csv_of_letters_with_a_summary(namespace, tmp_path, monkeypatch, capsys):
    key = "scanning-bureau-key-0123456789"
    intake = ServiceProcess(
        "intake", free_port(), tmp_path / "run", namespace.env(INTEGRATION_API_KEYS=f'{{"scanning": "{key}"}}')
    )
    path = tmp_path / "post-2010-01-06.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["letter_id", "received_on", "subject", "text", "postcode"])
        for n in range(1, 1201):
            writer.writerow(
                [f"L-{n}", "2010-01-06", "Bins", f"Bins not collected since Christmas,\nletter {n}", "LS6 2AB"]
            )
        writer.writerow(["L-bad", "6th January", "Bins", "undated", ""])
    monkeypatch.setenv("INTAKE_API_KEY", key)
    intake.start()
    try:
        assert main(["ingest", str(path), "--url", intake.url, "--chunk", "500"]) == 0
        first = capsys.readouterr()
        assert main(["ingest", str(path), "--url", intake.url, "--chunk", "500"]) == 0
        second = capsys.readouterr()
    finally:
        intake.stop()
    assert "1200 accepted, 1 invalid" in first.out and "row 1201: invalid" in first.out
    assert "[########################################] 1201/1201" in first.err
    assert "1200 duplicate, 1 invalid" in second.out, "a second import of the same file publishes nothing new"
