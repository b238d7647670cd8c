"""The hash-chained audit trail: what the on-run-end hook writes, and that tampering shows.

Every test reads a real vault written by a real dbt build (the session's demo build); tests
that tamper work on a copy of it, through DuckDB, as someone with write access would.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import PLANTED_KEY, Build, generate_raw, make_build
from gdpr_pipeline import keys
from gdpr_pipeline.audit import AUDIT_COLUMNS, GENESIS_HASH, canonical_text, record_hash
from gdpr_pipeline.cli import app
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.evidence import collect
from gdpr_pipeline.evidence.collect import verify

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.dbt


@pytest.fixture
def vault_copy(demo_build: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo vault that the test may tamper with; returns its path."""
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copyfile(demo_build.vault, warehouse / "vault.duckdb")
    monkeypatch.setenv("GDPR_WAREHOUSE_DIR", str(warehouse))
    monkeypatch.setenv("GDPR_EVIDENCE_DIR", str(tmp_path / "evidence"))
    return warehouse / "vault.duckdb"


def _trail(vault: Path) -> list[dict]:
    with duckdb.connect(str(vault), read_only=True) as con:
        cursor = con.execute("select * from audit.trail order by seq")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _execute(vault: Path, *statements: str) -> None:
    with duckdb.connect(str(vault)) as con:
        for statement in statements:
            con.execute(statement)


def test_hook_records_the_invocation_every_result_and_every_test(demo_build: Build) -> None:
    run_results = demo_build.run_results()
    trail = _trail(demo_build.vault)
    invocation, results = trail[0], [r for r in trail[1:] if r["record_type"] != "publish"]
    # After the rename, the publish step appends its own record (not a dbt result).
    assert [(r["record_type"], r["status"]) for r in trail if r["record_type"] == "publish"] == [
        ("publish", "published")
    ]
    assert trail[-1]["record_type"] == "publish"

    assert invocation["record_type"] == "invocation"
    assert invocation["invocation_id"] == run_results["metadata"]["invocation_id"]
    assert invocation["command"] == "build"
    assert invocation["status"] == "success"
    assert invocation["key_id"] == keys.key_id(PLANTED_KEY.encode())
    assert invocation["dbt_version"] == run_results["metadata"]["dbt_version"]
    assert invocation["adapter_type"] == "duckdb"
    assert invocation["adapter_version"] and invocation["engine_version"].startswith("v")
    assert str(invocation["as_of"]) == "2026-11-01 00:00:00"
    assert invocation["started_at"] < invocation["ended_at"]
    assert json.loads(invocation["dbt_vars"])["raw_dir"] == str(demo_build.raw_dir)

    # One record per result dbt reported, tests apart, with the same statuses and failures.
    reported = {
        r["unique_id"]: r
        for r in run_results["results"]
        if not r["unique_id"].startswith("operation.")
    }
    assert invocation["result_count"] == len(results) == len(reported)
    for record in results:
        result = reported[record["unique_id"]]
        assert record["status"] == result["status"], record["unique_id"]
        is_test = record["unique_id"].split(".")[0] in ("test", "unit_test")
        assert record["record_type"] == ("test" if is_test else "node")
        if is_test:
            assert record["failures"] == result["failures"], record["unique_id"]
    assert [r["seq"] for r in trail] == list(range(1, len(trail) + 1))

    # Rows affected: what the adapter reported for seeds, the built table's rows for tables.
    by_name = {r["node_name"]: r for r in results if r["record_type"] == "node"}
    with open(ROOT / "seeds" / "purposes.csv", newline="") as handle:
        assert by_name["purposes"]["rows_affected"] == len(list(csv.DictReader(handle)))
    with duckdb.connect(str(demo_build.analytics), read_only=True) as con:
        released = con.execute("select count(*) from ml_training_set").fetchone()[0]
    assert by_name["int_ml_training_released"]["rows_affected"] == released


def test_the_key_is_never_in_the_trail(demo_build: Build) -> None:
    text = json.dumps(_trail(demo_build.vault), default=str)
    assert PLANTED_KEY not in text
    for pad in keys.Key(PLANTED_KEY.encode(), "test").hmac_pads():
        assert pad.hex() not in text


def test_python_recomputes_every_hash_the_sql_wrote(demo_build: Build) -> None:
    trail = _trail(demo_build.vault)
    previous = GENESIS_HASH
    for record in trail:
        assert record["prev_hash"] == previous
        assert record_hash(previous, record) == record["record_hash"]
        previous = record["record_hash"]
    # The canonical form names every column once, in the documented order.
    lines = canonical_text(trail[0]).splitlines()
    assert [line.split("=", 1)[0] for line in lines] == [name for name, _ in AUDIT_COLUMNS]


def test_verify_passes_on_an_untouched_trail(vault_copy: Path) -> None:
    result = verify(Paths(ROOT))
    assert result.ok, result.message
    assert result.records == len(_trail(vault_copy))
    assert result.head_hash == _trail(vault_copy)[-1]["record_hash"]

    outcome = CliRunner().invoke(app, ["evidence", "verify"])
    assert outcome.exit_code == 0, outcome.output
    assert "intact" in outcome.output


def _pick(vault: Path, record_type: str) -> dict:
    return next(r for r in _trail(vault)[5:] if r["record_type"] == record_type)


