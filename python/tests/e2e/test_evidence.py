"""The evidence page and evidence.json, built from a real dbt build, read in a real Chromium.

The module builds evidence once from the session's demo build: it trains the model, runs
`dbt docs generate --static` offline and writes the page. The browser is Debian's chromium
(`make browser` installs it), driven by Playwright; no browser is ever downloaded.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from playwright.sync_api import sync_playwright
from typer.testing import CliRunner

from conftest import PLANTED_KEY, Build, make_build
from gdpr_pipeline import keys
from gdpr_pipeline.cli import app
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.evidence.collect import EvidenceResult, build, verify
from gdpr_pipeline.ml.train import TrainResult, train

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECTIONS = {
    "run": "The run",
    "audit": "Audit trail",
    "art30": "Record of processing activities",
    "funnel": "Rows from raw data to release",
    "privacy": "Privacy safeguards observed",
    "differential-privacy": "Differential privacy",
    "tests": "Tests of this run",
    "model-card": "Model card",
    "lineage": "Lineage",
    "runs": "Earlier runs",
}
pytestmark = pytest.mark.dbt


@dataclass
class Evidence:
    paths: Paths
    result: EvidenceResult
    model: TrainResult
    build: Build
    data: dict[str, Any]


@pytest.fixture(scope="module")
def evidence(demo_build: Build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Evidence]:
    tmp = tmp_path_factory.mktemp("evidence")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "GDPR_WAREHOUSE_DIR": demo_build.warehouse,
            "DBT_TARGET_PATH": demo_build.target,
            "GDPR_ARTIFACTS_DIR": tmp / "artifacts",
            "GDPR_EVIDENCE_DIR": tmp / "evidence",
            "DBT_ENV_SECRET_PSEUDONYM_KEY": PLANTED_KEY,
        }.items():
            patch.setenv(name, str(value))
        paths = Paths(ROOT)
        model = train(paths)
        result = build(paths)
        yield Evidence(paths, result, model, demo_build, json.loads(result.json.read_text()))


def test_evidence_is_about_the_latest_run(evidence: Evidence) -> None:
    run_results = evidence.build.run_results()
    data = evidence.data
    assert evidence.result.html == evidence.paths.evidence / "index.html"
    assert data["run"]["invocation_id"] == run_results["metadata"]["invocation_id"]
    assert data["audit"]["ok"] and data["audit"]["anchor"]["seq"] == data["audit"]["records"]
    assert data["published"]["is_this_run"]
    assert data["run_results_check"] == {
        "checked": True,
        "agree": True,
        "differences": [],
        "tests": len(data["tests"]),
    }
    # Every test dbt ran is on the page, with the status dbt reported.
    reported = {
        r["unique_id"]: r["status"]
        for r in run_results["results"]
        if r["unique_id"].split(".")[0] in ("test", "unit_test")
    }
    assert {t["unique_id"]: t["status"] for t in data["tests"]} == reported
    # The run keeps its own copy, with the model card it saw.
    run_dir = evidence.result.run_dir
    assert (run_dir / "index.html").exists()
    assert json.loads((run_dir / "evidence.json").read_text()) == data
    card = json.loads((run_dir / "model_card.json").read_text())
    assert card["model_id"] == evidence.model.model_id == data["model_card"]["model_id"]


def test_art30_record_comes_from_the_registry_and_the_manifest(evidence: Evidence) -> None:
    art30 = evidence.data["art30"]
    with evidence.paths.purposes_seed.open(newline="") as handle:
        purposes = {row["purpose"]: row for row in csv.DictReader(handle)}
    activities = {a["purpose"]: a for a in art30["activities"]}
    assert activities.keys() == purposes.keys()
    for name, activity in activities.items():
        assert activity["lawful_basis"] == purposes[name]["lawful_basis"]
        assert activity["retention_days"] == int(purposes[name]["retention_days"])
        assert "direct_identifier" not in activity["categories_released"]
    training = activities["model_training"]
    assert training["categories_released"]["pseudonym"] == ["subject_pseudonym"]
    assert set(training["categories_released"]["quasi_identifier"]) == {
        "age_band",
        "income_band",
        "country_group",
    }
    assert any("Purchase propensity model" in r for r in training["recipients"])
    assert training["model"]["model_id"] == evidence.model.model_id
    key_id = keys.key_id(PLANTED_KEY.encode())
    assert art30["key_id"] == key_id and any(key_id in s for s in training["safeguards"])
    assert {"email", "full_name"} <= set(art30["categories_collected"]["direct_identifier"])


def test_funnel_privacy_and_quarantine_match_the_warehouse(evidence: Evidence) -> None:
    data = evidence.data
    with duckdb.connect(str(evidence.build.analytics), read_only=True) as con:
        funnel = {
            r[0]: r[1:]
            for r in con.execute(
                "select purpose, input_subjects, eligible_subjects, minimized_subjects, "
                "released_subjects from release_funnel"
            ).fetchall()
        }
        k = dict(
            con.execute("select release_name, k_achieved from release_privacy_report").fetchall()
        )
    for purpose in data["funnel"]["purposes"]:
        stages = {s["stage"]: s["subjects"] for s in purpose["stages"]}
        assert stages["raw"] == 1000  # the demo's raw subjects file
        assert (
            stages["input"],
            stages["eligible"],
            stages["minimized"],
            stages["released"],
        ) == funnel[purpose["purpose"]]
    assert {r["release_name"]: r["k_achieved"] for r in data["privacy"]["releases"]} == k
    # anonymeter's risks with their intervals, the k-exempt columns with their reasons and the
    # chosen lattice node are on the page (issue 13).
    with duckdb.connect(str(evidence.build.analytics), read_only=True) as con:
        risks = con.execute(
            "select risk, risk_value, ci_low, ci_high from release_privacy_risk order by risk"
        ).fetchall()
    assert [
        (r["risk"], r["risk_value"], r["ci_low"], r["ci_high"]) for r in data["privacy"]["risks"]
    ] == risks
    page = evidence.result.html.read_text()
    assert "Measured re-identification risk (anonymeter)" in page
    for risk, value, low, high in risks:
        assert f"{value} ({low} to {high})" in page, risk
    assert "subject_pseudonym: unique per row by design" in page
    assert "key_id: one value for the whole release" in page
    assert "recoded at one lattice node" in page
    with duckdb.connect(str(evidence.build.vault), read_only=True) as con:
        quarantined = con.execute("select count(*) from quarantine.quarantine_records").fetchone()[
            0
        ]
    assert sum(r["rows"] for r in data["privacy"]["quarantine"]) == quarantined > 0
    assert data["privacy"]["erasures"]["tests"]
    assert all(t["status"] == "pass" for t in data["privacy"]["erasures"]["tests"])


def test_dp_section_shows_the_settings_and_the_ledger_of_the_vault(evidence: Evidence) -> None:
    dp = evidence.data["differential_privacy"]
    with duckdb.connect(str(evidence.build.vault), read_only=True) as con:
        ledger = con.execute("select period, epsilon from privacy.dp_budget_ledger").fetchall()
    assert len(dp["ledger"]) == len(ledger) > 0
    assert dp["parameters"]["epsilon_per_period"] == 1.0
    assert dp["parameters"]["max_cells_per_subject"] == 3
    assert dp["governance_counts"] == "rounded to the nearest 10"
    html = evidence.result.html.read_text()
    assert "Privacy budget ledger" in html and "OpenDP" in html
    assert "noise" in " ".join(dp["plain_words"])


def test_lineage_runs_from_the_sources_to_the_model_exposure(evidence: Evidence) -> None:
    (exposure,) = evidence.data["lineage"]["exposures"]
    assert exposure["unique_id"] == "exposure.gdpr_pipeline.purchase_propensity_model"
    assert exposure["type"] == "ml"
    assert exposure["depends_on"] == ["model.gdpr_pipeline.ml_training_set.v3"]
    chain = [step["unique_id"] for step in exposure["upstream"]]
    assert chain[-1] == exposure["unique_id"]
    assert {"source.gdpr_pipeline.app.subjects", "source.gdpr_pipeline.app.consent_events"} <= set(
        chain
    )
    assert chain.index("model.gdpr_pipeline.ml_training_set.v3") < chain.index(
        exposure["unique_id"]
    )
    docs = evidence.result.docs
    assert docs == evidence.paths.evidence / "docs" / "index.html"
    assert exposure["unique_id"] in docs.read_text()


def test_no_evidence_file_holds_the_key(evidence: Evidence) -> None:
    secrets = [PLANTED_KEY, *(p.hex() for p in keys.Key(PLANTED_KEY.encode(), "t").hmac_pads())]
    files = [p for p in evidence.paths.evidence.rglob("*") if p.is_file()]
    assert len(files) >= 6
    for path in files:
        text = path.read_text(errors="replace")
        assert not any(secret in text for secret in secrets), path


def test_a_later_test_run_is_listed_not_presented_and_earlier_runs_are_kept(
    evidence: Evidence, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = make_build(tmp_path)
    later.warehouse.mkdir(parents=True)
    for name in ("vault.duckdb", "analytics.duckdb"):
        shutil.copyfile(evidence.build.warehouse / name, later.warehouse / name)
    evidence_dir = tmp_path / "evidence"
    shutil.copytree(evidence.paths.evidence, evidence_dir)
    monkeypatch.setenv("GDPR_WAREHOUSE_DIR", str(later.warehouse))
    monkeypatch.setenv("GDPR_EVIDENCE_DIR", str(evidence_dir))
    monkeypatch.setenv("DBT_TARGET_PATH", str(later.target))

    # A `dbt test` of one model after the build: the page stays about the build.
    later.dbt("test", "-s", "release_privacy_report")
    assert later.returncode == 0, later.output[-3000:]
    tested = later.run_results()["metadata"]["invocation_id"]
    outcome = CliRunner().invoke(app, ["evidence", "build", "--no-docs"])
    assert outcome.exit_code == 0, outcome.output
    data = json.loads((evidence_dir / "evidence.json").read_text())
    first = evidence.data
    assert data["run"] == first["run"]
    assert data["tests"] == first["tests"] and data["published"]["is_this_run"]
    assert [(r["invocation_id"], r["command"]) for r in data["other_invocations"]] == [
        (tested, "test")
    ]
    page = (evidence_dir / "index.html").read_text()
    assert tested in page and "Invocations after this one" in page

    # Asked for by id, the test run gets its own page; the build's stays under runs/.
    outcome = CliRunner().invoke(app, ["evidence", "build", "--no-docs", "--invocation", tested])
    assert outcome.exit_code == 0, outcome.output
    data = json.loads((evidence_dir / "evidence.json").read_text())
    build_id = first["run"]["invocation_id"]
    assert data["run"]["command"] == "test" and data["run"]["invocation_id"] == tested
    assert data["other_invocations"] == []
    assert (evidence_dir / "runs" / build_id / "index.html").exists()
    assert [r["invocation_id"] for r in data["earlier_runs"]] == [build_id]
    assert f'href="runs/{build_id}/index.html"' in (evidence_dir / "index.html").read_text()
    assert data["audit"]["anchors_checked"] >= 1
    assert verify(Paths(ROOT)).anchors_checked == 2

    outcome = CliRunner().invoke(app, ["evidence", "build", "--no-docs", "--invocation", "nope"])
    assert outcome.exit_code == 2
    assert "invocation nope is not in the audit trail" in outcome.output


# --- the page in a real browser ----------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make browser`"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.mark.browser
def test_evidence_page_renders_every_section_without_console_errors(
    evidence: Evidence, browser: Any, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    requests: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"requestfailed: {r.url}"))
    page.on("request", lambda r: requests.append(r.url))

    page.goto(evidence.result.html.as_uri())
    page.wait_for_load_state("load")
    screenshot = tmp_path / "evidence.png"
    page.screenshot(path=str(screenshot), full_page=True)
    page.screenshot(path=str(tmp_path / "evidence-top.png"))
    print(f"evidence screenshot: {screenshot}")

    for section_id, heading in SECTIONS.items():
        section = page.locator(f"section#{section_id}")
        assert section.is_visible(), section_id
        assert heading in section.locator("h2").inner_text(), section_id
    purposes = [p["purpose"] for p in evidence.data["funnel"]["purposes"]]
    assert page.locator("#funnel svg").count() == len(purposes) == 3
    for purpose in purposes:
        assert page.locator(f"#funnel-{purpose} rect").count() >= 3
    assert page.locator("#tests tbody tr").count() == len(evidence.data["tests"])
    # Every test row leads with its status badge, in a status cell.
    assert page.locator("#tests td.status > .badge").count() == len(evidence.data["tests"])
    # The stylesheet (templates/evidence.css, inlined) applies under the page's CSP.
    badge_background = (
        "getComputedStyle(document.querySelector('#audit .badge.ok')).backgroundColor"
    )
    assert page.evaluate(badge_background) == "rgb(227, 244, 234)"  # --okbg
    assert page.locator("#art30 .activity").count() == 3
    assert evidence.model.model_id in page.locator("#model-card").inner_text()
    assert "intact" in page.locator("#audit").inner_text()
    # Fits the window: nothing runs off to the right.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert problems == []
    assert all(url.startswith("file://") for url in requests), requests
    page.close()


@pytest.mark.browser
def test_lineage_link_opens_the_dbt_docs_graph_offline(
    evidence: Evidence, browser: Any, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(evidence.result.html.as_uri())
    page.locator("#lineage a", has_text="Open its lineage graph").click()
    page.wait_for_url("**/docs/index.html#!/exposure/**")
    # The graph panel opens with the exposure and everything upstream of it selected.
    page.wait_for_function(
        "[...document.querySelectorAll('input')]"
        ".some(e => e.value === '+exposure:purchase_propensity_model')",
        timeout=20000,
    )
    assert page.get_by_text("Lineage Graph").is_visible()
    page.screenshot(path=str(tmp_path / "lineage.png"))
    assert "Purchase propensity model" in page.locator("body").inner_text()
    assert all(url.startswith(("file://", "data:")) for url in requests), [
        u for u in requests if not u.startswith(("file://", "data:"))
    ]
    page.close()
