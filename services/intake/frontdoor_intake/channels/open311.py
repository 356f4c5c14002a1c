"""Open311 GeoReport v2, so FixMyStreet and other civic apps can report straight in.

Under /open311/v2/, each as .json or .xml:
- GET services, GET services/{code}: the services in deploy/config/open311-services.yaml, each
  checked against the department directory when loaded;
- POST requests: a form-encoded report, checked against the service's questions, accepted once
  (the app's own id, FixMyStreet's attribute[fixmystreet_id], or else a keyed hash of the report,
  makes a resubmission the same request);
- GET requests, GET requests/{id}: the status of what was reported, from the `open311_requests`
  projection, which `writes_for_received` (contacts.received) and `writes_for_routed`
  (contacts.routed) keep;
- GET servicerequestupdates: mySociety's extension, which is how FixMyStreet reads the extended
  statuses (in_progress, not_councils_responsibility, ...).

Errors use the GeoReport format, `[{"code": 400, "description": "..."}]` or
`<errors><error>...</error></errors>`, and name the field that is wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl
from uuid import NAMESPACE_URL, uuid5

import yaml
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from frontdoor_shared.contracts import (
    Channel,
    ContactKind,
    ContactReceived,
    ContactReceivedEvent,
    ContactRoutedEvent,
    Coordinates,
    DestinationKind,
    Location,
)
from frontdoor_shared.logging import get_logger

from ..auth import RateLimited, RateLimits
from ..customers import customer_ref
from ..publishing import Intake, IntakeUnavailable
from ..settings import IntakeSettings

log = get_logger(__name__)

_CONFIG = Path(__file__).resolve().parents[4] / "deploy" / "config"
SERVICES_PATH = _CONFIG / "open311-services.yaml"
DIRECTORY_PATH = _CONFIG / "directory.yaml"
OPEN311_REQUESTS = "open311_requests"
"""The projection's collection: one document per Open311 request, keyed by service_request_id (= contact id)."""

FORMATS = ("json", "xml")
DEFAULT_SPAN = timedelta(days=90)
MAX_RESULTS = 1000

# ---------------------------------------------------------------------------------------------------------------
# The service list


