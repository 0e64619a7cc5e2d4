#!/usr/bin/env bash
# cargo-fuzz (tests/fuzz.sh), pinned so that every machine builds the fuzz targets the same way; installed only
# when missing. The nightly toolchain it drives comes from .ci/deps/nightly.sh.
set -euo pipefail
CARGO_FUZZ_VERSION=0.13.2
if cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz already installed: $(cargo fuzz --version)"
else
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
