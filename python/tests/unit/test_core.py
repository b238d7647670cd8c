"""The one-home helpers: JSON encoding, dbt command lines, databases, the model registry."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from pathlib import Path

import pytest

from gdpr_pipeline.core import jsonenc
from gdpr_pipeline.core.dbt import dbt_command, dbt_env
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.core.warehouse import open_database
from gdpr_pipeline.ml import registry


def test_every_timestamp_has_one_format() -> None:
    naive = dt.datetime(2026, 11, 1, 0, 0, 0)
    aware = dt.datetime(2026, 11, 1, 2, 0, 0, 500, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    encoded = jsonenc.jsonable(
        {
            "at": naive,
            "nested": [aware],
            "day": dt.date(2026, 1, 2),
            "amount": decimal.Decimal("12.50"),
        }
    )
    assert encoded == {
        "at": "2026-11-01T00:00:00.000000Z",
        "nested": ["2026-11-01T00:00:00.000500Z"],
        "day": "2026-01-02",
        "amount": 12.5,
    }
    json.dumps(encoded)  # nothing left that json cannot encode
    assert dt.datetime.strptime(jsonenc.utc_now(), jsonenc.TIMESTAMP_FORMAT)


def test_dbt_command_puts_paths_and_vars_after_the_arguments(tmp_path: Path) -> None:
    command = dbt_command(
        ["build", "--select", "staging"],
        dbt_vars={"raw_dir": "data/raw"},
        target_path=tmp_path / "target",
        log_path=tmp_path / "logs",
        entry_point=["gdpr-pipeline", "spark-build"],
    )
    assert command == [
        "gdpr-pipeline",
        "spark-build",
        "build",
        "--select",
        "staging",
        "--target-path",
        str(tmp_path / "target"),
        "--log-path",
        str(tmp_path / "logs"),
        "--vars",
        '{"raw_dir": "data/raw"}',
    ]
    assert dbt_command(["parse"])[1:] == ["parse"]


def test_an_isolated_dbt_env_drops_the_callers_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_ENV_SECRET_PSEUDONYM_KEY", "the-callers-key")
    monkeypatch.setenv("GDPR_WAREHOUSE_DIR", "/somewhere/else")
    isolated = dbt_env(tmp_path, {"GDPR_WAREHOUSE_DIR": "/mine"}, isolated=True)
    assert "DBT_ENV_SECRET_PSEUDONYM_KEY" not in isolated
    assert isolated["GDPR_WAREHOUSE_DIR"] == "/mine"
    assert isolated["DBT_PROFILES_DIR"] == str(tmp_path)
    assert isolated["DO_NOT_TRACK"] == "1"
    inherited = dbt_env(tmp_path)
    assert inherited["DBT_ENV_SECRET_PSEUDONYM_KEY"] == "the-callers-key"


def test_a_missing_database_raises_the_callers_error_naming_the_file(tmp_path: Path) -> None:
    class Mine(RuntimeError):
        pass

    missing = tmp_path / "analytics.duckdb"
    with pytest.raises(Mine, match=f"{missing} does not exist: run `dbt build`"):
        open_database(missing, error=Mine)


def test_the_registry_writes_and_verifies_a_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GDPR_ARTIFACTS_DIR", str(tmp_path))
    paths = Paths(tmp_path)
    assert registry.latest_model(paths) is None
    pseudonyms = ["b" * 64, "a" * 64]
    card = {
        "model_id": "m1",
        "provenance": {
            "key_id": "k1",
            "training_subjects": 2,
            "training_pseudonyms_sha256": registry.pseudonym_digest(pseudonyms),
        },
    }
    written = registry.write_model(registry.model_dir(paths, "m1"), card, pseudonyms)
    latest = registry.latest_model(paths)
    assert latest is not None and latest.model_id == "m1" == written.model_id
    assert latest.pseudonyms() == sorted(pseudonyms)
    assert latest.integrity_problem() is None
    assert [m.model_id for m in registry.trained_models(paths)] == ["m1"]
    (latest.directory / registry.PSEUDONYMS).write_text("a" * 64 + "\n")
    assert "does not match the digest" in (latest.integrity_problem() or "")
