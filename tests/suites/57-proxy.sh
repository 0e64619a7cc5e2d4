#!/usr/bin/env bash
# The bili-qr command line through the real proxies a user has, against the fake server in TLS mode (its test
# CA passed with --ca-file): tinyproxy (HTTP CONNECT; with Basic auth in the proxy URL too) and microsocks
# (socks5://, socks5h://): login (start, polls, wait) -> check -> logout, each through the proxy; a wrong
# proxy password is a network error naming the proxy, never the password. Then the proxy environment
# variables: https_proxy / HTTPS_PROXY reach tinyproxy (its log shows the CONNECT), no_proxy with the host,
# a .suffix or * sends the request direct, and a loopback base_url never uses them.
# (tests/flows/proxy_real.rs covers the same through the C ABI, plus stub proxies that refuse, close or stall.)
# Needs: tinyproxy, microsocks (.ci/deps/proxy.apt), python3 (a free port). Without them the suite prints
# SKIPPED, except under CI=true, where that is a failure.
set -euo pipefail

root=${BILI_QR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# fail, step, need_release_bins, scratch_dir, start_fake_server, stop_fake_server
source "$root/tests/suites/lib/common.sh"
need_release_bins
command -v python3 >/dev/null || fail "python3 is not installed"
find_bin() {
  local d
  command -v "$1" 2>/dev/null && return 0
  for d in /usr/bin /usr/sbin /usr/local/bin /usr/local/sbin; do
    [[ -x $d/$1 ]] && { echo "$d/$1"; return 0; }
  done
  return 1
}
tinyproxy=$(find_bin tinyproxy) || tinyproxy=
microsocks=$(find_bin microsocks) || microsocks=
if [[ -z $tinyproxy || -z $microsocks ]]; then
  [[ ${CI:-} == true ]] && fail "tinyproxy and microsocks are needed (.ci/deps/proxy.apt; tests/install-deps.sh)"
  echo "SKIPPED: tinyproxy or microsocks is not installed (apt-get install tinyproxy microsocks)"
  exit 0
fi

t=$(mktemp -d "${TMPDIR:-/tmp}/bili-qr-proxy.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  stop_fake_server
  rm -rf "$t"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_port PORT NAME: a bounded wait until something listens on 127.0.0.1:PORT.
wait_port() {
  local i
  for i in $(seq 200); do
    python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" \
      2>/dev/null && return 0
    sleep 0.025
  done
  fail "$2 does not listen on 127.0.0.1:$1"
}

# The fake server in TLS mode (sets port).
start_fake_server "$t" --tls-ca-out "$t/ca.pem"
[[ $base == https://* ]] || fail "the fake server is not in TLS mode: $base"
step "fake server https://localhost:$port (CA in ca.pem); $tinyproxy; $microsocks"

# start_tinyproxy NAME [USER PASSWORD]: tinyproxy allowing CONNECT to the fake server's port only; sets tp_port.
start_tinyproxy() {
  tp_port=$(free_port)
  {
    echo "Port $tp_port"; echo "Listen 127.0.0.1"; echo "Allow 127.0.0.1"; echo "ConnectPort $port"
    echo "Timeout 30"; echo "MaxClients 64"; echo "LogLevel Info"
    echo "LogFile \"$t/$1.log\""; echo "PidFile \"$t/$1.pid\""
    [[ $# -eq 3 ]] && echo "BasicAuth $2 $3"
  } >"$t/$1.conf"
  "$tinyproxy" -d -c "$t/$1.conf" </dev/null >/dev/null 2>&1 &
  pids+=($!)
  wait_port "$tp_port" tinyproxy
}
# start_microsocks [USER PASSWORD]: sets ms_port and ms_pid.
start_microsocks() {
  ms_port=$(free_port)
  local auth=()
  [[ $# -eq 2 ]] && auth=(-u "$1" -P "$2")
  "$microsocks" -i 127.0.0.1 -p "$ms_port" "${auth[@]}" </dev/null >/dev/null 2>&1 &
  ms_pid=$!
  pids+=("$ms_pid")
  wait_port "$ms_port" microsocks
}

# run ARGS...: the CLI (stdin closed, proxy variables cleared unless given as VAR=VALUE before the args
# through `env`); sets rc, out ($t/out), err ($t/err).
proxy_vars=(-u https_proxy -u HTTPS_PROXY -u all_proxy -u ALL_PROXY -u http_proxy -u HTTP_PROXY -u no_proxy -u NO_PROXY)
run() {
  set +e
  timeout 60 env "${proxy_vars[@]}" "$@" </dev/null >"$t/out" 2>"$t/err"
  rc=$?
  set -e
}
expect_rc() {
  [[ $rc == "$1" ]] || { echo "stdout:"; cat "$t/out"; echo "stderr:"; cat "$t/err"; fail "$2: exit $rc, expected $1"; }
}
connects() { grep -c "): CONNECT $2 HTTP/1.1" "$t/$1.log" || true; }

# cycle NAME HOST PROXY: login -> check -> logout through PROXY (a flow=wsc scenario of its own).
cycle() {
  local name=$1 host=$2 proxy=$3
  local base="https://$host:$port/s/flow=wsc,id=$name"
  local net=(--ca-file "$t/ca.pem" --proxy "$proxy")
  run "$cli" login --base-url "$base" --api-base-url "$base" "${net[@]}" --poll-interval 100ms --timeout 30s \
    --cookies "$t/$name.txt"
  expect_rc 0 "$name: login"
  grep -q 'logged in as DemoUser' "$t/out" "$t/err" || fail "$name: no 'logged in as' line: $(cat "$t/out" "$t/err")"
  run "$cli" check --cookies "$t/$name.txt" --api-base-url "$base" "${net[@]}"
  expect_rc 0 "$name: check"
  run "$cli" logout --cookies "$t/$name.txt" --base-url "$base" "${net[@]}"
  expect_rc 0 "$name: logout"
}

# ---------------------------------------------------------------------------------------------------------
step "tinyproxy (HTTP CONNECT): login, check, logout over TLS"
start_tinyproxy tiny
cycle tiny localhost "http://127.0.0.1:$tp_port"
n=$(connects tiny "localhost:$port")
(( n >= 3 )) || fail "tinyproxy logged $n CONNECTs to localhost:$port: $(cat "$t/tiny.log")"

step "tinyproxy with Basic auth in the proxy URL; a wrong password is named as such, never shown"
start_tinyproxy tinyauth alice-px Pw-9f3Kq7zR
cycle tinyauth localhost "http://alice-px:Pw-9f3Kq7zR@127.0.0.1:$tp_port"
(( $(connects tinyauth "localhost:$port") >= 3 )) || fail "tinyproxy (auth) was not used"
run "$cli" login --base-url "https://localhost:$port/s/id=wrongpw" --ca-file "$t/ca.pem" \
  --proxy "http://alice-px:Wrong-pw-77Hx@127.0.0.1:$tp_port" --timeout 10s
expect_rc 3 "wrong proxy password"
grep -q "the proxy 127.0.0.1:$tp_port refused the tunnel" "$t/err" || fail "wrong password: $(cat "$t/err")"
grep -q "user name and password in the proxy URL" "$t/err" || fail "wrong password: $(cat "$t/err")"
! grep -Eq 'Wrong-pw|Pw-9f3|alice-px' "$t/err" "$t/out" || fail "a proxy credential was printed"

for scheme in socks5 socks5h; do
  step "microsocks ($scheme://): login, check, logout over TLS; then without the proxy the same call fails naming it"
  start_microsocks
  # socks5h hands the proxy the name: 127.0.0.1 (a name microsocks could also resolve to ::1).
  host=localhost
  [[ $scheme == socks5h ]] && host=127.0.0.1
  cycle "ms-$scheme" "$host" "$scheme://127.0.0.1:$ms_port"
  kill "$ms_pid"; wait "$ms_pid" 2>/dev/null || true
  run "$cli" check --cookies "$t/ms-$scheme.txt" --api-base-url "https://$host:$port" --ca-file "$t/ca.pem" \
    --proxy "$scheme://127.0.0.1:$ms_port"
  expect_rc 3 "$scheme: proxy gone"
  grep -q "the proxy 127.0.0.1:$ms_port" "$t/err" || fail "$scheme: the dead proxy is not named: $(cat "$t/err")"
done

step "microsocks with a user name and password (socks5h)"
start_microsocks bob-px Sx-4Lm9Tq2
cycle ms-auth 127.0.0.1 "socks5h://bob-px:Sx-4Lm9Tq2@127.0.0.1:$ms_port"

# ---------------------------------------------------------------------------------------------------------
# A host no resolver knows (.invalid) on a port tinyproxy refuses to CONNECT to (403 at once, before any
# lookup, and the request line in its log): through the proxy the error names it; direct it does not.
outside=(login --base-url "https://passport.bili-qr.invalid:9" --timeout 10s)
line="passport.bili-qr.invalid:9"
start_tinyproxy envtp
purl="http://127.0.0.1:$tp_port"
for var in https_proxy HTTPS_PROXY; do
  step "$var reaches tinyproxy"
  before=$(connects envtp "$line")
  run "$var=$purl" "$cli" "${outside[@]}"
  expect_rc 3 "$var"
  grep -q "the proxy 127.0.0.1:$tp_port refused the tunnel to passport.bili-qr.invalid with HTTP 403" "$t/err" \
    || fail "$var: $(cat "$t/err")"
  [[ $(connects envtp "$line") == $((before + 1)) ]] || fail "$var: tinyproxy did not log the CONNECT"
done
for np in passport.bili-qr.invalid .bili-qr.invalid '*'; do
  for var in no_proxy NO_PROXY; do
    step "$var=$np sends the request direct"
    before=$(connects envtp "$line")
    run "https_proxy=$purl" "$var=$np" "$cli" "${outside[@]}"
    expect_rc 3 "$var=$np"
    ! grep -q proxy "$t/err" || fail "$var=$np: went through the proxy: $(cat "$t/err")"
    [[ $(connects envtp "$line") == "$before" ]] || fail "$var=$np: tinyproxy was asked"
  done
done
step "no_proxy listing other hosts still uses the proxy"
run "https_proxy=$purl" "no_proxy=example.com,.bili-qr.example" "$cli" "${outside[@]}"
expect_rc 3 "no_proxy other hosts"
grep -q "the proxy 127.0.0.1:$tp_port" "$t/err" || fail "no_proxy other hosts: $(cat "$t/err")"

step "a loopback base_url never goes through the environment's proxy"
before=$(connects envtp "localhost:$port")
base="https://localhost:$port/s/flow=c,id=loop"
run "https_proxy=$purl" "HTTPS_PROXY=$purl" "$cli" login --base-url "$base" --api-base-url "$base" \
  --ca-file "$t/ca.pem" --poll-interval 100ms --timeout 30s --cookies "$t/loop.txt"
expect_rc 0 "loopback with https_proxy set"
[[ $(connects envtp "localhost:$port") == "$before" ]] || fail "the loopback login went through the proxy"

step "an https_proxy that is not a proxy URL is a usage error naming the variable, not its value"
run "https_proxy=http://px-user:Secret-5Tz@:99999" "$cli" "${outside[@]}"
expect_rc 2 "invalid https_proxy"
grep -q https_proxy "$t/err" || fail "invalid https_proxy: $(cat "$t/err")"
! grep -Eq 'Secret-5Tz|px-user' "$t/err" "$t/out" || fail "the invalid variable's value was printed"

echo "proxy suite: ok"
