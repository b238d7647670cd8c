"""Tests for the synthetic raw data generator: the contract, determinism and realism.

Everything here reads the files back the way a consumer would (pyarrow and pandas, no
generator internals), because the files are the product: the dbt staging models only ever
see what is on disk.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from gdpr_pipeline.synth import generate as gen
from gdpr_pipeline.synth.generate import DEFAULT_ANCHOR, GenerateSummary, generate, summary_line

COLUMNS = {
    "subjects": [
        "subject_id",
        "email",
        "full_name",
        "birth_date",
        "country",
        "postcode",
        "annual_income_eur",
        "created_at",
    ],
    "consent_events": [
        "event_id",
        "subject_id",
        "purpose",
        "action",
        "recorded_at",
        "policy_version",
        "channel",
    ],
    "purchases": ["purchase_id", "subject_id", "purchased_at", "amount_eur", "category"],
    "erasure_requests": ["request_id", "subject_id", "received_at"],
}
TS = pa.timestamp("us")
MONEY = pa.decimal128(12, 2)
TYPES: dict[str, dict[str, pa.DataType]] = {
    "subjects": {"birth_date": pa.date32(), "annual_income_eur": MONEY, "created_at": TS},
    "consent_events": {"recorded_at": TS},
    "purchases": {"purchased_at": TS, "amount_eur": MONEY},
    "erasure_requests": {"received_at": TS},
}
PURPOSES = {"model_training", "marketing", "analytics"}
ACTIONS = {"grant", "withdraw"}
ANCHOR = pd.Timestamp(DEFAULT_ANCHOR)


def read(path: Path) -> pa.Table:
    """Read one raw file with the contract's types; empty CSV fields become nulls."""
    if path.suffix == ".parquet":
        return pq.read_table(path)
    name = path.stem
    types = {c: TYPES[name].get(c, pa.string()) for c in COLUMNS[name]}
    return pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
    )


def frames(summary: GenerateSummary) -> dict[str, pd.DataFrame]:
    """All four files as pandas frames (timestamps as naive datetimes, money as objects)."""
    return {name: read(path).to_pandas() for name, path in summary.files.items()}


@pytest.fixture(scope="module")
def csv_1k(tmp_path_factory: pytest.TempPathFactory) -> GenerateSummary:
    return generate(tmp_path_factory.mktemp("csv_1k"), 1_000, fmt="csv")


@pytest.fixture(scope="module")
def parquet_1k(tmp_path_factory: pytest.TempPathFactory) -> GenerateSummary:
    return generate(tmp_path_factory.mktemp("parquet_1k"), 1_000, fmt="parquet")


@pytest.fixture(scope="module")
def clean_1k(tmp_path_factory: pytest.TempPathFactory) -> GenerateSummary:
    return generate(tmp_path_factory.mktemp("clean_1k"), 1_000, fmt="parquet", defect_rate=0)


