"""The native library's file name on this platform.

A module of its own, importing nothing of the package: setup.py loads this file alone (at build time the package
cannot be imported, as importing it loads the library), and _lib.py imports it.
"""

from __future__ import annotations

import sys


def library_file_name() -> str:
    """The file name of the shared library on this platform."""
    if sys.platform == "win32":
        return "bili_qr.dll"
    if sys.platform == "darwin":
        return "libbili_qr.dylib"
    return "libbili_qr.so"