class Open311ConfigError(ValueError):
    """The service list is wrong; the message names the file, the entry and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Attribute(_Strict):
    """A question asked of the reporter (GeoReport v2 service definition attribute)."""

    code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,59}$")]
    description: str = Field(min_length=1, max_length=500)
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"] = "string"
    datatype_description: str = ""
    required: bool = False
    variable: bool = True
    values: dict[str, str] = {}

    @model_validator(mode="after")
    def _values_fit_datatype(self) -> Attribute:
        is_list = self.datatype.endswith("valuelist")
        if is_list and not self.values:
            raise ValueError(f"a {self.datatype} needs values")
        if self.values and not is_list:
            raise ValueError(f"values are only for singlevaluelist and multivaluelist, not {self.datatype}")
        return self


class Service(_Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=1000)
    department: str = Field(description="Code of a destination in directory.yaml")
    group: str | None = Field(default=None, max_length=200)
    keywords: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = []
    attributes: list[Attribute] = []

    @model_validator(mode="after")
    def _attribute_codes_are_unique(self) -> Service:
        codes = [attribute.code for attribute in self.attributes]
        if repeated := sorted({code for code in codes if codes.count(code) > 1}):
            raise ValueError(f"attribute codes repeated: {', '.join(repeated)}")
        return self

    def listing(self) -> dict[str, Any]:
        return {
            "service_code": self.code,
            "service_name": self.name,
            "description": self.description,
            "metadata": bool(self.attributes),
            "type": "realtime",
            "keywords": ", ".join(self.keywords),
            "group": self.group,
        }

    def definition(self) -> dict[str, Any]:
        attributes = []
        for order, attribute in enumerate(self.attributes, start=1):
            shown: dict[str, Any] = {
                "variable": attribute.variable,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": attribute.datatype_description,
                "order": order,
                "description": attribute.description,
            }
            if attribute.values:
                shown["values"] = [{"key": key, "name": name} for key, name in attribute.values.items()]
            attributes.append(shown)
        return {"service_code": self.code, "attributes": attributes}


@dataclass(frozen=True)
class Open311Catalog:
    services: Mapping[str, Service]
    department_names: Mapping[str, str]


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise Open311ConfigError(f"{path}: cannot be read: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise Open311ConfigError(f"{path}: not valid YAML: {error}") from None


def _destination_names(directory_path: Path) -> dict[str, str]:
    """Code -> name of every department and partner agency; read here so intake never imports routing."""
    directory = _read_yaml(directory_path)
    entries = directory.get("destinations") if isinstance(directory, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and e.get("code") for e in entries):
        raise Open311ConfigError(f"{directory_path}: expected a list of destinations, each with a code")
    return {str(e["code"]): str(e.get("name") or e["code"]) for e in entries}


def load_catalog(services_path: Path = SERVICES_PATH, directory_path: Path = DIRECTORY_PATH) -> Open311Catalog:
    """Read and check the service list; raises Open311ConfigError naming the file, the entry and the field."""
    names = _destination_names(directory_path)
    document = _read_yaml(services_path)
    entries = document.get("services") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise Open311ConfigError(f"{services_path}: expected a non-empty list under 'services'")
    services: dict[str, Service] = {}
    for index, raw in enumerate(entries):
        label = f"{services_path}: services[{index}]"
        if isinstance(raw, dict) and raw.get("code"):
            label += f" ({raw['code']})"
        try:
            service = Service.model_validate(raw)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in e['loc']) or 'entry'}: {e['msg']}" for e in error.errors()
            )
            raise Open311ConfigError(f"{label}: {problems}") from None
        if service.department not in names:
            raise Open311ConfigError(
                f"{label}: department {service.department!r} is not a destination in {directory_path}"
            )
        if service.code in services:
            raise Open311ConfigError(f"{label}: service code {service.code!r} is listed twice")
        services[service.code] = service.model_copy(update={"group": service.group or names[service.department]})
    return Open311Catalog(services, names)


# ---------------------------------------------------------------------------------------------------------------
# Answers in GeoReport's formats

_ITEM_TAGS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "service_requests_updates": "request_update",
    "errors": "error",
}


class Open311Error(Exception):
    def __init__(self, status: int, *descriptions: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions
        self.headers = headers


def _xml(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        element.extend(_xml(key, child) for key, child in value.items())
    elif isinstance(value, list):
        element.extend(_xml(_ITEM_TAGS[tag], child) for child in value)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
    return element


def render(fmt: str, root: str, body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """`body` as JSON, or as XML under `root` (lists become one element per item: services -> service, ...)."""
    if fmt == "xml":
        content = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(_xml(root, body), encoding="unicode")
        return Response(content.encode(), status, headers, media_type="text/xml; charset=utf-8")
    content = json.dumps(body, ensure_ascii=False)
    return Response(content.encode(), status, headers, media_type="application/json; charset=utf-8")


def render_errors(
    fmt: str, status: int, descriptions: Iterable[str], headers: Mapping[str, str] | None = None
) -> Response:
    return render(fmt, "errors", [{"code": status, "description": d} for d in descriptions], status, headers)


def _w3c(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # a client without tz_aware gives back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------------------------------
# POST requests: a report becomes a contact

Short = Annotated[str, StringConstraints(max_length=200)]
_ATTRIBUTE_FIELD = re.compile(r"^attribute\[([^\[\]]{1,100})\](\[\])?$")
_APP_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
_POSTCODE_IN_TEXT = re.compile(r"\b([A-Z]{1,2}[0-9][0-9A-Z]?) ?([0-9][A-Z]{2})\b")
_MAX_ATTRIBUTE_LENGTH = {"string": 200, "text": 2000}


class ServiceRequestForm(BaseModel):
    """The GeoReport v2 fields of POST requests, apart from api_key and the attribute[...] answers."""

    model_config = ConfigDict(extra="ignore")

    jurisdiction_id: Short | None = None
    service_code: Annotated[str, StringConstraints(max_length=100)]
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    long: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    address_string: Annotated[str, StringConstraints(max_length=500)] | None = None
    address_id: Short | None = None
    email: Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    device_id: Short | None = None
    account_id: Short | None = None
    first_name: Short | None = None
    last_name: Short | None = None
    phone: Annotated[str, StringConstraints(max_length=40, pattern=r"^\+?[0-9 ()./-]{5,40}$")] | None = None
    description: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    media_url: list[Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://\S+$")]] = Field(
        default=[], max_length=10
    )


def _postcode_in(*texts: str | None) -> str | None:
    for text in texts:
        if text and (match := _POSTCODE_IN_TEXT.search(text.upper())):
            return f"{match[1]} {match[2]}"
    return None


def _answer_problem(attribute: Attribute, values: list[str]) -> str | None:
    if len(values) > 1 and attribute.datatype != "multivaluelist":
        return "give one value only"
    if attribute.values:
        unknown = [value for value in values if value not in attribute.values]
        return f"{unknown[0]!r} is not one of: {', '.join(attribute.values)}" if unknown else None
    value = values[0]
    if attribute.datatype == "number":
        try:
            if math.isfinite(float(value)):
                return None
        except ValueError:
            pass
        return f"{value!r} is not a number"
    if attribute.datatype == "datetime":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return f"{value!r} is not a date and time (ISO 8601, for example 2010-01-11T10:00:00Z)"
        return None
    limit = _MAX_ATTRIBUTE_LENGTH.get(attribute.datatype, 2000)
    return f"longer than {limit} characters" if len(value) > limit else None


def _answers(service: Service, given: Mapping[str, list[str]]) -> tuple[list[str], list[str]]:
    """Lines for the contact's text, one per question answered, and what is wrong with the answers."""
    lines: list[str] = []
    problems: list[str] = []
    for attribute in service.attributes:
        field = f"attribute[{attribute.code}]"
        values = given.get(attribute.code, [])
        if not values:
            if attribute.required and attribute.variable:
                problems.append(f"{field} is required for {service.code} ({attribute.description})")
            continue
        if problem := _answer_problem(attribute, values):
            problems.append(f"{field}: {problem}")
            continue
        shown = ", ".join(attribute.values.get(value, value) for value in values)
        question = attribute.description
        lines.append(f"{question} {shown}" if question.endswith("?") else f"{question.rstrip(':')}: {shown}")
    declared = {attribute.code for attribute in service.attributes}
    for code, values in given.items():
        if code not in declared and any(len(value) > 2000 for value in values):
            problems.append(f"attribute[{code}]: longer than 2000 characters")
    return lines, problems


