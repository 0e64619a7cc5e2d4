#!/usr/bin/env bash
# The nightly toolchain, each part installed only when missing:
# - the toolchain itself: the fuzz targets (tests/fuzz.sh: libFuzzer's coverage instrumentation) and
#   tests/suites/70-sanitizers.sh (-Zsanitizer) need it;
# - its rust-src component: scripts/build-lib.sh rebuilds std for the shipped C library (-Zbuild-std), and
#   bench/run.sh and scripts/dist.sh build the library that way.
set -euo pipefail
if rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "nightly already installed: $(rustup run nightly rustc --version)"
else
    rustup toolchain install nightly --profile minimal
fi
if [[ -d $(rustc +nightly --print sysroot)/lib/rustlib/src/rust/library/std ]]; then
    echo "nightly rust-src already installed"
else
    rustup component add rust-src --toolchain nightly
fi
