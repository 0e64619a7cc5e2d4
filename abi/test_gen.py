#!/usr/bin/env python3
"""Tests of abi/gen.py (run by tests/suites/01-lint.sh): the committed copies are current, and a new option in a
scratch copy of the data file reaches every generated file, and --check names each file it makes stale.

    python3 abi/test_gen.py
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GEN = HERE / "gen.py"
sys.path.insert(0, str(HERE))
import gen  # noqa: E402

DUMMY = """
[[option]]
key = "dummy_option"
type = "integer"
default = 7
min = 0
max = 9
calls = "all"
since = 9
brief = "a dummy option of the generator's test"
doc = "a dummy option of the generator's test"
cli = { flag = "--dummy-option", value_name = "N", help = "A dummy option of the generator's test" }
rust = { field = "dummy_option", type = "u32", rule = "count" }
"""


DUMMY_STATUS = """
[[status]]
name = "ERR_DUMMY"
value = -99
phrase = "a dummy status"
doc = "A dummy status of the generator's test."
"""

#: The generated files that carry no option (the status codes alone).
STATUS_ONLY = {"src/ffi/status.rs"}
#: The generated files that carry no status code.
OPTIONS_ONLY = {"src/options/table.rs", "cli/src/generated.rs", "src/ffi/mod.rs"}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(GEN), *args], capture_output=True, text=True)


class Generator(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="abi-gen-"))
        self.addCleanup(shutil.rmtree, self.tmp)
        self.data = self.tmp / "bili_qr.toml"
        # The option goes before the functions: a [[option]] after [object.*] tables would still parse, but
        # keep the file's order.
        text = (HERE / "bili_qr.toml").read_text()
        at = text.index("# -------------------------------------------------------------------------------------------------- functions")
        at_options = text.index("# ---------------------------------------------------------------------------------------------------- options")
        self.data.write_text(text[:at_options] + DUMMY_STATUS + "\n" + text[at_options:at] + DUMMY + "\n" + text[at:])
        self.outputs = list(gen.outputs(gen.load(HERE / "bili_qr.toml"), ROOT))

    def test_the_committed_copies_are_current(self) -> None:
        r = run("--check")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_a_new_option_reaches_every_generated_file(self) -> None:
        scratch = self.tmp / "tree"
        # The two files with generated regions are edited in place: start from the committed ones.
        for rel in ("src/ffi/mod.rs", "docs/ABI.md"):
            (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / rel, scratch / rel)
        r = run("--data", str(self.data), "--root", str(scratch))
        self.assertEqual(r.returncode, 0, r.stderr)
        for rel in self.outputs:
            text = (scratch / rel).read_text()
            if rel not in STATUS_ONLY:
                self.assertIn("dummy_option", text, f"{rel} does not have the new option")
            if rel not in OPTIONS_ONLY:
                self.assertRegex(text, "ERR_DUMMY|ErrDummy", f"{rel} does not have the new status")
        # Each language's copy, read as that language reads it.
        abi = json.loads((scratch / "include/bili_qr_abi.json").read_text())
        self.assertIn({"key": "dummy_option", "type": "integer", "default": 7, "min": 0, "max": 9,
                       "calls": "all", "since": 9, "doc": "a dummy option of the generator's test"},
                      abi["options"])
        spec = importlib.util.spec_from_file_location("scratch_abi", scratch / "bindings/python/src/bili_qr/_abi.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self.assertEqual(module.OPTION_TYPES["dummy_option"], "integer")
        self.assertEqual(module.Status.ERR_DUMMY, -99)
        self.assertIn("dummy_option", module.Options.__annotations__)
        table = (scratch / "src/options/table.rs").read_text()
        self.assertIn('"dummy_option" => self.dummy_option = rules::count(key, integer(key, value, 0, 9)?)?', table)
        self.assertIn("pub dummy_option: u32", table)
        self.assertIn("--dummy-option", (scratch / "cli/src/generated.rs").read_text())
        self.assertIn("public int? DummyOption", (scratch / "bindings/csharp/src/Generated.cs").read_text())
        self.assertIn("std::optional<std::int64_t> dummy_option;", (scratch / "bindings/cpp/bili_qr_abi.hpp").read_text())
        self.assertIn("dummy_option?: number;", (scratch / "bindings/node/lib/abi.d.ts").read_text())
        if shutil.which("node"):
            out = subprocess.run(["node", "-e", f"console.log(require({json.dumps(str(scratch / 'bindings/node/lib/abi.js'))}).OPTION_TYPES.dummy_option)"],
                                 capture_output=True, text=True, check=True).stdout.strip()
            self.assertEqual(out, "integer")

    def test_check_names_each_stale_file(self) -> None:
        r = run("--check", "--data", str(self.data))
        self.assertEqual(r.returncode, 1)
        named = sorted(l.split()[1] for l in r.stderr.splitlines() if l.startswith("stale: "))
        self.assertEqual(named, sorted(self.outputs))


if __name__ == "__main__":
    unittest.main()
