"""Key rotation on the demo build: `keys rotate`, the window in between, and `keys cutover`.

The demo warehouse is copied, the planted key is put in a key file, a model is trained under
it, and the real CLI rotates (one real dbt build with a freshly generated key) and cuts over.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import DEMO_AS_OF, PLANTED_KEY, ROOT, Build
from gdpr_pipeline import keys
from gdpr_pipeline.cli import app
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.ml.train import train

OLD_ID = keys.key_id(PLANTED_KEY.encode())


def key_columns(database: Path, column: str) -> dict[str, set[Any]]:
    """relation -> distinct values of `column`, for every table and view that has it."""
    out = {}
    with duckdb.connect(str(database), read_only=True) as con:
        relations = con.execute(
            "select table_schema, table_name from information_schema.columns "
            "where column_name = ? order by all",
            [column],
        ).fetchall()
        for schema, relation in relations:
            out[f"{schema}.{relation}"] = {
                r[0]
                for r in con.execute(
                    f'select distinct "{column}" from "{schema}"."{relation}"'
                ).fetchall()
            }
    return out


@dataclasses.dataclass
class Rotation:
    tmp: Path
    paths: Paths
    key_file: Path
    raw_dir: Path
    old_pseudonyms: dict[str, set[str]]
    model_id: str
    rotate_output: str
    rotate_exit: int


@pytest.fixture(scope="module")
def rotation(demo_build: Build, tmp_path_factory: pytest.TempPathFactory) -> Rotation:
    tmp = tmp_path_factory.mktemp("rotation")
    patch = pytest.MonkeyPatch()
    shutil.copytree(demo_build.warehouse, tmp / "warehouse")
    key_file = tmp / "secrets" / "pseudonym.key"
    key_file.parent.mkdir(mode=0o700)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, (PLANTED_KEY + "\n").encode())
    os.close(fd)
    patch.delenv(keys.ENV_VAR, raising=False)
    patch.delenv(keys.NEXT_ENV_VAR, raising=False)
    for name, value in {
        "GDPR_KEY_FILE": key_file,
        "GDPR_WAREHOUSE_DIR": tmp / "warehouse",
        "GDPR_ARTIFACTS_DIR": tmp / "artifacts",
        "DBT_TARGET_PATH": tmp / "target",
        "DBT_LOG_PATH": tmp / "logs",
    }.items():
        patch.setenv(name, str(value))
    paths = Paths(ROOT)
    old = key_columns(paths.analytics_db, "subject_pseudonym")
    model_id = train(paths).model_id
    outcome = CliRunner().invoke(
        app, ["keys", "rotate", "--raw-dir", str(demo_build.raw_dir), "--as-of", DEMO_AS_OF]
    )
    yield Rotation(
        tmp, paths, key_file, demo_build.raw_dir, old, model_id, outcome.output, outcome.exit_code
    )
    patch.undo()


def test_rotate_builds_every_release_with_a_new_key(rotation: Rotation) -> None:
    assert rotation.rotate_exit == 0, rotation.rotate_output
    nxt = keys.next_key_file(rotation.key_file)
    assert stat.S_IMODE(nxt.stat().st_mode) == 0o600
    new_id = keys.load_key_file(nxt).key_id
    assert new_id != OLD_ID
    assert f"{OLD_ID} -> {new_id}" in rotation.rotate_output

    state = json.loads((rotation.paths.warehouse / "key_rotation.json").read_text())["rotation"]
    assert (state["previous_key_id"], state["next_key_id"], state["status"]) == (
        OLD_ID,
        new_id,
        "awaiting_cutover",
    )
    # Every pseudonymized relation, released or not, carries the new key id and nothing else.
    # The audit trail is history: it records the key id of every run, the old one included.
    for database in (rotation.paths.analytics_db, rotation.paths.vault_db):
        carried = {
            r: v
            for r, v in key_columns(database, "key_id").items()
            if v and not r.startswith("audit.")
        }
        assert carried and all(v == {new_id} for v in carried.values()), carried
    # Every pseudonym changed, and each is the HMAC under the new key.
    new = key_columns(rotation.paths.analytics_db, "subject_pseudonym")
    assert new.keys() == rotation.old_pseudonyms.keys()
    for relation, values in new.items():
        assert len(values) == len(rotation.old_pseudonyms[relation]) > 0
        assert not (values & rotation.old_pseudonyms[relation]), relation
    secret = keys.load_key_file(nxt).secret
    with duckdb.connect(str(rotation.paths.vault_db), read_only=True) as con:
        links = con.execute(
            "select pseudonym_domain, subject_id, subject_pseudonym from intermediate.int_subject_pseudonyms"
        ).fetchall()
    assert len(links) > 500  # model_training and marketing: analytics releases no pseudonym
    assert all(keys.pseudonym(secret, d, s) == p for d, s, p in links)


def test_previous_release_stays_queryable_under_the_old_key(rotation: Rotation) -> None:
    previous = rotation.paths.warehouse / f"analytics.previous-{OLD_ID}.duckdb"
    with duckdb.connect(str(previous), read_only=True) as con:
        assert con.execute("select distinct key_id from release_metadata").fetchall() == [(OLD_ID,)]
        assert con.execute("select distinct key_id from ml_training_set").fetchall() == [(OLD_ID,)]
        views = con.execute("select view_name from duckdb_views() where not internal").fetchall()
        assert views
        for (view,) in views:
            con.execute(f'select count(*) from "{view}"').fetchone()
        released = {
            r[0] for r in con.execute("select subject_pseudonym from ml_training_set").fetchall()
        }
    assert released == rotation.old_pseudonyms["main.ml_training_set"]


def test_new_key_is_nowhere_but_its_key_file(rotation: Rotation) -> None:
    key = keys.load_key_file(keys.next_key_file(rotation.key_file))
    inner, outer = key.hmac_pads()
    forbidden = [
        key.secret,
        *(f(x) for x in (inner, outer) for f in (bytes, bytes.hex, base64.b64encode)),
    ]
    forbidden = [f.encode() if isinstance(f, str) else f for f in forbidden]
    # The rotation's dbt build wrote here (DBT_TARGET_PATH, DBT_LOG_PATH), not into the repo.
    assert (rotation.tmp / "logs" / "dbt.log").stat().st_size > 10_000
    assert (rotation.tmp / "target" / "run_results.json").is_file()
    scanned = 0
    for folder in ("target", "logs", "warehouse", "artifacts"):
        for path in (rotation.tmp / folder).rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                scanned += len(data)
                assert not any(f in data for f in forbidden), path
    assert not any(f in rotation.rotate_output.encode() for f in forbidden)
    assert scanned > 1_000_000


def test_models_status_compares_across_keys_only_while_the_old_key_is_within_reach(
    rotation: Rotation,
) -> None:
    runner = CliRunner()
    during = runner.invoke(app, ["models", "status", "--json"])
    (model,) = json.loads(during.stdout)["models"]
    assert model["key_id"] == OLD_ID and model["must_retrain"] is False
    assert "translated" in model["compared_with"] and model["not_in_release"] == 0
    assert during.exit_code == 0

    # Cut over; everything after depends on it, so it lives in this test.
    done = runner.invoke(app, ["keys", "cutover"])
    assert done.exit_code == 0, done.output
    assert rotation.model_id in done.output
    previous = rotation.paths.warehouse / f"analytics.previous-{OLD_ID}.duckdb"
    assert not previous.exists()
    assert not keys.next_key_file(rotation.key_file).exists()
    new_id = json.loads((rotation.paths.warehouse / "key_rotation.json").read_text())["history"][
        -1
    ]["next_key_id"]
    assert keys.load_key_file(rotation.key_file).key_id == new_id
    assert stat.S_IMODE(rotation.key_file.stat().st_mode) == 0o600
    with duckdb.connect(str(rotation.paths.analytics_db), read_only=True) as con:
        assert con.execute("select distinct key_id from ml_training_set").fetchall() == [(new_id,)]

    after = runner.invoke(app, ["models", "status", "--json"])
    assert after.exit_code == 2
    (model,) = json.loads(after.stdout)["models"]
    assert model["must_retrain"] is None
    assert f"comparing needs the previous key ({OLD_ID})" in " ".join(model["notes"])

    again = runner.invoke(app, ["keys", "cutover"])
    assert again.exit_code == 2 and "No rotation awaits a cut-over" in again.output


def test_rotate_with_the_key_in_the_environment_explains_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(keys.ENV_VAR, PLANTED_KEY)
    monkeypatch.delenv(keys.NEXT_ENV_VAR, raising=False)
    monkeypatch.setenv("GDPR_WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    monkeypatch.setenv("GDPR_KEY_FILE", str(tmp_path / "pseudonym.key"))
    outcome = CliRunner().invoke(app, ["keys", "rotate"])
    assert outcome.exit_code == 2
    assert keys.NEXT_ENV_VAR in outcome.stderr and "secret store" in outcome.stderr
    assert not list(tmp_path.rglob("*"))  # nothing written: no key file, no copy, no build
