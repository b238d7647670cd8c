"""`gdpr-pipeline demo`: what `make run` does."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gdpr_pipeline import demo as steps
from gdpr_pipeline.core.paths import Paths


def demo(
    subjects: Annotated[int, typer.Option(metavar="INT", help="Number of data subjects.")] = 1000,
    seed: Annotated[int, typer.Option(metavar="INT", help="Random seed of the data.")] = 42,
    raw_dir: Annotated[
        Path, typer.Option(metavar="PATH", help="Where the raw files are written.")
    ] = Path("data/raw"),
    as_of: Annotated[
        str, typer.Option(metavar="TEXT", help="Reference time of the build (UTC).")
    ] = "",
) -> None:
    """What `make run` does: data, key, dbt build, training, evidence, summary."""
    code = steps.run_demo(
        Paths.discover(),
        subjects=subjects,
        seed=seed,
        raw_dir=raw_dir,
        as_of=as_of,
        echo=typer.echo,
    )
    raise typer.Exit(code)
