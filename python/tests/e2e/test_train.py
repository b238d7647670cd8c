"""Training reads only the released view and records exactly what it was trained on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import DEMO_AS_OF, PLANTED_KEY, ROOT, Build
from gdpr_pipeline import keys
from gdpr_pipeline.cli import app
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.ml.registry import pseudonym_digest
from gdpr_pipeline.ml.train import LABEL, TrainingError, train


@pytest.fixture(scope="module")
def trained(
    demo_build: Build,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch_module: pytest.MonkeyPatch,
):
    """Train with ONLY analytics.duckdb in the warehouse: the vault is not even there."""
    alone = tmp_path_factory.mktemp("analytics-only")
    shutil.copy(demo_build.analytics, alone / "analytics.duckdb")
    monkeypatch_module.setenv("GDPR_WAREHOUSE_DIR", str(alone))
    monkeypatch_module.setenv("GDPR_ARTIFACTS_DIR", str(alone / "artifacts"))
    monkeypatch_module.delenv(keys.ENV_VAR, raising=False)
    # The lineage in the card comes from the manifest of the build that made the release, not
    # from whatever the repository's target/ holds (a fresh clone has none).
    monkeypatch_module.setenv("DBT_TARGET_PATH", str(demo_build.target))
    return train(Paths(ROOT)), alone


@pytest.fixture(scope="module")
def monkeypatch_module():
    patch = pytest.MonkeyPatch()
    yield patch
    patch.undo()


def test_trains_without_vault_or_key(trained) -> None:
    result, alone = trained
    assert not (alone / "vault.duckdb").exists()
    assert (result.model_dir / "model.skops").stat().st_size > 1000


def test_model_beats_baseline_and_never_sees_label(trained) -> None:
    result, _ = trained
    card = result.card
    assert card["metrics"]["model"]["roc_auc"] > card["metrics"]["baseline"]["roc_auc"] + 0.05
    features = card["features"]["categorical"] + card["features"]["numeric"]
    assert (
        LABEL not in features and "subject_pseudonym" not in features and "key_id" not in features
    )


def test_card_records_provenance(trained, demo_build: Build) -> None:
    result, _ = trained
    provenance = result.card["provenance"]
    with duckdb.connect(str(demo_build.analytics), read_only=True) as con:
        released = sorted(
            r[0] for r in con.execute("select subject_pseudonym from ml_training_set").fetchall()
        )
        invocation = con.execute(
            "select distinct dbt_invocation_id from release_metadata"
        ).fetchone()[0]
    assert provenance["view"] == "ml_training_set" and provenance["version"] == 3
    assert provenance["relation"] == "ml_training_set_v3"
    assert (
        provenance["dbt_invocation_id"]
        == invocation
        == demo_build.run_results()["metadata"]["invocation_id"]
    )
    assert provenance["as_of"] == DEMO_AS_OF
    assert provenance["key_id"] == keys.key_id(PLANTED_KEY.encode())
    assert provenance["rows"] == len(released)
    stored = (result.model_dir / "training_pseudonyms.txt").read_text().split()
    assert stored == released
    assert provenance["training_pseudonyms_sha256"] == pseudonym_digest(stored)
    assert result.card["purpose"]["lawful_basis"] == "consent"
    assert [s["name"] for s in result.card["preparation_steps"]][-1] == "ml_training_set"
    on_disk = json.loads((result.model_dir / "model_card.json").read_text())
    assert on_disk["model_id"] == result.model_id
    markdown = (result.model_dir / "model_card.md").read_text()
    assert "pseudonymous, not anonymous" in markdown and "## Known limitations" in markdown


def test_missing_release_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GDPR_WAREHOUSE_DIR", str(tmp_path))
    with pytest.raises(TrainingError, match="does not exist: run `dbt build`"):
        train(Paths(ROOT))
    outcome = CliRunner().invoke(app, ["train"])
    assert outcome.exit_code == 1
    assert "does not exist" in outcome.output


def test_generate_cli(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(
        app, ["generate", "--subjects", "50", "--out", str(tmp_path), "--seed", "7"]
    )
    assert outcome.exit_code == 0, outcome.output
    assert "50 subjects" in outcome.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "consent_events.csv",
        "erasure_requests.csv",
        "purchases.csv",
        "subjects.csv",
    ]
    bad = CliRunner().invoke(
        app, ["generate", "--subjects", "5", "--out", str(tmp_path), "--format", "xlsx"]
    )
    assert bad.exit_code == 2 and "xlsx" in bad.output
