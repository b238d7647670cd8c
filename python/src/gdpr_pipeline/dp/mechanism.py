"""Differential privacy of the analytics release: OpenDP noise, frozen periods, a budget.

The dbt Python model `dp_analytics_cells_noised` asks `periods_to_noise` which months this
build noises, reads the contribution-bounded cells (`int_purchases_bounded_to_monthly_cells`,
a view) of those months only, through `month_range`, and calls `draws_for_build` with the
build's parameters, those cells and the draws already stored. A month that has no
draw yet is noised once, with OpenDP's discrete Laplace sampler on integers (counts, and
revenue in integer cents), and the draw is appended to the store; a month that has one is
left alone, so later builds, erasures and later as_ofs change none of its published values
and spend no budget. Noising a stored month again happens only when the build names it in
`dp_renoise_periods`, and it spends the budget again. Before any draw, the epsilon already
spent plus this build's is compared with the cap, and the build fails when it would exceed it.

Why these numbers bound what one person can change: per month a person adds at most
M = max_cells_per_subject cells, in each at most 1 subject, C = max_purchases_per_cell
purchases and C x U x 100 cents (U = max_amount_eur), so the L1 sensitivity of the month's
vectors is M, M x C and M x C x U x 100. Each of the three measures gets a third of the
month's epsilon (sequential composition); OpenDP finds the smallest scale whose privacy map
stays within it. Thresholding on the noisy subject count and clamping at zero are
post-processing and cost nothing. Months hold disjoint purchases, but one person can buy in
every month, so the ledger adds every month's epsilon: the sum bounds what all published
months together reveal about anyone (the cap is per person, for the purpose's lifetime).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import opendp.prelude as dp
import pandas as pd
import pyarrow as pa

dp.enable_features("contrib")

OPENDP_VERSION = version("opendp")
MEASURES = ("subjects", "purchases", "revenue_cents")
MECHANISM = (
    f"OpenDP {OPENDP_VERSION} make_laplace on integers (discrete Laplace, exact sampler), "
    "pure epsilon-DP per month, epsilon split evenly over subjects, purchases and revenue "
    "(cents); cells published when the noisy subject count reaches the threshold"
)
PURPOSE = "analytics"
# Relative slack for comparing float sums of epsilon with the cap.
_TOLERANCE = 1e-9

SCHEMA = pa.schema(
    [
        ("draw_id", pa.string()),
        ("purpose", pa.string()),
        ("mechanism", pa.string()),
        ("purchase_month", pa.date32()),
        ("country_group", pa.string()),
        ("category", pa.string()),
        ("noisy_subjects", pa.int64()),
        ("noisy_purchases", pa.int64()),
        ("noisy_revenue_cents", pa.int64()),
        ("subjects_noise_scale", pa.float64()),
        ("purchases_noise_scale", pa.float64()),
        ("revenue_cents_noise_scale", pa.float64()),
        ("epsilon", pa.float64()),
        ("delta", pa.float64()),
        ("max_purchases_per_cell", pa.int64()),
        ("max_amount_eur", pa.int64()),
        ("max_cells_per_subject", pa.int64()),
        ("threshold", pa.int64()),
        ("is_renoise", pa.bool_()),
        ("dbt_invocation_id", pa.string()),
        ("as_of", pa.timestamp("us")),
        ("noised_at", pa.timestamp("us")),
    ]
)


class PrivacyBudgetExceeded(RuntimeError):
    """The build would spend more epsilon on the purpose than its cap allows."""


class DPConfigError(ValueError):
    """A differential-privacy setting (a dp_* var) that cannot be applied."""


@dataclass(frozen=True)
class Mechanism:
    """The calibrated noise for one month: one OpenDP measurement per measure."""

    epsilon_per_period: float
    max_purchases_per_cell: int
    max_amount_eur: int
    max_cells_per_subject: int

    def __post_init__(self) -> None:
        for name in ("max_purchases_per_cell", "max_amount_eur", "max_cells_per_subject"):
            if getattr(self, name) < 1:
                raise DPConfigError(f"dp_{name} must be at least 1, got {getattr(self, name)}")
        if not (self.epsilon_per_period > 0 and math.isfinite(self.epsilon_per_period)):
            raise DPConfigError(
                f"dp_epsilon_per_period must be a positive number, got {self.epsilon_per_period}"
            )

    @property
    def sensitivities(self) -> dict[str, int]:
        """L1 sensitivity of each measure's vector of cells, for one month, per person."""
        m, c, u = self.max_cells_per_subject, self.max_purchases_per_cell, self.max_amount_eur
        return {"subjects": m, "purchases": m * c, "revenue_cents": m * c * u * 100}

    def measurements(self) -> dict[str, dp.Measurement]:
        share = self.epsilon_per_period / len(MEASURES)
        return {
            measure: discrete_laplace(sensitivity, share)
            for measure, sensitivity in self.sensitivities.items()
        }

    def epsilon_spent(self) -> float:
        """What OpenDP's privacy maps say one month costs (at most epsilon_per_period)."""
        measurements = self.measurements()
        return sum(float(measurements[m].map(self.sensitivities[m])) for m in MEASURES)


