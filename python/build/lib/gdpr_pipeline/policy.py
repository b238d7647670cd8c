"""The column policy, checked statically on dbt's manifest (after `dbt parse`, no warehouse).

The build enforces the same rules on what it actually builds (the post-hook
assert_columns_classified, the singular test assert_every_column_classified and the generic
tests on each release); this check is the fast one `make lint` runs before anything is built,
so a missing class or a direct identifier in a release fails in seconds, naming the node and
the column. docs/policy.md describes the vocabulary and the rules.

    python -m gdpr_pipeline.policy [target/manifest.json]
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gdpr_pipeline.core.registry import purpose_columns

# Keep in step with macros/policy/personal_data_classes.sql (a test compares the two).
CLASSES = (
    "direct_identifier",
    "quasi_identifier",
    "sensitive",
    "pseudonym",
    "behavioural",
    "non_personal",
)
PROJECT = "gdpr_pipeline"
ALLOWLIST_SEED = f"seed.{PROJECT}.purpose_columns"


@dataclass(frozen=True, order=True)
class Violation:
    node: str
    column: str | None
    problem: str

    def __str__(self) -> str:
        where = f"{self.node}.{self.column}" if self.column else self.node
        return f"{where}: {self.problem}"


def personal_data_class(column: Mapping[str, Any]) -> str | None:
    """config.meta.personal_data (dbt 1.10+), else the column's top-level meta."""
    meta = (column.get("config") or {}).get("meta") or column.get("meta") or {}
    return meta.get("personal_data")


def node_label(node: Mapping[str, Any]) -> str:
    """The name a person reads in dbt's output: ml_training_set_v2, app.subjects."""
    if node["resource_type"] == "source":
        return f"{node['source_name']}.{node['name']}"
    version = node.get("version")
    return f"{node['name']}_v{version}" if version is not None else node["name"]


def read_allowlist(path: Path) -> dict[str, set[str]]:
    """purpose -> the columns its releases may carry (seeds/purpose_columns.csv)."""
    return {
        purpose: {row["column_name"].lower() for row in allowed}
        for purpose, allowed in purpose_columns(path).items()
    }


def allowlist_path(manifest: Mapping[str, Any]) -> Path:
    seed = manifest["nodes"][ALLOWLIST_SEED]
    return Path(seed["root_path"]) / seed["original_file_path"]


