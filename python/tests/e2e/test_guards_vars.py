"""Guard (issue 16, row 2): vars are checked in on-run-start, before anything runs.

A bad var stops the invocation with a message naming the var, its value and what is allowed;
nothing is built, so no release is replaced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import SMALL_BUILD_VARS, Build, copy_project, edit_project, generate_raw, make_build


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    build = make_build(tmp_path_factory.mktemp("guard_vars"), dbt_vars=SMALL_BUILD_VARS)
    generate_raw(build.raw_dir, subjects=200)
    return build


@pytest.mark.parametrize(
    ("dbt_vars", "expected"),
    [
        ({"k_min": 0}, "var k_min = 0: must be an integer >= 5"),
        ({"k_min": -1}, "var k_min = -1: must be an integer >= 5"),
        ({"k_min": "x"}, "var k_min = 'x': must be an integer >= 5"),
        ({"l_min": 1}, "var l_min = 1: must be an integer >= 2"),
        ({"k_min": 4.5}, "var k_min = 4.5: must be an integer"),
        ({"as_of": "garbage"}, "var as_of = 'garbage': must be a timestamp"),
        ({"as_of": "2026-02-30"}, "var as_of = '2026-02-30': must be a timestamp"),
        ({"as_of": "2999-01-01 00:00:00"}, "var as_of = '2999-01-01 00:00:00': is in the future"),
        (
            {"age_band_edges": [18, 40, 30]},
            "var age_band_edges = [18, 40, 30]: must be a non-empty",
        ),
        ({"income_band_edges_eur": ["a"]}, 'var income_band_edges_eur = ["a"]: must be'),
        ({"label_window_days": 0}, "var label_window_days = 0: must be an integer >= 1"),
        (
            {"dp_categories": ["books", "toys", "books"]},
            'var dp_categories = ["books", "toys", "books"]: must be a non-empty list of distinct',
        ),
        ({"dp_categories": ["books", "toys;"]}, 'var dp_categories = ["books", "toys;"]: must be'),
        ({"dp_categories": []}, "var dp_categories = []: must be a non-empty list"),
    ],
)
def test_a_bad_var_stops_the_build_naming_var_value_and_range(
    build: Build, dbt_vars: dict[str, Any], expected: str
) -> None:
    build.dbt("build", dbt_vars=dbt_vars)
    assert build.returncode != 0
    assert expected in build.output, build.output[-3000:]
    assert "keyboard interrupt" not in build.output
    # Nothing ran: no model was built and nothing was published.
    assert not build.analytics.exists()
    assert "START sql" not in build.output


def test_the_floor_is_a_registry_setting(build: Build, tmp_path: Path) -> None:
    """Going below k >= 5 needs a change of the purposes registry's privacy_floor, not a flag."""
    lowered = copy_project(build, tmp_path / "project")
    edit_project(
        lowered, "seeds/_seeds.yml", "privacy_floor: {k_min: 5", "privacy_floor: {k_min: 3"
    )
    lowered.dbt("build", dbt_vars={"k_min": 2})
    assert "var k_min = 2: must be an integer >= 3" in lowered.output, lowered.output[-3000:]
