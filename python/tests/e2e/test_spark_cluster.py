"""The demo on a real Spark standalone cluster: a master and two workers, separate processes.

`make test-spark` runs Spark inside the dbt process (local[2]): it proves the SQL is portable,
not that the project runs where executors are other JVMs, the key's pads travel inside the
tasks sent to them, and table files are written by many workers. Here pyspark's own
`spark-class` starts `org.apache.spark.deploy.master.Master` and two
`org.apache.spark.deploy.worker.Worker`s (one core, 2 GB each), bound to 127.0.0.1 on free
ports, with every directory they write (work dirs, executor logs, shuffle and spill space,
the event log) inside this test's tmp dir. `gdpr-pipeline spark-build` then runs the demo with
GDPR_SPARK_MASTER=spark://127.0.0.1:<port>, as its driver. (The cluster itself is gdpr_pipeline.engines.spark_standalone, shared with make bench.)
The test checks that tasks ran on
both workers (SparkListenerTaskEnd events in the event log, and each worker's work dir), that
every release equals the DuckDB build's, and that the key and its pads are in no file the
master, the workers, their executors or the driver wrote.

Run by `make test-spark-cluster` (and by `make test` when java is on PATH).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_spark import assert_releases_equal

from conftest import PLANTED_KEY, ROOT, Build, make_build
from gdpr_pipeline.engines import spark as spark_session
from gdpr_pipeline.engines.spark_standalone import LOOPBACK, Cluster, standalone_cluster
from key_material import forbidden_patterns, scan_for_leaks

pytestmark = [pytest.mark.spark, pytest.mark.spark_cluster]

WORKERS = 2
WORKER_MEMORY = "2g"
# Seconds for the spark-build of the demo: 2-3 minutes on an idle 2-core machine, several
# times that when it is shared; the bound only stops a hung build.
BUILD_TIMEOUT = float(os.environ.get("GDPR_TEST_SPARK_TIMEOUT", "2700"))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("spark-cluster")
    with standalone_cluster(root, workers=WORKERS, memory=WORKER_MEMORY) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def cluster_build(
    demo_build: Build, cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Build:
    """The demo on the cluster, from the DuckDB build's raw files; the driver is spark-build."""
    build = make_build(tmp_path_factory.mktemp("spark-on-cluster"))
    build.raw_dir = demo_build.raw_dir
    build.timeout = BUILD_TIMEOUT
    build.env.update(cluster.driver_env())
    sampler = LocalDirSampler(cluster.local_dirs)
    sampler.start()
    start = time.perf_counter()
    try:
        build.spark("build")
    finally:
        build.extra["seconds"] = time.perf_counter() - start
        sampler.stop()
    build.extra["sampler"] = sampler
    assert build.returncode == 0, build.output[-5000:]
    print(f"spark-build on the two-worker cluster: {build.extra['seconds']:.1f}s")
    return build


class LocalDirSampler(threading.Thread):
    """Scans the workers' local dirs for the key while the build runs: a worker deletes an
    application's shuffle, spill and broadcast files as soon as the application ends."""

    def __init__(self, directories: list[Path]) -> None:
        super().__init__(daemon=True)
        self.directories = directories
        self.patterns = forbidden_patterns(PLANTED_KEY.encode())
        self.seen: set[str] = set()
        self.leaks: set[str] = set()
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            for directory in self.directories:
                for path in self._files(directory):
                    try:
                        data = path.read_bytes()
                    except OSError:
                        continue  # deleted between listing and reading
                    self.seen.add(path.name)
                    self.leaks |= {f"{k} in {path}" for k, v in self.patterns.items() if v in data}
            self._done.wait(0.3)

    @staticmethod
    def _files(directory: Path) -> list[Path]:
        """The files under `directory` now, walked with os.walk, which skips a directory that
        Spark deletes mid-walk (Path.rglob raised FileNotFoundError and ended the thread)."""
        return [Path(parent) / name for parent, _, names in os.walk(directory) for name in names]

    def stop(self) -> None:
        self._done.set()
        self.join(timeout=30)


