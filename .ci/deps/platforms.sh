#!/usr/bin/env bash
# The other Linux targets of scripts/dist.sh: Rust's standard library for aarch64-unknown-linux-gnu and
# x86_64-unknown-linux-musl, and zig + cargo-zigbuild from PyPI (link against glibc 2.17 from this machine:
# `cargo zigbuild --target x86_64-unknown-linux-gnu.2.17`). The C tools come from .ci/deps/platforms.apt.
set -euo pipefail
for triple in aarch64-unknown-linux-gnu x86_64-unknown-linux-musl; do
  if rustup target list --installed | grep -qx "$triple"; then
    echo "rustup target $triple is installed"
  else
    rustup target add "$triple"
  fi
done
if command -v cargo-zigbuild >/dev/null && python3 -c 'import ziglang' 2>/dev/null; then
  echo "cargo-zigbuild $(cargo-zigbuild --version 2>/dev/null | head -n 1) and ziglang are installed"
else
  python3 -m pip install -q --disable-pip-version-check "ziglang>=0.13" "cargo-zigbuild>=0.19"
fi
