"""`gdpr-pipeline models status`: trained models against the current release."""

from __future__ import annotations

from typing import Annotated

import typer

from gdpr_pipeline import rights
from gdpr_pipeline.cli._output import echo_json, fail
from gdpr_pipeline.core.paths import Paths

app = typer.Typer(no_args_is_help=True, help="Trained models and the data they used.")


@app.command("status")
def models_status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Each trained model, and whether its training subjects have withdrawn or been erased.

    Exit code 0: all current; 1: a model must be retrained; 2: a model cannot be checked."""
    try:
        report = rights.models_status(Paths.discover())
    except rights.RightsError as error:
        fail(str(error), 2)
    if as_json:
        echo_json(report)
    else:
        typer.echo(rights.render_status(report))
    raise typer.Exit(report.exit_code)
