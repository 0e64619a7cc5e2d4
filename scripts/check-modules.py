#!/usr/bin/env python3
"""Fails when two of the library's top-level modules import each other.

The crate's modules form layers: a module may use the ones below it, never one that uses it back
(the layers are listed in src/lib.rs). This reads every `crate::NAME` path in src/ (comments and `#[cfg(test)]`
unit-test modules left out), maps each file to its top-level module (`src/login/wait.rs` -> `login`) and
prints every pair that uses each other, with one line of each side. Exit status 1 when any pair is found.

    python3 scripts/check-modules.py [SRC_DIR]
"""
import os
import re
import sys
from collections import defaultdict

PATH = re.compile(r"\bcrate::(\w+)")
GROUP = re.compile(r"\bcrate::\{([^}]*)\}", re.S)


def code_lines(text):
    """The file's lines with comments blanked and the `#[cfg(test)] mod NAME { … }` blocks blanked."""
    lines = [re.sub(r"//.*", "", line) for line in text.splitlines()]
    out = []
    i = 0
    while i < len(lines):
        if lines[i].strip().startswith("#[cfg(test)]"):
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j < len(lines) and re.match(r"\s*(pub(\(\w+\))?\s+)?mod\s+\w+\s*\{", lines[j]):
                depth = 0
                k = j
                while k < len(lines):
                    depth += lines[k].count("{") - lines[k].count("}")
                    if depth <= 0 and k > j or (depth <= 0 and "}" in lines[k]):
                        break
                    k += 1
                out.extend([""] * (k + 1 - i))
                i = k + 1
                continue
        out.append(lines[i])
        i += 1
    return out


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
    uses = defaultdict(dict)  # top -> {other: "file:line"}
    for root, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith(".rs") or name.startswith("tests") or name == "tests.rs":
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src)
            top = rel.split(os.sep)[0]
            top = top[:-3] if top.endswith(".rs") else top
            if top in ("lib", "internals"):
                continue  # the crate root and the fuzz targets' door re-export, they are no layer
            lines = code_lines(open(path, encoding="utf-8").read())
            text = "\n".join(lines)
            found = set(PATH.findall(text))
            for group in GROUP.findall(text):
                found.update(m for m in re.findall(r"(?:^|,)\s*(\w+)", group))
            for other in found:
                if other in (top, "self", "super"):
                    continue
                if other not in uses[top]:
                    where = next(
                        (f"{rel}:{i + 1}" for i, l in enumerate(lines) if re.search(rf"\b{other}\b", l) and "crate::" in l),
                        rel,
                    )
                    uses[top][other] = where
    bad = sorted((a, b) for a in uses for b in uses[a] if a < b and a in uses.get(b, {}))
    for a, b in bad:
        print(f"{a} <-> {b}: {uses[a][b]} uses {b}; {uses[b][a]} uses {a}")
    if bad:
        print(f"{len(bad)} pair(s) of modules use each other")
        return 1
    print(f"no two modules use each other ({len(uses)} modules read)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
