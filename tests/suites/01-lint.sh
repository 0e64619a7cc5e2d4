#!/usr/bin/env bash
# Formatting, clippy with warnings as errors, docs without warnings, and a committed header that matches what
# the build generates (tests/abi/header.rs compares the working-tree include/bili_qr.h with the generated one:
# in a fresh clone, as in CI, that is the committed header), and the copies generated from abi/bili_qr.toml.
# run-all: no-release-build
set -euo pipefail
cd "${BILI_QR_ROOT:?run through tests/run-all.sh}"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The whole workspace (the CLI's binary has `doc = false` in cli/Cargo.toml: it is documented by its --help,
# and its name would collide with the library's target/doc/bili_qr).
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
cargo test --locked -p bili_qr --test abi --quiet header::the_committed_header_is_what_the_build_generates
# The copies of the contract generated from abi/bili_qr.toml are current (names each stale file), and a new
# option and status in a scratch copy of the data file reach every generated file.
python3 abi/gen.py --check
python3 abi/test_gen.py
# No two modules of the library use each other; the check itself finds a pair in a scratch tree.
python3 scripts/check-modules.py
scratch=$(mktemp -d)
mkdir "$scratch/a"
printf 'use crate::b::B;\n' >"$scratch/a/mod.rs"
printf 'pub struct B;\n// crate::c in a comment is no use\nfn f() { crate::a::g() }\n' >"$scratch/b.rs"
if python3 scripts/check-modules.py "$scratch" >/dev/null; then
  echo "check-modules.py missed a pair of modules that use each other" >&2
  exit 1
fi
rm -rf "$scratch"
echo "lint: 7 passed, 0 failed"
