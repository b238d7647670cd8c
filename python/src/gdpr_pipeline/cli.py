"""gdpr-pipeline: a thin command line over the package's modules. No logic lives here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gdpr_pipeline import keys
from gdpr_pipeline.project import Paths

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
keys_app = typer.Typer(no_args_is_help=True, help="Create and rotate the pseudonymization key.")
app.add_typer(keys_app, name="keys")


def _fail(message: str, code: int = 1) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.command()
def generate(
    subjects: Annotated[int, typer.Option(min=1, help="Number of data subjects.")] = 1000,
    out: Annotated[Path, typer.Option(help="Directory for the four raw files.")] = Path("data/raw"),
    format: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same files.")] = 42,
) -> None:
    """Write deterministic synthetic raw data in the raw data contract."""
    from gdpr_pipeline.generate import generate as run
    from gdpr_pipeline.generate import summary_line

    try:
        summary = run(out, subjects, fmt=format, seed=seed)
    except ValueError as error:
        _fail(str(error), 2)
    typer.echo(summary_line(summary))


@keys_app.command("init")
def keys_init() -> None:
    """Create .secrets/pseudonym.key (random 256 bits, mode 600) if there is none."""
    paths = Paths.discover()
    created = keys.ensure_key_file(paths.key_file)
    key = keys.load_key(key_file=paths.key_file)
    state = "Created" if created else "Kept existing"
    typer.echo(f"{state} key file {paths.key_file} (key id {key.key_id}).")


@app.command()
def train() -> None:
    """Train on the latest ml_training_set in analytics.duckdb and write the model card."""
    from gdpr_pipeline.train import TrainingError
    from gdpr_pipeline.train import train as run

    try:
        result = run(Paths.discover())
    except TrainingError as error:
        _fail(str(error))
    metrics = result.card["metrics"]
    typer.echo(
        f"Model {result.model_id}: ROC AUC {metrics['model']['roc_auc']} "
        f"(baseline {metrics['baseline']['roc_auc']}) -> {result.model_dir}"
    )


@app.command(
    "spark-build",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def spark_build(ctx: typer.Context) -> None:
    """Run dbt on Spark (target `spark` unless --target is given) with the key in the Spark
    session. Arguments are dbt's: `gdpr-pipeline spark-build build --vars '{...}'`."""
    from gdpr_pipeline.spark_session import SparkSetupProblem
    from gdpr_pipeline.spark_session import spark_build as run

    paths = Paths.discover()
    try:
        code = run(ctx.args or ["build"], project_root=paths.root, key_file=paths.key_file)
    except (keys.KeyProblem, SparkSetupProblem) as error:
        _fail(str(error), 2)
    raise typer.Exit(code)


@app.command()
def demo(
    subjects: int = 1000,
    seed: int = 42,
    raw_dir: Path = Path("data/raw"),
    as_of: Annotated[str, typer.Option(help="Reference time of the build (UTC).")] = "",
) -> None:
    """What `make run` does: data, key, dbt build, training, evidence, summary."""
    from gdpr_pipeline.pipeline import run_demo

    code = run_demo(
        Paths.discover(),
        subjects=subjects,
        seed=seed,
        raw_dir=raw_dir,
        as_of=as_of,
        echo=typer.echo,
    )
    raise typer.Exit(code)


if __name__ == "__main__":
    app()
