"""Email: an SMTP listener (aiosmtpd) that turns each RFC 5322 message into a contact.

Parsing is pure (`parse_email`); the handler (`EmailIntake`) only checks size, asks the
thread store whether the message replies to a known contact, and hands the result to
the Intake. SMTP answers:

- 250 once the Intake has accepted the contact or reply (Kafka acknowledged it);
- 451 when the Intake or the thread store is out of reach, so the sending server retries;
- 5xx with the reason when the mail itself is refused (no From, too large, nothing in it).

A message is identified by its Message-ID: the contact id is derived from it, and it is the
channel reference, so the same message delivered twice is the same contact. A message
without a Message-ID gets one derived from its bytes (`<sha256>@frontdoor.generated`), so a
retry of the same bytes stays idempotent too. A reply (In-Reply-To or References naming a
message already received) joins that contact as a `ContactFollowUp`.

The sender's address only becomes a pseudonymous `customer_ref`; the display name is dropped.
Attachments are written to an `AttachmentStore` and travel as metadata and a reference.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import mimetypes
import os
import re
from collections.abc import Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from aiosmtpd.controller import Controller
from pydantic import ValidationError
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from frontdoor_shared.contracts import Attachment, Channel, ContactFollowUp, ContactKind, ContactReceived
from frontdoor_shared.logging import get_logger

from ..customers import customer_ref
from ..publishing import Intake, IntakeUnavailable

log = get_logger(__name__)
T = TypeVar("T")

THREADS = "email_threads"
MAX_ATTACHMENT_BYTES = 5_000_000
"""Largest single attachment accepted, decoded."""
MAX_TEXT = 20_000
MAX_SUBJECT = 300
MAX_REFERENCE = 200
_TRUNCATED = "\n[message truncated]"
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


class MailRefused(Exception):
    """The mail is refused for good: answered with `code` and `message`, which names the problem."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message

    @property
    def reply(self) -> str:
        return _reply(f"{self.code} {self.message}")


# --- attachments -----------------------------------------------------------------------------


class AttachmentStore(Protocol):
    def save(self, sha256: str, content: bytes) -> str:
        """Keep the content under its digest; return the storage reference."""
        ...