def _events(cluster: Cluster) -> list[dict[str, Any]]:
    # One JSON-lines file per application (the profile turns rolling and compression off);
    # Hadoop's local file system writes a hidden .crc beside it.
    logs = [p for p in cluster.event_log.iterdir() if p.is_file() and not p.name.startswith(".")]
    assert len(logs) == 1, logs
    return [json.loads(line) for line in logs[0].read_text().splitlines() if line.strip()]


@pytest.mark.usefixtures("cluster_build")
def test_tasks_ran_on_both_workers(cluster: Cluster) -> None:
    events = _events(cluster)
    [app] = [e["App ID"] for e in events if e["Event"] == "SparkListenerApplicationStart"]
    # Executor id -> the worker that ran it (its log URL names the worker's web UI port).
    executors = {}
    for event in events:
        if event["Event"] == "SparkListenerExecutorAdded":
            log_url = event["Executor Info"]["Log Urls"]["stderr"]
            [port] = [p for p in cluster.worker_ui_ports if f":{p}/" in log_url]
            executors[event["Executor ID"]] = port
    tasks: dict[str, int] = {}
    for event in events:
        if event["Event"] == "SparkListenerTaskEnd":
            info = event["Task Info"]
            assert info["Host"] == LOOPBACK
            tasks[info["Executor ID"]] = tasks.get(info["Executor ID"], 0) + 1
    assert "driver" not in tasks
    ran_on = {executors[executor] for executor in tasks}
    assert ran_on == set(cluster.worker_ui_ports), (tasks, executors)
    # Each worker launched an executor process for this application, in its own work dir.
    for work_dir in cluster.worker_dirs:
        launched = [p for p in (work_dir / "work" / app).iterdir() if (p / "stderr").is_file()]
        assert launched, f"no executor of {app} in {work_dir}"


def test_releases_on_the_cluster_equal_duckdb(demo_build: Build, cluster_build: Build) -> None:
    """Read with a local session once the build (and its Derby metastore lock) ended (the
    cluster_build fixture starts the cluster)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GDPR_WAREHOUSE_DIR", str(cluster_build.warehouse))
        patch.delenv("GDPR_SPARK_EVENT_LOG_DIR", raising=False)
        patch.setenv("GDPR_SPARK_MASTER", "local[1]")
        settings = spark_session.target_settings(ROOT, "spark")
        reader = spark_session.start_session(settings["server_side_parameters"])
    try:
        assert_releases_equal(demo_build, cluster_build, reader)
    finally:
        reader.stop()


def test_key_and_pads_are_in_no_file_the_cluster_wrote(
    cluster: Cluster, cluster_build: Build
) -> None:
    """The workers' local dirs (shuffle, spill, broadcast blocks), sampled during the build;
    then worker work dirs (executor stdout/stderr, the application's files), the master's and
    workers' logs, the event log, and the driver's target/, logs/, warehouse and console
    output."""
    sampler: LocalDirSampler = cluster_build.extra["sampler"]
    assert any(name.startswith("shuffle_") for name in sampler.seen), sorted(sampler.seen)[:20]
    assert not sampler.leaks, sorted(sampler.leaks)[:10]
    files = [p for p in cluster.root.rglob("*") if p.is_file()]
    assert any(p.name == "stderr" for p in files)
    assert any(p.parent == cluster.event_log for p in files)
    patterns = forbidden_patterns(PLANTED_KEY.encode())
    scanned = [cluster.root, cluster_build.target, cluster_build.logs, cluster_build.warehouse]
    leaks = [leak for directory in scanned for leak in scan_for_leaks(directory, patterns)]
    output = cluster_build.output.encode()
    leaks += [f"{label} in spark-build output" for label, n in patterns.items() if n in output]
    assert not leaks, leaks[:10]
