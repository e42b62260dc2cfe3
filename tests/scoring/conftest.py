"""Shared fixtures: the held-out set of our own data (the `scorer` fixture is tests/conftest.py's)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
OWN = REPO / "data" / "civility-own"


def datasets_dir() -> Path:
    env = os.environ.get("CIVILITY_DATASETS")
    return Path(env) if env else (REPO / ".." / "shared" / "datasets").resolve()


@pytest.fixture(scope="session")
def heldout() -> list[dict[str, Any]]:
    with open(OWN / "heldout.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
