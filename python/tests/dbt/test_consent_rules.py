"""Consent rules that only a real build can show: erasure whatever the as_of, an earlier as_of
rebuilding the earlier release, and the data test that guards every consent-based release.

The demo build (as_of A = DEMO_AS_OF) is the reference; each test builds its own copy of the
demo data, with the same planted key, so pseudonyms compare across builds.
"""

from __future__ import annotations

import csv
import dataclasses
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import DEMO_AS_OF, ROOT, Build, comparable_releases, make_build

pytestmark = pytest.mark.dbt

# Consent-based releases with one row per subject, and the purpose (= pseudonym domain) of each.
SUBJECT_RELEASES = {"ml_training_set": "model_training", "marketing_audience": "marketing"}
EARLIER_AS_OF = "2026-08-01 00:00:00"
ERASURE_RECEIVED_AT = "2026-10-01 00:00:00"
LATE_GRANT_AT = "2026-10-15 00:00:00"
BEFORE_ERASURE_AS_OF = "2026-09-01 00:00:00"


def _rows(con: duckdb.DuckDBPyConnection, query: str, *params: Any) -> list[tuple[Any, ...]]:
    return con.execute(query, list(params)).fetchall()


# Columns that say which build published a release, not what it holds.
def _released_text(path: Path) -> set[str]:
    """Every text value anywhere in the analytics database."""
    values: set[str] = set()
    with duckdb.connect(str(path), read_only=True) as con:
        columns = _rows(
            con,
            "select table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'",
        )
        for table, column in columns:
            values.update(
                r[0] for r in _rows(con, f'select distinct "{column}" from "{table}"') if r[0]
            )
    return values


def _released_pseudonyms(path: Path, release: str) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {r[0] for r in _rows(con, f'select subject_pseudonym from "{release}"')}


def _standing_at(vault: Path, purpose: str, at: str) -> set[str]:
    """Subjects whose consent interval for the purpose contains the instant `at`."""
    with duckdb.connect(str(vault), read_only=True) as con:
        return {
            r[0]
            for r in _rows(
                con,
                "select subject_id from intermediate.int_consent_events_to_intervals "
                "where purpose = ? and valid_from <= cast(? as timestamp) "
                "and (valid_to is null or valid_to > cast(? as timestamp))",
                purpose,
                at,
                at,
            )
        }


def _eligible(vault: Path, purpose: str) -> set[str]:
    with duckdb.connect(str(vault), read_only=True) as con:
        return {
            r[0]
            for r in _rows(
                con,
                "select subject_id from intermediate.int_subjects_purpose_eligibility "
                "where purpose = ? and is_eligible",
                purpose,
            )
        }


def _pseudonyms(vault: Path, domain: str) -> dict[str, str]:
    """subject_id -> pseudonym in the domain, for the subjects eligible in that build."""
    with duckdb.connect(str(vault), read_only=True) as con:
        return dict(
            _rows(
                con,
                "select subject_id, subject_pseudonym from intermediate.int_subject_pseudonyms "
                "where pseudonym_domain = ?",
                domain,
            )
        )


def _append_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        fields = next(csv.reader(handle))
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, fieldnames=fields, lineterminator="\n").writerows(rows)


# ---------------------------------------------------------------------------------------------
# Erasure
# ---------------------------------------------------------------------------------------------


def _assert_erased(build: Build, subject_id: str, pseudonyms: set[str]) -> None:
    with duckdb.connect(str(build.vault), read_only=True) as vault:
        for relation in (
            "staging.stg_app__subjects",
            "staging.stg_app__consent_events",
            "intermediate.int_consent_events_classified",
            "intermediate.int_consent_events_to_intervals",
            "intermediate.int_subjects_purpose_eligibility",
            "intermediate.int_subject_pseudonyms",
            "quarantine.quarantine_records",
        ):
            count = _rows(
                vault, f"select count(*) from {relation} where subject_id = ?", subject_id
            )
            assert count == [(0,)], relation
        left = _rows(
            vault,
            "select subject_pseudonym from intermediate.int_subject_pseudonyms "
            "where list_contains(?, subject_pseudonym)",
            sorted(pseudonyms),
        )
        assert left == []
        # The tombstone holds exactly these pseudonyms: the comparison is against real values.
        tombstone = {
            r[0]
            for r in _rows(
                vault, "select subject_pseudonym from intermediate.int_erasure_tombstones"
            )
        }
        assert pseudonyms <= tombstone
    released = _released_text(build.analytics)
    assert released, "nothing released"
    assert not (released & (pseudonyms | {subject_id}))


