#!/usr/bin/env bash
# Installs the wheel from DIST (bindings/python/build-wheel.sh's output) into a fresh venv OUTSIDE the repository,
# with cargo and rustc absent from PATH, and logs in against the fake passport server from there:
#   - `import bili_qr` loads the library bundled in the wheel (BILI_QR_LIBRARY unset, cwd outside the repo);
#   - start → wait → session.save (mode 0600) → check (valid), with the fake server;
#   - `python -m bili_qr` and the `bili-qr` console command are the bundled CLI: `login` writes a cookies file,
#     a bad flag is the CLI's usage error (exit 2), `--version` names the package version.
# Usage: bash bindings/python/test-install.sh DIST
# Environment: BILI_QR_FAKE_BASE (a running fake server's http://127.0.0.1:PORT) or BILI_QR_FAKE_SERVER (a binary
# to spawn; default <repo>/target/release/bili-qr-fake-server); BILI_QR_VERSION (default: _version.py's).
# Used by tests/suites/30-python.sh and tests/suites/85-packages.sh.
set -euo pipefail

[[ $# -eq 1 && -d $1 ]] || { echo "usage: $0 DIST" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dist=$(cd "$1" && pwd)
fail_context="python test-install"
# fail, step, scratch_dir, start_fake_server, stop_fake_server
source "$root/tests/suites/lib/common.sh"

version=${BILI_QR_VERSION:-$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$here/src/bili_qr/_version.py")}
# This machine's wheel: manylinux for its architecture (dist/ may also hold aarch64 and musllinux wheels).
arch=$(uname -m)
wheel=$(ls "$dist"/bili_qr-"$version"-py3-none-manylinux_*"_$arch".whl 2>/dev/null | head -n 1)
[[ -n $wheel ]] || fail "no bili_qr-$version-py3-none-manylinux_*_$arch.whl in $dist"
python=$(command -v python3 || true)
[[ -n $python ]] || fail "python3 is not on PATH"

# PATH without cargo and rustc: the wheel must install and run without a Rust toolchain.
nocargo=""
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  [[ -n $d && ! -e $d/cargo && ! -e $d/rustc ]] && nocargo=${nocargo:+$nocargo:}$d
done

scratch_dir work bili_qr_py_install
[[ $work != "$root"/* ]] || fail "the venv must be outside the repository"
venv=$work/venv
run() { (cd "$work" && env -u BILI_QR_LIBRARY -u BILI_QR_CLI -u PYTHONPATH PATH="$venv/bin:$nocargo" "$@"); }

step "fresh venv $venv (PATH without cargo), pip install $(basename "$wheel")"
run sh -c '! command -v cargo && ! command -v rustc' >/dev/null || fail "cargo or rustc is still on PATH"
env PATH="$nocargo" "$python" -m venv "$venv" || fail "python3 -m venv failed (Debian: apt-get install python3-venv)"
run "$venv/bin/python" -m pip install -q --no-index --disable-pip-version-check "$wheel" ||
  fail "pip install of the wheel failed"

base=${BILI_QR_FAKE_BASE:-}
if [[ -z $base ]]; then
  server=${BILI_QR_FAKE_SERVER:-$root/target/release/bili-qr-fake-server}
  [[ -x $server ]] || fail "no fake server: set BILI_QR_FAKE_BASE or BILI_QR_FAKE_SERVER"
  start_fake_server "$work"
fi

step "a login from the installed wheel (cwd $work, BILI_QR_LIBRARY unset) against $base"
run "$venv/bin/python" - "$base" "$version" <<'PY' || fail "the login from the installed wheel failed"
import os, stat, sys, sysconfig
import bili_qr
base, version = sys.argv[1] + "/s/id=py-wheel-smoke,flow=wsc", sys.argv[2]
pkg = os.path.dirname(os.path.realpath(bili_qr.__file__))
site = os.path.realpath(sysconfig.get_paths()["platlib"])
assert pkg.startswith(site + os.sep), f"imported from {pkg}, not the venv's site-packages {site}"
assert os.path.dirname(os.path.realpath(bili_qr.library_path)) == pkg, bili_qr.library_path
assert bili_qr.__version__ == version and bili_qr.library_version() == version, (bili_qr.__version__, version)
assert bili_qr.abi_version() >= 2
qr = bili_qr.start(base_url=base)
login = bili_qr.wait(qr.ticket, base_url=base, poll_interval_ms=100)
login.session.save("cookies.txt")
assert stat.S_IMODE(os.stat("cookies.txt").st_mode) == 0o600
checked = bili_qr.check(bili_qr.Session.load("cookies.txt"), api_base_url=base)
assert checked.valid and checked.mid == 1709658507, checked
print(f"   bili_qr {bili_qr.__version__}: logged in as {login.name} (mid {login.mid}); the saved session checks valid")
PY

step "python -m bili_qr and the bili-qr console command (the bundled CLI)"
out=$(run "$venv/bin/python" -m bili_qr --version) || fail "python -m bili_qr --version failed"
[[ $out == *"$version"* ]] || fail "python -m bili_qr --version says '$out', not $version"
[[ $(run "$venv/bin/bili-qr" --version) == "$out" ]] || fail "bili-qr --version differs from python -m bili_qr --version"
for cmd in "$venv/bin/python -m bili_qr" "$venv/bin/bili-qr"; do
  f=$work/cookies-$RANDOM.txt
  # shellcheck disable=SC2086
  log=$(run $cmd login --base-url "$base/s/id=py-wheel-cli-$RANDOM,flow=wsc" --poll-interval 100ms --cookies "$f" 2>&1) ||
    { echo "$log"; fail "$cmd login failed"; }
  grep -q SESSDATA "$f" || { echo "$log"; fail "$cmd login wrote no SESSDATA to $f"; }
  [[ $(stat -c %a "$f") == 600 ]] || fail "$cmd login: $f is not mode 0600"
  set +e
  # shellcheck disable=SC2086
  run $cmd login --no-such-flag >/dev/null 2>&1
  rc=$?
  set -e
  [[ $rc == 2 ]] || fail "$cmd login --no-such-flag exited $rc, want the CLI's usage error 2"
done
echo "   python -m bili_qr and bili-qr: $out; login writes cookies (0600); a bad flag exits 2"
