#!/usr/bin/env bash
# Node binding (bindings/node): installs the locked npm dependencies (koffi), runs `node --test` on
# bindings/node/test/*.test.js against the fake server (api, errors sync vs async, wait/abort/concurrency,
# sessions, null fields, library loading, memory, types, the contract with the header, the mainland login and
# refresh round trip, the TV token round trip: SKIPPED until the library knows the option flow), then packs the npm
# tarball (bindings/node/build-package.sh) and installs it, and the folder, into fresh projects outside the
# repository with no cargo on PATH and no BILI_QR_LIBRARY, each logging in against the fake server.
# Needs: node >= 18 and npm (on the machine image), cc for the stand-in libraries (.ci/deps/node.apt); the
# npm registry for koffi.
set -euo pipefail

root=${BILI_QR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
export BILI_QR_LIBRARY=${BILI_QR_LIBRARY:-$root/target/release/libbili_qr.so}
export BILI_QR_FAKE_SERVER=${BILI_QR_FAKE_SERVER:-$root/target/release/bili-qr-fake-server}

fail() { echo "FAIL: $*" >&2; exit 1; }
command -v node >/dev/null || fail "node is not installed"
command -v npm >/dev/null || fail "npm is not installed"
major=$(node -p 'process.versions.node.split(".")[0]')
[[ $major -ge 18 ]] || fail "node $(node --version) is too old (need >= 18 for node --test and AbortSignal)"
for f in "$BILI_QR_LIBRARY" "$BILI_QR_FAKE_SERVER"; do
  [[ -e $f ]] || fail "missing $f (cargo build --release --workspace)"
done

cd "$root/bindings/node"
echo "-- node $(node --version), npm $(npm --version): npm ci"
npm ci --no-audit --no-fund --loglevel=error

# Each running wait holds one libuv threadpool thread; the concurrency test runs 16 at once.
export UV_THREADPOOL_SIZE=${UV_THREADPOOL_SIZE:-24}
echo "-- node --test (UV_THREADPOOL_SIZE=$UV_THREADPOOL_SIZE)"
timeout 300 node --test --test-reporter=spec test/*.test.js

# ---- installed like a user would: outside the repo, no cargo, no BILI_QR_LIBRARY ----
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$BILI_QR_FAKE_SERVER" "$work/fake-server" # the app below runs no binary from the repo but this one

# PATH without any folder that holds cargo (or rustc)
clean_path=""
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  [[ -n $d && ! -x $d/cargo && ! -x $d/rustc ]] && clean_path+="${clean_path:+:}$d"
done
nocargo() { env -u BILI_QR_LIBRARY -u BILI_QR_FAKE_SERVER -u BILI_QR_ROOT PATH="$clean_path" "$@"; }
nocargo bash -c '! command -v cargo' >/dev/null || fail "cargo is still on the cleaned PATH"

echo "-- build-package.sh: npm tarball with the library in prebuilds/linux-x64/"
tarball=$(bash "$root/bindings/node/build-package.sh" "$work/dist" | tail -1)
[[ -f $tarball ]] || fail "build-package.sh printed no tarball"
listing=$(tar -tzf "$tarball")
grep -qx 'package/prebuilds/linux-x64/libbili_qr.so' <<<"$listing" || fail "no library in $tarball"
echo "   $(basename "$tarball"): $(du -k "$tarball" | cut -f1) KiB"

install_and_login() { # NAME EXPECTED-LIBRARY-PREFIX NPM-INSTALL-ARGS...
  local name=$1 prefix=$2
  shift 2
  local app="$work/$name"
  mkdir -p "$app"
  cp "$root/bindings/node/test/fixtures/installed-login.js" "$app/"
  (cd "$app" && nocargo npm init -y >/dev/null &&
    nocargo npm install --no-audit --no-fund --loglevel=error "$@" >/dev/null)
  local got
  got=$(cd "$app" && nocargo node installed-login.js "$work/fake-server" "${prefix//@APP@/$app}") ||
    fail "$name: the installed package did not log in"
  echo "   $name: $got"
}

echo "-- npm install <tarball> in a fresh project, then a login (bindings/node/test-install.sh)"
nocargo env BILI_QR_FAKE_SERVER="$work/fake-server" bash "$root/bindings/node/test-install.sh" "$work/dist"

echo "-- npm install --install-links <folder> (a packed copy), then a login"
install_and_login from-folder-copy "@APP@/node_modules/bili-qr/prebuilds/linux-x64/" --install-links "$root/bindings/node"

echo "-- npm install <folder> (a link to the checkout), then a login"
install_and_login from-folder-link "$root/" "$root/bindings/node"
