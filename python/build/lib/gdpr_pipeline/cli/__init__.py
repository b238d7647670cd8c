"""gdpr-pipeline: a thin command line over the package's modules. No logic lives here.

One module per command group parses the arguments, calls the module that does the work and
prints what it returns; this one only assembles them into `app`, and `main` (the console
script) runs it: every expected error is one line on stderr with a non-zero exit, never a
traceback.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from gdpr_pipeline import keys as key_material
from gdpr_pipeline.cli import demo, evidence, generate, keys, models, rights, spark, train
from gdpr_pipeline.cli._help import EXIT_CODES, add_help, command_help
from gdpr_pipeline.core.paths import PROJECT_DIR_ENV, ProjectNotFound

ENVIRONMENT = """Environment:

  GDPR_PROJECT_DIR  the dbt project (as --project-dir; default: the nearest dbt_project.yml at or above the current directory)

  GDPR_WAREHOUSE_DIR  vault.duckdb and analytics.duckdb (default: <project>/warehouse)

  DBT_ENV_SECRET_PSEUDONYM_KEY  the pseudonymization key, >= 32 characters (else GDPR_KEY_FILE)

  GDPR_KEY_FILE  the key file (default: <project>/.secrets/pseudonym.key)

  GDPR_ARTIFACTS_DIR, GDPR_EVIDENCE_DIR  trained models and the evidence page (default: <project>/artifacts, <project>/evidence)

  DBT_TARGET_PATH  dbt's target directory (default: <project>/target)

  GDPR_SPARK_MASTER, GDPR_SPARK_SCHEMA, GDPR_SPARK_DRIVER_MEMORY  the Spark target (spark-build)

  GDPR_DUCKDB_MEMORY_LIMIT  DuckDB's memory limit for dbt (default 6GB)
"""

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help=__doc__.split("\n")[0],
    epilog=f"Example: gdpr-pipeline --project-dir ~/gdpr_pipeline demo\n\n{ENVIRONMENT}\n\n{EXIT_CODES}",
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gdpr-pipeline {version('gdpr-pipeline')}")
        raise typer.Exit()


@app.callback()
def main_options(
    project_dir: Annotated[
        Path | None,
        typer.Option(
            envvar=PROJECT_DIR_ENV,
            metavar="PATH",
            help="The dbt project (the directory holding dbt_project.yml).",
            show_envvar=True,
        ),
    ] = None,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Options of every command."""
    del show_version  # handled by its callback
    if project_dir is not None:
        os.environ[PROJECT_DIR_ENV] = str(project_dir)


app.command(**command_help("generate"))(generate.generate)
app.add_typer(keys.app, name="keys")
app.add_typer(evidence.app, name="evidence")
app.add_typer(models.app, name="models")
app.add_typer(rights.erasure_app, name="erasure")
app.command("subject-report", **command_help("subject-report"))(rights.subject_report)
app.command(**command_help("train"))(train.train)
app.command("spark-build", context_settings=spark.CONTEXT, **command_help("spark-build"))(
    spark.spark_build
)
app.command(**command_help("demo"))(demo.demo)
add_help(app)

# Errors every command may meet that are the user's to fix: one line, exit 2.
EXPECTED_ERRORS = (ProjectNotFound, key_material.KeyProblem, duckdb.IOException)


def main() -> None:
    """The console script: `app`, with every expected error as one line on stderr, exit 2."""
    try:
        app()
    except EXPECTED_ERRORS as error:
        line = " ".join(part.strip() for part in str(error).splitlines() if part.strip())
        typer.secho(line, fg=typer.colors.RED, err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