def _project_nodes(manifest: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    nodes = [*manifest["nodes"].values(), *manifest["sources"].values()]
    for node in sorted(nodes, key=lambda n: n["unique_id"]):
        if node["package_name"] == PROJECT and node["resource_type"] in (
            "model",
            "seed",
            "source",
        ):
            yield node


def _is_release(node: Mapping[str, Any]) -> bool:
    return node["resource_type"] == "model" and bool(
        (node.get("config", {}).get("meta") or {}).get("release")
    )


def _tests_on(manifest: Mapping[str, Any], unique_id: str, name: str) -> list[dict[str, Any]]:
    """The kwargs of each generic test `name` attached to the node."""
    return [
        test["test_metadata"]["kwargs"]
        for test in manifest["nodes"].values()
        if test["resource_type"] == "test"
        and test.get("attached_node") == unique_id
        and (test.get("test_metadata") or {}).get("name") == name
    ]


def _declaration_violations(label: str, node: Mapping[str, Any]) -> Iterator[Violation]:
    """A release declares an enforced contract and the purpose it serves."""
    if not (node.get("config", {}).get("contract") or {}).get("enforced"):
        yield Violation(label, None, "release without an enforced contract")
    if not (node.get("config", {}).get("meta") or {}).get("purpose"):
        yield Violation(label, None, "release without meta.purpose")


def _column_violations(
    label: str,
    purpose: str | None,
    classes: Mapping[str, str | None],
    allowlist: Mapping[str, set[str]],
) -> Iterator[Violation]:
    """No direct identifier, and only the columns the purpose's allowlist names."""
    for column, cls in classes.items():
        if cls == "direct_identifier":
            yield Violation(label, column, "direct_identifier in a release")
        if purpose in allowlist:
            if column.lower() not in allowlist[purpose]:
                yield Violation(label, column, f"not in the allowlist of purpose {purpose}")
        elif purpose and cls != "non_personal":
            yield Violation(
                label,
                column,
                f"{cls} column in a release of purpose {purpose}, which has no allowlist",
            )


def k_exemption(column: Mapping[str, Any]) -> str | None:
    """config.meta.k_exempt: why a released column may be left out of the k class."""
    meta = (column.get("config") or {}).get("meta") or column.get("meta") or {}
    return meta.get("k_exempt")


def _exemptions(node: Mapping[str, Any]) -> dict[str, str]:
    """column -> the k_exempt reason, for the columns of the node that give one."""
    exempt = {}
    for name, column in node["columns"].items():
        reason = k_exemption(column)
        if reason is not None:
            exempt[name] = reason
    return exempt


def _exemption_violations(
    label: str, classes: Mapping[str, str | None], exempt: Mapping[str, str]
) -> Iterator[Violation]:
    """A k_exempt column gives a reason and is not a quasi-identifier or sensitive; a pseudonym
    column of a row-level release is k_exempt."""
    for name, reason in sorted(exempt.items()):
        if not str(reason).strip():
            yield Violation(label, name, "k_exempt without a reason")
        if classes.get(name) in ("quasi_identifier", "sensitive"):
            yield Violation(label, name, f"a {classes[name]} column cannot be k_exempt")
    for column in sorted(c for c, cls in classes.items() if cls == "pseudonym"):
        if column not in exempt:
            yield Violation(
                label, column, "pseudonym column without k_exempt in a row-level release"
            )


def _quasi_identifier_violations(
    manifest: Mapping[str, Any], node: Mapping[str, Any], label: str, counted: set[str]
) -> Iterator[Violation]:
    """meta.quasi_identifiers names exactly the counted columns, and a k_anonymous test runs
    over them."""
    declared = set((node.get("config", {}).get("meta") or {}).get("quasi_identifiers") or [])
    for column in sorted(counted ^ declared):
        yield Violation(
            label,
            column,
            "meta.quasi_identifiers is not every column but the k_exempt ones "
            f"(counted {sorted(counted)}, declared {sorted(declared)})",
        )
    tested = [
        set(kw.get("quasi_identifiers") or [])
        for kw in _tests_on(manifest, node["unique_id"], "k_anonymous")
    ]
    if counted not in tested:
        yield Violation(label, None, f"no k_anonymous test over {sorted(counted)}")


def _sensitive_violations(
    manifest: Mapping[str, Any],
    node: Mapping[str, Any],
    label: str,
    counted: set[str],
    sensitive: list[str],
) -> Iterator[Violation]:
    """Each sensitive column is the declared sensitive attribute and l-diversity-tested over
    the other counted columns."""
    meta = node.get("config", {}).get("meta") or {}
    l_tests = _tests_on(manifest, node["unique_id"], "l_diverse")
    for column in sensitive:
        if meta.get("sensitive_attribute") != column:
            yield Violation(label, column, "sensitive column is not meta.sensitive_attribute")
        others = counted - {column}
        if not any(
            kw.get("sensitive_column") == column
            and set(kw.get("quasi_identifiers") or []) == others
            for kw in l_tests
        ):
            yield Violation(label, column, f"no l_diverse test of {column} over {sorted(others)}")


def _row_level_violations(
    manifest: Mapping[str, Any],
    node: Mapping[str, Any],
    classes: Mapping[str, str | None],
    label: str,
) -> Iterator[Violation]:
    """Every column of a row-level release (one with a pseudonym or a quasi-identifier) is in
    its k class unless meta.k_exempt gives the reason; meta.quasi_identifiers names exactly the
    counted columns, a k_anonymous test runs over them and an l_diverse test over them minus
    the sensitive attribute."""
    if not any(cls in ("pseudonym", "quasi_identifier") for cls in classes.values()):
        return
    exempt = _exemptions(node)
    counted = {c for c in classes if c not in exempt}
    sensitive = sorted(c for c, cls in classes.items() if cls == "sensitive")
    yield from _exemption_violations(label, classes, exempt)
    yield from _quasi_identifier_violations(manifest, node, label, counted)
    yield from _sensitive_violations(manifest, node, label, counted, sensitive)


def _release_violations(
    manifest: Mapping[str, Any],
    node: Mapping[str, Any],
    classes: Mapping[str, str | None],
    allowlist: Mapping[str, set[str]],
) -> Iterator[Violation]:
    label = node_label(node)
    purpose = (node.get("config", {}).get("meta") or {}).get("purpose")
    yield from _declaration_violations(label, node)
    yield from _column_violations(label, purpose, classes, allowlist)
    # Row-level releases: k counts every column but the k_exempt ones, and is tested over them.
    yield from _row_level_violations(manifest, node, classes, label)


def check_manifest(
    manifest: Mapping[str, Any], allowlist: Mapping[str, set[str]] | None = None
) -> list[Violation]:
    """Every violation of the column policy in the project's models, seeds and sources."""
    if allowlist is None:
        allowlist = read_allowlist(allowlist_path(manifest))
    violations: list[Violation] = []
    for node in _project_nodes(manifest):
        label = node_label(node)
        classes = {c["name"]: personal_data_class(c) for c in node["columns"].values()}
        for column, cls in classes.items():
            if cls not in CLASSES:
                violations.append(
                    Violation(label, column, f"no valid meta.personal_data class (got {cls})")
                )
        if _is_release(node):
            violations.extend(_release_violations(manifest, node, classes, allowlist))
    return sorted(set(violations), key=lambda v: (v.node, v.column or "", v.problem))


def load_manifest(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def report(violations: Iterable[Violation]) -> list[str]:
    return [f"Column policy: {violation}" for violation in violations]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    manifest_path = Path(args[0] if args else "target/manifest.json")
    if not manifest_path.is_file():
        print(f"{manifest_path}: no manifest; run `dbt parse` first.", file=sys.stderr)
        return 2
    manifest = load_manifest(manifest_path)
    violations = check_manifest(manifest)
    for line in report(violations):
        print(line, file=sys.stderr)
    checked = sum(len(node["columns"]) for node in _project_nodes(manifest))
    print(f"Column policy: {checked} columns checked, {len(violations)} violation(s).")
    return 1 if violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
