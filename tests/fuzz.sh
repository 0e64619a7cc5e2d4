#!/usr/bin/env bash
# The cargo-fuzz targets in fuzz/, in one of two modes (see fuzz/README.md):
#
#   bash tests/fuzz.sh [check] [TARGET...]
#     The reproducible check (tests/suites/95-fuzz.sh): each target executes every committed seed of
#     fuzz/corpus/<target>/ (regression seeds included), then libFuzzer continues from them with a fixed seed up
#     to a fixed number of executions. Same tree, same toolchain: same inputs, same result, on any machine and
#     at any speed. Nothing is written to fuzz/corpus/ (new inputs go to fuzz/target/check/<target>/, emptied
#     first). Counts: BILI_QR_FUZZ_RUNS (default 5000) executions per parser target, BILI_QR_FUZZ_RUNS_<TARGET>
#     (upper case) for one target (defaults: RENDER 120, POLL_PATH 3000 generated inputs); BILI_QR_FUZZ_SEED
#     (default 1).
#
#   bash tests/fuzz.sh explore SECONDS [TARGET...]
#     Time-boxed exploration for people (not CI): each target runs SECONDS (BILI_QR_FUZZ_SECONDS_<TARGET>
#     overrides one) from the committed corpus plus fuzz/target/corpus-work/<target>/ (kept between runs), then
#     the inputs that add coverage are merged into fuzz/corpus/<target>/ (libFuzzer -merge=1), to be committed:
#     the next check replays them. (`bash tests/fuzz.sh SECONDS ...` is the same as `explore SECONDS ...`.)
#
# A crash, leak, timeout or failed invariant fails the target; its reproducer is in fuzz/artifacts/<target>/
# (`cargo +nightly fuzz run --release -a <target> <file>`). Every target runs in a private network namespace
# when `unshare -rn` (or `unshare -n` as root) works: poll_path's stub server is the only host there, and a name
# the library tries to resolve fails at once instead of depending on the machine's resolver and its timing.
# Exit status: 0 no finding, 1 a finding or a broken setup, 77 skipped (no nightly toolchain or no cargo-fuzz,
# outside CI; with CI=true their absence is a failure: .ci/deps/nightly.sh and fuzz.sh install them).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

mode=check
if [[ ${1:-} == check ]]; then
  shift
elif [[ ${1:-} == explore ]]; then
  mode=explore
  shift
  [[ ${1:-} =~ ^[0-9]+$ ]] || { echo "usage: bash tests/fuzz.sh explore SECONDS [TARGET...]"; exit 1; }
elif [[ ${1:-} =~ ^[0-9]+$ ]]; then
  mode=explore
fi
if [[ $mode == explore ]]; then
  seconds=$1
  shift
fi

missing() {
  if [[ ${CI:-} == true ]]; then
    echo "FAIL: $1 (CI=true: .ci/deps/nightly.sh and fuzz.sh must have installed it)"
    exit 1
  fi
  echo "SKIPPED: $1 (bash .ci/deps/nightly.sh and .ci/deps/fuzz.sh install it)"
  exit 77
}
rustup run nightly rustc --version >/dev/null 2>&1 || missing "no nightly toolchain (cargo-fuzz needs it)"
cargo fuzz --version >/dev/null 2>&1 || missing "cargo-fuzz is not installed"
host=$(rustup run nightly rustc -vV | sed -n 's/^host: //p')

if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

# A private network namespace with only loopback up, when this machine allows one.
netns=()
for cmd in "unshare -rn" "unshare -n"; do
  # shellcheck disable=SC2086
  if $cmd sh -c 'ip link set lo up' >/dev/null 2>&1; then
    # shellcheck disable=SC2206
    netns=($cmd sh -c 'ip link set lo up && exec "$@"' sh)
    break
  fi
