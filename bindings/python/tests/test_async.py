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


def wait_threads_end(before: int) -> bool:
    """True once no more threads run than ``before`` (a wait_async's native wait has returned), False if one
    still runs after 10 s: a native wait that was not cancelled would run for its 30 s poll interval or more."""
    deadline = time.monotonic() + 10
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.02)
    return threading.active_count() <= before


def test_wait_async_returns_the_login_without_blocking_the_loop(server, scenario):
    # The ticket stays waiting until the event loop, below, has the server confirm it: were the loop blocked
    # during the wait, none of that could run and the wait would not end (run() gives up after 30 s).
    sc = scenario(flow="w")
    url = server.url(sc)
    qr = bili_qr.start(base_url=url)

    async def main():
        ticks = 0
        seen = []
        task = asyncio.ensure_future(bili_qr.wait_async(qr.ticket, lambda r: seen.append(r.status), base_url=url, **FAST))
        while len(seen) < 3:
            ticks += 1
            await asyncio.sleep(0.01)
        server.set_state(sc, qr.ticket, "scanned")
        while seen[-1] != "scanned":
            ticks += 1
            await asyncio.sleep(0.01)
        assert not task.done()
        server.set_state(sc, qr.ticket, "confirmed")
        return await task, ticks, seen

    login, ticks, seen = run(main())
    assert login.mid == 1709658507 and login.name == "DemoUser"
    assert seen[:3] == ["waiting"] * 3 and seen[-1] == "scanned"
    assert ticks >= 3  # the loop ran while the wait polled


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


def waiting_ticket(server, scenario):
    """A scenario whose ticket only ever waits, its URL, the started ticket, and the threads before a wait."""
    sc = scenario(flow="w")
    url = server.url(sc)
    return sc, url, bili_qr.start(base_url=url), threading.active_count()


async def cancel_and_time(task):
    """Cancels `task`, checks that it ends cancelled, and returns how long that took (seconds)."""
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return time.monotonic() - started


def assert_wait_ended(server, sc, threads_before, pause):
    """The native wait's thread has ended, and no poll of `sc` comes in the next `pause` seconds."""
    assert wait_threads_end(threads_before), "the waiting thread has ended"
    polls = len(server.requests_for(sc, "fetch"))
    time.sleep(pause)
    assert len(server.requests_for(sc, "fetch")) == polls


def test_task_cancel_cancels_the_native_wait(server, scenario):
    sc, url, qr, threads_before = waiting_ticket(server, scenario)

    async def main():
        # 30 s between polls: a native wait not cancelled would sleep on for 30 s and then poll again
        task = asyncio.ensure_future(
            bili_qr.wait_async(qr.ticket, base_url=url, poll_interval_ms=30000, wait_timeout_ms=60000)
        )
        deadline = time.monotonic() + 10
        while not server.requests_for(sc, "fetch") and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert server.requests_for(sc, "fetch"), "the wait polled"
        return await cancel_and_time(task)

    took = run(main())
    assert took < 10  # far from the 30 s of a wait that only ends at its next poll
    assert_wait_ended(server, sc, threads_before, pause=0.3)


def test_task_cancel_right_away(server, scenario):
    """Cancelled before the native wait even started: it must not run on for 300 s."""
    sc, url, qr, threads_before = waiting_ticket(server, scenario)

    async def main():
        task = asyncio.ensure_future(bili_qr.wait_async(qr.ticket, base_url=url, poll_interval_ms=100))
        await asyncio.sleep(0)
        return await cancel_and_time(task)

    # a native wait left running (its ticket never confirms) would not end for 300 s: 10 s is far from that
    assert run(main()) < 10
    assert_wait_ended(server, sc, threads_before, pause=0.4)


def test_wait_for_timeout_cancels_too(server, scenario):
    sc, url, qr, threads_before = waiting_ticket(server, scenario)

    async def main():
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(bili_qr.wait_async(qr.ticket, base_url=url, **FAST), 0.5)

    asyncio.run(main())
    # The 0.5 s may run out before or after the native wait's first poll (on a slow machine): either way the
    # native wait must end, for its ticket never confirms (a cancel before the wait starts is kept for it).
    assert_wait_ended(server, sc, threads_before, pause=0.4)


def test_many_async_waits_at_once(server, scenario):
    # The tickets stay waiting until the test confirms them, once every one of them has been polled: all 8
    # waits were then running at the same time (none can end before). Waits run one after the other would
    # leave 7 tickets unpolled.
    scs = [scenario(flow="w", mid=str(1000 + i)) for i in range(8)]
    urls = [server.url(sc) for sc in scs]

    async def main():
        qrs = [bili_qr.start(base_url=u) for u in urls]
        tasks = [asyncio.ensure_future(bili_qr.wait_async(q.ticket, base_url=u, **FAST)) for q, u in zip(qrs, urls)]
        deadline = time.monotonic() + 10
        while not all(server.requests_for(sc, "fetch") for sc in scs) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        polled = sum(1 for sc in scs if server.requests_for(sc, "fetch"))
        if polled < len(scs):
            for t in tasks:
                t.cancel()
        assert polled == len(scs), "tickets polled while all the waits were waiting"
        assert not any(t.done() for t in tasks)
        for sc, q in zip(scs, qrs):
            server.set_state(sc, q.ticket, "confirmed")
        return await asyncio.gather(*tasks)

    logins = run(main())
    assert [lg.mid for lg in logins] == [1000 + i for i in range(8)]


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
