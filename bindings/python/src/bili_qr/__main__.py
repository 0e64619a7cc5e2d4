"""``python -m bili_qr`` and the ``bili-qr`` console command: the repository's ``bili-qr`` program itself.

The wheel bundles the Rust command-line program (``bili_qr/bin/bili-qr``, built from ``cli/`` with the same
sources as the library), and this module runs it with the arguments unchanged. So the flags, the output and the
exit codes are exactly those of ``bili-qr`` (``bili-qr --help``): one command-line interface, not two.
``BILI_QR_CLI`` names another copy of the program (tests, or a package without the bundled one).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import List, Optional


def program() -> str:
    """The path of the ``bili-qr`` program this module runs."""
    env = os.environ.get("BILI_QR_CLI", "")
    if env:
        return env
    name = "bili-qr.exe" if sys.platform == "win32" else "bili-qr"
    return str(Path(__file__).resolve().parent / "bin" / name)


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    exe = program()
    if not os.path.isfile(exe):
        print(
            f"bili_qr: the bili-qr program is not bundled in this package ({exe} is missing); install the "
            "bili_qr wheel, or set BILI_QR_CLI to the path of bili-qr",
            file=sys.stderr,
        )
        return 2
    sys.stdout.flush()
    sys.stderr.flush()
    if sys.platform != "win32" and argv is None:
        # Replace this process: signals (Ctrl-C), the terminal and the exit code are the program's own.
        os.execv(exe, ["bili-qr"] + args)
    try:
        return subprocess.call([exe] + args)
    except KeyboardInterrupt:  # the child got the Ctrl-C too and ends itself
        return 130


if __name__ == "__main__":
    sys.exit(main())