@pytest.fixture(scope="module")
def data_5k(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    return frames(generate(tmp_path_factory.mktemp("p5k"), 5_000, fmt="parquet", seed=7))


def file_bytes(summary: GenerateSummary) -> dict[str, bytes]:
    return {name: path.read_bytes() for name, path in summary.files.items()}


def defect_masks(events: pd.DataFrame, subject_ids: set[str]) -> dict[str, pd.Series]:
    """Classify consent rows by planted defect kind (a row can only carry one kind)."""
    return {
        "bad_purpose": ~events.purpose.isin(PURPOSES),
        "bad_action": ~events.action.isin(ACTIONS),
        "null_subject_id": events.subject_id.isna(),
        "null_recorded_at": events.recorded_at.isna(),
        "unknown_subject_id": events.subject_id.notna() & ~events.subject_id.isin(subject_ids),
        "duplicate_row": events.duplicated(keep="first"),
    }


# --- determinism ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_arguments_give_identical_bytes(tmp_path: Path, fmt: str) -> None:
    a = generate(tmp_path / "a", 400, fmt=fmt, seed=3, chunk_size=150)
    b = generate(tmp_path / "b", 400, fmt=fmt, seed=3, chunk_size=150)
    assert file_bytes(a) == file_bytes(b)
    c = generate(tmp_path / "c", 400, fmt=fmt, seed=4, chunk_size=150)
    for name in ("subjects", "consent_events", "purchases"):
        assert file_bytes(a)[name] != file_bytes(c)[name], name


def test_csv_and_parquet_hold_the_same_data(
    csv_1k: GenerateSummary, parquet_1k: GenerateSummary
) -> None:
    for name in gen.TABLES:
        from_csv = read(csv_1k.files[name])
        from_parquet = read(parquet_1k.files[name])
        assert from_csv.column_names == from_parquet.column_names
        assert from_csv.num_rows == from_parquet.num_rows > 0, name
        for column in from_csv.column_names:
            left = from_csv.column(column).combine_chunks()
            right = from_parquet.column(column).combine_chunks()
            assert left.equals(right), f"{name}.{column}"
    for key in ("subjects", "consent_events", "purchases", "erasure_requests"):
        assert getattr(csv_1k, key) == getattr(parquet_1k, key)


# --- contract -------------------------------------------------------------------------------


def test_files_columns_and_parquet_types(
    csv_1k: GenerateSummary, parquet_1k: GenerateSummary
) -> None:
    for summary in (csv_1k, parquet_1k):
        assert set(summary.files) == set(gen.TABLES)
        for name, path in summary.files.items():
            assert path == summary.out_dir / f"{name}.{summary.format}"
            assert path.exists()
        assert not list(summary.out_dir.glob(".*"))  # no temporary files left behind
    for name, path in csv_1k.files.items():
        header = path.read_text(encoding="utf-8").splitlines()[0]
        assert [c.strip('"') for c in header.split(",")] == COLUMNS[name]
    for name, path in parquet_1k.files.items():
        schema = pq.read_schema(path)
        assert schema.names == COLUMNS[name]
        for column in COLUMNS[name]:
            assert schema.field(column).type == TYPES[name].get(column, pa.string()), column


def test_csv_text_format(csv_1k: GenerateSummary) -> None:
    """Timestamps print as ``yyyy-mm-dd hh:mm:ss``, dates as ISO, money with two decimals."""
    subjects = pd.read_csv(csv_1k.files["subjects"], dtype=str, keep_default_na=False)
    assert subjects.birth_date.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert subjects.created_at.str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}").all()
    income = subjects.annual_income_eur
    assert income.str.fullmatch(r"(\d+\.\d{2})?").all()
    assert (income == "").any()  # null income is an empty field
    purchases = pd.read_csv(csv_1k.files["purchases"], dtype=str, keep_default_na=False)
    assert purchases.amount_eur.str.fullmatch(r"\d+\.\d{2}").all()
    assert purchases.purchased_at.str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}").all()
    events = pd.read_csv(csv_1k.files["consent_events"], dtype=str, keep_default_na=False)
    recorded = events.recorded_at
    assert recorded.str.fullmatch(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})?").all()


def test_identifier_formats_and_uniqueness(parquet_1k: GenerateSummary) -> None:
    data = frames(parquet_1k)
    subjects = data["subjects"]
    assert subjects.subject_id.tolist() == [f"S{i:09d}" for i in range(1, 1_001)]
    assert subjects.email.is_unique
    events = data["consent_events"].drop_duplicates()
    assert events.event_id.str.fullmatch(r"E\d{10}").all()
    assert events.event_id.is_unique
    purchases = data["purchases"]
    assert purchases.purchase_id.str.fullmatch(r"P\d{11}").all()
    assert purchases.purchase_id.is_unique
    erasures = data["erasure_requests"]
    assert erasures.request_id.str.fullmatch(r"R\d{8}").all()
    assert erasures.request_id.is_unique


def test_clean_run_is_referentially_intact_and_valid(clean_1k: GenerateSummary) -> None:
    data = frames(clean_1k)
    ids = set(data["subjects"].subject_id)
    events = data["consent_events"]
    assert events.notna().all().all()
    assert set(events.purpose) == PURPOSES
    assert set(events.action) == ACTIONS
    assert set(events.policy_version) <= {"1.0", "2.0", "2.1"}
    assert set(events.channel) <= {"web", "app", "email", "call_center"}
    assert not events.duplicated().any()
    assert events.subject_id.isin(ids).all()
    assert data["purchases"].subject_id.isin(ids).all()
    assert data["erasure_requests"].subject_id.isin(ids).all()
    assert not any(m.any() for m in defect_masks(events, ids).values())


