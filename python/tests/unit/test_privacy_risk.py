"""gdpr_pipeline.privacy_risk on synthetic frames: anonymeter sees a raw copy of the attacker's
records as a high risk (what makes the build's threshold test able to fail), and a release of
classes that tells no more about its members than about the control as no risk. anonymeter
de-duplicates each frame before singling out (it is built for synthetic data), so a class
counts once and the risk is the excess of the members' success over the control's."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gdpr_pipeline.privacy_risk import RISKS, as_frame, measure

COLUMNS = ["a", "b", "c", "d", "e", "f", "y"]
LINKAGE = (["a", "b", "c"], ["d", "e", "f"])


def _people(rng: np.random.Generator, n: int) -> pd.DataFrame:
    frame = pd.DataFrame({c: rng.integers(0, 12, n).astype(str) for c in COLUMNS[:-1]})
    frame["y"] = rng.integers(0, 2, n).astype(bool)
    return frame


def _sample(release: pd.DataFrame, attacker: pd.DataFrame, control: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(
        [
            release.assign(sample_role="release"),
            attacker.assign(sample_role="attacker"),
            control.assign(sample_role="control"),
        ],
        ignore_index=True,
    )


def test_an_ungeneralized_copy_is_a_high_singling_out_and_linkability_risk() -> None:
    rng = np.random.default_rng(1)
    people, control = _people(rng, 400), _people(rng, 300)
    measured = {
        m.risk: m
        for m in measure(
            _sample(people, people, control),
            linkage_columns=LINKAGE,
            secret="y",
            attacks=150,
        )
    }
    assert set(measured) == set(RISKS)
    assert measured["singling_out"].value > 0.5
    assert measured["linkability"].value > 0.5
    for m in measured.values():
        assert 0 <= m.ci_low <= m.value <= m.ci_high <= 1


def test_classes_that_say_no_more_about_members_than_about_others_are_no_risk() -> None:
    rng = np.random.default_rng(2)
    classes = _people(rng, 60)
    release = classes.loc[classes.index.repeat(5)].reset_index(drop=True)
    control = classes.sample(frac=1.0, random_state=3).loc[lambda f: f.index.repeat(2)]
    measured = {
        m.risk: m
        for m in measure(
            _sample(release, release, control.reset_index(drop=True)),
            linkage_columns=LINKAGE,
            secret="y",
            attacks=100,
        )
    }
    # The control holds the same classes: members are no easier to single out or link. The
    # linkage rates are two estimates of one chance, so only their interval is checked: it
    # reaches 0, which is what the build's gate (a 95% interval wholly above the threshold)
    # reads as no measured risk.
    assert measured["singling_out"].value == 0
    assert measured["singling_out"].attack_rate == measured["singling_out"].control_rate
    linkability = measured["linkability"]
    assert linkability.ci_low == 0 and linkability.value < 0.05, linkability
    assert abs(linkability.attack_rate - linkability.control_rate) < 0.05, linkability
    frame = as_frame("fixture", list(measured.values()), dict.fromkeys(RISKS, 0.1))
    assert list(frame.columns[:3]) == ["release_name", "risk", "risk_value"]
    assert (frame.max_risk == 0.1).all()


def test_an_empty_release_is_no_risk_and_runs_no_attack() -> None:
    empty = pd.DataFrame({c: [] for c in [*COLUMNS, "sample_role"]})
    measured = measure(empty, linkage_columns=LINKAGE, secret="y", attacks=100)
    assert [(m.risk, m.value, m.ci_high, m.attacks) for m in measured] == [
        (risk, 0.0, 0.0, 0) for risk in RISKS
    ]
