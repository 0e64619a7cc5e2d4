"""Which library gets loaded, and the ABI check at import time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bili_qr
from bili_qr import _lib


def _import_in_subprocess(env_library):
    env = dict(os.environ)
    if env_library is None:
        env.pop("BILI_QR_LIBRARY", None)
    else:
        env["BILI_QR_LIBRARY"] = env_library
    code = "import bili_qr; print(bili_qr.library_path); print(bili_qr.library_version())"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)


def test_bili_qr_library_names_the_file():
    wanted = os.environ.get("BILI_QR_LIBRARY")
    if not wanted:
        pytest.skip("BILI_QR_LIBRARY is not set")
    assert os.path.samefile(bili_qr.library_path, wanted)


def test_missing_library_file_is_a_clear_import_error(tmp_path):
    missing = str(tmp_path / "nope" / _lib.library_file_name())
    r = _import_in_subprocess(missing)
    assert r.returncode != 0
    assert "ImportError" in r.stderr and missing in r.stderr and "BILI_QR_LIBRARY" in r.stderr


def _stand_in(tmp_path, abi):
    """A stand-in library answering bili_qr_abi_version() == abi, with every function of that ABI as a stub."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None or sys.platform == "win32":
        if os.environ.get("BILI_QR_TEST_STRICT") == "1":
            pytest.fail("no C compiler to build a stand-in library")
        pytest.skip("no C compiler to build a stand-in library")
    src = tmp_path / f"fake{abi}.c"
    names = ["version", "status_str", "last_error", "free", "cancel"]
    for n in list(_lib.SIGNATURES) + (list(_lib.SIGNATURES_V3) if abi >= 3 else []):
        names += [n[len("bili_qr_"):], n[len("bili_qr_"):] + "_ex"]
    body = "".join(f"int bili_qr_{n}(void) {{ return 0; }}\n" for n in names)
    src.write_text(f"int bili_qr_abi_version(void) {{ return {abi}; }}\n" + body)
    so = tmp_path / f"abi{abi}" / "libbili_qr.so"
    so.parent.mkdir()
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(so), str(src)], check=True)
    return str(so)


def test_an_older_abi_is_refused_with_both_numbers(tmp_path):
    r = _import_in_subprocess(_stand_in(tmp_path, 1))
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "library is too old: ABI 1, this binding needs 2" in r.stderr, r.stderr


def test_a_newer_abi_is_accepted(tmp_path):
    """A library of version N serves every caller built for a version <= N."""
    so = _stand_in(tmp_path, 3)
    env = dict(os.environ, BILI_QR_LIBRARY=so)
    code = "import bili_qr; print(bili_qr.abi_version())"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "3"


def test_an_abi_2_library_serves_all_but_the_refresh(tmp_path):
    """A library of ABI 2 has no bili_qr_refresh: the package loads, and refresh says what it needs (typed)."""
    so = _stand_in(tmp_path, 2)
    env = dict(os.environ, BILI_QR_LIBRARY=so)
    code = (
        "import bili_qr\n"
        "try:\n    bili_qr.refresh('SESSDATA=x; bili_jct=y', site='main')\n"
        "except bili_qr.ArgumentError as e:\n    print(e)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "needs a library of ABI 3" in r.stdout and "is ABI 2" in r.stdout, r.stdout


def test_not_a_bili_qr_library_is_refused():
    import ctypes.util

    libm = ctypes.util.find_library("m")
    if libm is None:
        pytest.skip("no libm")
    r = _import_in_subprocess(libm)
    assert r.returncode != 0 and "not a bili_qr library" in r.stderr


def test_bundled_library_is_used_without_the_variable():
    """An installed package carries its own library (pip install builds and bundles it)."""
    bundled = Path(_lib.__file__).resolve().parent / _lib.library_file_name()
    if not bundled.exists():
        if os.environ.get("BILI_QR_TEST_STRICT") == "1":
            pytest.fail(f"no bundled library at {bundled}: pip install did not bundle it")
        pytest.skip("running from a source tree: no bundled library")
    r = _import_in_subprocess(None)
    assert r.returncode == 0, r.stderr
    path, version = r.stdout.split()
    assert os.path.samefile(path, bundled)
    assert version == bili_qr.__version__
