"""gdpr-pipeline: a thin command line over the package's modules. No logic lives here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gdpr_pipeline import keys
from gdpr_pipeline.core.paths import Paths

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
    from gdpr_pipeline.synth.generate import generate as run
    from gdpr_pipeline.synth.generate import summary_line

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


models_app = typer.Typer(no_args_is_help=True, help="Trained models and the data they used.")
app.add_typer(models_app, name="models")
erasure_app = typer.Typer(no_args_is_help=True, help="Record and verify erasure requests.")
app.add_typer(erasure_app, name="erasure")


@keys_app.command("rotate")
def keys_rotate(
    raw_dir: Annotated[str, typer.Option(help="Raw data directory for the build.")] = "data/raw",
    as_of: Annotated[str, typer.Option(help="Reference time of the build (UTC).")] = "",
) -> None:
    """Build every release with a new key; keep the current release until `keys cutover`."""
    from gdpr_pipeline.rotation import RotationError, rotate

    try:
        result = rotate(Paths.discover(), raw_dir=raw_dir, as_of=as_of or None)
    except (RotationError, keys.KeyProblem) as error:
        _fail(str(error), 2)
    made = "created" if result.created_next_key else "reused"
    typer.echo(
        f"Rotated: key id {result.previous_key_id} -> {result.next_key_id} "
        f"(next key {made}: {result.next_key_source}).\n"
        f"The release under the old key stays queryable at {result.previous_release} until "
        "`gdpr-pipeline keys cutover`."
    )


@keys_app.command("cutover")
def keys_cutover(
    keep_retired_key: Annotated[
        bool, typer.Option(help="Keep the old key as <key file>.retired-<key id>.")
    ] = False,
) -> None:
    """Finish a rotation: remove the previous release and make the new key the key."""
    from gdpr_pipeline.rotation import RotationError, cutover

    try:
        result = cutover(Paths.discover(), keep_retired_key=keep_retired_key)
    except (RotationError, keys.KeyProblem) as error:
        _fail(str(error), 2)
    typer.echo(
        f"Cut over to key id {result.key_id}; removed {result.removed_release}"
        + (f"; old key kept at {result.retired_key_file}" if result.retired_key_file else "")
        + "."
    )
    if result.models_under_previous_key:
        typer.echo(
            f"Models trained under key id {result.previous_key_id} (retrain them; their "
            f"withdrawals can no longer be checked): {', '.join(result.models_under_previous_key)}"
        )


@models_app.command("status")
def models_status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Each trained model, and whether its training subjects have withdrawn or been erased.

    Exit code 0: all current; 1: a model must be retrained; 2: a model cannot be checked."""
    import dataclasses
    import json

    from gdpr_pipeline import rights

    try:
        report = rights.models_status(Paths.discover())
    except rights.RightsError as error:
        _fail(str(error), 2)
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(report), indent=2))
    else:
        typer.echo(rights.render_status(report))
    raise typer.Exit(report.exit_code)


@app.command("subject-report")
def subject_report(subject_id: str) -> None:
    """Everything held about one subject, as one JSON document (GDPR Art. 15 and 20)."""
    import json

    from gdpr_pipeline import rights

    try:
        report = rights.subject_report(Paths.discover(), subject_id)
    except (rights.RightsError, keys.KeyProblem) as error:
        _fail(str(error))
    typer.echo(json.dumps(report, indent=2, ensure_ascii=False))


@erasure_app.command("request")
def erasure_request(
    subject_id: str,
    raw_dir: Annotated[Path, typer.Option(help="Raw data directory.")] = Path("data/raw"),
) -> None:
    """Append an erasure request to the raw erasure_requests file (demo; the source app owns it)."""
    from gdpr_pipeline import rights

    try:
        request_id = rights.request_erasure(raw_dir, subject_id)
    except rights.RightsError as error:
        _fail(str(error), 2)
    typer.echo(f"Erasure request {request_id} recorded; the next `dbt build` applies it.")


@erasure_app.command("verify")
def erasure_verify(subject_id: str) -> None:
    """Prove an erasure reached every relation and the file bytes; exit 1 when it did not."""
    import json

    from gdpr_pipeline import rights

    try:
        outcome = rights.verify_erasure(Paths.discover(), subject_id)
    except (rights.RightsError, keys.KeyProblem) as error:
        _fail(str(error), 2)
    typer.echo(json.dumps(outcome, indent=2))
    raise typer.Exit(0 if outcome["ok"] else 1)


@erasure_app.command("compact-vault")
def erasure_compact_vault() -> None:
    """Rewrite vault.duckdb so freed blocks keep no erased bytes (run when no build runs)."""
    from gdpr_pipeline import rights

    try:
        before, after = rights.compact_vault(Paths.discover())
    except rights.RightsError as error:
        _fail(str(error), 2)
    typer.echo(f"Vault rewritten: {before:,} -> {after:,} bytes.")


@app.command()
def train() -> None:
    """Train on the latest ml_training_set in analytics.duckdb and write the model card."""
    from gdpr_pipeline.ml.train import TrainingError
    from gdpr_pipeline.ml.train import train as run

    try:
        result = run(Paths.discover())
    except TrainingError as error:
        _fail(str(error))
    metrics = result.card["metrics"]
    typer.echo(
        f"Model {result.model_id}: ROC AUC {metrics['model']['roc_auc']} "
        f"(baseline {metrics['baseline']['roc_auc']}) -> {result.model_dir}"
    )


TargetOption = Annotated[
    str,
    typer.Option(
        help="The profiles.yml target whose build to read: duckdb (the vault), or a Spark "
        "target such as spark (its metastore, through a session started like spark-build's)."
    ),
]


@evidence_app.command("build")
def evidence_build(
    docs: Annotated[bool, typer.Option(help="Regenerate the dbt docs (offline).")] = True,
    target: TargetOption = "duckdb",
) -> None:
    """Write evidence/index.html and evidence.json for the latest run (earlier runs are kept);
    for a Spark target, evidence/spark/."""
    from gdpr_pipeline.engines.spark import SparkSetupProblem
    from gdpr_pipeline.evidence.collect import AuditTrailError, build
    from gdpr_pipeline.evidence.spark_facts import build_spark

    try:
        paths = Paths.discover()
        result = build(paths, docs=docs) if target == "duckdb" else build_spark(paths, target)
    except (AuditTrailError, SparkSetupProblem) as error:
        _fail(str(error))
    typer.echo(f"Evidence for invocation {result.invocation_id}: {result.html}")
    if result.verify and not result.verify.ok:
        _fail(result.verify.message)


@evidence_app.command("verify")
def evidence_verify(target: TargetOption = "duckdb") -> None:
    """Recompute the audit trail's hash chain; exit 1 naming the first broken record."""
    from gdpr_pipeline.engines.spark import SparkSetupProblem
    from gdpr_pipeline.evidence.collect import AuditTrailError, verify, verify_spark

    try:
        paths = Paths.discover()
        result = verify(paths) if target == "duckdb" else verify_spark(paths, target)
    except (AuditTrailError, SparkSetupProblem) as error:
        _fail(str(error), 2)
    if not result.ok:
        _fail(result.message)
    typer.echo(result.message)


@app.command(
    "spark-build",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def spark_build(ctx: typer.Context) -> None:
    """Run dbt on Spark (target `spark` unless --target is given) with the key in the Spark
    session. Arguments are dbt's: `gdpr-pipeline spark-build build --vars '{...}'`."""
    from gdpr_pipeline.engines.spark import SparkSetupProblem
    from gdpr_pipeline.engines.spark import spark_build as run

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
    from gdpr_pipeline.demo import run_demo

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
