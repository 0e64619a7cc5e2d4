"""Result types: QrCode, PollResult, Login, Cookie and Session.

Every file format (cookies.txt, the session JSON, the Cookie header) is the library's: these types hand the
library's JSON to ``bili_qr_session_convert`` and never write a format of their own.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Union

from . import _lib
from ._errors import InternalError, error_for_status

__all__ = ["Cookie", "Login", "QrCode", "PollResult", "Session", "Token", "mask_ticket", "session_convert"]

PathLike = Union[str, "os.PathLike[str]"]

HTTPONLY_PREFIX = "#HttpOnly_"
# the nonstandard attribute http.cookiejar uses for HttpOnly (and writes as "#HttpOnly_" in cookies.txt)
HTTPONLY_ATTR = getattr(http.cookiejar, "HTTPONLY_ATTR", "HTTPOnly")
DEFAULT_HOST = "passport.bilibili.tv"
FORMATS = ("json", "netscape", "header")


def mask_ticket(ticket: str) -> str:
    """A ticket shortened for display: its first 6 characters and an ellipsis."""
    return ticket[:6] + "…" if len(ticket) > 6 else ticket


def _c_text(value: str, what: str) -> bytes:
    """UTF-8 bytes for a C string argument; ArgumentError for text C cannot carry."""
    if not isinstance(value, str):
        raise error_for_status(-1, f"{what} must be a str, not {type(value).__name__}")
    if "\0" in value:
        raise error_for_status(-1, f"{what} holds a NUL character")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise error_for_status(-1, f"{what} is not valid Unicode (it holds a lone surrogate)") from None


def session_convert(session: str, format: str = "json") -> str:  # noqa: A002 - the ABI's name
    """The library's ``bili_qr_session_convert``: read a session in any form (poll object or session object
    JSON, cookies.txt text, Cookie header) and write it as ``"json"``, ``"netscape"`` or ``"header"``.

    Raises :class:`ArgumentError` for a session without SESSDATA, broken JSON, an unknown format, ...
    """
    rc, out, message = _lib.call_ex("bili_qr_session_convert", _c_text(session, "session"), _c_text(format, "format"))
    if rc < 0:
        raise error_for_status(rc, message)
    if out is None:
        raise InternalError(-8, "bili_qr_session_convert succeeded but returned nothing")
    return out


def _opt_str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def _opt_int(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _opt_bool(value: Any) -> Optional[bool]:
    return value if isinstance(value, bool) else None


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
        return cls(
            name=str(obj["name"]),
            value=str(obj["value"]),
            domain=_opt_str(obj.get("domain")) or None,
            path=_opt_str(obj.get("path")) or "/",
            expires=_opt_int(obj.get("expires")),
            secure=bool(obj.get("secure", False)),
            http_only=bool(obj.get("http_only", False)),
        )


def _opt_strs(value: Any) -> List[str]:
    return [str(w) for w in value] if isinstance(value, list) else []


@dataclass(frozen=True)
class Token:
    """The TV/app token of a ``flow="tv"`` login (ABI 3): ``access_token`` and ``refresh_token`` are secrets like
    SESSDATA (left out of ``repr()``); ``expires_at`` is Unix seconds, or None when the service did not say."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: Optional[int] = None

    @classmethod
    def from_json(cls, obj: Any) -> Optional["Token"]:
        """The token of a ``"token"`` JSON value, or None when it is not an object holding both tokens."""
        if not isinstance(obj, dict):
            return None
        access, refresh = obj.get("access_token"), obj.get("refresh_token")
        if not isinstance(access, str) or not isinstance(refresh, str):
            return None
        return cls(access_token=access, refresh_token=refresh, expires_at=_opt_int(obj.get("expires_at")))


@dataclass(frozen=True)
class QrCode:
    """A new QR code: show ``qr_url`` as a QR code (see :func:`bili_qr.render`), then wait on ``ticket``."""

    ticket: str
    qr_url: str
    qr_type: str
    #: ``"main"`` for a bilibili.com code (ABI 3), None for bilibili.tv.
    site: Optional[str] = None

    def __repr__(self) -> str:  # the ticket is a secret until it is spent: show its start only
        site = f", site={self.site!r}" if self.site is not None else ""
        return (
            f"QrCode(ticket={mask_ticket(self.ticket)!r}, qr_url=<{len(self.qr_url)} chars>, "
            f"qr_type={self.qr_type!r}{site})"
        )