def discrete_laplace(sensitivity: int, epsilon: float) -> dp.Measurement:
    """OpenDP's discrete Laplace on a vector of i64, the smallest scale within epsilon."""
    domain = dp.vector_domain(dp.atom_domain(T="i64"))
    metric = dp.l1_distance(T="i64")
    return dp.binary_search_chain(
        lambda scale: dp.m.make_laplace(domain, metric, scale=scale),
        d_in=sensitivity,
        d_out=epsilon,
    )


def noise_scale(measurement: dp.Measurement) -> float:
    """The scale OpenDP calibrated (read back from the measurement's privacy map)."""
    # make_laplace on integers: epsilon = d_in / scale.
    return 1.0 / float(measurement.map(1))


def noise_cells(cells: pd.DataFrame, mechanism: Mechanism) -> dict[str, list[int]]:
    """One draw for one month's cells: every measure noised, clamped at zero."""
    measurements = mechanism.measurements()
    noisy: dict[str, list[int]] = {}
    for measure in MEASURES:
        values = [int(v) for v in cells[measure]]
        noisy[measure] = [max(0, int(v)) for v in measurements[measure](values)]
    return noisy


def parse_periods(text: str) -> list[dt.date]:
    """dp_renoise_periods, as the parameters model renders it: 'YYYY-MM,YYYY-MM'."""
    periods = []
    for item in (part.strip() for part in (text or "").split(",")):
        if not item:
            continue
        try:
            periods.append(dt.datetime.strptime(item[:7], "%Y-%m").date())
        except ValueError:
            raise DPConfigError(f"dp_renoise_periods: {item!r} is not a month (YYYY-MM)") from None
    return periods


def spent_so_far(previous: pd.DataFrame | None) -> float:
    """Epsilon spent by every stored draw (each draw is one month noised once)."""
    if previous is None or previous.empty:
        return 0.0
    return float(previous.drop_duplicates("draw_id")["epsilon"].sum())


def check_budget(spent: float, new_spend: float, cap: float, periods: Sequence[dt.date]) -> None:
    total = spent + new_spend
    if total > cap * (1 + _TOLERANCE):
        months = ", ".join(p.strftime("%Y-%m") for p in periods)
        raise PrivacyBudgetExceeded(
            f"Privacy budget exceeded for purpose {PURPOSE}: this build would spend epsilon "
            f"{new_spend:g} on {len(periods)} period(s) ({months}) on top of {spent:g} already "
            f"spent, {total:g} in total, over the cap dp_epsilon_cap = {cap:g}. Nothing was "
            "noised and nothing is published."
        )


def _month(value: Any) -> dt.date:
    """A month as the parameters model or a frame gives it (date, datetime or Timestamp)."""
    return pd.Timestamp(value).date().replace(day=1)


def published_months(previous: pd.DataFrame | None) -> set[dt.date]:
    """The months that have a stored draw."""
    if previous is None or previous.empty:
        return set()
    return set(pd.to_datetime(previous["purchase_month"]).dt.date)


def closed_months(parameters: Mapping[str, Any]) -> list[dt.date]:
    """Every closed month inside the retention window: first_period to last_period, the
    months of the public key set of `int_purchases_bounded_to_monthly_cells`."""
    first, last = _month(parameters["first_period"]), _month(parameters["last_period"])
    return [m.date() for m in pd.date_range(first, last, freq="MS")]


