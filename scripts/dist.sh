#!/usr/bin/env bash
# Builds every distributable artifact into dist/ and writes dist/SHA256SUMS.
#
#   bash scripts/dist.sh [--no-build] [--out DIR]
#
# Artifacts (VERSION is the root Cargo.toml's [workspace.package] version, the one version of every artifact; the
# license, MIT OR Apache-2.0, travels as LICENSE-MIT and LICENSE-APACHE in each):
#   bili_qr-VERSION-linux-x86_64.tar.gz     C/C++ SDK: include/, lib/ (.so + soname symlinks, .a, pkgconfig,
#                                           cmake), LICENSE-*, README.md (scripts/sdk/README.md)
#   bili-qr-VERSION-linux-x86_64.tar.gz     the CLI: bili-qr (stripped), LICENSE-*, README.md
#   bili_qr-VERSION-windows-x86_64.zip      Windows SDK (x86_64-pc-windows-gnu): bin/bili_qr.dll, lib/ (import
#                                           library libbili_qr.dll.a, bili_qr.def for MSVC's lib.exe, static .a),
#                                           include/, LICENSE-*, README.md (scripts/sdk/README-windows.md)
#   bili-qr-VERSION-windows-x86_64.zip      the CLI: bili-qr.exe, LICENSE-*, README.md
#   and for the other Linux targets (left out with --no-platforms; built with zig from this machine, see below):
#   bili_qr-VERSION-linux-aarch64.tar.gz    C/C++ SDK for aarch64-unknown-linux-gnu (glibc >= 2.17)
#   bili-qr-VERSION-linux-aarch64.tar.gz    the CLI for aarch64 Linux (glibc >= 2.17)
#   bili-qr-VERSION-linux-x86_64-musl.tar.gz  a fully static CLI (x86_64-unknown-linux-musl): one file, any Linux
#   whatever the binding scripts write, when they exist (each is called as `SCRIPT OUTDIR`):
#     bindings/python/build-wheel.sh, bindings/csharp/build-packages.sh, bindings/node/build-package.sh
#   They get stripped copies of the libraries through BILI_QR_LIBRARY (Linux .so) and BILI_QR_WINDOWS_DLL
#   (bili_qr.dll; unset with --no-windows), and BILI_QR_VERSION; with the other Linux targets also
#   BILI_QR_LINUX_X64_GLIBC217 (libbili_qr.so for x86_64 linked against glibc 2.17: the manylinux2014 wheel and
#   the npm/NuGet linux-x64 copies), BILI_QR_LINUX_ARM64 (aarch64, glibc 2.17), BILI_QR_LINUX_X64_MUSL (musl,
#   dynamically linked to libc.musl), and BILI_QR_CLI_X64_GLIBC217 / _ARM64 / _X64_MUSL (the CLI beside each).
#
# The other Linux targets: each is compiled ONCE, into target/platforms/ (its own target directory: zig's linker
# settings must not rebuild the native build's host artifacts), and every package of that target takes the same
# files. `cargo zigbuild --target TRIPLE.2.17` links against glibc 2.17's symbol versions (manylinux2014); the
# musl library is built with -crt-static (a shared object over libc.musl, in target/platforms-musl-so/), the
# musl CLI with musl's default static C runtime. The profile is BILI_QR_PLATFORM_PROFILE (default `platform`:
# release without fat LTO, for CI's time; `release` for LTO). Built by scripts/build-platforms.sh. Needs .ci/deps/platforms.{apt,sh} (rustup targets, ziglang, cargo-zigbuild).
#
# --no-build    use the existing target/ artifacts (after `cargo build --release --workspace`,
#               `bash scripts/build-lib.sh` and
#               `cargo build --release --target x86_64-pc-windows-gnu -p bili-qr-capi -p bili-qr-cli`)
# --no-windows  leave the Windows artifacts out (the Windows target needs mingw-w64: .ci/deps/windows.*)
# --no-platforms  leave the other Linux targets out (aarch64, glibc 2.17, musl)
# --out DIR   write into DIR instead of dist/ (emptied first)
# The tests of the artifacts (installed outside the repo, with no cargo on PATH): tests/suites/85-packages.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/dist"
build=1
windows=1
platforms=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-build) build=0; shift ;;
    --no-windows) windows=0; shift ;;
    --no-platforms) platforms=0; shift ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) echo "dist.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ $(uname -s) == Linux && $(uname -m) == x86_64 ]] || { echo "dist.sh: builds on Linux x86_64 only" >&2; exit 2; }

