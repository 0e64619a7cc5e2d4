"""Exceptions raised by bili_qr, one class per error status of the C ABI."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Dict, Optional, Type

if TYPE_CHECKING:  # pragma: no cover
    from ._types import PollResult

#: The exception classes' names (the package's __all__ lists them too, from here).
EXCEPTION_NAMES = [
    "Error",
    "ArgumentError",
    "NetworkError",
    "TimeoutError",
    "HttpError",
    "ProtocolError",
    "ApiError",
    "CancelledError",
    "InternalError",
    "ExpiredError",
]

__all__ = [*EXCEPTION_NAMES, "error_for_status"]

# Status codes of the C ABI (generated from abi/bili_qr.toml into _abi.py).
from ._abi import Status  # noqa: E402


class Error(Exception):
    """Base class of every error bili_qr raises.

    ``status`` is the C ABI status code (negative for errors, ``3`` for :class:`ExpiredError`) and ``message``
    the library's one-line English explanation (``bili_qr_last_error()``), which never holds a cookie value or
    more than the first 6 characters of a ticket.
    """

    status: int
    message: str

    def __init__(self, status: int, message: str) -> None:
        # One argument to the base classes: OSError subclasses would otherwise read (status, message) as
        # (errno, strerror).
        super().__init__(message)
        self.status = status
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, message={self.message!r})"

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (self.status, self.message))


class ArgumentError(Error, ValueError):
    """A bad argument: an unknown or out-of-range option, a malformed ticket, text that is not UTF-8 or holds NUL."""


class NetworkError(Error, ConnectionError):
    """DNS, connect, TLS, reset or proxy failure, or too many redirects."""


class TimeoutError(Error, builtins.TimeoutError):  # noqa: A001 - deliberately shadows the builtin name
    """A request ran past ``timeout_ms``, or a wait ran past ``wait_timeout_ms``. Also a builtin TimeoutError."""


class HttpError(Error):
    """An HTTP status other than 2xx (for example a 412 risk-control page); the message names the status."""


class ProtocolError(Error):
    """A 2xx answer that is not the documented JSON, or a confirmed login without the session cookies."""


class ApiError(Error):
    """Documented JSON carrying an API ``code`` the docs do not list (-412, -352, ...); the message names it."""


class CancelledError(Error):
    """A wait was cancelled by :func:`bili_qr.cancel` (or by a progress callback). Not asyncio's CancelledError."""


class InternalError(Error):
    """A bug in the library (a caught panic). Please report it."""


class ExpiredError(Error):
    """The QR code expired before the login was confirmed: call :func:`bili_qr.start` for a new one.

    ``result`` holds the expired poll object when there is one.
    """

    result: Optional["PollResult"]

    def __init__(self, status: int = Status.EXPIRED, message: str = "", result: Optional["PollResult"] = None) -> None:
        super().__init__(status, message or "the QR code expired before the login was confirmed; start a new one")
        self.result = result

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (self.status, self.message))


_BY_STATUS: Dict[int, Type[Error]] = {
    Status.ERR_ARGUMENT: ArgumentError,
    Status.ERR_NETWORK: NetworkError,
    Status.ERR_TIMEOUT: TimeoutError,
    Status.ERR_HTTP: HttpError,
    Status.ERR_PROTOCOL: ProtocolError,
    Status.ERR_API: ApiError,
    Status.ERR_CANCELLED: CancelledError,
    Status.ERR_INTERNAL: InternalError,
    Status.EXPIRED: ExpiredError,
}


def error_for_status(status: int, message: str) -> Error:
    """The exception for a status code; :class:`Error` itself for a status this version does not know."""
    cls = _BY_STATUS.get(status, Error)
    if not message:
        message = f"bili_qr call failed with status {status}"
    return cls(status, message)
