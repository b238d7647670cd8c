"""Trains the purchase propensity model on the released training set.

It reads only the analytics database, opened read-only: never the vault, never the key. The
model card ties the model to the exact release it came from (view and version, dbt
invocation, as_of, key id, a fingerprint of the rows) and records which pseudonyms it was
trained on, so withdrawals and erasures can be traced to models (`gdpr-pipeline models status`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from gdpr_pipeline.core import registry as seeds
from gdpr_pipeline.core.dbt import upstream
from gdpr_pipeline.core.jsonenc import jsonable, timestamp
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.core.warehouse import open_analytics, rows, rows_if_present
from gdpr_pipeline.ml import registry
from gdpr_pipeline.ml.card import render_markdown

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline

# scikit-learn and skops are imported in the functions that fit and save a model, not here:
# together they take seconds to import, and every CLI command (keys, erasure, spark-build)
# imports this module through the CLI. No cycle is hidden this way: they are external.

VIEW = "ml_training_set"
LABEL = "has_purchase_next_90d"
# Columns that are never features: the pseudonym is a join key, key_id is bookkeeping, the
# label is what we predict.
NOT_FEATURES = {"subject_pseudonym", "key_id", LABEL}
PURPOSE = "model_training"
LIMITATIONS = [
    "Trained on synthetic demo data; metrics say nothing about real customers.",
    "Rows are pseudonymous, not anonymous: the vault and the key can re-identify them.",
    "Generalization suppresses subjects in rare combinations (see privacy); they are "
    "under-represented, so predictions for rare profiles are less reliable.",
    "Only subjects with standing consent are in the data, which can bias the population.",
    "The label covers one 90-day window; seasonality is not modelled.",
]


class TrainingError(RuntimeError):
    """The release cannot be trained on; the message says why."""


@dataclass(frozen=True)
class TrainResult:
    model_id: str
    model_dir: Path
    card: dict[str, Any]


@dataclass(frozen=True)
class Release:
    """What the trainer read from the analytics database: the rows and where they came from."""

    metadata: dict[str, Any]
    frame: pd.DataFrame
    privacy: dict[str, Any]
    utility: dict[str, Any]


@dataclass(frozen=True)
class Fitted:
    model: Pipeline
    categorical: list[str]
    numeric: list[str]
    metrics: dict[str, Any]


def _release_metadata(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    row = con.execute(
        "select release_name, version, dbt_invocation_id, dbt_version, cast(as_of as varchar), "
        "key_id, cast(published_at as varchar) from release_metadata "
        "where model_name = ? and version = latest_version",
        [VIEW],
    ).fetchone()
    if row is None:
        raise TrainingError(f"release_metadata names no latest version of {VIEW}.")
    keys = ["relation", "version", "dbt_invocation_id", "dbt_version", "as_of", "key_id"]
    return {**dict(zip(keys, row[:6], strict=True)), "published_at": row[6]}


def _privacy(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    found = rows(con, "select * from release_privacy_report where release_name = ?", [VIEW])
    return found[0] if found else {}


def _utility(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The vault's AUC of this model on the release and on the ungeneralized features of the
    same subjects (release_utility; the features themselves never leave the vault)."""
    found = rows_if_present(
        con,
        "release_utility",
        "select features, roc_auc, held_out_rows from release_utility where release_name = ?",
        [VIEW],
    )
    return {
        row["features"]: {"roc_auc": row["roc_auc"], "held_out_rows": row["held_out_rows"]}
        for row in found
    }


def read_release(paths: Paths) -> Release:
    """The latest released version of the training set, from analytics.duckdb (read-only)."""
    with open_analytics(paths, error=TrainingError) as con:
        metadata = _release_metadata(con)
        frame = con.execute(f"select * from {VIEW} order by subject_pseudonym").df()
        privacy = _privacy(con)
        utility = _utility(con)
    if len(frame) < 20 or frame[LABEL].nunique() < 2:
        raise TrainingError(f"{VIEW} has {len(frame)} rows; too few (or one class) to train on.")
    categorical, _ = _split_features(frame)
    # Categories as text, before the fingerprint: the card hashes exactly what was trained on.
    frame = frame.assign(**{column: frame[column].astype(str) for column in categorical})
    return Release(metadata, frame, privacy, utility)


def fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of the rows as canonical CSV, ordered by pseudonym: the same data, the same hash."""
    ordered = frame.sort_values("subject_pseudonym").reset_index(drop=True)
    buffer = io.StringIO()
    ordered.to_csv(buffer, index=False, lineterminator="\n")
    return hashlib.sha256(buffer.getvalue().encode()).hexdigest()


def _lawful_basis(paths: Paths) -> dict[str, str]:
    row = seeds.purpose(paths, PURPOSE)
    if row is None:
        raise TrainingError(f"Purpose {PURPOSE} is not in {paths.purposes_seed}.")
    return {"purpose": PURPOSE, "lawful_basis": row["lawful_basis"], **row}


def _lineage(paths: Paths, relation: str) -> list[dict[str, str]]:
    """The dbt nodes upstream of the release, in build order, from target/manifest.json."""
    manifest_file = paths.target / "manifest.json"
    if not manifest_file.exists():
        return []
    manifest = json.loads(manifest_file.read_text())
    nodes = {**manifest["nodes"], **manifest.get("sources", {})}
    start = next((uid for uid, n in manifest["nodes"].items() if n.get("alias") == relation), None)
    if start is None:
        return []
    steps = []
    for uid in upstream(manifest, start):
        node = nodes[uid]
        description = (node.get("description") or "").strip().split("\n")[0]
        steps.append(
            {"node": uid, "type": node["resource_type"], "name": node["name"], "does": description}
        )
    return steps


def _split_features(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    features = [c for c in frame.columns if c not in NOT_FEATURES]
    categorical = [
        c for c in features if frame[c].dtype == object or str(frame[c].dtype) in ("string", "str")
    ]
    numeric = [c for c in features if c not in categorical]
    return categorical, numeric


def build_model(categorical: list[str], *, seed: int = 42) -> Pipeline:
    """The propensity model: one-hot bands into a shallow gradient-boosted classifier. The vault's
    utility measurement (int_ml_training_utility) fits this same model on exact features."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    encode = ColumnTransformer(
        [("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)],
        remainder="passthrough",
    )
    classify = HistGradientBoostingClassifier(
        # Shallow and regularized: the demo release has a few hundred rows.
        max_iter=60,
        learning_rate=0.05,
        max_depth=3,
        min_samples_leaf=20,
        random_state=seed,
    )
    return Pipeline([("encode", encode), ("classify", classify)])


def _scores(classifier: Any, x: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, roc_auc_score

    return {
        "roc_auc": round(float(roc_auc_score(y, classifier.predict_proba(x)[:, 1])), 4),
        "accuracy": round(float(accuracy_score(y, classifier.predict(x))), 4),
    }


def fit(frame: pd.DataFrame, *, seed: int, test_size: float) -> Fitted:
    """The model fitted on a stratified split, scored on the held-out part against a baseline."""
    from sklearn.dummy import DummyClassifier
    from sklearn.model_selection import train_test_split

    categorical, numeric = _split_features(frame)
    x, y = frame[categorical + numeric], frame[LABEL].astype(int)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=y
    )
    model = build_model(categorical, seed=seed).fit(x_train, y_train)
    baseline = DummyClassifier(strategy="prior").fit(x_train, y_train)
    metrics = {
        "held_out_rows": len(x_test),
        "training_rows": len(x_train),
        "positive_rate": round(float(y.mean()), 4),
        "model": _scores(model, x_test, y_test),
        "baseline": {
            "name": "always predict the training prior (DummyClassifier, strategy=prior)",
            **_scores(baseline, x_test, y_test),
        },
    }
    return Fitted(model, categorical, numeric, metrics)


def held_out_auc(
    frame: pd.DataFrame, *, seed: int = 42, test_size: float = 0.25
) -> tuple[float, int]:
    """ROC AUC of build_model on a stratified held-out split of `frame` (features and LABEL),
    and the number of held-out rows: the trainer's own protocol, for the vault to reuse."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    categorical, numeric = _split_features(frame)
    x = frame[categorical + numeric].copy()
    for column in categorical:
        x[column] = x[column].astype(str)
    y = frame[LABEL].astype(int)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=y
    )
    model = build_model(categorical, seed=seed).fit(x_train, y_train)
    return float(roc_auc_score(y_test, model.predict_proba(x_test)[:, 1])), len(x_test)


def model_card(
    paths: Paths,
    release: Release,
    fitted: Fitted,
    *,
    model_id: str,
    created: dt.datetime,
    data_fingerprint: str,
) -> dict[str, Any]:
    """The model card: what was trained, on exactly which release, for which purpose."""
    pseudonyms = list(release.frame["subject_pseudonym"])
    card = {
        "model_id": model_id,
        "created_at": timestamp(created),
        "task": "binary classification: a purchase in the 90 days before as_of",
        "algorithm": "HistGradientBoostingClassifier on one-hot bands and counts",
        "features": {"categorical": fitted.categorical, "numeric": fitted.numeric},
        "label": LABEL,
        "provenance": {
            "database": str(paths.analytics_db),
            "view": VIEW,
            **release.metadata,
            "rows": len(release.frame),
            "data_fingerprint_sha256": data_fingerprint,
            "training_subjects": len(pseudonyms),
            "training_pseudonyms_sha256": registry.pseudonym_digest(pseudonyms),
            "pseudonym_domain": PURPOSE,
        },
        "purpose": _lawful_basis(paths),
        "privacy": release.privacy,
        "preparation_steps": _lineage(paths, release.metadata["relation"]),
        "metrics": {
            **fitted.metrics,
            # Measured in the vault at build time: the same model on the release's bands and on
            # the exact (ungeneralized) features of the same subjects, which are never published.
            "generalization_cost": release.utility,
        },
        "limitations": LIMITATIONS,
    }
    return jsonable(card)


def train(paths: Paths, *, seed: int = 42, test_size: float = 0.25) -> TrainResult:
    """Train on the latest released version and record the model, its card and its pseudonyms."""
    import skops.io as sio  # see the note at the top of the module

    release = read_release(paths)
    fitted = fit(release.frame, seed=seed, test_size=test_size)
    created = dt.datetime.now(dt.UTC).replace(microsecond=0)
    data_fingerprint = fingerprint(release.frame)
    model_id = f"{created:%Y%m%dT%H%M%SZ}-{data_fingerprint[:8]}"
    card = model_card(
        paths,
        release,
        fitted,
        model_id=model_id,
        created=created,
        data_fingerprint=data_fingerprint,
    )
    model_dir = registry.model_dir(paths, model_id)
    sio.dump(fitted.model, model_dir / "model.skops")
    (model_dir / "model_card.md").write_text(render_markdown(card))
    registry.write_model(model_dir, card, list(release.frame["subject_pseudonym"]))
    return TrainResult(model_id=model_id, model_dir=model_dir, card=card)
