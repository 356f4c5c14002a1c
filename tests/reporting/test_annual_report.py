"""The seed-figure scenario: a stream built to match the committee reports, through Kafka into the
reporting projections, must produce an annual report that states exactly those figures."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from frontdoor_reporting.domain.report import CHANNEL_NAMES
from tests.reporting import seed_stream

pytestmark = [pytest.mark.timeout(600), pytest.mark.asyncio(loop_scope="session")]


async def test_the_annual_report_states_the_seed_reports_figures(reporting):
    report = (await reporting.client.get("/v1/reports/annual", params={"year": "2009/10"})).json()
    assert report["period"] == {"label": "2009/10", "from": "2009-04-01", "to": "2010-03-31", "kind": "council_year"}
    tables = {t["name"]: t for s in report["sections"] for t in s["tables"]}
    corporate_1 = next(
        row
        for row in tables["complaints_by_procedure_stage"]["rows"]
        if row["procedure"] == "Corporate" and row["stage"] == 1
    )
    assert (corporate_1["received"], corporate_1["previous"], corporate_1["earlier"]) == (1281, 1220, 1000)
    assert corporate_1["change_percent"] == 5.0 and corporate_1["previous_change_percent"] == 22.0
    waste = next(
        r for r in tables["complaints_by_department_month"]["rows"] if r["department"] == "Waste and Recycling"
    )
    assert waste["2010-01"] == seed_stream.REFUSE_JANUARY_2010 == 359
    assert waste["2009-12"] == seed_stream.REFUSE_DECEMBER_2009

    complaints = next(s for s in report["sections"] if s["key"] == "complaints")
    assert complaints["headlines"][0] == (
        "Corporate complaints received: 1,281, up 5% on 2008/09 (1,220), compared with a rise of 22% in 2008/09."
    )
    assert (
        "Waste and Recycling recorded 359 stage 1 complaints in January 2010, against a usual 20 a month."
        in (complaints["headlines"])
    )
    surges = [(r["measure"], r["department"], r["month"]) for r in tables["surges"]["rows"]]
    assert ("Stage 1 complaints", "Waste and Recycling", "January 2010") in surges
    assert ("Stage 1 complaints", "Waste and Recycling", "December 2009") in surges
    assert ("Contacts", "Waste and Recycling", "January 2010") in surges
    assert all(department == "Waste and Recycling" for _, department, _ in surges), surges


async def test_contacts_calls_and_casework_match_the_stream(reporting):
    stream = reporting.stream
    report = (await reporting.client.get("/v1/reports/annual", params={"year": "2009/10"})).json()
    tables = {t["name"]: t for s in report["sections"] for t in s["tables"]}
    expected = stream.contacts_by_channel(date(2009, 4, 1), date(2010, 3, 31))
    previous = stream.contacts_by_channel(date(2008, 4, 1), date(2009, 3, 31))
    by_channel = {row["channel"]: row for row in tables["contacts_by_channel"]["rows"]}
    assert by_channel["All channels"]["contacts"] == sum(expected.values())
    assert by_channel["Social media"]["contacts"] == expected["social_media"]
    assert by_channel["Social media"]["previous"] == previous["social_media"]
    assert sum(r["contacts"] for r in tables["library_contacts"]["rows"]) == expected["library"]
    assert sum(r["cases"] for r in tables["casework_by_ward"]["rows"]) == expected["councillor_casework"]
    assert {r["ward"] for r in tables["casework_by_ward"]["rows"]} == {"Armley", "Beeston"}

    calls = {row["measure"]: row["value"] for row in tables["call_centre_year"]["rows"]}
    # 1,200 calls a year; every tenth abandoned, and of the rest those numbered 5, 15, 25 ... not resolved; waits cycle over 3, 8, 12, 15, 18, 25, 40 and 90 seconds
    assert calls["Calls offered"] == 1200
    assert calls["Calls answered"] == 1080
    assert calls["Average handle time (s)"] == 300.0
    assert calls["Resolved at first contact (%)"] == pytest.approx(100 * 960 / 1080, abs=0.1)
    visits = sum(r["visits"] for r in tables["hub_visits"]["rows"])
    assert visits == 400
    assert sum(r["responses"] for r in tables["satisfaction_by_method"]["rows"]) == 300


async def test_a_range_that_starts_mid_month_counts_only_its_own_days(reporting):
    stream = reporting.stream
    params = {"from": "2010-01-15", "to": "2010-02-14"}
    report = (await reporting.client.get("/v1/reports/annual", params=params)).json()
    assert report["previous"]["from"] == "2009-12-15" and report["previous"]["to"] == "2010-01-14"
    tables = {t["name"]: t for s in report["sections"] for t in s["tables"]}
    everything = next(r for r in tables["contacts_by_channel"]["rows"] if r["channel"] == "All channels")
    now = stream.contacts_by_channel(date(2010, 1, 15), date(2010, 2, 14))
    before = stream.contacts_by_channel(date(2009, 12, 15), date(2010, 1, 14))
    assert (everything["contacts"], everything["previous"]) == (sum(now.values()), sum(before.values()))
    by_repeat = [r for r in tables["first_contact_resolution"]["rows"] if "no repeat contact" in r["channel"]]
    expected = stream.no_repeat_within(7, date(2010, 1, 15), date(2010, 2, 14))
    assert sum(r["of"] for r in by_repeat) == sum(of for _, of in expected.values())
    assert sum(r["resolved"] for r in by_repeat) == sum(resolved for resolved, _ in expected.values())


async def test_first_contact_resolution_by_repeat_contact_matches_the_stream(reporting):
    report = (await reporting.client.get("/v1/reports/annual", params={"year": "2009/10"})).json()
    tables = {t["name"]: t for s in report["sections"] for t in s["tables"]}
    by_repeat = {
        row["channel"].removesuffix(" (no repeat contact within 7 days)"): (row["resolved"], row["of"])
        for row in tables["first_contact_resolution"]["rows"]
        if row["channel"].endswith("(no repeat contact within 7 days)")
    }
    expected = reporting.stream.no_repeat_within(7, date(2009, 4, 1), date(2010, 3, 31))
    assert by_repeat == {CHANNEL_NAMES[channel]: figures for channel, figures in expected.items()}
    resolved, of = map(sum, zip(*expected.values(), strict=True))
    assert of < sum(reporting.stream.contacts_by_channel(date(2009, 4, 1), date(2010, 3, 31)).values())
    assert 0 < resolved < of, "the stream has customers who came back within the week, and some who did not"
    first_contact = next(s for s in report["sections"] if s["key"] == "first_contact")
    assert (
        f"{round(100 * resolved / of, 1)}% of {of:,} contacts from known customers were not followed by another "
        "about the same service within 7 days." in first_contact["headlines"]
    )


async def test_every_table_exports_as_csv_and_bad_periods_are_refused(reporting):
    listing = (await reporting.client.get("/v1/reports/tables", params={"year": "2009/10"})).json()
    assert len(listing) >= 20
    for table in listing:
        answer = await reporting.client.get(f"/v1/reports/tables/{table['name']}.csv", params={"year": "2009/10"})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(answer.text)))
        as_json = (await reporting.client.get(f"/v1/reports/tables/{table['name']}", params={"year": "2009/10"})).json()
        assert rows[0] == [c["heading"] for c in as_json["columns"]]
        assert len(rows) == 1 + len(as_json["rows"])
    month = await reporting.client.get(
        "/v1/reports/tables/complaints_by_department_month", params={"from": "2010-01-01", "to": "2010-01-31"}
    )
    assert month.status_code == 200
    assert next(r for r in month.json()["rows"] if r["department"] == "Waste and Recycling")["2010-01"] == 359
    calendar = (await reporting.client.get("/v1/reports/annual", params={"year": "2010"})).json()
    assert calendar["period"]["kind"] == "calendar_year" and calendar["previous"]["label"] == "2009"
    for params, says in (
        ({"year": "2009/11"}, "the second year must follow the first"),
        ({"year": "last year"}, "expected a council year such as 2009/10"),
        ({"from": "2010-02-01", "to": "2010-01-01"}, "starts (2010-02-01) after it ends"),
        ({}, "give a year"),
    ):
        answer = await reporting.client.get("/v1/reports/annual", params=params)
        assert answer.status_code == 422 and says in answer.json()["detail"], (params, answer.text)
    assert (await reporting.client.get("/v1/reports/tables/nothing.csv", params={"year": "2009/10"})).status_code == 404


async def test_the_html_report_says_the_figures_in_words(reporting):
    page = await reporting.client.get("/v1/reports/annual.html", params={"year": "2009/10"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Customer services annual report 2009/10" in html and "Seed City Council" in html
    assert "up 5% on 2008/09" in html and "a rise of 22% in 2008/09" in html
    assert "359 stage 1 complaints in January 2010" in html
    assert "<svg" in html and "<script" not in html and "http" not in html.split("</style>")[0]