class FileAttachmentStore:
    """Content-addressed files `<directory>/<sha256>`, readable only by the service's user."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def save(self, sha256: str, content: bytes) -> str:
        path = self.directory / sha256
        if path.exists():  # received again: kept for the retention period from now
            os.utime(path)
        else:
            self.directory.mkdir(parents=True, exist_ok=True)
            temporary = self.directory / f".{sha256}.{uuid4().hex}.tmp"
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(content)
            os.replace(temporary, path)
        return f"attachments/{sha256}"


# --- parsing (pure, apart from writing attachments) ----------------------------------------------


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str
    references: tuple[str, ...]
    """Message ids this one answers (In-Reply-To, then References from the newest), without its own."""
    subject: str | None
    text: str
    attachments: tuple[Attachment, ...]
    customer_ref: str | None
    received_at: datetime


def parse_email(
    raw: bytes,
    key: bytes,
    now: datetime,
    attachments: AttachmentStore,
    *,
    max_attachment_bytes: int = MAX_ATTACHMENT_BYTES,
) -> ParsedEmail:
    """Read one RFC 5322 message; raises `MailRefused` naming what is wrong with it."""
    try:
        mail, files = _read(raw, key, now, max_attachment_bytes)
    except MailRefused:
        raise
    except Exception as error:  # the email package raises many kinds on malformed mail
        log.warning("email could not be read", error=repr(error))
        raise MailRefused(550, "5.6.0 The message cannot be read as RFC 5322 mail") from error
    stored = []
    for number, (part, content) in enumerate(files, start=1):
        digest = hashlib.sha256(content).hexdigest()
        stored.append(
            Attachment(
                filename=_filename(part, number),
                content_type=_unescape(part.get_content_type())[:MAX_REFERENCE],
                size_bytes=len(content),
                sha256=digest,
                storage_ref=attachments.save(digest, content),
            )
        )
    return replace(mail, attachments=tuple(stored))


def _read(
    raw: bytes, key: bytes, now: datetime, max_attachment_bytes: int
) -> tuple[ParsedEmail, list[tuple[EmailMessage, bytes]]]:
    message = cast(EmailMessage, email.message_from_bytes(raw, policy=email.policy.default))
    sender = _sender(message)
    message_id = _message_ids(_header(message, "Message-ID"), loose=True)[:1] or [_generated_id(raw)]
    references = [
        *_message_ids(_header(message, "In-Reply-To")),
        *reversed(_message_ids(_header(message, "References"))),
    ]
    subject = " ".join(_header(message, "Subject").split())[:MAX_SUBJECT] or None

    body = message.get_body(preferencelist=("plain", "html"))
    text = "" if body is None else _body_text(body)
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - len(_TRUNCATED)] + _TRUNCATED

    files = [(part, _content(part)) for part in _attachment_parts(message, body)]
    for number, (part, content) in enumerate(files, start=1):
        if len(content) > max_attachment_bytes:
            raise MailRefused(
                552,
                f"5.3.4 Attachment {_filename(part, number)!r} is {len(content)} bytes; "
                f"the largest accepted is {max_attachment_bytes} bytes",
            )
    if not text and not files:
        raise MailRefused(550, "5.6.0 The message has no text and no attachments")

    mail = ParsedEmail(
        message_id=message_id[0],
        references=tuple(dict.fromkeys(ref for ref in references if ref != message_id[0])),
        subject=subject,
        text=text,
        attachments=(),
        customer_ref=customer_ref(key, email=sender),
        received_at=now,
    )
    return mail, files


def email_contact_id(message_id: str) -> UUID:
    """The same message delivered again is the same contact."""
    return uuid5(NAMESPACE_URL, f"frontdoor:email:{message_id}")


def contact_from_email(mail: ParsedEmail) -> ContactReceived:
    return ContactReceived(
        contact_id=email_contact_id(mail.message_id),
        channel=Channel.EMAIL,
        channel_reference=mail.message_id,
        kind=ContactKind.UNCLASSIFIED,
        subject=mail.subject,
        text=mail.text,
        customer_ref=mail.customer_ref,
        attachments=mail.attachments,
        received_at=mail.received_at,
    )


def follow_up_from_email(mail: ParsedEmail, contact_id: UUID) -> ContactFollowUp:
    return ContactFollowUp(
        contact_id=contact_id,
        channel=Channel.EMAIL,
        channel_reference=mail.message_id,
        text=mail.text,
        attachments=mail.attachments,
        received_at=mail.received_at,
    )


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
        return "" if value is None else _unescape(str(value))
    except Exception as error:  # the email package raises many kinds on hostile headers
        raise MailRefused(550, f"5.6.0 The {name} header cannot be parsed") from error


def _sender(message: EmailMessage) -> str:
    if not _header(message, "From").strip():
        raise MailRefused(550, "5.6.0 The message has no From header")
    try:
        addresses = message["From"].addresses
    except Exception as error:
        raise MailRefused(553, "5.1.7 The From header cannot be parsed") from error
    for address in addresses:
        if address.username and address.domain and "." in address.domain:
            try:  # an internationalised address (RFC 6532) arrives as raw UTF-8
                return address.addr_spec.encode("utf-8", "surrogateescape").decode("utf-8")
            except UnicodeError:
                raise MailRefused(553, "5.1.7 The From address is not valid UTF-8") from None
    raise MailRefused(553, "5.1.7 The From header has no valid email address")


def _message_ids(value: str, *, loose: bool = False) -> list[str]:
    """Message ids in a header, without angle brackets; very long ones are replaced by their digest.

    `loose` also takes a bare id without brackets (for Message-ID, not for free text in In-Reply-To).
    """
    found = _MESSAGE_ID.findall(value) or (value.split()[:1] if loose else [])
    return [
        ident if len(ident) <= MAX_REFERENCE else "sha256:" + hashlib.sha256(ident.encode()).hexdigest()
        for ident in found
    ]


def _generated_id(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:40] + "@frontdoor.generated"


def _body_text(part: EmailMessage) -> str:
    text = _decoded_text(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _decoded_text(part: EmailMessage) -> str:
    data = _content(part)
    charset = part.get_content_charset() or "utf-8"
    if charset in ("us-ascii", "ascii"):
        charset = "utf-8"  # a superset: undeclared 8-bit text is most often UTF-8
    try:
        return data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("cp1252", errors="replace")


def _leaves(part: EmailMessage) -> Iterator[EmailMessage]:
    """The parts that hold content; an attached message (message/rfc822) is one part, not opened."""
    if part.get_content_maintype() == "multipart":
        for sub in part.iter_parts():
            yield from _leaves(cast(EmailMessage, sub))
    else:
        yield part


def _attachment_parts(message: EmailMessage, body: EmailMessage | None) -> Iterator[EmailMessage]:
    """Every leaf but the body and the body's other renderings (the HTML twin of a text/plain body).

    Inline images count: customers paste photos into the message.
    """
    for part in _leaves(message):
        if part is body:
            continue
        is_rendering = part.get_content_type() in ("text/plain", "text/html")
        if is_rendering and part.get_content_disposition() != "attachment" and not part.get_filename():
            continue
        yield part


def _content(part: EmailMessage) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    inner = part.get_payload()  # message/rfc822 and other message/* hold parsed messages
    if isinstance(inner, list):
        return b"".join(cast(EmailMessage, sub).as_bytes() for sub in inner)
    return str(inner or "").encode("utf-8", "surrogateescape")


def _filename(part: EmailMessage, number: int) -> str:
    try:
        name = _unescape(part.get_filename() or "")
    except Exception:
        name = ""
    name = "".join(ch for ch in name.replace("\\", "/").rsplit("/", 1)[-1] if ch.isprintable()).strip()
    if not name:
        extension = mimetypes.guess_extension(part.get_content_type()) or ".bin"
        name = f"attachment-{number}{extension}"
    if len(name) > MAX_REFERENCE:
        suffix = Path(name).suffix[:20]
        name = name[: MAX_REFERENCE - len(suffix)] + suffix
    return name


class _HtmlText(HTMLParser):
    _SKIP = frozenset({"script", "style", "title", "template"})
    _BLOCK = frozenset(
        {"p", "div", "tr", "li", "ul", "ol", "table", "blockquote", "pre", "hr", "dl", "dt", "dd", "address"}
        | {"h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header", "footer", "form"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag == "br" or tag in self._BLOCK:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        if tag == "li":
            self.parts.append("- ")
        elif tag == "pre":
            self._pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")
        if tag == "pre":
            self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data if self._pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Readable text from HTML: no tags, scripts or styles; paragraphs, breaks and list items on their own lines."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # keep what was read before the markup broke the parser
        log.warning("email HTML could not be read to the end")
    lines = (line.strip() for line in "".join(parser.parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- threads -----------------------------------------------------------------------------------


class ThreadStore(Protocol):
    async def find_contact(self, message_ids: Iterable[str]) -> UUID | None: ...

    async def remember(self, message_id: str, contact_id: UUID) -> None: ...


class EmailThreads:
    """Which contact each received message id belongs to, so that replies join their contact."""

    LOOKUP_LIMIT = 100

    def __init__(self, collection: AsyncCollection) -> None:
        self._collection = collection

    async def find_contact(self, message_ids: Iterable[str]) -> UUID | None:
        ids = list(dict.fromkeys(message_ids))[: self.LOOKUP_LIMIT]
        if not ids:
            return None
        try:
            known = await self._collection.find_one({"_id": {"$in": ids}})
        except PyMongoError as error:
            raise IntakeUnavailable("the email thread store is unavailable") from error
        return UUID(known["contact_id"]) if known else None

    async def remember(self, message_id: str, contact_id: UUID) -> None:
        try:
            await self._collection.update_one(
                {"_id": message_id},
                {"$setOnInsert": {"contact_id": str(contact_id), "at": datetime.now(UTC)}},
                upsert=True,
            )
        except PyMongoError as error:
            raise IntakeUnavailable("the email thread store is unavailable") from error


# --- the SMTP handler --------------------------------------------------------------------------


class EmailIntake:
    """The aiosmtpd handler: each message becomes a contact, or a follow-up on the contact it answers."""

    def __init__(
        self,
        intake: Intake,
        threads: ThreadStore,
        attachments: AttachmentStore,
        key: bytes,
        *,
        max_message_bytes: int,
        max_attachment_bytes: int = MAX_ATTACHMENT_BYTES,
        recipients: Iterable[str] = (),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._intake = intake
        self._threads = threads
        self._attachments = attachments
        self._key = key
        self._max_message_bytes = max_message_bytes
        self._max_attachment_bytes = max_attachment_bytes
        self._recipients = frozenset(address.casefold() for address in recipients)
        self._clock = clock
        self.loop: asyncio.AbstractEventLoop | None = None
        """The loop that owns the Intake and thread store; set by `start_smtp_server`."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if self._recipients and address.casefold() not in self._recipients:
            return _reply(f"550 5.1.1 {address} is not a mailbox of this council")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            return await self._on_home_loop(self.receive(raw))
        except Exception:
            log.exception("email not accepted: unexpected error")
            return "451 4.3.0 Temporary local error; please try again later"

    async def receive(self, raw: bytes) -> str:
        """Take one message and return the SMTP reply. Never raises."""
        try:
            if len(raw) > self._max_message_bytes:
                raise MailRefused(
                    552, f"5.3.4 The message is {len(raw)} bytes; the largest accepted is {self._max_message_bytes}"
                )
            mail = await asyncio.to_thread(
                parse_email,
                raw,
                self._key,
                self._clock(),
                self._attachments,
                max_attachment_bytes=self._max_attachment_bytes,
            )
            contact_id = await self._threads.find_contact(mail.references)
            if contact_id is not None:
                accepted = await self._intake.follow_up(follow_up_from_email(mail, contact_id))
                answer = f"250 2.0.0 OK: reply added to contact {accepted.contact_id}"
            else:
                accepted = await self._intake.accept(contact_from_email(mail))
                status = "already accepted" if accepted.duplicate else "accepted"
                answer = f"250 2.0.0 OK: contact {accepted.contact_id} {status}"
            await self._threads.remember(mail.message_id, accepted.contact_id)
        except MailRefused as refused:
            log.info("email refused", code=refused.code, reason=refused.message)
            return refused.reply
        except ValidationError as error:
            reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            log.info("email refused", code=550, reason=reasons)
            return _reply(f"550 5.6.0 The message cannot be taken as a contact: {reasons}")
        except IntakeUnavailable as error:
            log.warning("email not accepted: intake unavailable", error=str(error))
            return "451 4.3.0 Contact intake is temporarily unavailable; please try again later"
        except Exception:
            log.exception("email not accepted: unexpected error")
            return "451 4.3.0 Temporary local error; please try again later"
        log.info(
            "email received",
            contact_id=str(accepted.contact_id),
            follow_up=contact_id is not None,
            duplicate=accepted.duplicate,
            attachments=len(mail.attachments),
        )
        return answer

    async def _on_home_loop(self, work: Coroutine[Any, Any, T]) -> T:
        """aiosmtpd's Controller runs its own loop in a thread; Kafka and Mongo clients belong to the service's."""
        home = self.loop
        if home is None or home is asyncio.get_running_loop():
            return await work
        try:
            future = asyncio.run_coroutine_threadsafe(work, home)
        except RuntimeError:
            work.close()
            raise
        return await asyncio.wrap_future(future)


def start_smtp_server(
    handler: EmailIntake, host: str, port: int, max_message_bytes: int, *, server_hostname: str | None = None
) -> Controller:
    """Start the SMTP listener in its own thread; stop it with `.stop()`.

    Call it from the event loop that runs the Intake: messages are handed back to that loop.
    aiosmtpd itself refuses (552) data over `max_message_bytes` and a larger declared SIZE.
    """
    handler.loop = asyncio.get_running_loop()
    controller = Controller(
        handler,
        hostname=host,
        port=port,
        server_hostname=server_hostname,
        data_size_limit=max_message_bytes,
        enable_SMTPUTF8=True,
    )
    controller.start()
    return controller


def _unescape(text: str) -> str:
    """Raw 8-bit header bytes reach us as surrogate escapes: read them as UTF-8."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _reply(text: str) -> str:
    """One line of ASCII: SMTP replies cannot carry line breaks, and aiosmtpd sends ASCII."""
    return " ".join(text.split()).encode("ascii", "replace").decode()
