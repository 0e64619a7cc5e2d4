"""start, poll, wait, cancel, render, versions: the happy paths against the fake server."""

from __future__ import annotations

import ctypes
import importlib.metadata
import re
import threading
import time

import pytest

import bili_qr

FAST = {"poll_interval_ms": 100}
KEPT = ["SESSDATA", "bili_jct", "DedeUserID", "DedeUserID__ckMd5", "joy_jct", "mid", "sid"]


def test_versions_match_the_loaded_library():
    assert bili_qr.abi_version() >= 2
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", bili_qr.__version__)
    assert bili_qr.library_version() == bili_qr.__version__
    try:
        installed = importlib.metadata.version("bili_qr")
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed is not None:
        assert installed == bili_qr.__version__


def test_status_str():
    assert bili_qr.status_str(0) != bili_qr.status_str(-4)
    assert bili_qr.status_str(12345) == "unknown status"
    # values outside a C int are unknown too, not wrapped onto a known code (2**32 - 7 would wrap to -7)
    for big in (2**32, 2**40, -(2**32) - 7, 2**31, -(2**31) - 1):
        assert bili_qr.status_str(big) == "unknown status", big
    for status in range(-8, 4):
        assert bili_qr.status_str(status) and bili_qr.status_str(status) != "unknown status"


def test_every_function_has_a_declared_signature():
    from bili_qr import _lib

    out = ctypes.POINTER(ctypes.c_void_p)
    names = [
        "bili_qr_abi_version", "bili_qr_version", "bili_qr_status_str", "bili_qr_last_error", "bili_qr_start",
        "bili_qr_poll", "bili_qr_free", "bili_qr_wait", "bili_qr_cancel", "bili_qr_render", "bili_qr_check",
        "bili_qr_logout", "bili_qr_session_convert", "bili_qr_refresh", "bili_qr_refresh_confirm",
        "bili_qr_session_save",
    ]
    for name in names:
        assert getattr(_lib.lib, name).argtypes is not None, name
    assert _lib.lib.bili_qr_free.restype is None
    # strings the caller frees come back through void pointers (c_char_p would copy and lose the pointer)
    for name in ["bili_qr_start", "bili_qr_poll", "bili_qr_wait", "bili_qr_render", "bili_qr_check",
                 "bili_qr_logout", "bili_qr_session_convert", "bili_qr_refresh", "bili_qr_refresh_confirm"]:
        plain, ex = getattr(_lib.lib, name), getattr(_lib.lib, name + "_ex")
        assert plain.argtypes[-1] is out, name
        assert plain.restype is ctypes.c_int and ex.restype is ctypes.c_int, name
        # the _ex twin: the same parameters and one more char **out_error
        assert list(ex.argtypes) == list(plain.argtypes) + [out], name
    save, save_ex = _lib.lib.bili_qr_session_save, _lib.lib.bili_qr_session_save_ex
    assert list(save.argtypes) == [ctypes.c_char_p, ctypes.c_char_p]
    assert list(save_ex.argtypes) == [ctypes.c_char_p, ctypes.c_char_p, out]


def test_start(base_url):
    qr = bili_qr.start(base_url=base_url())
    assert isinstance(qr, bili_qr.QrCode)
    assert re.fullmatch(r"[0-9a-f]{32}", qr.ticket)
    assert qr.qr_url == f"https://www.bilibili.tv/h5/en/qrcode/login?ticket={qr.ticket}"
    assert qr.qr_type == "qrcode_login"
    assert qr.ticket not in repr(qr) and qr.ticket[:6] in repr(qr)
    again = bili_qr.start(base_url=base_url())
    assert again.ticket != qr.ticket


def test_start_sends_the_options(server, scenario):
    sc = scenario()
    qr = bili_qr.start(base_url=server.url(sc), locale="th_TH", platform="web", user_agent="bili_qr-python-test/1")
    assert "/h5/th/" in qr.qr_url
    (record,) = server.requests_for(sc, "url")
    assert record["query"]["s_locale"] == "th_TH"
    assert record["headers"]["user-agent"] == "bili_qr-python-test/1"


def test_poll_walks_the_flow_and_returns_the_login(server, scenario):
    sc = scenario(flow="wsc")
    url = server.url(sc)
    qr = bili_qr.start(base_url=url)
    first = bili_qr.poll(qr.ticket, base_url=url)
    assert (first.status, first.code, first.login) == ("waiting", 10018101, None)
    second = bili_qr.poll(qr.qr_url, base_url=url)  # a qr_url works as well as the ticket
    assert (second.status, second.code) == ("scanned", 10018102)
    assert second.message
    third = bili_qr.poll(qr.ticket, base_url=url)
    assert third.status == "confirmed" and third.code == 0
    login = third.login
    assert isinstance(login, bili_qr.Login)
    assert login.mid == 1709658507 and login.name == "DemoUser" and login.is_new is False
    assert [c.name for c in login.cookies] == KEPT
    # the values are exactly what the server sent
    (confirmed,) = [r for r in server.requests_for(sc, "fetch") if r["set_cookies"]]
    sent = dict(h.split(";")[0].split("=", 1) for h in confirmed["set_cookies"])
    for c in login.cookies:
        assert c.value == sent[c.name]
    assert login.cookie_header == "; ".join(f"{c.name}={c.value}" for c in login.cookies)
    assert login.as_dict() == {c.name: sent[c.name] for c in login.cookies}
    sess = login.cookie("SESSDATA")
    assert sess is not None and sess.domain == "bilibili.tv" and sess.path == "/"
    assert sess.secure and sess.http_only and sess.expires and sess.expires > time.time() + 170 * 86400
    sid = login.cookie("sid")
    assert sid is not None and sid.domain is None and sid.expires is None
    assert login.cookie("mid").domain == "biliintl.com"  # type: ignore[union-attr]
    assert login.csrf == sent["bili_jct"]
    # spent: later polls answer expired, without raising
    after = bili_qr.poll(qr.ticket, base_url=url)
    assert after.status == "expired" and after.code == 10018100 and after.login is None


