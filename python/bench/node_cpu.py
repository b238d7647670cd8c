"""CPU-seconds per dbt node: one `dbt` invocation in this process, on one dbt thread.

run_results.json has wall seconds per node, and with two dbt threads (and other work on the
machine) a node's wall time says little about its cost. Here dbt runs in this process
(dbtRunner), on one thread (pass a profiles directory whose profile says `threads: 1`), and
a callback reads the process's CPU time (user + system, DuckDB's threads included) when each
node starts and finishes: the difference is what the node cost, whatever else the machine
did. Used for the profile in docs/benchmarks.md:

    DBT_PROFILES_DIR=<dir with threads: 1> GDPR_WAREHOUSE_DIR=<fresh dir> \\
    DBT_ENV_SECRET_PSEUDONYM_KEY=<key> .venv/bin/python python/bench/node_cpu.py out.json \\
        build --vars '{raw_dir: bench/data/1000000, as_of: "2026-11-01 00:00:00"}'
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from dbt.cli.main import dbtRunner


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> int:
    out, dbt_args = Path(argv[0]), argv[1:]
    started: dict[str, tuple[float, float]] = {}
    nodes: list[tuple[float, float, str]] = []

    def on_event(event: Any) -> None:
        name = event.info.name
        if name not in ("NodeStart", "NodeFinished"):
            return
        uid = event.data.node_info.unique_id
        if name == "NodeStart":
            started[uid] = (_cpu(), time.monotonic())
        elif uid in started:
            cpu, wall = started.pop(uid)
            nodes.append((_cpu() - cpu, time.monotonic() - wall, uid))

    cpu, wall = _cpu(), time.monotonic()
    result = dbtRunner(callbacks=[on_event]).invoke(dbt_args)
    total_cpu, total_wall = _cpu() - cpu, time.monotonic() - wall
    nodes.sort(reverse=True)
    tests = sum(c for c, _, uid in nodes if uid.startswith(("test.", "unit_test.")))
    out.write_text(
        json.dumps(
            {
                "success": result.success,
                "total_cpu_s": round(total_cpu, 3),
                "total_wall_s": round(total_wall, 3),
                "tests_cpu_s": round(tests, 3),
                "nodes": [
                    {"node": uid, "cpu_s": round(c, 3), "wall_s": round(w, 3)}
                    for c, w, uid in nodes
                ],
            },
            indent=1,
        )
        + "\n"
    )
    print(
        f"success={result.success} cpu={total_cpu:.1f} s wall={total_wall:.1f} s "
        f"nodes={sum(n[0] for n in nodes):.1f} s tests={tests:.1f} s"
    )
    for c, w, uid in nodes[:25]:
        print(f"{c:8.2f} {w:8.2f}  {uid}")
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
