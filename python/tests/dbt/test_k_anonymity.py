"""k-anonymity and l-diversity, cross-checked against pycanon, an independent implementation.

pycanon measures k as the size of the smallest equivalence class in ROWS; the project counts
distinct SUBJECTS. On a release with one row per subject (ml_training_set, marketing_audience)
the two must agree exactly. Where a person has many rows they differ, and the tests show by
how much: the person-level k is what protects people, so the frames handed to pycanon are first
aggregated to one row per person where the comparison is meant to be like for like.

The generalization under test is the real SQL: the compiled int_ml_training_lattice (the
search) and int_ml_training_released (the one recoding) models of the demo build, and the
generalize_to_k and privacy_metrics macros compiled by `dbt compile --inline`, all executed in
DuckDB. The training set's classes are combinations of EVERY released column but the pseudonym
and key_id (the label too); l-diversity of the label holds over all the other columns.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
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

SENSITIVE = "has_purchase_next_90d"
# The columns of generalize_to_k's ladder (the marketing-style, per-subject generalization).
LADDER_QIS = ["age_band", "income_band", "country_group"]
# ml_training_set v3: every released column but subject_pseudonym and key_id.
L_COLUMNS = [
    "age_band",
    "income_band",
    "country_group",
    "purchases_12m_band",
    "categories_12m_band",
    "spend_12m_band",
]
QIS = [*L_COLUMNS, SENSITIVE]
PROJECT_VARS = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]
K_MIN, L_MIN = PROJECT_VARS["k_min"], PROJECT_VARS["l_min"]
MAX_SUPPRESSED = PROJECT_VARS["max_suppressed_share"]

# generalize_to_k and privacy_metrics, rendered by dbt from the project's own macros. The
# ladder is marketing_audience's, over a row-level source in which
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
LATTICE_RELATION = "vault.intermediate.int_ml_training_lattice"


class CompiledSql(dict):
    """lattice, model, rowwise, naive, metrics -> SQL text; short repr for hypothesis' reports."""

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
        lattice=(model / "int_ml_training_lattice.sql").read_text(),
        model=(model / "int_ml_training_released.sql").read_text(),
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
    connection.execute(
        f"create table {LATTICE_RELATION} as"
        " select * from demo.intermediate.int_ml_training_lattice limit 0"
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
        " has_purchase_next_90d) values (?, 'k', ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                p["id"],
                p["country_group"],
                p["age"],
                p["income"],
                p.get("purchases", 0),
                p.get("spend", 0),
                p.get("categories", 0),
                p["label"],
            ]
            for p in people
        ],
    )


