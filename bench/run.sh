#!/usr/bin/env bash
# The benchmark: bili_qr_poll from C and from Python beside libcurl + jansson, a raw socket client,
# requests.Session and http.client, against the repo's fake passport server on loopback. Prints a table (each
# row the median of several rounds) with the targets met or not. See BENCHMARKS.md.
#
#   bash bench/run.sh                 # about a minute on 2 cores
#   BENCH_SMOKE=1 bash bench/run.sh   # tiny counts: proves everything builds and runs (no timing meaning)
#
# Knobs (environment): BENCH_ROUNDS (7), BENCH_POLLS (3000 per C row), BENCH_PY_POLLS (2000),
# BENCH_THREAD_POLLS (2000 per thread), BENCH_MEM_POLLS (100000), BENCH_MEM_ROUNDS (3), BENCH_COLD_RUNS (20),
# BENCH_CALLGRIND=0 (skip the instruction counts), BENCH_CG_POLLS1 / BENCH_CG_POLLS2 (500 / 1500),
# BENCH_SC_POLLS1 / BENCH_SC_POLLS2 (500 / 1500, the strace syscall count), BENCH_PIN=0 (no one-CPU rows), BENCH_PIN_CPU (0),
# BENCH_NO_BUILD=1 (skip cargo), BENCH_OUT (target/bench: programs and results), BILI_QR_LIBRARY / BILI_QR_FAKE_SERVER / BILI_QR_INCLUDE (other artifacts).
# Needs: gcc, libcurl4-openssl-dev, libjansson-dev, python3 (requests optional), binutils (strip), util-linux (taskset),
# valgrind (optional), strace (optional).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [[ ${BENCH_SMOKE:-0} == 1 ]]; then
  : "${BENCH_ROUNDS:=1}" "${BENCH_POLLS:=50}" "${BENCH_PY_POLLS:=20}" "${BENCH_THREAD_POLLS:=20}"
  : "${BENCH_MEM_POLLS:=1500}" "${BENCH_MEM_ROUNDS:=1}" "${BENCH_COLD_RUNS:=2}" "${BENCH_WARMUP:=5}"
  : "${BENCH_CG_POLLS1:=10}" "${BENCH_CG_POLLS2:=30}"
  : "${BENCH_SC_POLLS1:=10}" "${BENCH_SC_POLLS2:=30}"
fi
rounds=${BENCH_ROUNDS:-7}
polls=${BENCH_POLLS:-3000}
py_polls=${BENCH_PY_POLLS:-2000}
thread_polls=${BENCH_THREAD_POLLS:-2000}
mem_polls=${BENCH_MEM_POLLS:-100000}
mem_rounds=${BENCH_MEM_ROUNDS:-3}
cold_runs=${BENCH_COLD_RUNS:-20}
warmup=${BENCH_WARMUP:-200}

server_bin=${BILI_QR_FAKE_SERVER:-$root/target/release/bili-qr-fake-server}
include=${BILI_QR_INCLUDE:-$root/include}
out=${BENCH_OUT:-$root/target/bench}
mkdir -p "$out"

# The library measured is the one that ships (scripts/build-lib.sh: the release profile with std rebuilt for
# size); with BENCH_NO_BUILD=1, the one `scripts/build-lib.sh --dir` names (that one, or target/release's).
if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
  echo "== cargo build --release (fake server) and scripts/build-lib.sh (the library as it ships)" >&2
  cargo build --release -q -p bili-qr-fake-server >&2
  bash scripts/build-lib.sh >/dev/null
fi
lib=${BILI_QR_LIBRARY:-$(bash scripts/build-lib.sh --dir)/libbili_qr.so}
[[ -f $lib ]] || { echo "no library at $lib" >&2; exit 1; }
[[ -x $server_bin ]] || { echo "no fake server at $server_bin" >&2; exit 1; }

echo "== compiling bench programs into $out" >&2
libdir=$(cd "$(dirname "$lib")" && pwd)
cflags=(-O2 -Wall -Wextra -Werror -I"$include")
cc "${cflags[@]}" bench/pollbench.c -o "$out/pollbench" -L"$libdir" -Wl,-rpath,"$libdir" -lbili_qr -lcurl \
  -ljansson -lpthread
cc "${cflags[@]}" bench/cold_lib.c -o "$out/cold_lib" -L"$libdir" -Wl,-rpath,"$libdir" -lbili_qr
cc "${cflags[@]}" bench/cold_curl.c -o "$out/cold_curl" -lcurl -ljansson

