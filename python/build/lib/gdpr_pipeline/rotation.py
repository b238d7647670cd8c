"""Key rotation: re-pseudonymize every release under a new key, with a documented cut-over.

`rotate` keeps the release published under the old key queryable as
`warehouse/analytics.previous-<old key id>.duckdb`, builds everything again with the new key
(from `<key file>.next`, or `$DBT_ENV_SECRET_PSEUDONYM_KEY_NEXT` when the key lives in the
environment), and records both key ids in `warehouse/key_rotation.json`. `cutover` removes the
previous release and makes the new key the key. docs/rights.md gives the procedure.

Neither step writes a key anywhere but a mode-600 key file: the build reads the new key through
the plugin, as every build does.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gdpr_pipeline import keys
from gdpr_pipeline.core.dbt import RunSummary, read_run_results, run_dbt
from gdpr_pipeline.core.jsonenc import utc_now
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.core.warehouse import open_database
from gdpr_pipeline.ml.registry import trained_models

STATE_FILE = "key_rotation.json"


class RotationError(RuntimeError):
    """A rotation step cannot go ahead; the message says what to do."""


@dataclass(frozen=True)
class RotationResult:
    previous_key_id: str
    next_key_id: str
    previous_release: Path
    next_key_source: str
    created_next_key: bool


def previous_release_path(paths: Paths, key_id: str) -> Path:
    return paths.warehouse / f"analytics.previous-{key_id}.duckdb"


def state_path(paths: Paths) -> Path:
    return paths.warehouse / STATE_FILE


def read_state(paths: Paths) -> dict[str, Any]:
    path = state_path(paths)
    return json.loads(path.read_text()) if path.exists() else {"history": []}


def _write_state(paths: Paths, state: dict[str, Any]) -> None:
    path = state_path(paths)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    os.replace(tmp, path)


def published_key_id(database: Path) -> str | None:
    """The key id of the release in an analytics database file (None when there is none)."""
    if not database.exists():
        return None
    with open_database(database, error=RotationError) as con:
        found = con.execute("select distinct key_id from release_metadata").fetchall()
    if len(found) != 1:
        raise RotationError(f"{database} names {len(found)} key ids in release_metadata.")
    return found[0][0]


ENV_INSTRUCTIONS = (
    f"The key in use comes from ${keys.ENV_VAR}, so the new key must come from where you keep\n"
    f"that secret, not from a file here. To rotate:\n"
    f"  1. create a new key in your secret store, for example\n"
    f"       python3 -c 'import secrets; print(secrets.token_hex(32))'\n"
    f"  2. export {keys.NEXT_ENV_VAR}=<the new key> (keep {keys.ENV_VAR} as it is)\n"
    f"  3. run `gdpr-pipeline keys rotate` again: it rebuilds every release with the new key\n"
    f"     and keeps the current release queryable as analytics.previous-<old key id>.duckdb\n"
    f"  4. when consumers have moved: set {keys.ENV_VAR} to the new key, unset\n"
    f"     {keys.NEXT_ENV_VAR}, and run `gdpr-pipeline keys cutover`."
)


def _next_key(paths: Paths) -> tuple[keys.Key, str, bool]:
    """The new key, its source, and whether it was created now."""
    if keys.key_from_environment():
        value = os.environ.get(keys.NEXT_ENV_VAR)
        if not value:
            raise RotationError(ENV_INSTRUCTIONS)
        return keys.load_key(env_var=keys.NEXT_ENV_VAR, key_file=None), keys.NEXT_ENV_VAR, False
    path = keys.next_key_file(paths.key_file)
    created = not path.exists()
    if created:
        keys.write_new_key_file(path)
    return keys.load_key_file(path), str(path), created


def _build_env(next_key_source: str) -> dict[str, str]:
    """The environment of the build under the new key: the plugin reads it as it always does."""
    if next_key_source == keys.NEXT_ENV_VAR:
        return {keys.ENV_VAR: os.environ[keys.NEXT_ENV_VAR]}
    # An empty variable counts as unset (keys.load_key), so the plugin reads the .next file.
    return {keys.ENV_VAR: "", "GDPR_KEY_FILE": next_key_source}


def _keep_previous_release(paths: Paths, current: keys.Key, next_key: keys.Key) -> Path:
    """Copy the release published under the key in use aside, once; return where it is."""
    published = published_key_id(paths.analytics_db)
    previous = previous_release_path(paths, current.key_id)
    if published is None:
        raise RotationError(
            f"No release is published at {paths.analytics_db}, so there is nothing to keep "
            "queryable. Build first, or simply replace the key and build."
        )
    if published == current.key_id:
        if not previous.exists():
            tmp = previous.with_name(previous.name + ".tmp")
            shutil.copy2(paths.analytics_db, tmp)
            os.replace(tmp, previous)
    elif published != next_key.key_id:
        raise RotationError(
            f"The published release has key id {published}, which is neither the key in use "
            f"({current.key_id}) nor the next key ({next_key.key_id}); rotate from a build made "
            "with the key in use."
        )
    if not previous.exists():
        raise RotationError(
            f"The release under key id {current.key_id} was not kept at {previous}; "
            "rebuild with the key in use before rotating."
        )
    return previous


def _build_with_next_key(
    paths: Paths, *, next_key: keys.Key, source: str, raw_dir: str, as_of: str | None
) -> RunSummary:
    """dbt build with the new key; it counts only if the new key's release got published."""
    dbt_vars: dict[str, Any] = {"raw_dir": raw_dir}
    if as_of:
        dbt_vars["as_of"] = as_of
    completed = run_dbt(paths, ["build"], dbt_vars=dbt_vars, env=_build_env(source))
    summary = read_run_results(paths, completed.returncode)
    now_published = published_key_id(paths.analytics_db)
    if not summary.ok or now_published != next_key.key_id:
        raise RotationError(
            f"The build with the new key failed (dbt exit code {summary.returncode}); the "
            f"published release is unchanged (key id {now_published}) and the next key is kept. "
            "Fix the cause and run `gdpr-pipeline keys rotate` again."
        )
    return summary


