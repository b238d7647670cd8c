"""Data-subject rights end to end, on real dbt builds of the demo data.

One module-scoped case: the demo build, a model trained on it, then erase one subject who is in the training set
and the marketing audience, withdraw another's model_training consent, and rebuild. The tests
scan every relation of both databases and the raw bytes of analytics.duckdb with their own
plain scanner (not the code under test), and check what `models status` and `subject-report`
say against values recomputed from the raw files and the planted key.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import DEMO_AS_OF, PLANTED_KEY, ROOT, Build, make_build
from gdpr_pipeline import keys, rights
from gdpr_pipeline.cli import app
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.ml.train import train

SECRET = PLANTED_KEY.encode()
DOMAINS = ("analytics", "marketing", "model_training")


def scan_relations(database: Path, needles: list[str]) -> dict[str, set[str]]:
    """relation.column -> needles found (case-insensitive substring), over every column of
    every table and view, each cast to text. Deliberately plain: one query per column."""
    found: dict[str, set[str]] = {}
    with duckdb.connect(str(database), read_only=True) as con:
        relations = con.execute(
            "select schema_name, table_name from duckdb_tables() where not internal union all "
            "select schema_name, view_name from duckdb_views() where not internal"
        ).fetchall()
        assert relations
        for schema, relation in relations:
            name = f'"{schema}"."{relation}"'
            for column, *_ in con.execute(f"describe {name}").fetchall():
                for needle in needles:
                    (count,) = con.execute(
                        f'select count(*) from {name} where contains(lower(cast("{column}" '
                        "as varchar)), lower(?))",
                        [needle],
                    ).fetchone()
                    if count:
                        found.setdefault(f"{schema}.{relation}.{column}", set()).add(needle)
    return found


def byte_needles(subject_id: str) -> dict[str, bytes]:
    needles = {}
    for domain in DOMAINS:
        hexa = keys.pseudonym(SECRET, domain, subject_id)
        needles[f"{domain} hex"] = hexa.encode()
        needles[f"{domain} HEX"] = hexa.upper().encode()
        needles[f"{domain} raw 32 bytes"] = bytes.fromhex(hexa)
    return needles


def released_pseudonyms(database: Path, relation: str) -> set[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {r[0] for r in con.execute(f"select subject_pseudonym from {relation}").fetchall()}


@dataclasses.dataclass
class Case:
    build: Build
    paths: Paths
    erased: dict[str, str]  # subject_id, email, full_name
    withdrawn: str
    included: str
    model_before: Path
    before_vault_hits: dict[str, set[str]]
    before_file_hits: set[str]
    seconds: dict[str, float]


def _unique_subjects(raw_dir: Path) -> list[dict[str, str]]:
    """Subjects whose email and name occur in no other subject's row, so a hit after erasure
    can only be this subject's data."""
    rows = list(csv.DictReader((raw_dir / "subjects.csv").open(encoding="utf-8")))
    texts = [(r["email"] + "\n" + r["full_name"]).lower() for r in rows]
    chosen = []
    for i, row in enumerate(rows):
        mine = (row["email"].lower(), row["full_name"].lower(), row["subject_id"].lower())
        if not any(j != i and any(m in t for m in mine) for j, t in enumerate(texts)):
            chosen.append(row)
    return chosen


