#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each (default 60), starting from the committed seed corpus
# (fuzz/corpus/<target>/, never modified: new inputs go to fuzz/target/corpus-work/<target>/).
# BILI_QR_FUZZ_SECONDS_<TARGET> (target name upper-cased, e.g. BILI_QR_FUZZ_SECONDS_POLL_PATH) overrides
# SECONDS for one target.
# Prints executions and coverage per target; exits non-zero when a target finds a crash, a leak or a timeout
# (its reproducer is in fuzz/artifacts/<target>/: `cargo +nightly fuzz run <target> <file>`).
# Usage: bash tests/fuzz.sh [SECONDS] [TARGET...]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-60}
shift || true
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "SKIP: no nightly toolchain (rustup toolchain install nightly); cargo-fuzz needs it"
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "FAIL: cargo-fuzz is not installed (bash .ci/deps/fuzz.sh installs it)"
  exit 1
fi
if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
# Known leaks outside the library (glibc's resolver): fuzz/lsan.supp.
export LSAN_OPTIONS="suppressions=$root/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# -a: debug assertions and overflow checks on, so arithmetic overflow is a finding too.
flags=(--release -a)
echo "== building ${#targets[@]} fuzz targets"
cargo +nightly fuzz build "${flags[@]}" 2>&1 | tail -n 3
logs=fuzz/target/logs
mkdir -p "$logs"
failed=()
printf '%-14s %12s %8s %8s %10s %-9s %s\n' target executions exec/s cov ft corpus time
summary=()
for t in "${targets[@]}"; do
  work=fuzz/target/corpus-work/$t
  mkdir -p "$work" "fuzz/artifacts/$t"
  log=$logs/$t.log
  override=BILI_QR_FUZZ_SECONDS_${t^^}
  secs=${!override:-$seconds}
  cargo +nightly fuzz run "${flags[@]}" "$t" "$work" "fuzz/corpus/$t" -- \
    -max_total_time="$secs" -print_final_stats=1 -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="fuzz/artifacts/$t/" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
  line=$(printf '%-14s %12s %8s %8s %10s %-9s %ss' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$secs")
  if [[ $rc -ne 0 ]]; then
    line="$line  FAILED (exit $rc; see $log and fuzz/artifacts/$t/)"
    failed+=("$t")
    grep -E 'panicked|ERROR: libFuzzer|SUMMARY|^Failing input|artifact' "$log" | head -n 8 | sed 's/^/    /'
  fi
  echo "$line"
  summary+=("$line")
done
echo
echo "== fuzz summary (${seconds}s per target unless overridden)"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: FAILED targets: ${failed[*]}"
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran without a finding"