def rotate(
    paths: Paths,
    *,
    raw_dir: str,
    as_of: str | None,
) -> RotationResult:
    """Steps 1 to 3 of the procedure: new key, previous release kept, build with the new key.

    Safe to run again: the next key is reused, and the kept release is never overwritten."""
    current = keys.load_key(key_file=paths.key_file)
    next_key, source, created = _next_key(paths)
    if next_key.key_id == current.key_id:
        raise RotationError(
            f"The next key ({source}) is the key in use (key id {current.key_id}); "
            "a rotation needs a different key."
        )
    previous = _keep_previous_release(paths, current, next_key)
    state = read_state(paths)
    state["rotation"] = {
        "status": "building",
        "previous_key_id": current.key_id,
        "next_key_id": next_key.key_id,
        "next_key_source": source,
        "previous_release": str(previous),
        "raw_dir": raw_dir,
        "as_of": as_of,
        "started_at": utc_now(),
    }
    _write_state(paths, state)
    try:
        summary = _build_with_next_key(
            paths, next_key=next_key, source=source, raw_dir=raw_dir, as_of=as_of
        )
    except RotationError:
        state["rotation"]["status"] = "build_failed"
        _write_state(paths, state)
        raise
    state["rotation"].update(
        status="awaiting_cutover", built_at=utc_now(), dbt_invocation_id=summary.invocation_id
    )
    _write_state(paths, state)
    return RotationResult(
        previous_key_id=current.key_id,
        next_key_id=next_key.key_id,
        previous_release=previous,
        next_key_source=source,
        created_next_key=created,
    )


@dataclass(frozen=True)
class CutoverResult:
    previous_key_id: str
    key_id: str
    removed_release: Path
    retired_key_file: Path | None
    models_under_previous_key: list[str]


def cutover(paths: Paths, *, keep_retired_key: bool = False) -> CutoverResult:
    """Step 4: the previous release file goes, the new key becomes the key."""
    state = read_state(paths)
    rotation = state.get("rotation")
    if not rotation or rotation.get("status") != "awaiting_cutover":
        status = rotation.get("status") if rotation else "none"
        raise RotationError(
            f"No rotation awaits a cut-over (status: {status}); run `gdpr-pipeline keys rotate`."
        )
    previous_id, next_id = rotation["previous_key_id"], rotation["next_key_id"]
    published = published_key_id(paths.analytics_db)
    if published != next_id:
        raise RotationError(
            f"The published release has key id {published}, not the new key id {next_id}: a "
            "build with the old key ran after the rotation. Run `gdpr-pipeline keys rotate` "
            "again to rebuild with the new key, then cut over."
        )
    retired = None
    if rotation["next_key_source"] == keys.NEXT_ENV_VAR:
        in_use = keys.load_key(key_file=None) if keys.key_from_environment() else None
        if in_use is None or in_use.key_id != next_id:
            raise RotationError(
                f"The key in ${keys.ENV_VAR} has key id {in_use.key_id if in_use else 'none'}, "
                f"not the new key id {next_id}. Set {keys.ENV_VAR} to the new key (the value of "
                f"{keys.NEXT_ENV_VAR}) where your secrets live, then run cutover again."
            )
    else:
        nxt = keys.next_key_file(paths.key_file)
        if not nxt.exists() or keys.load_key_file(nxt).key_id != next_id:
            raise RotationError(f"{nxt} is missing or is not the key with id {next_id}.")
        retired = keys.promote_next_key(paths.key_file, keep_retired=keep_retired_key)

    removed = Path(rotation["previous_release"])
    for path in (removed, removed.with_name(removed.name + ".wal")):
        path.unlink(missing_ok=True)

    stale = [m.model_id for m in trained_models(paths) if m.key_id == previous_id]
    rotation.update(status="cut_over", cut_over_at=utc_now())
    state["history"] = [*state.get("history", []), rotation]
    state.pop("rotation")
    _write_state(paths, state)
    return CutoverResult(
        previous_key_id=previous_id,
        key_id=next_id,
        removed_release=removed,
        retired_key_file=retired,
        models_under_previous_key=stale,
    )
