"""Issue 13's measurement: how the training set resists the CRM attacker, at a size the tests
do not build (docs/policy.md section 7 records the numbers).

Generates N subjects, builds them into a throwaway warehouse with a throwaway key, trains the
model, and prints, for ml_training_set:

* rows unique, and rows in a class of fewer than k_min people, over every released column but
  the pseudonym and key_id;
* the CRM attacker's crowd sizes (rows linked to fewer than k_min customers) from the raw files;
* subjects suppressed, the chosen lattice node, and the cost of the search (dbt timing);
* ROC AUC on the release (the trainer) and on ungeneralized features (the vault);
* anonymeter's risks with their confidence intervals.

Run: ``python python/bench/release_privacy.py --subjects 20000 --seed 7 [--work DIR]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import yaml

from gdpr_pipeline.core.paths import Paths, find_project_root
from gdpr_pipeline.ml.train import train
from gdpr_pipeline.privacy_risk import crm_attack
from gdpr_pipeline.synth.generate import generate

AS_OF = "2026-11-01 00:00:00"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subjects", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    root = find_project_root()
    work = args.work or Path(tempfile.mkdtemp(prefix="release-privacy-"))
    raw, warehouse, target = work / "raw", work / "warehouse", work / "target"
    generate(raw, args.subjects, seed=args.seed)
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(root),
        "GDPR_WAREHOUSE_DIR": str(warehouse),
        "DBT_ENV_SECRET_PSEUDONYM_KEY": secrets.token_hex(32),
    }
    dbt = str(Path(sys.executable).with_name("dbt"))
    dbt_vars = json.dumps({"raw_dir": str(raw), "as_of": AS_OF})
    command = [dbt, "build", "--target-path", str(target), "--log-path", str(work / "logs")]
    subprocess.run([*command, "--vars", dbt_vars], cwd=root, env=env, check=True)

    project_vars = yaml.safe_load((root / "dbt_project.yml").read_text())["vars"]
    k = project_vars["k_min"]
    columns = list(crm_attack.RELEASE_COLUMNS)
    with duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True) as con:
        release = con.execute("select * from ml_training_set").df()
        report = con.execute(
            "select * from release_privacy_report where release_name = 'ml_training_set'"
        ).df()
        risks = con.execute("select * from release_privacy_risk order by risk").df()
        utility = con.execute("select * from release_utility").df()
    report = report.iloc[0]
    class_size = release.groupby(columns).subject_pseudonym.transform("size")
    features = crm_attack.crm_features(
        raw, dt.datetime.fromisoformat(AS_OF), root / "seeds/country_groups.csv"
    )
    population = crm_attack.recode(
        features, crm_attack.parse_node(report.generalization_node), project_vars
    )
    crowd = crm_attack.crowd_sizes(release, population)
    timing = {
        r["unique_id"].split(".")[-1]: round(r["execution_time"], 2)
        for r in json.loads((target / "run_results.json").read_text())["results"]
    }
    os.environ.update(GDPR_WAREHOUSE_DIR=str(warehouse), GDPR_ARTIFACTS_DIR=str(work / "artifacts"))
    card = train(Paths(root)).card
    print(f"subjects {args.subjects}, seed {args.seed}, work dir {work}")
    print(
        f"released {len(release)} of {report.eligible_subjects} eligible;"
        f" suppressed {report.suppressed_subjects}"
        f" ({report.suppressed_subjects / max(report.eligible_subjects, 1):.2%})"
    )
    print(f"chosen node: {report.generalization_node}")
    print(
        f"rows unique over all columns: {(class_size == 1).mean():.2%};"
        f" rows in a class < {k}: {(class_size < k).mean():.2%}"
    )
    print(
        f"CRM attacker: rows linked to fewer than {k} customers: {(crowd < k).sum()}"
        f" (smallest crowd {crowd.min()})"
    )
    for step in (
        "int_ml_training_lattice",
        "int_ml_training_released",
        "int_ml_training_privacy_risk",
        "int_ml_training_utility",
    ):
        print(f"dbt time {step}: {timing.get(step)} s")
    for row in utility.itertuples():
        print(f"ROC AUC ({row.features}, vault): {row.roc_auc} on {row.held_out_rows} held out")
    model = card["metrics"]["model"]
    print(
        f"ROC AUC (trainer, on the published release): {model['roc_auc']}"
        f" on {card['metrics']['held_out_rows']} held out"
    )
    for row in risks.itertuples():
        print(
            f"anonymeter {row.risk}: {row.risk_value} (95% CI {row.ci_low} to {row.ci_high});"
            f" threshold {row.max_risk}; {row.note}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
