#!/usr/bin/env bash
# Builds the npm package of the Node binding, with the native library inside, into OUTDIR:
#
#   bash bindings/node/build-package.sh OUTDIR
#
# The tarball (bili-qr-VERSION.tgz) holds index.js, lib/, index.d.ts, README.md, CHANGELOG.md, the LICENSE files and
# prebuilds/linux-x64/libbili_qr.so (stripped), plus prebuilds/win32-x64/bili_qr.dll when
# BILI_QR_WINDOWS_DLL names one, prebuilds/linux-arm64/ when BILI_QR_LINUX_ARM64 names an aarch64 libbili_qr.so and
# prebuilds/linux-x64-musl/ when BILI_QR_LINUX_X64_MUSL names a musl one (scripts/dist.sh sets them); the binding
# picks the folder of its platform, architecture and C library at run time (lib/native.js, prebuildDir), with
# no environment variable.
# Inputs: BILI_QR_LIBRARY (default target/release/libbili_qr.so: `cargo build --release -p bili-qr-capi`),
# BILI_QR_WINDOWS_DLL (optional). The package is staged in a temporary folder, so bindings/node stays clean.
# Needs node and npm. Called by scripts/dist.sh; tested by tests/suites/50-node.sh (installed outside the
# repository with no cargo on PATH, then a login against the fake server).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
die() { echo "build-package.sh: $*" >&2; exit 1; }

[[ $# -eq 1 && -n $1 ]] || die "usage: build-package.sh OUTDIR"
mkdir -p "$1"
out=$(cd "$1" && pwd)
lib=${BILI_QR_LIBRARY:-$root/target/release/libbili_qr.so}
[[ -f $lib ]] || die "missing $lib (cargo build --release -p bili-qr-capi, or set BILI_QR_LIBRARY)"
lib=$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib")
dll=${BILI_QR_WINDOWS_DLL:-}
[[ -z $dll || -f $dll ]] || die "BILI_QR_WINDOWS_DLL=$dll does not exist"
command -v npm >/dev/null || die "npm is not installed"

version=$(node -p "require('$here/package.json').version")
# The library must be the one of this version (one source: the workspace version).
if [[ -d $here/node_modules/koffi ]]; then
  libversion=$(cd "$here" && BILI_QR_LIBRARY="$lib" node -p "require('./').version()")
  [[ $libversion == "$version" ]] || die "$lib is version $libversion, package.json says $version"
fi

# The Windows DLL cannot be loaded here: check its export table holds every function the binding binds.
if [[ -n $dll ]]; then
  pe_objdump=$(command -v x86_64-w64-mingw32-objdump || true)
  if [[ -n $pe_objdump ]]; then
    exports=$("$pe_objdump" -p "$dll")
    for fn in $(grep -o 'bili_qr_[a-z_]*(' "$here/lib/native.js" | tr -d '(' | grep -vx bili_qr_progress_fn | sort -u); do
      grep -qw "$fn" <<<"$exports" || die "$dll does not export $fn (a stale Windows build?)"
    done
  else
    echo "build-package.sh: warning: no x86_64-w64-mingw32-objdump; the exports of $dll are not checked" >&2
  fi
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$here/package.json" "$here/index.js" "$here/index.d.ts" "$here/README.md" "$here/CHANGELOG.md" "$stage/"
cp -r "$here/lib" "$stage/lib"
licenses=0
for f in LICENSE LICENSE-MIT LICENSE-APACHE; do
  if [[ -f $root/$f ]]; then cp "$root/$f" "$stage/"; licenses=$((licenses + 1)); fi
done
[[ $licenses -gt 0 ]] || echo "build-package.sh: warning: no LICENSE file at the repository root to ship" >&2
mkdir -p "$stage/prebuilds/linux-x64"
if command -v strip >/dev/null; then
  strip --strip-unneeded -o "$stage/prebuilds/linux-x64/libbili_qr.so" "$lib"
else
  cp "$lib" "$stage/prebuilds/linux-x64/libbili_qr.so"
fi
extra=()
for pair in "linux-arm64:${BILI_QR_LINUX_ARM64:-}" "linux-x64-musl:${BILI_QR_LINUX_X64_MUSL:-}"; do
  dir=${pair%%:*} so=${pair#*:}
  [[ -n $so ]] || continue
  [[ -f $so ]] || die "$so (for prebuilds/$dir) does not exist"
  mkdir -p "$stage/prebuilds/$dir"
  cp "$so" "$stage/prebuilds/$dir/libbili_qr.so"
  extra+=("package/prebuilds/$dir/libbili_qr.so")
done
if [[ -n $dll ]]; then
  mkdir -p "$stage/prebuilds/win32-x64"
  cp "$dll" "$stage/prebuilds/win32-x64/bili_qr.dll"
fi
# The published package.json: no development scripts (prepare stages a checkout's library, see tools/).
(cd "$stage" && npm pkg delete scripts devDependencies >/dev/null)

tarball=$(cd "$stage" && npm pack --ignore-scripts --silent --pack-destination "$out")
tarball="$out/$tarball"
[[ -f $tarball ]] || die "npm pack wrote no tarball"
listing=$(tar -tzf "$tarball")
for f in package/package.json package/index.js package/index.d.ts package/lib/native.js package/lib/session.js \
  package/prebuilds/linux-x64/libbili_qr.so ${dll:+package/prebuilds/win32-x64/bili_qr.dll} ${extra[@]+"${extra[@]}"}; do
  grep -qx "$f" <<<"$listing" || die "$f is missing from $tarball"
done
echo "$tarball"
