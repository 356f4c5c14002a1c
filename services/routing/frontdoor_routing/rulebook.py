"""The rules in force, reloaded from their file without a restart.

A reload that fails keeps the rules already running and records why, so a typo
in the file never stops routing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from frontdoor_shared.logging import get_logger

from .config import ConfigError, load_rules
from .domain.directory import Directory
from .domain.rules import RuleSet

log = get_logger(__name__)


class RuleBook:
    def __init__(self, path: Path, directory: Directory) -> None:
        self.path = path
        self.directory = directory
        self._stamp = self._file_stamp()
        self.current: RuleSet = load_rules(path, directory)
        self.loaded_at = datetime.now(UTC)
        self.last_error: str | None = None

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def reload(self) -> RuleSet:
        """Load the file again; on error keep the current rules and raise ConfigError saying why."""
        self._stamp = self._file_stamp()
        try:
            candidate = load_rules(self.path, self.directory)
        except ConfigError as error:
            self.last_error = str(error)
            log.error(
                "routing rules not reloaded; the previous rules stay in force",
                error=self.last_error,
                rules_version=self.current.version,
            )
            raise
        previous, self.current = self.current.version, candidate
        self.loaded_at, self.last_error = datetime.now(UTC), None
        log.info("routing rules reloaded", rules_version=candidate.version, previous_version=previous)
        return candidate

    def reload_if_changed(self) -> bool:
        """Reload when the file changed since it was last read; True when new rules are in force."""
        if self._file_stamp() == self._stamp:
            return False
        try:
            self.reload()
        except ConfigError:
            return False
        return True

    def status(self) -> dict[str, object]:
        return {
            "rules_version": self.current.version,
            "rules_path": str(self.path),
            "loaded_at": self.loaded_at.isoformat(),
            "rules": len(self.current.rules),
            "last_reload_error": self.last_error,
        }
