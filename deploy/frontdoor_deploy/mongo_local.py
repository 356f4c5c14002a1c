"""A local MongoDB stand-in for Frontdoor: mongo-java-server on loopback.

There is no Docker engine and no mongod on the machines Frontdoor runs on, so
local runs and CI use ``de.bwaldvogel:mongo-java-server`` with its H2 (MVStore)
on-disk backend, wrapped in our own main class (``deploy/mongo``). It speaks
the MongoDB wire protocol well enough for PyMongo's sync and async clients.

Layout under ``home`` (a git-ignored folder, normally ``<repo>/.frontdoor``)::

    home/jars/mongo/        runtime classpath (our jar + dependencies) and a build stamp
    home/build/mongo/       Maven's scratch build directory (removed after a build)
    home/mongo/frontdoor.mv.db   the H2 data file (survives stop/start)
    home/mongo/standin.log  server output
    home/mongo/standin.pid  pid + port of the server *we* started

Only the standard library is used, plus ``pymongo`` (imported lazily) for the
readiness probe.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator

__all__ = ["LocalMongo"]

HOST = "127.0.0.1"
MAIN_CLASS = "uk.frontdoor.standin.MongoStandIn"

_MONGO_PROJECT = pathlib.Path(__file__).resolve().parent.parent / "mongo"
_POM = _MONGO_PROJECT / "pom.xml"
_SOURCES = _MONGO_PROJECT / "src"
_VERSION_PROPERTY = "mongo-java-server.version"
_STAMP_NAME = ".frontdoor-build.json"
_LOG_ROTATE_BYTES = 10 * 1024 * 1024
_TAIL_LINES = 40


def _pinned_version() -> str:
    """The mongo-java-server version pinned in deploy/mongo/pom.xml."""
    root = ET.parse(_POM).getroot()
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == _VERSION_PROPERTY and el.text and el.text.strip():
            return el.text.strip()
    raise RuntimeError(f"{_POM} does not define <{_VERSION_PROPERTY}>")


def _inputs_digest() -> str:
    """Hash of everything that goes into the build (pom + Java sources)."""
    h = hashlib.sha256()
    files = [_POM, *sorted(p for p in _SOURCES.rglob("*") if p.is_file())]
    for path in files:
        h.update(str(path.relative_to(_MONGO_PROJECT)).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _tail(path: pathlib.Path, lines: int = _TAIL_LINES) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 256 * 1024))
            data = f.read().decode("utf-8", errors="replace")
    except OSError as e:
        return f"(no log at {path}: {e})"
    return "\n".join(data.splitlines()[-lines:])


@contextlib.contextmanager
def _flock(path: pathlib.Path) -> Iterator[None]:
    """Exclusive advisory lock so two Frontdoor processes don't race."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class LocalMongo:
    """Build, start, probe and stop the loopback MongoDB stand-in."""

    def __init__(self, home: pathlib.Path, port: int = 27017, heap: str = "256m"):
        if not re.fullmatch(r"[1-9]\d*[mMgG]", heap):
            raise ValueError(f"the stand-in's heap (FRONTDOOR_MONGO_HEAP) must look like '256m' or '4g', got {heap!r}")
        self.home = pathlib.Path(home).resolve()
        self.port = int(port)
        self.heap = heap
        self.jars_dir = self.home / "jars" / "mongo"
        self.build_dir = self.home / "build" / "mongo"
        self.data_dir = self.home / "mongo"
        self.db_file = self.data_dir / "frontdoor.mv.db"
        self.log_file = self.data_dir / "standin.log"
        self.pid_file = self.data_dir / "standin.pid"
        self._proc: subprocess.Popen | None = None

    # ------------------------------------------------------------------ public

    @property
    def url(self) -> str:
        return f"mongodb://{HOST}:{self.port}"

    def ensure_jars(self) -> None:
        """Build the stand-in with Maven once; a no-op while the build is current."""
        if self._jars_current():
            return
        lock = self.home / "jars" / ".mongo-build.lock"
        with _flock(lock):
            if self._jars_current():  # another process built it meanwhile
                return
            self._build()

    def is_running(self) -> bool:
        """True if our pidfile names a live stand-in and its port accepts connections."""
        pid, port = self._read_pidfile()
        if pid is None or port != self.port:
            return False
        if not (self._pid_alive(pid) and self._pid_is_ours(pid)):
            return False
        return self._port_answers()

    def start(self, timeout: float = 60) -> str:
        """Start (or reuse) the stand-in; returns the connection URL once ``ping`` works."""
        if self.is_running():
            return self.url
        self._require_pymongo()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with _flock(self.data_dir / ".lock"):
            if self.is_running():
                return self.url
            self._forget_stale_pidfile()
            if self._port_answers():
                raise RuntimeError(
                    f"{HOST}:{self.port} is already in use by a process Frontdoor did not start "
                    f"(no live stand-in in {self.pid_file}); stop it or pick another port"
                )
            self.ensure_jars()
            java = self._java()
            cmd = [
                java,
                f"-Xmx{self.heap}",
                "-XX:+UseSerialGC",
                "-XX:+ExitOnOutOfMemoryError",
                "-Dfile.encoding=UTF-8",
                "-cp",
                str(self.jars_dir / "*"),
                MAIN_CLASS,
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--db",
                str(self.db_file),
            ]
            self._rotate_log()
            with open(self.log_file, "ab") as log:
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
                log.write(f"\n=== {stamp} Frontdoor LocalMongo start: {' '.join(cmd)}\n".encode())
                log.flush()
                proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.data_dir,
                    start_new_session=True,
                    close_fds=True,
                )
            self._proc = proc
            self._write_pidfile(proc.pid)

            deadline = time.monotonic() + timeout
            while True:
                rc = proc.poll()
                if rc is not None:
                    self._remove_pidfile()
                    raise RuntimeError(
                        f"MongoDB stand-in exited with code {rc} during start-up "
                        f"(log {self.log_file}):\n{_tail(self.log_file)}"
                    )
                if self._port_answers() and self._ping():
                    return self.url
                if time.monotonic() >= deadline:
                    self._terminate(proc.pid, grace=5)
                    self._remove_pidfile()
                    raise RuntimeError(
                        f"MongoDB stand-in did not answer ping on {HOST}:{self.port} within "
                        f"{timeout:g}s (log {self.log_file}):\n{_tail(self.log_file)}"
                    )
                time.sleep(0.2)

    def stop(self, timeout: float = 20) -> None:
        """Stop the stand-in named by our pidfile (SIGTERM, then SIGKILL); never anything else."""
        pid, _port = self._read_pidfile()
        if pid is None:
            return
        if self._pid_alive(pid) and self._pid_is_ours(pid):
            self._terminate(pid, grace=timeout)
        self._remove_pidfile()

    # ---------------------------------------------------------------- building

    def _stamp(self) -> dict:
        return {"mongo_java_server": _pinned_version(), "inputs": _inputs_digest()}

    def _jars_current(self) -> bool:
        stamp_file = self.jars_dir / _STAMP_NAME
        try:
            recorded = json.loads(stamp_file.read_text())
        except (OSError, ValueError):
            return False
        wanted = self._stamp()
        if recorded != wanted:
            return False
        required = [
            "frontdoor-mongo-standin.jar",
            f"mongo-java-server-core-{wanted['mongo_java_server']}.jar",
            f"mongo-java-server-h2-backend-{wanted['mongo_java_server']}.jar",
        ]
        return all((self.jars_dir / name).is_file() for name in required)

    def _build(self) -> None:
        mvn = shutil.which("mvn")
        if mvn is None:
            raise RuntimeError(
                "Apache Maven ('mvn') was not found on PATH; it is needed once to build the "
                "MongoDB stand-in (install Maven 3.8+, e.g. `apt-get install maven`)"
            )
        java = self._java()  # fail early with a clear message
        stamp = self._stamp()
        partial = self.jars_dir.with_name(self.jars_dir.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(self.build_dir, ignore_errors=True)
        cmd = [
            mvn,
            "-q",
            "-B",
            "-Dstyle.color=never",
            "-f",
            str(_POM),
            f"-Dfrontdoor.buildDir={self.build_dir}",
            f"-Dfrontdoor.jarsDir={partial}",
            "package",
        ]
        env = dict(os.environ)
        if not env.get("JAVA_HOME"):
            # Let Maven compile with the same JDK we will run with.
            env["JAVA_HOME"] = str(pathlib.Path(os.path.realpath(java)).parent.parent)
        result = subprocess.run(
            cmd,
            cwd=_MONGO_PROJECT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        if result.returncode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            tail = "\n".join(result.stdout.splitlines()[-_TAIL_LINES:])
            raise RuntimeError(
                f"building the MongoDB stand-in failed (exit {result.returncode}): {' '.join(cmd)}\n{tail}"
            )
        (partial / _STAMP_NAME).write_text(json.dumps(stamp, indent=2) + "\n")
        shutil.rmtree(self.jars_dir, ignore_errors=True)
        partial.rename(self.jars_dir)
        shutil.rmtree(self.build_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.build_dir.parent.rmdir()  # only if empty

    @staticmethod
    def _java() -> str:
        java = shutil.which("java")
        if java:
            return java
        java_home = os.environ.get("JAVA_HOME")
        if java_home:
            candidate = pathlib.Path(java_home) / "bin" / "java"
            if os.access(candidate, os.X_OK):
                return str(candidate)
        raise RuntimeError(
            "'java' was not found on PATH or in $JAVA_HOME/bin; the MongoDB stand-in needs a "
            "Java 17+ runtime (e.g. `apt-get install openjdk-17-jdk-headless`)"
        )

    # ------------------------------------------------------------------ probes

    @staticmethod
    def _require_pymongo() -> None:
        if importlib.util.find_spec("pymongo") is None:
            raise RuntimeError("pymongo is needed for the MongoDB stand-in readiness probe; pip install pymongo")

    def _port_answers(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def _ping(self) -> bool:
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        client = MongoClient(
            HOST,
            self.port,
            directConnection=True,
            serverSelectionTimeoutMS=1000,
            connectTimeoutMS=1000,
            socketTimeoutMS=5000,
        )
        try:
            return client.admin.command("ping").get("ok") == 1
        except PyMongoError:
            return False
        finally:
            client.close()

    # --------------------------------------------------------------- processes

    def _read_pidfile(self) -> tuple[int | None, int | None]:
        try:
            fields = self.pid_file.read_text().split()
            return int(fields[0]), int(fields[1])
        except (OSError, ValueError, IndexError):
            return None, None

    def _write_pidfile(self, pid: int) -> None:
        tmp = self.pid_file.with_suffix(".pid.tmp")
        tmp.write_text(f"{pid}\n{self.port}\n")
        tmp.replace(self.pid_file)

    def _remove_pidfile(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.pid_file.unlink()

    def _forget_stale_pidfile(self) -> None:
        pid, port = self._read_pidfile()
        if pid is not None and self._pid_alive(pid) and self._pid_is_ours(pid):
            if port != self.port:
                # One data file, one server: H2 locks the file, so a second
                # stand-in from the same home could not open it anyway.
                raise RuntimeError(
                    f"a MongoDB stand-in from {self.home} is already running on port {port} "
                    f"(pid {pid}); stop it first or use a different home"
                )
            # Ours, on our port, alive, but not answering: a hung server. Replace it.
            self._terminate(pid, grace=10)
        self._remove_pidfile()

    def _pid_alive(self, pid: int) -> bool:
        if self._proc is not None and self._proc.pid == pid:
            return self._proc.poll() is None  # also reaps our own child
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        try:  # a zombie is not a live server
            stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
            return stat.rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return True

    def _pid_is_ours(self, pid: int) -> bool:
        """Guard against pid reuse: the process must be our main class on our data file."""
        try:
            argv = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            return False
        except OSError:
            return True  # cannot tell (no /proc); trust the pidfile
        args = [a.decode(errors="replace") for a in argv]
        return MAIN_CLASS in args and str(self.db_file) in args

    def _terminate(self, pid: int, grace: float) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if self._wait_gone(pid, grace):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        self._wait_gone(pid, 5)

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self._pid_alive(pid):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return True

    def _rotate_log(self) -> None:
        try:
            if self.log_file.stat().st_size > _LOG_ROTATE_BYTES:
                self.log_file.replace(self.log_file.with_name(self.log_file.name + ".1"))
        except FileNotFoundError:
            pass