def test_defects_are_planted_and_well_formed(parquet_1k: GenerateSummary) -> None:
    data = frames(parquet_1k)
    ids = set(data["subjects"].subject_id)
    events = data["consent_events"]
    masks = defect_masks(events, ids)
    for kind, mask in masks.items():
        assert mask.any(), f"no {kind} defect planted"
    any_defect = pd.concat(masks, axis=1).any(axis=1)
    # About defect_rate of the events, at least one per kind, never a large share.
    assert 6 <= any_defect.sum() <= 0.002 * len(events) + 6
    # Outside the planted defects everything is valid and refers to a real subject.
    clean = events[~any_defect]
    assert clean.subject_id.isin(ids).all()
    assert clean.purpose.isin(PURPOSES).all() and clean.action.isin(ACTIONS).all()
    unknown = events.subject_id[masks["unknown_subject_id"]]
    assert unknown.str.fullmatch(r"S9\d{8}x?").all()
    # Duplicates repeat the event_id with every field equal, right after the original.
    dup_ids = events.event_id[masks["duplicate_row"]]
    assert (events.event_id.value_counts()[dup_ids] == 2).all()
    assert data["purchases"].subject_id.isin(ids).all()


def test_defect_kinds_in_csv_are_empty_fields_not_garbage(csv_1k: GenerateSummary) -> None:
    text = csv_1k.files["consent_events"].read_text(encoding="utf-8").splitlines()
    fields = [line.split(",") for line in text[1:]]
    assert all(len(f) == 7 for f in fields)
    assert any(f[1] == "" for f in fields)  # empty subject_id
    assert any(f[4] == "" for f in fields)  # empty recorded_at


def test_time_order_and_bounds(parquet_1k: GenerateSummary) -> None:
    data = frames(parquet_1k)
    subjects = data["subjects"].set_index("subject_id")
    created = subjects.created_at
    assert (created < ANCHOR).all()
    assert (created >= ANCHOR - pd.Timedelta(days=5 * 366)).all()
    birth = pd.to_datetime(subjects.birth_date)
    age_at_anchor = (
        ANCHOR.year
        - birth.dt.year
        - ((birth.dt.month * 100 + birth.dt.day) > ANCHOR.month * 100 + ANCHOR.day)
    )
    assert age_at_anchor.between(18, 90).all()

    events = data["consent_events"].dropna(subset=["subject_id", "recorded_at"])
    events = events[events.subject_id.isin(subjects.index)]
    assert (events.recorded_at < ANCHOR).all()
    assert (events.recorded_at > created.loc[events.subject_id].to_numpy()).all()

    purchases = data["purchases"]
    assert (purchases.purchased_at < ANCHOR).all()
    assert (purchases.purchased_at >= ANCHOR - pd.Timedelta(days=3 * 365)).all()
    assert (purchases.purchased_at > created.loc[purchases.subject_id].to_numpy()).all()
    # Stable order: by subject (file order of subjects), then time.
    order = purchases.subject_id.map({s: i for i, s in enumerate(subjects.index)})
    assert order.is_monotonic_increasing
    assert (purchases.groupby("subject_id").purchased_at.diff().dropna() >= pd.Timedelta(0)).all()

    erasures = data["erasure_requests"]
    assert len(erasures) >= 1
    assert (erasures.received_at < ANCHOR).all()
    assert (erasures.received_at >= ANCHOR - pd.Timedelta(days=365)).all()
    assert (erasures.received_at > created.loc[erasures.subject_id].to_numpy()).all()


def test_anchor_moves_the_data(tmp_path: Path) -> None:
    anchor = dt.datetime(2025, 3, 15, 12, 30)
    data = frames(generate(tmp_path, 300, fmt="parquet", anchor=anchor))
    limit = pd.Timestamp(anchor)
    assert (data["subjects"].created_at < limit).all()
    assert (data["purchases"].purchased_at < limit).all()
    assert (data["consent_events"].recorded_at.dropna() < limit).all()


# --- realism --------------------------------------------------------------------------------


