#!/usr/bin/env bash
# Builds the C library and the CLI for the other Linux targets of scripts/dist.sh, each ONCE (every package of a
# target takes the same files):
#   x86_64-unknown-linux-gnu.2.17   libbili_qr.so + bili-qr linked against glibc 2.17's symbol versions (zig):
#                                   the manylinux2014_x86_64 wheel, the npm and NuGet linux-x64 copies
#   aarch64-unknown-linux-gnu.2.17  libbili_qr.so/.a + bili-qr for ARM64 (glibc >= 2.17): SDK, CLI, wheel, npm, NuGet
#   x86_64-unknown-linux-musl       bili-qr fully static (musl's default C runtime); libbili_qr.so with -crt-static
#                                   (a shared object over libc.musl): musllinux wheel, npm linux-x64-musl, NuGet
# Outputs: TARGET_DIR/platforms/<triple>/<profile>/ and TARGET_DIR/platforms-musl-so/x86_64-unknown-linux-musl/
# <profile>/ (own target directories: zig's linker settings and the musl library's rustflags must not invalidate
# the native build, nor each other). TARGET_DIR is CARGO_TARGET_DIR or target/.
# Profile: BILI_QR_PLATFORM_PROFILE (default `platform`: the release profile without fat LTO, codegen-units 16,
# to keep CI within its time on two cores; `release` gives fat LTO like the x86_64 artifacts, at several times the
# build time).
# Needs .ci/deps/platforms.sh (rustup targets, ziglang + cargo-zigbuild from PyPI).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
profile=${BILI_QR_PLATFORM_PROFILE:-platform}
[[ $profile =~ ^[a-z][a-z0-9-]*$ ]] || { echo "build-platforms.sh: bad BILI_QR_PLATFORM_PROFILE '$profile'" >&2; exit 2; }
command -v cargo-zigbuild >/dev/null || { echo "build-platforms.sh: cargo-zigbuild is not installed (.ci/deps/platforms.sh)" >&2; exit 1; }
cd "$root"
total=$SECONDS
zb() { # zb LABEL TARGET-DIR ZIG-TARGET PACKAGE...: one cargo zigbuild, timed
  local label=$1 dir=$2 triple=$3 t0=$SECONDS
  shift 3
  echo "== cargo zigbuild --profile $profile --target $triple ($label)"
  local pkgs=()
  for p in "$@"; do pkgs+=(-p "$p"); done
  mkdir -p "$dir"
  if ! CARGO_TARGET_DIR="$dir" cargo zigbuild --locked --profile "$profile" --target "$triple" "${pkgs[@]}" \
    >"$dir/zigbuild.log" 2>&1; then
    tail -n 40 "$dir/zigbuild.log" >&2
    echo "build-platforms.sh: $label failed (log: $dir/zigbuild.log)" >&2
    exit 1
  fi
  grep -v '^ *Compiling ' "$dir/zigbuild.log" | tail -n 5 || true
  echo "   $label: $((SECONDS - t0)) s"
}
zb "x86_64, glibc 2.17" "$target_dir/platforms" x86_64-unknown-linux-gnu.2.17 bili-qr-capi bili-qr-cli
zb "aarch64, glibc 2.17" "$target_dir/platforms" aarch64-unknown-linux-gnu.2.17 bili-qr-capi bili-qr-cli
zb "x86_64 musl, static CLI" "$target_dir/platforms" x86_64-unknown-linux-musl bili-qr-cli
CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="-C target-feature=-crt-static" \
  zb "x86_64 musl, shared library" "$target_dir/platforms-musl-so" x86_64-unknown-linux-musl bili-qr-capi
echo "build-platforms.sh: all targets in $((SECONDS - total)) s"
