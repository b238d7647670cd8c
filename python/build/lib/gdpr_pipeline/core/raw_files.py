"""The raw files as they arrive, read directly, before any rule of the project applies."""

from __future__ import annotations

from pathlib import Path

from gdpr_pipeline.core.warehouse import in_memory

RAW_TABLES = ("subjects", "consent_events", "purchases", "erasure_requests")


def raw_row_counts(raw_dir: Path) -> dict[str, int]:
    """Rows in each raw file, read directly: the top of the funnel, before any rule applies."""
    counts = {}
    with in_memory() as con:
        for name in RAW_TABLES:
            for suffix, reader in ((".csv", "read_csv"), (".parquet", "read_parquet")):
                path = raw_dir / f"{name}{suffix}"
                if path.exists():
                    options = ", all_varchar = true" if suffix == ".csv" else ""
                    counts[name] = con.execute(
                        f"select count(*) from {reader}(?{options})", [str(path)]
                    ).fetchone()[0]
    return counts
