"""Help text every command shares: an example and the exit codes."""

from __future__ import annotations

from typing import Any

import typer

EXIT_CODES = (
    "Exit codes: 0 success; 1 the command ran and found a problem (a failed check, a failed"
    " build); 2 bad input or setup (no project, no key, a missing file); 130 interrupted."
)

# One example per command, by its path below gdpr-pipeline.
EXAMPLES = {
    "generate": "gdpr-pipeline generate --subjects 1000 --seed 42 --out data/raw",
    "subject-report": "gdpr-pipeline subject-report S000000042 > report.json",
    "train": "gdpr-pipeline train",
    "spark-build": "gdpr-pipeline spark-build build --vars '{raw_dir: data/raw}'",
    "demo": "gdpr-pipeline demo --subjects 1000 --seed 42 --raw-dir data/raw",
    "keys init": "gdpr-pipeline keys init",
    "keys rotate": "gdpr-pipeline keys rotate --raw-dir data/raw",
    "keys cutover": "gdpr-pipeline keys cutover --keep-retired-key",
    "evidence build": "gdpr-pipeline evidence build --no-docs",
    "evidence verify": "gdpr-pipeline evidence verify",
    "models status": "gdpr-pipeline models status --json",
    "erasure request": "gdpr-pipeline erasure request S000000042",
    "erasure verify": "gdpr-pipeline erasure verify S000000042",
    "erasure compact-vault": "gdpr-pipeline erasure compact-vault",
}


def epilog(name: str) -> str:
    return f"Example: {EXAMPLES[name]}\n\n{EXIT_CODES}"


def command_help(name: str) -> dict[str, Any]:
    """Keyword arguments of app.command() for a top-level command."""
    return {"epilog": epilog(name)}


def add_help(app: typer.Typer) -> None:
    """Give the commands of each sub-app (keys, evidence, ...) their example and exit codes."""
    for group in app.registered_groups:
        sub = group.typer_instance
        if sub is None:
            continue
        for info in sub.registered_commands:
            name = f"{group.name} {info.name or info.callback.__name__.replace('_', '-')}"
            if info.epilog is None and name in EXAMPLES:
                info.epilog = epilog(name)