@pytest.fixture(scope="module")
def case(demo_build: Build, tmp_path_factory: pytest.TempPathFactory) -> Case:
    patch = pytest.MonkeyPatch()
    tmp = tmp_path_factory.mktemp("rights")
    build = make_build(tmp)
    shutil.copytree(demo_build.raw_dir, build.raw_dir)
    patch.setenv(keys.ENV_VAR, PLANTED_KEY)
    patch.setenv("GDPR_WAREHOUSE_DIR", str(build.warehouse))
    patch.setenv("GDPR_ARTIFACTS_DIR", str(tmp / "artifacts"))
    patch.setenv("GDPR_KEY_FILE", str(tmp / "no-key-file"))
    paths = Paths(ROOT)
    seconds = {}

    # Start from the session's demo warehouse (same raw data, same key): one build fewer.
    shutil.copytree(demo_build.warehouse, build.warehouse)

    training = released_pseudonyms(build.analytics, "ml_training_set")
    audience = released_pseudonyms(build.analytics, "marketing_audience")
    candidates = _unique_subjects(build.raw_dir)

    def p(domain: str, subject: dict[str, str]) -> str:
        return keys.pseudonym(SECRET, domain, subject["subject_id"])

    in_both = [
        s
        for s in candidates
        if p("model_training", s) in training and p("marketing", s) in audience
    ]
    training_only = [
        s for s in candidates if p("model_training", s) in training and s not in in_both
    ]
    assert len(in_both) >= 2 and training_only, "the demo data should have such subjects"
    erased, included, withdrawn = in_both[0], in_both[1], training_only[0]
    erased = {k: erased[k] for k in ("subject_id", "email", "full_name")}

    # The scanners must be able to see the subject before erasure, or their silence after it
    # would prove nothing.
    before_vault_hits = scan_relations(build.vault, list(erased.values()))
    data = build.analytics.read_bytes()
    before_file_hits = {n for n, b in byte_needles(erased["subject_id"]).items() if b in data}

    model_before = train(paths).model_dir

    rights.request_erasure(
        build.raw_dir, erased["subject_id"], received_at=dt.datetime(2026, 10, 30, 12, 0, 0)
    )
    with (build.raw_dir / "consent_events.csv").open("a", encoding="utf-8") as handle:
        handle.write(
            f'"E-TEST-WITHDRAW","{withdrawn["subject_id"]}","model_training","withdraw",'
            '2026-10-15 09:00:00,"2.1","web"\n'
        )
    start = time.perf_counter()
    build.dbt("build")
    seconds["rebuild"] = time.perf_counter() - start
    assert build.returncode == 0, build.output[-3000:]
    yield Case(
        build=build,
        paths=paths,
        erased=erased,
        withdrawn=withdrawn["subject_id"],
        included=included["subject_id"],
        model_before=model_before,
        before_vault_hits=before_vault_hits,
        before_file_hits=before_file_hits,
        seconds=seconds,
    )
    patch.undo()


def test_erased_subject_is_in_no_vault_relation(case: Case) -> None:
    seen_before = set().union(*case.before_vault_hits.values())
    assert seen_before == set(case.erased.values()), case.before_vault_hits
    after = scan_relations(case.build.vault, list(case.erased.values()))
    assert after == {}, after


def test_erased_pseudonyms_are_in_no_analytics_relation_and_no_byte(case: Case) -> None:
    subject_id = case.erased["subject_id"]
    assert {"model_training hex", "marketing hex"} <= case.before_file_hits
    pseudonyms = [keys.pseudonym(SECRET, d, subject_id) for d in DOMAINS]
    assert scan_relations(case.build.analytics, [*pseudonyms, *case.erased.values()]) == {}
    data = case.build.analytics.read_bytes()
    needles = {**byte_needles(subject_id), "subject_id": subject_id.encode()}
    assert [name for name, needle in needles.items() if needle in data] == []
    print(
        f"\nscanned {len(data):,} bytes of analytics.duckdb for {len(needles)} byte strings; "
        f"rebuild with the erasure {case.seconds['rebuild']:.1f}s"
    )


def test_tombstone_holds_the_pseudonyms_and_no_identifier(case: Case) -> None:
    with duckdb.connect(str(case.build.vault), read_only=True) as con:
        columns = [
            r[0] for r in con.execute("describe intermediate.int_erasure_tombstones").fetchall()
        ]
        rows = con.execute(
            "select pseudonym_domain, subject_pseudonym, key_id from intermediate.int_erasure_tombstones"
        ).fetchall()
    assert columns == [
        "request_id",
        "pseudonym_domain",
        "subject_pseudonym",
        "key_id",
        "received_at",
    ]
    mine = {
        (d, keys.pseudonym(SECRET, d, case.erased["subject_id"]), keys.key_id(SECRET))
        for d in DOMAINS
    }
    assert mine <= set(rows)


def test_verify_erasure_then_compact_vault(case: Case) -> None:
    runner = CliRunner()
    subject_id = case.erased["subject_id"]
    first = runner.invoke(app, ["erasure", "verify", subject_id])
    outcome = json.loads(first.stdout)
    assert outcome["tombstone_requests"] and not outcome["vault_relations_holding_subject_id"]
    assert not outcome["analytics_relations_holding_subject"]
    assert not outcome["analytics_file_occurrences"]
    # DuckDB reuses freed blocks without zeroing them: the rebuilt vault file may still hold the
    # erased subject id in blocks no relation points to. verify says so; compaction removes it.
    freed = case.build.vault.read_bytes().count(subject_id.encode())
    assert outcome["vault_file_freed_copies"] == freed
    assert first.exit_code == (0 if freed == 0 else 1)
    print(f"\nfreed copies of the erased subject id in vault.duckdb before compaction: {freed}")

    compacted = runner.invoke(app, ["erasure", "compact-vault"])
    assert compacted.exit_code == 0, compacted.output
    assert subject_id.encode() not in case.build.vault.read_bytes()
    second = runner.invoke(app, ["erasure", "verify", subject_id])
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["ok"] is True
    # The compacted vault still answers, views on the raw files included.
    with duckdb.connect(str(case.build.vault), read_only=True) as con:
        assert con.execute("select count(*) from staging.stg_app__subjects").fetchone()[0] > 900
        assert con.execute("select count(*) from releases.ml_training_set").fetchone()[0] > 100


