"""Runs dbt as a subprocess from the project root and reads what it reports.

A subprocess (not dbtRunner in-process) keeps dbt's global state, logging and the plugin's
in-memory key out of the calling process, exactly as an analytics engineer's `dbt build`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gdpr_pipeline.core.paths import Paths


@dataclass(frozen=True)
class RunSummary:
    returncode: int
    statuses: dict[str, Counter[str]]  # resource type -> status -> count
    invocation_id: str | None

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def count(self, resource_type: str, status: str) -> int:
        return self.statuses.get(resource_type, Counter())[status]


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def cli_executable() -> str:
    """The package's own console script beside dbt (`gdpr-pipeline spark-build` runs dbt)."""
    candidate = Path(sys.executable).with_name("gdpr-pipeline")
    return str(candidate) if candidate.exists() else "gdpr-pipeline"


# Variables a caller's environment must not leak into an isolated build (tests, benchmarks).
ISOLATED_PREFIXES = ("DBT_ENV_SECRET", "GDPR_")


def dbt_env(
    project_root: Path, overrides: dict[str, str] | None = None, *, isolated: bool = False
) -> dict[str, str]:
    """The environment of a dbt process: no tracking, the project's profiles.yml, then
    `overrides`. `isolated` drops the caller's keys and GDPR_ settings first, so a test or a
    benchmark builds only into the warehouse and with the key it names."""
    base = {
        k: v for k, v in os.environ.items() if not (isolated and k.startswith(ISOLATED_PREFIXES))
    }
    return {
        **base,
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_PROFILES_DIR": str(project_root),
        **(overrides or {}),
    }


def dbt_command(
    args: list[str],
    *,
    dbt_vars: dict[str, Any] | None = None,
    target_path: Path | None = None,
    log_path: Path | None = None,
    entry_point: list[str] | None = None,
) -> list[str]:
    """A dbt command line: dbt (or `entry_point`), its arguments, then the paths and vars."""
    command = [*(entry_point or [dbt_executable()]), *args]
    if target_path is not None:
        command += ["--target-path", str(target_path)]
    if log_path is not None:
        command += ["--log-path", str(log_path)]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    return command


def git_commit(root: Path) -> str | None:
    """HEAD of the repository at root, suffixed -dirty when tracked files have changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{head}-dirty" if changes else head


def run_dbt(
    paths: Paths,
    args: list[str],
    *,
    dbt_vars: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    capture: bool = False,
) -> subprocess.CompletedProcess[str]:
    full_env = dbt_env(paths.root, env)
    if "GDPR_GIT_COMMIT" not in full_env:
        # The audit hook records it with the invocation (macros/audit/record_audit.sql).
        full_env["GDPR_GIT_COMMIT"] = git_commit(paths.root) or ""
    return subprocess.run(
        dbt_command(args, dbt_vars=dbt_vars),
        cwd=paths.root,
        env=full_env,
        text=True,
        capture_output=capture,
        check=False,
    )


def read_run_results(paths: Paths, returncode: int) -> RunSummary:
    results_file = paths.target / "run_results.json"
    statuses: dict[str, Counter[str]] = {}
    invocation_id = None
    if results_file.exists():
        data = json.loads(results_file.read_text())
        invocation_id = data.get("metadata", {}).get("invocation_id")
        for result in data.get("results", []):
            resource_type = result["unique_id"].split(".")[0]
            statuses.setdefault(resource_type, Counter())[result["status"]] += 1
    return RunSummary(returncode=returncode, statuses=statuses, invocation_id=invocation_id)


def upstream(manifest: dict[str, Any], start: str) -> list[str]:
    """Every node upstream of `start` (and start itself), parents before children."""
    nodes = {
        **manifest.get("nodes", {}),
        **manifest.get("sources", {}),
        **manifest.get("exposures", {}),
    }
    order: list[str] = []
    seen: set[str] = set()

    def visit(uid: str) -> None:
        if uid in seen or uid not in nodes:
            return
        seen.add(uid)
        for parent in sorted((nodes[uid].get("depends_on") or {}).get("nodes", [])):
            visit(parent)
        order.append(uid)

    visit(start)
    return order
