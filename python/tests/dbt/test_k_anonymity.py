"""k-anonymity and l-diversity, cross-checked against pycanon, an independent implementation.

pycanon measures k as the size of the smallest equivalence class in ROWS; the project counts
distinct SUBJECTS. On a release with one row per subject (ml_training_set, marketing_audience)
the two must agree exactly. Where a person has many rows they differ, and the tests show by
how much: the person-level k is what protects people, so the frames handed to pycanon are first
aggregated to one row per person where the comparison is meant to be like for like.

The generalization under test is the real SQL: the compiled int_ml_training_generalized model
of the demo build, and the generalize_to_k and privacy_metrics macros compiled by
`dbt compile --inline`, all executed in DuckDB.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import duckdb
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycanon import anonymity

from conftest import ROOT, Build

pytestmark = pytest.mark.dbt

QIS = ["age_band", "income_band", "country_group"]
SENSITIVE = "has_purchase_next_90d"
PROJECT_VARS = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]
K_MIN, L_MIN = PROJECT_VARS["k_min"], PROJECT_VARS["l_min"]

# generalize_to_k and privacy_metrics, rendered by dbt from the project's own macros. The
# ladder is the training set's (int_ml_training_generalized), over a row-level source in which
# one person may have many rows; `naive` is the same first level with k = 1 and l = 1, the
# release a row-counting check would wave through.
SPLIT = "-- @@split@@"
INLINE = f"""
{{%- set fine = {{
    'age_band': band('age_years', var('age_band_edges')),
    'income_band': band('annual_income_eur', var('income_band_edges_eur')),
    'country_group': 'country_group',
}} -%}}
{{%- set coarse = {{
    'age_band': band('age_years', var('age_band_edges_coarse')),
    'income_band': band('annual_income_eur', var('income_band_edges_eur_coarse')),
    'country_group': "'Europe'",
}} -%}}
with population as (select * from population_rows),
{{{{ generalize_to_k('population', 'person_id', [fine, coarse], var('k_min'),
    'cast(has_purchase_next_90d as varchar)', var('l_min')) }}}}
select * from generalized
{SPLIT}
with population as (select * from population_rows),
{{{{ generalize_to_k('population', 'person_id', [fine], 1,
    'cast(has_purchase_next_90d as varchar)', 1) }}}}
select * from generalized
{SPLIT}
{{{{ privacy_metrics('fixture', 'model_training', 'released', {QIS!r}, 'candidates',
    '{SENSITIVE}') }}}}
"""

CANDIDATES_RELATION = "vault.intermediate.int_ml_training_candidates"


class CompiledSql(dict):
    """model, rowwise, naive, metrics -> SQL text; short repr for hypothesis' reports."""

    def __repr__(self) -> str:
        return f"<compiled SQL: {', '.join(self)}>"


@pytest.fixture(scope="module")
def sql(demo_build: Build, tmp_path_factory: pytest.TempPathFactory) -> CompiledSql:
    """The real SQL: the demo build's compiled model and the inline-compiled macros."""
    scratch = tmp_path_factory.mktemp("inline")
    compiler = replace(demo_build, target=scratch / "target", logs=scratch / "logs")
    completed = compiler.dbt("compile", "--inline", INLINE, "--quiet", "--output", "json")
    assert completed.returncode == 0, compiler.output[-3000:]
    rowwise, naive, metrics = json.loads(completed.stdout)["compiled"].split(SPLIT)
    model = demo_build.target / "compiled/gdpr_pipeline/models/intermediate"
    return CompiledSql(
        model=(model / "int_ml_training_generalized.sql").read_text(),
        rowwise=rowwise,
        naive=naive,
        metrics=metrics,
    )


@pytest.fixture(scope="module")
def con(demo_build: Build) -> Iterable[duckdb.DuckDBPyConnection]:
    """In-memory DuckDB laid out like the vault: the compiled model runs unchanged."""
    connection = duckdb.connect()
    connection.execute(f"attach '{demo_build.vault}' as demo (read_only)")
    connection.execute("attach ':memory:' as vault")
    connection.execute("create schema vault.intermediate")
    connection.execute(
        f"create table {CANDIDATES_RELATION} as"
        " select * from demo.intermediate.int_ml_training_candidates limit 0"
    )
    connection.execute("detach demo")  # dbt needs the vault's write lock for `compile`
    connection.execute(
        "create table population_rows (person_id varchar, age_years integer,"
        " annual_income_eur decimal(14, 2), country_group varchar,"
        " has_purchase_next_90d boolean)"
    )
    yield connection
    connection.close()


