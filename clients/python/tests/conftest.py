"""Fixtures: the package from this checkout, and for integration tests a real broker and monitor.

The broker and the monitor are the project's own CLI (``io.losswatch.cli.Main broker`` and
``monitor``), started as subprocesses on free ports with the classpath in ``$LOSSWATCH_CLASSPATH``
(the Maven build passes it) or, failing that, the jars ``./losswatch`` builds under ``cli/target``.
Every process started here is stopped at the end of the session; those the main thread starts also die
with the test process if it is killed.
"""
from __future__ import annotations

import ctypes
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from typing import Callable, Dict, List, Optional

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
REPO_ROOT = os.path.dirname(os.path.dirname(PACKAGE_ROOT))
sys.path.insert(0, PACKAGE_ROOT)
sys.path.insert(0, HERE)

_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, condition: Callable[[], object], timeout: float, interval: float = 0.1):
    """Polls ``condition`` until it returns something truthy; fails naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for: {what}")
        time.sleep(interval)


def classpath() -> Optional[str]:
    cp = os.environ.get("LOSSWATCH_CLASSPATH")
    if cp:
        return cp
    jars = [j for j in glob.glob(os.path.join(REPO_ROOT, "cli", "target", "losswatch-cli-*.jar"))
            if not j.endswith(("-sources.jar", "-tests.jar"))]
    lib = os.path.join(REPO_ROOT, "cli", "target", "lib")
    if jars and os.path.isdir(lib):
        return jars[0] + os.pathsep + os.path.join(lib, "*")
    return None


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class JavaProcess:
    """One ``losswatch`` subcommand run as a child process; its output is kept for failure messages."""

    def __init__(self, name: str, args: List[str], heap: str = "512m") -> None:
        cp = classpath()
        if cp is None:
            message = ("the losswatch CLI is not built: run ./losswatch --help (or mvn -B -q -DskipTests install), "
                       "or set LOSSWATCH_CLASSPATH")
            if os.environ.get("CI"):
                raise RuntimeError(message)
            pytest.skip(message)
        self.name = name
        self.lines: List[str] = []
        env = dict(os.environ, OMP_NUM_THREADS="1")
        self.process = subprocess.Popen(
            ["java", f"-Xmx{heap}", "-XX:+UseSerialGC", "-cp", cp, "io.losswatch.cli.Main", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO_ROOT,
            # the kernel signals the child when the *thread* that started it ends: only the main thread's
            # children can be tied to the test process this way (the others are stopped at session end)
            preexec_fn=_die_with_parent if threading.current_thread() is threading.main_thread() else None)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        _STARTED.append(self)

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines[-40:])

    def line_matching(self, pattern: str) -> Optional[re.Match]:
        for line in list(self.lines):
            m = re.search(pattern, line)
            if m:
                return m
        return None

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 30) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self in _STARTED:
            _STARTED.remove(self)


_STARTED: List[JavaProcess] = []


def start_broker(data_dir: str, port: int = 0) -> "Broker":
    broker = JavaProcess("broker", ["broker", "--port", str(port), "--data-dir", data_dir])
    m = wait_for("the broker to print its address",
                 lambda: broker.line_matching(r"bootstrap\.servers=(\S+)") or (not broker.alive() and "dead"), 90)
    if m == "dead":
        raise AssertionError("the broker exited:\n" + broker.output())
    return Broker(broker, m.group(1), data_dir)


class Broker:
    def __init__(self, process: JavaProcess, servers: str, data_dir: str) -> None:
        self.process = process
        self.servers = servers
        self.port = int(servers.rsplit(":", 1)[1])
        self.data_dir = data_dir


class Monitor:
    def __init__(self, process: JavaProcess, servers: str, http_port: int) -> None:
        self.process = process
        self.servers = servers
        self.http_port = http_port

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/metrics", timeout=5) as r:
            return r.read().decode("utf-8")

    def last_step(self, run_id: str) -> Optional[float]:
        """The newest step the monitor has processed for ``run_id`` (its losswatch_step gauge)."""
        m = re.search(r'^losswatch_step\{[^}]*run_id="' + re.escape(run_id) + r'"[^}]*\}\s+(\S+)$',
                      self.metrics(), re.MULTILINE)
        return float(m.group(1)) if m else None


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def broker(tmp_path_factory) -> Broker:
    b = start_broker(str(tmp_path_factory.mktemp("broker")))
    yield b
    b.process.stop()


@pytest.fixture(scope="session")
def monitor(broker, tmp_path_factory) -> Monitor:
    http_port = free_port()
    state = tmp_path_factory.mktemp("streams")
    process = JavaProcess("monitor", [
        "monitor", "--bootstrap-servers", broker.servers, "--http-host", "127.0.0.1",
        "--http-port", str(http_port), "--state-dir", str(state),
        "--application-id", f"losswatch-monitor-{uuid.uuid4().hex[:8]}"], heap="768m")
    try:
        wait_for("the monitor to report healthy on /health",
                 lambda: _healthy(http_port) or (not process.alive() and "dead"), 120, 0.25)
        if not process.alive():
            raise AssertionError("the monitor exited:\n" + process.output())
    except BaseException:
        process.stop()
        raise
    yield Monitor(process, broker.servers, http_port)
    process.stop()


def read_records(servers: str, topic: str, key: str, until: Callable[[List[Dict]], bool],
                 timeout: float) -> List[Dict]:
    """The JSON values of ``topic`` with ``key``, read committed from the beginning, until ``until`` holds."""
    from confluent_kafka import Consumer, KafkaError

    consumer = Consumer({"bootstrap.servers": servers, "group.id": f"test-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "isolation.level": "read_committed"})
    consumer.subscribe([topic])
    found: List[Dict] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not until(found):
            msg = consumer.poll(0.2)
            if msg is None or (msg.error() and msg.error().code() == KafkaError._PARTITION_EOF):
                continue
            if msg.error() is None and msg.key() == key.encode():
                found.append(json.loads(msg.value()))
    finally:
        consumer.close()
    return found


class FakeProducer:
    """Takes every record and acknowledges it on the next poll, as a healthy broker would."""

    def __init__(self, conf):
        self.conf = conf
        self.records = []
        self._unacked = []

    def produce(self, topic, key=None, value=None, on_delivery=None):
        self.records.append((topic, key, json.loads(value)))
        self._unacked.append(on_delivery)

    def poll(self, timeout=0):
        acked, self._unacked = self._unacked, []
        for cb in acked:
            cb(None, None)
        return len(acked)

    def flush(self, timeout=None):
        self.poll()
        return 0

    def __len__(self):
        return len(self._unacked)


@pytest.fixture
def fake_kafka(monkeypatch):
    """Reporters made in the test send to FakeProducers (returned, in order) instead of Kafka."""
    import confluent_kafka

    producers = []

    def make(conf):
        producers.append(FakeProducer(conf))
        return producers[-1]

    monkeypatch.setattr(confluent_kafka, "Producer", make)
    return producers


def pytest_sessionfinish(session, exitstatus) -> None:
    for p in list(_STARTED):  # anything a failing fixture left behind
        p.stop()
