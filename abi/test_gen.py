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
import typing
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

#: A new key of the cookie object, after its last one.
COOKIE_LAST_FIELD = '{ name = "http_only", type = "boolean" },'
DUMMY_FIELD = '\n  { name = "dummy_field", type = "integer", null = true, doc = "a dummy key of the generator\'s test" },'

#: The generated files that carry no option (the status codes alone).
STATUS_ONLY = {"src/ffi/status.rs"}
#: The generated files that carry no status code.
OPTIONS_ONLY = {"src/options/table.rs", "cli/src/generated.rs", "src/ffi/mod.rs"}
#: The bindings' version files, whose version line alone gen.py writes (from the root Cargo.toml).
VERSION_FILES = {rel for rel, _ in gen.VERSION_FILES}
#: The files that the existing regions / version lines of the scratch tree start from.
EDITED_IN_PLACE = ["src/ffi/mod.rs", "docs/ABI.md", *sorted(VERSION_FILES)]


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
        text = text[:at_options] + DUMMY_STATUS + "\n" + text[at_options:at] + DUMMY + "\n" + text[at:]
        self.assertEqual(text.count(COOKIE_LAST_FIELD), 1)
        self.data.write_text(text.replace(COOKIE_LAST_FIELD, COOKIE_LAST_FIELD + DUMMY_FIELD))
        self.outputs = list(gen.outputs(gen.load(HERE / "bili_qr.toml"), ROOT))

    def test_the_committed_copies_are_current(self) -> None:
        r = run("--check")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_a_new_option_reaches_every_generated_file(self) -> None:
        scratch = self.tmp / "tree"
        self.copy_edited_in_place(scratch)
        r = run("--data", str(self.data), "--root", str(scratch))
        self.assertEqual(r.returncode, 0, r.stderr)
        for rel in set(self.outputs) - VERSION_FILES:
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
        sys.modules["scratch_abi"] = module  # for typing.get_type_hints
        self.addCleanup(sys.modules.pop, "scratch_abi")
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
        # The new key of the cookie object reaches the schema and every binding's result type.
        cookie = abi["objects"]["$defs"]["cookie"]
        self.assertIn("dummy_field", cookie["required"])
        self.assertEqual(cookie["properties"]["dummy_field"]["anyOf"], [{"type": "integer"}, {"type": "null"}])
        self.assertEqual(typing.get_type_hints(module.CookieObject)["dummy_field"], typing.Optional[int])
        self.assertIn("  dummy_field: number | null;", (scratch / "bindings/node/lib/abi.d.ts").read_text())
        cs = (scratch / "bindings/csharp/src/Generated.cs").read_text()
        self.assertIn("public long? DummyField { get; internal set; }", cs)
        self.assertIn('r.DummyField = ModelReader.GetNullableLong(o, "dummy_field");', cs)
        hpp = (scratch / "bindings/cpp/bili_qr_abi.hpp").read_text()
        self.assertIn("std::optional<std::int64_t> dummy_field;", hpp)
        self.assertIn('out.dummy_field = detail::opt_int(j, "dummy_field");', hpp)
        if shutil.which("node"):
            out = subprocess.run(["node", "-e", f"console.log(require({json.dumps(str(scratch / 'bindings/node/lib/abi.js'))}).OPTION_TYPES.dummy_option)"],
                                 capture_output=True, text=True, check=True).stdout.strip()
            self.assertEqual(out, "integer")

    def copy_edited_in_place(self, scratch: Path) -> None:
        """The files with generated regions or version lines are edited in place: start from the committed ones."""
        for rel in EDITED_IN_PLACE:
            (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / rel, scratch / rel)

    def test_check_names_each_stale_file(self) -> None:
        r = run("--check", "--data", str(self.data))
        self.assertEqual(r.returncode, 1)
        named = sorted(l.split()[1] for l in r.stderr.splitlines() if l.startswith("stale: "))
        self.assertEqual(named, sorted(set(self.outputs) - VERSION_FILES))

    def test_every_package_says_the_workspace_version(self) -> None:
        version = gen.workspace_version(ROOT)
        self.assertRegex(version, r"^\d+\.\d+\.\d+$")
        for rel, line in gen.VERSION_FILES:
            self.assertIn(line.format(version), (ROOT / rel).read_text().splitlines(), rel)
        self.assertIn(f'kVersion = "{version}";', (ROOT / "bindings/cpp/bili_qr_abi.hpp").read_text())
        for manifest in ("Cargo.toml", "capi/Cargo.toml", "cli/Cargo.toml", "fake-server/Cargo.toml"):
            self.assertIn("version.workspace = true", (ROOT / manifest).read_text().splitlines(), manifest)

    def test_a_new_release_number_reaches_every_package(self) -> None:
        scratch = self.tmp / "tree"
        self.copy_edited_in_place(scratch)
        cargo = (ROOT / "Cargo.toml").read_text()
        old = f'version = "{gen.workspace_version(ROOT)}"'
        self.assertEqual(cargo.count(old), 1)
        (scratch / "Cargo.toml").write_text(cargo.replace(old, 'version = "9.8.7"'))
        r = run("--check", "--root", str(scratch))
        self.assertEqual(r.returncode, 1)
        named = {l.split()[1] for l in r.stderr.splitlines() if l.startswith("stale: ")}
        self.assertLessEqual(VERSION_FILES | {"bindings/cpp/bili_qr_abi.hpp"}, named)
        r = run("--root", str(scratch))
        self.assertEqual(r.returncode, 0, r.stderr)
        for rel, line in gen.VERSION_FILES:
            self.assertIn(line.format("9.8.7"), (scratch / rel).read_text().splitlines(), rel)
        self.assertIn('kVersion = "9.8.7";', (scratch / "bindings/cpp/bili_qr_abi.hpp").read_text())
        self.assertEqual(json.loads((scratch / "bindings/node/package.json").read_text())["version"], "9.8.7")


if __name__ == "__main__":
    unittest.main()
