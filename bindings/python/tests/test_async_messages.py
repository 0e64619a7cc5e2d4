"""Every error carries the library's own message, also when the call ran on another thread
(asyncio's executor, a thread pool); it equals what a synchronous caller gets for the same fault."""

from __future__ import annotations

import asyncio
import concurrent.futures
import re

import pytest

import bili_qr

FAST = {"poll_interval_ms": 100, "max_retries": 0}


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def _message(call) -> tuple:
    with pytest.raises(bili_qr.Error) as info:
        call()
    return type(info.value), info.value.message


def _async_message(coro_fn) -> tuple:
    async def main():
        try:
            await coro_fn()
        except bili_qr.Error as e:
            return type(e), e.message
        raise AssertionError("no error")

    return run(main())


def _pool_message(call) -> tuple:
    """The call on a plain worker thread, the error reported on this one."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        fut = pool.submit(call)
        with pytest.raises(bili_qr.Error) as info:
            fut.result(60)
    return type(info.value), info.value.message


def _same_everywhere(sync_call, async_call) -> tuple:
    sync = _message(sync_call)
    assert sync[1], "the library gave no message"
    assert _async_message(async_call) == sync
    assert _pool_message(sync_call) == sync
    return sync


def test_412_on_start(base_url):
    url = base_url(fault="412")
    cls, msg = _same_everywhere(lambda: bili_qr.start(base_url=url), lambda: bili_qr.start_async(base_url=url))
    assert cls is bili_qr.HttpError
    assert "412" in msg and re.search(r"slow down|change network|risk", msg), msg


def test_412_on_poll_and_wait(server, scenario):
    sc = scenario(flow="w", fault="412", on="fetch")
    url = server.url(sc)
    qr = bili_qr.start(base_url=url)
    cls, msg = _same_everywhere(
        lambda: bili_qr.poll(qr.ticket, base_url=url), lambda: bili_qr.poll_async(qr.ticket, base_url=url)
    )
    assert cls is bili_qr.HttpError and "412" in msg
    assert qr.ticket[:7] not in msg
    # the wait ends at once on a 4xx, with the same message, in wait_async too
    assert _same_everywhere(
        lambda: bili_qr.wait(qr.ticket, base_url=url, **FAST),
        lambda: bili_qr.wait_async(qr.ticket, base_url=url, **FAST),
    ) == (cls, msg)


def test_429(server, scenario):
    url = server.url(scenario(flow="w", fault="429", retry="7", on="fetch"))
    qr = bili_qr.start(base_url=url)
    cls, msg = _same_everywhere(
        lambda: bili_qr.poll(qr.ticket, base_url=url), lambda: bili_qr.poll_async(qr.ticket, base_url=url)
    )
    assert cls is bili_qr.HttpError and "429" in msg, msg


def test_captcha(server, scenario):
    url = server.url(scenario(flow="w", fault="captcha", on="fetch"))
    qr = bili_qr.start(base_url=url)
    cls, msg = _same_everywhere(
        lambda: bili_qr.poll(qr.ticket, base_url=url), lambda: bili_qr.poll_async(qr.ticket, base_url=url)
    )
    assert cls is bili_qr.ApiError
    assert re.search(r"captcha|verification", msg, re.I), msg
    assert _same_everywhere(
        lambda: bili_qr.wait(qr.ticket, base_url=url, **FAST),
        lambda: bili_qr.wait_async(qr.ticket, base_url=url, **FAST),
    ) == (cls, msg)


def test_missing_cookies(server, scenario):
    sc = scenario(flow="c", fault="partialcookies")
    url = server.url(sc)
    qr = bili_qr.start(base_url=url)

    def rearmed(call):
        def go():
            server.set_state(sc, qr.ticket, "confirmed")  # one more confirmation for this ticket
            return call()

        return go

    async def poll_async():
        server.set_state(sc, qr.ticket, "confirmed")
        return await bili_qr.poll_async(qr.ticket, base_url=url)

    cls, msg = _same_everywhere(rearmed(lambda: bili_qr.poll(qr.ticket, base_url=url)), poll_async)
    assert cls is bili_qr.ProtocolError
    assert "bili_jct" in msg or "DedeUserID" in msg, msg


def test_argument_errors_in_threads_carry_the_message(base_url):
    url = base_url()
    cls, msg = _same_everywhere(
        lambda: bili_qr.start(base_url=url, timeout_ms=0), lambda: bili_qr.start_async(base_url=url, timeout_ms=0)
    )
    assert cls is bili_qr.ArgumentError and "timeout_ms" in msg
