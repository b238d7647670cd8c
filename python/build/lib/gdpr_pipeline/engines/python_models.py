"""What the dbt-duckdb Python models share: their heavy libraries, imported once, in one thread.

dbt runs two threads in one process. Two Python models that import scikit-learn, OpenDP and
anonymeter at the same time (all three pull in polars) can make Python's import-deadlock
avoidance hand one thread a partially initialised module: "partially initialized module
'polars' has no attribute 'DataFrame'". Each model calls `preload()` first; the lock makes the
first caller import everything while the others wait, and later calls return at once.
"""

from __future__ import annotations

import importlib
import threading

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
        _loaded = True
