"""The scoring engine as this app sees it: the shared Scorer, micro-batched, plus calibration."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from civility.scoring.batcher import MicroBatcher

log = logging.getLogger(__name__)

CALIBRATION_DIR = Path(__file__).resolve().parent / "calibration"


def get_scorer() -> Any:
    """The process-wide Scorer, shared with the moderation pipeline (one copy in memory).

    settings.SCORING_ARTIFACT (CIVILITY_SCORING_ARTIFACT) overrides the bundled model for both.
    """
    from civility.moderation.scoring import get_scorer as shared_scorer

    return shared_scorer()


def detect_language(text: str) -> str:
    from civility.scoring.language import detect_language as detect

    return detect(text)


# --- micro-batching -------------------------------------------------------------------------


def get_batcher() -> MicroBatcher:
    """The process's one micro-batcher, shared with comment scoring (civility.moderation)."""
    from civility.moderation.scoring import get_batcher as shared_batcher

    return shared_batcher()


# --- calibration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """Monotone piecewise-linear maps, per attribute, from our probability to Perspective's."""

    version: str
    knots: dict[str, tuple[np.ndarray, np.ndarray]]
    artifact_sha256: str = ""

    def apply(self, attribute: str, value: float) -> float:
        knots = self.knots.get(attribute)
        if knots is None:
            return float(value)
        return float(np.interp(value, knots[0], knots[1]))


def artifact_sha256(path: Path) -> str:
    """Fingerprint of a model artifact (weights + config), recorded with its calibration."""
    digest = hashlib.sha256()
    for name in ("config.json", "model.npz", "encoder.onnx"):
        if name == "encoder.onnx" and not (path / name).exists():
            continue  # a stage-1-only artifact
        with open(path / name, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def calibration_for(scorer: Any) -> Calibration:
    """The calibration for this scorer's version; warns once if it was fitted on other weights."""
    cal = load_calibration(scorer.version)
    key = (scorer.version, str(getattr(scorer, "path", "")))
    if cal.artifact_sha256 and key not in _checked:
        _checked.add(key)
        try:
            actual = artifact_sha256(Path(scorer.path))
        except (OSError, AttributeError, TypeError):
            actual = ""
        if actual and actual != cal.artifact_sha256:
            log.warning(
                "Perspective calibration for %s was fitted on other weights: re-run "
                "`python -m civility.training.perspective_calibration`",
                scorer.version,
            )
    return cal


_checked: set[tuple[str, str]] = set()


def calibration_path(model_version: str) -> Path:
    return CALIBRATION_DIR / f"{model_version}.json"


@lru_cache(maxsize=8)
def load_calibration(model_version: str) -> Calibration:
    """The calibration fitted for this model version; identity (with a warning) if none."""
    path = calibration_path(model_version)
    if not path.exists():
        log.warning("no Perspective calibration for model %s: uncalibrated", model_version)
        return Calibration(model_version, {})
    data = json.loads(path.read_text(encoding="utf-8"))
    knots = {
        attr: (np.asarray(spec["x"], dtype=float), np.asarray(spec["y"], dtype=float))
        for attr, spec in data["attributes"].items()
    }
    return Calibration(model_version, knots, str(data.get("artifact_sha256", "")))
