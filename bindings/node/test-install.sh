#!/usr/bin/env bash
# Installs the npm tarball of DIST (bili-qr-VERSION.tgz, from build-package.sh or scripts/dist.sh) into a
# fresh project outside the repository and logs in against the fake server, with no BILI_QR_LIBRARY:
#
#   bash bindings/node/test-install.sh DIST
#
# The fake server: BILI_QR_FAKE_BASE (the base URL of a running one) or BILI_QR_FAKE_SERVER (its binary,
# started and stopped here). BILI_QR_VERSION picks the tarball when DIST holds several. Called by
# tests/suites/50-node.sh and tests/suites/85-packages.sh (both with cargo off PATH).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "test-install.sh: $*" >&2; exit 1; }
[[ $# -eq 1 && -d $1 ]] || die "usage: test-install.sh DIST (a folder holding bili-qr-VERSION.tgz)"
dist=$(cd "$1" && pwd)
shopt -s nullglob
tarballs=("$dist"/bili-qr-${BILI_QR_VERSION:-*}.tgz)
[[ ${#tarballs[@]} -eq 1 && -f ${tarballs[0]} ]] || die "expected one bili-qr-${BILI_QR_VERSION:-*}.tgz in $dist, found ${#tarballs[@]}"
tarball=${tarballs[0]}
server=${BILI_QR_FAKE_BASE:-${BILI_QR_FAKE_SERVER:-}}
[[ -n $server ]] || die "set BILI_QR_FAKE_BASE or BILI_QR_FAKE_SERVER"
if command -v cargo >/dev/null; then echo "test-install.sh: note: cargo is on PATH ($(command -v cargo))" >&2; fi

listing=$(tar -tzf "$tarball")
grep -qx 'package/prebuilds/linux-x64/libbili_qr.so' <<<"$listing" || die "$tarball has no prebuilds/linux-x64/libbili_qr.so"
if compgen -G "$dist/*windows*" >/dev/null; then
  grep -qx 'package/prebuilds/win32-x64/bili_qr.dll' <<<"$listing" ||
    die "$dist has Windows artifacts but $tarball has no prebuilds/win32-x64/bili_qr.dll"
fi

app=$(mktemp -d)
trap 'rm -rf "$app"' EXIT
cp "$here/test/fixtures/installed-login.js" "$app/"
cd "$app"
npm init -y >/dev/null
env -u BILI_QR_LIBRARY npm install --no-audit --no-fund --loglevel=error "$tarball" >/dev/null
got=$(env -u BILI_QR_LIBRARY node installed-login.js "$server" "$app/node_modules/bili-qr/prebuilds/linux-x64/") ||
  die "the package installed from $(basename "$tarball") did not log in"
echo "   npm install $(basename "$tarball"): $got"
