"""The four services as background processes: started, checked for readiness, stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = {"intake": 8001, "routing": 8002, "complaints": 8003, "reporting": 8004}


@dataclass
class ServiceProcess:
    name: str
    port: int
    run_dir: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.run_dir / f"{self.name}.log"

    @property
    def _pidfile(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    def pid(self) -> int | None:
        try:
            pid = int(self._pidfile.read_text())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        return pid

    def start(self, timeout: float = 90) -> None:
        """Start unless already running, then wait for /readyz."""
        if self.pid() is None:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            env = os.environ | self.env | {"HTTP_PORT": str(self.port), "LOG_FORMAT": "json"}
            with self.log_path.open("ab") as log:
                process = subprocess.Popen(
                    [sys.executable, "-m", f"frontdoor_{self.name}"],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            self._pidfile.write_text(str(process.pid))
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.pid() is None:
                raise RuntimeError(f"{self.name} exited during start-up; see {self.log_path}:\n{self._log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=3) as response:
                    if response.status == 200:
                        return
            except urllib.error.HTTPError as error:
                last = error.read().decode(errors="replace")
            except OSError as error:
                last = str(error)
            time.sleep(0.3)
        raise RuntimeError(
            f"{self.name} not ready after {timeout:.0f}s ({last}); see {self.log_path}:\n{self._log_tail()}"
        )

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 40) -> None:
        pid = self.pid()
        if pid is not None:
            os.kill(pid, sig)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    finished, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    finished = pid if not _alive(pid) else 0
                if finished:
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
        self._pidfile.unlink(missing_ok=True)

    def kill(self) -> None:
        """kill -9: no shutdown, no commit; what it was doing is redelivered to its successor."""
        self.stop(signal.SIGKILL, timeout=10)

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return True
