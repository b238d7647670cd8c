"""The demo run behind `make run`: data, key, dbt build, training, evidence, and a summary."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gdpr_pipeline import keys
from gdpr_pipeline.core.dbt import RunSummary, read_run_results, run_dbt
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.core.raw_files import raw_row_counts
from gdpr_pipeline.core.warehouse import open_analytics, rows
from gdpr_pipeline.evidence.collect import build as build_evidence
from gdpr_pipeline.ml.train import TrainingError, train
from gdpr_pipeline.synth.generate import generate, summary_line

# dbt's resource types by the names this project prints everywhere (the demo, the page).
RESOURCE_NAMES = {"test": "data tests", "unit_test": "unit tests"}


@dataclass(frozen=True)
class KeyStatus:
    source: str
    created: bool


def ensure_key(paths: Paths) -> KeyStatus:
    """Use $DBT_ENV_SECRET_PSEUDONYM_KEY if set; otherwise create (once) and use the key file."""
    if os.environ.get(keys.ENV_VAR):
        keys.load_key(key_file=None)  # validates length now, not halfway through a build
        return KeyStatus(source=f"${keys.ENV_VAR}", created=False)
    created = keys.ensure_key_file(paths.key_file)
    keys.load_key(key_file=paths.key_file)
    return KeyStatus(source=str(paths.key_file.relative_to(paths.root)), created=created)


def build(
    paths: Paths, *, raw_dir: str, as_of: str | None, extra_args: list[str] | None = None
) -> RunSummary:
    dbt_vars: dict[str, Any] = {"raw_dir": raw_dir}
    if as_of:
        dbt_vars["as_of"] = as_of
    completed = run_dbt(paths, ["build", *(extra_args or [])], dbt_vars=dbt_vars)
    return read_run_results(paths, completed.returncode)


def funnel(paths: Paths) -> list[dict[str, Any]]:
    """The release funnel as published in the analytics database."""
    with open_analytics(paths) as con:
        return rows(con, "select * from release_funnel order by purpose")


def run_demo(
    paths: Paths,
    *,
    subjects: int,
    seed: int,
    raw_dir: Path,
    as_of: str,
    echo: Any = print,
) -> int:
    """Every step of `make run`, printing what each one did. Returns the exit code."""

    raw_path = raw_dir if raw_dir.is_absolute() else paths.root / raw_dir
    echo(f"[1/5] Demo data: {summary_line(generate(raw_path, subjects, seed=seed))}")

    key = ensure_key(paths)
    if key.created:
        echo(
            f"[2/5] Key: no ${keys.ENV_VAR} set, so created a random 256-bit key in {key.source} (mode 600, git-ignored) and using it."
        )
    else:
        echo(f"[2/5] Key: using the pseudonymization key from {key.source}.")

    echo(f"[3/5] dbt build (raw_dir={raw_dir}, as_of={as_of or 'now'}) ...")
    run = build(paths, raw_dir=str(raw_dir), as_of=as_of or None)
    if not run.ok:
        echo("dbt build failed: nothing was published. See the output above and logs/dbt.log.")
        return 1

    echo("[4/5] Training on the released view ...")
    try:
        model = train(paths)
    except TrainingError as error:
        echo(f"Training failed: {error}")
        return 1

    echo("[5/5] Evidence ...")
    evidence_path = build_evidence(paths).html

    raw_counts = raw_row_counts(raw_path)
    stages = {row["purpose"]: row for row in funnel(paths)}
    training = stages["model_training"]
    metrics = model.card["metrics"]
    echo("")
    echo("Summary")
    echo(
        f"  rows, model_training: raw {raw_counts['subjects']:,} subjects"
        f" -> consented {training['eligible_subjects']:,}"
        f" -> minimized {training['minimized_subjects']:,}"
        f" -> released {training['released_subjects']:,}"
        f"  (erasure requests {training['erasure_requests']:,};"
        f" {raw_counts['consent_events']:,} consent events, {raw_counts['purchases']:,} purchases)"
    )
    echo(f"  dbt: {_node_counts(run)}")
    echo(
        f"  model: ROC AUC {metrics['model']['roc_auc']} vs baseline {metrics['baseline']['roc_auc']};"
        f" accuracy {metrics['model']['accuracy']} vs {metrics['baseline']['accuracy']}"
        f" on {metrics['held_out_rows']} held-out rows"
    )
    echo(f"  model and card: {model.model_dir}")
    echo(f"  analytics database (no identifiers, no key needed): {paths.analytics_db}")
    if evidence_path:
        echo(f"  evidence page: {evidence_path}")
    return 0


def _node_counts(run: RunSummary) -> str:
    """What dbt ran, by the names dbt and the evidence page use: data tests, unit tests, models,
    and nodes for them all (dbt's TOTAL)."""

    def outcome(resource_type: str) -> str:
        statuses = run.statuses.get(resource_type, {})
        failed = sum(statuses.get(s, 0) for s in ("fail", "error", "runtime error"))
        return (
            f"{sum(statuses.values())} {RESOURCE_NAMES[resource_type]} ({statuses.get('pass', 0)}"
            f" passed, {statuses.get('warn', 0)} warned, {failed} failed)"
        )

    nodes = sum(sum(statuses.values()) for statuses in run.statuses.values())
    return (
        f"{outcome('test')}, {outcome('unit_test')};"
        f" {run.count('model', 'success')} models built; {nodes} nodes in all"
    )
