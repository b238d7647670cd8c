"""Erasure, the audit trail and the evidence page on Spark (local session, spark-build).

One module-scoped case: the demo data built on Spark, then one subject erased (a request
appended to the raw file) and the project rebuilt, two invocations on one warehouse. Then:

- no Parquet file under the Spark warehouse holds the erased subject's id, and none but the
  tombstone's holds their pseudonyms (a byte scan, as test_rights does for analytics.duckdb;
  the tables are written uncompressed here so that the scan sees every value, and the scan
  must find the pseudonyms before the erasure);
- `gdpr-pipeline evidence verify --target spark` recomputes the chain of gdpr_audit.trail,
  and detects an edited, a deleted and a reordered record;
- `gdpr-pipeline evidence build --target spark` renders the page from the Spark run, saying
  in words what differs from DuckDB.

Run by `make test-spark`.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from test_rights import SECRET, byte_needles, released_pseudonyms
from typer.testing import CliRunner

from conftest import ROOT, Build, make_build
from gdpr_pipeline import audit, keys, rights
from gdpr_pipeline.cli import app
from gdpr_pipeline.engines import spark as spark_session

pytestmark = pytest.mark.spark

TRAIL = "gdpr_audit.trail"


@dataclasses.dataclass
class Case:
    build: Build
    subject_id: str
    before_hits: set[str]
    seconds: dict[str, float]
    # DP relations read from their Parquet files before the erasure and after the rebuild.
    dp_before: dict[str, list[tuple[Any, ...]]]
    dp_after: dict[str, list[tuple[Any, ...]]]


def _parquet_files(build: Build) -> list[Path]:
    return sorted(p for p in (build.warehouse / "spark").rglob("*.parquet") if p.is_file())


def _hits(files: list[Path], needles: dict[str, bytes]) -> set[str]:
    found = set()
    for path in files:
        data = path.read_bytes()
        found |= {f"{label} in {path}" for label, needle in needles.items() if needle in data}
    return found


DP_RELATIONS = {
    "analytics_purchases_monthly_v1": "gdpr_releases",
    "dp_budget_ledger": "gdpr_privacy",
}


def _dp_rows(build: Build) -> dict[str, list[tuple[Any, ...]]]:
    """The published DP cells and the ledger, read from the table files (a Spark reader would
    hold the Derby metastore that the next spark-build needs)."""
    out = {}
    with duckdb.connect() as con:
        for table, schema in DP_RELATIONS.items():
            files = build.warehouse / "spark" / f"{schema}.db" / table / "*.parquet"
            out[table] = sorted(con.execute(f"select * from read_parquet('{files}')").fetchall())
    return out


@pytest.fixture(scope="module")
def case(demo_build: Build, tmp_path_factory: pytest.TempPathFactory) -> Case:
    tmp = tmp_path_factory.mktemp("spark-governance")
    build = make_build(tmp)
    shutil.copytree(demo_build.raw_dir, build.raw_dir)
    build.env["GDPR_SPARK_PARQUET_CODEC"] = "uncompressed"
    seconds = {}
    start = time.perf_counter()
    build.spark("build")
    seconds["build"] = time.perf_counter() - start
    assert build.returncode == 0, build.output[-5000:]

    # A subject released for training (the releases equal DuckDB's: test_spark.py).
    training = released_pseudonyms(demo_build.analytics, "ml_training_set")
    with (build.raw_dir / "subjects.csv").open(encoding="utf-8", newline="") as handle:
        subjects = sorted(row["subject_id"] for row in csv.DictReader(handle))
    subject_id = next(
        s for s in subjects if keys.pseudonym(SECRET, "model_training", s) in training
    )
    before = _hits(_parquet_files(build), byte_needles(subject_id))
    dp_before = _dp_rows(build)

    rights.request_erasure(
        build.raw_dir, subject_id, received_at=dt.datetime(2026, 10, 30, 12, 0, 0)
    )
    start = time.perf_counter()
    build.spark("build")
    seconds["rebuild"] = time.perf_counter() - start
    assert build.returncode == 0, build.output[-5000:]
    return Case(
        build=build,
        subject_id=subject_id,
        before_hits=before,
        seconds=seconds,
        dp_before=dp_before,
        dp_after=_dp_rows(build),
    )


def _cli(build: Build, *args: str) -> subprocess.CompletedProcess[str]:
    """gdpr-pipeline in its own process (the Derby metastore admits one process at a time),
    on the build's warehouse and target, with no key in its environment."""
    env = {k: v for k, v in build.env.items() if not k.startswith("DBT_ENV_SECRET")}
    env.update(
        DBT_TARGET_PATH=str(build.target),
        GDPR_EVIDENCE_DIR=str(build.warehouse.parent / "evidence"),
        GDPR_KEY_FILE=str(build.warehouse.parent / "no-key-file"),
    )
    command = [str(Path(sys.executable).with_name("gdpr-pipeline")), *args]
    return subprocess.run(
        command, cwd=ROOT, env=env, text=True, capture_output=True, check=False, timeout=600
    )