def test_erasure_ends_consent_and_neither_a_later_grant_nor_an_earlier_as_of_reopens_it(
    demo_build: Build, fresh_build: Build
) -> None:
    # A released subject with standing model_training consent both at A and before the erasure.
    standing = _standing_at(demo_build.vault, "model_training", DEMO_AS_OF) & _standing_at(
        demo_build.vault, "model_training", BEFORE_ERASURE_AS_OF
    )
    by_subject = _pseudonyms(demo_build.vault, "model_training")
    released = _released_pseudonyms(demo_build.analytics, "ml_training_set")
    subject_id = min(s for s in standing if by_subject.get(s) in released)
    with duckdb.connect(str(demo_build.vault), read_only=True) as vault:
        pseudonyms = {
            r[0]
            for r in _rows(
                vault,
                "select subject_pseudonym from intermediate.int_subject_pseudonyms "
                "where subject_id = ?",
                subject_id,
            )
        }
    assert by_subject[subject_id] in pseudonyms

    shutil.copytree(demo_build.raw_dir, fresh_build.raw_dir)
    _append_csv(
        fresh_build.raw_dir / "erasure_requests.csv",
        [
            {
                "request_id": "R_TEST_ERASE",
                "subject_id": subject_id,
                "received_at": ERASURE_RECEIVED_AT,
            }
        ],
    )
    _append_csv(
        fresh_build.raw_dir / "consent_events.csv",
        [
            {
                "event_id": f"E_TEST_LATE_{purpose}",
                "subject_id": subject_id,
                "purpose": purpose,
                "action": "grant",
                "recorded_at": LATE_GRANT_AT,
                "policy_version": "2.1",
                "channel": "web",
            }
            for purpose in ("model_training", "marketing", "analytics")
        ],
    )

    fresh_build.dbt("build")
    assert fresh_build.returncode == 0, fresh_build.output[-3000:]
    _assert_erased(fresh_build, subject_id, pseudonyms)

    # An audit rebuild for a date before the request still leaves the subject out.
    fresh_build.dbt("build", dbt_vars={"as_of": BEFORE_ERASURE_AS_OF})
    assert fresh_build.returncode == 0, fresh_build.output[-3000:]
    _assert_erased(fresh_build, subject_id, pseudonyms)


# ---------------------------------------------------------------------------------------------
# An earlier as_of
# ---------------------------------------------------------------------------------------------


def test_rebuild_with_an_earlier_as_of_gives_the_earlier_release(
    demo_build: Build, tmp_path: Path
) -> None:
    # The audit case: a warehouse that holds the release at A is rebuilt for B < A ...
    audit = make_build(tmp_path / "audit")
    shutil.copytree(demo_build.raw_dir, audit.raw_dir)
    shutil.copytree(demo_build.warehouse, audit.warehouse)
    audit.dbt("build", dbt_vars={"as_of": EARLIER_AS_OF})
    assert audit.returncode == 0, audit.output[-3000:]
    # ... and gives exactly what a clean build at B gives, pseudonyms included.
    clean = make_build(tmp_path / "clean")
    shutil.copytree(demo_build.raw_dir, clean.raw_dir)
    clean.dbt("build", dbt_vars={"as_of": EARLIER_AS_OF})
    assert clean.returncode == 0, clean.output[-3000:]
    # (The DP release by its un-noised input: the audit warehouse keeps the months it had
    # already noised, as every rebuild does.)
    at_b = comparable_releases(audit)
    assert at_b == comparable_releases(clean)
    with duckdb.connect(str(audit.analytics), read_only=True) as con:
        assert _rows(con, "select distinct cast(as_of as varchar) from release_metadata") == [
            (EARLIER_AS_OF,)
        ]
    assert at_b["ml_training_set"] != comparable_releases(demo_build)["ml_training_set"]

    for release, purpose in SUBJECT_RELEASES.items():
        # Consent at B is the consent A's intervals give for the instant B: later events do
        # not change the past.
        eligible_a = _eligible(demo_build.vault, purpose)
        eligible_b = _eligible(audit.vault, purpose)
        assert eligible_b == _standing_at(demo_build.vault, purpose, EARLIER_AS_OF)
        pseudonym_a = _pseudonyms(demo_build.vault, purpose)
        pseudonym_b = _pseudonyms(audit.vault, purpose)
        assert all(pseudonym_a[s] == pseudonym_b[s] for s in eligible_a & eligible_b)
        released_a = _released_pseudonyms(demo_build.analytics, release)
        released_b = _released_pseudonyms(audit.analytics, release)
        assert released_b <= {pseudonym_b[s] for s in eligible_b}

        # Subjects whose consent began between B and A are in A's release, not in B's; those
        # whose consent ended between B and A are in B's release, not in A's.
        began = {pseudonym_a[s] for s in eligible_a - eligible_b}
        ended = {pseudonym_b[s] for s in eligible_b - eligible_a}
        assert began & released_a, release
        assert not began & released_b, release
        assert ended & released_b, release
        assert not ended & released_a, release


