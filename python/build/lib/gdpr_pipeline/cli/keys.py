"""`gdpr-pipeline keys init|rotate|cutover`: the pseudonymization key and its rotation."""

from __future__ import annotations

from typing import Annotated

import typer

from gdpr_pipeline import keys, rotation
from gdpr_pipeline.cli._output import fail
from gdpr_pipeline.core.paths import Paths

app = typer.Typer(no_args_is_help=True, help="Create and rotate the pseudonymization key.")


@app.command("init")
def keys_init() -> None:
    """Create .secrets/pseudonym.key (random 256 bits, mode 600) if there is none."""
    paths = Paths.discover()
    created = keys.ensure_key_file(paths.key_file)
    key = keys.load_key(key_file=paths.key_file)
    state = "Created" if created else "Kept existing"
    typer.echo(f"{state} key file {paths.key_file} (key id {key.key_id}).")


@app.command("rotate")
def keys_rotate(
    raw_dir: Annotated[
        str, typer.Option(metavar="PATH", help="Raw data directory for the build.")
    ] = "data/raw",
    as_of: Annotated[
        str, typer.Option(metavar="TEXT", help="Reference time of the build (UTC).")
    ] = "",
) -> None:
    """Build every release with a new key; keep the current release until `keys cutover`."""
    try:
        result = rotation.rotate(Paths.discover(), raw_dir=raw_dir, as_of=as_of or None)
    except (rotation.RotationError, keys.KeyProblem) as error:
        fail(str(error), 2)
    made = "created" if result.created_next_key else "reused"
    typer.echo(
        f"Rotated: key id {result.previous_key_id} -> {result.next_key_id} "
        f"(next key {made}: {result.next_key_source}).\n"
        f"The release under the old key stays queryable at {result.previous_release} until "
        "`gdpr-pipeline keys cutover`."
    )


@app.command("cutover")
def keys_cutover(
    keep_retired_key: Annotated[
        bool, typer.Option(help="Keep the old key as <key file>.retired-<key id>.")
    ] = False,
) -> None:
    """Finish a rotation: remove the previous release and make the new key the key."""
    try:
        result = rotation.cutover(Paths.discover(), keep_retired_key=keep_retired_key)
    except (rotation.RotationError, keys.KeyProblem) as error:
        fail(str(error), 2)
    typer.echo(
        f"Cut over to key id {result.key_id}; removed {result.removed_release}"
        + (f"; old key kept at {result.retired_key_file}" if result.retired_key_file else "")
        + "."
    )
    if result.models_under_previous_key:
        typer.echo(
            f"Models trained under key id {result.previous_key_id} (retrain them; their "
            f"withdrawals can no longer be checked): {', '.join(result.models_under_previous_key)}"
        )