def periods_to_noise(parameters: Mapping[str, Any], previous: pd.DataFrame | None) -> list[dt.date]:
    """The months this build noises: every closed month with no stored draw, then the months
    named in dp_renoise_periods (each must have been published and still be in the window)."""
    available = closed_months(parameters)
    frozen = published_months(previous)
    renoise = parse_periods(str(parameters.get("renoise_periods") or ""))
    for period in renoise:
        if period not in frozen:
            raise DPConfigError(
                f"dp_renoise_periods: {period:%Y-%m} has never been published, so there is "
                "nothing to noise again (a closed month is noised on its own at its first build)"
            )
        if period not in available:
            raise DPConfigError(
                f"dp_renoise_periods: {period:%Y-%m} is not a closed month inside the retention "
                "window of this build, so its input no longer exists"
            )
    return [p for p in available if p not in frozen] + sorted(set(renoise))


def month_range(periods: Sequence[dt.date]) -> str:
    """The filter a model puts on the bounded cells to read `periods` (and the months between
    them), in SQL that DuckDB and Spark both take. A range and not an IN list: both engines
    push a range on purchase_month through the view's left join and windows, so only those
    months are bounded; DuckDB does not push an IN list through the left join (at 1M, one
    month read with a range cost 1.4 CPU-s, two months with IN 10.1, every month 9.8)."""
    return (
        f"purchase_month between date '{min(periods):%Y-%m-%d}' and date '{max(periods):%Y-%m-%d}'"
    )


def draws_for_build(
    parameters: Mapping[str, Any], cells: pd.DataFrame | None, previous: pd.DataFrame | None
) -> pa.Table:
    """The rows to append to the draw store: one draw per month not yet published, plus the
    months named in dp_renoise_periods; an empty table when every closed month is frozen.
    `cells` must hold every public cell of those months (other months are ignored); it may be
    None when there is no month to noise."""
    mechanism = Mechanism(
        epsilon_per_period=float(parameters["epsilon_per_period"]),
        max_purchases_per_cell=int(parameters["max_purchases_per_cell"]),
        max_amount_eur=int(parameters["max_amount_eur"]),
        max_cells_per_subject=int(parameters["max_cells_per_subject"]),
    )
    periods = periods_to_noise(parameters, previous)
    per_period = mechanism.epsilon_spent()
    check_budget(
        spent_so_far(previous),
        per_period * len(periods),
        float(parameters["epsilon_cap"]),
        periods,
    )
    if not periods:
        return SCHEMA.empty_table()
    if cells is None:
        raise ValueError("draws_for_build: there are months to noise but no cells were read")
    cells = cells.assign(purchase_month=pd.to_datetime(cells["purchase_month"]).dt.date)
    missing = sorted(set(periods) - set(cells["purchase_month"]))
    if missing:
        # The view has a row for every public cell of every closed month, so this is a reading
        # error (a wrong filter), never a month to skip: noising no cells would publish nothing
        # for a month that the ledger then calls published.
        raise ValueError(
            "draws_for_build: no bounded cells were read for "
            + ", ".join(f"{p:%Y-%m}" for p in missing)
        )

    frozen = published_months(previous)
    scales = {m: noise_scale(meas) for m, meas in mechanism.measurements().items()}
    noised_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    as_of = pd.Timestamp(parameters["as_of"]).to_pydatetime()
    invocation = str(parameters["dbt_invocation_id"])
    columns: dict[str, list[Any]] = {field.name: [] for field in SCHEMA}
    for period in periods:
        month = cells[cells["purchase_month"] == period].sort_values(["country_group", "category"])
        noisy = noise_cells(month, mechanism)
        n = len(month)
        constant = {
            "draw_id": f"{invocation}:{period:%Y-%m}",
            "purpose": PURPOSE,
            "mechanism": MECHANISM,
            "purchase_month": period,
            "subjects_noise_scale": scales["subjects"],
            "purchases_noise_scale": scales["purchases"],
            "revenue_cents_noise_scale": scales["revenue_cents"],
            "epsilon": per_period,
            "delta": 0.0,
            "max_purchases_per_cell": mechanism.max_purchases_per_cell,
            "max_amount_eur": mechanism.max_amount_eur,
            "max_cells_per_subject": mechanism.max_cells_per_subject,
            "threshold": int(parameters["threshold"]),
            "is_renoise": period in frozen,
            "dbt_invocation_id": invocation,
            "as_of": as_of,
            "noised_at": noised_at,
        }
        for name, value in constant.items():
            columns[name].extend([value] * n)
        columns["country_group"].extend(month["country_group"])
        columns["category"].extend(month["category"])
        columns["noisy_subjects"].extend(noisy["subjects"])
        columns["noisy_purchases"].extend(noisy["purchases"])
        columns["noisy_revenue_cents"].extend(noisy["revenue_cents"])
    return pa.Table.from_pydict(columns, schema=SCHEMA)