# ---------------------------------------------------------------------------------------------
# The data test on every build
# ---------------------------------------------------------------------------------------------


def _project_copy(destination: Path) -> Path:
    """The dbt project without build output, data or the Python package."""
    destination.mkdir()
    shutil.copy2(ROOT / "dbt_project.yml", destination / "dbt_project.yml")
    for directory in ("models", "macros", "seeds", "tests"):
        shutil.copytree(ROOT / directory, destination / directory)
    return destination


def test_released_with_standing_consent_fails_a_release_without_standing_consent(
    demo_build: Build, tmp_path: Path
) -> None:
    """Plant the tutorial's bug (consent = the latest event is a grant, ignoring expiry and
    min_policy_version) in a copy of the project: the data test must fail the build on both
    consent-based releases, list subjects without standing consent, and nothing is published.
    The unit tests would stop this build earlier, so they are left out to reach the data test."""
    project = _project_copy(tmp_path / "project")
    model = project / "models/intermediate/int_subjects_purpose_eligibility.sql"
    correct = "when 'consent' then standing_consent.subject_id is not null"
    only_objections = "\n        and purposes.lawful_basis = 'legitimate_interest'"
    text = model.read_text()
    assert correct in text and only_objections in text
    model.write_text(
        text.replace(only_objections, "").replace(
            correct, "when 'consent' then latest_events.action = 'grant'"
        )
    )
    broken = dataclasses.replace(make_build(tmp_path), root=project)
    shutil.copytree(demo_build.raw_dir, broken.raw_dir)
    broken.dbt("build", "--exclude-resource-type", "unit_test")
    assert broken.returncode != 0

    failed = {
        r["unique_id"].split(".")[2]
        for r in broken.run_results()["results"]
        if r["status"] in ("fail", "error")
    }
    assert failed, broken.output[-3000:]
    assert all(name.startswith("released_with_standing_consent_") for name in failed), failed
    for release in SUBJECT_RELEASES:
        assert any(name.startswith(f"released_with_standing_consent_{release}") for name in failed)
    assert not broken.analytics.exists(), "a build with a failing test must publish nothing"

    # Every listed pseudonym is a subject the planted bug let in: no interval contains as_of.
    with duckdb.connect(str(broken.vault), read_only=True) as vault:
        tables = [
            r[0]
            for r in _rows(
                vault,
                "select table_name from information_schema.tables "
                "where table_schema = 'test_failures' "
                "and table_name like 'released_with_standing_consent%'",
            )
        ]
        listed = {r[0] for t in tables for r in _rows(vault, f'select * from test_failures."{t}"')}
        owners = {
            pseudonym: (domain, subject_id)
            for pseudonym, domain, subject_id in _rows(
                vault,
                "select subject_pseudonym, pseudonym_domain, subject_id "
                "from intermediate.int_subject_pseudonyms "
                "where list_contains(?, subject_pseudonym)",
                sorted(listed),
            )
        }
    assert listed and set(owners) == listed
    standing = {d: _standing_at(broken.vault, d, DEMO_AS_OF) for d in SUBJECT_RELEASES.values()}
    assert not [owner for owner in owners.values() if owner[1] in standing[owner[0]]]
