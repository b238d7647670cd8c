"""Private files: what the pipeline writes about people is readable by its owner only.

The warehouse (vault, releases), logs/, artifacts/ (models and their training pseudonyms) and
the key file are created with mode 700 (directories) and 600 (files), whatever the umask.
"""

from __future__ import annotations

import os
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) if needed and make it 700."""
    path.mkdir(parents=True, exist_ok=True, mode=DIRECTORY_MODE)
    os.chmod(path, DIRECTORY_MODE)
    return path


def make_private(path: Path) -> None:
    """Make a directory 700 and every file under it 600 (a missing path is left alone)."""
    if not path.exists():
        return
    if path.is_file():
        os.chmod(path, FILE_MODE)
        return
    os.chmod(path, DIRECTORY_MODE)
    for child in path.rglob("*"):
        os.chmod(child, DIRECTORY_MODE if child.is_dir() else FILE_MODE)
