# Sourced by the suites of tests/suites and by bindings/*/test-install.sh: what they share. (It lives in a
# folder of its own so that tests/run-all.sh, which runs every tests/suites/*.sh, does not take it for a suite.)
#   fail MESSAGE        prints "FAIL: MESSAGE" (or "FAIL (\$fail_context): ...") on stderr and exits 1
#   step MESSAGE        prints "-- MESSAGE"
#   need_release_bins   sets cli and server (BILI_QR_CLI / BILI_QR_FAKE_SERVER, or target/release/) and fails
#                       when either is missing
#   start_fake_server DIR [ARGS...]
#                       starts the fake server (\$server, else \$BILI_QR_FAKE_SERVER) with ARGS, its stdin a FIFO
#                       in DIR held open on fd 7 (--watch-stdin: it exits when this shell closes fd 7 or ends),
#                       its stdout and stderr in DIR/server.out and DIR/server.err; sets base (its
#                       http(s)://127.0.0.1:PORT), port and server_pid
#   scratch_dir VAR PREFIX
#                       sets VAR to a new directory (\${TMPDIR:-/tmp}/PREFIX.XXXXXX, mode 0700) and sets the EXIT
#                       trap to stop the fake server and remove it (a suite needing more on exit sets its own)
#   stop_fake_server    closes fd 7, waits (5 s at most) for the server to exit, then ends it (for an EXIT trap)

fail() { echo "FAIL${fail_context:+ ($fail_context)}: $*" >&2; exit 1; }
step() { echo "-- $*"; }

need_release_bins() {
  local f
  cli=${BILI_QR_CLI:-$root/target/release/bili-qr}
  server=${BILI_QR_FAKE_SERVER:-$root/target/release/bili-qr-fake-server}
  for f in "$cli" "$server"; do [[ -x $f ]] || fail "missing $f (cargo build --release --workspace)"; done
}

start_fake_server() {
  local dir=$1 line _
  shift
  local bin=${server:-${BILI_QR_FAKE_SERVER:-}}
  [[ -x $bin ]] || fail "no fake server binary (set BILI_QR_FAKE_SERVER)"
  mkfifo "$dir/server.in"
  "$bin" --watch-stdin --quiet "$@" <"$dir/server.in" >"$dir/server.out" 2>"$dir/server.err" &
  server_pid=$!
  exec 7>"$dir/server.in"
  base=
  for _ in $(seq 100); do
    line=$(head -n 1 "$dir/server.out" 2>/dev/null || true)
    if [[ $line =~ ^listening\ (https?://127\.0\.0\.1:([0-9]+))$ ]]; then
      base=${BASH_REMATCH[1]}
      port=${BASH_REMATCH[2]}
      return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || fail "the fake server exited: $(cat "$dir/server.err")"
    sleep 0.1
  done
  fail "the fake server did not print its URL within 10 s"
}

scratch_dir() {
  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/$2.XXXXXX")
  printf -v "$1" '%s' "$dir"
  # shellcheck disable=SC2064  # the directory is fixed now
  trap "stop_fake_server; rm -rf '$dir'" EXIT
}

stop_fake_server() {
  local _
  exec 7>&- 2>/dev/null || true  # EOF on the server's stdin: it exits (--watch-stdin)
  if [[ -n ${server_pid:-} ]]; then
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill "$server_pid" 2>/dev/null || true
  fi
}
