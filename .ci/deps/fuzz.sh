#!/usr/bin/env bash
# The nightly toolchain (tests/fuzz.sh and tests/suites/70-sanitizers.sh need it: libFuzzer's coverage
# instrumentation and -Zsanitizer) and cargo-fuzz, pinned so that every machine builds the fuzz targets the same
# way. Each is installed only when missing.
set -euo pipefail
CARGO_FUZZ_VERSION=0.13.2
if rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "nightly already installed: $(rustup run nightly rustc --version)"
else
    rustup toolchain install nightly --profile minimal
fi
if cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz already installed: $(cargo fuzz --version)"
else
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
