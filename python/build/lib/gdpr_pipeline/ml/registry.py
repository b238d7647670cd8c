"""The trained-model registry under artifacts/models/: the one owner of its records.

Each model has a directory `<model_id>/` holding the model, `model_card.json` (what it was
trained on, with a digest of its training pseudonyms), `training_pseudonyms.txt` (one
pseudonym per line, sorted) and `model_card.md`; `LATEST` names the newest model. The trainer
writes a model through `write_model`; the rights tooling, the key rotation and the evidence
page read models through `trained_models` and `latest_model`, and trust a pseudonym list only
when `integrity_problem` finds none.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.core.private import make_private, private_dir

CARD = "model_card.json"
PSEUDONYMS = "training_pseudonyms.txt"
LATEST = "LATEST"
DEFAULT_DOMAIN = "model_training"


def pseudonym_digest(pseudonyms: list[str]) -> str:
    """SHA-256 over the sorted pseudonyms, one per line: verifiable against the stored list."""
    return hashlib.sha256("".join(p + "\n" for p in sorted(pseudonyms)).encode()).hexdigest()


@dataclass(frozen=True)
class TrainedModel:
    model_id: str
    directory: Path
    card: dict[str, Any] = field(repr=False)

    @property
    def provenance(self) -> dict[str, Any]:
        return self.card.get("provenance", {})

    @property
    def key_id(self) -> str | None:
        return self.provenance.get("key_id")

    @property
    def domain(self) -> str:
        return self.provenance.get("pseudonym_domain", DEFAULT_DOMAIN)

    def pseudonyms(self) -> list[str] | None:
        path = self.directory / PSEUDONYMS
        return path.read_text().split() if path.exists() else None

    def integrity_problem(self) -> str | None:
        """Why the stored pseudonym list cannot be trusted, or None when it matches the card."""
        stored = self.pseudonyms()
        if stored is None:
            return f"{PSEUDONYMS} is missing"
        expected = self.provenance.get("training_pseudonyms_sha256")
        if expected is None:
            return "the model card records no training_pseudonyms_sha256"
        if pseudonym_digest(stored) != expected:
            return f"{PSEUDONYMS} does not match the digest in the model card"
        if len(stored) != self.provenance.get("training_subjects", len(stored)):
            return f"{PSEUDONYMS} has a different count than the model card"
        return None


def _read(directory: Path) -> TrainedModel | None:
    try:
        card = json.loads((directory / CARD).read_text())
    except (OSError, ValueError):
        return None
    return TrainedModel(card.get("model_id", directory.name), directory, card)


def trained_models(paths: Paths) -> list[TrainedModel]:
    """Every model under artifacts/models/ that has a readable model card, oldest first."""
    found = (_read(card.parent) for card in sorted(paths.models.glob(f"*/{CARD}")))
    return [model for model in found if model is not None]


def latest_model(paths: Paths) -> TrainedModel | None:
    """The model LATEST points to, or None when there is none (or its card is unreadable)."""
    pointer = paths.models / LATEST
    if not pointer.exists():
        return None
    return _read(paths.models / pointer.read_text().strip())


def model_dir(paths: Paths, model_id: str) -> Path:
    """A new model's directory, created; the trainer writes the model file into it."""
    directory = paths.models / model_id
    # Owner only (700): the directory will hold the training pseudonyms.
    for private in (paths.artifacts, paths.models, directory):
        private_dir(private)
    return directory


def write_model(directory: Path, card: dict[str, Any], pseudonyms: list[str]) -> TrainedModel:
    """Record a trained model: its pseudonym list, its card, then LATEST (written last, so
    LATEST never names a model whose records are incomplete)."""
    (directory / PSEUDONYMS).write_text("".join(p + "\n" for p in sorted(pseudonyms)))
    (directory / CARD).write_text(json.dumps(card, indent=2, default=str) + "\n")
    (directory.parent / LATEST).write_text(card["model_id"] + "\n")
    # The training pseudonyms (and the model fitted on them) are personal data: files 600.
    make_private(directory)
    make_private(directory.parent / LATEST)
    return TrainedModel(card["model_id"], directory, card)
