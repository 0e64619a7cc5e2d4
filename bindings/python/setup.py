"""Build hook: `pip install ./bindings/python` builds the Rust library with cargo and bundles it in the package.

- The library is built with `cargo build --release --lib` in the repository root (two directories up), and the
  resulting `libbili_qr.so` (`.dylib`, `bili_qr.dll`) is copied into the built `bili_qr` package.
- `BILI_QR_PREBUILT_LIBRARY=/path/to/libbili_qr.so` bundles that file instead of running cargo (for packagers
  building from an sdist outside the repository).
- The wheel is platform-specific (`py3-none-<platform>`): it carries a native library but no CPython extension.
Everything else is in pyproject.toml.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py as _build_py

try:  # setuptools >= 70.1 ships bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel as _bdist_wheel
except ImportError:  # pragma: no cover
    from wheel.bdist_wheel import bdist_wheel as _bdist_wheel

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def _lib_name() -> str:
    if sys.platform == "win32":
        return "bili_qr.dll"
    if sys.platform == "darwin":
        return "libbili_qr.dylib"
    return "libbili_qr.so"


def _package_version() -> str:
    text = (HERE / "src" / "bili_qr" / "_version.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


def _crate_version(cargo_toml: Path) -> str:
    text = cargo_toml.read_text(encoding="utf-8")
    # The version lives in [workspace.package] (every manifest says version.workspace = true).
    package = re.search(r"^\[workspace\.package\](.*?)(?=^\[|\Z)", text, re.M | re.S) or re.search(
        r"^\[package\](.*?)(?=^\[)", text, re.M | re.S
    )
    match = re.search(r'^version\s*=\s*"([^"]+)"', package.group(1) if package else text, re.M)
    return match.group(1) if match else "?"


def _cargo() -> str:
    found = shutil.which("cargo")
    if found:
        return found
    home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    candidate = home / "bin" / ("cargo.exe" if sys.platform == "win32" else "cargo")
    if candidate.exists():
        return str(candidate)
    raise RuntimeError(
        "bili_qr: building the native library needs Rust's cargo (https://rustup.rs), which was not found on "
        "PATH; or set BILI_QR_PREBUILT_LIBRARY to an already built " + _lib_name()
    )


def build_native_library() -> Path:
    """Build (or locate) the native library; return its path."""
    prebuilt = os.environ.get("BILI_QR_PREBUILT_LIBRARY")
    if prebuilt:
        path = Path(prebuilt)
        if not path.is_file():
            raise RuntimeError(f"bili_qr: BILI_QR_PREBUILT_LIBRARY={prebuilt} is not a file")
        return path
    cargo_toml = REPO / "Cargo.toml"
    if not cargo_toml.is_file() or not re.search(r'^name\s*=\s*"bili_qr"', cargo_toml.read_text("utf-8"), re.M):
        raise RuntimeError(
            f"bili_qr: the Rust crate was not found at {REPO} (expected the bili_qr repository two levels above "
            "bindings/python); install from a checkout of the repository, or set BILI_QR_PREBUILT_LIBRARY"
        )
    crate, package = _crate_version(cargo_toml), _package_version()
    if crate != package:
        raise RuntimeError(
            f"bili_qr: version mismatch: Cargo.toml says {crate}, bindings/python/src/bili_qr/_version.py says "
            f"{package}; make them equal"
        )
    cargo = _cargo()
    cmd = [cargo, "build", "--release", "--lib"]
    if (REPO / "Cargo.lock").is_file():
        cmd.append("--locked")
    print("bili_qr: running " + " ".join(cmd) + f" in {REPO}", flush=True)
    subprocess.run(cmd, cwd=str(REPO), check=True)
    meta = subprocess.run(
        [cargo, "metadata", "--format-version", "1", "--no-deps"],
        cwd=str(REPO),
        check=True,
        stdout=subprocess.PIPE,
    )
    target = Path(json.loads(meta.stdout)["target_directory"])
    built = target / "release" / _lib_name()
    if not built.is_file():
        raise RuntimeError(f"bili_qr: cargo finished but {built} does not exist")
    return built


class build_py(_build_py):
    """Builds the Python files, then the native library, and copies the library into the package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode if hasattr(self, "editable_mode") else False:
            return  # an editable install loads the library via BILI_QR_LIBRARY
        built = build_native_library()
        dest = Path(self.build_lib) / "bili_qr" / _lib_name()
        dest.parent.mkdir(parents=True, exist_ok=True)
        self.copy_file(str(built), str(dest))

    def get_outputs(self, include_bytecode: bool = True):  # type: ignore[no-untyped-def]
        outputs = super().get_outputs(include_bytecode)
        return outputs + [str(Path(self.build_lib) / "bili_qr" / _lib_name())]


class bdist_wheel(_bdist_wheel):
    """A platform wheel (py3-none-<platform>): it bundles a native library, which is not pure Python."""

    def finalize_options(self) -> None:
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):  # type: ignore[no-untyped-def]
        _python, _abi, plat = super().get_tag()
        return "py3", "none", plat


setup(cmdclass={"build_py": build_py, "bdist_wheel": bdist_wheel})
