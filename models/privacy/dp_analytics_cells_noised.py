"""The noise draws of the analytics release: append-only, one draw per closed month.

Each build appends a draw for every closed month that has none yet (and for the months named
in dp_renoise_periods); stored draws are never changed, so a published month stays as it was.
It reads the bounded cells of those months only.
The draws come from OpenDP's samplers (gdpr_pipeline.dp.mechanism), never from SQL. The model
is incremental with full_refresh: false, so `dbt build --full-refresh` keeps every draw.

One model for both engines. On DuckDB, dbt-duckdb runs it in the dbt process; on Spark,
spark-build runs it in the driver's SparkSession (submission_method: session,
gdpr_pipeline.engines.spark_python_models). `frames` converts between the engine's
relations and the pandas/Arrow frames the mechanism takes.
"""

from gdpr_pipeline.engines.python_models import preload

preload()  # before the imports below: one thread at a time (see the module)

from gdpr_pipeline.dp.mechanism import draws_for_build, month_range, periods_to_noise
from gdpr_pipeline.engines.python_models import frames


def model(dbt, session):
    engine = frames(session)
    # Two statements: dbt's parser does not find a dbt.ref() behind a subscript such as
    # `.iloc[0]`, and the model then fails at run time with KeyError on the ref.
    parameters_frame = engine.to_pandas(dbt.ref("int_dp_release_parameters"))
    parameters = parameters_frame.iloc[0].to_dict()
    previous = (
        engine.to_pandas(session.sql(f"select * from {dbt.this}"))
        if dbt.is_incremental
        else None
    )
    # Only the months this build noises are bounded: the bounded cells are a view, and the
    # range filter reaches its windows. A build after every closed month has its draw (the
    # usual rebuild) reads none.
    periods = periods_to_noise(parameters, previous)
    cells = (
        engine.to_pandas(
            dbt.ref("int_purchases_bounded_to_monthly_cells").filter(month_range(periods))
        )
        if periods
        else None
    )
    draws = draws_for_build(parameters, cells, previous)
    return engine.from_arrow(draws)
