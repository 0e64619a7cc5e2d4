"""Session, check, logout, end to end against the fake server."""

from __future__ import annotations

import asyncio
import json
import os
import stat

import pytest

import bili_qr

FAST = {"poll_interval_ms": 100}
REQUIRED = {"SESSDATA", "bili_jct", "DedeUserID"}


@pytest.fixture
def login_url(base_url):
    url = base_url(flow="c")
    login = bili_qr.wait(bili_qr.start(base_url=url).ticket, base_url=url, **FAST)
    return login, url


def test_login_save_check_renew_logout_check(server, scenario, login_url, tmp_path):
    login, url = login_url
    path = tmp_path / "cookies.txt"
    login.session.save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text().startswith("# Netscape HTTP Cookie File")

    saved = bili_qr.Session.load(path)
    assert saved.mid == login.mid and REQUIRED <= {c.name for c in saved.cookies}
    assert saved.cookie("SESSDATA").value == login.cookie("SESSDATA").value  # type: ignore[union-attr]
    assert saved.status is None and not saved.valid

    # check: valid, and the service renews SESSDATA (renew=1): that is the session to save from now on
    renewing = server.url(scenario(renew="1"))
    checked = bili_qr.check(saved, api_base_url=renewing)
    assert checked.valid and checked.status == "valid"
    assert checked.mid == login.mid and checked.name == "DemoUser"
    assert checked.renewed is True
    new_value = checked.cookie("SESSDATA").value  # type: ignore[union-attr]
    assert new_value != login.cookie("SESSDATA").value  # type: ignore[union-attr]
    assert f"SESSDATA={new_value}" in checked.cookie_header
    checked.save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    reloaded = bili_qr.Session.load(path)
    assert reloaded.cookie("SESSDATA").value == new_value  # type: ignore[union-attr]
    # the replaced value is logged out; the renewed one is valid
    assert bili_qr.check(saved, api_base_url=url).status == "expired"
    again = bili_qr.check(reloaded, api_base_url=url)
    assert again.valid and again.renewed is False

    # the cookies sent to the gateway were the session's
    sent = [r for r in server.log() if r["path"].endswith("/intl/gateway/web/v2/user")]
    assert sent and f"SESSDATA={new_value}" in sent[-1]["cookies"]

    # log out; then the session is expired, and a second logout says so
    assert bili_qr.logout(reloaded, base_url=url) is True
    exits = [r for r in server.log() if r["path"].endswith("/web/login/exit")]
    assert exits[-1]["method"] == "POST" and exits[-1]["form"].get("csrf") == reloaded.csrf
    after = bili_qr.check(Session_load_json(reloaded, tmp_path), api_base_url=url)
    assert after.status == "expired" and not after.valid
    assert bili_qr.logout(reloaded, base_url=url) is False


def Session_load_json(session: bili_qr.Session, tmp_path) -> bili_qr.Session:
    """Round trip through the JSON format (save picks it by the .json name)."""
    path = tmp_path / "session.json"
    session.save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    obj = json.loads(path.read_text())
    assert obj["mid"] == session.mid and isinstance(obj["cookies"], list)
    return bili_qr.Session.load(path)


def test_every_session_form_is_accepted(login_url, tmp_path):
    login, url = login_url
    header = login.cookie_header
    for form in (login, login.session, login.json_text, header, "Cookie: " + header, login.cookies_txt()):
        s = bili_qr.check(form, api_base_url=url)
        assert s.valid and s.mid == login.mid, type(form)
    path = tmp_path / "c.txt"
    login.save_cookies_txt(path)
    assert bili_qr.check(path, api_base_url=url).valid  # an os.PathLike is a file to read


def test_header_and_formats(login_url):
    login, _url = login_url
    s = login.session
    assert s.cookie_header == login.cookie_header
    assert bili_qr.session_convert(login.json_text, "header") == login.cookie_header
    with pytest.raises(bili_qr.ArgumentError):
        bili_qr.session_convert(login.json_text, "yaml")
    with pytest.raises(bili_qr.ArgumentError):
        s.save("x.txt", format="yaml")
    assert "SESSDATA" in repr(s) and s.cookie("SESSDATA").value not in repr(s)  # type: ignore[union-attr]


def test_to_cookiejar_sends_the_session_to_the_site(login_url):
    import urllib.request

    login, _url = login_url
    jar = login.session.to_cookiejar()
    req = urllib.request.Request("https://www.bilibili.tv/")
    jar.add_cookie_header(req)
    sent = dict(p.split("=", 1) for p in (req.get_header("Cookie") or "").split("; ") if p)
    assert REQUIRED <= set(sent)
    assert sent["SESSDATA"] == login.cookie("SESSDATA").value  # type: ignore[union-attr]


def test_csrf_mismatch_is_an_api_error(login_url):
    login, url = login_url
    sess = login.cookie("SESSDATA").value  # type: ignore[union-attr]
    with pytest.raises(bili_qr.ApiError) as info:
        bili_qr.logout(f"SESSDATA={sess}; bili_jct=0000; DedeUserID={login.mid}", base_url=url)
    assert "csrf" in info.value.message or "bili_jct" in info.value.message
    assert sess not in info.value.message
    assert bili_qr.check(login, api_base_url=url).valid  # the session was kept


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "bili_jct=1; DedeUserID=2", "{broken", '{"cookies":[]}', "\x01\x02\x03garbage\x7f",
     "x" * (10 * 1024 * 1024)],
    ids=["empty", "blank", "no-sessdata", "broken-json", "no-cookies", "garbage", "10MB"],
)
def test_bad_sessions_are_argument_errors_with_nothing_sent(server, scenario, bad):
    sc = scenario()
    url = server.url(sc)
    with pytest.raises(bili_qr.ArgumentError):
        bili_qr.check(bad, api_base_url=url)
    with pytest.raises(bili_qr.ArgumentError):
        bili_qr.logout(bad, base_url=url)
    with pytest.raises(bili_qr.ArgumentError):
        bili_qr.Session.parse(bad)
    assert server.requests_for(sc) == []


def test_async_variants(login_url):
    login, url = login_url

    async def main():
        checked = await bili_qr.check_async(login.session, api_base_url=url)
        out = await bili_qr.logout_async(checked, base_url=url)
        after = await bili_qr.check_async(checked, api_base_url=url)
        return checked, out, after

    checked, out, after = asyncio.run(asyncio.wait_for(main(), 60))
    assert checked.valid and out is True and after.status == "expired"


def test_a_cookies_txt_written_by_others_loads(login_url, tmp_path):
    """A cookies.txt with comments, blank and malformed lines (a browser export) still loads."""
    login, url = login_url
    text = login.cookies_txt()
    messy = "# exported by a browser\n\nnot a cookie line\n" + text + "\tbroken\tline\n"
    path = tmp_path / "browser.txt"
    path.write_text(messy)
    s = bili_qr.Session.load(path)
    assert s.cookie("SESSDATA").value == login.cookie("SESSDATA").value  # type: ignore[union-attr]
    assert bili_qr.check(s, api_base_url=url).valid
