"""The registry seeds, read as files: the purposes and the columns each purpose may release.

dbt loads the same CSVs as the seeds `purposes` and `purpose_columns`; Python reads them here
(the trainer's lawful basis, the evidence page's Art. 30 record, the column policy's allowlist)
so no one parses them twice.
"""

from __future__ import annotations

import csv
from pathlib import Path

from gdpr_pipeline.core.paths import Paths


def read_seed(path: Path) -> list[dict[str, str]]:
    """Every row of a seed CSV, as dicts keyed by the header."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def purposes(paths: Paths) -> list[dict[str, str]]:
    """The purposes registry (seeds/purposes.csv), one row per purpose."""
    return read_seed(paths.purposes_seed)


def purpose(paths: Paths, name: str) -> dict[str, str] | None:
    """One purpose's row, or None when the registry does not declare it."""
    return next((row for row in purposes(paths) if row["purpose"] == name), None)


def purpose_columns(path: Path) -> dict[str, list[dict[str, str]]]:
    """purpose -> its rows of the allowlist (seeds/purpose_columns.csv)."""
    allowed: dict[str, list[dict[str, str]]] = {}
    for row in read_seed(path):
        allowed.setdefault(row["purpose"], []).append(row)
    return allowed
