"""Where things are: the dbt project, the warehouse, artifacts and evidence.

Every command resolves paths here, so GDPR_WAREHOUSE_DIR and friends mean the same thing to
dbt, the trainer, the evidence builder and the rights tooling.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# The dbt project, when not the nearest dbt_project.yml at or above the working directory.
PROJECT_DIR_ENV = "GDPR_PROJECT_DIR"


class ProjectNotFound(FileNotFoundError):
    """No dbt project where one was looked for; the message says how to point at one."""


def find_project_root(start: Path | None = None) -> Path:
    """The dbt project: GDPR_PROJECT_DIR when set (it must hold dbt_project.yml), else the
    nearest directory at or above `start` (default: cwd) holding dbt_project.yml."""
    configured = os.environ.get(PROJECT_DIR_ENV)
    if start is None and configured:
        root = Path(configured).expanduser().resolve()
        if not (root / "dbt_project.yml").is_file():
            raise ProjectNotFound(
                f"{PROJECT_DIR_ENV} / --project-dir {root} holds no dbt_project.yml: "
                "point it at the gdpr_pipeline repository."
            )
        return root
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "dbt_project.yml").is_file():
            return candidate
    raise ProjectNotFound(
        f"No dbt_project.yml at or above {here}: run from the gdpr_pipeline repository, "
        f"or pass --project-dir PATH (or set {PROJECT_DIR_ENV})."
    )


@dataclass(frozen=True)
class Paths:
    root: Path

    @classmethod
    def discover(cls, start: Path | None = None) -> Paths:
        return cls(find_project_root(start))

    @property
    def warehouse(self) -> Path:
        return Path(os.environ.get("GDPR_WAREHOUSE_DIR", self.root / "warehouse")).resolve()

    @property
    def vault_db(self) -> Path:
        return self.warehouse / "vault.duckdb"

    @property
    def analytics_db(self) -> Path:
        return self.warehouse / "analytics.duckdb"

    @property
    def artifacts(self) -> Path:
        return Path(os.environ.get("GDPR_ARTIFACTS_DIR", self.root / "artifacts")).resolve()

    @property
    def models(self) -> Path:
        return self.artifacts / "models"

    @property
    def evidence(self) -> Path:
        return Path(os.environ.get("GDPR_EVIDENCE_DIR", self.root / "evidence")).resolve()

    @property
    def target(self) -> Path:
        """dbt's target directory; DBT_TARGET_PATH moves it for dbt and for us alike."""
        return (self.root / os.environ.get("DBT_TARGET_PATH", "target")).resolve()

    @property
    def key_file(self) -> Path:
        return Path(os.environ.get("GDPR_KEY_FILE", self.root / ".secrets" / "pseudonym.key"))

    @property
    def purposes_seed(self) -> Path:
        return self.root / "seeds" / "purposes.csv"

    @property
    def purpose_columns_seed(self) -> Path:
        return self.root / "seeds" / "purpose_columns.csv"
