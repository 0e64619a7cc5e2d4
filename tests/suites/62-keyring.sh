#!/usr/bin/env bash
# `bili-qr --store keyring[:NAME]` against a real Secret Service: Debian's gnome-keyring-daemon on a private D-Bus
# session bus (dbus-run-session), unlocked headless with a password on stdin, HOME and XDG_RUNTIME_DIR in a
# temporary directory (the machine's own keyrings are never touched):
#   - no secret service (no session bus): login fails before showing a QR code, one line saying what to install
#     or to use --cookies FILE (exit 5), and nothing is written;
#   - login --demo --store keyring: the session lands in gnome-keyring (read back with libsecret's secret-tool,
#     service bili-qr, username default), no file is written, no cookie value printed; check --store keyring
#     reads it back (the demo server is gone with the demo, so the fake server here answers "expired": exit 1,
#     which proves check used the stored session and not nothing);
#   - login --store keyring:NAME against the fake server -> check (valid) -> login again ("already logged in")
#     -> logout --remove (entry gone) -> check (exit 2, "holds no session"); a bad --store value (exit 2).
# Needs: gnome-keyring, dbus (dbus-run-session), libsecret-tools (.ci/deps/platforms.apt).
set -euo pipefail
root=${BILI_QR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# fail, step, need_release_bins, scratch_dir, start_fake_server, stop_fake_server
source "$root/tests/suites/lib/common.sh"
need_release_bins
for tool in dbus-run-session gnome-keyring-daemon secret-tool; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (.ci/deps/platforms.apt)"
done

scratch_dir t bili-qr-keyring
mkdir -p "$t/home" "$t/run" "$t/work"
chmod 700 "$t/run"

start_fake_server "$t"

step "no secret service (no D-Bus session bus): a clear error before any QR code"
set +e
(cd "$t/work" && env -u DBUS_SESSION_BUS_ADDRESS HOME="$t/home" XDG_RUNTIME_DIR="$t/run" \
  timeout 60 "$cli" login --demo --store keyring </dev/null >"$t/out" 2>"$t/err")
rc=$?
set -e
[[ $rc == 5 ]] || { cat "$t/out" "$t/err"; fail "login --store keyring without a secret service exited $rc, want 5"; }
[[ $(wc -l <"$t/err") == 1 ]] || { cat "$t/err"; fail "the error is not one line"; }
grep -q 'gnome-keyring' "$t/err" && grep -q -- '--cookies FILE' "$t/err" ||
  fail "the error does not say what to install or to use a file: $(cat "$t/err")"
if grep -qE 'waiting|▀|▄|█' "$t/out"; then fail "a QR code was shown although the login could not be saved"; fi
[[ -z $(ls -A "$t/work") ]] || fail "files were written: $(ls -A "$t/work")"
echo "   $(cat "$t/err")"
for cmd in check logout; do
  set +e
  (cd "$t/work" && env -u DBUS_SESSION_BUS_ADDRESS HOME="$t/home" XDG_RUNTIME_DIR="$t/run" \
    timeout 60 "$cli" $cmd --store keyring </dev/null >"$t/out" 2>"$t/err")
  rc=$?
  set -e
  [[ $rc == 5 ]] || { cat "$t/out" "$t/err"; fail "$cmd --store keyring without a secret service exited $rc, want 5"; }
  grep -q 'gnome-keyring' "$t/err" || fail "$cmd: the error does not say what to install: $(cat "$t/err")"
done
echo "   check, logout --store keyring without a secret service: exit 5 (a local failure), as login"

# The rest runs inside a private session bus with gnome-keyring-daemon providing org.freedesktop.secrets.
cat >"$t/inside.sh" <<'INSIDE'
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "-- $*"; }
# Headless: the login keyring is created (first run) or unlocked with the password on stdin; only the secrets
# component (no ssh/pkcs11 agents). The daemon prints its control socket; it lives as long as the bus.
echo -n "suite-password" | gnome-keyring-daemon --unlock --components=secrets >"$T/gkd.env" 2>"$T/gkd.err" ||
  { cat "$T/gkd.err"; fail "gnome-keyring-daemon did not start"; }
gkd_pid=$(sed -n 's/^GNOME_KEYRING_PID=//p' "$T/gkd.env")
# The daemon claims org.freedesktop.secrets on the bus; bounded wait for it.
for _ in $(seq 100); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner \
    string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then break; fi
  sleep 0.1
done
run() { # run ARGS...: the CLI in $T/work, stdin closed; sets rc, out, err
  set +e
  (cd "$T/work" && timeout 60 "$CLI" "$@" </dev/null >"$T/out" 2>"$T/err")
  rc=$?
  set -e
}
expect_rc() { [[ $rc == "$1" ]] || { cat "$T/out" "$T/err"; fail "$2: exit $rc, want $1"; }; }
lookup() { secret-tool lookup service bili-qr username "$1"; }

