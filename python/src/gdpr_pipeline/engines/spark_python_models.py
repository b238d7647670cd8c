"""dbt Python models on Spark, run in spark-build's own SparkSession (the driver).

dbt-spark submits a Python model through a "submission helper" named by the model's
`submission_method`, and ships only Databricks ones (`all_purpose_cluster`, `job_cluster`):
with the `session` connection method a Python model has nowhere to run. spark-build runs dbt
in the driver's process, where the SparkSession is at hand, so it adds one helper, `session`:
it executes the model's compiled code (the model, dbt-spark's `dbtObj` and its write of the
result with `saveAsTable`) with `spark` bound to that session. The table and incremental
materializations, the `__dbt_tmp` table and the append into the target are dbt-spark's own,
so a Python model behaves as it would on Databricks.

That is how `dp_analytics_cells_noised` draws its OpenDP noise on Spark: in the driver, from
the same `gdpr_pipeline.dp.mechanism` as on DuckDB, never in SQL or on an executor. The
compiled code is the project's own Python, so executing it grants it nothing a model on
Databricks would not have.
"""

from __future__ import annotations

from typing import Any

SUBMISSION_METHOD = "session"
# The session the helper runs models in: spark-build's, set by register().
_session: list[Any] = []


def register(spark: Any) -> None:
    """Make `submission_method: session` run Python models in `spark` (idempotent)."""
    # dbt and dbt-spark load only on the Spark path (see engines/spark.py).
    from dbt.adapters.base import PythonJobHelper
    from dbt.adapters.spark.impl import SparkAdapter

    _session[:] = [spark]
    if getattr(SparkAdapter, "_gdpr_session_helper", False):
        return

    class SessionPythonJobHelper(PythonJobHelper):
        """Runs a compiled dbt-spark Python model in spark-build's SparkSession."""

        def __init__(self, parsed_model: dict, credentials: Any) -> None:  # noqa: ARG002 (dbt's signature)
            self.name = parsed_model.get("unique_id") or parsed_model.get("name", "model")

        def submit(self, compiled_code: str) -> None:
            # The compiled code refers to the session as the global `spark`, as in a notebook.
            code = compile(compiled_code, f"<dbt python model {self.name}>", "exec")
            # A module name of its own, so classes in the compiled code are named after it.
            exec(code, {"__name__": f"dbt_python_model_{self.name}", "spark": _session[0]})

    dbt_helpers = SparkAdapter.python_submission_helpers  # the property object
    SparkAdapter.python_submission_helpers = property(
        lambda adapter: {**dbt_helpers.fget(adapter), SUBMISSION_METHOD: SessionPythonJobHelper}
    )
    SparkAdapter._gdpr_session_helper = True
