"""`gdpr-pipeline train`: the model on the latest released training set."""

from __future__ import annotations

import typer

from gdpr_pipeline.cli._output import fail, working
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.ml import train as trainer


def train() -> None:
    """Train on the latest ml_training_set in analytics.duckdb and write the model card."""
    try:
        with working("Training on ml_training_set"):
            result = trainer.train(Paths.discover())
    except trainer.TrainingError as error:
        fail(str(error))
    metrics = result.card["metrics"]
    typer.echo(
        f"Model {result.model_id}: ROC AUC {metrics['model']['roc_auc']} "
        f"(baseline {metrics['baseline']['roc_auc']}) -> {result.model_dir}"
    )
