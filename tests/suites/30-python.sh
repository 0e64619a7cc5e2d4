#!/usr/bin/env bash
# Python binding (bindings/python):
#  1. a venv under target/py-venv; `pip install ./bindings/python` really builds the Rust library with cargo and
#     bundles it in the installed package; pytest and yt-dlp from PyPI;
#  2. the installed package imports with BILI_QR_LIBRARY unset (the bundled copy), from outside the source tree;
#  3. pytest against the fake server, with BILI_QR_LIBRARY set to the freshly built library.
# Needs: python3 >= 3.8 with venv and ensurepip (.ci/deps/python.sh makes sure), network to PyPI for pip.
set -euo pipefail

root=${BILI_QR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
lib=${BILI_QR_LIBRARY:-$root/target/release/libbili_qr.so}
server=${BILI_QR_FAKE_SERVER:-$root/target/release/bili-qr-fake-server}
venv=$root/target/py-venv

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "-- $*"; }

python=$(command -v python3 || true)
[[ -n $python ]] || fail "python3 is not installed (see .ci/deps/python.sh)"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 8))' || fail "python3 >= 3.8 is needed"
for f in "$lib" "$server"; do [[ -e $f ]] || fail "missing $f (cargo build --release --workspace)"; done

step "venv $venv ($("$python" --version))"
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import pip' 2>/dev/null; then
  rm -rf "$venv"
  "$python" -m venv "$venv" || fail "python3 -m venv failed (Debian: apt-get install python3-venv)"
fi
py=$venv/bin/python
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

step "pip install pytest yt-dlp"
"$py" -m pip install -q "pytest>=7,<10" "yt-dlp==2026.10.26" || fail "pip install of the test tools failed"

step "pip install ./bindings/python (runs cargo build --release --lib, bundles the library)"
log=$(mktemp "${TMPDIR:-/tmp}/bili_qr_pip.XXXXXX")
trap 'rm -f "$log"' EXIT
if ! (cd "$root" && env -u BILI_QR_LIBRARY -u BILI_QR_PREBUILT_LIBRARY \
      "$py" -m pip install -v --force-reinstall --no-deps ./bindings/python) >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  fail "pip install ./bindings/python failed"
fi
grep -q "bili_qr: running .*cargo build --release --lib" "$log" || fail "the package build did not run cargo"
grep -E "Created wheel for bili.qr" "$log" | sed 's/^ */   /' || true
grep -Eq "Created wheel for bili.qr: filename=bili_qr-[^ ]*-py3-none-[a-z]" "$log" \
  || fail "the wheel is not platform-specific (py3-none-<platform>)"

step "the installed package loads its bundled library (BILI_QR_LIBRARY unset, cwd outside the repo)"
(cd / && env -u BILI_QR_LIBRARY "$py" - <<'EOF') || fail "import with the bundled library failed"
import os, sys, sysconfig
import bili_qr
pkg = os.path.dirname(os.path.realpath(bili_qr.__file__))
site = os.path.realpath(sysconfig.get_paths()["platlib"])
assert pkg.startswith(site + os.sep), f"imported from {pkg}, not the venv's site-packages {site}"
assert os.path.dirname(os.path.realpath(bili_qr.library_path)) == pkg, bili_qr.library_path
assert bili_qr.abi_version() == 1
assert bili_qr.library_version() == bili_qr.__version__, (bili_qr.library_version(), bili_qr.__version__)
assert bili_qr.render("bundled", "matrix").count("\n") >= 21
print(f"   bili_qr {bili_qr.__version__}, library {bili_qr.library_path}")
EOF

step "pytest (BILI_QR_LIBRARY=$lib)"
cd "$root/bindings/python"
BILI_QR_LIBRARY=$lib BILI_QR_FAKE_SERVER=$server BILI_QR_TEST_STRICT=1 \
  timeout 900 "$py" -m pytest -q -p no:cacheprovider tests
