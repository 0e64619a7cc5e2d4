#!/usr/bin/env bash
# Node binding (tests/suites/50-node.sh) needs node >= 18 and npm. The machine image has them; a bare Debian
# gets them from its own packages (bookworm: node 18). koffi itself comes from npm in the suite (`npm ci`).
set -euo pipefail
if command -v node >/dev/null && command -v npm >/dev/null &&
  node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)'; then
  echo "node $(node --version) and npm $(npm --version) are installed"
  exit 0
fi
echo "installing nodejs and npm from Debian"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm
