"""Process settings an open index holds: glibc's allocator keeps freed memory until the last
holder lets go."""

from __future__ import annotations

import gc

import pytest

from dedupe_news import StoryIndex, _runtime
from dedupe_news._runtime import retained_memory


class _FakeLibc:
    """Records the allocator calls instead of making them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def mallopt(self, parameter: int, value: int) -> int:
        self.calls.append(("mallopt", parameter, value))
        return 1

    def malloc_trim(self, pad: int) -> int:
        self.calls.append(("malloc_trim", pad, 0))
        return 1


@pytest.fixture
def libc(monkeypatch: pytest.MonkeyPatch) -> _FakeLibc:
    fake = _FakeLibc()
    monkeypatch.setattr(_runtime, "_glibc", lambda: fake)
    return fake


def _settings(values: dict[int, int]) -> list[tuple[str, int, int]]:
    return [("mallopt", parameter, value) for parameter, value in values.items()]


def test_memory_is_kept_until_the_last_holder_lets_go(libc: _FakeLibc) -> None:
    first, second = retained_memory(), retained_memory()
    assert libc.calls == _settings(_runtime._RETAIN)  # set once, by the first holder
    first()
    first()  # letting go twice counts once
    assert libc.calls == _settings(_runtime._RETAIN)
    second()
    assert libc.calls == [
        *_settings(_runtime._RETAIN),
        *_settings(_runtime._DEFAULTS),
        ("malloc_trim", 0, 0),
    ]


def test_an_open_index_holds_the_setting_until_closed_or_collected(libc: _FakeLibc) -> None:
    restored = [*_settings(_runtime._RETAIN), *_settings(_runtime._DEFAULTS), ("malloc_trim", 0, 0)]
    index = StoryIndex()
    index.add(["A short wire story about a harbour strike and the talks that ended it."])
    assert libc.calls == _settings(_runtime._RETAIN)
    index.close()
    assert libc.calls == restored
    libc.calls.clear()
    StoryIndex()  # never closed: collected
    gc.collect()
    assert libc.calls == restored


@pytest.mark.parametrize(
    "variable",
    [("MALLOC_TRIM_THRESHOLD_", "1000000"), ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1")],
)
def test_an_allocator_configured_by_the_user_is_left_alone(
    monkeypatch: pytest.MonkeyPatch, variable: tuple[str, str]
) -> None:
    monkeypatch.setenv(*variable)
    assert _runtime._glibc.__wrapped__() is None
