"""Run a single-node Apache Kafka 4.x broker locally on loopback, without Docker.

The broker jars come from the Maven coordinates pinned in ``deploy/kafka/pom.xml``
(resolved once with ``mvn dependency:copy-dependencies``). The broker runs in
KRaft combined mode (broker + controller in one JVM), listening only on
127.0.0.1, with its data and logs under ``<home>/kafka``.

Layout under ``home`` (the caller passes ``<repo>/.frontdoor``, which is git-ignored)::

    home/jars/kafka/            resolved jars + .frontdoor-resolved marker
    home/kafka/server.properties rendered from deploy/kafka/server.properties.template
    home/kafka/cluster.id       cluster id used to format the storage (once)
    home/kafka/data/            log.dirs (KRaft metadata log + topic data)
    home/kafka/logs/server.log  broker log (log4j2, deploy/kafka/log4j2.xml)
    home/kafka/logs/kafka.out   JVM stdout/stderr
    home/kafka/kafka.pid        pid of the broker Frontdoor started

Only the standard library is imported at module level; ``aiokafka`` is needed
for the readiness probe in :meth:`LocalKafka.start` and is imported there.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator

__all__ = ["KAFKA_DEPLOY_DIR", "LocalKafka"]

# deploy/frontdoor_deploy/kafka_local.py -> deploy/kafka/ (pom.xml, templates).
# deploy/kafka is not Python package data, so a non-editable install cannot find
# it next to this file; then FRONTDOOR_KAFKA_DEPLOY_DIR or <home>/../deploy/kafka
# (home is <repo>/.frontdoor) is used instead. See _deploy_dir().
KAFKA_DEPLOY_DIR = pathlib.Path(__file__).resolve().parent.parent / "kafka"

_MIN_JAVA = 17  # Kafka 4.x brokers require Java 17+
_MARKER = ".frontdoor-resolved"
_LOG_TAIL_LINES = 40

# Kafka's own defaults (kafka-run-class.sh) plus settings for a small machine.
_JVM_FLAGS = (
    "-server",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:MaxInlineLevel=15",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
    "-Dfile.encoding=UTF-8",
)


class LocalKafka:
    """A local single-node Kafka broker that Frontdoor starts, reuses and stops."""

    def __init__(
        self,
        home: pathlib.Path,
        port: int = 9092,
        controller_port: int = 9093,
        heap: str = "512m",
    ) -> None:
        if port == controller_port:
            raise ValueError("port and controller_port must differ")
        if not re.fullmatch(r"\d+[kKmMgG]?", heap):
            raise ValueError(f"heap must look like '512m' or '1g', got {heap!r}")
        self.home = pathlib.Path(home).expanduser().resolve()
        self.port = int(port)
        self.controller_port = int(controller_port)
        self.heap = heap
        self.deploy_dir = _deploy_dir(self.home)
        self.pom = self.deploy_dir / "pom.xml"
        self.props_template = self.deploy_dir / "server.properties.template"
        self.log4j2_config = self.deploy_dir / "log4j2.xml"
        self.jars_dir = self.home / "jars" / "kafka"
        self.kafka_dir = self.home / "kafka"
        self.data_dir = self.kafka_dir / "data"
        self.logs_dir = self.kafka_dir / "logs"
        self.props_file = self.kafka_dir / "server.properties"
        self.pid_file = self.kafka_dir / "kafka.pid"
        self.cluster_id_file = self.kafka_dir / "cluster.id"
        self.server_log = self.logs_dir / "server.log"
        self.stdout_log = self.logs_dir / "kafka.out"
        self._proc: subprocess.Popen[bytes] | None = None

    # ------------------------------------------------------------------ public

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def kafka_version(self) -> str:
        """The Kafka version pinned in deploy/kafka/pom.xml."""
        return _pinned_kafka_version(self.pom)

    def ensure_jars(self) -> None:
        """Resolve the broker jars with Maven, once per version of the pom."""
        pom_digest = hashlib.sha256(self.pom.read_bytes()).hexdigest()
        if self._jars_current(pom_digest):
            return
        mvn = _find_mvn(self.pom)
        self.jars_dir.parent.mkdir(parents=True, exist_ok=True)
        # Resolve into a scratch dir and swap it in, so a failed or interrupted
        # run never leaves a half-filled (or mixed-version) classpath behind.
        tmp = self.jars_dir.with_name(f"{self.jars_dir.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        cmd = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(self.pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={tmp}",
        ]
        try:
            res = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=1800,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise RuntimeError(f"Maven timed out resolving Kafka jars: {' '.join(cmd)}") from exc
        if res.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            out = (res.stdout + res.stderr).strip().splitlines()[-_LOG_TAIL_LINES:]
            raise RuntimeError(
                f"Maven failed (exit {res.returncode}) resolving Kafka jars:\n  {' '.join(cmd)}\n" + "\n".join(out)
            )
        main_jar = tmp / f"kafka_2.13-{_pinned_kafka_version(self.pom)}.jar"
        if not main_jar.is_file():
            shutil.rmtree(tmp, ignore_errors=True)
            raise RuntimeError(f"Maven ran but {main_jar.name} is missing from {tmp}")
        (tmp / _MARKER).write_text(pom_digest + "\n")
        old = self.jars_dir.with_name(f"{self.jars_dir.name}.old-{os.getpid()}")
        if self.jars_dir.exists():
            self.jars_dir.rename(old)
        tmp.rename(self.jars_dir)
        shutil.rmtree(old, ignore_errors=True)

    def is_running(self) -> bool:
        """True if the pidfile names a live broker we started AND the port answers."""
        pid = self._live_pid()
        return pid is not None and _port_open(self.port)

    def start(self, timeout: float = 120) -> str:
        """Start the broker (or reuse a running one); return the bootstrap servers.

        Waits until an aiokafka client gets cluster metadata listing this broker.
        Raises RuntimeError (with the tail of the broker log) on failure/timeout.
        """
        deadline = time.monotonic() + timeout
        _require_aiokafka()
        self.kafka_dir.mkdir(parents=True, exist_ok=True)
        with self._lock():
            pid = self._live_pid()
            if pid is not None:
                # Ours and alive: either fully up, or still starting (e.g. a
                # concurrent caller launched it). Either way, wait for readiness.
                self._wait_ready(pid, deadline)
                return self.bootstrap_servers
            self.pid_file.unlink(missing_ok=True)

            for p, what in (
                (self.port, "port"),
                (self.controller_port, "controller_port"),
            ):
                if _port_open(p):
                    raise RuntimeError(
                        f"Cannot start local Kafka: 127.0.0.1:{p} ({what}) is already in "
                        f"use by a process Frontdoor did not start (no live pidfile at "
                        f"{self.pid_file}). Stop it or choose another port."
                    )

            java = _find_java()
            self.ensure_jars()
            self.logs_dir.mkdir(parents=True, exist_ok=True)
            self._write_properties()
            self._format_storage_once(java)

            cmd = [
                java,
                f"-Xmx{self.heap}",
                f"-Xms{self.heap}",
                *_JVM_FLAGS,
                *self._log_sysprops(),
                "-cp",
                str(self.jars_dir / "*"),
                "kafka.Kafka",
                str(self.props_file),
            ]
            with open(self.stdout_log, "ab") as out:
                out.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(cmd)}\n".encode())
                out.flush()
                self._proc = subprocess.Popen(
                    cmd,
                    cwd=self.kafka_dir,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    close_fds=True,
                )
            self.pid_file.write_text(f"{self._proc.pid}\n")
            try:
                self._wait_ready(self._proc.pid, deadline)
            except BaseException:
                # Don't leave a half-started broker behind.
                with contextlib.suppress(Exception):
                    self.stop(timeout=15)
                raise
            return self.bootstrap_servers

    def stop(self, timeout: float = 30) -> None:
        """Stop the broker Frontdoor started (per pidfile): SIGTERM, wait, SIGKILL."""
        pid = self._pidfile_pid()
        if pid is None:
            return
        if not self._is_our_broker(pid):
            # Stale pidfile (process gone or pid reused by something else).
            self.pid_file.unlink(missing_ok=True)
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not self._wait_exit(pid, timeout):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self._wait_exit(pid, 10)
        self.pid_file.unlink(missing_ok=True)
        if self._proc is not None and self._proc.pid == pid:
            self._proc = None

    # --------------------------------------------------------------- internals

    def _jars_current(self, pom_digest: str) -> bool:
        marker = self.jars_dir / _MARKER
        main_jar = self.jars_dir / f"kafka_2.13-{_pinned_kafka_version(self.pom)}.jar"
        try:
            return main_jar.is_file() and marker.read_text().strip() == pom_digest
        except OSError:
            return False

    def _log_sysprops(self) -> list[str]:
        return [
            f"-Dlog4j2.configurationFile={self.log4j2_config}",
            f"-Dkafka.logs.dir={self.logs_dir}",
        ]

    def _write_properties(self) -> None:
        text = self.props_template.read_text().format(
            port=self.port,
            controller_port=self.controller_port,
            log_dir=_props_escape(str(self.data_dir)),
        )
        tmp = self.props_file.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(self.props_file)

    def _format_storage_once(self, java: str) -> None:
        if (self.data_dir / "meta.properties").is_file():
            return
        # Never formatted (or a format that died half-way): start clean.
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True)
        cluster_id = self._cluster_id()
        cmd = [
            java,
            "-Xmx256m",
            "-Djava.awt.headless=true",
            *self._log_sysprops(),
            "-cp",
            str(self.jars_dir / "*"),
            "kafka.tools.StorageTool",
            "format",
            "--standalone",
            "-t",
            cluster_id,
            "-c",
            str(self.props_file),
        ]
        res = subprocess.run(
            cmd,
            cwd=self.kafka_dir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        if res.returncode != 0 or not (self.data_dir / "meta.properties").is_file():
            out = (res.stdout + res.stderr).strip().splitlines()[-_LOG_TAIL_LINES:]
            raise RuntimeError(
                f"Formatting Kafka storage failed (exit {res.returncode}):\n"
                f"  {' '.join(cmd)}\n" + "\n".join(out) + "\n--- broker log tail ---\n" + self._log_tail()
            )

    def _cluster_id(self) -> str:
        try:
            cid = self.cluster_id_file.read_text().strip()
            if cid:
                return cid
        except FileNotFoundError:
            pass
        # Kafka Uuid: 16 random bytes, URL-safe base64 without padding. Avoid a
        # leading '-' (would look like a CLI option), as Uuid.randomUuid() does.
        while True:
            cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            if not cid.startswith("-"):
                break
        self.cluster_id_file.write_text(cid + "\n")
        return cid

    def _wait_ready(self, pid: int, deadline: float) -> None:
        last_err = "broker port never opened"
        while True:
            if not self._process_alive(pid):
                raise RuntimeError(f"Local Kafka (pid {pid}) exited during start-up.\n" + self._log_tail())
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(
                    f"Local Kafka on {self.bootstrap_servers} was not ready in time ({last_err}).\n" + self._log_tail()
                )
            if _port_open(self.port):
                ok, last_err = _probe_metadata(
                    self.bootstrap_servers,
                    broker_id=1,
                    timeout=min(10.0, max(1.0, remaining)),
                )
                if ok:
                    return
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))

    def _log_tail(self) -> str:
        parts = []
        for path in (self.server_log, self.stdout_log):
            lines = _tail(path, _LOG_TAIL_LINES)
            if lines:
                parts.append(f"--- last {len(lines)} lines of {path} ---\n" + "\n".join(lines))
        return "\n".join(parts) or f"(no broker log found under {self.logs_dir})"

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise start() between processes sharing the same home."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - non-POSIX
            yield
            return
        with open(self.kafka_dir / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _pidfile_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _live_pid(self) -> int | None:
        pid = self._pidfile_pid()
        if pid is not None and self._is_our_broker(pid):
            return pid
        return None

    def _is_our_broker(self, pid: int) -> bool:
        if not self._process_alive(pid):
            return False
        cmdline = _cmdline(pid)
        if cmdline is None:  # can't inspect; trust the pidfile
            return True
        return "kafka.Kafka" in cmdline and str(self.props_file) in cmdline

    def _process_alive(self, pid: int) -> bool:
        if self._proc is not None and self._proc.pid == pid:
            return self._proc.poll() is None  # also reaps our own child
        with contextlib.suppress(ChildProcessError, OSError):
            # Reap it if it is an exited child of this Python process.
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return not _is_zombie(pid)

    def _wait_exit(self, pid: int, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self._process_alive(pid):
                return True
            time.sleep(0.1)
        return not self._process_alive(pid)


# ---------------------------------------------------------------- helpers


def _deploy_dir(home: pathlib.Path) -> pathlib.Path:
    candidates = []
    env = os.environ.get("FRONTDOOR_KAFKA_DEPLOY_DIR")
    if env:
        candidates.append(pathlib.Path(env).expanduser())
    candidates += [KAFKA_DEPLOY_DIR, home.parent / "deploy" / "kafka"]
    for cand in candidates:
        if (cand / "pom.xml").is_file() and (cand / "server.properties.template").is_file():
            return cand.resolve()
    raise RuntimeError(
        "Cannot find deploy/kafka (pom.xml, server.properties.template, log4j2.xml); "
        f"looked in: {', '.join(map(str, candidates))}. "
        "Set FRONTDOOR_KAFKA_DEPLOY_DIR or use an editable install."
    )


def _pinned_kafka_version(pom: pathlib.Path) -> str:
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    root = ET.parse(pom).getroot()
    el = root.find("m:properties/m:kafka.version", ns)
    if el is None or not (el.text or "").strip():
        raise RuntimeError(f"kafka.version property missing from {pom}")
    return el.text.strip()


def _find_java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    candidates = []
    if java_home:
        candidates.append(pathlib.Path(java_home) / "bin" / "java")
    java = next((str(c) for c in candidates if c.is_file() and os.access(c, os.X_OK)), None)
    java = java or shutil.which("java")
    if not java:
        raise RuntimeError(
            "Java not found: local Kafka needs a Java 17+ runtime. Install a JDK/JRE "
            "(e.g. `apt-get install openjdk-17-jre-headless`) and put `java` on PATH "
            "or set JAVA_HOME."
        )
    res = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60, check=False)
    m = re.search(r'version "(\d+)(?:\.(\d+))?', res.stderr + res.stdout)
    if m:
        major = int(m.group(1))
        if major == 1 and m.group(2):  # "1.8.0_x"
            major = int(m.group(2))
        if major < _MIN_JAVA:
            raise RuntimeError(f"{java} is Java {major}; local Kafka 4.x needs Java {_MIN_JAVA}+.")
    return java


def _find_mvn(pom: pathlib.Path) -> str:
    mvn = shutil.which("mvn")
    if not mvn:
        raise RuntimeError(
            "Maven (`mvn`) not found on PATH: it is needed once to fetch the Kafka "
            f"broker jars pinned in {pom}. Install Maven 3.6.3+ "
            "(e.g. `apt-get install maven`)."
        )
    return mvn


def _require_aiokafka() -> None:
    try:
        import aiokafka  # noqa: F401
    except ImportError as exc:
        raise RuntimeError("aiokafka is required to check local Kafka readiness; `pip install aiokafka`.") from exc


def _port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _probe_metadata(bootstrap: str, broker_id: int, timeout: float) -> tuple[bool, str]:
    """Ask the broker for cluster metadata with aiokafka; True if it lists broker_id.

    Runs its own event loop in a worker thread so it is safe to call from code
    that is itself inside a running asyncio loop.
    """
    result: list[tuple[bool, str]] = []

    async def probe() -> tuple[bool, str]:
        from aiokafka import AIOKafkaClient

        client = AIOKafkaClient(
            bootstrap_servers=bootstrap,
            client_id="frontdoor-readiness",
            request_timeout_ms=int(timeout * 1000),
            connections_max_idle_ms=int(timeout * 1000) + 5000,
        )
        try:
            await asyncio.wait_for(client.bootstrap(), timeout)
            metadata = await asyncio.wait_for(client.fetch_all_metadata(), timeout)
            ids = {b.nodeId for b in metadata.brokers()}
            if broker_id in ids:
                return True, "ready"
            return (
                False,
                f"metadata answered but broker {broker_id} not listed yet ({ids})",
            )
        finally:
            with contextlib.suppress(Exception):
                await client.close()

    def runner() -> None:
        try:
            result.append(asyncio.run(probe()))
        except BaseException as exc:
            result.append((False, f"{type(exc).__name__}: {exc}".strip()))

    t = threading.Thread(target=runner, name="frontdoor-kafka-probe", daemon=True)
    t.start()
    t.join(timeout + 5)
    return result[0] if result else (False, "readiness probe hung")


def _props_escape(value: str) -> str:
    # java.util.Properties treats backslash as an escape character.
    return value.replace("\\", "\\\\")


def _cmdline(pid: int) -> str | None:
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except FileNotFoundError:
        if pathlib.Path("/proc/self").exists():
            return ""  # Linux and the process is gone
    except OSError:
        pass
    try:  # macOS/BSD
        res = subprocess.run(
            ["ps", "-ww", "-o", "command=", "-p", str(pid)],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return res.stdout if res.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return None


def _is_zombie(pid: int) -> bool:
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _tail(path: pathlib.Path, n: int) -> list[str]:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 256 * 1024))
            data = fh.read().decode(errors="replace")
    except OSError:
        return []
    return data.splitlines()[-n:]


if __name__ == "__main__":  # manual use: python kafka_local.py <home> start|stop|status
    import argparse

    ap = argparse.ArgumentParser(description="Frontdoor local Kafka broker")
    ap.add_argument("home", type=pathlib.Path)
    ap.add_argument("action", choices=["start", "stop", "status", "jars"])
    ap.add_argument("--port", type=int, default=9092)
    ap.add_argument("--controller-port", type=int, default=9093)
    ap.add_argument("--heap", default="512m")
    args = ap.parse_args()
    lk = LocalKafka(args.home, args.port, args.controller_port, args.heap)
    if args.action == "start":
        print(lk.start())
    elif args.action == "stop":
        lk.stop()
    elif args.action == "jars":
        lk.ensure_jars()
    else:
        print("running" if lk.is_running() else "stopped")
        sys.exit(0 if lk.is_running() else 1)
