"""Every error class, raised by real failures against the fake server."""

from __future__ import annotations

import builtins
import pickle
import socket
import time

import pytest

import bili_qr
from bili_qr import _lib

FAST = {"poll_interval_ms": 100}


def test_hierarchy():
    table = {
        bili_qr.ArgumentError: (-1, ValueError),
        bili_qr.NetworkError: (-2, ConnectionError),
        bili_qr.TimeoutError: (-3, builtins.TimeoutError),
        bili_qr.HttpError: (-4, None),
        bili_qr.ProtocolError: (-5, None),
        bili_qr.ApiError: (-6, None),
        bili_qr.CancelledError: (-7, None),
        bili_qr.InternalError: (-8, None),
        bili_qr.ExpiredError: (3, None),
    }
    from bili_qr._errors import error_for_status

    for cls, (status, builtin) in table.items():
        assert issubclass(cls, bili_qr.Error) and issubclass(cls, Exception)
        if builtin is not None:
            assert issubclass(cls, builtin)
        e = error_for_status(status, "what failed")
        assert type(e) is cls and e.status == status and e.message == "what failed" and str(e) == "what failed"
        again = pickle.loads(pickle.dumps(e))
        assert type(again) is cls and again.status == status and again.message == "what failed"
    unknown = error_for_status(-99, "")
    assert type(unknown) is bili_qr.Error and unknown.status == -99 and unknown.message
    assert bili_qr.TimeoutError is not builtins.TimeoutError


@pytest.mark.parametrize(
    ("fault", "cls", "status", "quoted"),
    [
        ("412", bili_qr.HttpError, -4, "412"),
        ("api-412", bili_qr.ApiError, -6, "-412"),
        ("notjson", bili_qr.ProtocolError, -5, ""),
    ],
)
def test_a_start_fault_is_its_typed_error(base_url, fault, cls, status, quoted):
    """HTTP 412 is an HttpError, the API's -412 an ApiError, a body that is not JSON a ProtocolError."""
    with pytest.raises(cls) as info:
        bili_qr.start(base_url=base_url(fault=fault))
    assert info.value.status == status and info.value.message
    assert quoted in info.value.message


def test_http_412_on_poll(base_url):
    url = base_url(fault="412", on="fetch")
    qr = bili_qr.start(base_url=url)
    with pytest.raises(bili_qr.HttpError):
        bili_qr.poll(qr.ticket, base_url=url)
    with pytest.raises(bili_qr.HttpError):  # a 4xx ends a wait at once
        bili_qr.wait(qr.ticket, base_url=url, **FAST)


def test_missing_cookies_is_protocol_error(base_url):
    url = base_url(flow="c", fault="nocookies", on="fetch")
    qr = bili_qr.start(base_url=url)
    with pytest.raises(bili_qr.ProtocolError):
        bili_qr.poll(qr.ticket, base_url=url)


def test_bad_options_are_argument_errors(base_url):
    with pytest.raises(bili_qr.ArgumentError) as info:
        bili_qr.start(base_url=base_url(), no_such_option=1)
    assert isinstance(info.value, ValueError)
    assert "no_such_option" in info.value.message
    with pytest.raises(ValueError, match="timeout_ms"):
        bili_qr.start(base_url=base_url(), timeout_ms=0)
    with pytest.raises(bili_qr.ArgumentError, match="timeout_ms"):
        bili_qr.start(base_url=base_url(), timeout_ms="fast")
    with pytest.raises(bili_qr.ArgumentError):
        bili_qr.start(base_url="ftp://127.0.0.1/")
    with pytest.raises(bili_qr.ArgumentError):
        bili_qr.start(base_url=base_url(), timeout_ms=object())  # not JSON at all: refused before the call


