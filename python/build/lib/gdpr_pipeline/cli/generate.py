"""`gdpr-pipeline generate`: synthetic raw data in the raw data contract."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gdpr_pipeline.cli._output import fail
from gdpr_pipeline.synth import generate as synth


def generate(
    subjects: Annotated[
        int, typer.Option(min=1, metavar="INT", help="Number of data subjects.")
    ] = 1000,
    out: Annotated[
        Path, typer.Option(metavar="PATH", help="Directory for the four raw files.")
    ] = Path("data/raw"),
    format: Annotated[
        str, typer.Option("--format", metavar="TEXT", help="csv or parquet.")
    ] = "csv",
    seed: Annotated[
        int, typer.Option(metavar="INT", help="Random seed; same seed, same files.")
    ] = 42,
) -> None:
    """Write deterministic synthetic raw data in the raw data contract."""
    try:
        summary = synth.generate(out, subjects, fmt=format, seed=seed)
    except ValueError as error:
        fail(str(error), 2)
    typer.echo(synth.summary_line(summary))
