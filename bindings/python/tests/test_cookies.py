"""Login.as_dict / to_cookiejar / save_cookies_txt, read back by http.cookiejar and by yt-dlp."""

from __future__ import annotations

import http.cookiejar
import importlib
import os
import stat
import sys
import urllib.request

import pytest

import bili_qr

FAST = {"poll_interval_ms": 100}
HTTPONLY = getattr(http.cookiejar, "HTTPONLY_ATTR", "HTTPOnly")
ON_WWW = ["SESSDATA", "bili_jct", "DedeUserID", "DedeUserID__ckMd5", "joy_jct"]


def require(module: str):
    """Import a test dependency; in the suite (BILI_QR_TEST_STRICT=1) a missing one fails instead of skipping."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("BILI_QR_TEST_STRICT") == "1":
            raise
        pytest.skip(f"{module} is not installed")


@pytest.fixture
def login(base_url) -> bili_qr.Login:
    url = base_url(flow="c")
    return bili_qr.wait(bili_qr.start(base_url=url).ticket, base_url=url, **FAST)


def _cookie_header(jar: http.cookiejar.CookieJar, url: str) -> str:
    req = urllib.request.Request(url)
    jar.add_cookie_header(req)
    return req.get_header("Cookie") or ""


def test_login_cookie_host_is_the_base_url_host(login):
    assert login.cookie_host == "127.0.0.1"


def test_to_cookiejar(login):
    jar = login.to_cookiejar()
    assert isinstance(jar, http.cookiejar.MozillaCookieJar)
    by_name = {c.name: c for c in jar}
    assert set(by_name) == {c.name for c in login.cookies}
    for c in login.cookies:
        assert by_name[c.name].value == c.value
        assert by_name[c.name].secure == c.secure
        assert by_name[c.name].has_nonstandard_attr(HTTPONLY) == c.http_only
    header = _cookie_header(jar, "https://www.bilibili.tv/video/123")
    sent = dict(part.split("=", 1) for part in header.split("; "))
    assert set(sent) == set(ON_WWW)
    assert all(sent[n] == login.cookie(n).value for n in ON_WWW)  # type: ignore[union-attr]
    # secure cookies are not sent over plain http
    assert _cookie_header(jar, "http://www.bilibili.tv/") == ""


@pytest.mark.parametrize("prefix", [True, False])
def test_cookies_txt_read_back_by_http_cookiejar(login, tmp_path, prefix):
    if prefix and sys.version_info < (3, 10):
        pytest.skip("MozillaCookieJar reads #HttpOnly_ lines from Python 3.10 on")
    path = tmp_path / "cookies.txt"
    login.save_cookies_txt(path, http_only_prefix=prefix)
    jar = http.cookiejar.MozillaCookieJar()
    # The library writes a session cookie (sid) with expiry 0, curl's convention; MozillaCookieJar takes 0 for a
    # time in the past, so it keeps such a cookie only with ignore_expires (yt-dlp and curl read 0 as "session").
    jar.load(str(path), ignore_discard=True, ignore_expires=True)
    loaded = {c.name: c for c in jar}
    assert set(loaded) == {c.name for c in login.cookies}
    for c in login.cookies:
        got = loaded[c.name]
        assert got.value == c.value
        assert got.secure == c.secure
        assert got.expires == (c.expires if c.expires is not None else 0)
        assert got.path == c.path
        assert got.has_nonstandard_attr(HTTPONLY) == (c.http_only and prefix)
    assert loaded["SESSDATA"].domain == ".bilibili.tv"
    assert loaded["sid"].domain == "127.0.0.1"  # host-only: the host that set it
    header = _cookie_header(jar, "https://www.bilibili.tv/")
    assert sorted(p.split("=", 1)[0] for p in header.split("; ")) == sorted(ON_WWW)
    text = path.read_text("utf-8")
    assert text.startswith("# Netscape HTTP Cookie File\n")
    assert ("#HttpOnly_.bilibili.tv\tTRUE\t/\tTRUE\t" in text) == prefix
    assert "#HttpOnly_" not in login.cookies_txt(http_only_prefix=False)


def test_cookies_txt_read_back_by_yt_dlp(login, tmp_path):
    require("yt_dlp")
    from yt_dlp import YoutubeDL
    from yt_dlp.cookies import YoutubeDLCookieJar

    path = tmp_path / "cookies.txt"
    login.save_cookies_txt(path)

    jar = YoutubeDLCookieJar(str(path))
    jar.load()
    loaded = {c.name: c.value for c in jar}
    assert loaded == login.as_dict()

    # exactly as `yt-dlp --cookies cookies.txt` loads it
    ydl = YoutubeDL({"cookiefile": str(path), "quiet": True, "no_warnings": True})
    header = ydl.cookiejar.get_cookie_header("https://www.bilibili.tv/en/video/2009")
    sent = dict(part.split("=", 1) for part in header.split("; "))
    assert set(sent) == set(ON_WWW)
    assert all(sent[n] == login.cookie(n).value for n in ON_WWW)  # type: ignore[union-attr]
    mid = ydl.cookiejar.get_cookie_header("https://www.biliintl.com/")
    assert mid == f"mid={login.cookie('mid').value}"  # type: ignore[union-attr]


def test_cookies_txt_mode_0600_whatever_the_umask(login, tmp_path):
    path = tmp_path / "cookies.txt"
    old = os.umask(0)
    try:
        login.save_cookies_txt(str(path))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(tmp_path) == ["cookies.txt"]  # no temporary file left behind


def test_cookies_txt_replaces_an_existing_file_atomically(login, tmp_path):
    path = tmp_path / "cookies.txt"
    path.write_text("old contents\n")
    os.chmod(path, 0o644)
    old_inode = os.stat(path).st_ino
    login.save_cookies_txt(path)
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_ino != old_inode  # a new file renamed over the old one, not rewritten in place
    assert "old contents" not in path.read_text()
    assert sorted(os.listdir(tmp_path)) == ["cookies.txt"]


def test_cookies_txt_is_0600_even_under_a_umask_that_takes_the_write_bit(login, tmp_path):
    # The library's writer creates the file 0600 with O_EXCL, then sets 0600 again before writing: a umask
    # of 0277 would otherwise leave 0400.
    path = tmp_path / "c.txt"
    old = os.umask(0o277)
    try:
        login.save_cookies_txt(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(tmp_path) == ["c.txt"]


def test_cookies_txt_failure_leaves_nothing(login, tmp_path):
    with pytest.raises(bili_qr.ArgumentError, match="missing-dir.*does not exist"):
        login.save_cookies_txt(tmp_path / "missing-dir" / "cookies.txt")
    assert os.listdir(tmp_path) == []
