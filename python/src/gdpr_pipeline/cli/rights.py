"""`gdpr-pipeline subject-report` and `erasure request|verify|compact-vault`: subject rights."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gdpr_pipeline import keys, rights
from gdpr_pipeline.cli._output import echo_json, fail, working
from gdpr_pipeline.core.lock import EX_TEMPFAIL, WarehouseBusy
from gdpr_pipeline.core.paths import Paths

erasure_app = typer.Typer(no_args_is_help=True, help="Record and verify erasure requests.")


def subject_report(
    subject_id: Annotated[str, typer.Argument(metavar="SUBJECT_ID", help="The subject's id.")],
) -> None:
    """Everything held about one subject, as one JSON document (GDPR Art. 15 and 20)."""
    try:
        with working("Collecting what is held about the subject"):
            report = rights.subject_report(Paths.discover(), subject_id)
    except WarehouseBusy as error:
        fail(str(error), EX_TEMPFAIL)
    except (rights.RightsError, keys.KeyProblem) as error:
        fail(str(error))
    echo_json(report.as_dict())


@erasure_app.command("request")
def erasure_request(
    subject_id: Annotated[str, typer.Argument(metavar="SUBJECT_ID", help="The subject's id.")],
    raw_dir: Annotated[Path, typer.Option(metavar="PATH", help="Raw data directory.")] = Path(
        "data/raw"
    ),
    allow_unknown: Annotated[
        bool, typer.Option(help="Record it even if no subject has this exact id.")
    ] = False,
) -> None:
    """Append an erasure request to the raw erasure_requests file (demo; the source app owns it)."""
    try:
        request_id = rights.request_erasure(raw_dir, subject_id, allow_unknown=allow_unknown)
    except rights.RightsError as error:
        fail(str(error), 2)
    typer.echo(f"Erasure request {request_id} recorded; the next `dbt build` applies it.")


@erasure_app.command("verify")
def erasure_verify(
    subject_id: Annotated[str, typer.Argument(metavar="SUBJECT_ID", help="The subject's id.")],
) -> None:
    """Prove an erasure reached every relation and the file bytes; exit 1 when it did not."""
    try:
        with working("Checking every relation and the file bytes"):
            outcome = rights.verify_erasure(Paths.discover(), subject_id)
    except (rights.RightsError, keys.KeyProblem) as error:
        fail(str(error), 2)
    echo_json(outcome)
    raise typer.Exit(0 if outcome["ok"] else 1)


@erasure_app.command("compact-vault")
def erasure_compact_vault() -> None:
    """Rewrite vault.duckdb so freed blocks keep no erased bytes (run when no build runs)."""
    try:
        with working("Rewriting the vault"):
            before, after = rights.compact_vault(Paths.discover())
    except rights.RightsError as error:
        fail(str(error), 2)
    typer.echo(f"Vault rewritten: {before:,} -> {after:,} bytes.")