class _Cookies:
    """What Login and Session share: a list of cookies, the host of the host-only ones, and the library's JSON."""

    cookies: List[Cookie]
    cookie_header: str
    host: str
    json_text: str

    def cookie(self, name: str) -> Optional[Cookie]:
        """The cookie of that name (the last one, as the Cookie header would send it), or None."""
        found = None
        for c in self.cookies:
            if c.name == name:
                found = c
        return found

    @property
    def csrf(self) -> Optional[str]:
        """The CSRF token (the ``bili_jct`` cookie's value) that write requests to the site need, or None."""
        c = self.cookie("bili_jct")
        return c.value if c else None

    def as_dict(self) -> Dict[str, str]:
        """``{name: value}`` of every cookie, e.g. for ``requests.get(url, cookies=login.as_dict())``."""
        return {c.name: c.value for c in self.cookies}

    def to_cookiejar(self) -> http.cookiejar.MozillaCookieJar:
        """The cookies in a :class:`http.cookiejar.MozillaCookieJar`, for ``urllib`` or ``requests``
        (host-only cookies belong to :attr:`host`)."""
        jar = http.cookiejar.MozillaCookieJar()
        for c in self.cookies:
            subdomains = bool(c.domain)
            domain = "." + c.domain.lstrip(".") if c.domain else self.host
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
                    path=c.path or "/",
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
        """The cookies as a Netscape cookies.txt document (curl, yt-dlp, ``MozillaCookieJar``), written by the
        library (``bili_qr_session_convert(…, "netscape")``).

        HttpOnly cookies get curl's ``#HttpOnly_`` prefix, which curl, yt-dlp and Python 3.10+ read; readers that
        do not know it (``MozillaCookieJar`` before Python 3.10) take those lines for comments and lose the
        cookies, so pass ``http_only_prefix=False`` for them (the prefix is then removed: the HttpOnly flag is
        not recorded).
        """
        text = session_convert(self.json_text, "netscape")
        if http_only_prefix:
            return text
        return "".join(
            line[len(HTTPONLY_PREFIX):] if line.startswith(HTTPONLY_PREFIX) else line
            for line in text.splitlines(keepends=True)
        )

    def save(self, path: PathLike, format: Optional[str] = None) -> None:  # noqa: A002
        """Write the session to ``path``: ``format`` ``"netscape"`` (cookies.txt, for ``yt-dlp --cookies``
        and curl), ``"json"`` (the session object) or ``"header"``; by default JSON when the name ends in
        ``.json``, else cookies.txt. :meth:`Session.load` reads either back.

        The file is written by the library's one session-file writer (``bili_qr_session_save``), atomically: a
        temporary file in the same directory, created with mode 0600 (never readable by others, not even for a
        moment), flushed to disk, then renamed over ``path`` (atomic on POSIX and Windows). An existing file is
        replaced and ends with mode 0600 too. A path that cannot be written (a missing directory, a directory,
        no permission) raises :class:`ArgumentError` naming it, and the old file is left as it was.

        A TV/app token session (one with a ``token``) is written as JSON unless ``format`` says otherwise: only the
        JSON form holds the token, and a cookies.txt would lose it.
        """
        p = os.fspath(path)
        if format is None:
            has_token = getattr(self, "token", None) is not None
            format = "json" if has_token or str(p).lower().endswith(".json") else "netscape"
        if format not in FORMATS:
            raise error_for_status(-1, f"unknown session format {format!r}; use one of {', '.join(FORMATS)}")
        text = session_convert(self.json_text, format)
        if format != "netscape" and not text.endswith("\n"):
            text += "\n"
        save_session_file(p, text)

    def save_cookies_txt(self, path: PathLike, http_only_prefix: bool = True) -> None:
        """Write the cookies to ``path`` in Netscape cookies.txt format (see :meth:`save` and
        :meth:`cookies_txt`), atomically, mode 0600."""
        save_session_file(os.fspath(path), self.cookies_txt(http_only_prefix))

    @property
    def cookie_host(self) -> str:
        """The host of the cookies without a Domain (same as :attr:`host`)."""
        return self.host


def _cookies_of(obj: Mapping[str, Any]) -> List[Cookie]:
    return [Cookie.from_json(c) for c in obj.get("cookies") or [] if isinstance(c, dict)]


