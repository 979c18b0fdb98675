"""One OpenBLAS thread per process unless the caller chose otherwise (imported before numpy).

The matching engine scores blocks in a worker thread next to the main one; OpenBLAS's own
threads on top of those busy-wait against them (on a 2-core machine the 50k benchmark took
twice as long, the certificate's many small matrix products six times). The command line and
the engine package import this module first (it only takes effect if numpy is not imported
yet); `OPENBLAS_NUM_THREADS` set in the environment still wins.
"""

from __future__ import annotations

import ctypes
import os

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