def test_an_option_of_the_wrong_type_is_refused_whatever_came_before(base_url):
    # True == 1 == 1.0 in Python, but only 1 is an integer for the library: an earlier call with one of them must
    # not decide how a later call with another is sent.
    url = base_url()
    for first, then in ((True, 1), (1, True), (1, 1.0), (5000, 5000.0)):
        for value, good in ((first, type(first) is int), (then, type(then) is int)):
            if good:
                bili_qr.start(base_url=url, timeout_ms=value)
            else:
                with pytest.raises(bili_qr.ArgumentError, match="timeout_ms"):
                    bili_qr.start(base_url=url, timeout_ms=value)
    qr = bili_qr.start(base_url=url)
    bili_qr.poll(qr.ticket, base_url=url, verify_login=True)
    with pytest.raises(bili_qr.ArgumentError, match="verify_login"):
        bili_qr.poll(qr.ticket, base_url=url, verify_login=1)  # type: ignore[arg-type]


def test_none_options_are_left_out(base_url):
    qr = bili_qr.start(base_url=base_url(), proxy=None, locale=None)
    assert "/h5/en/" in qr.qr_url


def test_bad_tickets_are_argument_errors(server, scenario):
    sc = scenario()
    url = server.url(sc)
    for bad in ["", "bad ticket", "a" * 129, "tick\0et", "\ud800", "t/../x"]:
        with pytest.raises(bili_qr.ArgumentError):
            bili_qr.poll(bad, base_url=url)
        with pytest.raises(bili_qr.ArgumentError):
            bili_qr.wait(bad, base_url=url, **FAST)
    with pytest.raises(bili_qr.ArgumentError):
        bili_qr.poll(123, base_url=url)  # type: ignore[arg-type]
    with pytest.raises(bili_qr.ArgumentError):
        bili_qr.cancel("bad ticket")
    assert server.requests_for(sc) == []  # nothing was sent


def test_slow_answer_is_timeout_error(base_url):
    started = time.monotonic()
    with pytest.raises(bili_qr.TimeoutError) as info:
        bili_qr.start(base_url=base_url(fault="slow", delay="30000"), timeout_ms=200)
    # the server answers after 30 s: a call that ignored timeout_ms would take that long; 10 s is far from it
    assert time.monotonic() - started < 10
    assert isinstance(info.value, builtins.TimeoutError)
    assert info.value.status == -3


def test_wait_timeout_is_timeout_error(base_url):
    # the ticket expires after 30 s: a wait that ignored wait_timeout_ms would raise ExpiredError then
    url = base_url(flow="w", expire="30000")
    qr = bili_qr.start(base_url=url)
    started = time.monotonic()
    with pytest.raises(builtins.TimeoutError):
        bili_qr.wait(qr.ticket, base_url=url, poll_interval_ms=200, wait_timeout_ms=1000)
    took = time.monotonic() - started
    assert took > 0.9  # not before the deadline (a slow machine only makes it later)
    assert took < 10  # far from the 30 s of the expiry


def _closed_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_closed_port_is_network_error():
    with pytest.raises(bili_qr.NetworkError) as info:
        bili_qr.start(base_url=f"http://127.0.0.1:{_closed_port()}", timeout_ms=3000)
    assert isinstance(info.value, ConnectionError) and isinstance(info.value, OSError)
    assert info.value.status == -2 and info.value.message
    assert str(info.value) == info.value.message  # not "[Errno -2] ..."


def test_network_error_ends_a_wait_after_retries():
    started = time.monotonic()
    with pytest.raises(bili_qr.NetworkError):
        bili_qr.wait("0123456789abcdef", base_url=f"http://127.0.0.1:{_closed_port()}", max_retries=1, **FAST)
    assert time.monotonic() - started < 10


def test_cancelled_error(base_url):
    import threading

    url = base_url(flow="w")
    qr = bili_qr.start(base_url=url)
    timer = threading.Timer(0.4, bili_qr.cancel, args=(qr.ticket,))
    timer.start()
    try:
        with pytest.raises(bili_qr.CancelledError) as info:
            bili_qr.wait(qr.ticket, base_url=url, **FAST)
    finally:
        timer.cancel()
    assert info.value.status == -7