def _validation_problems(error: ValidationError) -> list[str]:
    return [f"{e['loc'][0] if e['loc'] else 'request'}: {e['msg']}" for e in error.errors()]


def contact_from_open311(
    pairs: Iterable[tuple[str, str]], catalog: Open311Catalog, integration: str, key: bytes, now: datetime
) -> ContactReceived:
    """Map a POST requests body (its decoded pairs, api_key already checked) to a contact.

    Raises Open311Error(400) naming every field that is wrong. Names, email and phone stay here:
    only the pseudonymous customer_ref travels.
    """
    fields: dict[str, str] = {}
    media: list[str] = []
    given: dict[str, list[str]] = {}
    for name, raw in pairs:
        value = raw.strip()
        if not value:
            continue  # FixMyStreet sends empty optional fields
        if match := _ATTRIBUTE_FIELD.match(name):
            given.setdefault(match[1], []).append(value)
        elif name == "media_url":
            media.append(value)
        elif name.startswith("attribute"):
            raise Open311Error(400, f"{name[:100]}: not an attribute field; send attribute[code]=value")
        else:
            fields.setdefault(name, value)
    try:
        form = ServiceRequestForm.model_validate({**fields, "media_url": media})
    except ValidationError as error:
        raise Open311Error(400, *_validation_problems(error)) from None
    service = catalog.services.get(form.service_code)
    if service is None:
        raise Open311Error(400, f"service_code: {form.service_code!r} is not a service here; see services.json")
    problems = []
    if (form.lat is None) != (form.long is None):
        problems.append(f"{'long' if form.long is None else 'lat'}: lat and long must be given together")
    elif form.lat is None and not form.address_string and not form.address_id:
        problems.append("lat/long: a location is required: lat and long, address_string or address_id")
    answers, attribute_problems = _answers(service, given)
    problems += attribute_problems
    app_id = (given.get("fixmystreet_id") or [None])[0]
    if app_id and not _APP_ID.match(app_id):
        problems.append("attribute[fixmystreet_id]: not an id (letters, digits and _.:- up to 100 characters)")
    title = (given.get("title") or [None])[0]
    if title and len(title) > 300:
        problems.append("attribute[title]: longer than 300 characters")
    if problems:
        raise Open311Error(400, *problems)

    if app_id:
        reference = f"{integration}:{app_id}"
    else:  # the same report sent again is the same request; keyed, so the hash reveals nothing
        fingerprint = json.dumps([form.model_dump(mode="json"), sorted(given.items())], sort_keys=True)
        reference = f"{integration}:h-{hmac.new(key, fingerprint.encode(), hashlib.sha256).hexdigest()[:32]}"
    coordinates = Coordinates(latitude=form.lat, longitude=form.long) if form.lat is not None else None
    postcode = _postcode_in(form.address_string, *given.get("closest_address", ()))
    uprn = form.address_id if form.address_id and form.address_id.isdigit() and len(form.address_id) <= 12 else None
    lines = [form.description or "", *answers]
    if form.address_string:
        lines.append(f"Address: {form.address_string}")
    lines += [f"Photo: {url}" for url in form.media_url]
    lines += [f"Report: {url}" for url in given.get("report_url", ())[:1]]
    try:
        return ContactReceived(
            contact_id=uuid5(NAMESPACE_URL, f"frontdoor:{Channel.OPEN311.value}:{reference}"),
            channel=Channel.OPEN311,
            channel_reference=reference,
            kind=ContactKind.SERVICE_REQUEST,
            subject=title or service.name,
            text="\n".join(line for line in lines if line),
            service_code=service.code,
            customer_ref=customer_ref(key, email=form.email, phone=form.phone),
            location=Location(postcode=postcode, uprn=uprn, coordinates=coordinates)
            if coordinates or postcode or uprn
            else None,
            received_at=now,
        )
    except ValidationError as error:
        raise Open311Error(400, *_validation_problems(error)) from None


