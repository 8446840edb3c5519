"""What fresh memory costs on this machine: the time to write arrays of growing size, twice.

Writing memory a process has not touched before makes the kernel supply each page (a page
fault); on some virtual machines it also makes the host supply it. If that cost per GiB grows
with the amount, every program that holds more data pays more than proportionally, whatever
its code: that is what this script measures, with no pipeline at all. Each size is written
twice in a row (freed in between): the second pass shows what the same amount costs once
the process has had it.

How to run
----------
    .venv/bin/python benchmarks/fresh_memory.py [--gib 1,4,10]

Reports seconds, seconds per GiB and microseconds per page fault for each pass. Needs as much
free memory as the largest size.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from _common import machine_info, machine_line, markdown_table
from dedupe_news._runtime import batch_runtime


def touch(gib: float) -> tuple[float, float, int]:
    """Seconds (wall and system) and page faults to write ``gib`` GiB of fresh memory."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    block = np.empty(int(gib * 2**30) // 8, dtype=np.float64)
    block.fill(1.0)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    del block
    return seconds, after.ru_stime - before.ru_stime, after.ru_minflt - before.ru_minflt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--gib", default="1,4,10", help="sizes in GiB, comma-separated")
    args = parser.parse_args(argv)
    sizes = [float(size) for size in args.gib.split(",")]
    print(machine_line(machine_info()))
    rows = []
    # As in a dedupe_news run: NumPy's huge-page advice off, and freed memory kept by the
    # allocator, except blocks of 1 GiB or more (a smaller size's second pass reuses the first's).
    with batch_runtime():
        for gib in sizes:
            for attempt in ("first", "second"):
                seconds, system, faults = touch(gib)
                rows.append(
                    [
                        f"{gib:g}",
                        attempt,
                        f"{seconds:.2f}",
                        f"{seconds / gib:.2f}",
                        f"{system:.2f}",
                        f"{faults:,}",
                        f"{seconds / max(faults, 1) * 1e6:.1f}",
                    ]
                )
    header = ["GiB", "pass", "seconds", "s / GiB", "system s", "page faults", "µs / fault"]
    print(markdown_table(header, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
