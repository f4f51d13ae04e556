"""A process-local thread pool that shares large array work between the cores.

numpy releases the GIL inside each operation, so independent slices of one computation can
run on separate cores. Only a speed cache: results never depend on it (every element is
computed by the same operations whichever thread runs its slice).
"""

from __future__ import annotations

import functools
import os


def pool():
    """A thread pool with one worker per extra core (None on one core), created on first use
    in each process (a forked child does not inherit the parent's threads, so it gets its own)."""
    return _pool_for(os.getpid())


@functools.lru_cache(maxsize=1)
def _pool_for(pid):
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    if cores < 2:
        return None
    from concurrent.futures import ThreadPoolExecutor
    return ThreadPoolExecutor(max_workers=min(cores, 8) - 1, thread_name_prefix="steplab")


def run_split(fn, n: int):
    """Call ``fn(lo, hi)`` on contiguous parts of ``range(n)``, one per core, the first part in
    the calling thread; return when all are done. Serial on one core."""
    ex = pool()
    if ex is None:
        fn(0, n)
        return
    parts = ex._max_workers + 1
    step = -(-n // parts)
    futures = [ex.submit(fn, lo, min(lo + step, n)) for lo in range(step, n, step)]
    fn(0, min(step, n))
    for f in futures:
        f.result()
