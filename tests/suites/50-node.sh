#!/usr/bin/env bash
# Node binding (bindings/node): installs the locked npm dependencies (koffi), then runs `node --test` on
# bindings/node/test/*.test.js against the fake server (api, wait/abort/concurrency, library loading).
# Needs: node >= 18 and npm (on the machine image), cc for the wrong-ABI test (.ci/deps/node.apt).
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
if [[ -f package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi

# Each running wait holds one libuv threadpool thread; the concurrency test runs 16 at once.
export UV_THREADPOOL_SIZE=${UV_THREADPOOL_SIZE:-24}
echo "-- node --test (UV_THREADPOOL_SIZE=$UV_THREADPOOL_SIZE)"
timeout 300 node --test --test-reporter=spec test/*.test.js
