"""The differential-privacy step (gdpr_pipeline.dp.mechanism), through the dbt model's code path.

The noise is OpenDP's; what is ours is the calibration (sensitivity from the contribution
bounds, epsilon split over three measures), the freezing of months and the budget. The
statistical test draws many times through `noise_cells` and compares the variance with the
discrete Laplace's at the scale the configured epsilon implies.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from gdpr_pipeline.dp import mechanism as dp

MECHANISM = dp.Mechanism(
    epsilon_per_period=1.0, max_purchases_per_cell=3, max_amount_eur=200, max_cells_per_subject=2
)


def parameters(**overrides: object) -> dict[str, object]:
    return {
        "purpose": "analytics",
        "dbt_invocation_id": "inv-1",
        "renoise_periods": "",
        "epsilon_per_period": 1.0,
        "epsilon_cap": 10.0,
        "max_purchases_per_cell": 3,
        "max_amount_eur": 200,
        "max_cells_per_subject": 2,
        "threshold": 20,
        "as_of": "2026-11-01 00:00:00",
        "first_period": "2026-10-01",
        "last_period": "2026-10-01",
        **overrides,
    }


def window(first: str, last: str) -> dict[str, str]:
    """The closed months of a build (first_period, last_period), as the parameters model has it."""
    return {"first_period": first, "last_period": last}


def cells(months: list[str], value: int = 1_000) -> pd.DataFrame:
    rows = [
        {
            "purchase_month": dt.date.fromisoformat(month),
            "country_group": group,
            "category": category,
            "subjects": value,
            "purchases": 2 * value,
            "revenue_cents": 5_000 * value,
        }
        for month in months
        for group in ("DE", "FR")
        for category in ("books", "toys")
    ]
    return pd.DataFrame(rows)


def discrete_laplace_variance(scale: float) -> float:
    p = math.exp(-1 / scale)
    return 2 * p / (1 - p) ** 2


def test_sensitivity_and_scale_follow_the_bounds_and_epsilon() -> None:
    assert MECHANISM.sensitivities == {"subjects": 2, "purchases": 6, "revenue_cents": 120_000}
    measurements = MECHANISM.measurements()
    for measure, sensitivity in MECHANISM.sensitivities.items():
        epsilon = float(measurements[measure].map(sensitivity))
        assert epsilon <= 1.0 / 3 + 1e-12
        # The smallest scale within the share: sensitivity / (epsilon / 3), up to the search.
        assert dp.noise_scale(measurements[measure]) == pytest.approx(3 * sensitivity, rel=1e-6)
    assert 1.0 - 1e-6 <= MECHANISM.epsilon_spent() <= 1.0


def test_noise_variance_matches_the_configured_epsilon() -> None:
    """20,000 cells far from zero (so clamping never applies), noised through noise_cells."""
    n = 20_000
    frame = pd.DataFrame(
        {"subjects": [10**6] * n, "purchases": [10**6] * n, "revenue_cents": [10**9] * n}
    )
    noisy = dp.noise_cells(frame, MECHANISM)
    for measure, sensitivity in MECHANISM.sensitivities.items():
        errors = np.array(noisy[measure], dtype=np.float64) - frame[measure].to_numpy()
        expected = discrete_laplace_variance(3 * sensitivity)
        # Laplace kurtosis 6: the sample variance's relative sd is sqrt(5 / n) = 1.6 %.
        assert errors.var() == pytest.approx(expected, rel=0.08), measure
        assert abs(errors.mean()) < 5 * math.sqrt(expected / n), measure
        assert np.all(errors == np.round(errors))  # integers: discrete Laplace, not floats


def test_a_different_epsilon_changes_the_variance() -> None:
    """The test above would also fail if the epsilon were ignored."""
    loose = dp.Mechanism(4.0, 3, 200, 2)
    frame = pd.DataFrame({"subjects": [10**6] * 5_000, "purchases": 0, "revenue_cents": 0})
    errors = np.array(dp.noise_cells(frame, loose)["subjects"]) - 10**6
    assert errors.var() == pytest.approx(discrete_laplace_variance(2 * 3 / 4), rel=0.15)
    assert errors.var() < discrete_laplace_variance(6) / 4


def test_closed_months_are_noised_once_then_frozen() -> None:
    first = dp.draws_for_build(
        parameters(**window("2026-09-01", "2026-10-01")),
        cells(["2026-09-01", "2026-10-01"]),
        None,
    ).to_pandas()
    assert sorted(set(first.purchase_month)) == [dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
    assert first.drop_duplicates("draw_id").epsilon.sum() == pytest.approx(2.0, abs=1e-6)
    assert not first.is_renoise.any() and (first.delta == 0).all()

    # The same months again (a rebuild, an erasure, a later as_of in the same month): nothing.
    again = dp.draws_for_build(
        parameters(dbt_invocation_id="inv-2", **window("2026-09-01", "2026-10-01")), None, first
    )
    assert again.num_rows == 0
    assert dp.periods_to_noise(parameters(**window("2026-09-01", "2026-10-01")), first) == []

    # A month that closed since: only that one is noised, and only it spends budget.
    later = dp.draws_for_build(
        parameters(dbt_invocation_id="inv-3", **window("2026-10-01", "2026-11-01")),
        cells(["2026-11-01"]),
        first,
    ).to_pandas()
    assert set(later.purchase_month) == {dt.date(2026, 11, 1)}
    assert later.drop_duplicates("draw_id").epsilon.sum() == pytest.approx(1.0, abs=1e-6)


def test_renoising_is_explicit_and_spends_again() -> None:
    first = dp.draws_for_build(parameters(), cells(["2026-10-01"]), None).to_pandas()
    renoised = dp.draws_for_build(
        parameters(dbt_invocation_id="inv-2", renoise_periods="2026-10"),
        cells(["2026-10-01"]),
        first,
    ).to_pandas()
    assert renoised.is_renoise.all() and set(renoised.draw_id) == {"inv-2:2026-10"}
    both = pd.concat([first, renoised])
    assert dp.spent_so_far(both) == pytest.approx(2.0, abs=1e-6)

    with pytest.raises(dp.DPConfigError, match="2026-09 has never been published"):
        dp.draws_for_build(
            parameters(renoise_periods="2026-09", **window("2026-09-01", "2026-10-01")),
            cells(["2026-09-01", "2026-10-01"]),
            first,
        )
    with pytest.raises(
        dp.DPConfigError, match="2026-10 is not a closed month inside the retention"
    ):
        dp.draws_for_build(
            parameters(renoise_periods="2026-10", **window("2026-11-01", "2026-11-01")),
            cells(["2026-10-01", "2026-11-01"]),
            first,
        )
    with pytest.raises(dp.DPConfigError, match="'Oct 2026' is not a month"):
        dp.draws_for_build(parameters(renoise_periods="Oct 2026"), cells(["2026-10-01"]), first)


def test_only_the_months_to_noise_are_read_and_every_one_must_be() -> None:
    """The model reads the bounded cells of the months it noises only (a range filter on the
    view); a month missing from what was read is an error, never a month noised from nothing."""
    first = dp.draws_for_build(parameters(), cells(["2026-10-01"]), None).to_pandas()
    build = parameters(dbt_invocation_id="inv-2", **window("2026-10-01", "2027-01-01"))
    periods = dp.periods_to_noise(build, first)
    assert periods == [dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1)]
    assert dp.month_range(periods) == (
        "purchase_month between date '2026-11-01' and date '2027-01-01'"
    )
    # Cells of other months (a range also covers the months between) are ignored.
    drawn = dp.draws_for_build(
        build, cells(["2026-10-01", "2026-11-01", "2026-12-01", "2027-01-01"]), first
    ).to_pandas()
    assert sorted(set(drawn.purchase_month)) == periods
    with pytest.raises(ValueError, match="no bounded cells were read for 2026-12"):
        dp.draws_for_build(build, cells(["2026-11-01", "2027-01-01"]), first)
    with pytest.raises(ValueError, match="no cells were read"):
        dp.draws_for_build(build, None, first)


def test_closed_months_span_the_window_across_years() -> None:
    assert dp.closed_months(window("2025-11-01", "2026-02-01")) == [
        dt.date(2025, 11, 1),
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
    ]
    assert dp.closed_months(window("2026-03-01", "2026-02-01")) == []


def test_the_budget_cap_refuses_before_any_draw() -> None:
    months = [f"2026-{m:02d}-01" for m in range(1, 11)]
    spent = dp.draws_for_build(
        parameters(**window(months[0], months[-1])), cells(months), None
    ).to_pandas()
    assert dp.spent_so_far(spent) == pytest.approx(10.0, abs=1e-6)  # exactly the cap: allowed
    with pytest.raises(dp.PrivacyBudgetExceeded) as refused:
        dp.draws_for_build(
            parameters(dbt_invocation_id="inv-2", **window(months[0], "2026-11-01")),
            cells(["2026-11-01"]),
            spent,
        )
    message = str(refused.value)
    assert "purpose analytics" in message and "dp_epsilon_cap = 10" in message
    assert "would spend epsilon 1 on 1 period(s) (2026-11)" in message and "11 in total" in message


def test_bounds_that_cannot_work_are_refused_by_name() -> None:
    with pytest.raises(dp.DPConfigError, match="dp_max_cells_per_subject must be at least 1"):
        dp.Mechanism(1.0, 3, 200, 0)
    with pytest.raises(dp.DPConfigError, match="dp_epsilon_per_period must be a positive"):
        dp.Mechanism(0.0, 3, 200, 2)