@dataclass(frozen=True)
class Login(_Cookies):
    """A confirmed login: who logged in and the session cookies.

    The service's optional fields are None when it did not send them with the documented type: ``mid`` (taken
    from the DedeUserID cookie when ``data.mid`` is missing), ``is_new``, ``go_url``, ``user_profile`` and the
    ``name``/``face`` in it. ``warnings`` lists what was odd or failed on the way (never a secret), ``verified``
    is set with the option ``verify_login``. ``host`` is the host that set the cookies without a Domain
    attribute (the host of ``base_url``). ``repr()`` shows cookie names only, never values.

    ABI 3: ``site`` is ``"main"`` for a bilibili.com login (None for bilibili.tv); ``refresh_token`` is the
    web login's refresh token (a secret, needed by :func:`bili_qr.refresh`); a ``flow="tv"`` login has
    ``flow == "tv"`` and its :class:`Token` in ``token`` (save it as JSON: cookies.txt cannot hold a token).
    """

    mid: Optional[int]
    is_new: Optional[bool]
    name: Optional[str]
    face: Optional[str]
    cookies: List[Cookie] = field(repr=False)
    cookie_header: str = field(repr=False)
    go_url: Optional[str] = None
    user_profile: Optional[Dict[str, Any]] = field(default=None, repr=False)
    warnings: List[str] = field(default_factory=list)
    host: str = DEFAULT_HOST
    verified: Optional[bool] = None
    site: Optional[str] = None
    refresh_token: Optional[str] = field(default=None, repr=False)
    flow: Optional[str] = None
    token: Optional[Token] = field(default=None, repr=False)
    json_text: str = field(default="", repr=False, compare=False)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any], json_text: Optional[str] = None) -> "Login":
        profile = obj.get("user_profile")
        profile = profile if isinstance(profile, dict) else None
        warnings = obj.get("warnings")
        return cls(
            mid=_opt_int(obj.get("mid")),
            is_new=_opt_bool(obj.get("is_new")),
            name=_opt_str(profile.get("name")) if profile else None,
            face=_opt_str(profile.get("face")) if profile else None,
            cookies=_cookies_of(obj),
            cookie_header=str(obj.get("cookie_header") or ""),
            go_url=_opt_str(obj.get("go_url")),
            user_profile=profile,
            warnings=[str(w) for w in warnings] if isinstance(warnings, list) else [],
            host=_opt_str(obj.get("host")) or DEFAULT_HOST,
            verified=_opt_bool(obj.get("verified")),
            site=_opt_str(obj.get("site")),
            refresh_token=_opt_str(obj.get("refresh_token")),
            flow=_opt_str(obj.get("flow")),
            token=Token.from_json(obj.get("token")),
            json_text=json_text if json_text is not None else json.dumps(obj),
        )

    @property
    def session(self) -> "Session":
        """The session to save and to pass to :func:`bili_qr.check` / :func:`bili_qr.logout` later."""
        return Session.parse(self.json_text)

    def __repr__(self) -> str:
        names = ", ".join(c.name for c in self.cookies)
        kind = "".join(f", {k}={v!r}" for k, v in (("site", self.site), ("flow", self.flow)) if v is not None)
        return (
            f"Login(mid={self.mid}, is_new={self.is_new}, name={self.name!r}{kind}, cookies=[{names}], "
            f"warnings={self.warnings!r})"
        )


