"""Compare two builds of the project relation by relation: does a change made for speed change
any release or any vault relation?

Each argument is a warehouse directory (GDPR_WAREHOUSE_DIR) of a build made from the same raw
files with the same key and as_of. Every table and view of `analytics.duckdb` is compared row for
row (`EXCEPT ALL` both ways, and column names and types), and so is every relation of the vault's
intermediate, quarantine, releases and privacy schemas. Left out, because they differ between
any two builds of the same tree: the invocation ids and publish times of `release_metadata`,
the noised analytics cells and everything counted from them (each build draws its own noise;
the budget ledger is compared without its draw ids and times), and the incremental models'
state tables (`*__subject_inputs`, `*__subject_changes`). The
noised release is checked through its un-noised input, `int_purchases_bounded_to_monthly_cells`.

    python python/bench/compare_builds.py WAREHOUSE_A WAREHOUSE_B

Prints one line per relation that differs and exits 1 if any does, 0 if none.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

VAULT_SCHEMAS = ("intermediate", "quarantine", "releases", "privacy")
# Relations whose values differ between any two builds (noise, invocation ids, timestamps).
VOLATILE_RELATIONS = {
    "analytics_purchases_monthly",
    "analytics_purchases_monthly_v1",
    "dp_analytics_cells_noised",
    "dp_analytics_cells_latest",
}
VOLATILE_COLUMNS = {
    "dbt_invocation_id",
    "published_at",
    "built_at",
    "invocation_id",
    "drawn_at",
    "noised_at",
    "draw_id",
}
# Rows of the privacy reports that count the noised cells.
NOISE_COUNTED_ROWS = {"release_privacy_report", "release_privacy_report_published"}


def _relations(con: duckdb.DuckDBPyConnection, catalog: str, schemas: tuple[str, ...] | None):
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables"
        " where table_catalog = ? order by 1, 2",
        [catalog],
    ).fetchall()
    return {
        (schema, name)
        for schema, name in rows
        if (schemas is None or schema in schemas)
        and not name.endswith(("__subject_inputs", "__subject_changes"))
        and not name.startswith("dbt_")
    }


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, name: str):
    return con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_catalog = ? and table_schema = ? and table_name = ?"
        " order by ordinal_position",
        [catalog, schema, name],
    ).fetchall()


def _differences(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...] | None) -> list[str]:
    problems = []
    left, right = _relations(con, "a", schemas), _relations(con, "b", schemas)
    for missing in sorted(left ^ right):
        problems.append(f"{'.'.join(missing)}: only in {'A' if missing in left else 'B'}")
    for schema, name in sorted(left & right):
        if name in VOLATILE_RELATIONS:
            continue
        columns_a = _columns(con, "a", schema, name)
        if columns_a != _columns(con, "b", schema, name):
            problems.append(f"{schema}.{name}: columns or types differ")
            continue
        kept = ", ".join(f'"{c}"' for c, _ in columns_a if c not in VOLATILE_COLUMNS)
        where = ""
        if name in NOISE_COUNTED_ROWS:
            where = " where release_name <> 'analytics_purchases_monthly'"
        for this, other in (("a", "b"), ("b", "a")):
            count = con.execute(
                f'select count(*) from (select {kept} from {this}."{schema}"."{name}"{where}'
                f' except all select {kept} from {other}."{schema}"."{name}"{where})'
            ).fetchone()[0]
            if count:
                problems.append(f"{schema}.{name}: {count} rows only in {this.upper()}")
    return problems


def compare(warehouse_a: Path, warehouse_b: Path) -> list[str]:
    problems = []
    for database, schemas in (("analytics", None), ("vault", VAULT_SCHEMAS)):
        con = duckdb.connect()
        for alias, warehouse in (("a", warehouse_a), ("b", warehouse_b)):
            path = str(warehouse / f"{database}.duckdb").replace("'", "''")
            con.execute(f"attach '{path}' as {alias} (read_only)")
        problems += [f"{database}: {p}" for p in _differences(con, schemas)]
        con.close()
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse_a", type=Path)
    parser.add_argument("warehouse_b", type=Path)
    args = parser.parse_args(argv)
    problems = compare(args.warehouse_a, args.warehouse_b)
    for problem in problems:
        print(problem)
    print("no difference" if not problems else f"{len(problems)} relations differ")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
