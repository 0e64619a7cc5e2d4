#!/usr/bin/env bash
# Stress (tests/stress.rs, #[ignore]d in the normal run): 16 threads mixing start, poll, wait, cancel and render
# against the in-process fake server with random faults, for BILI_QR_STRESS_SECS (default 60) after a
# BILI_QR_STRESS_WARMUP_SECS (default 10) warm-up. Fails on a panic, an undocumented or unexpected status, no
# call completing for 30 s, or resident memory growing by more than 2 MiB after the warm-up.
set -euo pipefail
root=${BILI_QR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
# The fake server runs as its own process (when built), so that its threads and buffers are not counted.
if [[ -z ${BILI_QR_FAKE_SERVER:-} && -x target/release/bili-qr-fake-server ]]; then
  export BILI_QR_FAKE_SERVER=$PWD/target/release/bili-qr-fake-server
fi
# glibc raises its mmap threshold after a large block is freed, after which 1 MiB body buffers (the huge-body
# faults) are carved from the arenas and their high-water mark stays resident: a fixed threshold returns
# large blocks to the system, so that the resident size follows what the library keeps. (The test also
# counts live heap bytes exactly.)
export MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_:-131072}
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
export BILI_QR_STRESS_SECS=${BILI_QR_STRESS_SECS:-60}
export BILI_QR_STRESS_WARMUP_SECS=${BILI_QR_STRESS_WARMUP_SECS:-10}
# Bounded: warm-up + run + 5 minutes for the build and the last waits to end.
timeout --kill-after=10 $((BILI_QR_STRESS_SECS + BILI_QR_STRESS_WARMUP_SECS + 300)) \
  cargo test --profile ci-test --locked -p bili_qr --test stress -- --ignored --nocapture --test-threads=1
