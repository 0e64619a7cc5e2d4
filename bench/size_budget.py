#!/usr/bin/env python3
"""Where the bytes of libbili_qr.so go: the code and data of each crate, from the unstripped library's symbol
table (`nm -S --size-sort -C`), grouped by the first path segment of each demangled name (for `<A as B>::f`, the
crate of A: the implementing type's crate is usually the one that brought the code in; a generic of std made
for another crate's type counts for that crate). Symbols without a Rust
path (C, assembly: ring's, libc's stubs) are grouped as "[C/asm]". The shares are of the symbols' sizes; the
stripped file also holds headers, the dynamic symbol and relocation tables, unwind tables (`.eh_frame`,
`panic = "unwind"`) and read-only data without symbols, shown as "[unattributed]" against the stripped size.

    python3 bench/size_budget.py LIBRARY [STRIPPED_SIZE]

Rows are indented (tests/suites/90-bench-smoke.sh reads lines that start with a client's name as poll rows).
"""
import collections
import re
import subprocess
import sys

STD = {"core", "alloc", "std", "hashbrown", "compiler_builtins", "std_detect"}
lib = sys.argv[1]
stripped = int(sys.argv[2]) if len(sys.argv) > 2 else None
out = subprocess.run(["nm", "-S", "--size-sort", "-C", lib], capture_output=True, text=True, check=True).stdout
sizes = collections.Counter()
total = 0
for line in out.splitlines():
    parts = line.split(" ", 3)  # address, size, type, name
    if len(parts) < 4:
        continue
    size = int(parts[1], 16)
    name = parts[3]
    total += size
    n = re.sub(r"^(<|&|mut |dyn |\(|\[)+", "", name)
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)::", n)
    if m:
        crate = m.group(1)
        if crate in STD:
            # A generic of the standard library made for another crate's type (drop_in_place<X>, Vec<X>,
            # RawVec<X>::grow...) counts for that crate: the first path in the name that is not std's.
            others = [c for c in re.findall(r"(?:^|[<\s&(\[,*])([A-Za-z_][A-Za-z0-9_]*)::", n) if c not in STD]
            crate = others[0] if others else "std/core/alloc"
    elif name.startswith("bili_qr_"):
        crate = "bili_qr"  # the exported C functions
    elif name.startswith(("ring_core", "GFp", "ecp_nistz", "ecp_nistz", "bn_", "ecp_", "p256", "p384", "x25519", "ChaCha", "aes_", "gcm_",
                          "sha256", "sha512", "CRYPTO", "LIMBS", "fiat_", "OPENSSL", "chacha20")):
        crate = "ring (C/asm)"
    else:
        crate = "[C/asm/other]"
    sizes[crate] += size
rows = sizes.most_common()
base = stripped if stripped else total
print(f"  {'crate':<24}{'bytes':>12}{'share':>9}")
for crate, size in rows:
    if size * 1000 < base:  # under 0.1%
        continue
    print(f"  {crate:<24}{size:>12,}{100 * size / base:>8.1f}%")
small = sum(s for _, s in rows if s * 1000 < base)
print(f"  {'(crates under 0.1%)':<24}{small:>12,}{100 * small / base:>8.1f}%")
if stripped:
    print(f"  {'[unattributed]':<24}{stripped - total:>12,}{100 * (stripped - total) / base:>8.1f}%")
    # Part of the unattributed bytes: the sections that hold no symbol (the unwind tables that
    # `panic = "unwind"` needs, the dynamic relocations); their sizes are the same in the stripped file.
    sections = subprocess.run(["size", "-A", lib], capture_output=True, text=True, check=True).stdout
    for line in sections.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in (".eh_frame", ".eh_frame_hdr", ".gcc_except_table", ".rela.dyn"):
            size = int(parts[1])
            print(f"    {parts[0]:<22}{size:>12,}{100 * size / base:>8.1f}%")
    print(f"  {'stripped total':<24}{stripped:>12,}")
