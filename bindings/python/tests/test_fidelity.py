"""A confirmed login whose optional fields are null or missing is a Login with None there,
``warnings`` is a list of strings, ``host`` is the base_url host, ``verified`` follows ``verify_login``."""

from __future__ import annotations

import bili_qr

FAST = {"poll_interval_ms": 100}


def _login(url: str, **options) -> bili_qr.Login:
    return bili_qr.wait(bili_qr.start(base_url=url).ticket, base_url=url, **FAST, **options)


def test_a_normal_login_has_every_field(base_url):
    login = _login(base_url(flow="c", foreign="1"))
    assert login.mid == 1709658507 and login.is_new is False and login.go_url == ""
    assert login.name == "DemoUser" and login.user_profile is not None
    # the fake server's confirmed answer carries a cookie for evil.example.com: dropped, and said so
    assert isinstance(login.warnings, list) and all(isinstance(w, str) for w in login.warnings)
    assert any("evil.example.com" in w for w in login.warnings), login.warnings
    assert login.host == "127.0.0.1" and login.cookie_host == "127.0.0.1"
    assert login.verified is None  # not asked for


def test_null_fields_are_none(base_url):
    login = _login(base_url(flow="c", confirm="nulls"))
    assert login.mid == 1709658507  # from the DedeUserID cookie
    assert login.is_new is None and login.go_url is None and login.user_profile is None
    assert login.name is None and login.face is None
    assert {"SESSDATA", "bili_jct", "DedeUserID"} <= {c.name for c in login.cookies}
    assert isinstance(login.warnings, list) and all(isinstance(w, str) for w in login.warnings)
    # the session still converts and checks out
    assert login.session.mid == 1709658507


def test_empty_data_is_a_login_too(base_url):
    login = _login(base_url(flow="c", confirm="empty"))
    assert login.mid == 1709658507 and login.is_new is None and login.name is None
    assert login.csrf


def test_string_code_is_a_login(base_url):
    url = base_url(flow="c", codestr="1")
    result = bili_qr.poll(bili_qr.start(base_url=url).ticket, base_url=url)
    assert result.status == "confirmed" and result.login is not None and result.login.mid == 1709658507


def test_verify_login(base_url):
    url = base_url(flow="c")
    login = _login(url, verify_login=True, api_base_url=url)
    assert login.verified is True
    assert not any("verif" in w for w in login.warnings), login.warnings

    down = base_url(flow="c", verify="down")
    login = _login(down, verify_login=True, api_base_url=down, timeout_ms=3000)
    assert login.verified is False
    assert login.warnings and all(isinstance(w, str) for w in login.warnings)
    sessdata = login.cookie("SESSDATA")
    assert sessdata is not None and all(sessdata.value not in w for w in login.warnings)


def test_warnings_name_what_failed_without_secrets(base_url):
    url = base_url(flow="c", gourl="hop404")
    login = _login(url)
    assert login.warnings, "a go_url hop that answered 404 is worth a warning"
    assert any("404" in w for w in login.warnings), login.warnings
    secrets = [c.value for c in login.cookies if c.name in ("SESSDATA", "bili_jct")]
    assert len(secrets) == 2
    for value in secrets:
        assert all(value not in w for w in login.warnings)
        assert value not in repr(login)
    assert "warnings=" in repr(login)
