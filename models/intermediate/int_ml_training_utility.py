"""What generalization costs the model (vault only): ROC AUC of the trainer's own model and
protocol (gdpr_pipeline.ml.train.held_out_auc) on the release's bands and on the exact,
ungeneralized features of the same released subjects. The exact features never leave the
vault; only the two AUCs are published (release_utility) for the model card. Bounded: at most
var utility_sample_rows released subjects (ordered by pseudonym, an HMAC, so a uniform draw)."""

import pandas as pd

from gdpr_pipeline.engines.python_models import preload

preload()  # before the imports below: one thread at a time (see the module)

from gdpr_pipeline.ml.train import LABEL, held_out_auc

EXACT = [
    "age_years",
    "annual_income_eur",
    "country_group",
    "purchases_12m",
    "spend_12m_eur",
    "categories_12m",
]


def model(dbt, session):
    dbt.config(materialized="table")
    limit = int(dbt.config.get("utility_sample_rows"))
    released = (
        dbt.ref("int_ml_training_released").order("subject_pseudonym").limit(limit)
    )
    candidates = dbt.ref("int_ml_training_candidates")
    release = released.df()  # in pseudonym order, as `exact` below: the same split for both
    exact = (
        released.set_alias("r")
        .join(candidates.set_alias("c"), "r.subject_pseudonym = c.subject_pseudonym")
        .select(", ".join(f"c.{column}" for column in ["subject_pseudonym", *EXACT, LABEL]))
        .order("subject_pseudonym")
        .df()
        .drop(columns="subject_pseudonym")
    )
    for column in EXACT:
        if column != "country_group":
            exact[column] = exact[column].astype(float)
    rows = []
    if len(release) >= 20 and release[LABEL].nunique() == 2:
        for features, frame in (
            ("release bands", release.drop(columns=["subject_pseudonym", "key_id"])),
            ("ungeneralized (vault only)", exact),
        ):
            auc, held_out = held_out_auc(frame)
            rows.append(
                {
                    "release_name": "ml_training_set",
                    "features": features,
                    "roc_auc": round(auc, 4),
                    "held_out_rows": held_out,
                }
            )
    return pd.DataFrame(
        rows, columns=["release_name", "features", "roc_auc", "held_out_rows"]
    )
