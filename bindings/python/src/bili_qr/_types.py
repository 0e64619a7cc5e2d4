"""Result types: QrCode, PollResult, Login and Cookie."""

from __future__ import annotations

import http.cookiejar
import os
import secrets
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Union

__all__ = ["Cookie", "Login", "QrCode", "PollResult", "mask_ticket"]

PathLike = Union[str, "os.PathLike[str]"]

NETSCAPE_HEADER = (
    "# Netscape HTTP Cookie File\n"
    "# Written by bili_qr (Python). It holds a logged-in bilibili.tv session: keep it private.\n"
    "\n"
)
HTTPONLY_PREFIX = "#HttpOnly_"
# the nonstandard attribute http.cookiejar uses for HttpOnly (and writes as "#HttpOnly_" in cookies.txt)
HTTPONLY_ATTR = getattr(http.cookiejar, "HTTPONLY_ATTR", "HTTPOnly")


def mask_ticket(ticket: str) -> str:
    """A ticket shortened for display: its first 6 characters and an ellipsis."""
    return ticket[:6] + "…" if len(ticket) > 6 else ticket


@dataclass(frozen=True)
class Cookie:
    """One session cookie, exactly as the service sent it (values are not decoded).

    ``domain`` has no leading dot, or is None for a host-only cookie; ``expires`` is Unix seconds, or None for a
    session cookie. The value is left out of ``repr()``.
    """

    name: str
    value: str = field(repr=False)
    domain: Optional[str]
    path: str
    expires: Optional[int]
    secure: bool
    http_only: bool

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "Cookie":
        expires = obj.get("expires")
        return cls(
            name=str(obj["name"]),
            value=str(obj["value"]),
            domain=obj.get("domain") or None,
            path=obj.get("path") or "/",
            expires=int(expires) if expires is not None else None,
            secure=bool(obj.get("secure", False)),
            http_only=bool(obj.get("http_only", False)),
        )


@dataclass(frozen=True)
class QrCode:
    """A new QR code: show ``qr_url`` as a QR code (see :func:`bili_qr.render`), then wait on ``ticket``."""

    ticket: str
    qr_url: str
    qr_type: str

    def __repr__(self) -> str:  # the ticket is a secret until it is spent: show its start only
        return f"QrCode(ticket={mask_ticket(self.ticket)!r}, qr_url=<{len(self.qr_url)} chars>, qr_type={self.qr_type!r})"


