"""The noise draws of the analytics release: append-only, one draw per closed month.

Each build appends a draw for every closed month that has none yet (and for the months named
in dp_renoise_periods); stored draws are never changed, so a published month stays as it was.
The draws come from OpenDP's samplers (gdpr_pipeline.dp.mechanism), never from SQL. The model
is incremental with full_refresh: false, so `dbt build --full-refresh` keeps every draw.

One model for both engines. On DuckDB, dbt-duckdb runs it in the dbt process; on Spark,
spark-build runs it in the driver's SparkSession (submission_method: session,
gdpr_pipeline.engines.spark_python_models). `frames` converts between the engine's
relations and the pandas/Arrow frames the mechanism takes.
"""

from gdpr_pipeline.engines.python_models import preload

preload()  # before the imports below: one thread at a time (see the module)

from gdpr_pipeline.dp.mechanism import draws_for_build
from gdpr_pipeline.engines.python_models import frames


def model(dbt, session):
    engine = frames(session)
    parameters = engine.to_pandas(dbt.ref("int_dp_release_parameters"))
    cells = engine.to_pandas(dbt.ref("int_purchases_bounded_to_monthly_cells"))
    previous = (
        engine.to_pandas(session.sql(f"select * from {dbt.this}"))
        if dbt.is_incremental
        else None
    )
    draws = draws_for_build(parameters.iloc[0].to_dict(), cells, previous)
    return engine.from_arrow(draws)
