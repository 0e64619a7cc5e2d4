"""Loading the native library with ctypes and declaring every function's signature.

The library is, in order of preference:

1. the file named by the environment variable ``BILI_QR_LIBRARY`` when it is set and not empty;
2. the copy bundled inside this package by ``pip install`` (``libbili_qr.so``, ``libbili_qr.dylib`` or
   ``bili_qr.dll`` next to this file);
3. whatever ``ctypes.util.find_library("bili_qr")`` finds on the system.

Whatever is loaded must answer ``bili_qr_abi_version() >= 2`` (a library of version N serves every caller built
for a version <= N); an older one raises ImportError at import time, naming both versions.

Every call that can fail goes through the ``_ex`` variant of its function (:func:`call_ex`), which hands the
library's error message out with the result: the message is right whatever thread ran the call.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ._platform import library_file_name

#: The contract version this package needs (docs/ABI.md); any library with a version >= this one serves it.
ABI_VERSION = 2
ENV_VAR = "BILI_QR_LIBRARY"


#: ``int (*bili_qr_progress_fn)(int status, const char *event_json, void *user_data)``.
#: ``event_json`` is borrowed for the call alone; ``c_char_p`` copies it into ``bytes`` before the callback runs.
PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)

_OUT = ctypes.POINTER(ctypes.c_void_p)
_S = ctypes.c_char_p

#: name -> argument types (``_OUT`` is a ``char **`` whose string the caller frees). Every one returns ``int``.
#: The ``_ex`` variants take one more ``char **out_error`` last.
SIGNATURES: Dict[str, List[Any]] = {
    "bili_qr_start": [_S, _OUT],
    "bili_qr_poll": [_S, _S, _OUT],
    "bili_qr_wait": [_S, _S, PROGRESS_FN, ctypes.c_void_p, _OUT],
    "bili_qr_render": [_S, _S, _OUT],
    "bili_qr_check": [_S, _S, _OUT],
    "bili_qr_logout": [_S, _S, _OUT],
    "bili_qr_session_convert": [_S, _S, _OUT],
}

#: The functions of ABI 3 (the mainland refresh), declared when the library's ABI is 3 or newer. A library of
#: ABI 2 serves everything else; :func:`has` tells whether the loaded one has these.
SIGNATURES_V3: Dict[str, List[Any]] = {
    "bili_qr_refresh": [_S, _S, _OUT],
    "bili_qr_refresh_confirm": [_S, _S, _OUT],
    "bili_qr_session_save": [_S, _S],
}


def _declare(lib: ctypes.CDLL, abi: int) -> None:
    """Declare argtypes and restype of every function. Strings the caller must free are ``c_void_p`` (so ctypes
    does not copy and lose the pointer); static strings are ``c_char_p``."""
    lib.bili_qr_version.argtypes = []
    lib.bili_qr_version.restype = ctypes.c_char_p  # static

    lib.bili_qr_status_str.argtypes = [ctypes.c_int]
    lib.bili_qr_status_str.restype = ctypes.c_char_p  # static

    lib.bili_qr_last_error.argtypes = []
    lib.bili_qr_last_error.restype = ctypes.c_char_p  # thread-local, owned by the library

    lib.bili_qr_free.argtypes = [ctypes.c_void_p]
    lib.bili_qr_free.restype = None

    lib.bili_qr_cancel.argtypes = [ctypes.c_char_p]
    lib.bili_qr_cancel.restype = ctypes.c_int

    table = dict(SIGNATURES)
    if abi >= 3:
        table.update(SIGNATURES_V3)
    for name, args in table.items():
        for fn, extra in ((getattr(lib, name), []), (getattr(lib, name + "_ex"), [_OUT])):
            fn.argtypes = list(args) + extra
            fn.restype = ctypes.c_int


def _candidates() -> "list[tuple[str, str]]":
    """(path or name, where it came from) to try, in order."""
    env = os.environ.get(ENV_VAR, "")
    if env:
        return [(env, f"${ENV_VAR}")]
    found = []
    bundled = Path(__file__).resolve().parent / library_file_name()
    if bundled.exists():
        found.append((str(bundled), "the copy bundled in the bili_qr package"))
    system = ctypes.util.find_library("bili_qr")
    if system:
        found.append((system, "the system library path"))
    return found


def load() -> "tuple[ctypes.CDLL, str]":
    """Load, check and declare the library; ImportError with a clear message on any failure."""
    candidates = _candidates()
    if not candidates:
        raise ImportError(
            "bili_qr: the native library was not found: it is not bundled in this package "
            f"({Path(__file__).resolve().parent}) and not on the system library path. Install the wheel, "
            f"or set {ENV_VAR} to the path of {library_file_name()}."
        )
    errors = []
    for path, origin in candidates:
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            errors.append(f"{path} ({origin}): {e}")
            continue
        try:
            abi_fn = lib.bili_qr_abi_version
        except AttributeError:
            raise ImportError(
                f"bili_qr: {path} ({origin}) is not a bili_qr library: it has no bili_qr_abi_version"
            ) from None
        abi_fn.argtypes = []
        abi_fn.restype = ctypes.c_int
        abi = int(abi_fn())
        # Checked before the other functions are looked up: an old library lacks the newer ones.
        if abi < ABI_VERSION:
            raise ImportError(
                f"bili_qr: {path} ({origin}): library is too old: ABI {abi}, this binding needs {ABI_VERSION} "
                "or newer; install a newer libbili_qr (or a matching bili_qr package)"
            )
        try:
            _declare(lib, abi)
        except AttributeError as e:
            raise ImportError(
                f"bili_qr: {path} ({origin}) is not a bili_qr library of ABI {abi}: a function is missing ({e})"
            ) from None
        return lib, path
    raise ImportError("bili_qr: could not load the native library: " + "; ".join(errors))


lib, path = load()


def has(name: str) -> bool:
    """Whether the loaded library's ABI has the function ``name`` (the ABI 3 ones need a library of ABI 3)."""
    return name in SIGNATURES or (name in SIGNATURES_V3 and int(lib.bili_qr_abi_version()) >= 3)


