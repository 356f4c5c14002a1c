"""Frontdoor reporting: `python -m frontdoor_reporting` serves; `... rebuild [--into DB]` replays Kafka."""

import argparse
import asyncio
import sys

from frontdoor_shared.service import run_service

from .app import create_app
from .settings import ReportingSettings


def main() -> None:
    if sys.argv[1:2] == ["rebuild"]:
        sys.exit(rebuild_command(sys.argv[2:]))
    run_service("reporting", ReportingSettings, create_app)


def rebuild_command(argv: list[str]) -> int:
    from .rebuild import rebuild

    parser = argparse.ArgumentParser(
        prog="frontdoor reporting rebuild",
        description="Replay every topic reporting consumes, from the beginning, into fresh projections, "
        "and compare them with the live ones.",
    )
    parser.add_argument("--into", help="the database to rebuild into (default: the live database's name + _rebuilt)")
    parser.add_argument("--no-compare", action="store_true", help="rebuild only; do not compare with the live ones")
    args = parser.parse_args(argv)
    settings = ReportingSettings()
    into = args.into or f"{settings.mongodb_database}_rebuilt"

    def progress(topic: str, done: int, total: int, width: int = 40) -> None:
        filled = int(width * done / total) if total else width
        end = "\n" if done >= total else ""
        print(
            f"\r{topic:<32} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}",
            end=end,
            flush=True,
            file=sys.stderr,
        )

    replays, comparisons = asyncio.run(rebuild(settings, into, progress, check=not args.no_compare))
    for replay in replays:
        skipped = f" ({replay.skipped:,} not events, as in the dead-letter topic)" if replay.skipped else ""
        print(f"{replay.topic}: {replay.read:,} messages replayed{skipped}")
    for comparison in comparisons:
        verdict = "identical" if comparison.identical else f"DIFFERENT, e.g. {', '.join(comparison.differing[:5])}"
        print(f"{comparison.collection}: live {comparison.live:,}, rebuilt {comparison.rebuilt:,}: {verdict}")
    print(f"rebuilt into database {into!r}")
    return 0 if all(c.identical for c in comparisons) else 1


if __name__ == "__main__":
    main()
