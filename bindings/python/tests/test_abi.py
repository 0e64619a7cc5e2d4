"""The binding's generated copy of the contract (bili_qr/_abi.py, from abi/bili_qr.toml) against the library
actually loaded: every status has the library's phrase, every typed option is one the library knows (and
checks), and a key the binding does not type is one the library refuses. No network: options are checked
before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest

import bili_qr
from bili_qr import _abi

#: A value of the wrong JSON type for each of the contract's types.
WRONG = {"string": 5, "integer": "five", "bool": "yes"}


def test_every_status_has_the_librarys_phrase():
    for status in _abi.Status:
        assert bili_qr.status_str(status) == _abi.STATUS_PHRASES[status.value], status.name
    assert bili_qr.status_str(-99) == "unknown status"


def test_the_status_codes_are_the_packages_names():
    # _abi.py documents them as bili_qr.OK ...: the package exports Status and each code as a plain int
    for status in _abi.Status:
        assert getattr(bili_qr, status.name) == status.value and status.name in bili_qr.__all__
    assert bili_qr.Status is _abi.Status and "Status" in bili_qr.__all__
    assert bili_qr.CancelledError(bili_qr.ERR_CANCELLED, "x").status == bili_qr.Status.ERR_CANCELLED == -7


def test_every_typed_option_is_one_the_library_checks():
    assert set(_abi.OPTION_TYPES) == (
        set(_abi.Options.__annotations__)
        | set(_abi.PollOptions.__annotations__)
        | set(_abi.WaitOptions.__annotations__)
    )
    for key, kind in _abi.OPTION_TYPES.items():
        options: Any = {key: WRONG[kind]}
        with pytest.raises(bili_qr.ArgumentError) as e:
            bili_qr.start(**options)
        # the library names the key and says the type: so it knows the option (an unknown key says so)
        assert key in e.value.message and "unknown option" not in e.value.message, e.value.message


def test_a_key_the_binding_does_not_type_is_refused_by_the_library():
    options: Any = {"no_such_option": 1}
    with pytest.raises(bili_qr.ArgumentError, match="unknown option"):
        bili_qr.start(**options)


def test_the_abi_version_is_served():
    assert bili_qr.abi_version() >= _abi.ABI_VERSION