done
if [[ ${#netns[@]} -gt 0 ]]; then
  echo "== targets run in a private network namespace (${netns[*]:0:2}): loopback only"
else
  echo "== no private network namespace here (unshare -rn failed): names resolve through this machine's resolver"
fi

# Known leaks outside the library (glibc's resolver): fuzz/lsan.supp.
export LSAN_OPTIONS="suppressions=$root/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# -a: debug assertions and overflow checks on, so arithmetic overflow is a finding too.
flags=(--release -a)
logs=fuzz/target/logs
mkdir -p "$logs"
echo "== building ${#targets[@]} fuzz targets (cargo +nightly fuzz build ${flags[*]}; $(rustup run nightly rustc --version))"
build_start=$(date +%s)
# All targets at once, or the ones asked for (cargo fuzz build takes one target name).
[[ $# -gt 0 ]] && build_args=("$@") || build_args=("")
for b in "${build_args[@]}"; do
  # shellcheck disable=SC2086
  if ! cargo +nightly fuzz build "${flags[@]}" $b >"$logs/build.log" 2>&1; then
    tail -n 30 "$logs/build.log"
    echo "fuzz: FAILED to build the fuzz targets"
    exit 1
  fi
done
echo "   built in $(( $(date +%s) - build_start ))s"
bindir=fuzz/target/$host/release

# The check runs each target with a fixed getrandom() (fuzz/fixed_random.c, preloaded: std's HashMap keys, whose
# probing the coverage sees, are the same on every run) and without address-space randomization (setarch -R:
# addresses reach the comparisons libFuzzer records), so that coverage is a function of the input alone.
det=()
if [[ $mode == check ]]; then
  so=fuzz/target/check/fixed_random.so
  mkdir -p fuzz/target/check
  cc -shared -fPIC -O2 -o "$so" fuzz/fixed_random.c || { echo "FAIL: cannot build $so (cc)"; exit 1; }
  det=(env "LD_PRELOAD=$root/$so")
  if setarch -R true 2>/dev/null; then
    det=(setarch -R "${det[@]}")
  else
    echo "== setarch -R does not work here: addresses are randomized (runs may differ in coverage)"
  fi
fi

# Options for every libFuzzer run. -reload=0: never re-read the corpus directories during the run (a
# time-driven reload is the one clock libFuzzer would consult).
common=(-max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -reload=0)
seed=${BILI_QR_FUZZ_SEED:-1}
failed=()
summary=()
for t in "${targets[@]}"; do
  bin=$bindir/$t
  [[ -x $bin ]] || { echo "FAIL: $bin was not built"; exit 1; }
  mkdir -p "fuzz/artifacts/$t"
  log=$logs/$t.log
  start=$(date +%s)
  if [[ $mode == check ]]; then
    var=BILI_QR_FUZZ_RUNS_${t^^}
    # Executions per target (fuzz/README.md has the times): render draws QR codes of up to 2 KiB in three
    # formats (a few executions a second), poll_path's count is of generated inputs (see below).
    case $t in
      render) default_runs=120 ;;
      poll_path) default_runs=3000 ;;
      *) default_runs=${BILI_QR_FUZZ_RUNS:-5000} ;;
    esac
    runs=${!var:-$default_runs}
    # The seeds in a fixed order (by name), given as a list: libFuzzer sorts its initial inputs by size only,
    # so inputs read from a directory (in the file system's order) would run in a different order on another
    # machine. The output directory starts empty on every run.
    work=fuzz/target/check/$t
    rm -rf "$work"
    mkdir -p "$work"
    seeds=$(find "fuzz/corpus/$t" -type f | LC_ALL=C sort)
    if grep -q , <<<"$seeds"; then
      echo "FAIL: a seed file name in fuzz/corpus/$t holds a comma (libFuzzer's -seed_inputs list separator)"
      exit 1
    fi
    nseeds=$(grep -c . <<<"$seeds")
    tr '\n' ',' <<<"$seeds" | sed 's/,$//' >"fuzz/target/check/$t.seeds"
    # -use_cmp=0: no dictionary from the values compared at run time (the targets compare dates with the
    # clock, so those values differ from run to run); exploration keeps it.
    if [[ $t != poll_path ]]; then
      "${netns[@]}" "${det[@]}" "$bin" "$work" -seed_inputs=@"fuzz/target/check/$t.seeds" -seed="$seed" \
        -runs="$runs" -use_cmp=0 "${common[@]}" -artifact_prefix="fuzz/artifacts/$t/" >"$log" 2>&1
      rc=$?
      what="$nseeds seeds + seed $seed, runs $runs"
    else
      # poll_path: the library resolves host names on a helper thread whose teardown races with the call's
      # return, so the coverage of a real run varies slightly and libFuzzer's choices with it. The inputs are
      # generated first by the harness alone (POLL_PATH_GENERATE_ONLY: it reads each input, calls nothing),
      # which is deterministic; then every committed seed and every generated input runs once for real.
      POLL_PATH_GENERATE_ONLY=1 "${det[@]}" "$bin" "$work" -seed_inputs=@"fuzz/target/check/$t.seeds" \
        -seed="$seed" -runs="$runs" -use_cmp=0 "${common[@]}" -artifact_prefix="fuzz/artifacts/$t/" >"$log.gen" 2>&1
      rc=$?
      if [[ $rc == 0 ]]; then
        replay=fuzz/target/check/$t.replay
        rm -rf "$replay"
        mkdir -p "$replay"
        { echo "$seeds"; find "$work" -type f | LC_ALL=C sort; } | tr '\n' ',' | sed 's/,$//' >"$replay.list"
        ngen=$(find "$work" -type f | wc -l)
        "${netns[@]}" "${det[@]}" "$bin" "$replay" -seed_inputs=@"$replay.list" -runs=0 -use_cmp=0 \
          "${common[@]}" -artifact_prefix="fuzz/artifacts/$t/" >"$log" 2>&1
        rc=$?
      else
        cp "$log.gen" "$log"
      fi
      what="$nseeds seeds + ${ngen:-?} generated (seed $seed, runs $runs), each run once"
    fi
  else
    var=BILI_QR_FUZZ_SECONDS_${t^^}
    secs=${!var:-$seconds}
    work=fuzz/target/corpus-work/$t
    mkdir -p "$work"
    "${netns[@]}" "$bin" "$work" "fuzz/corpus/$t" -max_total_time="$secs" "${common[@]}" \
      -artifact_prefix="fuzz/artifacts/$t/" >"$log" 2>&1
    rc=$?
    what="${secs}s"
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
  # The inputs the run kept (libFuzzer names them by the SHA-1 of their content): two runs that explored the
  # same inputs print the same digest.
  digest=$(find "$work" -type f -printf '%f\n' | LC_ALL=C sort | sha256sum | cut -c1-12)
  line=$(printf '%-13s %8s %6s %6s %-10s %-12s %5ss  %s' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
    "$digest" "$(( $(date +%s) - start ))" "$what")
  if [[ $rc -ne 0 ]]; then
    line="$line  FAILED (exit $rc; see $log and fuzz/artifacts/$t/)"
    failed+=("$t")
    grep -E 'panicked|ERROR: libFuzzer|SUMMARY|^Failing input|artifact' "$log" | head -n 8 | sed 's/^/    /'
  elif [[ $mode == explore ]]; then
    # The inputs that add coverage join the committed corpus.
    before=$(find "fuzz/corpus/$t" -type f | wc -l)
    "${netns[@]}" "$bin" -merge=1 "fuzz/corpus/$t" "$work" "${common[@]}" >"$logs/$t.merge.log" 2>&1 ||
      { line="$line  (merge failed: $logs/$t.merge.log)"; failed+=("$t"); }
    line="$line  +$(( $(find "fuzz/corpus/$t" -type f | wc -l) - before )) seeds"
  fi
  echo "$line"
  summary+=("$line")
done
echo
echo "== fuzz summary ($mode)"
printf '%-13s %8s %6s %6s %-10s %-12s %6s  %s\n' target execs cov ft corpus inputs time what
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: FAILED targets: ${failed[*]}"
  exit 1
fi
if [[ $mode == explore ]]; then
  echo "fuzz: all ${#targets[@]} targets ran without a finding; new seeds (if any): git status fuzz/corpus"
else
  echo "fuzz: all ${#targets[@]} targets ran without a finding"
fi
