#!/usr/bin/env bash
# Runs every test in every language: the Rust suite, then each tests/suites/*.sh in name order.
# Usage: bash tests/run-all.sh [--install] [SUITE-NAME-SUBSTRING...]
#   --install   first install what the suites need (tests/install-deps.sh: apt, pip, npm; needs root)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [[ ${1:-} == --install ]]; then
  shift
  bash tests/install-deps.sh || { echo "installing the test dependencies failed"; exit 1; }
fi
echo "== building (cargo build --release --workspace)"
cargo build --release --workspace --locked 2>&1 | tail -n 3 || { echo "build failed"; exit 1; }
export BILI_QR_ROOT="$root"
export BILI_QR_LIBRARY="$root/target/release/libbili_qr.so"
export BILI_QR_STATIC_LIBRARY="$root/target/release/libbili_qr.a"
export BILI_QR_INCLUDE="$root/include"
export BILI_QR_FAKE_SERVER="$root/target/release/bili-qr-fake-server"
export BILI_QR_CLI="$root/target/release/bili-qr"
passed=0; failed=0; failed_names=()
for suite in "$root"/tests/suites/*.sh; do
  name=$(basename "$suite" .sh)
  if [[ $# -gt 0 ]]; then
    keep=0; for want in "$@"; do [[ $name == *"$want"* ]] && keep=1; done
    [[ $keep == 1 ]] || continue
  fi
  echo; echo "== suite $name"
  start=$(date +%s)
  if bash "$suite"; then
    passed=$((passed + 1)); echo "== suite $name: ok ($(( $(date +%s) - start ))s)"
  else
    failed=$((failed + 1)); failed_names+=("$name"); echo "== suite $name: FAILED ($(( $(date +%s) - start ))s)"
  fi
done
echo
[[ $failed -gt 0 ]] && echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
