"""What the project's dbt Python models share: their heavy libraries, imported once, in one thread.

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

`frames(session)` gives a model the conversions for the engine it runs on (a DuckDB
connection, or spark-build's SparkSession: engines/spark_python_models.py), so one model
file serves both.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

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


class _DuckDBFrames:
    """dbt-duckdb: relations have .df(); a model may return an Arrow table as it is."""

    @staticmethod
    def to_pandas(relation: Any) -> Any:
        return relation.df()

    @staticmethod
    def from_arrow(table: Any) -> Any:
        return table


class _SparkFrames:
    """Spark (spark-build's session): DataFrames are collected to the driver with toPandas();
    a model returns a Spark DataFrame built from the Arrow table with its own schema, so no
    column type is inferred from values."""

    def __init__(self, spark: Any) -> None:
        self.spark = spark

    @staticmethod
    def to_pandas(frame: Any) -> Any:
        return frame.toPandas()

    def from_arrow(self, table: Any) -> Any:
        return self.spark.createDataFrame(table)


def frames(session: Any) -> _DuckDBFrames | _SparkFrames:
    """The frame conversions for the session a Python model was handed."""
    if type(session).__module__.startswith("pyspark"):
        return _SparkFrames(session)
    return _DuckDBFrames()
