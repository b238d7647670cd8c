"""Measured risk of ml_training_set (vault only): anonymeter's singling-out, linkability and
inference attacks on the bounded sample int_ml_training_risk_sample (gdpr_pipeline.privacy_risk).
The thresholds are vars; release_privacy_risk publishes the result and its test fails the build
when a risk is above its threshold."""

from gdpr_pipeline.engines.python_models import preload

preload()  # before the imports below: one thread at a time (see the module)

from gdpr_pipeline.privacy_risk import as_frame, measure


def model(dbt, session):
    dbt.config(materialized="table")
    sample = dbt.ref("int_ml_training_risk_sample").df()
    measured = measure(
        sample,
        linkage_columns=(
            ["age_band", "income_band", "country_group"],
            ["purchases_12m_band", "categories_12m_band", "spend_12m_band"],
        ),
        secret="has_purchase_next_90d",
        attacks=int(dbt.config.get("privacy_risk_attacks")),
        seed=int(dbt.config.get("privacy_risk_seed")),
    )
    thresholds = {
        "singling_out": dbt.config.get("max_singling_out_risk"),
        "linkability": dbt.config.get("max_linkability_risk"),
        "inference": dbt.config.get("max_inference_risk"),
    }
    return as_frame("ml_training_set", measured, thresholds)
