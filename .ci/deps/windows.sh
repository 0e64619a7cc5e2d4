#!/usr/bin/env bash
# The Rust standard library for x86_64-pc-windows-gnu (tests/suites/75-windows.sh, scripts/dist.sh); the linker
# and Wine come from .ci/deps/windows.apt. Skips when the target is already installed.
set -euo pipefail
triple=x86_64-pc-windows-gnu
if rustup target list --installed | grep -qx "$triple"; then
  echo "rustup target $triple is installed"
  exit 0
fi
rustup target add "$triple"
