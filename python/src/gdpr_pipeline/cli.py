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
evidence_app = typer.Typer(
    no_args_is_help=True, help="Evidence for a DPO: the audit trail, its check, the evidence page."
)
app.add_typer(evidence_app, name="evidence")


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


@evidence_app.command("build")
def evidence_build(
    docs: Annotated[bool, typer.Option(help="Regenerate the dbt docs (offline).")] = True,
) -> None:
    """Write evidence/index.html and evidence.json for the latest run (earlier runs are kept)."""
    from gdpr_pipeline.evidence import AuditTrailError, build

    try:
        result = build(Paths.discover(), docs=docs)
    except AuditTrailError as error:
        _fail(str(error))
    typer.echo(f"Evidence for invocation {result.invocation_id}: {result.html}")
    if result.verify and not result.verify.ok:
        _fail(result.verify.message)


@evidence_app.command("verify")
def evidence_verify() -> None:
    """Recompute the audit trail's hash chain; exit 1 naming the first broken record."""
    from gdpr_pipeline.evidence import AuditTrailError, verify

    try:
        result = verify(Paths.discover())
    except AuditTrailError as error:
        _fail(str(error), 2)
    if not result.ok:
        _fail(result.message)
    typer.echo(result.message)


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