# ---------------------------------------------------------------------------------------------------------------
# The open311_requests projection

RECEIVED = "open"
IN_PROGRESS = "in_progress"
NOT_COUNCILS_RESPONSIBILITY = "not_councils_responsibility"


def _request_fields(contact: ContactReceived) -> dict[str, Any]:
    location = contact.location or Location()
    return {
        "service_code": contact.service_code,
        "description": contact.text,
        "lat": location.coordinates.latitude if location.coordinates else None,
        "long": location.coordinates.longitude if location.coordinates else None,
        "zipcode": location.postcode,
    }


def writes_for_received(event: ContactReceivedEvent) -> list[UpdateOne]:
    """On contacts.received: record an Open311 request as open, unless routing has already said more."""
    contact = event.payload
    if contact.channel is not Channel.OPEN311:
        return []
    return [
        UpdateOne(
            {"_id": str(contact.contact_id)},
            {
                "$set": _request_fields(contact),
                "$min": {"requested_datetime": contact.received_at},
                "$setOnInsert": {
                    "status": "open",
                    "extended_status": RECEIVED,
                    "updated_datetime": contact.received_at,
                },
            },
            upsert=True,
        )
    ]


def writes_for_routed(event: ContactRoutedEvent) -> list[UpdateOne]:
    """On contacts.routed: the request's status from the latest routing decision; an older one changes nothing.

    A partner agency's work is closed as not_councils_responsibility (the council will not do it), with
    notes naming who will, so the citizen is neither told it is fixed nor left waiting on the council.
    """
    routed = event.payload
    contact = routed.contact
    if contact.channel is not Channel.OPEN311:
        return []
    status: dict[str, Any]
    if routed.safeguarding:  # a public endpoint: it says nothing of a safeguarding referral
        status = {
            "status": "open",
            "extended_status": IN_PROGRESS,
            "agency_responsible": None,
            "status_notes": "Passed to the team responsible.",
        }
    elif routed.destination_kind is DestinationKind.PARTNER_AGENCY:
        status = {
            "status": "closed",
            "extended_status": NOT_COUNCILS_RESPONSIBILITY,
            "agency_responsible": routed.destination_name,
            "status_notes": f"This is not the council's to deal with: your report has been passed to "
            f"{routed.destination_name}, who are responsible for it.",
        }
    else:
        status = {
            "status": "open",
            "extended_status": IN_PROGRESS,
            "agency_responsible": routed.destination_name,
            "status_notes": f"Passed to {routed.destination_name}.",
        }
    newer_than_stored = {
        "_id": str(routed.contact_id),
        "$or": [
            {"routed_at": {"$exists": False}},
            {"routed_at": {"$lt": routed.routed_at}},
            {"routed_event_id": str(event.event_id)},
        ],
    }
    update = {
        "$set": {
            **_request_fields(contact),
            **status,
            "updated_datetime": routed.routed_at,
            "routed_at": routed.routed_at,
            "routed_event_id": str(event.event_id),
        },
        "$min": {"requested_datetime": contact.received_at},
    }
    return [UpdateOne(newer_than_stored, update, upsert=True)]


