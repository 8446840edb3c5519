"""Process-wide settings for the length of a batch run, restored after it.

All three only change how fast a run goes, never its result:

- Python's cyclic garbage collector is paused. The stages allocate millions of small objects
  (tokens, lists) and no reference cycles; the collector's full passes over that growing heap
  cost a quarter of a large run. Reading a batch (``read_articles``) pauses it too: a million
  articles' records took a tenth longer to read with it.
- NumPy stops advising the kernel to back new large arrays with transparent huge pages. Where
  the kernel compacts memory on such advice (``transparent_hugepage/defrag`` set to
  ``madvise``, common on virtual machines), a fresh array can stall while a 2 MB page is found,
  and a run allocates thousands of them: on the 2-core virtual machine of our benchmarks,
  100,000 articles took 52 s with the advice and 31 s without.
- glibc's ``malloc`` keeps freed memory in the process, and serves arrays of up to 1 GiB from
  it, instead of handing each large array back to the kernel when it is freed. A run frees and
  allocates arrays of hundreds of megabytes stage after stage; handed back, each is faulted in
  afresh, page by page, and on virtual machines whose host takes back the pages a guest frees
  (free page reporting, as on ours) a page fault costs from 2 µs to 70 µs. At a million
  articles (``cluster_file``) the page faults fell from 5.0 million to 1.8 million and the
  kernel's time from 24 s to 13 s. The price is that what a run frees stays resident until it
  ends: ``cluster(read_articles(...))`` of a million articles peaked at 12.7 GB instead of
  11.0 GB (and took 141 s instead of 168 s). When the last run ends, the memory is handed back
  (``malloc_trim``).

Runs may overlap (threads, Dask tasks): the first one in saves the settings and the last one
out restores them.

:func:`retained_memory` is the same allocator setting, held by an open
:class:`dedupe_news.StoryIndex` rather than by one run, with arrays of over 32 MiB handed back
as before. Each ``add`` allocates and frees the same few hundred megabytes of arrays: the
index took about 13,000 faults per call of 1,000 articles with glibc's defaults, and about
1,000 with memory kept. The price is resident memory: what a call freed stays resident (up to
1 GiB), and the index's peak is what it holds anyway. Where ``MALLOC_*`` variables or glibc
tunables set the allocator already, and off glibc, the allocator is left alone.
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
    """The garbage collector paused, NumPy's huge-page advice off and freed memory kept while a
    run lasts."""
    global _runs, _saved
    with _lock:
        _runs += 1
        if _runs == 1:
            _saved = (gc.isenabled(), _set_huge_pages(False))
            gc.disable()
            _update_allocator()
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
                _update_allocator()


# glibc's mallopt parameters, and the allocator's settings during a batch run, while an index
# is open and neither (glibc's documented defaults). Older glibc releases refuse an mmap
# threshold above 32 MiB: a run there keeps the arrays below it.
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_MMAP_THRESHOLD_MAX_OLD_GLIBC = 32 * 2**20
_BATCH = {_M_MMAP_THRESHOLD: 2**30, _M_TRIM_THRESHOLD: 2**31 - 1, _M_TOP_PAD: 64 * 2**20}
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


def _update_allocator() -> None:
    """Set the allocator for the runs and holders there are now (under ``_lock``): where there
    are neither, to glibc's defaults, handing the free memory back to the kernel."""
    libc = _glibc()
    if libc is None:
        return
    values = _BATCH if _runs else _RETAIN if _holders else _DEFAULTS
    for parameter, value in values.items():
        if not libc.mallopt(parameter, value) and parameter == _M_MMAP_THRESHOLD:
            libc.mallopt(parameter, min(value, _MMAP_THRESHOLD_MAX_OLD_GLIBC))
    if values is _DEFAULTS:
        libc.malloc_trim(0)


def retained_memory() -> Callable[[], None]:
    """Keep freed memory in the process until the returned function is called (once per
    holder; the last holder's call, or the end of the last run after it, restores glibc's
    defaults and hands the memory back)."""
    global _holders
    with _lock:
        _holders += 1
        if _holders == 1 and not _runs:  # else the last run sets it as it ends
            _update_allocator()
    released = False

    def release() -> None:
        global _holders
        nonlocal released
        with _lock:
            if released:
                return
            released = True
            _holders -= 1
            if _holders == 0 and not _runs:
                _update_allocator()

    return release
