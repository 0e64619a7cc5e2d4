"""Per-poll latency of the Python binding's poll beside requests.Session and http.client (the Python anchors),
against the fake passport server. Prints one JSON line like bench/pollbench.c. See BENCHMARKS.md.

    python3 bench/py_bench.py binding|ctypes|requests|http.client BASE_URL [--polls N] [--warmup N]

`binding` imports the package `bili_qr` (bindings/python/src on PYTHONPATH, BILI_QR_LIBRARY pointing at
target/release/libbili_qr.so); `ctypes` calls bili_qr_poll through ctypes directly plus json.loads, to show
what the binding's own Python layer costs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request
from urllib.parse import urlsplit

TICKET = "4478b3e64d05ce26638f4d715ebe0a91"
# The request every row sends: the headers the library sends for a poll with default options (its browser
# identity, src/transport/identity.rs; bench/pollbench.c sends the same), so that the server does the same work
# for each row and the rows differ by the client alone.
HEADERS = {
    "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/144.0.0.0 Safari/537.36",
    "sec-ch-ua": '"Not(A:Brand";v="8", "Chromium";v="144", "Google Chrome";v="144"',
    "sec-ch-ua-mobile": "?0",
    "sec-ch-ua-platform": '"Windows"',
    "Accept": "application/json, text/plain, */*",
    "Accept-Language": "en-US,en;q=0.9",
    "Referer": "https://www.bilibili.tv/",
    "Origin": "https://www.bilibili.tv",
    "sec-fetch-site": "same-site",
    "sec-fetch-mode": "cors",
    "sec-fetch-dest": "empty",
    "Accept-Encoding": "gzip, deflate",
    "priority": "u=1, i",
}
FETCH = "/x/intl/passport-login/qrcode/auth/fetch?s_locale=en_US&platform=web&ticket=" + TICKET


def make_binding(base):
    import bili_qr

    def poll():
        r = bili_qr.poll(TICKET, base_url=base)
        if r.status != "waiting":
            raise SystemExit(f"py_bench: unexpected status {r.status}")

    return poll, None


def make_ctypes(base):
    import ctypes

    lib = ctypes.CDLL(os.environ["BILI_QR_LIBRARY"])
    if lib.bili_qr_abi_version() < 1:  # ABI 2 keeps every version-1 function
        raise SystemExit("py_bench: libbili_qr has another ABI version")
    lib.bili_qr_poll.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.bili_qr_poll.restype = ctypes.c_int
    lib.bili_qr_free.argtypes = [ctypes.c_void_p]
    lib.bili_qr_free.restype = None
    ticket = TICKET.encode()
    options = json.dumps({"base_url": base}).encode()
    out = ctypes.c_void_p()
    ref = ctypes.byref(out)

    def poll():
        rc = lib.bili_qr_poll(ticket, options, ref)
        try:
            if rc != 1:
                raise SystemExit(f"py_bench: bili_qr_poll returned {rc}")
            obj = json.loads(ctypes.string_at(out.value))
        finally:
            lib.bili_qr_free(out)
            out.value = None
        if obj["status"] != "waiting":
            raise SystemExit("py_bench: unexpected status")

    return poll, None


def make_requests(base):
    import requests

    s = requests.Session()
    s.trust_env = False  # like the library on loopback: no proxy from the environment
    url = base + FETCH

    def poll():
        r = s.get(url, headers=HEADERS, timeout=10)
        if r.status_code != 200 or json.loads(r.content)["code"] != 10018101:
            raise SystemExit("py_bench: requests: unexpected answer")

    return poll, s.close


def make_http_client(base):
    import http.client

    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    path = u.path.rstrip("/") + FETCH

    def poll():
        conn.request("GET", path, headers=HEADERS)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200 or json.loads(body)["code"] != 10018101:
            raise SystemExit("py_bench: http.client: unexpected answer")

    return poll, conn.close


MODES = {"binding": make_binding, "ctypes": make_ctypes, "requests": make_requests, "http.client": make_http_client}


def control(origin, method, path):
    req = urllib.request.Request(origin + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=10) as r:
        return r.read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=sorted(MODES))
    ap.add_argument("base_url")
    ap.add_argument("--polls", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=100)
    a = ap.parse_args()
    u = urlsplit(a.base_url)
    origin = f"{u.scheme}://{u.netloc}"
    control(origin, "POST", "/__reset")
    poll, close = MODES[a.mode](a.base_url)
    for _ in range(a.warmup):
        poll()
    lat = [0] * a.polls
    clock = time.perf_counter_ns
    t_start = clock()
    for i in range(a.polls):
        t0 = clock()
        poll()
        lat[i] = clock() - t0
    wall = clock() - t_start
    if close:
        close()
    conns = json.loads(control(origin, "GET", "/__stats"))["connections"]
    lat.sort()
    n = len(lat)
    print(
        json.dumps(
            {
                "mode": "py-" + a.mode,
                "threads": 1,
                "polls": n,
                "median_ns": lat[int(0.5 * (n - 1) + 0.5)],
                "p99_ns": lat[int(0.99 * (n - 1) + 0.5)],
                "polls_per_s": round(n * 1e9 / wall, 1),
                "connections": conns,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