def test_verify_erasure_fails_for_a_subject_never_erased(case: Case) -> None:
    outcome = CliRunner().invoke(app, ["erasure", "verify", case.included])
    assert outcome.exit_code == 1
    report = json.loads(outcome.stdout)
    assert report["tombstone_requests"] == []
    assert report["vault_relations_holding_subject_id"]
    assert report["analytics_file_occurrences"]


def _status(runner: CliRunner) -> tuple[int, dict[str, Any]]:
    outcome = runner.invoke(app, ["models", "status", "--json"])
    return outcome.exit_code, json.loads(outcome.stdout)


def test_models_status_flags_the_model_trained_before(case: Case) -> None:
    runner = CliRunner()
    code, report = _status(runner)
    assert code == 1
    (model,) = [m for m in report["models"] if m["model_id"] == case.model_before.name]
    assert model["list_verified"] and model["must_retrain"] is True
    assert model["erased"] == 1
    assert model["withdrawn_or_expired"] == 1
    assert model["not_in_release"] == 2 + model["suppressed_still_consenting"]
    assert model["still_released"] == model["training_subjects"] - model["not_in_release"]
    assert model["key_id"] == report["release"]["key_id"] == keys.key_id(SECRET)
    text = runner.invoke(app, ["models", "status"]).stdout
    assert f"{case.model_before.name}: MUST RETRAIN" in text


