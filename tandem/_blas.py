"""One OpenBLAS thread per process unless the caller chose otherwise (imported before numpy).

The matching engine scores blocks in a worker thread next to the main one; OpenBLAS's own
threads on top of those busy-wait against them (on a 2-core machine the 50k benchmark took
twice as long, the certificate's many small matrix products six times). The command line and
the engine package import this module first (it only takes effect if numpy is not imported
yet); `OPENBLAS_NUM_THREADS` set in the environment still wins.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