def test_erased_subject_is_in_no_parquet_file(case: Case) -> None:
    files = _parquet_files(case.build)
    assert len(files) > 20
    hex_needles = {"model_training hex", "model_training HEX"}
    assert any(hit.split(" in ")[0] in hex_needles for hit in case.before_hits), (
        "the scan must see the pseudonym before the erasure, or its silence proves nothing"
    )
    needles = byte_needles(case.subject_id)
    # The tombstone holds the erased subject's pseudonyms by design (test_rights.py), no id.
    tombstone = [p for p in files if "erasure" in str(p.relative_to(case.build.warehouse))]
    assert tombstone
    others = [p for p in files if p not in tombstone]
    found = _hits(others, needles) | _hits(files, {"subject_id": case.subject_id.encode()})
    assert not found, sorted(found)[:10]
    print(
        f"\nscanned {len(files)} Parquet files for {len(needles) + 1} byte strings; Spark build "
        f"{case.seconds['build']:.1f}s, rebuild with the erasure {case.seconds['rebuild']:.1f}s"
    )


def test_erasure_changes_no_published_dp_value_on_spark(case: Case) -> None:
    """Periods published once, on Spark too: the rebuild after the erasure reused every stored
    draw, so no published cell changed and no budget was spent again (issue 14)."""
    cells, ledger = (
        case.dp_before["analytics_purchases_monthly_v1"],
        case.dp_before["dp_budget_ledger"],
    )
    assert cells and ledger, "the first Spark build published no DP cell or spent no budget"
    assert case.dp_after == case.dp_before


def test_verify_reads_the_spark_trail(case: Case) -> None:
    result = _cli(case.build, "evidence", "verify", "--target", "spark")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Audit trail intact" in result.stdout
    assert "from 2 invocations" in result.stdout


def test_evidence_page_renders_the_spark_build(case: Case) -> None:
    result = _cli(case.build, "evidence", "build", "--target", "spark")
    assert result.returncode == 0, result.stdout + result.stderr
    out = case.build.warehouse.parent / "evidence" / "spark"
    data = json.loads((out / "evidence.json").read_text())
    html = (out / "index.html").read_text()
    assert data["engine"]["name"] == "spark"
    assert data["audit"]["ok"] and data["audit"]["invocations"] == 2
    assert data["run"]["adapter_type"] == "spark" and data["run"]["key_id"]
    assert data["test_summary"].get("pass", 0) > 20 and not data["test_summary"].get("fail")
    assert {p["purpose"] for p in data["funnel"]["purposes"]} >= {"model_training", "marketing"}
    assert data["privacy"]["releases"] and data["privacy"]["quarantine"] is not None
    assert data["published"]["is_this_run"]
    assert data["model_card"] is None
    for words in (
        "Engine: spark",
        "No separate analytics file",
        "No atomic publish",
        "Parquet files rewritten",
    ):
        assert words in html, words


@pytest.fixture(scope="module")
def reader(case: Case) -> Iterator[Any]:
    """A session on the case's metastore, after the CLI tests (one process at a time)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GDPR_WAREHOUSE_DIR", str(case.build.warehouse))
        settings = spark_session.target_settings(ROOT, "spark")
        spark = spark_session.start_session(settings["server_side_parameters"])
    yield spark
    spark.stop()


def _rewrite(spark: Any, select: str) -> audit.VerifyResult:
    """Replace the trail by `select` over its saved copy, then verify it as the CLI does."""
    spark.sql(f"insert overwrite table {TRAIL} {select}")
    return audit.verify_records(audit.read_spark_trail(spark, "gdpr"))


def test_verify_detects_edited_deleted_and_reordered_records(case: Case, reader: Any) -> None:
    spark = reader
    spark.sql(f"create table gdpr_audit.trail_copy as select * from {TRAIL}")
    records = audit.read_spark_trail(spark, "gdpr")
    assert audit.verify_records(records).ok
    columns = [name for name, _ in audit.AUDIT_COLUMNS] + list(audit.HASH_COLUMNS)
    failed = next(r["seq"] for r in records if r["record_type"] == "test")

    def select(**replaced: str) -> str:
        items = ", ".join(f"{replaced.get(c, c)} as {c}" for c in columns)
        return f"select {items} from gdpr_audit.trail_copy"

    edited = _rewrite(spark, select(status=f"case when seq = {failed} then 'fail' else status end"))
    assert not edited.ok and edited.broken_seq == failed, edited.message
    assert "edited" in edited.message

    deleted = _rewrite(spark, f"{select()} where seq != {failed}")
    assert not deleted.ok and deleted.broken_seq == failed, deleted.message
    assert "deleted" in deleted.message

    swap = f"case seq when {failed} then {failed + 1} when {failed + 1} then {failed} else seq end"
    reordered = _rewrite(spark, select(seq=swap))
    assert not reordered.ok and reordered.broken_seq == failed, reordered.message

    # The CLI, through its runner in this process: the Derby metastore stays booted in this
    # JVM after the reader stops, so the command's own session (started as spark-build starts
    # it) opens it here, where another process could not.
    _rewrite(spark, select(status=f"case when seq = {failed} then 'fail' else status end"))
    spark.stop()
    env = {
        "GDPR_WAREHOUSE_DIR": str(case.build.warehouse),
        "DBT_TARGET_PATH": str(case.build.target),
        "GDPR_EVIDENCE_DIR": str(case.build.warehouse.parent / "evidence"),
        "DBT_PROFILES_DIR": str(ROOT),
    }
    result = CliRunner().invoke(app, ["evidence", "verify", "--target", "spark"], env=env)
    assert result.exit_code == 1, result.output
    assert f"BROKEN at record seq {failed}" in result.output
