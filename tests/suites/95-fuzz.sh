#!/usr/bin/env bash
# Every cargo-fuzz target for a bounded time from the committed seed corpus; a crash, leak or timeout fails the
# suite (see fuzz/README.md). Time budget (this suite must stay under 10 minutes of the CI run): 20 s for each
# parser target (BILI_QR_FUZZ_SECONDS) and 120 s for poll_path, the whole network path of the exports against a
# stub server (BILI_QR_FUZZ_SECONDS_POLL_PATH): 9 x 20 + 120 = 300 s of fuzzing, plus building the fuzz crate
# (8 minutes from nothing on 2 busy cores here, seconds when cached).
set -euo pipefail
cd "${BILI_QR_ROOT:?run through tests/run-all.sh}"
export BILI_QR_FUZZ_SECONDS_POLL_PATH="${BILI_QR_FUZZ_SECONDS_POLL_PATH:-120}"
bash tests/fuzz.sh "${BILI_QR_FUZZ_SECONDS:-20}"