def load_rows(con: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> None:
    con.execute("delete from population_rows")
    if rows:
        con.executemany("insert into population_rows values (?, ?, ?, ?, ?)", rows)


def run_model(con: duckdb.DuckDBPyConnection, sql: dict[str, str]) -> pd.DataFrame:
    """The search, then the release recoded at its chosen node, as dbt builds them."""
    con.execute(f"delete from {LATTICE_RELATION}")
    con.execute(f"insert into {LATTICE_RELATION} {sql['lattice']}")
    return con.execute(sql["model"]).df()


def chosen_node(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    cursor = con.execute(f"select * from {LATTICE_RELATION} where is_chosen")
    names = [column[0] for column in cursor.description]
    (row,) = cursor.fetchall()
    return dict(zip(names, row, strict=True))


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
    """pycanon's k over `qis` and its l of `sensitive` over the other columns of `qis`."""
    frame = frame.reset_index(drop=True)  # pycanon indexes classes by position
    k = anonymity.k_anonymity(frame, qis)
    others = [c for c in qis if c != sensitive]
    l_div = anonymity.l_diversity(frame, others, [sensitive]) if sensitive else 0
    return k, l_div


def one_row_per_person(frame: pd.DataFrame, person: str, qis: list[str]) -> pd.DataFrame:
    per_person = frame.drop_duplicates([person, *qis])
    assert per_person[person].is_unique, "a person in two classes: not comparable per person"
    return per_person.reset_index(drop=True)


# --- The demo build ------------------------------------------------------------------------


def test_demo_releases_agree_with_pycanon(demo_build: Build) -> None:
    with duckdb.connect(str(demo_build.analytics), read_only=True) as analytics:
        published_report = analytics.execute("select * from release_privacy_report").df()
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
        # The exact report stays in the vault; analytics.duckdb gets its counts rounded.
        report = vault.execute("select * from releases.release_privacy_report").df()
        report = report.set_index("release_name")
        (small_cells,) = vault.execute(
            "select count(*) from privacy.dp_analytics_cells_latest where noisy_subjects < threshold"
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
    assert row.k_achieved == cells.subjects.min() >= K_MIN  # noisy subjects, >= dp_threshold
    assert row.suppressed_cells == small_cells

    step = PROJECT_VARS["governance_count_rounding"]
    published_report = published_report.set_index("release_name")
    for column in ("eligible_subjects", "released_subjects", "suppressed_subjects"):
        for name in ("ml_training_set", "marketing_audience"):
            exact, shown = report.loc[name, column], published_report.loc[name, column]
            assert shown % step == 0 and abs(shown - exact) <= step / 2, (name, column)
    assert (published_report.k_achieved == report.k_achieved).all()  # k and l stay exact


# --- An adversarial population through the real model ------------------------------------

# The lattice of ml_training_set v3, in the order of macros/privacy/ml_training_hierarchies.sql:
# released column -> (candidate column, [fine edges var, coarse edges var] or None for the
# country group). The last level of each column is 'any'.
HIERARCHIES = [
    ("age_band", "age", ["age_band_edges", "age_band_edges_coarse"]),
    ("income_band", "income", ["income_band_edges_eur", "income_band_edges_eur_coarse"]),
    ("country_group", "country_group", None),
    (
        "purchases_12m_band",
        "purchases",
        ["purchases_12m_band_edges", "purchases_12m_band_edges_coarse"],
    ),
    (
        "categories_12m_band",
        "categories",
        ["categories_12m_band_edges", "categories_12m_band_edges_coarse"],
    ),
    ("spend_12m_band", "spend", ["spend_12m_band_edges_eur", "spend_12m_band_edges_eur_coarse"]),
]


def recoded_value(p: dict[str, Any], column: int, level: int) -> str:
    _, source, edges = HIERARCHIES[column]
    if edges is None:
        return p[source] if level == 0 else "any"
    if level == len(edges):
        return "any"
    return band(p[source], PROJECT_VARS[edges[level]])


def reference_search(people: list[dict[str, Any]]) -> tuple[tuple[int, ...], set[str]]:
    """An independent full-domain search: every node of the lattice, the same keep rule (k
    people per class over all columns and the label, then l labels per combination of the
    columns), the same choice (a minimal node within the suppression cap, least discernibility,
    then lowest height and first node). Returns the node and the released ids."""
    sizes = [3 if edges else 2 for _, _, edges in HIERARCHIES]
    nodes = list(itertools.product(*(range(n) for n in sizes)))
    n = len(people)
    scored = []
    for node_id, node in enumerate(nodes):
        keys = {
            p["id"]: tuple(recoded_value(p, c, level) for c, level in enumerate(node))
            for p in people
        }
        label = {p["id"]: str(p["label"]).lower() for p in people}
        classes = Counter((keys[i], label[i]) for i in keys)
        at_k = {c for c, size in classes.items() if size >= K_MIN}
        labels = Counter(key for key, _ in at_k)
        kept = {c for c in at_k if labels[c[0]] >= L_MIN}
        released = {i for i in keys if (keys[i], label[i]) in kept}
        suppressed = n - len(released)
        dm = sum(classes[c] ** 2 for c in kept) + suppressed * n
        scored.append((node_id, node, released, suppressed, dm))
    feasible = [s for s in scored if s[3] <= MAX_SUPPRESSED * n]
    minimal = [
        s
        for s in feasible
        if not any(
            t[0] != s[0] and all(a <= b for a, b in zip(t[1], s[1], strict=True)) for t in feasible
        )
    ]
    if minimal:
        best = min(minimal, key=lambda s: (s[4], sum(s[1]), s[0]))
    else:
        best = min(scored, key=lambda s: (s[3], s[4], sum(s[1]), s[0]))
    return best[1], best[2]


def person(
    pid: str,
    country: str,
    age: int | None,
    income: float | None,
    label: bool,
    purchases: int = 0,
    categories: int = 0,
    spend: float = 0,
) -> dict:
    return {
        "id": pid,
        "country_group": country,
        "age": age,
        "income": income,
        "label": label,
        "purchases": purchases,
        "categories": categories,
        "spend": spend,
    }


ADVERSARIAL = [
    # 12 Germans, regular buyers, both labels.
    *(
        person(f"de{i}", "DE", 30 + i % 10, 21000 + 900 * i, i % 2 == 0, 3 + i % 3, 2, 300 + 40 * i)
        for i in range(12)
    ),
    # 6 French, none bought in the label window: the label alone is no class of theirs.
    *(person(f"fr{i}", "FR", 41 + i, 51000 + 1000 * i, False) for i in range(6)),
    # A country group with three people.
    person("be0", "Benelux", 44, 60000, True, 1, 1, 80),
    person("be1", "Benelux", 47, 55000, False),
    person("be2", "Benelux", 49, 70000, True, 2, 1, 120),
    # One rich old Icelander with a huge purchase history: unique at every fine level.
    person("is0", "Nordics", 91, 250000, True, 169, 8, 40000),
    # Four young Spaniards of unknown income.
    *(person(f"es{i}", "Southern Europe", 19 + i, None, i < 2, i, i, 10 * i) for i in range(4)),
]


def assert_one_recoding(
    released: pd.DataFrame, people: list[dict[str, Any]], node: dict[str, Any]
) -> None:
    """Every released value is the person's true value recoded at the one chosen node, and no
    column says how a row was generalized."""
    assert "generalization_level" not in released.columns
    source = {p["id"]: p for p in people}
    for row in released.itertuples():
        real = source[row.subject_pseudonym]
        for c, (column, _, _) in enumerate(HIERARCHIES):
            assert getattr(row, column) == recoded_value(real, c, node[f"{column}_level"]), column
        assert row.has_purchase_next_90d == real["label"]


def test_adversarial_population_is_recoded_at_one_node_and_agrees_with_pycanon(
    con: duckdb.DuckDBPyConnection, sql: dict[str, str]
) -> None:
    load_candidates(con, ADVERSARIAL)
    released = run_model(con, sql)
    node = chosen_node(con)

    expected_node, expected_ids = reference_search(ADVERSARIAL)
    assert tuple(node[f"{c}_level"] for c, _, _ in HIERARCHIES) == expected_node
    assert set(released.subject_pseudonym) == expected_ids
    assert node["is_feasible"] and node["is_minimal"]
    assert node["suppressed_subjects"] <= MAX_SUPPRESSED * len(ADVERSARIAL)
    assert_one_recoding(released, ADVERSARIAL, node)
    # The Icelander's purchase history is never released at a level that isolates him.
    assert node["purchases_12m_band_level"] > 0 or "is0" not in set(released.subject_pseudonym)

    k, l_div = pycanon_k_l(released, QIS, SENSITIVE)
    metrics = metrics_of(con, sql, released)
    assert (k, l_div) == (metrics["k_achieved"], metrics["l_achieved"])
    assert k >= K_MIN and l_div >= L_MIN
    assert metrics["eligible_subjects"] == len(ADVERSARIAL)
    assert metrics["released_subjects"] == len(released) == node["released_subjects"]


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
    assert pycanon_k_l(naive, LADDER_QIS, "sensitive_value") == (8, 2)  # rows: looks 8-anonymous
    per_person = one_row_per_person(naive, "subject_key", LADDER_QIS)
    assert anonymity.k_anonymity(per_person, LADDER_QIS) == 1  # people: "heavy" stands alone

    released = con.execute(sql["rowwise"]).df()
    assert set(released.subject_key) == set(population.person_id) - {"heavy"}
    assert pycanon_k_l(released, LADDER_QIS, "sensitive_value") == (8, 2)  # 8 rows
    per_person = one_row_per_person(released, "subject_key", LADDER_QIS)
    assert anonymity.k_anonymity(per_person, LADDER_QIS) == 5  # 5 people: the k that protects
    subjects_per_class = released.groupby(LADDER_QIS).subject_key.nunique()
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
            "purchases": st.integers(min_value=0, max_value=30),
            "categories": st.integers(min_value=0, max_value=8),
            "spend": st.integers(min_value=0, max_value=5000),
        }
    ),
    max_size=60,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=people_strategy)
