"""bilibili QR-code login, in Python: bilibili.tv (international, the default) and bilibili.com (``site="main"``).

A thin ctypes binding of the native ``bili_qr`` library (C ABI version 2 or newer)::

    import bili_qr

    qr = bili_qr.start()
    print(bili_qr.render(qr.qr_url))          # scan this with the BiliBili app
    login = bili_qr.wait(qr.ticket)           # blocks until confirmed; ExpiredError when the code expires
    print(f"logged in as {login.name} ({login.mid})")
    login.session.save("cookies.txt")         # for yt-dlp --cookies cookies.txt

    session = bili_qr.check(bili_qr.Session.load("cookies.txt"))   # later: is it still good?

The mainland site (bilibili.com, ABI 3) takes ``site="main"`` in every call, and its sessions can be refreshed::

    new = bili_qr.refresh(bili_qr.Session.load("cookies.txt"), site="main")
    new.save("cookies.txt")                   # save the new session first: the old one still works
    bili_qr.refresh_confirm(new, site="main").save("cookies.txt")   # now the old one is retired

Keyword arguments of the calls are the library's options, with the same names and types (see
:class:`Options`, :class:`PollOptions`, :class:`WaitOptions`; a type checker refuses a wrong name or type). A
keyword set to None is left out (the library's default applies). Every function is thread-safe, and every error
carries the library's own message, whatever thread ran the call (the binding calls the ``_ex`` functions).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ctypes
import functools
import inspect
import json
import os
import signal
import threading
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, Iterator, List, Optional, Tuple, TypeVar, Union

from . import _errors, _lib
from ._errors import (
    ApiError,
    ArgumentError,
    CancelledError,
    Error,
    ExpiredError,
    HttpError,
    InternalError,
    NetworkError,
    ProtocolError,
    TimeoutError,
    error_for_status,
)
from ._abi import (
    ERR_API,
    ERR_ARGUMENT,
    ERR_CANCELLED,
    ERR_HTTP,
    ERR_INTERNAL,
    ERR_NETWORK,
    ERR_PROTOCOL,
    ERR_TIMEOUT,
    EXPIRED,
    OK,
    SCANNED,
    WAITING,
    Options,
    PollOptions,
    Status,
    WaitOptions,
)
from ._types import Cookie, Login, PollResult, QrCode, Session, Token, _c_text, session_convert
from ._version import __version__

if TYPE_CHECKING:  # the checker's view of **options; nothing of this is needed at run time
    from typing_extensions import Unpack

__all__ = [
    "start",
    "poll",
    "wait",
    "cancel",
    "render",
    "check",
    "logout",
    "refresh",
    "refresh_confirm",
    "session_convert",
    "start_async",
    "poll_async",
    "wait_async",
    "check_async",
    "logout_async",
    "refresh_async",
    "refresh_confirm_async",
    "abi_version",
    "library_version",
    "library_path",
    "status_str",
    "Status",
    "OK",
    "WAITING",
    "SCANNED",
    "EXPIRED",
    "ERR_ARGUMENT",
    "ERR_NETWORK",
    "ERR_TIMEOUT",
    "ERR_HTTP",
    "ERR_PROTOCOL",
    "ERR_API",
    "ERR_CANCELLED",
    "ERR_INTERNAL",
    "Options",
    "PollOptions",
    "WaitOptions",
    "QrCode",
    "PollResult",
    "Login",
    "Session",
    "Cookie",
    "Token",
    *_errors.EXCEPTION_NAMES,
    "__version__",
]

#: The file the native library was loaded from.
library_path: str = _lib.path

ProgressCallback = Callable[[PollResult], Any]
AsyncProgressCallback = Union[Callable[[PollResult], Any], Callable[[PollResult], Awaitable[Any]]]
#: A session argument: a :class:`Session`, a :class:`Login`, a path to a session file (``os.PathLike``, e.g.
#: ``pathlib.Path``), or the text itself (session/poll JSON, cookies.txt text, or a Cookie header).
SessionLike = Union[Session, Login, str, "os.PathLike[str]"]

_T = TypeVar("_T")


def abi_version() -> int:
    """The C ABI version of the loaded library (2 or newer: the package refuses an older one)."""
    return int(_lib.lib.bili_qr_abi_version())


def library_version() -> str:
    """The version of the loaded native library, e.g. ``"0.2.0"`` (equals ``__version__`` for a bundled one)."""
    return (_lib.lib.bili_qr_version() or b"").decode("utf-8", "replace")


def status_str(status: int) -> str:
    """The library's English phrase for a status code (``"unknown status"`` for other values)."""
    code = int(status)
    if not -(2**31) <= code < 2**31:  # ctypes would wrap it to a C int, and a known status could come out
        return "unknown status"
    return (_lib.lib.bili_qr_status_str(code) or b"").decode("utf-8", "replace")


