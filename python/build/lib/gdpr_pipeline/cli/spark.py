"""`gdpr-pipeline spark-build`: dbt on Spark with the key in the Spark session."""

from __future__ import annotations

import typer

from gdpr_pipeline import keys
from gdpr_pipeline.cli._output import fail
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.engines import spark

CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True}


def spark_build(ctx: typer.Context) -> None:
    """Run dbt on Spark (target `spark` unless --target is given) with the key in the Spark
    session. Arguments are dbt's: `gdpr-pipeline spark-build build --vars '{...}'`."""
    paths = Paths.discover()
    try:
        code = spark.spark_build(
            ctx.args or ["build"], project_root=paths.root, key_file=paths.key_file
        )
    except (keys.KeyProblem, spark.SparkSetupProblem) as error:
        fail(str(error), 2)
    raise typer.Exit(code)
