"""The command line's contract: version, project discovery, one-line errors, help that says
how to call each command, its exit codes and the environment it reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

COMMANDS = [
    ["generate"],
    ["subject-report"],
    ["train"],
    ["spark-build"],
    ["demo"],
    ["keys", "init"],
    ["keys", "rotate"],
    ["keys", "cutover"],
    ["evidence", "build"],
    ["evidence", "verify"],
    ["models", "status"],
    ["erasure", "request"],
    ["erasure", "verify"],
    ["erasure", "compact-vault"],
]
ENVIRONMENT = [
    "GDPR_PROJECT_DIR",
    "GDPR_WAREHOUSE_DIR",
    "DBT_ENV_SECRET_PSEUDONYM_KEY",
    "GDPR_KEY_FILE",
    "GDPR_SPARK_MASTER",
]


def _cli(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    """The console script's entry point, `gdpr_pipeline.cli:main`, in a process of its own."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GDPR_")}
    environ.update(env, COLUMNS="100")
    return subprocess.run(
        [sys.executable, "-c", "import sys; from gdpr_pipeline.cli import main; main()", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )


def test_version() -> None:
    completed = _cli("--version")
    assert completed.returncode == 0
    assert completed.stdout.startswith("gdpr-pipeline 0.")


def test_top_level_help_names_the_environment_and_the_exit_codes() -> None:
    completed = _cli("--help")
    assert completed.returncode == 0
    for name in [*ENVIRONMENT, "--project-dir", "--version", "Exit codes:", "Example:"]:
        assert name in completed.stdout, name


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_help_has_an_example_exit_codes_and_plain_metavars(
    command: list[str],
) -> None:
    completed = _cli(*command, "--help")
    assert completed.returncode == 0, completed.stderr
    assert "Example: gdpr-pipeline " + command[0] in completed.stdout
    assert "Exit codes:" in completed.stdout
    options = completed.stdout.split("Options:")[-1]
    for typer_metavar in ("<bool>", "<str>", "<path>", "<int"):
        assert typer_metavar not in options, (command, typer_metavar)


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["train"], {}, "pass --project-dir PATH (or set GDPR_PROJECT_DIR)"),
        (["--project-dir", "/no/such/project", "train"], {}, "holds no dbt_project.yml"),
        (["evidence", "verify"], {"GDPR_PROJECT_DIR": "/no/such/project"}, "holds no"),
    ],
)
def test_outside_a_project_one_line_says_how_to_point_at_one(
    tmp_path: Path, args: list[str], env: dict[str, str], expected: str
) -> None:
    completed = _cli(*args, cwd=tmp_path, **env)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert completed.stderr.count("\n") == 1, completed.stderr
    assert expected in completed.stderr
    assert completed.stdout == ""
