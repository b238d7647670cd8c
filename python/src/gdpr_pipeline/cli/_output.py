"""What every command does on failure: the message in red on stderr, and an exit code."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, NoReturn

import typer


def fail(message: str, code: int = 1) -> NoReturn:
    """The message as one line (its lines joined) on stderr, then exit with `code`."""
    line = " ".join(part.strip() for part in str(message).splitlines() if part.strip())
    typer.secho(line, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def echo_json(document: Any) -> None:
    """A document (a dict or a dataclass) as indented JSON on stdout."""
    if dataclasses.is_dataclass(document) and not isinstance(document, type):
        document = dataclasses.asdict(document)
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