# The version lives in the root's [workspace.package]; every manifest says version.workspace = true.
manifest_version() { awk '/^\[/{sec=$0} sec=="[workspace.package]" && /^version *=/{gsub(/.*= *"|".*/,""); print; exit}' "$1"; }
version=$(manifest_version "$root/Cargo.toml")
[[ $version =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || { echo "dist.sh: cannot read the version from Cargo.toml" >&2; exit 1; }
major=${BASH_REMATCH[1]}
minor=${BASH_REMATCH[2]}
# One version: every Rust package of the workspace carries the root's.
for m in capi/Cargo.toml cli/Cargo.toml; do
  grep -qx 'version.workspace = true' "$root/$m" || { echo "dist.sh: $m does not inherit the workspace version" >&2; exit 1; }
done

cd "$root"
if [[ $build == 1 ]]; then
  echo "== cargo build --release (CLI) and scripts/build-lib.sh (the C library)"
  cargo build --release --locked -p bili-qr-cli
  bash "$root/scripts/build-lib.sh" >/dev/null
  if [[ $windows == 1 ]]; then
    echo "== cargo build --release --target x86_64-pc-windows-gnu (bili_qr.dll, bili-qr.exe)"
    cargo build --release --locked --target x86_64-pc-windows-gnu -p bili-qr-capi -p bili-qr-cli
  fi
fi
target_dir=${CARGO_TARGET_DIR:-$root/target}
# The other Linux targets (see the header): triple as zig is given it, the target directory, extra rustflags.
profile=${BILI_QR_PLATFORM_PROFILE:-platform}
[[ $profile =~ ^[a-z][a-z0-9-]*$ ]] || { echo "dist.sh: bad BILI_QR_PLATFORM_PROFILE '$profile'" >&2; exit 2; }
plat_dir="$target_dir/platforms"
musl_so_dir="$target_dir/platforms-musl-so"
x64_217="$plat_dir/x86_64-unknown-linux-gnu/$profile"
arm64="$plat_dir/aarch64-unknown-linux-gnu/$profile"
musl_cli="$plat_dir/x86_64-unknown-linux-musl/$profile"
musl_so="$musl_so_dir/x86_64-unknown-linux-musl/$profile"
if [[ $platforms == 1 && $build == 1 ]]; then
  bash "$root/scripts/build-platforms.sh"
fi
# The x86_64 Linux C library (the SDK, and the copy the packages take without the other targets):
# scripts/build-lib.sh's, the release profile with std rebuilt for size.
shipped="$target_dir/lib/x86_64-unknown-linux-gnu/release"
lib="$shipped/libbili_qr.so"
cli="$target_dir/release/bili-qr"
win="$target_dir/x86_64-pc-windows-gnu/release"
need=("$lib" "$cli")
[[ $windows == 0 ]] || need+=("$win/bili_qr.dll" "$win/libbili_qr.dll.a" "$win/libbili_qr.a" "$win/bili-qr.exe")
[[ $platforms == 0 ]] || need+=("$x64_217/libbili_qr.so" "$x64_217/bili-qr" "$arm64/libbili_qr.so" "$arm64/libbili_qr.a"
  "$arm64/bili-qr" "$musl_cli/bili-qr" "$musl_so/libbili_qr.so")
for f in "${need[@]}"; do
  [[ -f $f ]] || { echo "dist.sh: missing $f (drop --no-build, or run what --no-build names; --no-windows / --no-platforms leave targets out)" >&2; exit 1; }
done

case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Reproducible tarballs: sorted names, one owner, the commit's time (or 0 outside git).
mtime=$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)
pack() { # pack DIR-IN-WORK ARCHIVE
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -C "$work" -czf "$2" "$1"
}
licenses() { install -m 0644 "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$1/"; }
# sdk_tarball PLATFORM: the C/C++ SDK of PLATFORM (install.sh's tree, the licenses, the SDK README) packed into
# $out/bili_qr-VERSION-PLATFORM.tar.gz, its directory left in $work. install.sh builds nothing and takes what
# the caller's environment names (CARGO_TARGET_DIR, STRIP).
sdk_tarball() {
  local dir="bili_qr-$version-$1"
  bash "$root/scripts/install.sh" --no-build --prefix "$work/$dir" >"$work/install-$1.log" ||
    { cat "$work/install-$1.log"; exit 1; }
  licenses "$work/$dir"
  sed -e "s/@VERSION@/$version/g" -e "s/@MAJOR@/$major/g" -e "s/@MINOR@/$minor/g" -e "s/@PLATFORM@/$1/g" \
    "$root/scripts/sdk/README.md" >"$work/$dir/README.md"
  pack "$dir" "$out/$dir.tar.gz"
}

echo "== C/C++ SDK"
# install.sh reads CARGO_TARGET_DIR/release/: a directory whose release/ is build-lib.sh's output.
mkdir -p "$work/x64-target"
ln -s "$shipped" "$work/x64-target/release"
CARGO_TARGET_DIR="$work/x64-target" sdk_tarball linux-x86_64

echo "== CLI"
clidir="bili-qr-$version-linux-x86_64"
mkdir -p "$work/$clidir"
strip --strip-unneeded -o "$work/$clidir/bili-qr" "$cli"
licenses "$work/$clidir"
cat >"$work/$clidir/README.md" <<TXT
# bili-qr $version (linux-x86_64)

The bili_qr command line: a bilibili QR-code login (bilibili.tv, bilibili.com, TV/app tokens) that writes the session. A single static-Rust
binary (it needs only glibc); copy \`bili-qr\` onto your PATH. \`bili-qr --help\`, \`bili-qr login --demo\` (an
offline demo against a built-in fake server). License: MIT OR Apache-2.0.
TXT
pack "$clidir" "$out/$clidir.tar.gz"

# The highest GLIBC_x.y symbol version an ELF file needs ("none" for a static or musl file).
glibc_needs() {
  { objdump -T "$1" 2>/dev/null || true; } | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -t. -k1,1n -k2,2n -k3,3n |
    tail -n 1 | sed 's/^$/none/' | grep . || echo none
}
if [[ $platforms == 1 ]]; then
  echo "== the other Linux targets: aarch64 SDK and CLI, static musl CLI"
  # install.sh reads CARGO_TARGET_DIR/release/: a directory whose release/ is the target's profile directory.
  mkdir -p "$work/arm64-target" "$work/stripped/x64-glibc217" "$work/stripped/arm64" "$work/stripped/x64-musl"
  ln -s "$arm64" "$work/arm64-target/release"
  asdk="bili_qr-$version-linux-aarch64"
  CARGO_TARGET_DIR="$work/arm64-target" STRIP=aarch64-linux-gnu-strip sdk_tarball linux-aarch64
  acli="bili-qr-$version-linux-aarch64"
  mkdir -p "$work/$acli"
  aarch64-linux-gnu-strip --strip-unneeded -o "$work/$acli/bili-qr" "$arm64/bili-qr"
  licenses "$work/$acli"
  sed -e 's/(linux-x86_64)/(linux-aarch64: ARM64, glibc 2.17 or later)/' "$work/$clidir/README.md" >"$work/$acli/README.md"
  pack "$acli" "$out/$acli.tar.gz"
  mcli="bili-qr-$version-linux-x86_64-musl"
  mkdir -p "$work/$mcli"
  strip --strip-unneeded -o "$work/$mcli/bili-qr" "$musl_cli/bili-qr"
  licenses "$work/$mcli"
  sed -e 's/(linux-x86_64)/(linux-x86_64-musl: static)/' \
    -e 's/A single static-Rust$/A single fully static/' -e 's/binary (it needs only glibc)/binary (musl, no shared library at all: it runs on any x86_64 Linux, Alpine too)/' \
    "$work/$clidir/README.md" >"$work/$mcli/README.md"
  pack "$mcli" "$out/$mcli.tar.gz"
  # The copies every package of a target takes (stripped once).
  strip --strip-unneeded -o "$work/stripped/x64-glibc217/libbili_qr.so" "$x64_217/libbili_qr.so"
  strip --strip-unneeded -o "$work/stripped/x64-glibc217/bili-qr" "$x64_217/bili-qr"
  install -m 0755 "$work/$asdk/lib/libbili_qr.so.$version" "$work/stripped/arm64/libbili_qr.so"
  install -m 0755 "$work/$acli/bili-qr" "$work/stripped/arm64/bili-qr"
  strip --strip-unneeded -o "$work/stripped/x64-musl/libbili_qr.so" "$musl_so/libbili_qr.so"
  # zig links the musl library against "libc.so"; musl's loader takes any libc.* name as itself, but tools that
  # resolve the name on a glibc machine find glibc's linker script (auditwheel fails): the name Alpine's own
  # libraries carry, libc.musl-x86_64.so.1 (musllinux's allowed library), instead.
  if readelf -d "$work/stripped/x64-musl/libbili_qr.so" | grep -q 'NEEDED.*\[libc\.so\]'; then
    command -v patchelf >/dev/null || { echo "dist.sh: patchelf is not installed (.ci/deps/platforms.apt)" >&2; exit 1; }
    patchelf --replace-needed libc.so libc.musl-x86_64.so.1 "$work/stripped/x64-musl/libbili_qr.so"
  fi
  install -m 0755 "$work/$mcli/bili-qr" "$work/stripped/x64-musl/bili-qr"
  for f in "$work"/stripped/x64-glibc217/* "$work"/stripped/arm64/*; do
    need=$(glibc_needs "$f")
    echo "   $(basename "$(dirname "$f")")/$(basename "$f"): needs GLIBC_$need"
    [[ $need == none || $(printf '%s\n2.17\n' "$need" | sort -V | tail -n 1) == 2.17 ]] ||
      { echo "dist.sh: $f needs GLIBC_$need, newer than 2.17" >&2; exit 1; }
  done
  if readelf -d "$work/stripped/x64-musl/bili-qr" | grep -q NEEDED; then
    echo "dist.sh: the musl CLI is not static: $(readelf -d "$work/stripped/x64-musl/bili-qr" | grep NEEDED)" >&2; exit 1
  fi
  export BILI_QR_LINUX_X64_GLIBC217="$work/stripped/x64-glibc217/libbili_qr.so" \
    BILI_QR_CLI_X64_GLIBC217="$work/stripped/x64-glibc217/bili-qr" \
    BILI_QR_LINUX_ARM64="$work/stripped/arm64/libbili_qr.so" BILI_QR_CLI_ARM64="$work/stripped/arm64/bili-qr" \
    BILI_QR_LINUX_X64_MUSL="$work/stripped/x64-musl/libbili_qr.so" BILI_QR_CLI_X64_MUSL="$work/stripped/x64-musl/bili-qr"
fi

zipdir() { # zipdir DIR-IN-WORK ARCHIVE: sorted entries, fixed times and modes (reproducible)
  python3 - "$work" "$1" "$2" "$mtime" <<'PY'
import os, sys, time, zipfile
base, top, archive, mtime = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
stamp = time.gmtime(max(mtime, 315532800))[:6]
with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
    for dirpath, dirnames, filenames in os.walk(os.path.join(base, top)):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            info = zipfile.ZipInfo(os.path.relpath(path, base), stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            with open(path, "rb") as f:
                z.writestr(info, f.read())
PY
}

mkdir -p "$work/stripped"
strip --strip-unneeded -o "$work/stripped/libbili_qr.so" "$lib"
if [[ $windows == 1 ]]; then
  echo "== Windows SDK and CLI (x86_64-pc-windows-gnu)"
  x86_64-w64-mingw32-strip -o "$work/stripped/bili_qr.dll" "$win/bili_qr.dll"
  wsdk="bili_qr-$version-windows-x86_64"
  mkdir -p "$work/$wsdk/bin" "$work/$wsdk/lib" "$work/$wsdk/include"
  install -m 0755 "$work/stripped/bili_qr.dll" "$work/$wsdk/bin/"
  install -m 0644 "$win/libbili_qr.dll.a" "$win/libbili_qr.a" "$work/$wsdk/lib/"
  install -m 0644 "$root/include/bili_qr.h" "$root/bindings/cpp/bili_qr.hpp" \
    "$root/bindings/cpp/bili_qr_session.hpp" "$root/bindings/cpp/bili_qr_abi.hpp" "$work/$wsdk/include/"
  { echo "LIBRARY bili_qr.dll"; echo "EXPORTS"
    x86_64-w64-mingw32-objdump -p "$win/bili_qr.dll" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' |
      sed -n 's/^[[:space:]]*\[ *[0-9]*\] /    /p'; } >"$work/$wsdk/lib/bili_qr.def"
  grep -q '^    bili_qr_' "$work/$wsdk/lib/bili_qr.def" || { echo "dist.sh: no exports read from bili_qr.dll" >&2; exit 1; }
  licenses "$work/$wsdk"
  sed -e "s/@VERSION@/$version/g" "$root/scripts/sdk/README-windows.md" >"$work/$wsdk/README.md"
  zipdir "$wsdk" "$out/$wsdk.zip"
  wcli="bili-qr-$version-windows-x86_64"
  mkdir -p "$work/$wcli"
  x86_64-w64-mingw32-strip -o "$work/$wcli/bili-qr.exe" "$win/bili-qr.exe"
  licenses "$work/$wcli"
  sed -e 's/linux-x86_64/windows-x86_64/' -e 's/`bili-qr`/`bili-qr.exe`/' -e 's/(it needs only glibc)/(it needs only Windows system DLLs)/' \
    "$work/$clidir/README.md" >"$work/$wcli/README.md"
  zipdir "$wcli" "$out/$wcli.zip"
  export BILI_QR_WINDOWS_DLL="$work/stripped/bili_qr.dll"
else
  echo "== Windows artifacts left out (--no-windows)"
fi

# The bindings' packages: their own scripts (owned with the bindings), called when present.
export BILI_QR_LIBRARY="$work/stripped/libbili_qr.so" BILI_QR_VERSION="$version" BILI_QR_ROOT="$root"
# With the other Linux targets, the npm and NuGet linux-x64 copies are the glibc 2.17 build (they load on older
# distributions too); the SDK keeps the native build.
[[ $platforms == 0 ]] || export BILI_QR_LIBRARY="$BILI_QR_LINUX_X64_GLIBC217"
for script in bindings/python/build-wheel.sh bindings/csharp/build-packages.sh bindings/node/build-package.sh; do
  if [[ -f $root/$script ]]; then
    echo "== $script"
    bash "$root/$script" "$out"
  else
    echo "== $script: not in this tree, skipped"
  fi
done

echo "== SHA256SUMS"
(cd "$out" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%f\n' | LC_ALL=C sort | xargs -r sha256sum >SHA256SUMS)
cat "$out/SHA256SUMS"
echo "dist.sh: $(($(wc -l <"$out/SHA256SUMS"))) artifacts of bili_qr $version in $out"
