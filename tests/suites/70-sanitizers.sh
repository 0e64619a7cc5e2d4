#!/usr/bin/env bash
# The root crate's Rust tests (library unit tests and tests/*.rs integration tests, which drive the C ABI
# against the fake server) once more, built with AddressSanitizer (LeakSanitizer included) on nightly.
#
# -Zbuild-std would instrument the standard library too, but needs the nightly `rust-src` component; it is
# used when installed, else the crate and its dependencies are instrumented and std is not (heap errors and
# leaks in our code and every dependency are still caught: malloc/free are intercepted process-wide).
# Separate target dir (target/asan). The C and C++ programs under ASan/UBSan are in 05-c.sh and 20-cpp.sh.
set -euo pipefail
root=${BILI_QR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
# run-all: no-release-build
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  # .ci/deps/nightly.sh installs nightly: in CI its absence is a failure, elsewhere the suite is skipped (77).
  [[ ${CI:-} == true ]] && { echo "FAIL: no nightly toolchain (CI=true: .ci/deps/nightly.sh installs it)"; exit 1; }
  echo "SKIPPED: no nightly toolchain (rustup toolchain install nightly): the ASan run needs -Zsanitizer"
  exit 77
fi
host=$(rustup run nightly rustc -vV | sed -n 's/^host: //p')
case $host in
  x86_64-unknown-linux-gnu | aarch64-unknown-linux-gnu) ;;
  *) echo "SKIPPED: AddressSanitizer is not set up for host $host here"; exit 77 ;;
esac
build_std=()
if rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
  build_std=(-Zbuild-std)
  echo "-- rust-src is installed: std is instrumented too (-Zbuild-std)"
else
  echo "-- nightly has no rust-src component: std is not instrumented (our crates and dependencies are)"
fi
export RUSTFLAGS="-Zsanitizer=address -Cforce-frame-pointers=yes"
export RUSTDOCFLAGS="-Zsanitizer=address"
# halt on the first error; leaks are reported at exit of every test binary.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1"
export LSAN_OPTIONS="report_objects=1"
echo "-- cargo +nightly test (ASan) for bili_qr, target dir target/asan"
# --tests: the lib's unit tests and every integration test (doctests are skipped: rustdoc does not forward the
# sanitizer to the test it links). The stress test is #[ignore] and runs in 80-stress.sh.
asan=(+nightly "${build_std[@]}" --target "$host" --target-dir target/asan --locked -p bili_qr)
# The C library first (package bili-qr-capi), so that libbili_qr.so sits next to the tests (tests/abi/header.rs
# checks its exports).
cargo "${asan[0]}" build "${asan[@]:1}" -p bili-qr-capi --lib
cargo "${asan[0]}" test "${asan[@]:1}" --tests --no-fail-fast -- --test-threads=2
# Proof that the run was instrumented: the library's own code calls ASan's checks.
unit=$(ls -t target/asan/"$host"/debug/deps/bili_qr-* 2>/dev/null | grep -v '\.d$' | head -n 1)
symbols=$( [[ -n $unit ]] && nm "$unit" 2>/dev/null || true)
if ! grep -q '__asan_report_load' <<<"$symbols"; then
  echo "FAIL: the test binary ${unit:-(none)} is not instrumented by AddressSanitizer"
  exit 1
fi
echo "sanitizers: the Rust test suite passed under AddressSanitizer ($(basename "$unit") is instrumented)"
