"""Runs dbt on Apache Spark with the pseudonymization key in the engine, never in SQL text.

dbt-spark's `session` method runs every statement through `SparkSession.builder.getOrCreate()`
in the dbt process. So this module starts that SparkSession first, from the settings of the
profile's target (one source of truth: profiles.yml), registers the key's HMAC pads as a
one-row temporary view, built in the JVM from bytes passed over the Py4J gateway:

    gdpr_pipeline_key(inner_pad BINARY, outer_pad BINARY, key_id STRING)

and then invokes dbt in the same process (dbtRunner), whose queries reuse that session. The
macros read the pads with scalar subqueries (`(select inner_pad from gdpr_pipeline_key)`), so
compiled SQL, target/ and logs/ name the view, never the values. A temporary view lives in the
driver's memory only: it is not in the metastore or any table file, and Spark refuses
persistent views that reference it.

Python models (the OpenDP draw store) run in the same driver process, in this session, through
the `session` submission method that spark_python_models adds to dbt-spark.

Why a view and not SQL session variables: `DECLARE VARIABLE ... DEFAULT :value` with a bound
parameter works, but Spark prints a resolved variable as a literal in query plans, and an
analysis error (a mistyped column in a model that pseudonymizes, say) quotes the plan in its
message, which Spark logs to stderr and dbt writes to logs/dbt.log and run_results.json. A
relation's rows are never printed in a plan, so the pads stay out of plans and error messages
alike. Nor a Python UDF with the key in its closure: the pickled closure, key included, ships
to every executor, and every row crosses to a Python worker. The view keeps the HMAC in Spark's
own sha2; the pads are in the driver's memory and in the tasks sent to executors, as a literal
would be. The profile also turns off the web UI and event logs and redacts long binary
literals in plan strings (docs/spark.md).
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path
from typing import Any

from gdpr_pipeline import keys
from gdpr_pipeline.engines import spark_python_models

KEY_VIEW = "gdpr_pipeline_key"
# The audit hook records the adapter's version from here (DuckDB's plugin sets a variable).
ADAPTER_VERSION_ENV = "GDPR_DBT_ADAPTER_VERSION"
PROFILE_NAME = "gdpr_pipeline"
DEFAULT_TARGET = "spark"
_REUSE_WARNING_LOGGERS = (
    "org.apache.spark.sql.classic.SparkSession",
    "org.apache.spark.sql.classic.SparkSession$",
    "org.apache.spark.sql.SparkSession",
    "org.apache.spark.sql.SparkSession$",
)


class SparkSetupProblem(RuntimeError):
    """The Spark target cannot be started as asked; the message says why."""


def _option(args: list[str], *names: str) -> str | None:
    """The value of a dbt command-line option (`--name value` or `--name=value`), if given."""
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                return args[index + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def dbt_args_for_spark(args: list[str]) -> list[str]:
    """dbt arguments with the Spark target selected unless the caller chose one."""
    if _option(args, "--target", "-t") is None:
        return [*args, "--target", DEFAULT_TARGET]
    return list(args)


def profiles_dir(args: list[str], project_root: Path) -> Path:
    """Where dbt will look for profiles.yml: --profiles-dir, $DBT_PROFILES_DIR, the project."""
    chosen = _option(args, "--profiles-dir") or os.environ.get("DBT_PROFILES_DIR")
    return Path(chosen) if chosen else project_root


def target_settings(profiles: Path, target: str) -> dict[str, Any]:
    """The profile's target, rendered the way dbt renders it (env_var() and all)."""
    # dbt's in-process modules load only on the Spark path: every other command runs dbt as a
    # subprocess, and importing them costs the CLI a second at startup.
    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    set_invocation_context(os.environ)
    raw = read_profile(str(profiles))
    if PROFILE_NAME not in raw:
        raise SparkSetupProblem(f"No profile '{PROFILE_NAME}' in {profiles}/profiles.yml.")
    renderer = ProfileRenderer({})
    _, settings = Profile.render_profile(raw[PROFILE_NAME], PROFILE_NAME, target, renderer)
    if settings.get("type") != "spark" or settings.get("method") != "session":
        raise SparkSetupProblem(
            f"Target '{target}' is not a dbt-spark target with method: session. spark-build "
            "starts the SparkSession that dbt-spark's session method uses; for a cluster, run it "
            "on the cluster's driver (docs/spark.md)."
        )
    return settings