step "login --demo --store keyring (gnome-keyring $(gnome-keyring-daemon --version 2>/dev/null | head -n 1))"
run login --demo --store keyring
expect_rc 0 "login --demo --store keyring"
grep -q 'logged in as DemoUser' "$T/out" || fail "the demo did not log in: $(cat "$T/out")"
grep -q 'saved the session (.* cookies) to the OS keyring (service bili-qr, account default)' "$T/out" ||
  fail "login does not say where the session went: $(cat "$T/out")"
[[ -z $(ls -A "$T/work") ]] || fail "login --store wrote files: $(ls -A "$T/work")"
stored=$(lookup default) || fail "secret-tool finds no bili-qr/default entry in gnome-keyring"
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert any(c["name"]=="SESSDATA" for c in s["cookies"]), "no SESSDATA"' \
  "$stored" || fail "the keyring entry is not a session with SESSDATA"
sessdata=$(python3 -c 'import json,sys; print([c["value"] for c in json.loads(sys.argv[1])["cookies"] if c["name"]=="SESSDATA"][0])' "$stored")
if grep -qF "$sessdata" "$T/out" "$T/err"; then fail "the SESSDATA value was printed"; fi
echo "   stored in gnome-keyring: a JSON session with SESSDATA ($(printf %s "$stored" | wc -c) bytes)"

step "check --store keyring: reads the stored demo session (this fake server never issued it: expired)"
run check --store keyring --api-base-url "$BASE/s/id=kr-api"
expect_rc 1 "check --store keyring of the demo session"
grep -q 'the session saved in the OS keyring (service bili-qr, account default) has expired' "$T/err" ||
  fail "check did not read the keyring's session: $(cat "$T/err")"
grep -qF -- 'bili-qr login --store keyring' "$T/err" || fail "check does not say how to log in again: $(cat "$T/err")"

step "login --store keyring:work against the fake server -> check -> already logged in -> logout --remove"
fast=(--poll-interval 100ms --api-base-url "$BASE/s/id=kr-api")
run login --base-url "$BASE/s/id=kr,flow=wsc" "${fast[@]}" --store keyring:work
expect_rc 0 "login --store keyring:work"
lookup work >/dev/null || fail "no bili-qr/work entry"
[[ $(lookup default) == "$stored" ]] || fail "keyring:work changed the default entry"
run check --store keyring:work --api-base-url "$BASE/s/id=kr-api"
expect_rc 0 "check --store keyring:work"
[[ $(cat "$T/out") == "logged in as DemoUser (mid 1709658507)" ]] || fail "check printed: $(cat "$T/out")"
run login --base-url "$BASE/s/id=kr2,flow=wsc" "${fast[@]}" --store keyring:work
expect_rc 0 "login again --store keyring:work"
grep -q 'already logged in as DemoUser' "$T/out" || fail "a second login did not see the stored session: $(cat "$T/out")"
run logout --store keyring:work --remove --base-url "$BASE/s/id=kr-api" --api-base-url "$BASE/s/id=kr-api"
expect_rc 0 "logout --store keyring:work --remove"
grep -q 'removed the entry from the OS keyring (service bili-qr, account work)' "$T/out" || fail "logout: $(cat "$T/out")"
if lookup work >/dev/null 2>&1; then fail "logout --remove left the entry"; fi
run check --store keyring:work --api-base-url "$BASE/s/id=kr-api"
expect_rc 2 "check of a removed entry"
grep -q 'holds no session' "$T/err" || fail "check of a removed entry: $(cat "$T/err")"
run check --store keychain
expect_rc 2 "--store keychain"
run check --store keyring --cookies x.txt
expect_rc 2 "--store with --cookies"
[[ -z $(ls -A "$T/work") ]] || fail "files were written: $(ls -A "$T/work")"
[[ -n $gkd_pid ]] && kill "$gkd_pid" 2>/dev/null || true
echo "   keyring:NAME: login, check (valid), already logged in, logout --remove, check (exit 2): ok"
INSIDE
step "dbus-run-session + gnome-keyring-daemon --unlock --components=secrets (HOME=$t/home)"
env HOME="$t/home" XDG_RUNTIME_DIR="$t/run" XDG_DATA_HOME="$t/home/.local/share" T="$t" CLI="$cli" BASE="$base" \
  timeout 300 dbus-run-session -- bash "$t/inside.sh" || fail "the keyring checks failed"
ls "$t/home/.local/share/keyrings/"*.keyring >/dev/null 2>&1 || fail "gnome-keyring wrote no keyring file under the test HOME"
echo "keyring: --store keyring against gnome-keyring (Secret Service) and without one: ok"
