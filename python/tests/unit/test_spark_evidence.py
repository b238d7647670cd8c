"""The Spark evidence page's own logic, without Spark: which releases a run built, and the
engine section that says in words what differs from DuckDB."""

from __future__ import annotations

from gdpr_pipeline.evidence import render, spark_facts


def _manifest() -> dict:
    def model(name: str, release: bool, version: int | None = None) -> dict:
        return {
            "unique_id": f"model.gdpr_pipeline.{name}",
            "resource_type": "model",
            "name": name.removesuffix(f"_v{version}") if version else name,
            "alias": name,
            "version": version,
            "latest_version": version,
            "config": {"meta": {"release": True, "purpose": "p"} if release else {}},
        }

    nodes = [model("ml_training_set_v2", True, 2), model("release_funnel", True), model("x", False)]
    return {"nodes": {n["unique_id"]: n for n in nodes}}


def _record(invocation: str, record_type: str, unique_id: str | None, status: str) -> dict:
    return {
        "invocation_id": invocation,
        "record_type": record_type,
        "unique_id": unique_id,
        "status": status,
        "dbt_version": "1.11",
        "as_of": None,
        "key_id": "k1",
        "ended_at": None,
    }


def test_releases_are_those_the_last_invocation_built() -> None:
    trail = [
        _record("old", "invocation", None, "success"),
        _record("old", "node", "model.gdpr_pipeline.release_funnel", "success"),
        _record("new", "invocation", None, "error"),
        _record("new", "node", "model.gdpr_pipeline.ml_training_set_v2", "success"),
        _record("new", "node", "model.gdpr_pipeline.release_funnel", "error"),
        _record("new", "node", "model.gdpr_pipeline.x", "success"),
    ]
    published = spark_facts._published(trail, _manifest())
    assert [r["release_name"] for r in published["release_metadata"]] == ["ml_training_set_v2"]
    assert published["release_metadata"][0]["dbt_invocation_id"] == "new"
    assert spark_facts._published([], _manifest()) == {"published": False}


def test_engine_section_only_for_another_engine() -> None:
    assert render._engine_section({"engine": {"name": "duckdb"}}) == ""
    assert render._engine_section({}) == ""
    notes = [
        n.format(releases="gdpr_releases", trail="gdpr_audit.trail") for n in spark_facts.NOTES
    ]
    html = render._engine_section({"engine": {"name": "spark", "notes": notes}})
    assert html.startswith('<section id="engine"><h2>Engine: spark</h2>')
    for words in ("No separate analytics file", "No atomic publish", "Parquet files rewritten"):
        assert words in html
    assert "gdpr_releases" in html and "{" not in html
