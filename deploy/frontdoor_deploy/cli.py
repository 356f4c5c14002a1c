"""The `frontdoor` command: run Frontdoor locally and look after its contracts."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .infrastructure import HOME, REPO, bring_down, bring_up
from .services import SERVICES, ServiceProcess

SAMPLES = REPO / "deploy" / "samples" / "web-contacts.json"


def local_secret(name: str) -> str:
    """A secret for running locally: the environment's if set, else one generated once into .frontdoor/secrets/."""
    if value := os.environ.get(name.upper()):
        return value
    path = HOME / "secrets" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def service_processes(kafka: str, mongodb: str) -> list[ServiceProcess]:
    integration = local_secret("integration_key")
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "MONGODB_URL": mongodb,
        "CUSTOMER_REF_KEY": local_secret("customer_ref_key"),
        "INTEGRATION_API_KEYS": os.environ.get("INTEGRATION_API_KEYS", json.dumps({"local": integration})),
        "OPEN311_API_KEYS": os.environ.get("OPEN311_API_KEYS", json.dumps({"local": integration})),
        "FACEBOOK_APP_SECRET": local_secret("facebook_app_secret"),
        "FACEBOOK_VERIFY_TOKEN": local_secret("facebook_verify_token"),
        "X_CONSUMER_SECRET": local_secret("x_consumer_secret"),
        "ATTACHMENT_DIR": str(HOME / "attachments"),
    }
    return [ServiceProcess(name, port, HOME / "run", env) for name, port in SERVICES.items()]


def up(args: argparse.Namespace) -> int:
    print("Bringing up Kafka and MongoDB ...", flush=True)
    infra = bring_up()
    print(infra.describe())
    if args.infrastructure_only:
        return 0
    for service in service_processes(infra.kafka_bootstrap_servers, infra.mongodb_url):
        service.start()
        print(f"  {service.name:<11} ready at {service.url}  (log: {service.log_path})")
    print(f"Keys for machine integrations and webhooks (local only): {HOME / 'secrets'}/")
    return 0


def down(args: argparse.Namespace) -> int:
    for service in service_processes("", ""):
        if service.pid() is not None:
            service.stop()
            print(f"stopped {service.name}")
    for name in bring_down():
        print(f"stopped {name}")
    return 0


def demo(args: argparse.Namespace) -> int:
    up(argparse.Namespace(infrastructure_only=False))
    contacts = json.loads(SAMPLES.read_text())
    intake, reporting = f"http://127.0.0.1:{SERVICES['intake']}", f"http://127.0.0.1:{SERVICES['reporting']}"
    print(f"\nPosting {len(contacts)} sample contacts to {intake}/v1/contacts ...")
    posted = set()
    for form in contacts:
        answer = _http("POST", f"{intake}/v1/contacts", form)
        posted.add(answer["contact_id"])
        print(f"  {form['submission_id']}: contact {answer['contact_id']} accepted")
    print("\nWaiting for them to be routed and projected ...")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        stats = _http("GET", f"{reporting}/v1/stats")
        if stats["total"] >= len(posted):
            break
        time.sleep(0.5)
    print(f"\n{'day':<11} {'channel':<10} {'department or agency':<32} contacts")
    for row in stats["rows"]:
        print(f"{row['day']:<11} {row['channel']:<10} {row['destination']:<32} {row['contacts']}")
    print(
        f"\nWhere to look:\n"
        f"  contacts by day, channel and department: {reporting}/v1/stats\n"
        f"  live dashboard of today's contact:       {reporting}/dashboard\n"
        f"  this council year's report (HTML):       {reporting}/v1/reports/annual.html?year={_council_year()}\n"
        f"  complaint and compliment cases:          http://127.0.0.1:{SERVICES['complaints']}/v1/cases\n"
        f"  post your own contact (OpenAPI):         {intake}/docs\n"
        f"  service logs (JSON):                     {HOME / 'run'}/<service>.log\n"
        f"  topic contract (AsyncAPI):               {REPO / 'docs' / 'contracts' / 'asyncapi.yaml'}\n"
        f"Stop everything with: frontdoor down"
    )
    return 0 if stats["total"] >= len(posted) else 1


def _council_year() -> str:
    from datetime import date

    today = date.today()
    start = today.year if today.month >= 4 else today.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def status(args: argparse.Namespace) -> int:
    for service in service_processes("", ""):
        print(f"{service.name:<11} {'running, pid ' + str(service.pid()) if service.pid() else 'stopped'}")
    return 0


def contracts(args: argparse.Namespace) -> int:
    from .contracts import drifted_contracts, write_contracts

    if args.check:
        drifted = drifted_contracts()
        for path in drifted:
            print(f"out of date: {path.relative_to(REPO)}", file=sys.stderr)
        return 1 if drifted else 0
    for path in write_contracts():
        print(f"wrote {path.relative_to(REPO)}")
    return 0