def request_view(document: Mapping[str, Any], catalog: Open311Catalog) -> dict[str, Any]:
    """A projected request as GeoReport v2 shows it, with mySociety's status in extended_attributes.

    Fields with no value are left out rather than sent empty: XML clients such as FixMyStreet's read an
    empty element as a value.
    """
    service = catalog.services.get(document.get("service_code") or "")
    view = {
        "service_request_id": document["_id"],
        "status": document.get("status", "open"),
        "status_notes": document.get("status_notes"),
        "service_name": service.name if service else document.get("service_code"),
        "service_code": document.get("service_code"),
        "description": document.get("description"),
        "agency_responsible": document.get("agency_responsible"),
        "requested_datetime": _w3c(document.get("requested_datetime")),
        "updated_datetime": _w3c(document.get("updated_datetime")),
        "zipcode": document.get("zipcode"),
        "lat": document.get("lat"),
        "long": document.get("long"),
        "extended_attributes": {"status": document.get("extended_status", RECEIVED)},
    }
    return {name: value for name, value in view.items() if value not in (None, "")}


def update_view(document: Mapping[str, Any]) -> dict[str, Any]:
    """A routed request as one of mySociety's service request updates (status in upper case, as their wiki)."""
    return {
        "update_id": document["routed_event_id"],
        "service_request_id": document["_id"],
        "status": str(document.get("extended_status", RECEIVED)).upper(),
        "external_status_code": document.get("extended_status", RECEIVED),
        "description": document.get("status_notes") or "",
        "updated_datetime": _w3c(document.get("updated_datetime")),
    }


# ---------------------------------------------------------------------------------------------------------------
# HTTP


