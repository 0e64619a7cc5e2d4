"""Loading the native library with ctypes and declaring every function's signature.

The library is, in order of preference:

1. the file named by the environment variable ``BILI_QR_LIBRARY`` when it is set and not empty;
2. the copy bundled inside this package by ``pip install`` (``libbili_qr.so``, ``libbili_qr.dylib`` or
   ``bili_qr.dll`` next to this file);
3. whatever ``ctypes.util.find_library("bili_qr")`` finds on the system.

Whatever is loaded must answer ``bili_qr_abi_version() == 1``; anything else raises ImportError at import time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from pathlib import Path
from typing import Optional

ABI_VERSION = 1
ENV_VAR = "BILI_QR_LIBRARY"


def library_file_name() -> str:
    """The file name of the shared library on this platform."""
    if sys.platform == "win32":
        return "bili_qr.dll"
    if sys.platform == "darwin":
        return "libbili_qr.dylib"
    return "libbili_qr.so"


#: ``int (*bili_qr_progress_fn)(int status, const char *event_json, void *user_data)``.
#: ``event_json`` is borrowed for the call alone; ``c_char_p`` copies it into ``bytes`` before the callback runs.
PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)


def _declare(lib: ctypes.CDLL) -> None:
    """Declare argtypes and restype of every function. Strings the caller must free are ``c_void_p`` (so ctypes
    does not copy and lose the pointer); static strings are ``c_char_p``."""
    out = ctypes.POINTER(ctypes.c_void_p)

    lib.bili_qr_abi_version.argtypes = []
    lib.bili_qr_abi_version.restype = ctypes.c_int

    lib.bili_qr_version.argtypes = []
    lib.bili_qr_version.restype = ctypes.c_char_p  # static

    lib.bili_qr_status_str.argtypes = [ctypes.c_int]
    lib.bili_qr_status_str.restype = ctypes.c_char_p  # static

    lib.bili_qr_last_error.argtypes = []
    lib.bili_qr_last_error.restype = ctypes.c_char_p  # thread-local, owned by the library

    lib.bili_qr_start.argtypes = [ctypes.c_char_p, out]
    lib.bili_qr_start.restype = ctypes.c_int

    lib.bili_qr_poll.argtypes = [ctypes.c_char_p, ctypes.c_char_p, out]
    lib.bili_qr_poll.restype = ctypes.c_int

    lib.bili_qr_free.argtypes = [ctypes.c_void_p]
    lib.bili_qr_free.restype = None

    lib.bili_qr_wait.argtypes = [ctypes.c_char_p, ctypes.c_char_p, PROGRESS_FN, ctypes.c_void_p, out]
    lib.bili_qr_wait.restype = ctypes.c_int

    lib.bili_qr_cancel.argtypes = [ctypes.c_char_p]
    lib.bili_qr_cancel.restype = ctypes.c_int

    lib.bili_qr_render.argtypes = [ctypes.c_char_p, ctypes.c_char_p, out]
    lib.bili_qr_render.restype = ctypes.c_int


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
    """Load, declare and check the library; ImportError with a clear message on any failure."""
    candidates = _candidates()
    if not candidates:
        raise ImportError(
            "bili_qr: the native library was not found: it is not bundled in this package "
            f"({Path(__file__).resolve().parent}) and not on the system library path. Reinstall with "
            f"`pip install <repo>/bindings/python` (which builds it with cargo), or set {ENV_VAR} to the path of "
            f"{library_file_name()}."
        )
    errors = []
    for path, origin in candidates:
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            errors.append(f"{path} ({origin}): {e}")
            continue
        try:
            _declare(lib)
        except AttributeError as e:
            raise ImportError(
                f"bili_qr: {path} ({origin}) is not a bili_qr library: a function is missing ({e})"
            ) from None
        abi = lib.bili_qr_abi_version()
        if abi != ABI_VERSION:
            raise ImportError(
                f"bili_qr: {path} ({origin}) implements C ABI version {abi}, but this Python package needs "
                f"version {ABI_VERSION}; install matching versions of the package and the library"
            )
        return lib, path
    raise ImportError("bili_qr: could not load the native library: " + "; ".join(errors))


lib, path = load()


def last_error() -> str:
    """This thread's message for the most recent failed call (never NULL; not freed: owned by the library)."""
    raw: Optional[bytes] = lib.bili_qr_last_error()
    return raw.decode("utf-8", "replace") if raw else ""


def take_string(ptr: ctypes.c_void_p) -> Optional[str]:
    """Copy a library-owned string out and release it with ``bili_qr_free`` (always, even if decoding fails)."""
    if not ptr.value:
        return None
    try:
        return ctypes.string_at(ptr.value).decode("utf-8")
    finally:
        lib.bili_qr_free(ptr)
        ptr.value = None
