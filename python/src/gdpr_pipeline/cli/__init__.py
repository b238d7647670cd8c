"""gdpr-pipeline: a thin command line over the package's modules. No logic lives here.

One module per command group parses the arguments, calls the module that does the work and
prints what it returns; this one only assembles them into `app` (the console script).
"""

from __future__ import annotations

import typer

from gdpr_pipeline.cli import demo, evidence, generate, keys, models, rights, spark, train

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__.split("\n")[0])
app.command()(generate.generate)
app.add_typer(keys.app, name="keys")
app.add_typer(evidence.app, name="evidence")
app.add_typer(models.app, name="models")
app.add_typer(rights.erasure_app, name="erasure")
app.command("subject-report")(rights.subject_report)
app.command()(train.train)
app.command("spark-build", context_settings=spark.CONTEXT)(spark.spark_build)
app.command()(demo.demo)

if __name__ == "__main__":
    app()