def test_names_emails_and_countries_look_real(data_5k: dict[str, pd.DataFrame]) -> None:
    subjects = data_5k["subjects"]
    non_ascii = subjects.full_name.map(lambda s: not s.isascii())
    assert 0.2 < non_ascii.mean() < 0.9
    assert subjects.full_name.str.contains(r"[^\x00-\u024f]").any()  # beyond Latin scripts
    assert subjects.email.map(lambda s: not s.isascii()).any()
    assert (subjects.email == subjects.email.str.lower()).all()
    pattern = re.compile(r"[^\s@]+\.\d+@example\.[a-z]{2}")
    assert subjects.email.map(lambda s: bool(pattern.fullmatch(s))).all()
    index = subjects.email.str.extract(r"\.(\d+)@")[0].astype(int)
    assert (index == subjects.subject_id.str[1:].astype(int)).all()

    shares = subjects.country.value_counts(normalize=True)
    assert shares.index[0] == "DE" and 0.26 < shares["DE"] < 0.34
    assert 0.15 < shares["FR"] < 0.21
    assert shares.index.str.fullmatch(r"[A-Z]{2}").all()
    assert len(shares) >= 15
    postcodes = subjects.set_index("country").postcode
    assert postcodes.loc["DE"].str.fullmatch(r"\d{5}").all()
    assert postcodes.loc["NL"].str.fullmatch(r"[1-9]\d{3} [A-Z]{2}").all()
    assert postcodes.loc["PL"].str.fullmatch(r"\d{2}-\d{3}").all()


def test_income_distribution(data_5k: dict[str, pd.DataFrame]) -> None:
    income = data_5k["subjects"].annual_income_eur.astype(float)
    assert 0.06 < income.isna().mean() < 0.10
    assert 32_000 < income.median() < 44_000
    assert income.min() > 0


def test_consent_histories(data_5k: dict[str, pd.DataFrame]) -> None:
    n = len(data_5k["subjects"])
    events = data_5k["consent_events"]
    valid = events[events.purpose.isin(PURPOSES) & events.action.isin(ACTIONS)]
    valid = valid.dropna().drop_duplicates()
    assert 2.7 < len(events) / n < 3.3
    by_purpose = valid.purpose.value_counts()
    assert by_purpose.index[0] == "model_training"
    first = valid.groupby(["subject_id", "purpose"]).head(1)
    assert (first.action == "grant").mean() > 0.8
    assert (valid.action == "withdraw").mean() > 0.1
    # Newer events carry newer policy versions.
    year = valid.recorded_at.dt.year
    assert valid.policy_version[year <= 2022].eq("1.0").mean() > 0.9
    assert valid.policy_version[year == 2026].eq("2.1").mean() > 0.9
    assert valid.channel.isin(["web", "app"]).mean() > 0.7
    # About half the subjects hold a model_training grant younger than 730 days.
    last = valid[valid.purpose == "model_training"].groupby("subject_id").tail(1)
    standing = (last.action == "grant") & (last.recorded_at > ANCHOR - pd.Timedelta(days=730))
    assert 0.42 < standing.sum() / n < 0.62


def test_purchase_signal_is_learnable(data_5k: dict[str, pd.DataFrame]) -> None:
    """Past purchase counts separate future buyers from non-buyers (the planted signal)."""
    subjects, purchases = data_5k["subjects"], data_5k["purchases"]
    assert 9 < len(purchases) / len(subjects) < 11
    label_start = ANCHOR - pd.Timedelta(days=90)
    feature_start = label_start - pd.Timedelta(days=365)
    in_features = purchases.purchased_at.between(feature_start, label_start, inclusive="left")
    count = purchases[in_features].groupby("subject_id").size()
    bought = purchases[purchases.purchased_at >= label_start].groupby("subject_id").size()
    known = subjects[subjects.created_at < label_start].set_index("subject_id")
    x = count.reindex(known.index, fill_value=0)
    y = bought.reindex(known.index, fill_value=0) > 0

    assert 0.3 < y.mean() < 0.6
    rank = x.rank(method="first")
    bottom = y[rank <= len(x) / 4].mean()
    top = y[rank > 3 * len(x) / 4].mean()
    assert top - bottom > 0.35, (bottom, top)
    # ROC AUC of the count alone (Mann-Whitney U with average ranks for ties).
    ranks = x.rank().to_numpy()
    pos = y.to_numpy()
    auc = (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())
    assert 0.68 < auc < 0.88, auc
    # Demographics carry signal too: the 30-45 year olds buy more than the over-70s.
    age = (label_start - pd.to_datetime(known.birth_date)).dt.days / 365.25
    assert y[age.between(30, 45)].mean() > y[age > 70].mean() + 0.1


