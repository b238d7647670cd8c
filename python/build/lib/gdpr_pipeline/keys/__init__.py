"""The pseudonymization key: loading, validation, key ids and the reference HMAC.

The key is the only secret in the project. It is read from the environment (or a git-ignored,
mode-600 key file), held in memory, and handed to the engine as HMAC pads in session
variables. Nothing here ever writes the key or its pads anywhere but the key file itself.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

ENV_VAR = "DBT_ENV_SECRET_PSEUDONYM_KEY"
# During a rotation, when the key comes from the environment, the new key comes from here.
# Its DBT_ENV_SECRET_ prefix makes dbt scrub the value from its logs too.
NEXT_ENV_VAR = "DBT_ENV_SECRET_PSEUDONYM_KEY_NEXT"
DEFAULT_KEY_FILE = Path(".secrets/pseudonym.key")
MIN_KEY_LENGTH = 32
# The key id is an HMAC of a fixed label with no ':' in it, so it can never equal a pseudonym
# (whose message is always '<domain>:<subject_id>'). It names the key without revealing it.
_KEY_ID_MESSAGE = b"gdpr_pipeline key id v1"
_BLOCK = 64  # SHA-256 block size in bytes (RFC 2104).

HOW_TO_SET = (
    f"Set {ENV_VAR} to a random string of at least {MIN_KEY_LENGTH} characters, for example\n"
    f"  export {ENV_VAR}=\"$(python3 -c 'import secrets; print(secrets.token_hex(32))')\"\n"
    f"or run `gdpr-pipeline keys init` to create {DEFAULT_KEY_FILE} (git-ignored, mode 600)."
)


class KeyProblem(RuntimeError):
    """The key is missing or unusable; the message says how to fix it."""


@dataclass(frozen=True)
class Key:
    """A loaded key. repr() never shows the secret."""

    secret: bytes = field(repr=False)
    source: str

    @property
    def key_id(self) -> str:
        return key_id(self.secret)

    def hmac_pads(self) -> tuple[bytes, bytes]:
        """Inner and outer HMAC-SHA256 pads, as RFC 2104 defines them, for the engine."""
        k = self.secret
        if len(k) > _BLOCK:
            k = hashlib.sha256(k).digest()
        k = k.ljust(_BLOCK, b"\0")
        return bytes(b ^ 0x36 for b in k), bytes(b ^ 0x5C for b in k)


def _validate(value: str, source: str) -> Key:
    if len(value) < MIN_KEY_LENGTH:
        raise KeyProblem(
            f"The pseudonymization key from {source} has {len(value)} characters; "
            f"at least {MIN_KEY_LENGTH} are required.\n{HOW_TO_SET}"
        )
    return Key(secret=value.encode("utf-8"), source=source)


def load_key(env_var: str = ENV_VAR, key_file: Path | None = DEFAULT_KEY_FILE) -> Key:
    """The key from the environment, else from the key file; there is no unkeyed fallback."""
    value = os.environ.get(env_var)
    if value:
        return _validate(value, f"${env_var}")
    if key_file is not None and Path(key_file).is_file():
        return load_key_file(Path(key_file))
    raise KeyProblem(
        f"No pseudonymization key: ${env_var} is not set and {key_file} does not exist.\n{HOW_TO_SET}"
    )


def load_key_file(path: Path) -> Key:
    """A key file, refused when others can read it."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyProblem(f"{path} is readable by others (mode {mode:o}); run chmod 600 {path}.")
    return _validate(path.read_text(encoding="utf-8").strip(), str(path))


def key_from_environment(env_var: str = ENV_VAR) -> bool:
    """Whether the key in use comes from the environment (it wins over the key file)."""
    return bool(os.environ.get(env_var))


def ensure_key_file(path: Path = DEFAULT_KEY_FILE) -> bool:
    """Create a random 256-bit key file (mode 600) if none exists; True when one was created."""
    if path.exists():
        return False
    write_new_key_file(path)
    return True


def write_new_key_file(path: Path) -> None:
    """Write a random 256-bit key to `path` (mode 600, directory 700), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    os.replace(tmp, path)


def next_key_file(key_file: Path) -> Path:
    """Where a rotation keeps the new key until the cut-over: `<key file>.next`."""
    return key_file.with_name(key_file.name + ".next")


def retired_key_file(key_file: Path, retired_key_id: str) -> Path:
    """Where a cut-over keeps the old key when asked to: `<key file>.retired-<key id>`."""
    return key_file.with_name(f"{key_file.name}.retired-{retired_key_id}")


def promote_next_key(key_file: Path, *, keep_retired: bool = False) -> Path | None:
    """Make `<key file>.next` the key file by an atomic rename. The old key is destroyed (the
    rename replaces it) unless `keep_retired`: then it moves to `retired_key_file`, returned."""
    nxt = next_key_file(key_file)
    load_key_file(nxt)  # refuse to promote an unusable key
    kept = None
    if keep_retired and key_file.is_file():
        kept = retired_key_file(key_file, load_key_file(key_file).key_id)
        os.replace(key_file, kept)
    os.replace(nxt, key_file)
    return kept


def key_id(secret: bytes) -> str:
    """A short, non-secret name for a key: changes with the key and reveals nothing about it."""
    return hmac.new(secret, _KEY_ID_MESSAGE, hashlib.sha256).hexdigest()[:16]


def pseudonym(secret: bytes, domain: str, subject_id: str) -> str:
    """The reference formula: lowercase hex HMAC-SHA256(key, '<domain>:<subject_id>')."""
    return hmac.new(secret, f"{domain}:{subject_id}".encode(), hashlib.sha256).hexdigest()


def available_keys(key_file: Path = DEFAULT_KEY_FILE) -> dict[str, Key]:
    """Every usable key within reach, by key id: the key in use, the next key of a rotation in
    progress, and retired keys kept at a cut-over. Tools that must compare pseudonyms made
    under another key (models status, subject-report) look theirs up here; none is guessed."""
    found: dict[str, Key] = {}
    candidates: list[Key] = []
    for loader in (
        lambda: load_key(key_file=key_file),
        lambda: _validate(os.environ[NEXT_ENV_VAR], f"${NEXT_ENV_VAR}"),
        lambda: load_key_file(next_key_file(key_file)),
    ):
        try:
            candidates.append(loader())
        except (KeyProblem, KeyError, OSError):
            continue
    for retired in sorted(key_file.parent.glob(key_file.name + ".retired-*")):
        try:
            candidates.append(load_key_file(retired))
        except (KeyProblem, OSError):
            continue
    for key in candidates:
        found.setdefault(key.key_id, key)
    return found
