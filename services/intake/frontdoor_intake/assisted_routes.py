"""HTTP for the assisted channels: telephony and hub webhooks, letter batches, casework, libraries."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ValidationError

from frontdoor_shared.contracts import CallEventPayload, HubVisitPayload, SurveyResponsePayload
from frontdoor_shared.logging import get_logger

from .auth import RateLimits, integration_key
from .channels.assisted import (
    CallRecord,
    CaseworkRecord,
    HubVisitRecord,
    LetterRecord,
    LibraryRecord,
    contact_from_call,
    contact_from_casework,
    contact_from_letter,
    contact_from_library,
    contact_from_visit,
)
from .customers import customer_ref
from .operations import OperationsPublisher
from .publishing import Accepted, Intake, IntakeUnavailable
from .settings import IntakeSettings

log = get_logger(__name__)


class Answer(BaseModel):
    status: str
    contact_id: str | None = None
    event_id: str | None = None


class RowAnswer(Answer):
    row: int
    errors: list[dict[str, Any]] | None = None


def _answer(accepted: Accepted | None) -> Answer:
    if accepted is None:
        return Answer(status="recorded")
    return Answer(
        status="duplicate" if accepted.duplicate else "accepted",
        contact_id=str(accepted.contact_id),
        event_id=str(accepted.event_id),
    )


def records_of(body: bytes, content_type: str) -> list[dict[str, Any]]:
    """Rows of a CSV file (with a header row) or a JSON Lines file; raises ValueError naming the bad line."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"the file is not UTF-8 text (byte {error.start})") from None
    if "csv" in content_type:
        reader = csv.DictReader(io.StringIO(text))
        return [{k: v for k, v in row.items() if v not in ("", None)} for row in reader]
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise ValueError(f"line {number} is not JSON: {error.msg}") from None
            if not isinstance(rows[-1], dict):
                raise ValueError(f"line {number} is not a JSON object")
    return rows


def assisted_router(
    intake: Intake,
    operations: OperationsPublisher,
    settings: IntakeSettings,
    key: bytes,
    limits: RateLimits | None = None,
) -> APIRouter:
    router = APIRouter()
    require_key = Depends(integration_key(settings.integration_api_keys, limits))

    async def body_of(request: Request) -> bytes:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > settings.max_body_bytes:
                raise HTTPException(413, detail=f"the body is larger than {settings.max_body_bytes} bytes")
        return bytes(body)

    @router.post("/v1/telephony/calls", response_model=Answer, tags=["telephony"])
    async def call_event(call: CallRecord, integration: str = require_key) -> Answer:
        """A call event from the telephony platform; an `ended` call with the advisor's note records the contact."""
        contact = contact_from_call(call, key)
        accepted = await intake.accept(contact) if contact else None
        await operations.call(
            CallEventPayload(
                call_id=call.call_id,
                event=call.event,
                at=call.at,
                queue=call.queue,
                wait_seconds=call.wait_seconds,
                talk_seconds=call.talk_seconds,
                hold_seconds=call.hold_seconds,
                wrap_up_seconds=call.wrap_up_seconds,
                disposition=call.disposition,
                resolved_first_time=call.resolved_first_time,
                customer_ref=customer_ref(key, phone=call.caller_number),
                contact_id=str(accepted.contact_id) if accepted else None,
            )
        )
        return _answer(accepted)

    @router.post("/v1/hubs/visits", response_model=Answer, tags=["face to face"])
    async def hub_visit(visit: HubVisitRecord, integration: str = require_key) -> Answer:
        """A visit event from a One Stop Shop or community hub; `seen` with the officer's note records the contact."""
        contact = contact_from_visit(visit, key)
        accepted = await intake.accept(contact) if contact else None
        await operations.visit(
            HubVisitPayload(
                visit_id=visit.visit_id,
                event=visit.event,
                at=visit.at,
                hub=visit.hub,
                service=visit.service,
                resolved_first_time=visit.resolved_first_time,
                partner_agency=visit.partner_agency,
                customer_ref=customer_ref(key, email=visit.customer_email, phone=visit.customer_phone),
                contact_id=str(accepted.contact_id) if accepted else None,
            )
        )
        return _answer(accepted)

    @router.post("/v1/surveys/responses", status_code=202, response_model=Answer, tags=["satisfaction"])
    async def survey_response(response: SurveyResponsePayload, integration: str = require_key) -> Answer:
        """A customer's answer from a satisfaction survey, focus group or mystery-shopping visit."""
        event = await operations.survey_response(response)
        return Answer(status="recorded", event_id=str(event.event_id))

    @router.post("/v1/casework", status_code=202, response_model=Answer, tags=["councillors' casework"])
    async def casework(record: CaseworkRecord, integration: str = require_key) -> Answer:
        """An enquiry a councillor makes on behalf of a constituent."""
        return _answer(await intake.accept(contact_from_casework(record, key, datetime.now(UTC))))

    @router.post("/v1/libraries/contacts", status_code=202, response_model=Answer, tags=["libraries"])
    async def library_contact(record: LibraryRecord, integration: str = require_key) -> Answer:
        """A contact at a library: a council-service enquiry, help to get online, or a library-only matter."""
        return _answer(await intake.accept(contact_from_library(record, key, datetime.now(UTC))))

    async def import_rows(request: Request, model: type[BaseModel], to_contact: Callable) -> list[RowAnswer]:
        content_type = request.headers.get("content-type", "")
        if not any(kind in content_type for kind in ("csv", "ndjson", "jsonl", "json-lines")):
            raise HTTPException(415, detail="send text/csv (with a header row) or application/x-ndjson (JSON Lines)")
        try:
            rows = records_of(await body_of(request), content_type)
        except ValueError as error:
            raise HTTPException(400, detail=str(error)) from None
        answers: list[RowAnswer | None] = [None] * len(rows)
        valid = []
        for number, row in enumerate(rows, start=1):
            try:
                valid.append((number, to_contact(model.model_validate(row), key)))
            except ValidationError as error:
                errors = error.errors(include_url=False, include_context=False, include_input=False)
                answers[number - 1] = RowAnswer(row=number, status="invalid", errors=errors)
        results = await intake.accept_many([contact for _, contact in valid]) if valid else []
        for (number, _), result in zip(valid, results, strict=True):
            if isinstance(result, IntakeUnavailable):
                answers[number - 1] = RowAnswer(row=number, status="unavailable")
            else:
                answers[number - 1] = RowAnswer(row=number, **_answer(result).model_dump())
        answers = [answer for answer in answers if answer is not None]
        log.info("batch imported", rows=len(rows), accepted=sum(a.status == "accepted" for a in answers))
        return answers

    @router.post("/v1/letters/import", status_code=207, response_model=list[RowAnswer], tags=["letters"])
    async def import_letters(request: Request, integration: str = require_key) -> list[RowAnswer]:
        """A batch of scanned-post records, as CSV or JSON Lines; each row is answered on its own."""
        return await import_rows(request, LetterRecord, contact_from_letter)

    return router
