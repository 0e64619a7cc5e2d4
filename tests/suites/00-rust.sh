#!/usr/bin/env bash
# The Rust tests of every crate in the workspace (library unit and integration tests, fake server, CLI).
set -euo pipefail
cd "${BILI_QR_ROOT:?run through tests/run-all.sh}"
cargo test --profile ci-test --workspace --locked
