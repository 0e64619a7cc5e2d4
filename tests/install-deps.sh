#!/usr/bin/env bash
# Installs what the test suites need on a fresh machine: Debian packages listed in .ci/deps/*.apt (only the
# missing ones; apt-get update first), then each .ci/deps/*.sh (pip/npm/cargo setup). Needs root (or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
wanted=$(cat .ci/deps/*.apt 2>/dev/null | sed 's/#.*//' | tr -s ' \n' '\n' | sort -u)
missing=()
for pkg in $wanted; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "== installing Debian packages: ${missing[*]}"
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
for setup in .ci/deps/*.sh; do
  [[ -e $setup ]] || continue
  echo "== setup $setup"
  bash "$setup"
done
