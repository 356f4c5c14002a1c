"""The email channel: real RFC 5322 messages in, contacts and follow-ups out, SMTP codes back."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import smtplib
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path
from uuid import UUID, uuid5

import pytest
from pymongo import AsyncMongoClient

from frontdoor_intake.channels.email import (
    EmailIntake,
    EmailThreads,
    FileAttachmentStore,
    MailRefused,
    email_contact_id,
    html_to_text,
    parse_email,
    start_smtp_server,
)
from frontdoor_intake.customers import customer_ref
from frontdoor_intake.publishing import Accepted, IntakeUnavailable
from frontdoor_shared.contracts import Channel, ContactFollowUp, ContactKind, ContactReceived
from tests.conftest import free_port

KEY = b"test-key-not-a-secret-0123456789"
NOW = datetime(2010, 1, 11, 10, 0, tzinfo=UTC)
COUNCIL = "contact@council.example.gov.uk"


class FakeIntake:
    """Records what was published; idempotent per channel reference, like KafkaIntake."""

    def __init__(self) -> None:
        self.accepted: list[ContactReceived] = []
        self.follow_ups: list[ContactFollowUp] = []
        self.references: dict[str, UUID] = {}
        self.failure: Exception | None = None

    async def accept(self, contact: ContactReceived) -> Accepted:
        if self.failure:
            raise self.failure
        key = f"{contact.channel.value}:{contact.channel_reference}"
        if key in self.references:
            known = self.references[key]
            return Accepted(known, uuid5(known, "contact.received"), duplicate=True)
        self.references[key] = contact.contact_id
        self.accepted.append(contact)
        return Accepted(contact.contact_id, uuid5(contact.contact_id, "contact.received"))

    async def follow_up(self, message: ContactFollowUp) -> Accepted:
        if self.failure:
            raise self.failure
        key = f"{message.channel.value}:{message.channel_reference}"
        event_id = uuid5(message.contact_id, f"contact.follow_up:{key}")
        if key in self.references:
            return Accepted(message.contact_id, event_id, duplicate=True)
        self.references[key] = message.contact_id
        self.follow_ups.append(message)
        return Accepted(message.contact_id, event_id)


class FakeThreads:
    def __init__(self) -> None:
        self.contacts: dict[str, UUID] = {}
        self.unavailable = False

    async def find_contact(self, message_ids: Iterable[str]) -> UUID | None:
        if self.unavailable:
            raise IntakeUnavailable("the email thread store is unavailable")
        return next((self.contacts[m] for m in message_ids if m in self.contacts), None)

    async def remember(self, message_id: str, contact_id: UUID) -> None:
        if self.unavailable:
            raise IntakeUnavailable("the email thread store is unavailable")
        self.contacts.setdefault(message_id, contact_id)


@pytest.fixture
def intake() -> FakeIntake:
    return FakeIntake()


@pytest.fixture
def threads() -> FakeThreads:
    return FakeThreads()


@pytest.fixture
def store(tmp_path: Path) -> FileAttachmentStore:
    return FileAttachmentStore(tmp_path / "attachments")


@pytest.fixture
def handler(intake: FakeIntake, threads: FakeThreads, store: FileAttachmentStore) -> EmailIntake:
    return EmailIntake(
        intake, threads, store, KEY, max_message_bytes=200_000, max_attachment_bytes=50_000, clock=lambda: NOW
    )


def a_message(
    text: str = "The bins on Wellington Street were not collected this week.",
    *,
    sender: str = "Jo Bloggs <jo.bloggs@example.org>",
    subject: str = "Missed bin collection",
    message_id: str | None = "<first.1@mail.example.org>",
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = COUNCIL
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


def the_event_json(contact: ContactReceived | ContactFollowUp) -> str:
    return contact.model_dump_json()


# --- parsing -----------------------------------------------------------------------------------


async def test_multipart_alternative_takes_the_plain_text(handler: EmailIntake, intake: FakeIntake) -> None:
    message = a_message("Bins missed on Wellington Street.\nSecond week running.")
    message.add_alternative("<html><body><p>Bins missed <b>HTML</b></p></body></html>", subtype="html")
    assert message.get_content_type() == "multipart/alternative"

    reply = await handler.receive(message.as_bytes())

    contact = intake.accepted[0]
    assert reply == f"250 2.0.0 OK: contact {contact.contact_id} accepted"
    assert contact.contact_id == email_contact_id("first.1@mail.example.org")
    assert contact.channel is Channel.EMAIL
    assert contact.channel_reference == "first.1@mail.example.org"
    assert contact.kind is ContactKind.UNCLASSIFIED
    assert contact.subject == "Missed bin collection"
    assert contact.text == "Bins missed on Wellington Street.\nSecond week running."
    assert contact.attachments == ()
    assert contact.received_at == NOW
    assert contact.customer_ref == customer_ref(KEY, email="jo.bloggs@example.org")
    event = the_event_json(contact)
    assert "jo.bloggs" not in event and "Bloggs" not in event


async def test_html_only_mail_becomes_readable_text(handler: EmailIntake, intake: FakeIntake) -> None:
    html = """<html><head><title>Ignore me</title><style>p { color: red }</style>
        <script>alert('no')</script></head>
        <body><p>Dear Council,</p><p>There is a   <b>pothole</b> on
        Station&nbsp;Road &amp; it is deep.<br>Please fix it.</p>
        <ul><li>Outside number 12</li><li>About 30cm wide</li></ul></body></html>"""
    message = a_message()
    message.set_content(html, subtype="html")

    await handler.receive(message.as_bytes())

    assert intake.accepted[0].text == (
        "Dear Council,\n\nThere is a pothole on Station Road & it is deep.\nPlease fix it.\n\n"
        "- Outside number 12\n\n- About 30cm wide"
    )


def test_html_to_text_drops_scripts_styles_and_tags() -> None:
    assert html_to_text("<div>One</div><div>Two<br/>Three</div><script>x()</script><style>a{}</style>") == (
        "One\n\nTwo\nThree"
    )
    assert html_to_text("<pre>  kept\n  lines</pre>") == "kept\nlines"
    assert html_to_text("<p>unclosed <b>tags") == "unclosed tags"


async def test_attachments_are_stored_and_travel_as_metadata_only(
    handler: EmailIntake, intake: FakeIntake, tmp_path: Path
) -> None:
    photo = os.urandom(20_000)
    letter = b"%PDF-1.4 a scanned letter"
    message = a_message("Photos of the fly-tipping attached.")
    message.add_attachment(photo, maintype="image", subtype="jpeg", filename="fly tipping.jpg")
    message.add_attachment(letter, maintype="application", subtype="pdf", filename="C:\\Users\\jo\\letter.pdf")

    reply = await handler.receive(message.as_bytes())

    assert reply.startswith("250 ")
    contact = intake.accepted[0]
    assert contact.text == "Photos of the fly-tipping attached."
    by_name = {a.filename: a for a in contact.attachments}
    assert set(by_name) == {"fly tipping.jpg", "letter.pdf"}
    for name, content, content_type in (
        ("fly tipping.jpg", photo, "image/jpeg"),
        ("letter.pdf", letter, "application/pdf"),
    ):
        attachment = by_name[name]
        digest = hashlib.sha256(content).hexdigest()
        assert attachment.content_type == content_type
        assert attachment.size_bytes == len(content)
        assert attachment.sha256 == digest
        assert attachment.storage_ref == f"attachments/{digest}"
        assert (tmp_path / "attachments" / digest).read_bytes() == content
    event = the_event_json(contact)
    assert base64.b64encode(photo[:300]).decode()[:100] not in event
    assert "a scanned letter" not in event
    assert len(event) < 2_000


async def test_an_attachment_without_text_is_enough(handler: EmailIntake, intake: FakeIntake) -> None:
    message = MIMEMultipart()
    message["From"] = "jo.bloggs@example.org"
    message["Message-ID"] = "<scan@mail.example.org>"
    message.attach(MIMEApplication(b"scan", "pdf"))  # no filename given

    assert (await handler.receive(message.as_bytes())).startswith("250 ")
    [attachment] = intake.accepted[0].attachments
    assert (attachment.filename, attachment.content_type, intake.accepted[0].text) == (
        "attachment-1.pdf",
        "application/pdf",
        "",
    )


async def test_encoded_non_ascii_headers_are_decoded_and_the_name_is_dropped(
    handler: EmailIntake, intake: FakeIntake
) -> None:
    raw = (
        b"From: =?utf-8?q?Ren=C3=A9e_Fran=C3=A7ois?= <renee.francois@example.org>\r\n"
        b"To: contact@council.example.gov.uk\r\n"
        b"Subject: =?utf-8?q?Caf=C3=A9_bins_=E2=80=93_still_not_emptied?=\r\n"
        b"Message-ID: <abc.123@mail.example.org>\r\n"
        b"Date: Mon, 11 Jan 2010 09:58:00 +0000\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n"
        b"\r\n"
        b"The caf=E9 on the corner has bins overflowing.\r\n"
    )

    await handler.receive(raw)

    contact = intake.accepted[0]
    assert contact.subject == "Café bins – still not emptied"
    assert contact.text == "The café on the corner has bins overflowing."
    assert contact.customer_ref == customer_ref(KEY, email="renee.francois@example.org")
    event = the_event_json(contact)
    assert "Ren" not in event and "renee" not in event


def test_a_message_without_message_id_gets_one_from_its_bytes(store: FileAttachmentStore) -> None:
    raw = a_message(message_id=None).as_bytes()
    first = parse_email(raw, KEY, NOW, store)
    assert first.message_id.endswith("@frontdoor.generated")
    assert parse_email(raw, KEY, NOW, store).message_id == first.message_id


def test_parse_refuses_mail_with_nothing_in_it(store: FileAttachmentStore) -> None:
    with pytest.raises(MailRefused) as refused:
        parse_email(a_message("   \n").as_bytes(), KEY, NOW, store)
    assert refused.value.code == 550
    assert "no text and no attachments" in refused.value.message


# --- threads, duplicates -----------------------------------------------------------------------


async def test_a_reply_joins_its_contact(handler: EmailIntake, intake: FakeIntake, threads: FakeThreads) -> None:
    await handler.receive(a_message().as_bytes())
    contact_id = intake.accepted[0].contact_id

    reply = a_message(
        "It still has not been collected.\n\n> The bins on Wellington Street...",
        subject="Re: Missed bin collection",
        message_id="<reply.2@mail.example.org>",
        In_Reply_To="<officer.answer@council.example.gov.uk>",
        References="<first.1@mail.example.org> <officer.answer@council.example.gov.uk>",
    )
    answer = await handler.receive(reply.as_bytes())

    assert answer == f"250 2.0.0 OK: reply added to contact {contact_id}"
    assert len(intake.accepted) == 1
    [follow_up] = intake.follow_ups
    assert follow_up.contact_id == contact_id
    assert follow_up.channel is Channel.EMAIL
    assert follow_up.channel_reference == "reply.2@mail.example.org"
    assert follow_up.text.startswith("It still has not been collected.")
    assert threads.contacts["reply.2@mail.example.org"] == contact_id

    # a reply to the reply, naming only the reply, still finds the contact
    again = a_message("Any news?", message_id="<reply.3@mail.example.org>", In_Reply_To="<reply.2@mail.example.org>")
    assert (await handler.receive(again.as_bytes())).endswith(f"reply added to contact {contact_id}")
    assert [f.contact_id for f in intake.follow_ups] == [contact_id, contact_id]


async def test_a_reply_to_an_unknown_message_is_a_new_contact(handler: EmailIntake, intake: FakeIntake) -> None:
    message = a_message(message_id="<new@mail.example.org>", In_Reply_To="<never.seen@elsewhere.example>")
    await handler.receive(message.as_bytes())
    assert len(intake.accepted) == 1 and intake.follow_ups == []


async def test_the_same_message_twice_is_one_contact(handler: EmailIntake, intake: FakeIntake) -> None:
    raw = a_message().as_bytes()

    first = await handler.receive(raw)
    second = await handler.receive(raw)

    contact_id = email_contact_id("first.1@mail.example.org")
    assert first == f"250 2.0.0 OK: contact {contact_id} accepted"
    assert second == f"250 2.0.0 OK: contact {contact_id} already accepted"
    assert len(intake.accepted) == 1


# --- refusals and failures ---------------------------------------------------------------------


async def test_an_oversized_message_is_refused_with_552(handler: EmailIntake, intake: FakeIntake) -> None:
    message = a_message("x" * 300_000)
    reply = await handler.receive(message.as_bytes())
    assert reply.startswith("552 5.3.4 ")
    assert "largest accepted is 200000" in reply
    assert intake.accepted == []


async def test_an_oversized_attachment_is_refused_with_552(handler: EmailIntake, intake: FakeIntake) -> None:
    message = a_message()
    message.add_attachment(b"\0" * 60_000, maintype="application", subtype="octet-stream", filename="big.bin")
    reply = await handler.receive(message.as_bytes())
    assert reply == "552 5.3.4 Attachment 'big.bin' is 60000 bytes; the largest accepted is 50000 bytes"
    assert intake.accepted == []


async def test_mail_without_from_is_refused(handler: EmailIntake, intake: FakeIntake) -> None:
    message = MIMEText("no sender")
    message["Message-ID"] = "<x@mail.example.org>"
    assert await handler.receive(message.as_bytes()) == "550 5.6.0 The message has no From header"
    assert await handler.receive(b"not an email at all") == "550 5.6.0 The message has no From header"

    no_address = a_message(sender="Jo Bloggs")
    assert await handler.receive(no_address.as_bytes()) == "553 5.1.7 The From header has no valid email address"
    assert intake.accepted == []


async def test_intake_unavailable_is_a_temporary_failure(
    handler: EmailIntake, intake: FakeIntake, threads: FakeThreads
) -> None:
    intake.failure = IntakeUnavailable("the message broker is unavailable")
    raw = a_message().as_bytes()

    reply = await handler.receive(raw)

    assert reply.startswith("451 4.3.0 ")
    assert threads.contacts == {}
    intake.failure = None  # the sending server retries later
    assert (await handler.receive(raw)).startswith("250 ")
    assert threads.contacts == {"first.1@mail.example.org": email_contact_id("first.1@mail.example.org")}


async def test_thread_store_unavailable_is_a_temporary_failure(
    handler: EmailIntake, intake: FakeIntake, threads: FakeThreads
) -> None:
    threads.unavailable = True
    assert (await handler.receive(a_message().as_bytes())).startswith("451 4.3.0 ")


async def test_an_unexpected_error_is_answered_not_raised(handler: EmailIntake, intake: FakeIntake) -> None:
    intake.failure = RuntimeError("bug")
    assert await handler.receive(a_message().as_bytes()) == "451 4.3.0 Temporary local error; please try again later"


# --- the Mongo thread store --------------------------------------------------------------------


@pytest.mark.integration
async def test_email_threads_in_mongo() -> None:
    client: AsyncMongoClient = AsyncMongoClient(
        os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017"), serverSelectionTimeoutMS=5_000
    )
    database = f"frontdoor_email_{uuid.uuid4().hex[:10]}"
    try:
        threads = EmailThreads(client[database]["email_threads"])
        contact_id, other = uuid.uuid4(), uuid.uuid4()
        assert await threads.find_contact(["a@x"]) is None
        assert await threads.find_contact([]) is None
        await threads.remember("a@x", contact_id)
        await threads.remember("a@x", other)  # the first contact stays
        await threads.remember("b@x", contact_id)
        assert await threads.find_contact(["zzz@x", "a@x"]) == contact_id
        assert await threads.find_contact(["b@x"]) == contact_id
    finally:
        await client.drop_database(database)
        await client.close()


# --- over SMTP ---------------------------------------------------------------------------------


def send(port: int, raw: bytes, *, rcpt: str = COUNCIL, mail_options: tuple[str, ...] = ()) -> tuple[int, bytes]:
    """One message over SMTP; the reply of the step that answered last."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        code, answer = client.mail("jo.bloggs@example.org", list(mail_options))
        if code != 250:
            return code, answer
        code, answer = client.rcpt(rcpt)
        if code != 250:
            return code, answer
        return client.data(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))  # smtplib sends bytes as they are


async def test_over_smtp(intake: FakeIntake, threads: FakeThreads, store: FileAttachmentStore) -> None:
    handler = EmailIntake(
        intake, threads, store, KEY, max_message_bytes=100_000, recipients=[COUNCIL.upper()], clock=lambda: NOW
    )
    port = free_port()
    controller = start_smtp_server(handler, "127.0.0.1", port, 100_000, server_hostname="frontdoor.test")
    try:
        code, answer = await asyncio.to_thread(send, port, a_message().as_bytes())
        assert code == 250, answer
        assert answer.decode() == f"2.0.0 OK: contact {intake.accepted[0].contact_id} accepted"

        reply = a_message("Any news?", message_id="<r@mail.example.org>", In_Reply_To="<first.1@mail.example.org>")
        code, _ = await asyncio.to_thread(send, port, reply.as_bytes())
        assert code == 250 and len(intake.follow_ups) == 1

        code, answer = await asyncio.to_thread(send, port, a_message().as_bytes(), rcpt="someone@elsewhere.example")
        assert (code, answer) == (550, b"5.1.1 someone@elsewhere.example is not a mailbox of this council")

        no_from = MIMEText("anonymous")
        code, answer = await asyncio.to_thread(send, port, no_from.as_bytes())
        assert (code, answer) == (550, b"5.6.0 The message has no From header")

        code, _ = await asyncio.to_thread(send, port, a_message(("x" * 70 + "\n") * 2_000).as_bytes())
        assert code == 552
        code, _ = await asyncio.to_thread(send, port, a_message().as_bytes(), mail_options=("SIZE=150000",))
        assert code == 552

        intake.failure = IntakeUnavailable("the message broker is unavailable")
        code, answer = await asyncio.to_thread(send, port, a_message(message_id="<later@x.org>").as_bytes())
        assert code == 451, answer
        assert len(intake.accepted) == 1
    finally:
        await asyncio.to_thread(controller.stop)
