"""The noise draws of the analytics release (DuckDB): append-only, one draw per closed month.

Each build appends a draw for every closed month that has none yet (and for the months named
in dp_renoise_periods); stored draws are never changed, so a published month stays as it was.
The draws come from OpenDP's samplers (gdpr_pipeline.dp.mechanism), never from SQL. The model
is incremental with full_refresh: false, so `dbt build --full-refresh` keeps every draw.
"""

from gdpr_pipeline.engines.python_models import preload

preload()  # before the imports below: one thread at a time (see the module)

from gdpr_pipeline.dp.mechanism import draws_for_build


def model(dbt, session):
    parameters = dbt.ref("int_dp_release_parameters")
    cells = dbt.ref("int_purchases_bounded_to_monthly_cells")
    previous = (
        session.sql(f"select * from {dbt.this}").df() if dbt.is_incremental else None
    )
    return draws_for_build(parameters.df().iloc[0].to_dict(), cells.df(), previous)
