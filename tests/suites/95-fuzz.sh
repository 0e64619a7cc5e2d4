#!/usr/bin/env bash
# Every cargo-fuzz target for a bounded time (BILI_QR_FUZZ_SECONDS each, 60 by default), from the committed
# seed corpus; a crash, leak or timeout fails the suite (see fuzz/README.md).
set -euo pipefail
cd "${BILI_QR_ROOT:?run through tests/run-all.sh}"
bash tests/fuzz.sh "${BILI_QR_FUZZ_SECONDS:-60}"
