"""The options are typed: ``mypy --strict`` refuses a wrong option name or type, and the package itself passes
``mypy --strict``. Needs mypy (the suite installs it; outside the suite the test is skipped without it)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest


def _mypy(tmp_path, source: str) -> subprocess.CompletedProcess:
    try:
        import mypy  # noqa: F401
    except ImportError:
        if os.environ.get("BILI_QR_TEST_STRICT") == "1":
            pytest.fail("mypy is not installed (the suite installs it)")
        pytest.skip("mypy is not installed")
    path = tmp_path / "snippet.py"
    path.write_text(textwrap.dedent(source))
    env = dict(os.environ)
    import bili_qr

    parent = os.path.dirname(os.path.dirname(os.path.realpath(bili_qr.__file__)))
    if "site-packages" not in parent:  # a source tree (PYTHONPATH=src); an installed package is found as is
        env["MYPYPATH"] = parent
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=str(tmp_path),
        env=env,
    )


def test_mypy_catches_a_wrong_option_name_and_type(tmp_path):
    r = _mypy(
        tmp_path,
        """
        import bili_qr

        bili_qr.start(base_url=123)
        bili_qr.start(no_such_option=1)
        bili_qr.wait("t", poll_interval_ms="fast")
        bili_qr.check("SESSDATA=x", verify_login=True)
        bili_qr.refresh("SESSDATA=x", site=1)
        bili_qr.refresh_confirm("SESSDATA=x", refresh_public_key=b"pem")
        """,
    )
    out = r.stdout
    assert r.returncode == 1, out + r.stderr
    assert 'snippet.py:4: error: Argument "base_url" to "start" has incompatible type "int"' in out, out
    assert 'snippet.py:5: error: Unexpected keyword argument "no_such_option" for "start"' in out, out
    assert "snippet.py:6: error" in out and "poll_interval_ms" in out, out
    assert "snippet.py:7: error" in out and "verify_login" in out, out  # a poll/wait option, not check's
    assert 'snippet.py:8: error: Argument "site" to "refresh" has incompatible type "int"' in out, out
    assert "snippet.py:9: error" in out and "refresh_public_key" in out, out


def test_mypy_accepts_correct_use(tmp_path):
    r = _mypy(
        tmp_path,
        """
        import asyncio
        from typing import Optional

        import bili_qr


        def login(url: str) -> Optional[int]:
            qr = bili_qr.start(base_url=url, timeout_ms=5000, proxy=None)
            print(bili_qr.render(qr.qr_url))
            result = bili_qr.wait(qr.ticket, None, base_url=url, poll_interval_ms=100, verify_login=True)
            result.session.save("cookies.txt")
            session = bili_qr.check(bili_qr.Session.load("cookies.txt"), api_base_url=url)
            warnings: list[str] = result.warnings
            print(warnings, session.valid, session.name)
            return result.mid


        async def later(url: str) -> bool:
            s = await bili_qr.check_async("SESSDATA=x", api_base_url=url)
            return await bili_qr.logout_async(s, base_url=url)


        def mainland(url: str) -> Optional[str]:
            qr = bili_qr.start(site="main", base_url=url, flow="web")
            login = bili_qr.wait(qr.ticket, site="main", base_url=url)
            token: Optional[bili_qr.Token] = login.token
            session = bili_qr.check(login.session, site="main", www_base_url=url, refresh_public_key="PEM")
            needed: Optional[bool] = session.refresh_needed
            new = bili_qr.refresh(session, site="main")
            new.save("cookies.txt")
            if new.needs_confirm:
                new = bili_qr.refresh_confirm(new, site="main", app_key="k", app_secret="s")
            print(token, needed, new.previous_refresh_token, login.site, login.flow)
            return new.refresh_token


        async def mainland_async(session: bili_qr.Session) -> bili_qr.Session:
            new = await bili_qr.refresh_async(session, site="main")
            return await bili_qr.refresh_confirm_async(new)


        asyncio.run(later("http://127.0.0.1:1"))
        """,
    )
    assert r.returncode == 0, r.stdout + r.stderr
