#!/usr/bin/env bash
# Runs every test in every language: each tests/suites/*.sh in name order (00-rust is the Rust suite).
# Usage: bash tests/run-all.sh [--install] [--no-build] [SUITE-NAME-SUBSTRING...]
#   --install   first install what the suites need (tests/install-deps.sh: apt, pip, npm, cargo; needs root)
#   --no-build  do not run the release build first: the suites use what target/release/ (and target/lib/, the
#               C libraries of scripts/build-lib.sh) already hold
#   SUITE-NAME-SUBSTRING  run only the suites whose file name contains one of them (`bash tests/run-all.sh fuzz`)
# The release build of the workspace (`cargo build --release --workspace`, LTO: minutes from nothing) runs only
# when a selected suite needs it; a suite that builds what it tests itself says so with a line
#   # run-all: no-release-build
# in its file, so `bash tests/run-all.sh fuzz` or `lint` starts at once.
# A suite's exit status: 0 passed, 77 skipped (it printed SKIPPED and why: a toolchain missing outside CI), any
# other failed. The last line is `suites: N passed, N failed, N skipped`; the exit status is 0 when none failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
install=0; build=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --install) install=1; shift ;;
    --no-build) build=0; shift ;;
    *) break ;;
  esac
done
if [[ $install == 1 ]]; then
  bash tests/install-deps.sh || { echo "installing the test dependencies failed"; exit 1; }
fi
suites=()
for suite in "$root"/tests/suites/*.sh; do
  name=$(basename "$suite" .sh)
  if [[ $# -gt 0 ]]; then
    keep=0; for want in "$@"; do [[ $name == *"$want"* ]] && keep=1; done
    [[ $keep == 1 ]] || continue
  fi
  suites+=("$suite")
done
need_build=0
for suite in "${suites[@]}"; do
  grep -q '^# run-all: no-release-build' "$suite" || need_build=1
done
if [[ $build == 0 ]]; then
  echo "== not building (--no-build)"
elif [[ $need_build == 0 ]]; then
  echo "== not building: the selected suites build what they test"
else
  echo "== building (cargo build --release --workspace, then the C library as it ships: scripts/build-lib.sh)"
  cargo build --release --workspace --locked 2>&1 | tail -n 3 || { echo "build failed"; exit 1; }
  bash scripts/build-lib.sh 2>&1 | grep -E '^==|build-lib.sh|Finished|error' || { echo "build-lib.sh failed"; exit 1; }
fi
export BILI_QR_ROOT="$root"
export BILI_QR_INCLUDE="$root/include"
# The release artifacts, each exported when it exists (after --no-build or with only suites that build their
# own, a test must not be pointed at a file that is not there). The C libraries are scripts/build-lib.sh's (the
# ones that ship: the suites test them) when it has built them no earlier than cargo's target/release ones
# (`scripts/build-lib.sh --dir` says which).
libdir=$(bash scripts/build-lib.sh --dir)
for pair in LIBRARY:libbili_qr.so STATIC_LIBRARY:libbili_qr.a FAKE_SERVER:bili-qr-fake-server CLI:bili-qr; do
  file="$root/target/release/${pair#*:}"
  [[ $pair == *LIBRARY:* ]] && file="$libdir/${pair#*:}"
  [[ -e $file ]] && export "BILI_QR_${pair%%:*}=$file"
done
passed=0; failed=0; skipped=0; failed_names=(); skipped_names=()
for suite in "${suites[@]}"; do
  name=$(basename "$suite" .sh)
  echo; echo "== suite $name"
  start=$(date +%s)
  bash "$suite"
  rc=$?
  took="$(( $(date +%s) - start ))s"
  if [[ $rc == 0 ]]; then
    passed=$((passed + 1)); echo "== suite $name: ok ($took)"
  elif [[ $rc == 77 ]]; then
    skipped=$((skipped + 1)); skipped_names+=("$name"); echo "== suite $name: SKIPPED ($took)"
  else
    failed=$((failed + 1)); failed_names+=("$name"); echo "== suite $name: FAILED (exit $rc, $took)"
  fi
done
echo
[[ $skipped -gt 0 ]] && echo "skipped suites: ${skipped_names[*]}"
[[ $failed -gt 0 ]] && echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
