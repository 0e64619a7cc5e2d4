#!/usr/bin/env bash
# The fake passport server's own tests (raw-socket protocol checks, faults, control API, the binary).
# run-all: no-release-build
set -euo pipefail
cd "${BILI_QR_ROOT:-$(dirname "$0")/../..}"
exec cargo test --profile ci-test -p bili-qr-fake-server
