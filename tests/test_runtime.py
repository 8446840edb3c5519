"""Process settings a batch run and an open index hold: glibc's allocator keeps freed memory
until the last run ends and the last holder lets go."""

from __future__ import annotations

import gc

import pytest

from dedupe_news import StoryIndex, _runtime
from dedupe_news._runtime import batch_runtime, retained_memory


class _FakeLibc:
    """Holds the allocator's settings instead of setting them; refuses an mmap threshold above
    ``max_mmap_threshold``, as older glibc releases do above 32 MiB."""

    def __init__(self, max_mmap_threshold: int = 2**62) -> None:
        self.values = dict(_runtime._DEFAULTS)
        self.trims = 0
        self.max_mmap_threshold = max_mmap_threshold

    def mallopt(self, parameter: int, value: int) -> int:
        if parameter == _runtime._M_MMAP_THRESHOLD and value > self.max_mmap_threshold:
            return 0
        self.values[parameter] = value
        return 1

    def malloc_trim(self, pad: int) -> int:
        self.trims += 1
        return 1


@pytest.fixture
def libc(monkeypatch: pytest.MonkeyPatch) -> _FakeLibc:
    fake = _FakeLibc()
    monkeypatch.setattr(_runtime, "_glibc", lambda: fake)
    return fake


def test_memory_is_kept_until_the_last_holder_lets_go(libc: _FakeLibc) -> None:
    first, second = retained_memory(), retained_memory()
    assert libc.values == _runtime._RETAIN
    first()
    first()  # letting go twice counts once
    assert (libc.values, libc.trims) == (_runtime._RETAIN, 0)
    second()
    assert (libc.values, libc.trims) == (_runtime._DEFAULTS, 1)  # and the memory handed back


def test_a_run_keeps_memory_until_the_last_run_ends(libc: _FakeLibc) -> None:
    with batch_runtime():
        assert libc.values == _runtime._BATCH
        with batch_runtime():
            assert libc.values == _runtime._BATCH
        assert (libc.values, libc.trims) == (_runtime._BATCH, 0)
    assert (libc.values, libc.trims) == (_runtime._DEFAULTS, 1)


def test_a_run_ends_with_the_setting_of_an_open_index(libc: _FakeLibc) -> None:
    release = retained_memory()
    with batch_runtime():
        assert libc.values == _runtime._BATCH
        during = retained_memory()  # an index opened during the run
    assert (libc.values, libc.trims) == (_runtime._RETAIN, 0)
    release()
    during()
    assert (libc.values, libc.trims) == (_runtime._DEFAULTS, 1)


def test_where_glibc_refuses_a_large_mmap_threshold_a_run_keeps_the_largest_it_takes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = _FakeLibc(max_mmap_threshold=32 * 2**20)
    monkeypatch.setattr(_runtime, "_glibc", lambda: old)
    with batch_runtime():
        assert old.values == _runtime._BATCH | {_runtime._M_MMAP_THRESHOLD: 32 * 2**20}
    assert old.values == _runtime._DEFAULTS


def test_an_open_index_holds_the_setting_until_closed_or_collected(libc: _FakeLibc) -> None:
    index = StoryIndex()
    index.add(["A short wire story about a harbour strike and the talks that ended it."])
    assert (libc.values, libc.trims) == (_runtime._RETAIN, 0)
    index.close()
    assert (libc.values, libc.trims) == (_runtime._DEFAULTS, 1)
    StoryIndex()  # never closed: collected
    gc.collect()
    assert (libc.values, libc.trims) == (_runtime._DEFAULTS, 2)


@pytest.mark.parametrize(
    "variable",
    [("MALLOC_TRIM_THRESHOLD_", "1000000"), ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1")],
)
def test_an_allocator_configured_by_the_user_is_left_alone(
    monkeypatch: pytest.MonkeyPatch, variable: tuple[str, str]
) -> None:
    monkeypatch.setenv(*variable)
    assert _runtime._glibc.__wrapped__() is None
