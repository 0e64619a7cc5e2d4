#!/usr/bin/env bash
# Installs cargo-fuzz (used by tests/fuzz.sh with the nightly toolchain). Skips when already installed.
set -euo pipefail
if cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz already installed: $(cargo fuzz --version)"
    exit 0
fi
cargo install cargo-fuzz --locked
