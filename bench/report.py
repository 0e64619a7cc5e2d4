"""Turns bench/run.sh's results (one JSON object a line) into the table of BENCHMARKS.md.

Each row is the median over the rounds; a ratio is the median of the per-round ratios (the k-th run of one
row against the k-th run of the other, which ran seconds apart), so drift of a noisy machine cancels out.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict

SIZE_LIMIT = 2_000_000  # "2.0 MB", in bytes
MEM_LIMIT_KIB = 1024  # "under 1 MiB"


def main(path: str) -> int:
    runs = defaultdict(list)
    notes = set()
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line:
            continue
        obj = json.loads(line)
        if "note" in obj:
            notes.add(obj["note"])
            continue
        key = obj["mode"] + (f"/{obj['threads']}" if "threads" in obj else "") + ("/mem" if obj.get("mem") else "")
        key += "/pinned" if obj.get("pinned") else ""
        runs[key].append(obj)

    def med(key, field):
        vals = [r[field] for r in runs.get(key, [])]
        return statistics.median(vals) if vals else None

    def ratio(num_key, den_key, field="median_ns"):
        pairs = list(zip(runs.get(num_key, []), runs.get(den_key, [])))
        return statistics.median(a[field] / b[field] for a, b in pairs) if pairs else None

    rows = []

    def us(v):
        return "-" if v is None else f"{v / 1000:.1f}"

    def per_s(v):
        return "-" if v is None else f"{v:,.0f}"

    def conns(key):
        vals = [r["connections"] for r in runs.get(key, [])]
        return "-" if not vals else str(max(vals))

    def row(label, key):
        if key not in runs:
            return
        pinned = key + "/pinned"
        rows.append((label, us(med(key, "median_ns")), us(med(key, "p99_ns")), per_s(med(key, "polls_per_s")), conns(key),
                     us(med(pinned, "median_ns")) if pinned in runs else ""))

    row("raw keep-alive socket, C (floor)", "raw/1")
    row("libcurl reused handle + jansson, C (anchor)", "curl/1")
    row("bili_qr_poll, C", "lib/1")
    row("http.client + json.loads, Python", "py-http.client/1")
    row("requests.Session + json.loads, Python (anchor)", "py-requests/1")
    row("bili_qr.poll, Python binding", "py-binding/1")
    row("bili_qr_poll via bare ctypes + json.loads", "py-ctypes/1")
    row("bili_qr_poll, C, 2 threads", "lib/2")
    row("bili_qr_poll, C, 8 threads", "lib/8")
    row("libcurl + jansson, C, 2 threads (1 handle each)", "curl/2")
    row("libcurl + jansson, C, 8 threads (1 handle each)", "curl/8")

    w = max(len(r[0]) for r in rows) if rows else 40
    print()
    print(f"{'poll (one fetch request + JSON)':<{w}} | {'median µs':>9} | {'p99 µs':>8} | {'polls/s':>8} | conns | one CPU: median µs")
    print(f"{'-' * w}-|-{'-' * 9}-|-{'-' * 8}-|-{'-' * 8}-|-------|-------------------")
    for label, m, p, s, c, one in rows:
        print(f"{label:<{w}} | {m:>9} | {p:>8} | {s:>8} | {c:>5} | {one:>9}")
    print("(polls/s: all threads together; conns: TCP connections the fake server saw in that run, max over rounds;")
    print(" one CPU: the same row with client and server pinned to one core, which leaves out the VM's wake-up latency)")

    print()
    for key, label in (("cold-lib", "cold start: exec + load libbili_qr + one bili_qr_start"),
                       ("cold-lib-tls", "  the same over HTTPS (system roots + ca_file, handshake)"),
                       ("cold-curl", "cold start: exec + load libcurl/jansson + one GET + parse"),
                       ("cold-floor", "  floor: spawn + exec of /bin/true (the machine's part)")):
        if key in runs:
            print(f"{label:<60} {med(key, 'median_ns') / 1e6:7.2f} ms (median; best {min(r['min_ns'] for r in runs[key]) / 1e6:.2f} ms)")
    mem_key = "lib/mem"
    growth = None
    if mem_key in runs:
        r1 = med(mem_key, "rss_1k_kib")
        rn = med(mem_key, "rss_n_kib")
        growth = statistics.median(r["rss_n_kib"] - r["rss_1k_kib"] for r in runs[mem_key])
        n = runs[mem_key][0]["polls"]
        print(f"{'resident memory after 1,000 polls / after ' + format(n, ',') + ' polls':<60} {r1:,.0f} KiB / {rn:,.0f} KiB "
              f"(growth {growth:+,.0f} KiB; conns {conns(mem_key)})")
    instr = {r["client"]: r["per_poll"] for r in runs.get("instructions", [])}
    if instr:
        parts = [f"{name} {instr[k]:,}" for k, name in (("raw", "raw socket"), ("curl", "libcurl + jansson"),
                                                         ("lib", "bili_qr_poll")) if k in instr]
        print(f"{'instructions per poll (callgrind, client process)':<60} " + " | ".join(parts))
        if instr.get("curl") and "lib" in instr:
            print(f"{'  bili_qr_poll against libcurl + jansson, instructions':<60} {instr['lib'] / instr['curl']:.2f}x")
    size = runs.get("size", [{}])[0].get("bytes")
    if size:
        print(f"{'libbili_qr.so stripped (unstripped)':<60} {size:,} bytes ({runs['size'][0]['unstripped']:,})")

    print()
    print("target                                                     | measured                       | met")
    print("-----------------------------------------------------------|--------------------------------|----")

    def target(label, measured, ok):
        print(f"{label:<58} | {measured:<30} | {'-' if ok is None else ('yes' if ok else 'NO')}")

    def speed_target(label, num, den, fmt, ok):
        """Judged on the one-CPU ratio when there is one (the client's own cost), else on the free one."""
        free, one = ratio(num, den), ratio(num + "/pinned", den + "/pinned")
        judged = one if one is not None else free
        shown = "-" if free is None else fmt(free) + " free"
        if one is not None:
            shown = fmt(one) + " one CPU, " + shown
        target(label, shown, None if judged is None else ok(judged))

    speed_target("bili_qr_poll per poll <= 1.0x libcurl + JSON parse (C)", "lib/1", "curl/1",
                 lambda r: f"{r:.2f}x", lambda r: r <= 1.0)
    if "py-binding/1" in runs:
        speed_target("Python binding >= 4x faster per poll than requests", "py-requests/1", "py-binding/1",
                     lambda r: f"{r:.1f}x", lambda r: r >= 4.0)
    else:
        speed_target("Python (ctypes; binding missing) >= 4x faster than requests", "py-requests/1", "py-ctypes/1",
                     lambda r: f"{r:.1f}x", lambda r: r >= 4.0)
    per_thread = [x["connections"] / x["threads"]
                  for k in ("lib/1", "lib/1/pinned", "lib/2", "lib/8") for x in runs.get(k, [])]
    worst = max(per_thread) if per_thread else None
    target("one TCP connection per polling thread (1, 2, 8 threads)", "-" if worst is None else f"max {worst:.2f} per thread", None if worst is None else worst <= 1.0)
    mem_n = runs[mem_key][0]["polls"] if mem_key in runs else 100_000
    target(f"memory growth < 1 MiB from 1,000 to {mem_n:,} polls", "-" if growth is None else f"{growth:+,.0f} KiB", None if growth is None else growth < MEM_LIMIT_KIB)
    target("stripped libbili_qr.so <= 2.0 MB (2,000,000 bytes)", "-" if not size else f"{size / 1e6:.2f} MB", None if not size else size <= SIZE_LIMIT)
    # The second wave's targets (all features in, the mainland and TV flows built in).
    speed_target("poll wall time <= 0.80x libcurl + jansson (judged one CPU)", "lib/1", "curl/1",
                 lambda r: f"{r:.2f}x", lambda r: r <= 0.80)
    ir = instr.get("lib") / instr["curl"] if instr.get("curl") and "lib" in instr else None
    target("instructions per poll <= 0.40x libcurl + jansson", "-" if ir is None else f"{ir:.2f}x ({instr['lib']:,})",
           None if ir is None else ir <= 0.40)
    sc = runs.get("syscalls", [{}])[0].get("per_poll")
    target("syscalls per poll <= 5 (strace -f -c)", "-" if sc is None else f"{sc:.1f}", None if sc is None else sc <= 5.0)
    cold = med("cold-lib", "median_ns")
    target("cold start (exec, load, one start) median <= 2.0 ms", "-" if cold is None else f"{cold / 1e6:.2f} ms",
           None if cold is None else cold <= 2.0e6)
    store = runs.get("store-reads", [{}])[0].get("opens")
    target("cold start over plain http reads no trust store", "-" if store is None else f"{store} opens of a bundle",
           None if store is None else store == 0)
    if "binding-missing" in notes:
        print("note: the Python binding did not import; its row is bare ctypes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