@dataclass(frozen=True)
class Login:
    """A confirmed login: who logged in and the session cookies.

    ``cookie_host`` is the host that set the cookies without a Domain attribute (the host of ``base_url``);
    cookies.txt files need a host for them. ``repr()`` shows cookie names only, never values.
    """

    mid: int
    is_new: bool
    name: str
    face: str
    cookies: List[Cookie] = field(repr=False)
    cookie_header: str = field(repr=False)
    go_url: str = ""
    cookie_host: str = "passport.bilibili.tv"

    @classmethod
    def from_json(cls, obj: Mapping[str, Any], cookie_host: str = "passport.bilibili.tv") -> "Login":
        profile = obj.get("user_profile") or {}
        return cls(
            mid=int(obj["mid"]),
            is_new=bool(obj.get("is_new", False)),
            name=str(profile.get("name") or ""),
            face=str(profile.get("face") or ""),
            cookies=[Cookie.from_json(c) for c in obj.get("cookies") or []],
            cookie_header=str(obj.get("cookie_header") or ""),
            go_url=str(obj.get("go_url") or ""),
            cookie_host=cookie_host,
        )

    def __repr__(self) -> str:
        names = ", ".join(c.name for c in self.cookies)
        return f"Login(mid={self.mid}, is_new={self.is_new}, name={self.name!r}, cookies=[{names}])"

    def cookie(self, name: str) -> Optional[Cookie]:
        """The cookie of that name, or None."""
        for c in self.cookies:
            if c.name == name:
                return c
        return None

    @property
    def csrf(self) -> Optional[str]:
        """The CSRF token (the ``bili_jct`` cookie's value) that write requests to the site need, or None."""
        c = self.cookie("bili_jct")
        return c.value if c else None

    def as_dict(self) -> Dict[str, str]:
        """``{name: value}`` of every cookie, e.g. for ``requests.get(url, cookies=login.as_dict())``."""
        return {c.name: c.value for c in self.cookies}

    def _netscape_fields(self, c: Cookie) -> "tuple[str, bool, str]":
        """(domain as written in a cookie jar, include subdomains, path)."""
        if c.domain:
            return "." + c.domain.lstrip("."), True, c.path or "/"
        return self.cookie_host, False, c.path or "/"

    def to_cookiejar(self) -> http.cookiejar.MozillaCookieJar:
        """The cookies in a :class:`http.cookiejar.MozillaCookieJar` (``jar.save(path, ignore_discard=True)``
        works, though :meth:`save_cookies_txt` is the safer way to write a file)."""
        jar = http.cookiejar.MozillaCookieJar()
        for c in self.cookies:
            domain, subdomains, path = self._netscape_fields(c)
            jar.set_cookie(
                http.cookiejar.Cookie(
                    version=0,
                    name=c.name,
                    value=c.value,
                    port=None,
                    port_specified=False,
                    domain=domain,
                    domain_specified=subdomains,
                    domain_initial_dot=subdomains,
                    path=path,
                    path_specified=True,
                    secure=c.secure,
                    expires=c.expires,
                    discard=c.expires is None,
                    comment=None,
                    comment_url=None,
                    rest={HTTPONLY_ATTR: ""} if c.http_only else {},
                )
            )
        return jar

    def cookies_txt(self, http_only_prefix: bool = True) -> str:
        """The cookies as a Netscape cookies.txt document (curl, yt-dlp, ``MozillaCookieJar``).

        HttpOnly cookies get curl's ``#HttpOnly_`` prefix, which curl, yt-dlp and Python 3.10+ read; readers that
        do not know it (``MozillaCookieJar`` before Python 3.10) take those lines for comments and lose the
        cookies, so pass ``http_only_prefix=False`` for them (the HttpOnly flag is then not recorded). A session
        cookie has an empty expiry field.
        """
        lines = [NETSCAPE_HEADER]
        for c in self.cookies:
            domain, subdomains, path = self._netscape_fields(c)
            fields = [
                domain,
                "TRUE" if subdomains else "FALSE",
                path,
                "TRUE" if c.secure else "FALSE",
                str(c.expires) if c.expires is not None else "",
                c.name,
                c.value,
            ]
            for f in fields:
                if any(ch in f for ch in "\t\r\n"):
                    raise ValueError(f"cookie {c.name!r} cannot be written to cookies.txt: a field holds a tab or newline")
            lines.append((HTTPONLY_PREFIX if c.http_only and http_only_prefix else "") + "\t".join(fields) + "\n")
        return "".join(lines)

    def save_cookies_txt(self, path: PathLike, http_only_prefix: bool = True) -> None:
        """Write the cookies to ``path`` in Netscape cookies.txt format, for ``yt-dlp --cookies`` or curl.

        The file is written atomically: a temporary file in the same directory, created with mode 0600 (never
        readable by others, not even for a moment), flushed to disk, then renamed over ``path``. An existing
        file is replaced, and ends with mode 0600 too. ``http_only_prefix``: see :meth:`cookies_txt`.
        """
        _write_private_atomic(os.fspath(path), self.cookies_txt(http_only_prefix).encode("utf-8"))


def _write_private_atomic(path: str, data: bytes) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    if not base:
        raise IsADirectoryError(f"not a file name: {path!r}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o600)
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover
        raise FileExistsError(f"could not create a temporary file in {directory}")
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)  # exactly 0600, whatever the umask
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename durable; best effort
        try:
            dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return
        try:
            os.fsync(dfd)
        except OSError:
            pass
        finally:
            os.close(dfd)


@dataclass(frozen=True)
class PollResult:
    """The state of a ticket: ``status`` is ``"waiting"``, ``"scanned"``, ``"expired"`` or ``"confirmed"``;
    ``code`` and ``message`` are the API's; ``login`` is set when confirmed."""

    status: str
    code: int
    message: str
    login: Optional[Login] = None

    @classmethod
    def from_json(cls, obj: Mapping[str, Any], cookie_host: str = "passport.bilibili.tv") -> "PollResult":
        status = str(obj["status"])
        return cls(
            status=status,
            code=int(obj["code"]),
            message=str(obj.get("message") or ""),
            login=Login.from_json(obj, cookie_host) if status == "confirmed" else None,
        )