def test_editing_one_value_fails_naming_the_record(vault_copy: Path) -> None:
    test = _pick(vault_copy, "test")
    _execute(
        vault_copy,
        f"update audit.trail set failures = 0, status = 'pass' where seq = {test['seq']}",
    )
    if test["status"] == "pass":  # make sure the edit changed something
        _execute(vault_copy, f"update audit.trail set status = 'skipped' where seq = {test['seq']}")

    result = verify(Paths(ROOT))
    assert not result.ok
    assert result.broken_seq == test["seq"]
    assert f"record seq {test['seq']}" in result.message and test["node_name"] in result.message
    assert "edited" in result.message

    outcome = CliRunner().invoke(app, ["evidence", "verify"])
    assert outcome.exit_code == 1
    assert f"record seq {test['seq']}" in outcome.output


def test_editing_a_value_and_its_hash_breaks_the_next_link(vault_copy: Path) -> None:
    node = _pick(vault_copy, "node")
    forged = {**node, "rows_affected": (node["rows_affected"] or 0) + 1}
    new_hash = record_hash(node["prev_hash"], forged)
    _execute(
        vault_copy,
        f"update audit.trail set rows_affected = {forged['rows_affected']}, "
        f"record_hash = '{new_hash}' where seq = {node['seq']}",
    )
    result = verify(Paths(ROOT))
    assert not result.ok
    assert result.broken_seq == node["seq"] + 1
    assert "prev_hash" in result.message


def test_deleting_a_record_fails_naming_it(vault_copy: Path) -> None:
    victim = _pick(vault_copy, "test")
    _execute(vault_copy, f"delete from audit.trail where seq = {victim['seq']}")
    result = verify(Paths(ROOT))
    assert not result.ok
    assert result.broken_seq == victim["seq"]
    assert f"seq {victim['seq']} deleted" in result.message


def test_deleting_the_last_records_fails_naming_the_invocation(vault_copy: Path) -> None:
    last = _trail(vault_copy)[-1]["seq"]
    _execute(vault_copy, f"delete from audit.trail where seq >= {last - 1}")
    result = verify(Paths(ROOT))
    assert not result.ok
    assert result.broken_seq == 1
    assert "result records were deleted" in result.message


def test_swapping_two_records_fails_naming_the_first(vault_copy: Path) -> None:
    first, second = _trail(vault_copy)[10:12]
    _execute(
        vault_copy,
        f"update audit.trail set seq = -1 where seq = {first['seq']}",
        f"update audit.trail set seq = {first['seq']} where seq = {second['seq']}",
        f"update audit.trail set seq = {second['seq']} where seq = -1",
    )
    result = verify(Paths(ROOT))
    assert not result.ok
    assert result.broken_seq == first["seq"]
    assert second["node_name"] in result.message  # the record now sitting at that seq


def test_an_evidence_anchor_catches_a_rewritten_tail(vault_copy: Path) -> None:
    collect.build(Paths(ROOT), docs=False)  # records the head in evidence/runs/<id>/evidence.json
    assert verify(Paths(ROOT)).anchors_checked == 1
    # Someone with write access drops the whole last invocation: the chain that is left is
    # internally consistent, but the head recorded outside the vault is gone.
    _execute(vault_copy, "delete from audit.trail")
    result = verify(Paths(ROOT))
    assert not result.ok
    assert "truncated" in result.message


def test_later_invocations_extend_the_chain_and_failures_are_recorded(
    demo_build: Build, tmp_path: Path
) -> None:
    """A second and a failing third invocation append to the same chain, quoting and all."""
    build = make_build(tmp_path)
    build.warehouse.mkdir(parents=True)
    shutil.copyfile(demo_build.vault, build.vault)
    before = _trail(build.vault)

    build.dbt("seed", dbt_vars={"raw_dir": str(demo_build.raw_dir)})
    assert build.returncode == 0, build.output[-3000:]

    # A raw file missing a column, in a directory whose name needs UTF-8 and SQL quoting.
    raw = tmp_path / "räw dätä 'q'"
    generate_raw(raw, subjects=50)
    with (raw / "subjects.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with (raw / "subjects.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, [c for c in rows[0] if c != "email"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    build.dbt("build", dbt_vars={"raw_dir": str(raw)})
    assert build.returncode != 0

    trail = _trail(build.vault)
    assert trail[: len(before)] == before  # nothing earlier was touched
    invocations = [r for r in trail if r["record_type"] == "invocation"]
    assert [i["command"] for i in invocations] == ["build", "seed", "build"]
    assert invocations[1]["prev_hash"] == before[-1]["record_hash"]
    failed = invocations[2]
    assert failed["status"] == "error"
    errors = [
        r for r in trail if r["invocation_id"] == failed["invocation_id"] and r["status"] == "error"
    ]
    assert errors and any("räw dätä 'q'" in (r["message"] or "") for r in errors)

    paths_env = {
        "GDPR_WAREHOUSE_DIR": str(build.warehouse),
        "GDPR_EVIDENCE_DIR": str(tmp_path / "ev"),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in paths_env.items():
            patch.setenv(name, value)
        result = verify(Paths(ROOT))
    assert result.ok, result.message
    assert result.invocations == 3