# --- helpers -------------------------------------------------------------------------------------------------


def _options_json(options: Any) -> Optional[bytes]:
    """The options as the JSON text the library takes; cached, since a polling loop passes the same ones."""
    if not options:
        return None
    try:
        # Each value's type is part of the key: True == 1 == 1.0 as dict keys, yet they encode differently.
        return _options_json_cached(tuple((k, type(v), v) for k, v in options.items()))
    except TypeError:  # an unhashable value: encode it afresh (and let json.dumps judge it)
        return _encode_options(options)


@functools.lru_cache(maxsize=32)
def _options_json_cached(items: Tuple[Tuple[str, type, Any], ...]) -> Optional[bytes]:
    return _encode_options({k: v for k, _t, v in items})


def _encode_options(options: Dict[str, Any]) -> Optional[bytes]:
    kept = {k: v for k, v in options.items() if v is not None}
    if not kept:
        return None
    try:
        text = json.dumps(kept, ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ArgumentError(-1, f"options must be JSON values (str, int, ...): {e}") from None
    return text.encode("ascii")


def _raise_for(rc: int, message: str) -> None:
    raise error_for_status(rc, message)


def _session_text(session: SessionLike) -> bytes:
    """The text the library reads for a session argument."""
    if isinstance(session, (Session, Login)):
        return _c_text(session.json_text, "session")
    if isinstance(session, str):
        return _c_text(session, "session")
    if isinstance(session, os.PathLike):
        with open(os.fspath(session), "r", encoding="utf-8", errors="replace") as f:
            return _c_text(f.read(), "session")
    raise ArgumentError(-1, f"session must be a Session, Login, str or path, not {type(session).__name__}")


async def _in_thread(fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run a blocking call on the loop's default executor. The error message travels with the result (the
    ``_ex`` functions), so an exception raised there carries the library's message. Cancelling the awaiting
    task does not stop the call: it ends within ``timeout_ms``."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(fn, *args, **kwargs))


# --- the API -------------------------------------------------------------------------------------------------


def start(**options: Unpack[Options]) -> QrCode:
    """Ask the service for a new QR code.

    Returns a :class:`QrCode`; show its ``qr_url`` as a QR code and pass its ``ticket`` to :func:`wait`.
    Raises a subclass of :class:`Error` on failure (e.g. :class:`HttpError` for a 412 risk-control refusal).
    """
    opts = _options_json(options)
    rc, text, message = _lib.call_ex("bili_qr_start", opts)
    if rc < 0:
        _raise_for(rc, message)
    if text is None:
        raise InternalError(-8, "bili_qr_start succeeded but returned no JSON")
    obj = json.loads(text)
    site = obj.get("site")
    return QrCode(
        ticket=str(obj["ticket"]),
        qr_url=str(obj["qr_url"]),
        qr_type=str(obj.get("qr_type") or ""),
        site=site if isinstance(site, str) else None,
    )


def poll(ticket_or_url: str, **options: Unpack[PollOptions]) -> PollResult:
    """Ask once for the state of a ticket (or of a ``qr_url``).

    Returns a :class:`PollResult` whose ``status`` is ``"waiting"``, ``"scanned"``, ``"expired"`` (not an
    exception here: polling just reports it) or ``"confirmed"`` with ``login`` set. Raises a subclass of
    :class:`Error` when the poll itself failed.
    """
    ticket = _c_text(ticket_or_url, "ticket")
    opts = _options_json(options)
    rc, text, message = _lib.call_ex("bili_qr_poll", ticket, opts)
    if rc < 0:
        _raise_for(rc, message)
    if text is None:
        raise InternalError(-8, f"bili_qr_poll returned {rc} but no JSON")
    return PollResult.from_json(json.loads(text), text)


def wait(
    ticket_or_url: str,
    on_progress: Optional[ProgressCallback] = None,
    **options: Unpack[WaitOptions],
) -> Login:
    """Poll every ``poll_interval_ms`` (default 2000) until the login is confirmed, on this thread.

    ``on_progress(result)`` is called on this thread after every poll answering ``"waiting"`` or ``"scanned"``.
    If it raises, the wait is cancelled and that exception propagates from :func:`wait`.

    Returns the :class:`Login`. Raises :class:`ExpiredError` when the QR code expires, :class:`CancelledError`
    when :func:`cancel` ends the wait, :class:`TimeoutError` after ``wait_timeout_ms`` (default 300000), or the
    error that ended the wait (transient network errors are retried ``max_retries`` times first).
    """
    ticket = _c_text(ticket_or_url, "ticket")
    opts = _options_json(options)
    raised: List[BaseException] = []
    interrupted: List[Tuple[int, Any]] = []

    def trampoline(status: int, event_json: Optional[bytes], _user_data: Optional[int]) -> int:
        # Runs on this thread, called from C. It must never let an exception escape (ctypes would print it and
        # return 0): store it, return non-zero to cancel the wait, and re-raise it below.
        try:
            if interrupted:
                return 1
            if on_progress is not None and event_json is not None:
                text = event_json.decode("utf-8", "replace")
                on_progress(PollResult.from_json(json.loads(text), text))
            return 0
        except BaseException as e:  # noqa: B902 - KeyboardInterrupt must cancel the wait too
            raised.append(e)
            return 1

    callback = _lib.PROGRESS_FN(trampoline)  # kept alive by this frame for the whole call
    with _deferred_sigint(interrupted):
        try:
            rc, text, message = _lib.call_ex("bili_qr_wait", ticket, opts, callback, None)
        finally:
            del callback
        if raised:
            exc = raised[0]
            raised.clear()
            try:
                raise exc
            finally:
                del exc
    if rc < 0:
        _raise_for(rc, message)
    result = PollResult.from_json(json.loads(text), text) if text else None
    if rc == EXPIRED or (result is not None and result.status == "expired"):
        raise ExpiredError(EXPIRED, "", result)
    if result is None or result.login is None:
        raise InternalError(-8, f"bili_qr_wait returned {rc} without a confirmed login")
    return result.login


@contextlib.contextmanager
def _deferred_sigint(interrupted: List[Tuple[int, Any]]) -> Iterator[None]:
    """While a wait blocks the main thread, turn Ctrl-C into a cancellation of the wait.

    Python runs signal handlers only between bytecodes of the main thread, which here means at the entry of the
    progress trampoline, where a KeyboardInterrupt would escape into ctypes and be lost. So the SIGINT handler is
    swapped for one that only records the signal; the trampoline then cancels the wait, and once it has returned
    the original handler runs (by default it raises KeyboardInterrupt here).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        original = signal.getsignal(signal.SIGINT)
    except (AttributeError, ValueError):  # pragma: no cover - no SIGINT on this platform
        yield
        return
    if not callable(original):  # SIG_IGN, SIG_DFL or set from C: leave it alone
        yield
        return

    def record(signum: int, frame: Any) -> None:
        interrupted.append((signum, frame))

    try:
        signal.signal(signal.SIGINT, record)
    except ValueError:  # pragma: no cover - not the main interpreter
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, original)
    if interrupted:
        signum, frame = interrupted[0]
        original(signum, frame)


async def wait_async(
    ticket_or_url: str,
    on_progress: Optional[AsyncProgressCallback] = None,
    **options: Unpack[WaitOptions],
) -> Login:
    """:func:`wait` for asyncio: the wait runs in its own thread and the event loop stays free.

    ``on_progress`` may be a plain function (called on the waiting thread) or a coroutine function (run on the
    event loop; the wait goes on once it returns). If it raises, the wait is cancelled and that exception
    propagates. Cancelling the task cancels the wait (through :func:`cancel` on its ticket, which also ends
    any other wait on the same ticket in this process) and returns once the thread has ended.
    """
    loop = asyncio.get_running_loop()
    stop = threading.Event()
    done: "asyncio.Future[Login]" = loop.create_future()

    def progress(result: PollResult) -> None:
        if stop.is_set():
            raise CancelledError(-7, "the wait was cancelled")
        if on_progress is None:
            return
        value = on_progress(result)
        if inspect.isawaitable(value):
            pending = asyncio.run_coroutine_threadsafe(_awaited(value), loop)
            while True:
                try:
                    pending.result(timeout=0.1)
                    return
                except concurrent.futures.TimeoutError:
                    if loop.is_closed():  # nobody will ever run it
                        pending.cancel()
                        raise CancelledError(-7, "the event loop closed during the wait") from None

    def settle(outcome: Any, failed: bool) -> None:
        if done.done():
            return
        if failed:
            done.set_exception(outcome)
        else:
            done.set_result(outcome)

    def run() -> None:
        try:
            # Even when the task was cancelled already: the library then ends this wait at once (the cancel
            # below is kept for it), and takes the kept cancel with it.
            login = wait(ticket_or_url, progress, **options)
        except BaseException as e:  # noqa: B902 - handed to the awaiting task
            outcome: Any = e
            failed = True
        else:
            outcome = login
            failed = False
        try:
            loop.call_soon_threadsafe(settle, outcome, failed)
        except RuntimeError:  # the loop is closed: nobody waits for this any more
            pass

    thread = threading.Thread(target=run, name="bili_qr.wait", daemon=True)
    thread.start()
    try:
        return await asyncio.shield(done)
    except asyncio.CancelledError:
        stop.set()
        # One cancel is enough: a wait that has not registered yet takes it when it starts (the library keeps a
        # cancel that found no wait for the next wait on that ticket).
        if not done.done():
            try:
                cancel(ticket_or_url)
            except Error:
                pass
        while not done.done():
            try:
                await asyncio.wait({done})
            except asyncio.CancelledError:
                continue  # cancelled again while cleaning up: finish the clean-up all the same
        if not done.cancelled():
            done.exception()  # mark it retrieved
        raise


async def _awaited(value: Awaitable[Any]) -> Any:
    return await value


def cancel(ticket: str) -> int:
    """End every :func:`wait` running on ``ticket`` (a bare ticket or its ``qr_url``) in this process: each
    raises :class:`CancelledError` within 100 ms (or once its request in flight ends). Returns how many waits
    were signalled. When none runs, the cancel is kept for 30 seconds: the next :func:`wait` on that ticket
    raises :class:`CancelledError` at once (so a cancel racing with a wait starting on another thread is not
    lost).

    (``bili_qr_cancel`` has no ``_ex`` twin: it never blocks and fails only for a malformed ticket, and its
    message is read at once on this thread.)"""
    t = _c_text(ticket, "ticket")
    rc = int(_lib.lib.bili_qr_cancel(t))
    if rc < 0:
        _raise_for(rc, _lib.last_error())
    return rc


def render(text: str, format: str = "utf8") -> str:  # noqa: A002 - the ABI's name
    """Draw ``text`` (1 to 2048 bytes) as a QR code.

    ``format``: ``"utf8"`` (terminal text with ▀ ▄ █), ``"svg"`` (an SVG document) or ``"matrix"`` (lines of
    ``0``/``1``, no quiet zone).
    """
    t = _c_text(text, "text")
    f = _c_text(format, "format")
    rc, out, message = _lib.call_ex("bili_qr_render", t, f)
    if rc < 0:
        _raise_for(rc, message)
    return out or ""


# --- after the login: check and log out a saved session ----------------------------------------------------


def check(session: SessionLike, **options: Unpack[Options]) -> Session:
    """Is this saved session still logged in? Asks the service's gateway (``api_base_url``) with the session's
    cookies.

    Returns the :class:`Session` to keep from now on: ``status`` ``"valid"`` (``valid`` is True; ``name``,
    ``mid`` and ``face`` are the service's) or ``"expired"`` (log in again). When ``renewed`` is True the
    service renewed a cookie: save this session over the old file. Raises :class:`ArgumentError` for a
    session without SESSDATA (nothing is sent), and the errors of :func:`poll` for a failed request.

    A mainland session (``site == "main"``, ABI 3) is asked at bilibili.com; a valid one carries
    ``refresh_needed`` (True when the service wants :func:`refresh`). A TV/app token session is checked by its
    token (``refresh_needed`` likewise).
    """
    text = _session_text(session)
    rc, out, message = _lib.call_ex("bili_qr_check", text, _options_json(options))
    if rc < 0:
        _raise_for(rc, message)
    if out is None:
        raise InternalError(-8, f"bili_qr_check returned {rc} but no session")
    return Session.from_json(json.loads(out), out)


def logout(session: SessionLike, **options: Unpack[Options]) -> bool:
    """End the session at the service (``login/exit`` with the session's ``bili_jct`` as csrf).

    Returns True when the service ended it now, False when it had already ended (expired). Raises
    :class:`ArgumentError` for a session without SESSDATA or bili_jct, :class:`ApiError` when the service says
    the csrf token does not match, and the errors of :func:`poll` for a failed request.
    """
    text = _session_text(session)
    rc, _out, message = _lib.call_ex("bili_qr_logout", text, _options_json(options))
    if rc < 0:
        _raise_for(rc, message)
    return rc != EXPIRED


# --- the mainland site (ABI 3): refresh a session's cookies ------------------------------------------------


def _session_call(name: str, session: SessionLike, options: Any) -> Session:
    """A session call of ABI 3 (``bili_qr_refresh``, ``bili_qr_refresh_confirm``): the new Session, or the error.
    EXPIRED (the session has ended at the service) is an :class:`ExpiredError`: there is no new session."""
    if not _lib.has(name):
        raise ArgumentError(
            -1, f"{name} needs a library of ABI 3 or newer; the loaded one ({library_path}) is ABI {abi_version()}"
        )
    text = _session_text(session)
    rc, out, message = _lib.call_ex(name, text, _options_json(options))
    if rc < 0:
        _raise_for(rc, message)
    if rc == EXPIRED:
        raise ExpiredError(EXPIRED, "the session has ended (logged out or expired) at the service: log in again")
    if out is None:
        raise InternalError(-8, f"{name} returned {rc} but no session")
    return Session.from_json(json.loads(out), out)


def refresh(session: SessionLike, **options: Unpack[Options]) -> Session:
    """Renew a mainland session's cookies (``bili_qr_refresh``; ABI 3).

    For a bilibili.com web session holding its ``refresh_token`` and ``bili_jct``: returns the new
    :class:`Session` (``status`` ``"refreshed"``, new cookies, new ``refresh_token``, and
    ``previous_refresh_token``). **The old session is not retired yet**: save the new one (``save()`` writes
    atomically), then call :func:`refresh_confirm` with it. A program that dies in between loses nothing: the old
    session still works. A TV/app token session (``flow == "tv"``) is renewed in one step: the new session has
    a new ``token`` and no confirmation (``needs_confirm`` is False); save it before using it.

    Raises :class:`ExpiredError` when the session has already ended, :class:`ArgumentError` for a bilibili.tv
    session, one without a refresh token or ``bili_jct``, or one whose refresh is not confirmed yet (nothing is
    sent), :class:`HttpError` (a stale correspond page), :class:`ApiError` (csrf or refresh token refused), and
    the errors of :func:`poll`. Pass ``site="main"`` for a session that does not say its site (a Cookie header).
    """
    return _session_call("bili_qr_refresh", session, options)


def refresh_confirm(session: SessionLike, **options: Unpack[Options]) -> Session:
    """Retire the session a :func:`refresh` replaced (``bili_qr_refresh_confirm``; ABI 3). Call it with the
    refreshed session, after saving it.

    Returns the session to keep (``status`` ``"confirmed"``, no ``previous_refresh_token``): save it in place of
    the refreshed one. From then on only the new session works. Raises :class:`ArgumentError` for a session
    without ``previous_refresh_token`` (nothing is sent; a token session has no confirmation step),
    :class:`ExpiredError` when the new session has ended, :class:`ApiError` when the service refuses, and the
    errors of :func:`poll`.
    """
    return _session_call("bili_qr_refresh_confirm", session, options)


# --- asyncio -------------------------------------------------------------------------------------------------


async def start_async(**options: Unpack[Options]) -> QrCode:
    """:func:`start` on a worker thread (the event loop stays free)."""
    return await _in_thread(start, **options)


async def poll_async(ticket_or_url: str, **options: Unpack[PollOptions]) -> PollResult:
    """:func:`poll` on a worker thread (the event loop stays free)."""
    return await _in_thread(poll, ticket_or_url, **options)


async def check_async(session: SessionLike, **options: Unpack[Options]) -> Session:
    """:func:`check` on a worker thread (the event loop stays free)."""
    return await _in_thread(check, session, **options)


async def logout_async(session: SessionLike, **options: Unpack[Options]) -> bool:
    """:func:`logout` on a worker thread (the event loop stays free)."""
    return await _in_thread(logout, session, **options)


async def refresh_async(session: SessionLike, **options: Unpack[Options]) -> Session:
    """:func:`refresh` on a worker thread (the event loop stays free). Cancelling the awaiting task does not
    stop the refresh: its new session is then lost to this caller, and the old one still works."""
    return await _in_thread(refresh, session, **options)


async def refresh_confirm_async(session: SessionLike, **options: Unpack[Options]) -> Session:
    """:func:`refresh_confirm` on a worker thread (the event loop stays free)."""
    return await _in_thread(refresh_confirm, session, **options)
