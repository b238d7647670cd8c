"""Measured re-identification risk of a row-level release (anonymeter).

k-anonymity is a property of the release's classes; anonymeter measures what an attacker can
actually do with the release: single a person out, link two of the attacker's records about
one person through it, or infer the label. Each attack is run on the attacker's records of
people in the measured release and, for comparison, on held-out control subjects; the risk is
how much better the attack does on the first than on the second, with a confidence interval.
The dbt Python model int_ml_training_privacy_risk calls `measure` on a bounded sample
(int_ml_training_risk_sample), so the cost does not grow with the number of subjects.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd
from anonymeter.evaluators import (
    InferenceEvaluator,
    LinkabilityEvaluator,
    SinglingOutEvaluator,
)
from anonymeter.neighbors import mixed_types_kneighbors

# anonymeter compiles its nearest-neighbour search with numba on every process start (about
# 15 s, on every dbt build). Recompiled once with cache=True, later builds load it from
# numba's on-disk cache. Same Python functions, so the same results.
mixed_types_kneighbors.gower_distance = numba.njit(cache=True, nogil=True)(
    mixed_types_kneighbors.gower_distance.py_func
)
mixed_types_kneighbors._nearest_neighbors = numba.njit(cache=True, nogil=True)(
    mixed_types_kneighbors._nearest_neighbors.py_func
)

RISKS = ("singling_out", "linkability", "inference")


@dataclass(frozen=True)
class MeasuredRisk:
    risk: str
    value: float
    ci_low: float
    ci_high: float
    attacks: int
    attack_rate: float
    control_rate: float
    note: str


def _frames(sample: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """release (syn), attacker (ori) and control rows, every column as text, in a canonical
    order: the warehouse returns rows in no set order, and anonymeter's draws are by position,
    so the same sample must give the same frames (and the same risks) on every build."""
    by_role = {}
    for role, rows in sample.groupby("sample_role"):
        text = rows.drop(columns="sample_role").astype(str)
        by_role[role] = text.sort_values(list(text.columns)).reset_index(drop=True)
    missing = {"release", "attacker", "control"} - set(by_role)
    if missing:
        raise ValueError(f"risk sample has no {', '.join(sorted(missing))} rows")
    return by_role["attacker"], by_role["release"], by_role["control"]


def _bounded_control(singling: SinglingOutEvaluator) -> SinglingOutEvaluator:
    """Singling out with the control's successes capped at the number of attacks. anonymeter
    scales the control's successes by a fitted size correction when the de-duplicated control
    and attacker records differ in size; on a small release the scaled count can exceed the
    attacks, and its Wilson interval then takes the square root of a negative variance (a
    math domain error that failed the build). No control can succeed more often than it was
    attacked, so the cap changes nothing where the correction stays in range."""
    attacks = singling._n_attacks  # private: anonymeter has no public setter
    if singling._n_control is not None and singling._n_control > attacks:
        singling._n_control = attacks
    return singling


def _result(risk: str, evaluator: object, attacks: int, note: str) -> MeasuredRisk:
    results = evaluator.results(confidence_level=0.95)  # type: ignore[attr-defined]
    measured = results.risk()
    return MeasuredRisk(
        risk=risk,
        value=round(float(measured.value), 4),
        ci_low=round(float(measured.ci[0]), 4),
        ci_high=round(float(measured.ci[1]), 4),
        attacks=attacks,
        attack_rate=round(float(results.attack_rate.value), 4),
        control_rate=round(float(results.control_rate.value), 4),
        note=note,
    )


def measure(
    sample: pd.DataFrame,
    *,
    linkage_columns: tuple[Sequence[str], Sequence[str]],
    secret: str,
    attacks: int,
    seed: int = 7,
) -> list[MeasuredRisk]:
    """Singling out, linkability and inference risk on one release sample.

    `sample` has a sample_role column ('release', 'attacker', 'control') and the release's
    columns. Linkability splits the attacker's knowledge in two (`linkage_columns`, e.g. the CRM
    and the purchase history) and tries to join them through the release; inference guesses
    `secret` from every other column. The attacks' draws follow `seed` (anonymeter samples
    targets with numpy's global generator; only its random-guess baseline stays unseeded, and
    the risk does not depend on it).
    """
    ori, syn, control = _frames(sample)
    n = max(1, min(attacks, len(ori), len(control)))
    columns = [c for c in syn.columns if c != secret]
    measured = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        logging.getLogger("anonymeter").setLevel(logging.ERROR)
        np.random.seed(seed)  # anonymeter draws its targets from the global generator
        singling = _bounded_control(
            SinglingOutEvaluator(
                ori=ori, syn=syn, control=control, n_attacks=n, max_attempts=20 * n, seed=seed
            ).evaluate(mode="multivariate")
        )
        queries = len(singling.queries())
        measured.append(
            _result(
                "singling_out",
                singling,
                n,
                f"{queries} of {n} predicates that match one distinct release row also match one "
                "attacker record (anonymeter de-duplicates rows, so a class counts once)",
            )
        )
        np.random.seed(seed)
        linkability = LinkabilityEvaluator(
            ori=ori,
            syn=syn,
            control=control,
            n_attacks=n,
            aux_cols=(list(linkage_columns[0]), list(linkage_columns[1])),
            n_neighbors=1,
        ).evaluate(n_jobs=1)
        measured.append(
            _result(
                "linkability",
                linkability,
                n,
                f"link ({', '.join(linkage_columns[0])}) to ({', '.join(linkage_columns[1])})",
            )
        )
        np.random.seed(seed)
        inference = InferenceEvaluator(
            ori=ori, syn=syn, control=control, aux_cols=columns, secret=secret, n_attacks=n
        ).evaluate(n_jobs=1)
        measured.append(_result("inference", inference, n, f"guess {secret} from the rest"))
    del caught  # anonymeter warns when an attack does no better than its baseline: expected
    return measured


def as_frame(
    release_name: str, measured: list[MeasuredRisk], thresholds: dict[str, float]
) -> pd.DataFrame:
    """One row per risk, with the threshold the build holds it to."""
    return pd.DataFrame(
        [
            {
                "release_name": release_name,
                "risk": m.risk,
                "risk_value": m.value,
                "ci_low": m.ci_low,
                "ci_high": m.ci_high,
                "max_risk": float(thresholds[m.risk]),
                "attacks": m.attacks,
                "attack_rate": m.attack_rate,
                "control_rate": m.control_rate,
                "note": m.note,
            }
            for m in measured
        ]
    )