tmp=$(mktemp -d)
server_pid=""
tls_server_pid=""
cleanup() {
  exec {hold}>&- 2>/dev/null || true
  [[ -z ${tls_hold:-} ]] || exec {tls_hold}>&- 2>/dev/null || true
  [[ -z $tls_server_pid ]] || kill "$tls_server_pid" 2>/dev/null || true
  if [[ -n $server_pid ]]; then
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
# The origin a fake server prints as its first line ("listening ORIGIN") to the file $1, waited for up to
# 10 s; nothing when it did not start.
listening_origin() {
  local first
  for _ in $(seq 100); do
    first=$(head -n1 "$1" 2>/dev/null || true)
    if [[ $first == listening* ]]; then echo "${first#listening }"; return; fi
    sleep 0.1
  done
}
mkfifo "$tmp/in"
"$server_bin" --quiet --watch-stdin <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &
server_pid=$!
exec {hold}>"$tmp/in" # the server runs until this is closed (or the script dies)
origin=$(listening_origin "$tmp/out")
[[ -n $origin ]] || { echo "the fake server did not start: $(cat "$tmp/err")" >&2; exit 1; }
# A scenario whose tickets always answer "waiting": every poll is the same small JSON answer.
base="$origin/s/flow=w,id=bench"
echo "== fake server at $origin" >&2
# An HTTPS fake server for one cold-start row: its test CA goes in through ca_file, so that row pays for reading
# the system's trust store, adding the CA, and a TLS handshake (the cost of trusting an extra CA through ca_file).
mkfifo "$tmp/tls-in"
"$server_bin" --quiet --watch-stdin --tls-ca-out "$tmp/ca.pem" <"$tmp/tls-in" >"$tmp/tls-out" 2>"$tmp/tls-err" &
tls_server_pid=$!
exec {tls_hold}>"$tmp/tls-in"
tls_origin=$(listening_origin "$tmp/tls-out")
[[ -n $tls_origin ]] || { echo "the HTTPS fake server did not start: $(cat "$tmp/tls-err")" >&2; exit 1; }

results=$out/results.jsonl
: >"$results"
pb=("$out/pollbench")

# The Python binding (bindings/python), imported from the source tree with this library.
export BILI_QR_LIBRARY=$lib
export PYTHONPATH=$root/bindings/python/src${PYTHONPATH:+:$PYTHONPATH}
py_modes=(http.client)
if python3 -c 'import bili_qr' 2>/dev/null; then py_modes+=(binding); else
  echo "note: the Python binding does not import; measuring bili_qr_poll via ctypes only" >&2
  echo '{"note":"binding-missing"}' >>"$results"
fi
py_modes+=(ctypes)
if python3 -c 'import requests' 2>/dev/null; then py_modes+=(requests); else
  echo "note: requests is not installed (pip install requests); its row is skipped" >&2
fi

# The single-thread rows run twice a round: as they come (client and server wherever the scheduler puts them),
# and on one CPU (client and server pinned to the same core with taskset), where a round trip costs the two
# processes' own work and two context switches, not the wake-up of an idle vCPU, which on a VM adds tens of µs
# to every row alike and moves from run to run. The targets are judged on the one-CPU ratios; both are shown.
pin_cpu=${BENCH_PIN_CPU:-0}
server_cpus=""
if [[ ${BENCH_PIN:-1} != 0 ]] && command -v taskset >/dev/null; then
  server_cpus=$(taskset -c -p "$server_pid" | awk -F': ' '{print $2}')
else
  echo "note: taskset not found (or BENCH_PIN=0): no one-CPU rows" >&2
fi
single_rows() { # PREFIX... (a command prefix, e.g. taskset -c 0) ; appends one line a row to $results
  local tag=cat
  (($# > 0)) && tag='sed s/^{/{"pinned":true,/'
  for m in raw curl lib; do
    "$@" "${pb[@]}" "$m" "$base" --polls "$polls" --warmup "$warmup" | $tag >>"$results"
  done
  for m in "${py_modes[@]}"; do
    "$@" python3 bench/py_bench.py "$m" "$base" --polls "$py_polls" --warmup "$((warmup / 2))" | $tag >>"$results"
  done
}

for r in $(seq "$rounds"); do
  echo "== round $r/$rounds" >&2
  single_rows
  if [[ -n $server_cpus ]]; then
    taskset -a -c -p "$pin_cpu" "$server_pid" >/dev/null
    single_rows taskset -c "$pin_cpu"
    taskset -a -c -p "$server_cpus" "$server_pid" >/dev/null
  fi
  for t in 2 8; do
    "${pb[@]}" lib "$base" --polls "$thread_polls" --warmup "$((warmup / 4))" --threads "$t" >>"$results"
    "${pb[@]}" curl "$base" --polls "$thread_polls" --warmup "$((warmup / 4))" --threads "$t" >>"$results"
  done
  "${pb[@]}" cold "$out/cold_lib" "$base" --runs "$cold_runs" | sed 's/"mode":"cold"/"mode":"cold-lib"/' >>"$results"
  "${pb[@]}" cold "$out/cold_curl" "$base" --runs "$cold_runs" | sed 's/"mode":"cold"/"mode":"cold-curl"/' >>"$results"
  # The floor of a cold start on this machine: spawning a program that only exits (no library of ours).
  "${pb[@]}" cold /bin/true --runs "$cold_runs" | sed 's/"mode":"cold"/"mode":"cold-floor"/' >>"$results"
  "${pb[@]}" cold "$out/cold_lib" "$tls_origin/s/flow=w,id=bench-tls" "$tmp/ca.pem" --runs "$cold_runs" |
    sed 's/"mode":"cold"/"mode":"cold-lib-tls"/' >>"$results"
done
for r in $(seq "$mem_rounds"); do
  echo "== memory $r/$mem_rounds ($mem_polls polls)" >&2
  "${pb[@]}" lib "$base" --polls "$mem_polls" --mem >>"$results"
done

# Instructions per poll under callgrind: the one figure that does not move with the machine's load. Per poll =
# (total of a run of N2 polls - total of a run of N1 polls) / (N2 - N1), so start-up and warm-up cancel out.
if [[ ${BENCH_CALLGRIND:-1} != 0 ]] && command -v valgrind >/dev/null; then
  cg_n1=${BENCH_CG_POLLS1:-500}
  cg_n2=${BENCH_CG_POLLS2:-1500}
  cg_total() { # MODE POLLS -> total instructions of the client process
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "${pb[@]}" "$1" "$base" --polls "$2" --warmup 10 \
      >/dev/null 2>"$tmp/cg.err" || { cat "$tmp/cg.err" >&2; return 1; }
    awk '/^(summary|totals):/ {print $2; exit}' "$tmp/cg.out"
  }
  for m in raw curl lib; do
    echo "== callgrind: $m ($cg_n1 and $cg_n2 polls)" >&2
    a=$(cg_total "$m" "$cg_n1")
    b=$(cg_total "$m" "$cg_n2")
    printf '{"mode":"instructions","client":"%s","per_poll":%d}\n' "$m" "$(((b - a) / (cg_n2 - cg_n1)))" >>"$results"
  done
else
  echo "note: valgrind not found (or BENCH_CALLGRIND=0): no instructions-per-poll line" >&2
fi

# Syscalls per poll (strace -f -c of the client: the same difference of two runs as above, so start-up cancels
# out), with each call's name (BENCHMARKS.md says what each one is for), and whether a cold start over plain http
# opens a trust store (it must not: the store is read by the first https request only).
if command -v strace >/dev/null; then
  sc_n1=${BENCH_SC_POLLS1:-500}
  sc_n2=${BENCH_SC_POLLS2:-1500}
  sc_run() { # POLLS -> "total name=count ..." of the client process
    strace -f -c -o "$tmp/sc.out" "${pb[@]}" lib "$base" --polls "$1" --warmup 10 >/dev/null
    awk '$NF != "total" && $4 ~ /^[0-9]+$/ {n[$NF] += $4; t += $4} END {printf "%d", t; for (k in n) printf " %s=%d", k, n[k]}' "$tmp/sc.out"
  }
  read -r -a sa <<<"$(sc_run "$sc_n1")"
  read -r -a sb <<<"$(sc_run "$sc_n2")"
  names=$(printf '%s\n' "${sb[@]:1}" | while IFS='=' read -r k v; do
    a=$(printf '%s\n' "${sa[@]:1}" | awk -F= -v k="$k" '$1 == k {print $2}')
    d=$(( (v - ${a:-0}) / (sc_n2 - sc_n1) )); ((d > 0)) && printf '"%s":%s,' "$k" \
      "$(awk -v v="$v" -v a="${a:-0}" -v n=$((sc_n2 - sc_n1)) 'BEGIN {printf "%.2f", (v - a) / n}')"
  done)
  awk -v a="${sa[0]}" -v b="${sb[0]}" -v n=$((sc_n2 - sc_n1)) -v names="{${names%,}}" \
    'BEGIN {printf "{\"mode\":\"syscalls\",\"per_poll\":%.2f,\"calls\":%s}\n", (b - a) / n, names}' >>"$results"
  strace -f -e trace=open,openat -o "$tmp/open.out" "$out/cold_lib" "$base" >/dev/null
  printf '{"mode":"store-reads","opens":%d}\n' \
    "$(grep -cE 'ca-certificates|ca-bundle|cacert|cert\.pem|ca-root|SSL_CERT' "$tmp/open.out" || true)" >>"$results"
else
  echo "note: strace not found: no syscalls-per-poll line" >&2
fi

strip -o "$out/libbili_qr.stripped.so" "$lib"
printf '{"mode":"size","bytes":%d,"unstripped":%d}\n' "$(stat -c %s "$out/libbili_qr.stripped.so")" \
  "$(stat -c %s "$lib")" >>"$results"

python3 bench/report.py "$results"
echo
echo "== where the bytes of the stripped library go (bench/size_budget.py)"
python3 bench/size_budget.py "$lib" "$(stat -c %s "$out/libbili_qr.stripped.so")"
