#!/usr/bin/env bash
# Every cargo-fuzz target, reproducibly (tests/fuzz.sh check; see fuzz/README.md): the committed seed corpus and
# regression seeds, then a fixed number of libFuzzer executions from a fixed seed, so that the same tree gives
# the same result on every run and every machine. A crash, leak, timeout or failed invariant fails the suite.
# Counts: BILI_QR_FUZZ_RUNS (per parser target), BILI_QR_FUZZ_RUNS_POLL_PATH, BILI_QR_FUZZ_SEED. Time-boxed
# exploration is a separate command (`bash tests/fuzz.sh explore SECONDS`), not part of this check.
# Skipped (exit 77) without the nightly toolchain or cargo-fuzz, except under CI=true, where that fails.
# run-all: no-release-build
set -euo pipefail
cd "${BILI_QR_ROOT:?run through tests/run-all.sh}"
exec bash tests/fuzz.sh check
