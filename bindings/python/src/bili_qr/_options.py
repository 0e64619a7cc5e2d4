"""The library's options as typed keyword arguments (``TypedDict`` + ``Unpack``), so that a type checker
(``mypy --strict``) refuses a misspelt option or a value of the wrong type: ``start(base_url=123)`` and
``start(no_such_option=1)`` are errors. At run time the library checks them again (ArgumentError naming the key).

A keyword set to ``None`` is left out: the library's default applies. The names, types and rules are the
contract's (docs/ABI.md, and the options table in include/bili_qr.h; a test compares them with the header).
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple, TypedDict

__all__ = ["Options", "PollOptions", "WaitOptions", "OPTION_TYPES"]


class Options(TypedDict, total=False):
    """Options of every call (start, poll, wait, check, logout, refresh, refresh_confirm)."""

    #: Passport server; default ``https://passport.bilibili.tv``; https (http only for loopback hosts).
    base_url: Optional[str]
    #: Sent as ``s_locale``; default ``en_US``.
    locale: Optional[str]
    #: Sent as ``platform``; default ``web``.
    platform: Optional[str]
    #: Bound of one whole request in milliseconds (1..600000); default 10000.
    timeout_ms: Optional[int]
    #: User-Agent header (1..512 printable ASCII); default: a current desktop Chrome's, with its client hints.
    user_agent: Optional[str]
    #: ``http://``, ``https://`` or ``socks5://`` proxy URL, ``""`` for none; default: the proxy variables.
    proxy: Optional[str]
    #: The gateway for :func:`bili_qr.check` and ``verify_login``; default ``https://api.bilibili.tv``.
    api_base_url: Optional[str]
    #: A PEM file whose certificates are trusted in addition to the system's roots.
    ca_file: Optional[str]
    #: ``"intl"`` (bilibili.tv, the default) or ``"main"`` (bilibili.com: the mainland's default URLs).
    site: Optional[str]
    #: Where the mainland refresh asks its correspond page; default ``https://www.bilibili.com`` for ``"main"``.
    www_base_url: Optional[str]
    #: PEM ``PUBLIC KEY`` (RSA) the mainland refresh encrypts ``correspondPath`` with; default: the published key.
    refresh_public_key: Optional[str]
    #: ``"web"`` (the default) or ``"tv"``: the TV token login (only with ``site="main"``).
    flow: Optional[str]
    #: App key of the TV token login (with ``app_secret``); default: the TV pair.
    app_key: Optional[str]
    #: App secret of the TV token login (with ``app_key``); a secret, never in a message.
    app_secret: Optional[str]


class PollOptions(Options, total=False):
    """Options of :func:`bili_qr.poll` (and of :func:`bili_qr.wait`)."""

    #: After a confirmed answer, ask the gateway whether the new session works (``Login.verified``).
    verify_login: Optional[bool]


class WaitOptions(PollOptions, total=False):
    """Options of :func:`bili_qr.wait` and :func:`bili_qr.wait_async`."""

    #: Pause between two polls in milliseconds (100..60000); default 2000.
    poll_interval_ms: Optional[int]
    #: Give up after this many milliseconds (1000..3600000); default 300000.
    wait_timeout_ms: Optional[int]
    #: Transient failures (network, timeout, HTTP 5xx/429) retried in a row (0..100); default 3.
    max_retries: Optional[int]


def _types() -> Dict[str, str]:
    out: Dict[str, str] = {}
    for cls in (Options, PollOptions, WaitOptions):
        for name, hint in cls.__annotations__.items():
            text = hint if isinstance(hint, str) else repr(hint)
            kind = "bool" if "bool" in text else "integer" if "int" in text else "string"
            out[name] = kind
    return out


#: Every option name -> its JSON type in the contract's words (``string``, ``integer``, ``bool``).
OPTION_TYPES: Dict[str, str] = _types()

#: The names of :data:`OPTION_TYPES`, in declaration order.
OPTION_NAMES: Tuple[str, ...] = tuple(OPTION_TYPES)
