"""What the dbt-duckdb Python models share: their heavy libraries, imported once, in one thread.

dbt runs two threads in one process. Two Python models that import scikit-learn, OpenDP and
anonymeter at the same time (all three pull in polars) can make Python's import-deadlock
avoidance hand one thread a partially initialised module: "partially initialized module
'polars' has no attribute 'DataFrame'". Each model calls `preload()` first; the lock makes the
first caller import everything while the others wait, and later calls return at once.

It also caps the native thread pools (OpenMP, BLAS) of those libraries at one thread. dbt's
two threads and DuckDB's own already fill the machine's cores; an OpenMP pool on top makes
its idle workers spin for a core that another thread holds. Measured at 1M subjects on two
cores: the utility model's two scikit-learn fits took 38 CPU-seconds with the default pool
and 1.0 with one thread, with the same AUCs to the last digit (docs/benchmarks.md); the
release comparison there covers release_utility.
"""

from __future__ import annotations

import importlib
import threading

import threadpoolctl

HEAVY_MODULES = (
    "polars",
    "pandas",
    "sklearn.ensemble",
    "sklearn.metrics",
    "sklearn.model_selection",
    "sklearn.preprocessing",
    "sklearn.compose",
    "sklearn.pipeline",
    "opendp.prelude",
    "anonymeter.evaluators",
)

_lock = threading.Lock()
_loaded = False


def preload() -> None:
    """Import every heavy library of the Python models, once per process, under one lock."""
    global _loaded
    with _lock:
        if _loaded:
            return
        for name in HEAVY_MODULES:
            importlib.import_module(name)
        # Kept for the life of the process (the Python models run in dbt's process).
        threadpoolctl.threadpool_limits(limits=1)
        _loaded = True
