"""8 threads at once: independent logins, and each thread gets its own error message."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import bili_qr

FAST = {"poll_interval_ms": 100}


def test_eight_threads_log_in_at_once(base_url):
    urls = [base_url(flow="wwwwwsc", mid=str(500 + i), name=f"user{i}") for i in range(8)]
    barrier = threading.Barrier(8)
    # Each wait's first progress call (on the wait's own thread, inside bili_qr_wait) waits here for all 8:
    # they can only meet if the 8 waits run at the same time. Waits run one after the other would break the
    # barrier after its 10 s (BrokenBarrierError, raised from the wait), however fast or slow the machine.
    met = threading.Barrier(8)

    def one(i):
        barrier.wait(10)
        qr = bili_qr.start(base_url=urls[i])
        statuses = []

        def on_progress(r):
            if not statuses:
                met.wait(10)
            statuses.append(r.status)

        login = bili_qr.wait(qr.ticket, on_progress, base_url=urls[i], **FAST)
        return qr.ticket, login, statuses

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(8)))
    tickets = {t for t, _, _ in results}
    assert len(tickets) == 8
    for i, (_, login, statuses) in enumerate(results):
        assert (login.mid, login.name) == (500 + i, f"user{i}")
        assert statuses == ["waiting"] * 5 + ["scanned"]
        assert login.cookie("DedeUserID").value == str(500 + i)  # type: ignore[union-attr]
    assert len({lg.cookie("SESSDATA").value for _, lg, _ in results}) == 8  # type: ignore[union-attr]


def test_error_messages_are_per_thread(base_url):
    faults = ["412", "api-412", "notjson", "404"] * 2
    expected = {"412": bili_qr.HttpError, "api-412": bili_qr.ApiError, "notjson": bili_qr.ProtocolError,
                "404": bili_qr.HttpError}
    urls = [base_url(fault=f) for f in faults]
    barrier = threading.Barrier(8)

    def one(i):
        barrier.wait(10)
        for _ in range(5):
            try:
                bili_qr.start(base_url=urls[i])
            except bili_qr.Error as e:
                assert type(e) is expected[faults[i]], (faults[i], e)
                if faults[i] in ("412", "404"):
                    assert faults[i] in e.message, (faults[i], e.message)
                if faults[i] == "api-412":
                    assert "-412" in e.message
            else:
                raise AssertionError("no error")
        return True

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(one, range(8)))
