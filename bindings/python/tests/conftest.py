"""Fixtures: one fake passport server per test session, and a unique scenario per test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent


def _fake_server_path() -> str:
    env = os.environ.get("BILI_QR_FAKE_SERVER")
    if env:
        return env
    return str(REPO / "target" / "release" / ("bili-qr-fake-server.exe" if sys.platform == "win32" else "bili-qr-fake-server"))


class FakeServer:
    """The repo's fake passport server, spawned with ``--watch-stdin`` (it exits when the pipe closes).

    ``refresh_public_key`` is the PEM of its test RSA key (``--refresh-public-key-out``), the key a mainland
    refresh must encrypt with (option ``refresh_public_key``)."""

    def __init__(self) -> None:
        path = _fake_server_path()
        if not os.path.isfile(path):
            raise RuntimeError(f"fake server not found at {path}: run `cargo build --release --workspace` or set BILI_QR_FAKE_SERVER")
        self._keydir = tempfile.TemporaryDirectory(prefix="bili_qr_key.")
        key_file = os.path.join(self._keydir.name, "refresh_public_key.pem")
        self.proc = subprocess.Popen(
            [path, "--watch-stdin", "--quiet", "--refresh-public-key-out", key_file],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        line = self._first_line()
        prefix = b"listening "
        if not line.startswith(prefix):
            self.close()
            raise RuntimeError(f"unexpected first line from the fake server: {line!r}")
        self.base = line[len(prefix):].strip().decode("ascii")
        with open(key_file, "r", encoding="ascii") as f:  # written before the listening line
            self.refresh_public_key = f.read()

    def _first_line(self) -> bytes:
        got: List[bytes] = []
        reader = threading.Thread(target=lambda: got.append(self.proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(15)
        if not got:
            self.close()
            raise RuntimeError("the fake server printed nothing within 15 s")
        return got[0]

    def url(self, scenario: str) -> str:
        return f"{self.base}/s/{scenario}"

    def log(self) -> List[Dict[str, Any]]:
        with urllib.request.urlopen(self.base + "/__log", timeout=10) as r:
            return json.loads(r.read().decode("utf-8"))

    def requests_for(self, scenario: str, endpoint: str = "") -> List[Dict[str, Any]]:
        """Log records of one scenario (optionally only ``url`` or ``fetch``)."""
        prefix = f"/s/{scenario}/"
        out = [r for r in self.log() if r["path"].startswith(prefix)]
        if endpoint:
            out = [r for r in out if r["path"].endswith("/qrcode/auth/" + endpoint)]
        return out

    def set_state(self, scenario: str, ticket: str, state: str) -> None:
        q = urllib.parse.urlencode({"scenario": scenario, "ticket": ticket, "state": state})
        req = urllib.request.Request(f"{self.base}/__state?{q}", method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=10) as r:
            r.read()

    def close(self) -> None:
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.proc.stdout:
            self.proc.stdout.close()
        self._keydir.cleanup()

    def main_options(self, scenario: str) -> Dict[str, Any]:
        """The options of a mainland call against this server: ``site="main"``, the three base URLs at the
        scenario's origin, and the server's refresh key."""
        url = self.url(scenario)
        return {
            "site": "main",
            "base_url": url,
            "api_base_url": url,
            "www_base_url": url,
            "refresh_public_key": self.refresh_public_key,
        }



@pytest.fixture(scope="session")
def server() -> Iterator[FakeServer]:
    srv = FakeServer()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture
def scenario(request: pytest.FixtureRequest) -> Callable[..., str]:
    """``scenario(flow="wsc", fault="412")`` → a scenario string with a unique id for this test."""
    counter = [0]

    def make(**keys: Any) -> str:
        counter[0] += 1
        name = request.node.name.replace("[", "-").replace("]", "").replace("_", "-")[:40]
        parts = [f"id={name}-{counter[0]}-{uuid.uuid4().hex[:8]}"]
        parts += [f"{k}={v}" for k, v in keys.items()]
        return ",".join(parts)

    return make


@pytest.fixture
def base_url(server: FakeServer, scenario: Callable[..., str]) -> Callable[..., str]:
    """``base_url(flow="wsc")`` → ``http://127.0.0.1:PORT/s/id=...,flow=wsc``."""

    def make(**keys: Any) -> str:
        return server.url(scenario(**keys))

    return make
