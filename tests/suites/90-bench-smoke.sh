#!/usr/bin/env bash
# Benchmark smoke test: bench/run.sh with tiny counts (BENCH_SMOKE=1), so the bench programs (C against
# libbili_qr + libcurl + jansson, the raw socket client, the Python rows, cold start, memory, size) still build
# and produce every row. No timing is checked here: the numbers of a smoke run mean nothing (BENCHMARKS.md).
set -euo pipefail
root=${BILI_QR_ROOT:?run through tests/run-all.sh}
cd "$root"
out="$root/target/bench-smoke" # not target/bench: a real benchmark may be running at the same time
log="$out/smoke.txt"
mkdir -p "$out"
BENCH_SMOKE=1 BENCH_NO_BUILD=1 BENCH_OUT="$out" bash bench/run.sh >"$log" 2>&1 || { cat "$log"; echo "bench/run.sh failed"; exit 1; }
cat "$log"
fail=0
for row in "raw keep-alive socket" "libcurl reused handle" "bili_qr_poll, C " "http.client + json.loads" \
           "bili_qr_poll via bare ctypes" "bili_qr_poll, C, 2 threads" "bili_qr_poll, C, 8 threads" \
           "cold start: exec + load libbili_qr" "resident memory after 1,000 polls" "libbili_qr.so stripped" \
           "instructions per poll (callgrind" "the same over HTTPS" "syscalls per poll <= 5" \
           "cold start over plain http reads no trust store" "stripped total"; do
  grep -qF "$row" "$log" || { echo "missing row: $row"; fail=1; }
done
# Every poll row has numbers, and the poll rows saw the connections the bench expects (1 per thread).
awk -F'|' '/^(raw|libcurl|bili_qr|http.client|requests)/ && $2 !~ /[0-9]/ {print "row without a number: " $0; bad=1}
  END {exit bad}' "$log" || fail=1
# No polling thread opened a second connection (the pool may let 8 threads share fewer than 8).
awk -F'|' '/^bili_qr_poll, C( |, [0-9]+ threads)/ {
    n = ($1 ~ /threads/) ? $1 : "1"; gsub(/[^0-9]/, "", n); c = $5 + 0
    if (c < 1 || c > n + 0) {print "connections " c " for " n " thread(s): " $0; bad=1}; seen++}
  END {exit bad || seen != 3}' "$log" || { echo "connection counts are wrong"; fail=1; }
exit $fail