def test_login_repr_holds_no_cookie_values(base_url):
    url = base_url(flow="c")
    qr = bili_qr.start(base_url=url)
    result = bili_qr.poll(qr.ticket, base_url=url)
    login = result.login
    assert login is not None
    texts = [repr(login), str(login), repr(result), repr(login.cookies), repr(login.cookies[0])]
    for c in login.cookies:
        if len(c.value) >= 4 and c.value != str(login.mid):  # DedeUserID and mid hold the (public) mid
            for t in texts:
                assert c.value not in t, (c.name, t)
    assert "SESSDATA" in repr(login) and "DemoUser" in repr(login)


def test_wait_reports_progress_and_returns_the_login(server, scenario):
    sc = scenario(flow="wwsc", name="Alice", mid="42")
    url = server.url(sc)
    qr = bili_qr.start(base_url=url)
    seen = []
    threads = set()
    login = bili_qr.wait(qr.ticket, lambda r: (seen.append((r.status, r.code)), threads.add(threading.get_ident())),
                         base_url=url, **FAST)
    assert seen == [("waiting", 10018101), ("waiting", 10018101), ("scanned", 10018102)]
    assert threads == {threading.get_ident()}  # called on the waiting thread
    assert (login.mid, login.name) == (42, "Alice")
    assert [c.name for c in login.cookies] == KEPT
    assert len(server.requests_for(sc, "fetch")) == 4


def test_wait_accepts_the_qr_url_and_no_callback(base_url):
    url = base_url(flow="sc")
    qr = bili_qr.start(base_url=url)
    login = bili_qr.wait(qr.qr_url, base_url=url, **FAST)
    assert login.mid == 1709658507


def test_wait_follows_go_url_and_cookie_info(base_url):
    for extra in ({"gourl": "1"}, {"cookieinfo": "1"}):
        url = base_url(flow="c", **extra)
        login = bili_qr.wait(bili_qr.start(base_url=url).ticket, base_url=url, **FAST)
        names = [c.name for c in login.cookies]
        for needed in ("SESSDATA", "bili_jct", "DedeUserID", "DedeUserID__ckMd5"):
            assert needed in names, (extra, names)


def test_wait_expired_raises_expired_error(base_url):
    url = base_url(flow="wwe")
    qr = bili_qr.start(base_url=url)
    calls = []
    with pytest.raises(bili_qr.ExpiredError) as info:
        bili_qr.wait(qr.ticket, calls.append, base_url=url, **FAST)
    assert info.value.status == 3 and isinstance(info.value, bili_qr.Error)
    assert "expired" in info.value.message
    assert info.value.result is not None and info.value.result.status == "expired"
    assert [r.status for r in calls] == ["waiting", "waiting"]


def test_cancel_ends_a_wait(server, scenario):
    sc = scenario(flow="w")
    url = server.url(sc)
    qr = bili_qr.start(base_url=url)
    outcome = []

    def run():
        try:
            bili_qr.wait(qr.ticket, base_url=url, poll_interval_ms=30000, wait_timeout_ms=60000)
        except BaseException as e:  # noqa: B902
            outcome.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    # once the server has seen its first poll the wait is running (it registers before polling)
    deadline = time.monotonic() + 10
    while not server.requests_for(sc, "fetch") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.requests_for(sc, "fetch"), "the wait polled"
    signalled = bili_qr.cancel(qr.qr_url)  # a URL names the ticket too
    started = time.monotonic()
    t.join(20)
    took = time.monotonic() - started
    assert not t.is_alive()
    assert signalled == 1
    # the wait sleeps 30 s between polls: a cancel not seen during the sleep would end it 30 s later at the
    # soonest; 10 s is far from that and from the ~0.1 s expected
    assert took < 10
    assert len(outcome) == 1 and isinstance(outcome[0], bili_qr.CancelledError)
    assert outcome[0].status == -7 and outcome[0].message


def test_render_formats():
    text = "https://www.bilibili.tv/h5/en/qrcode/login?ticket=0123456789abcdef0123456789abcdef"
    matrix = bili_qr.render(text, "matrix")
    rows = matrix.split("\n")
    assert rows[-1] == ""
    rows = rows[:-1]
    n = len(rows)
    assert n >= 21 and (n - 17) % 4 == 0
    assert all(len(r) == n and set(r) <= {"0", "1"} for r in rows)
    # finder pattern in the top-left corner
    assert rows[0][:7] == "1111111" and rows[1][:7] == "1000001"

    utf8 = bili_qr.render(text)  # utf8 is the default
    assert utf8 == bili_qr.render(text, format="utf8")
    lines = utf8.split("\n")
    assert lines[-1] == "" and len(lines) - 1 >= (n + 4) // 2
    assert set("".join(lines)) <= set("▀▄█ ")
    assert "█" in utf8

    svg = bili_qr.render(text, "svg")
    assert "<svg" in svg and svg.rstrip().endswith("</svg>")


def test_render_bad_arguments():
    with pytest.raises(bili_qr.ArgumentError) as info:
        bili_qr.render("x", "png")
    assert "png" in info.value.message or "format" in info.value.message
    with pytest.raises(bili_qr.ArgumentError):
        bili_qr.render("")
    with pytest.raises(bili_qr.ArgumentError):
        bili_qr.render("x" * 2049)
    assert bili_qr.render("x" * 2048, "matrix")