def _commas(value: str | None, field: str) -> list[str]:
    items = [item.strip() for item in (value or "").split(",") if item.strip()]
    if len(items) > MAX_RESULTS or any(len(item) > 100 for item in items):
        raise Open311Error(400, f"{field}: at most {MAX_RESULTS} values of at most 100 characters each")
    return items


def _moment(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Open311Error(400, f"{field}: {value[:50]!r} is not a W3C date and time (2010-01-11T10:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _span(params: Mapping[str, str]) -> dict[str, datetime]:
    """start_date..end_date, by default the 90 days up to now, as the spec says."""
    end = _moment(params.get("end_date"), "end_date") or datetime.now(UTC)
    start = _moment(params.get("start_date"), "start_date") or end - DEFAULT_SPAN
    if start > end:
        raise Open311Error(400, "start_date: after end_date")
    return {"$gte": start, "$lte": end}


def open311_router(
    intake: Intake,
    requests: AsyncCollection,
    settings: IntakeSettings,
    key: bytes,
    *,
    catalog: Open311Catalog | None = None,
    limits: RateLimits | None = None,
) -> APIRouter:
    """GeoReport v2 at /open311/v2; `requests` is the open311_requests projection (OPEN311_REQUESTS)."""
    catalog = catalog or load_catalog(
        getattr(settings, "open311_services_path", SERVICES_PATH),
        getattr(settings, "open311_directory_path", DIRECTORY_PATH),
    )
    router = APIRouter(prefix="/open311/v2", tags=["open311"])

    def served(jurisdiction: str | None) -> None:
        """jurisdiction_id is optional here (one jurisdiction), but a different one is a mistake worth naming."""
        if jurisdiction and jurisdiction.strip() != settings.open311_jurisdiction_id:
            served_here = settings.open311_jurisdiction_id
            raise Open311Error(400, f"jurisdiction_id: {jurisdiction[:100]!r} is not served here, only {served_here!r}")

    async def answer(fmt: str, work: Callable[[], Awaitable[Response]]) -> Response:
        if fmt not in FORMATS:
            return render_errors("json", 404, [f"format {fmt[:20]!r} is not served: use .json or .xml"])
        try:
            return await work()
        except Open311Error as error:
            return render_errors(fmt, error.status, error.descriptions, error.headers)
        except IntakeUnavailable as error:
            return render_errors(
                fmt, 503, [f"not accepted: {error}; nothing was recorded, try again"], {"Retry-After": "5"}
            )
        except PyMongoError as error:
            log.warning("open311 requests could not be read", error=repr(error))
            return render_errors(
                fmt, 503, ["service requests cannot be read just now; try again"], {"Retry-After": "5"}
            )

    def integration_of(api_key: str | None) -> str:
        if not api_key:
            raise Open311Error(403, "api_key: missing; every POST needs the api_key issued to the application")
        for name, secret in settings.open311_api_keys.items():
            if hmac.compare_digest(api_key.encode(), secret.get_secret_value().encode()):
                if limits is not None:
                    try:
                        limits.take(f"open311:{name}")
                    except RateLimited as limited:
                        raise Open311Error(
                            429, f"api_key: {limited.detail}", headers={"Retry-After": str(limited.retry_after)}
                        ) from None
                return name
        log.warning("open311 request with an unknown api_key refused")
        raise Open311Error(403, "api_key: not a key issued to any application")

    async def form_pairs(request: Request) -> list[tuple[str, str]]:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise Open311Error(
                400,
                f"content-type: send application/x-www-form-urlencoded, as GeoReport v2 says, not "
                f"{content_type[:100] or 'nothing'!r}",
            )
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > settings.max_body_bytes:
                raise Open311Error(413, f"request: the body is larger than {settings.max_body_bytes} bytes")
        try:
            return parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=500)
        except UnicodeDecodeError:
            raise Open311Error(400, "request: the body is not UTF-8") from None
        except ValueError:
            raise Open311Error(400, "request: more than 500 fields") from None

    @router.get("/services.{fmt}", summary="GET Service List")
    async def service_list(fmt: str, request: Request) -> Response:
        async def work() -> Response:
            served(request.query_params.get("jurisdiction_id"))
            return render(fmt, "services", [service.listing() for service in catalog.services.values()])

        return await answer(fmt, work)

    @router.get("/services/{service_code}.{fmt}", summary="GET Service Definition")
    async def service_definition(service_code: str, fmt: str, request: Request) -> Response:
        async def work() -> Response:
            served(request.query_params.get("jurisdiction_id"))
            service = catalog.services.get(service_code)
            if service is None:
                raise Open311Error(404, f"service_code: {service_code[:100]!r} is not a service here")
            return render(fmt, "service_definition", service.definition())

        return await answer(fmt, work)

    @router.post("/requests.{fmt}", summary="POST Service Request (form-encoded)")
    async def post_request(fmt: str, request: Request) -> Response:
        async def work() -> Response:
            pairs = await form_pairs(request)
            integration = integration_of(next((value for name, value in pairs if name == "api_key"), None))
            served(next((value for name, value in pairs if name == "jurisdiction_id" and value.strip()), None))
            contact = contact_from_open311(pairs, catalog, integration, key, datetime.now(UTC))
            accepted = await intake.accept(contact)
            log.info(
                "open311 request accepted",
                integration=integration,
                service_code=contact.service_code,
                contact_id=str(accepted.contact_id),
                duplicate=accepted.duplicate,
            )
            service = catalog.services[contact.service_code or ""]
            notice = (
                f"Received. It will be passed to the team responsible, usually "
                f"{catalog.department_names[service.department]}."
            )
            return render(
                fmt, "service_requests", [{"service_request_id": str(accepted.contact_id), "service_notice": notice}]
            )

        return await answer(fmt, work)

    @router.get("/requests.{fmt}", summary="GET Service Requests")
    async def get_requests(fmt: str, request: Request) -> Response:
        async def work() -> Response:
            params = request.query_params
            served(params.get("jurisdiction_id"))
            query: dict[str, Any] = {}
            if ids := _commas(params.get("service_request_id"), "service_request_id"):
                query["_id"] = {"$in": ids}  # the spec: this overrides every other argument
            else:
                if codes := _commas(params.get("service_code"), "service_code"):
                    query["service_code"] = {"$in": codes}
                if statuses := _commas(params.get("status"), "status"):
                    if unknown := [s for s in statuses if s not in ("open", "closed")]:
                        raise Open311Error(400, f"status: {unknown[0]!r} is not open or closed")
                    query["status"] = {"$in": statuses}
                query["requested_datetime"] = _span(params)
            cursor = requests.find(query).sort("requested_datetime", -1).limit(MAX_RESULTS)
            return render(fmt, "service_requests", [request_view(doc, catalog) async for doc in cursor])

        return await answer(fmt, work)

    @router.get("/requests/{service_request_id}.{fmt}", summary="GET Service Request")
    async def get_request(service_request_id: str, fmt: str, request: Request) -> Response:
        async def work() -> Response:
            served(request.query_params.get("jurisdiction_id"))
            document = await requests.find_one({"_id": service_request_id})
            if document is None:
                raise Open311Error(404, f"service_request_id: {service_request_id[:100]!r} not found")
            return render(fmt, "service_requests", [request_view(document, catalog)])

        return await answer(fmt, work)

    @router.get("/servicerequestupdates.{fmt}", summary="GET Service Request Updates (mySociety extension)")
    async def get_updates(fmt: str, request: Request) -> Response:
        async def work() -> Response:
            served(request.query_params.get("jurisdiction_id"))
            query = {"routed_event_id": {"$exists": True}, "updated_datetime": _span(request.query_params)}
            cursor = requests.find(query).sort("updated_datetime", 1).limit(MAX_RESULTS)
            return render(fmt, "service_requests_updates", [update_view(doc) async for doc in cursor])

        return await answer(fmt, work)

    return router
