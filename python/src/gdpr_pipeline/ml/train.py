"""Trains the purchase propensity model on the released training set.

It reads only the analytics database, opened read-only: never the vault, never the key. The
model card ties the model to the exact release it came from (view and version, dbt
invocation, as_of, key id, a fingerprint of the rows) and records which pseudonyms it was
trained on, so withdrawals and erasures can be traced to models (`gdpr-pipeline models status`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from gdpr_pipeline.core.dbt import upstream
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.ml.card import render_markdown

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


def _privacy(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, Any]:
    cursor = con.execute("select * from release_privacy_report where release_name = ?", [VIEW])
    row = cursor.fetchone()
    names = [d[0] for d in cursor.description]
    return dict(zip(names, row, strict=True)) if row else {}


def fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of the rows as canonical CSV, ordered by pseudonym: the same data, the same hash."""
    ordered = frame.sort_values("subject_pseudonym").reset_index(drop=True)
    buffer = io.StringIO()
    ordered.to_csv(buffer, index=False, lineterminator="\n")
    return hashlib.sha256(buffer.getvalue().encode()).hexdigest()


def pseudonym_digest(pseudonyms: list[str]) -> str:
    """SHA-256 over the sorted pseudonyms, one per line: verifiable against the stored list."""
    return hashlib.sha256("".join(p + "\n" for p in sorted(pseudonyms)).encode()).hexdigest()


def _lawful_basis(paths: Paths) -> dict[str, str]:
    with paths.purposes_seed.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["purpose"] == PURPOSE:
                return {"purpose": PURPOSE, "lawful_basis": row["lawful_basis"], **row}
    raise TrainingError(f"Purpose {PURPOSE} is not in {paths.purposes_seed}.")


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


def train(paths: Paths, *, seed: int = 42, test_size: float = 0.25) -> TrainResult:
    """Train on the latest released version and write the model, its card and its pseudonyms."""
    if not paths.analytics_db.exists():
        raise TrainingError(
            f"{paths.analytics_db} does not exist: run `dbt build` (or `make run`) first."
        )
    with duckdb.connect(str(paths.analytics_db), read_only=True) as con:
        release = _release_metadata(con)
        frame = con.execute(f"select * from {VIEW} order by subject_pseudonym").df()
        privacy = _privacy(con, release["relation"])
    if len(frame) < 20 or frame[LABEL].nunique() < 2:
        raise TrainingError(f"{VIEW} has {len(frame)} rows; too few (or one class) to train on.")

    categorical, numeric = _split_features(frame)
    for column in categorical:
        frame[column] = frame[column].astype(str)
    x, y = frame[categorical + numeric], frame[LABEL].astype(int)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=y
    )
    model = Pipeline(
        [
            (
                "encode",
                ColumnTransformer(
                    [
                        (
                            "categories",
                            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                            categorical,
                        )
                    ],
                    remainder="passthrough",
                ),
            ),
            (
                "classify",
                HistGradientBoostingClassifier(
                    # Shallow and regularized: the demo release has a few hundred rows.
                    max_iter=60,
                    learning_rate=0.05,
                    max_depth=3,
                    min_samples_leaf=20,
                    random_state=seed,
                ),
            ),
        ]
    )
    model.fit(x_train, y_train)
    baseline = DummyClassifier(strategy="prior").fit(x_train, y_train)
    scores = model.predict_proba(x_test)[:, 1]
    metrics = {
        "held_out_rows": len(x_test),
        "training_rows": len(x_train),
        "positive_rate": round(float(y.mean()), 4),
        "model": {
            "roc_auc": round(float(roc_auc_score(y_test, scores)), 4),
            "accuracy": round(float(accuracy_score(y_test, model.predict(x_test))), 4),
        },
        "baseline": {
            "name": "always predict the training prior (DummyClassifier, strategy=prior)",
            "roc_auc": round(float(roc_auc_score(y_test, baseline.predict_proba(x_test)[:, 1])), 4),
            "accuracy": round(float(accuracy_score(y_test, baseline.predict(x_test))), 4),
        },
    }

    pseudonyms = sorted(frame["subject_pseudonym"])
    created = dt.datetime.now(dt.UTC).replace(microsecond=0)
    data_fingerprint = fingerprint(frame)
    model_id = f"{created:%Y%m%dT%H%M%SZ}-{data_fingerprint[:8]}"
    model_dir = paths.models / model_id
    model_dir.mkdir(parents=True, exist_ok=True)

    import skops.io as sio

    sio.dump(model, model_dir / "model.skops")
    (model_dir / "training_pseudonyms.txt").write_text("".join(p + "\n" for p in pseudonyms))
    card = {
        "model_id": model_id,
        "created_at": created.isoformat(),
        "task": "binary classification: a purchase in the 90 days before as_of",
        "algorithm": "HistGradientBoostingClassifier on one-hot bands and counts",
        "features": {"categorical": categorical, "numeric": numeric},
        "label": LABEL,
        "provenance": {
            "database": str(paths.analytics_db),
            "view": VIEW,
            **release,
            "rows": len(frame),
            "data_fingerprint_sha256": data_fingerprint,
            "training_subjects": len(pseudonyms),
            "training_pseudonyms_sha256": pseudonym_digest(pseudonyms),
            "pseudonym_domain": PURPOSE,
        },
        "purpose": _lawful_basis(paths),
        "privacy": privacy,
        "preparation_steps": _lineage(paths, release["relation"]),
        "metrics": metrics,
        "limitations": LIMITATIONS,
    }
    (model_dir / "model_card.json").write_text(json.dumps(card, indent=2, default=str) + "\n")
    (model_dir / "model_card.md").write_text(render_markdown(card))
    latest = paths.models / "LATEST"
    latest.write_text(model_id + "\n")
    return TrainResult(model_id=model_id, model_dir=model_dir, card=card)


def as_dict(result: TrainResult) -> dict[str, Any]:
    return {**asdict(result), "model_dir": str(result.model_dir)}
