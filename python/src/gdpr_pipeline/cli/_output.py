"""What every command shares: failure as one red line on stderr with an exit code, JSON
output, and a spinner on stderr for a step that takes seconds."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console


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


@contextmanager
def working(message: str) -> Iterator[None]:
    """A spinner on stderr while a step of seconds runs (evidence build, train, ...), so the
    command does not look hung; it is erased when the step ends. Only on a terminal: in a pipe,
    a log or CI, stderr stays for errors alone (one line each) and stdout for the result."""
    if not sys.stderr.isatty():
        yield
        return
    with Console(stderr=True).status(message, spinner="dots"):
        yield
