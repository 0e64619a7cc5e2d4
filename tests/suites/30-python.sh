#!/usr/bin/env bash
# Python binding (bindings/python):
#  1. bindings/python/build-wheel.sh builds the sdist and, from it, the platform wheel (setuptools-rust compiles
#     the library and the bili-qr program from the sdist's Rust sources), repaired by auditwheel to manylinux;
#  2. bindings/python/test-install.sh: a fresh venv OUTSIDE the repository, with cargo absent from PATH, installs
#     the wheel and logs in against the fake server with the bundled library; `python -m bili_qr` and the
#     `bili-qr` console command log in too (they are the bundled CLI);
#  3. `python -m bili_qr --help` (and login/render --help) equal the repository's `bili-qr` (same flags);
#  4. pytest (bindings/python/tests) in another fresh venv (the wheel, pytest, yt-dlp, mypy from PyPI), with the
#     wheel's bundled library, against the fake server.
# Needs: python3 >= 3.8 with venv and ensurepip (.ci/deps/python.sh), cargo, a C compiler (stand-in libraries),
# network to PyPI for pip.
set -euo pipefail

root=${BILI_QR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
server=${BILI_QR_FAKE_SERVER:-$root/target/release/bili-qr-fake-server}
cli=${BILI_QR_CLI:-$root/target/release/bili-qr}
dist=$root/target/py-dist

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "-- $*"; }

python=$(command -v python3 || true)
[[ -n $python ]] || fail "python3 is not installed (see .ci/deps/python.sh)"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 8))' || fail "python3 >= 3.8 is needed"
for f in "$server" "$cli"; do [[ -x $f ]] || fail "missing $f (cargo build --release --workspace)"; done
version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$root/bindings/python/src/bili_qr/_version.py")

step "bindings/python/build-wheel.sh $dist"
start=$(date +%s)
bash "$root/bindings/python/build-wheel.sh" "$dist" || fail "build-wheel.sh failed"
wheel=$(ls "$dist"/bili_qr-"$version"-py3-none-manylinux_*.whl | head -n 1)
[[ -f $wheel && -f $dist/bili_qr-$version.tar.gz ]] || fail "build-wheel.sh left no wheel and sdist in $dist"
echo "   built in $(( $(date +%s) - start )) s: $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)"

step "the wheel's contents: platlib, the library, the bili-qr program, the licenses"
"$python" - "$wheel" <<'PY' || fail "the wheel's layout is wrong"
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
meta = [n for n in names if n.endswith(".dist-info/WHEEL")]
text = zipfile.ZipFile(sys.argv[1]).read(meta[0]).decode()
assert "Root-Is-Purelib: false" in text, text
assert not any(".data/purelib/" in n for n in names), names
for want in ("bili_qr/__init__.py", "bili_qr/py.typed", "bili_qr/libbili_qr.so", "bili_qr/bin/bili-qr"):
    assert want in names, (want, names)
licenses = [n for n in names if "/licenses/LICENSE-" in n or n.endswith(("/LICENSE-MIT", "/LICENSE-APACHE"))]
assert {n.rsplit("/", 1)[1] for n in licenses} == {"LICENSE-MIT", "LICENSE-APACHE"}, names
print("   " + ", ".join(sorted(n for n in names if n.startswith("bili_qr/") and not n.endswith(".py"))))
PY

step "bindings/python/test-install.sh $dist (fresh venv outside the repo, no cargo on PATH, a login)"
BILI_QR_FAKE_SERVER=$server bash "$root/bindings/python/test-install.sh" "$dist" || fail "test-install.sh failed"

# The venv for pytest: outside the repository too, PATH without cargo; the wheel and the test tools.
work=$(mktemp -d "${TMPDIR:-/tmp}/bili_qr_py.XXXXXX")
trap 'rm -rf "$work"' EXIT
[[ $work != "$root"/* ]] || fail "the venv must be outside the repository"
nocargo=""
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  [[ -n $d && ! -e $d/cargo && ! -e $d/rustc ]] && nocargo=${nocargo:+$nocargo:}$d
done
venv=$work/venv
step "test venv $venv: the wheel, pytest, yt-dlp, mypy"
env PATH="$nocargo" "$python" -m venv "$venv" || fail "python3 -m venv failed (Debian: apt-get install python3-venv)"
py=$venv/bin/python
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
"$py" -m pip install -q "$wheel" "pytest>=7,<10" "yt-dlp==2026.10.26" "mypy==2.4.1" || fail "pip install failed"

step "python -m bili_qr has the flags of the repository's bili-qr ($cli)"
for args in "--help" "login --help" "render --help"; do
  # shellcheck disable=SC2086
  [[ $(cd "$work" && env -u BILI_QR_CLI "$py" -m bili_qr $args) == "$("$cli" $args)" ]] ||
    fail "python -m bili_qr $args differs from bili-qr $args"
done

step "pytest in the venv (the wheel's bundled library, BILI_QR_FAKE_SERVER=$server)"
cd "$root/bindings/python"
env -u BILI_QR_LIBRARY -u BILI_QR_CLI PATH="$venv/bin:$nocargo" BILI_QR_FAKE_SERVER="$server" BILI_QR_TEST_STRICT=1 \
  timeout 1200 "$py" -m pytest -q -rs -p no:cacheprovider tests
