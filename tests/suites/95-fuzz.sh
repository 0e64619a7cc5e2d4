#!/usr/bin/env bash
# Every cargo-fuzz target for a bounded time from the committed seed corpus; a crash, leak or timeout fails the
# suite (see fuzz/README.md). Time budget (the suite must stay under 10 minutes in CI): 30 s for each parser
# target (BILI_QR_FUZZ_SECONDS) and 120 s for poll_path, the whole network path of the exports against a stub
# server (BILI_QR_FUZZ_SECONDS_POLL_PATH): 9 x 30 + 120 = 390 s of fuzzing plus the build of the fuzz crate.
set -euo pipefail
cd "${BILI_QR_ROOT:?run through tests/run-all.sh}"
export BILI_QR_FUZZ_SECONDS_POLL_PATH="${BILI_QR_FUZZ_SECONDS_POLL_PATH:-120}"
bash tests/fuzz.sh "${BILI_QR_FUZZ_SECONDS:-30}"
