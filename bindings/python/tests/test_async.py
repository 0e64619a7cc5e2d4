"""wait_async: the event loop stays free, cancellation cancels the native wait."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import bili_qr

FAST = {"poll_interval_ms": 100}


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_wait_async_returns_the_login_without_blocking_the_loop(base_url):
    url = base_url(flow="wwwsc")
    qr = bili_qr.start(base_url=url)

    async def main():
        ticks = 0
        seen = []
        task = asyncio.ensure_future(bili_qr.wait_async(qr.ticket, lambda r: seen.append(r.status), base_url=url, **FAST))
        while not task.done():
            ticks += 1
            await asyncio.sleep(0.01)
        return await task, ticks, seen

    login, ticks, seen = run(main())
    assert login.mid == 1709658507 and login.name == "DemoUser"
    assert seen == ["waiting", "waiting", "waiting", "scanned"]
    assert ticks >= 10  # the loop ran all along (4 polls at 100 ms each)


def test_wait_async_with_a_coroutine_callback(base_url):
    url = base_url(flow="wsc")
    qr = bili_qr.start(base_url=url)

    async def main():
        loop_thread = threading.get_ident()
        seen = []

        async def on_progress(result):
            assert threading.get_ident() == loop_thread  # runs on the event loop
            await asyncio.sleep(0.01)
            seen.append(result.status)

        login = await bili_qr.wait_async(qr.qr_url, on_progress, base_url=url, **FAST)
        return login, seen

    login, seen = run(main())
    assert login.mid == 1709658507 and seen == ["waiting", "scanned"]


def test_wait_async_raises_expired_and_callback_errors(base_url):
    url = base_url(flow="we")
    qr = bili_qr.start(base_url=url)
    with pytest.raises(bili_qr.ExpiredError):
        run(bili_qr.wait_async(qr.ticket, base_url=url, **FAST))

    url = base_url(flow="w")
    qr = bili_qr.start(base_url=url)

    async def failing(result):
        raise LookupError("from the callback")

    with pytest.raises(LookupError, match="from the callback"):
        run(bili_qr.wait_async(qr.ticket, failing, base_url=url, **FAST))

    with pytest.raises(bili_qr.HttpError):
        run(bili_qr.wait_async("0123456789abcdef", base_url=base_url(fault="404"), **FAST))


def test_task_cancel_cancels_the_native_wait(server, scenario):
    sc = scenario(flow="w")
    url = server.url(sc)
    qr = bili_qr.start(base_url=url)
    threads_before = threading.active_count()

    async def main():
        task = asyncio.ensure_future(bili_qr.wait_async(qr.ticket, base_url=url, poll_interval_ms=200))
        deadline = time.monotonic() + 10
        while len(server.requests_for(sc, "fetch")) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert len(server.requests_for(sc, "fetch")) >= 2
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - started

    took = run(main())
    assert took < 1.0
    polls = len(server.requests_for(sc, "fetch"))
    time.sleep(0.7)  # 3 poll intervals
    assert len(server.requests_for(sc, "fetch")) == polls
    deadline = time.monotonic() + 2
    while threading.active_count() > threads_before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert threading.active_count() == threads_before  # the waiting thread has ended


def test_task_cancel_right_away(server, scenario):
    """Cancelled before the native wait even started: it must not run on for 300 s."""
    sc = scenario(flow="w")
    url = server.url(sc)
    qr = bili_qr.start(base_url=url)

    async def main():
        task = asyncio.ensure_future(bili_qr.wait_async(qr.ticket, base_url=url, poll_interval_ms=100))
        await asyncio.sleep(0)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - started

    assert run(main()) < 1.0
    polls = len(server.requests_for(sc, "fetch"))
    time.sleep(0.4)
    assert len(server.requests_for(sc, "fetch")) == polls


def test_wait_for_timeout_cancels_too(server, scenario):
    sc = scenario(flow="w")
    url = server.url(sc)
    qr = bili_qr.start(base_url=url)

    async def main():
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(bili_qr.wait_async(qr.ticket, base_url=url, **FAST), 0.5)

    asyncio.run(main())
    polls = len(server.requests_for(sc, "fetch"))
    assert polls >= 2
    time.sleep(0.4)
    assert len(server.requests_for(sc, "fetch")) == polls


def test_many_async_waits_at_once(base_url):
    urls = [base_url(flow="wwwwwsc", mid=str(1000 + i)) for i in range(8)]
    spans = [[] for _ in urls]

    async def main():
        qrs = [bili_qr.start(base_url=u) for u in urls]
        return await asyncio.gather(*(
            bili_qr.wait_async(q.ticket, lambda r, i=i: spans[i].append(time.monotonic()), base_url=u, **FAST)
            for i, (q, u) in enumerate(zip(qrs, urls))
        ))

    logins = run(main())
    assert [lg.mid for lg in logins] == [1000 + i for i in range(8)]
    assert all(len(s) == 6 for s in spans)
    # concurrent, not one after the other: every wait had started before any of them ended
    assert max(s[0] for s in spans) < min(s[-1] for s in spans)


def test_a_cancel_before_the_wait_is_kept_for_it(server, scenario):
    """bili_qr.cancel before any wait runs: nothing is signalled, and the next wait on the ticket ends at once
    without polling (what lets wait_async cancel a wait whose thread has not started it yet, with one call)."""
    sc = scenario(flow="w")
    url = server.url(sc)
    qr = bili_qr.start(base_url=url)
    assert bili_qr.cancel(qr.qr_url) == 0
    with pytest.raises(bili_qr.CancelledError):
        bili_qr.wait(qr.ticket, base_url=url, poll_interval_ms=60000)
    assert server.requests_for(sc, "fetch") == []