def test_messages_never_hold_the_ticket(base_url):
    url = base_url(flow="w", fault="412", on="fetch")
    qr = bili_qr.start(base_url=url)
    with pytest.raises(bili_qr.HttpError) as info:
        bili_qr.poll(qr.ticket, base_url=url)
    assert qr.ticket[:7] not in info.value.message


def test_every_returned_string_is_freed(base_url, monkeypatch):
    freed = []
    real_free = _lib.lib.bili_qr_free

    def counting_free(ptr):
        value = ptr.value if hasattr(ptr, "value") else ptr
        freed.append(value)
        real_free(ptr)

    monkeypatch.setattr(_lib.lib, "bili_qr_free", counting_free)
    url = base_url(flow="sc")
    qr = bili_qr.start(base_url=url)
    assert len(freed) == 1 and freed[0]
    bili_qr.poll(qr.ticket, base_url=url)
    assert len(freed) == 2 and freed[1]
    bili_qr.render("hello")
    assert len(freed) == 3 and freed[2]
    login = bili_qr.wait(qr.ticket, base_url=url, **FAST)
    assert login.mid and len(freed) == 4 and freed[3]
    with pytest.raises(bili_qr.HttpError) as info:
        bili_qr.start(base_url=base_url(fault="404"))
    # on an error only the message is handed out (the _ex out_error), copied into the exception and freed
    assert len(freed) == 5 and freed[4]
    assert "404" in info.value.message


def test_callback_exception_propagates_and_stops_polling(server, scenario):
    sc = scenario(flow="w")
    url = server.url(sc)
    qr = bili_qr.start(base_url=url)

    class Boom(Exception):
        pass

    boom = Boom("stop now")
    calls = []

    def on_progress(result):
        calls.append(result.status)
        if len(calls) == 2:
            raise boom

    with pytest.raises(Boom) as info:
        bili_qr.wait(qr.ticket, on_progress, base_url=url, **FAST)
    assert info.value is boom
    assert calls == ["waiting", "waiting"]
    polls = len(server.requests_for(sc, "fetch"))
    assert polls == 2
    time.sleep(0.4)
    assert len(server.requests_for(sc, "fetch")) == polls


def test_callback_base_exception_propagates(base_url):
    url = base_url(flow="s")
    qr = bili_qr.start(base_url=url)

    class Stop(BaseException):
        pass

    def on_progress(result):
        raise Stop()

    with pytest.raises(Stop):
        bili_qr.wait(qr.ticket, on_progress, base_url=url, **FAST)
    # the library is fine afterwards, on this thread too
    assert bili_qr.poll(qr.ticket, base_url=url).status == "scanned"


def test_ctrl_c_cancels_a_wait_on_the_main_thread(server, scenario):
    import os
    import signal
    import threading

    if not hasattr(signal, "SIGINT") or threading.current_thread() is not threading.main_thread():
        pytest.skip("needs SIGINT and the main thread")
    before = signal.getsignal(signal.SIGINT)
    sc = scenario(flow="w")
    url = server.url(sc)
    qr = bili_qr.start(base_url=url)
    timer = threading.Timer(0.5, os.kill, args=(os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            # an interrupt that did not cancel the wait would leave it to end with a TimeoutError after 20 s
            bili_qr.wait(qr.ticket, base_url=url, poll_interval_ms=200, wait_timeout_ms=20000)
    finally:
        timer.cancel()
    # the interrupt is acted on at the next poll (200 ms later): 10 s is far from the 20 s of the alternative
    assert time.monotonic() - started < 10
    assert signal.getsignal(signal.SIGINT) is before  # the handler is restored
    polls = len(server.requests_for(sc, "fetch"))
    time.sleep(0.5)
    assert len(server.requests_for(sc, "fetch")) == polls
