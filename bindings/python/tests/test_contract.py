"""The facts this binding keeps are the contract's: status codes and option names against include/bili_qr.h,
the ABI version check, and the package version against the Cargo workspace (root Cargo.toml)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import bili_qr
from bili_qr import _errors, _lib, _options

REPO = Path(__file__).resolve().parent.parent.parent.parent
HEADER = REPO / "include" / "bili_qr.h"


def _header() -> str:
    if not HEADER.is_file():
        pytest.fail(f"{HEADER} is missing: these tests run from a checkout of the repository")
    return HEADER.read_text(encoding="utf-8")


def header_status_codes() -> dict:
    """``#define BILI_QR_<NAME> <int>`` of the status codes (not the version or ABI macros)."""
    found = {
        name: int(value)
        for name, value in re.findall(r"^#define BILI_QR_([A-Z_]+) (-?\d+)\s*$", _header(), re.M)
        if not name.startswith(("VERSION_", "ABI_"))
    }
    assert len(found) >= 12, f"the status codes were not found in {HEADER}: {found}"
    return found


def header_options() -> dict:
    """The options table of the header's preamble: ``<name>  string|integer|bool  <default and rules>``."""
    text = _header()
    found = dict(re.findall(r"^ \*\s{2,}([a-z][a-z0-9_]*)\s+(string|integer|bool(?:ean)?)\s", text, re.M))
    assert len(found) >= 9, f"the options table was not found in {HEADER}: {found}"
    return {name: ("bool" if kind.startswith("bool") else kind) for name, kind in found.items()}


def test_status_codes_match_the_header():
    codes = header_status_codes()
    mine = {name: getattr(_errors, name) for name in dir(_errors) if re.fullmatch(r"(OK|WAITING|SCANNED|EXPIRED|ERR_[A-Z]+)", name)}
    assert mine == codes
    # every error status of the header has its exception class, with that status
    for name, value in codes.items():
        if value < 0:
            exc = _errors.error_for_status(value, "m")
            assert type(exc) is not bili_qr.Error, name
            assert exc.status == value


#: The options of the TV/app token login (ABI 3, ``flow="tv"``): this binding has them; a header that does not
#: list them yet (a checkout from before the token login) is allowed to lack exactly these, all strings.
TV_OPTIONS = ("flow", "app_key", "app_secret")


def test_option_names_and_types_match_the_header():
    header = header_options()
    mine = dict(_options.OPTION_TYPES)
    if "flow" not in header:
        assert {k: mine.pop(k, None) for k in TV_OPTIONS} == {k: "string" for k in TV_OPTIONS}
    assert mine == header
    for name in ("site", "www_base_url", "refresh_public_key"):  # ABI 3
        assert header[name] == "string"


def test_abi_version_macro_and_the_binding():
    macro = int(re.search(r"^#define BILI_QR_ABI_VERSION (\d+)", _header(), re.M).group(1))
    assert _lib.ABI_VERSION <= macro
    assert bili_qr.abi_version() >= _lib.ABI_VERSION


def workspace_version() -> str:
    text = (REPO / "Cargo.toml").read_text(encoding="utf-8")
    section = re.search(r"^\[workspace\.package\](.*?)(?=^\[|\Z)", text, re.M | re.S)
    assert section, "root Cargo.toml has no [workspace.package]"
    return re.search(r'^version\s*=\s*"([^"]+)"', section.group(1), re.M).group(1)


def test_package_version_is_the_workspace_version():
    assert bili_qr.__version__ == workspace_version()
    # the source file too (the installed package could be older than the checkout)
    src = (REPO / "bindings" / "python" / "src" / "bili_qr" / "_version.py").read_text(encoding="utf-8")
    assert f'__version__ = "{workspace_version()}"' in src
    header = _header()
    macros = [int(re.search(rf"^#define BILI_QR_VERSION_{p} (\d+)", header, re.M).group(1)) for p in ("MAJOR", "MINOR", "PATCH")]
    assert ".".join(map(str, macros)) == workspace_version()


def test_header_parsers_fail_on_a_header_without_the_facts(tmp_path, monkeypatch):
    """The checks above cannot pass vacuously: an empty table fails."""
    fake = tmp_path / "bili_qr.h"
    fake.write_text("/* nothing */\n")
    monkeypatch.setattr(sys.modules[__name__], "HEADER", fake)
    with pytest.raises(AssertionError):
        header_status_codes()
    with pytest.raises(AssertionError):
        header_options()