def start_session(server_side_parameters: dict[str, str]) -> Any:
    """The SparkSession dbt-spark will reuse, built from the profile's server_side_parameters."""
    # pyspark is the optional `spark` extra: imported here so the package works without it.
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for name, value in server_side_parameters.items():
        builder = builder.config(name, str(value))
    # dbt-spark forces this on every statement; set it from the start so nothing differs.
    builder = builder.config("spark.sql.ansi.enabled", "false")
    spark = builder.getOrCreate()
    _quiet_reuse_warning(spark)
    return spark


def _quiet_reuse_warning(spark: Any) -> None:
    """dbt-spark passes the static settings again on every statement; Spark then warns, once per
    statement, that only runtime settings take effect. Expected here, so that logger is muted."""
    jvm = spark.sparkContext._jvm
    try:
        level = jvm.org.apache.logging.log4j.Level.ERROR
        configurator = jvm.org.apache.logging.log4j.core.config.Configurator
        for logger in _REUSE_WARNING_LOGGERS:
            configurator.setLevel(logger, level)
    except Exception:  # a different logging backend: keep the warnings, they are harmless
        return


def register_key(spark: Any, key: keys.Key) -> None:
    """Register the HMAC pads and the key id as the session's temporary view `gdpr_pipeline_key`.

    The row is built in the JVM from values passed over the Py4J gateway, never as SQL text.
    (`spark.createDataFrame` on Python data would first pickle the rows to a temporary file in
    spark.local.dir for the JVM to read.) The view is a LocalRelation: a plan shows its columns,
    never its rows.
    """
    inner, outer = key.hmac_pads()
    jvm = spark.sparkContext._jvm
    values = spark.sparkContext._gateway.new_array(jvm.java.lang.Object, 3)
    values[0], values[1], values[2] = bytearray(inner), bytearray(outer), key.key_id
    rows = jvm.java.util.ArrayList()
    rows.add(jvm.org.apache.spark.sql.RowFactory.create(values))
    schema = jvm.org.apache.spark.sql.types.StructType.fromDDL(
        "inner_pad binary, outer_pad binary, key_id string"
    )
    spark._jsparkSession.createDataFrame(rows, schema).createOrReplaceTempView(KEY_VIEW)


def run_dbt_in_process(args: list[str]) -> int:
    """dbt in this process, so dbt-spark's session method finds the session started here."""
    # In-process dbt only on the Spark path (see target_settings).
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(args)
    if result.exception is not None and not result.success:
        print(f"dbt failed: {result.exception}", file=sys.stderr)
        return 2
    return 0 if result.success else 1


def spark_build(args: list[str], *, project_root: Path, key_file: Path | None) -> int:
    """Load the key, start Spark with the pads in a temporary view, run dbt. Exit code of dbt.

    The key is loaded before Spark starts, so a missing or short key stops here, before the
    engine or the warehouse is touched.
    """
    key = keys.load_key(key_file=key_file)
    dbt_args = dbt_args_for_spark(args)
    target = _option(dbt_args, "--target", "-t") or DEFAULT_TARGET
    settings = target_settings(profiles_dir(dbt_args, project_root), target)
    spark = start_session(settings.get("server_side_parameters") or {})
    os.environ[ADAPTER_VERSION_ENV] = importlib.metadata.version("dbt-spark")
    try:
        register_key(spark, key)
        # The DP draw store is a Python model: it runs here, in the driver (module docstring).
        spark_python_models.register(spark)
        return run_dbt_in_process(dbt_args)
    finally:
        spark.stop()
