"""Process-wide settings for the length of a batch run, restored after it.

Both only change how fast a run goes, never its result:

- Python's cyclic garbage collector is paused. The stages allocate millions of small objects
  (tokens, lists) and no reference cycles; the collector's full passes over that growing heap
  cost a quarter of a large run.
- NumPy stops advising the kernel to back new large arrays with transparent huge pages. Where
  the kernel compacts memory on such advice (``transparent_hugepage/defrag`` set to
  ``madvise``, common on virtual machines), a fresh array can stall while a 2 MB page is found,
  and a run allocates thousands of them: on the 2-core virtual machine of our benchmarks,
  100,000 articles took 52 s with the advice and 31 s without.

Runs may overlap (threads, Dask tasks): the first one in saves the settings and the last one
out restores them.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

try:  # NumPy 2
    from numpy._core import multiarray as _multiarray
except ImportError:  # pragma: no cover - NumPy 1
    from numpy.core import multiarray as _multiarray  # type: ignore[no-redef]

__all__ = ["batch_runtime"]

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
