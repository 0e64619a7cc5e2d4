#!/usr/bin/env bash
# Formatting, clippy with warnings as errors, and a committed header that matches what the build generates.
set -euo pipefail
cd "${BILI_QR_ROOT:?run through tests/run-all.sh}"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  if ! git diff --quiet -- include/bili_qr.h; then
    echo "include/bili_qr.h is stale: the build regenerated it. Commit the new header:"
    git --no-pager diff --stat -- include/bili_qr.h
    exit 1
  fi
fi
echo "lint: 3 passed, 0 failed"
