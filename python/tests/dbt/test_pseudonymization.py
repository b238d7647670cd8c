"""Keyed pseudonyms: the SQL HMAC is exactly RFC 2104 HMAC-SHA256, and the key never lands on disk.

The SQL under test is the project's own macro, compiled by dbt (`dbt compile --inline`), run in
DuckDB with the pads set by the project's own plugin: no re-implementation stands in for it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import PLANTED_KEY, Build, make_build
from gdpr_pipeline import keys
from gdpr_pipeline.engines.duckdb_plugin import Plugin
from key_material import RFC4231, forbidden_patterns, scan_for_leaks


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The project's HMAC and pseudonym SQL, compiled once by dbt."""
    build = make_build(tmp_path_factory.mktemp("compile"))
    sql = {}
    for name, inline in {
        "hmac": "select {{ hmac_sha256_hex('message') }} as digest from messages",
        "pseudonym": "select {{ pseudonymize('domain', 'subject_id') }} as p from subjects",
    }.items():
        completed = build.dbt("compile", "--quiet", "--inline", inline)
        assert completed.returncode == 0, build.output
        sql[name] = completed.stdout.strip()
    return sql


def _engine(secret: bytes) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection configured by the project's plugin with this key."""
    plugin = Plugin.__new__(Plugin)
    plugin._key = keys.Key(secret=secret, source="test")
    plugin._warehouse = Path("/nonexistent")
    con = duckdb.connect()
    plugin.configure_connection(con)
    return con


@pytest.mark.parametrize(("key", "data", "expected"), RFC4231)
def test_sql_hmac_matches_rfc4231(
    compiled: dict[str, str], key: bytes, data: bytes, expected: str
) -> None:
    con = _engine(key)
    con.execute("create table messages as select ?::blob as message", [data])
    digest = con.execute(compiled["hmac"]).fetchone()[0]
    assert digest[: len(expected)] == expected


def test_python_reference_matches_rfc4231() -> None:
    for key, data, expected in RFC4231:
        assert hmac.new(key, data, hashlib.sha256).hexdigest()[: len(expected)] == expected


@settings(max_examples=150, deadline=None)
@given(
    secret=st.text(min_size=32, max_size=100),
    pairs=st.lists(
        st.tuples(
            st.sampled_from(["model_training", "marketing", "analytics", "dömäin"]),
            st.text(max_size=40),
        ),
        min_size=1,
        max_size=20,
    ),
)
def test_sql_pseudonym_equals_python_hmac(
    compiled: dict[str, str], secret: str, pairs: list[tuple[str, str]]
) -> None:
    """Random keys and ids, non-ASCII and odd characters included, against Python's hmac."""
    con = _engine(secret.encode())
    con.execute("create table subjects (domain varchar, subject_id varchar)")
    con.executemany("insert into subjects values (?, ?)", pairs)
    got = [row[0] for row in con.execute(compiled["pseudonym"]).fetchall()]
    assert got == [keys.pseudonym(secret.encode(), d, s) for d, s in pairs]


def test_compiled_sql_names_variables_not_values(compiled: dict[str, str]) -> None:
    assert "getvariable('gdpr_hmac_inner_pad')" in compiled["pseudonym"]
    assert PLANTED_KEY not in compiled["pseudonym"]


def test_key_never_reaches_disk_or_output(demo_build: Build) -> None:
    """Scan the raw bytes of target/, logs/, both DuckDB files and dbt's output for the key."""
    patterns = forbidden_patterns(PLANTED_KEY.encode())
    scanned = [demo_build.target, demo_build.logs, demo_build.warehouse]
    for directory in scanned:
        assert directory.exists() and any(directory.rglob("*")), f"nothing to scan in {directory}"
    leaks = [leak for directory in scanned for leak in scan_for_leaks(directory, patterns)]
    assert not leaks, leaks
    assert PLANTED_KEY not in demo_build.output
    # The view definitions stored in the vault hold SQL text: none of it holds the key.
    with duckdb.connect(str(demo_build.vault), read_only=True) as con:
        view_sql = " ".join(
            r[0]
            for r in con.execute("select sql from duckdb_views() where not internal").fetchall()
        )
    assert "gdpr_hmac" not in view_sql or PLANTED_KEY not in view_sql


def test_releases_carry_key_id_not_key(demo_build: Build) -> None:
    expected = keys.key_id(PLANTED_KEY.encode())
    with duckdb.connect(str(demo_build.analytics), read_only=True) as con:
        ids = {r[0] for r in con.execute("select distinct key_id from ml_training_set").fetchall()}
    assert ids == {expected}
    assert not re.search(re.escape(expected), PLANTED_KEY)


def test_release_pseudonyms_are_the_documented_formula(demo_build: Build) -> None:
    """Recompute every released pseudonym from the vault's identifiers with Python's hmac."""
    with duckdb.connect(str(demo_build.vault), read_only=True) as con:
        rows = con.execute(
            "select subject_id, pseudonym_domain, subject_pseudonym from intermediate.int_subject_pseudonyms"
        ).fetchall()
    assert len(rows) > 100
    for subject_id, domain, pseudonym in rows:
        assert pseudonym == keys.pseudonym(PLANTED_KEY.encode(), domain, subject_id)


def test_pseudonyms_only_for_purposes_whose_releases_carry_one(demo_build: Build) -> None:
    """Minimisation: the vault links identifiers to pseudonyms only in the domains of purposes
    whose allowlist releases subject_pseudonym; analytics releases aggregates and gets none."""
    with duckdb.connect(str(demo_build.vault), read_only=True) as con:
        domains = {
            r[0]
            for r in con.execute(
                "select distinct pseudonym_domain from intermediate.int_subject_pseudonyms"
            ).fetchall()
        }
        releasing = {
            r[0]
            for r in con.execute(
                "select purpose from registry.purpose_columns where column_name = 'subject_pseudonym'"
            ).fetchall()
        }
        eligible = {
            r[0]
            for r in con.execute(
                "select distinct purpose from intermediate.int_subjects_purpose_eligibility"
                " where is_eligible"
            ).fetchall()
        }
    assert domains == releasing & eligible == {"model_training", "marketing"}
    assert "analytics" in eligible - domains


@pytest.mark.parametrize(
    ("key", "message"),
    [(None, "No pseudonymization key"), ("too-short-key", "at least 32 are required")],
)
def test_missing_or_short_key_stops_before_anything_is_written(
    tmp_path: Path, key: str | None, message: str
) -> None:
    build = make_build(tmp_path, key=key)
    build.env["GDPR_KEY_FILE"] = str(tmp_path / "no-such.key")
    build.raw_dir.mkdir()
    build.dbt("build")
    assert build.returncode != 0
    assert message in build.output
    assert "DBT_ENV_SECRET_PSEUDONYM_KEY" in build.output  # says how to set one
    assert not build.vault.exists() and not build.analytics.exists()