def test_amounts_depend_on_category(data_5k: dict[str, pd.DataFrame]) -> None:
    purchases = data_5k["purchases"]
    median = purchases.assign(a=purchases.amount_eur.astype(float)).groupby("category").a.median()
    assert set(median.index) == {
        "books",
        "electronics",
        "fashion",
        "grocery",
        "home",
        "sports",
        "toys",
        "travel",
    }
    assert median["travel"] > median["electronics"] > median["books"]
    assert (purchases.amount_eur.astype(float) > 0).all()


# --- chunking, sizes, errors ----------------------------------------------------------------


def test_chunking_keeps_counts(tmp_path: Path) -> None:
    """Chunks draw different random numbers, but the same distributions: counts stay close.

    Purchase counts are heavy-tailed (a lognormal propensity), so their run-to-run spread is
    about 3% at this size; the bounds below are several spreads wide.
    """
    whole = generate(tmp_path / "whole", 4_000, fmt="parquet")
    parts = generate(tmp_path / "parts", 4_000, fmt="parquet", chunk_size=900)
    assert whole.subjects == parts.subjects == 4_000
    assert abs(whole.consent_events - parts.consent_events) < 0.05 * whole.consent_events
    assert abs(whole.purchases - parts.purchases) < 0.15 * whole.purchases
    assert abs(whole.erasure_requests - parts.erasure_requests) <= 20


def test_small_chunks_keep_ids_gap_free(tmp_path: Path) -> None:
    chunked = generate(tmp_path, 1_000, fmt="parquet", chunk_size=300)
    data = frames(chunked)
    assert data["subjects"].subject_id.tolist() == [f"S{i:09d}" for i in range(1, 1_001)]
    numbers = data["purchases"].purchase_id.str[1:].astype(int)
    assert numbers.tolist() == list(range(1, len(numbers) + 1))  # gap-free across chunks
    events = data["consent_events"].drop_duplicates()
    assert events.event_id.str[1:].astype(int).tolist() == list(range(1, len(events) + 1))
    masks = defect_masks(data["consent_events"], set(data["subjects"].subject_id))
    assert all(m.any() for m in masks.values())
    assert chunked.consent_events == len(data["consent_events"])


def test_tiny_runs(tmp_path: Path) -> None:
    one = generate(tmp_path / "one", 1, fmt="csv")
    assert one.subjects == 1 and one.erasure_requests == 0
    for path in one.files.values():
        assert path.read_text(encoding="utf-8").startswith('"')  # header present
    hundred = generate(tmp_path / "hundred", 100, fmt="parquet", chunk_size=7)
    assert hundred.erasure_requests >= 1


def test_invalid_format_names_the_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="xlsx"):
        generate(tmp_path / "out", 10, fmt="xlsx")
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="subjects"):
        generate(tmp_path / "out", 0)


def test_switching_format_replaces_the_other_files(tmp_path: Path) -> None:
    generate(tmp_path, 50, fmt="csv")
    summary = generate(tmp_path, 50, fmt="parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in summary.files.values()
    )


def test_a_crash_leaves_no_file_under_a_final_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_build = gen._Chunk.build

    def failing_build(self: gen._Chunk, *args: object, **kwargs: object) -> object:
        if self.start > 0:
            raise RuntimeError("disk full")
        return real_build(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gen._Chunk, "build", failing_build)
    with pytest.raises(RuntimeError, match="disk full"):
        generate(tmp_path, 100, fmt="parquet", chunk_size=40)
    assert list(tmp_path.iterdir()) == []


def test_progress_bar_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generate(tmp_path, 20, progress=True)
    captured = capsys.readouterr()
    assert "20" in captured.err and captured.out == ""
    generate(tmp_path, 20)  # small runs are quiet by default
    assert capsys.readouterr().err == ""


def test_summary_line() -> None:
    summary = GenerateSummary(
        out_dir=Path("data/raw"),
        format="csv",
        subjects=1_000,
        consent_events=3_012,
        purchases=10_130,
        erasure_requests=5,
        files={},
    )
    assert summary_line(summary) == (
        "1,000 subjects, 3,012 consent events, 10,130 purchases, 5 erasure requests"
        " -> data/raw (csv)"
    )


def test_rates_follow_the_arguments(tmp_path: Path) -> None:
    summary = generate(
        tmp_path, 2_000, fmt="parquet", events_per_subject=1.0, purchases_per_subject=4.0
    )
    assert 0.85 < summary.consent_events / 2_000 < 1.15
    assert 3.4 < summary.purchases / 2_000 < 4.6
    assert np.isclose(summary.subjects, 2_000)
