"""The Python examples of the repository's README.md run against the fake server: the login draws the QR code
of qr_url and saves cookies.txt; the "is my saved session still good?" example then checks that file; the
mainland example logs in to bilibili.com and refreshes its session.

The examples call the library with its defaults (the real service); here the module's functions are wrapped to
add the fake server's base_url / api_base_url (and a short poll interval) and nothing else."""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import stat
from pathlib import Path

import bili_qr

README = Path(__file__).resolve().parent.parent.parent.parent / "README.md"


def python_blocks() -> list:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)
    assert len(blocks) >= 2, f"README.md has {len(blocks)} python examples, expected the login and the check"
    return blocks


def test_readme_examples_run_against_the_fake_server(base_url, monkeypatch, tmp_path):
    url = base_url(flow="wsc")
    issued = []
    real_start = bili_qr.start

    def start(**options):
        qr = real_start(**{"base_url": url, **options})
        issued.append(qr)
        return qr

    monkeypatch.setattr(bili_qr, "start", start)
    monkeypatch.setattr(bili_qr, "wait", functools.partial(bili_qr.wait, base_url=url, poll_interval_ms=100))
    monkeypatch.setattr(bili_qr, "check", functools.partial(bili_qr.check, api_base_url=url))
    monkeypatch.setattr(bili_qr, "logout", functools.partial(bili_qr.logout, base_url=url))
    monkeypatch.chdir(tmp_path)

    login_example, check_example = python_blocks()[:2]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(login_example, "README.md (login)", "exec"), {"__name__": "__readme__"})
    printed = out.getvalue()
    assert len(issued) == 1
    assert bili_qr.render(issued[0].qr_url) in printed  # the QR code of qr_url, not of anything else
    assert "logged in as DemoUser (mid 1709658507)" in printed
    cookies = tmp_path / "cookies.txt"
    assert stat.S_IMODE(os.stat(cookies).st_mode) == 0o600
    assert bili_qr.Session.load(cookies).mid == 1709658507

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(check_example, "README.md (check)", "exec"), {"__name__": "__readme__"})
    assert out.getvalue().strip() == "logged in as DemoUser"

    # once the session ended, the same example says so
    bili_qr.logout(bili_qr.Session.load(cookies))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(check_example, "README.md (check)", "exec"), {"__name__": "__readme__"})
    assert out.getvalue().strip() == "expired: log in again"


def test_readme_mainland_example_runs_against_the_fake_server(server, scenario, monkeypatch, tmp_path):
    """The mainland example: login with site="main", save, check; the service asks for a refresh (refresh=1),
    so the example refreshes, saves, confirms and saves: the file then holds the new session, and the one of
    the login is retired. The wrappers add the fake server's URLs and its refresh key (never the site)."""
    blocks = python_blocks()
    assert len(blocks) >= 3, "README.md has no mainland Python example"
    example = blocks[2]
    opts = server.main_options(scenario(flow="wsc", refresh="1"))
    del opts["site"]
    logins = []
    real_wait = bili_qr.wait

    def wait(ticket, on_progress=None, **options):
        login = real_wait(ticket, on_progress, **{**opts, "poll_interval_ms": 100, **options})
        logins.append(login)
        return login

    monkeypatch.setattr(bili_qr, "wait", wait)
    for name in ("start", "check", "refresh", "refresh_confirm", "logout"):
        monkeypatch.setattr(bili_qr, name, functools.partial(getattr(bili_qr, name), **opts))
    monkeypatch.chdir(tmp_path)

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(example, "README.md (mainland)", "exec"), {"__name__": "__readme__"})
    assert out.getvalue().rstrip().endswith("logged in as DemoUser")
    (login,) = logins
    assert login.site == "main" and login.refresh_token
    saved_path = tmp_path / "bilibili.txt"
    assert stat.S_IMODE(os.stat(saved_path).st_mode) == 0o600
    saved = bili_qr.Session.load(saved_path)
    assert saved.site == "main" and not saved.needs_confirm
    assert saved.refresh_token and saved.refresh_token != login.refresh_token  # refreshed and confirmed
    assert bili_qr.check(saved).valid
    assert bili_qr.check(login).status == "expired"  # the confirmation retired the login's session


def test_examples_are_found():
    """Every Python block of the README compiles (python_blocks() fails when fewer than two are found)."""
    for block in python_blocks():
        compile(block, "README.md", "exec")
        assert "bili_qr." in block
