"""Process tuning for the matching engine: one OpenBLAS thread per process unless the caller
chose otherwise (this module is imported before numpy), one malloc arena for the command line,
and the cyclic garbage collector paused while a problem is solved.

The matching engine scores blocks in a worker thread next to the main one; OpenBLAS's own
threads on top of those busy-wait against them (on a 2-core machine the 50k benchmark took
twice as long, the certificate's many small matrix products six times). The command line and
the engine package import this module first (it only takes effect if numpy is not imported
yet); `OPENBLAS_NUM_THREADS` set in the environment still wins.
"""

from __future__ import annotations

import ctypes
import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def one_malloc_arena() -> None:
    """Ask glibc for one malloc arena (command line only; a no-op where that is not glibc).

    The engine's worker thread would otherwise get its own arena, and the freed blocks kept in
    both raised the 50k benchmark's peak memory by about 45 MB (915 -> 960 MB, limit 1 GB).
    """
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(ctypes.c_int(_M_ARENA_MAX), ctypes.c_int(1))
    except (AttributeError, OSError):
        pass


_M_ARENA_MAX = -8  # glibc malloc.h


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off inside the block, and as it was after.

    The command line uses it: reading a large problem builds millions of small objects (the
    parsed JSON) and no reference cycles worth collecting, and the collector's passes over them
    are pure cost: a 50,000-person JSON load took 2.1 s with them and 0.66 s without. Reference
    counting still frees everything as before (the 50k peak stays about 920 MB). Solving an
    already parsed problem gains little (10k: 3.0-3.3 s either way), so a worker process, which
    gets its problem from the database, keeps its collector.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