def last_error() -> str:
    """This thread's message for the most recent failed call (never NULL; not freed: owned by the library)."""
    raw: Optional[bytes] = lib.bili_qr_last_error()
    return raw.decode("utf-8", "replace") if raw else ""


def take_string(ptr: ctypes.c_void_p) -> Optional[str]:
    """Copy a library-owned string out and release it with ``bili_qr_free`` (always, even if decoding fails)."""
    if not ptr.value:
        return None
    try:
        return ctypes.string_at(ptr.value).decode("utf-8", "replace")
    finally:
        lib.bili_qr_free(ptr)
        ptr.value = None


def call_status_ex(name: str, *args: Any) -> Tuple[int, str]:
    """Call ``<name>_ex(*args, &err)`` of a function that hands out no string: (status, the error message,
    ``""`` when the status is >= 0). The message is released with ``bili_qr_free`` whatever happens."""
    fn = getattr(lib, name + "_ex")
    err = ctypes.c_void_p()
    try:
        rc = int(fn(*args, ctypes.byref(err)))
        return rc, take_string(err) or ""
    finally:
        if err.value:
            lib.bili_qr_free(err)
            err.value = None


def call_ex(name: str, *args: Any) -> Tuple[int, Optional[str], str]:
    """Call ``<name>_ex(*args, &out, &err)``: (status, the string handed out or None, the error message).

    Both strings are copied and released with ``bili_qr_free`` whatever happens. The message comes with the
    result, so it is right on any thread; it is ``""`` when the status is >= 0.
    """
    fn = getattr(lib, name + "_ex")
    out = ctypes.c_void_p()
    err = ctypes.c_void_p()
    try:
        rc = int(fn(*args, ctypes.byref(out), ctypes.byref(err)))
        message = take_string(err) or ""
        text = take_string(out)
        return rc, text, message
    finally:
        for p in (out, err):
            if p.value:
                lib.bili_qr_free(p)
                p.value = None
