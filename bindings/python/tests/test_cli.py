"""python -m bili_qr login against the fake server."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import bili_qr


def run_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bili_qr", *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout)


def test_cli_login_writes_cookies(server, scenario, tmp_path):
    sc = scenario(flow="wsc", name="CliUser", mid="777")
    cookies = tmp_path / "cookies.txt"
    r = run_cli("login", "--base-url", server.url(sc), "--poll-interval-ms", "100", "--cookies", str(cookies))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "█" in out or "▀" in out  # the QR code
    assert "waiting for the scan" in out and "scanned" in out
    assert "logged in as CliUser (777)" in out
    assert stat.S_IMODE(os.stat(cookies).st_mode) == 0o600
    values = {}
    text = cookies.read_text("utf-8")
    assert text.startswith("# Netscape HTTP Cookie File")
    for line in text.splitlines():
        if line.startswith("#HttpOnly_"):
            line = line[len("#HttpOnly_"):]
        if line and not line.startswith("#"):
            fields = line.split("\t")
            assert len(fields) == 7, line
            values[fields[5]] = fields[6]
    assert values["DedeUserID"] == "777"
    (confirmed,) = [x for x in server.requests_for(sc, "fetch") if x["set_cookies"]]
    sent = dict(h.split(";")[0].split("=", 1) for h in confirmed["set_cookies"])
    assert values["SESSDATA"] == sent["SESSDATA"]
    for value in values.values():  # no cookie value on the terminal
        if len(value) >= 6:
            assert value not in out and value not in r.stderr
    ticket = server.requests_for(sc, "fetch")[0]["query"]["ticket"]
    assert ticket not in out and ticket not in r.stderr


def test_cli_expired_and_errors(base_url):
    r = run_cli("login", "--base-url", base_url(flow="we"), "--poll-interval-ms", "100")
    assert r.returncode == 3 and "expired" in r.stderr
    r = run_cli("login", "--base-url", base_url(fault="412"))
    assert r.returncode == 1 and "412" in r.stderr
    r = run_cli("login", "--base-url", "ftp://x")
    assert r.returncode == 1 and "error:" in r.stderr
    r = run_cli()
    assert r.returncode == 2
    r = run_cli("--version")
    assert r.returncode == 0 and bili_qr.__version__ in r.stdout


def test_cli_ctrl_c_ends_the_wait(server, scenario):
    import signal
    import time

    if sys.platform == "win32":
        return
    sc = scenario(flow="w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bili_qr", "login", "--base-url", server.url(sc), "--poll-interval-ms", "200"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 15
        while len(server.requests_for(sc, "fetch")) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert time.monotonic() - started < 2.0
    assert "interrupted" in err
    polls = len(server.requests_for(sc, "fetch"))
    time.sleep(0.5)
    assert len(server.requests_for(sc, "fetch")) == polls
