#!/usr/bin/env bash
# Builds the C library as it ships for this machine's platform (libbili_qr.so and libbili_qr.a for the host
# triple, x86_64-unknown-linux-gnu on the release machines): the release profile, plus the standard library rebuilt
# for size. Prints the directory that holds them (CARGO_TARGET_DIR/lib/TRIPLE/release) as its last line.
#
#   bash scripts/build-lib.sh         # build; the last line printed is the directory
#   bash scripts/build-lib.sh --dir   # no build: the directory of the C libraries the other scripts use
#
# `--dir` names this script's output directory when it holds libbili_qr.so no older than cargo's
# target/release/libbili_qr.so, else target/release (after a plain `cargo build --release`, or without
# nightly). tests/run-all.sh, bench/run.sh and scripts/install.sh take the libraries from there.
#
# What the rebuilt std changes, and why (BENCHMARKS.md, "Third wave: the size"):
# - `-Zbuild-std` with only the `panic-unwind` and `optimize_for_size` features of std: the prebuilt std carries
#   the backtrace printer of the default panic hook (addr2line, gimli, rustc_demangle: ~180 KB with their unwind
#   tables), which stays linked whatever hook a program sets. The library's hook prints nothing for a panic
#   inside an export, so the printer never runs for the library's own code. Panics are still caught at the C
#   boundary (`panic = "unwind"` is unchanged) and still name their source location in the message.
# - `--remap-path-prefix` for the crates' and std's source directories: the panic locations compiled into the
#   library read `ring-0.17.14/src/...` instead of `/root/.cargo/registry/src/index.crates.io-.../ring-...`
#   (shorter, and no build machine paths in the file).
# It needs the nightly toolchain with its `rust-src` component (.ci/deps/nightly.sh installs both). Without them
# the script says so on stderr and builds with the stable std, about 220 KB larger (the same code otherwise).
# `cargo build --release` (the tests, the other targets) keeps the stable toolchain and the prebuilt std.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
triple=$(rustc -vV | sed -n 's/^host: //p')
[[ -n $triple ]] || { echo "build-lib.sh: cannot read the host triple from rustc -vV" >&2; exit 1; }
target_dir=${CARGO_TARGET_DIR:-$root/target}
out_root="$target_dir/lib"
dir="$out_root/$triple/release"
if [[ ${1:-} == --dir ]]; then
  plain="$target_dir/release"
  if [[ -f $dir/libbili_qr.so && ! $plain/libbili_qr.so -nt $dir/libbili_qr.so ]]; then echo "$dir"; else echo "$plain"; fi
  exit 0
fi
[[ $# == 0 ]] || { echo "usage: bash scripts/build-lib.sh [--dir]" >&2; exit 2; }
locked=()
[[ -f Cargo.lock ]] && locked=(--locked)

nightly_src=""
if sysroot=$(rustc +nightly --print sysroot 2>/dev/null) && [[ -d $sysroot/lib/rustlib/src/rust/library/std ]]; then
  nightly_src="$sysroot/lib/rustlib/src/rust"
fi
if [[ -n $nightly_src ]]; then
  remap=("--remap-path-prefix=$nightly_src/=")
  for d in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
    [[ -d $d ]] && remap+=("--remap-path-prefix=$d=")
  done
  echo "== cargo +nightly build --release -p bili-qr-capi -Zbuild-std (std without its backtrace printer)" >&2
  # --target: -Zbuild-std builds only for an explicit target; RUSTFLAGS then reach the library's crates and
  # std, not the build scripts.
  RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }${remap[*]}" CARGO_TARGET_DIR="$out_root" \
    cargo +nightly build --release -p bili-qr-capi "${locked[@]}" --target "$triple" \
    -Zbuild-std=std,panic_unwind -Zbuild-std-features=panic-unwind,optimize_for_size >&2
else
  echo "build-lib.sh: no nightly toolchain with rust-src (rustup component add rust-src --toolchain nightly):" \
    "building with the stable std, about 220 KB larger" >&2
  CARGO_TARGET_DIR="$out_root" cargo build --release -p bili-qr-capi "${locked[@]}" --target "$triple" >&2
fi
for f in libbili_qr.so libbili_qr.a; do
  [[ -f $dir/$f ]] || { echo "build-lib.sh: the build left no $dir/$f" >&2; exit 1; }
done
# Newer than any target/release build before this run, also when cargo found nothing to rebuild: `--dir`
# names this directory until the next `cargo build --release` that links a new library.
touch "$dir/libbili_qr.so" "$dir/libbili_qr.a"
echo "$dir"
