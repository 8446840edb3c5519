"""Process-wide settings for the length of a batch run, restored after it.

Both only change how fast a run goes, never its result:

- Python's cyclic garbage collector is paused. The stages allocate millions of small objects
  (tokens, lists) and no reference cycles; the collector's full passes over that growing heap
  cost a quarter of a large run. Reading a batch (``read_articles``) pauses it too: a million
  articles' records took a tenth longer to read with it.
- NumPy stops advising the kernel to back new large arrays with transparent huge pages. Where
  the kernel compacts memory on such advice (``transparent_hugepage/defrag`` set to
  ``madvise``, common on virtual machines), a fresh array can stall while a 2 MB page is found,
  and a run allocates thousands of them: on the 2-core virtual machine of our benchmarks,
  100,000 articles took 52 s with the advice and 31 s without.

Runs may overlap (threads, Dask tasks): the first one in saves the settings and the last one
out restores them.

:func:`retained_memory` is the third such setting, held by an open
:class:`dedupe_news.StoryIndex` rather than by one run: glibc's ``malloc`` keeps freed memory
in the process instead of handing it back to the kernel at once. Each ``add`` allocates and
frees the same few hundred megabytes of arrays; handed back, they are faulted in afresh at the
next call, page by page. On the 2-core virtual machine of our benchmarks a page fault costs
from 2 µs to 70 µs (the host takes back pages the guest has freed): the index took about
13,000 faults per call of 1,000 articles with glibc's defaults, and about 1,000 with memory
kept. The price is resident memory: what a call freed stays resident (up to 1 GiB), and the
index's peak is what it holds anyway. Where ``MALLOC_*`` variables or glibc tunables set the
allocator already, and off glibc, nothing changes.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

try:  # NumPy 2
    from numpy._core import multiarray as _multiarray
except ImportError:  # pragma: no cover - NumPy 1
    from numpy.core import multiarray as _multiarray  # type: ignore[no-redef]

__all__ = ["batch_runtime", "retained_memory"]

_lock = threading.Lock()
_runs = 0
_saved: tuple[bool, bool | None] = (True, None)


def _set_huge_pages(enabled: bool) -> bool | None:
    """NumPy's huge-page advice on or off; the previous setting, or None where NumPy has no
    such switch."""
    setter = getattr(_multiarray, "_set_madvise_hugepage", None)
    return None if setter is None else bool(setter(enabled))


@contextmanager
def batch_runtime() -> Iterator[None]:
    """The garbage collector paused and NumPy's huge-page advice off while a run lasts."""
    global _runs, _saved
    with _lock:
        if _runs == 0:
            _saved = (gc.isenabled(), _set_huge_pages(False))
            gc.disable()
        _runs += 1
    try:
        yield
    finally:
        with _lock:
            _runs -= 1
            if _runs == 0:
                collector, huge_pages = _saved
                if collector:
                    gc.enable()
                if huge_pages is not None:
                    _set_huge_pages(huge_pages)


# glibc's mallopt parameters, and what retained_memory sets them to (the mmap threshold at its
# maximum, 32 MiB on 64-bit builds) or back to (glibc's documented defaults).
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_RETAIN = {_M_MMAP_THRESHOLD: 32 * 2**20, _M_TRIM_THRESHOLD: 2**30, _M_TOP_PAD: 64 * 2**20}
_DEFAULTS = dict.fromkeys(_RETAIN, 128 * 2**10)
_ALLOCATOR_SETTINGS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_THRESHOLD_")
_holders = 0


@functools.cache
def _glibc() -> Any:
    """The C library when it is glibc and the allocator is left to us; else None."""
    confstr = getattr(os, "confstr", None)
    try:
        version = confstr("CS_GNU_LIBC_VERSION") if confstr else None
    except (ValueError, OSError):
        version = None
    if not version or not version.startswith("glibc"):
        return None
    if any(name in os.environ for name in _ALLOCATOR_SETTINGS):
        return None
    if "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", ""):
        return None
    try:
        return ctypes.CDLL(None)
    except OSError:  # pragma: no cover - a static interpreter
        return None


def _set_allocator(values: dict[int, int], libc: Any) -> None:
    for parameter, value in values.items():
        libc.mallopt(parameter, value)


def retained_memory() -> Callable[[], None]:
    """Keep freed memory in the process until the returned function is called (once per
    holder; the last holder's call restores glibc's defaults and hands the memory back)."""
    global _holders
    libc = _glibc()
    if libc is None:
        return lambda: None
    with _lock:
        if _holders == 0:
            _set_allocator(_RETAIN, libc)
        _holders += 1
    released = False

    def release() -> None:
        global _holders
        nonlocal released
        with _lock:
            if released:
                return
            released = True
            _holders -= 1
            if _holders == 0:
                _set_allocator(_DEFAULTS, libc)
                libc.malloc_trim(0)

    return release