def routing_explain(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime
    from uuid import uuid4

    from pydantic import ValidationError

    from frontdoor_routing.explain import decision_as_dict, decision_as_text
    from frontdoor_shared.contracts import ContactReceived

    rules = _load_rules(args.rules, args.directory)
    try:
        contact = ContactReceived(
            contact_id=uuid4(),
            channel=args.channel,
            channel_reference="explain",
            kind=args.kind,
            subject=args.subject,
            text=args.text,
            location={"postcode": args.postcode, "ward": args.ward} if args.postcode or args.ward else None,
            received_at=datetime.fromisoformat(args.at) if args.at else datetime.now(UTC),
        )
    except (ValidationError, ValueError) as error:
        raise RuntimeError(f"not a contact that can be routed: {error}") from None
    decision = rules.decide(contact)
    print(json.dumps(decision_as_dict(decision), indent=2) if args.json else decision_as_text(decision))
    return 0


def routing_simulate(args: argparse.Namespace) -> int:
    import asyncio
    from datetime import date

    from frontdoor_routing.explain import simulate
    from frontdoor_routing.past_contacts import received_between
    from frontdoor_routing.settings import RoutingSettings

    settings = RoutingSettings()
    current = _load_rules(None, args.directory)
    candidate = _load_rules(args.rules, args.directory)
    first, last = date.fromisoformat(args.first), date.fromisoformat(args.last)
    if first > last:
        raise RuntimeError(f"--from {first} is after --to {last}")

    async def replay():
        return [contact async for contact in received_between(settings, first, last, current.zone)]

    report = simulate(asyncio.run(replay()), current, candidate)
    print(json.dumps(report.as_dict(), indent=2) if args.json else report.as_text())
    return 0


def ingest(args: argparse.Namespace) -> int:
    """Bulk import: web contacts (JSON Lines) or scanned letters (CSV or JSON Lines), in chunks, with progress."""
    from collections import Counter

    path = Path(args.file)
    if not path.is_file():
        raise RuntimeError(f"{path}: no such file")
    text = path.read_text(encoding="utf-8-sig")
    is_csv = path.suffix.lower() == ".csv"
    if is_csv:
        table = list(csv.reader(io.StringIO(text)))
        header, rows = table[0], [row for row in table[1:] if any(cell.strip() for cell in row)]
    else:
        header, rows = [], [line for line in text.splitlines() if line.strip()]
    if args.channel == "web" and is_csv:
        raise RuntimeError("web contacts are imported from JSON Lines (.jsonl), one form per line")
    base = args.url.rstrip("/")
    headers = {"X-Api-Key": os.environ.get("INTAKE_API_KEY", "")}
    outcome: Counter[str] = Counter()
    problems: list[str] = []
    for start in range(0, len(rows), args.chunk):
        chunk = rows[start : start + args.chunk]
        if args.channel == "web":
            try:
                forms = [json.loads(line) for line in chunk]
            except json.JSONDecodeError as error:
                raise RuntimeError(f"{path}: a line near row {start + 1} is not JSON: {error.msg}") from None
            answers = _http("POST", f"{base}/v1/contacts/batch", forms)
            rows_of = [start + item["index"] + 1 for item in answers]
        else:
            body = (_csv_text([header, *chunk]) if is_csv else "\n".join(chunk)).encode()
            kind = "text/csv" if is_csv else "application/x-ndjson"
            answers = _http_raw("POST", f"{base}/v1/letters/import", body, headers | {"content-type": kind})
            rows_of = [start + item["row"] for item in answers]
        for row, item in zip(rows_of, answers, strict=True):
            outcome[item["status"]] += 1
            if item["status"] in ("invalid", "unavailable"):
                problems.append(f"row {row}: {item['status']} {json.dumps(item.get('errors') or '')[:300]}")
        _progress(min(start + args.chunk, len(rows)), len(rows))
    print(f"\n{path.name}: " + ", ".join(f"{n} {status}" for status, n in sorted(outcome.items())))
    for problem in problems[:50]:
        print(f"  {problem}")
    if len(problems) > 50:
        print(f"  ... and {len(problems) - 50} more")
    return 0 if not outcome["unavailable"] else 1


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _progress(done: int, total: int, width: int = 40) -> None:
    filled = int(width * done / total) if total else width
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", flush=True, file=sys.stderr)


def _http_raw(method: str, url: str, body: bytes, headers: dict[str, str]) -> list:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise RuntimeError(
            f"{url} refused the batch ({error.code}): {error.read().decode(errors='replace')[:500]}"
        ) from None


def samples(args: argparse.Namespace) -> int:
    """Send the documented example of every channel to the running intake service and show each answer."""
    from .samples import send_all

    sent = send_all(args.url, (args.smtp_host, args.smtp_port), local_secret)
    failed = 0
    for channel, status, answer in sent:
        ok = status < 300 or status == 207
        failed += not ok
        print(f"{'ok ' if ok else 'BAD'} {channel:<28} {status}  {answer[:160]}")
    return 1 if failed else 0


def dlq(args: argparse.Namespace) -> int:
    """Dead letters: list the topics and why, show one topic's letters, or replay them after a fix."""
    import asyncio

    from . import dead_letters

    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    if args.action == "list":
        topics = [args.topic] if args.topic else asyncio.run(dead_letters.dead_letter_topics(bootstrap))
        for topic in topics:
            count, reasons = asyncio.run(dead_letters.summary(bootstrap, topic))
            print(f"{topic}: {count} dead letter{'s' if count != 1 else ''}")
            for reason, n in reasons.most_common(10):
                print(f"  {n:>6}  {reason}")
        return 0
    if not args.topic:
        raise RuntimeError(f"dlq {args.action} needs the dead-letter topic, e.g. contacts.received.dlq")
    if args.action == "show":

        async def show() -> None:
            shown = 0
            async for _, letter in dead_letters.read(bootstrap, args.topic):
                print(
                    f"[{letter.partition}:{letter.offset}] from {letter.original_topic} "
                    f"at {letter.headers.get('x-dead-letter-at', '?')}\n  reason: {letter.reason}\n"
                    f"  value: {letter.value[:300]!r}"
                )
                shown += 1
                if shown >= args.limit:
                    break

        asyncio.run(show())
        return 0
    sent = asyncio.run(dead_letters.replay(bootstrap, args.topic))
    print(f"replayed {sent} dead letter{'s' if sent != 1 else ''} from {args.topic} to their original topics")
    return 0


def report_annual(args: argparse.Namespace) -> int:
    """Fetch the annual report from the reporting service as one HTML file, and print it to PDF if Chromium is here."""
    import shutil
    import subprocess
    import urllib.parse

    query = {"year": args.year} if args.year else {"from": args.first, "to": args.last}
    url = f"{args.url.rstrip('/')}/v1/reports/annual.html?{urllib.parse.urlencode(query)}"
    try:
        with urllib.request.urlopen(url, timeout=600) as response:
            html = response.read()
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"the reporting service refused: {error.read().decode(errors='replace')[:300]}") from None
    except urllib.error.URLError as error:
        raise RuntimeError(f"cannot reach the reporting service at {args.url}: {error.reason}") from None
    label = (args.year or f"{args.first}_{args.last}").replace("/", "-")
    out = Path(args.out or f"customer-services-report-{label}.html").resolve()
    out.write_bytes(html)
    print(f"wrote {out}")
    if not args.pdf:
        return 0
    found = (shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome"))
    browser = next((path for path in found if path), None)
    if browser is None:
        raise RuntimeError("no PDF renderer: install Chromium (Debian: apt-get install chromium) for --pdf")
    pdf = out.with_suffix(".pdf")
    command = [browser, "--headless", "--disable-gpu", f"--print-to-pdf={pdf}", "--no-pdf-header-footer"]
    if os.geteuid() == 0:
        command.append("--no-sandbox")  # Chromium refuses root without it
    result = subprocess.run([*command, out.as_uri()], capture_output=True, timeout=300)
    if result.returncode != 0 or not pdf.exists():
        raise RuntimeError(f"Chromium could not print the PDF: {result.stderr.decode(errors='replace')[-300:]}")
    print(f"wrote {pdf}")
    return 0


def reporting_rebuild(args: argparse.Namespace) -> int:
    from frontdoor_reporting.__main__ import rebuild_command

    return rebuild_command(args.options)


def _load_rules(rules_path: str | None, directory_path: str | None):
    from frontdoor_routing.config import ConfigError, load_directory, load_rules
    from frontdoor_routing.settings import RoutingSettings

    defaults = RoutingSettings()
    try:
        directory = load_directory(Path(directory_path) if directory_path else defaults.routing_directory_path)
        return load_rules(Path(rules_path) if rules_path else defaults.routing_rules_path, directory)
    except ConfigError as error:
        raise RuntimeError(str(error)) from None


def _http(method: str, url: str, body: object | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="frontdoor", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("up", help="start Kafka, MongoDB and the four services (reusing what runs)")
    command.add_argument("--infrastructure-only", action="store_true", help="start Kafka and MongoDB only")
    command.set_defaults(run=up)
    commands.add_parser("down", help="stop what `frontdoor up` started, and nothing else").set_defaults(run=down)
    commands.add_parser(
        "demo", help="bring everything up, push sample contacts through, show the figures"
    ).set_defaults(run=demo)
    commands.add_parser("status", help="which services are running").set_defaults(run=status)
    command = commands.add_parser("contracts", help="write the event JSON Schemas and the AsyncAPI document")
    command.add_argument("--check", action="store_true", help="fail if the committed files differ from the code")
    command.set_defaults(run=contracts)
    command = commands.add_parser("ingest", help="bulk import a file of contacts, with progress and a summary")
    command.add_argument("file", help="web contacts as JSON Lines, or letters as CSV or JSON Lines")
    command.add_argument("--channel", choices=["web", "letters"], default="letters")
    command.add_argument("--url", default=f"http://127.0.0.1:{SERVICES['intake']}", help="the intake service")
    command.add_argument("--chunk", type=int, default=500, help="records sent per request")
    command.set_defaults(run=ingest)
    command = commands.add_parser("samples", help="send one documented example per channel to the running intake")
    command.add_argument("--url", default=f"http://127.0.0.1:{SERVICES['intake']}")
    command.add_argument("--smtp-host", default="127.0.0.1")
    command.add_argument("--smtp-port", type=int, default=8025)
    command.set_defaults(run=samples)
    command = commands.add_parser("dlq", help="list, show or replay dead letters")
    command.add_argument("action", choices=["list", "show", "replay"])
    command.add_argument("topic", nargs="?", help="a dead-letter topic, e.g. contacts.received.dlq")
    command.add_argument("--limit", type=int, default=50, help="most letters `show` prints")
    command.set_defaults(run=dlq)
    routing = commands.add_parser("routing", help="explain a routing decision, or try rules against past contacts")
    routing_commands = routing.add_subparsers(dest="routing_command", required=True)
    explain = routing_commands.add_parser("explain", help="show where a contact would go, and why")
    explain.add_argument("text", help="what the customer wrote or said")
    explain.add_argument("--channel", default="web", help="phone, face_to_face, web, email, ... (default web)")
    explain.add_argument("--kind", default="unclassified", help="the kind the channel gave, if any")
    explain.add_argument("--subject")
    explain.add_argument("--postcode")
    explain.add_argument("--ward")
    explain.add_argument("--at", help="when it was received, ISO 8601 with offset (default now)")
    explain.add_argument("--rules", help="rules file (default: the rules in force)")
    explain.add_argument("--directory", help="directory file (default: the directory in force)")
    explain.add_argument("--json", action="store_true", help="the whole decision as one JSON object")
    explain.set_defaults(run=routing_explain)
    sim = routing_commands.add_parser(
        "simulate", help="replay stored contacts through candidate rules; publishes nothing"
    )
    sim.add_argument("--rules", required=True, help="the candidate rules file")
    sim.add_argument("--from", dest="first", required=True, help="first day, YYYY-MM-DD")
    sim.add_argument("--to", dest="last", required=True, help="last day, YYYY-MM-DD")
    sim.add_argument("--directory", help="directory file (default: the directory in force)")
    sim.add_argument("--json", action="store_true")
    sim.set_defaults(run=routing_simulate)
    report = commands.add_parser("report", help="the customer-services report, as a committee reads it")
    report_commands = report.add_subparsers(dest="report_command", required=True)
    annual = report_commands.add_parser("annual", help="the annual report as one HTML file (and PDF with --pdf)")
    annual.add_argument("--year", help="a council year such as 2009/10, or a calendar year such as 2009")
    annual.add_argument("--from", dest="first", help="first day, YYYY-MM-DD (with --to, instead of --year)")
    annual.add_argument("--to", dest="last", help="last day, YYYY-MM-DD")
    annual.add_argument("--url", default=os.environ.get("REPORTING_URL", "http://127.0.0.1:8004"))
    annual.add_argument("--out", help="the HTML file to write (default: customer-services-report-<year>.html)")
    annual.add_argument("--pdf", action="store_true", help="also print it to PDF with headless Chromium")
    annual.set_defaults(run=report_annual)
    reporting = commands.add_parser("reporting", help="look after the reporting projections")
    reporting_commands = reporting.add_subparsers(dest="reporting_command", required=True)
    rebuild = reporting_commands.add_parser(
        "rebuild", help="replay Kafka from the beginning into fresh projections and compare them with the live ones"
    )
    rebuild.add_argument("options", nargs=argparse.REMAINDER, help="--into DATABASE, --no-compare")
    rebuild.set_defaults(run=reporting_rebuild)
    args = parser.parse_args(argv)
    if args.command == "report" and not args.year and not (args.first and args.last):
        parser.error("report annual needs --year, or both --from and --to")
    try:
        return args.run(args)
    except RuntimeError as error:
        print(f"frontdoor {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
