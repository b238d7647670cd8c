"""A Spark standalone cluster on this machine: a master and workers, each its own process.

For the cluster test (`make test-spark-cluster`) and the benchmark (`make bench`), which run
`gdpr-pipeline spark-build` as the driver with GDPR_SPARK_MASTER set to `master_url`.
pyspark's own `bin/spark-class` starts `org.apache.spark.deploy.master.Master` and the
`org.apache.spark.deploy.worker.Worker`s, bound to 127.0.0.1 on free ports, with every
directory they write (daemon logs, work dirs with executor logs, shuffle and spill space in
SPARK_LOCAL_DIRS, the event log) under `root`, so a caller can scan them for key material.

    with standalone_cluster(tmp / "cluster") as cluster:
        env["GDPR_SPARK_MASTER"] = cluster.master_url

The cluster stops when the block ends, in every case: SIGTERM to each process group (a
worker's executors are in its group), SIGKILL after `STOP_TIMEOUT` seconds.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 120  # seconds for the master and every worker to be up
STOP_TIMEOUT = 20  # seconds between SIGTERM and SIGKILL


class ClusterStartFailed(RuntimeError):
    """A daemon exited at start or the workers did not register in time; see the logs."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def spark_home() -> Path:
    """pyspark's own Spark home (the `spark` extra; imported only when a cluster starts)."""
    import pyspark

    return Path(pyspark.__file__).parent


@dataclass
class Cluster:
    """A standalone master and its workers, each a process group started here."""

    root: Path
    master_url: str
    master_ui: str
    event_log: Path
    worker_dirs: list[Path]
    worker_ui_ports: list[int]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def local_dirs(self) -> list[Path]:
        """Each worker's SPARK_LOCAL_DIRS: shuffle, spill and broadcast blocks."""
        return [d / "local" for d in self.worker_dirs]

    def driver_env(self) -> dict[str, str]:
        """What spark-build needs to be this cluster's driver, with the event log on."""
        return {
            "GDPR_SPARK_MASTER": self.master_url,
            "GDPR_SPARK_EVENT_LOG_DIR": str(self.event_log),
            "SPARK_LOCAL_IP": LOOPBACK,
            "SPARK_LOCAL_HOSTNAME": LOOPBACK,
        }

    def workers_alive(self) -> int:
        with urllib.request.urlopen(f"{self.master_ui}/json/", timeout=5) as response:
            state = json.load(response)
        return sum(1 for worker in state.get("workers", []) if worker.get("state") == "ALIVE")

    def stop(self) -> None:
        """SIGTERM to each process group (the worker's executors too), then SIGKILL."""
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT)

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> None:
        log = (self.root / "logs" / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [str(spark_home() / "bin" / "spark-class"), *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes.append(process)

    def _wait_until_up(self, workers: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            dead = [p.args[1] for p in self.processes if p.poll() is not None]
            if dead:
                raise ClusterStartFailed(f"{dead} exited at start; see {self.root / 'logs'}")
            try:
                if self.workers_alive() == workers:
                    return
            except OSError:
                pass  # the master's web UI is not up yet
            if time.monotonic() > deadline:
                raise ClusterStartFailed(f"cluster not up in {START_TIMEOUT}s: {self.root}")
            time.sleep(1)


def _daemon_env(root: Path) -> dict[str, str]:
    """Loopback only, Spark's own home, no key or project settings, scratch under `root`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_ENV_SECRET", "GDPR_"))}
    env.update(
        SPARK_HOME=str(spark_home()),
        SPARK_LOCAL_IP=LOOPBACK,
        SPARK_LOCAL_HOSTNAME=LOOPBACK,
        SPARK_CONF_DIR=str(root / "conf"),
        SPARK_DAEMON_MEMORY="512m",
        PYSPARK_PYTHON=sys.executable,
    )
    return env


@contextmanager
def standalone_cluster(
    root: Path, *, workers: int = 2, cores: int = 1, memory: str = "2g"
) -> Iterator[Cluster]:
    """A master and `workers` workers (`cores` and `memory` each) on loopback, up until the
    block ends."""
    for sub in ("conf", "logs", "events"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    port, ui_port = _free_port(), _free_port()
    cluster = Cluster(
        root=root,
        master_url=f"spark://{LOOPBACK}:{port}",
        master_ui=f"http://{LOOPBACK}:{ui_port}",
        event_log=root / "events",
        worker_dirs=[root / f"worker-{n}" for n in range(1, workers + 1)],
        worker_ui_ports=[_free_port() for _ in range(workers)],
    )
    env = _daemon_env(root)
    try:
        cluster._start(
            "master",
            [
                "org.apache.spark.deploy.master.Master",
                *("--host", LOOPBACK, "--port", str(port), "--webui-port", str(ui_port)),
            ],
            env,
        )
        for work_dir, worker_ui in zip(cluster.worker_dirs, cluster.worker_ui_ports, strict=True):
            # Executors put shuffle, spill and broadcast blocks in SPARK_LOCAL_DIRS of their
            # worker (it overrides the application's spark.local.dir).
            (work_dir / "local").mkdir(parents=True, exist_ok=True)
            worker_env = {
                **env,
                "SPARK_WORKER_DIR": str(work_dir / "work"),
                "SPARK_LOCAL_DIRS": str(work_dir / "local"),
            }
            cluster._start(
                work_dir.name,
                [
                    "org.apache.spark.deploy.worker.Worker",
                    *("--host", LOOPBACK, "--webui-port", str(worker_ui)),
                    *("--cores", str(cores), "--memory", memory),
                    *("--work-dir", str(work_dir / "work")),
                    cluster.master_url,
                ],
                worker_env,
            )
        cluster._wait_until_up(workers)
        yield cluster
    finally:
        cluster.stop()
