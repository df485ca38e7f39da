"""Starts the project's own mock broker and a hub on it (the built ``brokerhub`` binary: ``BROKERHUB_BIN``, or
``.build/debug/brokerhub`` of the checkout), on free loopback ports, and stops both after the session."""
from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import tempfile
import time
from typing import Dict, Iterator, Optional

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]


def _binary() -> str:
    path = os.environ.get("BROKERHUB_BIN") or str(ROOT / ".build" / "debug" / "brokerhub")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no brokerhub binary at {path} (swift build, or set BROKERHUB_BIN)")
    return path


class Process:
    def __init__(self, arguments: list, directory: pathlib.Path, name: str, environment: Optional[Dict[str, str]] = None):
        self.ready = directory / f"{name}.ready"
        self.log = directory / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("BROKERHUB_")}
        env.update(environment or {})
        self.process = subprocess.Popen(arguments + ["--ready-file", str(self.ready)], env=env, cwd=directory,
                                        stdout=open(self.log, "wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not (self.ready.exists() and self.ready.read_text().strip()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)
        self.url = self.ready.read_text().split()[0]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Stack:
    """The mock and a hub with the mock's KIS and Kiwoom keys (one hub per mock: a second would wait for the
    mock's token issuance limit, as it would at the real broker)."""

    def __init__(self, directory: pathlib.Path, mock_arguments: Optional[list] = None, **hub_environment: str):
        self.directory = directory
        self.binary = _binary()
        self.mock = Process([self.binary, "mock-broker", "--port", "0", "--always-open", "--write-credentials",
                             str(directory / "credentials.json")] + (mock_arguments or []), directory, "mock")
        keys = json.loads((directory / "credentials.json").read_text())["keys"]
        kis = next(k for k in keys if k["provider"] == "kis" and k["kind"] == "real")
        kiwoom = next(k for k in keys if k["provider"] == "kiwoom")
        self.secrets = [kis["secret"], kiwoom["secret"]]
        self.environment = {
            "BROKERHUB_KIS_APPKEY": kis["appKey"], "BROKERHUB_KIS_APPSECRET": kis["secret"], "BROKERHUB_KIS_BASE_URL": self.mock.url,
            "BROKERHUB_KIS_ACCOUNT": "50000000-01", "BROKERHUB_KIWOOM_APPKEY": kiwoom["appKey"],
            "BROKERHUB_KIWOOM_SECRETKEY": kiwoom["secret"], "BROKERHUB_KIWOOM_BASE_URL": self.mock.url,
        }
        self.hubs = []
        self.hub = self.start_hub("hub", **hub_environment)

    def start_hub(self, name: str, **environment: str) -> Process:
        hub = Process([self.binary, "serve", "--port", "0", "--in-memory"], self.directory, name, {**self.environment, **environment})
        self.hubs.append(hub)
        return hub

    def stop(self) -> None:
        for hub in self.hubs:
            hub.stop()
        self.mock.stop()


def _run(**hub_environment: str) -> Iterator[Stack]:
    with tempfile.TemporaryDirectory(prefix="brokerhub-pyclient-") as directory:
        running = Stack(pathlib.Path(directory), **hub_environment)
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    yield from _run()


@pytest.fixture(scope="session")
def keyed_stack() -> Iterator[Stack]:
    """A hub with ``BROKERHUB_API_KEYS=py-secret-key``."""
    yield from _run(BROKERHUB_API_KEYS="py-secret-key")


@pytest.fixture(scope="session")
def streaming_stack() -> Iterator[Stack]:
    """A hub with ``BROKERHUB_BUS`` on a journal, and a collector publishing the mock's KIS ticks of two symbols
    into it (the hub's ``/v1/stream`` follows the journal file)."""
    with tempfile.TemporaryDirectory(prefix="brokerhub-pyclient-") as directory:
        path = pathlib.Path(directory)
        bus = f"journal:{path / 'bus.sqlite'}"
        running = Stack(path, ["--stream-rate", "200"], BROKERHUB_BUS=bus)
        collector = Process([running.binary, "collect", "--mock", running.mock.url, "--mock-credentials", str(path / "credentials.json"),
                             "--provider", "kis", "--symbols", "005930,000660", "--channels", "ticker", "--bus", bus,
                             "--always-open", "--private-tokens", "--http-port", "0"], path, "collector")
        running.hubs.append(collector)  # stopped with the hub
        try:
            yield running
        finally:
            running.stop()
