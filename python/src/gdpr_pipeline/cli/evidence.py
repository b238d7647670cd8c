"""`gdpr-pipeline evidence build|verify`: the evidence page and the audit trail's check."""

from __future__ import annotations

from typing import Annotated

import typer

from gdpr_pipeline.cli._output import fail, working
from gdpr_pipeline.core.lock import EX_TEMPFAIL, WarehouseBusy
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.engines.spark import SparkSetupProblem
from gdpr_pipeline.evidence import collect, spark_facts

app = typer.Typer(
    no_args_is_help=True, help="Evidence for a DPO: the audit trail, its check, the evidence page."
)

TargetOption = Annotated[
    str,
    typer.Option(
        metavar="TARGET",
        help="The profiles.yml target whose build to read: duckdb (the vault), or a Spark "
        "target such as spark (its metastore, through a session started like spark-build's).",
    ),
]


@app.command("build")
def evidence_build(
    docs: Annotated[bool, typer.Option(help="Regenerate the dbt docs (offline).")] = True,
    target: TargetOption = "duckdb",
    invocation: Annotated[
        str | None,
        typer.Option(
            metavar="ID",
            help="The dbt invocation to present (default: the latest build, run or retry; "
            "a later dbt test or seed is listed, not presented as the build).",
        ),
    ] = None,
) -> None:
    """Write evidence/index.html and evidence.json for the latest build (earlier runs are kept);
    for a Spark target, evidence/spark/."""
    try:
        paths = Paths.discover()
        with working("Building the evidence page" + (" and the dbt docs" if docs else "")):
            if target == "duckdb":
                result = collect.build(paths, docs=docs, invocation_id=invocation)
            else:
                result = spark_facts.build_spark(paths, target, invocation_id=invocation)
    except WarehouseBusy as error:
        fail(str(error), EX_TEMPFAIL)
    except collect.InvocationNotFound as error:
        fail(str(error), 2)
    except (collect.AuditTrailError, SparkSetupProblem) as error:
        fail(str(error))
    typer.echo(f"Evidence for invocation {result.invocation_id}: {result.html}")
    if result.verify and not result.verify.ok:
        fail(result.verify.message)


@app.command("verify")
def evidence_verify(target: TargetOption = "duckdb") -> None:
    """Recompute the audit trail's hash chain; exit 1 naming the first broken record."""
    try:
        paths = Paths.discover()
        if target == "duckdb":
            result = collect.verify(paths)
        else:
            result = collect.verify_spark(paths, target)
    except WarehouseBusy as error:
        fail(str(error), EX_TEMPFAIL)
    except (collect.AuditTrailError, SparkSetupProblem) as error:
        fail(str(error), 2)
    if not result.ok:
        fail(result.message)
    typer.echo(result.message)