def test_models_status_passes_a_model_trained_on_the_current_release(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GDPR_ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    current = train(case.paths).model_dir
    code, report = _status(CliRunner())
    assert code == 0, report
    (model,) = report["models"]
    assert model["model_id"] == current.name and model["must_retrain"] is False
    assert model["not_in_release"] == 0 and model["still_released"] == model["training_subjects"]

    # A tampered pseudonym list no longer matches the card's digest: the model cannot be
    # audited, so it must be retrained.
    tampered = current.parent / "tampered"
    shutil.copytree(current, tampered)
    names = (tampered / "training_pseudonyms.txt").read_text().split()
    (tampered / "training_pseudonyms.txt").write_text("".join(n + "\n" for n in names[1:]))
    code, report = _status(CliRunner())
    assert code == 1
    (bad,) = [m for m in report["models"] if m["list_verified"] is False]
    assert bad["must_retrain"] is True and "digest" in " ".join(bad["notes"])


def _raw_events(raw_dir: Path, subject_id: str) -> list[dict[str, str]]:
    with (raw_dir / "consent_events.csv").open(encoding="utf-8") as handle:
        return [r for r in csv.DictReader(handle) if r["subject_id"] == subject_id]


def _retention_days() -> dict[str, int]:
    with (ROOT / "seeds" / "purposes.csv").open(encoding="utf-8") as handle:
        return {r["purpose"]: int(r["retention_days"]) for r in csv.DictReader(handle)}


def _report(subject_id: str) -> dict[str, Any]:
    outcome = CliRunner().invoke(app, ["subject-report", subject_id])
    assert outcome.exit_code == 0, outcome.output
    return json.loads(outcome.stdout)


def test_subject_report_of_an_included_subject(case: Case) -> None:
    subject_id = case.included
    report = _report(subject_id)
    with (case.build.raw_dir / "subjects.csv").open(encoding="utf-8") as handle:
        raw = next(r for r in csv.DictReader(handle) if r["subject_id"] == subject_id)
    assert report["identity"]["email"] == raw["email"]
    assert report["identity"]["full_name"] == raw["full_name"]
    assert report["identity"]["birth_date"] == raw["birth_date"]
    assert sorted(e["event_id"] for e in report["consent"]["events"]) == sorted(
        e["event_id"] for e in _raw_events(case.build.raw_dir, subject_id)
    )
    as_of = dt.datetime.fromisoformat(DEMO_AS_OF)
    retention = _retention_days()
    by_purpose = {p["purpose"]: p for p in report["purposes"]}
    assert set(by_purpose) == set(DOMAINS)
    for purpose, entry in by_purpose.items():
        if purpose == "analytics":
            # Its release is aggregates: the vault makes no pseudonym for it, nor does the report.
            assert entry["pseudonym"] is None and entry["pseudonym_matches_vault"] is None
            assert "releases no pseudonym" in entry["pseudonym_note"]
        else:
            assert entry["pseudonym"] == keys.pseudonym(SECRET, purpose, subject_id)
            assert "pseudonym_note" not in entry
        assert entry["retention"]["retention_days"] == retention[purpose]
        assert entry["retention"]["data_used_from"] == (
            as_of - dt.timedelta(days=retention[purpose])
        ).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert set(by_purpose["model_training"]["in_released_views"]) == {"ml_training_set_v3"}
    assert by_purpose["marketing"]["in_released_views"] == ["marketing_audience_v1"]
    assert by_purpose["model_training"]["pseudonym_matches_vault"] is True
    (model,) = [m for m in report["models"] if m["model_id"] == case.model_before.name]
    assert model["trained_on_subject"] is True
    assert {i["purpose"] for i in report["consent"]["intervals"] if i["stands_at_as_of"]} >= {
        "model_training",
        "marketing",
    }


def test_subject_report_of_a_subject_who_withdrew(case: Case) -> None:
    report = _report(case.withdrawn)
    training = next(p for p in report["purposes"] if p["purpose"] == "model_training")
    assert training["is_eligible_at_as_of"] is False
    assert training["in_released_views"] == []
    assert all(v["subject_present"] is False for v in training["released_views"])
    events = {e["event_id"]: e for e in report["consent"]["events"]}
    assert (
        events["E-TEST-WITHDRAW"]["action"] == "withdraw" and events["E-TEST-WITHDRAW"]["is_valid"]
    )
    (model,) = [m for m in report["models"] if m["model_id"] == case.model_before.name]
    assert model["trained_on_subject"] is True


def test_subject_report_lists_rejected_events_with_reasons(case: Case) -> None:
    with duckdb.connect(str(case.build.vault), read_only=True) as con:
        row = con.execute(
            "select subject_id, event_id, rejection_reason from "
            "intermediate.int_consent_events_classified where rejection_reason is not null "
            "and subject_id in (select subject_id from staging.stg_app__subjects) limit 1"
        ).fetchone()
    assert row, "the demo data should have a rejected event of a known subject"
    report = _report(row[0])
    rejected = {
        e["event_id"]: e["rejection_reason"]
        for e in report["consent"]["events"]
        if not e["is_valid"]
    }
    assert rejected[row[1]] == row[2]


def test_subject_report_refuses_erased_and_unknown_subjects(case: Case) -> None:
    runner = CliRunner()
    erased = runner.invoke(app, ["subject-report", case.erased["subject_id"]])
    assert erased.exit_code != 0 and erased.stdout == ""
    assert "has been erased" in erased.stderr
    assert case.erased["email"] not in erased.output
    unknown = runner.invoke(app, ["subject-report", "S-NOT-A-SUBJECT"])
    assert unknown.exit_code != 0 and unknown.stdout == ""
    assert "S-NOT-A-SUBJECT is not known to the vault" in unknown.stderr


def test_failed_build_leaves_the_published_release_intact(case: Case, tmp_path: Path) -> None:
    broken = make_build(tmp_path)
    shutil.copytree(case.build.warehouse, broken.warehouse)
    shutil.copytree(case.build.raw_dir, broken.raw_dir)
    purchases = broken.raw_dir / "purchases.csv"
    lines = purchases.read_text(encoding="utf-8").splitlines()
    row = next(
        i
        for i, line in enumerate(lines[1:], 1)
        if case.erased["subject_id"] not in line and line.split(",")[3] not in ("", '""')
    )
    fields = lines[row].split(",")
    fields[3] = '"12,50"'  # amount_eur, with a decimal comma: staging stops the build
    lines[row] = ",".join(fields)
    purchases.write_text("\n".join(lines) + "\n", encoding="utf-8")

    before = broken.analytics.read_bytes()
    inode = broken.analytics.stat().st_ino
    broken.dbt("build")
    assert broken.returncode != 0
    assert "cannot parse '1...' (5 characters)" in broken.output
    assert "Analytics database NOT published" in broken.output
    assert broken.analytics.stat().st_ino == inode
    assert hashlib.sha256(broken.analytics.read_bytes()).digest() == hashlib.sha256(before).digest()
    assert not (broken.warehouse / "analytics.duckdb.publishing").exists()
    with duckdb.connect(str(broken.analytics), read_only=True) as con:
        views = [
            r[0]
            for r in con.execute(
                "select view_name from duckdb_views() where not internal"
            ).fetchall()
        ]
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        for relation in views + tables:
            con.execute(f'select count(*) from "{relation}"').fetchone()
    assert "ml_training_set" in views and len(tables) >= 5
