"""Build hook: the native library and the `bili-qr` program, built from the Rust sources by setuptools-rust.

Why setuptools-rust (and not maturin): this package is a ctypes binding of a plain C-ABI library, not a PyO3
extension, and it ships two Rust artifacts: `libbili_qr.so` (the `capi` package, loaded with ctypes) and the
`bili-qr` program (the `cli` package: the one command-line interface, which `python -m bili_qr` and the
`bili-qr` console command run, so their flags are the CLI's by construction). setuptools-rust builds both
(`Binding.NoBinding` for the cdylib, `Binding.Exec` for the program) under the setuptools configuration the
package already has; maturin builds one artifact per project, and for a non-PyO3 cdylib it would generate a cffi
module instead of this ctypes binding.

Where the Rust sources are:
- in a checkout: two directories up (the repository root, a Cargo workspace);
- in the sdist: `rust/` next to this file. The sdist command copies the workspace there (see `sdist` below),
  so `pip install bili_qr-X.tar.gz` builds from source wherever cargo is installed.

The wheel is `py3-none-<platform>` with the files under platlib (`root_is_pure = False`): it carries native
code but no CPython extension, so one wheel serves every Python 3 version. scripts/… (bindings/python/
build-wheel.sh) repairs it with auditwheel to a manylinux tag.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.sdist import sdist as _sdist
from setuptools_rust import Binding, RustExtension
from setuptools_rust import build_rust as _build_rust

try:  # setuptools >= 70.1 ships bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel as _bdist_wheel
except ImportError:  # pragma: no cover
    from wheel.bdist_wheel import bdist_wheel as _bdist_wheel

HERE = Path(__file__).resolve().parent
SDIST_RUST = "rust"
# What the sdist carries of the Cargo workspace: every member (Cargo needs them all), its lock file, the
# header the build script regenerates, and the licenses. Nothing else of the repository.
WORKSPACE_FILES = ["Cargo.toml", "Cargo.lock", "build.rs", "cbindgen.toml", "LICENSE-MIT", "LICENSE-APACHE"]
WORKSPACE_DIRS = ["src", "capi", "cli", "fake-server", "include"]


def _workspace() -> Path:
    staged = HERE / SDIST_RUST
    if (staged / "Cargo.toml").is_file():
        return staged
    return HERE.parent.parent


ROOT = _workspace()


def _rel(path: Path) -> str:
    return os.path.relpath(path, HERE)


def _lib_name() -> str:
    """The library's file name on this platform: bili_qr/_platform.py's, loaded alone (importing the package
    would load the library, which is what this build makes)."""
    spec = importlib.util.spec_from_file_location("_bili_qr_platform", HERE / "src" / "bili_qr" / "_platform.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.library_file_name()


def _workspace_version() -> str:
    text = (ROOT / "Cargo.toml").read_text(encoding="utf-8")
    section = re.search(r"^\[workspace\.package\](.*?)(?=^\[|\Z)", text, re.M | re.S) or re.search(
        r"^\[package\](.*?)(?=^\[|\Z)", text, re.M | re.S
    )
    match = re.search(r'^version\s*=\s*"([^"]+)"', section.group(1) if section else "", re.M)
    if not match:
        raise RuntimeError(f"bili_qr: no version in {ROOT / 'Cargo.toml'}")
    return match.group(1)


def _package_version() -> str:
    text = (HERE / "src" / "bili_qr" / "_version.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    return match.group(1) if match else "?"


def _check_sources() -> None:
    if not (ROOT / "Cargo.toml").is_file() or not (ROOT / "capi" / "Cargo.toml").is_file():
        raise RuntimeError(
            f"bili_qr: the Rust sources were not found (looked in {HERE / SDIST_RUST} and {HERE.parent.parent}); "
            "build from a checkout of the repository or from the sdist"
        )
    crate, package = _workspace_version(), _package_version()
    if crate != package:
        raise RuntimeError(
            f"bili_qr: version mismatch: the Cargo workspace says {crate}, src/bili_qr/_version.py says {package}"
        )


class build_rust(_build_rust):
    """setuptools-rust, with the library under its own file name (ctypes loads `libbili_qr.so`, not a
    `*.cpython-3XY-*.so` extension name: any Python 3 loads the same file)."""

    def run(self) -> None:
        _check_sources()
        super().run()

    def get_dylib_ext_path(self, ext: RustExtension, target_fname: str) -> str:
        path = super().get_dylib_ext_path(ext, target_fname)
        return os.path.join(os.path.dirname(path), _lib_name())


class bdist_wheel(_bdist_wheel):
    """A platform wheel (py3-none-<platform>, platlib): native code, but no CPython extension."""

    def finalize_options(self) -> None:
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):  # type: ignore[no-untyped-def]
        _python, _abi, plat = super().get_tag()
        return "py3", "none", plat


class sdist(_sdist):
    """The sdist carries the Rust workspace under `rust/`, so that it builds outside the repository."""

    def make_release_tree(self, base_dir: str, files: list) -> None:  # type: ignore[type-arg]
        super().make_release_tree(base_dir, files)
        _check_sources()
        dest = Path(base_dir) / SDIST_RUST
        if ROOT == HERE / SDIST_RUST:  # building an sdist from an sdist: copy what is there
            shutil.copytree(ROOT, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("target"))
            return
        dest.mkdir(parents=True, exist_ok=True)
        for name in WORKSPACE_FILES:
            src = ROOT / name
            if not src.is_file():
                raise RuntimeError(f"bili_qr sdist: {src} is missing")
            shutil.copy2(src, dest / name)
        for name in WORKSPACE_DIRS:
            shutil.copytree(
                ROOT / name,
                dest / name,
                ignore=shutil.ignore_patterns("target", "__pycache__", "*.pyc"),
                dirs_exist_ok=True,
            )


def _rust(target: str, crate_dir: str, binding: Binding) -> RustExtension:
    """One Rust artifact of the wheel: the workspace member `crate_dir`, built --locked in release."""
    return RustExtension(
        target,
        path=_rel(ROOT / crate_dir / "Cargo.toml"),
        binding=binding,
        cargo_manifest_args=["--locked"],
        debug=False,
    )


setup(
    rust_extensions=[
        _rust("bili_qr.libbili_qr", "capi", Binding.NoBinding),
        _rust("bili_qr.bin.bili-qr", "cli", Binding.Exec),
    ],
    cmdclass={"build_rust": build_rust, "bdist_wheel": bdist_wheel, "sdist": sdist},
    zip_safe=False,
)