def load_candidates(con: duckdb.DuckDBPyConnection, people: Sequence[dict[str, Any]]) -> None:
    """One row per subject, in int_ml_training_candidates' real schema."""
    con.execute(f"delete from {CANDIDATES_RELATION}")
    if not people:
        return
    con.executemany(
        f"insert into {CANDIDATES_RELATION} (subject_pseudonym, key_id, country_group,"
        " age_years, annual_income_eur, purchases_12m, spend_12m_eur, categories_12m,"
        " has_purchase_next_90d) values (?, 'k', ?, ?, ?, 0, 0, 0, ?)",
        [[p["id"], p["country_group"], p["age"], p["income"], p["label"]] for p in people],
    )


def load_rows(con: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> None:
    con.execute("delete from population_rows")
    if rows:
        con.executemany("insert into population_rows values (?, ?, ?, ?, ?)", rows)


def run_model(con: duckdb.DuckDBPyConnection, sql: dict[str, str]) -> pd.DataFrame:
    return con.execute(sql["model"]).df()


def metrics_of(
    con: duckdb.DuckDBPyConnection, sql: dict[str, str], released: pd.DataFrame
) -> dict[str, Any]:
    """The project's privacy_metrics over `released`, against the loaded candidates."""
    con.register("released", released)
    con.execute(f"create or replace temp view candidates as select * from {CANDIDATES_RELATION}")
    try:
        cursor = con.execute(sql["metrics"])
        names = [column[0] for column in cursor.description]
        (row,) = cursor.fetchall()
        return dict(zip(names, row, strict=True))
    finally:
        con.unregister("released")


def pycanon_k_l(frame: pd.DataFrame, qis: list[str], sensitive: str | None) -> tuple[int, int]:
    frame = frame.reset_index(drop=True)  # pycanon indexes classes by position
    k = anonymity.k_anonymity(frame, qis)
    l_div = anonymity.l_diversity(frame, qis, [sensitive]) if sensitive else 0
    return k, l_div


def one_row_per_person(frame: pd.DataFrame, person: str, qis: list[str]) -> pd.DataFrame:
    per_person = frame.drop_duplicates([person, *qis])
    assert per_person[person].is_unique, "a person in two classes: not comparable per person"
    return per_person.reset_index(drop=True)


# --- The demo build ------------------------------------------------------------------------


def test_demo_releases_agree_with_pycanon(demo_build: Build) -> None:
    with duckdb.connect(str(demo_build.analytics), read_only=True) as analytics:
        report = analytics.execute("select * from release_privacy_report").df()
        report = report.set_index("release_name")
        training = analytics.execute("select * from ml_training_set").df()
        audience = analytics.execute("select * from marketing_audience").df()
        cells = analytics.execute("select * from analytics_purchases_monthly").df()
    with duckdb.connect(str(demo_build.vault), read_only=True) as vault:
        (eligible_training,) = vault.execute(
            "select count(distinct subject_pseudonym) from intermediate.int_ml_training_candidates"
        ).fetchone()
        (eligible_marketing,) = vault.execute(
            "select count(distinct subject_id) from intermediate.int_subjects_purpose_eligibility"
            " where purpose = 'marketing' and is_eligible"
        ).fetchone()
        (small_cells,) = vault.execute(
            "select count(*) from intermediate.int_purchases_aggregated_to_monthly_cells"
            " where subjects < ?",
            [K_MIN],
        ).fetchone()

    for name, frame, eligible in (
        ("ml_training_set", training, eligible_training),
        ("marketing_audience", audience, eligible_marketing),
    ):
        row = report.loc[name]
        qis = row.quasi_identifiers.split(", ")
        sensitive = row.sensitive_attribute if isinstance(row.sensitive_attribute, str) else None
        assert frame.subject_pseudonym.is_unique  # one row per subject: rows == people
        k, l_div = pycanon_k_l(frame, qis, sensitive)
        assert k == row.k_achieved >= row.k_required == K_MIN, name
        if sensitive:
            assert l_div == row.l_achieved >= row.l_required == L_MIN, name
        assert row.eligible_subjects == eligible, name
        assert row.released_subjects == len(frame), name
        assert row.suppressed_subjects == eligible - len(frame), name
    assert report.loc["ml_training_set"].quasi_identifiers.split(", ") == QIS

    row = report.loc["analytics_purchases_monthly"]
    assert row.k_achieved == cells.subjects.min() >= K_MIN
    assert row.suppressed_cells == small_cells


# --- An adversarial population through the real model ------------------------------------


def person(pid: str, country: str, age: int | None, income: float | None, label: bool) -> dict:
    return {"id": pid, "country_group": country, "age": age, "income": income, "label": label}


ADVERSARIAL = [
    # 12 Germans in one fine class, both labels: released as they are.
    *(person(f"de{i}", "DE", 30 + i % 10, 21000 + 900 * i, i % 2 == 0) for i in range(12)),
    # 6 French in one fine class, all the same label: k holds, l fails, so coarsened.
    *(person(f"fr{i}", "FR", 41 + i, 51000 + 1000 * i, False) for i in range(6)),
    # A country group with three people: too few alone, so coarsened to Europe with the French.
    person("be0", "Benelux", 44, 60000, True),
    person("be1", "Benelux", 47, 55000, False),
    person("be2", "Benelux", 49, 70000, True),
    # One rich old Icelander: unique at every level, so suppressed.
    person("is0", "Nordics", 91, 250000, True),
    # Four young Spaniards of unknown income: four at every level, so suppressed.
    *(person(f"es{i}", "Southern Europe", 19 + i, None, i < 2) for i in range(4)),
]


def test_adversarial_population_generalizes_or_suppresses_and_agrees_with_pycanon(
    con: duckdb.DuckDBPyConnection, sql: dict[str, str]
) -> None:
    load_candidates(con, ADVERSARIAL)
    released = run_model(con, sql)

    by_id = released.set_index("subject_pseudonym")
    assert set(by_id.index) == {p["id"] for p in ADVERSARIAL} - {"is0", "es0", "es1", "es2", "es3"}
    assert set(by_id.loc[[f"de{i}" for i in range(12)], "generalization_level"]) == {0}
    for pid in ("be0", "be1", "be2", "fr0"):
        assert tuple(by_id.loc[pid, QIS]) == ("40-59", "35000-74999", "Europe")

    k, l_div = pycanon_k_l(released, QIS, SENSITIVE)
    metrics = metrics_of(con, sql, released)
    assert (k, l_div) == (metrics["k_achieved"], metrics["l_achieved"]) == (9, 2)
    assert metrics["eligible_subjects"] == len(ADVERSARIAL)
    assert metrics["released_subjects"] == len(released) == 21


def test_one_person_with_many_rows_is_one_person(
    con: duckdb.DuckDBPyConnection, sql: dict[str, str]
) -> None:
    """pycanon counts rows, the project counts people: a person repeated 10 times is a class
    of 10 rows to pycanon and a class of one person to generalize_to_k."""
    rows = [
        # A heavy user alone in his class, ten rows: a row count says k = 10.
        *(("heavy", 64, "120000", "Nordics", i % 2 == 0) for i in range(10)),
        # Five people in one class, one of them with four rows: eight rows, five people.
        *(("frequent", 35, "25000", "DE", True) for _ in range(4)),
        *((f"de{i}", 31 + i, "22000", "DE", i % 2 == 0) for i in range(4)),
    ]
    load_rows(con, rows)
    population = pd.DataFrame(rows, columns=["person_id", "age", "income", "country", SENSITIVE])

    # Fine bands only, no suppression: what a row-counting check would accept.
    naive = con.execute(sql["naive"]).df()
    assert pycanon_k_l(naive, QIS, "sensitive_value") == (8, 2)  # rows: looks 8-anonymous
    per_person = one_row_per_person(naive, "subject_key", QIS)
    assert anonymity.k_anonymity(per_person, QIS) == 1  # people: "heavy" stands alone

    released = con.execute(sql["rowwise"]).df()
    assert set(released.subject_key) == set(population.person_id) - {"heavy"}
    assert pycanon_k_l(released, QIS, "sensitive_value") == (8, 2)  # 8 rows
    per_person = one_row_per_person(released, "subject_key", QIS)
    assert anonymity.k_anonymity(per_person, QIS) == 5  # 5 people: the k that protects
    subjects_per_class = released.groupby(QIS).subject_key.nunique()
    assert subjects_per_class.min() == 5


# --- Property: any small population ----------------------------------------------------------


def band(value: float | None, edges: list[int]) -> str:
    """An independent rendering of macros/policy/band.sql, to check bands tell the truth."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    for i in range(len(edges) - 1, -1, -1):
        if value >= edges[i]:
            return f"{edges[i]}+" if i == len(edges) - 1 else f"{edges[i]}-{edges[i + 1] - 1}"
    return f"below {edges[0]}"


people_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "country_group": st.sampled_from(["DE", "FR", "Benelux", "Nordics", "Other"]),
            "age": st.one_of(st.none(), st.integers(min_value=14, max_value=95)),
            "income": st.one_of(st.none(), st.integers(min_value=0, max_value=160000)),
            "label": st.booleans(),
        }
    ),
    max_size=60,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=people_strategy)
def test_any_population_is_released_k_anonymous_l_diverse_or_suppressed(
    con: duckdb.DuckDBPyConnection, sql: dict[str, str], people: list[dict[str, Any]]
) -> None:
    population = [{"id": f"p{i}", **p} for i, p in enumerate(people)]
    load_candidates(con, population)
    released = run_model(con, sql)
    metrics = metrics_of(con, sql, released)
    ids = {p["id"] for p in population}
    released_ids = set(released.subject_pseudonym)
    suppressed_ids = ids - released_ids

    assert released.subject_pseudonym.is_unique  # one row per released subject
    assert released_ids <= ids  # nobody invented
    assert not released_ids & suppressed_ids
    assert metrics["eligible_subjects"] == len(ids)
    assert metrics["released_subjects"] == len(released_ids)
    assert len(suppressed_ids) == len(ids) - metrics["released_subjects"]
    if released.empty:
        assert metrics["k_achieved"] == 0
        return
    k, l_div = pycanon_k_l(released, QIS, SENSITIVE)
    assert k == metrics["k_achieved"] >= K_MIN
    assert l_div == metrics["l_achieved"] >= L_MIN

    # Bands are truthful: each released band contains the person's real value.
    source = {p["id"]: p for p in population}
    for row in released.itertuples():
        real = source[row.subject_pseudonym]
        level = ("", "_coarse")[row.generalization_level]
        assert row.age_band == band(real["age"], PROJECT_VARS[f"age_band_edges{level}"])
        assert row.income_band == band(
            real["income"], PROJECT_VARS[f"income_band_edges_eur{level}"]
        )
        assert row.country_group == (real["country_group"], "Europe")[row.generalization_level]


rows_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=25),  # person; several rows per person are common
        st.sampled_from([25, 35, 45, 65]),
        st.sampled_from([10000, 40000, 90000]),
        st.sampled_from(["DE", "FR"]),
        st.booleans(),
    ),
    max_size=80,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=rows_strategy)
def test_any_row_level_population_is_k_anonymous_per_person(
    con: duckdb.DuckDBPyConnection, sql: dict[str, str], rows: list[tuple]
) -> None:
    """Many rows per person, even with different values: k is counted per person, and pycanon's
    row count can only overstate it."""
    load_rows(
        con, [(f"p{pid}", age, income, country, label) for pid, age, income, country, label in rows]
    )
    released = con.execute(sql["rowwise"]).df()
    people = {f"p{row[0]}" for row in rows}

    assert set(released.subject_key) <= people
    assert len(released) <= len(rows)
    if released.empty:
        return
    per_class = released.groupby(QIS)
    assert per_class.subject_key.nunique().min() >= K_MIN
    assert per_class.sensitive_value.nunique().min() >= L_MIN
    k_rows, l_rows = pycanon_k_l(released, QIS, "sensitive_value")
    assert k_rows >= per_class.subject_key.nunique().min()
    assert l_rows == per_class.sensitive_value.nunique().min()
