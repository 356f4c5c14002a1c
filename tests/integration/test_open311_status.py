"""An Open311 report routed to a partner agency tells the civic app it is not the council's responsibility."""

from __future__ import annotations

import asyncio

import httpx

from frontdoor_intake.app import create_app as intake_app
from frontdoor_intake.settings import IntakeSettings
from frontdoor_routing.app import create_app as routing_app
from frontdoor_routing.settings import RoutingSettings


async def test_a_report_for_a_utility_is_closed_naming_the_agency_and_a_pothole_stays_open(namespace):
    keys = {"fixmystreet": "fms-key-0123456789"}
    intake = intake_app(namespace.settings(IntakeSettings, open311_api_keys=keys))
    routing = routing_app(namespace.settings(RoutingSettings, routing_instance="o311"))
    transport = httpx.ASGITransport(app=intake)
    async with (
        intake.router.lifespan_context(intake),
        routing.router.lifespan_context(routing),
        httpx.AsyncClient(transport=transport, base_url="http://i") as client,
    ):

        async def report(fms_id: str, code: str, description: str, **attributes: str) -> str:
            form = {
                "api_key": keys["fixmystreet"],
                "service_code": code,
                "lat": "53.80",
                "long": "-1.55",
                "description": description,
                "attribute[fixmystreet_id]": fms_id,
                **{f"attribute[{k}]": v for k, v in attributes.items()},
            }
            answer = await client.post("/open311/v2/requests.json", data=form)
            assert answer.status_code == 200, answer.text
            return answer.json()[0]["service_request_id"]

        leak = await report("2001", "water_leak", "Clean water gushing from a cover in the pavement")
        pothole = await report("2002", "potholes", "Deep pothole on Otley Road", depth="over_100mm")

        async def status_of(request_id: str) -> dict:
            for _ in range(120):
                answer = await client.get(f"/open311/v2/requests/{request_id}.json")
                if answer.status_code == 200 and answer.json()[0].get("agency_responsible"):
                    return answer.json()[0]
                await asyncio.sleep(0.25)
            raise AssertionError(f"no routed status for {request_id}")

        leak_status, pothole_status = await status_of(leak), await status_of(pothole)
    assert leak_status["status"] == "closed"
    assert leak_status["extended_attributes"]["status"] == "not_councils_responsibility"
    assert "Utility companies" in leak_status["agency_responsible"]
    assert pothole_status["status"] == "open" and pothole_status["agency_responsible"] == "Highways and Streets"