@dataclass(frozen=True)
class Session(_Cookies):
    """A saved session: cookies, ``mid``, and the host of the host-only cookies.

    Get one from a login (``login.session``), a file (:meth:`load`: cookies.txt or the JSON that :meth:`save`
    writes), or any text the library reads (:meth:`parse`: JSON, cookies.txt, a Cookie header). After
    :func:`bili_qr.check`, ``status`` is ``"valid"`` or ``"expired"``, ``name``/``face`` are the service's,
    and ``renewed`` says whether the service renewed a cookie: save that session from then on.
    ``repr()`` shows cookie names only, never values.

    ABI 3 (the mainland site, ``site == "main"``): ``refresh_token`` is what :func:`bili_qr.refresh` spends;
    after a refresh ``status`` is ``"refreshed"`` and ``previous_refresh_token`` is set until
    :func:`bili_qr.refresh_confirm` (``needs_confirm``); after a check ``refresh_needed`` says whether the
    service wants a refresh (None when it could not be asked). A TV/app token session has ``flow == "tv"`` and a
    :class:`Token`. ``warnings`` are a refresh's (never a secret). Tokens are left out of ``repr()``.
    """

    mid: Optional[int]
    host: str
    cookies: List[Cookie] = field(repr=False)
    cookie_header: str = field(repr=False)
    status: Optional[str] = None
    name: Optional[str] = None
    face: Optional[str] = None
    renewed: bool = False
    site: Optional[str] = None
    refresh_token: Optional[str] = field(default=None, repr=False)
    previous_refresh_token: Optional[str] = field(default=None, repr=False)
    refresh_needed: Optional[bool] = None
    flow: Optional[str] = None
    token: Optional[Token] = field(default=None, repr=False)
    warnings: List[str] = field(default_factory=list)
    json_text: str = field(default="", repr=False, compare=False)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any], json_text: Optional[str] = None) -> "Session":
        return cls(
            mid=_opt_int(obj.get("mid")),
            host=_opt_str(obj.get("host")) or DEFAULT_HOST,
            cookies=_cookies_of(obj),
            cookie_header=str(obj.get("cookie_header") or ""),
            status=_opt_str(obj.get("status")),
            name=_opt_str(obj.get("name")),
            face=_opt_str(obj.get("face")),
            renewed=obj.get("renewed") is True,
            site=_opt_str(obj.get("site")),
            refresh_token=_opt_str(obj.get("refresh_token")),
            previous_refresh_token=_opt_str(obj.get("previous_refresh_token")),
            refresh_needed=_opt_bool(obj.get("refresh_needed")),
            flow=_opt_str(obj.get("flow")),
            token=Token.from_json(obj.get("token")),
            warnings=_opt_strs(obj.get("warnings")),
            json_text=json_text if json_text is not None else json.dumps(obj),
        )

    @classmethod
    def parse(cls, text: str) -> "Session":
        """A session from any text the library reads: a confirmed poll object or session object (JSON), the
        text of a cookies.txt, or a Cookie header. ArgumentError when it holds no SESSDATA."""
        out = session_convert(text, "json")
        try:
            obj = json.loads(out)
        except ValueError:
            raise InternalError(-8, "bili_qr_session_convert returned JSON this binding cannot parse") from None
        return cls.from_json(obj, out)

    @classmethod
    def load(cls, path: PathLike) -> "Session":
        """Read a session file: a cookies.txt (Netscape format) or a JSON session / login object.

        Raises :class:`OSError` (``FileNotFoundError``, ``PermissionError``) when the file cannot be read, as
        :func:`open` does, and :class:`ArgumentError` when it holds no session."""
        with open(os.fspath(path), "r", encoding="utf-8", errors="replace") as f:
            text = f.read()
        return cls.parse(text)

    @property
    def valid(self) -> bool:
        """True when :func:`bili_qr.check` found the session logged in."""
        return self.status == "valid"

    @property
    def needs_confirm(self) -> bool:
        """True for the session a mainland :func:`bili_qr.refresh` handed out and :func:`bili_qr.refresh_confirm`
        has not confirmed yet (it holds ``previous_refresh_token``): save it, then confirm it."""
        return self.previous_refresh_token is not None

    def __repr__(self) -> str:
        names = ", ".join(c.name for c in self.cookies)
        extra = "".join(
            f", {k}={v!r}"
            for k, v in (("site", self.site), ("flow", self.flow), ("refresh_needed", self.refresh_needed))
            if v is not None
        )
        return (
            f"Session(mid={self.mid}, host={self.host!r}, status={self.status!r}, name={self.name!r}, "
            f"renewed={self.renewed}{extra}, cookies=[{names}])"
        )


def save_session_file(path: str, text: str) -> None:
    """The library's ``bili_qr_session_save``: check that ``text`` is a session, then write it to ``path``
    atomically with mode 0600. :class:`ArgumentError` (naming the path) when it cannot."""
    rc, message = _lib.call_status_ex("bili_qr_session_save", _c_text(path, "path"), _c_text(text, "session"))
    if rc < 0:
        raise error_for_status(rc, message)


@dataclass(frozen=True)
class PollResult:
    """The state of a ticket: ``status`` is ``"waiting"``, ``"scanned"``, ``"expired"`` or ``"confirmed"``;
    ``code`` and ``message`` are the API's; ``login`` is set when confirmed."""

    status: str
    code: int
    message: str
    login: Optional[Login] = None

    @classmethod
    def from_json(cls, obj: Mapping[str, Any], json_text: Optional[str] = None) -> "PollResult":
        status = str(obj["status"])
        code = obj.get("code")
        return cls(
            status=status,
            code=code if isinstance(code, int) else int(code) if isinstance(code, str) and code.lstrip("-").isdigit() else 0,
            message=str(obj.get("message") or ""),
            login=Login.from_json(obj, json_text) if status == "confirmed" else None,
        )
