"""The annual report and the live dashboard in a real browser: headless Chromium, with screenshots
taken and checked (drawn, not blank, bars and charts in the report's colours)."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import async_playwright

from frontdoor_deploy.cli import main as frontdoor
from frontdoor_shared.contracts import Channel
from tests.factories import a_routed_event
from tests.reporting.seed_stream import SeedStream

pytestmark = [pytest.mark.timeout(600), pytest.mark.asyncio(loop_scope="session")]

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".frontdoor" / "screenshots"
BLUE, ORANGE = (0x1D, 0x70, 0xB8), (0xF4, 0x77, 0x38)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    raise AssertionError("Chromium is needed for these tests: deploy/install-prerequisites.sh installs it")


def pixels_like(path: Path, colour: tuple[int, int, int], tolerance: int = 12) -> int:
    image = Image.open(path).convert("RGB")
    return sum(
        count
        for count, rgb in image.getcolors(maxcolors=1 << 24)
        if all(abs(a - b) <= tolerance for a, b in zip(rgb, colour, strict=True))
    )


def distinct_colours(path: Path) -> int:
    return len(Image.open(path).convert("RGB").getcolors(maxcolors=1 << 24))


@pytest.fixture
async def browser():
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium(), headless=True)
        yield launched
        await launched.close()


async def test_the_annual_report_renders_with_its_figures_and_charts(reporting, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    answer = await page.goto(f"{reporting.url}/v1/reports/annual.html?year=2009/10")
    assert answer.status == 200
    assert await page.title() == "Customer services annual report 2009/10"
    headline = page.get_by_text("Waste and Recycling recorded 359 stage 1 complaints in January 2010")
    assert await headline.is_visible()
    assert await page.get_by_text("up 5% on 2008/09 (1,220), compared with a rise of 22% in 2008/09").is_visible()
    cell = page.locator("#complaints_by_procedure_stage tbody tr").first
    assert (await cell.inner_text()).split("\t")[:3] == ["Corporate", "1", "1,281"]

    whole = SCREENSHOTS / "annual-report-2009-10.png"
    await page.screenshot(path=str(whole), full_page=True)
    width, height = Image.open(whole).size
    assert width == 1280 and height > 3000, "the whole report, not one screen of it"
    assert distinct_colours(whole) > 50

    chart = page.locator("#contact figure.chart").first
    await chart.scroll_into_view_if_needed()
    drawn = SCREENSHOTS / "annual-report-contacts-by-month.png"
    await chart.screenshot(path=str(drawn))
    # two years of monthly bars: this year's in blue, last year's in orange, both drawn
    assert pixels_like(drawn, BLUE) > 2000 and pixels_like(drawn, ORANGE) > 2000
    bars = (
        await page.locator("#contact figure.chart")
        .first.locator("rect")
        .evaluate_all("rects => rects.filter(r => r.getBoundingClientRect().height > 1).length")
    )
    assert bars == 24


async def test_the_dashboard_updates_as_events_arrive(reporting, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(f"{reporting.url}/dashboard")
    await page.wait_for_function("document.getElementById('status').textContent.startsWith('Updated')")
    before = int((await page.inner_text("#contacts-today")).replace(",", ""))

    now = datetime.now(UTC)
    arriving = SeedStream(
        contacts=[a_routed_event(received_at=now, channel=Channel.SOCIAL_MEDIA) for _ in range(3)]
        + [a_routed_event(received_at=now, channel=Channel.WEB, destination="highways") for _ in range(2)]
    )
    await reporting.publish(arriving)
    await page.wait_for_function(
        f"document.getElementById('contacts-today').textContent === '{before + 5}'", timeout=60_000
    )
    channels = await page.locator("#by-channel div").all_inner_texts()
    assert any(row.startswith("Social media") and row.endswith("3") for row in channels), channels

    screen = SCREENSHOTS / "dashboard.png"
    await page.screenshot(path=str(screen))
    assert Image.open(screen).size == (1280, 900)
    assert distinct_colours(screen) > 20
    bars = SCREENSHOTS / "dashboard-by-channel.png"
    await page.locator("#by-channel").screenshot(path=str(bars))
    assert pixels_like(bars, BLUE) > 500, "the channel bars are drawn"

    more = SeedStream(contacts=[a_routed_event(received_at=now, channel=Channel.EMAIL) for _ in range(4)])
    await reporting.publish(more)
    await page.wait_for_function(
        f"document.getElementById('contacts-today').textContent === '{before + 9}'", timeout=60_000
    )


async def test_the_report_command_writes_html_and_pdf(reporting, tmp_path):
    out = tmp_path / f"report-{uuid.uuid4().hex[:6]}.html"
    code = await asyncio.to_thread(
        frontdoor, ["report", "annual", "--year", "2009/10", "--url", reporting.url, "--out", str(out), "--pdf"]
    )
    assert code == 0
    assert "359 stage 1 complaints in January 2010" in out.read_text()
    pdf = out.with_suffix(".pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    refused = await asyncio.to_thread(
        frontdoor, ["report", "annual", "--year", "2009/11", "--url", reporting.url, "--out", str(out)]
    )
    assert refused == 1