def test_any_population_is_released_k_anonymous_l_diverse_over_all_columns_or_suppressed(
    con: duckdb.DuckDBPyConnection, sql: dict[str, str], people: list[dict[str, Any]]
) -> None:
    """Random populations through the real search and release: k over every released column
    (the label too), l over all the others, one recoding for all rows, bands that tell the
    truth, the node an independent search chooses, and pycanon agreeing with the report."""
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
    node = chosen_node(con) if population else None
    if population:
        expected_node, expected_ids = reference_search(population)
        assert tuple(node[f"{c}_level"] for c, _, _ in HIERARCHIES) == expected_node
        assert released_ids == expected_ids
        assert node["released_subjects"] == len(released_ids)
    if released.empty:
        assert metrics["k_achieved"] == 0
        return
    k, l_div = pycanon_k_l(released, QIS, SENSITIVE)
    assert k == metrics["k_achieved"] >= K_MIN
    assert l_div == metrics["l_achieved"] >= L_MIN
    assert_one_recoding(released, population, node)


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
    per_class = released.groupby(LADDER_QIS)
    assert per_class.subject_key.nunique().min() >= K_MIN
    assert per_class.sensitive_value.nunique().min() >= L_MIN
    k_rows, l_rows = pycanon_k_l(released, LADDER_QIS, "sensitive_value")
    assert k_rows >= per_class.subject_key.nunique().min()
    assert l_rows == per_class.sensitive_value.nunique().min()
